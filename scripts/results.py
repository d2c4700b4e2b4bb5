#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn test-VM consoles into results, and results into the kernel-by-behaviour table.

  results.py parse CONSOLE_LOG --kernel-id ID ... --out RESULT.json
  results.py table RESULT.json ... [--mutation]

`parse` reads one console (the guest's KTAP block between @@UFFDSCOPE-BEGIN/END, nested
kselftest output behind "# ", the kernel log between @@DMESG markers and the taint mask)
and writes one JSON file. `table` prints, over every kernel given: test case by kernel,
behaviour by kernel, timings, the details of each failure, and last the plain line
"N passed, N failed, N skipped" that CI reads. Both exit 1 when anything failed.

A failed test whose `# absent: ROW:` lines all name rows that scripts/expected-absent.txt
expects absent on that kernel is a known kernel difference: it counts as passed and shows
as "absent". An expected-absent row that no test found absent is a failure (the kernel or
the expectation changed), and so is an absence nobody expected.

When the run also ran `uffdscope report --json` (the lines between @@REPORT-BEGIN and
@@REPORT-END, after the suite in the same boot), `parse` compares the report's status of each
row with the suite's cell and adds one test case per row compared, program "uffdscope_report":
pass when they agree, FAIL naming the row and both values when they do not, SKIP when the
report could not decide the row (its time budget ran out first) and says so.

What tests print besides KTAP:
  # behaviour: ROW          this test observes the kernel's behaviour ROW (decides the row)
  # absent: ROW: EVIDENCE   ... and the kernel lacks it
  # verdict: ROW            this test checks the module's prediction about ROW: it never
                            decides the row, its failures are the module's
  # value: ROW TEXT         what the kernel measured for ROW (e.g. "missing=16"), shown
The rows and their order come from catalog/behaviours.tsv; a row a test names that the
catalog lacks is a failure of the run.
"""
import argparse
import fnmatch
import json
import os
import re
import sys

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "catalog", "behaviours.tsv")

# What in a kernel log means the run is not clean, whatever the tests said.
LOG_PROBLEMS = [
    ("BUG", re.compile(r"\bBUG:")),
    ("WARNING", re.compile(r"\bWARNING:")),
    ("Oops", re.compile(r"\bOops\b|Unable to handle kernel|general protection fault")),
    ("Bad rss-counter", re.compile(r"Bad rss-counter")),
    ("soft lockup", re.compile(r"soft lockup|hard LOCKUP|hung_task|blocked for more than")),
    ("RCU stall", re.compile(r"rcu.*(self-)?detected stall|RCU Stall|rcu_sched detected")),
    ("Kernel panic", re.compile(r"Kernel panic")),
    ("KASAN", re.compile(r"KASAN:")),
    ("UBSAN", re.compile(r"UBSAN:")),
    ("lockdep", re.compile(r"possible (circular|recursive) locking|inconsistent lock state|"
                           r"suspicious RCU usage|lock held when returning")),
]
# Taint bits the runner expects: O (out-of-tree module) and E (unsigned module).
ALLOWED_TAINT = (1 << 12) | (1 << 13)
TAINT_FLAGS = "PFSRMBUDAWCIOELKXTN"

PASSED = {"pass", "absent-expected"}
SKIPPED = {"skip"}


def taint_letters(mask):
    return "".join(f for i, f in enumerate(TAINT_FLAGS) if mask & (1 << i)) or "-"


def load_expected(path):
    """(kernel glob, row, why) triples; '#' starts a comment."""
    out = []
    if not path:
        return out
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 2)
            if len(parts) < 2:
                sys.exit(f"{path}: malformed line: {line!r}")
            out.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return out


def load_catalog(path):
    """Catalog rows in order: {id: {"since", "upstream", "summary"}}."""
    rows = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "id":
                continue
            if len(parts) != 4:
                sys.exit(f"{path}: a row needs 4 tab-separated columns: {line!r}")
            rows[parts[0]] = {"since": parts[1], "upstream": parts[2], "summary": parts[3]}
    return rows


def programs_naming(row, top=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")):
    """The selftest programs whose source names @row in BEHAVIOUR() or ASSERT_BEHAVIOUR():
    read from the text, not run. The documentation lists them; scripts/run-mutants.sh runs
    them on a reference kernel, where the `# behaviour:` lines they print decide."""
    import glob
    progs = []
    for path in sorted(glob.glob(os.path.join(top, "selftests", "*.c"))):
        with open(path, errors="replace") as f:
            text = f.read()
        if re.search(r'"%s"' % re.escape(row), text) and "BEHAVIOUR" in text:
            progs.append(os.path.basename(path)[:-2])
    return progs


def expected_rows(expected, kernel_id):
    return {row: why for glob, row, why in expected if fnmatch.fnmatch(kernel_id, glob)}


class Case:
    def __init__(self, prog, name):
        self.prog, self.name = prog, name
        self.status, self.reason = "crash", ""
        self.behaviours, self.absent, self.log = [], [], []
        self.verdicts, self.values = [], []

    def json(self):
        return {"program": self.prog, "name": self.name, "status": self.status,
                "reason": self.reason, "behaviours": self.behaviours,
                "absent": self.absent, "verdicts": self.verdicts, "values": self.values,
                "log": self.log[-40:]}


RESULT = re.compile(r"^(not ok|ok) \d+ (\S+)(?: # (\w+)\s*(.*))?$")


def parse_ktap(lines, programs):
    """Programs and cases from the guest's KTAP block."""
    cases, progs = [], {}
    prog, cur, ptime = None, None, {}
    for line in lines:
        if line.startswith("# selftests: uffdscope: "):
            prog, cur = line.split(": ", 2)[2].strip(), None
            progs[prog] = {"status": "crash", "reason": "no result (VM died or hung)"}
            continue
        if prog is None:
            continue
        if not line.startswith("#"):
            top = re.match(r"^(not ok|ok) \d+ selftests: uffdscope: (\S+)(?: # (\S+)\s*(.*))?$", line)
            if top:
                ok, name, directive, rest = top.groups()
                st = "pass" if ok == "ok" else "fail"
                if directive == "SKIP":
                    st = "skip"
                elif directive == "TIMEOUT":
                    st = "timeout"
                progs[name] = {"status": st, "reason": " ".join(x for x in (directive, rest) if x and directive != "SKIP") or ""}
                if cur is not None and cur.status == "crash":
                    cur.status = "timeout" if st == "timeout" else "crash"
                prog, cur = None, None
            continue
        inner = line[2:] if line.startswith("# ") else line[1:]
        if inner.startswith("uffdscope-time: "):
            ptime[prog] = inner.split()[-1]
            continue
        run = re.match(r"^#\s+RUN\s+(\S+) \.\.\.$", inner)
        if run:
            cur = Case(prog, run.group(1))
            cases.append(cur)
            continue
        m = RESULT.match(inner)
        if m:
            ok, name, directive, reason = m.groups()
            c = cur if cur is not None and cur.name == name else next(
                (x for x in cases if x.prog == prog and x.name == name), None)
            if c is None:
                c = Case(prog, name)
                cases.append(c)
            if directive == "SKIP":
                c.status, c.reason = "skip", reason or "no reason given"
            elif directive == "XFAIL":
                # The guest knew the absence was expected (scripts/expected-absent.txt): a
                # KTAP consumer sees XFAIL; here the absent lines decide, as for a failure.
                c.status, c.reason = "fail", reason or ""
            elif ok == "ok":
                c.status = "pass"
            else:
                c.status = "fail"
            cur = None
            continue
        if cur is None:
            continue
        b = re.match(r"^# behaviour: (\S+)", inner)
        if b:
            if b.group(1) not in cur.behaviours:
                cur.behaviours.append(b.group(1))
            continue
        a = re.match(r"^# absent: (\S+): (.*)$", inner)
        if a:
            cur.absent.append([a.group(1), a.group(2)])
        v = re.match(r"^# verdict: (\S+)", inner)
        if v and v.group(1) not in cur.verdicts:
            cur.verdicts.append(v.group(1))
        v = re.match(r"^# value: (\S+) (.*)$", inner)
        if v:
            cur.values.append([v.group(1), v.group(2)])
        cur.log.append(inner)
    for p in programs:
        progs.setdefault(p, {"status": "not run", "reason": "the VM never reached it"})
    for p, t in ptime.items():
        if p in progs:
            progs[p]["seconds"] = t
    return cases, progs


def parse(args):
    with open(args.console, errors="replace") as f:
        lines = [l.rstrip("\r\n").replace("\r", "") for l in f]
    # Firmware and console escape sequences can share a line with the first marker.
    lines = [l[l.index("@@UFFDSCOPE"):] if "@@UFFDSCOPE" in l else l for l in lines]
    programs = args.programs.split()
    res = {"id": args.kernel_id, "release": args.release, "arch": args.arch,
           "module": args.module, "vm_exit": args.vm_exit,
           "vm_seconds": args.vm_seconds, "build_seconds": args.build_seconds,
           "issues": []}
    issues = res["issues"]

    def marker(prefix):
        return next((l for l in lines if l.startswith(prefix)), None)

    booted = marker("@@UFFDSCOPE-BOOTED")
    begin = next((i for i, l in enumerate(lines) if l == "@@UFFDSCOPE-BEGIN"), None)
    end = next((i for i, l in enumerate(lines) if l.startswith("@@UFFDSCOPE-END")), None)
    up = lambda l: float(l.rsplit("uptime=", 1)[1]) if l and "uptime=" in l else None
    res["boot_seconds"] = up(booted)
    if booted and end is not None and up(booted) is not None:
        res["test_seconds"] = round(up(lines[end]) - up(booted), 1)
    if args.vm_exit == 124:
        issues.append("VM timeout: killed by the host after its time limit")
    elif args.vm_exit == 125:
        issues.append("VM silent: its console printed nothing for longer than any program may"
                      " take (a kernel or QEMU hang); killed by the host, see console.log")
    hung = marker("@@HUNG ")
    if hung:
        issues.append(f"program {hung.split()[1]} hung in the kernel: SIGKILL did not end it"
                      " (where the tasks and CPUs were: sysrq w and l in the kernel log)")
    if not booted:
        issues.append("the kernel never reached the test init (see console.log)")
    if args.module == "yes" and booted:
        if marker("@@UFFDSCOPE-LOAD-FAILED") or not marker("@@UFFDSCOPE-LOADED"):
            issues.append("uffdscope.ko did not load")
        elif end is not None and not marker("@@UFFDSCOPE-UNLOADED"):
            issues.append("uffdscope.ko did not unload after the suite")
    for l in lines:
        if l.startswith("@@MODULE-FAILED"):
            issues.append(f"kernel module {l.split()[1]} did not load")
    res["version"] = [l[len("@@VERSION "):] for l in lines if l.startswith("@@VERSION ")]

    ktap = lines[begin + 1:end if end is not None else len(lines)] if begin is not None else []
    cases, progs = parse_ktap(ktap, programs)
    res["programs"] = progs
    for p, r in progs.items():
        if r["status"] in ("fail", "timeout", "crash", "not run"):
            ran = [c for c in cases if c.prog == p]
            if r["status"] != "fail" or not ran or all(c.status in PASSED | SKIPPED for c in ran):
                issues.append(f"program {p}: {r['status']} {r.get('reason', '')}".rstrip())

    # The kernel log: the dump when the guest got that far, else the whole console.
    dstart = next((i for i, l in enumerate(lines) if l == "@@DMESG-BEGIN"), None)
    dend = next((i for i, l in enumerate(lines) if l == "@@DMESG-END"), None)
    klog = lines[dstart + 1:dend] if dstart is not None and dend is not None else lines
    if args.no_kernel:
        klog = []
    found = []
    for l in klog:
        for name, rx in LOG_PROBLEMS:
            if rx.search(l):
                found.append(l.strip())
                break
    res["log_problems"] = found[:50]
    if found:
        issues.append(f"kernel log: {len(found)} problem line(s), first: {found[0]}")
    t = marker("@@TAINT ")
    if t:
        mask = int(t.split()[1])
        res["taint"] = mask
        if args.taint_baseline is not None:
            mask &= ~args.taint_baseline
        if mask & ~ALLOWED_TAINT:
            issues.append(f"unexpected taint {mask} ({taint_letters(mask)}): only O and E are expected")
    elif booted and end is not None and not args.no_kernel:
        issues.append("no taint mask reported")

    if args.kunit_ran not in (None, "") and booted and end is not None:
        # The kernel's own KTAP parser (kunit.py parse) must see every program we ran.
        if int(args.kunit_ran) != len(programs):
            issues.append(f"the kernel's KTAP parser (kunit.py parse) saw {args.kunit_ran} of"
                          f" {len(programs)} programs in console.log")
    expected = expected_rows(load_expected(args.expected), args.kernel_id)
    classify(cases, expected)
    res["cases"] = [c.json() for c in cases]
    res["rows"] = rows_of(res["cases"], expected, issues)
    agreement = []
    if args.report == "yes" and booted and end is not None and not hung:
        agreement = report_agreement(lines, res, issues)
        res["cases"] += [c.json() for c in agreement]
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    if not args.quiet:
        for l in ktap:
            print(l)
    summary = count([res])
    print(f"{args.kernel_id}: {summary[0]} passed, {summary[1]} failed, {summary[2]} skipped"
          f" (build {args.build_seconds}s, VM {args.vm_seconds}s)")
    for i in issues:
        print(f"  ! {i}")
    if "report" in res:
        n = {st: sum(c.status == st for c in agreement) for st in ("pass", "fail", "skip")}
        print(f"  uffdscope report: {n['pass']} rows agree with the suite, {n['fail']} disagree,"
              f" {n['skip']} undecided by the report (report {res['report'].get('seconds', '?')}s,"
              f" budget {res['report'].get('budget', '?')}s, exit {res['report'].get('exit', '?')})")
        for c in agreement:
            if c.status != "pass":
                print(f"  {'!' if c.status == 'fail' else '-'} uffdscope report, {c.name}: {c.reason}")
    return 1 if summary[1] else 0


# The suite's cell (rows_of) as the report's status (Documentation/tools.rst, report).
SUITE_AS_REPORT = {"present": "present", "PRESENT?": "present", "ABSENT": "absent",
                   "absent": "absent", "unsupported": "unsupported", "FAIL": "fail"}


def report_agreement(lines, res, issues):
    """Compare `uffdscope report --json` (run after the suite, in the same boot) with the
    suite's rows: one Case per row either of them decided."""
    rb = next((l for l in lines if l.startswith("@@REPORT-BEGIN")), None)
    re_ = next((l for l in lines if l.startswith("@@REPORT-END")), None)
    if rb is None or re_ is None:
        issues.append("uffdscope report did not run to its end after the suite"
                      " (no @@REPORT-BEGIN/END in console.log)")
        return []
    fields = dict(w.split("=", 1) for w in (rb + " " + re_).split() if "=" in w)
    info = res["report"] = {"budget": fields.get("budget"), "exit": fields.get("exit")}
    up = re.findall(r"uptime=([0-9.]+)", rb + " " + re_)
    if len(up) == 2:
        info["seconds"] = round(float(up[1]) - float(up[0]), 1)
    text = "\n".join(l[len("@@REPORT "):] for l in lines if l.startswith("@@REPORT "))
    err = [l[len("@@REPORT-STDERR "):] for l in lines if l.startswith("@@REPORT-STDERR ")]
    try:
        doc = json.loads(text)
    except ValueError as e:
        issues.append(f"uffdscope report (exit {info['exit']}) printed no JSON document ({e})"
                      + (f": {err[0]}" if err else ""))
        return []
    if "error" in doc or not isinstance(doc.get("rows"), list):
        issues.append(f"uffdscope report failed (exit {info['exit']}):"
                      f" {doc.get('error', {}).get('message', 'no rows in its JSON')}")
        return []
    info["programs"] = doc.get("programs", [])
    info["rows"] = {r["id"]: {"status": r["status"], "why": r.get("why", "")} for r in doc["rows"]}
    suite = {r: SUITE_AS_REPORT.get(v["cell"], v["cell"]) for r, v in res["rows"].items()}
    out = []
    for row in list(info["rows"]) + [r for r in suite if r not in info["rows"]]:
        s = suite.get(row)
        r = info["rows"].get(row, {"status": "missing", "why": "the report has no such row"})
        said = f"uffdscope report says {r['status']}" + (f" ({r['why']})" if r["why"] else "")
        c = Case("uffdscope_report", row)
        if s is None and r["status"] == "unknown":
            continue            # neither decided it (no program of this run names the row)
        if r["status"] == "unknown":
            c.status, c.reason = "skip", f"the suite says {s}; {said}"
        elif s is None:
            # A test that skips in its fixture setup never names its row: the report may
            # only call that unsupported, with the skip reason, never decide it.
            ok = r["status"] == "unsupported"
            c.status = "pass" if ok else "fail"
            c.reason = f"no test of the suite named it; {said}"
        else:
            c.status = "pass" if r["status"] == s else "fail"
            c.reason = f"the suite says {s} ({', '.join(res['rows'][row]['cases'][:3])}); {said}"
        out.append(c)
    return out


def classify(cases, expected):
    for c in cases:
        if c.status == "fail" and c.absent:
            rows = {r for r, _ in c.absent}
            c.status = "absent-expected" if rows <= set(expected) else "absent"
            c.reason = "; ".join(f"{r}: {e}" for r, e in c.absent)


def rows_of(cases, expected, issues):
    """Per catalog row: present, absent, unsupported or FAIL, with the evidence."""
    rows = {}
    for c in cases:
        for r in c["behaviours"] + [a for a, _ in c["absent"]]:
            rows.setdefault(r, []).append(c)
    out = {}
    for r, cs in sorted(rows.items()):
        st = {c["status"] for c in cs}
        if st & {"fail", "timeout", "crash", "absent"}:
            cell = "ABSENT" if "absent" in st else "FAIL"
        elif "absent-expected" in st:
            cell = "absent"
        elif st <= {"skip"}:
            cell = "unsupported"
        else:
            cell = "present"
        if r in expected and cell == "present":
            cell = "PRESENT?"
            issues.append(f"{r} is expected absent here ({expected[r]}) but every test of it passed:"
                          " the kernel changed or scripts/expected-absent.txt is wrong")
        out[r] = {"cell": cell, "cases": [f"{c['program']}:{c['name']}" for c in cs]}
    return out


def count(results):
    p = f = s = 0
    for res in results:
        for c in res["cases"]:
            if c["status"] in PASSED:
                p += 1
            elif c["status"] in SKIPPED:
                s += 1
            else:
                f += 1
        f += len(res["issues"])
    return p, f, s


CELL = {"pass": "pass", "skip": "skip", "fail": "FAIL", "timeout": "TIMEOUT", "crash": "CRASH",
        "absent": "ABSENT", "absent-expected": "absent"}


def short(res):
    return re.sub(r"\+deb\d+", "", res["id"])


def print_table(title, rows, cols, cell):
    if not rows:
        return
    w0 = max(len(title), *(len(r) for r in rows))
    ws = [max(len(c), 10) for c in cols]
    print(f"{title:<{w0}}  " + "  ".join(f"{c:<{w}}" for c, w in zip(cols, ws)))
    for r in rows:
        print(f"{r:<{w0}}  " + "  ".join(f"{cell(r, i):<{w}}" for i, w in enumerate(ws)))
    print()


def table(args):
    results = []
    for path in args.results:
        with open(path) as f:
            results.append(json.load(f))
    cols = [short(r) for r in results]

    # A test that skips in its fixture setup never names its row; take the row from the
    # same test on another kernel, so the row reads "unsupported" there rather than "-".
    rows_by_case = {}
    for r in results:
        for c in r["cases"]:
            rows_by_case.setdefault(f"{c['program']}:{c['name']}", set()).update(c["behaviours"])
    for r in results:
        for c in r["cases"]:
            if not c["behaviours"]:
                c["behaviours"] = sorted(rows_by_case.get(f"{c['program']}:{c['name']}", ()))
        kept = r["rows"]
        r["rows"] = rows_of(r["cases"], {}, [])
        for row, v in kept.items():
            if v["cell"] == "PRESENT?":
                r["rows"][row] = v

    case_names = []
    for r in results:
        for c in r["cases"]:
            k = f"{c['program']}:{c['name']}"
            if k not in case_names:
                case_names.append(k)

    def case_cell(name, i):
        c = next((c for c in results[i]["cases"] if f"{c['program']}:{c['name']}" == name), None)
        return CELL.get(c["status"], c["status"]) if c else "-"

    print("== test case by kernel ==")
    print_table("test case", case_names, cols, case_cell)

    catalog = load_catalog(args.catalog)
    seen = {r for res in results for r in res["rows"]}
    unknown = sorted(seen - set(catalog))
    rows = list(catalog) + unknown
    if not args.all_rows:
        rows = [r for r in rows if r in seen]

    def row_cell(row, i):
        return results[i]["rows"].get(row, {}).get("cell", "-")

    print("== behaviour by kernel (present / absent: known kernel difference / unsupported / FAIL) ==")
    print_table("behaviour", rows, cols, row_cell)
    values = {}
    for res in results:
        for c in res["cases"]:
            for row, text in c.get("values", []):
                values.setdefault(row, {}).setdefault(short(res), [])
                if text not in values[row][short(res)]:
                    values[row][short(res)].append(text)
    if values:
        print("== values the kernels measured ==")
        vrows = [r for r in rows if r in values]
        print_table("behaviour", vrows, cols,
                    lambda r, i: ",".join(values[r].get(cols[i], [])) or "-")
    if args.markdown or args.json:
        conformance(args, results, cols, rows, catalog, values)

    print("== time (seconds) ==")
    keys = ["build_seconds", "vm_seconds", "boot_seconds", "test_seconds"]
    print_table("kernel", cols, ["build", "vm", "boot", "tests", "report"],
                lambda c, i: str((results[cols.index(c)].get(keys[i]) if i < 4 else
                                  results[cols.index(c)].get("report", {}).get("seconds")) or "-"))

    # Skips and known differences first, failures last: CI shows only the tail of the log,
    # and the lines just above the summary must say what went wrong, not what was skipped.
    details, failures = [], []
    for res in results:
        for i in res["issues"]:
            failures.append(f"[{short(res)}] {i}")
        for c in res["cases"]:
            if c["status"] in ("fail", "timeout", "crash", "absent"):
                failures.append(f"[{short(res)}] {c['program']}:{c['name']}: {CELL[c['status']]}"
                                + (f" ({c['reason']})" if c["reason"] else ""))
                failures.extend("      " + l for l in c["log"][-12:])
            elif c["status"] == "absent-expected":
                details.append(f"[{short(res)}] {c['program']}:{c['name']}: absent, a known kernel"
                               f" difference: {c['reason']}")
        skips = {}
        for c in res["cases"]:
            if c["status"] == "skip":
                skips.setdefault(c["reason"], []).append(f"{c['program']}:{c['name']}")
        for reason, names in skips.items():
            more = f" and {len(names) - 1} more" if len(names) > 1 else ""
            details.append(f"[{short(res)}] skipped {names[0]}{more}: {reason}")
    if details:
        print("== details ==")
        print("\n".join(details))
        print()
    if failures:
        print("== failures ==")
        print("\n".join(failures))
        print()
    p, f, s = count(results)
    for r in unknown:
        print(f"!! row {r} is named by a test but is not in catalog/behaviours.tsv")
        f += 1
    print(f"{p} passed, {f} failed, {s} skipped")
    return 1 if f else 0


def conformance(args, results, cols, rows, catalog, values):
    """The conformance table, row by kernel, as Markdown and as JSON (schema in
    Documentation/conformance.rst). Only runs on a kernel are columns: the mutation table,
    lint and the runner's own tests decide no row of a kernel. A run that failed before it
    learnt its release stays, so a red run never loses a kernel from the table."""
    keep = [i for i, r in enumerate(results) if r.get("release") or r.get("issues")]
    results = [results[i] for i in keep]
    cols = [cols[i] for i in keep]
    kernels = [{"id": r["id"], "release": r.get("release", ""), "arch": r.get("arch", ""),
                "module": r.get("module", "")} for r in results]
    out = {"schema": "uffdscope-conformance", "version": 1, "kernels": kernels, "rows": []}
    for row in rows:
        meta = catalog.get(row, {})
        cells = {}
        for res, col in zip(results, cols):
            v = res["rows"].get(row)
            if v is None:
                continue
            cells[res["id"]] = {"cell": v["cell"], "cases": v["cases"],
                                "values": values.get(row, {}).get(col, [])}
        out["rows"].append({"id": row, "since": meta.get("since", ""),
                            "upstream": meta.get("upstream", ""),
                            "summary": meta.get("summary", ""), "kernels": cells})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("| behaviour | since | " + " | ".join(cols) + " |\n")
            f.write("|---|---|" + "---|" * len(cols) + "\n")
            for row in out["rows"]:
                cells = [row["kernels"].get(r["id"], {}).get("cell", "-") for r in results]
                f.write(f"| {row['id']} | {row['since']} | " + " | ".join(cells) + " |\n")


def error(args):
    """A kernel that could not even be prepared or booted still gets a result: one failure."""
    res = {"id": args.kernel_id, "release": "", "arch": "", "cases": [], "rows": {},
           "issues": [args.message]}
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    return 1


def expected_cmd(args):
    """The rows expected absent on one kernel id, space-separated (for the guest)."""
    print(" ".join(sorted(expected_rows(load_expected(args.expected), args.kernel_id))))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("error")
    e.add_argument("--kernel-id", required=True)
    e.add_argument("--message", required=True)
    e.add_argument("--out", required=True)
    a = sub.add_parser("parse")
    a.add_argument("console")
    a.add_argument("--kernel-id", required=True)
    a.add_argument("--release", default="")
    a.add_argument("--arch", default="")
    a.add_argument("--module", default="yes")
    a.add_argument("--vm-exit", type=int, default=0)
    a.add_argument("--vm-seconds", default="")
    a.add_argument("--build-seconds", default="")
    a.add_argument("--programs", default="")
    a.add_argument("--expected", default="")
    a.add_argument("--taint-baseline", type=int, default=None)
    a.add_argument("--kunit-ran", default=None,
                   help="how many tests kunit.py parse counted in the console (empty: not run)")
    a.add_argument("--out", required=True)
    a.add_argument("--quiet", action="store_true")
    a.add_argument("--report", default="no",
                   help="yes: the console has `uffdscope report --json` to compare row by row")
    a.add_argument("--no-kernel", action="store_true",
                   help="not a kernel run (lint): no kernel log or taint to judge")
    x = sub.add_parser("expected")
    x.add_argument("--expected", required=True)
    x.add_argument("--kernel-id", required=True)
    t = sub.add_parser("table")
    t.add_argument("results", nargs="+")
    t.add_argument("--catalog", default=CATALOG)
    t.add_argument("--all-rows", action="store_true",
                   help="list every catalog row, also those no kernel ran")
    t.add_argument("--markdown", help="write the conformance table (Markdown) here")
    t.add_argument("--json", help="write the conformance table (JSON) here")
    args = ap.parse_args()
    return {"parse": parse, "table": table, "error": error, "expected": expected_cmd}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
