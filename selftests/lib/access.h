/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One memory access on a helper thread, so the test thread can watch the
 * userfaultfd while the access may be blocked in a fault. access_wait()
 * returns as soon as either the access completed or a message arrived, which
 * lets a test assert "this write raised a WP fault" and "this write raised
 * nothing" without sleeping: when the access completes first, any message it
 * raised is already queued and a poll with no timeout sees it.
 */
#ifndef UFFDSCOPE_ACCESS_H
#define UFFDSCOPE_ACCESS_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/userfaultfd.h>

struct access {
	pthread_t thread;
	volatile unsigned char *addr;
	bool write;
	unsigned char value;	/* (in) byte written; (out) byte read */
	int done_fd;		/* eventfd, readable once the access completed */
	bool running;
};

/* Start a one-byte read or write of @addr on a new thread. Returns 0 or -errno. */
int access_start(struct access *a, void *addr, bool write, unsigned char value);

/*
 * Wait up to @timeout_ms for the access to complete or for a message on
 * @uffd. Returns 1 with *@msg filled when a message came first (the access
 * is then normally blocked in the fault), 0 when the access completed with
 * no message queued, -ETIMEDOUT, or -errno.
 */
int access_wait(struct access *a, int uffd, struct uffd_msg *msg, int timeout_ms);

/*
 * Wait up to @timeout_ms for the access to complete and reap the thread.
 * Returns 0, -ETIMEDOUT (the thread is still blocked: the caller must
 * resolve its fault and call again), or -errno.
 */
int access_join(struct access *a, int timeout_ms);

/* Whether @uffd holds a message right now; reads it into *@msg if so. */
bool uffd_msg_pending(int uffd, struct uffd_msg *msg);

/* Whether @msg is a write-protect fault message for the page at @addr. */
bool uffd_msg_is_wp_at(const struct uffd_msg *msg, const void *addr, size_t psize);

/* What one write to a page raised; see write_expect_wp_fault(). */
enum write_outcome {
	WRITE_WP_FAULT,		/* exactly one WP fault for the page, then it completed */
	WRITE_NO_FAULT,		/* completed and raised nothing */
	WRITE_OTHER_MSG,	/* raised a message that is not that WP fault */
	WRITE_EXTRA_MSG,	/* a second message after the WP fault was resolved */
	WRITE_STUCK,		/* still blocked after its fault was resolved */
	WRITE_ERROR,		/* a syscall failed */
};

/*
 * Write @value to @addr on a helper thread and report what it raised on
 * @uffd (*@msg gets the message, if any). A WP fault is resolved by clearing
 * uffd-wp on the @psize page holding @addr, so the write lands; any other
 * message is resolved the same way, so the thread never stays blocked.
 */
enum write_outcome write_page(int uffd, void *addr, size_t psize, unsigned char value,
			      struct uffd_msg *msg);

const char *write_outcome_name(enum write_outcome o);

#endif /* UFFDSCOPE_ACCESS_H */
