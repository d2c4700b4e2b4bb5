#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A Debian build root that holds gcc-N (native and the arm64 cross compiler), for kernels
# that were built with a compiler this machine's Debian does not have (Debian's 7.x kernels
# are built with gcc-14; bookworm has gcc-12, which stops at -fmin-function-alignment).
# Made once with debootstrap from the oldest suite that has gcc-N, cached, and printed.
#
#   scripts/build-root.sh N          (e.g. 14)
#
# scripts/kbuild.sh runs make inside it, with the cache bind-mounted at the same path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

major=${1:-}
[[ $major =~ ^[0-9]+$ ]] || die "usage: scripts/build-root.sh GCC_MAJOR (e.g. 14)"

# The Debian suite whose default compiler is gcc-N. A kernel built with a compiler not
# listed here needs a line added; the error says so.
case $major in
14) suite=trixie ;;
*) die "no build root known for gcc-$major: add the Debian suite that ships gcc-$major to scripts/build-root.sh" ;;
esac

# What the root holds: the compilers, Kbuild's host needs, and the lint tools (sparse; pahole
# for module BTF). The folder is keyed by this list, so a change makes a new root.
pkgs=gcc-$major,gcc-$major-aarch64-linux-gnu,make,libc6-dev,libelf-dev,bc,flex,bison,kmod,libssl-dev
pkgs=$pkgs,rsync,sparse,dwarves
key=$(echo "$suite $pkgs" | sha256sum | cut -c1-8)
dest=$UFFDSCOPE_CACHE/buildroots/gcc-$major-$key
# The newest sparse any suite has (sid's 0.6.5~rc1 today): 7.x headers use __typeof_unqual__,
# which the suite's 0.6.4 rejects, and Kbuild then drops C=2 without a word. Put into the root
# once, over the suite's own.
newest_sparse() {
	local root=$1 ver deb
	newer_apt_update
	ver=$(newer_apt apt-cache policy sparse 2>/dev/null | sed -n 's/^ *Candidate: \([^(].*\)/\1/p')
	[ -n "$ver" ] || die "no sparse package in $UFFDSCOPE_SUITES"
	[ -f "$root/.sparse-$ver" ] && return 0
	mkdir -p "$UFFDSCOPE_CACHE/debs"
	(cd "$UFFDSCOPE_CACHE/debs" && newer_apt apt-get download -q -o APT::Sandbox::User=root "sparse=$ver" >&2) ||
		die "download of sparse $ver failed: is the Debian mirror reachable?"
	deb=$(ls "$UFFDSCOPE_CACHE/debs/sparse_${ver//:/%3a}_amd64.deb" | head -n 1)
	dpkg-deb -x "$deb" "$root"
	touch "$root/.sparse-$ver"
}

if [ -f "$dest/.complete" ]; then
	(flock 9 && newest_sparse "$dest") 9>"$UFFDSCOPE_CACHE/locks/buildroot-gcc-$major" >&2 || exit 1
	echo "$dest"
	exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is missing: run scripts/install-deps.sh"
[ "$(id -u)" = 0 ] || die "making the gcc-$major build root needs root (debootstrap, chroot)"

mkdir -p "$UFFDSCOPE_CACHE/buildroots" "$UFFDSCOPE_CACHE/locks"
exec 9>"$UFFDSCOPE_CACHE/locks/buildroot-gcc-$major"
flock 9
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi

log "making the gcc-$major build root from Debian $suite (about 2 minutes, once)"
t=$(now)
rm -rf "$dest.tmp"
debootstrap --variant=minbase --include="$pkgs" "$suite" "$dest.tmp" http://deb.debian.org/debian \
	>"$dest.log" 2>&1 ||
	die "debootstrap of Debian $suite failed: see $dest.log (is the Debian mirror reachable?)"
# Kbuild calls plain "gcc" for host tools and "${CROSS_COMPILE}gcc" for the kernel side.
ln -sf "gcc-$major" "$dest.tmp/usr/bin/gcc"
ln -sf "aarch64-linux-gnu-gcc-$major" "$dest.tmp/usr/bin/aarch64-linux-gnu-gcc"
rm -rf "$dest.tmp/var/cache/apt/archives/"*.deb
newest_sparse "$dest.tmp"
touch "$dest.tmp/.complete"
mv "$dest.tmp" "$dest"
log "gcc-$major build root made in $(elapsed "$t") s"
echo "$dest"
