# SPDX-License-Identifier: GPL-2.0
# Shared by every script in scripts/: where caches live, how to fail, how to log.
# Sourced, never run.

# Caches live outside the clone so that a fresh clone on the same machine is warm.
UFFDSCOPE_CACHE=${UFFDSCOPE_CACHE:-/var/cache/uffdscope}
UFFDSCOPE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UFFDSCOPE_BUILD=${UFFDSCOPE_BUILD:-$UFFDSCOPE_CACHE/build}

# One line that says what failed and what to do, then exit.
die() {
	printf 'uffdscope: error: %s\n' "$*" >&2
	exit 1
}

log() {
	printf 'uffdscope: %s\n' "$*" >&2
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
# selftests/*.c but the demo_*.c showcases of the main job. Fills the array "progs".
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
		case $(basename "$f") in demo_*) continue ;; esac
		progs+=("$(basename "$f" .c)")
	done
}
