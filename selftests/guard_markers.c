// SPDX-License-Identifier: GPL-2.0
/*
 * Guard regions and uffd-wp markers in one VMA (catalog row
 * GUARD-MARKER-UFFD). Since 6.13 a PTE marker is either a uffd-wp marker
 * (a write-protected entry with no page behind it) or a guard marker
 * (MADV_GUARD_INSTALL: any access is SIGSEGV), and the kernel treats them
 * differently everywhere a marker is handled (7.3 source):
 *
 *  - zap (zap_nonpresent_ptes): a guard marker stays through MADV_DONTNEED;
 *    a uffd-wp marker stays in a file VMA (and a zapped uffd-wp PTE there
 *    becomes one) but is dropped in an anonymous VMA;
 *  - fork (copy_pte_marker): a guard marker is always copied, a uffd-wp
 *    marker only into a child VMA that is still uffd-wp registered (with
 *    UFFD_FEATURE_EVENT_FORK); VM_MAYBE_GUARD makes fork copy the page
 *    table of a shmem VMA that has guards even without an anon_vma;
 *  - fault (handle_pte_marker): a guard is SIGSEGV, a uffd-wp marker a WP
 *    fault;
 *  - collapse: a guard in the range is never collapsed over (anon: the
 *    scan's swap-in of the marker fails; file: a VMA that may hold guards
 *    keeps its page table).
 *
 * A kernel that confused the two would lose guards where it drops uffd-wp
 * markers (an anonymous zap, a fork without EVENT_FORK), or keep uffd-wp
 * where only guards belong. Pagemap (PM_UFFD_WP, and PM_GUARD_REGION since
 * 6.14) and the accesses decide; uffdscope.ko must tell the two markers
 * apart (marker_guard=, marker_uffd_wp=). Kernels without guard regions
 * SKIP: the row is unsupported there. 7.3 installs guards in any VMA but
 * VM_SPECIAL, VM_HUGETLB and (to install) VM_LOCKED ones
 * (is_valid_guard_vma()): hugetlbfs has none, so anon and shmem are the
 * memory kinds here. The first guard kernels took anonymous memory only
 * (file mappings came with "mm: allow guard regions in file-backed and
 * read-only mappings"): there the shmem variants SKIP.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "guard.h"
#include "kind_area.h"
#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"
#include "wp_expect.h"

#define ROW		"GUARD-MARKER-UFFD"
#define NR_PAGES	16
#define SEED		0x3b

/* Page i's role: the VMA interleaves all three, so neighbours differ. */
enum role { ROLE_PRESENT_WP, ROLE_GUARD, ROLE_MARKER_WP };

static enum role role_of(size_t i)
{
	return i % 4 == 0 ? ROLE_PRESENT_WP : i % 4 == 1 ? ROLE_GUARD : ROLE_MARKER_WP;
}

/* What an entry must hold at some point of a test. */
enum want {
	WANT_GUARD,		/* guard marker: no uffd-wp, not present */
	WANT_MARKER_WP,		/* uffd-wp marker: uffd-wp, not present, no guard */
	WANT_PRESENT_WP,	/* present with uffd-wp */
	WANT_NONE,		/* nothing */
	WANT_NO_WP,		/* present or none, but neither uffd-wp nor guard */
};

static const char *want_name(enum want w)
{
	static const char * const names[] = {
		[WANT_GUARD] = "a guard marker",
		[WANT_MARKER_WP] = "a uffd-wp marker",
		[WANT_PRESENT_WP] = "present with uffd-wp",
		[WANT_NONE] = "none",
		[WANT_NO_WP] = "present or none without uffd-wp",
	};

	return names[w];
}

static bool pagemap_matches(uint64_t pm, enum want w)
{
	bool present = pm & PM_PRESENT, wp = pm & PM_UFFD_WP, guard = pm & PM_GUARD_REGION;

	switch (w) {
	case WANT_GUARD:
		return guard && !wp && !present;
	case WANT_MARKER_WP:
		return wp && !guard && !present;
	case WANT_PRESENT_WP:
		return wp && present;
	case WANT_NONE:
		return !(pm & (PM_PRESENT | PM_SWAP | PM_UFFD_WP | PM_GUARD_REGION));
	case WANT_NO_WP:
		return !wp && !guard && !(pm & PM_SWAP);
	}
	return false;
}

static bool module_matches(enum wp_view v, enum want w)
{
	switch (w) {
	case WANT_GUARD:
		return v == VIEW_MARKER_GUARD;
	case WANT_MARKER_WP:
		return v == VIEW_MARKER_WP;
	case WANT_PRESENT_WP:
		return v == VIEW_PRESENT_WP;
	case WANT_NONE:
		return v == VIEW_NONE;
	case WANT_NO_WP:
		return v == VIEW_NONE || v == VIEW_PRESENT;
	}
	return false;
}

/*
 * Page @i of process @pid (0: this one) must hold @w: pagemap decides (the
 * row), uffdscope.ko must agree (the witness).
 */
static __attribute__((noinline)) void expect_entry(struct __test_metadata *_metadata,
						   int pagemap, pid_t pid,
						   const struct kind_area *a, size_t i,
						   enum want w, const char *when)
{
	uint64_t pm = pagemap_get(pagemap, kind_page(a, i));
	struct wp_seen seen;
	int ret;

	ASSERT_BEHAVIOUR(ROW, pagemap_matches(pm, w),
			 "%s: page %zu should be %s; pagemap 0x%llx (present=%d swap=%d uffd_wp=%d guard=%d)",
			 when, i, want_name(w), (unsigned long long)pm, !!(pm & PM_PRESENT),
			 !!(pm & PM_SWAP), !!(pm & PM_UFFD_WP), !!(pm & PM_GUARD_REGION));
	ret = wp_scope_seen(pid, kind_page(a, i), a->unit, &seen);
	if (ret == -ENODEV)
		return;
	ASSERT_EQ(0, ret) TH_LOG("uffdscope ptes query: %s", strerror(-ret));
	ASSERT_WITNESS(module_matches(seen.view, w),
		       "%s: page %zu is %s by pagemap (0x%llx), module says %s (kind=%s level=%s)",
		       when, i, want_name(w), (unsigned long long)pm, wp_view_name(seen.view),
		       seen.kind, seen.level);
}

/* PAGEMAP_SCAN's own count of guard pages (6.14+) must match the layout. */
static __attribute__((noinline)) void expect_scan_guards(struct __test_metadata *_metadata,
							 int pagemap, const struct kind_area *a,
							 size_t want, const char *when)
{
	long n = pagemap_scan_count(pagemap, a->addr, a->len, PAGE_IS_GUARD);

	if (n == -EINVAL || n == -ENOTTY) {
		TH_LOG("%s: PAGEMAP_SCAN without PAGE_IS_GUARD here (%s): pagemap alone decides",
		       when, strerror((int)-n));
		return;
	}
	ASSERT_LE(0, n) TH_LOG("PAGEMAP_SCAN: %s", strerror((int)-n));
	ASSERT_BEHAVIOUR(ROW, (size_t)n == want,
			 "%s: PAGEMAP_SCAN finds %ld guard pages, expected %zu", when, n, want);
}

static size_t nr_guards(const struct kind_area *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->nr; i++)
		n += role_of(i) == ROLE_GUARD;
	return n;
}

static bool is_role_guard(const struct kind_area *a, size_t i)
{
	return role_of(i) == ROLE_GUARD;
}

/* Every guard page (@is_guard) must raise SIGSEGV at its address when read. */
static __attribute__((noinline)) void expect_guards_segv(struct __test_metadata *_metadata,
							 const struct kind_area *a,
							 bool (*is_guard)(const struct kind_area *, size_t),
							 const char *when)
{
	unsigned char byte = 0;
	size_t i;

	for (i = 0; i < a->nr; i++)
		if (is_guard(a, i))
			ASSERT_BEHAVIOUR(ROW, guard_read_segv(kind_page(a, i), &byte),
					 "%s: reading guard page %zu raised no SIGSEGV (read 0x%02x)",
					 when, i, byte);
}

/* Fill page @i of shmem's page cache through write(2): no PTE maps it. */
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

/*
 * SKIP with the precise reason when this kernel has no guard regions for
 * memory of @kind, given the -errno of a MADV_GUARD_INSTALL there.
 */
#define GUARD_SKIP_UNSUPPORTED(kind, ret) do {					\
	if ((ret) == -EINVAL && guard_probe_anon() == -EINVAL)			\
		SKIP(return, "MADV_GUARD_INSTALL not supported (EINVAL)");	\
	if ((ret) == -EINVAL && (kind) != AREA_ANON)				\
		SKIP(return, "MADV_GUARD_INSTALL on %s: EINVAL (guard regions for anonymous memory only here)", \
		     area_kind_name(kind));					\
} while (0)

FIXTURE(guard) {
	struct kind_area a;
	int uffd;
	int pagemap;
};

FIXTURE_VARIANT(guard) {
	enum area_kind kind;
};

FIXTURE_VARIANT_ADD(guard, anon) { .kind = AREA_ANON };
FIXTURE_VARIANT_ADD(guard, shmem) { .kind = AREA_SHMEM };

FIXTURE_SETUP(guard)
{
	uint64_t features = UFFD_FEATURE_PAGEFAULT_FLAG_WP, missing = 0;
	struct kind_area *a = &self->a;
	const char *why = "";
	size_t i;
	int ret;

	self->uffd = -1;
	self->a.fd = -1;
	self->pagemap = pagemap_open(0);
	ASSERT_LE(0, self->pagemap);
	ret = kind_area_map(a, variant->kind, true, NR_PAGES, &why);
	ASSERT_EQ(0, ret) TH_LOG("mapping: %s: %s", why, strerror(-ret));
	/* Small pages only: installing a guard in a THP would split it first. */
	ASSERT_EQ(0, madvise_no_thp(a->addr, a->len));
	for (i = 0; i < a->nr; i++) {
		/* shmem: every page cached, even behind a guard or a marker */
		if (variant->kind == AREA_SHMEM)
			ASSERT_EQ(0, fill_cache(a, i));
		if (role_of(i) == ROLE_PRESENT_WP)
			kind_fill(a, i, SEED);
	}
	/*
	 * Guards first, before any uffd-wp state: MADV_GUARD_INSTALL zaps what
	 * it finds and retries, but a zap keeps a shmem uffd-wp marker (and
	 * turns a uffd-wp PTE into one), so over those it retries through
	 * restart_syscall() for ever. Measured on 7.3.4 amd64: an install over
	 * one shmem uffd-wp marker was still running after 10 s.
	 */
	for (i = 0; i < a->nr; i++) {
		if (role_of(i) != ROLE_GUARD)
			continue;
		ret = guard_install(kind_page(a, i), a->unit);
		GUARD_SKIP_UNSUPPORTED(variant->kind, ret);
		ASSERT_EQ(0, ret) TH_LOG("MADV_GUARD_INSTALL of page %zu: %s", i, strerror(-ret));
	}
	/* Anonymous none entries get uffd-wp markers only with WP_UNPOPULATED. */
	features |= variant->kind == AREA_ANON ? UFFD_FEATURE_WP_UNPOPULATED :
						 UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	self->uffd = uffd_open(features, &missing);
	if (self->uffd == -EOPNOTSUPP)
		SKIP(return, "userfaultfd lacks features 0x%llx", (unsigned long long)missing);
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(-self->uffd));
	ret = uffd_register(self->uffd, a->addr, a->len, UFFDIO_REGISTER_MODE_WP);
	if (ret == -EINVAL)
		SKIP(return, "UFFDIO_REGISTER_MODE_WP on %s: EINVAL (no uffd-wp here)",
		     area_kind_name(variant->kind));
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_REGISTER WP: %s", strerror(-ret));
	ASSERT_EQ(0, uffd_writeprotect(self->uffd, a->addr, a->len, true));
}

FIXTURE_TEARDOWN(guard)
{
	if (self->uffd >= 0)
		close(self->uffd);
	kind_area_unmap(&self->a);
	if (self->pagemap >= 0)
		close(self->pagemap);
}

static enum want want_set(size_t i)
{
	return role_of(i) == ROLE_GUARD ? WANT_GUARD :
	       role_of(i) == ROLE_PRESENT_WP ? WANT_PRESENT_WP : WANT_MARKER_WP;
}

TEST_F(guard, guard_and_wp_markers_are_told_apart)
{
	struct kind_area *a = &self->a;
	size_t i;

	BEHAVIOUR(ROW);
	for (i = 0; i < a->nr; i++)
		expect_entry(_metadata, self->pagemap, 0, a, i, want_set(i), "installed");
	expect_scan_guards(_metadata, self->pagemap, a, nr_guards(a), "installed");
	expect_guards_segv(_metadata, a, is_role_guard, "installed");
	/* A write next to a guard is a WP fault, and leaves the guard alone. */
	for (i = 0; i < a->nr; i++)
		if (role_of(i) != ROLE_GUARD)
			ASSERT_WRITE_WP_FAULTS(ROW, self->uffd, kind_page(a, i), a->unit, 0x5a);
	for (i = 0; i < a->nr; i++)
		if (role_of(i) == ROLE_GUARD)
			expect_entry(_metadata, self->pagemap, 0, a, i, WANT_GUARD,
				     "after the WP faults beside it");
	expect_guards_segv(_metadata, a, is_role_guard, "after the WP faults beside it");
}

TEST_F(guard, dontneed_keeps_guards_and_file_wp_markers)
{
	struct kind_area *a = &self->a;
	bool file = variant->kind != AREA_ANON;
	unsigned char seen = 0;
	size_t i;

	BEHAVIOUR(ROW);
	ASSERT_EQ(0, madvise(a->addr, a->len, MADV_DONTNEED));
	/* zap_nonpresent_ptes(): guards stay; uffd-wp stays in file VMAs only. */
	for (i = 0; i < a->nr; i++)
		expect_entry(_metadata, self->pagemap, 0, a, i,
			     role_of(i) == ROLE_GUARD ? WANT_GUARD :
			     file ? WANT_MARKER_WP : WANT_NONE, "after MADV_DONTNEED");
	expect_scan_guards(_metadata, self->pagemap, a, nr_guards(a), "after MADV_DONTNEED");
	expect_guards_segv(_metadata, a, is_role_guard, "after MADV_DONTNEED");
	for (i = 0; file && i < a->nr; i++)
		if (role_of(i) != ROLE_GUARD)
			ASSERT_WRITE_WP_FAULTS(ROW, self->uffd, kind_page(a, i), a->unit,
					       kind_pattern(SEED, i));
	/* Removing the guards shows what lay behind: the file's page, or zeroes. */
	ASSERT_EQ(0, guard_remove(a->addr, a->len));
	for (i = 0; i < a->nr; i++)
		if (role_of(i) == ROLE_GUARD)
			ASSERT_TRUE(kind_holds(kind_page(a, i), a->unit,
					       file ? kind_pattern(SEED, i) : 0, &seen))
				TH_LOG("page %zu after MADV_GUARD_REMOVE holds 0x%02x", i, seen);
}

/* The child's side of the fork test: how many guard pages did not SIGSEGV. */
static int child_count_open_guards(const struct kind_area *a, int go)
{
	unsigned char byte;
	int open = 0;
	char c;
	size_t i;

	if (read(go, &c, 1) != 1)
		return 100;
	for (i = 0; i < a->nr; i++)
		if (role_of(i) == ROLE_GUARD && !guard_read_segv(kind_page(a, i), &byte))
			open++;
	return open;
}

TEST_F(guard, fork_keeps_guards_and_drops_wp_without_event_fork)
{
	struct kind_area *a = &self->a;
	int go[2], status = 0, child_pm;
	pid_t pid;
	size_t i;

	BEHAVIOUR(ROW);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		_exit(child_count_open_guards(a, go[0]));
	}
	close(go[0]);
	child_pm = pagemap_open(pid);
	ASSERT_LE(0, child_pm) TH_LOG("pagemap of the child: %s", strerror(-child_pm));
	/* copy_pte_marker(): guards always, uffd-wp only into a uffd-wp child VMA. */
	for (i = 0; i < a->nr; i++)
		expect_entry(_metadata, child_pm, pid, a, i,
			     role_of(i) == ROLE_GUARD ? WANT_GUARD : WANT_NO_WP,
			     "in the child forked without EVENT_FORK");
	expect_scan_guards(_metadata, child_pm, a, nr_guards(a), "in the child");
	close(child_pm);
	/* The parent keeps all it had. */
	for (i = 0; i < a->nr; i++)
		expect_entry(_metadata, self->pagemap, 0, a, i, want_set(i), "in the parent after fork");
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child ended by signal %d", WTERMSIG(status));
	ASSERT_BEHAVIOUR(ROW, WEXITSTATUS(status) == 0,
			 "%d guard pages of the child raised no SIGSEGV", WEXITSTATUS(status));
}

/*
 * MADV_COLLAPSE of a PMD range holding guards, and nothing else that would
 * stop it (no uffd here): the guards must survive, the range must not end up
 * PMD-mapped in this VMA, and the data beside the guards must be intact.
 * What MADV_COLLAPSE returns is printed: anon fails (7.3: the scan's swap-in
 * of a guard marker is a SIGSEGV, SCAN_FAIL, EINVAL); shmem collapses the
 * page cache, but a VMA that may hold guards keeps its page table and the
 * PMD step meets the marker (SCAN_PTE_NON_PRESENT, EINVAL).
 */
FIXTURE(guard_collapse) {
	struct kind_area a;
	int pagemap;
};

FIXTURE_VARIANT(guard_collapse) {
	enum area_kind kind;
};

FIXTURE_VARIANT_ADD(guard_collapse, anon) { .kind = AREA_ANON };
FIXTURE_VARIANT_ADD(guard_collapse, shmem) { .kind = AREA_SHMEM };

/* Guards at the first, a middle and the last page of the PMD. */
static bool collapse_guard(const struct kind_area *a, size_t i)
{
	return i == 1 || i == a->nr / 2 || i == a->nr - 1;
}

FIXTURE_SETUP(guard_collapse)
{
	struct kind_area *a = &self->a;
	const char *why = "";
	size_t i;
	int ret;

	self->a.fd = -1;
	self->pagemap = pagemap_open(0);
	ASSERT_LE(0, self->pagemap);
	THP_REQUIRE();
	ret = kind_area_map(a, variant->kind, true, pages_per_pmd(), &why);
	ASSERT_EQ(0, ret) TH_LOG("mapping: %s: %s", why, strerror(-ret));
	/* Filled by small pages, so that there is something to collapse. */
	ASSERT_EQ(0, madvise_no_thp(a->addr, a->len));
	for (i = 0; i < a->nr; i++) {
		if (variant->kind == AREA_SHMEM)
			ASSERT_EQ(0, fill_cache(a, i));
		kind_fill(a, i, SEED);
	}
	for (i = 0; i < a->nr; i++) {
		if (!collapse_guard(a, i))
			continue;
		ret = guard_install(kind_page(a, i), a->unit);
		GUARD_SKIP_UNSUPPORTED(variant->kind, ret);
		ASSERT_EQ(0, ret) TH_LOG("MADV_GUARD_INSTALL of page %zu: %s", i, strerror(-ret));
	}
	/* MADV_COLLAPSE honours VM_NOHUGEPAGE: lift it. */
	ASSERT_EQ(0, madvise(a->addr, a->len, MADV_HUGEPAGE));
}

FIXTURE_TEARDOWN(guard_collapse)
{
	kind_area_unmap(&self->a);
	if (self->pagemap >= 0)
		close(self->pagemap);
}

TEST_F(guard_collapse, collapse_keeps_guards)
{
	struct kind_area *a = &self->a;
	const char *field = variant->kind == AREA_ANON ? "AnonHugePages" : "ShmemPmdMapped";
	char verdict[16], verdict2[16], answer[2048];
	unsigned char seen = 0;
	int ret, ret2, pred, pred2;
	long pmd_kb;
	size_t i;

	BEHAVIOUR(ROW);
	pred = collapse_predicted(a->addr, verdict, answer, sizeof(answer));
	ret = madv_collapse(a->addr, a->len);
	pmd_kb = smaps_kb(a->addr, field);
	fprintf(stderr, "# %s: %s: MADV_COLLAPSE of a PMD with %zu guards: %s; %s %ld kB\n",
		ROW, area_kind_name(variant->kind), (size_t)3, collapse_errname(ret), field, pmd_kb);
	if (ret == -ENOMEM)
		SKIP(return, "MADV_COLLAPSE: ENOMEM (no huge page to collapse into)");
	if (variant->kind == AREA_ANON)
		ASSERT_BEHAVIOUR(ROW, ret != 0,
				 "MADV_COLLAPSE of an anonymous PMD holding guards returned 0");
	ASSERT_BEHAVIOUR(ROW, pmd_kb == 0,
			 "after MADV_COLLAPSE (%s) the guarded range is PMD-mapped (%s %ld kB)",
			 collapse_errname(ret), field, pmd_kb);
	for (i = 0; i < a->nr; i++) {
		if (collapse_guard(a, i)) {
			expect_entry(_metadata, self->pagemap, 0, a, i, WANT_GUARD,
				     "after MADV_COLLAPSE");
			continue;
		}
		ASSERT_TRUE(kind_holds(kind_page(a, i), a->unit, kind_pattern(SEED, i), &seen))
			TH_LOG("page %zu after MADV_COLLAPSE holds 0x%02x, expected 0x%02x", i, seen,
			       kind_pattern(SEED, i));
	}
	expect_guards_segv(_metadata, a, collapse_guard, "after MADV_COLLAPSE");
	ASSERT_COLLAPSE_WITNESS(pred, verdict, answer, ret);
	/* The first try collapsed the page cache at most; a second meets the guards' table. */
	pred2 = collapse_predicted(a->addr, verdict2, answer, sizeof(answer));
	ret2 = madv_collapse(a->addr, a->len);
	fprintf(stderr, "# %s: %s: a second MADV_COLLAPSE: %s\n", ROW,
		area_kind_name(variant->kind), collapse_errname(ret2));
	ASSERT_BEHAVIOUR(ROW, ret2 != 0 || smaps_kb(a->addr, field) == 0,
			 "a second MADV_COLLAPSE returned 0 and PMD-mapped the guarded range");
	expect_guards_segv(_metadata, a, collapse_guard, "after a second MADV_COLLAPSE");
	ASSERT_COLLAPSE_WITNESS(pred2, verdict2, answer, ret2);
}

TEST_HARNESS_MAIN
