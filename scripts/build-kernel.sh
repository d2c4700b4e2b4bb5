#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build one of uffdscope's own kernels from Debian's linux-source-6.12 (x86_64), or find it
# cached, and print its folder. The folder has the layout scripts/fetch-kernel.sh gives for
# Debian's kernels, so the runner treats both alike: vmlinuz, config, release, arch,
# modules/, kdir (a build folder ready for `make -C kdir M=... modules`), .complete.
#
#   scripts/build-kernel.sh base             kernels/config/base.config over tinyconfig
#   scripts/build-kernel.sh debug            the same plus kernels/config/debug.config
#   scripts/build-kernel.sh mutant:ROW       base plus kernels/mutants/ROW.patch
#   scripts/build-kernel.sh control:ROW      base plus kernels/controls/ROW.patch
#
# Folders are keyed by the source version, the config fragments and the patch text, so an
# edit of any of them builds a new kernel and an unchanged one is found in seconds.
#
# Mutants and controls cost seconds, not minutes: each starts from a copy of the base
# build folder and rebuilds only what its patch touches. That works because every tree
# here is a hard-link farm of the pristine source with the build folder O= as its
# subdirectory "build": Kbuild then names the source "..", every recorded path is
# relative, and a copied build folder is up to date against a copied farm. Files a patch
# changes are unlinked from the pristine source first, so neither it nor the base changes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Bump when the recipe below changes in a way that changes the kernels it builds.
RECIPE=1
JOBS=${UFFDSCOPE_JOBS:-2}

spec=${1:-}
case $spec in
base | debug) kind=$spec name=$spec ;;
mutant:?* | control:?*) kind=${spec%%:*} name=${spec#*:} ;;
*) die "usage: scripts/build-kernel.sh base | debug | mutant:ROW | control:ROW (got '$spec')" ;;
esac
case $name in
*[!A-Za-z0-9_-]*) die "bad kernel name '$name': letters, digits, '-' and '_' only" ;;
esac

kdefs=$UFFDSCOPE_TOP/kernels
base_frag=$kdefs/config/base.config
debug_frag=$kdefs/config/debug.config
patch=""
case $kind in
mutant) patch=$kdefs/mutants/$name.patch ;;
control) patch=$kdefs/controls/$name.patch ;;
esac
[ -z "$patch" ] || [ -f "$patch" ] ||
	die "no $kind named '$name': $patch does not exist (see ls $kdefs/${kind}s/)"

src=$(bash "$(dirname "$0")/kernel-source.sh" 6.12)
built=$UFFDSCOPE_CACHE/built
mkdir -p "$built"

hash_of() {
	sha256sum | cut -c1-12
}

# What a kernel's content depends on; mutants and controls also on the base they copy.
base_key=$({ echo "recipe $RECIPE"; cat "$src/.debian-version" "$base_frag"; } | hash_of)
case $kind in
base) key=$base_key ;;
debug) key=$({ echo "$base_key"; cat "$debug_frag"; } | hash_of) ;;
*) key=$({ echo "$base_key"; cat "$patch"; } | hash_of) ;;
esac
case $kind in
base | debug) localversion=-uffdscope-$kind ;;
mutant) localversion=-uffdscope-mut-$name ;;
control) localversion=-uffdscope-ctl-$name ;;
esac
dest=$built/$kind-$name-$key
[ "$kind" = base ] || [ "$kind" = debug ] && dest=$built/$kind-$key

if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi

# One builder per folder at a time; a second caller waits and then finds it built.
exec 9>"$dest.lock"
flock 9
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi

# A tree whose source files are hard links to the pristine source: seconds, no space.
link_source() {
	local tree=$1 entry
	mkdir -p "$tree"
	for entry in "$src"/* "$src"/.[!.]*; do
		[ -e "$entry" ] || continue
		case ${entry##*/} in
		.complete | .debian-version) continue ;;
		esac
		cp -al "$entry" "$tree/"
	done
}

# Apply a patch to a farm without touching the files it shares with the pristine source.
apply_patch() {
	local tree=$1 file
	(cd "$tree" && patch -p1 -F0 --dry-run --quiet <"$patch" >/dev/null) ||
		die "$patch does not apply to linux-source-6.12 without fuzz: refresh it (diff -u against $src)"
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$patch" | while IFS= read -r file; do
		[ -f "$tree/$file" ] || continue
		cp -p "$tree/$file" "$tree/$file.unlink"
		mv "$tree/$file.unlink" "$tree/$file"
	done
	(cd "$tree" && patch -p1 -F0 --quiet --no-backup-if-mismatch <"$patch") ||
		die "applying $patch failed"
}

# Every option of a fragment must come out of olddefconfig as written, or the kernel
# would silently lack something the suite needs.
check_fragment() {
	local config=$1 frag=$2 line opt missing=""
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) opt=$line ;;
		"# CONFIG_"*" is not set") opt=$line ;;
		*) continue ;;
		esac
		grep -qxF "$opt" "$config" || missing="$missing ${opt}"
	done <"$frag"
	[ -z "$missing" ] ||
		die "config options of ${frag##*/} lost by olddefconfig (renamed, or a dependency unmet):$missing"
}

kmake() {
	make -s -C "$tree/build" -j"$JOBS" "$@" >&2
}

start=$(now)
tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
tree=$tmp/tree
log "building kernel '$spec' in $dest (source linux-source-6.12 $(cat "$src/.debian-version"))"

case $kind in
base | debug)
	link_source "$tree"
	mkdir -p "$tree/build"
	make -s -C "$tree" O=build tinyconfig >&2
	frags=("$base_frag")
	[ "$kind" = debug ] && frags+=("$debug_frag")
	(cd "$tree/build" && ../scripts/kconfig/merge_config.sh -m -O . .config "${frags[@]}") \
		>"$tmp/merge_config.log" 2>&1 || { cat "$tmp/merge_config.log" >&2; die "merging the config fragments failed"; }
	;;
*)
	base=$(bash "$0" base)
	link_source "$tree"
	cp -a "$base/tree/build" "$tree/build"
	apply_patch "$tree"
	frags=("$base_frag")
	;;
esac

"$tree/scripts/config" --file "$tree/build/.config" \
	--set-str LOCALVERSION "$localversion" --disable LOCALVERSION_AUTO
kmake olddefconfig
for frag in "${frags[@]}"; do
	check_fragment "$tree/build/.config" "$frag"
done

# bzImage, then modules: with CONFIG_MODULES that also leaves Module.symvers and the
# prepared scripts an out-of-tree module build needs.
kmake bzImage || die "kernel '$spec' failed to build: see the compiler output above"
kmake modules || die "kernel '$spec': make modules failed"
[ -f "$tree/build/Module.symvers" ] || die "kernel '$spec' built no Module.symvers"

release=$(cat "$tree/build/include/config/kernel.release")
kmake INSTALL_MOD_PATH="$tmp/modroot" modules_install
# modules_install links build/ to the folder's temporary name: point it at kdir, relatively.
ln -sfn ../../../../tree/build "$tmp/modroot/lib/modules/$release/build"
cp "$tree/build/arch/x86/boot/bzImage" "$tmp/vmlinuz"
cp "$tree/build/.config" "$tmp/config"
echo "$release" >"$tmp/release"
echo amd64 >"$tmp/arch"
ln -s "modroot/lib/modules/$release" "$tmp/modules"
ln -s tree/build "$tmp/kdir"
{ elapsed "$start"; echo; } >"$tmp/build-seconds"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
log "kernel '$spec' ($release) built in $(cat "$dest/build-seconds") s"
echo "$dest"
