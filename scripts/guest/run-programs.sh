#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run test programs the way the kselftest runner does and print KTAP: a plan, then each
# program's own TAP nested behind "# ", then one "ok/not ok N selftests: uffdscope: PROG"
# line per program (exit 0 pass, 4 skip, anything else fail, killed by the time limit:
# TIMEOUT). POSIX sh, so that it runs under busybox in the guest and under bash on a host.
#
#   run-programs.sh DIR TIMEOUT_SECONDS PROG...
set -u
dir=$1
limit=$2
shift 2

echo "TAP version 13"
echo "1..$#"
n=0
rcfile=$(mktemp)
for prog in "$@"; do
	n=$((n + 1))
	echo "# selftests: uffdscope: $prog"
	start=$(date +%s)
	# The exit status leaves the pipeline through a file: plain sh has no pipefail.
	{
		timeout -s KILL "$limit" "$dir/$prog" 2>&1
		echo $? >"$rcfile"
	} | sed 's/^/# /'
	rc=$(cat "$rcfile")
	secs=$(($(date +%s) - start))
	echo "# uffdscope-time: $prog ${secs}s"
	if [ "$rc" = 0 ]; then
		echo "ok $n selftests: uffdscope: $prog"
	elif [ "$rc" = 4 ]; then
		echo "ok $n selftests: uffdscope: $prog # SKIP"
	elif [ "$rc" = 137 ] && [ "$secs" -ge "$limit" ]; then
		echo "not ok $n selftests: uffdscope: $prog # TIMEOUT ${limit} seconds"
	else
		echo "not ok $n selftests: uffdscope: $prog # exit=$rc"
	fi
done
rm -f "$rcfile"
