#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run test programs the way the kselftest runner does and print KTAP: a plan, then each
# program's own TAP nested behind "# ", then one "ok/not ok N selftests: uffdscope: PROG"
# line per program (exit 0 pass, 4 skip, anything else fail, killed by the time limit:
# TIMEOUT). POSIX sh, so that it runs under busybox in the guest and under bash on a host.
#
#   run-programs.sh DIR TIMEOUT_SECONDS PROG...
#
# Each program runs in a session of its own, its output goes to a file (never a pipe a
# stray child could hold open), and when it ends or its time is up every process left in
# its session is killed: the harness's test children call setpgrp(), so a process-group
# kill would miss them. A program that SIGKILL cannot end (a task waiting uninterruptibly in
# the kernel: a deadlock in mm or in the module) is reported with where every blocked task
# and CPU is (sysrq w and l, in the kernel log the host gets), and the programs after it are
# not run: the kernel is no longer in a state worth testing. The file $UFFDSCOPE_HUNG_FILE
# (default /tmp/uffdscope-hung) then names the program, for the caller.
set -u
dir=$1
limit=$2
shift 2
main=$$
hung=0
hung_file=${UFFDSCOPE_HUNG_FILE:-/tmp/uffdscope-hung}
trap 'hung=1' USR1

# Kill every process whose session is $1 (field 6 of /proc/PID/stat).
kill_session() {
	for st in /proc/[0-9]*/stat; do
		s=$(cat "$st" 2>/dev/null) || continue
		s=${s##*) }
		# shellcheck disable=SC2086
		set -- $s
		if [ "${4:-}" = "$sid" ]; then
			p=${st%/stat}
			kill -KILL "${p#/proc/}" 2>/dev/null
		fi
	done
}

# Kill the session once the program has run for $limit seconds; leave within a second of
# its end otherwise.
watchdog() {
	i=0
	while [ "$i" -lt "$limit" ]; do
		sleep 1
		kill -0 "$sid" 2>/dev/null || exit 0
		i=$((i + 1))
	done
	kill_session
	i=0
	while [ "$i" -lt 10 ]; do
		sleep 1
		kill -0 "$sid" 2>/dev/null || exit 0
		i=$((i + 1))
	done
	kill -USR1 "$main"
}

echo "TAP version 13"
echo "1..$#"
n=0
out=$(mktemp)
for prog in "$@"; do
	n=$((n + 1))
	echo "# selftests: uffdscope: $prog"
	start=$(date +%s)
	setsid "$dir/$prog" >"$out" 2>&1 </dev/null &
	sid=$!
	watchdog &
	wd=$!
	wait "$sid"
	rc=$?
	if [ "$hung" = 1 ]; then
		if [ -w /proc/sysrq-trigger ]; then
			echo w >/proc/sysrq-trigger
			echo l >/proc/sysrq-trigger
		fi
		sed 's/^/# /' "$out"
		echo "not ok $n selftests: uffdscope: $prog # TIMEOUT ${limit} seconds, then SIGKILL did not end it: blocked in the kernel (sysrq w/l in the kernel log)"
		echo "$prog" >"$hung_file"
		shift "$n"
		for rest in "$@"; do
			n=$((n + 1))
			echo "# selftests: uffdscope: $rest"
			echo "not ok $n selftests: uffdscope: $rest # exit=none not run: $prog hung in the kernel before it"
		done
		break
	fi
	kill "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	kill_session
	sed 's/^/# /' "$out"
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
rm -f "$out"
