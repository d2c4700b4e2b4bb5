/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memory the tests work on: shmem memfds of N pages (optionally filled
 * through write(2), so the page cache exists while no PTE maps it), mappings
 * aligned to the PMD size so a THP can be PMD-mapped, and hugetlbfs memfds of
 * the default huge page size.
 *
 * Sizes come from the running kernel, never from constants: a base page is
 * 4 KiB on x86_64 but 16 KiB on Debian's arm64-16k, where a PMD maps 32 MiB
 * (2048 entries of a 16 KiB table), not 2 MiB.
 */
#ifndef UFFDSCOPE_MEMORY_H
#define UFFDSCOPE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Only for inspector.c until it moves to pmd_size(): the tests in this folder
 * use pmd_size() and hugetlb_size().
 */
#define SZ_2M		(2UL << 20)

/* sysconf(_SC_PAGESIZE). */
size_t page_size(void);

/*
 * What one PMD entry maps: /sys/kernel/mm/transparent_hugepage/hpage_pmd_size.
 * A kernel without THP (Debian's PREEMPT_RT) has no such file; then it is one
 * page table's worth of pages, page_size() / 8 entries of 8 bytes each, which
 * holds on both architectures the suite runs on (x86_64, arm64 4k/16k/64k).
 */
size_t pmd_size(void);

/* pmd_size() / page_size(): the base pages one PMD covers. */
size_t pages_per_pmd(void);

/* The default hugetlb page size (/proc/meminfo Hugepagesize), or 0 without hugetlbfs. */
size_t hugetlb_size(void);

/*
 * The sysfs file @name ("nr_hugepages", "free_hugepages") of the default
 * hugetlb size, into @buf. Returns @buf, or NULL without hugetlbfs.
 */
const char *hugetlb_knob(const char *name, char *buf, size_t len);

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
 * A hugetlbfs memfd of @nr_huge pages of the default huge page size
 * (MFD_HUGETLB). Returns the fd or -errno (-ENOMEM when none is reserved).
 */
int memfd_hugetlb(const char *name, size_t nr_huge);

/* Only for inspector.c: a memfd of 2 MiB huge pages (MFD_HUGE_2MB). */
int memfd_hugetlb_2m(const char *name, size_t nr_huge);

/*
 * mmap @len bytes of @fd at @off (or anonymous memory when @fd < 0) at an
 * address aligned to @align, a power of two. Returns MAP_FAILED with errno
 * set on error. Unmap with plain munmap(addr, len).
 */
void *mmap_aligned(size_t len, size_t align, int prot, int flags, int fd, off_t off);

/*
 * mmap_aligned() at pmd_size() (or at the huge page size of a hugetlbfs @fd,
 * if larger), MAP_SHARED or MAP_PRIVATE, read-write.
 */
void *mmap_pmd(int fd, size_t len, bool shared);

/* Only for inspector.c: mmap_aligned() at 2 MiB. */
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
