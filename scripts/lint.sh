#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module's static checks, reported as test cases so they land in the same table:
# a W=1 -Werror build against every kernel of the matrix, sparse (C=2) against each, and
# checkpatch.pl --strict from linux-source-6.12 and the newest linux-source over every module
# source file.
#
#   scripts/lint.sh          (prints the result file's path as "@@RESULT PATH")
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# Every kernel of the matrix once (a ":CPU" variant boots the same build).
kernels=$(for k in ${UFFDSCOPE_KERNELS:-$UFFDSCOPE_DEFAULT_KERNELS}; do echo "${k%%:*}"; done | awk '!seen[$0]++')
results=$UFFDSCOPE_CACHE/results/lint
mkdir -p "$results" "$UFFDSCOPE_CACHE/tmp"
# Inside the cache: a kernel built with another compiler is built in a build root that sees
# only the cache (scripts/kbuild.sh).
work=$(mktemp -d "$UFFDSCOPE_CACHE/tmp/lint.XXXXXX")
trap 'rm -rf "$work"' EXIT
console=$results/console.log
n=0

# A check is a function of its inputs: our sources, these scripts, the kernel's release,
# config and compiler, and the tools (host compiler, sparse, the build roots, checkpatch.pl).
# One that passed with exactly these inputs passes again, so a warm run takes the recorded
# pass and says so in the case's log; a failure is never recorded. UFFDSCOPE_LINT_CACHE=0
# runs every check.
passed=$UFFDSCOPE_CACHE/lint-passed
mkdir -p "$passed"
sources_key=$({
	cat "$UFFDSCOPE_TOP"/module/*.[ch] "$UFFDSCOPE_TOP"/module/uapi/*.h \
		"$UFFDSCOPE_TOP/Kbuild" "$UFFDSCOPE_TOP/Makefile" \
		"$UFFDSCOPE_TOP/dkms.conf" "$UFFDSCOPE_TOP/scripts/lint.sh" "$UFFDSCOPE_TOP/scripts/kbuild.sh"
	gcc --version 2>&1 | head -n 1
	sparse --version 2>&1
	ls "$UFFDSCOPE_CACHE/buildroots" 2>&1
} | sha256sum | cut -c1-16)

# The inputs of a check beyond the sources: each argument a file or a word.
key_of() {
	local a
	{
		echo "$sources_key"
		for a in "$@"; do
			if [ -f "$a" ]; then cat "$a"; else echo "$a"; fi
		done
	} | sha256sum | cut -c1-16
}

# One check: NAME, the key of its inputs, then the command; its output becomes the case's log.
check() {
	local name=$1 key=$2 rc stamp
	shift 2
	n=$((n + 1))
	echo "# #  RUN           lint.$name ..."
	stamp=$passed/$name-$key
	if [ "${UFFDSCOPE_LINT_CACHE:-1}" != 0 ] && [ -f "$stamp" ]; then
		echo "# # passed with these same inputs (key $key) at $(cat "$stamp"): not run again"
		echo "# ok $n lint.$name"
		return
	fi
	"$@" >"$work/out" 2>&1
	rc=$?
	sed 's/^/# # /' "$work/out" | tail -n 40
	if [ $rc = 0 ]; then
		date -u +%Y-%m-%dT%H:%M:%SZ >"$stamp"
		echo "# ok $n lint.$name"
	else
		echo "# not ok $n lint.$name"
	fi
}

# Kbuild in a private copy, with the compiler that built the kernel (scripts/kbuild.sh), so
# the tree stays clean; fails on any warning in our files.
kbuild() {
	local kernel=$1 what=$2 src
	src=$work/src-$(cat "$kernel/release")-$what
	mkdir -p "$src"
	rsync -a "$UFFDSCOPE_TOP/Kbuild" "$UFFDSCOPE_TOP/Makefile" "$UFFDSCOPE_TOP/module" "$src/"
	case $what in
	w1) bash "$UFFDSCOPE_TOP/scripts/kbuild.sh" "$kernel" "$src" -s W=1 KCFLAGS=-Werror modules ;;
	sparse)
		# Kbuild silently drops C=2 when scripts/checker-valid.sh is missing, as it is from
		# Debian's 7.x headers: take it from the newest linux-source (never committed).
		local checker nfiles nchecked
		checker=$(readlink -f "$kernel/kdir/scripts")/checker-valid.sh
		if [ ! -f "$checker" ]; then
			cp "$(bash "$UFFDSCOPE_TOP/scripts/kernel-source.sh" latest)/scripts/checker-valid.sh" "$checker" ||
				{ echo "no scripts/checker-valid.sh for $(cat "$kernel/release")"; return 1; }
		fi
		bash "$UFFDSCOPE_TOP/scripts/kbuild.sh" "$kernel" "$src" C=2 CHECK=sparse modules \
			>"$work/sparse" 2>&1
		local rc=$?
		# Only what sparse says of our own files counts; the headers' own noise does not.
		if grep -E "^$src/module/[^:]+:[0-9]+:[0-9]+: (warning|error)" "$work/sparse"; then
			return 1
		fi
		[ $rc = 0 ] || { tail -n 20 "$work/sparse"; return 1; }
		# And sparse must have looked at every file: a check that ran nothing proves nothing.
		nfiles=$(ls "$src"/module/*.c | wc -l)
		nchecked=$(grep -cE "^ +CHECK +.*module/[^/]+\.c$" "$work/sparse")
		[ "$nchecked" -ge "$nfiles" ] ||
			{ grep -i 'sparse\|checker\|CHECK' "$work/sparse" | head -5; echo "sparse checked $nchecked of $nfiles files"; return 1; }
		;;
	esac
}

# checkpatch.pl of one linux-source series ($1: 6.12, latest).
checkpatch() {
	local src cp rc=0
	src=$(bash "$UFFDSCOPE_TOP/scripts/kernel-source.sh" "$1") || return 1
	cp=$src/scripts/checkpatch.pl
	for f in "$UFFDSCOPE_TOP"/module/*.[ch] "$UFFDSCOPE_TOP"/module/uapi/*.h "$UFFDSCOPE_TOP/Kbuild"; do
		# LINUX_VERSION_CODE: an out-of-tree module that supports 6.1 to 7.x needs it, in
		# module/compat.h only; checkpatch's advice is for code merged into one version.
		# ALLOC_WITH_SIZEOF (7.x): kzalloc_obj() does not exist on 6.1 and 6.12.
		perl "$cp" --strict --no-tree --quiet --show-types \
			--ignore FILE_PATH_CHANGES,LINUX_VERSION_CODE,ALLOC_WITH_SIZEOF -f "$f" || rc=1
	done
	return $rc
}

# DKMS, as a user would install it, in private trees so that a real install stays untouched;
# the package version must be the module's.
dkms_build() {
	local kernel=$1 ver tree
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$UFFDSCOPE_TOP/dkms.conf")
	grep -q "define UFFDSCOPE_VERSION \"$ver\"" "$UFFDSCOPE_TOP/module/uffdscope.h" ||
		{ echo "dkms.conf PACKAGE_VERSION $ver differs from UFFDSCOPE_VERSION in module/uffdscope.h"; return 1; }
	tree=$work/dkms
	mkdir -p "$tree/src/uffdscope-$ver" "$tree/var"
	rsync -a "$UFFDSCOPE_TOP/Kbuild" "$UFFDSCOPE_TOP/Makefile" "$UFFDSCOPE_TOP/dkms.conf" \
		"$UFFDSCOPE_TOP/module" "$tree/src/uffdscope-$ver/"
	dkms build "uffdscope/$ver" --sourcetree "$tree/src" --dkmstree "$tree/var" \
		-k "$(cat "$kernel/release")" --kernelsourcedir "$kernel/kdir" &&
		find "$tree/var" -name 'uffdscope.ko*' | grep -q .
}

t0=$(now)
{
	echo "@@UFFDSCOPE-BOOTED lint"
	echo "@@UFFDSCOPE-BEGIN"
	echo "TAP version 13"
	echo "1..1"
	echo "# selftests: uffdscope: lint"
	for k in $kernels; do
		kernel=$(bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" "$k") || { echo "# not ok 0 lint.fetch_$k"; continue; }
		kkey=$(key_of "$kernel/release" "$kernel/config" "$kernel/cc")
		check "w1_werror_$k" "$kkey" kbuild "$kernel" w1
		check "sparse_$k" "$kkey" kbuild "$kernel" sparse
	done
	for series in 6.12 latest; do
		src=$(bash "$UFFDSCOPE_TOP/scripts/kernel-source.sh" "$series" 2>/dev/null) || src=none
		check "checkpatch_strict_$series" "$(key_of "$src/scripts/checkpatch.pl" "$src/scripts/spelling.txt")" \
			checkpatch "$series"
	done
	kernel=$(bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" 6.12-amd64)
	check dkms_build_6.12-amd64 "$(key_of "$kernel/release" "$kernel/config" "$(dkms --version 2>&1)")" \
		dkms_build "$kernel"
	echo "ok 1 selftests: uffdscope: lint"
	echo "@@UFFDSCOPE-END"
} >"$console" 2>&1
rc=0
python3 "$UFFDSCOPE_TOP/scripts/results.py" parse "$console" --kernel-id lint --module no \
	--programs lint --no-kernel --vm-seconds "$(elapsed "$t0")" --out "$results/result.json" \
	${UFFDSCOPE_QUIET:+--quiet} || rc=$?
echo "@@RESULT $results/result.json"
exit $rc
