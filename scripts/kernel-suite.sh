#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the whole suite in one kernel built here, one VM per test program, and print the
# result.json of each program's run, one path a line. One VM per program costs a 3-9 s boot
# each, and buys isolation: a program that hangs its VM costs its own time limit, not the
# results of every program after it.
#
#   scripts/kernel-suite.sh KERNEL_FOLDER ID [PROG ...]     (default: every selftests/*.c)
#
# ID names the results ($UFFDSCOPE_CACHE/results/ID-PROG/). The status of each run is left to
# the caller (run-mutants.sh reads the results; CI runs run-vm.sh itself for its verdict).
# Each run's one-line summary goes to stderr.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || die "usage: scripts/kernel-suite.sh KERNEL_FOLDER ID [PROG ...]"
kernel=$1 id=$2
shift 2
select_programs "$@"
export UFFDSCOPE_TEST_TIMEOUT=${UFFDSCOPE_TEST_TIMEOUT:-120}
for p in "${progs[@]}"; do
	logf=$UFFDSCOPE_CACHE/results/$id-$p.log
	mkdir -p "$UFFDSCOPE_CACHE/results"
	UFFDSCOPE_QUIET=1 UFFDSCOPE_KERNEL_ID=$id-$p bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" "$kernel" "$p" \
		>"$logf" 2>&1 || true
	grep -v '^@@RESULT' "$logf" | grep -E "^$id-$p:|^  ! " | sed "s/^/uffdscope: /" >&2 || true
	result=$(sed -n 's/^@@RESULT //p' "$logf" | tail -n 1)
	if [ -n "$result" ] && [ -f "$result" ]; then
		echo "$result"
	else
		log "$p: no result, see $logf"
	fi
done
