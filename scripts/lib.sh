# SPDX-License-Identifier: GPL-2.0
# Shared by every script in scripts/: where caches live, how to fail, how to log.
# Sourced, never run.

# Caches live outside the clone so that a fresh clone on the same machine is warm.
UFFDSCOPE_CACHE=${UFFDSCOPE_CACHE:-/var/cache/uffdscope}
UFFDSCOPE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Build outputs (selftests, the command, the module per kernel) are one folder per clone: make
# rebuilds by timestamps, and another clone's (or a git-archive snapshot's) older files must
# never pass for this one's up-to-date outputs.
UFFDSCOPE_BUILD=${UFFDSCOPE_BUILD:-$UFFDSCOPE_CACHE/build/$(printf '%s' "$UFFDSCOPE_TOP" | sha256sum | cut -c1-12)}

# One line that says what failed and what to do, then exit.
die() {
	printf 'uffdscope: error: %s\n' "$*" >&2
	exit 1
}

log() {
	printf 'uffdscope: %s\n' "$*" >&2
}

# The kernels `make check` boots when UFFDSCOPE_KERNELS does not say otherwise: Debian's 6.1,
# 6.12 and newest series for amd64 and arm64, the newest arm64 16 KiB-page kernel on a CPU with
# LPA2 and on one without (a page-table level then folds at boot), and a PREEMPT_RT kernel.
UFFDSCOPE_DEFAULT_KERNELS="6.12-amd64 6.1-amd64 latest-amd64 6.12-arm64 6.1-arm64 latest-arm64
latest-arm64-16k latest-arm64-16k:nolpa2 latest-rt-amd64"

# The source series uffdscope's own kernels are built from (scripts/build-kernel.sh KIND@SERIES),
# each pinned: its patches are written against that tree. 6.12's definitions are kernels/mutants/,
# kernels/controls/ and kernels/mutant-switch.patch; any other series' carry its name as a suffix
# (kernels/mutants-7.3/ ...): series_suffix SERIES prints "" or "-SERIES".
UFFDSCOPE_BUILT_SERIES="6.12 7.3"
series_suffix() {
	[ "$1" = 6.12 ] || echo "-$1"
}

# Debian arch name -> kernel ARCH, cross prefix, QEMU binary.
arch_kernel() {
	case $1 in
	amd64) echo x86_64 ;;
	arm64) echo arm64 ;;
	*) die "unknown arch '$1': use amd64 or arm64" ;;
	esac
}

arch_cross() {
	case $1 in
	amd64) echo "" ;;
	arm64) echo aarch64-linux-gnu- ;;
	*) die "unknown arch '$1': use amd64 or arm64" ;;
	esac
}

# Seconds since the epoch with a fraction, for the timings the runner prints.
now() {
	date +%s.%N
}

elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# The test programs to run: the names given (each must be a selftests/*.c), or every
# selftests/*.c but the demo_*.c showcases of the main job and the bench_*.c benchmarks
# (they print figures, they do not pass or fail on them: scripts/run-bench.sh runs them).
# Fills the array "progs".
select_programs() {
	local p f
	progs=()
	if [ $# -gt 0 ]; then
		for p in "$@"; do
			[ -f "$UFFDSCOPE_TOP/selftests/$p.c" ] ||
				die "unknown test program '$p': the programs are the names of selftests/*.c"
			progs+=("$p")
		done
		return 0
	fi
	for f in "$UFFDSCOPE_TOP"/selftests/*.c; do
		case $(basename "$f") in demo_* | bench_*) continue ;; esac
		progs+=("$(basename "$f" .c)")
	done
}

# Debian suites newer than this machine's own (bookworm), read through a private apt
# configuration in the cache so that the machine's apt sources stay as they are. Their lists are
# fetched once a day. UFFDSCOPE_SUITES overrides which suites are read.
UFFDSCOPE_SUITES=${UFFDSCOPE_SUITES:-trixie trixie-backports sid}
newer_apt_dir=$UFFDSCOPE_CACHE/apt

newer_apt_opts() {
	printf '%s\n' -o "Dir::Etc::sourcelist=$newer_apt_dir/sources.list" \
		-o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$newer_apt_dir/lists" \
		-o "Dir::Cache=$newer_apt_dir/cache" -o Dir::State::status=/dev/null \
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64
}

# apt-cache / apt-get against the newer suites: `newer_apt apt-cache policy PKG`.
newer_apt() {
	local tool=$1 opts
	shift
	mapfile -t opts < <(newer_apt_opts)
	"$tool" "${opts[@]}" "$@"
}

# Make the newer suites' lists current (at most a day old); quiet when they are.
newer_apt_update() {
	local s want stamp=$newer_apt_dir/lists/.updated
	want=$(for s in $UFFDSCOPE_SUITES; do
		echo "deb [arch=amd64,arm64] http://deb.debian.org/debian $s main"
	done)
	mkdir -p "$newer_apt_dir/lists/partial" "$newer_apt_dir/cache/archives/partial" "$UFFDSCOPE_CACHE/locks"
	(
		flock 8
		if [ "$(cat "$newer_apt_dir/sources.list" 2>/dev/null)" = "$want" ] &&
			[ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
			exit 0
		fi
		echo "$want" >"$newer_apt_dir/sources.list"
		log "reading the package lists of Debian $UFFDSCOPE_SUITES (private apt configuration in $newer_apt_dir)"
		newer_apt apt-get -q -o APT::Sandbox::User=root update >"$newer_apt_dir/update.log" 2>&1 ||
			die "apt-get update of Debian $UFFDSCOPE_SUITES failed: see $newer_apt_dir/update.log (is the Debian mirror reachable?)"
		touch "$stamp"
	) 8>"$UFFDSCOPE_CACHE/locks/newer-apt" || exit 1
}

# Run a command inside a Debian build root (scripts/build-root.sh), in a private mount namespace
# where the cache is bind-mounted at its own (resolved) path, so every path under the cache
# means the same inside and out; the bind mount vanishes with the command, whatever happens.
# The command starts in the current folder when it lies in the cache, else in /.
#   in_build_root ROOT CMD [ARG ...]
in_build_root() {
	local root=$1 cache
	shift
	cache=$(readlink -f "$UFFDSCOPE_CACHE")
	unshare -m sh -c '
		set -e
		root=$1 cache=$2 dir=$3
		mkdir -p "$root$cache"
		mount --bind "$cache" "$root$cache"
		mount -t proc proc "$root/proc"
		shift 3
		case $dir in "$cache"/*) ;; *) dir=/ ;; esac
		exec chroot "$root" sh -c '\''cd "$1" && shift && exec env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"'\'' _ "$dir" "$@"
	' _ "$root" "$cache" "$(pwd -P)" "$@"
}

# Keep the result of one run of the runner (run-vm.sh, lint.sh ... print "@@RESULT FILE" when
# they produced one) as OUT; when the run never got that far, write a failed result in its
# place, naming its first error, so a run that died still counts and shows in the table. Then
# echo the run's summary lines to stderr.
#   keep_result LABEL LOG OUT
keep_result() {
	local label=$1 logf=$2 out=$3 produced
	produced=$(sed -n 's/^@@RESULT //p' "$logf" | tail -n 1)
	if [ -n "$produced" ] && [ -f "$produced" ]; then
		cp "$produced" "$out"
	else
		python3 "$UFFDSCOPE_TOP/scripts/results.py" error --kernel-id "$label" --out "$out" \
			--message "$(grep -m1 'error:' "$logf" || tail -n 1 "$logf")"
	fi
	tail -n 20 "$logf" | grep -E '^(uffdscope:|.*: [0-9]+ passed|  ! )' >&2 || true
}
