#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove that every catalog row's tests can fail: for each kernel mutant (one behaviour removed from
# a kernel built here), boot the series' mutants kernel with that mutant switched on, run the row's
# test programs, and check that they report the row absent there, while they pass on the
# unmutated reference (or, when the row has a test hook, on the mutants kernel with the hook
# alone). Prints one mutation table over every series and the mutation score over all of them;
# exits 0 only when every mutant of a row that has tests is detected.
#
#   scripts/run-mutants.sh [NAME[@SERIES] ...]   (default: every mutant of every series, or of
#                                                 the series UFFDSCOPE_MUTANT_SERIES names)
#
# Where a mutant goes, and how it is written (Documentation/kernels.rst, "Mutants"):
#   6.12: kernels/mutants/NAME.patch      hooks: kernels/controls/ROW.patch
#   7.3:  kernels/mutants-7.3/NAME.patch  hooks: kernels/controls-7.3/ROW.patch
#   NAME is the catalog row, or ROW_suffix for a second mutant of a row. The patch is `diff -u`
#   against Debian's linux-source-SERIES with the series' switchboard
#   (kernels/mutant-switch.patch, kernels/mutant-switch-7.3.patch) and the patches before it in
#   name order (controls, then mutants) applied; it applies with no fuzz. Its change is switched:
#   `if (uffdscope_mutant("NAME")) ...` (a hook: `uffdscope_hook("ROW")`), so without
#   uffdscope_mutant=NAME on the command line the kernel is upstream's. A comment on top says
#   what it removes and which test must see it. Try one: scripts/build-kernel.sh
#   mutant:NAME@7.3, then scripts/run-mutants.sh NAME@7.3. A bare NAME means every series that
#   has it.
#
# References. 6.12: the built base kernel's whole-suite run, which also names each row's
# programs (those whose tests print `# behaviour: ROW`); make check hands it over as
# UFFDSCOPE_BASE_RESULT. Any other series has no whole-suite run of its own: its mutants kernel
# booted with nothing armed runs the programs whose source names the series' rows (one VM), and
# the `# behaviour:` lines they print there decide which of them test each row.
#
# Each mutant and control is one VM running the row's programs. One kernel per series serves
# every mutant and control (`scripts/build-kernel.sh mutants@SERIES`), so a mutant costs a boot,
# not a kernel build. A row no test names is reported "no test".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

top=$UFFDSCOPE_TOP
# The mutants to run, as NAME@SERIES.
picked=()
for series in $UFFDSCOPE_BUILT_SERIES; do
	case " ${UFFDSCOPE_MUTANT_SERIES:-$UFFDSCOPE_BUILT_SERIES} " in
	*" $series "*) ;;
	*) [ $# -gt 0 ] || continue ;;
	esac
	dir=$top/kernels/mutants$(series_suffix "$series")
	for p in "$dir"/*.patch; do
		[ -f "$p" ] || continue
		n=$(basename "$p" .patch)
		if [ $# = 0 ]; then
			picked+=("$n@$series")
			continue
		fi
		for a in "$@"; do
			[ "$a" = "$n" ] || [ "$a" = "$n@$series" ] && picked+=("$n@$series") && break
		done
	done
done
for a in "$@"; do
	case " ${picked[*]} " in
	*" $a@"* | *" $a "*) ;;
	*) die "no mutant '$a': no such NAME.patch in kernels/mutants/ (6.12) or kernels/mutants-SERIES/ (see ls $top/kernels/mutants*/)" ;;
	esac
done
[ ${#picked[@]} -gt 0 ] || die "no mutant at all under $top/kernels/mutants*/"

# One folder per run: two runs at once (a developer's and make check's) must not share
# the records they build their tables from.
work=$UFFDSCOPE_CACHE/mutation/$(date +%Y%m%d-%H%M%S)-$$
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

# One series' mutants: its reference, its mutants kernel, then a VM per mutant. $1 is the
# series, the rest the mutant names of that series.
mutate_series() {
	local series=$1 sfx at idsfx ref_name rows_file switched name row line refcell ref t
	local result run_s verdict tests evidence ref_result progs_all
	shift
	sfx=$(series_suffix "$series")
	at="" idsfx=""
	[ "$series" = 6.12 ] || at=@$series idsfx=-$series
	rows_file=$work/rows$idsfx
	if [ "$series" = 6.12 ]; then
		log "base kernel: build, then the whole suite (it names each row's programs)"
		local base
		base=$(build base "$work/base.build")
		t=$(now)
		if [ -n "${UFFDSCOPE_BASE_RESULT:-}" ]; then
			# make check has just run the whole suite on the base kernel: its result says the same.
			[ -f "$UFFDSCOPE_BASE_RESULT" ] || die "UFFDSCOPE_BASE_RESULT=$UFFDSCOPE_BASE_RESULT is not a file"
			ref_result=$UFFDSCOPE_BASE_RESULT
		else
			ref_result=$(run "$base" uffdscope-base "") # every program (select_programs, lib.sh)
		fi
		log "base: built or found in $(cat "$work/base.build") s, suite ran in $(elapsed "$t") s"
		ref_name=base
	fi
	log "the mutants kernel of $series: every mutant and control, switched at boot"
	switched=$(build "mutants$at" "$work/mutants$idsfx.build")
	if [ "$series" != 6.12 ]; then
		# The programs whose source names one of these rows, on the kernel with nothing armed.
		local rows
		mapfile -t rows < <(printf '%s\n' "$@" | sed 's/_.*//' | sort -u)
		read -r -a progs_all <<<"$(python3 "$top/scripts/kernel-mutation.py" named "${rows[@]}")"
		if [ ${#progs_all[@]} -gt 0 ]; then
			log "$series reference: the mutants kernel with nothing armed runs ${progs_all[*]}"
			ref_result=$(run "$switched" "uffdscope-unarmed$idsfx" "" "${progs_all[@]}")
		else
			ref_result=/dev/null
		fi
		ref_name=mutants$at
	fi
	if [ "$ref_result" = /dev/null ]; then
		: >"$rows_file"
	else
		# shellcheck disable=SC2086 # one result path a line, no spaces in them
		python3 "$top/scripts/kernel-mutation.py" rows $ref_result >"$rows_file"
	fi

	declare -A control_cell=()
	for name in "$@"; do
		row=${name%%_*}
		line=$(awk -F'\t' -v r="$row" '$1 == r' "$rows_file")
		if [ -z "$line" ]; then
			printf '%s\t%s\t-\t-\tno test\t-\tno test prints "# behaviour: %s"\t-\t-\n' \
				"$row" "$name$at" "$row" >>"$records"
			log "$name$at: no test"
			continue
		fi
		read -r -a progs <<<"$(cut -f3- <<<"$line" | tr '\t' ' ')"
		ref=$ref_name
		refcell=$(cut -f2 <<<"$line")
		if [ -f "$top/kernels/controls$sfx/$row.patch" ]; then
			# The mutant arms a test hook: its reference is the same hook without the mutation.
			ref=control$at
			if [ -z "${control_cell[$row]:-}" ]; then
				local ctl_result
				ctl_result=$(run "$switched" "uffdscope-ctl-$row$idsfx" "uffdscope_hook=$row" "${progs[@]}")
				# shellcheck disable=SC2086
				refcell=$(python3 "$top/scripts/kernel-mutation.py" rows $ctl_result |
					awk -F'\t' -v r="$row" '$1 == r { print $2 }')
				control_cell[$row]=${refcell:--}
			fi
			refcell=${control_cell[$row]}
		fi
		log "$name$at: booting the mutants kernel with uffdscope_mutant=$name for ${progs[*]}"
		t=$(now)
		result=$(run "$switched" "uffdscope-mut-$name$idsfx" "uffdscope_mutant=$name" "${progs[@]}")
		run_s=$(elapsed "$t")
		# shellcheck disable=SC2086
		IFS=$'\t' read -r verdict tests evidence < <(python3 "$top/scripts/kernel-mutation.py" verdict "$row" $result)
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "$name$at" "$ref" "$refcell" "$verdict" \
			"$tests" "$evidence" "$(cat "$work/mutants$idsfx.build")" "$run_s" >>"$records"
		log "$name$at: $verdict ($tests)"
	done
}

for series in $UFFDSCOPE_BUILT_SERIES; do
	mine=()
	for m in "${picked[@]}"; do
		[ "${m##*@}" = "$series" ] && mine+=("${m%@*}")
	done
	[ ${#mine[@]} = 0 ] || mutate_series "$series" "${mine[@]}"
done

python3 "$top/scripts/kernel-mutation.py" result "$records" "$work/result.json"
echo "@@RESULT $work/result.json"
python3 "$top/scripts/kernel-mutation.py" table "$records"
