// SPDX-License-Identifier: GPL-2.0
/*
 * A moving target, for a time budget: reader threads dump every query of
 * uffdscope.ko (ptes in runs and entries mode, with and without none
 * entries, vmas, collapse, faultaround) of several target processes while
 * the targets change their address space without pause: mmap, munmap,
 * mremap, mprotect, fork and exit, MADV_DONTNEED, MADV_PAGEOUT,
 * MADV_COLLAPSE, UFFDIO_COPY, UFFDIO_WRITEPROTECT, UFFDIO_CONTINUE and
 * UFFDIO_MOVE where the kernel has them, shared and private shmem, hugetlb
 * (MAP_HUGETLB and a shared hugetlbfs memfd, where huge pages can be
 * reserved), with khugepaged at its fastest scan. Each target checks its
 * own data (a tag per page) after every step, and times its page faults and
 * mprotect() calls, first alone, then with the readers running: the longest
 * wait with the readers, the reads per second and the target rounds are
 * printed (measurements, never pass/fail thresholds). Then the module is unloaded and reloaded in a
 * loop while other threads open, ask and read: an open file keeps the unload
 * refused.
 *
 * Every read must succeed (the targets live throughout); an oops, lockdep
 * splat or "Bad rss-counter" is the runner's to catch in the kernel log.
 * UFFDSCOPE_STRESS_SECONDS (default 60) is the whole program's budget.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "collapse_util.h"
#include "memory.h"
#include "scope.h"
#include "swap.h"
#include "sysfs_state.h"
#include "uffd.h"

#define NR_TARGETS	3
#define NR_READERS	3
#define MODULE_KO	"/uffdscope.ko"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

static double budget = 60;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What a target shares with the test: where its memory is, what it did. */
struct target_report {
	volatile int stop;
	volatile int phase;		/* 0: alone, 1: readers running */
	uintptr_t anon, shm;		/* current addresses, for the verdict queries */
	uintptr_t hanon, hshm, mvdst;	/* hugetlb and UFFDIO_MOVE memory, or 0 */
	long ops;
	long huge_rounds, moves, move_retries;
	long data_errors;
	char first_error[160];
	double max_fault[2], max_mprotect[2];	/* seconds, per phase */
	int uffd_copy, uffd_wp, uffd_continue, uffd_move;	/* what this kernel let us use */
};

struct target {
	pid_t pid;
	struct target_report *r;
};

static size_t psize, pmd;
/*
 * The default huge page size when the parent could reserve HUGE_PER_TARGET
 * of them per target (0 otherwise: huge_why says why), and the hugetlb
 * pages each target maps: one MAP_HUGETLB private, one hugetlbfs memfd shared.
 */
#define HUGE_PER_TARGET	2
static size_t hsize;
static char huge_why[320];

static uint64_t tag(unsigned int gen, size_t page)
{
	return (uint64_t)gen << 32 | page;
}

static void put_tags(char *p, size_t npages, unsigned int gen)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		*(uint64_t *)(p + i * psize) = tag(gen, i);
		*(uint64_t *)(p + (i + 1) * psize - 8) = tag(gen, i);
	}
}

static void check_tags(struct target_report *r, const char *what, const char *p,
		       size_t npages, unsigned int gen)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		uint64_t a = *(const uint64_t *)(p + i * psize);
		uint64_t b = *(const uint64_t *)(p + (i + 1) * psize - 8);

		if (a != tag(gen, i) || b != tag(gen, i)) {
			if (!r->data_errors++)
				snprintf(r->first_error, sizeof(r->first_error),
					 "%s: page %zu holds 0x%llx/0x%llx, expected 0x%llx",
					 what, i, (unsigned long long)a,
					 (unsigned long long)b,
					 (unsigned long long)tag(gen, i));
			return;
		}
	}
}

/* After UFFDIO_MOVE the source range is empty: it reads as zeroes. */
static void check_zero(struct target_report *r, const char *what, const char *p,
		       size_t npages)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		uint64_t a = *(const uint64_t *)(p + i * psize);

		if (a) {
			if (!r->data_errors++)
				snprintf(r->first_error, sizeof(r->first_error),
					 "%s: page %zu holds 0x%llx, expected 0", what, i,
					 (unsigned long long)a);
			return;
		}
	}
}

static void note_max(double *max, double t0)
{
	double d = now_s() - t0;

	if (d > *max)
		*max = d;
}

/* Tag fresh pages one by one, timing each first-touch fault. */
static void fault_in_tags(struct target_report *r, char *p, size_t npages, unsigned int gen)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		double t0 = now_s();

		*(uint64_t *)(p + i * psize) = tag(gen, i);
		note_max(&r->max_fault[r->phase], t0);
		*(uint64_t *)(p + (i + 1) * psize - 8) = tag(gen, i);
	}
}

static void timed_mprotect(struct target_report *r, void *p, size_t len, int prot)
{
	double t0 = now_s();

	mprotect(p, len, prot);
	note_max(&r->max_mprotect[r->phase], t0);
}

/*
 * UFFDIO_MOVE of the whole range onto the MISSING-registered destination.
 * The kernel may move a part and ask for the rest again (EAGAIN: a large
 * folio it had to split, a PMD that changed under it); anything else, or a
 * thousand retries without the end, counts as a data error.
 */
static void move_all(struct target_report *r, int uffd, char *dst, char *src, size_t len)
{
	size_t done = 0;
	int tries = 0;

	while (done < len) {
		struct uffdio_move mv = {
			.dst = (uintptr_t)(dst + done),
			.src = (uintptr_t)(src + done),
			.len = len - done,
			.mode = UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES,
		};
		int err = ioctl(uffd, UFFDIO_MOVE, &mv) ? errno : 0;

		if (mv.move > 0)
			done += mv.move;
		if (!err && mv.move > 0)
			continue;
		if (err == EAGAIN && ++tries < 1000) {
			r->move_retries++;
			continue;
		}
		if (!r->data_errors++)
			snprintf(r->first_error, sizeof(r->first_error),
				 "UFFDIO_MOVE: %zu of %zu bytes moved, then %s (move=%lld)",
				 done, len, err ? strerror(err) : "no progress",
				 (long long)mv.move);
		return;
	}
	r->moves++;
}

/*
 * The hugetlb memory, when the parent reserved it: MAP_HUGETLB private (its
 * pages come back zero after MADV_DONTNEED) and a hugetlbfs memfd shared
 * (its pages survive it). On failure both stay NULL and the reason is the
 * target's first error: the parent saw the pages free.
 */
static void map_hugetlb(struct target_report *r, char **hanon, char **hshm)
{
	int fd;

	if (!hsize)
		return;
	*hanon = mmap(NULL, hsize, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	fd = memfd_hugetlb("stress-hugetlb", 1);
	*hshm = fd < 0 ? MAP_FAILED : mmap_pmd(fd, hsize, true);
	if (*hanon == MAP_FAILED || *hshm == MAP_FAILED) {
		r->data_errors++;
		snprintf(r->first_error, sizeof(r->first_error),
			 "hugetlb: MAP_HUGETLB %s, memfd %s, with the pages reserved",
			 *hanon == MAP_FAILED ? "failed" : "mapped",
			 fd < 0 ? strerror(-fd) : *hshm == MAP_FAILED ? "mmap failed" : "mapped");
		*hanon = *hshm = NULL;
	}
	if (fd >= 0)
		close(fd);
}

/* The target's life: every step changes the mm, then checks the data. */
static void target_main(struct target_report *r, int id)
{
	size_t len = 2 * pmd, n = len / psize;
	unsigned int gen = 1;
	uint64_t missing = 0;
	int memfd = memfd_pages("stress-shm", n), uffd;
	char *slots = mmap_aligned(3 * len, pmd, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *anon = slots, *shm, *minor = NULL, *copy;
	char *hanon = NULL, *hshm = NULL, *mvsrc = NULL, *mvdst = NULL;
	size_t hn = hsize / psize, np = pmd / psize;
	int mvfd;
	char *src = malloc(psize);

	if (memfd < 0 || slots == MAP_FAILED || !src)
		_exit(2);
	anon = mmap(slots, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	shm = mmap_2m(memfd, len, true);
	copy = mmap_2m(-1, pmd, false);
	if (anon == MAP_FAILED || shm == MAP_FAILED || copy == MAP_FAILED)
		_exit(2);
	madvise(anon, len, MADV_HUGEPAGE);
	madvise(shm, len, MADV_HUGEPAGE);
	put_tags(anon, n, gen);
	put_tags(shm, n, gen);
	map_hugetlb(r, &hanon, &hshm);
	if (hanon) {
		put_tags(hanon, hn, gen);
		put_tags(hshm, hn, gen);
	}

	/* userfaultfd, as far as this kernel goes */
	uffd = uffd_open(UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_PAGEFAULT_FLAG_WP, &missing);
	if (uffd == -EOPNOTSUPP)
		uffd = uffd_open(0, &missing);
	if (uffd >= 0) {
		r->uffd_copy = !uffd_register(uffd, copy, pmd, UFFDIO_REGISTER_MODE_MISSING |
					      (missing & UFFD_FEATURE_PAGEFAULT_FLAG_WP ? 0 :
					       UFFDIO_REGISTER_MODE_WP));
		r->uffd_wp = r->uffd_copy && !(missing & UFFD_FEATURE_PAGEFAULT_FLAG_WP);
		if (!r->uffd_wp)
			r->uffd_copy = !uffd_register(uffd, copy, pmd, UFFDIO_REGISTER_MODE_MISSING);
		if (!(missing & UFFD_FEATURE_MINOR_SHMEM)) {
			minor = mmap_2m(memfd, len, true);
			r->uffd_continue = minor != MAP_FAILED &&
				!uffd_register(uffd, minor, len, UFFDIO_REGISTER_MODE_MINOR);
		}
	}
	/*
	 * UFFDIO_MOVE (6.8+) on its own uffd: anonymous PMD-aligned THPs or
	 * PTEs. SIGBUS: a destination page the move left empty kills the
	 * target (a failed status) instead of blocking it on a fault no one
	 * resolves.
	 */
	mvfd = uffd_open(UFFD_FEATURE_MOVE | UFFD_FEATURE_SIGBUS, &missing);
	if (mvfd >= 0) {
		mvsrc = mmap_pmd(-1, pmd, false);
		mvdst = mmap_pmd(-1, pmd, false);
		r->uffd_move = mvsrc != MAP_FAILED && mvdst != MAP_FAILED &&
			!uffd_register(mvfd, mvdst, pmd, UFFDIO_REGISTER_MODE_MISSING);
	}

	while (!r->stop) {
		size_t i;
		pid_t child;
		char *moved;

		r->anon = (uintptr_t)anon;
		r->shm = (uintptr_t)shm;
		r->hanon = (uintptr_t)hanon;
		r->hshm = (uintptr_t)hshm;
		r->mvdst = r->uffd_move ? (uintptr_t)mvdst : 0;

		timed_mprotect(r, anon, len, PROT_READ);
		check_tags(r, "anon after mprotect(PROT_READ)", anon, n, gen);
		timed_mprotect(r, anon, len, PROT_READ | PROT_WRITE);
		if (hanon) {
			timed_mprotect(r, hanon, hsize, PROT_READ);
			timed_mprotect(r, hshm, hsize, PROT_READ);
			check_tags(r, "MAP_HUGETLB after mprotect(PROT_READ)", hanon, hn, gen);
			check_tags(r, "hugetlbfs after mprotect(PROT_READ)", hshm, hn, gen);
			timed_mprotect(r, hanon, hsize, PROT_READ | PROT_WRITE);
			timed_mprotect(r, hshm, hsize, PROT_READ | PROT_WRITE);
		}

		madvise(anon, len / 2, MADV_PAGEOUT);
		madvise(shm + len / 2, len / 2, MADV_PAGEOUT);
		check_tags(r, "anon after MADV_PAGEOUT", anon, n, gen);
		check_tags(r, "shmem after MADV_PAGEOUT", shm, n, gen);

		madv_collapse(anon, len);
		madv_collapse(shm, len);
		check_tags(r, "anon after MADV_COLLAPSE", anon, n, gen);
		check_tags(r, "shmem after MADV_COLLAPSE", shm, n, gen);

		/* zapped: anon comes back zero, shared shmem keeps its data */
		madvise(anon, len, MADV_DONTNEED);
		madvise(shm, len, MADV_DONTNEED);
		check_tags(r, "shmem after MADV_DONTNEED", shm, n, gen);
		gen++;
		fault_in_tags(r, anon, n, gen);
		put_tags(shm, n, gen);

		/*
		 * hugetlb zapped: the shared memfd keeps its data, the private
		 * MAP_HUGETLB page is freed and faults back zeroed (5.18+; an
		 * older kernel refuses the advice and keeps it).
		 */
		if (hanon) {
			madvise(hshm, hsize, MADV_DONTNEED);
			check_tags(r, "hugetlbfs after MADV_DONTNEED", hshm, hn, gen - 1);
			put_tags(hshm, hn, gen);
			if (!madvise(hanon, hsize, MADV_DONTNEED))
				check_zero(r, "MAP_HUGETLB after MADV_DONTNEED", hanon, hn);
			fault_in_tags(r, hanon, hn, gen);
			r->huge_rounds++;
		}

		/*
		 * UFFDIO_MOVE before the fork: a page the child shares is not
		 * the mover's alone (EBUSY). The source faults in fresh (timed),
		 * moves whole onto the emptied destination, and reads zero after.
		 */
		if (r->uffd_move) {
			madvise(mvdst, pmd, MADV_DONTNEED);
			fault_in_tags(r, mvsrc, np, gen);
			move_all(r, mvfd, mvdst, mvsrc, pmd);
			check_tags(r, "UFFDIO_MOVE destination", mvdst, np, gen);
			check_zero(r, "UFFDIO_MOVE source after the move", mvsrc, np);
		}

		/* move the anon mapping to the next slot and back later */
		moved = slots + ((anon - slots) / len + 1) % 3 * len;
		moved = mremap(anon, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, moved);
		if (moved != MAP_FAILED)
			anon = moved;
		check_tags(r, "anon after mremap", anon, n, gen);

		child = fork();
		if (child == 0) {
			check_tags(r, "anon in the forked child", anon, n, gen);
			check_tags(r, "shmem in the forked child", shm, n, gen);
			if (hanon) {
				check_tags(r, "MAP_HUGETLB in the forked child", hanon, hn, gen);
				check_tags(r, "hugetlbfs in the forked child", hshm, hn, gen);
			}
			memset(anon, 0xee, psize);	/* COW: the parent must not see it */
			_exit(0);
		}
		if (child > 0)
			waitpid(child, NULL, 0);
		check_tags(r, "anon after the child's COW write", anon, n, gen);
		if (hanon)
			check_tags(r, "MAP_HUGETLB after the fork", hanon, hn, gen);

		if (r->uffd_copy) {
			madvise(copy, pmd, MADV_DONTNEED);
			for (i = 0; i < pmd / psize; i++) {
				int64_t copied;

				*(uint64_t *)src = tag(gen, i);
				*(uint64_t *)(src + psize - 8) = tag(gen, i);
				uffd_copy(uffd, copy + i * psize, src, psize, 0, &copied);
			}
			check_tags(r, "UFFDIO_COPY", copy, pmd / psize, gen);
			if (r->uffd_wp) {
				uffd_writeprotect(uffd, copy, pmd, true);
				check_tags(r, "after UFFDIO_WRITEPROTECT", copy, pmd / psize, gen);
				uffd_writeprotect(uffd, copy, pmd, false);
			}
		}
		if (r->uffd_continue) {
			struct uffdio_continue cont = {
				.range = { .start = (uintptr_t)minor, .len = len },
			};

			madvise(minor, len, MADV_DONTNEED);
			ioctl(uffd, UFFDIO_CONTINUE, &cont);
			check_tags(r, "UFFDIO_CONTINUE", minor, n, gen);
		}

		/* a short-lived mapping beside the others */
		{
			char *p = mmap(NULL, 16 * psize, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p != MAP_FAILED) {
				memset(p, id, 16 * psize);
				munmap(p, 16 * psize);
			}
		}
		r->ops++;
	}
	_exit(0);
}

static int start_targets(struct target *t, struct target_report *reports)
{
	int i;

	for (i = 0; i < NR_TARGETS; i++) {
		t[i].r = &reports[i];
		t[i].pid = fork();
		if (t[i].pid < 0)
			return -errno;
		if (t[i].pid == 0)
			target_main(t[i].r, i);
	}
	return 0;
}

/* ---- readers ----------------------------------------------------------- */

struct reader {
	pthread_t thread;
	struct target *targets;
	double deadline;
	unsigned int seed;
	long reads, bytes, bad;
	int bad_err;
	char bad_query[128];
};

/* One of the target's memories for a verdict query; hugetlb and MOVE where it has them. */
static uintptr_t pick_area(const struct target_report *r, unsigned int dice)
{
	uintptr_t areas[] = { r->anon, r->shm, r->hanon, r->hshm, r->mvdst };
	uintptr_t a = areas[dice % 5];

	return a ? a : areas[dice % 2];
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	static const char *const ptes_opts[] = {
		"", " mode=entries", " none=0", " mode=entries none=0",
	};
	char *buf = malloc(1 << 16), q[128];
	int fds[4], f;

	fds[0] = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	fds[1] = open(SCOPE_DIR "/vmas", O_RDWR | O_CLOEXEC);
	fds[2] = open(SCOPE_DIR "/collapse", O_RDWR | O_CLOEXEC);
	fds[3] = open(SCOPE_DIR "/faultaround", O_RDWR | O_CLOEXEC);
	while (buf && now_s() < rd->deadline) {
		struct target *t = &rd->targets[rand_r(&rd->seed) % NR_TARGETS];
		ssize_t n;

		f = rand_r(&rd->seed) % 4;
		if (f == 0)
			snprintf(q, sizeof(q), "pid=%d%s", t->pid,
				 ptes_opts[rand_r(&rd->seed) % 4]);
		else if (f == 1)
			snprintf(q, sizeof(q), "pid=%d", t->pid);
		else
			snprintf(q, sizeof(q), "pid=%d start=0x%lx", t->pid,
				 (unsigned long)pick_area(t->r, rand_r(&rd->seed)));
		if (write(fds[f], q, strlen(q)) < 0)
			goto bad;
		do {
			n = read(fds[f], buf, 1 + rand_r(&rd->seed) % (1 << 16));
			if (n > 0)
				rd->bytes += n;
		} while (n > 0);
		if (n < 0)
			goto bad;
		rd->reads++;
		continue;
bad:
		rd->bad++;
		rd->bad_err = errno;
		snprintf(rd->bad_query, sizeof(rd->bad_query), "%s: %s",
			 (const char *[]){ "ptes", "vmas", "collapse", "faultaround" }[f], q);
	}
	for (f = 0; f < 4; f++)
		close(fds[f]);
	free(buf);
	return NULL;
}

/* ---- the tests ---------------------------------------------------------- */

/*
 * Reserve HUGE_PER_TARGET default-size huge pages per target on top of what
 * nr_hugepages holds (knob_restore_all() puts it back). Sets hsize only when
 * they are free; otherwise huge_why says precisely what is missing.
 */
static void reserve_hugetlb(void)
{
	size_t hs = hugetlb_size(), need = HUGE_PER_TARGET * NR_TARGETS;
	char nr_path[128], free_path[128];
	long have, free_now;
	int err;

	hsize = 0;
	if (!hs || !hugetlb_knob("nr_hugepages", nr_path, sizeof(nr_path)) ||
	    !hugetlb_knob("free_hugepages", free_path, sizeof(free_path))) {
		snprintf(huge_why, sizeof(huge_why),
			 "no default huge page size in /proc/meminfo (kernel without CONFIG_HUGETLBFS)");
		return;
	}
	have = knob_read_long(nr_path);
	free_now = knob_read_long(free_path);
	if (have < 0 || free_now < 0) {
		snprintf(huge_why, sizeof(huge_why), "%s or %s unreadable", nr_path, free_path);
		return;
	}
	err = knob_set_ulong(nr_path, have + need);
	free_now = knob_read_long(free_path);
	if (err || free_now < (long)need) {
		snprintf(huge_why, sizeof(huge_why),
			 "nr_hugepages %ld -> %ld (%s): %ld of the %zu %zu kB pages needed are free (the VM's memory)",
			 have, have + (long)need, err ? strerror(-err) : "written",
			 free_now, need, hs >> 10);
		return;
	}
	hsize = hs;
}

FIXTURE(stress) {
	struct target t[NR_TARGETS];
	struct target_report *reports;
	bool swap;
};

FIXTURE_SETUP(stress)
{
	SCOPE_REQUIRE();
	psize = page_size();
	pmd = SZ_2M;
	{
		long v = knob_read_long(THP_DIR "/hpage_pmd_size");

		if (v > 0)
			pmd = v;
	}
	self->reports = mmap(NULL, NR_TARGETS * sizeof(*self->reports),
			     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->reports);
	memset(self->reports, 0, NR_TARGETS * sizeof(*self->reports));
	memset(self->t, 0, sizeof(self->t));
}

FIXTURE_TEARDOWN(stress)
{
	int i, err;

	for (i = 0; i < NR_TARGETS; i++) {
		if (self->t[i].pid > 0) {
			kill(self->t[i].pid, SIGKILL);
			waitpid(self->t[i].pid, NULL, 0);
		}
	}
	if (self->swap)
		swap_zram_off();
	err = knob_restore_all();
	if (err)
		TH_LOG("teardown: restoring the THP/khugepaged knobs failed: %s", strerror(-err));
}

TEST_F_TIMEOUT(stress, readers_against_mutating_targets, 600)
{
	struct reader rd[NR_READERS];
	double alone = budget * 0.15, together = budget * 0.55, t0;
	long reads = 0, bytes = 0, ops_alone = 0, ops = 0, bad = 0;
	int i, err;

	/* khugepaged at its fastest; knobs absent (PREEMPT_RT) are reported */
	if (knob_read_long(KHUGEPAGED_DIR "/scan_sleep_millisecs") >= 0) {
		ASSERT_EQ(0, knob_set(KHUGEPAGED_DIR "/scan_sleep_millisecs", "0"));
		ASSERT_EQ(0, knob_set(KHUGEPAGED_DIR "/alloc_sleep_millisecs", "0"));
		ASSERT_EQ(0, knob_set(KHUGEPAGED_DIR "/pages_to_scan", "4096"));
		ASSERT_EQ(0, knob_set(THP_ENABLED, "always"));
		ASSERT_EQ(0, knob_set(THP_SHMEM, "advise"));
	} else {
		printf("# no khugepaged knobs in sysfs (THP not configured): collapse only by MADV_COLLAPSE\n");
	}
	err = swap_zram_on(64UL << 20);
	self->swap = !err;
	if (err)
		printf("# no zram swap (%s): MADV_PAGEOUT reclaims file pages only\n", strerror(-err));

	reserve_hugetlb();
	if (!hsize)
		printf("# stress: hugetlb target not run: %s\n", huge_why);

	ASSERT_EQ(0, start_targets(self->t, self->reports));
	t0 = now_s();
	while (now_s() < t0 + alone)
		usleep(100 * 1000);	/* a budget, not synchronisation */
	for (i = 0; i < NR_TARGETS; i++) {
		ops_alone += self->reports[i].ops;
		self->reports[i].phase = 1;
	}

	t0 = now_s();
	for (i = 0; i < NR_READERS; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].targets = self->t;
		rd[i].deadline = t0 + together;
		rd[i].seed = i + 1;
		ASSERT_EQ(0, pthread_create(&rd[i].thread, NULL, reader_main, &rd[i]));
	}
	for (i = 0; i < NR_READERS; i++) {
		pthread_join(rd[i].thread, NULL);
		reads += rd[i].reads;
		bytes += rd[i].bytes;
		bad += rd[i].bad;
		if (rd[i].bad)
			printf("# reader %d: %ld failed, last %s: %s\n", i, rd[i].bad,
			       rd[i].bad_query, strerror(rd[i].bad_err));
	}
	together = now_s() - t0;
	for (i = 0; i < NR_TARGETS; i++)
		self->reports[i].stop = 1;
	for (i = 0; i < NR_TARGETS; i++) {
		int status;

		waitpid(self->t[i].pid, &status, 0);
		self->t[i].pid = 0;
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("target %d ended with status 0x%x", i, status);
	}

	{
		double mf[2] = { 0 }, mp[2] = { 0 };
		long data_errors = 0, huge_rounds = 0, moves = 0, retries = 0;

		for (i = 0; i < NR_TARGETS; i++) {
			struct target_report *r = &self->reports[i];
			int p;

			ops += r->ops;
			data_errors += r->data_errors;
			huge_rounds += r->huge_rounds;
			moves += r->moves;
			retries += r->move_retries;
			for (p = 0; p < 2; p++) {
				if (r->max_fault[p] > mf[p])
					mf[p] = r->max_fault[p];
				if (r->max_mprotect[p] > mp[p])
					mp[p] = r->max_mprotect[p];
			}
			if (r->data_errors)
				printf("# target %d: %ld data errors, first: %s\n", i,
				       r->data_errors, r->first_error);
		}
		printf("# stress: %d targets, %d readers, %.1f s alone + %.1f s with readers\n",
		       NR_TARGETS, NR_READERS, alone, together);
		printf("# stress: uffd copy=%d wp=%d continue=%d move=%d\n", self->reports[0].uffd_copy,
		       self->reports[0].uffd_wp, self->reports[0].uffd_continue,
		       self->reports[0].uffd_move);
		if (!self->reports[0].uffd_move)
			printf("# stress: UFFDIO_MOVE not run: userfaultfd lacks UFFD_FEATURE_MOVE (6.8+)\n");
		printf("# stress: hugetlb %zu kB pages: %ld rounds; UFFDIO_MOVE: %ld whole-range moves (%ld EAGAIN retries)\n",
		       hsize >> 10, huge_rounds, moves, retries);
		printf("# stress: reads=%ld (%.0f/s) bytes=%ld target rounds=%ld (alone %ld), failed reads=%ld, data errors=%ld\n",
		       reads, reads / together, bytes, ops, ops_alone, bad, data_errors);
		printf("# stress: longest fault alone %.1f ms, with readers %.1f ms; longest mprotect alone %.1f ms, with readers %.1f ms\n",
		       mf[0] * 1e3, mf[1] * 1e3, mp[0] * 1e3, mp[1] * 1e3);
		/* one line to grep: the figure (a measurement, never a threshold) */
		printf("# stress-figures: ops=%ld reads_per_s=%.0f longest_wait_with_readers_ms=%.1f\n",
		       ops, reads / together, (mf[1] > mp[1] ? mf[1] : mp[1]) * 1e3);
		EXPECT_EQ(0, data_errors) TH_LOG("a target's data changed under it");
	}
	EXPECT_EQ(0, bad) TH_LOG("reads of live targets failed");
	EXPECT_LT(0, reads);
	EXPECT_LT(0, ops - ops_alone) TH_LOG("the targets made no progress while the readers ran");
}

/* ---- unload and reload under open files and reads in flight ------------- */

struct churner {
	pthread_t thread;
	volatile int *stop;
	pthread_rwlock_t *unloading;	/* no open() during a delete_module() */
	long asked, refused_open, bad;
	int bad_err;
};

/*
 * The readers' open() never overlaps a delete_module(): they hold the lock
 * for reading around open() alone, the unloader for writing around each
 * delete_module(). Files already open and reads in flight do overlap it:
 * that is what must keep the unload refused. An open() inside a successful
 * delete_module() meets a kernel race instead of the module: between
 * try_stop_module() dropping the refcount to zero and setting
 * MODULE_STATE_GOING, debugfs's full_proxy_open_regular() fails
 * try_module_get() on a module still LIVE and WARNs "debugfs file owner did
 * not clean up at exit" (seen on Debian 7.3.4 amd64; the same code in 6.1
 * and 6.12): the open fails cleanly with ENXIO, but the WARN taints the
 * kernel, and a module cannot close that window from its side.
 */
static int open_scope_file(struct churner *c, const char *path)
{
	int fd;

	pthread_rwlock_rdlock(c->unloading);
	fd = open(path, O_RDWR | O_CLOEXEC);
	pthread_rwlock_unlock(c->unloading);
	return fd;
}

static int unload_module(pthread_rwlock_t *unloading)
{
	int err;

	pthread_rwlock_wrlock(unloading);
	err = syscall(SYS_delete_module, "uffdscope", O_NONBLOCK) ? errno : 0;
	pthread_rwlock_unlock(unloading);
	return err;
}

static void *open_ask_read(void *arg)
{
	struct churner *c = arg;
	char q[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(q, sizeof(q), "pid=%d none=0", getpid());
	while (!*c->stop) {
		fd = open_scope_file(c, SCOPE_DIR "/ptes");
		if (fd < 0) {
			/*
			 * The module is away: its files are gone (ENOENT), or
			 * it is going and debugfs's proxy cannot pin it (ENXIO).
			 */
			if (errno == ENOENT || errno == ENXIO)
				c->refused_open++;
			else
				c->bad++, c->bad_err = errno;
			continue;
		}
		if (write(fd, q, strlen(q)) < 0) {
			c->bad++;
			c->bad_err = errno;
		} else {
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				;
			if (n < 0)
				c->bad++, c->bad_err = errno;
			c->asked++;
		}
		close(fd);
	}
	return NULL;
}

static int load_module(int kofd)
{
	return syscall(SYS_finit_module, kofd, "", 0) ? -errno : 0;
}

TEST_F_TIMEOUT(stress, unload_reload_with_files_open_and_reads_in_flight, 600)
{
	double deadline = now_s() + budget * 0.25;
	pthread_rwlock_t unloading;
	pthread_rwlockattr_t attr;
	struct churner c[2];
	volatile int stop = 0;
	long unloads = 0, refused = 0, held_refused = 0;
	int kofd, i, err, held;
	char q[64];

	kofd = open(MODULE_KO, O_RDONLY | O_CLOEXEC);
	if (kofd < 0)
		SKIP(return, "no %s to reload the module from (only the VM's initramfs has it)", MODULE_KO);

	/* the unloader must not wait behind a stream of readers' opens */
	ASSERT_EQ(0, pthread_rwlockattr_init(&attr));
	ASSERT_EQ(0, pthread_rwlockattr_setkind_np(&attr,
						   PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP));
	ASSERT_EQ(0, pthread_rwlock_init(&unloading, &attr));
	pthread_rwlockattr_destroy(&attr);
	for (i = 0; i < 2; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].stop = &stop;
		c[i].unloading = &unloading;
		ASSERT_EQ(0, pthread_create(&c[i].thread, NULL, open_ask_read, &c[i]));
	}
	snprintf(q, sizeof(q), "pid=%d", getpid());
	while (now_s() < deadline) {
		/* a file held open: the unload must be refused, every time */
		held = open(SCOPE_DIR "/vmas", O_RDWR | O_CLOEXEC);
		if (held >= 0) {
			err = unload_module(&unloading);
			EXPECT_TRUE(err == EWOULDBLOCK || err == EBUSY)
				TH_LOG("unload with a file open: %s, expected EWOULDBLOCK/EBUSY",
				       err ? strerror(err) : "it unloaded");
			if (!err)
				break;
			held_refused++;
			EXPECT_LT(0, write(held, q, strlen(q)));
			close(held);
		}
		/* the readers may hold files too: refused, or gone */
		err = unload_module(&unloading);
		if (err == EWOULDBLOCK || err == EBUSY || err == ENOENT) {
			refused++;
			if (err != ENOENT)
				continue;
		} else {
			ASSERT_EQ(0, err) TH_LOG("delete_module: %s", strerror(err));
			unloads++;
		}
		err = load_module(kofd);
		ASSERT_EQ(0, err) TH_LOG("finit_module(%s): %s", MODULE_KO, strerror(-err));
	}
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(c[i].thread, NULL);
	pthread_rwlock_destroy(&unloading);
	/* leave it loaded, as the runner loaded it */
	if (!scope_loaded())
		ASSERT_EQ(0, load_module(kofd));
	close(kofd);
	printf("# unload: %ld unloads+reloads, %ld refused with a file open (all), %ld refused while readers held files; readers asked %ld+%ld times, %ld+%ld opens found the module away\n",
	       unloads, held_refused, refused, c[0].asked, c[1].asked,
	       c[0].refused_open, c[1].refused_open);
	EXPECT_EQ(0, c[0].bad + c[1].bad) TH_LOG("reader calls failed: %s / %s",
						  strerror(c[0].bad_err), strerror(c[1].bad_err));
	EXPECT_LT(0, unloads) TH_LOG("the module never unloaded between readers");
	ASSERT_TRUE(scope_loaded());
}

int main(int argc, char **argv)
{
	const char *env = getenv("UFFDSCOPE_STRESS_SECONDS");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env && atof(env) > 0)
		budget = atof(env) > 500 ? 500 : atof(env);
	printf("# stress_walk: budget %.0f s (UFFDSCOPE_STRESS_SECONDS)\n", budget);
	return test_harness_run(argc, argv);
}
