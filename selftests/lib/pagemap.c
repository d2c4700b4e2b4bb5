// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
