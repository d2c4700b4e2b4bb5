#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Does `uffdscope report` agree with the suite's own table, row by row, on one kernel?
# One VM run (scripts/run-vm.sh) of the given programs, then selftests/demo_report_json, which
# prints `uffdscope report --json` for the same programs in the same VM (report runs them
# again as its probes). The suite's cell for each row (scripts/results.py, result.json "rows")
# must be the report's status: present (or PRESENT?) = present, ABSENT or absent (an expected
# absence) = absent, unsupported = unsupported, FAIL = fail. A row the suite's table lacks
# must be unknown or unsupported in the report (a test that skips in its setup names no row).
#
#   scripts/report-agrees.sh KERNEL [PROG ...]   (default: the catalog programs of make run)
#   scripts/report-agrees.sh --result DIR        compare a finished run (DIR/result.json, console.log)
#
# Exits 0 when every row agrees, 1 otherwise, with one line per row either way.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: scripts/report-agrees.sh KERNEL [PROG ...] | --result DIR"
if [ "$1" = --result ]; then
	result=${2:?--result needs a folder}/result.json
	[ -f "$result" ] || die "no $result"
else
	spec=$1
	shift
	progs=("$@")
	[ ${#progs[@]} -gt 0 ] ||
		progs=(smoke wp_markers wp_zap wp_thp wp_fork wp_collapse collapse_uffd_missing fault_around)

	out=$(mktemp)
	trap 'rm -f "$out"' EXIT
	# The suite's verdict does not decide ours: a failing test is compared like any other row.
	UFFDSCOPE_QUIET=1 bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" "$spec" "${progs[@]}" demo_report_json \
		>"$out" 2>&1 || true
	result=$(sed -n 's/^@@RESULT //p' "$out" | tail -n 1)
	[ -n "$result" ] && [ -f "$result" ] || { cat "$out" >&2; die "run-vm.sh gave no result for $spec: see above"; }
fi
python3 - "$result" "$(dirname "$result")/console.log" <<'PY'
import json, re, sys

result = json.load(open(sys.argv[1]))
lines = [m.group(1) for m in (re.search(r"report-json: (.*?)\r?$", l)
                             for l in open(sys.argv[2], errors="replace")) if m]
if not lines:
    sys.exit(f"uffdscope: error: no report JSON in {sys.argv[2]} (demo_report_json did not run?)")
try:
    report = json.loads("\n".join(lines))
except ValueError as e:
    sys.exit(f"uffdscope: error: the report's JSON does not parse: {e}")
want = {"present": "present", "PRESENT?": "present", "ABSENT": "absent", "absent": "absent",
        "unsupported": "unsupported", "FAIL": "fail"}
suite = {r: want.get(v["cell"], v["cell"]) for r, v in result.get("rows", {}).items()}
rep = {r["id"]: r["status"] for r in report.get("rows", [])}
bad = 0
for row in list(rep) + [r for r in suite if r not in rep]:
    s, r = suite.get(row), rep.get(row, "missing")
    ok = (r == s) if s else r in ("unknown", "unsupported")
    bad += not ok
    print(f"{'ok  ' if ok else 'DIFF'} {row:26} suite={s or '-':12} report={r}")
print(f"{result['release']}: {len(rep)} rows, {bad} disagree")
sys.exit(1 if bad else 0)
PY
