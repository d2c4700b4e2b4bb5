// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-wp PTE markers on shmem and hugetlbfs (catalog rows WP-MARKER-NONE,
 * WP-MARKER-FAULT, WP-PAGEMAP, WP-COPY-MODE). File memory keeps its data in
 * the page cache while no PTE maps it, so write-protecting it must protect
 * the PTEs that are still none: the kernel (5.19+) installs a uffd-wp PTE
 * marker there. Without the marker, the next write would fault the page in
 * writable and the userfaultfd user (a live snapshot, a migration) would never
 * hear of it. Each test runs on shmem and hugetlbfs, MAP_SHARED and
 * MAP_PRIVATE, and watches every access that may fault from the test thread
 * through userfaultfd messages, never through sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "kselftest_harness.h"
#include "access.h"
#include "behaviour.h"
#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"
#include "wp_area.h"
#include "wp_expect.h"

#define NR_SHMEM_PAGES	16
#define NR_HUGE_PAGES	2
/* Generous: a fault under TCG takes milliseconds, never seconds. */
#define FAULT_TIMEOUT_MS 5000

FIXTURE(markers) {
	struct wp_area w;
};

FIXTURE_VARIANT(markers) {
	enum mem_kind kind;
	bool shared;
};

FIXTURE_VARIANT_ADD(markers, shmem_shared) { .kind = MEM_SHMEM, .shared = true };
FIXTURE_VARIANT_ADD(markers, shmem_private) { .kind = MEM_SHMEM, .shared = false };
FIXTURE_VARIANT_ADD(markers, hugetlb_shared) { .kind = MEM_HUGETLB, .shared = true };
FIXTURE_VARIANT_ADD(markers, hugetlb_private) { .kind = MEM_HUGETLB, .shared = false };

static void area_setup(struct __test_metadata *_metadata, struct wp_area *w,
			  enum mem_kind kind, bool shared, uint64_t reg_mode, bool fill)
{
	size_t nr = kind == MEM_HUGETLB ? NR_HUGE_PAGES : NR_SHMEM_PAGES;
	uint64_t missing = 0;
	const char *why;
	int ret;

	ret = wp_area_setup(w, kind, shared, nr, WP_FILE_FEATURES, reg_mode, &missing, &why);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "userfaultfd lacks uffd-wp on shmem/hugetlbfs (features 0x%llx missing; arm64 has it from 6.10)",
		     (unsigned long long)missing);
	if (ret == -ENOMEM && kind == MEM_HUGETLB)
		SKIP(return, "could not reserve huge pages: %s", why);
	ASSERT_EQ(0, ret) TH_LOG("setup failed at %s: %s", why, strerror(-ret));
	if (!fill)
		ASSERT_EQ(0, fallocate(w->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, w->len))
			TH_LOG("emptying the file's page cache: %s", strerror(errno));
}

FIXTURE_SETUP(markers)
{
	area_setup(_metadata, &self->w, variant->kind, variant->shared,
		      UFFDIO_REGISTER_MODE_WP, true);
}

FIXTURE_TEARDOWN(markers)
{
	wp_area_teardown(&self->w);
	ASSERT_EQ(0, knob_restore_all());
}

/*
 * Write @value to the first byte of page @i on a helper thread and expect
 * exactly the WP fault for that page; then resolve it by clearing uffd-wp on
 * the page and let the write finish.
 */
static void write_expect_wp_fault(struct __test_metadata *_metadata, const char *row,
				  struct wp_area *w, size_t i, unsigned char value)
{
	struct uffd_msg msg;
	struct access a;
	int ret;

	ASSERT_EQ(0, access_start(&a, wp_page(w, i), true, value));
	ret = access_wait(&a, w->uffd, &msg, FAULT_TIMEOUT_MS);
	ASSERT_LE(0, ret) TH_LOG("waiting for the write to page %zu: %s", i, strerror(-ret));
	ASSERT_BEHAVIOUR(row, ret == 1, "write to write-protected page %zu completed without a uffd message (entry 0x%llx)",
			 i, (unsigned long long)wp_state(w, 0, i));
	ASSERT_BEHAVIOUR(row, uffd_msg_is_wp_at(&msg, wp_page(w, i), w->unit),
			 "write to page %zu raised event %u flags 0x%llx at 0x%llx, expected a WP fault at %p",
			 i, msg.event, (unsigned long long)msg.arg.pagefault.flags,
			 (unsigned long long)msg.arg.pagefault.address, wp_page(w, i));
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, wp_page(w, i), w->unit, false));
	ASSERT_EQ(0, access_join(&a, FAULT_TIMEOUT_MS))
		TH_LOG("write to page %zu still blocked after clearing uffd-wp", i);
	ASSERT_FALSE(uffd_msg_pending(w->uffd, &msg))
		TH_LOG("a second message (event %u flags 0x%llx) for one write to page %zu",
		       msg.event, (unsigned long long)msg.arg.pagefault.flags, i);
}

TEST_F(markers, wp_of_none_pte_installs_marker_and_write_faults)
{
	struct wp_area *w = &self->w;
	unsigned char seen = 0;
	uint64_t pm;
	size_t i;

	BEHAVIOUR("WP-MARKER-NONE");
	/* No PTE maps the file yet: every entry is none before the protect. */
	for (i = 0; i < w->nr; i++)
		ASSERT_FALSE(!!(WP_STATE(w, 0, i) & PM_PRESENT))
			TH_LOG("page %zu is mapped before any access", i);
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, true));
	for (i = 0; i < w->nr; i++) {
		pm = WP_STATE(w, 0, i);
		ASSERT_BEHAVIOUR("WP-MARKER-NONE", (pm & PM_UFFD_WP) && !(pm & PM_PRESENT),
				 "page %zu: expected a uffd-wp marker (not present, uffd-wp), entry 0x%llx",
				 i, (unsigned long long)pm);
		ASSERT_MODULE_VIEW("WP-MARKER-NONE", 0, wp_page(w, i), w->unit, VIEW_MARKER_WP);
	}
	for (i = 0; i < w->nr; i++) {
		write_expect_wp_fault(_metadata, "WP-MARKER-NONE", w, i, 0xee);
		ASSERT_BEHAVIOUR("WP-MARKER-NONE",
				 wp_page_holds(w, i, 1, page_pattern(WP_AREA_SEED, i), &seen),
				 "page %zu after the resolved write holds 0x%02x, expected the page cache's 0x%02x",
				 i, seen, page_pattern(WP_AREA_SEED, i));
		ASSERT_EQ(0xee, *(unsigned char *)wp_page(w, i));
	}
}

TEST_F(markers, pagemap_reports_wp_on_markers_and_present_ptes)
{
	struct wp_area *w = &self->w;
	volatile unsigned char sink;
	uint64_t pm;
	size_t i;

	BEHAVIOUR("WP-PAGEMAP");
	/* Even pages get a present PTE before the protect, odd ones stay none. */
	for (i = 0; i < w->nr; i += 2)
		sink = *(unsigned char *)wp_page(w, i);
	(void)sink;
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, true));
	for (i = 0; i < w->nr; i++) {
		bool present = !(i & 1);

		pm = wp_pagemap(w, i);
		ASSERT_EQ(present, !!(pm & PM_PRESENT))
			TH_LOG("page %zu: expected %s, pagemap 0x%llx", i,
			       present ? "present" : "not present", (unsigned long long)pm);
		ASSERT_BEHAVIOUR("WP-PAGEMAP", pm & PM_UFFD_WP,
				 "%s page %zu: pagemap 0x%llx lacks PM_UFFD_WP after UFFDIO_WRITEPROTECT",
				 present ? "present" : "marker", i, (unsigned long long)pm);
	}
	/* And clearing the protection clears the bit on both kinds of entry. */
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, false));
	for (i = 0; i < w->nr; i++) {
		pm = wp_pagemap(w, i);
		ASSERT_BEHAVIOUR("WP-PAGEMAP", !(pm & PM_UFFD_WP),
				 "page %zu: pagemap 0x%llx still has PM_UFFD_WP after unprotect",
				 i, (unsigned long long)pm);
	}
}

TEST_F(markers, read_fault_on_marker_maps_readonly_and_keeps_wp)
{
	struct wp_area *w = &self->w;
	struct uffd_msg msg;
	struct access a;
	uint64_t pm;
	size_t i = w->nr - 1;
	int ret;

	BEHAVIOUR("WP-MARKER-FAULT");
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, true));
	ASSERT_FALSE(!!(WP_STATE(w, 0, i) & PM_PRESENT));

	/* The read: no message, the page cache's data, a present uffd-wp PTE. */
	ASSERT_EQ(0, access_start(&a, wp_page(w, i), false, 0));
	ret = access_wait(&a, w->uffd, &msg, FAULT_TIMEOUT_MS);
	ASSERT_BEHAVIOUR("WP-MARKER-FAULT", ret == 0,
			 "read of marker page %zu: expected no uffd message, got %s (event %u flags 0x%llx)",
			 i, ret == 1 ? "one" : strerror(-ret), msg.event,
			 (unsigned long long)msg.arg.pagefault.flags);
	ASSERT_EQ(0, access_join(&a, FAULT_TIMEOUT_MS));
	ASSERT_EQ(page_pattern(WP_AREA_SEED, i), a.value)
		TH_LOG("read of page %zu returned 0x%02x", i, a.value);
	pm = WP_STATE(w, 0, i);
	ASSERT_BEHAVIOUR("WP-MARKER-FAULT", (pm & PM_PRESENT) && (pm & PM_UFFD_WP),
			 "after a read fault on marker page %zu: expected a present uffd-wp PTE, entry 0x%llx",
			 i, (unsigned long long)pm);
	ASSERT_MODULE_VIEW("WP-MARKER-FAULT", 0, wp_page(w, i), w->unit, VIEW_PRESENT_WP);

	/* The write: exactly one WP message; resolved, the write lands. */
	write_expect_wp_fault(_metadata, "WP-MARKER-FAULT", w, i, 0x11);
	pm = WP_STATE(w, 0, i);
	ASSERT_BEHAVIOUR("WP-MARKER-FAULT", (pm & PM_PRESENT) && !(pm & PM_UFFD_WP),
			 "after the resolved write page %zu should be present without uffd-wp, entry 0x%llx",
			 i, (unsigned long long)pm);
	ASSERT_MODULE_VIEW("WP-MARKER-FAULT", 0, wp_page(w, i), w->unit, VIEW_PRESENT);
	ASSERT_EQ(0x11, *(unsigned char *)wp_page(w, i));

	/* And the next write goes through without a message. */
	ASSERT_EQ(0, access_start(&a, wp_page(w, i) + 1, true, 0x22));
	ret = access_wait(&a, w->uffd, &msg, FAULT_TIMEOUT_MS);
	ASSERT_BEHAVIOUR("WP-MARKER-FAULT", ret == 0,
			 "second write to unprotected page %zu: expected no message, got %d", i, ret);
	ASSERT_EQ(0, access_join(&a, FAULT_TIMEOUT_MS));
}

/* UFFDIO_COPY into an empty file with UFFDIO_COPY_MODE_WP. */
FIXTURE(copy) {
	struct wp_area w;
};

FIXTURE_VARIANT(copy) {
	enum mem_kind kind;
	bool shared;
};

FIXTURE_VARIANT_ADD(copy, shmem_shared) { .kind = MEM_SHMEM, .shared = true };
FIXTURE_VARIANT_ADD(copy, shmem_private) { .kind = MEM_SHMEM, .shared = false };
FIXTURE_VARIANT_ADD(copy, hugetlb_shared) { .kind = MEM_HUGETLB, .shared = true };
FIXTURE_VARIANT_ADD(copy, hugetlb_private) { .kind = MEM_HUGETLB, .shared = false };

FIXTURE_SETUP(copy)
{
	area_setup(_metadata, &self->w, variant->kind, variant->shared,
		      UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP, false);
}

FIXTURE_TEARDOWN(copy)
{
	wp_area_teardown(&self->w);
	ASSERT_EQ(0, knob_restore_all());
}

TEST_F(copy, copy_mode_wp_installs_write_protected_pte)
{
	struct wp_area *w = &self->w;
	unsigned char *src, seen = 0;
	int64_t copied = 0;
	uint64_t pm;
	size_t i = 1;

	BEHAVIOUR("WP-COPY-MODE");
	src = mmap(NULL, w->unit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	memset(src, 0x77, w->unit);
	ASSERT_EQ(0, uffd_copy(w->uffd, wp_page(w, i), src, w->unit, UFFDIO_COPY_MODE_WP, &copied))
		TH_LOG("UFFDIO_COPY of page %zu: copied %lld", i, (long long)copied);
	pm = WP_STATE(w, 0, i);
	ASSERT_BEHAVIOUR("WP-COPY-MODE", (pm & PM_PRESENT) && (pm & PM_UFFD_WP),
			 "page %zu after UFFDIO_COPY_MODE_WP: expected present and uffd-wp, entry 0x%llx",
			 i, (unsigned long long)pm);
	ASSERT_MODULE_VIEW("WP-COPY-MODE", 0, wp_page(w, i), w->unit, VIEW_PRESENT_WP);
	ASSERT_TRUE(wp_page_holds(w, i, 0, 0x77, &seen))
		TH_LOG("copied page %zu holds 0x%02x, expected 0x77", i, seen);
	write_expect_wp_fault(_metadata, "WP-COPY-MODE", w, i, 0x78);
	munmap(src, w->unit);
}

TEST_HARNESS_MAIN
