#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check-debug`: build uffdscope's debug kernels (KASAN, lockdep, PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, DEBUG_VM, DEBUG_LIST: scripts/build-kernel.sh) and run the whole suite
# with the module under each, one VM at a time (scripts/run-vm.sh, which fails a run on any
# KASAN, lockdep, RCU, BUG or WARNING line of the console). Prints the table of kernel by
# behaviour ending in "N passed, N failed, N skipped"; exits 1 if anything failed.
#
#   scripts/run-debug.sh [KERNEL[:CPU] ...]
#
# KERNEL: a debug kind of scripts/build-kernel.sh; CPU as in scripts/run-vm.sh. The default
# (UFFDSCOPE_DEBUG_KERNELS) is the x86_64 debug kernel of each series (debug, debug@7.3: the
# module's compat code differs between them), the PREEMPT_RT one (debug-rt@7.3: lockdep with
# sleeping spinlocks) and the arm64 ones from 6.12, the 16 KiB one also on a CPU without
# LPA2 (Documentation/kernels.rst, "Which sources").
# It is not part of `make check`: cold, the builds alone take longer than CI's hour on a
# fresh machine (Documentation/kernels.rst has the figures).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# Under the kernel's own checkers the fuzzer and the stress test get their full budgets.
export UFFDSCOPE_FUZZ_SECONDS=${UFFDSCOPE_FUZZ_SECONDS:-60}
export UFFDSCOPE_STRESS_SECONDS=${UFFDSCOPE_STRESS_SECONDS:-60}
# The report's agreement with the suite's table is make check's (the same programs run again:
# minutes more under KASAN); these runs look for the kernel's complaints.
export UFFDSCOPE_REPORT=${UFFDSCOPE_REPORT:-0}

t_all=$(now)
if [ $# -gt 0 ]; then
	kernels=$*
else
	kernels=${UFFDSCOPE_DEBUG_KERNELS:-debug debug@7.3 debug-rt@7.3 debug-arm64 debug-arm64-16k debug-arm64-16k:nolpa2}
fi
for k in $kernels; do
	name=${k%%:*}
	case ${name%@*}${k#"$name"} in
	debug | debug-rt | debug-arm64 | debug-arm64-16k | debug-arm64:nolpa2 | debug-arm64-16k:nolpa2) ;;
	*) die "unknown debug kernel '$k': the debug kernels are debug, debug-rt, debug-arm64, debug-arm64-16k (the arm64 ones also with :nolpa2), each optionally @SERIES (debug@7.3, debug-rt@7.3)" ;;
	esac
done

run=$UFFDSCOPE_CACHE/runs/debug-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run"

# The kernels build one after the other in the background, niced, while the VMs of those
# already built run; build-kernel.sh's lock makes a VM wait for a build still in progress.
# Each build's seconds (under 1 when cached) go to NAME.build-seconds.
# shellcheck disable=SC2086 # kernel names hold no spaces
names=$(printf '%s\n' $kernels | sed 's/:.*//' | awk '!seen[$0]++')
(
	for n in $names; do
		t=$(now)
		nice -n 10 bash "$UFFDSCOPE_TOP/scripts/build-kernel.sh" "$n" >"$run/$n.build.log" 2>&1 || true
		elapsed "$t" >"$run/$n.build-seconds"
	done
) &
builder=$!

results=()
timings=()
for k in $kernels; do
	name=${k%%:*} cpu=""
	[ "$name" = "$k" ] || cpu=:${k#*:}
	label=${name/@/-}${cpu/:/-}
	out=$run/$label.json
	t=$(now)
	log "== $k"
	# The folder: waits for the background build, or finds it cached.
	if folder=$(bash "$UFFDSCOPE_TOP/scripts/build-kernel.sh" "$name" 2>"$run/$label.log"); then
		UFFDSCOPE_QUIET=1 bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" "$folder$cpu" >>"$run/$label.log" 2>&1
	fi
	keep_result "$label" "$run/$label.log" "$out"
	results+=("$out")
	vm_s=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("vm_seconds", "-"))' "$out" 2>/dev/null || echo -)
	timings+=("$label: build $(cat "$run/$name.build-seconds" 2>/dev/null || echo -) s, VM $vm_s s, all $(elapsed "$t") s")
done
wait "$builder"

echo
echo "== uffdscope: $(echo "$kernels" | wc -w) debug kernel run(s); logs in $run"
echo
python3 "$UFFDSCOPE_TOP/scripts/results.py" table "${results[@]}" \
	--markdown "$run/conformance.md" --json "$run/conformance.json"
rc=$?
printf '== %s\n' "${timings[@]}" >&2
echo "== wall time: total $(elapsed "$t_all") s" >&2
# The table's last line is the plain count CI reads; keep it last on stdout.
exit $rc
