/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the collapse tests share: MADV_COLLAPSE as an errno, the kernel's own
 * views of a range (page-cache residency through mincore, PMD mappings through
 * smaps), the module's `collapse` verdict, and a "toucher" that reads one page
 * from another thread so a test can tell whether the read raised a userfault
 * or went through without one.
 */
#ifndef UFFDSCOPE_COLLAPSE_UTIL_H
#define UFFDSCOPE_COLLAPSE_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/userfaultfd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define UFFDSCOPE_COLLAPSE_FILE "/sys/kernel/debug/uffdscope/collapse"

/* madvise(MADV_COLLAPSE): 0 or -errno. */
int madv_collapse(void *addr, size_t len);

/* "0", "EBUSY", "EAGAIN", "EINVAL", "ENOMEM" ... for a 0 or -errno result. */
const char *collapse_errname(int ret);

/*
 * How many of the @npages pages at @addr are in the page cache (file) or
 * resident (anon), by mincore(2); @vec (npages bytes, may be NULL) gets the
 * per-page answer. Returns the count or -errno.
 */
long resident_pages(void *addr, size_t npages, unsigned char *vec);

/*
 * The value, in kB, of @field ("ShmemPmdMapped", "AnonHugePages" ...) of the
 * mapping that holds @addr in /proc/self/smaps, or -errno.
 */
long smaps_kb(const void *addr, const char *field);

/* Whether the mapping at @addr maps at least one PMD (shmem, file or anon THP). */
bool pmd_mapped(const void *addr);

/*
 * Ask the module what MADV_COLLAPSE of the PMD range around @addr of process
 * @pid would return. @out gets the whole answer (key=value lines).
 * Returns 0, -ENOENT when the module is not loaded, or -errno.
 */
int collapse_query(pid_t pid, const void *addr, char *out, size_t len);

/*
 * The value of "@key=" in a key=value answer, copied into @val up to the next
 * space or newline. Returns 0 or -ENOENT.
 */
int kv_get(const char *text, const char *key, char *val, size_t len);
/* kv_get() of a number; returns -1 when absent. */
long kv_long(const char *text, const char *key);

/*
 * The module's verdict on MADV_COLLAPSE of the PMD range at @addr of this
 * process, as text ("0", "EINVAL", "unknown" ...) in @verdict (at least 16
 * bytes); the whole answer in @answer. Returns 0, -ENOENT without the module,
 * or -errno.
 */
int collapse_predicted(const void *addr, char *verdict, char *answer, size_t len);

/*
 * uffdscope.ko, the second witness, must have predicted the MADV_COLLAPSE
 * result @ret (see collapse_predicted(); "unknown" predicts nothing, and
 * without the module there is nothing to compare). For tests that include
 * behaviour.h; call it after the row's own assertions.
 */
#define ASSERT_COLLAPSE_WITNESS(pred_ret, verdict, answer, ret) do {			if ((pred_ret) != -ENOENT) {								ASSERT_EQ(0, pred_ret) TH_LOG("collapse query: %s", strerror(-(pred_ret))); 		if (strcmp(verdict, "unknown") && strcmp(verdict, collapse_errname(ret))) 			fprintf(stderr, "# module answer was:\n%s", answer);			ASSERT_WITNESS(!strcmp(verdict, "unknown") ||						       !strcmp(verdict, collapse_errname(ret)),					       "MADV_COLLAPSE returned %s, the module predicted %s", 			       collapse_errname(ret), verdict);				}									} while (0)

/* A thread that reads one byte of a page, and says when the read completed. */
struct toucher {
	pthread_t thread;
	int done_fd;			/* eventfd, readable once the read returned */
	const volatile char *addr;
	char seen;
};

/* Start reading @addr in a new thread. Returns 0 or -errno. */
int toucher_start(struct toucher *t, const volatile char *addr);

/*
 * Wait for whichever comes first: a message on @uffd (returns 1, *@msg filled;
 * the toucher stays blocked until the caller resolves the fault) or the read
 * completing without one (returns 0). -ETIMEDOUT after @cap_ms, -errno on error.
 */
int toucher_wait(struct toucher *t, int uffd, struct uffd_msg *msg, int cap_ms);

/* Join the thread and close its eventfd. */
void toucher_join(struct toucher *t);

#endif /* UFFDSCOPE_COLLAPSE_UTIL_H */
