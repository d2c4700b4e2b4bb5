/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SIGBUS as a test's evidence: a read past EOF, or of a hwpoisoned page,
 * raises it instead of completing, and MADV_HWPOISON may send one to the
 * caller on its way out of madvise() (memory_failure() kills the mapping
 * processes of a dirty page, the caller with BUS_MCEERR_AR). Both are caught
 * here and described, without leaving the test.
 */
#ifndef UFFDSCOPE_SIGBUS_H
#define UFFDSCOPE_SIGBUS_H

#include <stdbool.h>
#include <stddef.h>

struct sigbus_info {
	bool raised;
	int code;		/* si_code: BUS_ADRERR, BUS_MCEERR_AR ... */
	void *addr;		/* si_addr */
	int addr_lsb;		/* si_addr_lsb (BUS_MCEERR_*): log2 of the lost unit */
};

/*
 * Read one byte at @addr. Returns true when the read raised SIGBUS instead of
 * completing; *@info (may be NULL) then describes it. Process-wide SIGBUS
 * handling is borrowed for the read and restored; one thread at a time.
 */
bool sigbus_read(const volatile void *addr, struct sigbus_info *info);

/*
 * madvise(@addr, @len, @advice) with SIGBUS caught: *@info says whether one
 * arrived during the call. Returns madvise's 0 or -errno.
 */
int sigbus_madvise(void *addr, size_t len, int advice, struct sigbus_info *info);

#endif /* UFFDSCOPE_SIGBUS_H */
