// SPDX-License-Identifier: GPL-2.0
/*
 * Host-only unit tests of the uffdscope command's pure parts: RANGE and ADDR
 * parsing at its edges, the diagnosis of a failed debugfs access against a
 * faked system (mountinfo, securityfs's lockdown, CapEff, the module's sysfs
 * folder), and the reading of a probe program's kselftest output. Prints
 * TAP; exits 1 on any failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debugfs.h"
#include "probes.h"
#include "range.h"
#include "uffdscope.h"

struct options opt;
int fail(int code, const char *fmt, ...) { return code; }

static int n, failed;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failed |= !ok;
}

static void range_ok(const char *w, uint64_t ps, uint64_t s, uint64_t e)
{
	struct range r = { 0 };
	const char *why = "";
	int err = parse_range(w, ps, &r, &why);

	check(!err && r.start == s && r.end == e, "range '%s' -> [0x%llx, 0x%llx) (%s)", w,
	      (unsigned long long)r.start, (unsigned long long)r.end, err ? why : "ok");
}

static void range_bad(const char *w)
{
	struct range r;
	const char *why = "";

	check(parse_range(w, 4096, &r, &why) == -EINVAL, "range '%s' refused: %s", w, why);
}

static void ranges(void)
{
	range_ok("7f0000000000-7f0000010000", 4096, 0x7f0000000000, 0x7f0000010000);
	range_ok("0x1000-0x2000", 4096, 0x1000, 0x2000);
	range_ok("0x1000+4K", 4096, 0x1000, 0x2000);
	range_ok("1000+4096", 4096, 0x1000, 0x2000);
	range_ok("1000+0x1000", 4096, 0x1000, 0x2000);
	range_ok("0+2M", 4096, 0, 2 << 20);
	range_ok("0+1g", 4096, 0, 1ULL << 30);
	range_ok("1G-2G", 4096, 1ULL << 30, 2ULL << 30);
	range_ok("7f0000001234", 4096, 0x7f0000001000, 0x7f0000002000);
	range_ok("7f0000005234", 16384, 0x7f0000004000, 0x7f0000008000);
	range_ok("0-ffffffffffffffff", 4096, 0, UINT64_MAX);
	range_ok("fffffffffffff000+4095", 4096, 0xfffffffffffff000, UINT64_MAX);
	range_bad("");
	range_bad("-");
	range_bad("+");
	range_bad("1000-");
	range_bad("-1000");
	range_bad("1000+");
	range_bad("2000-1000");
	range_bad("1000-1000");
	range_bad("1000+0");
	range_bad("1000+0K");
	range_bad("1000-2000-3000");
	range_bad("1000+1+1");
	range_bad("1000+-1");
	range_bad("xyz");
	range_bad("0x");
	range_bad(" 1000-2000");
	range_bad("1000 -2000");
	range_bad("1000+1f");
	range_bad("10000000000000000-10000000000000001");
	range_bad("ffffffffffffffff+2");
	range_bad("1+18446744073709551616");
	range_bad("0+17179869184G");
	range_bad("fffffffffffff123");
	range_bad("1000+4KK");
}

/* A faked system for diagnose(): files written into a scratch folder. */
static char root[64];
static struct sys_paths fake;

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void diagnosis(int err, const char *stage, int want, const char *what)
{
	struct diagnosis d;

	diagnose(&fake, "ptes", stage, err, "pid=1", &d);
	check(d.code == want, "%s: exit %d (want %d): %s", what, d.code, want, d.msg);
}

#define P(name) ({ static char p_[128]; snprintf(p_, sizeof(p_), "%s/%s", root, name); p_; })

static void diagnoses(void)
{
	char mounted[256];

	snprintf(root, sizeof(root), "/tmp/uffdscope-unit.XXXXXX");
	if (!mkdtemp(root))
		exit(1);
	fake.debugfs = "/sys/kernel/debug";
	fake.mountinfo = P("mountinfo");
	fake.module = P("module");
	fake.lockdown = P("lockdown");
	fake.status = P("status");
	snprintf(mounted, sizeof(mounted),
		 "33 22 0:7 / /sys/kernel/debug rw,nosuid - debugfs debugfs rw\n");
	put("mountinfo", "22 1 0:21 / /sys rw - sysfs sysfs rw\n");
	put("status", "Name:\tx\nCapEff:\t000001ffffffffff\n");
	diagnosis(ENOENT, "open", EXIT_NO_DEBUGFS, "no debugfs");
	put("mountinfo", mounted);
	diagnosis(ENOENT, "open", EXIT_NO_MODULE, "debugfs, no module");
	put("lockdown", "none [integrity] confidentiality\n");
	diagnosis(ENOENT, "open", EXIT_LOCKDOWN, "no module under lockdown (refused unsigned)");
	put("lockdown", "[none] integrity confidentiality\n");
	diagnosis(ENOENT, "open", EXIT_NO_MODULE, "no module, lockdown none");
	mkdir(P("module"), 0755);
	diagnosis(ENOENT, "open", EXIT_ERROR, "module without that file");
	put("lockdown", "none [integrity] confidentiality\n");
	diagnosis(EPERM, "open", EXIT_LOCKDOWN, "lockdown integrity");
	put("lockdown", "none integrity [confidentiality]\n");
	diagnosis(EPERM, "open", EXIT_LOCKDOWN, "lockdown confidentiality");
	put("lockdown", "[none] integrity confidentiality\n");
	diagnosis(EPERM, "open", EXIT_ERROR, "EPERM, no lockdown, capable");
	put("status", "Name:\tx\nCapEff:\t0000000000000000\n");
	diagnosis(EPERM, "open", EXIT_NO_CAPABILITY, "EPERM without CAP_SYS_ADMIN");
	diagnosis(EACCES, "open", EXIT_NO_CAPABILITY, "EACCES without CAP_SYS_ADMIN");
	put("status", "CapEff:\t0000000000200000\n");
	diagnosis(EPERM, "query", EXIT_ERROR, "CAP_SYS_ADMIN alone, no lockdown");
	diagnosis(EACCES, "query", EXIT_NO_CAPABILITY, "another process without CAP_SYS_PTRACE");
	put("status", "CapEff:\t0000000000280000\n");
	diagnosis(EACCES, "query", EXIT_ERROR, "EACCES with CAP_SYS_ADMIN and CAP_SYS_PTRACE");
	diagnosis(ESRCH, "query", EXIT_NO_PROCESS, "ESRCH");
	diagnosis(ENXIO, "query", EXIT_NO_PROCESS, "kernel thread");
	diagnosis(ERANGE, "query", EXIT_USAGE, "beyond TASK_SIZE");
	diagnosis(EINVAL, "query", EXIT_ERROR, "refused query");
	diagnosis(EIO, "read", EXIT_ERROR, "other errno");
}

static void probe_output(void)
{
	static const char out[] =
		"TAP version 13\n1..4\n"
		"# Starting 4 tests from 1 test cases.\n"
		"#  RUN           global.has_it ...\n"
		"# behaviour: WP-PAGEMAP\n"
		"#            OK  global.has_it\n"
		"ok 1 global.has_it\n"
		"#  RUN           fix.var.lacks_it ...\n"
		"# behaviour: COLLAPSE-UFFD-MISSING\n"
		"# absent: COLLAPSE-UFFD-MISSING: MADV_COLLAPSE returned 0, expected EBUSY\n"
		"# t.c:10:lacks_it:Expected 0 (0) == __holds (0)\n"
		"#          FAIL  fix.var.lacks_it\n"
		"not ok 2 fix.var.lacks_it\n"
		"#  RUN           global.cannot ...\n"
		"#      SKIP      no uffd-wp here\n"
		"#            OK  global.cannot\n"
		"ok 3 global.cannot # SKIP no uffd-wp here\n"
		"#  RUN           global.broken ...\n"
		"# behaviour: WP-FORK\n"
		"not ok 4 global.broken\n"
		"#  RUN           global.known ...\n"
		"# behaviour: WP-FORK\n"
		"# absent: WP-FORK: stale uffd-wp bit in the child\n"
		"ok 5 global.known # XFAIL known on 6.1\n"
		"#  RUN           global.measured ...\n"
		"# behaviour: FAULT-AROUND-UFFD\n"
		"# value: FAULT-AROUND-UFFD missing=16\n"
		"# verdict: COLLAPSE-UFFD-MISSING\n"
		"ok 6 global.measured\n";
	struct probes p = { 0 };
	char *text = strdup(out);

	probes_parse(&p, 0, text);
	check(p.ncases == 6, "6 cases parsed (%d)", p.ncases);
	if (p.ncases == 6) {
		check(p.cases[0].status == CASE_PASS && p.cases[0].nrows == 1 &&
		      !strcmp(p.cases[0].rows[0], "WP-PAGEMAP"), "pass names WP-PAGEMAP");
		check(p.cases[1].status == CASE_ABSENT && p.cases[1].nabsent == 1 &&
		      !strcmp(p.cases[1].evidence[0], "MADV_COLLAPSE returned 0, expected EBUSY"),
		      "absent with evidence '%s'", p.cases[1].evidence[0]);
		check(p.cases[2].status == CASE_SKIP &&
		      !strcmp(p.cases[2].reason, "no uffd-wp here"),
		      "skip with reason '%s'", p.cases[2].reason);
		check(p.cases[3].status == CASE_FAIL, "failure without absent is a failure");
		check(p.cases[4].status == CASE_ABSENT && p.cases[4].nabsent == 1,
		      "XFAIL with absent lines is an absence");
		check(p.cases[5].status == CASE_PASS && p.cases[5].nvalues == 1 &&
		      !strcmp(p.cases[5].values[0], "FAULT-AROUND-UFFD missing=16") &&
		      p.cases[5].nrows == 1, "value kept, verdict names no row (%d rows)",
		      p.cases[5].nrows);
	}
	free(text);
	probes_free(&p);
}

int main(void)
{
	char cmd[128];

	printf("TAP version 13\n");
	ranges();
	diagnoses();
	probe_output();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		failed = 1;
	printf("1..%d\n", n);
	return failed;
}
