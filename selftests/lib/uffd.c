// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uffd.h"

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

/*
 * The syscall first; /dev/userfaultfd (6.1+) where the syscall is refused,
 * e.g. by vm.unprivileged_userfaultfd for a user without CAP_SYS_PTRACE.
 */
static int uffd_new_fd(void)
{
	int fd, dev;

	fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		return fd;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	fd = fd < 0 ? -errno : fd;
	close(dev);
	return fd;
}

uint64_t uffd_supported_features(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = uffd_new_fd();

	if (fd < 0)
		return 0;
	/* With no feature requested the kernel answers with all it has. */
	if (ioctl(fd, UFFDIO_API, &api))
		api.features = 0;
	close(fd);
	return api.features;
}

int uffd_open(uint64_t features, uint64_t *missing)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	uint64_t have = uffd_supported_features();
	int fd;

	if (missing)
		*missing = features & ~have;
	if (features & ~have)
		return -EOPNOTSUPP;
	fd = uffd_new_fd();
	if (fd < 0)
		return fd;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int uffd_register(int uffd, void *addr, size_t len, uint64_t mode)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = mode,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

int uffd_unregister(int uffd, void *addr, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	return ioctl(uffd, UFFDIO_UNREGISTER, &range) ? -errno : 0;
}

int uffd_writeprotect(int uffd, void *addr, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) ? -errno : 0;
}

int uffd_copy(int uffd, void *dst, const void *src, size_t len, uint64_t mode,
	      int64_t *copied)
{
	struct uffdio_copy copy = {
		.dst = (uintptr_t)dst,
		.src = (uintptr_t)src,
		.len = len,
		.mode = mode,
	};
	int ret = ioctl(uffd, UFFDIO_COPY, &copy) ? -errno : 0;

	if (copied)
		*copied = copy.copy;
	return ret;
}

int uffd_read_msg(int uffd, struct uffd_msg *msg, int timeout_ms)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	ssize_t n;
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	n = read(uffd, msg, sizeof(*msg));
	if (n < 0)
		return -errno;
	return n == sizeof(*msg) ? 0 : -EIO;
}
