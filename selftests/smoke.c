// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest end-to-end proof that the suite runs inside the kernel under
 * test: write-protect a shared shmem range through userfaultfd, zap it with
 * MADV_DONTNEED, and check that the kernel still reports every page as uffd-wp
 * in /proc/self/pagemap. On a kernel with PTE markers (5.19+) the zap leaves a
 * uffd-wp marker in each PTE; without them the protection would be lost
 * silently and the next write would go through with no message.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "pagemap.h"
#include "uffd.h"

#define NR_PAGES 16

TEST(wp_survives_dontneed_in_pagemap)
{
	uint64_t need = UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	size_t psize = getpagesize(), len = NR_PAGES * psize;
	uint64_t missing, entry;
	int uffd, memfd, pm;
	char *area;
	size_t i;

	BEHAVIOUR("WP-PAGEMAP");
	uffd = uffd_open(need, &missing);
	if (uffd == -EOPNOTSUPP)
		SKIP(return, "this kernel's userfaultfd has no uffd-wp for shmem (features 0x%llx missing; arm64 has it from 6.10)",
		     (unsigned long long)missing);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));

	memfd = memfd_create("uffdscope-smoke", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, len));
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, area);
	/* Fill the page cache, so the zap below has pages to drop from the PTEs. */
	memset(area, 0x5a, len);

	ASSERT_EQ(0, uffd_register(uffd, area, len, UFFDIO_REGISTER_MODE_WP));
	ASSERT_EQ(0, uffd_writeprotect(uffd, area, len, true));
	ASSERT_EQ(0, madvise(area, len, MADV_DONTNEED));

	pm = pagemap_open(0);
	ASSERT_LE(0, pm);
	for (i = 0; i < NR_PAGES; i++) {
		errno = 0;
		entry = pagemap_get(pm, area + i * psize);
		ASSERT_EQ(0, errno) TH_LOG("pagemap read of page %zu failed", i);
		ASSERT_BEHAVIOUR("WP-PAGEMAP", entry & PM_UFFD_WP,
				 "page %zu of %d lost uffd-wp after MADV_DONTNEED: pagemap entry 0x%llx",
				 i, NR_PAGES, (unsigned long long)entry);
		ASSERT_FALSE(!!(entry & PM_PRESENT))
			TH_LOG("page %zu still present after MADV_DONTNEED: 0x%llx",
			       i, (unsigned long long)entry);
	}
	close(pm);
	munmap(area, len);
	close(memfd);
	close(uffd);
}

TEST_HARNESS_MAIN
