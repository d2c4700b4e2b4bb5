// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-wp on a PMD-mapped shmem THP (catalog rows WP-THP-SPLIT and the THP
 * split case of WP-MARKER-ZAP). There is no PMD-level uffd-wp marker for file
 * memory, so write-protecting any part of a PMD-mapped shmem THP splits the
 * PMD mapping into a PTE table (the folio itself stays huge) and protects
 * exactly the PTEs asked for. The protection must then survive a split of the
 * folio too, when its PTEs go through migration entries and back.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"
#include "wp_expect.h"

#define SPLIT_HUGE_PAGES "/sys/kernel/debug/split_huge_pages"

FIXTURE(thp) {
	struct wp_area w;
	size_t nr;	/* base pages in the THP */
};

static __attribute__((noinline)) void pmd_thp_setup(struct __test_metadata *_metadata,
						struct wp_area *w, size_t *nr)
{
	size_t psize = page_size(), i;
	long pmd_kb;
	int ret;

	/* Before MADV_HUGEPAGE, which a kernel without THP refuses (EINVAL). */
	THP_REQUIRE();
	*nr = pages_per_pmd();
	WP_AREA_SETUP(w, MEM_SHMEM, true, *nr, WP_FILE_FEATURES, UFFDIO_REGISTER_MODE_WP);
	/* Empty the page cache, so the first fault can allocate one THP. */
	ASSERT_EQ(0, fallocate(w->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, w->len));
	ASSERT_EQ(0, madvise(w->addr, w->len, MADV_HUGEPAGE));
	/* The knob is the setup's last step: a failed setup skips the teardown. */
	ret = knob_set(THP_SHMEM, "advise");
	if (ret) {
		knob_restore_all();
		wp_area_teardown(w);
		if (ret == -ENOENT && !thp_configured())
			SKIP(return, "kernel built without CONFIG_TRANSPARENT_HUGEPAGE (no %s)", THP_SHMEM);
		ASSERT_EQ(0, ret) TH_LOG("setting %s: %s", THP_SHMEM, strerror(-ret));
	}
	for (i = 0; i < *nr; i++)
		memset(wp_page(w, i), page_pattern(WP_AREA_SEED, i), psize);
	pmd_kb = smaps_kb(w->addr, "ShmemPmdMapped");
	if (pmd_kb != (long)(pmd_size() >> 10)) {
		knob_restore_all();
		wp_area_teardown(w);
		ASSERT_EQ((long)(pmd_size() >> 10), pmd_kb)
			TH_LOG("the shmem range is not PMD-mapped by a THP (ShmemPmdMapped %ld kB)", pmd_kb);
	}
}

FIXTURE_SETUP(thp)
{
	pmd_thp_setup(_metadata, &self->w, &self->nr);
}

FIXTURE_TEARDOWN(thp)
{
	wp_area_teardown(&self->w);
	ASSERT_EQ(0, knob_restore_all());
}

TEST_F(thp, wp_one_page_of_pmd_thp_protects_only_that_page)
{
	struct wp_area *w = &self->w;
	size_t target = 5, i;
	size_t neighbours[] = { 0, target - 1, target + 1, self->nr - 1 };
	struct wp_seen seen;
	uint64_t pm;
	long pmd_kb;

	BEHAVIOUR("WP-THP-SPLIT");
	ASSERT_EQ(0, wp_scope_seen(0, w->addr, w->unit, &seen) == -ENODEV ? 0 :
		     strcmp(seen.level, "pmd")) TH_LOG("uffdscope: the THP is mapped at level %s, expected pmd",
						       seen.level);
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, wp_page(w, target), w->unit, true));
	pmd_kb = smaps_kb(w->addr, "ShmemPmdMapped");
	ASSERT_BEHAVIOUR("WP-THP-SPLIT", pmd_kb == 0,
			 "after protecting one base page the range is still PMD-mapped (ShmemPmdMapped %ld kB)",
			 pmd_kb);
	for (i = 0; i < self->nr; i++) {
		pm = WP_STATE(w, 0, i);
		ASSERT_BEHAVIOUR("WP-THP-SPLIT", !!(pm & PM_UFFD_WP) == (i == target),
				 "page %zu: expected uffd-wp %s, entry 0x%llx", i,
				 i == target ? "set" : "clear", (unsigned long long)pm);
	}
	/* The PMD became a table: one uffd-wp entry, the neighbours none. */
	ASSERT_MODULE_VIEW("WP-THP-SPLIT", 0, wp_page(w, target), w->unit, VIEW_MARKER_WP);
	ASSERT_MODULE_VIEW("WP-THP-SPLIT", 0, wp_page(w, target + 1), w->unit, VIEW_NONE);
	if (!wp_scope_seen(0, wp_page(w, target), w->unit, &seen))
		ASSERT_STREQ("pte", seen.level);
	for (i = 0; i < sizeof(neighbours) / sizeof(neighbours[0]); i++)
		ASSERT_WRITE_NO_FAULT("WP-THP-SPLIT", w->uffd, wp_page(w, neighbours[i]), w->unit, 0x31);
	ASSERT_WRITE_WP_FAULTS("WP-THP-SPLIT", w->uffd, wp_page(w, target), w->unit, 0x32);
}

TEST_F(thp, wp_of_whole_pmd_thp_survives_the_pmd_split)
{
	struct wp_area *w = &self->w;
	size_t probes[] = { 0, 1, 255, 511 }, i;
	uint64_t pm;

	BEHAVIOUR("WP-MARKER-ZAP");
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, true));
	for (i = 0; i < self->nr; i++) {
		pm = WP_STATE(w, 0, i);
		ASSERT_BEHAVIOUR("WP-MARKER-ZAP", pm & PM_UFFD_WP,
				 "page %zu of the protected THP lacks uffd-wp after the PMD split: 0x%llx",
				 i, (unsigned long long)pm);
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		ASSERT_WRITE_WP_FAULTS("WP-MARKER-ZAP", w->uffd, wp_page(w, probes[i] % self->nr),
				       w->unit, 0x33);
}

TEST_F(thp, wp_survives_the_folio_split)
{
	struct wp_area *w = &self->w;
	size_t probes[] = { 0, 2, 300, 511 }, i;
	volatile unsigned char sink;
	unsigned char seen = 0;
	char cmd[128];
	uint64_t pm;
	int ret;

	BEHAVIOUR("WP-MARKER-ZAP");
	if (access(SPLIT_HUGE_PAGES, W_OK))
		SKIP(return, "no %s (debugfs not mounted or no THP)", SPLIT_HUGE_PAGES);
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, true));
	/* Map every subpage read-only through its marker: PTEs on the THP. */
	for (i = 0; i < self->nr; i++)
		sink = *(unsigned char *)wp_page(w, i);
	(void)sink;
	ASSERT_TRUE(!!(kpageflags_of(w->addr) & (1ULL << KPF_THP_BIT)))
		TH_LOG("the page cache is no THP before the split");
	snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx", getpid(), (unsigned long)w->addr,
		 (unsigned long)(w->addr + w->len));
	ret = knob_write(SPLIT_HUGE_PAGES, cmd);
	if (ret == -EPERM)
		SKIP(return, "%s refuses writes (debugfs locked down)", SPLIT_HUGE_PAGES);
	ASSERT_EQ(0, ret) TH_LOG("writing '%s' to %s: %s", cmd, SPLIT_HUGE_PAGES, strerror(-ret));
	ASSERT_FALSE(!!(kpageflags_of(w->addr) & (1ULL << KPF_THP_BIT)))
		TH_LOG("the folio is still a THP after %s", SPLIT_HUGE_PAGES);
	for (i = 0; i < self->nr; i++) {
		pm = WP_STATE(w, 0, i);
		ASSERT_BEHAVIOUR("WP-MARKER-ZAP", pm & PM_UFFD_WP,
				 "page %zu lost uffd-wp in the folio split: entry 0x%llx",
				 i, (unsigned long long)pm);
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		ASSERT_WRITE_WP_FAULTS("WP-MARKER-ZAP", w->uffd, wp_page(w, probes[i] % self->nr),
				       w->unit, 0x34);
		ASSERT_TRUE(wp_page_holds(w, probes[i] % self->nr, 1,
					  page_pattern(WP_AREA_SEED, probes[i] % self->nr), &seen))
			TH_LOG("page %zu holds 0x%02x after the split", probes[i], seen);
	}
}

TEST_HARNESS_MAIN
