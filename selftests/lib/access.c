// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <stdint.h>
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
