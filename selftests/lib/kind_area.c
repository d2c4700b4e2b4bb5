// SPDX-License-Identifier: GPL-2.0
/*
 * Memory of one kind, sized from the running kernel: see kind_area.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kind_area.h"
#include "sysfs_state.h"

size_t kind_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

size_t kind_pmd_size(void)
{
	long v = knob_read_long("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");

	return v > 0 ? (size_t)v : 0;
}

size_t kind_huge_size(void)
{
	unsigned long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return (size_t)kb << 10;
}

const char *area_kind_name(enum area_kind kind)
{
	switch (kind) {
	case AREA_ANON:
		return "anon";
	case AREA_SHMEM:
		return "shmem";
	case AREA_HUGETLB:
		return "hugetlb";
	}
	return "?";
}

void *kind_reserve(size_t len, size_t align)
{
	char *p, *q;
	size_t lead;

	/* Over-reserve, then trim both ends to the aligned window. */
	p = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return p;
	q = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	lead = (size_t)(q - p);
	if (lead)
		munmap(p, lead);
	if (align - lead)
		munmap(q + len, align - lead);
	return q;
}

/* Add @nr huge pages of @size to the pool; knob_restore_all() gives them back. */
static int reserve_huge(size_t size, size_t nr)
{
	char path[128];
	long have;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages",
		 size >> 10);
	have = knob_read_long(path);
	if (have < 0)
		return (int)have;
	if (knob_set_ulong(path, (unsigned long)have + nr))
		return -ENOMEM;
	return knob_read_long(path) >= have + (long)nr ? 0 : -ENOMEM;
}

int kind_area_map(struct kind_area *a, enum area_kind kind, bool shared, size_t nr,
		  const char **why)
{
	size_t align = kind_pmd_size();
	int flags, ret;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->kind = kind;
	a->shared = kind != AREA_ANON && shared;
	a->unit = kind == AREA_HUGETLB ? kind_huge_size() : kind_page_size();
	a->nr = nr;
	*why = "huge page size";
	if (!a->unit)
		return -EOPNOTSUPP;
	a->len = nr * a->unit;
	if (align < a->unit)
		align = a->unit;
	if (kind == AREA_HUGETLB) {
		*why = "reserving huge pages";
		ret = reserve_huge(a->unit, nr);
		if (ret)
			return ret;
		*why = "memfd_create(MFD_HUGETLB)";
		a->fd = memfd_create("uffdscope-kind", MFD_HUGETLB | MFD_CLOEXEC);
	} else if (kind == AREA_SHMEM) {
		*why = "memfd_create";
		a->fd = memfd_create("uffdscope-kind", MFD_CLOEXEC);
	}
	if (kind != AREA_ANON) {
		if (a->fd < 0)
			return -errno;
		*why = "ftruncate";
		if (ftruncate(a->fd, (off_t)a->len))
			goto fail;
	}
	*why = "address space";
	a->addr = kind_reserve(a->len, align);
	if (a->addr == MAP_FAILED)
		goto fail;
	flags = MAP_FIXED | (a->shared ? MAP_SHARED : MAP_PRIVATE) |
		(kind == AREA_ANON ? MAP_ANONYMOUS : 0);
	*why = "mmap";
	if (mmap(a->addr, a->len, PROT_READ | PROT_WRITE, flags, a->fd, 0) == MAP_FAILED) {
		munmap(a->addr, a->len);
		goto fail;
	}
	return 0;
fail:
	ret = -errno;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	a->addr = NULL;
	/* hugetlbfs reports an empty pool as ENOMEM at mmap */
	return ret;
}

void kind_area_unmap(struct kind_area *a)
{
	if (a->addr)
		munmap(a->addr, a->len);
	if (a->fd >= 0)
		close(a->fd);
	a->addr = NULL;
	a->fd = -1;
}

void kind_fill(const struct kind_area *a, size_t i, unsigned char seed)
{
	memset(kind_page(a, i), kind_pattern(seed, i), a->unit);
}

bool kind_holds(const char *p, size_t unit, unsigned char byte, unsigned char *seen)
{
	size_t off;

	for (off = 0; off < unit; off++) {
		if ((unsigned char)p[off] != byte) {
			*seen = (unsigned char)p[off];
			return false;
		}
	}
	return true;
}
