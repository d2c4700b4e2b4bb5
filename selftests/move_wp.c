// SPDX-License-Identifier: GPL-2.0
/*
 * UFFDIO_MOVE of a write-protected anonymous page (catalog row MOVE-WP). The
 * move (6.8+) hands the source's page to the destination without a copy;
 * what happens to the source's uffd-wp protection is the kernel's choice,
 * and a live-migration or snapshot tool must know it: a destination that
 * silently came out writable takes writes the tool never hears of.
 *
 * Measured contract (6.12 source, move_present_pte() and
 * move_pages_huge_pmd()): a present PTE and a huge PMD arrive writable and
 * without uffd-wp, whatever the source held; a flag to keep the protection
 * is under discussion upstream. A swap entry is moved as it is, so what it
 * carries decides. The tests require, from pagemap and uffd messages: the
 * data moved intact, the source left empty, a present destination without
 * uffd-wp whose write raises nothing, and for a swap entry that pagemap's
 * uffd-wp bit at the destination and a WP fault on its write agree.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "access.h"
#include "behaviour.h"
#include "kind_area.h"
#include "memory.h"
#include "pagemap.h"
#include "swap.h"
#include "sysfs_state.h"
#include "uffd.h"

#define ROW		"MOVE-WP"
#define NR_PAGES	16
#define SEED		0x52
#define ZRAM_BYTES	(64UL << 20)

enum src_state { SRC_PTE, SRC_SWAP, SRC_PMD };

FIXTURE(move) {
	struct kind_area a;	/* first half: source, second half: destination */
	size_t half;		/* pages in each half */
	int uffd;
	int pagemap;
	bool swap_on;
};

FIXTURE_VARIANT(move) {
	enum src_state state;
};

FIXTURE_VARIANT_ADD(move, pte) { .state = SRC_PTE };
FIXTURE_VARIANT_ADD(move, swap) { .state = SRC_SWAP };
FIXTURE_VARIANT_ADD(move, pmd) { .state = SRC_PMD };

static int uffd_move(int uffd, void *dst, void *src, size_t len, int64_t *moved)
{
	struct uffdio_move mv = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len, .mode = 0,
	};
	int ret = ioctl(uffd, UFFDIO_MOVE, &mv) ? -errno : 0;

	*moved = mv.move;
	return ret;
}

FIXTURE_SETUP(move)
{
	uint64_t features = UFFD_FEATURE_MOVE | UFFD_FEATURE_PAGEFAULT_FLAG_WP, missing = 0, pm;
	struct kind_area *a = &self->a;
	const char *why = "";
	size_t i, pmd = kind_pmd_size();
	int ret;

	self->uffd = -1;
	self->a.fd = -1;
	self->pagemap = pagemap_open(0);
	ASSERT_LE(0, self->pagemap);
	if (variant->state == SRC_PMD && !pmd)
		SKIP(return, "no hpage_pmd_size: this kernel has no THP");
	self->half = variant->state == SRC_PMD ? pmd / kind_page_size() : NR_PAGES;
	ret = kind_area_map(a, AREA_ANON, false, 2 * self->half, &why);
	ASSERT_EQ(0, ret) TH_LOG("mapping: %s: %s", why, strerror(-ret));
	self->uffd = uffd_open(features, &missing);
	if (self->uffd == -EOPNOTSUPP)
		SKIP(return, "userfaultfd lacks features 0x%llx (UFFD_FEATURE_MOVE: UFFDIO_MOVE is 6.8+)",
		     (unsigned long long)missing);
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(-self->uffd));
	if (variant->state == SRC_PMD) {
		ret = knob_set(THP_ENABLED, "always");
		if (ret)
			SKIP(return, "THP sysfs knob unavailable: %s", strerror(-ret));
		ASSERT_EQ(0, madvise(a->addr, a->len, MADV_HUGEPAGE));
	} else {
		ASSERT_EQ(0, madvise_no_thp(a->addr, a->len));
	}
	/* every page written on one CPU, whose LRU batch MADV_PAGEOUT then drains */
	if (variant->state == SRC_SWAP)
		ASSERT_EQ(0, pin_to_this_cpu());
	for (i = 0; i < self->half; i++)
		kind_fill(a, i, SEED);
	if (variant->state == SRC_PMD && !(kpageflags_of(a->addr) & (1ULL << KPF_THP_BIT)))
		SKIP(return, "no PMD THP was allocated for the source (memory fragmented?)");
	ret = uffd_register(self->uffd, a->addr, a->len,
			    UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP);
	if (ret == -EINVAL)
		SKIP(return, "UFFDIO_REGISTER_MODE_WP on anonymous memory: EINVAL (no uffd-wp here)");
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_REGISTER: %s", strerror(-ret));
	ASSERT_EQ(0, uffd_writeprotect(self->uffd, a->addr, self->half * a->unit, true));
	if (variant->state == SRC_SWAP) {
		ret = swap_zram_on(ZRAM_BYTES);
		if (ret == -ENODEV)
			SKIP(return, "no zram0: the zram module is not loaded");
		ASSERT_EQ(0, ret) TH_LOG("swap on zram0: %s", strerror(-ret));
		self->swap_on = true;
		ret = pageout_until_swapped(a->addr, self->half * a->unit, a->unit, self->pagemap, 8);
		ASSERT_EQ(0, ret) TH_LOG("MADV_PAGEOUT left pages mapped: %s", strerror(-ret));
	}
	for (i = 0; i < self->half; i++) {
		pm = pagemap_get(self->pagemap, kind_page(a, i));
		ASSERT_TRUE(!!(pm & PM_UFFD_WP)) TH_LOG("setup: source page %zu not uffd-wp: 0x%llx",
							 i, (unsigned long long)pm);
		ASSERT_TRUE(!!(pm & (variant->state == SRC_SWAP ? PM_SWAP : PM_PRESENT)))
			TH_LOG("setup: source page %zu: 0x%llx", i, (unsigned long long)pm);
	}
}

FIXTURE_TEARDOWN(move)
{
	if (self->uffd >= 0)
		close(self->uffd);
	kind_area_unmap(&self->a);
	if (self->pagemap >= 0)
		close(self->pagemap);
	if (self->swap_on)
		ASSERT_EQ(0, swap_zram_off());
	ASSERT_EQ(0, knob_restore_all());
}

static bool probed(size_t half, size_t i)
{
	return half <= NR_PAGES || i == 0 || i == 1 || i == half / 2 || i == half - 1;
}

TEST_F(move, move_of_wp_page_gives_destination_as_measured)
{
	struct kind_area *a = &self->a;
	char *dst = kind_page(a, self->half);
	unsigned char seen = 0;
	enum write_outcome o;
	struct uffd_msg msg;
	int64_t moved = 0;
	uint64_t pm;
	size_t i;
	int ret;

	BEHAVIOUR(ROW);
	ret = uffd_move(self->uffd, dst, a->addr, self->half * a->unit, &moved);
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_MOVE: %s, moved %lld", strerror(-ret), (long long)moved);
	ASSERT_EQ((int64_t)(self->half * a->unit), moved);
	for (i = 0; i < self->half; i++) {
		pm = pagemap_get(self->pagemap, kind_page(a, i));
		ASSERT_FALSE(!!(pm & (PM_PRESENT | PM_SWAP)))
			TH_LOG("source page %zu still mapped after the move: 0x%llx", i,
			       (unsigned long long)pm);
	}
	for (i = 0; i < self->half; i++) {
		char *p = dst + i * a->unit;
		bool wp;

		if (!probed(self->half, i))
			continue;
		pm = pagemap_get(self->pagemap, p);
		wp = pm & PM_UFFD_WP;
		if (i == 0)
			fprintf(stderr, "# %s: %s source: destination page 0 pagemap 0x%llx: uffd-wp %s\n",
				ROW, variant->state == SRC_SWAP ? "swap" :
				variant->state == SRC_PMD ? "huge PMD" : "present PTE",
				(unsigned long long)pm, wp ? "kept" : "dropped");
		if (variant->state != SRC_SWAP)
			ASSERT_BEHAVIOUR(ROW, !wp && (pm & PM_PRESENT),
					 "destination page %zu after moving a uffd-wp page: pagemap 0x%llx, expected present without uffd-wp",
					 i, (unsigned long long)pm);
		o = write_page(self->uffd, p, a->unit, 0xe1, &msg);
		ASSERT_TRUE(o != WRITE_ERROR && o != WRITE_STUCK)
			TH_LOG("write to destination page %zu: %s", i, write_outcome_name(o));
		ASSERT_BEHAVIOUR(ROW, o == (wp ? WRITE_WP_FAULT : WRITE_NO_FAULT),
				 "destination page %zu (pagemap uffd-wp %s): its write saw %s",
				 i, wp ? "set" : "clear", write_outcome_name(o));
		ASSERT_TRUE(kind_holds(p + 1, a->unit - 1, kind_pattern(SEED, i), &seen))
			TH_LOG("moved page %zu holds 0x%02x, expected 0x%02x", i, seen,
			       kind_pattern(SEED, i));
	}
}

TEST_HARNESS_MAIN
