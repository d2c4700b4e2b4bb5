#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove that every catalog row's tests can fail: for each kernel mutant (kernels/mutants/ROW.patch,
# one behaviour removed from linux-source-6.12), build it, boot it with the row's test programs,
# and check that they report the row absent there, while they pass on the unmutated kernel (or on
# the row's control kernel, kernels/controls/ROW.patch, when the mutant needs a test hook).
# Prints the mutation table and the mutation score; exits 0 only when every row that has tests
# is detected.
#
#   scripts/run-mutants.sh [ROW ...]        (default: every kernels/mutants/*.patch)
#
# The row's programs are the ones whose tests print `# behaviour: ROW` on the base kernel, so
# the base kernel runs the whole suite first, unless UFFDSCOPE_BASE_RESULT names the result of
# such a run (make check passes its own). A row no test names is reported "no test".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

top=$UFFDSCOPE_TOP
mutants=$top/kernels/mutants
if [ $# -gt 0 ]; then
	rows=("$@")
else
	rows=()
	for p in "$mutants"/*.patch; do
		rows+=("$(basename "$p" .patch)")
	done
fi
for r in "${rows[@]}"; do
	[ -f "$mutants/$r.patch" ] || die "no mutant for row '$r': $mutants/$r.patch does not exist"
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

# Run programs in a kernel, one VM each (scripts/kernel-suite.sh); print the result files.
# Failing tests are the point here, so their status is not ours; no result at all is.
run() {
	local kernel=$1 id=$2 results
	shift 2
	results=$(bash "$top/scripts/kernel-suite.sh" "$kernel" "$id" "$@")
	[ -n "$results" ] || die "no program of '$id' gave a result: see $UFFDSCOPE_CACHE/results/$id-*.log"
	echo "$results"
}

log "base kernel: build, then the whole suite (it names each row's programs)"
base=$(build base "$work/base.build")
t=$(now)
if [ -n "${UFFDSCOPE_BASE_RESULT:-}" ]; then
	# make check has just run the whole suite on the base kernel: its result says the same.
	[ -f "$UFFDSCOPE_BASE_RESULT" ] || die "UFFDSCOPE_BASE_RESULT=$UFFDSCOPE_BASE_RESULT is not a file"
	base_result=$UFFDSCOPE_BASE_RESULT
else
	base_result=$(run "$base" uffdscope-base)
fi
log "base: built or found in $(cat "$work/base.build") s, suite ran in $(elapsed "$t") s"
# shellcheck disable=SC2086 # one result path a line, no spaces in them
python3 "$top/scripts/kernel-mutation.py" rows $base_result >"$work/base.rows"

for row in "${rows[@]}"; do
	line=$(awk -F'\t' -v r="$row" '$1 == r' "$work/base.rows")
	if [ -z "$line" ]; then
		printf '%s\t%s\t-\t-\tno test\t-\tno test prints "# behaviour: %s"\t-\t-\n' \
			"$row" "mut-$row" "$row" >>"$records"
		log "$row: no test"
		continue
	fi
	read -r -a progs <<<"$(cut -f3- <<<"$line" | tr '\t' ' ')"
	ref=base
	refcell=$(cut -f2 <<<"$line")
	if [ -f "$top/kernels/controls/$row.patch" ]; then
		# The mutant carries a test hook: its reference is the same hook without the mutation.
		ref=control
		control=$(build "control:$row" "$work/ctl-$row.build")
		ctl_result=$(run "$control" "uffdscope-ctl-$row" "${progs[@]}")
		# shellcheck disable=SC2086
		refcell=$(python3 "$top/scripts/kernel-mutation.py" rows $ctl_result |
			awk -F'\t' -v r="$row" '$1 == r { print $2 }')
		refcell=${refcell:--}
	fi
	log "$row: building the mutant, then running ${progs[*]}"
	mutant=$(build "mutant:$row" "$work/mut-$row.build")
	t=$(now)
	result=$(run "$mutant" "uffdscope-mut-$row" "${progs[@]}")
	run_s=$(elapsed "$t")
	# shellcheck disable=SC2086
	IFS=$'\t' read -r verdict tests evidence < <(python3 "$top/scripts/kernel-mutation.py" verdict "$row" $result)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "mut-$row" "$ref" "$refcell" "$verdict" \
		"$tests" "$evidence" "$(cat "$work/mut-$row.build")" "$run_s" >>"$records"
	log "$row: $verdict ($tests)"
done

python3 "$top/scripts/kernel-mutation.py" result "$records" "$work/result.json"
echo "@@RESULT $work/result.json"
python3 "$top/scripts/kernel-mutation.py" table "$records"
