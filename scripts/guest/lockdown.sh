#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest half of scripts/test-lockdown.sh: what uffdscope.ko and the uffdscope command do
# under kernel lockdown, on a kernel whose lockdown LSM is on and whose modules must be signed
# once it is locked down (Debian's). Prints KTAP like one program, "lockdown", of
# run-programs.sh.
#
# lockdown=MODE on the command line (what Secure Boot does to Debian's kernel, at integrity):
#   the unsigned module is refused, and `uffdscope ptes`/`vmas` exit 6 with one line.
# No lockdown= on the command line: the module loads and the command works (the control);
#   then lockdown is raised at run time through securityfs, first to integrity (the loaded
#   module's files are refused: exit 6), then the module is unloaded and refused again, and
#   last confidentiality: exit 6 each time, one line, and the JSON error names "lockdown".
set -u
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
lockfile=/sys/kernel/security/lockdown

n=0
bad=0
out=/tmp/lockdown.out
err=/tmp/lockdown.err

begin() {
	n=$((n + 1))
	name=$1
	echo "# #  RUN           lockdown.$name ..."
}

# end OK|FAIL WHY: the case's result line; WHY is logged either way.
end() {
	echo "# # $2"
	if [ "$1" = OK ]; then
		echo "# ok $n lockdown.$name"
	else
		echo "# not ok $n lockdown.$name"
		bad=1
	fi
}

selected() {
	sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$lockfile" 2>/dev/null
}

# A command refused by lockdown: exit 6, nothing on stdout (or, with --json, only the
# error object naming "lockdown"), and exactly one line on stderr that names the mode and
# WHAT (the debugfs files, or the unsigned module).
expect_lockdown() {
	case_name=$1 mode=$2 what=$3
	shift 3
	begin "$case_name"
	uffdscope "$@" >"$out" 2>"$err"
	rc=$?
	lines=$(wc -l <"$err")
	sed 's/^/# # stderr: /' "$err"
	if [ "$rc" != 6 ]; then
		end FAIL "uffdscope $*: exit $rc, want 6 (lockdown)"
	elif [ "$lines" != 1 ]; then
		end FAIL "uffdscope $*: $lines lines on stderr, want one"
	elif ! grep -q "kernel lockdown ($mode) .*$what" "$err"; then
		end FAIL "uffdscope $*: the line does not say 'kernel lockdown ($mode) ... $what'"
	elif [ "$1" = --json ] && ! grep -q '"name": "lockdown"' "$out"; then
		sed 's/^/# # stdout: /' "$out"
		end FAIL "uffdscope $*: the JSON error does not name lockdown"
	elif [ "$1" != --json ] && [ -s "$out" ]; then
		end FAIL "uffdscope $*: printed on stdout too"
	else
		end OK "uffdscope $*: exit 6: $(cat "$err")"
	fi
}

# insmod must fail under lockdown, and the kernel must say why (an unsigned module).
expect_refused_module() {
	begin "$1"
	if insmod /uffdscope.ko 2>"$err"; then
		end FAIL "insmod uffdscope.ko succeeded under lockdown ($(selected))"
		rmmod uffdscope
	elif ! dmesg | grep -q 'Lockdown: insmod: unsigned module loading is restricted'; then
		end FAIL "insmod failed ($(cat "$err")), but not for lockdown: no 'Lockdown: insmod' line in the kernel log"
	else
		end OK "insmod refused: $(cat "$err"); kernel: $(dmesg | grep 'Lockdown: insmod' | tail -n 1)"
	fi
}

echo "TAP version 13"
echo "1..1"
echo "# selftests: uffdscope: lockdown"
start=$(date +%s)
if [ ! -e "$lockfile" ]; then
	begin lockdown_lsm_active
	end FAIL "no $lockfile: this kernel has no lockdown LSM (or securityfs did not mount)"
else
	asked=$(sed -n 's/.*lockdown=\([a-z]*\).*/\1/p' /proc/cmdline)
	if [ -n "$asked" ]; then
		begin command_line_selects_$asked
		[ "$(selected)" = "$asked" ] && end OK "$lockfile: $(cat "$lockfile")" ||
			end FAIL "lockdown=$asked on the command line, $lockfile says: $(cat "$lockfile")"
		expect_refused_module unsigned_module_refused
		expect_lockdown ptes_exits_6 "$asked" "unsigned modules" ptes 1
		expect_lockdown vmas_exits_6 "$asked" "unsigned modules" vmas 1
		expect_lockdown json_error_names_lockdown "$asked" "unsigned modules" --json vmas 1
	else
		begin control_works_unlocked
		if [ "$(selected)" != none ]; then
			end FAIL "locked down already: $(cat "$lockfile")"
		elif ! insmod /uffdscope.ko 2>"$err"; then
			end FAIL "insmod uffdscope.ko failed without lockdown: $(cat "$err")"
		elif ! uffdscope ptes 1 >"$out" 2>"$err" || ! uffdscope vmas 1 >>"$out" 2>>"$err"; then
			end FAIL "uffdscope ptes/vmas 1 failed without lockdown: $(cat "$err")"
		else
			end OK "module loaded, ptes and vmas answer ($(wc -l <"$out") lines)"
		fi
		echo integrity >"$lockfile"
		begin raised_to_integrity
		[ "$(selected)" = integrity ] && end OK "$lockfile: $(cat "$lockfile")" ||
			end FAIL "echo integrity > $lockfile left: $(cat "$lockfile")"
		expect_lockdown loaded_ptes_exits_6 integrity "debugfs files" ptes 1
		expect_lockdown loaded_vmas_exits_6 integrity "debugfs files" vmas 1
		expect_lockdown loaded_json_error_names_lockdown integrity "debugfs files" --json ptes 1
		begin unload_then_reload_refused
		if rmmod uffdscope 2>"$err"; then
			end OK "rmmod is allowed under lockdown"
			expect_refused_module reload_refused
			expect_lockdown unloaded_ptes_exits_6 integrity "unsigned modules" ptes 1
		else
			end FAIL "rmmod uffdscope under lockdown failed: $(cat "$err")"
		fi
		echo confidentiality >"$lockfile"
		expect_lockdown confidentiality_vmas_exits_6 confidentiality "unsigned modules" vmas 1
	fi
fi
echo "# uffdscope-time: lockdown $(($(date +%s) - start))s"
if [ "$bad" = 0 ]; then
	echo "ok 1 selftests: uffdscope: lockdown"
else
	echo "not ok 1 selftests: uffdscope: lockdown # exit=1"
fi
