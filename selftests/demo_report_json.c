// SPDX-License-Identifier: GPL-2.0
/*
 * Not a test of the kernel: prints `uffdscope report --json` for the programs
 * beside it, so that scripts/report-agrees.sh can compare the report's verdict
 * for each catalog row with the suite's own table from the same VM. Named
 * demo_* so that `report` never runs it as one of its own probes.
 *
 * Output (kselftest TAP): one "# report-json: LINE" per line of the JSON
 * document, then "ok 1" when the report ran and its document was complete
 * (exit 0, or 8 when a row is absent); "not ok 1" otherwise; SKIP without
 * the command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KSFT_SKIP 4

int main(void)
{
	const char *tool = getenv("UFFDSCOPE_TOOL");
	char cmd[4096], line[65536];
	int status, lines = 0;
	FILE *f;

	if (!tool || access(tool, X_OK))
		tool = "/bin/uffdscope";
	printf("TAP version 13\n1..1\n");
	if (access(tool, X_OK)) {
		printf("ok 1 report_json # SKIP the uffdscope command is not installed (%s)\n",
		       tool);
		return KSFT_SKIP;
	}
	/* The suite's programs run one after another: give the report the time they need. */
	snprintf(cmd, sizeof(cmd), "%s report --json --budget 240", tool);
	fflush(stdout);
	f = popen(cmd, "r");
	if (!f) {
		printf("not ok 1 report_json # popen: %m\n");
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		printf("# report-json: %s", line);
		if (!strchr(line, '\n'))
			printf("\n");
		lines++;
	}
	status = pclose(f);
	if (status == -1 || !WIFEXITED(status) ||
	    (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 8) || !lines) {
		printf("not ok 1 report_json # uffdscope report: status 0x%x, %d lines\n",
		       status, lines);
		return 1;
	}
	printf("ok 1 report_json\n");
	return 0;
}
