// SPDX-License-Identifier: GPL-2.0
/* The tests' client of uffdscope.ko (see scope.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scope.h"

bool scope_loaded(void)
{
	struct stat st;

	return stat(SCOPE_DIR "/ptes", &st) == 0;
}

static int read_all(int fd, struct scope_answer *ans)
{
	size_t cap = 1 << 16;
	char *buf = malloc(cap), *bigger;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	ans->len = 0;
	for (;;) {
		if (cap - ans->len < 4096) {
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + ans->len, cap - ans->len - 1);
		if (n < 0) {
			n = -errno;
			free(buf);
			return n;
		}
		if (n == 0)
			break;
		ans->len += n;
	}
	buf[ans->len] = '\0';
	ans->text = buf;
	return 0;
}

/* Cut the text in place into lines of key=value words. */
static int split(struct scope_answer *ans)
{
	char *line, *save_line, *word, *save_word, *eq;
	int cap = 0, i;

	for (i = 0; i < (int)ans->len; i++)
		cap += ans->text[i] == '\n';
	ans->lines = calloc(cap + 1, sizeof(*ans->lines));
	if (!ans->lines)
		return -ENOMEM;
	ans->nlines = 0;
	for (line = strtok_r(ans->text, "\n", &save_line); line;
	     line = strtok_r(NULL, "\n", &save_line)) {
		struct scope_line *l = &ans->lines[ans->nlines++];

		for (word = strtok_r(line, " ", &save_word); word;
		     word = strtok_r(NULL, " ", &save_word)) {
			if (l->nkeys == SCOPE_MAX_KEYS)
				return -E2BIG;
			eq = strchr(word, '=');
			l->key[l->nkeys] = word;
			l->val[l->nkeys] = eq ? eq + 1 : word + strlen(word);
			if (eq)
				*eq = '\0';
			l->nkeys++;
		}
	}
	return 0;
}

int scope_query(const char *file, const char *query, struct scope_answer *ans)
{
	char path[256];
	int fd, err;

	memset(ans, 0, sizeof(*ans));
	snprintf(path, sizeof(path), "%s/%s", SCOPE_DIR, file);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, query, strlen(query)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	err = read_all(fd, ans);
	close(fd);
	if (!err)
		err = split(ans);
	if (err)
		scope_free(ans);
	return err;
}

static pid_t real_pid(pid_t pid)
{
	return pid ? pid : getpid();
}

int scope_ptes(pid_t pid, const void *start, size_t len, const char *options,
	       struct scope_answer *ans)
{
	char query[256];

	/* raw=1: the tests compare pfns with pagemap's */
	snprintf(query, sizeof(query), "pid=%d start=%p len=0x%zx raw=1 %s",
		 real_pid(pid), start, len, options ? options : "");
	return scope_query("ptes", query, ans);
}

int scope_vmas(pid_t pid, const void *start, size_t len,
	       struct scope_answer *ans)
{
	char query[256];

	if (len)
		snprintf(query, sizeof(query), "pid=%d start=%p len=0x%zx",
			 real_pid(pid), start, len);
	else
		snprintf(query, sizeof(query), "pid=%d", real_pid(pid));
	return scope_query("vmas", query, ans);
}

void scope_free(struct scope_answer *ans)
{
	free(ans->lines);
	free(ans->text);
	memset(ans, 0, sizeof(*ans));
}

const char *scope_get(const struct scope_line *line, const char *key)
{
	int i;

	for (i = 0; i < line->nkeys; i++)
		if (!strcmp(line->key[i], key))
			return line->val[i];
	return NULL;
}

uint64_t scope_num(const struct scope_line *line, const char *key, uint64_t dflt)
{
	const char *val = scope_get(line, key);

	return val ? strtoull(val, NULL, 0) : dflt;
}

bool scope_is(const struct scope_line *line, const char *key, const char *val)
{
	const char *have = scope_get(line, key);

	return have && !strcmp(have, val);
}

const struct scope_line *scope_find(const struct scope_answer *ans,
				    const void *addr)
{
	uint64_t a = (uintptr_t)addr;
	int i;

	for (i = 0; i < ans->nlines; i++) {
		const struct scope_line *l = &ans->lines[i];

		if (scope_is(l, "kind", "summary"))
			continue;
		if (scope_num(l, "start", 1) <= a && a < scope_num(l, "end", 0))
			return l;
	}
	return NULL;
}

const struct scope_line *scope_summary(const struct scope_answer *ans)
{
	int i;

	for (i = 0; i < ans->nlines; i++)
		if (scope_is(&ans->lines[i], "kind", "summary"))
			return &ans->lines[i];
	return NULL;
}

void scope_dump(const struct scope_answer *ans)
{
	int i, k;

	for (i = 0; i < ans->nlines; i++) {
		const struct scope_line *l = &ans->lines[i];

		fprintf(stderr, "#");
		for (k = 0; k < l->nkeys; k++)
			fprintf(stderr, " %s=%s", l->key[k], l->val[k]);
		fprintf(stderr, "\n");
	}
}
