// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"

int guard_install(void *addr, size_t len)
{
	return madvise(addr, len, MADV_GUARD_INSTALL) ? -errno : 0;
}

int guard_remove(void *addr, size_t len)
{
	return madvise(addr, len, MADV_GUARD_REMOVE) ? -errno : 0;
}

int guard_probe_anon(void)
{
	size_t psize = (size_t)getpagesize();
	void *p = mmap(NULL, psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	if (p == MAP_FAILED)
		return -errno;
	ret = guard_install(p, psize);
	munmap(p, psize);
	return ret;
}

static sigjmp_buf segv_env;
static volatile void *segv_addr;

static void on_segv(int sig, siginfo_t *info, void *uctx)
{
	segv_addr = info->si_addr;
	siglongjmp(segv_env, 1);
}

bool guard_read_segv(const volatile char *addr, unsigned char *byte)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;
	bool segv = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	segv_addr = NULL;
	/* savesigs: siglongjmp out of the handler unblocks SIGSEGV again */
	if (sigsetjmp(segv_env, 1) == 0)
		*byte = (unsigned char)*addr;
	else
		segv = segv_addr == (const volatile void *)addr;
	sigaction(SIGSEGV, &old, NULL);
	return segv;
}
