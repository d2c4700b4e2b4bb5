#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpack Debian's linux-source-SERIES package once into the cache and print the tree's path.
# The selftests take kselftest_harness.h from it, lint takes checkpatch.pl, and the kernels
# built here (mutants, debug) are built from it. None of it is ever committed.
#
#   scripts/kernel-source.sh [SERIES]      (6.1, 6.12, 7.3 ..., or latest; default 6.12)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:-6.12}
# "latest": the newest linux-source-X.Y that bookworm or the newer suites offer.
if [ "$series" = latest ]; then
	newer_apt_update
	series=$({ apt-cache pkgnames linux-source-; newer_apt apt-cache pkgnames linux-source-; } 2>/dev/null |
		sed -n 's/^linux-source-\([0-9]*\.[0-9]*\)$/\1/p' | sort -V | tail -n 1)
	[ -n "$series" ] || die "no linux-source-X.Y package in bookworm or $UFFDSCOPE_SUITES: run 'apt-get update'"
fi
dest=$UFFDSCOPE_CACHE/src/linux-source-$series
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi
# One unpacker at a time; a second caller waits and then finds the tree.
mkdir -p "$UFFDSCOPE_CACHE/locks"
exec 9>"$UFFDSCOPE_CACHE/locks/source-$series"
flock 9
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi

pkg=linux-source-$series
debs=$UFFDSCOPE_CACHE/debs
mkdir -p "$debs"
# bookworm's own sources (6.1, 6.12) first, then the newer suites (7.x; see lib.sh).
candidate() {
	"$@" policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: \([^(].*\)/\1/p'
}
view=()
ver=$(candidate apt-cache)
if [ -z "$ver" ]; then
	newer_apt_update
	view=(newer_apt)
	ver=$(candidate newer_apt apt-cache)
fi
[ -n "$ver" ] || die "package '$pkg' is in neither bookworm nor $UFFDSCOPE_SUITES: check the series, or run 'apt-get update'"
deb=$(ls "$debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	log "downloading $pkg $ver"
	(cd "$debs" && "${view[@]}" apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
		die "download of '$pkg' failed: is the Debian mirror reachable?"
	deb=$(ls "$debs/${pkg}_${ver//:/%3a}_"*.deb | head -n 1)
fi

log "unpacking $pkg (about 15 s)"
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
	tar -xJ -C "$dest.tmp" --strip-components=1 ||
	die "unpacking '$deb' failed: remove it and run again"
[ -f "$dest.tmp/tools/testing/selftests/kselftest_harness.h" ] ||
	die "$pkg holds no kselftest_harness.h"
echo "$ver" >"$dest.tmp/.debian-version"
touch "$dest.tmp/.complete"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$dest"
