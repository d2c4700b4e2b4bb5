/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An answer of uffdscope.ko as lines of key=value words
 * (Documentation/debugfs-abi.rst). A key named "why" takes the rest of its
 * line, spaces included, as the verdict files write it.
 */
#ifndef UFFDSCOPE_ANSWER_H
#define UFFDSCOPE_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kv {
	const char *key;
	const char *val;
};

struct line {
	int n;
	struct kv *kv;
};

struct answer {
	char *text;		/* owned; keys and values point into it */
	size_t len;
	int nlines;
	struct line *lines;
};

/* Cut @text (taken over, NUL-terminated) into lines; 0 or -ENOMEM. */
int answer_split(struct answer *ans, char *text, size_t len);
void answer_free(struct answer *ans);

/* The value of @key on @l, or NULL when the module did not give it. */
const char *line_get(const struct line *l, const char *key);
/* The value as a number (0x hex or decimal), or @dflt. */
uint64_t line_num(const struct line *l, const char *key, uint64_t dflt);
bool line_is(const struct line *l, const char *key, const char *val);

#endif /* UFFDSCOPE_ANSWER_H */
