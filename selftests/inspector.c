// SPDX-License-Identifier: GPL-2.0
/*
 * The inspector's own tests: build page-table states whose content is known
 * (present read-write and read-only, uffd-wp bits, uffd-wp markers, swap
 * entries with and without uffd-wp, PMD-mapped THP, hugetlb leaves, empty
 * ranges, ranges across table boundaries) and check that uffdscope.ko's
 * `ptes` file reports exactly them. Every page is cross-checked against
 * /proc/self/pagemap for the bits pagemap has (present, swap, uffd-wp, file,
 * pfn, swap type and offset); one test shows where the module sees more than
 * pagemap can: a marker and a swapped-out page look alike there.
 *
 * A failure here is a bug of the module (or of the state set-up), not a
 * missing kernel behaviour, so these tests use plain assertions.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "collapse_util.h"
#include "memory.h"
#include "pagemap.h"
#include "scope.h"
#include "swap.h"
#include "sysfs_state.h"
#include "uffd.h"

#define NR_PAGES	16
#define SWAP_BYTES	(64UL << 20)
#define MAX_SWAPFILES_SHIFT 5

static const char *kind_of(const struct scope_line *l)
{
	const char *kind = l ? scope_get(l, "kind") : NULL;

	return kind ? kind : "(no line)";
}

/*
 * Check each page of [@area, @area + @npages pages) in @ans (a mode=entries
 * answer) against /proc/self/pagemap: whatever bit pagemap has must agree.
 */
static void expect_agrees_with_pagemap(struct __test_metadata *_metadata,
				       const struct scope_answer *ans,
				       const char *area, size_t npages)
{
	size_t psize = page_size(), i;
	int pm = pagemap_open(0);

	ASSERT_LE(0, pm) TH_LOG("open pagemap: %s", strerror(-pm));
	for (i = 0; i < npages; i++) {
		const char *addr = area + i * psize;
		const struct scope_line *l = scope_find(ans, addr);
		const char *kind = kind_of(l);
		bool present = !strcmp(kind, "present");
		bool swapish = !strcmp(kind, "swap") || !strcmp(kind, "marker") ||
			       !strcmp(kind, "migration") || !strcmp(kind, "hwpoison");
		uint64_t e, idx;

		errno = 0;
		e = pagemap_get(pm, addr);
		ASSERT_EQ(0, errno) TH_LOG("pagemap read of page %zu", i);
		ASSERT_NE(NULL, l) TH_LOG("module: no line covers page %zu (%p)", i, addr);
		idx = ((uintptr_t)addr - scope_num(l, "start", 0)) / psize;
		ASSERT_EQ(present, !!(e & PM_PRESENT))
			TH_LOG("page %zu: module kind=%s, pagemap 0x%llx PRESENT=%d",
			       i, kind, (unsigned long long)e, !!(e & PM_PRESENT));
		ASSERT_EQ(swapish, !!(e & PM_SWAP))
			TH_LOG("page %zu: module kind=%s, pagemap 0x%llx SWAP=%d",
			       i, kind, (unsigned long long)e, !!(e & PM_SWAP));
		ASSERT_EQ(scope_num(l, "uffd_wp", 0), (uint64_t)!!(e & PM_UFFD_WP))
			TH_LOG("page %zu: module uffd_wp=%s, pagemap 0x%llx UFFD_WP=%d",
			       i, scope_get(l, "uffd_wp"), (unsigned long long)e,
			       !!(e & PM_UFFD_WP));
		if (present && !scope_is(l, "backing", "hugetlb") &&
		    !scope_is(l, "backing", "special")) {
			bool file = scope_is(l, "backing", "shmem") ||
				    scope_is(l, "backing", "file");

			ASSERT_EQ(file, !!(e & PM_FILE))
				TH_LOG("page %zu: module backing=%s, pagemap FILE=%d",
				       i, scope_get(l, "backing"), !!(e & PM_FILE));
		}
		/* pfns of a run are only consecutive within one leaf */
		if (present && (idx == 0 || !scope_is(l, "level", "pte")))
			ASSERT_EQ(scope_num(l, "pfn", 0) + idx, e & PM_PFN_MASK)
				TH_LOG("page %zu: module pfn 0x%llx (+%llu), pagemap pfn 0x%llx",
				       i, (unsigned long long)scope_num(l, "pfn", 0),
				       (unsigned long long)idx,
				       (unsigned long long)(e & PM_PFN_MASK));
		if (!strcmp(kind, "swap") && idx == 0) {
			uint64_t frame = e & PM_PFN_MASK;

			ASSERT_EQ(scope_num(l, "swp_type", ~0ULL),
				  frame & ((1 << MAX_SWAPFILES_SHIFT) - 1));
			ASSERT_EQ(scope_num(l, "swp_offset", ~0ULL),
				  frame >> MAX_SWAPFILES_SHIFT);
		}
	}
	close(pm);
}

/* Whether the running kernel is older than @major.@minor. */
static bool kernel_before(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return true;
	return ma < major || (ma == major && mi < minor);
}

/* One ptes query of this process in mode=entries, with the pagemap check. */
static void query_entries(struct __test_metadata *_metadata,
			  struct scope_answer *ans, const char *area, size_t npages)
{
	int err = scope_ptes(0, area, npages * page_size(), "mode=entries", ans);

	ASSERT_EQ(0, err) TH_LOG("ptes query failed: %s", strerror(-err));
	expect_agrees_with_pagemap(_metadata, ans, area, npages);
}

/* Open a userfaultfd with uffd-wp (on shmem too if @shmem), or skip. */
#define OPEN_UFFD_WP(shmem) ({						\
	uint64_t __need = UFFD_FEATURE_PAGEFAULT_FLAG_WP |		\
		((shmem) ? UFFD_FEATURE_WP_HUGETLBFS_SHMEM : 0);	\
	uint64_t __missing = 0;						\
	int __fd = uffd_open(__need, &__missing);			\
	if (__fd == -EOPNOTSUPP)					\
		SKIP(return, "userfaultfd lacks uffd-wp features 0x%llx (arm64 has uffd-wp from 6.10)", \
		     (unsigned long long)__missing);			\
	ASSERT_LE(0, __fd) TH_LOG("userfaultfd: %s", strerror(-__fd));	\
	__fd;								\
})

FIXTURE(inspector) {
	int unused;
};

FIXTURE_SETUP(inspector)
{
	SCOPE_REQUIRE();
}

FIXTURE_TEARDOWN(inspector)
{
	int err = swap_zram_off();

	if (err)
		TH_LOG("teardown: turning zram swap off failed: %s", strerror(-err));
	err = knob_restore_all();
	if (err)
		TH_LOG("teardown: restoring THP/hugetlb knobs failed: %s", strerror(-err));
}

TEST_F(inspector, present_rw_and_ro_split_into_runs)
{
	size_t psize = page_size(), len = NR_PAGES * psize;
	const struct scope_line *l;
	struct scope_answer ans;
	char *area;
	int err;

	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 1, len);
	ASSERT_EQ(0, mprotect(area + len / 2, len / 2, PROT_READ));

	err = scope_ptes(0, area, len, NULL, &ans);
	ASSERT_EQ(0, err) TH_LOG("ptes: %s", strerror(-err));
	scope_dump(&ans);
	l = scope_find(&ans, area);
	ASSERT_TRUE(scope_is(l, "kind", "present") && scope_is(l, "write", "1") &&
		    scope_is(l, "backing", "anon") && scope_is(l, "level", "pte"))
		TH_LOG("first half: expected present write=1 anon pte, saw kind=%s write=%s",
		       kind_of(l), l ? scope_get(l, "write") : "-");
	ASSERT_EQ((uint64_t)NR_PAGES / 2, scope_num(l, "count", 0))
		TH_LOG("the read-write half is one run of %d, saw count=%s",
		       NR_PAGES / 2, scope_get(l, "count"));
	l = scope_find(&ans, area + len / 2);
	ASSERT_TRUE(scope_is(l, "kind", "present") && scope_is(l, "write", "0"))
		TH_LOG("second half: expected present write=0, saw kind=%s write=%s",
		       kind_of(l), l ? scope_get(l, "write") : "-");
	ASSERT_EQ((uintptr_t)area + len / 2, scope_num(l, "start", 0));
	ASSERT_EQ((uintptr_t)area + len, scope_num(l, "end", 0));
	scope_free(&ans);

	query_entries(_metadata, &ans, area, NR_PAGES);
	scope_free(&ans);
	munmap(area, len);
}

TEST_F(inspector, uffd_wp_bit_on_present_ptes)
{
	size_t psize = page_size(), len = NR_PAGES * psize, i;
	const struct scope_line *l;
	struct scope_answer ans;
	int uffd = OPEN_UFFD_WP(false);
	char *area;

	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 1, len);
	ASSERT_EQ(0, uffd_register(uffd, area, len, UFFDIO_REGISTER_MODE_WP));
	ASSERT_EQ(0, uffd_writeprotect(uffd, area, len / 2, true));

	query_entries(_metadata, &ans, area, NR_PAGES);
	for (i = 0; i < NR_PAGES; i++) {
		bool wp = i < NR_PAGES / 2;

		l = scope_find(&ans, area + i * psize);
		ASSERT_TRUE(scope_is(l, "kind", "present"));
		ASSERT_EQ(wp, scope_num(l, "uffd_wp", 2))
			TH_LOG("page %zu: expected uffd_wp=%d, saw %s", i, wp,
			       scope_get(l, "uffd_wp"));
		if (wp)
			ASSERT_TRUE(scope_is(l, "write", "0"))
				TH_LOG("page %zu is write-protected yet write=%s", i,
				       scope_get(l, "write"));
	}
	scope_free(&ans);
	munmap(area, len);
	close(uffd);
}

TEST_F(inspector, uffd_wp_markers_after_dontneed_on_shared_shmem)
{
	size_t psize = page_size(), len = NR_PAGES * psize, i;
	const struct scope_line *l;
	struct scope_answer ans;
	int uffd = OPEN_UFFD_WP(true);
	int fd = memfd_pages("inspector-marker", NR_PAGES);
	char *area;

	ASSERT_LE(0, fd);
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 1, len);
	ASSERT_EQ(0, uffd_register(uffd, area, len, UFFDIO_REGISTER_MODE_WP));
	ASSERT_EQ(0, uffd_writeprotect(uffd, area, len, true));
	ASSERT_EQ(0, madvise(area, len, MADV_DONTNEED));

	query_entries(_metadata, &ans, area, NR_PAGES);
	for (i = 0; i < NR_PAGES; i++) {
		l = scope_find(&ans, area + i * psize);
		ASSERT_TRUE(scope_is(l, "kind", "marker") && scope_is(l, "level", "pte") &&
			    scope_is(l, "marker_uffd_wp", "1"))
			TH_LOG("page %zu: expected a pte marker with UFFD_WP, saw kind=%s marker=%s",
			       i, kind_of(l), l ? scope_get(l, "marker") : "-");
	}
	scope_free(&ans);
	munmap(area, len);
	close(fd);
	close(uffd);
}

TEST_F(inspector, swap_entries_after_pageout)
{
	size_t psize = page_size(), len = NR_PAGES * psize, i;
	const struct scope_line *l;
	struct scope_answer ans;
	char *area;
	int err;

	err = swap_zram_on(SWAP_BYTES);
	if (err == -ENODEV)
		SKIP(return, "no /dev/zram0 to swap to (zram module not loaded)");
	ASSERT_EQ(0, err) TH_LOG("zram swap: %s", strerror(-err));
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	for (i = 0; i < NR_PAGES; i++)
		memset(area + i * psize, (int)i + 1, psize);
	ASSERT_EQ(0, madvise(area, len, MADV_PAGEOUT));

	query_entries(_metadata, &ans, area, NR_PAGES);
	for (i = 0; i < NR_PAGES; i++) {
		l = scope_find(&ans, area + i * psize);
		ASSERT_TRUE(scope_is(l, "kind", "swap") && scope_is(l, "uffd_wp", "0"))
			TH_LOG("page %zu: expected a swap entry without uffd-wp, saw kind=%s uffd_wp=%s",
			       i, kind_of(l), l ? scope_get(l, "uffd_wp") : "-");
	}
	scope_free(&ans);
	munmap(area, len);
}

TEST_F(inspector, swap_entries_with_and_without_uffd_wp)
{
	size_t psize = page_size(), len = NR_PAGES * psize, i;
	const struct scope_line *l;
	struct scope_answer ans;
	int uffd = OPEN_UFFD_WP(false);
	char *area;
	int err;

	err = swap_zram_on(SWAP_BYTES);
	if (err == -ENODEV)
		SKIP(return, "no /dev/zram0 to swap to (zram module not loaded)");
	ASSERT_EQ(0, err) TH_LOG("zram swap: %s", strerror(-err));
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	for (i = 0; i < NR_PAGES; i++)
		memset(area + i * psize, (int)i + 1, psize);
	ASSERT_EQ(0, uffd_register(uffd, area, len, UFFDIO_REGISTER_MODE_WP));
	ASSERT_EQ(0, uffd_writeprotect(uffd, area, len / 2, true));
	ASSERT_EQ(0, madvise(area, len, MADV_PAGEOUT));

	query_entries(_metadata, &ans, area, NR_PAGES);
	for (i = 0; i < NR_PAGES; i++) {
		bool wp = i < NR_PAGES / 2;

		l = scope_find(&ans, area + i * psize);
		ASSERT_TRUE(scope_is(l, "kind", "swap"))
			TH_LOG("page %zu: expected a swap entry after MADV_PAGEOUT, saw kind=%s",
			       i, kind_of(l));
		ASSERT_EQ(wp, scope_num(l, "uffd_wp", 2))
			TH_LOG("page %zu: expected uffd_wp=%d on the swap entry, saw %s",
			       i, wp, scope_get(l, "uffd_wp"));
		ASSERT_TRUE(scope_is(l, "exclusive", "1"))
			TH_LOG("page %zu: an unshared anon page swaps out exclusive, saw %s",
			       i, scope_get(l, "exclusive"));
	}
	scope_free(&ans);
	munmap(area, len);
	close(uffd);
}

/*
 * pagemap reports a uffd-wp marker and a uffd-wp swap entry with the same
 * bits (SWAP | UFFD_WP); the module tells them apart.
 */
TEST_F(inspector, marker_and_swap_entry_differ_where_pagemap_cannot_tell)
{
	size_t psize = page_size(), len = NR_PAGES * psize;
	const struct scope_line *marker, *swapped;
	uint64_t pm_marker, pm_swapped, bits;
	int uffd = OPEN_UFFD_WP(true);
	int fd = memfd_pages("inspector-precise", NR_PAGES);
	struct scope_answer ans;
	char *shm, *anon;
	int err, pm;

	err = swap_zram_on(SWAP_BYTES);
	if (err == -ENODEV)
		SKIP(return, "no /dev/zram0 to swap to (zram module not loaded)");
	ASSERT_EQ(0, err) TH_LOG("zram swap: %s", strerror(-err));
	ASSERT_LE(0, fd);
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, shm);
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	memset(shm, 1, len);
	memset(anon, 2, len);
	ASSERT_EQ(0, uffd_register(uffd, shm, len, UFFDIO_REGISTER_MODE_WP));
	ASSERT_EQ(0, uffd_register(uffd, anon, len, UFFDIO_REGISTER_MODE_WP));
	ASSERT_EQ(0, uffd_writeprotect(uffd, shm, len, true));
	ASSERT_EQ(0, uffd_writeprotect(uffd, anon, len, true));
	ASSERT_EQ(0, madvise(shm, len, MADV_DONTNEED));
	ASSERT_EQ(0, madvise(anon, len, MADV_PAGEOUT));

	pm = pagemap_open(0);
	ASSERT_LE(0, pm);
	pm_marker = pagemap_get(pm, shm);
	pm_swapped = pagemap_get(pm, anon);
	close(pm);
	bits = PM_PRESENT | PM_SWAP | PM_UFFD_WP | PM_FILE;
	ASSERT_EQ(pm_marker & bits, pm_swapped & bits)
		TH_LOG("pagemap now tells them apart: marker 0x%llx, swap 0x%llx",
		       (unsigned long long)pm_marker, (unsigned long long)pm_swapped);

	err = scope_ptes(0, shm, len, NULL, &ans);
	ASSERT_EQ(0, err);
	scope_dump(&ans);
	marker = scope_find(&ans, shm);
	ASSERT_TRUE(scope_is(marker, "kind", "marker"))
		TH_LOG("the zapped shmem page: expected kind=marker, saw %s", kind_of(marker));
	scope_free(&ans);
	err = scope_ptes(0, anon, len, NULL, &ans);
	ASSERT_EQ(0, err);
	scope_dump(&ans);
	swapped = scope_find(&ans, anon);
	ASSERT_TRUE(scope_is(swapped, "kind", "swap"))
		TH_LOG("the paged-out anon page: expected kind=swap, saw %s", kind_of(swapped));
	scope_free(&ans);
	munmap(shm, len);
	munmap(anon, len);
	close(fd);
	close(uffd);
}

/* MADV_COLLAPSE of @area (2 MiB, filled) must leave one PMD leaf of @backing. */
static void expect_pmd_thp(struct __test_metadata *_metadata, char *area,
			   const char *backing)
{
	const struct scope_line *l;
	struct scope_answer ans;

	query_entries(_metadata, &ans, area, SZ_2M / page_size());
	scope_dump(&ans);
	l = scope_find(&ans, area);
	ASSERT_TRUE(scope_is(l, "level", "pmd") && scope_is(l, "kind", "present") &&
		    scope_is(l, "backing", backing))
		TH_LOG("expected a present %s PMD leaf, saw level=%s kind=%s backing=%s",
		       backing, l ? scope_get(l, "level") : "-", kind_of(l),
		       l ? scope_get(l, "backing") : "-");
	ASSERT_EQ((uintptr_t)area + SZ_2M, scope_num(l, "end", 0))
		TH_LOG("one line should cover the 2 MiB, it ends at %s", scope_get(l, "end"));
	ASSERT_EQ(SZ_2M / page_size(), 1UL << scope_num(l, "order", 0))
		TH_LOG("a PMD-sized folio has order %d, saw %s",
		       __builtin_ctzl(SZ_2M / page_size()), scope_get(l, "order"));
	scope_free(&ans);
}

TEST_F(inspector, pmd_mapped_thp_anon_after_collapse)
{
	char *area;
	int ret;

	area = mmap_2m(-1, SZ_2M, false);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, knob_set(THP_ENABLED, "madvise"));
	memset(area, 3, SZ_2M);
	ret = madv_collapse(area, SZ_2M);
	if (ret == -EINVAL)
		SKIP(return, "MADV_COLLAPSE not supported by this kernel");
	ASSERT_EQ(0, ret) TH_LOG("MADV_COLLAPSE of anon: %s", collapse_errname(ret));
	expect_pmd_thp(_metadata, area, "anon");
	munmap(area, SZ_2M);
}

TEST_F(inspector, pmd_mapped_thp_shmem_after_collapse)
{
	int fd = memfd_pages("inspector-thp", SZ_2M / page_size());
	char *area;
	int ret;

	ASSERT_LE(0, fd);
	area = mmap_2m(fd, SZ_2M, true);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, knob_set(THP_SHMEM, "advise"));
	memset(area, 4, SZ_2M);
	ret = madv_collapse(area, SZ_2M);
	if (ret == -EINVAL)
		SKIP(return, "MADV_COLLAPSE not supported by this kernel");
	ASSERT_EQ(0, ret) TH_LOG("MADV_COLLAPSE of shmem: %s", collapse_errname(ret));
	/* The collapse may leave the range unmapped; a fault maps the PMD. */
	ASSERT_EQ(4, *(volatile char *)area);
	expect_pmd_thp(_metadata, area, "shmem");
	munmap(area, SZ_2M);
	close(fd);
}

TEST_F(inspector, hugetlb_2m_leaf_at_pmd_level)
{
	long nr = knob_read_long(HUGETLB_2M_NR);
	const struct scope_line *l;
	struct scope_answer ans;
	char *area;
	int fd;

	if (nr < 0)
		SKIP(return, "no 2 MiB hugetlb pool (%s: %s)", HUGETLB_2M_NR, strerror((int)-nr));
	ASSERT_EQ(0, knob_set_ulong(HUGETLB_2M_NR, nr + 1));
	ASSERT_EQ(nr + 1, knob_read_long(HUGETLB_2M_NR))
		TH_LOG("could not reserve one more 2 MiB huge page");
	fd = memfd_hugetlb_2m("inspector-hugetlb", 1);
	ASSERT_LE(0, fd) TH_LOG("hugetlb memfd: %s", strerror(-fd));
	area = mmap_2m(fd, SZ_2M, true);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 5, SZ_2M);

	query_entries(_metadata, &ans, area, SZ_2M / page_size());
	scope_dump(&ans);
	l = scope_find(&ans, area);
	ASSERT_TRUE(scope_is(l, "level", "pmd") && scope_is(l, "kind", "present") &&
		    scope_is(l, "backing", "hugetlb") && scope_is(l, "write", "1"))
		TH_LOG("expected a present writable hugetlb PMD leaf, saw level=%s kind=%s backing=%s",
		       l ? scope_get(l, "level") : "-", kind_of(l),
		       l ? scope_get(l, "backing") : "-");
	ASSERT_EQ((uint64_t)1, scope_num(l, "count", 0));
	scope_free(&ans);
	munmap(area, SZ_2M);
	close(fd);
}

TEST_F(inspector, empty_reservation_reports_only_upper_level_none)
{
	size_t len = 64UL << 20;
	struct scope_answer ans;
	const struct scope_line *sum;
	char *area;
	int i, err;

	area = mmap_aligned(len, SZ_2M, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	err = scope_ptes(0, area, len, NULL, &ans);
	ASSERT_EQ(0, err);
	scope_dump(&ans);
	for (i = 0; i < ans.nlines; i++) {
		const struct scope_line *l = &ans.lines[i];

		if (scope_is(l, "kind", "summary"))
			continue;
		ASSERT_TRUE(scope_is(l, "kind", "none") && !scope_is(l, "level", "pte"))
			TH_LOG("an untouched reservation has no PTE table and nothing mapped; line %d is level=%s kind=%s",
			       i, scope_get(l, "level"), kind_of(l));
	}
	ASSERT_NE(NULL, scope_find(&ans, area + len - 1))
		TH_LOG("none lines should cover the whole range");
	sum = scope_summary(&ans);
	ASSERT_NE(NULL, sum);
	ASSERT_EQ((uint64_t)0, scope_num(sum, "anon", 1) + scope_num(sum, "swap", 1) +
		     scope_num(sum, "marker", 1));
	scope_free(&ans);

	/* With none=0 an empty range answers with the summary line alone. */
	err = scope_ptes(0, area, len, "none=0", &ans);
	ASSERT_EQ(0, err);
	ASSERT_EQ(1, ans.nlines) TH_LOG("none=0 on an empty range gave %d lines", ans.nlines);
	scope_free(&ans);
	munmap(area, len);
}

TEST_F(inspector, range_crossing_pte_table_and_pmd_boundary)
{
	size_t psize = page_size(), span = 6, i;
	struct scope_answer ans;
	const struct scope_line *first, *last;
	char *area, *from;
	uint64_t total = 0;
	int k, err;

	area = mmap_2m(-1, 2 * SZ_2M, false);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, madvise(area, 2 * SZ_2M, MADV_NOHUGEPAGE));
	/* three pages each side of the PMD boundary: two PTE tables */
	from = area + SZ_2M - (span / 2) * psize;
	for (i = 0; i < span; i++)
		from[i * psize] = 1;

	err = scope_ptes(0, from, span * psize, NULL, &ans);
	ASSERT_EQ(0, err);
	scope_dump(&ans);
	first = &ans.lines[0];
	last = &ans.lines[ans.nlines - 2];
	ASSERT_EQ((uintptr_t)from, scope_num(first, "start", 0))
		TH_LOG("the answer must start at the query's start");
	ASSERT_EQ((uintptr_t)from + span * psize, scope_num(last, "end", 0))
		TH_LOG("the answer must end at the query's end");
	for (k = 0; k < ans.nlines - 1; k++) {
		ASSERT_TRUE(scope_is(&ans.lines[k], "kind", "present"));
		total += scope_num(&ans.lines[k], "count", 0);
	}
	ASSERT_EQ(span, total) TH_LOG("expected %zu present PTEs in runs, counted %llu",
				       span, (unsigned long long)total);
	scope_free(&ans);

	query_entries(_metadata, &ans, from, span);
	ASSERT_EQ(span + 1, (size_t)ans.nlines)
		TH_LOG("mode=entries: one line per PTE plus the summary");
	scope_free(&ans);
	munmap(area, 2 * SZ_2M);
}

/*
 * The walk and the counters agree for a process that stands still: a child
 * that maps and fills 1024 anon pages, then blocks on a pipe. (Querying
 * oneself races with the pages the reading itself touches.)
 */
TEST_F(inspector, summary_counts_match_rss_counters)
{
	size_t psize = page_size(), len = 1024 * psize;
	int ready[2], release[2], status, err;
	const struct scope_line *sum;
	struct scope_answer ans;
	long anon, rss_anon;
	char q[64], c = 0;
	pid_t child;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(release));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		char *area = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (area == MAP_FAILED)
			_exit(1);
		memset(area, 6, len);
		if (write(ready[1], &c, 1) != 1 || read(release[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("the child did not get ready");

	/* pid 0 is refused: a query names its process */
	ASSERT_EQ(-EINVAL, scope_query("ptes", "pid=0", &ans));
	/* no range: the whole address space, as the RSS counters are */
	snprintf(q, sizeof(q), "pid=%d none=0", child);
	err = scope_query("ptes", q, &ans);
	ASSERT_EQ(1, write(release[1], &c, 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, err) TH_LOG("ptes of the child: %s", strerror(-err));
	sum = scope_summary(&ans);
	ASSERT_NE(NULL, sum);
	scope_dump(&(struct scope_answer){ .nlines = 1, .lines = (struct scope_line *)sum });
	anon = (long)scope_num(sum, "anon", 0);
	rss_anon = (long)scope_num(sum, "rss_anon", 0);
	ASSERT_LE(1024, anon) TH_LOG("the child filled 1024 anon pages, the walk saw %ld", anon);
	/*
	 * From 6.2 the module sums the per-cpu counters: exact. 6.1 keeps up
	 * to 64 events per task in a cache no other task can read.
	 */
	ASSERT_GE(kernel_before(6, 2) ? 64 : 0, labs(anon - rss_anon))
		TH_LOG("walk counted %ld anon pages, MM_ANONPAGES says %ld", anon, rss_anon);
	scope_free(&ans);
}

TEST_F(inspector, vmas_shows_backing_and_uffd_registration)
{
	size_t len = NR_PAGES * page_size();
	int fd = memfd_pages("inspector-vmas", NR_PAGES);
	const struct scope_line *l;
	struct scope_answer ans;
	uint64_t missing;
	int uffd, err;
	char *shm;

	uffd = uffd_open(0, &missing);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
	ASSERT_LE(0, fd);
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, shm);
	ASSERT_EQ(0, uffd_register(uffd, shm, len, UFFDIO_REGISTER_MODE_MISSING));
	err = scope_vmas(0, shm, len, &ans);
	ASSERT_EQ(0, err) TH_LOG("vmas: %s", strerror(-err));
	scope_dump(&ans);
	ASSERT_EQ(1, ans.nlines);
	l = &ans.lines[0];
	ASSERT_EQ((uintptr_t)shm, scope_num(l, "start", 0));
	ASSERT_EQ((uintptr_t)shm + len, scope_num(l, "end", 0));
	ASSERT_TRUE(scope_is(l, "backing", "shmem") && scope_is(l, "shared", "1") &&
		    scope_is(l, "prot", "rw-") && scope_is(l, "uffd_missing", "1") &&
		    scope_is(l, "uffd_wp", "0") && scope_is(l, "uffd_minor", "0"))
		TH_LOG("expected shared rw- shmem registered MISSING only");
	scope_free(&ans);
	munmap(shm, len);
	close(fd);
	close(uffd);
}

/* The errno a write of @query to @file fails with (0 if it is accepted and read). */
static int query_errno(const char *file, const char *query)
{
	struct scope_answer ans;
	int err = scope_query(file, query, &ans);

	if (!err)
		scope_free(&ans);
	return err;
}

TEST_F(inspector, bad_queries_get_documented_errnos)
{
	char big[400], q[128];
	int fd;
	char c;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ASSERT_EQ(-E2BIG, query_errno("ptes", big));
	ASSERT_EQ(-EINVAL, query_errno("ptes", "start=0x1000"));	/* no pid */
	ASSERT_EQ(-EINVAL, query_errno("ptes", "pid=1 colour=blue"));
	ASSERT_EQ(-EINVAL, query_errno("ptes", "pid=one"));
	ASSERT_EQ(-EINVAL, query_errno("vmas", "pid=1 mode=entries"));
	snprintf(q, sizeof(q), "pid=%d start=0x2000 end=0x1000", getpid());
	ASSERT_EQ(-EINVAL, query_errno("ptes", q));
	snprintf(q, sizeof(q), "pid=%d start=0 end=0xffffffffffff0000", getpid());
	ASSERT_EQ(-ERANGE, query_errno("ptes", q));
	ASSERT_EQ(-ESRCH, query_errno("ptes", "pid=4194303"));
	ASSERT_EQ(-ENXIO, query_errno("ptes", "pid=2"))
		TH_LOG("pid 2 (kthreadd) is a kernel thread");

	/* reading before any query */
	fd = open(SCOPE_DIR "/ptes", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, read(fd, &c, 1));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * The walk under fire: while this process reads its own ptes and vmas in a
 * loop, a second thread keeps unmapping, remapping, filling, zapping and
 * collapsing (anon and a shared memfd, whose collapse retracts the page
 * tables of every process mapping it), and a third forks children that map
 * the memfd, touch it and exit, whose ptes are read too. Every read must
 * succeed or, for a child that is gone, fail ESRCH; the runner's kernel-log
 * verdict catches what a read cannot see (an oops, a lockdep splat, "Bad
 * rss-counter"). Runs for a time budget.
 */
#define RACE_SECONDS	3
#define RACE_SPAN	(4 * SZ_2M)

struct race {
	char *anon;
	char *shm;
	int memfd;
	volatile int stop;
	volatile pid_t child;
	long rounds;
};

static void *race_mutator(void *arg)
{
	struct race *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		char *slice = r->anon + (i % 4) * SZ_2M;
		char *sh = r->shm + (i % 2) * SZ_2M;

		munmap(slice, SZ_2M);
		mmap(slice, SZ_2M, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		memset(slice, 1, SZ_2M);
		madv_collapse(slice, SZ_2M);
		mprotect(slice, SZ_2M / 2, PROT_READ);
		madvise(slice + SZ_2M / 2, SZ_2M / 4, MADV_DONTNEED);
		memset(sh, 2, SZ_2M);
		madv_collapse(sh, SZ_2M);
		madvise(sh, SZ_2M, MADV_DONTNEED);
		i++;
		r->rounds++;
	}
	return NULL;
}

static void *race_forker(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		pid_t pid = fork();

		if (pid == 0) {
			volatile char *p = r->shm;
			size_t off;

			for (off = 0; off < 2 * SZ_2M; off += page_size())
				(void)p[off];
			_exit(0);
		}
		if (pid < 0)
			continue;
		r->child = pid;
		waitpid(pid, NULL, 0);
	}
	return NULL;
}

TEST_F(inspector, walk_is_safe_under_concurrent_mm_changes)
{
	struct race r = { 0 };
	pthread_t mutator, forker;
	struct scope_answer ans;
	long reads = 0, gone = 0;
	time_t deadline;
	char q[128];
	int err;

	r.memfd = memfd_pages("inspector-race", 2 * SZ_2M / page_size());
	ASSERT_LE(0, r.memfd);
	r.anon = mmap_2m(-1, RACE_SPAN, false);
	ASSERT_NE(MAP_FAILED, r.anon);
	r.shm = mmap_2m(r.memfd, 2 * SZ_2M, true);
	ASSERT_NE(MAP_FAILED, r.shm);
	ASSERT_EQ(0, knob_set(THP_SHMEM, "advise"));
	ASSERT_EQ(0, pthread_create(&mutator, NULL, race_mutator, &r));
	ASSERT_EQ(0, pthread_create(&forker, NULL, race_forker, &r));

	deadline = time(NULL) + RACE_SECONDS;
	while (time(NULL) < deadline) {
		err = scope_ptes(0, r.anon, RACE_SPAN, NULL, &ans);
		if (!err)
			scope_free(&ans);
		else
			break;
		err = scope_vmas(0, NULL, 0, &ans);
		if (!err)
			scope_free(&ans);
		else
			break;
		snprintf(q, sizeof(q), "pid=%d none=0", r.child);
		err = r.child ? scope_query("ptes", q, &ans) : 0;
		if (!err && r.child)
			scope_free(&ans);
		else if (err == -ESRCH)
			gone++;
		else if (err)
			break;
		err = 0;
		reads++;
	}
	r.stop = 1;
	pthread_join(mutator, NULL);
	pthread_join(forker, NULL);
	TH_LOG("%ld rounds of reads, %ld mutator rounds, %ld children already gone",
	       reads, r.rounds, gone);
	ASSERT_EQ(0, err) TH_LOG("a read failed under concurrent changes: %s", strerror(-err));
	ASSERT_LT(0, reads);
	munmap(r.anon, RACE_SPAN);
	munmap(r.shm, 2 * SZ_2M);
	close(r.memfd);
}

/*
 * The files hold a reference on the module while open (fops .owner), so an
 * unload attempt is refused instead of pulling code from under a reader.
 */
TEST_F(inspector, unload_refused_while_a_file_is_open)
{
	char q[64], line[256];
	int fd, ret;

	fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(q, sizeof(q), "pid=%d", getpid());
	ASSERT_LT(0, write(fd, q, strlen(q)));
	ret = syscall(SYS_delete_module, "uffdscope", O_NONBLOCK);
	ASSERT_EQ(-1, ret) TH_LOG("the module unloaded under an open file");
	ASSERT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
		TH_LOG("expected EWOULDBLOCK or EBUSY, saw %s", strerror(errno));
	/* and the open file still answers */
	ASSERT_LT(0, read(fd, line, sizeof(line)));
	close(fd);
}

TEST_HARNESS_MAIN
