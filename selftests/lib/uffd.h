/* SPDX-License-Identifier: GPL-2.0 */
/*
 * userfaultfd from a test's point of view: open with the features a test needs
 * (or learn that the kernel lacks them), register, write-protect, copy, and wait
 * for a message without ever sleeping in place of synchronisation.
 */
#ifndef UFFDSCOPE_UFFD_H
#define UFFDSCOPE_UFFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/userfaultfd.h>

/*
 * Open a userfaultfd with exactly @features enabled. Returns the fd, or a
 * negative errno: -EOPNOTSUPP when the kernel does not offer every feature
 * asked for (*@missing then holds the ones it lacks), or the errno of the
 * syscall or of /dev/userfaultfd.
 */
int uffd_open(uint64_t features, uint64_t *missing);

/* The features this kernel's userfaultfd offers, or 0 if it has none. */
uint64_t uffd_supported_features(void);

int uffd_register(int uffd, void *addr, size_t len, uint64_t mode);
int uffd_unregister(int uffd, void *addr, size_t len);
int uffd_writeprotect(int uffd, void *addr, size_t len, bool protect);
/* UFFDIO_COPY of @len bytes; returns 0 or -errno, *@copied gets the kernel's count. */
int uffd_copy(int uffd, void *dst, const void *src, size_t len, uint64_t mode,
	      int64_t *copied);

/*
 * Wait up to @timeout_ms for one message. Returns 0 with *@msg filled,
 * -ETIMEDOUT when none came (the caller decides whether that is the
 * expected outcome), or -errno.
 */
int uffd_read_msg(int uffd, struct uffd_msg *msg, int timeout_ms);

#endif /* UFFDSCOPE_UFFD_H */
