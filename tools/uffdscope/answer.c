// SPDX-License-Identifier: GPL-2.0
/* An answer of uffdscope.ko cut into key=value words (see answer.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"

static int split_line(struct line *l, char *s)
{
	int cap = 1;
	char *p, *eq;

	for (p = s; *p; p++)
		cap += *p == ' ';
	l->kv = calloc(cap, sizeof(*l->kv));
	if (!l->kv)
		return -ENOMEM;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		eq = s + strcspn(s, "= ");
		l->kv[l->n].key = s;
		if (*eq != '=') {
			/* A bare word: keep it, with an empty value. */
			l->kv[l->n++].val = eq;
			if (*eq)
				*eq++ = '\0';
			s = eq;
			continue;
		}
		*eq = '\0';
		l->kv[l->n].val = eq + 1;
		if (!strcmp(s, "why")) {
			l->n++;
			break;	/* the reason runs to the end of the line */
		}
		s = eq + 1 + strcspn(eq + 1, " ");
		if (*s)
			*s++ = '\0';
		l->n++;
	}
	return 0;
}

int answer_split(struct answer *ans, char *text, size_t len)
{
	char *line, *nl;
	int cap = 1;
	size_t i;

	memset(ans, 0, sizeof(*ans));
	ans->text = text;
	ans->len = len;
	for (i = 0; i < len; i++)
		cap += text[i] == '\n';
	ans->lines = calloc(cap, sizeof(*ans->lines));
	if (!ans->lines)
		return -ENOMEM;
	for (line = text; *line; line = nl) {
		nl = line + strcspn(line, "\n");
		if (*nl)
			*nl++ = '\0';
		if (!*line)
			continue;
		if (split_line(&ans->lines[ans->nlines++], line))
			return -ENOMEM;
	}
	return 0;
}

void answer_free(struct answer *ans)
{
	int i;

	for (i = 0; i < ans->nlines; i++)
		free(ans->lines[i].kv);
	free(ans->lines);
	free(ans->text);
	memset(ans, 0, sizeof(*ans));
}

const char *line_get(const struct line *l, const char *key)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->kv[i].key, key))
			return l->kv[i].val;
	return NULL;
}

uint64_t line_num(const struct line *l, const char *key, uint64_t dflt)
{
	const char *v = line_get(l, key);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

bool line_is(const struct line *l, const char *key, const char *val)
{
	const char *v = line_get(l, key);

	return v && !strcmp(v, val);
}
