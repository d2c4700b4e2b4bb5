#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job (`make run`): boot a Debian kernel (default: 6.12 amd64) in QEMU with
# uffdscope.ko, start a workload process (selftests/demo_workload.c) and show what the
# uffdscope command says of it: `map`, `explain` and `report` (scripts/guest/demo.sh).
#
#   scripts/run-demo.sh [KERNEL]
#
# Needs nothing but root on a Debian 12 machine: scripts/install-deps.sh installs the rest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The probes `uffdscope report` runs in the VM: fast catalog programs, so that the whole
# demo stays within a few minutes under TCG. Rows none of them names show as unknown.
DEMO_PROBES=(smoke wp_markers wp_zap wp_thp wp_fork wp_collapse collapse_uffd_missing fault_around)

t0=$(now)
bash "$UFFDSCOPE_TOP/scripts/install-deps.sh"
spec=${1:-6.12-amd64}
kernel=$(bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" "$spec")
release=$(cat "$kernel/release")
arch=$(cat "$kernel/arch")
karch=$(arch_kernel "$arch")
build=$UFFDSCOPE_BUILD/$release
out=$UFFDSCOPE_CACHE/demo/$release
mkdir -p "$build/src" "$out" "$UFFDSCOPE_CACHE/locks"

# The module is built by Kbuild with the compiler that built the kernel (scripts/kbuild.sh),
# from a copy of the sources per kernel, as scripts/run-vm.sh does.
log "building uffdscope.ko for $release"
bash "$UFFDSCOPE_TOP/scripts/kbuild.sh" --check "$kernel"
(
	flock 9
	rsync -a --delete "$UFFDSCOPE_TOP/Kbuild" "$UFFDSCOPE_TOP/Makefile" "$UFFDSCOPE_TOP/module" "$build/src/"
	bash "$UFFDSCOPE_TOP/scripts/kbuild.sh" "$kernel" "$build/src" -s W=1 KCFLAGS=-Werror \
		modules >"$build/module-build.log" 2>&1 ||
		{ cat "$build/module-build.log" >&2; die "uffdscope.ko does not build for $release: see the compiler output above"; }
	cp "$build/src/uffdscope.ko" "$out/uffdscope.ko"
) 9>"$UFFDSCOPE_CACHE/locks/module-$release"

log "building the workload and the report's probes for $karch"
progs=(demo_workload "${DEMO_PROBES[@]}")
tests=$UFFDSCOPE_BUILD/selftests-$karch
(
	flock 9
	make -s -C "$UFFDSCOPE_TOP/selftests" ARCH="$karch" OUT="$tests" "${progs[@]/#/$tests/}" \
		>"$tests.log" 2>&1 ||
		{ cat "$tests.log" >&2; die "the demo programs do not build for $karch: see above"; }
) 9>"$UFFDSCOPE_CACHE/locks/selftests-$karch"
UFFDSCOPE_MODE=demo bash "$UFFDSCOPE_TOP/scripts/mkinitramfs.sh" "$kernel" "$out/uffdscope.ko" \
	"$tests" "$out/initrd.cpio.gz" 120 "${progs[@]}"
log "booting $release ($arch) in QEMU with uffdscope.ko (TCG: a minute or two)"
rc=0
bash "$UFFDSCOPE_TOP/scripts/boot-vm.sh" "$kernel" "$out/initrd.cpio.gz" "$out/console.log" 300 || rc=$?
[ $rc = 124 ] && die "the VM did not finish within 300 s: see $out/console.log"
grep -q '@@UFFDSCOPE-LOADED' "$out/console.log" || die "uffdscope.ko did not load: see $out/console.log"
# The map is coloured on the guest's console; keep the colours only for a terminal here.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	sed -n '/^@@UFFDSCOPE-BEGIN/,/^@@UFFDSCOPE-END/{/^@@/d;p}' "$out/console.log" | tr -d '\r'
else
	sed -n '/^@@UFFDSCOPE-BEGIN/,/^@@UFFDSCOPE-END/{/^@@/d;p}' "$out/console.log" | tr -d '\r' |
		sed 's/\x1b\[[0-9;]*m//g'
fi
problems=$(sed -n '/^@@DMESG-BEGIN/,/^@@DMESG-END/p' "$out/console.log" | grep -E 'BUG:|WARNING:|Oops|Bad rss-counter' || true)
[ -z "$problems" ] || die "the kernel complained during the demo: $problems"
log "done in $(elapsed "$t0") s; the whole console log: $out/console.log"
