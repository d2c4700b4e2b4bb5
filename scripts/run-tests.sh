#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The test command (`make check`, and what CI runs): install what is missing, then run the
# whole suite in every kernel of the matrix and natively on the host, and print one table of
# kernel by behaviour ending in "N passed, N failed, N skipped". Exits 1 if anything failed.
#
# Environment: UFFDSCOPE_KERNELS (default: UFFDSCOPE_DEFAULT_KERNELS in scripts/lib.sh),
# UFFDSCOPE_SKIP_HOST=1, UFFDSCOPE_SKIP_BUILT=1 (no kernels built from source), and those of
# scripts/run-vm.sh.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

t_all=$(now)
bash "$UFFDSCOPE_TOP/scripts/install-deps.sh" || exit 1

kernels=${UFFDSCOPE_KERNELS:-$UFFDSCOPE_DEFAULT_KERNELS}
# The fuzzer's and the stress test's time budgets in every VM of the matrix (seconds): enough
# for 40,000 to 240,000 inputs a kernel under TCG; make check-debug runs them longer.
export UFFDSCOPE_FUZZ_SECONDS=${UFFDSCOPE_FUZZ_SECONDS:-20}
export UFFDSCOPE_STRESS_SECONDS=${UFFDSCOPE_STRESS_SECONDS:-20}
run=$UFFDSCOPE_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run"
ln -sfn "$run" "$UFFDSCOPE_CACHE/runs/latest"
results=()
timings=()

# One kernel: its result file, or a synthesized failure when it never produced one.
run_one() {
	local label=$1 t out
	shift
	t=$(now)
	out=$run/$label.json
	log "== $label"
	"$@" >"$run/$label.log" 2>&1 || true
	keep_result "$label" "$run/$label.log" "$out"
	echo "$label $(elapsed "$t")" >"$run/$label.time"
}

# Collect what run_one left for a label, in the order the labels were started.
collect() {
	results+=("$run/$1.json")
	timings+=("$(cat "$run/$1.time")")
}

# Kernels built here from linux-source-6.12 (amd64): the base build, whose suite run is also
# the reference of the mutation table, where each catalog behaviour is removed in turn
# (kernels/mutants/) to prove that the row's tests notice. Its build (~12 min cold) runs in
# the background, niced, while the Debian kernels boot. The debug kernels (KASAN, lockdep,
# DEBUG_VM ...) are `make check-debug`: see Documentation/kernels.rst for why.
built=0
[ "${UFFDSCOPE_SKIP_BUILT:-0}" = 1 ] || built=1
if [ $built = 1 ]; then
	nice -n 10 bash "$UFFDSCOPE_TOP/scripts/build-kernel.sh" base >"$run/build-base.log" 2>&1 &
	base_build=$!
fi
# Downloads and unpacking of the Debian kernels go on ahead of the VMs, one at a time.
(for k in $kernels; do bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" "$k" >/dev/null 2>&1 || true; done) &
prefetch=$!

# UFFDSCOPE_PARALLEL VMs at a time (default 2): most tests keep one vCPU busy, so two TCG
# VMs on two cores finish the matrix sooner than one after the other; every test takes a time
# budget or a handshake, never a speed, so sharing the cores changes no verdict.
parallel=${UFFDSCOPE_PARALLEL:-2}
vm_pids=()
vms_running() {
	local n=0 p
	for p in "${vm_pids[@]}"; do
		kill -0 "$p" 2>/dev/null && n=$((n + 1))
	done
	echo $n
}
for k in $kernels; do
	while [ "$(vms_running)" -ge "$parallel" ]; do
		sleep 2
	done
	UFFDSCOPE_QUIET=1 run_one "$k" bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" "$k" &
	vm_pids+=($!)
done
wait "$prefetch" 2>/dev/null || true
if [ $built = 1 ]; then
	wait "$base_build" || true
fi
wait
for k in $kernels; do
	collect "$k"
done
# Lint compiles while the built kernel's VMs run, one after the other (the mutation run's
# boots are short, mostly a single vCPU busy): the two share the cores instead of taking
# turns, which saves the shorter of them (lint is ~4 min cold). Its checks are builds and
# need no timing; the mutation run's tests take handshakes and budgets, never a speed.
UFFDSCOPE_QUIET=1 run_one lint bash "$UFFDSCOPE_TOP/scripts/lint.sh" &
lint_job=$!
if [ $built = 1 ]; then
	# shellcheck disable=SC2016
	UFFDSCOPE_QUIET=1 run_one built-base bash -c \
		'k=$(bash "$1/scripts/build-kernel.sh" base) && exec bash "$1/scripts/run-vm.sh" "$k"' \
		_ "$UFFDSCOPE_TOP"
	collect built-base
	base_result=""
	[ -f "$run/built-base.json" ] && [ -n "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cases"]) or "")' "$run/built-base.json")" ] &&
		base_result=$run/built-base.json
	# The 7.3 mutants (kernels/mutants-7.3/) join once their kernel's cold build is measured.
	UFFDSCOPE_MUTANT_SERIES=6.12 UFFDSCOPE_BASE_RESULT=$base_result run_one mutants bash "$UFFDSCOPE_TOP/scripts/run-mutants.sh"
	collect mutants
fi
wait "$lint_job"
collect lint
UFFDSCOPE_QUIET=1 run_one runner bash "$UFFDSCOPE_TOP/scripts/test-runner.sh"
collect runner
if [ "${UFFDSCOPE_SKIP_HOST:-0}" != 1 ]; then
	UFFDSCOPE_QUIET=1 run_one host bash "$UFFDSCOPE_TOP/scripts/run-host.sh"
	collect host
fi

echo
echo "== uffdscope: $(echo "$kernels" | wc -w) kernel(s) in QEMU and the host; logs in $run"
echo
python3 "$UFFDSCOPE_TOP/scripts/results.py" table "${results[@]}" \
	--markdown "$run/conformance.md" --json "$run/conformance.json"
rc=$?
log "conformance table: $run/conformance.md and $run/conformance.json"
echo "== wall time: $(printf '%s s, ' "${timings[@]}")total $(elapsed "$t_all") s" >&2
# The table's last line is the plain count CI reads; keep it last on stdout.
exit $rc
