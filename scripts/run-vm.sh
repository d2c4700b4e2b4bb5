#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the suite inside one kernel: build uffdscope.ko against that kernel's headers and the
# selftests for its arch, boot it in QEMU with the module loaded, and turn the console into a
# result file. Prints the suite's TAP output and a verdict; exits 0 only if everything passed
# (or was skipped, or is a known kernel difference) with a clean kernel log.
#
#   scripts/run-vm.sh KERNEL [PROG ...]
#
# KERNEL: a Debian kernel (6.12-amd64, latest-arm64-16k, 6.1.0-56-amd64 ...: see
# scripts/fetch-kernel.sh) or the folder of a kernel built here (scripts/build-kernel.sh),
# optionally followed by ":CPU" to boot it on another CPU model (scripts/boot-vm.sh). PROG: selftest programs (default: all of selftests/*.c).
# Environment: UFFDSCOPE_TEST_TIMEOUT (seconds per program, default 300),
# UFFDSCOPE_NO_MODULE=1 (boot without uffdscope.ko), UFFDSCOPE_QUIET=1 (no TAP echo),
# UFFDSCOPE_VM_LIMIT (seconds for the whole VM; default from the programs' limits),
# UFFDSCOPE_VM_SILENCE (seconds the console may print nothing; default the longest program
# limit or report budget plus 120),
# UFFDSCOPE_REPORT=0|1 (after the suite, the same boot runs `uffdscope report --json` and
# its verdict for each row must be the suite's: on by default when no PROG is named),
# UFFDSCOPE_REPORT_BUDGET (the report's --budget, default 120 s),
# UFFDSCOPE_MODE=lockdown (the runner's lockdown test, scripts/test-lockdown.sh: no programs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: scripts/run-vm.sh KERNEL [PROG ...] (KERNEL e.g. 6.12-amd64)"
spec=$1
shift
# KERNEL:CPU boots KERNEL on another CPU model (scripts/boot-vm.sh, e.g. arm64 ":nolpa2").
cpu=""
case $spec in
*:*) cpu=${spec##*:} spec=${spec%:*} ;;
esac
case $cpu in
"" | nolpa2) ;;
*) die "unknown CPU model '$cpu' in '$spec:$cpu': the models are nolpa2 (arm64 without LPA2)" ;;
esac
if [ -d "$spec" ]; then
	kernel=$(cd "$spec" && pwd)
	[ -f "$kernel/.complete" ] || die "'$spec' is not a complete kernel folder (no .complete)"
else
	kernel=$(bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" "$spec")
fi
release=$(cat "$kernel/release")
arch=$(cat "$kernel/arch")
karch=$(arch_kernel "$arch")
id=${UFFDSCOPE_KERNEL_ID:-$release${cpu:+-$cpu}}
cross=$(arch_cross "$arch")
command -v "${cross}gcc" >/dev/null ||
	die "compiler ${cross}gcc for $arch is missing: run scripts/install-deps.sh (package gcc-aarch64-linux-gnu for arm64)"

select_programs "$@"
# The report's agreement with the suite is a check of the whole suite's table; a run of some
# programs (a mutant's, a benchmark's) asks for it with UFFDSCOPE_REPORT=1.
report=0
[ $# -gt 0 ] || report=1
report=${UFFDSCOPE_REPORT:-$report}
mode=${UFFDSCOPE_MODE:-test}
ktap_progs=("${progs[@]}")
case $mode in
test) ;;
lockdown) progs=() ktap_progs=(lockdown) report=0 ;;
*) die "unknown UFFDSCOPE_MODE '$mode': the modes of run-vm.sh are test and lockdown" ;;
esac
budget=0
if [ "$report" = 1 ]; then
	budget=${UFFDSCOPE_REPORT_BUDGET:-120}
	export UFFDSCOPE_REPORT_BUDGET=$budget
else
	unset UFFDSCOPE_REPORT_BUDGET
fi

build=$UFFDSCOPE_BUILD/$release
# Every run has its own folder (runs of the same kernel may overlap); "latest" points at the newest.
results=$UFFDSCOPE_CACHE/results/$id/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$results"
ln -sfn "$results" "$UFFDSCOPE_CACHE/results/$id/latest"
mkdir -p "$build" "$results" "$UFFDSCOPE_CACHE/locks"

t0=$(now)
ko=-
if [ "${UFFDSCOPE_NO_MODULE:-0}" != 1 ]; then
	bash "$UFFDSCOPE_TOP/scripts/kbuild.sh" --check "$kernel" || exit 1
	# A module built before from the same sources for the same kernel is taken as it is: Kbuild
	# costs 8-38 s a kernel even when nothing changed (a tenth of a warm make check). The key
	# is every source file of the module (not Kbuild's outputs), the build recipe, and the
	# kernel's folder, config, symbol versions and compiler; not the clone's path, so that a
	# fresh clone (CI's) finds what an earlier one built.
	ko_key=$({
		(cd "$UFFDSCOPE_TOP" && find Kbuild Makefile module -type f \
			! -name '*.o' ! -name '*.ko' ! -name '*.mod' ! -name '*.mod.c' ! -name '.*.cmd' \
			! -name '*.order' ! -name '*.symvers' ! -name '.*.d' -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum)
		sha256sum <"$UFFDSCOPE_TOP/scripts/kbuild.sh"
		kd=$(readlink -f "$kernel/kdir")
		echo "$release $kernel $kd cc=$(cat "$kernel/cc" 2>/dev/null) W=1 KCFLAGS=-Werror"
		cat "$kd/.config" "$kd/Module.symvers" 2>/dev/null | sha256sum
	} | sha256sum | cut -c1-16)
	ko_cached=$UFFDSCOPE_CACHE/modules/$release/uffdscope-$ko_key.ko
	(
		flock 9
		if [ -f "$ko_cached" ]; then
			log "uffdscope.ko for $release: built before from these sources ($ko_cached)"
			cp "$ko_cached" "$results/uffdscope.ko"
			exit 0
		fi
		# Each kernel builds from its own copy of the sources, so runs for different kernels
		# (and people working in the tree) never share Kbuild outputs.
		rsync -a --delete --exclude .git --exclude 'selftests/out' \
			"$UFFDSCOPE_TOP/Kbuild" "$UFFDSCOPE_TOP/Makefile" "$UFFDSCOPE_TOP/module" "$build/src/"
		bash "$UFFDSCOPE_TOP/scripts/kbuild.sh" "$kernel" "$build/src" -s W=1 KCFLAGS=-Werror \
			modules >"$build/module-build.log" 2>&1 ||
			{ cat "$build/module-build.log" >&2; die "uffdscope.ko does not build for $release: see the compiler output above; kernel differences belong in module/compat.h"; }
		# A snapshot for this run: the next run may rebuild it once the lock is gone.
		cp "$build/src/uffdscope.ko" "$results/uffdscope.ko"
		mkdir -p "${ko_cached%/*}"
		cp "$build/src/uffdscope.ko" "$ko_cached.tmp" && mv "$ko_cached.tmp" "$ko_cached"
		# the newest few per kernel: 3 MB each, one per edit of the module
		ls -t "${ko_cached%/*}"/uffdscope-*.ko | tail -n +9 | xargs -r rm -f
	) 9>"$UFFDSCOPE_CACHE/locks/module-$release" || exit 1
	ko=$results/uffdscope.ko
fi
tests=$UFFDSCOPE_BUILD/selftests-$karch
(
	flock 9
	mkdir -p "$results/tests"
	[ ${#progs[@]} -gt 0 ] || exit 0
	make -s -C "$UFFDSCOPE_TOP/selftests" ARCH="$karch" OUT="$tests" \
		"${progs[@]/#/$tests/}" >"$tests.log" 2>&1 ||
		{ cat "$tests.log" >&2; die "the selftests do not build for $karch: see the compiler output above"; }
	cp "${progs[@]/#/$tests/}" "$results/tests/"
) 9>"$UFFDSCOPE_CACHE/locks/selftests-$karch" || exit 1
tests=$results/tests
build_s=$(elapsed "$t0")

limit_each=${UFFDSCOPE_TEST_TIMEOUT:-300}
initrd=$results/initrd.cpio.gz
# The rows this kernel is known to lack travel into the guest, so that a test finding one of
# them absent can say XFAIL to any KTAP consumer, not only to results.py.
UFFDSCOPE_EXPECTED_ABSENT=$(python3 "$UFFDSCOPE_TOP/scripts/results.py" expected \
	--expected "$UFFDSCOPE_TOP/scripts/expected-absent.txt" --kernel-id "$id") ||
	die "scripts/expected-absent.txt does not parse: see above"
export UFFDSCOPE_EXPECTED_ABSENT
bash "$UFFDSCOPE_TOP/scripts/mkinitramfs.sh" "$kernel" "$ko" "$tests" "$initrd" "$limit_each" "${progs[@]}"

# The VM's own limit: boot, every program's limit, the report's budget, and the log dump.
limit_vm=$((120 + limit_each * ${#progs[@]} + budget))
[ "$arch" = arm64 ] && limit_vm=$((limit_vm + 120))
limit_vm=${UFFDSCOPE_VM_LIMIT:-$limit_vm}
# The console is silent at most while one program runs (its output is printed when it ends)
# or the report does, and for the guest's own handling of a program that outlives its limit.
silence=$((limit_each > budget ? limit_each : budget))
silence=${UFFDSCOPE_VM_SILENCE:-$((silence + 120))}
log "booting $release ($arch) for: ${ktap_progs[*]}$([ "$report" = 1 ] && echo ", then uffdscope report (budget $budget s)")"
t1=$(now)
vm_rc=0
UFFDSCOPE_CPU=$cpu bash "$UFFDSCOPE_TOP/scripts/boot-vm.sh" "$kernel" "$initrd" "$results/console.log" "$limit_vm" "$silence" || vm_rc=$?
vm_s=$(elapsed "$t1")
# The job as a lab (LAVA, KernelCI) would run it, self-contained: kernel, initramfs, command
# line, and the KTAP it printed. One per kernel id, replaced by its next run.
job=$UFFDSCOPE_CACHE/jobs/$id
rm -rf "$job" && mkdir -p "$job"
cp "$kernel/vmlinuz" "$job/vmlinuz"
mv "$initrd" "$job/initrd.cpio.gz"
UFFDSCOPE_CPU=$cpu bash "$UFFDSCOPE_TOP/scripts/boot-vm.sh" --print "$kernel" "$job/initrd.cpio.gz" >"$job/qemu.sh"
sed -n '/^@@UFFDSCOPE-BEGIN/,/^@@UFFDSCOPE-END/p' "$results/console.log" | sed '1d;$d' >"$job/ktap.txt"
# The console and the result stay; the other inputs of the boot do not.
rm -rf "$results/tests" "$results/uffdscope.ko"

# The kernel's own KTAP parser must read the log too (kunit.py, from the newest linux-source).
ktap_ran=""
ksrc=$(bash "$UFFDSCOPE_TOP/scripts/kernel-source.sh" latest 2>/dev/null || true)
if [ -n "$ksrc" ] && [ -f "$ksrc/tools/testing/kunit/kunit.py" ]; then
	ktap_ran=$(python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$results/console.log" 2>&1 |
		sed -n 's/.*Testing complete\. Ran \([0-9]*\) tests.*/\1/p' | tail -n 1 || true)
	ktap_ran=${ktap_ran:-0}
fi

echo "@@RESULT $results/result.json"
parse_rc=0
python3 "$UFFDSCOPE_TOP/scripts/results.py" parse "$results/console.log" \
	--kernel-id "$id" --release "$release" --arch "$arch" --vm-exit "$vm_rc" \
	--vm-seconds "$vm_s" --build-seconds "$build_s" --programs "${ktap_progs[*]}" \
	--module "$([ "$ko" = - ] || [ "$mode" = lockdown ] && echo no || echo yes)" \
	--report "$([ "$report" = 1 ] && echo yes || echo no)" \
	--expected "$UFFDSCOPE_TOP/scripts/expected-absent.txt" --kunit-ran "$ktap_ran" \
	--out "$results/result.json" ${UFFDSCOPE_QUIET:+--quiet} || parse_rc=$?
# A VM that never got to report ends in a one-line error, after its (failed) result.
[ "$vm_rc" != 124 ] ||
	die "the VM of $release did not finish within $limit_vm s: see $results/console.log"
[ "$vm_rc" != 125 ] ||
	die "the VM of $release hung: its console printed nothing for $silence s: see $results/console.log"
grep -q '@@UFFDSCOPE-BOOTED' "$results/console.log" ||
	die "kernel $release never reached the test init (QEMU exit $vm_rc): see $results/console.log"
exit $parse_rc
