/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory of one kind (anonymous, shmem, hugetlbfs at the default huge page
 * size) for the tests of the 2024-2026 catalog rows, sized and aligned from
 * what the running kernel reports: its base page size, its PMD size
 * (hpage_pmd_size) and its default huge page size (/proc/meminfo), never
 * from constants. The uffd-wp area of lib/wp_area.h covers file memory of
 * 2 MiB pages; these rows also need anonymous memory, PMD-sized runs of
 * PTEs and PMD-aligned destinations for mremap() and UFFDIO_MOVE.
 */
#ifndef UFFDSCOPE_KIND_AREA_H
#define UFFDSCOPE_KIND_AREA_H

#include <stdbool.h>
#include <stddef.h>

enum area_kind { AREA_ANON, AREA_SHMEM, AREA_HUGETLB };

struct kind_area {
	enum area_kind kind;
	bool shared;
	size_t unit;	/* the memory's page: base page or default huge page */
	size_t nr;	/* pages of @unit */
	size_t len;
	int fd;		/* memfd of shmem and hugetlbfs, else -1 */
	char *addr;	/* aligned to max(@unit, PMD size) */
};

/* The base page size. */
size_t kind_page_size(void);
/* The PMD size from hpage_pmd_size; 0 when the kernel has no THP. */
size_t kind_pmd_size(void);
/* The default huge page size from /proc/meminfo; 0 when there is none. */
size_t kind_huge_size(void);

const char *area_kind_name(enum area_kind kind);

/*
 * Map @nr pages of @kind (MAP_SHARED when @shared; anonymous memory is always
 * private), aligned to the larger of @unit and the PMD size. For hugetlbfs,
 * raises nr_hugepages of the default size through knob_set() (the caller
 * restores it with knob_restore_all()). Returns 0, -ENOMEM when huge pages
 * could not be reserved, -EOPNOTSUPP when the kernel has no huge page size,
 * or another -errno; *@why names the failing step.
 */
int kind_area_map(struct kind_area *a, enum area_kind kind, bool shared, size_t nr,
		  const char **why);

void kind_area_unmap(struct kind_area *a);

static inline char *kind_page(const struct kind_area *a, size_t i)
{
	return a->addr + i * a->unit;
}

/*
 * Reserve @len bytes of address space, PROT_NONE, aligned to @align (a power
 * of two): a destination for mremap(MREMAP_FIXED) or UFFDIO_MOVE that no
 * other mapping can take. MAP_FAILED with errno on error.
 */
void *kind_reserve(size_t len, size_t align);

/* Fill page @i with a byte that depends on @seed and @i. */
void kind_fill(const struct kind_area *a, size_t i, unsigned char seed);

/* The byte kind_fill() writes. */
static inline unsigned char kind_pattern(unsigned char seed, size_t i)
{
	return (unsigned char)(seed + i * 13 + 3);
}

/* Whether every byte of the @unit bytes at @p is @byte; *@seen gets the first that is not. */
bool kind_holds(const char *p, size_t unit, unsigned char byte, unsigned char *seen);

#endif /* UFFDSCOPE_KIND_AREA_H */
