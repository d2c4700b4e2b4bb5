#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build one of uffdscope's own kernels from one of Debian's linux-source-SERIES packages, or find
# it cached, and print its folder. The folder has the layout scripts/fetch-kernel.sh gives for
# Debian's kernels, so the runner treats both alike: vmlinuz, config, release, arch, cc, modules/,
# kdir (a build folder ready for `make -C kdir M=... modules`), .complete.
#
#   scripts/build-kernel.sh KIND[@SERIES]
#
#   base             x86_64: kernels/config/base.config over tinyconfig
#   debug            x86_64: the same plus kernels/config/debug.config
#   debug-arm64      arm64 (cross-built): base + debug + arm64.config
#   debug-arm64-16k  the same with 16 KiB pages (arm64-16k.config)
#   debug-rt         x86_64: base + debug + kernels/config/rt.config (PREEMPT_RT, no THP)
#   mutants          base plus the series' switch patch and every control and mutant patch of
#                    the series: one kernel that is each of them when booted with
#                    uffdscope_hook=ROW or uffdscope_mutant=NAME (scripts/run-mutants.sh)
#   mutant:ROW       base plus the series' mutants/ROW.patch alone (for writing one)
#   control:ROW      base plus the series' controls/ROW.patch alone
#
# SERIES is one of the pinned series below (default 6.12): base@7.3, mutants@7.3, debug@7.3,
# debug-rt@7.3.
# Each series is pinned on purpose, never "latest": its patches are written against that tree,
# and a new Debian series must not silently change what they patch. A series' definitions:
#   6.12  kernels/mutant-switch.patch      kernels/mutants/      kernels/controls/
#   7.3   kernels/mutant-switch-7.3.patch  kernels/mutants-7.3/  kernels/controls-7.3/
# and kernels/config/series-SERIES.config, merged last when it exists (options a series
# renamed). 7.3 is built with gcc-14, as Debian builds it: every make runs inside the gcc-14
# build root (scripts/build-root.sh) unless this machine's own gcc is 14.
#
# Folders are keyed by the series, the source version, the config fragments and the patch text,
# so an edit of any of them builds a new kernel and an unchanged one is found in seconds.
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
# The same for the arm64 kernels alone (their keys include it, the x86_64 ones do not).
RECIPE_ARM64=1
JOBS=${UFFDSCOPE_JOBS:-2}

# The major version of the gcc each pinned series (UFFDSCOPE_BUILT_SERIES, lib.sh) is built
# with ("host": this machine's, as 6.12 always was). Adding a series: a line here and in lib.sh,
# its switch patch, its folders.
series_cc() {
	case $1 in
	6.12) echo host ;;
	7.3) echo 14 ;;
	esac
}

spec=${1:-}
series=6.12
kindspec=$spec
case $spec in
*@*) series=${spec##*@} kindspec=${spec%@*} ;;
esac
usage="usage: scripts/build-kernel.sh base | debug | debug-rt | debug-arm64 | debug-arm64-16k | mutants | mutant:ROW | control:ROW, each optionally @SERIES ($UFFDSCOPE_BUILT_SERIES)"
case " $UFFDSCOPE_BUILT_SERIES " in
*" $series "*) ;;
*) die "no kernels are built here from series '$series' (in '$spec'): the pinned series are $UFFDSCOPE_BUILT_SERIES (see scripts/build-kernel.sh)" ;;
esac
arch=amd64
case $kindspec in
base | debug) kind=$kindspec name=$kindspec ;;
mutants) kind=mutants name=all ;;
debug-rt) kind=debug name=$kindspec ;;
debug-arm64 | debug-arm64-16k) kind=debug name=$kindspec arch=arm64 ;;
mutant:?* | control:?*) kind=${kindspec%%:*} name=${kindspec#*:} ;;
*) die "$usage (got '$spec')" ;;
esac
case $name in
*[!A-Za-z0-9_-]*) die "bad kernel name '$name': letters, digits, '-' and '_' only" ;;
esac

# Where the series' own definitions live: 6.12's in the original places, any other's in
# folders suffixed with the series, so a 6.12 patch can never be applied to 7.3 or back.
sfx=$(series_suffix "$series")
kdefs=$UFFDSCOPE_TOP/kernels
base_frag=$kdefs/config/base.config
debug_frag=$kdefs/config/debug.config
series_frags=()
[ -f "$kdefs/config/series-$series.config" ] && series_frags=("$kdefs/config/series-$series.config")
# arm64: the machine (QEMU virt) over base.config, then the page size when it is not 4 KiB.
# debug-rt: PREEMPT_RT over debug.config (the same slot: merged after it, before the series').
arch_frags=()
case $name in
debug-rt) arch_frags=("$kdefs/config/rt.config") ;;
debug-arm64) arch_frags=("$kdefs/config/arm64.config") ;;
debug-arm64-16k) arch_frags=("$kdefs/config/arm64.config" "$kdefs/config/arm64-16k.config") ;;
esac
patch=""
case $kind in
mutant) patch=$kdefs/mutants$sfx/$name.patch ;;
control) patch=$kdefs/controls$sfx/$name.patch ;;
esac
[ -z "$patch" ] || [ -f "$patch" ] ||
	die "no $kind named '$name' for $series: $patch does not exist (see ls $kdefs/${kind}s$sfx/)"
# The mutants kernel: the switchboard first, then every control and mutant in name order.
patches=()
if [ "$kind" = mutants ]; then
	patches=("$kdefs/mutant-switch$sfx.patch")
	[ -f "${patches[0]}" ] || die "series $series has no switch patch: ${patches[0]} does not exist"
	for p in "$kdefs/controls$sfx"/*.patch "$kdefs/mutants$sfx"/*.patch; do
		[ -f "$p" ] && patches+=("$p")
	done
fi

# The pinned source, unpacked once into the cache. Not reachable: one line that says so.
src=$(bash "$(dirname "$0")/kernel-source.sh" "$series") ||
	die "linux-source-$series, the pinned source of '$spec', is not reachable (not in $UFFDSCOPE_CACHE/src, and Debian's mirror did not give it): see the line above"

# Kbuild's view of the arch. x86_64 builds pass nothing, as they always have (their build
# folders are copied and rebuilt by the mutants: the same make variables every time).
karch=$(arch_kernel "$arch")
cross=$(arch_cross "$arch")
make_arch=()
image=arch/x86/boot/bzImage image_target=bzImage
if [ "$arch" = arm64 ]; then
	[ "$(series_cc "$series")" != host ] || command -v "${cross}gcc" >/dev/null ||
		die "cross compiler ${cross}gcc missing: run scripts/install-deps.sh (package gcc-aarch64-linux-gnu)"
	make_arch=(ARCH="$karch" CROSS_COMPILE="$cross")
	image=arch/arm64/boot/Image image_target=Image
fi
# The compiler: this machine's, or the series' own gcc in its build root, where every make
# of the build runs (scripts/kbuild.sh then builds the module in the same root). Its major
# version goes to the folder's cc file.
root=""
cc_major=$(series_cc "$series")
host_cc=$("${cross}gcc" -dumpversion 2>/dev/null | cut -d. -f1 || true)
if [ "$cc_major" = host ] || [ "$cc_major" = "$host_cc" ]; then
	[ -n "$host_cc" ] || die "compiler ${cross}gcc missing: run scripts/install-deps.sh"
	cc_major=$host_cc
else
	root=$(bash "$(dirname "$0")/build-root.sh" "$cc_major") ||
		die "linux-source-$series is built with gcc-$cc_major, which this machine lacks, and no gcc-$cc_major build root could be made (see above)"
fi
in_root() {
	if [ -n "$root" ]; then
		in_build_root "$root" "$@"
	else
		"$@"
	fi
}

# The resolved path: inside the build root only the cache's real path exists.
mkdir -p "$UFFDSCOPE_CACHE/built"
built=$(readlink -f "$UFFDSCOPE_CACHE/built")

hash_of() {
	sha256sum | cut -c1-12
}

# What a kernel's content depends on; mutants and controls also on the base they copy.
# 6.12's keys are what they were before there were series (its kernels stay cached); every
# other series adds its name, compiler and fragment.
base_key=$({
	echo "recipe $RECIPE"
	cat "$src/.debian-version" "$base_frag"
	[ "$series" = 6.12 ] || { echo "series $series gcc-$cc_major"; cat "${series_frags[@]}" /dev/null; }
} | hash_of)
case $kind:$arch in
base:*) key=$base_key ;;
# (debug-rt adds rt.config; plain debug's key is what it always was.)
debug:amd64) key=$({ echo "$base_key"; cat "$debug_frag" "${arch_frags[@]}"; } | hash_of) ;;
debug:arm64) key=$({ echo "$base_key"; echo "arm64 recipe $RECIPE_ARM64 gcc-$cc_major"; cat "$debug_frag" "${arch_frags[@]}"; } | hash_of) ;;
mutants:*) key=$({ echo "$base_key"; cat "${patches[@]}"; } | hash_of) ;;
*) key=$({ echo "$base_key"; cat "$patch"; } | hash_of) ;;
esac
case $kind in
base | debug) localversion=-uffdscope-$name ;;
mutants) localversion=-uffdscope-mutants ;;
mutant) localversion=-uffdscope-mut-$name ;;
control) localversion=-uffdscope-ctl-$name ;;
esac
# The series in every folder name: 6.12 and 7.3 kernels never share one. (uname -r differs
# too: the source's own version comes first.)
folder=$kind-$name
[ "$kind" = base ] || [ "$kind" = debug ] && folder=$name
dest=$built/$folder-$series-$key
# A 6.12 kernel built before folders named their series has the same key: adopt it.
legacy=$built/$folder-$key
if [ "$series" = 6.12 ] && [ ! -e "$dest" ] && [ -f "$legacy/.complete" ]; then
	ln -sfn "${legacy##*/}" "$dest"
fi

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

# Apply a patch ($2, default $patch) to a farm without touching the files it shares with the
# pristine source.
apply_patch() {
	local tree=$1 patch=${2:-$patch} file
	(cd "$tree" && patch -p1 -F0 --dry-run --quiet <"$patch" >/dev/null) ||
		die "$patch does not apply to linux-source-$series without fuzz: refresh it (diff -u against $src)"
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$patch" | while IFS= read -r file; do
		[ -f "$tree/$file" ] || continue
		cp -p "$tree/$file" "$tree/$file.unlink"
		mv "$tree/$file.unlink" "$tree/$file"
	done
	(cd "$tree" && patch -p1 -F0 --quiet --no-backup-if-mismatch <"$patch") ||
		die "applying $patch failed"
}

# The options the fragments ask for, in order, a later fragment's line for an option
# replacing an earlier one's (arm64.config turns off base.config's x86 machine options).
wanted_options() {
	awk '
	/^CONFIG_[A-Za-z0-9_]+=/ { opt = $0; sub(/=.*/, "", opt) }
	/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { opt = $2 }
	opt != "" { if (!(opt in line)) order[++n] = opt; line[opt] = $0; opt = "" }
	END { for (i = 1; i <= n; i++) print line[order[i]] }' "$@"
}

# Every option of the fragments must come out of olddefconfig as written, or the kernel
# would silently lack something the suite needs. "is not set" also holds when the option
# does not exist on this arch (base.config's EARLY_PRINTK on arm64).
check_fragments() {
	local config=$1 line opt missing=""
	shift
	while IFS= read -r line; do
		case $line in
		"# CONFIG_"*)
			opt=${line#\# }
			opt=${opt%% *}
			! grep -q "^$opt=" "$config" || missing="$missing $opt=(set)"
			;;
		*) grep -qxF "$line" "$config" || missing="$missing $line" ;;
		esac
	done < <(wanted_options "$@")
	[ -z "$missing" ] ||
		die "config options of ${*##*/} lost by olddefconfig (renamed, or a dependency unmet):$missing"
}

# Newer Kbuild (7.x) writes the tree's absolute path into the build folder (its Makefile's
# KBUILD_OUTPUT and include, tools' .cmd files), where 6.12 wrote "..". A folder that is
# renamed (.tmp to its final name) or copied (a mutant from its base) must then have that
# path rewritten, or `make -C kdir` and the mutants' rebuilds look in a folder that is gone.
#   relocate FROM TO DIR     (text files under DIR only)
relocate() {
	local from=$1 to=$2 dir=$3 files
	# grep's status 1 is "no file names it": nothing to do (6.12 records no such path).
	files=$(grep -rlIF -- "$from" "$dir") || [ $? = 1 ] || die "relocate: grep in $dir failed"
	[ -z "$files" ] || printf '%s\n' "$files" | xargs -d '\n' sed -i "s|$from|$to|g"
}

kmake() {
	in_root make -s -C "$tree/build" -j"$JOBS" "${make_arch[@]}" "$@" >&2
}

start=$(now)
tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
tree=$tmp/tree
log "building kernel '$spec' ($karch) in $dest (source linux-source-$series $(cat "$src/.debian-version"), gcc-$cc_major${root:+ in $root})"

case $kind in
base | debug)
	link_source "$tree"
	mkdir -p "$tree/build"
	in_root make -s -C "$tree" O=build "${make_arch[@]}" tinyconfig >&2
	frags=("$base_frag")
	[ "$kind" = debug ] && frags+=("$debug_frag" "${arch_frags[@]}")
	frags+=("${series_frags[@]}")
	(cd "$tree/build" && ../scripts/kconfig/merge_config.sh -m -O . .config "${frags[@]}") \
		>"$tmp/merge_config.log" 2>&1 || { cat "$tmp/merge_config.log" >&2; die "merging the config fragments failed"; }
	;;
*)
	base=$(bash "$0" "base@$series")
	link_source "$tree"
	cp -a "$base/tree/build" "$tree/build"
	# A base built before relocate() existed still names its temporary folder.
	relocate "$base.tmp/tree" "$tree" "$tree/build"
	relocate "$base/tree" "$tree" "$tree/build"
	if [ "$kind" = mutants ]; then
		for p in "${patches[@]}"; do
			apply_patch "$tree" "$p"
		done
	else
		apply_patch "$tree"
	fi
	frags=("$base_frag" "${series_frags[@]}")
	;;
esac

"$tree/scripts/config" --file "$tree/build/.config" \
	--set-str LOCALVERSION "$localversion" --disable LOCALVERSION_AUTO
kmake olddefconfig
check_fragments "$tree/build/.config" "${frags[@]}"

# The boot image, then modules: with CONFIG_MODULES that also leaves Module.symvers and the
# prepared scripts an out-of-tree module build needs.
kmake "$image_target" || die "kernel '$spec' failed to build: see the compiler output above"
kmake modules || die "kernel '$spec': make modules failed"
[ -f "$tree/build/Module.symvers" ] || die "kernel '$spec' built no Module.symvers"

release=$(cat "$tree/build/include/config/kernel.release")
# A build that went to another folder (a path recorded by Kbuild that was not relocated)
# leaves this one's release unchanged: never pass such a kernel off as this one.
case $release in
*"$localversion") ;;
*) die "kernel '$spec' built as '$release', not as *$localversion: its build folder still points at another tree (see relocate())" ;;
esac
kmake INSTALL_MOD_PATH="$tmp/modroot" modules_install
# modules_install links build/ to the folder's temporary name: point it at kdir, relatively.
ln -sfn ../../../../tree/build "$tmp/modroot/lib/modules/$release/build"
# kernel/ as in every module tree, also when everything is built in (the arm64 kernels build
# no module at all, and the initramfs looks for the suite's modules there).
mkdir -p "$tmp/modroot/lib/modules/$release/kernel"
cp "$tree/build/$image" "$tmp/vmlinuz"
cp "$tree/build/.config" "$tmp/config"
echo "$release" >"$tmp/release"
echo "$arch" >"$tmp/arch"
echo "$cc_major" >"$tmp/cc"
ln -s "modroot/lib/modules/$release" "$tmp/modules"
ln -s tree/build "$tmp/kdir"
{ elapsed "$start"; echo; } >"$tmp/build-seconds"
relocate "$tmp/tree" "$dest/tree" "$tree/build"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
log "kernel '$spec' ($release) built in $(cat "$dest/build-seconds") s"
echo "$dest"
