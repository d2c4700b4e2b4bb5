#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The runner's own tests: bad input must end in a one-line error that says what failed and
# what to do, never in a hang or a silent pass. Reported as test cases of their own.
#
#   scripts/test-runner.sh       (prints the result file's path as "@@RESULT PATH")
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=$UFFDSCOPE_CACHE/results/runner
mkdir -p "$results"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0

# expect_error NAME PATTERN SECONDS CMD...: CMD must fail within SECONDS, its last line
# matching PATTERN (the one-line error).
expect_error() {
	local name=$1 pattern=$2 limit=$3 rc last
	shift 3
	n=$((n + 1))
	echo "# #  RUN           runner.$name ..."
	timeout "$limit" "$@" >"$work/out" 2>&1
	rc=$?
	last=$(grep -v '^$' "$work/out" | tail -n 1)
	echo "# # exit=$rc last line: $last"
	if [ $rc = 124 ]; then
		echo "# # hung: still running after $limit s"
		echo "# not ok $n runner.$name"
	elif [ $rc = 0 ]; then
		echo "# # succeeded, but this input must fail"
		echo "# not ok $n runner.$name"
	elif ! grep -qE "$pattern" <<<"$last"; then
		echo "# # the last line does not say what failed: expected /$pattern/"
		echo "# not ok $n runner.$name"
	else
		echo "# ok $n runner.$name"
	fi
}

# A kernel folder whose image never reaches our init: the VM must be reported, not hang.
silent=$work/silent-kernel
mkdir -p "$silent"
real=$(bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" 6.12-amd64)
for f in release arch config kdir modules; do ln -s "$real/$f" "$silent/$f"; done
# A kernel that cannot boot: an empty file as bzImage makes QEMU fail at once, and a
# zeroed one would spin in firmware; both must end with a result, not a pass.
: >"$silent/vmlinuz"
touch "$silent/.complete"

# A kernel folder that says a compiler nobody has built it.
gcc99=$work/gcc99-kernel
mkdir -p "$gcc99"
for f in release arch config kdir modules vmlinuz; do ln -s "$real/$f" "$gcc99/$f"; done
echo 99 >"$gcc99/cc"
touch "$gcc99/.complete"

# No cross compiler on PATH: every command of this PATH but the arm64 cross tools, so that the
# runner fails on the one thing missing and not on a tool a whitelist forgot.
nocross=$work/bin
mkdir -p "$nocross"
IFS=: read -ra pathdirs <<<"$PATH"
for d in "${pathdirs[@]}"; do
	for p in "$d"/*; do
		t=${p##*/}
		case $t in aarch64-linux-gnu-*) continue ;; esac
		[ -x "$p" ] && [ ! -e "$nocross/$t" ] && ln -s "$p" "$nocross/$t"
	done
done

# Run the guest's run-programs.sh under busybox sh with three programs, the second of which
# freezes itself in a cgroup v1 freezer; the freezer is thawed afterwards so that it dies.
# Returns 4 (with the reason as the last line of $work/out) where no v1 freezer can be mounted.
unkillable_program() {
	local fz=$work/freezer progs=$work/progs rc=0
	mkdir -p "$fz" "$progs"
	command -v busybox >/dev/null || { echo "busybox missing: run scripts/install-deps.sh" >"$work/out"; return 4; }
	if ! mount -t cgroup -o freezer uffdscope-freezer "$fz" 2>"$work/out"; then
		echo "no cgroup v1 freezer to mount here (root and CONFIG_CGROUP_FREEZER are needed): $(cat "$work/out")" >"$work/out"
		return 4
	fi
	mkdir "$fz/hang"
	printf '#!/bin/sh\necho fine\n' >"$progs/before"
	cp "$progs/before" "$progs/after"
	printf '#!/bin/sh\necho $$ >%s/tasks\necho FROZEN >%s/freezer.state\nexec sleep 600\n' \
		"$fz/hang" "$fz/hang" >"$progs/hangs"
	chmod +x "$progs"/*
	UFFDSCOPE_HUNG_FILE=$work/hung timeout 120 busybox sh "$UFFDSCOPE_TOP/scripts/guest/run-programs.sh" \
		"$progs" 2 before hangs after >"$work/out" 2>&1 || rc=$?
	echo THAWED >"$fz/hang/freezer.state"
	# the thawed task takes its pending SIGKILL; the group can go once it is empty
	for _ in $(seq 100); do [ -s "$fz/hang/tasks" ] || break; sleep 0.1; done
	rmdir "$fz/hang"
	umount "$fz"
	return $rc
}

# A console whose suite found WP-FORK present and WP-PAGEMAP present, followed by the
# report's JSON with WP-FORK as $1 and WP-PAGEMAP undecided (the budget ran out).
report_console() {
	cat <<CONSOLE
@@UFFDSCOPE-BOOTED runner
@@UFFDSCOPE-BEGIN
TAP version 13
1..1
# selftests: uffdscope: p
# #  RUN           f.has ...
# # behaviour: WP-FORK
# ok 1 f.has
# #  RUN           f.other ...
# # behaviour: WP-PAGEMAP
# ok 2 f.other
ok 1 selftests: uffdscope: p
@@UFFDSCOPE-END uptime=2.0
@@REPORT-BEGIN budget=60 uptime=2.0
@@REPORT {"schema": "uffdscope", "version": 1, "command": "report", "rows": [
@@REPORT {"id": "WP-FORK", "since": "5.19", "status": "$1", "why": "w", "tests": 1},
@@REPORT {"id": "WP-PAGEMAP", "since": "5.19", "status": "unknown", "why": "not all its tests ran within the time budget (--budget)", "tests": 0}],
@@REPORT "programs": []}
@@REPORT-END exit=0 uptime=3.5
CONSOLE
}

# results.py parse of such a console: exit and output in $work/agree.
agreement() {
	report_console "$1" >"$work/agree.log"
	python3 "$UFFDSCOPE_TOP/scripts/results.py" parse "$work/agree.log" --kernel-id agree \
		--module no --no-kernel --programs p --report yes --quiet --out "$work/agree.json" \
		>"$work/agree" 2>&1
}

{
	echo "@@UFFDSCOPE-BOOTED runner"
	echo "@@UFFDSCOPE-BEGIN"
	echo "TAP version 13"
	echo "1..1"
	echo "# selftests: uffdscope: runner"
	expect_error unknown_kernel_name "uffdscope: error: .*unknown kernel" 30 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" no-such-kernel smoke
	expect_error unresolvable_series "uffdscope: error: no Debian kernel of series '9.99'" 120 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" 9.99-amd64 smoke
	expect_error unknown_flavour "uffdscope: error: unknown kernel '6.12-sparc64'" 30 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" 6.12-sparc64 smoke
	expect_error unknown_series_word "uffdscope: error: unknown kernel series 'newest'" 30 \
		bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" newest-amd64
	expect_error unknown_cpu_model "uffdscope: error: unknown CPU model 'quantum'" 30 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" 6.12-amd64:quantum smoke
	# A suite the mirror does not have, read into a cache of its own (the real one stays).
	expect_error unreachable_suite "uffdscope: error: apt-get update of Debian no-such-suite failed" 120 \
		env UFFDSCOPE_CACHE="$work/cache" UFFDSCOPE_SUITES=no-such-suite \
		bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" latest-amd64
	# Kernels built here come from pinned series only; an unpinned one is refused, and a
	# pinned source the mirror does not give is said to be unreachable (a cache of its own).
	expect_error built_series_unknown "uffdscope: error: no kernels are built here from series '9.9'" 30 \
		bash "$UFFDSCOPE_TOP/scripts/build-kernel.sh" mutants@9.9
	expect_error built_series_unreachable "uffdscope: error: linux-source-7.3, the pinned source of 'base@7.3', is not reachable" 120 \
		env UFFDSCOPE_CACHE="$work/cache" UFFDSCOPE_SUITES=no-such-suite \
		bash "$UFFDSCOPE_TOP/scripts/build-kernel.sh" base@7.3
	expect_error unknown_compiler "uffdscope: error: no build root known for gcc-99" 30 \
		bash "$UFFDSCOPE_TOP/scripts/build-root.sh" 99
	expect_error kernel_compiler_missing "uffdscope: error: kernel .* was built with gcc-99" 60 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" "$gcc99" smoke
	expect_error failed_download "uffdscope: error: .*not on the mirror" 60 \
		bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" 6.1.0-9999-amd64
	expect_error missing_cross_compiler "uffdscope: error: compiler aarch64-linux-gnu-gcc" 60 \
		env PATH="$nocross" bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" 6.12-arm64 smoke
	expect_error unknown_program "uffdscope: error: unknown test program" 30 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" 6.12-amd64 no_such_program
	expect_error vm_never_reports "never reached the test init|VM timeout" 300 \
		env UFFDSCOPE_KERNEL_ID=runner-silent UFFDSCOPE_TEST_TIMEOUT=5 UFFDSCOPE_QUIET=1 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" "$silent" smoke
	# The outer limit only catches a runner that never gives up; it also covers building the
	# module and the suite for the kernel, minutes on a loaded machine.
	expect_error vm_hangs "did not finish within 3 s" 300 \
		env UFFDSCOPE_KERNEL_ID=runner-hang UFFDSCOPE_VM_LIMIT=3 UFFDSCOPE_QUIET=1 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" 6.12-amd64 smoke
	# A console that stays silent longer than a program may take is a hung VM, reported as
	# such long before the VM's own limit (the boot alone is silent for seconds).
	expect_error vm_silent "hung: its console printed nothing for 2 s" 300 \
		env UFFDSCOPE_KERNEL_ID=runner-silent-console UFFDSCOPE_VM_SILENCE=2 UFFDSCOPE_QUIET=1 \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" 6.12-amd64 smoke
	# A program SIGKILL cannot end (here: frozen by the cgroup v1 freezer, which a fatal
	# signal does not thaw; in the guest, a task blocked for good in the kernel) is reported
	# as such, and the programs after it as not run, under the guest's own shell.
	n=$((n + 1))
	echo "# #  RUN           runner.unkillable_program_is_reported ..."
	unkillable_program
	rc=$?
	sed 's/^/# # /' "$work/out"
	if [ $rc = 4 ]; then
		echo "# ok $n runner.unkillable_program_is_reported # SKIP $(tail -n 1 "$work/out")"
	elif [ $rc = 0 ] &&
		grep -q "^not ok 2 selftests: uffdscope: hangs # TIMEOUT 2 seconds, then SIGKILL did not end it" "$work/out" &&
		grep -q "^not ok 3 selftests: uffdscope: after # exit=none not run: hangs hung" "$work/out" &&
		grep -q "^ok 1 selftests: uffdscope: before$" "$work/out" && [ "$(cat "$work/hung")" = hangs ]; then
		echo "# ok $n runner.unkillable_program_is_reported"
	else
		echo "# not ok $n runner.unkillable_program_is_reported"
	fi
	# The report's verdict of each row must be the suite's; a row the report could not
	# decide is a skip that says so, never a pass.
	n=$((n + 1))
	echo "# #  RUN           runner.report_disagreement_names_the_row ..."
	agreement absent
	rc=$?
	sed 's/^/# # /' "$work/agree"
	if [ $rc = 1 ] && grep -q "! uffdscope report, WP-FORK: the suite says present .*report says absent" "$work/agree" &&
		grep -q "2 passed, 1 failed, 1 skipped" "$work/agree"; then
		echo "# ok $n runner.report_disagreement_names_the_row"
	else
		echo "# not ok $n runner.report_disagreement_names_the_row"
	fi
	n=$((n + 1))
	echo "# #  RUN           runner.report_agreement_counts_each_row ..."
	agreement present
	rc=$?
	sed 's/^/# # /' "$work/agree"
	if [ $rc = 0 ] && grep -q "3 passed, 0 failed, 1 skipped" "$work/agree" &&
		grep -q "1 rows agree with the suite, 0 disagree, 1 undecided" "$work/agree"; then
		echo "# ok $n runner.report_agreement_counts_each_row"
	else
		echo "# not ok $n runner.report_agreement_counts_each_row"
	fi
	# Lockdown: two boots of 6.12-amd64 (scripts/test-lockdown.sh; about 40 s warm).
	n=$((n + 1))
	echo "# #  RUN           runner.lockdown_exits_6_with_one_line ..."
	timeout 600 bash "$UFFDSCOPE_TOP/scripts/test-lockdown.sh" >"$work/out" 2>&1
	rc=$?
	grep -E 'lockdown\.|lockdown \(|error|  ! ' "$work/out" | sed 's/^/# # /'
	if [ $rc = 0 ]; then
		echo "# ok $n runner.lockdown_exits_6_with_one_line"
	elif [ $rc = 4 ]; then
		echo "# ok $n runner.lockdown_exits_6_with_one_line # SKIP $(tail -n 1 "$work/out")"
	else
		echo "# not ok $n runner.lockdown_exits_6_with_one_line"
	fi
	# The suite's kselftest layout run by the kernel's own run_kselftest.sh (28 s warm).
	n=$((n + 1))
	echo "# #  RUN           runner.kselftest_install_runs_unchanged ..."
	if timeout 180 bash "$UFFDSCOPE_TOP/scripts/test-kselftest-install.sh" >"$work/out" 2>&1; then
		echo "# ok $n runner.kselftest_install_runs_unchanged"
	else
		grep -E 'FAILED|error' "$work/out" | sed 's/^/# # /'
		echo "# not ok $n runner.kselftest_install_runs_unchanged"
	fi
	# The documentation's catalog is generated from catalog/behaviours.tsv and must be current.
	n=$((n + 1))
	echo "# #  RUN           runner.catalog_doc_current ..."
	if python3 "$UFFDSCOPE_TOP/scripts/catalog-doc.py" --check >"$work/out" 2>&1; then
		echo "# ok $n runner.catalog_doc_current"
	else
		sed 's/^/# # /' "$work/out"
		echo "# not ok $n runner.catalog_doc_current"
	fi
	echo "ok 1 selftests: uffdscope: runner"
	echo "@@UFFDSCOPE-END"
} >"$results/console.log" 2>&1
rc=0
python3 "$UFFDSCOPE_TOP/scripts/results.py" parse "$results/console.log" --kernel-id runner \
	--module no --no-kernel --programs runner --out "$results/result.json" \
	${UFFDSCOPE_QUIET:+--quiet} || rc=$?
echo "@@RESULT $results/result.json"
exit $rc
