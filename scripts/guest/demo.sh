#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The main job's showcase, run inside the VM: what the module says about this kernel, then,
# for each demo program packed into /tests, the memory states it builds and what the module
# reports for them.
echo "== the kernel under test"
echo "release: $(uname -r)   machine: $(uname -m)"
echo "userfaultfd: $(ls /dev/userfaultfd 2>/dev/null || echo 'no /dev/userfaultfd')"
echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)   shmem: $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled)"
echo "fault_around_bytes: $(cat /sys/kernel/debug/fault_around_bytes 2>/dev/null || echo n/a)"
echo
echo "== /sys/kernel/debug/uffdscope/"
ls -l /sys/kernel/debug/uffdscope/
echo
echo "== version"
cat /sys/kernel/debug/uffdscope/version
for prog in /tests/*; do
	[ -x "$prog" ] || continue
	echo
	echo "== $(basename "$prog")"
	"$prog"
done
