/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/PID/pagemap, the kernel's own per-page view, used to cross-check what
 * the module reports. Bits as documented in
 * Documentation/admin-guide/mm/pagemap.rst; uapi has no header for them.
 */
#ifndef UFFDSCOPE_PAGEMAP_H
#define UFFDSCOPE_PAGEMAP_H

#include <stdint.h>
#include <sys/types.h>

#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)
#define PM_FILE		(1ULL << 61)
#define PM_UFFD_WP	(1ULL << 57)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_SOFT_DIRTY	(1ULL << 55)
#define PM_PFN_MASK	((1ULL << 55) - 1)

/* Open /proc/@pid/pagemap (0: self). Returns an fd or -errno. */
int pagemap_open(pid_t pid);

/* The entry of the page holding @addr; on error returns 0 with errno set. */
uint64_t pagemap_get(int fd, const void *addr);

#endif /* UFFDSCOPE_PAGEMAP_H */
