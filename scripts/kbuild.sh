#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run Kbuild for an out-of-tree module against one kernel of the cache, with the compiler that
# built that kernel: this machine's gcc when its major version matches, else the build root of
# that version (scripts/build-root.sh), entered with chroot in a private mount namespace where
# the cache is bind-mounted at its own path.
#
#   scripts/kbuild.sh KERNEL_DIR MODULE_SRC_DIR [make arguments ...]
#   scripts/kbuild.sh --check KERNEL_DIR      only make sure the compiler is at hand
#
# KERNEL_DIR is a folder of scripts/fetch-kernel.sh or scripts/build-kernel.sh; MODULE_SRC_DIR
# must lie inside the cache ($UFFDSCOPE_CACHE) when a build root is used. The make arguments
# follow `make -C KDIR M=SRC ARCH=... CROSS_COMPILE=...` (e.g. W=1 modules, or C=2 modules).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
	set -- "${1:-}" -
fi
[ $# -ge 2 ] || die "usage: scripts/kbuild.sh [--check] KERNEL_DIR MODULE_SRC_DIR [make args ...]"
kernel=$1 src=$2
shift 2
[ -f "$kernel/arch" ] || die "'$kernel' is not a kernel folder of the cache (no arch file)"
arch=$(cat "$kernel/arch")
karch=$(arch_kernel "$arch")
cross=$(arch_cross "$arch")
release=$(cat "$kernel/release")
# Kernels fetched before the folder recorded its compiler were all built by bookworm's gcc-12.
cc=$(cat "$kernel/cc" 2>/dev/null || echo 12)
kdir=$(readlink -f "$kernel/kdir")

host_cc_major() {
	"${cross}gcc" -dumpversion 2>/dev/null | cut -d. -f1
}

if [ "$(host_cc_major)" = "$cc" ]; then
	[ $check = 0 ] || exit 0
	exec make -C "$kdir" M="$src" ARCH="$karch" CROSS_COMPILE="$cross" "$@"
fi

root=$(bash "$UFFDSCOPE_TOP/scripts/build-root.sh" "$cc") ||
	die "kernel $release was built with gcc-$cc, which this machine lacks, and no gcc-$cc build root could be made (see above)"
[ $check = 0 ] || exit 0
case $(readlink -f "$src") in
"$(readlink -f "$UFFDSCOPE_CACHE")"/*) ;;
*) die "building for $release needs the gcc-$cc build root, which sees only $UFFDSCOPE_CACHE: put the module sources there (got $src)" ;;
esac
in_build_root "$root" make -C "$kdir" M="$src" ARCH="$karch" CROSS_COMPILE="$cross" "$@"
