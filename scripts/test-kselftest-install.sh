#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Check the kselftest layout of the suite (make -C selftests install) on this host, as a lab
# would use it: install into a fresh folder, run the kernel's own DIR/run_kselftest.sh -s on a
# few programs, and check what it prints. Without uffdscope.ko here, the programs that need it
# must SKIP, not fail. Exits 0 when every check holds; each failed check is one line.
#
#   scripts/test-kselftest-install.sh [PROG ...]    (default: smoke fault_around uffdscope_cli)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

progs=("$@")
[ ${#progs[@]} -gt 0 ] || progs=(smoke fault_around uffdscope_cli)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# mktemp's 0700 would keep uffdscope_cli's unprivileged runs of the command out.
chmod 0755 "$dir"
make -s -C "$UFFDSCOPE_TOP/selftests" install INSTALL_PATH="$dir" >"$dir.build.log" 2>&1 ||
	{ cat "$dir.build.log" >&2; rm -f "$dir.build.log"; die "make -C selftests install failed: see above"; }
rm -f "$dir.build.log"

bad=0
check() {
	if eval "$2"; then
		echo "ok: $1"
	else
		echo "FAILED: $1"
		bad=1
	fi
}
check "the kernel's runner is installed" '[ -x "$dir/run_kselftest.sh" ] && [ -f "$dir/kselftest/runner.sh" ]'
check "kselftest-list.txt names the programs as uffdscope:PROG" \
	'grep -qx "uffdscope:smoke" "$dir/kselftest-list.txt" && ! grep -qv "^uffdscope:[a-z0-9_]*$" "$dir/kselftest-list.txt"'
check "no demo or bench program is listed" '! grep -qE "^uffdscope:(demo|bench)_" "$dir/kselftest-list.txt"'
check "settings sets a timeout" 'grep -qE "^timeout=[0-9]+$" "$dir/uffdscope/settings"'
check "run_kselftest.sh --list prints the list" '[ "$("$dir/run_kselftest.sh" -l)" = "$(cat "$dir/kselftest-list.txt")" ]'

args=()
for p in "${progs[@]}"; do
	args+=(-t "uffdscope:$p")
done
out=$(cd / && "$dir/run_kselftest.sh" -s "${args[@]}")
rc=$?
echo "$out" | sed 's/^/    /'
n=${#progs[@]}
check "run_kselftest.sh exits 0" '[ $rc = 0 ]'
check "KTAP: version line and plan 1..$n" \
	'[ "$(echo "$out" | sed -n 1p)" = "TAP version 13" ] && [ "$(echo "$out" | sed -n 2p)" = "1..$n" ]'
check "one result line per program, none failed" \
	'[ "$(echo "$out" | grep -cE "^(not )?ok [0-9]+ selftests: uffdscope: ")" = $n ] && ! echo "$out" | grep -q "^not ok"'
check "the settings timeout is the one applied" \
	'grep -q "^# timeout set to $(sed -n "s/^timeout=//p" "$dir/uffdscope/settings")$" "$dir/output.log"'
if [ ! -d /sys/kernel/debug/uffdscope ]; then
	check "without the module, the tests that need it SKIP with the reason" \
		'grep -qE "# SKIP .*(uffdscope module not loaded|uffdscope.ko not loaded|fault_around_bytes)" "$dir/output.log"'
fi
ksrc=$(bash "$UFFDSCOPE_TOP/scripts/kernel-source.sh" 6.12)
check "the kernel's KTAP parser (kunit.py parse) reads $n tests" \
	'python3 "$ksrc/tools/testing/kunit/kunit.py" parse <<<"$out" 2>&1 | grep -q "Ran $n tests"'
[ $bad = 0 ] || die "the kselftest install does not run as the kernel's does: see FAILED above"
echo "kselftest install: all checks hold"
