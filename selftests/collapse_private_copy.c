// SPDX-License-Identifier: GPL-2.0
/*
 * COLLAPSE-PRIVATE-COPY: UFFDIO_COPY into a MAP_PRIVATE shmem mapping installs
 * an anon PTE without looking at the page cache, so the huge page's lock does
 * not keep it out of a page table that collapse_pte_mapped_thp() is emptying.
 * Before "mm/khugepaged: fix collapse_pte_mapped_thp() versus uffd" (6.6) such
 * a PTE could land in the table just before it was freed: the copied data
 * vanished and the mm's RSS counters kept a page no page table maps ("BUG: Bad
 * rss-counter state" when the mm goes away).
 *
 * Each round runs in a child process so that its mm is torn down, and the
 * kernel checks its counters, at the end of the round: the runner scans the
 * kernel log for the complaint. In the round, one thread collapses the first
 * PMD of a fully cached private shmem mapping (its VMA has an anon_vma from a
 * COW in the second PMD, so retract_page_tables() leaves it to
 * collapse_pte_mapped_thp()), while another UFFDIO_COPYs pages into the same
 * PMD one after the other. Afterwards every copy that succeeded must read
 * back, and (with the module) the pages the page tables map must match the
 * mm's RSS counters. Runs for UFFDSCOPE_RACE_SECONDS (default 3), and on a
 * kernel with the stall hook (below) until at least one round copied while
 * the kernel held the window open.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "collapse_util.h"
#include "memory.h"
#include "scope.h"
#include "sysfs_state.h"
#include "uffd.h"

#define ROW "COLLAPSE-PRIVATE-COPY"
#define SEED_FILE 0x21
#define SEED_COPY 0xa7
#define FIRST_COPY 64		/* beyond the fault-around of the read of page 0 */

/* What a round reports to the parent. */
struct round_result {
	int setup_err;
	int collapse;		/* 0 or -errno */
	int copies_ok, copies_eexist, copies_eagain, copies_other;
	int other_err;
	int lost_page;		/* a copied page that does not read back, or -1 */
	bool held;		/* the stall hook held the collapse in the window */
	unsigned char lost_seen;
	long rss_anon, walk_anon, rss_shmem, walk_shmem;
	bool rss_checked;
	long rss_exact;		/* the module's rss_exact: 1, 0, or -1 absent */
	double collapse_s;	/* how long MADV_COLLAPSE took */
	char before[160];	/* the module's view of the range before the race */
};

struct round {
	char *area;
	int uffd;
	size_t ps;
	atomic_bool go, collapsed;
	atomic_int tid;		/* the collapsing thread's */
	bool hooked;		/* the kernel has the stall hook: copy when it holds */
	double delay_s;		/* from the collapse's start to the first copy; <0: no copy */
	double t_start;
	int collapse;
	size_t pmd, npages;	/* one PMD range and its base pages */
	unsigned char *copied;	/* per page of the first PMD: the copy succeeded */
	struct round_result *res;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The control and mutant kernels of this row (kernels/) stall a collapse
 * after step 2 for one second when the collapsing thread has this name, and
 * rename the thread HELD_COMM for that second, so that the race is hit every
 * round there; elsewhere the name is harmless.
 */
#define STALL_COMM "uffdscope-stall"
#define HELD_COMM "uffdscope-held"

static void *collapser(void *arg)
{
	struct round *r = arg;

	pthread_setname_np(pthread_self(), STALL_COMM);
	atomic_store(&r->tid, gettid());
	while (!atomic_load(&r->go))
		;
	r->t_start = now_s();
	r->collapse = madv_collapse(r->area, r->pmd);
	r->res->collapse_s = now_s() - r->t_start;
	atomic_store(&r->collapsed, true);
	return NULL;
}

/* Whether the stall hook holds the collapse between step 2 and step 4 now. */
static bool collapse_held(struct round *r)
{
	char path[64], comm[32];
	int tid = atomic_load(&r->tid);

	if (!tid)
		return false;
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	return !knob_read(path, comm, sizeof(comm)) && !strcmp(comm, HELD_COMM);
}

/*
 * Copy pages FIRST_COPY.. one by one until the collapse is over, starting
 * when the stall hook says it holds the window open, or, on a kernel
 * without the hook, @delay_s after the collapse began: the window that
 * matters is the end of the collapse (after the page cache is done), so the
 * parent sweeps the delay across the collapse's duration. With @delay_s < 0
 * (the calibration round) only watch for the hook.
 */
static void copy_during_collapse(struct round *r)
{
	char *src = aligned_alloc(r->ps, r->ps);
	size_t i;

	atomic_store(&r->go, true);
	while (!atomic_load(&r->collapsed)) {
		/* only the calibration round finds out whether the hook is there */
		if ((r->hooked || r->delay_s < 0) && collapse_held(r)) {
			r->res->held = true;
			break;
		}
		if (!r->hooked && r->delay_s >= 0 && r->t_start &&
		    now_s() - r->t_start >= r->delay_s)
			break;
	}
	if (r->delay_s < 0) {
		free(src);
		return;
	}
	for (i = FIRST_COPY; src && i < r->npages && !atomic_load(&r->collapsed); i++) {
		int64_t copied;
		int ret;

		memset(src, page_pattern(SEED_COPY, i), r->ps);
		ret = uffd_copy(r->uffd, r->area + i * r->ps, src, r->ps, 0, &copied);
		if (!ret) {
			r->copied[i] = 1;
			r->res->copies_ok++;
		} else if (ret == -EEXIST) {
			r->res->copies_eexist++;	/* the PMD is huge already */
		} else if (ret == -EAGAIN) {
			r->res->copies_eagain++;	/* the page table went away under it */
		} else {
			r->res->copies_other++;
			r->res->other_err = ret;
		}
	}
	free(src);
}

static void check_rss(struct round_result *res)
{
	const struct scope_line *sum;
	struct scope_answer ans;
	char q[64];

	snprintf(q, sizeof(q), "pid=%d none=0", getpid());
	if (scope_query("ptes", q, &ans))
		return;
	sum = scope_summary(&ans);
	if (sum) {
		res->rss_checked = true;
		res->rss_anon = scope_num(sum, "rss_anon", 0);
		res->walk_anon = scope_num(sum, "anon", 0);
		res->rss_shmem = scope_num(sum, "rss_shmem", 0);
		res->walk_shmem = scope_num(sum, "shmem", 0);
		res->rss_exact = scope_num(sum, "rss_exact", -1);
	}
	scope_free(&ans);
}

static void run_round(struct round_result *res, double delay_s, bool hooked)
{
	struct round r = { .ps = page_size(), .pmd = pmd_size(), .res = res, .delay_s = delay_s,
			   .hooked = hooked };
	size_t npages = 2 * r.pmd / r.ps, i;
	pthread_t t;
	int memfd;

	res->lost_page = -1;
	res->setup_err = -EINVAL;
	memfd = memfd_pages("uffdscope-private-copy", npages);
	if (memfd < 0 || memfd_fill(memfd, 0, npages, SEED_FILE))
		return;
	r.npages = r.pmd / r.ps;
	r.copied = calloc(r.npages, 1);
	if (!r.copied)
		return;
	r.area = mmap_pmd(memfd, 2 * r.pmd, false);
	r.uffd = uffd_open(0, NULL);
	if (r.area == MAP_FAILED || r.uffd < 0 ||
	    uffd_register(r.uffd, r.area, 2 * r.pmd, UFFDIO_REGISTER_MODE_MISSING))
		return;
	(void)*(volatile char *)r.area;		/* a PTE table for the first PMD */
	r.area[r.pmd + 3 * r.ps] = 1;		/* a COW: the VMA gets an anon_vma */
	{
		char out[2048], vma[16] = "?", av[4] = "?", pmd[16] = "?", v[16] = "?", sc[40] = "?";

		if (!collapse_query(getpid(), r.area, out, sizeof(out))) {
			kv_get(out, "vma", vma, sizeof(vma));
			kv_get(out, "anon_vma", av, sizeof(av));
			kv_get(out, "pmd", pmd, sizeof(pmd));
			kv_get(out, "verdict", v, sizeof(v));
			kv_get(out, "scan", sc, sizeof(sc));
			snprintf(res->before, sizeof(res->before),
				 "vma=%s anon_vma=%s pmd=%s predicted=%s %s", vma, av, pmd, v, sc);
		}
	}
	res->setup_err = pthread_create(&t, NULL, collapser, &r);
	if (res->setup_err)
		return;
	copy_during_collapse(&r);
	pthread_join(t, NULL);
	res->collapse = r.collapse;

	for (i = FIRST_COPY; i < r.npages; i++) {
		unsigned char seen;

		if (r.copied[i] &&
		    !page_holds(r.area + i * r.ps, page_pattern(SEED_COPY, i), &seen)) {
			res->lost_page = i;
			res->lost_seen = seen;
			break;
		}
	}
	check_rss(res);
	munmap(r.area, 2 * r.pmd);
	free(r.copied);
	close(memfd);
	close(r.uffd);
}

FIXTURE(private_copy) {
	struct round_result *res;	/* shared with the round's child */
};

FIXTURE_SETUP(private_copy)
{
	int uffd = uffd_open(0, NULL);

	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
	close(uffd);
	self->res = mmap(NULL, sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	THP_KNOB_SET(THP_SHMEM, "never");
	THP_KNOB_SET(THP_ENABLED, "never");
}

FIXTURE_TEARDOWN(private_copy)
{
	EXPECT_EQ(0, knob_restore_all());
}

TEST_F_TIMEOUT(private_copy, uffd_copy_racing_collapse_keeps_data_and_rss, 120)
{
	const char *env = getenv("UFFDSCOPE_RACE_SECONDS");
	double budget = env ? atof(env) : 3.0, t0, el;
	long slack;
	long rounds = 0, hist[4] = { 0 }, copies = 0, eexist = 0, eagain = 0, rss_rounds = 0;
	long held_rounds = 0;	/* racing rounds the stall hook held open */
	bool hooked = false;	/* the calibration round was held: this kernel has the hook */
	struct round_result *res = self->res;
	bool module = scope_loaded();
	double span = -1;	/* a collapse's duration, from a round without copies */
	int first = 1;		/* the calibration round's result */

	BEHAVIOUR(ROW);
	t0 = now_s();
	do {
		int status;
		pid_t pid;

		memset(res, 0, sizeof(*res));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			/* sweep the first copy over the collapse's duration, 0..110% */
			run_round(res, span < 0 ? -1 : span * (double)((rounds * 37) % 111) / 100,
				  hooked);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("round %ld: child status 0x%x", rounds, status);
		ASSERT_EQ(0, res->setup_err) TH_LOG("round %ld setup failed", rounds);
		rounds++;
		/* the shortest collapse that ran to the end: cold first rounds run long */
		if (span < 0) {
			first = res->collapse;
			hooked = res->held;
			fprintf(stderr, "# calibration round (no copies): MADV_COLLAPSE=%s in %.0f us%s; before: %s\n",
				collapse_errname(first), res->collapse_s * 1e6,
				hooked ? ", held by the stall hook" : "",
				res->before[0] ? res->before : "(no module)");
		} else if (res->held) {
			held_rounds++;
		}
		if (span < 0 || (!res->collapse && res->collapse_s < span))
			span = res->collapse_s;
		copies += res->copies_ok;
		eexist += res->copies_eexist;
		eagain += res->copies_eagain;
		hist[res->collapse == 0 ? 0 : res->collapse == -EINVAL ? 1 :
		     res->collapse == -EAGAIN ? 2 : 3]++;

		ASSERT_EQ(0, res->copies_other)
			TH_LOG("UFFDIO_COPY failed with %s; only EEXIST and EAGAIN are expected",
			       strerror(-res->other_err));
		ASSERT_BEHAVIOUR(ROW, res->lost_page < 0,
				 "round %ld: UFFDIO_COPY to page %d succeeded, yet it reads 0x%02x (file data 0x%02x, copied 0x%02x); collapse=%s",
				 rounds, res->lost_page, res->lost_seen,
				 page_pattern(SEED_FILE, res->lost_page),
				 page_pattern(SEED_COPY, res->lost_page),
				 collapse_errname(res->collapse));
		if (res->rss_checked) {
			rss_rounds++;
			ASSERT_TRUE(res->rss_exact == 0 || res->rss_exact == 1)
				TH_LOG("the ptes summary has no rss_exact=0|1 (module too old?)");
			/*
			 * rss_exact=0: the kernel caches up to 64 counter events
			 * per thread (3 here) where no other task can read them
			 */
			slack = res->rss_exact ? 0 : 64 * 3;
			ASSERT_BEHAVIOUR(ROW, labs(res->rss_anon - res->walk_anon) <= slack,
					 "round %ld: MM_ANONPAGES=%ld but the page tables map %ld anon pages",
					 rounds, res->rss_anon, res->walk_anon);
			ASSERT_GE(slack, labs(res->rss_shmem - res->walk_shmem))
				TH_LOG("round %ld: MM_SHMEMPAGES=%ld, page tables map %ld shmem pages",
				       rounds, res->rss_shmem, res->walk_shmem);
		}
		/*
		 * The budget bounds the rounds, except that a kernel with the
		 * hook must get one racing round that was held (a slow
		 * calibration round can eat the whole budget).
		 */
	} while (now_s() - t0 < budget || (hooked && !held_rounds && rounds < 10));
	el = now_s() - t0;

	fprintf(stderr, "# race: one collapse takes %.0f us; %ld rounds in %.2f s (%.1f rounds/s); collapse 0=%ld EINVAL=%ld EAGAIN=%ld other=%ld; %ld copies landed, %ld met a PMD (EEXIST), %ld a vanished table (EAGAIN); RSS compared in %ld rounds%s; %s\n",
		span * 1e6, rounds, el, rounds / el, hist[0], hist[1], hist[2], hist[3], copies, eexist,
		eagain, rss_rounds, module ? "" : " (module not loaded)",
		hooked ? "the stall hook held the window open" : "no stall hook: copies swept over the collapse");
	if (hooked)
		fprintf(stderr, "# held racing rounds: %ld of %ld\n", held_rounds, rounds - 1);
	(void)first;
	ASSERT_EQ(0, hist[3]) TH_LOG("MADV_COLLAPSE returned an errno other than 0, EINVAL, EAGAIN");
	/* with the hook, copying inside the window is the test: not hitting it is no pass */
	ASSERT_TRUE(!hooked || held_rounds > 0)
		TH_LOG("the stall hook held the calibration round but no racing round in %ld: the race was not hit",
		       rounds - 1);
}

TEST_HARNESS_MAIN
