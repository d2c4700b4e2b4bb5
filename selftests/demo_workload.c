// SPDX-License-Identifier: GPL-2.0
/*
 * The workload of the main job's showcase (make run): a process that builds
 * three memory states and then waits, so that the uffdscope command can be
 * pointed at it from outside, as a user would point it at their own process.
 * Not a test: it asserts nothing.
 *
 *   markers  shared shmem registered uffd-wp, every page write-protected, the
 *            first half then zapped with MADV_DONTNEED: uffd-wp PTE markers
 *            where the pages were, present uffd-wp PTEs after them;
 *   thp      one anonymous PMD collapsed with MADV_COLLAPSE;
 *   missing  one PMD of shared shmem with every other page in the page cache,
 *            nothing mapped, registered MISSING: MADV_COLLAPSE refuses it.
 *
 * It prints "pid=N", "page_size=N", then one "NAME=START+LEN" line per state it
 * built (or "# NAME: why not"), "hole=ADDR" (a hole of the missing range), then
 * "ready", and then sleeps until it is killed. The userfaultfd descriptors stay
 * open, so the registrations stay.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory.h"
#include "uffd.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static void announce(const char *name, void *addr, size_t len)
{
	printf("%s=%p+%zu\n", name, addr, len);
}

static void build_markers(void)
{
	uint64_t need = UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	size_t npages = 16, len = npages * page_size();
	uint64_t missing;
	int uffd, fd;
	char *p;

	uffd = uffd_open(need, &missing);
	if (uffd < 0) {
		printf("# markers: no uffd-wp for shmem here (%s, features 0x%llx missing)\n",
		       strerror(-uffd), (unsigned long long)missing);
		return;
	}
	fd = memfd_pages("demo-markers", npages);
	if (fd < 0) {
		printf("# markers: memfd: %s\n", strerror(-fd));
		return;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("# markers: mmap: %s\n", strerror(errno));
		return;
	}
	memset(p, 1, len);
	if (uffd_register(uffd, p, len, UFFDIO_REGISTER_MODE_WP) ||
	    uffd_writeprotect(uffd, p, len, true) ||
	    madvise(p, len / 2, MADV_DONTNEED)) {
		printf("# markers: uffd-wp setup: %s\n", strerror(errno));
		return;
	}
	announce("markers", p, len);
}

static void build_thp(void)
{
	size_t pmd = pmd_size();
	char *p = mmap_aligned(pmd, pmd, PROT_READ | PROT_WRITE, MAP_PRIVATE, -1, 0);

	if (p == MAP_FAILED) {
		printf("# thp: mmap: %s\n", strerror(errno));
		return;
	}
	memset(p, 2, pmd);
	if (madvise(p, pmd, MADV_COLLAPSE))
		printf("# thp: MADV_COLLAPSE: %s (the map shows what is there instead)\n",
		       strerror(errno));
	announce("thp", p, pmd);
}

static void build_missing(void)
{
	size_t pmd = pmd_size(), npages = pages_per_pmd(), i;
	uint64_t missing;
	int uffd, fd, err;
	char *p;

	uffd = uffd_open(0, &missing);
	if (uffd < 0) {
		printf("# missing: no userfaultfd: %s\n", strerror(-uffd));
		return;
	}
	fd = memfd_pages("demo-missing", npages);
	if (fd < 0) {
		printf("# missing: memfd: %s\n", strerror(-fd));
		return;
	}
	/* Every other page cached: the holes are what MISSING would be asked to fill. */
	for (i = 0; i < npages; i += 2) {
		err = memfd_fill(fd, i, 1, 3);
		if (err) {
			printf("# missing: write: %s\n", strerror(-err));
			return;
		}
	}
	p = mmap_aligned(pmd, pmd, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("# missing: mmap: %s\n", strerror(errno));
		return;
	}
	if (madvise(p, pmd, MADV_HUGEPAGE) && errno != EINVAL)
		printf("# missing: MADV_HUGEPAGE: %s\n", strerror(errno));
	if (uffd_register(uffd, p, pmd, UFFDIO_REGISTER_MODE_MISSING)) {
		printf("# missing: UFFDIO_REGISTER: %s\n", strerror(errno));
		return;
	}
	announce("missing", p, pmd);
	/* Page 1 is a hole: where a read fault would be a MISSING fault. */
	printf("hole=%p\n", p + page_size());
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid=%d\n", getpid());
	printf("page_size=%zu\n", page_size());
	build_markers();
	build_thp();
	build_missing();
	printf("ready\n");
	for (;;)
		pause();
}
