#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job (`make run`): boot a Debian kernel (default: the current 6.12 amd64) in QEMU
# with uffdscope.ko loaded and show what the module reports.
#
#   scripts/run-demo.sh [KERNEL]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bash "$UFFDSCOPE_TOP/scripts/install-deps.sh"
spec=${1:-6.12-amd64}
kernel=$(bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" "$spec")
release=$(cat "$kernel/release")
arch=$(cat "$kernel/arch")
karch=$(arch_kernel "$arch")
build=$UFFDSCOPE_BUILD/$release
out=$UFFDSCOPE_CACHE/demo/$release
mkdir -p "$build/src" "$out"

rsync -a --delete "$UFFDSCOPE_TOP/Kbuild" "$UFFDSCOPE_TOP/Makefile" "$UFFDSCOPE_TOP/module" "$build/src/"
make -s -C "$build/src" module KDIR="$kernel/kdir" ARCH="$karch" CROSS_COMPILE="$(arch_cross "$arch")" ||
	die "uffdscope.ko does not build for $release: see the compiler output above"

# Demo programs are the selftests' demo_*.c: small programs that build memory states and
# print the module's answers for them.
demos=()
for f in "$UFFDSCOPE_TOP"/selftests/demo_*.c; do
	[ -f "$f" ] && demos+=("$(basename "$f" .c)")
done
tests=$UFFDSCOPE_BUILD/selftests-$karch
if [ ${#demos[@]} -gt 0 ]; then
	make -s -C "$UFFDSCOPE_TOP/selftests" ARCH="$karch" OUT="$tests" "${demos[@]/#/$tests/}" ||
		die "the demo programs do not build for $karch"
fi
UFFDSCOPE_MODE=demo bash "$UFFDSCOPE_TOP/scripts/mkinitramfs.sh" "$kernel" "$build/src/uffdscope.ko" \
	"$tests" "$out/initrd.cpio.gz" 120 "${demos[@]}"
log "booting $release ($arch) with uffdscope.ko"
rc=0
bash "$UFFDSCOPE_TOP/scripts/boot-vm.sh" "$kernel" "$out/initrd.cpio.gz" "$out/console.log" 300 || rc=$?
[ $rc = 124 ] && die "the VM did not finish within 300 s: see $out/console.log"
grep -q '@@UFFDSCOPE-LOADED' "$out/console.log" || die "uffdscope.ko did not load: see $out/console.log"
sed -n '/^@@UFFDSCOPE-BEGIN/,/^@@UFFDSCOPE-END/{/^@@/d;p}' "$out/console.log"
problems=$(sed -n '/^@@DMESG-BEGIN/,/^@@DMESG-END/p' "$out/console.log" | grep -E 'BUG:|WARNING:|Oops|Bad rss-counter' || true)
[ -z "$problems" ] || die "the kernel complained during the demo: $problems"
