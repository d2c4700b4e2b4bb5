/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memory every uffd-wp test works on: a shmem memfd (base pages) or a
 * hugetlbfs memfd (default huge pages: 2 MiB on x86_64, 32 MiB on arm64-16k),
 * mapped MAP_SHARED or MAP_PRIVATE at a PMD-aligned address, with its page cache filled (page i holds
 * page_pattern(WP_AREA_SEED, i)) but no PTE mapping it yet, and a userfaultfd
 * with uffd-wp for shmem and hugetlbfs registered over it.
 */
#ifndef UFFDSCOPE_WP_AREA_H
#define UFFDSCOPE_WP_AREA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wp_scope.h"

#define WP_AREA_SEED 0x40

/* The features every uffd-wp test on file memory needs. */
#define WP_FILE_FEATURES (UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_HUGETLBFS_SHMEM)

enum mem_kind { MEM_SHMEM, MEM_HUGETLB };

struct wp_area {
	enum mem_kind kind;
	bool shared;
	size_t unit;		/* page size of the memory: base or huge page */
	size_t nr;		/* pages of @unit */
	size_t len;
	int memfd;
	int uffd;
	int pagemap;
	char *addr;
};

/*
 * Set up @w: @nr pages of @kind, mapped @shared or private, uffd opened with
 * @features and the range registered with @reg_mode (0: not registered).
 * For hugetlbfs, reserves the huge pages it needs through nr_hugepages
 * (knob_set(); the caller restores it with knob_restore_all()).
 * Returns 0; -EOPNOTSUPP when the kernel's userfaultfd lacks @features
 * (*@missing says which); -ENOMEM when the huge pages could not be
 * reserved; or another -errno. On failure everything set up is undone,
 * knobs included, and @why says which step failed.
 */
int wp_area_setup(struct wp_area *w, enum mem_kind kind, bool shared, size_t nr,
		  uint64_t features, uint64_t reg_mode, uint64_t *missing,
		  const char **why);

void wp_area_teardown(struct wp_area *w);

/* The address of page @i. */
static inline void *wp_page(const struct wp_area *w, size_t i)
{
	return w->addr + i * w->unit;
}

/* The pagemap entry of page @i (its first base page); 0 with errno on error. */
uint64_t wp_pagemap(const struct wp_area *w, size_t i);

/*
 * The state of page @i in process @pid (0: this one) as pagemap bits
 * (PM_PRESENT, PM_UFFD_WP, PM_SWAP), from /proc/PID/pagemap: the kernel's own
 * evidence, which decides a row. Tests cross-check it with uffdscope.ko
 * through WP_STATE() (wp_expect.h) where the state is quiescent.
 */
uint64_t wp_state(const struct wp_area *w, pid_t pid, size_t i);

/*
 * The module as second witness of page @i: 1 when what it sees (in *@seen)
 * agrees with the pagemap bits @pm on present and uffd-wp, 0 when it does
 * not, -ENODEV when the module is not loaded, or -errno of the query.
 */
int wp_witness(const struct wp_area *w, pid_t pid, size_t i, uint64_t pm,
	       struct wp_seen *seen);

/* Fill pages [@first, @first + @n) of the file through a second mapping or write(2). */
int wp_area_fill(const struct wp_area *w, size_t first, size_t n, unsigned char seed);

/* Whether page @i reads as @byte everywhere after its first @skip bytes. */
bool wp_page_holds(const struct wp_area *w, size_t i, size_t skip, unsigned char byte,
		   unsigned char *seen);

#endif /* UFFDSCOPE_WP_AREA_H */
