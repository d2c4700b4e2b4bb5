// SPDX-License-Identifier: GPL-2.0
/*
 * No uffd-wp state outlives the registration that made it (catalog rows
 * WP-CLOSE-LEFTOVER and WP-MREMAP-LEFTOVER). close() of a userfaultfd that
 * never unregistered, and mremap() of a registered range whose uffd lacks
 * UFFD_FEATURE_EVENT_REMAP, both leave the memory unregistered; any uffd-wp
 * bit or marker left in its page tables would show in pagemap and would
 * raise a spurious WP fault once someone registers the range again (the
 * bug of CVE-2024-36881 and CVE-2025-21696).
 *
 * A present PTE is one of several places the protection lives: the fixes
 * also clear PTE markers (file memory), swap entries (anonymous memory paged
 * out), PMD-mapped THPs, hugetlb entries, and, for mremap, whole PTE tables
 * that the kernel would otherwise move by their PMD. Each variant protects
 * one of them, runs the operation, and requires from the kernel's own
 * evidence: pagemap bit 57 clear on every page, no WP fault when a new
 * uffd registers the range in WP mode and writes it, and the data intact.
 */
#include <errno.h>
#include <string.h>
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

#define CLOSE_ROW	"WP-CLOSE-LEFTOVER"
#define MREMAP_ROW	"WP-MREMAP-LEFTOVER"
#define NR_PAGES	16
#define NR_HUGE		2
#define SEED		0x31
#define ZRAM_BYTES	(64UL << 20)

/* Where the uffd-wp protection of the area lives when the operation runs. */
enum wp_place {
	IN_PTE,		/* present PTEs with the uffd-wp bit */
	IN_MARKER,	/* uffd-wp PTE markers over a filled page cache */
	IN_SWAP,	/* swap entries with the uffd-wp bit */
	IN_THP,		/* one PMD-mapped THP with the uffd-wp bit */
	IN_PTE_TABLE,	/* a whole, PMD-aligned table of uffd-wp PTEs */
};

FIXTURE(leftover) {
	struct kind_area a;
	int uffd;
	int pagemap;
	bool swap_on;
};

FIXTURE_VARIANT(leftover) {
	enum area_kind kind;
	bool shared;
	enum wp_place place;
};

FIXTURE_VARIANT_ADD(leftover, anon_pte) { .kind = AREA_ANON, .place = IN_PTE };
FIXTURE_VARIANT_ADD(leftover, anon_swap) { .kind = AREA_ANON, .place = IN_SWAP };
FIXTURE_VARIANT_ADD(leftover, anon_thp) { .kind = AREA_ANON, .place = IN_THP };
FIXTURE_VARIANT_ADD(leftover, anon_pte_table) { .kind = AREA_ANON, .place = IN_PTE_TABLE };
FIXTURE_VARIANT_ADD(leftover, shmem_shared_pte) { .kind = AREA_SHMEM, .shared = true, .place = IN_PTE };
FIXTURE_VARIANT_ADD(leftover, shmem_shared_marker) { .kind = AREA_SHMEM, .shared = true, .place = IN_MARKER };
FIXTURE_VARIANT_ADD(leftover, shmem_private_pte) { .kind = AREA_SHMEM, .place = IN_PTE };
FIXTURE_VARIANT_ADD(leftover, shmem_private_marker) { .kind = AREA_SHMEM, .place = IN_MARKER };
FIXTURE_VARIANT_ADD(leftover, hugetlb_shared_pte) { .kind = AREA_HUGETLB, .shared = true, .place = IN_PTE };
FIXTURE_VARIANT_ADD(leftover, hugetlb_shared_marker) { .kind = AREA_HUGETLB, .shared = true, .place = IN_MARKER };
FIXTURE_VARIANT_ADD(leftover, hugetlb_private_pte) { .kind = AREA_HUGETLB, .place = IN_PTE };

static uint64_t wp_features(enum area_kind kind)
{
	return UFFD_FEATURE_PAGEFAULT_FLAG_WP |
	       (kind == AREA_ANON ? 0 : UFFD_FEATURE_WP_HUGETLBFS_SHMEM);
}

static size_t pages_for(enum area_kind kind, enum wp_place place)
{
	if (kind == AREA_HUGETLB)
		return NR_HUGE;
	if (place == IN_THP || place == IN_PTE_TABLE)
		return kind_pmd_size() / kind_page_size();
	return NR_PAGES;
}

/* Fill the file's page cache through a second mapping: no PTE of the area maps it. */
static int fill_file(const struct kind_area *a)
{
	char *tmp = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	size_t i;

	if (tmp == MAP_FAILED)
		return -errno;
	for (i = 0; i < a->nr; i++)
		memset(tmp + i * a->unit, kind_pattern(SEED, i), a->unit);
	munmap(tmp, a->len);
	return 0;
}

/* Open a uffd with uffd-wp for @kind and register @addr WP; SKIP when the kernel lacks it. */
static int open_wp_uffd(struct __test_metadata *_metadata, enum area_kind kind,
			void *addr, size_t len)
{
	uint64_t missing = 0;
	int uffd, ret;

	uffd = uffd_open(wp_features(kind), &missing);
	if (uffd == -EOPNOTSUPP)
		SKIP(return -1, "userfaultfd lacks features 0x%llx (uffd-wp%s)",
		     (unsigned long long)missing, kind == AREA_ANON ? "" : " on shmem/hugetlbfs");
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
	ret = uffd_register(uffd, addr, len, UFFDIO_REGISTER_MODE_WP);
	if (ret == -EINVAL) {
		close(uffd);
		SKIP(return -1, "UFFDIO_REGISTER_MODE_WP on %s: EINVAL (no uffd-wp for this memory here)",
		     area_kind_name(kind));
	}
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_REGISTER WP: %s", strerror(-ret));
	return uffd;
}

static void place_setup(struct __test_metadata *_metadata, FIXTURE_DATA(leftover) *self,
			const FIXTURE_VARIANT(leftover) *variant)
{
	struct kind_area *a = &self->a;
	size_t i;
	int ret;

	/* every page written on one CPU, whose LRU batch MADV_PAGEOUT then drains */
	if (variant->place == IN_SWAP)
		ASSERT_EQ(0, pin_to_this_cpu());
	switch (variant->place) {
	case IN_MARKER:
		ASSERT_EQ(0, fill_file(a));
		break;
	case IN_THP:
		ret = knob_set(THP_ENABLED, "always");
		if (ret)
			SKIP(return, "THP sysfs knob unavailable: %s", strerror(-ret));
		ASSERT_EQ(0, madvise(a->addr, a->len, MADV_HUGEPAGE));
		kind_fill(a, 0, SEED);
		if (!(pagemap_get(self->pagemap, a->addr) & PM_PRESENT) ||
		    !(kpageflags_of(a->addr) & (1ULL << KPF_THP_BIT)))
			SKIP(return, "no PMD THP was allocated for the area (memory fragmented?)");
		for (i = 1; i < a->nr; i++)
			kind_fill(a, i, SEED);
		break;
	default:
		if (variant->place == IN_PTE_TABLE)
			ASSERT_EQ(0, madvise_no_thp(a->addr, a->len));
		for (i = 0; i < a->nr; i++)
			kind_fill(a, i, SEED);
		break;
	}
	ASSERT_EQ(0, uffd_writeprotect(self->uffd, a->addr, a->len, true));
	if (variant->place == IN_SWAP) {
		ret = swap_zram_on(ZRAM_BYTES);
		if (ret == -ENODEV)
			SKIP(return, "no zram0: the zram module is not loaded");
		ASSERT_EQ(0, ret) TH_LOG("swap on zram0: %s", strerror(-ret));
		self->swap_on = true;
		ret = pageout_until_swapped(a->addr, a->len, a->unit, self->pagemap, 8);
		ASSERT_EQ(0, ret) TH_LOG("MADV_PAGEOUT: %s", strerror(-ret));
	}
}

FIXTURE_SETUP(leftover)
{
	struct kind_area *a = &self->a;
	const char *why = "";
	uint64_t pm;
	size_t i;
	int ret;

	self->uffd = -1;
	self->a.fd = -1;
	self->pagemap = pagemap_open(0);
	ASSERT_LE(0, self->pagemap);
	if ((variant->place == IN_THP || variant->place == IN_PTE_TABLE) && !kind_pmd_size())
		SKIP(return, "no hpage_pmd_size: this kernel has no THP");
	ret = kind_area_map(a, variant->kind, variant->shared,
			    pages_for(variant->kind, variant->place), &why);
	if (variant->kind == AREA_HUGETLB && (ret == -ENOMEM || ret == -EOPNOTSUPP))
		SKIP(return, "no huge pages of the default size: %s: %s", why, strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("mapping %s: %s: %s", area_kind_name(variant->kind), why,
				 strerror(-ret));
	self->uffd = open_wp_uffd(_metadata, variant->kind, a->addr, a->len);
	if (self->uffd < 0)
		return;
	place_setup(_metadata, self, variant);
	/* The protection must be in place, where the variant put it, before the operation. */
	for (i = 0; i < a->nr; i++) {
		pm = pagemap_get(self->pagemap, kind_page(a, i));
		ASSERT_TRUE(!!(pm & PM_UFFD_WP))
			TH_LOG("setup: page %zu not uffd-wp, pagemap 0x%llx", i, (unsigned long long)pm);
		if (variant->place == IN_MARKER) {
			ASSERT_FALSE(!!(pm & PM_PRESENT)) TH_LOG("setup: page %zu present, not a marker", i);
		} else if (variant->place == IN_SWAP) {
			ASSERT_TRUE(!!(pm & PM_SWAP)) TH_LOG("setup: page %zu not swapped out, pagemap 0x%llx",
							     i, (unsigned long long)pm);
		} else {
			ASSERT_TRUE(!!(pm & PM_PRESENT)) TH_LOG("setup: page %zu not present", i);
		}
	}
}

FIXTURE_TEARDOWN(leftover)
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

/* The pages whose writes are checked: all of a small area, a sample of a PMD's worth. */
static bool probed(const struct kind_area *a, size_t i)
{
	return a->nr <= NR_PAGES || i == 0 || i == 1 || i == a->nr / 2 || i == a->nr - 1;
}

/*
 * The area is now unregistered: require that nothing of the old protection
 * is left. pagemap first (a read would resolve a leftover marker silently),
 * then writes under a fresh WP registration, then the data.
 */
static void expect_no_leftover(struct __test_metadata *_metadata, const char *row,
			       const char *op, FIXTURE_DATA(leftover) *self,
			       const FIXTURE_VARIANT(leftover) *variant)
{
	struct kind_area *a = &self->a;
	unsigned char seen = 0;
	enum write_outcome o;
	struct uffd_msg msg;
	size_t i, left = 0;
	int uffd;
	uint64_t pm;

	for (i = 0; i < a->nr; i++) {
		pm = pagemap_get(self->pagemap, kind_page(a, i));
		if (pm & PM_UFFD_WP && !left++)
			fprintf(stderr, "# %s: page %zu keeps uffd-wp after %s: pagemap 0x%llx (%s)\n",
				row, i, op, (unsigned long long)pm,
				pm & PM_PRESENT ? "present" : pm & PM_SWAP ? "swap/marker" : "marker");
	}
	ASSERT_BEHAVIOUR(row, left == 0, "%zu of %zu pages keep pagemap's uffd-wp bit after %s",
			 left, a->nr, op);

	uffd = open_wp_uffd(_metadata, variant->kind, a->addr, a->len);
	if (uffd < 0)
		return;
	for (i = 0; i < a->nr; i++) {
		if (!probed(a, i))
			continue;
		o = write_page(uffd, kind_page(a, i), a->unit, 0xa5, &msg);
		if (o == WRITE_ERROR || o == WRITE_STUCK)
			close(uffd);
		ASSERT_TRUE(o != WRITE_ERROR && o != WRITE_STUCK)
			TH_LOG("write to page %zu: %s", i, write_outcome_name(o));
		if (o != WRITE_NO_FAULT)
			close(uffd);
		ASSERT_BEHAVIOUR(row, o == WRITE_NO_FAULT,
				 "page %zu after %s, registered WP again but never protected: the write saw %s (flags 0x%llx)",
				 i, op, write_outcome_name(o),
				 (unsigned long long)msg.arg.pagefault.flags);
		ASSERT_TRUE(kind_holds(kind_page(a, i) + 1, a->unit - 1, kind_pattern(SEED, i), &seen))
			TH_LOG("page %zu lost its data after %s: 0x%02x, expected 0x%02x",
			       i, op, seen, kind_pattern(SEED, i));
	}
	close(uffd);
}

TEST_F(leftover, close_without_unregister_clears_wp)
{
	BEHAVIOUR(CLOSE_ROW);
	ASSERT_EQ(0, close(self->uffd));
	self->uffd = -1;
	expect_no_leftover(_metadata, CLOSE_ROW, "close()", self, variant);
}

TEST_F(leftover, mremap_without_event_remap_clears_wp)
{
	struct kind_area *a = &self->a;
	size_t align = kind_pmd_size() > a->unit ? kind_pmd_size() : a->unit;
	char *dst;

	BEHAVIOUR(MREMAP_ROW);
	/* PMD-aligned at both ends: the kernel may move whole tables and huge PMDs. */
	dst = kind_reserve(a->len, align);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_EQ(dst, mremap(a->addr, a->len, a->len, MREMAP_MAYMOVE | MREMAP_FIXED, dst))
		TH_LOG("mremap: %s", strerror(errno));
	a->addr = dst;
	expect_no_leftover(_metadata, MREMAP_ROW, "mremap()", self, variant);
}

TEST_HARNESS_MAIN
