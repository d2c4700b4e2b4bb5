// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "access.h"
#include "uffd.h"

static void *access_fn(void *arg)
{
	struct access *a = arg;
	uint64_t one = 1;

	if (a->write)
		*a->addr = a->value;
	else
		a->value = *a->addr;
	if (write(a->done_fd, &one, sizeof(one)) != sizeof(one))
		return (void *)1;
	return NULL;
}

int access_start(struct access *a, void *addr, bool write, unsigned char value)
{
	int ret;

	a->addr = addr;
	a->write = write;
	a->value = value;
	a->done_fd = eventfd(0, EFD_CLOEXEC);
	if (a->done_fd < 0)
		return -errno;
	ret = pthread_create(&a->thread, NULL, access_fn, a);
	if (ret) {
		close(a->done_fd);
		return -ret;
	}
	a->running = true;
	return 0;
}

bool uffd_msg_pending(int uffd, struct uffd_msg *msg)
{
	return uffd_read_msg(uffd, msg, 0) == 0;
}

int access_wait(struct access *a, int uffd, struct uffd_msg *msg, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = uffd, .events = POLLIN },
		{ .fd = a->done_fd, .events = POLLIN },
	};
	int ret;

	do {
		ret = poll(pfd, 2, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	/* A message queued before completion still counts as raised. */
	if (uffd_msg_pending(uffd, msg))
		return 1;
	return 0;
}

int access_join(struct access *a, int timeout_ms)
{
	struct pollfd pfd = { .fd = a->done_fd, .events = POLLIN };
	int ret;

	if (!a->running)
		return 0;
	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	pthread_join(a->thread, NULL);
	close(a->done_fd);
	a->running = false;
	return 0;
}

bool uffd_msg_is_wp_at(const struct uffd_msg *msg, const void *addr, size_t psize)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(psize - 1);

	return msg->event == UFFD_EVENT_PAGEFAULT &&
	       (msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) &&
	       (msg->arg.pagefault.address & ~(uint64_t)(psize - 1)) == page;
}

/* Long enough for any fault under TCG; reached only when a kernel misbehaves. */
#define WRITE_TIMEOUT_MS 5000

enum write_outcome write_page(int uffd, void *addr, size_t psize, unsigned char value,
			      struct uffd_msg *msg)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(psize - 1);
	enum write_outcome res;
	struct uffd_msg extra;
	struct access a;
	int ret;

	memset(msg, 0, sizeof(*msg));
	if (access_start(&a, addr, true, value))
		return WRITE_ERROR;
	ret = access_wait(&a, uffd, msg, WRITE_TIMEOUT_MS);
	if (ret == 0) {
		res = WRITE_NO_FAULT;
	} else if (ret == 1) {
		res = uffd_msg_is_wp_at(msg, addr, psize) ? WRITE_WP_FAULT : WRITE_OTHER_MSG;
		if (uffd_writeprotect(uffd, (void *)page, psize, false))
			return WRITE_ERROR;
	} else {
		return ret == -ETIMEDOUT ? WRITE_STUCK : WRITE_ERROR;
	}
	if (access_join(&a, WRITE_TIMEOUT_MS))
		return WRITE_STUCK;
	if (res == WRITE_WP_FAULT && uffd_msg_pending(uffd, &extra)) {
		*msg = extra;
		return WRITE_EXTRA_MSG;
	}
	return res;
}

const char *write_outcome_name(enum write_outcome o)
{
	static const char * const names[] = {
		[WRITE_WP_FAULT] = "one WP fault",
		[WRITE_NO_FAULT] = "no message",
		[WRITE_OTHER_MSG] = "a message that is not its WP fault",
		[WRITE_EXTRA_MSG] = "a second message after its WP fault",
		[WRITE_STUCK] = "a write still blocked after its fault was resolved",
		[WRITE_ERROR] = "a syscall error",
	};

	return o <= WRITE_ERROR ? names[o] : "?";
}
