// SPDX-License-Identifier: GPL-2.0
/*
 * COLLAPSE-UFFD-MISSING, its second half: a fault that fills a hole while
 * MADV_COLLAPSE is collapsing the range makes the collapse fail EAGAIN, and
 * the page the fault put there is never lost.
 *
 * Since "mm/khugepaged: skip shmem with userfaultfd" (v6.4) collapse_file()
 * leaves the holes of a shmem range empty while it copies the present pages
 * into the new huge page, so a fault may fill a hole meanwhile (a MISSING
 * fault resolved by UFFDIO_COPY, or any write). Under its final page-cache
 * lock it counts the holes again and gives up (SCAN_PAGE_FILLED, EAGAIN) if
 * one was filled; without that re-count it would store the huge page, whose
 * copy of that index is zeroes, over the page the fault put there.
 *
 * That window is a few instructions wide. The row's control and mutant
 * kernels (kernels/controls/COLLAPSE-UFFD-MISSING.patch) hold a collapse
 * there when the collapsing thread is named "uffdscope-holes": the kernel
 * renames it "uffdscope-held" once the holes are counted and waits until
 * userspace renames it again. This test fills a hole exactly then, every
 * time. A kernel without that hook lets the collapse pass through, and the
 * test skips: nothing here can make the race happen there on demand
 * (collapse_uffd_race tries it by chance on every kernel).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "memory.h"
#include "sysfs_state.h"
#include "uffd.h"

#define ROW "COLLAPSE-UFFD-MISSING"
#define SEED_FILE 0x52		/* the odd pages, written before the collapse */
#define FILL_BYTE 0xc4		/* what the fault puts into the hole */
#define HOLD_COMM "uffdscope-holes"	/* the hook holds a collapse by this thread */
#define HELD_COMM "uffdscope-held"	/* ... and says so by this name */
#define GO_COMM "uffdscope-go"		/* the test lets it go on */
/* Caps on waits that end in milliseconds; never the expected path. */
#define WAIT_CAP_MS 20000
/* Attempts at reaching the window: a collapse may fail EAGAIN before it. */
#define ATTEMPTS 3

struct collapser {
	pthread_t thread;
	char *area;
	size_t len;
	atomic_int tid;
	int done_fd;		/* eventfd: MADV_COLLAPSE returned */
	int ret;		/* its result, 0 or -errno */
};

static void *collapser_main(void *arg)
{
	struct collapser *c = arg;
	uint64_t one = 1;

	prctl(PR_SET_NAME, HOLD_COMM);
	atomic_store(&c->tid, gettid());
	c->ret = madv_collapse(c->area, c->len);
	if (write(c->done_fd, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

static int comm_path(const struct collapser *c, char *buf, size_t len)
{
	int tid = atomic_load(&c->tid);

	if (!tid)
		return -EAGAIN;
	snprintf(buf, len, "/proc/self/task/%d/comm", tid);
	return 0;
}

/*
 * Wait until the kernel holds the collapse in the window (returns 1) or the
 * collapse returned without being held (0), or -errno / -ETIMEDOUT. Polls
 * the collapser's name: the kernel gives no event for it.
 */
static int wait_held(struct collapser *c)
{
	struct pollfd p = { .fd = c->done_fd, .events = POLLIN };
	char path[64], comm[32];
	int waited = 0, n;

	for (; waited < WAIT_CAP_MS; waited++) {
		if (!comm_path(c, path, sizeof(path)) &&
		    !knob_read(path, comm, sizeof(comm)) && !strcmp(comm, HELD_COMM))
			return 1;
		n = poll(&p, 1, 1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			return 0;
	}
	return -ETIMEDOUT;
}

/* Let the held collapse go on. Returns 0, or -EALREADY when it went on by itself. */
static int release(struct collapser *c)
{
	struct pollfd p = { .fd = c->done_fd, .events = POLLIN };
	char path[64];

	/* The hook gives up after ten seconds: then the fill was not inside the window. */
	if (poll(&p, 1, 0) > 0)
		return -EALREADY;
	comm_path(c, path, sizeof(path));
	return knob_write(path, GO_COMM);
}

FIXTURE(refill) {
	int memfd;
	int uffd;
	char *area;
	size_t ps, pmd, npages;
	size_t hole;		/* the hole the fault fills */
	unsigned char *page;	/* one page, for pread() */
};

FIXTURE_VARIANT(refill) {
	uint64_t mode;		/* uffd registration, 0: none */
	bool unregister;	/* unregister after the fill, before the collapse goes on */
};

/* A MISSING fault in a hole, resolved with UFFDIO_COPY; the range stays registered. */
FIXTURE_VARIANT_ADD(refill, missing_copy) {
	.mode = UFFDIO_REGISTER_MODE_MISSING,
};

/*
 * The same, then the range is unregistered, as a postcopy migration does
 * when it is done: no MISSING VMA is left for the later userfaultfd_missing()
 * check, and the re-count alone stands between the copied page and its loss.
 */
FIXTURE_VARIANT_ADD(refill, missing_copy_then_unregister) {
	.mode = UFFDIO_REGISTER_MODE_MISSING,
	.unregister = true,
};

/* No userfaultfd: a plain write fault fills the hole. */
FIXTURE_VARIANT_ADD(refill, write_fault) {
	.mode = 0,
};

FIXTURE_SETUP(refill)
{
	size_t i;
	int ret;

	self->uffd = -1;
	self->ps = page_size();
	self->pmd = pmd_size();
	self->npages = self->pmd / self->ps;
	/* Even pages are holes, odd ones in the page cache, the last one too. */
	self->hole = self->npages / 2;
	self->page = malloc(self->ps);
	ASSERT_NE(NULL, self->page);
	self->memfd = memfd_pages("uffdscope-refill", self->npages);
	ASSERT_LE(0, self->memfd) TH_LOG("memfd: %s", strerror(-self->memfd));
	for (i = 1; i < self->npages; i += 2)
		ASSERT_EQ(0, memfd_fill(self->memfd, i, 1, SEED_FILE));
	self->area = mmap_pmd(self->memfd, self->pmd, true);
	ASSERT_NE(MAP_FAILED, self->area) TH_LOG("PMD-aligned mmap: %s", strerror(errno));
	/*
	 * A page table for the range: 6.1's MADV_COLLAPSE fails EINVAL
	 * (SCAN_PMD_NULL) in a mapping that has none. Page 1 is cached, so
	 * this read raises no userfault.
	 */
	(void)*(volatile char *)(self->area + self->ps);
	if (variant->mode) {
		self->uffd = uffd_open(0, NULL);
		ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(-self->uffd));
		ret = uffd_register(self->uffd, self->area, self->pmd, variant->mode);
		ASSERT_EQ(0, ret) TH_LOG("UFFDIO_REGISTER: %s", strerror(-ret));
	}
	/* Small pages in the page cache, and no khugepaged collapsing on its own. */
	THP_KNOB_SET(THP_SHMEM, "never");
	THP_KNOB_SET(THP_ENABLED, "never");
}

FIXTURE_TEARDOWN(refill)
{
	EXPECT_EQ(0, knob_restore_all());
	if (self->area && self->area != MAP_FAILED)
		munmap(self->area, self->pmd);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->memfd >= 0)
		close(self->memfd);
	free(self->page);
}

/* Fill the hole the way the variant says, while the collapse is held. */
static void fill_hole(struct __test_metadata *_metadata, FIXTURE_DATA(refill) *self,
		      const FIXTURE_VARIANT(refill) *variant)
{
	char *at = self->area + self->hole * self->ps;
	struct uffd_msg msg;
	struct toucher t;
	int64_t copied;
	int got, ret;

	if (!variant->mode) {
		memset(at, FILL_BYTE, self->ps);
		return;
	}
	ASSERT_EQ(0, toucher_start(&t, at));
	got = toucher_wait(&t, self->uffd, &msg, WAIT_CAP_MS);
	ASSERT_LE(0, got) TH_LOG("the read of hole %zu neither completed nor faulted: %s",
				 self->hole, strerror(-got));
	if (!got)
		toucher_join(&t);
	ASSERT_BEHAVIOUR(ROW, got == 1,
			 "a read of hole %zu during the collapse completed without a MISSING fault (it read 0x%02x)",
			 self->hole, (unsigned char)t.seen);
	memset(self->page, FILL_BYTE, self->ps);
	ret = uffd_copy(self->uffd, at, self->page, self->ps, 0, &copied);
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_COPY into hole %zu during the collapse: %s",
				 self->hole, strerror(-ret));
	toucher_join(&t);
	ASSERT_EQ(FILL_BYTE, (unsigned char)t.seen)
		TH_LOG("the faulting read saw 0x%02x, the copy put 0x%02x", (unsigned char)t.seen,
		       FILL_BYTE);
	if (variant->unregister) {
		ret = uffd_unregister(self->uffd, self->area, self->pmd);
		ASSERT_EQ(0, ret) TH_LOG("UFFDIO_UNREGISTER: %s", strerror(-ret));
	}
}

/* The file's own view of page @i, through pread(): what the page cache holds. */
static bool file_page_holds(FIXTURE_DATA(refill) *self, size_t i, unsigned char want,
			    unsigned char *seen)
{
	ssize_t n = pread(self->memfd, self->page, self->ps, (off_t)(i * self->ps));

	if (n != (ssize_t)self->ps) {
		*seen = 0;
		return false;
	}
	return page_holds(self->page, want, seen);
}

TEST_F_TIMEOUT(refill, fault_filling_a_hole_fails_the_collapse_and_keeps_its_page, 120)
{
	struct collapser c = { .area = self->area, .len = self->pmd };
	unsigned char *vec, seen = 0;
	int held = 0, attempt, ret;
	size_t i;

	BEHAVIOUR(ROW);
	c.done_fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, c.done_fd);
	for (attempt = 0; attempt < ATTEMPTS && !held; attempt++) {
		uint64_t v;

		atomic_store(&c.tid, 0);
		ASSERT_EQ(0, pthread_create(&c.thread, NULL, collapser_main, &c));
		held = wait_held(&c);
		ASSERT_LE(0, held) TH_LOG("waiting for the collapse: %s", strerror(-held));
		if (held)
			break;
		pthread_join(c.thread, NULL);
		ASSERT_EQ((ssize_t)sizeof(v), read(c.done_fd, &v, sizeof(v)));
		fprintf(stderr, "# attempt %d: MADV_COLLAPSE=%s without being held\n", attempt,
			collapse_errname(c.ret));
		/* Only a transient failure before the window earns another attempt. */
		if (c.ret != -EAGAIN)
			break;
	}
	if (!held) {
		close(c.done_fd);
		ASSERT_TRUE(c.ret == 0 || c.ret == -EBUSY || c.ret == -EAGAIN)
			TH_LOG("MADV_COLLAPSE of a shmem range with holes: %s", collapse_errname(c.ret));
		SKIP(return, "no uffdscope refill hook in this kernel (the collapse was never held; only the kernels of kernels/controls/ and kernels/mutants/%s*.patch have it): the window between collapse_file()'s hole count and its final page-cache lock cannot be hit on demand",
		     ROW);
	}
	fill_hole(_metadata, self, variant);
	ret = release(&c);
	pthread_join(c.thread, NULL);
	close(c.done_fd);
	ASSERT_EQ(0, ret) TH_LOG("letting the collapse go on: %s (the hook gave up waiting?)",
				 strerror(-ret));
	fprintf(stderr, "# hole %zu of %zu filled during the held collapse (%s): MADV_COLLAPSE=%s\n",
		self->hole, self->npages, variant->mode ? "MISSING fault + UFFDIO_COPY" : "write fault",
		collapse_errname(c.ret));

	/* The data first: a lost page is the worse failure, whatever the errno. */
	ASSERT_BEHAVIOUR(ROW, file_page_holds(self, self->hole, FILL_BYTE, &seen),
			 "the page the fault put into hole %zu is lost: the file reads 0x%02x there, the fault wrote 0x%02x (MADV_COLLAPSE=%s)",
			 self->hole, seen, FILL_BYTE, collapse_errname(c.ret));
	ASSERT_BEHAVIOUR(ROW, page_holds(self->area + self->hole * self->ps, FILL_BYTE, &seen),
			 "hole %zu reads 0x%02x through the mapping after the collapse, the fault wrote 0x%02x",
			 self->hole, seen, FILL_BYTE);
	ASSERT_BEHAVIOUR(ROW, c.ret == -EAGAIN,
			 "a fault filled hole %zu after the collapse counted its holes: MADV_COLLAPSE returned %s, expected EAGAIN (SCAN_PAGE_FILLED)",
			 self->hole, collapse_errname(c.ret));
	for (i = 1; i < self->npages; i += 2)
		ASSERT_TRUE(file_page_holds(self, i, page_pattern(SEED_FILE, i), &seen))
			TH_LOG("page %zu reads 0x%02x after the failed collapse, expected 0x%02x",
			       i, seen, page_pattern(SEED_FILE, i));
	if (variant->mode) {
		/* No other hole turned present without a fault event. */
		vec = malloc(self->npages);
		ASSERT_NE(NULL, vec);
		ASSERT_LE(0, resident_pages(self->area, self->npages, vec));
		for (i = 0; i < self->npages; i += 2) {
			bool resident = vec[i] & 1;

			if (i == self->hole || !resident)
				continue;
			free(vec);
			ASSERT_BEHAVIOUR(ROW, false,
					 "hole %zu is in the page cache after the collapse, with no fault event for it",
					 i);
		}
		free(vec);
	}
}

TEST_HARNESS_MAIN
