// SPDX-License-Identifier: GPL-2.0
/*
 * THP collapse of a range under userfaultfd read-write protection (catalog
 * row RWP-COLLAPSE; 7.3, "mm: handle VM_UFFD_RWP in khugepaged, rmap and
 * gup"). An RWP-protected entry is a present PROT_NONE PTE carrying the uffd
 * bit: the next access raises an RWP fault, and PAGEMAP_SCAN reports
 * PAGE_IS_ACCESSED per entry once the bit is gone. A PMD cannot carry that
 * per page, so collapse must never turn protected pages into an accessible
 * mapping. The 7.3 rule, read in mm/khugepaged.c:
 *
 *  - anon: the scan refuses a PTE with the uffd bit (SCAN_PTE_UFFD), so
 *    MADV_COLLAPSE fails EINVAL and every entry stays protected;
 *  - shmem: the page cache collapses (collapse_file() unmaps the small
 *    pages, and an unmapped page is out of the RWP working set: the
 *    documented "no persistent RWP marker"), but userfaultfd_protected()
 *    keeps the page table of an RWP VMA (no retract, and MADV_COLLAPSE's
 *    PMD step fails SCAN_PTE_UFFD, EINVAL), so a later read maps exactly
 *    the page it reads, and re-protected pages of the THP stay protected.
 *
 * What the tests require, from the kernel's evidence: no page reads as
 * accessed (PAGE_IS_ACCESSED) without being touched, no PMD mapping in the
 * RWP VMA, a read of a still-present page raises the RWP fault, a read of an
 * unmapped one maps that page alone, and the data is intact. uffdscope.ko
 * must see the same entries (protnone=uffd_rwp or none). Kernels without
 * UFFD_FEATURE_RWP SKIP; kernels without THP SKIP the collapse.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "access.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "kind_area.h"
#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"
#include "wp_scope.h"

#define ROW		"RWP-COLLAPSE"
#define SEED		0x61
#define WAIT_MS		10000
/* khugepaged under TCG: as in wp_collapse.c */
#define KHUGEPAGED_DEADLINE_S 90

static int rwprotect(int uffd, void *addr, size_t len, bool protect)
{
	struct uffdio_rwprotect rw = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = protect ? UFFDIO_RWPROTECT_MODE_RWP : 0,
	};

	return ioctl(uffd, UFFDIO_RWPROTECT, &rw) ? -errno : 0;
}

static int fill_cache(const struct kind_area *a, size_t i)
{
	char buf[4096];
	size_t off;

	memset(buf, kind_pattern(SEED, i), sizeof(buf));
	for (off = 0; off < a->unit; off += sizeof(buf))
		if (pwrite(a->fd, buf, sizeof(buf), (off_t)(i * a->unit + off)) != sizeof(buf))
			return -errno;
	return 0;
}

/* One RWP-registered, fully protected PMD of small pages. */
struct rwp_area {
	struct kind_area a;
	int uffd;
	int pagemap;
	const char *pmd_field;	/* the smaps line of a PMD mapping of this kind */
};

static __attribute__((noinline)) void rwp_area_setup(struct __test_metadata *_metadata,
						     struct rwp_area *r, enum area_kind kind)
{
	struct kind_area *a = &r->a;
	const char *why = "";
	uint64_t missing = 0;
	long n;
	size_t i;
	int ret;

	r->uffd = -1;
	r->a.fd = -1;
	r->pmd_field = kind == AREA_ANON ? "AnonHugePages" : "ShmemPmdMapped";
	r->pagemap = pagemap_open(0);
	ASSERT_LE(0, r->pagemap);
	r->uffd = uffd_open(UFFD_FEATURE_RWP, &missing);
	if (r->uffd == -EOPNOTSUPP)
		SKIP(return, "UFFD_FEATURE_RWP not offered by this kernel (read-write protection is 7.3+, CONFIG_USERFAULTFD_RWP)");
	ASSERT_LE(0, r->uffd) TH_LOG("userfaultfd: %s", strerror(-r->uffd));
	THP_REQUIRE();
	ret = kind_area_map(a, kind, true, pages_per_pmd(), &why);
	ASSERT_EQ(0, ret) TH_LOG("mapping: %s: %s", why, strerror(-ret));
	/* Small pages, every one present: the range collapse would take. */
	ASSERT_EQ(0, madvise_no_thp(a->addr, a->len));
	for (i = 0; i < a->nr; i++) {
		if (kind == AREA_SHMEM)
			ASSERT_EQ(0, fill_cache(a, i));
		kind_fill(a, i, SEED);
	}
	ret = uffd_register(r->uffd, a->addr, a->len, UFFDIO_REGISTER_MODE_RWP);
	if (ret == -EINVAL)
		SKIP(return, "UFFDIO_REGISTER_MODE_RWP on %s: EINVAL", area_kind_name(kind));
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_REGISTER RWP: %s", strerror(-ret));
	ASSERT_EQ(0, rwprotect(r->uffd, a->addr, a->len, true));
	/* MADV_COLLAPSE honours VM_NOHUGEPAGE: lift it. */
	ASSERT_EQ(0, madvise(a->addr, a->len, MADV_HUGEPAGE));
	n = pagemap_scan_count(r->pagemap, a->addr, a->len, PAGE_IS_ACCESSED);
	ASSERT_EQ(0, n) TH_LOG("PAGEMAP_SCAN PAGE_IS_ACCESSED right after UFFDIO_RWPROTECT: %ld", n);
}

static void rwp_area_teardown(struct rwp_area *r)
{
	if (r->uffd >= 0)
		close(r->uffd);
	kind_area_unmap(&r->a);
	if (r->pagemap >= 0)
		close(r->pagemap);
}

FIXTURE(rwp_collapse) {
	struct rwp_area r;
};

FIXTURE_VARIANT(rwp_collapse) {
	enum area_kind kind;
};

FIXTURE_VARIANT_ADD(rwp_collapse, anon) { .kind = AREA_ANON };
FIXTURE_VARIANT_ADD(rwp_collapse, shmem) { .kind = AREA_SHMEM };

FIXTURE_SETUP(rwp_collapse)
{
	rwp_area_setup(_metadata, &self->r, variant->kind);
}

FIXTURE_TEARDOWN(rwp_collapse)
{
	rwp_area_teardown(&self->r);
	ASSERT_EQ(0, knob_restore_all());
}

static size_t count_present(int pagemap, const struct kind_area *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->nr; i++)
		n += !!(pagemap_get(pagemap, kind_page(a, i)) & PM_PRESENT);
	return n;
}

/*
 * After a collapse attempt (@when): nothing accessible without a touch, no
 * PMD mapping; every present entry is still protected (pagemap's uffd bit),
 * and uffdscope.ko sees each probe the same way.
 */
static __attribute__((noinline)) void expect_untouched(struct __test_metadata *_metadata,
						       int pagemap, const struct kind_area *a,
						       const char *pmd_field, const char *when)
{
	size_t probes[] = { 0, 1, a->nr / 2, a->nr - 1 }, i;
	long accessed = pagemap_scan_count(pagemap, a->addr, a->len, PAGE_IS_ACCESSED);
	long pmd_kb = smaps_kb(a->addr, pmd_field);
	struct wp_seen seen;
	uint64_t pm;

	ASSERT_LE(0, accessed) TH_LOG("PAGEMAP_SCAN: %s", strerror((int)-accessed));
	ASSERT_BEHAVIOUR(ROW, pmd_kb == 0, "%s: the RWP range is PMD-mapped (%s %ld kB)",
			 when, pmd_field, pmd_kb);
	ASSERT_BEHAVIOUR(ROW, accessed == 0,
			 "%s: %ld pages read as accessed (PAGE_IS_ACCESSED) though none was touched",
			 when, accessed);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		pm = pagemap_get(pagemap, kind_page(a, probes[i]));
		ASSERT_BEHAVIOUR(ROW, !(pm & PM_PRESENT) || (pm & PM_UFFD_WP),
				 "%s: page %zu is present without the uffd bit (pagemap 0x%llx)",
				 when, probes[i], (unsigned long long)pm);
		if (wp_scope_seen(0, kind_page(a, probes[i]), a->unit, &seen) == -ENODEV)
			continue;
		ASSERT_WITNESS(seen.view == ((pm & PM_PRESENT) ? VIEW_PRESENT_RWP : VIEW_NONE),
			       "%s: page %zu: pagemap present=%d uffd=%d, module %s (kind=%s level=%s)",
			       when, probes[i], !!(pm & PM_PRESENT), !!(pm & PM_UFFD_WP),
			       wp_view_name(seen.view), seen.kind, seen.level);
	}
}

static bool is_rwp_fault_at(const struct uffd_msg *msg, const void *page, size_t unit)
{
	uintptr_t at = (uintptr_t)msg->arg.pagefault.address;

	return msg->event == UFFD_EVENT_PAGEFAULT &&
	       (msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_RWP) &&
	       at >= (uintptr_t)page && at < (uintptr_t)page + unit;
}

/*
 * Read page @i: if it is present (protected), the read must raise its RWP
 * fault, resolved by unprotecting that page; if the collapse unmapped it,
 * the read must map that page alone. Either way afterwards exactly one page
 * reads as accessed, and the byte read is the page's own.
 */
static __attribute__((noinline)) void expect_read(struct __test_metadata *_metadata, int uffd,
						  int pagemap, const struct kind_area *a, size_t i,
						  const char *when)
{
	char *p = kind_page(a, i);
	bool was_present = pagemap_get(pagemap, p) & PM_PRESENT;
	size_t before = count_present(pagemap, a), after;
	struct uffd_msg msg;
	struct access acc;
	long accessed;
	int ret;

	memset(&msg, 0, sizeof(msg));
	ASSERT_EQ(0, access_start(&acc, p, false, 0));
	ret = access_wait(&acc, uffd, &msg, WAIT_MS);
	ASSERT_LE(0, ret) TH_LOG("%s: waiting for the read of page %zu: %s", when, i, strerror(-ret));
	if (ret == 1)
		ASSERT_EQ(0, rwprotect(uffd, p, a->unit, false));
	ASSERT_EQ(0, access_join(&acc, WAIT_MS)) TH_LOG("%s: the read of page %zu stayed blocked", when, i);
	fprintf(stderr, "# %s: %s: read of page %zu (%s): %s\n", ROW, when, i,
		was_present ? "present, protected" : "unmapped by the collapse",
		ret == 1 ? "RWP fault" : "no message");
	if (was_present)
		ASSERT_BEHAVIOUR(ROW, ret == 1 && is_rwp_fault_at(&msg, p, a->unit),
				 "%s: reading protected page %zu raised %s (event %u flags 0x%llx)",
				 when, i, ret == 1 ? "another message" : "no RWP fault", msg.event,
				 (unsigned long long)msg.arg.pagefault.flags);
	else
		ASSERT_EQ(0, ret) TH_LOG("%s: reading unmapped page %zu raised event %u flags 0x%llx",
					 when, i, msg.event, (unsigned long long)msg.arg.pagefault.flags);
	ASSERT_EQ(kind_pattern(SEED, i), acc.value)
		TH_LOG("%s: page %zu read 0x%02x", when, i, acc.value);
	after = count_present(pagemap, a);
	accessed = pagemap_scan_count(pagemap, a->addr, a->len, PAGE_IS_ACCESSED);
	ASSERT_BEHAVIOUR(ROW, accessed == 1 && after == before + !was_present,
			 "%s: one read of page %zu left %ld pages accessed and %zu present (%zu before)",
			 when, i, accessed, after, before);
}

/* Unprotect everything and check every page's bytes. */
static __attribute__((noinline)) void expect_data(struct __test_metadata *_metadata, int uffd,
						  const struct kind_area *a, const char *when)
{
	unsigned char seen = 0;
	size_t i;

	ASSERT_EQ(0, rwprotect(uffd, a->addr, a->len, false));
	for (i = 0; i < a->nr; i++)
		ASSERT_BEHAVIOUR(ROW, kind_holds(kind_page(a, i), a->unit, kind_pattern(SEED, i), &seen),
				 "%s: page %zu holds 0x%02x, expected 0x%02x", when, i, seen,
				 kind_pattern(SEED, i));
}

TEST_F(rwp_collapse, madv_collapse_never_unprotects)
{
	char verdict[16], verdict2[16], answer[2048];
	struct kind_area *a = &self->r.a;
	size_t probe = a->nr / 2;
	int ret, ret2, pred, pred2;

	BEHAVIOUR(ROW);
	pred = collapse_predicted(a->addr, verdict, answer, sizeof(answer));
	ret = madv_collapse(a->addr, a->len);
	fprintf(stderr, "# %s: %s: MADV_COLLAPSE of a fully RWP-protected PMD: %s, %zu of %zu pages still present\n",
		ROW, area_kind_name(variant->kind), collapse_errname(ret),
		count_present(self->r.pagemap, a), a->nr);
	expect_untouched(_metadata, self->r.pagemap, a, self->r.pmd_field, "after MADV_COLLAPSE");
	expect_read(_metadata, self->r.uffd, self->r.pagemap, a, probe, "after MADV_COLLAPSE");
	/*
	 * Protect again what is mapped now (shmem: a PTE into the new THP) and
	 * collapse again: the THP is there, only the mapping is left to do.
	 */
	ASSERT_EQ(0, rwprotect(self->r.uffd, a->addr, a->len, true));
	pred2 = collapse_predicted(a->addr, verdict2, answer, sizeof(answer));
	ret2 = madv_collapse(a->addr, a->len);
	fprintf(stderr, "# %s: %s: a second MADV_COLLAPSE after re-protecting: %s, page %zu in a THP: %d\n",
		ROW, area_kind_name(variant->kind), collapse_errname(ret2), probe,
		!!(kpageflags_of(kind_page(a, probe)) & (1ULL << KPF_THP_BIT)));
	expect_untouched(_metadata, self->r.pagemap, a, self->r.pmd_field, "after a second MADV_COLLAPSE");
	expect_read(_metadata, self->r.uffd, self->r.pagemap, a, probe, "after a second MADV_COLLAPSE");
	expect_data(_metadata, self->r.uffd, a, "after both collapses");
	ASSERT_COLLAPSE_WITNESS(pred, verdict, answer, ret);
	ASSERT_COLLAPSE_WITNESS(pred2, verdict2, answer, ret2);
}

/*
 * The calibration: the same registered range, unprotected, does collapse,
 * so a refusal above is the protection's doing, not the memory's. Anon: into
 * a PMD mapping. Shmem: the page cache becomes a THP, while the RWP VMA keeps
 * its page table whatever its entries hold (userfaultfd_protected()), so
 * MADV_COLLAPSE still fails its PMD step there (7.3: EINVAL).
 */
TEST_F(rwp_collapse, unprotected_control_collapses)
{
	char verdict[16], answer[2048];
	struct kind_area *a = &self->r.a;
	bool thp;
	int ret, pred;

	ASSERT_EQ(0, rwprotect(self->r.uffd, a->addr, a->len, false));
	pred = collapse_predicted(a->addr, verdict, answer, sizeof(answer));
	ret = madv_collapse(a->addr, a->len);
	/* read page 0 (mapped again if the collapse unmapped it) to see its folio */
	ASSERT_EQ(kind_pattern(SEED, 0), *(volatile unsigned char *)a->addr);
	thp = kpageflags_of(a->addr) & (1ULL << KPF_THP_BIT);
	fprintf(stderr, "# %s: %s: MADV_COLLAPSE of the unprotected RWP-registered PMD: %s; %s %ld kB; in a THP: %d\n",
		ROW, area_kind_name(variant->kind), collapse_errname(ret), self->r.pmd_field,
		smaps_kb(a->addr, self->r.pmd_field), thp);
	if (ret == -ENOMEM)
		SKIP(return, "MADV_COLLAPSE: ENOMEM (no huge page to collapse into)");
	if (variant->kind == AREA_ANON)
		ASSERT_EQ(0, ret) TH_LOG("MADV_COLLAPSE of an unprotected range: %s",
					 collapse_errname(ret));
	ASSERT_TRUE(thp) TH_LOG("MADV_COLLAPSE (%s) of an unprotected range made no THP",
				collapse_errname(ret));
	expect_data(_metadata, self->r.uffd, a, "after the control's collapse");
	ASSERT_COLLAPSE_WITNESS(pred, verdict, answer, ret);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * khugepaged, driven through a second, unregistered mapping of the same file
 * that asks for huge pages: it collapses the page cache (observable: the
 * file's page becomes a THP), and the RWP mapping must come out as after
 * MADV_COLLAPSE. Only shmem: for anon, khugepaged's refusal is a thing that
 * does not happen, and no event tells when it has had its chance (the anon
 * scan's refusal is MADV_COLLAPSE's, checked above).
 */
FIXTURE(rwp_khugepaged) {
	struct rwp_area r;
};

FIXTURE_SETUP(rwp_khugepaged)
{
	rwp_area_setup(_metadata, &self->r, AREA_SHMEM);
}

FIXTURE_TEARDOWN(rwp_khugepaged)
{
	rwp_area_teardown(&self->r);
	ASSERT_EQ(0, knob_restore_all());
}

TEST_F_TIMEOUT(rwp_khugepaged, shmem_khugepaged_never_unprotects, KHUGEPAGED_DEADLINE_S + 30)
{
	struct timespec poll_gap = { .tv_nsec = 20 * 1000 * 1000 };
	struct kind_area *a = &self->r.a;
	char to_scan[24], *other;
	double deadline;
	int compact;

	BEHAVIOUR(ROW);
	other = mmap_aligned(a->len, pmd_size(), PROT_READ, MAP_SHARED, a->fd, 0);
	ASSERT_NE(MAP_FAILED, other);
	THP_KNOB_SET(THP_ENABLED, "madvise");
	THP_KNOB_SET(THP_SHMEM, "advise");
	THP_KNOB_SET(KHUGEPAGED_DIR "/scan_sleep_millisecs", "0");
	THP_KNOB_SET(KHUGEPAGED_DIR "/alloc_sleep_millisecs", "0");
	snprintf(to_scan, sizeof(to_scan), "%zu", 8 * pages_per_pmd());
	THP_KNOB_SET(KHUGEPAGED_DIR "/pages_to_scan", to_scan);
	ASSERT_EQ(0, madvise(other, a->len, MADV_HUGEPAGE));
	ASSERT_EQ(0, madvise(other, a->len, MADV_HUGEPAGE));
	compact = open("/proc/sys/vm/compact_memory", O_WRONLY);
	if (compact >= 0) {
		if (write(compact, "1", 1) != 1)
			TH_LOG("compact_memory: %s", strerror(errno));
		close(compact);
	}
	/* Polled, as the kernel gives no event for a collapse, to a bounded deadline. */
	deadline = now_s() + KHUGEPAGED_DEADLINE_S;
	for (;;) {
		(void)*(volatile char *)other;
		if (kpageflags_of(other) & (1ULL << KPF_THP_BIT))
			break;
		ASSERT_TRUE(now_s() < deadline)
			TH_LOG("khugepaged did not collapse the file in %d s", KHUGEPAGED_DEADLINE_S);
		nanosleep(&poll_gap, NULL);
	}
	expect_untouched(_metadata, self->r.pagemap, a, self->r.pmd_field, "after khugepaged's collapse");
	expect_read(_metadata, self->r.uffd, self->r.pagemap, a, a->nr / 2, "after khugepaged's collapse");
	expect_data(_metadata, self->r.uffd, a, "after khugepaged's collapse");
	munmap(other, a->len);
}

TEST_HARNESS_MAIN
