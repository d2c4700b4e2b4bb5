// SPDX-License-Identifier: GPL-2.0
/* SIGBUS caught and described (see sigbus.h). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "sigbus.h"

static sigjmp_buf sigbus_env;
static volatile sig_atomic_t sigbus_jump;	/* a read is waiting in sigsetjmp() */
static struct sigbus_info sigbus_last;

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	sigbus_last.raised = true;
	sigbus_last.code = si->si_code;
	sigbus_last.addr = si->si_addr;
	sigbus_last.addr_lsb = si->si_addr_lsb;
	/* a fault would be raised again on return; a signal after a syscall is not */
	if (sigbus_jump)
		siglongjmp(sigbus_env, 1);
}

static int catch_sigbus(struct sigaction *old)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	memset(&sigbus_last, 0, sizeof(sigbus_last));
	return sigaction(SIGBUS, &sa, old) ? -errno : 0;
}

bool sigbus_read(const volatile void *addr, struct sigbus_info *info)
{
	struct sigaction old;

	if (catch_sigbus(&old))
		return false;
	/* savesigs: siglongjmp out of the handler unblocks SIGBUS again */
	if (sigsetjmp(sigbus_env, 1) == 0) {
		sigbus_jump = 1;
		(void)*(const volatile unsigned char *)addr;
	}
	sigbus_jump = 0;
	sigaction(SIGBUS, &old, NULL);
	if (info)
		*info = sigbus_last;
	return sigbus_last.raised;
}

int sigbus_madvise(void *addr, size_t len, int advice, struct sigbus_info *info)
{
	struct sigaction old;
	int ret;

	ret = catch_sigbus(&old);
	if (ret)
		return ret;
	ret = madvise(addr, len, advice) ? -errno : 0;
	sigaction(SIGBUS, &old, NULL);
	if (info)
		*info = sigbus_last;
	return ret;
}
