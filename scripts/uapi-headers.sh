#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the newest linux-source's uapi headers (scripts/kernel-source.sh latest) for one arch
# into the cache and print the include folder: the tests need definitions newer than Debian
# 12's linux-libc-dev (6.1), such as 7.3's userfaultfd RWP mode, and headers_install is how the
# kernel itself exports them. uapi only grows, so programs built against them run on every
# kernel of the matrix and probe at run time what each one has.
#
#   scripts/uapi-headers.sh x86_64|arm64
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-}
case $arch in
x86_64) karch=x86 ;;
arm64) karch=arm64 ;;
*) die "usage: scripts/uapi-headers.sh x86_64|arm64 (got '$arch')" ;;
esac
src=$(bash "$(dirname "$0")/kernel-source.sh" latest)
series=${src##*/linux-source-}
dest=$UFFDSCOPE_CACHE/uapi/$series-$arch
mkdir -p "$UFFDSCOPE_CACHE/locks"
exec 9>"$UFFDSCOPE_CACHE/locks/uapi-$arch"
flock 9
if [ ! -f "$dest/.complete" ]; then
	log "installing $series uapi headers for $arch"
	rm -rf "$dest"
	mkdir -p "$dest"
	# The build folder lies beside the destination: 7.x's headers_install empties the
	# destination, tools it just built included.
	rm -rf "$dest.build"
	make -s -C "$src" O="$dest.build" ARCH="$karch" INSTALL_HDR_PATH="$dest" headers_install >&2 ||
		die "headers_install for $arch failed: are flex, bison and make installed (scripts/install-deps.sh)?"
	rm -rf "$dest.build"
	touch "$dest/.complete"
fi
echo "$dest/include"
