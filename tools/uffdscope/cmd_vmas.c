// SPDX-License-Identifier: GPL-2.0
/* uffdscope vmas PID [RANGE]: the VMAs, their uffd registration and THP state. */
#include <stdio.h>

#include "json.h"
#include "query.h"
#include "range.h"
#include "show.h"
#include "uffdscope.h"

static const char *const columns[] = {
	"start", "end", "prot", "backing", "uffd_missing", "uffd_wp", "uffd_minor",
	"vm_flags", NULL
};

/* "missing,wp", or "-" for an unregistered VMA. */
static const char *uffd_modes(const struct line *l, char *buf, int size)
{
	snprintf(buf, size, "%s%s%s",
		 line_is(l, "uffd_missing", "1") ? ",missing" : "",
		 line_is(l, "uffd_wp", "1") ? ",wp" : "",
		 line_is(l, "uffd_minor", "1") ? ",minor" : "");
	return buf[0] ? buf + 1 : "-";
}

int cmd_vmas(int argc, char **argv)
{
	struct answer ans;
	struct range r;
	bool has_range;
	char modes[32];
	struct json j;
	pid_t pid;
	int err, i;

	err = parse_target(argc, argv, "vmas PID [RANGE]", &pid, &r, &has_range);
	if (err)
		return err;
	err = ask_vmas(pid, has_range ? &r : NULL, &ans);
	if (err)
		return err;
	if (opt.json) {
		json_begin(&j, stdout);
		json_head(&j, "vmas");
		json_int(&j, "pid", pid);
		json_arr(&j, "vmas");
		for (i = 0; i < ans.nlines; i++) {
			json_obj(&j, NULL);
			json_line(&j, &ans.lines[i]);
			json_close(&j);
		}
		json_end(&j);
	} else {
		printf("%-18s %-18s %-4s %-8s %-17s %s\n", "START", "END", "PROT",
		       "BACKING", "UFFD", "DETAILS");
		for (i = 0; i < ans.nlines; i++) {
			const struct line *l = &ans.lines[i];

			printf("%-18s %-18s %-4s %-8s %-17s ", line_get(l, "start") ?: "-",
			       line_get(l, "end") ?: "-", line_get(l, "prot") ?: "-",
			       line_get(l, "backing") ?: "-",
			       uffd_modes(l, modes, sizeof(modes)));
			print_details(stdout, l, columns);
			putchar('\n');
		}
	}
	answer_free(&ans);
	return EXIT_OK;
}
