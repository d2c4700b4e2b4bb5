// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
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

static unsigned long read_ulong(const char *path, unsigned long dflt)
{
	unsigned long val;
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return dflt;
	n = fscanf(f, "%lu", &val);
	fclose(f);
	return n == 1 ? val : dflt;
}

size_t pmd_size(void)
{
	static size_t size;

	if (!size) {
		size_t ps = page_size();

		size = read_ulong("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
				  ps * (ps / 8));
	}
	return size;
}

size_t pages_per_pmd(void)
{
	return pmd_size() / page_size();
}

size_t hugetlb_size(void)
{
	static long size = -1;
	char line[128];
	FILE *f;

	if (size >= 0)
		return (size_t)size;
	size = 0;
	f = fopen("/proc/meminfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long kb;

		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1) {
			size = (long)(kb << 10);
			break;
		}
	}
	fclose(f);
	return (size_t)size;
}

const char *hugetlb_knob(const char *name, char *buf, size_t len)
{
	size_t hs = hugetlb_size();

	if (!hs)
		return NULL;
	snprintf(buf, len, "/sys/kernel/mm/hugepages/hugepages-%zukB/%s", hs >> 10, name);
	return buf;
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

int memfd_hugetlb(const char *name, size_t nr_huge)
{
	size_t hs = hugetlb_size();
	int fd;

	if (!hs)
		return -ENOENT;
	fd = memfd_create(name, MFD_CLOEXEC | MFD_HUGETLB);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)(nr_huge * hs))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
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

void *mmap_pmd(int fd, size_t len, bool shared)
{
	size_t align = pmd_size();
	struct statfs fs;

	/* a hugetlbfs file's pages may be larger than a PMD (arm64 contiguous PMDs) */
	if (fd >= 0 && !fstatfs(fd, &fs) && fs.f_type == HUGETLBFS_MAGIC &&
	    (size_t)fs.f_bsize > align)
		align = fs.f_bsize;
	return mmap_aligned(len, align, PROT_READ | PROT_WRITE,
			    shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
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
