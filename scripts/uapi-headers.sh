#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install linux-source-6.12's uapi headers for one arch into the cache and print the
# include folder: the tests need definitions newer than Debian 12's linux-libc-dev (6.1),
# and headers_install is how the kernel itself exports them.
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
src=$(bash "$(dirname "$0")/kernel-source.sh" 6.12)
dest=$UFFDSCOPE_CACHE/uapi/6.12-$arch
if [ ! -f "$dest/.complete" ]; then
	log "installing 6.12 uapi headers for $arch"
	rm -rf "$dest"
	mkdir -p "$dest"
	make -s -C "$src" O="$dest/build" ARCH="$karch" INSTALL_HDR_PATH="$dest" headers_install >&2 ||
		die "headers_install for $arch failed: are flex, bison and make installed (scripts/install-deps.sh)?"
	rm -rf "$dest/build"
	touch "$dest/.complete"
fi
echo "$dest/include"
