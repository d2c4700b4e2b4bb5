// SPDX-License-Identifier: GPL-2.0
/*
 * The main job's showcase (make run): build, in this process, the states that
 * uffdscope exists to tell apart, and print what the module says of each next
 * to what /proc/self/pagemap says. Not a test: it asserts nothing and always
 * prints; the selftests check the same states.
 *
 *  1. anonymous memory, half of it written (present, writable), half never touched;
 *  2. shared shmem write-protected through userfaultfd, half of it then zapped
 *     with MADV_DONTNEED: present PTEs with the uffd-wp bit, and uffd-wp PTE
 *     markers where the pages were, which pagemap cannot tell from swap;
 *  3. anonymous memory collapsed into a PMD-mapped THP with MADV_COLLAPSE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory.h"
#include "pagemap.h"
#include "scope.h"
#include "uffd.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static void show(const char *title, void *addr, size_t len)
{
	struct scope_answer ans;
	size_t psize = getpagesize(), i;
	int pm, err;

	printf("\n-- %s: %p..%p\n", title, addr, (char *)addr + len);
	err = scope_vmas(0, addr, len, &ans);
	if (err) {
		printf("vmas query failed: %s\n", strerror(-err));
	} else {
		for (int l = 0; l < ans.nlines; l++) {
			const struct scope_line *line = &ans.lines[l];

			printf("vma  ");
			for (int k = 0; k < line->nkeys; k++)
				printf(" %s=%s", line->key[k], line->val[k]);
			printf("\n");
		}
		scope_free(&ans);
	}
	err = scope_ptes(0, addr, len, NULL, &ans);
	if (err) {
		printf("ptes query failed: %s\n", strerror(-err));
		return;
	}
	for (int l = 0; l < ans.nlines; l++) {
		const struct scope_line *line = &ans.lines[l];

		printf("ptes ");
		for (int k = 0; k < line->nkeys; k++)
			printf(" %s=%s", line->key[k], line->val[k]);
		printf("\n");
	}
	scope_free(&ans);

	/* pagemap, for comparison: one letter a page, P present, S swap (or marker), - none. */
	pm = pagemap_open(0);
	if (pm < 0)
		return;
	printf("pagemap (P present, S swap or marker, w uffd-wp, - none), first 64 pages:\n  ");
	for (i = 0; i < len / psize && i < 64; i++) {
		uint64_t e = pagemap_get(pm, (char *)addr + i * psize);

		putchar(e & PM_PRESENT ? 'P' : e & PM_SWAP ? 'S' : '-');
		putchar(e & PM_UFFD_WP ? 'w' : ' ');
	}
	printf("\n");
	close(pm);
}

static void demo_anon(void)
{
	size_t len = 16 * getpagesize();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	memset(p, 1, len / 2);
	show("anonymous, first half written", p, len);
}

static void demo_wp_shmem(void)
{
	uint64_t need = UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	size_t len = 16 * getpagesize();
	uint64_t missing;
	int uffd, fd;
	char *p;

	uffd = uffd_open(need, &missing);
	if (uffd < 0) {
		printf("\n-- shmem uffd-wp: not on this kernel (%s, features 0x%llx missing)\n",
		       strerror(-uffd), (unsigned long long)missing);
		return;
	}
	fd = memfd_create("uffdscope-demo", 0);
	if (fd < 0 || ftruncate(fd, len))
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	memset(p, 2, len);
	if (uffd_register(uffd, p, len, UFFDIO_REGISTER_MODE_WP) ||
	    uffd_writeprotect(uffd, p, len, true) ||
	    madvise(p, len / 2, MADV_DONTNEED)) {
		printf("\n-- shmem uffd-wp: setup failed: %s\n", strerror(errno));
		return;
	}
	show("shared shmem, write-protected, first half zapped (markers)", p, len);
}

static void demo_thp(void)
{
	size_t pmd = pmd_size();
	char *p = mmap_aligned(pmd, pmd, PROT_READ | PROT_WRITE, MAP_PRIVATE, -1, 0);

	if (p == MAP_FAILED)
		return;
	memset(p, 3, pmd);
	if (madvise(p, pmd, MADV_COLLAPSE))
		printf("\n-- MADV_COLLAPSE of one anonymous PMD (%zu KiB): %s\n", pmd >> 10,
		       strerror(errno));
	show("one anonymous PMD after MADV_COLLAPSE", p, pmd);
	munmap(p, pmd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!scope_loaded()) {
		printf("uffdscope.ko is not loaded (no %s)\n", SCOPE_DIR);
		return 1;
	}
	demo_anon();
	demo_wp_shmem();
	demo_thp();
	return 0;
}
