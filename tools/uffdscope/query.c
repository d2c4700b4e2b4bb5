// SPDX-License-Identifier: GPL-2.0
/* The questions the subcommands put to uffdscope.ko (see query.h). */
#include <errno.h>
#include <stdio.h>

#include "debugfs.h"
#include "query.h"
#include "uffdscope.h"

static int range_words(char *buf, size_t size, pid_t pid, const struct range *r)
{
	if (!r)
		return snprintf(buf, size, "pid=%d", pid);
	return snprintf(buf, size, "pid=%d start=0x%llx end=0x%llx", pid,
			(unsigned long long)r->start, (unsigned long long)r->end);
}

int ask_ptes(pid_t pid, const struct range *r, bool none, struct answer *ans)
{
	char q[256];
	struct diagnosis d;
	int n, err;

	n = range_words(q, sizeof(q), pid, r);
	n += snprintf(q + n, sizeof(q) - n, " mode=%s none=%d",
		      opt.entries ? "entries" : "runs", none);
	if (opt.raw) {
		snprintf(q + n, sizeof(q) - n, " raw=1");
		err = scope_query("ptes", q, ans, &d);
		if (!err)
			return 0;
		if (err != EINVAL)
			return fail(d.code, "%s", d.msg);
		/* This module takes no raw= key: it shows pfn= and raw= anyway. */
		q[n] = '\0';
	}
	return scope_ask("ptes", q, ans);
}

int ask_vmas(pid_t pid, const struct range *r, struct answer *ans)
{
	char q[256];

	range_words(q, sizeof(q), pid, r);
	return scope_ask("vmas", q, ans);
}

int ask_collapse(pid_t pid, uint64_t addr, struct answer *ans)
{
	char q[128];

	snprintf(q, sizeof(q), "pid=%d start=0x%llx", pid, (unsigned long long)addr);
	return scope_ask("collapse", q, ans);
}

int ask_faultaround(pid_t pid, uint64_t addr, unsigned long fault_around_bytes,
		    struct answer *ans)
{
	char q[160];
	int n;

	n = snprintf(q, sizeof(q), "pid=%d start=0x%llx", pid, (unsigned long long)addr);
	if (fault_around_bytes)
		snprintf(q + n, sizeof(q) - n, " fault_around_bytes=%lu", fault_around_bytes);
	return scope_ask("faultaround", q, ans);
}

const struct line *ptes_summary(const struct answer *ans)
{
	int i;

	for (i = ans->nlines - 1; i >= 0; i--)
		if (line_is(&ans->lines[i], "kind", "summary"))
			return &ans->lines[i];
	return NULL;
}
