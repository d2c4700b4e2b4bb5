// SPDX-License-Identifier: GPL-2.0
/*
 * PAGEMAP_SCAN's PAGE_IS_WRITTEN under UFFD_FEATURE_WP_ASYNC for pages that
 * have no PTE (catalog row SCAN-WRITTEN-HOLES, "fs/proc/task_mmu: fix
 * PAGEMAP_SCAN written state for PMD holes" and "... for unpopulated ptes").
 * In an async uffd-wp VMA, PAGE_IS_WRITTEN means "no uffd-wp protection
 * left". WP_ASYNC implies WP_UNPOPULATED, so PM_SCAN_WP_MATCHING arms a
 * marker in every none PTE and in PMDs never populated: those stay
 * protected, not written. An anonymous page zapped afterwards keeps no marker
 * (its content is gone, the next touch gets a new page nobody protected), so
 * it counts as written, whether its PTE is none in a table or a whole zapped
 * THP left a PMD hole. Before the fixes the hole callback never reported
 * PAGE_IS_WRITTEN, and the generic path did not for a none PTE, while the
 * fast path (category and return mask exactly PAGE_IS_WRITTEN) did. The test
 * asks both paths and wants the same, exact set.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"

/* Pages of the middle (PTE-mapped) PMD, by what happens to them. */
static const size_t written[] = { 1, 5, 6 };
static const size_t zapped[] = { 10, 11, 40 };
static const size_t unpopulated[] = { 30, 31 };	/* none PTEs in a table */

FIXTURE(scan) {
	int uffd, pm;
	unsigned char *area;	/* 3 PMDs: a THP zapped whole, PTE-mapped, never touched */
	size_t pmd, page, nr;	/* nr: pages in the area */
	bool thp;		/* the first PMD was a THP when zapped */
	unsigned char *expect;	/* per page: PAGE_IS_WRITTEN expected */
};

FIXTURE_SETUP(scan)
{
	struct pm_scan_arg wp = { .size = sizeof(wp) };
	size_t i, ppm;
	int ret;

	self->uffd = -1;
	self->area = MAP_FAILED;
	self->pmd = pmd_size();
	self->page = page_size();
	ppm = self->pmd / self->page;
	self->nr = 3 * ppm;
	ASSERT_LT(zapped[2], ppm);

	self->pm = pagemap_open(0);
	ASSERT_LE(0, self->pm);
	/* A kernel without PAGEMAP_SCAN rejects the ioctl before looking at it. */
	if (ioctl(self->pm, PAGEMAP_SCAN, &wp) && errno == ENOTTY)
		SKIP(return, "no PAGEMAP_SCAN ioctl on /proc/self/pagemap (ENOTTY; 6.7+)");
	self->uffd = uffd_open(UFFD_FEATURE_WP_ASYNC, NULL);
	if (self->uffd == -EOPNOTSUPP)
		SKIP(return, "userfaultfd lacks UFFD_FEATURE_WP_ASYNC (6.7+) or uffd-wp on this arch");
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(-self->uffd));

	THP_REQUIRE();
	THP_KNOB_SET(THP_ENABLED, "always");
	self->area = mmap_aligned(self->nr * self->page, self->pmd, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	ASSERT_EQ(0, madvise(self->area, self->pmd, MADV_HUGEPAGE));
	ASSERT_EQ(0, madvise_no_thp(self->area + self->pmd, 2 * self->pmd));
	memset(self->area, 1, self->pmd);
	self->thp = !!(kpageflags_of(self->area) & (1ULL << KPF_THP_BIT));
	for (i = 0; i < ppm; i++)
		if (i != unpopulated[0] && i != unpopulated[1])
			self->area[self->pmd + i * self->page] = 2;

	ret = uffd_register(self->uffd, self->area, self->nr * self->page, UFFDIO_REGISTER_MODE_WP);
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_REGISTER_MODE_WP: %s", strerror(-ret));
	/* Protect everything the kernel reports written, i.e. the whole area. */
	wp.start = (uintptr_t)self->area;
	wp.end = wp.start + self->nr * self->page;
	wp.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
	wp.category_mask = PAGE_IS_WRITTEN;
	wp.return_mask = PAGE_IS_WRITTEN;
	ASSERT_LE(0, ioctl(self->pm, PAGEMAP_SCAN, &wp)) TH_LOG("PM_SCAN_WP_MATCHING: %s", strerror(errno));

	/* Every page the expectation calls written, and nothing else, happens now. */
	self->expect = calloc(self->nr, 1);
	ASSERT_NE(NULL, self->expect);
	ASSERT_EQ(0, madvise(self->area, self->pmd, MADV_DONTNEED));
	memset(self->expect, 1, ppm);
	for (i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
		self->area[self->pmd + written[i] * self->page] = 3;
		self->expect[ppm + written[i]] = 1;
	}
	for (i = 0; i < sizeof(zapped) / sizeof(zapped[0]); i++) {
		ASSERT_EQ(0, madvise(self->area + self->pmd + zapped[i] * self->page, self->page,
				     MADV_DONTNEED));
		self->expect[ppm + zapped[i]] = 1;
	}
	/* unpopulated[]: armed with a marker by the WP scan, still protected. */
	/* The third PMD, never populated, was armed with markers: not written. */
}

FIXTURE_TEARDOWN(scan)
{
	if (self->area != MAP_FAILED)
		munmap(self->area, self->nr * self->page);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->pm >= 0)
		close(self->pm);
	free(self->expect);
	ASSERT_EQ(0, knob_restore_all());
}

/*
 * Mark in @seen each page PAGEMAP_SCAN reports PAGE_IS_WRITTEN. A return mask
 * of PAGE_IS_WRITTEN alone takes the kernel's fast path; adding
 * PAGE_IS_PRESENT takes the generic, per-category one.
 */
static int scan_written(FIXTURE_DATA(scan) *self, uint64_t return_mask, unsigned char *seen)
{
	struct page_region r[64];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)self->area,
		.end = (uintptr_t)self->area + self->nr * self->page,
		.vec = (uintptr_t)r,
		.vec_len = sizeof(r) / sizeof(r[0]),
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = return_mask,
	};
	uintptr_t a;
	long n, i;

	memset(seen, 0, self->nr);
	do {
		n = ioctl(self->pm, PAGEMAP_SCAN, &arg);
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++)
			for (a = r[i].start; a < r[i].end; a += self->page)
				seen[(a - (uintptr_t)self->area) / self->page] = 1;
		arg.start = arg.walk_end;
	} while (arg.start < arg.end);
	return 0;
}

static void check_path(struct __test_metadata *_metadata, FIXTURE_DATA(scan) *self,
		       uint64_t return_mask, const char *path)
{
	size_t i, ppm = self->pmd / self->page, wrong = 0, first = self->nr;
	unsigned char *seen = calloc(self->nr, 1);
	int ret;

	ASSERT_NE(NULL, seen);
	ret = scan_written(self, return_mask, seen);
	ASSERT_EQ(0, ret) TH_LOG("PAGEMAP_SCAN (%s path): %s", path, strerror(-ret));
	for (i = 0; i < self->nr; i++) {
		if (seen[i] != self->expect[i]) {
			wrong++;
			if (first == self->nr)
				first = i;
		}
	}
	fprintf(stderr, "# value: SCAN-WRITTEN-HOLES %s path: %zu of %zu pages wrong (first PMD a %s hole)\n",
		path, wrong, self->nr, self->thp ? "zapped-THP" : "zapped-PTE-table");
	/* Each run of wrong pages, so that a failure says which kind of page it hit. */
	for (i = 0; i < self->nr; i++) {
		size_t end = i;

		if (seen[i] == self->expect[i])
			continue;
		while (end + 1 < self->nr && seen[end + 1] != self->expect[end + 1] &&
		       seen[end + 1] == seen[i])
			end++;
		fprintf(stderr, "# PMD %zu pages %zu-%zu: written=%d, expected %d\n",
			i / ppm, i % ppm, end % ppm, seen[i], self->expect[i]);
		i = end;
	}
	free(seen);
	ASSERT_BEHAVIOUR("SCAN-WRITTEN-HOLES", wrong == 0,
			 "the %s path of PAGEMAP_SCAN got PAGE_IS_WRITTEN wrong for %zu pages, first page %zu of PMD %zu",
			 path, wrong, first % ppm, first / ppm);
}

TEST_F(scan, written_generic_path)
{
	BEHAVIOUR("SCAN-WRITTEN-HOLES");
	check_path(_metadata, self, PAGE_IS_WRITTEN | PAGE_IS_PRESENT, "generic");
}

TEST_F(scan, written_fast_path)
{
	BEHAVIOUR("SCAN-WRITTEN-HOLES");
	check_path(_metadata, self, PAGE_IS_WRITTEN, "fast");
}

TEST_HARNESS_MAIN
