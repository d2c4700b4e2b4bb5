// SPDX-License-Identifier: GPL-2.0
/* uffdscope ptes PID [RANGE]: the page-table entries, one line per run. */
#include <stdio.h>

#include "json.h"
#include "query.h"
#include "range.h"
#include "show.h"
#include "uffdscope.h"

static const char *const entry_columns[] = {
	"start", "end", "count", "level", "kind", NULL
};
static const char *const summary_columns[] = { "start", "end", "kind", NULL };

static void print_text(const struct answer *ans)
{
	const struct line *sum = ptes_summary(ans);
	char size[16];
	int i;

	printf("%-18s %-18s %6s %-5s %-10s %s\n", "START", "END", "SIZE", "LEVEL",
	       "KIND", "DETAILS");
	for (i = 0; i < ans->nlines; i++) {
		const struct line *l = &ans->lines[i];

		if (l == sum)
			continue;
		printf("%-18s %-18s %6s %-5s %-10s ", line_get(l, "start") ?: "-",
		       line_get(l, "end") ?: "-",
		       human_size(line_num(l, "end", 0) - line_num(l, "start", 0),
				  size, sizeof(size)),
		       line_get(l, "level") ?: "-", line_get(l, "kind") ?: "-");
		print_details(stdout, l, entry_columns);
		putchar('\n');
	}
	if (sum) {
		printf("summary (pages): ");
		print_details(stdout, sum, summary_columns);
		putchar('\n');
	}
}

static void print_json(pid_t pid, const struct answer *ans)
{
	const struct line *sum = ptes_summary(ans);
	struct json j;
	int i;

	json_begin(&j, stdout);
	json_head(&j, "ptes");
	json_int(&j, "pid", pid);
	json_arr(&j, "entries");
	for (i = 0; i < ans->nlines; i++) {
		if (&ans->lines[i] == sum)
			continue;
		json_obj(&j, NULL);
		json_line(&j, &ans->lines[i]);
		json_close(&j);
	}
	json_close(&j);
	if (sum) {
		json_obj(&j, "summary");
		json_line(&j, sum);
		json_close(&j);
	} else {
		json_null(&j, "summary");
	}
	json_end(&j);
}

int cmd_ptes(int argc, char **argv)
{
	struct answer ans;
	struct range r;
	bool has_range;
	pid_t pid;
	int err;

	err = parse_target(argc, argv, "ptes PID [RANGE]", &pid, &r, &has_range);
	if (err)
		return err;
	/* The whole address space is mostly none: show them only when asked. */
	err = ask_ptes(pid, has_range ? &r : NULL,
		       opt.none >= 0 ? opt.none : has_range, &ans);
	if (err)
		return err;
	if (opt.json)
		print_json(pid, &ans);
	else
		print_text(&ans);
	answer_free(&ans);
	return EXIT_OK;
}
