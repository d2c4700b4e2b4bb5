/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guard regions (6.13+, MADV_GUARD_INSTALL): PTE markers whose access raises
 * SIGSEGV. Installing them, and touching a page to learn whether it is one,
 * without leaving the test: a SIGSEGV handler jumps back to the reader.
 */
#ifndef UFFDSCOPE_GUARD_H
#define UFFDSCOPE_GUARD_H

#include <stdbool.h>
#include <stddef.h>

/* The uapi values, for headers older than 6.13. */
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#define MADV_GUARD_REMOVE	103
#endif

/* madvise(MADV_GUARD_INSTALL): 0 or -errno (-EINVAL where the kernel lacks it). */
int guard_install(void *addr, size_t len);
/* madvise(MADV_GUARD_REMOVE): 0 or -errno. */
int guard_remove(void *addr, size_t len);

/*
 * Whether this kernel installs guard regions in a private anonymous page:
 * 0, or the -errno of MADV_GUARD_INSTALL (-EINVAL before 6.13).
 */
int guard_probe_anon(void);

/*
 * Read one byte at @addr. Returns true when the read raised SIGSEGV at that
 * address (a guard region), false when it completed (*@byte gets the value).
 * Process-wide SIGSEGV handling is borrowed for the read and restored; call
 * it from one thread at a time.
 */
bool guard_read_segv(const volatile char *addr, unsigned char *byte);

#endif /* UFFDSCOPE_GUARD_H */
