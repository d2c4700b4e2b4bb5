/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A debugfs file that answers one question about one address of a process:
 * write "pid=PID start=ADDR" (and the question's own optional key), read the
 * answer back. The question itself (the
 * collapse verdict, the fault-around verdict) is a callback; this file owns
 * the query parsing, the process lookup and the per-open answer buffer.
 */
#ifndef UFFDSCOPE_ANSWER_FILE_H
#define UFFDSCOPE_ANSWER_FILE_H

#include <linux/dcache.h>
#include <linux/mm_types.h>
#include <linux/types.h>

struct uffdscope_ask {
	pid_t pid;
	unsigned long addr;	/* page-aligned */
	bool has_extra;		/* the question's extra key was given */
	unsigned long extra;	/* its value */
};

/*
 * Write the answer for @ask->addr of @mm (the caller holds an mmget()
 * reference, no lock) into @buf of @size bytes. Returns its length or a
 * negative errno.
 */
typedef ssize_t (*uffdscope_answer_fn)(struct mm_struct *mm,
				       const struct uffdscope_ask *ask,
				       char *buf, size_t size);

struct uffdscope_question {
	const char *name;	/* the debugfs file */
	const char *extra_key;	/* one more numeric key it accepts, or NULL */
	uffdscope_answer_fn answer;
};

int uffdscope_answer_file_create(const struct uffdscope_question *question,
				 struct dentry *dir);

#endif /* UFFDSCOPE_ANSWER_FILE_H */
