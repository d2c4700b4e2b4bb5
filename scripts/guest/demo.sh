#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The main job's showcase, run inside the VM: start the workload (/tests/demo_workload), a
# process that builds uffd-wp markers, a THP and a MISSING-registered shmem range with holes,
# then point the uffdscope command at it as a user would at their own process: `map` for each
# state, `explain` at a hole of the MISSING range, and `report` for the running kernel.
# Each step starts with a "==" heading that says what the output below it is.
# POSIX sh (busybox).

step() {
	echo
	echo "== $1"
	shift
	for line in "$@"; do
		echo "   $line"
	done
	echo
}

# Run one uffdscope command, echoing it as a user would type it; a failure is reported, not fatal.
run() {
	echo "\$ uffdscope $*"
	uffdscope "$@" || echo "(uffdscope exited $?)"
}

step "1. The kernel under test" \
	"What the report below is about: release, page size, THP and userfaultfd settings."
echo "release: $(uname -r)   machine: $(uname -m)"
echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)   shmem THP: $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled)"
echo "PMD size: $(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size 2>/dev/null || echo unknown) bytes"
echo "fault_around_bytes: $(cat /sys/kernel/debug/fault_around_bytes 2>/dev/null || echo n/a)"
echo "uffdscope.ko: $(head -n 1 /sys/kernel/debug/uffdscope/version 2>/dev/null || echo 'not loaded')"

step "2. The workload: a process that builds three memory states and waits" \
	"markers: shmem write-protected with userfaultfd, first half zapped by MADV_DONTNEED" \
	"thp:     one anonymous PMD collapsed into a transparent huge page" \
	"missing: one PMD of shmem, every other page cached, registered MISSING, nothing mapped"
fifo=/tmp/demo_workload.out
rm -f "$fifo"
mkfifo "$fifo" || exit 1
/tests/demo_workload >"$fifo" 2>&1 </dev/null &
wpid=$!
exec 3<"$fifo"
markers='' thp='' missing='' hole='' page_size='' ready=''
# Its lines arrive as it builds each state; "ready" means all are built (no sleeping).
while read -r line <&3; do
	echo "$line"
	case $line in
	markers=*) markers=${line#markers=} ;;
	thp=*) thp=${line#thp=} ;;
	missing=*) missing=${line#missing=} ;;
	hole=*) hole=${line#hole=} ;;
	page_size=*) page_size=${line#page_size=} ;;
	ready) ready=1 && break ;;
	esac
done
if [ -z "$ready" ]; then
	echo "the workload ended before it was ready"
	exit 1
fi

if [ -n "$markers" ]; then
	step "3. uffdscope map: the uffd-wp range, one glyph per page" \
		"M = a uffd-wp PTE marker: the page was zapped, but the write-protection is remembered" \
		"W = a present page with the uffd-wp bit (a write would fault to the monitor)" \
		"/proc/PID/pagemap cannot tell a marker from a swapped-out page; the page table can."
	run map "$wpid" "$markers"
	echo
	run ptes "$wpid" "$markers"
fi
# One line of 64 glyphs for a range of LEN bytes (START+LEN): how many pages per glyph.
per_line() {
	pages=$((${1#*+} / page_size))
	per=$((pages / 64))
	[ "$per" -ge 1 ] || per=1
	echo "$per"
}

if [ -n "$thp" ]; then
	step "4. uffdscope map: the collapsed range, one glyph per group of pages" \
		"T = mapped by one PMD entry: a transparent huge page. Had MADV_COLLAPSE failed, the" \
		"workload would have said why above, and the map would show '#' (small pages) here."
	run map --per "$(per_line "$thp")" "$wpid" "$thp"
fi
if [ -n "$missing" ]; then
	step "5. uffdscope vmas and map: the MISSING-registered shmem range" \
		"Nothing is mapped yet ('.'): half its pages are in the page cache, half are holes" \
		"that only the userfaultfd monitor may fill."
	run vmas "$wpid" "$missing"
	echo
	run map --per "$(per_line "$missing")" "$wpid" "$missing"
	step "6. uffdscope explain: what the kernel would do at a hole of that range" \
		"read fault: would fault-around map the cached neighbours, and why (not)" \
		"MADV_COLLAPSE: what it would return and the rule that decides it; collapsing would" \
		"fill the holes behind the monitor's back, so a kernel with the fix says EBUSY."
	run explain "$wpid" "$hole"
fi

kill "$wpid"
wait "$wpid" 2>/dev/null
exec 3<&-

step "7. uffdscope report: does this kernel have each behaviour of the catalog?" \
	"It runs the suite's own programs as probes (a 60 s budget) and restores every knob." \
	"present = the kernel has it; absent = it lacks it (with the evidence); unsupported = cannot" \
	"tell on this machine (with the reason); unknown = no probe of this short demo names the row" \
	"(make check runs the whole suite on every kernel)."
run report
