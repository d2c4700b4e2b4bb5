#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The bookkeeping of scripts/run-mutants.sh, over the result.json files of scripts/run-vm.sh.

  kernel-mutation.py rows RESULT.json ...          ROW<TAB>cell<TAB>program ... per catalog row
  kernel-mutation.py verdict ROW RESULT.json ...   detected|survived|broken<TAB>tests<TAB>evidence

Several result files are one kernel's suite run one program per VM (scripts/kernel-suite.sh).
  kernel-mutation.py table RECORDS.tsv           the mutation table and the score
  kernel-mutation.py named ROW ...                 the programs whose source names a ROW: the
                                                   ones to run on a reference kernel that has
                                                   no whole-suite run (a series' mutants kernel)

Which programs test a row is read from the `# behaviour: ROW` lines the tests printed on the
unmutated kernel, never from a list kept here, so a new test joins its row by itself.

A mutant is detected when a test of its row reports the row absent (`# absent: ROW: ...`)
on it: that is the evidence the issue asks for. A test that merely fails, times out or
crashes proves less (a broken setup fails too), so it counts as "broken", not detected.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import programs_naming  # noqa: E402


def load(paths):
    """Several runs of one kernel merged into one result."""
    res = {"cases": [], "rows": {}, "programs": {}, "log_problems": []}
    rank = {"present": 0, "unsupported": 0, "-": 0, "absent": 1, "FAIL": 2, "ABSENT": 3}
    for path in paths:
        with open(path) as f:
            one = json.load(f)
        res["cases"] += one.get("cases", [])
        res["programs"].update(one.get("programs", {}))
        res["log_problems"] += one.get("log_problems", [])
        for row, v in one.get("rows", {}).items():
            old = res["rows"].get(row)
            if old is None or rank.get(v["cell"], 2) > rank.get(old["cell"], 2):
                res["rows"][row] = v
    return res


def rows(paths):
    res = load(paths)
    progs = {}
    for c in res.get("cases", []):
        for r in c["behaviours"] + [a for a, _ in c["absent"]]:
            progs.setdefault(r, [])
            if c["program"] not in progs[r]:
                progs[r].append(c["program"])
    for r in sorted(progs):
        cell = res.get("rows", {}).get(r, {}).get("cell", "-")
        print("\t".join([r, cell] + progs[r]))
    return 0


def verdict(row, paths):
    res = load(paths)
    caught, evidence, broken = [], [], []
    for c in res.get("cases", []):
        mine = [e for r, e in c["absent"] if r == row]
        name = f"{c['program']}:{c['name']}"
        if mine:
            caught.append(name)
            evidence.append(mine[0])
        elif row in c["behaviours"] and c["status"] in ("fail", "timeout", "crash"):
            broken.append(f"{name} {c['status']}")
    for p, r in res.get("programs", {}).items():
        if r["status"] in ("timeout", "crash", "not run"):
            broken.append(f"{p} {r['status']}")
    logp = res.get("log_problems", [])
    if caught:
        ev = evidence[0] + (f" | kernel log: {logp[0]}" if logp else "")
        print(f"detected\t{','.join(caught)}\t{ev}")
    elif broken or logp or not res.get("cases"):
        why = "; ".join(broken) or (f"kernel log: {logp[0]}" if logp else "no test ran")
        print(f"broken\t-\t{why}")
    else:
        print("survived\t-\tevery test of the row passed")
    return 0


def table(path):
    """RECORDS.tsv: row, mutant, reference kernel, reference cell, verdict, tests,
    evidence, build seconds, run seconds."""
    recs = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 9:
                recs.append(parts)
    head = ["row", "mutant", "reference", "verdict", "caught by", "build s", "run s"]
    out = []
    tested = detected = 0
    for row, mutant, ref, refcell, verd, tests, ev, bs, rs in recs:
        if verd != "no test":
            tested += 1
        ok = verd == "detected" and refcell == "present"
        detected += ok
        refshow = f"{ref}:{refcell}"
        names = tests.split(",")
        first = names[0] + (f" (+{len(names) - 1} more)" if len(names) > 1 else "")
        out.append([row, mutant, refshow, verd if refcell in ("present", "-") else f"{verd} (ref {refcell})",
                    first, bs, rs])
    w = [max(len(h), *(len(r[i]) for r in out)) if out else len(h) for i, h in enumerate(head)]
    print("== mutation table ==")
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
    for r in out:
        print("  ".join(v.ljust(w[i]) for i, v in enumerate(r)))
    print()
    print("== evidence ==")
    for row, mutant, ref, refcell, verd, tests, ev, bs, rs in recs:
        print(f"{row}: {verd}: {ev}")
    print()
    print(f"mutation score: {detected}/{tested} mutants of rows with tests detected"
          f" (a row counts when its tests pass on the reference kernel and report it absent on the mutant)")
    return 0 if tested and detected == tested else 1


def result(path, out):
    """RECORDS.tsv as a result file of scripts/results.py: one case a row, passed when the
    row's tests pass on the reference kernel and report it absent on the mutant."""
    cases = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 9:
                continue
            row, mutant, ref, refcell, verd, tests, ev, bs, rs = parts
            if verd == "no test":
                status, reason = "skip", f"no test prints '# behaviour: {row}'"
            elif verd == "detected" and refcell == "present":
                status, reason = "pass", ""
            else:
                status, reason = "fail", f"{verd} on mutant {mutant}, reference {ref}: {refcell}: {ev}"
            cases.append({"program": "mutation", "name": mutant, "status": status, "reason": reason,
                          "behaviours": [], "absent": [], "log": [ev] if status == "fail" else []})
    res = {"id": "mutants", "release": "", "arch": "amd64", "cases": cases, "rows": {},
           "issues": [] if cases else ["the mutation run recorded no row"]}
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    return 0


def named(rows_):
    progs = []
    for r in rows_:
        progs += [p for p in programs_naming(r) if p not in progs]
    print(" ".join(progs))
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "result":
        return result(argv[2], argv[3])
    if len(argv) >= 3 and argv[1] == "rows":
        return rows(argv[2:])
    if len(argv) >= 4 and argv[1] == "verdict":
        return verdict(argv[2], argv[3:])
    if len(argv) >= 3 and argv[1] == "named":
        return named(argv[2:])
    if len(argv) == 3 and argv[1] == "table":
        return table(argv[2])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
