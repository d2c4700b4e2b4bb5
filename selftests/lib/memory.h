/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memory the tests work on: shmem memfds of N pages (optionally filled
 * through write(2), so the page cache exists while no PTE maps it), mappings
 * aligned to the PMD size so a THP can be PMD-mapped, and hugetlbfs memfds of
 * 2 MiB pages.
 */
#ifndef UFFDSCOPE_MEMORY_H
#define UFFDSCOPE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SZ_2M		(2UL << 20)

size_t page_size(void);

/*
 * The byte every byte of page @index holds after memfd_fill(..., @seed):
 * different for neighbouring pages, so a test sees which page it reads.
 */
static inline unsigned char page_pattern(unsigned char seed, size_t index)
{
	return (unsigned char)(seed + index * 7 + 1);
}

/* A shmem memfd of @npages pages. Returns the fd or -errno. */
int memfd_pages(const char *name, size_t npages);

/*
 * Fill pages [@first, @first + @npages) of @fd with page_pattern(@seed, i)
 * through pwrite(2), which populates the page cache without mapping it.
 * Returns 0 or -errno.
 */
int memfd_fill(int fd, size_t first, size_t npages, unsigned char seed);

/*
 * A hugetlbfs memfd of @nr_huge 2 MiB pages (MFD_HUGETLB | MFD_HUGE_2MB).
 * Returns the fd or -errno (-ENOMEM when no huge page is reserved).
 */
int memfd_hugetlb_2m(const char *name, size_t nr_huge);

/*
 * mmap @len bytes of @fd at @off (or anonymous memory when @fd < 0) at an
 * address aligned to @align, a power of two. Returns MAP_FAILED with errno
 * set on error. Unmap with plain munmap(addr, len).
 */
void *mmap_aligned(size_t len, size_t align, int prot, int flags, int fd, off_t off);

/* mmap_aligned() at SZ_2M, MAP_SHARED or MAP_PRIVATE, read-write. */
void *mmap_2m(int fd, size_t len, bool shared);

/*
 * Whether every byte of the page at @addr is @byte; if not, *@seen gets the
 * first byte that differs.
 */
bool page_holds(const void *addr, unsigned char byte, unsigned char *seen);

/* The /proc/kpageflags bits of the page mapped at @addr, or 0 with errno set. */
uint64_t kpageflags_of(const void *addr);

#define KPF_THP_BIT 22

#endif /* UFFDSCOPE_MEMORY_H */
