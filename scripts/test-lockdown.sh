#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What uffdscope.ko and the uffdscope command do under kernel lockdown, in two boots of one
# Debian kernel (scripts/guest/lockdown.sh is the guest half):
#   lockdown=integrity on the command line, as Secure Boot locks Debian's kernel down: the
#     unsigned module is refused, and `uffdscope ptes`/`vmas` exit 6 with one line;
#   no lockdown at boot: the module loads and the command answers (the control), then
#     lockdown is raised at run time (integrity, confidentiality): exit 6, one line, each time.
# A VM that locked itself down cannot run the suite after it: hence boots of their own.
#
#   scripts/test-lockdown.sh [KERNEL]      (default 6.12-amd64, the fastest to boot)
#
# Exits 0 when both boots passed; SKIP (exit 4) when the kernel has no lockdown LSM or does not
# require signed modules under lockdown (then the refused-module half would not hold).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

spec=${1:-6.12-amd64}
kernel=$(bash "$UFFDSCOPE_TOP/scripts/fetch-kernel.sh" "$spec") || exit 1
config=$kernel/config
# The kernel's own configuration says whether there is anything to test, not its version.
if ! grep -q '^CONFIG_SECURITY_LOCKDOWN_LSM=y' "$config" ||
	! grep -q '^CONFIG_LSM=.*lockdown' "$config"; then
	log "SKIP: $spec has no lockdown LSM (CONFIG_SECURITY_LOCKDOWN_LSM, CONFIG_LSM)"
	exit 4
fi
if ! grep -q '^CONFIG_MODULE_SIG=y' "$config"; then
	log "SKIP: $spec does not check module signatures (CONFIG_MODULE_SIG): lockdown would load the unsigned module"
	exit 4
fi

rc=0
for how in runtime cmdline; do
	append=""
	[ $how = cmdline ] && append="lockdown=integrity"
	# `if` keeps set -e and pipefail out of the way: a failed boot is reported, not fatal.
	# The kernel's folder, resolved once: a name would be looked up in apt again (9 s).
	if UFFDSCOPE_MODE=lockdown UFFDSCOPE_APPEND=$append UFFDSCOPE_KERNEL_ID=lockdown-$how \
		UFFDSCOPE_QUIET=${UFFDSCOPE_QUIET:-} bash "$UFFDSCOPE_TOP/scripts/run-vm.sh" "$kernel"; then
		log "lockdown ($how${append:+: $append}): passed"
	else
		log "lockdown ($how${append:+: $append}): FAILED"
		rc=1
	fi
done
exit $rc
