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
 * Sizes come from the running kernel (sysconf, hpage_pmd_size), never from
 * 4 KiB pages or 2 MiB PMDs: with 16 KiB pages a PMD maps 32 MiB.
 *
 * A failure here is a bug of the module (or of the state set-up), not a
 * missing kernel behaviour, so these tests use plain assertions.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/capability.h>

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
#define HUGEPAGES_DIR	"/sys/kernel/mm/hugepages"
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT	26
#endif

/*
 * The bytes one PMD maps: THP's hpage_pmd_size where THP is built in; else
 * (PREEMPT_RT kernels have no THP) a page of 8-byte entries, as every table
 * is on x86_64 and arm64.
 */
static size_t insp_pmd_bytes(void)
{
	static size_t cached;
	long v;

	if (!cached) {
		v = knob_read_long(THP_DIR "/hpage_pmd_size");
		cached = v > 0 ? (size_t)v : page_size() / 8 * page_size();
	}
	return cached;
}

/* Pages per PMD: 512 with 4 KiB pages, 2048 with 16 KiB. */
static size_t insp_pmd_pages(void)
{
	return insp_pmd_bytes() / page_size();
}

static bool thp_built_in(void)
{
	return access(THP_ENABLED, F_OK) == 0;
}

/* Skip a test that needs PMD-sized THPs where the kernel has none. */
#define REQUIRE_THP() do {							if (!thp_built_in())								SKIP(return, "no THP in this kernel (no %s; PREEMPT_RT kernels have none)", 		     THP_ENABLED);					} while (0)

/* mmap_aligned() of @len at a PMD-aligned address, read-write. */
static void *mmap_pmd_aligned(int fd, size_t len, bool shared)
{
	return mmap_aligned(len, insp_pmd_bytes(), PROT_READ | PROT_WRITE,
			    shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
}

/* The nr_hugepages file of hugetlb pages of @bytes, in @path. */
static void hugetlb_pool_path(char *path, size_t len, size_t bytes,
			      const char *file)
{
	snprintf(path, len, HUGEPAGES_DIR "/hugepages-%zukB/%s", bytes >> 10,
		 file);
}

/*
 * How many pages of the pool of @bytes are free and not promised to a
 * mapping already, or a negative errno without such a pool.
 */
static long hugetlb_unclaimed(size_t bytes)
{
	char path[128];
	long free, resv;

	hugetlb_pool_path(path, sizeof(path), bytes, "free_hugepages");
	free = knob_read_long(path);
	if (free < 0)
		return free;
	hugetlb_pool_path(path, sizeof(path), bytes, "resv_hugepages");
	resv = knob_read_long(path);
	if (resv < 0)
		return resv;
	return free > resv ? free - resv : 0;
}

/*
 * Have one hugetlb page of @bytes to use: one already free in the pool
 * (the runner's VMs set a 1 GiB page aside at boot, scripts/boot-vm.sh),
 * or one more reserved (remembered, restored at teardown). Returns 0,
 * -ENOENT without such a pool, -ENOMEM when the kernel could not find
 * the memory.
 */
static int hugetlb_reserve_one(size_t bytes)
{
	char path[128];
	long nr;
	int err;

	hugetlb_pool_path(path, sizeof(path), bytes, "nr_hugepages");
	nr = knob_read_long(path);
	if (nr < 0)
		return -ENOENT;
	if (hugetlb_unclaimed(bytes) > 0)
		return 0;
	err = knob_set_ulong(path, (unsigned long)nr + 1);
	if (err)
		return err;
	return knob_read_long(path) == nr + 1 ? 0 : -ENOMEM;
}

/* A hugetlbfs memfd of one page of @bytes (a power of two). */
static int hugetlb_memfd_one(const char *name, size_t bytes)
{
	unsigned int shift = (unsigned int)__builtin_ctzl(bytes);
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_HUGETLB | (shift << MFD_HUGE_SHIFT));

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

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

/*
 * A runs answer over pages in many states, 4 pages each: written, read (the
 * zero page), untouched, written then read-only, written. The module skips
 * its decoder for a PTE that decodes like the one before (walk.c,
 * decodes_alike()): every page must still show its own state, and agree with
 * pagemap, whichever run it was merged into.
 */
TEST_F(inspector, runs_of_mixed_pages_show_each_page_state)
{
	size_t psize = page_size(), npages = 4 * 5 * 16, len = npages * psize, i;
	struct scope_answer ans;
	volatile char sink;
	char *area;
	int err;

	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, madvise_no_thp(area, len));
	for (i = 0; i < npages; i++) {
		if ((i / 4) % 5 == 1)
			sink = area[i * psize];
		else if ((i / 4) % 5 != 2)
			area[i * psize] = 1;
	}
	(void)sink;
	for (i = 0; i < npages; i += 4)
		if ((i / 4) % 5 == 3)
			ASSERT_EQ(0, mprotect(area + i * psize, 4 * psize, PROT_READ));

	err = scope_ptes(0, area, len, NULL, &ans);
	ASSERT_EQ(0, err) TH_LOG("ptes: %s", strerror(-err));
	for (i = 0; i < npages; i++) {
		const struct scope_line *l = scope_find(&ans, area + i * psize);
		int state = (i / 4) % 5;
		const char *kind = state == 2 ? "none" : "present";
		const char *backing = state == 1 ? "zero" : "anon";
		const char *write = state == 1 || state == 3 ? "0" : "1";

		ASSERT_TRUE(scope_is(l, "kind", kind) &&
			    (state == 2 || (scope_is(l, "backing", backing) &&
					    scope_is(l, "write", write))))
			TH_LOG("page %zu (state %d): expected kind=%s backing=%s write=%s, saw kind=%s backing=%s write=%s",
			       i, state, kind, backing, write, kind_of(l),
			       l ? scope_get(l, "backing") : "-",
			       l ? scope_get(l, "write") : "-");
	}
	expect_agrees_with_pagemap(_metadata, &ans, area, npages);
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

/*
 * Swap [@addr, @addr + @len) out, every page of it (pageout_until_swapped()):
 * the caller pinned itself to one CPU before it wrote the pages.
 */
static int swap_out_all(void *addr, size_t len)
{
	int pm = pagemap_open(0), ret;

	if (pm < 0)
		return pm;
	ret = pageout_until_swapped(addr, len, page_size(), pm, 8);
	close(pm);
	return ret;
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
	/* every page written on one CPU, whose LRU batch MADV_PAGEOUT then drains */
	ASSERT_EQ(0, pin_to_this_cpu());
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	for (i = 0; i < NR_PAGES; i++)
		memset(area + i * psize, (int)i + 1, psize);
	err = swap_out_all(area, len);
	ASSERT_EQ(0, err) TH_LOG("MADV_PAGEOUT left pages mapped: %s", strerror(-err));

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
	/* every page written on one CPU, whose LRU batch MADV_PAGEOUT then drains */
	ASSERT_EQ(0, pin_to_this_cpu());
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	for (i = 0; i < NR_PAGES; i++)
		memset(area + i * psize, (int)i + 1, psize);
	ASSERT_EQ(0, uffd_register(uffd, area, len, UFFDIO_REGISTER_MODE_WP));
	ASSERT_EQ(0, uffd_writeprotect(uffd, area, len / 2, true));
	err = swap_out_all(area, len);
	ASSERT_EQ(0, err) TH_LOG("MADV_PAGEOUT left pages mapped: %s", strerror(-err));

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
	ASSERT_EQ(0, pin_to_this_cpu());
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
	err = swap_out_all(anon, len);
	ASSERT_EQ(0, err) TH_LOG("MADV_PAGEOUT left pages mapped: %s", strerror(-err));

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

/* After MADV_COLLAPSE of @area (one PMD, filled): one PMD leaf of @backing. */
static void expect_pmd_thp(struct __test_metadata *_metadata, char *area,
			   const char *backing)
{
	const struct scope_line *l;
	struct scope_answer ans;

	query_entries(_metadata, &ans, area, insp_pmd_pages());
	scope_dump(&ans);
	l = scope_find(&ans, area);
	ASSERT_TRUE(scope_is(l, "level", "pmd") && scope_is(l, "kind", "present") &&
		    scope_is(l, "backing", backing))
		TH_LOG("expected a present %s PMD leaf, saw level=%s kind=%s backing=%s",
		       backing, l ? scope_get(l, "level") : "-", kind_of(l),
		       l ? scope_get(l, "backing") : "-");
	ASSERT_EQ((uintptr_t)area + insp_pmd_bytes(), scope_num(l, "end", 0))
		TH_LOG("one line should cover the PMD (%zu KiB), it ends at %s",
		       insp_pmd_bytes() >> 10, scope_get(l, "end"));
	ASSERT_EQ(insp_pmd_pages(), 1UL << scope_num(l, "order", 0))
		TH_LOG("a PMD-sized folio has order %d, saw %s",
		       __builtin_ctzl(insp_pmd_pages()), scope_get(l, "order"));
	scope_free(&ans);
}

/*
 * MADV_COLLAPSE exists on every kernel of the matrix (6.1+): an error is a
 * failure, EINVAL included, not a missing feature.
 */
static char *anon_thp(struct __test_metadata *_metadata, unsigned char fill)
{
	char *area = mmap_pmd_aligned(-1, insp_pmd_bytes(), false);
	int ret, tries;

	if (area == MAP_FAILED)
		return area;
	if (knob_set(THP_ENABLED, "madvise"))
		return MAP_FAILED;
	memset(area, fill, insp_pmd_bytes());
	/* EAGAIN is the kernel's "temporary, try again" (a page locked, off LRU) */
	ret = madv_collapse(area, insp_pmd_bytes());
	for (tries = 1; ret == -EAGAIN && tries < 5; tries++)
		ret = madv_collapse(area, insp_pmd_bytes());
	if (ret) {
		TH_LOG("MADV_COLLAPSE of %zu KiB of anon: %s", insp_pmd_bytes() >> 10,
		       collapse_errname(ret));
		munmap(area, insp_pmd_bytes());
		return MAP_FAILED;
	}
	return area;
}

TEST_F(inspector, pmd_mapped_thp_anon_after_collapse)
{
	char *area;

	REQUIRE_THP();
	area = anon_thp(_metadata, 3);
	ASSERT_NE(MAP_FAILED, area);
	expect_pmd_thp(_metadata, area, "anon");
	munmap(area, insp_pmd_bytes());
}

TEST_F(inspector, pmd_mapped_thp_shmem_after_collapse)
{
	int fd;
	char *area;
	int ret;

	REQUIRE_THP();
	fd = memfd_pages("inspector-thp", insp_pmd_pages());
	ASSERT_LE(0, fd);
	area = mmap_pmd_aligned(fd, insp_pmd_bytes(), true);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, knob_set(THP_SHMEM, "advise"));
	memset(area, 4, insp_pmd_bytes());
	ret = madv_collapse(area, insp_pmd_bytes());
	ASSERT_EQ(0, ret) TH_LOG("MADV_COLLAPSE of shmem: %s", collapse_errname(ret));
	/* The collapse may leave the range unmapped; a fault maps the PMD. */
	ASSERT_EQ(4, *(volatile char *)area);
	expect_pmd_thp(_metadata, area, "shmem");
	munmap(area, insp_pmd_bytes());
	close(fd);
}

/*
 * A range that starts inside a PMD leaf: the pfn printed is that of the
 * page at the start, as pagemap gives it, not the leaf's first.
 */
TEST_F(inspector, start_inside_pmd_thp_gives_the_pfn_at_the_address)
{
	const struct scope_line *l;
	struct scope_answer ans;
	size_t skip = 3;
	char *area;

	REQUIRE_THP();
	area = anon_thp(_metadata, 8);
	ASSERT_NE(MAP_FAILED, area);
	query_entries(_metadata, &ans, area + skip * page_size(), insp_pmd_pages() - skip);
	scope_dump(&ans);
	l = scope_find(&ans, area + skip * page_size());
	ASSERT_TRUE(scope_is(l, "level", "pmd"))
		TH_LOG("expected the PMD leaf, saw level=%s", l ? scope_get(l, "level") : "-");
	scope_free(&ans);
	munmap(area, insp_pmd_bytes());
}

/* A hugetlb page of PMD size: one leaf at PMD level. */
TEST_F(inspector, hugetlb_pmd_leaf_at_pmd_level)
{
	const struct scope_line *l;
	struct scope_answer ans;
	size_t len = insp_pmd_bytes();
	char *area;
	int fd, err;

	err = hugetlb_reserve_one(len);
	if (err == -ENOENT)
		SKIP(return, "no hugetlb pool of the PMD size (%zu kB)", len >> 10);
	ASSERT_EQ(0, err) TH_LOG("could not reserve one more %zu kB huge page", len >> 10);
	fd = hugetlb_memfd_one("inspector-hugetlb", len);
	ASSERT_LE(0, fd) TH_LOG("hugetlb memfd: %s", strerror(-fd));
	area = mmap_pmd_aligned(fd, len, true);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 5, len);

	query_entries(_metadata, &ans, area, insp_pmd_pages());
	scope_dump(&ans);
	l = scope_find(&ans, area);
	ASSERT_TRUE(scope_is(l, "level", "pmd") && scope_is(l, "kind", "present") &&
		    scope_is(l, "backing", "hugetlb") && scope_is(l, "write", "1"))
		TH_LOG("expected a present writable hugetlb PMD leaf, saw level=%s kind=%s backing=%s",
		       l ? scope_get(l, "level") : "-", kind_of(l),
		       l ? scope_get(l, "backing") : "-");
	ASSERT_EQ((uint64_t)1, scope_num(l, "count", 0));
	scope_free(&ans);
	munmap(area, len);
	close(fd);
}

/*
 * A read fault in anonymous memory maps the shared zero page, through a
 * special PTE: it is the zero page, not "special" (no struct page).
 */
TEST_F(inspector, zero_page_after_read_fault_is_zero_not_special)
{
	size_t psize = page_size(), len = NR_PAGES * psize, i;
	const struct scope_line *l, *sum;
	struct scope_answer ans;
	char *area;

	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	/* no huge zero page: this test is about the PTE one */
	ASSERT_EQ(0, madvise_no_thp(area, len));
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_EQ(0, ((volatile char *)area)[i * psize]);

	query_entries(_metadata, &ans, area, NR_PAGES);
	for (i = 0; i < NR_PAGES; i++) {
		l = scope_find(&ans, area + i * psize);
		ASSERT_TRUE(scope_is(l, "kind", "present") && scope_is(l, "backing", "zero"))
			TH_LOG("page %zu after a read fault: expected the zero page, saw kind=%s backing=%s",
			       i, kind_of(l), l ? scope_get(l, "backing") : "-");
	}
	sum = scope_summary(&ans);
	ASSERT_NE(NULL, sum);
	ASSERT_EQ((uint64_t)NR_PAGES, scope_num(sum, "zero", 0))
		TH_LOG("summary zero=%s special=%s", scope_get(sum, "zero"),
		       scope_get(sum, "special"));
	ASSERT_EQ((uint64_t)0, scope_num(sum, "special", 1));
	scope_free(&ans);
	munmap(area, len);
}

/*
 * A MAP_PRIVATE mapping of /dev/zero is anonymous memory (the kernel makes
 * it so), though it keeps its file: anon in ptes, vmas and the verdicts.
 */
TEST_F(inspector, dev_zero_private_mapping_is_anonymous)
{
	size_t psize = page_size(), len = NR_PAGES * psize, i;
	const struct scope_line *l;
	struct scope_answer ans;
	char *area;
	int fd, err;

	fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open /dev/zero: %s", strerror(errno));
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, area);
	close(fd);
	memset(area, 7, len);

	err = scope_vmas(0, area, len, &ans);
	ASSERT_EQ(0, err) TH_LOG("vmas: %s", strerror(-err));
	scope_dump(&ans);
	ASSERT_EQ(1, ans.nlines);
	ASSERT_TRUE(scope_is(&ans.lines[0], "backing", "anon"))
		TH_LOG("/dev/zero MAP_PRIVATE: expected backing=anon, saw %s",
		       scope_get(&ans.lines[0], "backing"));
	scope_free(&ans);

	query_entries(_metadata, &ans, area, NR_PAGES);
	for (i = 0; i < NR_PAGES; i++) {
		l = scope_find(&ans, area + i * psize);
		ASSERT_TRUE(scope_is(l, "kind", "present") && scope_is(l, "backing", "anon"))
			TH_LOG("page %zu: expected present anon, saw kind=%s backing=%s",
			       i, kind_of(l), l ? scope_get(l, "backing") : "-");
	}
	scope_free(&ans);
	munmap(area, len);
}

/*
 * PROT_NONE keeps present entries present (pagemap agrees) and the module
 * says why they grant no access: protnone=vma. A NUMA hint (protnone=numa_hint)
 * needs NUMA balancing on a multi-node machine, which the VMs are not.
 */
static void expect_protnone_vma(struct __test_metadata *_metadata, char *area,
				size_t len, const char *level, const char *backing)
{
	const struct scope_line *l;
	struct scope_answer ans;
	int err;

	ASSERT_EQ(0, mprotect(area, len, PROT_NONE));
	err = scope_ptes(0, area, len, NULL, &ans);
	ASSERT_EQ(0, err) TH_LOG("ptes: %s", strerror(-err));
	scope_dump(&ans);
	l = scope_find(&ans, area);
	ASSERT_TRUE(scope_is(l, "level", level) && scope_is(l, "kind", "present") &&
		    scope_is(l, "backing", backing) && scope_is(l, "protnone", "vma"))
		TH_LOG("PROT_NONE: expected a present %s %s entry with protnone=vma, saw level=%s kind=%s backing=%s protnone=%s",
		       level, backing, l ? scope_get(l, "level") : "-", kind_of(l),
		       l ? scope_get(l, "backing") : "-", l ? scope_get(l, "protnone") : "-");
	ASSERT_EQ((uintptr_t)area + len, scope_num(l, "end", 0))
		TH_LOG("one run should cover the range");
	scope_free(&ans);
	if (len / page_size() <= 4 * insp_pmd_pages()) {
		query_entries(_metadata, &ans, area, len / page_size());
		scope_free(&ans);
	}
}

TEST_F(inspector, prot_none_pte_is_present_protnone_vma)
{
	size_t len = NR_PAGES * page_size();
	char *area;

	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 9, len);
	expect_protnone_vma(_metadata, area, len, "pte", "anon");
	munmap(area, len);
}

TEST_F(inspector, prot_none_pmd_thp_is_present_protnone_vma)
{
	char *area;

	REQUIRE_THP();
	area = anon_thp(_metadata, 10);
	ASSERT_NE(MAP_FAILED, area);
	expect_protnone_vma(_metadata, area, insp_pmd_bytes(), "pmd", "anon");
	munmap(area, insp_pmd_bytes());
}

/* A PROT_NONE hugetlb leaf of @bytes at @level. */
static void hugetlb_prot_none(struct __test_metadata *_metadata, size_t bytes,
			      const char *level)
{
	char *area;
	int fd = hugetlb_memfd_one("inspector-hugetlb-none", bytes);

	ASSERT_LE(0, fd) TH_LOG("hugetlb memfd of %zu kB: %s", bytes >> 10, strerror(-fd));
	area = mmap_aligned(bytes, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 11, bytes);
	expect_protnone_vma(_metadata, area, bytes, level, "hugetlb");
	munmap(area, bytes);
	close(fd);
}

TEST_F(inspector, prot_none_hugetlb_pmd_is_present_protnone_vma)
{
	int err = hugetlb_reserve_one(insp_pmd_bytes());

	if (err == -ENOENT)
		SKIP(return, "no hugetlb pool of the PMD size (%zu kB)", insp_pmd_bytes() >> 10);
	ASSERT_EQ(0, err) TH_LOG("could not reserve one more %zu kB huge page", insp_pmd_bytes() >> 10);
	hugetlb_prot_none(_metadata, insp_pmd_bytes(), "pmd");
}

/* x86_64's pud_present() alone would call this leaf a swap entry. */
TEST_F(inspector, prot_none_hugetlb_pud_is_present_protnone_vma)
{
	size_t pud = insp_pmd_bytes() / 8 * page_size();
	int err = hugetlb_reserve_one(pud);

	if (err == -ENOENT)
		SKIP(return, "no hugetlb pool of the PUD size (%zu kB)", pud >> 10);
	if (err == -ENOMEM)
		SKIP(return, "the kernel found no free %zu MiB for one PUD-sized huge page (VM memory)",
		     pud >> 20);
	/* nr_hugepages_store_common(): gigantic pages need CONFIG_CONTIG_ALLOC at run time */
	if (err == -EINVAL)
		SKIP(return, "this kernel cannot allocate %zu MiB huge pages at run time (nr_hugepages: EINVAL, no CONFIG_CONTIG_ALLOC)",
		     pud >> 20);
	ASSERT_EQ(0, err);
	hugetlb_prot_none(_metadata, pud, "pud");
}

/*
 * arm64 hugetlb sizes below the PMD size are runs of PTEs with the
 * contiguous bit (64 KiB with 4 KiB pages, 2 MiB with 16 KiB): one run of
 * cont=1 hugetlb PTEs, the pfns as pagemap has them.
 */
static size_t hugetlb_size_below_pmd(void)
{
	size_t best = 0, kb;
	struct dirent *d;
	DIR *dir = opendir(HUGEPAGES_DIR);

	if (!dir)
		return 0;
	while ((d = readdir(dir)))
		if (sscanf(d->d_name, "hugepages-%zukB", &kb) == 1 &&
		    (kb << 10) < insp_pmd_bytes() && (kb << 10) > best)
			best = kb << 10;
	closedir(dir);
	return best;
}

TEST_F(inspector, hugetlb_contiguous_ptes_are_one_cont_run)
{
	size_t bytes = hugetlb_size_below_pmd(), n;
	const struct scope_line *l;
	struct scope_answer ans;
	char *area;
	int fd, err;

	if (!bytes)
		SKIP(return, "no hugetlb size below the PMD size (%zu kB): arm64 has contiguous-PTE sizes, x86_64 none",
		     insp_pmd_bytes() >> 10);
	n = bytes / page_size();
	err = hugetlb_reserve_one(bytes);
	ASSERT_EQ(0, err) TH_LOG("could not reserve one %zu kB huge page: %s", bytes >> 10,
				 strerror(-err));
	fd = hugetlb_memfd_one("inspector-cont", bytes);
	ASSERT_LE(0, fd) TH_LOG("hugetlb memfd of %zu kB: %s", bytes >> 10, strerror(-fd));
	area = mmap_aligned(bytes, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 12, bytes);

	err = scope_ptes(0, area, bytes, NULL, &ans);
	ASSERT_EQ(0, err);
	scope_dump(&ans);
	l = scope_find(&ans, area);
	ASSERT_TRUE(scope_is(l, "level", "pte") && scope_is(l, "kind", "present") &&
		    scope_is(l, "backing", "hugetlb") && scope_is(l, "cont", "1") &&
		    scope_is(l, "dirty", "1") && scope_is(l, "write", "1"))
		TH_LOG("expected dirty writable cont=1 hugetlb PTEs, saw level=%s kind=%s backing=%s cont=%s dirty=%s",
		       l ? scope_get(l, "level") : "-", kind_of(l),
		       l ? scope_get(l, "backing") : "-", l ? scope_get(l, "cont") : "-",
		       l ? scope_get(l, "dirty") : "-");
	ASSERT_EQ((uint64_t)n, scope_num(l, "count", 0))
		TH_LOG("the %zu kB page is %zu PTEs, one run", bytes >> 10, n);
	scope_free(&ans);
	query_entries(_metadata, &ans, area, n);
	scope_free(&ans);
	munmap(area, bytes);
	close(fd);
}

/*
 * collapse_file() looks for MISSING registrations over the range with an
 * inclusive interval: a mapping of the file that begins right after the
 * range still stops a collapse with holes (6.4+). The verdict must agree
 * with what MADV_COLLAPSE then does.
 */
TEST_F(inspector, collapse_verdict_counts_missing_mapping_right_after_range)
{
	size_t nr = insp_pmd_pages(), psize = page_size(), len = insp_pmd_bytes();
	char answer[2048], verdict[16];
	uint64_t missing;
	char *area, *next;
	int fd, uffd, ret;

	REQUIRE_THP();
	fd = memfd_pages("inspector-neighbour", 2 * nr);
	ASSERT_LE(0, fd);
	/* the whole range but its last page in the page cache: one hole */
	ASSERT_EQ(0, memfd_fill(fd, 0, nr - 1, 1));
	area = mmap_pmd_aligned(fd, len, true);
	ASSERT_NE(MAP_FAILED, area);
	next = mmap(NULL, NR_PAGES * psize, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)len);
	ASSERT_NE(MAP_FAILED, next);
	uffd = uffd_open(0, &missing);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
	ASSERT_EQ(0, uffd_register(uffd, next, NR_PAGES * psize, UFFDIO_REGISTER_MODE_MISSING));
	ASSERT_EQ(0, knob_set(THP_SHMEM, "advise"));

	ret = collapse_query(getpid(), area, answer, sizeof(answer));
	ASSERT_EQ(0, ret) TH_LOG("collapse query: %s", strerror(-ret));
	TH_LOG("module: %s", answer);
	ASSERT_EQ(1, kv_long(answer, "missing_mappings"))
		TH_LOG("the MISSING mapping at page offset %zu (the range is [0, %zu]) must count",
		       nr, nr);
	ASSERT_EQ(0, kv_get(answer, "verdict", verdict, sizeof(verdict)));
	ret = madv_collapse(area, len);
	TH_LOG("MADV_COLLAPSE: %s", collapse_errname(ret));
	ASSERT_STREQ(collapse_errname(ret), verdict)
		TH_LOG("the module predicted %s, the kernel answered %s", verdict,
		       collapse_errname(ret));
	munmap(next, NR_PAGES * psize);
	munmap(area, len);
	close(uffd);
	close(fd);
}

/*
 * MADV_HWPOISON (root, CONFIG_MEMORY_FAILURE) unmaps the page and leaves a
 * hwpoison entry, with the pfn of the poisoned page; pagemap sees a swap
 * entry there. The kernel treats the injection as an action-required error
 * and sends the caller SIGBUS on its way out of madvise(): caught here.
 */
#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
static volatile sig_atomic_t sigbus_seen;

static void note_sigbus(int sig)
{
	sigbus_seen = 1;
}

TEST_F(inspector, hwpoison_entry_after_madv_hwpoison)
{
	size_t psize = page_size(), len = NR_PAGES * psize;
	struct sigaction sa = { .sa_handler = note_sigbus };
	const struct scope_line *l;
	struct scope_answer ans;
	uint64_t pfn;
	char *area;
	int pm;

	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, madvise_no_thp(area, len));
	memset(area, 13, len);
	pm = pagemap_open(0);
	ASSERT_LE(0, pm);
	pfn = pagemap_get(pm, area + psize) & PM_PFN_MASK;
	close(pm);
	if (madvise(area + psize, psize, MADV_HWPOISON)) {
		if (errno == EINVAL)
			SKIP(return, "MADV_HWPOISON refused (EINVAL): kernel without CONFIG_MEMORY_FAILURE");
		ASSERT_EQ(0, errno) TH_LOG("MADV_HWPOISON: %s", strerror(errno));
	}
	TH_LOG("SIGBUS on the way out of madvise: %s", sigbus_seen ? "yes" : "no");
	query_entries(_metadata, &ans, area, NR_PAGES);
	l = scope_find(&ans, area + psize);
	ASSERT_TRUE(scope_is(l, "kind", "hwpoison"))
		TH_LOG("the poisoned page: expected kind=hwpoison, saw %s", kind_of(l));
	ASSERT_EQ(pfn, scope_num(l, "pfn", 0))
		TH_LOG("hwpoison entry pfn %s, the page was pfn 0x%llx", scope_get(l, "pfn"),
		       (unsigned long long)pfn);
	scope_free(&ans);
	munmap(area, len);
}

TEST_F(inspector, empty_reservation_reports_only_upper_level_none)
{
	size_t len = 64UL << 20;
	struct scope_answer ans;
	const struct scope_line *sum;
	char *area;
	int i, err;

	len = 2 * insp_pmd_bytes() > len ? 2 * insp_pmd_bytes() : len;
	area = mmap_aligned(len, insp_pmd_bytes(), PROT_NONE, MAP_PRIVATE | MAP_NORESERVE, -1, 0);
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

	area = mmap_pmd_aligned(-1, 2 * insp_pmd_bytes(), false);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, madvise_no_thp(area, 2 * insp_pmd_bytes()));
	/* three pages each side of the PMD boundary: two PTE tables */
	from = area + insp_pmd_bytes() - (span / 2) * psize;
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
	munmap(area, 2 * insp_pmd_bytes());
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
	/* whole pages: the module rounds a range out to page boundaries */
	snprintf(q, sizeof(q), "pid=%d start=0x%zx end=0x%zx", getpid(),
		 2 * page_size(), page_size());
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
#define RACE_PMDS	4

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
	size_t pmd = insp_pmd_bytes();
	unsigned int i = 0;

	while (!r->stop) {
		char *slice = r->anon + (i % RACE_PMDS) * pmd;
		char *sh = r->shm + (i % 2) * pmd;

		munmap(slice, pmd);
		mmap(slice, pmd, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		memset(slice, 1, pmd);
		madv_collapse(slice, pmd);
		mprotect(slice, pmd / 2, PROT_READ);
		madvise(slice + pmd / 2, pmd / 4, MADV_DONTNEED);
		memset(sh, 2, pmd);
		madv_collapse(sh, pmd);
		madvise(sh, pmd, MADV_DONTNEED);
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

			for (off = 0; off < 2 * insp_pmd_bytes(); off += page_size())
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

	r.memfd = memfd_pages("inspector-race", 2 * insp_pmd_pages());
	ASSERT_LE(0, r.memfd);
	r.anon = mmap_pmd_aligned(-1, RACE_PMDS * insp_pmd_bytes(), false);
	ASSERT_NE(MAP_FAILED, r.anon);
	r.shm = mmap_pmd_aligned(r.memfd, 2 * insp_pmd_bytes(), true);
	ASSERT_NE(MAP_FAILED, r.shm);
	/* without THP the collapses fail: the walk is still raced */
	if (thp_built_in())
		ASSERT_EQ(0, knob_set(THP_SHMEM, "advise"));
	ASSERT_EQ(0, pthread_create(&mutator, NULL, race_mutator, &r));
	ASSERT_EQ(0, pthread_create(&forker, NULL, race_forker, &r));

	deadline = time(NULL) + RACE_SECONDS;
	while (time(NULL) < deadline) {
		err = scope_ptes(0, r.anon, RACE_PMDS * insp_pmd_bytes(), NULL, &ans);
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
	munmap(r.anon, RACE_PMDS * insp_pmd_bytes());
	munmap(r.shm, 2 * insp_pmd_bytes());
	close(r.memfd);
}

/*
 * userfaultfd read-write protection (7.3+, CONFIG_USERFAULTFD_RWP): the
 * protected entries are present PROT_NONE entries carrying the uffd bit in
 * an accessible VMA; the module must call them uffd_rwp, not a NUMA hint,
 * not uffd-wp, and the vmas line must show the registration.
 */
TEST_F(inspector, uffd_rwp_entries_are_protnone_uffd_rwp)
{
#ifdef UFFD_FEATURE_RWP
	size_t psize = page_size(), len = NR_PAGES * psize, i;
	struct uffdio_rwprotect rw = { 0 };
	const struct scope_line *l;
	struct scope_answer ans;
	uint64_t missing, pm_bits;
	char *area;
	int uffd, pm, err;

	uffd = uffd_open(UFFD_FEATURE_RWP, &missing);
	if (uffd == -EOPNOTSUPP)
		SKIP(return, "userfaultfd without UFFD_FEATURE_RWP (read-write protection: 7.3+ with CONFIG_USERFAULTFD_RWP)");
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, madvise_no_thp(area, len));
	memset(area, 15, len);
	ASSERT_EQ(0, uffd_register(uffd, area, len, UFFDIO_REGISTER_MODE_RWP));
	rw.range.start = (uintptr_t)area;
	rw.range.len = len / 2;
	rw.mode = UFFDIO_RWPROTECT_MODE_RWP;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_RWPROTECT, &rw)) TH_LOG("UFFDIO_RWPROTECT: %s",
								strerror(errno));

	err = scope_vmas(0, area, len, &ans);
	ASSERT_EQ(0, err);
	scope_dump(&ans);
	ASSERT_TRUE(scope_is(&ans.lines[0], "uffd_rwp", "1") &&
		    scope_is(&ans.lines[0], "uffd_wp", "0"))
		TH_LOG("vmas: expected uffd_rwp=1 uffd_wp=0, saw %s and %s",
		       scope_get(&ans.lines[0], "uffd_rwp"), scope_get(&ans.lines[0], "uffd_wp"));
	scope_free(&ans);

	err = scope_ptes(0, area, len, "mode=entries", &ans);
	ASSERT_EQ(0, err);
	scope_dump(&ans);
	pm = pagemap_open(0);
	ASSERT_LE(0, pm);
	pm_bits = pagemap_get(pm, area);
	close(pm);
	TH_LOG("pagemap of a protected page: 0x%llx (PRESENT=%d UFFD_WP=%d)",
	       (unsigned long long)pm_bits, !!(pm_bits & PM_PRESENT), !!(pm_bits & PM_UFFD_WP));
	ASSERT_TRUE(!!(pm_bits & PM_PRESENT)) TH_LOG("pagemap: an RWP-protected page is present");
	for (i = 0; i < NR_PAGES; i++) {
		bool rwp = i < NR_PAGES / 2;

		l = scope_find(&ans, area + i * psize);
		ASSERT_TRUE(scope_is(l, "kind", "present") &&
			    scope_is(l, "protnone", rwp ? "uffd_rwp" : "0") &&
			    scope_is(l, "uffd_rwp", rwp ? "1" : "0") &&
			    scope_is(l, "uffd_wp", "0"))
			TH_LOG("page %zu: expected present protnone=%s uffd_rwp=%d uffd_wp=0, saw kind=%s protnone=%s uffd_rwp=%s uffd_wp=%s",
			       i, rwp ? "uffd_rwp" : "0", rwp, kind_of(l),
			       l ? scope_get(l, "protnone") : "-", l ? scope_get(l, "uffd_rwp") : "-",
			       l ? scope_get(l, "uffd_wp") : "-");
	}
	scope_free(&ans);
	munmap(area, len);
	close(uffd);
#else
	SKIP(return, "built against uapi headers without UFFD_FEATURE_RWP");
#endif
}

/*
 * The access rule (debugfs-abi.rst, "Access"): every open, write and read
 * needs CAP_SYS_ADMIN; a query of another process needs CAP_SYS_PTRACE too;
 * pfn= and raw= appear only when the query says raw=1. Each case runs in a
 * forked child that drops capabilities (capset) or its uid first, and exits
 * with a code naming the first thing that went wrong.
 */
enum access_result {
	ACC_OK, ACC_DROP_FAILED, ACC_OWN_REFUSED, ACC_OTHER_ALLOWED,
	ACC_OTHER_ERRNO, ACC_OPEN_ALLOWED, ACC_OPEN_ERRNO,
};

static const char *access_result_name(int code)
{
	static const char * const names[] = {
		[ACC_OK] = "ok",
		[ACC_DROP_FAILED] = "dropping the capability or uid failed",
		[ACC_OWN_REFUSED] = "a query of its own process was refused",
		[ACC_OTHER_ALLOWED] = "a query of another process was answered",
		[ACC_OTHER_ERRNO] = "a query of another process failed, but not with EACCES",
		[ACC_OPEN_ALLOWED] = "open succeeded",
		[ACC_OPEN_ERRNO] = "open failed, but not with EPERM or EACCES",
	};

	return code >= 0 && code < (int)ARRAY_SIZE(names) ? names[code] : "?";
}

/* Keep every capability but @drop (-1: drop all). Returns 0 or -1. */
static int drop_capability(int drop)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	if (drop < 0) {
		memset(data, 0, sizeof(data));
	} else {
		data[drop / 32].effective &= ~(1U << (drop % 32));
		data[drop / 32].permitted &= ~(1U << (drop % 32));
		data[drop / 32].inheritable &= ~(1U << (drop % 32));
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

/* In a child: query itself (must work) and @other (must be EACCES). */
static int child_without_ptrace(pid_t other)
{
	struct scope_answer ans;
	char q[64];
	int err;

	if (drop_capability(CAP_SYS_PTRACE))
		return ACC_DROP_FAILED;
	snprintf(q, sizeof(q), "pid=%d none=0", getpid());
	if (scope_query("ptes", q, &ans))
		return ACC_OWN_REFUSED;
	scope_free(&ans);
	snprintf(q, sizeof(q), "pid=%d none=0", other);
	err = scope_query("ptes", q, &ans);
	if (!err) {
		scope_free(&ans);
		return ACC_OTHER_ALLOWED;
	}
	return err == -EACCES ? ACC_OK : ACC_OTHER_ERRNO;
}

/* In a child: without CAP_SYS_ADMIN (or as nobody) the files do not open. */
static int child_cannot_open(bool as_nobody)
{
	int fd;

	if (as_nobody ? setresuid(65534, 65534, 65534) : drop_capability(CAP_SYS_ADMIN))
		return ACC_DROP_FAILED;
	fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return ACC_OPEN_ALLOWED;
	}
	return errno == EPERM || errno == EACCES ? ACC_OK : ACC_OPEN_ERRNO;
}

static int run_child(int (*fn)(long), long arg)
{
	int status;
	pid_t child = fork();

	if (child == 0)
		_exit(fn(arg));
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int without_ptrace(long other)
{
	return child_without_ptrace((pid_t)other);
}

static int without_admin(long unused)
{
	return child_cannot_open(false);
}

static int as_nobody(long unused)
{
	return child_cannot_open(true);
}

TEST_F(inspector, access_needs_cap_sys_ptrace_for_another_process)
{
	struct scope_answer ans;
	char q[64];
	int ret;

	/* with both capabilities, pid 1 (init) is readable */
	snprintf(q, sizeof(q), "pid=1 none=0");
	ASSERT_EQ(0, scope_query("ptes", q, &ans)) TH_LOG("root could not read pid 1");
	scope_free(&ans);
	ret = run_child(without_ptrace, 1);
	ASSERT_EQ(ACC_OK, ret) TH_LOG("without CAP_SYS_PTRACE, pid 1: %s", access_result_name(ret));
	ret = run_child(without_ptrace, getpid());
	ASSERT_EQ(ACC_OK, ret) TH_LOG("without CAP_SYS_PTRACE, the parent: %s",
				      access_result_name(ret));
}

TEST_F(inspector, access_needs_cap_sys_admin_to_open)
{
	int ret = run_child(without_admin, 0);

	ASSERT_EQ(ACC_OK, ret) TH_LOG("without CAP_SYS_ADMIN: %s", access_result_name(ret));
	ret = run_child(as_nobody, 0);
	ASSERT_EQ(ACC_OK, ret) TH_LOG("as uid 65534: %s", access_result_name(ret));
}

TEST_F(inspector, pfn_and_raw_only_with_raw_1)
{
	size_t len = NR_PAGES * page_size();
	struct scope_answer ans;
	char q[128], *area;
	int i;

	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 14, len);
	snprintf(q, sizeof(q), "pid=%d start=%p len=0x%zx", getpid(), area, len);
	ASSERT_EQ(0, scope_query("ptes", q, &ans));
	for (i = 0; i < ans.nlines; i++)
		ASSERT_TRUE(!scope_get(&ans.lines[i], "pfn") && !scope_get(&ans.lines[i], "raw"))
			TH_LOG("line %d shows pfn=%s raw=%s without raw=1", i,
			       scope_get(&ans.lines[i], "pfn"), scope_get(&ans.lines[i], "raw"));
	scope_free(&ans);
	snprintf(q, sizeof(q), "pid=%d start=%p len=0x%zx raw=1", getpid(), area, len);
	ASSERT_EQ(0, scope_query("ptes", q, &ans));
	ASSERT_TRUE(scope_get(&ans.lines[0], "pfn") && scope_get(&ans.lines[0], "raw"))
		TH_LOG("raw=1: expected pfn= and raw= on the present run");
	scope_free(&ans);
	munmap(area, len);
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
