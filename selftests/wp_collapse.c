// SPDX-License-Identifier: GPL-2.0
/*
 * Collapse of shmem page cache must leave the page table of a
 * uffd-wp-registered VMA in place (catalog row COLLAPSE-KEEP-WP-TABLES,
 * "khugepaged: don't recycle vma pgtable if uffd-wp registered", 5.19).
 * After a collapse, the kernel retracts the PTE tables of every VMA mapping
 * the range so they can fault the THP back in by PMD; retracting the table of
 * a uffd-wp VMA would throw away its markers and wp bits, and its next write
 * would land without a WP fault. Here a second, unregistered mapping of the
 * same file triggers the collapse, through MADV_COLLAPSE and through
 * khugepaged at its fastest scan setting.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"
#include "wp_expect.h"

#define ROW "COLLAPSE-KEEP-WP-TABLES"
/* Pages of the registered mapping given a present PTE before the protect. */
#define NR_PRESENT 16
/* khugepaged under TCG: one full scan takes well under this. */
#define KHUGEPAGED_DEADLINE_S 90

FIXTURE(collapse) {
	struct wp_area w;	/* the registered, write-protected mapping */
	char *other;		/* an unregistered mapping of the same file */
	size_t nr;
};

static __attribute__((noinline)) void two_mappings_setup(struct __test_metadata *_metadata,
							 struct wp_area *w, char **other,
							 size_t *nr)
{
	volatile unsigned char sink;
	size_t i;

	*nr = pages_per_pmd();
	WP_AREA_SETUP(w, MEM_SHMEM, true, *nr, WP_FILE_FEATURES, UFFDIO_REGISTER_MODE_WP);
	*other = mmap_pmd(w->memfd, w->len, true);
	ASSERT_NE(MAP_FAILED, *other);
	for (i = 0; i < NR_PRESENT; i++)
		sink = *(unsigned char *)wp_page(w, i);
	(void)sink;
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, true));
	/* The page cache starts as small pages, or there is nothing to collapse. */
	ASSERT_FALSE(!!(kpageflags_of(w->addr) & (1ULL << KPF_THP_BIT)))
		TH_LOG("the file is already a THP before any collapse");
}

FIXTURE_SETUP(collapse)
{
	two_mappings_setup(_metadata, &self->w, &self->other, &self->nr);
}

FIXTURE_TEARDOWN(collapse)
{
	munmap(self->other, self->w.len);
	wp_area_teardown(&self->w);
	ASSERT_EQ(0, knob_restore_all());
}

static bool file_is_thp(const char *other)
{
	/* Reading through the unregistered mapping faults the page cache in. */
	(void)*(volatile const char *)other;
	return kpageflags_of(other) & (1ULL << KPF_THP_BIT);
}

/* The registered mapping after the collapse: table, markers, WP faults. */
static __attribute__((noinline)) void expect_wp_kept(struct __test_metadata *_metadata,
						     struct wp_area *w, size_t nr)
{
	size_t probes[] = { 0, NR_PRESENT - 1, NR_PRESENT, nr / 2, nr - 1 }, i;
	long pmd_kb = smaps_kb(w->addr, "ShmemPmdMapped");
	struct wp_seen seen;
	uint64_t pm;

	ASSERT_BEHAVIOUR(ROW, pmd_kb == 0,
			 "the uffd-wp mapping is PMD-mapped after the collapse (ShmemPmdMapped %ld kB): its page table was retracted",
			 pmd_kb);
	for (i = 0; i < nr; i++) {
		pm = WP_STATE(w, 0, i);
		ASSERT_BEHAVIOUR(ROW, pm & PM_UFFD_WP,
				 "page %zu of the uffd-wp mapping lost uffd-wp in the collapse: entry 0x%llx",
				 i, (unsigned long long)pm);
		if (!wp_scope_seen(0, wp_page(w, i), w->unit, &seen))
			ASSERT_WITNESS(!strcmp(seen.level, "pte") &&
				       (seen.view == VIEW_MARKER_WP || seen.view == VIEW_PRESENT_WP),
				       "page %zu of the uffd-wp mapping: pagemap uffd_wp=1 and no PMD mapping, module %s at level %s after the collapse",
				       i, wp_view_name(seen.view), seen.level);
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		ASSERT_WRITE_WP_FAULTS(ROW, w->uffd, wp_page(w, probes[i]), w->unit, 0xa5);
}

TEST_F(collapse, madv_collapse_keeps_wp_table_of_registered_vma)
{
	int ret;

	BEHAVIOUR(ROW);
	THP_REQUIRE();
	/*
	 * Give the unregistered mapping a page table first: 6.1's MADV_COLLAPSE
	 * collapses the page cache but then fails EINVAL (SCAN_PMD_NULL) when
	 * the calling mapping has no table to install the THP into.
	 */
	(void)*(volatile char *)self->other;
	ret = madv_collapse(self->other, self->w.len);
	ASSERT_EQ(0, ret) TH_LOG("MADV_COLLAPSE of the unregistered mapping: %s",
				 collapse_errname(ret));
	ASSERT_TRUE(file_is_thp(self->other)) TH_LOG("MADV_COLLAPSE returned 0 but the file is no THP");
	expect_wp_kept(_metadata, &self->w, self->nr);
}

/* /proc/vmstat counters that say why khugepaged did not collapse a file. */
static const char * const why_vmstat[] = {
	"thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_file_alloc",
	"thp_file_fallback", "thp_scan_exceed_none_pte", "thp_scan_exceed_swap_pte",
	"thp_scan_exceed_share_pte",
};
#define NR_WHY (sizeof(why_vmstat) / sizeof(why_vmstat[0]))
#define SCAN_FILE_EVENT "/sys/kernel/tracing/events/huge_memory/mm_khugepaged_scan_file/enable"
#define TRACE_FILE "/sys/kernel/tracing/trace"

static void vmstat_read(long *val)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char name[64];
	long v;
	size_t i;

	for (i = 0; i < NR_WHY; i++)
		val[i] = -1;
	while (f && fscanf(f, "%63s %ld", name, &v) == 2)
		for (i = 0; i < NR_WHY; i++)
			if (!strcmp(name, why_vmstat[i]))
				val[i] = v;
	if (f)
		fclose(f);
}

/* The last mm_khugepaged_scan_file event: present= and result= of the last scan. */
static void last_scan_file(char *buf, size_t len)
{
	FILE *f = fopen(TRACE_FILE, "r");
	char line[512];

	snprintf(buf, len, "no mm_khugepaged_scan_file event");
	while (f && fgets(line, sizeof(line), f)) {
		char *ev = strstr(line, "mm_khugepaged_scan_file:");

		if (ev) {
			ev[strcspn(ev, "\n")] = 0;
			snprintf(buf, len, "%s", ev);
		}
	}
	if (f)
		fclose(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The harness's timeout must outlast the deadline, or the teardown is lost. */
TEST_F_TIMEOUT(collapse, khugepaged_keeps_wp_table_of_registered_vma, KHUGEPAGED_DEADLINE_S + 30)
{
	struct timespec poll_gap = { .tv_nsec = 20 * 1000 * 1000 };
	double deadline;
	long scans0, scans = 0, why0[NR_WHY], why[NR_WHY];
	char to_scan[24], last[400];
	int compact, trace;

	BEHAVIOUR(ROW);
	/* khugepaged runs only while anonymous THP is not "never". */
	THP_KNOB_SET(THP_ENABLED, "madvise");
	THP_KNOB_SET(THP_SHMEM, "advise");
	THP_KNOB_SET(KHUGEPAGED_DIR "/scan_sleep_millisecs", "0");
	THP_KNOB_SET(KHUGEPAGED_DIR "/alloc_sleep_millisecs", "0");
	/* a few PMDs' worth of pages per pass, whatever a PMD maps here */
	snprintf(to_scan, sizeof(to_scan), "%zu", 8 * pages_per_pmd());
	THP_KNOB_SET(KHUGEPAGED_DIR "/pages_to_scan", to_scan);
	/*
	 * Only the unregistered mapping asks for huge pages. Twice: 6.1 checks
	 * shmem eligibility against the VMA's flags from before the madvise,
	 * so only the second call hands the mm to khugepaged.
	 */
	ASSERT_EQ(0, madvise(self->other, self->w.len, MADV_HUGEPAGE));
	ASSERT_EQ(0, madvise(self->other, self->w.len, MADV_HUGEPAGE));
	/*
	 * After the rest of the suite memory may be too fragmented for a huge
	 * page: compact it first (root; a failure only costs that help), so
	 * that khugepaged's allocation is not what decides the test.
	 */
	compact = open("/proc/sys/vm/compact_memory", O_WRONLY);
	if (compact >= 0) {
		if (write(compact, "1", 1) != 1)
			TH_LOG("compact_memory: %s", strerror(errno));
		close(compact);
	}
	/*
	 * Evidence for a failure: the result khugepaged gave its last scan of
	 * a file (tracefs, when mounted: best effort, restored by the teardown)
	 * and the THP counters it moves.
	 */
	if (!knob_set(SCAN_FILE_EVENT, "1")) {
		trace = open(TRACE_FILE, O_WRONLY | O_TRUNC);
		if (trace >= 0)
			close(trace);
	}
	vmstat_read(why0);
	scans0 = knob_read_long(KHUGEPAGED_DIR "/full_scans");
	ASSERT_LE(0, scans0);
	/*
	 * The observable condition: the page cache became a THP. Polled (the
	 * kernel gives no event for it) until a bounded deadline. Not a count
	 * of full scans: with scan_sleep_millisecs=0 they are nearly free, and
	 * on arm64 (6.12, 7.3) 127-140 of them passed in seconds without a
	 * collapse (why is not known yet: the diagnostics below print it);
	 * khugepaged gets the whole deadline.
	 */
	deadline = now_s() + KHUGEPAGED_DEADLINE_S;
	while (!file_is_thp(self->other)) {
		scans = knob_read_long(KHUGEPAGED_DIR "/full_scans");
		if (now_s() >= deadline) {
			size_t i;

			vmstat_read(why);
			for (i = 0; i < NR_WHY; i++)
				TH_LOG("%s +%ld", why_vmstat[i], why[i] - why0[i]);
			last_scan_file(last, sizeof(last));
			TH_LOG("%s", last);
		}
		ASSERT_TRUE(now_s() < deadline)
			TH_LOG("khugepaged did not collapse the file: %ld full scans in %d s",
			       scans - scans0, KHUGEPAGED_DEADLINE_S);
		nanosleep(&poll_gap, NULL);
	}
	TH_LOG("khugepaged collapsed the file after %ld full scans", scans - scans0);
	expect_wp_kept(_metadata, &self->w, self->nr);
}

TEST_HARNESS_MAIN
