// SPDX-License-Identifier: GPL-2.0
/*
 * uffdscope.ko's `kind=migration` against /proc/self/pagemap, on real
 * migration entries.
 *
 * Without a second NUMA node nothing migrates on demand, but splitting a
 * PMD-mapped anonymous THP goes through migration entries on one node:
 * split_huge_page() -> unmap_folio() -> try_to_migrate() with
 * TTU_SPLIT_HUGE_PMD splits the PMD "frozen", every PTE of the new table a
 * writable migration entry naming its own page; the folio is split; then
 * remap_page() -> remove_migration_ptes() puts present PTEs back. No page
 * moves: each entry names the pfn the page had in the THP and has again
 * afterwards. /sys/kernel/debug/split_huge_pages ("PID,0xSTART,0xEND", the
 * same form on 6.1, 6.12 and 7.3; later kernels only add optional fields)
 * splits the THPs of a range of a process on demand.
 *
 * Each round collapses one PMD of written anonymous memory (MADV_COLLAPSE),
 * records its pfns from pagemap, and splits it while two threads read the
 * range in tight loops, one through pagemap, one through the module
 * (mode=entries). Every page, in every answer, must be the page it is:
 *  - pagemap: present at its pfn, or SWAP with offset == its pfn (pagemap
 *    shows a pfn-carrying entry's pfn as the offset since 6.1,
 *    swp_offset_pfn()), not FILE, with one swap type all along (all are
 *    writable migration entries). No swap is on and the page comes back
 *    present at that pfn, so such an entry is not a swap slot, a marker
 *    (offset = marker bits) or hwpoison (never comes back);
 *  - the module: present anon at its pfn (PMD or PTE), or kind=migration
 *    level=pte pfn=its pfn write=1 exclusive=0 (the PMD was writable);
 *    never swap, none or any other kind.
 * After the split every page is present again at its pfn, PTE-mapped.
 *
 * The window lasts while the kernel splits the folio's struct pages, so the
 * readers hit it in some rounds only: the test runs rounds until both
 * witnesses have seen migration entries in HIT_ROUNDS rounds, or the time
 * budget ends; a witness that never saw one fails the test ("race not hit").
 * The lowest hit rate measured was one round in four (6.12 arm64 under TCG,
 * Documentation/debugfs-abi.rst), with hundreds of rounds a minute: never
 * hitting is then a broken kernel path or test, not bad luck.
 * UFFDSCOPE_MIGRATION_SECONDS sets the budget (default 60);
 * UFFDSCOPE_MIGRATION_MEASURE_SECONDS runs that long whatever the hits, to
 * measure the rates.
 *
 * SKIPs: no THP (PREEMPT_RT kernels), no split_huge_pages file. THP sysfs
 * is restored at teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "collapse_util.h"
#include "memory.h"
#include "pagemap.h"
#include "scope.h"
#include "sysfs_state.h"

#define SPLIT_FILE	"/sys/kernel/debug/split_huge_pages"
#define SWP_TYPE_BITS	5	/* pagemap: swap type in bits 0-4, offset above */
#define DEFAULT_BUDGET	60.0
#define MAX_BUDGET	240.0	/* under the harness limit below */
/* rounds in which each witness must have seen migration entries to stop early */
#define HIT_ROUNDS	5

/* One reader of the range: what it saw, and the first thing that was wrong. */
struct witness {
	pthread_t thread;
	struct race *race;
	int (*read)(struct witness *w);	/* one read of the range, checked */
	unsigned long reads, hit_reads, hit_rounds, hit_entries;
	bool hit_this_round;
	int swp_type;			/* pagemap's migration type, -1 unseen */
	char failure[512];
};

/* What the splitting thread shares with the readers. */
struct race {
	char *area;
	size_t npages;
	uint64_t *pfn;			/* the page's pfn, per page, this round */
	uint64_t *pm_buf;		/* the pagemap reader's buffer */
	int pagemap;
	atomic_bool splitting;		/* keep reading while set */
	atomic_bool quit;
	pthread_barrier_t start, stop;	/* the splitter and both readers */
	sem_t first_read;		/* posted by each reader after one read */
	struct witness pm, mod;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double env_double(const char *name, double dflt)
{
	const char *v = getenv(name);
	double d = v && atof(v) > 0 ? atof(v) : dflt;

	return d < MAX_BUDGET ? d : MAX_BUDGET;
}

/* A line's value of @key for a message: "-" when the key is missing. */
static const char *val(const struct scope_line *l, const char *key)
{
	const char *v = scope_get(l, key);

	return v ? v : "-";
}

/* Keep the first thing @w found wrong; returns -1 for the caller to return. */
static int __attribute__((format(printf, 2, 3)))
witness_fail(struct witness *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->failure[0]) {
		va_start(ap, fmt);
		vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int read_pagemap(struct witness *w)
{
	struct race *r = w->race;
	size_t len = r->npages * sizeof(uint64_t), i, hits = 0;
	off_t off = (uintptr_t)r->area / page_size() * sizeof(uint64_t);

	if (pread(r->pagemap, r->pm_buf, len, off) != (ssize_t)len)
		return witness_fail(w, "pagemap read: %s", strerror(errno));
	for (i = 0; i < r->npages; i++) {
		uint64_t e = r->pm_buf[i], frame = e & PM_PFN_MASK;
		int type = (int)(frame & ((1 << SWP_TYPE_BITS) - 1));

		if (e & PM_PRESENT) {
			if (frame != r->pfn[i])
				return witness_fail(w, "page %zu present at pfn 0x%llx, the THP's page is 0x%llx",
					     i, (unsigned long long)frame,
					     (unsigned long long)r->pfn[i]);
			continue;
		}
		if (!(e & PM_SWAP))
			return witness_fail(w, "page %zu neither present nor swap: 0x%llx",
				     i, (unsigned long long)e);
		if (frame >> SWP_TYPE_BITS != r->pfn[i] || (e & (PM_FILE | PM_UFFD_WP)))
			return witness_fail(w, "page %zu: swap entry 0x%llx (type %d offset 0x%llx), expected a migration entry of anon pfn 0x%llx",
				     i, (unsigned long long)e, type,
				     (unsigned long long)(frame >> SWP_TYPE_BITS),
				     (unsigned long long)r->pfn[i]);
		if (w->swp_type < 0)
			w->swp_type = type;
		if (type != w->swp_type)
			return witness_fail(w, "page %zu: swap type %d, earlier migration entries had %d",
				     i, type, w->swp_type);
		hits++;
	}
	return (int)hits;
}

/* One line of the module's answer against the pages it covers. */
static int check_line(struct witness *w, const struct scope_line *l)
{
	struct race *r = w->race;
	uintptr_t base = (uintptr_t)r->area, psize = page_size();
	uint64_t start = scope_num(l, "start", 0), end = scope_num(l, "end", 0);
	uint64_t pfn = scope_num(l, "pfn", ~0ULL);
	bool pte = scope_is(l, "level", "pte");
	size_t first, i;

	if (start < base || end > base + r->npages * psize || start >= end)
		return witness_fail(w, "line [0x%llx, 0x%llx) outside the range queried",
			     (unsigned long long)start, (unsigned long long)end);
	first = (start - base) / psize;
	if (scope_is(l, "kind", "migration")) {
		if (!pte || end - start != psize || pfn != r->pfn[first] ||
		    !scope_is(l, "write", "1") || !scope_is(l, "exclusive", "0") ||
		    !scope_is(l, "uffd_wp", "0"))
			return witness_fail(w, "page %zu: kind=migration level=%s pfn=%s write=%s exclusive=%s uffd_wp=%s, expected level=pte pfn=0x%llx write=1 exclusive=0 uffd_wp=0",
				     first, val(l, "level"), val(l, "pfn"),
				     val(l, "write"), val(l, "exclusive"),
				     val(l, "uffd_wp"), (unsigned long long)r->pfn[first]);
		return 1;
	}
	if (!scope_is(l, "kind", "present") || !scope_is(l, "backing", "anon"))
		return witness_fail(w, "page %zu: kind=%s backing=%s level=%s, the page never left: expected present anon or migration",
			     first, val(l, "kind"), val(l, "backing"),
			     val(l, "level"));
	/* mode=entries: a PTE line is one entry; a PMD line's pfns run on */
	if (pte && end - start != psize)
		return witness_fail(w, "page %zu: a level=pte line of %llu bytes in mode=entries",
			     first, (unsigned long long)(end - start));
	for (i = first; i < (end - base) / psize; i++)
		if (pfn + (i - first) != r->pfn[i])
			return witness_fail(w, "page %zu: present at pfn 0x%llx (level=%s), the THP's page is 0x%llx",
				     i, (unsigned long long)(pfn + (i - first)),
				     val(l, "level"), (unsigned long long)r->pfn[i]);
	return 0;
}

static int read_module(struct witness *w)
{
	struct race *r = w->race;
	size_t psize = page_size(), covered = 0;
	struct scope_answer ans;
	int err, i, hits = 0, ret;

	err = scope_ptes(0, r->area, r->npages * psize, "mode=entries", &ans);
	if (err)
		return witness_fail(w, "ptes query: %s", strerror(-err));
	for (i = 0; i < ans.nlines; i++) {
		const struct scope_line *l = &ans.lines[i];

		if (scope_is(l, "kind", "summary"))
			continue;
		ret = check_line(w, l);
		if (ret < 0) {
			scope_free(&ans);
			return ret;
		}
		hits += ret;
		covered += (scope_num(l, "end", 0) - scope_num(l, "start", 0)) / psize;
	}
	scope_free(&ans);
	if (covered != r->npages)
		return witness_fail(w, "the answer covers %zu of %zu pages", covered, r->npages);
	return hits;
}

/* Read the range over and over for each round, while the splitter splits. */
static void *witness_main(void *arg)
{
	struct witness *w = arg;
	struct race *r = w->race;
	bool posted;
	int hits;

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (atomic_load(&r->quit))
			return NULL;
		w->hit_this_round = false;
		posted = false;
		do {
			hits = w->failure[0] ? 0 : w->read(w);
			w->reads++;
			if (hits > 0) {
				w->hit_reads++;
				w->hit_entries += hits;
				w->hit_this_round = true;
			}
			if (!posted) {
				sem_post(&r->first_read);
				posted = true;
			}
		} while (atomic_load(&r->splitting));
		w->hit_rounds += w->hit_this_round;
		pthread_barrier_wait(&r->stop);
	}
}

/* The THP's pfns from pagemap: present and consecutive, or -errno. */
static int record_pfns(struct race *r)
{
	size_t i;

	for (i = 0; i < r->npages; i++) {
		uint64_t e = pagemap_get(r->pagemap, r->area + i * page_size());

		if (!(e & PM_PRESENT))
			return -EFAULT;
		r->pfn[i] = e & PM_PFN_MASK;
		if (r->pfn[i] != r->pfn[0] + i)
			return -EINVAL;
	}
	return 0;
}

static int split_range(const char *area, size_t len)
{
	char cmd[96];
	int fd = open(SPLIT_FILE, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx", (int)getpid(),
		 (unsigned long)(uintptr_t)area, (unsigned long)(uintptr_t)(area + len));
	if (write(fd, cmd, strlen(cmd)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE(migration) {
	struct race r;
};

FIXTURE_SETUP(migration)
{
	SCOPE_REQUIRE();
	THP_REQUIRE();
	if (access(SPLIT_FILE, W_OK))
		SKIP(return, "no %s to split a THP on demand (%s): it needs CONFIG_DEBUG_FS with THP",
		     SPLIT_FILE, strerror(errno));
}

FIXTURE_TEARDOWN(migration)
{
	int err = knob_restore_all();

	if (err)
		TH_LOG("teardown: restoring THP knobs failed: %s", strerror(-err));
}

/*
 * The harness's default limit (30 s) would end a run before its budget
 * (60 s) and report a timeout instead of "race not hit".
 */
TEST_F_TIMEOUT(migration, split_thp_migration_entries_agree_with_pagemap, 280)
{
	struct race *r = &self->r;
	size_t pmd = pmd_size(), i;
	double measure = env_double("UFFDSCOPE_MIGRATION_MEASURE_SECONDS", 0);
	double budget = measure ? measure :
			env_double("UFFDSCOPE_MIGRATION_SECONDS", DEFAULT_BUDGET);
	bool full = measure > 0;
	unsigned long rounds = 0, split_rounds = 0;
	char stop_why[192] = "";
	bool stop = false;
	double t0, elapsed;
	int ret, tries;

	ASSERT_LT(0UL, pmd) TH_LOG("THP's hpage_pmd_size unreadable");
	memset(r, 0, sizeof(*r));
	r->npages = pmd / page_size();
	r->pfn = calloc(r->npages, sizeof(*r->pfn));
	r->pm_buf = calloc(r->npages, sizeof(*r->pm_buf));
	ASSERT_TRUE(r->pfn && r->pm_buf);
	r->pagemap = pagemap_open(0);
	ASSERT_LE(0, r->pagemap) TH_LOG("open pagemap: %s", strerror(-r->pagemap));
	/* madvise: MADV_COLLAPSE makes the THP, nothing else (khugepaged) does */
	THP_KNOB_SET(THP_ENABLED, "madvise");
	r->area = mmap_aligned(pmd, pmd, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r->area);
	for (i = 0; i < r->npages; i++)
		memset(r->area + i * page_size(), (int)(i % 251) + 1, page_size());

	r->pm = (struct witness){ .race = r, .read = read_pagemap,
				  .swp_type = -1 };
	r->mod = (struct witness){ .race = r, .read = read_module,
				   .swp_type = -1 };
	ASSERT_EQ(0, pthread_barrier_init(&r->start, NULL, 3));
	ASSERT_EQ(0, pthread_barrier_init(&r->stop, NULL, 3));
	ASSERT_EQ(0, sem_init(&r->first_read, 0, 0));
	ASSERT_EQ(0, pthread_create(&r->pm.thread, NULL, witness_main, &r->pm));
	ASSERT_EQ(0, pthread_create(&r->mod.thread, NULL, witness_main, &r->mod));

	t0 = now_s();
	while (!stop && now_s() < t0 + budget &&
	       (full || r->pm.hit_rounds < HIT_ROUNDS || r->mod.hit_rounds < HIT_ROUNDS) &&
	       !r->pm.failure[0] && !r->mod.failure[0]) {
		/* EAGAIN is the kernel's "temporary, try again" */
		ret = madv_collapse(r->area, pmd);
		for (tries = 1; ret == -EAGAIN && tries < 5; tries++)
			ret = madv_collapse(r->area, pmd);
		if (ret) {
			snprintf(stop_why, sizeof(stop_why), "MADV_COLLAPSE: %s",
				 collapse_errname(ret));
			break;
		}
		if (record_pfns(r) || smaps_kb(r->area, "AnonHugePages") != (long)(pmd >> 10)) {
			snprintf(stop_why, sizeof(stop_why),
				 "MADV_COLLAPSE returned 0 but left no PMD-mapped THP");
			break;
		}
		rounds++;
		atomic_store(&r->splitting, true);
		pthread_barrier_wait(&r->start);
		/* both readers are in their loops before the split starts */
		sem_wait(&r->first_read);
		sem_wait(&r->first_read);
		ret = split_range(r->area, pmd);
		atomic_store(&r->splitting, false);
		pthread_barrier_wait(&r->stop);
		if (ret) {
			snprintf(stop_why, sizeof(stop_why), "write to %s: %s",
				 SPLIT_FILE, strerror(-ret));
			break;
		}
		/* the split moved no page: all present again at their pfns */
		for (i = 0; i < r->npages; i++) {
			uint64_t e = pagemap_get(r->pagemap, r->area + i * page_size());

			if (!(e & PM_PRESENT) || (e & PM_PFN_MASK) != r->pfn[i]) {
				snprintf(stop_why, sizeof(stop_why),
					 "after the split page %zu is 0x%llx, not present at its pfn 0x%llx",
					 i, (unsigned long long)e, (unsigned long long)r->pfn[i]);
				stop = true;
				break;
			}
		}
		split_rounds += smaps_kb(r->area, "AnonHugePages") == 0;
	}
	elapsed = now_s() - t0;
	atomic_store(&r->quit, true);
	pthread_barrier_wait(&r->start);
	pthread_join(r->pm.thread, NULL);
	pthread_join(r->mod.thread, NULL);

	TH_LOG("%.1f s, %lu rounds (%lu split), page %zu KiB, %zu pages a THP",
	       elapsed, rounds, split_rounds, page_size() >> 10, r->npages);
	TH_LOG("pagemap: %lu reads, %lu saw migration entries (%lu entries), in %lu rounds; swap type %d",
	       r->pm.reads, r->pm.hit_reads, r->pm.hit_entries, r->pm.hit_rounds,
	       r->pm.swp_type);
	TH_LOG("module: %lu reads, %lu saw kind=migration (%lu entries), in %lu rounds",
	       r->mod.reads, r->mod.hit_reads, r->mod.hit_entries, r->mod.hit_rounds);
	ASSERT_STREQ("", stop_why) TH_LOG("round %lu stopped the test", rounds);
	ASSERT_STREQ("", r->pm.failure) TH_LOG("pagemap disagrees with the page");
	ASSERT_STREQ("", r->mod.failure) TH_LOG("the module disagrees with the page");
	ASSERT_LT(0UL, split_rounds) TH_LOG("split_huge_pages split no THP in %lu rounds", rounds);
	ASSERT_LT(0UL, r->pm.hit_rounds)
		TH_LOG("race not hit: pagemap saw no migration entry in %lu rounds, %.0f s",
		       rounds, elapsed);
	ASSERT_LT(0UL, r->mod.hit_rounds)
		TH_LOG("race not hit: the module saw no migration entry in %lu rounds, %.0f s",
		       rounds, elapsed);
	munmap(r->area, pmd);
	close(r->pagemap);
	free(r->pfn);
	free(r->pm_buf);
}

TEST_HARNESS_MAIN
