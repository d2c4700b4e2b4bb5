/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tests' client of uffdscope.ko: write a query to one of its debugfs
 * files, read the key=value lines it answers with, and look things up in
 * them. The format is documented in Documentation/debugfs-abi.rst.
 */
#ifndef UFFDSCOPE_SCOPE_H
#define UFFDSCOPE_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCOPE_DIR "/sys/kernel/debug/uffdscope"

/* Skip the calling TEST/FIXTURE_SETUP when the module is not loaded. */
#define SCOPE_REQUIRE() do {						\
	if (!scope_loaded())						\
		SKIP(return, "uffdscope module not loaded (no %s)", SCOPE_DIR); \
} while (0)

#define SCOPE_MAX_KEYS 32

/* One line of an answer: its keys and values, in order. */
struct scope_line {
	int nkeys;
	char *key[SCOPE_MAX_KEYS];
	char *val[SCOPE_MAX_KEYS];
};

struct scope_answer {
	char *text;		/* the whole answer, cut into keys and values */
	size_t len;
	int nlines;
	struct scope_line *lines;
};

bool scope_loaded(void);

/*
 * Write @query to SCOPE_DIR/@file on a fresh open file and read the whole
 * answer into @ans. Returns 0, or -errno of the open, write or read (the
 * module's documented errnos come back from the write or the read).
 */
int scope_query(const char *file, const char *query, struct scope_answer *ans);

/*
 * ptes of @pid (0: this process) over [@start, @start + @len), with pfn= and
 * raw= (raw=1) and extra @options ("mode=entries none=0"...; may be NULL).
 */
int scope_ptes(pid_t pid, const void *start, size_t len, const char *options,
	       struct scope_answer *ans);
/* vmas of @pid (0: this process) over [@start, @start + @len); @len 0: all. */
int scope_vmas(pid_t pid, const void *start, size_t len,
	       struct scope_answer *ans);

void scope_free(struct scope_answer *ans);

/* The value of @key on @line, or NULL. */
const char *scope_get(const struct scope_line *line, const char *key);
/* The value of @key as a number (0x... or decimal), or @dflt if absent. */
uint64_t scope_num(const struct scope_line *line, const char *key, uint64_t dflt);
/* Whether @key is present on @line with exactly the value @val. */
bool scope_is(const struct scope_line *line, const char *key, const char *val);

/* The entry line (kind != summary) whose [start, end) covers @addr, or NULL. */
const struct scope_line *scope_find(const struct scope_answer *ans,
				    const void *addr);
/* The kind=summary line of a ptes answer, or NULL. */
const struct scope_line *scope_summary(const struct scope_answer *ans);

/* Print @ans to stderr as "# " lines, for a test's evidence. */
void scope_dump(const struct scope_answer *ans);

#endif /* UFFDSCOPE_SCOPE_H */
