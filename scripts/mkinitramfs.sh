#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the test VM's initramfs for one kernel: a static busybox of the kernel's arch, the
# init script, uffdscope.ko, the static test programs, and the kernel's own modules the
# tests need (zram and what it depends on), decompressed and listed in load order.
#
#   scripts/mkinitramfs.sh KERNEL_DIR MODULE_KO TESTS_DIR OUT.cpio.gz TIMEOUT PROG...
#
# MODULE_KO may be "-" to boot without uffdscope.ko. UFFDSCOPE_MODE=demo makes the guest run
# scripts/guest/demo.sh (the main job's showcase) instead of the programs as tests,
# UFFDSCOPE_MODE=lockdown scripts/guest/lockdown.sh (scripts/test-lockdown.sh).
# UFFDSCOPE_REPORT_BUDGET=S: after the programs, the guest runs `uffdscope report --json
# --budget S` (scripts/run-vm.sh sets it for a run of the whole suite).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=$1 ko=$2 tests=$3 out=$4 timeout=$5
shift 5
arch=$(cat "$kernel/arch")

busybox_for() {
	case $1 in
	amd64)
		[ -x /bin/busybox ] || die "no /bin/busybox: run scripts/install-deps.sh"
		echo /bin/busybox
		;;
	arm64)
		local dir=$UFFDSCOPE_CACHE/busybox-arm64 deb
		if [ ! -x "$dir/bin/busybox" ]; then
			mkdir -p "$UFFDSCOPE_CACHE/debs"
			(cd "$UFFDSCOPE_CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root busybox-static:arm64 >&2) ||
				die "download of busybox-static:arm64 failed: run 'dpkg --add-architecture arm64 && apt-get update'"
			deb=$(ls -t "$UFFDSCOPE_CACHE"/debs/busybox-static_*_arm64.deb | head -n 1)
			rm -rf "$dir" && mkdir -p "$dir" && dpkg-deb -x "$deb" "$dir"
		fi
		echo "$dir/bin/busybox"
		;;
	esac
}

# A kernel module of this kernel and, first, everything it depends on (modinfo -F depends).
declare -A seen=()
add_module() {
	local name=$1 file dep
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	file=$(find -L "$kernel/modules/kernel" -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" 2>/dev/null | head -n 1)
	if [ -z "$file" ]; then
		# Built in, or not built at all: the tests that need it say so when it is missing.
		return 0
	fi
	for dep in $(modinfo -F depends "$file" | tr ',' ' '); do
		add_module "$dep"
	done
	case $file in
	*.xz) xz -dc "$file" >"$root/lib/uffdscope-modules/$name.ko" ;;
	*.zst) zstd -qdc "$file" >"$root/lib/uffdscope-modules/$name.ko" ;;
	*) cp "$file" "$root/lib/uffdscope-modules/$name.ko" ;;
	esac
	echo "$name.ko" >>"$root/lib/uffdscope-modules/order"
}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tests,lib/uffdscope-modules}
cp "$(busybox_for "$arch")" "$root/bin/busybox"
cp "$UFFDSCOPE_TOP/scripts/guest/init" "$root/init"
cp "$UFFDSCOPE_TOP/scripts/guest/run-programs.sh" "$root/run-programs.sh"
cp "$UFFDSCOPE_TOP/scripts/guest/demo.sh" "$root/demo.sh"
cp "$UFFDSCOPE_TOP/scripts/guest/lockdown.sh" "$root/lockdown.sh"
chmod +x "$root/init"
: >"$root/lib/uffdscope-modules/order"
add_module zram

load=0
if [ "$ko" != - ]; then
	cp "$ko" "$root/uffdscope.ko"
	load=1
	# The lockdown test loads it itself: whether lockdown lets it is what it checks.
	[ "${UFFDSCOPE_MODE:-test}" != lockdown ] || load=0
fi
for p in "$@"; do
	[ -x "$tests/$p" ] || die "no test program '$p' in $tests: is it a file in selftests/?"
	cp "$tests/$p" "$root/tests/"
done
# The uffdscope command (tools/), static for the guest's arch, as /bin/uffdscope, with the
# catalog and probe folder where `uffdscope report` looks for them (the probes are /tests).
karch=$(arch_kernel "$arch")
tool=$UFFDSCOPE_BUILD/tools-$karch
mkdir -p "$UFFDSCOPE_CACHE/locks"
(flock 9 && make -s -C "$UFFDSCOPE_TOP/tools" ARCH="$karch" OUT="$tool" >"$tool.log" 2>&1) \
	9>"$UFFDSCOPE_CACHE/locks/tools-$karch" ||
	{ cat "$tool.log" >&2; die "the uffdscope command does not build for $karch: see above"; }
mkdir -p "$root/share/uffdscope" "$root/libexec"
# mktemp made / mode 0700: an unprivileged test process could reach nothing.
chmod 0755 "$root"
cp "$tool/uffdscope" "$root/bin/uffdscope"
cp "$UFFDSCOPE_TOP/catalog/behaviours.tsv" "$root/share/uffdscope/"
ln -s /tests "$root/libexec/uffdscope"
cat >"$root/etc/uffdscope.conf" <<CONF
LOAD_MODULE=$load
MODE=${UFFDSCOPE_MODE:-test}
TEST_TIMEOUT=$timeout
PROGRAMS="$*"
EXPECTED_ABSENT="${UFFDSCOPE_EXPECTED_ABSENT:-}"
REPORT_BUDGET=${UFFDSCOPE_REPORT_BUDGET:-}
CONF
# The tests' time budgets and seeds (UFFDSCOPE_*_SECONDS, UFFDSCOPE_*_SEED) set on the host reach
# the programs in the guest.
env | grep -E '^UFFDSCOPE_[A-Z_]+_(SECONDS|SEED)=[0-9.]+$' | sed 's/^/export /' >>"$root/etc/uffdscope.conf" || true
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
