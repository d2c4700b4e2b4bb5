// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "memory.h"
#include "pagemap.h"

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif

size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

int memfd_pages(const char *name, size_t npages)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)(npages * page_size()))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int memfd_fill(int fd, size_t first, size_t npages, unsigned char seed)
{
	size_t psize = page_size(), i;
	char *buf = malloc(psize);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (i = first; i < first + npages; i++) {
		ssize_t n;

		memset(buf, page_pattern(seed, i), psize);
		n = pwrite(fd, buf, psize, (off_t)(i * psize));
		if (n != (ssize_t)psize) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
	}
	free(buf);
	return ret;
}

int memfd_hugetlb_2m(const char *name, size_t nr_huge)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)(nr_huge * SZ_2M))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void *mmap_aligned(size_t len, size_t align, int prot, int flags, int fd, off_t off)
{
	uintptr_t start, aligned;
	size_t span = len + align;
	void *res, *addr;

	/* Reserve room for an aligned start, then map over the aligned part. */
	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	start = (uintptr_t)res;
	aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
	if (fd < 0)
		flags |= MAP_ANONYMOUS;
	addr = mmap((void *)aligned, len, prot, flags | MAP_FIXED, fd, off);
	if (addr == MAP_FAILED) {
		int err = errno;

		munmap(res, span);
		errno = err;
		return MAP_FAILED;
	}
	/* Give back the slack on both sides of the mapping. */
	if (aligned > start)
		munmap(res, aligned - start);
	if (start + span > aligned + len)
		munmap((void *)(aligned + len), start + span - (aligned + len));
	return addr;
}

void *mmap_2m(int fd, size_t len, bool shared)
{
	return mmap_aligned(len, SZ_2M, PROT_READ | PROT_WRITE,
			    shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
}

bool page_holds(const void *addr, unsigned char byte, unsigned char *seen)
{
	const unsigned char *p = addr;
	size_t i, psize = page_size();

	for (i = 0; i < psize; i++) {
		if (p[i] != byte) {
			if (seen)
				*seen = p[i];
			return false;
		}
	}
	return true;
}

uint64_t kpageflags_of(const void *addr)
{
	uint64_t entry, flags = 0;
	int pm, kpf;

	pm = pagemap_open(0);
	if (pm < 0) {
		errno = -pm;
		return 0;
	}
	errno = 0;
	entry = pagemap_get(pm, addr);
	close(pm);
	if (errno)
		return 0;
	if (!(entry & PM_PRESENT) || !(entry & PM_PFN_MASK)) {
		errno = ENOENT;
		return 0;
	}
	kpf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (kpf < 0)
		return 0;
	if (pread(kpf, &flags, sizeof(flags), (off_t)((entry & PM_PFN_MASK) * sizeof(flags))) !=
	    sizeof(flags)) {
		if (!errno)
			errno = EIO;
		flags = 0;
	}
	close(kpf);
	return flags;
}
