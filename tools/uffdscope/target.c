// SPDX-License-Identifier: GPL-2.0
/* The PID and RANGE words every inspecting subcommand takes. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "range.h"
#include "uffdscope.h"

int parse_pid(const char *word, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(word, &end, 10);
	if (errno || *end || end == word || v <= 0 || v > 0x3fffffff)
		return fail(EXIT_USAGE, "'%s' is not a process id", word);
	*pid = v;
	return 0;
}

int check_process(pid_t pid)
{
	/* EPERM means the process exists but is not ours to signal. */
	if (kill(pid, 0) && errno == ESRCH)
		return fail(EXIT_NO_PROCESS, "no such process: %d", pid);
	return 0;
}

int parse_target(int argc, char **argv, const char *usage, pid_t *pid,
		 struct range *r, bool *has_range)
{
	const char *why;
	int err;

	if (argc < 1 || argc > 2)
		return fail(EXIT_USAGE, "usage: uffdscope %s", usage);
	err = parse_pid(argv[0], pid);
	if (err)
		return err;
	*has_range = argc == 2;
	if (*has_range && parse_range(argv[1], sysconf(_SC_PAGESIZE), r, &why))
		return fail(EXIT_USAGE, "bad RANGE '%s': %s", argv[1], why);
	return check_process(*pid);
}
