// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <unistd.h>

#include "pagemap.h"

int pagemap_open(pid_t pid)
{
	char path[64];
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

uint64_t pagemap_get(int fd, const void *addr)
{
	uint64_t entry;
	off_t off = (uintptr_t)addr / getpagesize() * sizeof(entry);

	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry)) {
		if (!errno)
			errno = EIO;
		return 0;
	}
	return entry;
}

long pagemap_scan_count(int fd, const void *start, size_t len, uint64_t categories)
{
	struct page_region regions[32];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)start,
		.end = (uintptr_t)start + len,
		.vec = (uintptr_t)regions,
		.vec_len = sizeof(regions) / sizeof(regions[0]),
		.category_mask = categories,
		.return_mask = categories,
	};
	long pages = 0, n, i;

	/* Each call resumes at walk_end; a full vector means there may be more. */
	do {
		n = ioctl(fd, PAGEMAP_SCAN, &arg);
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++)
			pages += (long)((regions[i].end - regions[i].start) / getpagesize());
		arg.start = arg.walk_end;
	} while (arg.start < arg.end);
	return pages;
}
