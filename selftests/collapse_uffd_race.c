// SPDX-License-Identifier: GPL-2.0
/*
 * COLLAPSE-UFFD-MISSING under a race: while handler threads resolve MISSING
 * faults of a shmem range with UFFDIO_COPY and faulting threads touch its
 * holes (one of them through io_uring, so the fault is taken in kernel
 * context by copy_to_user), MADV_COLLAPSE of the range is issued again and
 * again through io_uring (IORING_OP_MADVISE, run by an io-wq worker).
 *
 * Invariant, checked after every collapse: each page in the page cache was
 * either written before registration or copied by the handler; a hole the
 * handler never saw stays a hole. A collapse returns only 0, EBUSY or EAGAIN
 * (EAGAIN when a fault fills a hole under it, SCAN_PAGE_FILLED). At the end
 * of each round every page holds what its writer put there.
 *
 * Runs for a time budget: UFFDSCOPE_RACE_SECONDS (default 3), then prints
 * rounds and collapses per second and the histogram of collapse results.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "memory.h"
#include "sysfs_state.h"
#include "uffd.h"

#define ROW "COLLAPSE-UFFD-MISSING"
#define SEED_PRE 0x11		/* pages written before registration */
#define SEED_COPY 0x93		/* pages the handler copies */
#define NFAULTERS 2
#define URING_BYTES 64		/* what the io_uring read writes into its hole */
#define URING_BYTE 0xee

struct race {
	/* per round */
	char *area;
	int memfd;
	atomic_uchar *copied;		/* per page: the handler copied it */
	unsigned char *vec;		/* mincore() answers */
	atomic_int faulters_done;
	/* whole run */
	int uffd;
	int stop_fd;			/* eventfd: the handler leaves */
	int src_fd;			/* what the io_uring read reads */
	size_t ps, pmd, npages;		/* base page, PMD range, its pages */
	pthread_barrier_t start, end;
	atomic_bool quit;
	atomic_long foreign_eexist;	/* COPY found a page nobody had copied */
	atomic_long copies, faults;
	long results[4];		/* 0, EBUSY, EAGAIN, other */
	int bad_result;
	long bad_page;			/* a resident hole the handler never copied */
	long bad_data_page;
	int uring_bad_res;		/* the io_uring read's result if not URING_BYTES */
	unsigned char bad_seen, bad_want;
};

static bool is_pre(size_t i)
{
	return !(i & 1);
}

static void *handler_main(void *arg)
{
	struct race *r = arg;
	char *src = aligned_alloc(r->ps, r->ps);
	struct pollfd p[2] = {
		{ .fd = r->uffd, .events = POLLIN },
		{ .fd = r->stop_fd, .events = POLLIN },
	};

	while (src && !(poll(p, 2, -1) > 0 && (p[1].revents & POLLIN))) {
		struct uffd_msg msg;
		unsigned long addr;
		int64_t copied;
		size_t idx;
		int was;

		if (read(r->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		addr = msg.arg.pagefault.address & ~(r->ps - 1);
		idx = (addr - (unsigned long)r->area) / r->ps;
		atomic_fetch_add(&r->faults, 1);
		/* Mark first: a page present in the cache must already be marked. */
		was = atomic_exchange(&r->copied[idx], 1);
		memset(src, page_pattern(SEED_COPY, idx), r->ps);
		if (uffd_copy(r->uffd, (void *)addr, src, r->ps, 0, &copied) == -EEXIST) {
			struct uffdio_range range = { .start = addr, .len = r->ps };

			/* Two faults on one page are legal; a page nobody copied is not. */
			if (!was)
				atomic_fetch_add(&r->foreign_eexist, 1);
			ioctl(r->uffd, UFFDIO_WAKE, &range);
		} else {
			atomic_fetch_add(&r->copies, 1);
		}
	}
	free(src);
	return NULL;
}

/* Faulter @n reads its share of the holes in a shuffled order; faulter 0 also uses io_uring. */
struct faulter {
	struct race *r;
	int n;
	struct io_uring ring;
	unsigned int seed;
	size_t *holes;	/* its share: sized from the PMD's page count (2048 with 16 KiB pages) */
};

static void uring_read_into(struct faulter *f, char *dst)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);
	struct io_uring_cqe *cqe;

	io_uring_prep_read(sqe, f->r->src_fd, dst, URING_BYTES, 0);
	io_uring_submit(&f->ring);
	if (io_uring_wait_cqe(&f->ring, &cqe)) {
		f->r->uring_bad_res = -EIO;
		return;
	}
	if (cqe->res != URING_BYTES)
		f->r->uring_bad_res = cqe->res;
	io_uring_cqe_seen(&f->ring, cqe);
}

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;
	struct race *r = f->r;
	size_t *holes = f->holes, n, i;

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (atomic_load(&r->quit))
			return NULL;
		for (n = 0, i = 1 + 2 * f->n; i < r->npages; i += 2 * NFAULTERS)
			holes[n++] = i;
		for (i = n - 1; i > 0; i--) {
			size_t j = rand_r(&f->seed) % (i + 1), t = holes[i];

			holes[i] = holes[j];
			holes[j] = t;
		}
		for (i = 0; i < n; i++) {
			volatile char *p = r->area + holes[i] * r->ps;

			if (f->n == 0 && holes[i] == 1)
				uring_read_into(f, (char *)p);
			else
				(void)*p;
		}
		atomic_fetch_add(&r->faulters_done, 1);
		pthread_barrier_wait(&r->end);
	}
}

/* Every page in the page cache was written before registration or copied. */
static bool holes_kept(struct race *r)
{
	unsigned char *vec = r->vec;
	size_t i;

	if (resident_pages(r->area, r->npages, vec) < 0)
		return false;
	for (i = 0; i < r->npages; i++) {
		if (!(vec[i] & 1) || is_pre(i))
			continue;
		if (!atomic_load(&r->copied[i])) {
			r->bad_page = i;
			return false;
		}
	}
	return true;
}

static void count_result(struct race *r, int res)
{
	if (res == 0)
		r->results[0]++;
	else if (res == -EBUSY)
		r->results[1]++;
	else if (res == -EAGAIN)
		r->results[2]++;
	else {
		r->results[3]++;
		r->bad_result = res;
	}
}

/* The collapser: MADV_COLLAPSE through io_uring until the faulters are done, then once more. */
static bool collapse_round(struct race *r, struct io_uring *ring)
{
	bool last = false;

	for (;;) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		struct io_uring_cqe *cqe;

		last = atomic_load(&r->faulters_done) == NFAULTERS;
		io_uring_prep_madvise(sqe, r->area, r->pmd, MADV_COLLAPSE);
		io_uring_submit(ring);
		if (io_uring_wait_cqe(ring, &cqe))
			return false;
		count_result(r, cqe->res);
		io_uring_cqe_seen(ring, cqe);
		if (!holes_kept(r))
			return false;
		if (last)
			return true;
	}
}

static bool data_intact(struct race *r)
{
	unsigned char *vec = r->vec, seen = 0, want;
	bool ok;
	size_t i;

	if (resident_pages(r->area, r->npages, vec) < 0)
		return false;
	for (i = 0; i < r->npages; i++) {
		const unsigned char *p = (const unsigned char *)r->area + i * r->ps;

		if (!(vec[i] & 1))
			continue;
		if (is_pre(i)) {
			want = page_pattern(SEED_PRE, i);
			ok = page_holds(p, want, &seen);
		} else if (i == 1) {
			/* the io_uring read's bytes over the handler's copy */
			want = URING_BYTE;
			seen = p[0];
			ok = p[0] == URING_BYTE && p[URING_BYTES] == page_pattern(SEED_COPY, i);
		} else {
			want = page_pattern(SEED_COPY, i);
			ok = page_holds(p, want, &seen);
		}
		if (!ok) {
			r->bad_data_page = i;
			r->bad_want = want;
			r->bad_seen = seen;
			return false;
		}
	}
	return true;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(race) {
	struct race r;
	pthread_t handler, faulters[NFAULTERS];
	struct faulter f[NFAULTERS];
	struct io_uring ring;
	bool threads;
};

FIXTURE_SETUP(race)
{
	char buf[URING_BYTES];
	int i;

	memset(&self->r, 0, sizeof(self->r));
	self->r.ps = page_size();
	self->r.pmd = pmd_size();
	self->r.npages = self->r.pmd / self->r.ps;
	self->r.copied = calloc(self->r.npages, sizeof(*self->r.copied));
	self->r.vec = malloc(self->r.npages);
	ASSERT_TRUE(self->r.copied && self->r.vec);
	self->r.uffd = uffd_open(0, NULL);
	ASSERT_LE(0, self->r.uffd) TH_LOG("userfaultfd: %s", strerror(-self->r.uffd));
	self->r.stop_fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->r.stop_fd);
	self->r.src_fd = memfd_pages("uffdscope-race-src", 1);
	ASSERT_LE(0, self->r.src_fd);
	memset(buf, URING_BYTE, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(self->r.src_fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, io_uring_queue_init(4, &self->ring, 0));
	for (i = 0; i < NFAULTERS; i++) {
		self->f[i] = (struct faulter){ .r = &self->r, .n = i, .seed = 1 + i };
		self->f[i].holes = calloc(self->r.npages / (2 * NFAULTERS) + 1,
					  sizeof(*self->f[i].holes));
		ASSERT_NE(NULL, self->f[i].holes);
		ASSERT_EQ(0, io_uring_queue_init(4, &self->f[i].ring, 0));
	}
	ASSERT_EQ(0, pthread_barrier_init(&self->r.start, NULL, NFAULTERS + 1));
	ASSERT_EQ(0, pthread_barrier_init(&self->r.end, NULL, NFAULTERS + 1));
	ASSERT_EQ(0, pthread_create(&self->handler, NULL, handler_main, &self->r));
	for (i = 0; i < NFAULTERS; i++)
		ASSERT_EQ(0, pthread_create(&self->faulters[i], NULL, faulter_main, &self->f[i]));
	self->threads = true;
	THP_KNOB_SET(THP_SHMEM, "never");
	THP_KNOB_SET(THP_ENABLED, "never");
}

FIXTURE_TEARDOWN(race)
{
	EXPECT_EQ(0, knob_restore_all());
}

static int new_round(struct race *r)
{
	size_t i;

	r->memfd = memfd_pages("uffdscope-race", r->npages);
	if (r->memfd < 0)
		return r->memfd;
	r->area = mmap_pmd(r->memfd, r->pmd, true);
	if (r->area == MAP_FAILED)
		return -errno;
	for (i = 0; i < r->npages; i += 2)
		memset(r->area + i * r->ps, page_pattern(SEED_PRE, i), r->ps);
	for (i = 0; i < r->npages; i++)
		atomic_store(&r->copied[i], 0);
	atomic_store(&r->faulters_done, 0);
	return uffd_register(r->uffd, r->area, r->pmd, UFFDIO_REGISTER_MODE_MISSING);
}

static void end_round(struct race *r)
{
	munmap(r->area, r->pmd);
	close(r->memfd);
}

TEST_F_TIMEOUT(race, missing_faults_survive_collapse_race, 120)
{
	const char *env = getenv("UFFDSCOPE_RACE_SECONDS");
	double budget = env ? atof(env) : 3.0, t0, el;
	struct race *r = &self->r;
	long rounds = 0, collapses;
	bool kept = true, intact = true;
	uint64_t one = 1;
	int i;

	BEHAVIOUR(ROW);
	t0 = now_s();
	do {
		ASSERT_EQ(0, new_round(r)) TH_LOG("round %ld setup: %s", rounds, strerror(errno));
		pthread_barrier_wait(&r->start);
		kept = collapse_round(r, &self->ring);
		pthread_barrier_wait(&r->end);
		if (kept)
			intact = data_intact(r);
		rounds++;
		end_round(r);
	} while (kept && intact && !r->results[3] && now_s() - t0 < budget);
	el = now_s() - t0;

	atomic_store(&r->quit, true);
	pthread_barrier_wait(&r->start);
	for (i = 0; i < NFAULTERS; i++)
		pthread_join(self->faulters[i], NULL);
	ASSERT_EQ((ssize_t)sizeof(one), write(r->stop_fd, &one, sizeof(one)));
	pthread_join(self->handler, NULL);

	collapses = r->results[0] + r->results[1] + r->results[2] + r->results[3];
	fprintf(stderr, "# race: %ld rounds in %.2f s (%.1f rounds/s), %ld collapses (%.1f/s): 0=%ld EBUSY=%ld EAGAIN=%ld other=%ld; %ld faults, %ld copies\n",
		rounds, el, rounds / el, collapses, collapses / el, r->results[0], r->results[1],
		r->results[2], r->results[3], atomic_load(&r->faults), atomic_load(&r->copies));

	ASSERT_BEHAVIOUR(ROW, kept,
			 "round %ld: hole page %ld is in the page cache but the handler never copied it (collapse results 0=%ld EBUSY=%ld EAGAIN=%ld)",
			 rounds, r->bad_page, r->results[0], r->results[1], r->results[2]);
	ASSERT_EQ(0L, r->results[3]) TH_LOG("MADV_COLLAPSE returned %s (%d); only 0, EBUSY, EAGAIN are allowed",
					   collapse_errname(r->bad_result), r->bad_result);
	ASSERT_TRUE(intact) TH_LOG("round %ld: page %ld holds 0x%02x, expected 0x%02x", rounds,
				   r->bad_data_page, r->bad_seen, r->bad_want);
	ASSERT_BEHAVIOUR(ROW, !atomic_load(&r->foreign_eexist),
			 "UFFDIO_COPY found %ld MISSING pages already filled by someone else",
			 atomic_load(&r->foreign_eexist));
	ASSERT_EQ(0, r->uring_bad_res) TH_LOG("the io_uring read into a hole returned %d",
					      r->uring_bad_res);
	ASSERT_LT(0L, r->results[1] + r->results[2]) TH_LOG("no collapse ever met a hole: the race did not race");
}

TEST_HARNESS_MAIN
