/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/PID/pagemap, the kernel's own per-page view, used to cross-check what
 * the module reports. Bits as documented in
 * Documentation/admin-guide/mm/pagemap.rst; uapi has no header for them.
 */
#ifndef UFFDSCOPE_PAGEMAP_H
#define UFFDSCOPE_PAGEMAP_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/fs.h>	/* PAGEMAP_SCAN, PAGE_IS_* */

#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)
#define PM_FILE		(1ULL << 61)
#define PM_GUARD_REGION	(1ULL << 58)	/* 6.14+: a guard region's PTE marker */
#define PM_UFFD_WP	(1ULL << 57)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_SOFT_DIRTY	(1ULL << 55)
#define PM_PFN_MASK	((1ULL << 55) - 1)

/* Open /proc/@pid/pagemap (0: self). Returns an fd or -errno. */
int pagemap_open(pid_t pid);

/* The entry of the page holding @addr; on error returns 0 with errno set. */
uint64_t pagemap_get(int fd, const void *addr);

/*
 * PAGEMAP_SCAN (6.7+) of [@start, @start + @len) of the pagemap @fd: how many
 * pages have every bit of @categories (PAGE_IS_*). Returns the count, or
 * -errno: -ENOTTY without the ioctl, -EINVAL when the kernel does not know
 * one of the categories (PAGE_IS_GUARD is 6.14+, PAGE_IS_ACCESSED 7.3+).
 */
long pagemap_scan_count(int fd, const void *start, size_t len, uint64_t categories);

#endif /* UFFDSCOPE_PAGEMAP_H */
