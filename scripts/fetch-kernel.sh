#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch one Debian kernel (image, its modules, and headers for out-of-tree builds)
# from the package mirror into the cache, and print the folder it lives in.
#
#   scripts/fetch-kernel.sh SPEC
#
# SPEC is a series and arch resolved through the metapackages (6.1-amd64, 6.12-arm64 ...)
# or an exact Debian ABI name (6.1.0-56-amd64, 6.12.117+deb12-arm64).
#
# The folder holds: vmlinuz, config, release (uname -r), arch, modules/ (the kernel's
# /lib/modules/RELEASE) and kdir (a link to the headers tree to build modules against).
# The headers, their -common part and the amd64 kbuild tools are extracted together into
# one root, so the headers' relative links into linux-kbuild resolve for both arches.
# Nothing is downloaded or extracted twice.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

spec=${1:-}
[ -n "$spec" ] || die "usage: scripts/fetch-kernel.sh SERIES-ARCH | ABI-NAME (e.g. 6.12-amd64)"

flavour=${spec##*-}
case $flavour in
amd64 | arm64) ;;
*) die "unknown kernel '$spec': name ends in -amd64 or -arm64 (e.g. 6.12-amd64, 6.1.0-56-arm64)" ;;
esac
series=${spec%-"$flavour"}
aptarch=""
[ "$flavour" = arm64 ] && aptarch=":arm64"

# Resolve a series through its metapackage; the bookworm default is the plain one.
resolve_abi() {
	local meta dep
	case $series in
	6.1) meta=linux-image-$flavour ;;
	[0-9]*.[0-9]*) meta=linux-image-$series-$flavour ;;
	esac
	dep=$(apt-cache depends "$meta$aptarch" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1)
	[ -n "$dep" ] || die "cannot resolve kernel '$spec' through '$meta$aptarch': run 'apt-get update' (arm64 needs 'dpkg --add-architecture arm64') or name an exact ABI such as 6.12.117+deb12-$flavour"
	echo "${dep#linux-image-}"
}

if [[ $series =~ ^[0-9]+\.[0-9]+$ ]]; then
	abi=$(resolve_abi)
else
	abi=$spec
fi
abiver=${abi%-"$flavour"}

dest=$UFFDSCOPE_CACHE/kernels/$abi
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi

debs=$UFFDSCOPE_CACHE/debs
mkdir -p "$debs"

# Download one package (the mirror's candidate version) unless the cache has it; print its path.
fetch_deb() {
	local pkg=$1 name=${1%%:*} ver f
	ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		die "package '$pkg' is not on the mirror: check that kernel '$abi' exists (apt-cache policy $pkg), or run 'apt-get update'"
	f=$(ls "$debs/${name}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$f" ]; then
		(cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
			die "download of '$pkg' failed: is the Debian mirror reachable?"
		f=$(ls "$debs/${name}_${ver//:/%3a}_"*.deb | head -n 1)
	fi
	echo "$f"
}

# The first dependency of a package whose name matches a pattern.
dep_of() {
	{ apt-cache depends "$1" 2>/dev/null || true; } |
		sed -n "s/^ *Depends: <\{0,1\}\($2\)>\{0,1\}.*/\1/p" | head -n 1
}

headers=linux-headers-$abi$aptarch
common=$(dep_of "$headers" 'linux-headers-[^ :>]*-common')
kbuild=$(dep_of "$headers" 'linux-kbuild-[^ :>]*')
[ -n "$common" ] && [ -n "$kbuild" ] ||
	die "kernel '$abi' is not on the mirror (no package $headers): check the name with 'apt-cache search linux-headers-', or run 'apt-get update'"
kbuild=${kbuild%%:*}

tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp/root"
log "fetching kernel $abi"
for pkg in "linux-image-$abi-unsigned$aptarch" "$headers" "$common" "$kbuild"; do
	dpkg-deb -x "$(fetch_deb "$pkg")" "$tmp/root"
done

release=$(ls "$tmp/root/lib/modules" | head -n 1)
[ -n "$release" ] || die "image of kernel '$abi' holds no modules folder"
mv "$tmp/root/boot/vmlinuz-$release" "$tmp/vmlinuz"
mv "$tmp/root/boot/config-$release" "$tmp/config"
ln -s "root/lib/modules/$release" "$tmp/modules"
ln -s "root/usr/src/linux-headers-$release" "$tmp/kdir"
# Debian's headers include their -common half by an absolute /usr/src path: point it into the root.
sed -i "s|^include /usr/src/|include $dest/root/usr/src/|" "$tmp/root/usr/src/linux-headers-$release/Makefile"
[ -f "$tmp/kdir/Makefile" ] || die "headers of kernel '$abi' did not extract (no $tmp/kdir/Makefile)"
echo "$release" >"$tmp/release"
echo "$flavour" >"$tmp/arch"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
echo "$dest"
