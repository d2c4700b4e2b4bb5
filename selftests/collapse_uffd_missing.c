// SPDX-License-Identifier: GPL-2.0
/*
 * COLLAPSE-UFFD-MISSING: MADV_COLLAPSE of a shmem range registered with
 * userfaultfd MISSING must not fill the range's holes, because user space was
 * promised a MISSING message for each of them ("mm/khugepaged: skip shmem with
 * userfaultfd", v6.4). Such a collapse returns EBUSY, the holes stay out of the
 * page cache, and a later read of a hole still arrives as a MISSING message.
 * Debian's 6.1 lacks the fix: the collapse returns 0 and the holes are filled
 * with zeroes, silently, which the suite reports as the row being absent.
 *
 * The fully populated range must still collapse to a PMD mapping, and so must
 * a range with holes that is unregistered or registered MINOR only (a MINOR
 * fault is only promised for pages that are in the page cache).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "memory.h"
#include "sysfs_state.h"
#include "uffd.h"

#define ROW "COLLAPSE-UFFD-MISSING"
#define SEED 0x31
/* Generous cap on a wait that normally ends in microseconds; never the expected path. */
#define WAIT_CAP_MS 20000

FIXTURE(shmem_pmd) {
	int memfd;
	int uffd;
	char *area;
	size_t psize;
	size_t pmd;		/* what one PMD maps: the range */
	size_t npages;
};

FIXTURE_VARIANT(shmem_pmd) {
	__u64 mode;		/* 0: not registered */
	__u64 features;
};

FIXTURE_VARIANT_ADD(shmem_pmd, missing) {
	.mode = UFFDIO_REGISTER_MODE_MISSING,
	.features = 0,
};

FIXTURE_VARIANT_ADD(shmem_pmd, minor) {
	.mode = UFFDIO_REGISTER_MODE_MINOR,
	.features = UFFD_FEATURE_MINOR_SHMEM,
};

FIXTURE_VARIANT_ADD(shmem_pmd, unregistered) {
	.mode = 0,
	.features = 0,
};

FIXTURE_SETUP(shmem_pmd)
{
	uint64_t missing = 0;

	self->psize = page_size();
	self->pmd = pmd_size();
	self->npages = self->pmd / self->psize;
	self->uffd = -1;
	if (variant->mode) {
		self->uffd = uffd_open(variant->features, &missing);
		if (self->uffd == -EOPNOTSUPP)
			SKIP(return, "userfaultfd lacks features 0x%llx (MINOR on shmem needs 5.14)",
			     (unsigned long long)missing);
		ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(-self->uffd));
	}
	self->memfd = memfd_pages("uffdscope-collapse", self->npages);
	ASSERT_LE(0, self->memfd) TH_LOG("memfd: %s", strerror(-self->memfd));
	self->area = mmap_pmd(self->memfd, self->pmd, true);
	ASSERT_NE(MAP_FAILED, self->area) TH_LOG("PMD-aligned mmap: %s", strerror(errno));
	/*
	 * Small pages in the page cache and no khugepaged running on its own:
	 * what MADV_COLLAPSE does is then the only thing that changes the range.
	 * MADV_COLLAPSE itself ignores these settings.
	 */
	THP_KNOB_SET(THP_SHMEM, "never");
	THP_KNOB_SET(THP_ENABLED, "never");
}

FIXTURE_TEARDOWN(shmem_pmd)
{
	EXPECT_EQ(0, knob_restore_all());
	if (self->area && self->area != MAP_FAILED)
		munmap(self->area, self->pmd);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->uffd >= 0)
		close(self->uffd);
}

/* Write every @stride-th page through the mapping (creating its page table). */
static void populate(char *area, size_t npages, size_t psize, size_t stride)
{
	size_t i;

	for (i = 0; i < npages; i += stride)
		memset(area + i * psize, page_pattern(SEED, i), psize);
}

/* Page-cache holes the module counts in the PMD range around @addr, or -1 without it. */
static long module_holes(const void *addr)
{
	char out[2048];

	if (collapse_query(getpid(), addr, out, sizeof(out)))
		return -1;
	return kv_long(out, "pc_holes");
}

static void resolve_with_copy(struct __test_metadata *_metadata, int uffd,
			      char *area, size_t psize, const struct uffd_msg *msg)
{
	unsigned long addr = msg->arg.pagefault.address & ~(psize - 1);
	char *src = malloc(psize);
	int64_t copied = 0;
	int ret;

	ASSERT_NE(NULL, src);
	memset(src, 0x77, psize);
	ret = uffd_copy(uffd, (void *)addr, src, psize, 0, &copied);
	free(src);
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_COPY to resolve the MISSING fault at 0x%lx failed", addr);
}

/*
 * Every other page missing. Registered MISSING: EBUSY, no hole filled, and a
 * read of a hole is still a MISSING fault. Otherwise: collapsed, holes read 0.
 */
TEST_F(shmem_pmd, collapse_with_holes)
{
	size_t hole = 1, n = self->npages;
	long before, after, mod_before, mod_after;
	struct toucher t;
	struct uffd_msg msg;
	int ret, got;

	BEHAVIOUR(ROW);
	populate(self->area, n, self->psize, 2);
	if (variant->mode)
		ASSERT_EQ(0, uffd_register(self->uffd, self->area, self->pmd, variant->mode));
	before = resident_pages(self->area, n, NULL);
	ASSERT_EQ((long)n / 2, before) TH_LOG("expected every other page in the page cache");
	mod_before = module_holes(self->area);

	ret = madv_collapse(self->area, self->pmd);
	after = resident_pages(self->area, n, NULL);
	mod_after = module_holes(self->area);
	TH_LOG("mode=0x%llx MADV_COLLAPSE=%s page cache %ld -> %ld pages, module holes %ld -> %ld",
	       (unsigned long long)variant->mode, collapse_errname(ret), before, after,
	       mod_before, mod_after);

	if (variant->mode != UFFDIO_REGISTER_MODE_MISSING) {
		ASSERT_EQ(0, ret) TH_LOG("a range with holes and no MISSING registration must collapse, got %s",
					 collapse_errname(ret));
		ASSERT_EQ((long)n, after) TH_LOG("collapse must fill all holes");
		ASSERT_TRUE(pmd_mapped(self->area)) TH_LOG("collapsed range must be PMD-mapped (smaps)");
		ASSERT_EQ(0, self->area[hole * self->psize]) TH_LOG("a filled hole must read zero");
		return;
	}

	/* Registered MISSING: the promised faults must survive the collapse. */
	ASSERT_BEHAVIOUR(ROW, after == before,
			 "MADV_COLLAPSE=%s filled %ld of %zu holes of a MISSING-registered range",
			 collapse_errname(ret), after - before, n / 2);
	ASSERT_BEHAVIOUR(ROW, ret == -EBUSY, "MADV_COLLAPSE returned %s, expected EBUSY",
			 collapse_errname(ret));
	if (mod_before >= 0)
		ASSERT_EQ(mod_before, mod_after) TH_LOG("module counts holes %ld before, %ld after",
							mod_before, mod_after);
	ASSERT_FALSE(pmd_mapped(self->area)) TH_LOG("EBUSY, yet the range is PMD-mapped");

	ASSERT_EQ(0, toucher_start(&t, self->area + hole * self->psize));
	got = toucher_wait(&t, self->uffd, &msg, WAIT_CAP_MS);
	ASSERT_LE(0, got) TH_LOG("waiting for the read of hole %zu: %s", hole, strerror(-got));
	if (got)
		resolve_with_copy(_metadata, self->uffd, self->area, self->psize, &msg);
	toucher_join(&t);
	ASSERT_BEHAVIOUR(ROW, got == 1,
			 "the read of hole %zu completed (read 0x%02x) with no MISSING message",
			 hole, (unsigned char)t.seen);
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, (int)msg.event);
	ASSERT_EQ(0ULL, msg.arg.pagefault.flags & (UFFD_PAGEFAULT_FLAG_WP | UFFD_PAGEFAULT_FLAG_MINOR))
		TH_LOG("expected a MISSING fault, flags 0x%llx",
		       (unsigned long long)msg.arg.pagefault.flags);
	ASSERT_EQ(0x77, (unsigned char)t.seen) TH_LOG("the read must see the copied page");
}

/* Every page present: registered or not, the range collapses to a PMD. */
TEST_F(shmem_pmd, collapse_fully_populated)
{
	size_t i, n = self->npages;
	unsigned char seen;
	int ret;

	BEHAVIOUR(ROW);
	populate(self->area, n, self->psize, 1);
	if (variant->mode)
		ASSERT_EQ(0, uffd_register(self->uffd, self->area, self->pmd, variant->mode));
	ret = madv_collapse(self->area, self->pmd);
	ASSERT_EQ(0, ret) TH_LOG("fully populated range: expected 0, got %s", collapse_errname(ret));
	ASSERT_TRUE(pmd_mapped(self->area)) TH_LOG("collapsed range must be PMD-mapped (smaps)");
	for (i = 0; i < n; i++)
		ASSERT_TRUE(page_holds(self->area + i * self->psize, page_pattern(SEED, i), &seen))
			TH_LOG("page %zu: expected 0x%02x, saw 0x%02x after collapse",
			       i, page_pattern(SEED, i), seen);
}

TEST_HARNESS_MAIN
