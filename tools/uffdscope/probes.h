/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report's probes are the suite's own test programs: each prints
 * "# behaviour: ROW" for the catalog row a test checks and, when the kernel
 * lacks it, "# absent: ROW: evidence" (and "# value: ROW TEXT" for what it
 * measured; "# verdict: ROW" tests check the module, never the row); the
 * kselftest harness gives each test an ok / not ok / # SKIP / # XFAIL line.
 * This runs them within a time budget and reads those lines back, as
 * scripts/results.py does for the VMs.
 */
#ifndef UFFDSCOPE_PROBES_H
#define UFFDSCOPE_PROBES_H

#include <stdbool.h>

enum case_status { CASE_CRASH, CASE_PASS, CASE_FAIL, CASE_SKIP, CASE_ABSENT };
enum prog_status { PROG_PASS, PROG_FAIL, PROG_SKIP, PROG_TIMEOUT, PROG_NOT_RUN };

#define CASE_MAX_ROWS 8

struct probe_case {
	int prog;			/* index in probes.progs */
	char name[160];
	enum case_status status;
	char reason[256];		/* skip reason, or the absent evidence */
	int nrows;
	char rows[CASE_MAX_ROWS][48];	/* rows it names, behaviour or absent */
	int nabsent;
	char absent[CASE_MAX_ROWS][48];
	char evidence[CASE_MAX_ROWS][200];
	int nvalues;
	char values[CASE_MAX_ROWS][120];	/* "# value: ROW TEXT" lines */
};

struct probe_prog {
	char name[64];
	enum prog_status status;
	int exit;			/* exit code, or -signal */
	double seconds;
	char restored[256];		/* knobs put back after it */
};

struct probes {
	int nprogs, ncases;
	struct probe_prog *progs;
	struct probe_case *cases;
};

/*
 * Run every program of @dir that can decide a row (its binary holds the
 * "# behaviour: " format; never the command's own test, the demo and
 * benchmark programs) one after the other within @budget seconds.
 */
int probes_run(const char *dir, unsigned int budget, struct probes *p);
/* Parse one program's output @text into cases (exposed for the tests). */
void probes_parse(struct probes *p, int prog, char *text);
void probes_free(struct probes *p);

#endif /* UFFDSCOPE_PROBES_H */
