#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot one kernel with one initramfs in QEMU, the console written to a log, killed after a
# time limit. TCG by default: nested KVM does not work on these machines (see
# shared/notes/environment.md); UFFDSCOPE_ACCEL=kvm asks for KVM, which is used only when a
# short probe boot shows that it works here.
#
#   scripts/boot-vm.sh KERNEL_DIR INITRD LOG TIME_LIMIT_SECONDS [SILENCE_SECONDS]
#
# SILENCE_SECONDS: kill the VM when its console has printed nothing for that long. The guest
# prints each program's output when the program ends and reports a program that outlives
# its limit itself, so a console silent for longer than the longest limit means a kernel (or
# QEMU) that no longer runs the guest's init: waiting for the whole VM's limit (hours for the
# whole suite) would only delay the report.
#
# UFFDSCOPE_CPU picks another CPU model than QEMU's "max" (which has every feature):
#   nolpa2   arm64 without FEAT_LPA2 (as Apple M1/M2): a 16 KiB-page kernel built for 52-bit VAs
#            then runs with 47-bit VAs and folds a page-table level at boot
# UFFDSCOPE_APPEND adds words to the kernel command line (the mutation run's switches).
# UFFDSCOPE_VM_MEMORY: the guest's memory (QEMU -m; default 5G).
# UFFDSCOPE_GIGANTIC=0: no 1 GiB hugetlb page set aside at boot (see below).
# Exit: QEMU's status, 124 when the time limit killed it, 125 when the silence limit did.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# --print: only print the QEMU command line (a lab's job file), with TCG.
print=0
if [ "${1:-}" = --print ]; then
	print=1
	shift
fi
kernel=$1 initrd=$2 logf=${3:-} limit=${4:-} silence=${5:-}
arch=$(cat "$kernel/arch")
cpu_opts=""
case ${UFFDSCOPE_CPU:-}:$arch in
:*) ;;
nolpa2:arm64) cpu_opts=",lpa2=off" ;;
*) die "unknown CPU model '${UFFDSCOPE_CPU}' for $arch: the models are nolpa2 (arm64)" ;;
esac

# The huge_memory tracepoints the collapse tests read, enabled on the command line: the kernel
# then patches their static keys in early boot, on one CPU. Enabled later by the tests, x86's
# live text patching (int3, then the new code) raced QEMU's multi-threaded TCG: another vCPU
# ran a stale int3 ("Oops: int3" in ttwu_do_activate at the start of collapse_verdicts on
# 6.12-amd64; a silent hang at the same point on 6.1-amd64). Enabling an enabled event
# patches nothing.
boot_events=trace_event=huge_memory:mm_khugepaged_scan_pmd,huge_memory:mm_khugepaged_scan_file

# 5 GiB: in 2 GiB no kernel found a free, aligned GiB at run time, so the 1 GiB hugetlb leaf
# (x86_64 and arm64 4 KiB PUDs) was never tested; in 4 GiB 6.12-amd64 found one in two runs
# of three (x86's RAM above 4 GiB, where early boot allocates, was the only GiB left clean
# of kernel pages); in 5 GiB every kernel tried found one every time.
mem=${UFFDSCOPE_VM_MEMORY:-5G}

# Where the PUD is 1 GiB (x86_64; arm64 with 4 KiB pages) one such hugetlb page is set aside
# at boot, before anything fragments memory: at run time, after the suite's earlier programs,
# 6.12-amd64 and 7.3-amd64 found no free aligned GiB even in 5 GiB. The 1 GiB test uses a free
# page already in the pool and changes nothing then; no other program touches this size.
# UFFDSCOPE_GIGANTIC=0 boots without it.
gigantic=""
if [ "${UFFDSCOPE_GIGANTIC:-1}" = 1 ] && grep -qx 'CONFIG_HUGETLBFS=y' "$kernel/config"; then
	case $arch in
	amd64) gigantic="hugepagesz=1G hugepages=1" ;;
	arm64) if grep -qx 'CONFIG_ARM64_4K_PAGES=y' "$kernel/config"; then
		gigantic="hugepagesz=1G hugepages=1"
	fi ;;
	esac
fi
[[ $mem =~ ^[1-9][0-9]*[MG]?$ ]] ||
	die "UFFDSCOPE_VM_MEMORY='$mem': give a size as QEMU's -m takes it, e.g. 4G or 3072M"

qemu_cmd() {
	local accel=$1
	case $arch in
	amd64)
		command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run scripts/install-deps.sh"
		echo qemu-system-x86_64 -accel "$accel" -cpu max -m $mem -smp 2 \
			-append "'console=ttyS0 panic=-1 loglevel=4 $boot_events $gigantic ${UFFDSCOPE_APPEND:-}'"
		;;
	arm64)
		command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 missing: run scripts/install-deps.sh"
		# pauth-impdef: the architected pointer-auth algorithm is very slow under TCG.
		echo qemu-system-aarch64 -M virt -accel "$accel" -cpu max,pauth-impdef=on$cpu_opts -m $mem -smp 2 \
			-append "'console=ttyAMA0 panic=-1 loglevel=4 $boot_events $gigantic ${UFFDSCOPE_APPEND:-}'"
		;;
	esac
}

run_qemu() {
	local accel=$1 t=$2 out=$3 pid size=-1 now quiet_since=$SECONDS
	eval "exec timeout -k 5 $t $(qemu_cmd "$accel") -nographic -no-reboot \
		-kernel '$kernel/vmlinuz' -initrd '$initrd'" </dev/null >"$out" 2>&1 &
	pid=$!
	if [ -n "$silence" ]; then
		# Poll the console's size: a timeout, not a synchronisation, so a second's delay is
		# of no consequence.
		while kill -0 "$pid" 2>/dev/null; do
			now=$(stat -c %s "$out" 2>/dev/null || echo 0)
			if [ "$now" != "$size" ]; then
				size=$now quiet_since=$SECONDS
			elif [ $((SECONDS - quiet_since)) -ge "$silence" ]; then
				log "the console of $(cat "$kernel/release") printed nothing for $silence s: killing the VM"
				kill -TERM "$pid" 2>/dev/null
				wait "$pid"
				return 125
			fi
			sleep 1
		done
	fi
	wait "$pid"
}

if [ $print = 1 ]; then
	echo "#!/bin/sh"
	echo "# $(cat "$kernel/release") ($arch): the KTAP output is the console between @@UFFDSCOPE-BEGIN and -END."
	echo "cd \"\$(dirname \"\$0\")\" && exec $(qemu_cmd tcg) -nographic -no-reboot -kernel vmlinuz -initrd initrd.cpio.gz"
	exit 0
fi
accel=tcg
if [ "${UFFDSCOPE_ACCEL:-tcg}" = kvm ] && [ "$arch" = amd64 ]; then
	probe=$UFFDSCOPE_CACHE/kvm-probe.$(hostname)
	if [ ! -f "$probe" ]; then
		if [ -w /dev/kvm ] && run_qemu kvm 30 "$probe.log" && grep -q '@@UFFDSCOPE-BOOTED' "$probe.log"; then
			echo kvm >"$probe"
		else
			echo tcg >"$probe"
		fi
	fi
	accel=$(cat "$probe")
	[ "$accel" = kvm ] || log "KVM probe failed on this machine: using TCG"
fi

rc=0
run_qemu "$accel" "$limit" "$logf" || rc=$?
exit $rc
