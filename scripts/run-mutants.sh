#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove that every catalog row's tests can fail: for each kernel mutant (kernels/mutants/NAME.patch,
# one behaviour removed from linux-source-6.12; NAME is the row, or ROW_suffix for a second mutant
# of a row), boot the mutants kernel with that mutant switched on, run the row's test programs, and
# check that they report the row absent there, while they pass on the unmutated kernel (or, when
# the row has a test hook, kernels/controls/ROW.patch, on the mutants kernel with the hook alone).
# Prints the mutation table and the mutation score; exits 0 only when every mutant of a row that
# has tests is detected.
#
#   scripts/run-mutants.sh [NAME ...]        (default: every kernels/mutants/*.patch)
#
# Each mutant and control is one VM running the row's programs. One kernel serves every mutant
# and control (`scripts/build-kernel.sh mutants`: every patch,
# each switched at boot by uffdscope_mutant=NAME or uffdscope_hook=ROW; see
# kernels/mutant-switch.patch), so a mutant costs a boot, not a kernel build. The row's programs
# are the ones whose tests print `# behaviour: ROW` on the base kernel, so the base kernel runs
# the whole suite first, unless UFFDSCOPE_BASE_RESULT names the result of such a run (make check
# passes its own). A row no test names is reported "no test".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

top=$UFFDSCOPE_TOP
mutants=$top/kernels/mutants
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for p in "$mutants"/*.patch; do
		names+=("$(basename "$p" .patch)")
	done
fi
for n in "${names[@]}"; do
	[ -f "$mutants/$n.patch" ] || die "no mutant '$n': $mutants/$n.patch does not exist"
done

work=$UFFDSCOPE_CACHE/mutation
# A hung test program costs its VM this much (plus boot), not the whole run.
export UFFDSCOPE_TEST_TIMEOUT=${UFFDSCOPE_TEST_TIMEOUT:-90}
mkdir -p "$work"
records=$work/records.tsv
: >"$records"

# Build a kernel, print its folder; its build seconds go to the file named by $2.
build() {
	local t folder
	t=$(now)
	folder=$(bash "$top/scripts/build-kernel.sh" "$1") || die "kernel '$1' does not build"
	elapsed "$t" >"$2"
	echo "$folder"
}

# Run programs in a kernel booted with extra command-line words ($3), all in one VM (each
# program has its own time limit in the guest, so a hung one costs that, not the run); print
# the result file. Failing tests are the point here, so their status is not ours; no result at
# all is, and so is a switch the kernel did not take.
run() {
	local kernel=$1 id=$2 append=$3 logf result
	shift 3
	logf=$UFFDSCOPE_CACHE/results/$id.log
	mkdir -p "$UFFDSCOPE_CACHE/results"
	UFFDSCOPE_APPEND=$append UFFDSCOPE_QUIET=1 UFFDSCOPE_KERNEL_ID=$id \
		bash "$top/scripts/run-vm.sh" "$kernel" "$@" >"$logf" 2>&1 || true
	grep -E "^$id:|^  ! " "$logf" | sed "s/^/uffdscope: /" >&2 || true
	result=$(sed -n 's/^@@RESULT //p' "$logf" | tail -n 1)
	[ -n "$result" ] && [ -f "$result" ] || die "'$id' gave no result: see $logf"
	if [ -n "$append" ]; then
		grep -q "uffdscope test kernel: .* armed" "$(dirname "$result")/console.log" ||
			die "the kernel of '$id' did not arm '$append' (no 'uffdscope test kernel: ... armed' in $(dirname "$result")/console.log)"
	fi
	echo "$result"
}

log "base kernel: build, then the whole suite (it names each row's programs)"
base=$(build base "$work/base.build")
t=$(now)
if [ -n "${UFFDSCOPE_BASE_RESULT:-}" ]; then
	# make check has just run the whole suite on the base kernel: its result says the same.
	[ -f "$UFFDSCOPE_BASE_RESULT" ] || die "UFFDSCOPE_BASE_RESULT=$UFFDSCOPE_BASE_RESULT is not a file"
	base_result=$UFFDSCOPE_BASE_RESULT
else
	base_result=$(run "$base" uffdscope-base "")  # every program (select_programs, lib.sh)
fi
log "base: built or found in $(cat "$work/base.build") s, suite ran in $(elapsed "$t") s"
# shellcheck disable=SC2086 # one result path a line, no spaces in them
python3 "$top/scripts/kernel-mutation.py" rows $base_result >"$work/base.rows"

log "the mutants kernel: every mutant and control, switched at boot"
switched=$(build mutants "$work/mutants.build")

declare -A control_cell=()
for name in "${names[@]}"; do
	row=${name%%_*}
	line=$(awk -F'\t' -v r="$row" '$1 == r' "$work/base.rows")
	if [ -z "$line" ]; then
		printf '%s\t%s\t-\t-\tno test\t-\tno test prints "# behaviour: %s"\t-\t-\n' \
			"$row" "$name" "$row" >>"$records"
		log "$name: no test"
		continue
	fi
	read -r -a progs <<<"$(cut -f3- <<<"$line" | tr '\t' ' ')"
	ref=base
	refcell=$(cut -f2 <<<"$line")
	if [ -f "$top/kernels/controls/$row.patch" ]; then
		# The mutant arms a test hook: its reference is the same hook without the mutation.
		ref=control
		if [ -z "${control_cell[$row]:-}" ]; then
			ctl_result=$(run "$switched" "uffdscope-ctl-$row" "uffdscope_hook=$row" "${progs[@]}")
			# shellcheck disable=SC2086
			refcell=$(python3 "$top/scripts/kernel-mutation.py" rows $ctl_result |
				awk -F'\t' -v r="$row" '$1 == r { print $2 }')
			control_cell[$row]=${refcell:--}
		fi
		refcell=${control_cell[$row]}
	fi
	log "$name: booting the mutants kernel with uffdscope_mutant=$name for ${progs[*]}"
	t=$(now)
	result=$(run "$switched" "uffdscope-mut-$name" "uffdscope_mutant=$name" "${progs[@]}")
	run_s=$(elapsed "$t")
	# shellcheck disable=SC2086
	IFS=$'\t' read -r verdict tests evidence < <(python3 "$top/scripts/kernel-mutation.py" verdict "$row" $result)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "$name" "$ref" "$refcell" "$verdict" \
		"$tests" "$evidence" "$(cat "$work/mutants.build")" "$run_s" >>"$records"
	log "$name: $verdict ($tests)"
done

python3 "$top/scripts/kernel-mutation.py" result "$records" "$work/result.json"
echo "@@RESULT $work/result.json"
python3 "$top/scripts/kernel-mutation.py" table "$records"
