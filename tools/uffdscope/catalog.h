/* SPDX-License-Identifier: GPL-2.0 */
/* The behaviour catalog (catalog/behaviours.tsv): its rows, in file order. */
#ifndef UFFDSCOPE_CATALOG_H
#define UFFDSCOPE_CATALOG_H

struct catalog_row {
	char *id, *since, *upstream, *summary;
};

struct catalog {
	int n;
	struct catalog_row *rows;
};

/* 0, or -errno; a malformed line is skipped with a warning. */
int catalog_load(const char *path, struct catalog *c);
void catalog_free(struct catalog *c);
int catalog_find(const struct catalog *c, const char *id);

#endif /* UFFDSCOPE_CATALOG_H */
