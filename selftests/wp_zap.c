// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-wp survives the zaps of file memory (catalog row WP-MARKER-ZAP).
 * shmem and hugetlbfs PTEs are dropped whenever the kernel likes (the data
 * stays in the page cache or swap), so the kernel (5.19+) leaves a uffd-wp
 * PTE marker wherever it zaps a write-protected entry: MADV_DONTNEED, swap-out
 * and a hole punch keep the protection; only munmap, which destroys the VMA,
 * drops it. A lost marker is a write the userfaultfd user never hears of.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "memory.h"
#include "pagemap.h"
#include "swap.h"
#include "sysfs_state.h"
#include "uffd.h"
#include "wp_expect.h"

#define ROW "WP-MARKER-ZAP"
#define NR_SHMEM_PAGES	16
#define NR_HUGE_PAGES	4
#define ZRAM_BYTES	(64UL << 20)

FIXTURE(zap) {
	struct wp_area w;
};

FIXTURE_VARIANT(zap) {
	enum mem_kind kind;
	bool shared;
};

FIXTURE_VARIANT_ADD(zap, shmem_shared) { .kind = MEM_SHMEM, .shared = true };
FIXTURE_VARIANT_ADD(zap, shmem_private) { .kind = MEM_SHMEM, .shared = false };
FIXTURE_VARIANT_ADD(zap, hugetlb_shared) { .kind = MEM_HUGETLB, .shared = true };
FIXTURE_VARIANT_ADD(zap, hugetlb_private) { .kind = MEM_HUGETLB, .shared = false };

static __attribute__((noinline)) void zap_area_setup(struct __test_metadata *_metadata,
						      struct wp_area *w, enum mem_kind kind,
						      bool shared)
{
	WP_AREA_SETUP(w, kind, shared, kind == MEM_HUGETLB ? NR_HUGE_PAGES : NR_SHMEM_PAGES,
		      WP_FILE_FEATURES, UFFDIO_REGISTER_MODE_WP);
}

FIXTURE_SETUP(zap)
{
	zap_area_setup(_metadata, &self->w, variant->kind, variant->shared);
}

FIXTURE_TEARDOWN(zap)
{
	wp_area_teardown(&self->w);
	ASSERT_EQ(0, swap_zram_off());
	ASSERT_EQ(0, knob_restore_all());
}

/* Map the even pages (present PTEs), leave the odd ones none, protect all. */
static __attribute__((noinline)) void protect_half_mapped(struct __test_metadata *_metadata, struct wp_area *w)
{
	volatile unsigned char sink;
	size_t i;

	for (i = 0; i < w->nr; i += 2)
		sink = *(unsigned char *)wp_page(w, i);
	(void)sink;
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, true));
	for (i = 0; i < w->nr; i++)
		ASSERT_TRUE(!!(WP_STATE(w, 0, i) & PM_UFFD_WP))
			TH_LOG("page %zu not uffd-wp right after UFFDIO_WRITEPROTECT: 0x%llx",
			       i, (unsigned long long)wp_state(w, 0, i));
}

/* Every page: a marker in pagemap, one WP fault on write, the file's data. */
static __attribute__((noinline)) void expect_markers_everywhere(struct __test_metadata *_metadata, struct wp_area *w,
				      const char *after)
{
	unsigned char seen = 0;
	uint64_t pm;
	size_t i;

	for (i = 0; i < w->nr; i++) {
		pm = WP_STATE(w, 0, i);
		ASSERT_FALSE(!!(pm & PM_PRESENT))
			TH_LOG("page %zu still present after %s: 0x%llx", i, after,
			       (unsigned long long)pm);
		ASSERT_BEHAVIOUR(ROW, pm & PM_UFFD_WP,
				 "page %zu lost uffd-wp after %s: entry 0x%llx",
				 i, after, (unsigned long long)pm);
		ASSERT_MODULE_VIEW(ROW, 0, wp_page(w, i), w->unit, VIEW_MARKER_WP);
	}
	for (i = 0; i < w->nr; i++) {
		ASSERT_WRITE_WP_FAULTS(ROW, w->uffd, wp_page(w, i), w->unit, 0xd0);
		ASSERT_TRUE(wp_page_holds(w, i, 1, page_pattern(WP_AREA_SEED, i), &seen))
			TH_LOG("page %zu holds 0x%02x after %s, expected the file's 0x%02x",
			       i, seen, after, page_pattern(WP_AREA_SEED, i));
	}
}

static __attribute__((noinline)) void dontneed_all(struct __test_metadata *_metadata,
						    struct wp_area *w)
{
	ASSERT_EQ(0, madvise(w->addr, w->len, MADV_DONTNEED)) TH_LOG("MADV_DONTNEED: %s", strerror(errno));
}

TEST_F(zap, marker_survives_madv_dontneed)
{
	BEHAVIOUR(ROW);
	protect_half_mapped(_metadata, &self->w);
	dontneed_all(_metadata, &self->w);
	expect_markers_everywhere(_metadata, &self->w, "MADV_DONTNEED");
}

static __attribute__((noinline)) void swap_out_case(struct __test_metadata *_metadata,
						     struct wp_area *w)
{
	long used;
	int ret;

	if (w->kind == MEM_HUGETLB)
		SKIP(return, "hugetlbfs pages are never swapped: MADV_PAGEOUT does not apply");
	protect_half_mapped(_metadata, w);
	ret = swap_zram_on(ZRAM_BYTES);
	if (ret == -ENODEV)
		SKIP(return, "no %s: the zram module is not loaded", ZRAM_SYS);
	if (ret == -EBUSY)
		SKIP(return, "%s is already in use by someone else", ZRAM_DEV);
	ASSERT_EQ(0, ret) TH_LOG("swap on zram0: %s", strerror(-ret));
	/* Map all pages so MADV_PAGEOUT reclaims the whole file. */
	ASSERT_EQ(0, madvise(w->addr, w->len, MADV_PAGEOUT)) TH_LOG("MADV_PAGEOUT: %s", strerror(errno));
	used = swap_zram_used_kb();
	ASSERT_LT(0, used) TH_LOG("nothing was swapped out to zram0 (used %ld KiB)", used);
	expect_markers_everywhere(_metadata, w, "swap-out");
}

TEST_F(zap, marker_survives_swap_out)
{
	BEHAVIOUR(ROW);
	swap_out_case(_metadata, &self->w);
}

TEST_F(zap, marker_dropped_on_munmap)
{
	struct wp_area *w = &self->w;
	size_t first = 1, n = w->nr - 2, i;
	char *remap;
	uint64_t pm;

	BEHAVIOUR(ROW);
	protect_half_mapped(_metadata, w);
	/*
	 * Unmap the middle and map the same file range at the same address:
	 * the first and last pages keep the page table alive, so a marker the
	 * munmap failed to drop would still sit in the new VMA's entries.
	 */
	ASSERT_EQ(0, munmap(wp_page(w, first), n * w->unit));
	remap = mmap(wp_page(w, first), n * w->unit, PROT_READ | PROT_WRITE,
		     (w->shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED_NOREPLACE,
		     w->memfd, (off_t)(first * w->unit));
	ASSERT_EQ((void *)wp_page(w, first), (void *)remap) TH_LOG("remap: %s", strerror(errno));
	ASSERT_EQ(0, uffd_register(w->uffd, remap, n * w->unit, UFFDIO_REGISTER_MODE_WP));
	for (i = first; i < first + n; i++) {
		pm = WP_STATE(w, 0, i);
		ASSERT_BEHAVIOUR(ROW, !(pm & PM_UFFD_WP),
				 "page %zu of a fresh mapping carries uffd-wp left over from the unmapped VMA: 0x%llx",
				 i, (unsigned long long)pm);
		ASSERT_WRITE_NO_FAULT(ROW, w->uffd, wp_page(w, i), w->unit, 0xd1);
	}
	/* The pages that stayed mapped stay protected. */
	ASSERT_WRITE_WP_FAULTS(ROW, w->uffd, wp_page(w, 0), w->unit, 0xd2);
	ASSERT_WRITE_WP_FAULTS(ROW, w->uffd, wp_page(w, w->nr - 1), w->unit, 0xd3);
}

/*
 * What a hole punch does to the protection, as the kernel does it (6.1,
 * 6.12, 6.18 alike): the marker stays, over a hole. shmem_fallocate() and
 * hugetlbfs_punch_hole() first unmap the range without dropping markers
 * (zap without ZAP_FLAG_DROP_MARKER), because faults can still race with
 * the punch and must not map a soon-truncated page writable in between;
 * the truncation's own unmap, which does drop markers, then finds the
 * folios no longer mapped. So the protection outlives the data: reading
 * the hole gives zeroes on a read-only uffd-wp PTE, and a write still
 * raises a WP fault. Only a fault that maps the old folio between the two
 * unmaps makes the truncation drop the marker (fault_around.c counts how
 * often under a race: about 1 punched page in 256 on 6.1 and 6.12).
 */
TEST_F(zap, hole_punch_keeps_marker_over_the_hole)
{
	struct wp_area *w = &self->w;
	size_t first = 1, n = 2, i;
	unsigned char seen = 0;
	uint64_t pm;

	BEHAVIOUR(ROW);
	protect_half_mapped(_metadata, w);
	ASSERT_EQ(0, fallocate(w->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       (off_t)(first * w->unit), (off_t)(n * w->unit)))
		TH_LOG("punching pages %zu-%zu: %s", first, first + n - 1, strerror(errno));
	for (i = first; i < first + n; i++) {
		pm = WP_STATE(w, 0, i);
		if (!w->shared && (pm & PM_PRESENT))
			continue;
		ASSERT_BEHAVIOUR(ROW, !(pm & PM_PRESENT) && (pm & PM_UFFD_WP),
				 "punched page %zu: expected a uffd-wp marker, entry 0x%llx",
				 i, (unsigned long long)pm);
		ASSERT_MODULE_VIEW(ROW, 0, wp_page(w, i), w->unit, VIEW_MARKER_WP);
	}
	for (i = first; i < first + n; i++) {
		ASSERT_TRUE(wp_page_holds(w, i, 0, 0, &seen))
			TH_LOG("punched page %zu reads 0x%02x, expected zeroes", i, seen);
		pm = WP_STATE(w, 0, i);
		ASSERT_BEHAVIOUR(ROW, (pm & PM_PRESENT) && (pm & PM_UFFD_WP),
				 "punched page %zu after a read: expected a present uffd-wp PTE, 0x%llx",
				 i, (unsigned long long)pm);
		ASSERT_WRITE_WP_FAULTS(ROW, w->uffd, wp_page(w, i), w->unit, 0xd4);
	}
}

TEST_HARNESS_MAIN
