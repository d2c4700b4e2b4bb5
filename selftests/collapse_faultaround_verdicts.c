// SPDX-License-Identifier: GPL-2.0
/*
 * Does the module's `faultaround` verdict agree with the kernel? For each
 * scenario (shmem with each userfaultfd mode, page-cache holes, a VMA edge or
 * a page-table edge inside the window, a smaller fault_around_bytes, a private
 * mapping, anonymous memory) the test asks the module how many pages one read
 * fault at an address will map, makes that read fault, and counts the present
 * PTEs of the mapping in /proc/self/pagemap; the two must agree. Each
 * scenario is its own test (a fixture variant). Without the module it prints
 * the kernel's count and skips. A verdict test: it checks the module's
 * prediction, not the kernel's behaviour, so it tags the row with VERDICT(),
 * never BEHAVIOUR().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"

#define SEED 0x3d
#define FAR_FILE "/sys/kernel/debug/uffdscope/faultaround"

/* The module cannot read fault_around_bytes itself: the query carries it. */
static int ask(const void *addr, const char *bytes, char *out, size_t len)
{
	char q[128];
	FILE *f = fopen(FAR_FILE, "r+e");
	size_t n;

	if (!f)
		return -errno;
	snprintf(q, sizeof(q), "pid=%d start=0x%lx fault_around_bytes=%s\n", getpid(),
		 (unsigned long)addr, bytes);
	if (fputs(q, f) < 0 || fflush(f)) {
		fclose(f);
		return -EIO;
	}
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	return 0;
}

static long present_ptes(int pm, const char *area, size_t npages, size_t ps)
{
	long n = 0;
	size_t i;

	for (i = 0; i < npages; i++)
		n += !!(pagemap_get(pm, area + i * ps) & PM_PRESENT);
	return n;
}

/*
 * Read one byte at @p. Under a MINOR registration that read is a MINOR fault
 * (the page is in the page cache, not mapped): resolve it with UFFDIO_CONTINUE,
 * which maps that one page.
 */
static void read_fault(struct __test_metadata *_metadata, int uffd, char *p, size_t ps)
{
	struct uffdio_continue cont = { .range = { .start = (uintptr_t)p, .len = ps } };
	struct uffd_msg msg;
	struct toucher t;
	int got;

	if (uffd < 0) {
		(void)*(volatile char *)p;
		return;
	}
	ASSERT_EQ(0, toucher_start(&t, p));
	got = toucher_wait(&t, uffd, &msg, 20000);
	ASSERT_LE(0, got) TH_LOG("the read fault neither completed nor raised a message");
	if (got)
		ASSERT_EQ(0, ioctl(uffd, UFFDIO_CONTINUE, &cont))
			TH_LOG("UFFDIO_CONTINUE: %s", strerror(errno));
	toucher_join(&t);
}

FIXTURE(fa) {
	int pm;
	char bytes0[32];	/* fault_around_bytes as found */
};

/*
 * One variant per scenario, so that each is one KTAP result. Pages are counted
 * in base pages of the running kernel, and the fault_around_bytes settings in
 * pages too: 4 KiB on x86_64, 16 KiB on arm64-16k.
 */
FIXTURE_VARIANT(fa) {
	bool shared;
	uint64_t mode;		/* uffd registration, 0: none */
	uint64_t features;
	size_t fill_stride;	/* page cache: every n-th page (1: all) */
	long map_off;		/* map starting this many pages into a PMD */
	long fault_page;	/* page of the PMD that is read; -1: its last page */
	long around_pages;	/* fault_around_bytes in pages, 0: leave */
	bool anon;
};

FIXTURE_VARIANT_ADD(fa, shmem_unregistered) {
	.shared = true, .fill_stride = 1, .fault_page = 40 };
FIXTURE_VARIANT_ADD(fa, shmem_missing) {
	.shared = true, .mode = UFFDIO_REGISTER_MODE_MISSING, .fill_stride = 1, .fault_page = 40 };
FIXTURE_VARIANT_ADD(fa, shmem_wp) {
	.shared = true, .mode = UFFDIO_REGISTER_MODE_WP, .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
	.fill_stride = 1, .fault_page = 40 };
FIXTURE_VARIANT_ADD(fa, shmem_minor) {
	.shared = true, .mode = UFFDIO_REGISTER_MODE_MINOR, .features = UFFD_FEATURE_MINOR_SHMEM,
	.fill_stride = 1, .fault_page = 40 };
FIXTURE_VARIANT_ADD(fa, shmem_holes) {
	.shared = true, .fill_stride = 2, .fault_page = 40 };
FIXTURE_VARIANT_ADD(fa, shmem_missing_holes) {
	.shared = true, .mode = UFFDIO_REGISTER_MODE_MISSING, .fill_stride = 2, .fault_page = 40 };
FIXTURE_VARIANT_ADD(fa, shmem_vma_starts_mid_window) {
	.shared = true, .fill_stride = 1, .map_off = 5, .fault_page = 7 };
FIXTURE_VARIANT_ADD(fa, shmem_window_at_pmd_end) {
	.shared = true, .fill_stride = 1, .fault_page = -1 };
FIXTURE_VARIANT_ADD(fa, shmem_fault_around_two_pages) {
	.shared = true, .fill_stride = 1, .fault_page = 40, .around_pages = 2 };
FIXTURE_VARIANT_ADD(fa, shmem_fault_around_one_page) {
	.shared = true, .fill_stride = 1, .fault_page = 40, .around_pages = 1 };
FIXTURE_VARIANT_ADD(fa, shmem_private) {
	.shared = false, .fill_stride = 1, .fault_page = 40 };
FIXTURE_VARIANT_ADD(fa, anon) {
	.shared = false, .fill_stride = 1, .fault_page = 40, .anon = true };

FIXTURE_SETUP(fa)
{
	int r;

	self->pm = pagemap_open(0);
	ASSERT_LE(0, self->pm);
	r = knob_read(FAULT_AROUND_BYTES, self->bytes0, sizeof(self->bytes0));
	if (r)
		SKIP(return, "%s unreadable (%s): debugfs not mounted or locked down",
		     FAULT_AROUND_BYTES, strerror(-r));
	/* Else a read fault on aligned anon memory maps the huge zero page. */
	r = knob_set(THP_SHMEM, "never");
	if (!r)
		r = knob_set(THP_ENABLED, "never");
	if (r)
		knob_restore_all();
	/* Without THP at all there is no huge page to keep out of the count. */
	if (r != -ENOENT || thp_configured())
		ASSERT_EQ(0, r) TH_LOG("setting THP to never: %s", strerror(-r));
}

FIXTURE_TEARDOWN(fa)
{
	EXPECT_EQ(0, knob_restore_all());
}

TEST_F(fa, module_predicts_fault_around)
{
	size_t ps = page_size(), npages = pages_per_pmd();
	size_t len = (npages - variant->map_off) * ps, n = len / ps;
	size_t fault = variant->fault_page < 0 ? npages - 1 : (size_t)variant->fault_page;
	char answer[2048], around[4] = "-", bytes[32];
	char *area, *base, *at;
	int memfd = -1, uffd = -1, r;
	long real, predicted = -1;
	bool module;
	size_t i;

	VERDICT("FAULT-AROUND-UFFD");
	if (variant->around_pages)
		snprintf(bytes, sizeof(bytes), "%zu", variant->around_pages * ps);
	else
		snprintf(bytes, sizeof(bytes), "%s", self->bytes0);
	ASSERT_EQ(0, knob_set(FAULT_AROUND_BYTES, bytes));
	if (variant->anon) {
		base = mmap_aligned(pmd_size(), pmd_size(), PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		memfd = memfd_pages("uffdscope-fa", npages);
		ASSERT_LE(0, memfd) TH_LOG("memfd: %s", strerror(-memfd));
		for (i = 0; i < npages; i += variant->fill_stride)
			ASSERT_EQ(0, memfd_fill(memfd, i, 1, SEED));
		base = mmap_pmd(memfd, pmd_size(), variant->shared);
	}
	ASSERT_NE(MAP_FAILED, base) TH_LOG("mmap: %s", strerror(errno));
	area = base;
	if (variant->map_off) {
		/* drop the head so the VMA starts mid-window */
		ASSERT_EQ(0, munmap(base, variant->map_off * ps));
		area = base + variant->map_off * ps;
	}
	at = area + (fault - variant->map_off) * ps;
	if (variant->mode) {
		uint64_t missing = 0;

		uffd = uffd_open(variant->features, &missing);
		if (uffd == -EOPNOTSUPP)
			SKIP(goto out, "userfaultfd lacks features 0x%llx",
			     (unsigned long long)missing);
		ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
		r = uffd_register(uffd, area, len, variant->mode);
		ASSERT_EQ(0, r) TH_LOG("UFFDIO_REGISTER mode 0x%llx: %s",
				       (unsigned long long)variant->mode, strerror(-r));
	}
	r = ask(at, bytes, answer, sizeof(answer));
	module = r != -ENOENT;
	if (module) {
		ASSERT_EQ(0, r) TH_LOG("faultaround query: %s", strerror(-r));
		kv_get(answer, "fault_around", around, sizeof(around));
		predicted = !strcmp(around, "1") ? kv_long(answer, "would_map") : 1;
	}
	read_fault(_metadata, uffd, at, ps);
	real = present_ptes(self->pm, area, n, ps);
	fprintf(stderr, "# fault_around_bytes=%s page %zu of %zu: one read fault mapped %ld, module said %ld%s\n",
		bytes, fault, npages, real, predicted, module ? "" : " (no module)");
	if (!module)
		SKIP(goto out, "uffdscope.ko not loaded (%s missing): kernel count above, no prediction",
		     FAR_FILE);
	if (real != predicted)
		fprintf(stderr, "# module answer was:\n%s", answer);
	EXPECT_EQ(predicted, real) TH_LOG("one read fault mapped %ld pages, module said %ld",
					  real, predicted);
out:
	munmap(area, len);
	if (memfd >= 0)
		close(memfd);
	if (uffd >= 0)
		close(uffd);
}

TEST_HARNESS_MAIN
