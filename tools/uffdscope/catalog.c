// SPDX-License-Identifier: GPL-2.0
/* The behaviour catalog, tab-separated, '#' comments, a header line (see catalog.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int catalog_load(const char *path, struct catalog *c)
{
	char *line = NULL, *field[4], *p;
	struct catalog_row *more;
	size_t cap = 0;
	bool header = true;
	FILE *f;
	int i;

	memset(c, 0, sizeof(*c));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		if (header) {	/* id since upstream summary */
			header = false;
			continue;
		}
		p = line;
		for (i = 0; i < 4; i++)
			field[i] = strsep(&p, "\t");
		if (!field[3] || !field[0][0]) {
			fprintf(stderr, "uffdscope: %s: skipping a malformed line\n", path);
			continue;
		}
		more = realloc(c->rows, (c->n + 1) * sizeof(*c->rows));
		if (!more)
			break;
		c->rows = more;
		c->rows[c->n].id = strdup(field[0]);
		c->rows[c->n].since = strdup(field[1]);
		c->rows[c->n].upstream = strdup(field[2]);
		c->rows[c->n].summary = strdup(field[3]);
		c->n++;
	}
	free(line);
	fclose(f);
	return 0;
}

void catalog_free(struct catalog *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		free(c->rows[i].id);
		free(c->rows[i].since);
		free(c->rows[i].upstream);
		free(c->rows[i].summary);
	}
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

int catalog_find(const struct catalog *c, const char *id)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->rows[i].id, id))
			return i;
	return -1;
}
