/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The facts of the running kernel that decide what the catalog's rows can
 * show: release, arch, page and PMD size, userfaultfd and its features, THP
 * modes, fault_around_bytes, lockdown and the module. Each is read, never
 * inferred from the version number; what cannot be read is said so.
 */
#ifndef UFFDSCOPE_FACTS_H
#define UFFDSCOPE_FACTS_H

#include "json.h"

#define FACT_MAX 32

struct facts {
	int n;
	const char *key[FACT_MAX];
	char val[FACT_MAX][320];
};

void facts_gather(struct facts *f);
void facts_print(const struct facts *f);
void facts_json(struct json *j, const struct facts *f);

#endif /* UFFDSCOPE_FACTS_H */
