// SPDX-License-Identifier: GPL-2.0
/*
 * uffdscope report: for each row of the behaviour catalog, whether the
 * running kernel has it (present), lacks it (absent, with the evidence), or
 * cannot show it (unsupported, with the reason), found by running the
 * suite's own test programs as probes (probes.h), plus the kernel's facts.
 * A row's verdict follows the same rules as the suite's table
 * (scripts/results.py), so the two always agree.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "facts.h"
#include "json.h"
#include "probes.h"
#include "uffdscope.h"

struct row_verdict {
	const char *status;	/* present, absent, unsupported, fail, unknown */
	char why[256];
	int ncases;
};

static const char *const prog_status_names[] = {
	[PROG_PASS] = "pass", [PROG_FAIL] = "fail", [PROG_SKIP] = "skip",
	[PROG_TIMEOUT] = "timeout", [PROG_NOT_RUN] = "not run",
};

/* Install layout: bin/uffdscope, libexec/uffdscope/, share/uffdscope/. */
static const char *beside_exe(const char *rel, char *buf, int size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return rel;
	exe[n] = '\0';
	snprintf(buf, size, "%s/../%s", dirname(exe), rel);
	return buf;
}

static bool names_row(const struct probe_case *c, const char *id)
{
	int i;

	for (i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i], id))
			return true;
	return false;
}

/* What the kernel measured for a present row, from its tests' "# value:" lines. */
static void show_values(const struct probes *p, const char *id, struct row_verdict *v)
{
	size_t idlen = strlen(id), len;
	int i, k;

	for (i = 0; i < p->ncases; i++)
		for (k = 0; k < p->cases[i].nvalues; k++) {
			const char *val = p->cases[i].values[k];

			if (strncmp(val, id, idlen) || val[idlen] != ' ' ||
			    strstr(v->why, val + idlen + 1))
				continue;
			len = strlen(v->why);
			snprintf(v->why + len, sizeof(v->why) - len, "%s%s", len ? ", " : "",
				 val + idlen + 1);
		}
}

/*
 * A probe program that skipped in its fixture setup never printed the row it
 * checks; the row's id is still written in it (a string of the binary). Used
 * only for rows no test named, to tell "unsupported" from "not probed".
 */
struct images {
	int n;
	char **data;
	size_t *len;
};

static void load_images(const char *dir, const struct probes *p, struct images *im)
{
	char path[PATH_MAX];
	FILE *f;
	int i;

	im->n = p->nprogs;
	im->data = calloc(p->nprogs + 1, sizeof(*im->data));
	im->len = calloc(p->nprogs + 1, sizeof(*im->len));
	for (i = 0; im->data && im->len && i < p->nprogs; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, p->progs[i].name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fseek(f, 0, SEEK_END) && ftell(f) > 0) {
			im->len[i] = ftell(f);
			im->data[i] = malloc(im->len[i]);
			rewind(f);
			if (im->data[i] && fread(im->data[i], 1, im->len[i], f) != im->len[i])
				im->len[i] = 0;
		}
		fclose(f);
	}
}

static void free_images(struct images *im)
{
	int i;

	for (i = 0; im->data && i < im->n; i++)
		free(im->data[i]);
	free(im->data);
	free(im->len);
}

static bool image_names(const struct images *im, int prog, const char *id)
{
	size_t n = strlen(id) + 1;	/* the id as a whole C string */

	return im->data && im->data[prog] && memmem(im->data[prog], im->len[prog], id, n);
}

/* A row no test named (every program that may name it ran): a skip reason, or unknown. */
static void unnamed(const struct probes *p, const struct images *im, const char *id,
		    struct row_verdict *v)
{
	const char *reason = NULL;
	bool found = false;
	int i, k;

	for (i = 0; i < p->nprogs; i++) {
		if (!image_names(im, i, id))
			continue;
		found = true;
		for (k = 0; !reason && k < p->ncases; k++)
			if (p->cases[k].prog == i && p->cases[k].status == CASE_SKIP)
				reason = p->cases[k].reason;
	}
	v->status = "unknown";
	if (reason) {
		v->status = "unsupported";
		snprintf(v->why, sizeof(v->why), "%s", reason);
	} else {
		snprintf(v->why, sizeof(v->why), "%s", found ?
			 "its tests said nothing about it" : "no probe program names this row");
	}
}

/*
 * Did every program that may name row @id run to its end? A row whose tests
 * the budget cut (or never started) is not decided by the tests that did run:
 * a later test could still find it absent or failing.
 */
static bool all_ran(const struct probes *p, const struct images *im, const char *id)
{
	int i;

	for (i = 0; i < p->nprogs; i++)
		if ((p->progs[i].status == PROG_NOT_RUN || p->progs[i].status == PROG_TIMEOUT) &&
		    image_names(im, i, id))
			return false;
	return true;
}

static void judge(const struct probes *p, const struct images *im, const char *id,
		  struct row_verdict *v)
{
	const struct probe_case *absent = NULL, *failed = NULL, *skipped = NULL;
	bool passed = false;
	int i, k;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < p->ncases; i++) {
		const struct probe_case *c = &p->cases[i];

		if (!names_row(c, id))
			continue;
		v->ncases++;
		/* A test the budget cut short has said nothing yet. */
		if (c->status == CASE_CRASH && p->progs[c->prog].status == PROG_TIMEOUT)
			continue;
		else if (c->status == CASE_ABSENT && !absent)
			absent = c;
		else if ((c->status == CASE_FAIL || c->status == CASE_CRASH) && !failed)
			failed = c;
		else if (c->status == CASE_SKIP && !skipped)
			skipped = c;
		else if (c->status == CASE_PASS)
			passed = true;
	}
	/* Only an absence stands whatever the tests not run would say. */
	if (!absent && !all_ran(p, im, id)) {
		v->status = "unknown";
		snprintf(v->why, sizeof(v->why),
			 "not all its tests ran within the time budget (--budget)");
		return;
	}
	if (absent || failed) {
		const struct probe_case *c = absent ?: failed;

		v->status = absent ? "absent" : "fail";
		snprintf(v->why, sizeof(v->why), "%s:%s %s", p->progs[c->prog].name, c->name,
			 c->status == CASE_CRASH ? "died" : "failed");
		for (k = 0; absent && k < c->nabsent; k++)
			if (!strcmp(c->absent[k], id) || k == c->nabsent - 1) {
				snprintf(v->why, sizeof(v->why), "%s", c->evidence[k]);
				break;
			}
	} else if (passed) {
		v->status = "present";
		show_values(p, id, v);
	} else if (skipped) {
		v->status = "unsupported";
		snprintf(v->why, sizeof(v->why), "%s", skipped->reason);
	} else {
		unnamed(p, im, id, v);
	}
}

/* Append to @c every row a probe named that @c lacks, with since "?". */
static void extra_rows(const struct probes *p, struct catalog *c)
{
	struct catalog_row *more;
	int i, k;

	for (i = 0; i < p->ncases; i++)
		for (k = 0; k < p->cases[i].nrows; k++) {
			const char *id = p->cases[i].rows[k];

			if (catalog_find(c, id) >= 0)
				continue;
			more = realloc(c->rows, (c->n + 1) * sizeof(*c->rows));
			if (!more)
				return;
			c->rows = more;
			c->rows[c->n].id = strdup(id);
			c->rows[c->n].since = strdup("?");
			c->rows[c->n].upstream = strdup("");
			c->rows[c->n].summary = strdup("not in the catalog");
			c->n++;
		}
}

static void print_programs(const struct probes *p, unsigned int budget)
{
	int i, run = 0;
	double secs = 0;

	for (i = 0; i < p->nprogs; i++) {
		if (p->progs[i].status != PROG_NOT_RUN)
			run++;
		secs += p->progs[i].seconds;
	}
	printf("\nprobes: %d of %d programs run in %.1f s (budget %u s)\n", run, p->nprogs,
	       secs, budget);
	for (i = 0; i < p->nprogs; i++) {
		const struct probe_prog *pr = &p->progs[i];

		printf("  %-32s %-8s %5.1f s%s%s\n", pr->name, prog_status_names[pr->status],
		       pr->seconds, pr->restored[0] ? "  restored: " : "", pr->restored);
	}
}

static void json_programs(struct json *j, const struct probes *p)
{
	int i;

	json_arr(j, "programs");
	for (i = 0; i < p->nprogs; i++) {
		const struct probe_prog *pr = &p->progs[i];
		char secs[16];

		snprintf(secs, sizeof(secs), "%.1f", pr->seconds);
		json_obj(j, NULL);
		json_str(j, "name", pr->name);
		json_str(j, "status", prog_status_names[pr->status]);
		if (pr->status != PROG_NOT_RUN && pr->status != PROG_TIMEOUT)
			json_int(j, "exit", pr->exit);
		json_str(j, "seconds", secs);
		if (pr->restored[0])
			json_str(j, "restored", pr->restored);
		json_close(j);
	}
	json_close(j);
}

int cmd_report(int argc, char **argv)
{
	char tests_buf[PATH_MAX], cat_buf[PATH_MAX];
	const char *tests = opt.tests_dir ?: beside_exe("libexec/uffdscope", tests_buf,
							 sizeof(tests_buf));
	const char *cat = opt.catalog ?: beside_exe("share/uffdscope/behaviours.tsv",
						     cat_buf, sizeof(cat_buf));
	struct row_verdict v;
	struct images im;
	struct catalog c;
	struct probes p;
	struct facts f;
	struct json j;
	int err, i, rc = EXIT_OK;

	if (argc)
		return fail(EXIT_USAGE,
			    "usage: uffdscope report [--budget S] [--tests DIR] [--catalog FILE]");
	err = catalog_load(cat, &c);
	if (err)
		return fail(EXIT_ERROR, "cannot read the catalog %s: %s (--catalog FILE)", cat,
			    strerror(-err));
	facts_gather(&f);
	if (!opt.json) {
		printf("uffdscope report: Linux %s %s\n\n", f.val[0], f.val[1]);
		facts_print(&f);
		fflush(stdout);
	}
	err = probes_run(tests, opt.budget, &p);
	if (err) {
		catalog_free(&c);
		return fail(EXIT_ERROR, "cannot list the probe programs in %s: %s (--tests DIR)",
			    tests, strerror(-err));
	}
	load_images(tests, &p, &im);
	if (opt.json) {
		json_begin(&j, stdout);
		json_head(&j, "report");
		facts_json(&j, &f);
		json_int(&j, "budget_seconds", opt.budget);
		json_arr(&j, "rows");
	} else {
		printf("\n%-26s %-12s %s\n", "BEHAVIOUR", "RESULT", "EVIDENCE OR REASON");
	}
	/* Rows probes name that the installed catalog lacks are shown, not dropped. */
	extra_rows(&p, &c);
	for (i = 0; i < c.n; i++) {
		judge(&p, &im, c.rows[i].id, &v);
		if (!strcmp(v.status, "fail"))
			rc = EXIT_ERROR;
		else if (!strcmp(v.status, "absent") && rc == EXIT_OK)
			rc = EXIT_ABSENT;
		if (opt.json) {
			json_obj(&j, NULL);
			json_str(&j, "id", c.rows[i].id);
			json_str(&j, "since", c.rows[i].since);
			json_str(&j, "status", v.status);
			json_str(&j, "why", v.why);
			json_int(&j, "tests", v.ncases);
			json_close(&j);
		} else {
			bool extra = !strcmp(c.rows[i].since, "?");

			printf("%-26s %-12s %s%s%s\n", c.rows[i].id, v.status, v.why,
			       extra && v.why[0] ? " " : "",
			       extra ? "(a row the catalog lacks)" : "");
		}
	}
	if (opt.json) {
		json_close(&j);
		json_programs(&j, &p);
		json_end(&j);
	} else {
		print_programs(&p, opt.budget);
	}
	free_images(&im);
	probes_free(&p);
	catalog_free(&c);
	return rc;
}
