// SPDX-License-Identifier: GPL-2.0
/* Printing the module's key=value lines (see show.h). */
#include <stdbool.h>
#include <string.h>

#include "show.h"

const char *human_size(uint64_t bytes, char *buf, int size)
{
	static const char units[] = "KMGTPE";
	int u = -1;
	double v = bytes;

	while (v >= 1024 && units[u + 1]) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%llu", (unsigned long long)bytes);
	else if (v == (uint64_t)v)
		snprintf(buf, size, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
	return buf;
}

/* Keys of the ABI that are flags (Documentation/debugfs-abi.rst). */
static bool is_flag(const char *key)
{
	static const char *const flags[] = {
		"write", "dirty", "young", "uffd_wp", "cont", "exclusive",
		"marker_uffd_wp", "marker_poisoned", "marker_guard", "shared",
		"uffd_missing", "uffd_minor", "anon_vma", "thp_disabled_by_prctl",
		"thp_pmd_suitable", NULL
	};
	int i;

	for (i = 0; flags[i]; i++)
		if (!strcmp(key, flags[i]))
			return true;
	return false;
}

static bool skipped(const char *key, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (!strcmp(key, *skip))
			return true;
	return false;
}

void print_details(FILE *f, const struct line *l, const char *const *skip)
{
	const char *sep = "";
	int i;

	for (i = 0; i < l->n; i++) {
		const struct kv *kv = &l->kv[i];

		if (skipped(kv->key, skip))
			continue;
		if (is_flag(kv->key) && !strcmp(kv->val, "0"))
			continue;
		if (is_flag(kv->key) && !strcmp(kv->val, "1"))
			fprintf(f, "%s%s", sep, kv->key);
		else
			fprintf(f, "%s%s=%s", sep, kv->key, kv->val);
		sep = " ";
	}
}

void json_line(struct json *j, const struct line *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		json_value(j, l->kv[i].key, l->kv[i].val);
}
