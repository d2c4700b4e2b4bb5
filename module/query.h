/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The query a user writes to a uffdscope file, and the per-open-file text
 * stream the answer is read from. Syntax and errnos: debugfs-abi.rst.
 */
#ifndef UFFDSCOPE_QUERY_H
#define UFFDSCOPE_QUERY_H

#include <linux/compiler.h>
#include <linux/mm_types.h>
#include <linux/types.h>

#define UFFDSCOPE_QUERY_MAX	256

/* Keys a file accepts, for uffdscope_query_parse()'s @allowed. */
#define UFFDSCOPE_KEY_PID	BIT(0)
#define UFFDSCOPE_KEY_START	BIT(1)
#define UFFDSCOPE_KEY_END	BIT(2)
#define UFFDSCOPE_KEY_LEN	BIT(3)
#define UFFDSCOPE_KEY_MODE	BIT(4)
#define UFFDSCOPE_KEY_NONE	BIT(5)
#define UFFDSCOPE_KEY_RAW	BIT(6)
#define UFFDSCOPE_KEY_FORMAT	BIT(7)
#define UFFDSCOPE_KEY_EXTRA	BIT(8)	/* the caller's own key, see below */

struct uffdscope_query {
	pid_t pid;
	unsigned long start;
	unsigned long end;	/* 0 with no end= or len=: the target's TASK_SIZE */
	bool entries;		/* mode=entries: one line per entry, no merging */
	bool show_none;		/* none=1 (default): report none entries */
	bool raw;		/* raw=1: show pfns and raw entries */
	bool bin;		/* format=bin: binary records, not text */
	unsigned long extra;	/* the value of the caller's extra key */
	unsigned int seen;	/* UFFDSCOPE_KEY_* given */
};

/*
 * Parse the query @ubuf/@count written by the user. -E2BIG if longer than
 * UFFDSCOPE_QUERY_MAX, -EINVAL if malformed or a key is not in @allowed.
 * @extra_key (may be NULL) names one more numeric key a file accepts; its
 * value lands in q->extra and UFFDSCOPE_KEY_EXTRA in q->seen.
 */
int uffdscope_query_parse(const char __user *ubuf, size_t count,
			  unsigned int allowed, const char *extra_key,
			  struct uffdscope_query *q);

/*
 * Resolve the query's pid (in the caller's pid namespace) to its mm, and
 * clamp and check the range against the mm's TASK_SIZE. Returns the mm with
 * an mmgrab() reference, or ERR_PTR(-ESRCH) (no such process, or it has
 * exited), ERR_PTR(-ENXIO) (a kernel thread), ERR_PTR(-ERANGE).
 */
struct mm_struct *uffdscope_query_mm(struct uffdscope_query *q);

/* The answer, produced into a kernel buffer and copied out with no lock held. */
struct uffdscope_text {
	char *buf;
	size_t size;
	size_t len;	/* bytes produced */
	size_t pos;	/* bytes already read */
	/* a read() returns a multiple of it (whole binary records); 0: any */
	size_t unit;
	bool overflow;	/* a uffdscope_text_put_*() did not fit */
};

int uffdscope_text_alloc(struct uffdscope_text *t, size_t size);
void uffdscope_text_free(struct uffdscope_text *t);
/* Append a whole line or nothing: -ENOSPC when it does not fit. */
__printf(2, 3) int uffdscope_text_printf(struct uffdscope_text *t,
					 const char *fmt, ...);
/*
 * A line built piece by piece, cheaper than printf for the hot `ptes` lines:
 * note t->len as @mark, put " key=value" pairs, then end the line, which
 * keeps all of it or (-ENOSPC) none of it.
 */
void uffdscope_text_put_str(struct uffdscope_text *t, size_t mark,
			    const char *key, const char *val);
void uffdscope_text_put_hex(struct uffdscope_text *t, size_t mark,
			    const char *key, unsigned long long val);
void uffdscope_text_put_dec(struct uffdscope_text *t, size_t mark,
			    const char *key, unsigned long long val);
int uffdscope_text_end_line(struct uffdscope_text *t, size_t mark);

/* Drop what was read; the buffer is empty again. */
static inline bool uffdscope_text_drained(struct uffdscope_text *t)
{
	if (t->pos < t->len)
		return false;
	t->pos = 0;
	t->len = 0;
	return true;
}

ssize_t uffdscope_text_read(struct uffdscope_text *t, char __user *ubuf,
			    size_t count);

/*
 * The read() of an answer file, called with the file's mutex held: refill @t
 * with @fill(@ctx) while it is drained and *@finished is false, then copy out.
 * @fill takes and drops the mm locks itself, so none is held while copying.
 */
ssize_t uffdscope_answer_read(struct uffdscope_text *t, const bool *finished,
			      int (*fill)(void *ctx), void *ctx,
			      char __user *ubuf, size_t count);

#endif /* UFFDSCOPE_QUERY_H */
