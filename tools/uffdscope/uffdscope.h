/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every part of the uffdscope command shares: its options, its exit
 * codes and the one way it reports a failure.
 */
#ifndef UFFDSCOPE_TOOL_H
#define UFFDSCOPE_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Exit codes, in the kselftest spirit: 0 is success, 4 (KSFT_SKIP) means
 * what the command needs is not there, and each other reason the command
 * cannot answer has a code of its own, so that scripts can tell them apart.
 */
enum tool_exit {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* anything not listed below; the message says what */
	EXIT_USAGE = 2,		/* bad option, PID, RANGE or ADDR */
	EXIT_NO_PROCESS = 3,	/* no such process, or a kernel thread */
	EXIT_NO_MODULE = 4,	/* uffdscope.ko not loaded (KSFT_SKIP) */
	EXIT_NO_DEBUGFS = 5,	/* debugfs not mounted at /sys/kernel/debug */
	EXIT_LOCKDOWN = 6,	/* kernel lockdown refuses the debugfs files */
	EXIT_NO_CAPABILITY = 7,	/* the caller lacks CAP_SYS_ADMIN */
	EXIT_ABSENT = 8,	/* report: a catalog row is absent on this kernel */
};

/* Bumped whenever a key changes meaning or goes away (Documentation/tools.rst). */
#define JSON_SCHEMA_VERSION 1

enum color_when { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct options {
	bool json;
	bool raw;		/* ask the module for pfn= and raw= (raw=1) */
	bool entries;		/* ptes: one line per entry, not per run */
	int none;		/* ptes: -1 default, 0 omit none entries, 1 show */
	enum color_when color;
	unsigned int cols;	/* map: glyphs per line */
	uint64_t per;		/* map: pages per glyph, 0: chosen to fit */
	unsigned int budget;	/* report: seconds for all probes */
	const char *tests_dir;	/* report: the probe programs */
	const char *catalog;	/* report: behaviours.tsv */
	const char *command;	/* the subcommand, for JSON and messages */
};

extern struct options opt;

/*
 * Print "uffdscope: MESSAGE" on stderr (and, with --json, an error object on
 * stdout) and return @code, for `return fail(...)` from a subcommand.
 */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The subcommands: each takes the positional words after its name. */
int cmd_ptes(int argc, char **argv);
int cmd_vmas(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Parse a PID word; returns 0 or EXIT_USAGE after saying why. */
int parse_pid(const char *word, pid_t *pid);
/* Whether @pid names a process (0) or EXIT_NO_PROCESS after saying so. */
int check_process(pid_t pid);

struct range;
/*
 * "PID [RANGE]" (@argc 1 or 2 words); @usage is the subcommand's synopsis.
 * Returns 0, or an exit code after saying why.
 */
int parse_target(int argc, char **argv, const char *usage, pid_t *pid,
		 struct range *r, bool *has_range);

#endif /* UFFDSCOPE_TOOL_H */
