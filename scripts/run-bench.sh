#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks (selftests/bench_*.c) in every kernel of the matrix, with the module loaded:
# they print figures (the dense and sparse dump against pagemap and PAGEMAP_SCAN, the target's
# mprotect() latency while a dump runs), one VM per kernel, and a summary of their "# bench:"
# lines. Not part of `make check`: figures are measured, not asserted.
#
#   scripts/run-bench.sh [KERNEL ...]      (default: UFFDSCOPE_KERNELS or the default matrix)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

benches=()
for f in "$UFFDSCOPE_TOP"/selftests/bench_*.c; do
	[ -f "$f" ] && benches+=("$(basename "$f" .c)")
done
[ ${#benches[@]} -gt 0 ] || die "no selftests/bench_*.c to run"
if [ $# -gt 0 ]; then
	kernels=("$@")
else
	read -r -a kernels <<<"$(echo ${UFFDSCOPE_KERNELS:-$UFFDSCOPE_DEFAULT_KERNELS})"
fi
# (c) writes 4 GiB in the target, or half of what the guest has available: 10 GiB guests without
# the 1 GiB page the suite sets aside give it the whole 4 GiB (QEMU allocates guest memory as
# it is touched; one VM at a time).
export UFFDSCOPE_VM_MEMORY=${UFFDSCOPE_VM_MEMORY:-10G}
export UFFDSCOPE_GIGANTIC=${UFFDSCOPE_GIGANTIC:-0}
out=$UFFDSCOPE_CACHE/bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
for k in "${kernels[@]}"; do
	log "== $k: ${benches[*]}"
	UFFDSCOPE_QUIET=1 UFFDSCOPE_KERNEL_ID="bench-${k//:/-}" \
		bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" "$k" "${benches[@]}" >"$out/${k//:/-}.log" 2>&1 || true
	result=$(sed -n 's/^@@RESULT //p' "$out/${k//:/-}.log" | tail -n 1)
	if [ -n "$result" ]; then
		grep -a '^# # bench' "$(dirname "$result")/console.log" | sed "s/^/$k /" || true
	else
		log "$k: no result, see $out/${k//:/-}.log"
	fi
done | tee "$out/summary.txt"
log "benchmark figures: $out/summary.txt"
