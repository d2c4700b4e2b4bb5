#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the suite natively on the running kernel, without the module (tests that need it SKIP
# and say so), and turn the output into a result file like a VM's. Only what the run adds to
# the kernel log and to the taint mask counts against it: the host's earlier history is not
# ours to judge.
#
#   scripts/run-host.sh [PROG ...]
#
# As in a VM (scripts/run-vm.sh), a run of the whole suite (or UFFDSCOPE_REPORT=1) then runs
# `uffdscope report --json` on the same kernel, with the programs of the run as its probes, and
# each row's verdict must be the suite's (UFFDSCOPE_REPORT_BUDGET: its --budget, default 120 s).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=$(uname -m)
case $arch in
x86_64 | aarch64) ;;
*) die "the host run supports x86_64 and aarch64 hosts, not $arch" ;;
esac
karch=$arch
[ "$arch" = aarch64 ] && karch=arm64
release=$(uname -r)
id=host-$release

select_programs "$@"
report=0
[ $# -gt 0 ] || report=1
report=${UFFDSCOPE_REPORT:-$report}
budget=${UFFDSCOPE_REPORT_BUDGET:-120}

# Every run has its own folder (runs of the same kernel may overlap); "latest" points at the newest.
results=$UFFDSCOPE_CACHE/results/$id/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$results"
ln -sfn "$results" "$UFFDSCOPE_CACHE/results/$id/latest"
tests=$UFFDSCOPE_BUILD/selftests-host-$karch
mkdir -p "$results" "$UFFDSCOPE_CACHE/locks"
t0=$(now)
(
	flock 9
	make -s -C "$UFFDSCOPE_TOP/selftests" ARCH="$karch" OUT="$tests" \
		"${progs[@]/#/$tests/}" >"$tests.log" 2>&1 ||
		{ cat "$tests.log" >&2; die "the selftests do not build for this host: see the compiler output above"; }
) 9>"$UFFDSCOPE_CACHE/locks/selftests-host-$karch"
# The command: the report below, and uffdscope_cli's tests of its answers without the module.
tool=$UFFDSCOPE_BUILD/tools-$karch
(flock 9 && make -s -C "$UFFDSCOPE_TOP/tools" ARCH="$karch" OUT="$tool" >"$tool.log" 2>&1) \
	9>"$UFFDSCOPE_CACHE/locks/tools-$karch" ||
	{ cat "$tool.log" >&2; die "the uffdscope command does not build for this host: see above"; }
export UFFDSCOPE_TOOL=$tool/uffdscope
build_s=$(elapsed "$t0")

taint0=$(cat /proc/sys/kernel/tainted)
dmesg_lines=$(dmesg 2>/dev/null | wc -l || echo 0)
log "running ${progs[*]} on the host kernel $release"
t1=$(now)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
	echo "@@UFFDSCOPE-BOOTED $release $arch"
	echo "@@UFFDSCOPE-BEGIN"
	(cd "$work" && sh "$UFFDSCOPE_TOP/scripts/guest/run-programs.sh" "$tests" \
		"${UFFDSCOPE_TEST_TIMEOUT:-300}" "${progs[@]}")
	echo "@@UFFDSCOPE-END"
	if [ "$report" = 1 ]; then
		# The report's probes are this run's programs, and only them.
		mkdir "$work/probes"
		for p in "${progs[@]}"; do ln -s "$tests/$p" "$work/probes/$p"; done
		echo "@@REPORT-BEGIN budget=$budget uptime=$(cut -d' ' -f1 /proc/uptime)"
		rrc=0
		(cd "$work" && "$tool/uffdscope" report --json --budget "$budget" --tests "$work/probes" \
			--catalog "$UFFDSCOPE_TOP/catalog/behaviours.tsv") >"$work/report.json" \
			2>"$work/report.err" || rrc=$?
		sed 's/^/@@REPORT /' "$work/report.json"
		sed 's/^/@@REPORT-STDERR /' "$work/report.err"
		echo "@@REPORT-END exit=$rrc uptime=$(cut -d' ' -f1 /proc/uptime)"
	fi
	echo "@@TAINT $(cat /proc/sys/kernel/tainted)"
	echo "@@DMESG-BEGIN"
	dmesg 2>/dev/null | tail -n +"$((dmesg_lines + 1))"
	echo "@@DMESG-END"
} >"$results/console.log" 2>&1
run_s=$(elapsed "$t1")

python3 "$UFFDSCOPE_TOP/scripts/results.py" parse "$results/console.log" \
	--kernel-id "$id" --release "$release" --arch "$karch" --module no \
	--vm-seconds "$run_s" --build-seconds "$build_s" --programs "${progs[*]}" \
	--taint-baseline "$taint0" --expected "$UFFDSCOPE_TOP/scripts/expected-absent.txt" \
	--report "$([ "$report" = 1 ] && echo yes || echo no)" \
	--out "$results/result.json" ${UFFDSCOPE_QUIET:+--quiet} && rc=0 || rc=$?
echo "@@RESULT $results/result.json"
exit $rc
