#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install, once, every Debian package the build, the VMs and the tests need, for the host
# (amd64) and for arm64 guests. A fresh machine of this kind needs nothing else.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	# building the module against Debian headers, and its checks
	make gcc gcc-12 libc6-dev bc flex bison libelf-dev libssl-dev dwarves sparse kmod rsync
	# the DKMS packaging is checked by building through dkms
	dkms
	# kernels built here: mutants are applied with patch
	patch
	# 7.x kernels are built with gcc-14: a trixie build root (scripts/build-root.sh)
	debootstrap
	# arm64: cross compiler and C library
	gcc-aarch64-linux-gnu gcc-12-aarch64-linux-gnu libc6-dev-arm64-cross
	# the selftests link liburing statically, for both arches
	liburing-dev liburing-dev:arm64
	# guests: QEMU, a static busybox (the arm64 one cannot be installed beside it: the
	# initramfs builder downloads and extracts it), the initramfs
	qemu-system-x86 qemu-system-arm busybox-static cpio gzip xz-utils zstd
	# the runner's result parser
	python3
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" = 0 ] || die "packages missing (${missing[*]}) and not root: run 'sudo scripts/install-deps.sh'"
log "installing ${missing[*]}"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed: is the Debian mirror reachable?"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	die "apt-get install ${missing[*]} failed: see the apt output above"
