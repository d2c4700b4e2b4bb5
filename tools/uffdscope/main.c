// SPDX-License-Identifier: GPL-2.0
/*
 * uffdscope: what the page tables of a process hold, and what the running
 * kernel's fault-around and MADV_COLLAPSE will do there, from uffdscope.ko's
 * debugfs files; and a report of which catalog behaviours this kernel has.
 * This file reads the command line and hands over to one subcommand.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "uffdscope.h"

struct options opt = {
	.none = -1,
	.cols = 64,
	.budget = 60,
	.command = "",
};

static const char usage_text[] =
"usage: uffdscope [OPTIONS] COMMAND [ARGS]\n"
"\n"
"  ptes PID [RANGE]     page-table entries: level, kind, uffd-wp, THP, markers, swap\n"
"  vmas PID             VMAs with their userfaultfd registration and THP eligibility\n"
"  explain PID ADDR     fault-around and MADV_COLLAPSE verdicts at ADDR, with reasons\n"
"  map PID [RANGE]      one glyph per page (or group of pages), with a legend\n"
"  report               which catalog behaviours the running kernel has\n"
"\n"
"RANGE is START-END or START+LEN (or one address: its page). Addresses are\n"
"hexadecimal (0x optional, as in /proc/PID/maps); LEN is decimal unless 0x.\n"
"K, M and G multiply by 2^10, 2^20, 2^30.\n"
"\n"
"Options:\n"
"  --json               one JSON document on stdout (schema: uffdscope, version 1)\n"
"  --raw                ask for pfn= and raw= where the module gates them (raw=1)\n"
"  --entries            ptes: one line per entry instead of per run of like entries\n"
"  --none, --no-none    ptes: show or hide none entries (default: shown with a RANGE)\n"
"  --color[=WHEN]       map: auto (default: on a terminal), always, never\n"
"  --cols N             map: glyphs per line (default 64)\n"
"  --per N              map: pages per glyph (default: chosen to fit)\n"
"  --budget SECONDS     report: time for all probes (default 60)\n"
"  --tests DIR          report: the probe programs (default: ../libexec/uffdscope)\n"
"  --catalog FILE       report: the catalog (default: ../share/uffdscope/behaviours.tsv)\n"
"  -h, --help           this text\n"
"\n"
"Exit: 0 ok, 1 error, 2 usage, 3 no such process, 4 module not loaded,\n"
"5 debugfs not mounted, 6 lockdown, 7 no CAP_SYS_ADMIN (or CAP_SYS_PTRACE for\n"
"another process), 8 report: a row absent.\n"
"See uffdscope(1) and Documentation/tools.rst.\n";

int fail(int code, const char *fmt, ...)
{
	static const char *const names[] = {
		[EXIT_ERROR] = "error", [EXIT_USAGE] = "usage",
		[EXIT_NO_PROCESS] = "no-process", [EXIT_NO_MODULE] = "no-module",
		[EXIT_NO_DEBUGFS] = "no-debugfs", [EXIT_LOCKDOWN] = "lockdown",
		[EXIT_NO_CAPABILITY] = "no-capability", [EXIT_ABSENT] = "absent",
	};
	char msg[512];
	struct json j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "uffdscope: %s\n", msg);
	if (opt.json) {
		json_begin(&j, stdout);
		json_head(&j, opt.command);
		json_obj(&j, "error");
		json_int(&j, "exit", code);
		json_str(&j, "name", code > 0 && code <= EXIT_ABSENT ? names[code] : "error");
		json_str(&j, "message", msg);
		json_end(&j);
	}
	return code;
}

static int parse_uint(const char *word, const char *what, unsigned long long max,
		      unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(word, &end, 0);
	if (errno || *end || end == word || word[0] == '-' || *out == 0 || *out > max)
		return fail(EXIT_USAGE, "bad %s '%s'", what, word);
	return 0;
}

static int parse_options(int argc, char **argv)
{
	enum { O_JSON = 256, O_RAW, O_ENTRIES, O_NONE, O_NO_NONE, O_COLOR, O_COLS,
	       O_PER, O_BUDGET, O_TESTS, O_CATALOG };
	static const struct option longs[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "raw", no_argument, NULL, O_RAW },
		{ "entries", no_argument, NULL, O_ENTRIES },
		{ "none", no_argument, NULL, O_NONE },
		{ "no-none", no_argument, NULL, O_NO_NONE },
		{ "color", optional_argument, NULL, O_COLOR },
		{ "colour", optional_argument, NULL, O_COLOR },
		{ "cols", required_argument, NULL, O_COLS },
		{ "per", required_argument, NULL, O_PER },
		{ "budget", required_argument, NULL, O_BUDGET },
		{ "tests", required_argument, NULL, O_TESTS },
		{ "catalog", required_argument, NULL, O_CATALOG },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	unsigned long long v;
	int c;

	opterr = 0;
	/* One option per call: the caller decides what is a word. */
	c = getopt_long(argc, argv, "+h", longs, NULL);
	if (c != -1) {
		switch (c) {
		case O_JSON:
			opt.json = true;
			break;
		case O_RAW:
			opt.raw = true;
			break;
		case O_ENTRIES:
			opt.entries = true;
			break;
		case O_NONE:
			opt.none = 1;
			break;
		case O_NO_NONE:
			opt.none = 0;
			break;
		case O_COLOR:
			if (!optarg || !strcmp(optarg, "always"))
				opt.color = COLOR_ALWAYS;
			else if (!strcmp(optarg, "never"))
				opt.color = COLOR_NEVER;
			else if (!strcmp(optarg, "auto"))
				opt.color = COLOR_AUTO;
			else
				return fail(EXIT_USAGE, "--color takes auto, always or never");
			break;
		case O_COLS:
			if (parse_uint(optarg, "--cols", 4096, &v))
				return EXIT_USAGE;
			opt.cols = v;
			break;
		case O_PER:
			if (parse_uint(optarg, "--per", 1ULL << 52, &v))
				return EXIT_USAGE;
			opt.per = v;
			break;
		case O_BUDGET:
			if (parse_uint(optarg, "--budget", 86400, &v))
				return EXIT_USAGE;
			opt.budget = v;
			break;
		case O_TESTS:
			opt.tests_dir = optarg;
			break;
		case O_CATALOG:
			opt.catalog = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		default:
			return fail(EXIT_USAGE, "unknown option '%s' (see uffdscope --help)",
				    argv[optind - 1]);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "ptes", cmd_ptes }, { "vmas", cmd_vmas }, { "explain", cmd_explain },
		{ "map", cmd_map }, { "report", cmd_report },
	};
	int words = 0, err, i, k;
	char **word;

	/*
	 * Options may come before or after the command: collect the other
	 * words. A word starting with '-' and a digit is a (bad) RANGE, not
	 * an option; after "--" everything is a word.
	 */
	word = calloc(argc + 1, sizeof(*word));
	if (!word)
		return fail(EXIT_ERROR, "out of memory");
	for (optind = 1; optind < argc;) {
		const char *a = argv[optind];

		if (!strcmp(a, "--")) {
			while (++optind < argc)
				word[words++] = argv[optind];
			break;
		}
		if (a[0] != '-' || !a[1] || isxdigit((unsigned char)a[1]) || a[1] == '+') {
			word[words++] = argv[optind++];
			continue;
		}
		err = parse_options(argc, argv);
		if (err)
			return err;
	}
	if (!words) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < (int)(sizeof(cmds) / sizeof(cmds[0])); i++) {
		if (strcmp(word[0], cmds[i].name))
			continue;
		opt.command = cmds[i].name;
		k = cmds[i].run(words - 1, word + 1);
		free(word);
		return k;
	}
	return fail(EXIT_USAGE, "unknown command '%s' (see uffdscope --help)", word[0]);
}
