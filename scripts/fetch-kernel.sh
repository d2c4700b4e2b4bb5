#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch one Debian kernel (image, its modules, and headers for out-of-tree builds)
# from the package mirror into the cache, and print the folder it lives in.
#
#   scripts/fetch-kernel.sh SPEC
#
# SPEC is SERIES-FLAVOUR or an exact Debian ABI name.
#   SERIES   6.1, 6.12 (bookworm, this machine's Debian), any X.Y, or "latest": the highest
#            version any reachable suite offers (bookworm, then UFFDSCOPE_SUITES: trixie,
#            trixie-backports, sid). A series resolves in bookworm when bookworm has it.
#   FLAVOUR  amd64, arm64, arm64-16k (16 KiB pages), rt-amd64, rt-arm64 (PREEMPT_RT),
#            cloud-amd64, cloud-arm64.
#   ABI      6.1.0-56-amd64, 6.12.117+deb12-arm64-16k, 7.3.4+deb13-rt-amd64 ...
# A ":CPU" suffix (latest-arm64-16k:nolpa2) names how the VM boots it; it is ignored here.
#
# The folder holds: vmlinuz, config, release (uname -r), arch (amd64/arm64), cc (the gcc
# major version that built the kernel), modules/ (its /lib/modules/RELEASE), kdir (the
# headers tree to build modules against). The headers, their -common part and the amd64
# kbuild tools are extracted together into one root, so the headers' relative links into
# linux-kbuild resolve for both arches. Nothing is downloaded or extracted twice.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

spec=${1:-}
[ -n "$spec" ] || die "usage: scripts/fetch-kernel.sh SERIES-FLAVOUR | ABI-NAME (e.g. 6.12-amd64, latest-arm64-16k)"
spec=${spec%%:*}

flavour=""
for f in arm64-16k rt-amd64 rt-arm64 cloud-amd64 cloud-arm64 amd64 arm64; do
	case $spec in *-"$f") flavour=$f && break ;; esac
done
[ -n "$flavour" ] ||
	die "unknown kernel '$spec': the name ends in a flavour (amd64, arm64, arm64-16k, rt-amd64, rt-arm64, cloud-amd64, cloud-arm64), e.g. 6.12-amd64, latest-arm64-16k"
series=${spec%-"$flavour"}
case $flavour in
*amd64) arch=amd64 ;;
*) arch=arm64 ;;
esac
aptarch=":$arch"

# Every (version, ABI) that a metapackage of this flavour offers in one apt view ($1: "system"
# or "newer"), one "VERSION ABI" a line.
offers() {
	local view=$1 meta
	for meta in "linux-image-$flavour" "linux-image-$series-$flavour"; do
		if [ "$view" = system ]; then
			apt-cache show "$meta$aptarch" 2>/dev/null || true
		else
			newer_apt apt-cache show "$meta$aptarch" 2>/dev/null || true
		fi
	done | awk '/^Version: / { v = $2 }
		/^Depends: / { if (match($0, /linux-image-[0-9][^ ,:]*/))
			print v, substr($0, RSTART + 12, RLENGTH - 12) }'
}

# The highest version among "VERSION ABI" lines on stdin; prints the ABI.
highest() {
	local best="" babi="" v a
	while read -r v a; do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v babi=$a
		fi
	done
	echo "$babi"
}

# Which apt view serves a package: "system" first, then "newer"; empty when neither.
view_of() {
	if [ -n "$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: \([^(].*\)/\1/p')" ]; then
		echo system
		return
	fi
	newer_apt_update
	if [ -n "$(newer_apt apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: \([^(].*\)/\1/p')" ]; then
		echo newer
	fi
}

if [ "$series" = latest ] || [[ $series =~ ^[0-9]+\.[0-9]+$ ]]; then
	newer_apt_update
	sys=$(offers system)
	new=$(offers newer)
	case $series in
	latest) abi=$(printf '%s\n%s\n' "$sys" "$new" | grep . | highest || true) ;;
	*)
		pick() { grep -E "^[^ ]+ ${series//./\\.}[.-]" | highest || true; }
		abi=$(pick <<<"$sys")
		[ -n "$abi" ] || abi=$(pick <<<"$new")
		;;
	esac
	[ -n "$abi" ] ||
		die "no Debian kernel of series '$series' and flavour '$flavour' in bookworm or $UFFDSCOPE_SUITES: check the name (apt-cache policy linux-image-$flavour), or run 'apt-get update' (arm64 needs 'dpkg --add-architecture arm64')"
elif [[ $series =~ ^[0-9]+\.[0-9]+ ]]; then
	abi=$spec
else
	die "unknown kernel series '$series' in '$spec': use 6.1, 6.12, X.Y, latest, or an exact ABI such as 6.12.117+deb12-$flavour"
fi

dest=$UFFDSCOPE_CACHE/kernels/$abi
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi
# One fetcher per kernel (make check prefetches while the VMs run); a second caller waits and
# then finds it complete.
mkdir -p "$UFFDSCOPE_CACHE/locks"
exec 9>"$UFFDSCOPE_CACHE/locks/kernel-$abi"
flock 9
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi

headers=linux-headers-$abi$aptarch
view=$(view_of "$headers")
[ -n "$view" ] ||
	die "kernel '$abi' is not on the mirror (no package $headers in bookworm or $UFFDSCOPE_SUITES): check the name with 'apt-cache search linux-headers-'"
in_view() {
	if [ "$view" = system ]; then "$@"; else newer_apt "$@"; fi
}

debs=$UFFDSCOPE_CACHE/debs
mkdir -p "$debs"

# Download one package (its candidate version in the kernel's apt view) unless the cache has it;
# print its path.
fetch_deb() {
	local pkg=$1 name=${1%%:*} ver
	ver=$(in_view apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		die "package '$pkg' is not on the mirror: check that kernel '$abi' exists (apt-cache policy $pkg)"
	# Kernels share packages (-common, kbuild): one download into the folder at a time.
	(
		flock 8
		f=$(ls "$debs/${name}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
		if [ -z "$f" ]; then
			(cd "$debs" && in_view apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
				die "download of '$pkg' failed: is the Debian mirror reachable?"
			f=$(ls "$debs/${name}_${ver//:/%3a}_"*.deb | head -n 1)
		fi
		echo "$f"
	) 8>"$UFFDSCOPE_CACHE/locks/debs"
}

# The first dependency of a package whose name matches a pattern.
dep_of() {
	{ in_view apt-cache depends "$1" 2>/dev/null || true; } |
		sed -n "s/^ *Depends: <\{0,1\}\($2\)>\{0,1\}.*/\1/p" | head -n 1
}

common=$(dep_of "$headers" 'linux-headers-[^ :>]*-common[^ :>]*')
kbuild=$(dep_of "$headers" 'linux-kbuild-[^ :>]*')
[ -n "$common" ] && [ -n "$kbuild" ] ||
	die "headers of kernel '$abi' name no -common or kbuild package: see 'apt-cache depends $headers'"
kbuild=${kbuild%%:*}

# Up to 6.x one linux-image-ABI-unsigned holds kernel, config and modules; from 7.x Debian
# splits them into linux-binary-unsigned-, linux-modules- and linux-base-ABI.
if [ -n "$(in_view apt-cache policy "linux-image-$abi-unsigned$aptarch" 2>/dev/null | sed -n 's/^ *Candidate: \([^(].*\)/\1/p')" ]; then
	images=("linux-image-$abi-unsigned$aptarch")
else
	images=("linux-binary-unsigned-$abi$aptarch" "linux-modules-$abi$aptarch" "linux-base-$abi$aptarch")
fi

tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp/root"
log "fetching kernel $abi (Debian $([ "$view" = system ] && echo bookworm || echo "$UFFDSCOPE_SUITES"))"
for pkg in "${images[@]}" "$headers" "$common" "$kbuild"; do
	deb=$(fetch_deb "$pkg") || exit 1
	dpkg-deb -x "$deb" "$tmp/root"
done

mods=lib/modules
[ -d "$tmp/root/$mods" ] || mods=usr/lib/modules
release=$(ls "$tmp/root/$mods" 2>/dev/null | head -n 1)
[ -n "$release" ] || die "image of kernel '$abi' holds no modules folder"
for f in "boot/vmlinuz-$release" "$mods/$release/vmlinuz.unsigned" "$mods/$release/vmlinuz"; do
	[ -f "$tmp/root/$f" ] && mv "$tmp/root/$f" "$tmp/vmlinuz" && break
done
for f in "boot/config-$release" "$mods/$release/config"; do
	[ -f "$tmp/root/$f" ] && mv "$tmp/root/$f" "$tmp/config" && break
done
[ -f "$tmp/vmlinuz" ] && [ -f "$tmp/config" ] ||
	die "image packages of kernel '$abi' hold no vmlinuz or config (looked in boot/ and $mods/$release/)"
ln -s "root/$mods/$release" "$tmp/modules"
ln -s "root/usr/src/linux-headers-$release" "$tmp/kdir"
# Debian's headers name their -common half (and from 7.x their own folder, KBUILD_OUTPUT) by
# absolute /usr/src paths: point them into the root.
sed -i -e "s|^include /usr/src/|include $dest/root/usr/src/|" \
	-e "s|^KBUILD_OUTPUT=/usr/src/|KBUILD_OUTPUT=$dest/root/usr/src/|" \
	"$tmp/root/usr/src/linux-headers-$release/Makefile"
[ -f "$tmp/kdir/Makefile" ] || die "headers of kernel '$abi' did not extract (no $tmp/kdir/Makefile)"
# The compiler that built it (CONFIG_CC_VERSION_TEXT "x86_64-linux-gnu-gcc-14 (Debian ...) 14.2.0"):
# modules must be built with the same major version (scripts/kbuild.sh).
cc=$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9][0-9][0-9][0-9]$/\1/p' "$tmp/config")
[ -n "$cc" ] || die "kernel '$abi' was not built by gcc (no CONFIG_GCC_VERSION in its config): scripts/kbuild.sh knows only gcc"
echo "$cc" >"$tmp/cc"
echo "$release" >"$tmp/release"
echo "$arch" >"$tmp/arch"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
echo "$dest"
