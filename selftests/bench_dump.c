// SPDX-License-Identifier: GPL-2.0
/*
 * How fast the module dumps page tables, next to the kernel's own interfaces
 * for the same range: reading /proc/self/pagemap (8 bytes per page, holes
 * included) and the PAGEMAP_SCAN ioctl (6.7+, ranges of pages that have any
 * of present / swapped / zero-pfn). Two shapes:
 *
 *  (a) 1 GiB of mixed states, by 64 KiB chunk (chunk number modulo 4):
 *      written (present anon), read (zero page), untouched (none inside a
 *      PTE table), written; so ptes merges each chunk into one or two runs
 *      while pagemap has 16 entries per chunk;
 *  (b) a 64 GiB MAP_NORESERVE reservation with one page written per GiB.
 *
 * And (c): how long the dump keeps the target waiting. A child writes up to
 * 4 GiB of anonymous memory (less when the machine has less to spare: the
 * size is printed), then calls mprotect() on a page of its own every
 * millisecond and times each call, first alone, then while the parent dumps
 * the child's range. mprotect() takes the mmap lock for writing, so its
 * latency is how long the dump holds that lock at a time (and on 6.1, where
 * page faults take the mmap lock too, how long every fault waits).
 *
 * Each measurement is the median of BENCH_RUNS runs. This program prints;
 * it never fails on speed (the goals are (a) ptes no slower than pagemap,
 * (b) ptes at least 100x faster than pagemap). It fails only if a dump
 * itself fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "kselftest_harness.h"
#include "sysfs_state.h"
#include "memory.h"
#include "scope.h"

#define BENCH_RUNS	5
#define GIB		(1UL << 30)
#define CHUNK		(64UL << 10)
#define PAGEMAP_BUF	(1UL << 20)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The whole ptes answer (merged runs) for the range of @pid, with the extra
 * query words @extra ("" for text, "format=bin"); bytes or -errno.
 */
static long dump_ptes_as(pid_t pid, char *area, size_t len, const char *extra,
			 char *buf, size_t buflen)
{
	char query[128];
	long total = 0;
	ssize_t n;
	int fd;

	fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(query, sizeof(query), "pid=%d start=%p len=0x%zx %s",
		 pid, area, len, extra);
	if (write(fd, query, strlen(query)) < 0) {
		total = -errno;
		goto out;
	}
	while ((n = read(fd, buf, buflen)) > 0)
		total += n;
	if (n < 0)
		total = -errno;
out:
	close(fd);
	return total;
}

static long dump_ptes(char *area, size_t len, char *buf, size_t buflen)
{
	return dump_ptes_as(getpid(), area, len, "", buf, buflen);
}

/* The same answer as binary records (format=bin). */
static long dump_ptes_bin(char *area, size_t len, char *buf, size_t buflen)
{
	return dump_ptes_as(getpid(), area, len, "format=bin", buf, buflen);
}

/* Every pagemap entry of the range; bytes read or -errno. */
static long dump_pagemap(char *area, size_t len, char *buf, size_t buflen)
{
	off_t off = (uintptr_t)area / page_size() * 8;
	off_t end = off + len / page_size() * 8;
	long total = 0;
	ssize_t n;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (; off < end; off += n) {
		size_t want = (size_t)(end - off) < buflen ? (size_t)(end - off) : buflen;

		n = pread(fd, buf, want, off);
		if (n <= 0) {
			total = n < 0 ? -errno : -EIO;
			break;
		}
		total += n;
	}
	close(fd);
	return total;
}

/* PAGEMAP_SCAN for pages present, swapped or zero; regions found or -errno. */
static long dump_scan(char *area, size_t len, char *buf, size_t buflen)
{
	struct page_region *vec = (struct page_region *)buf;
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)area,
		.end = (uintptr_t)area + len,
		.vec = (uintptr_t)vec,
		.vec_len = buflen / sizeof(*vec),
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO |
			       PAGE_IS_FILE | PAGE_IS_HUGE,
	};
	long total = 0, n;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = ioctl(fd, PAGEMAP_SCAN, &arg);
		if (n < 0) {
			total = -errno;
			break;
		}
		total += n;
		arg.start = arg.walk_end;
	} while (arg.walk_end < arg.end);
	close(fd);
	return total;
}

typedef long (*dump_fn)(char *area, size_t len, char *buf, size_t buflen);

static double time_one(dump_fn fn, char *area, size_t len, char *buf, long *out)
{
	double t0 = now_ms();

	*out = fn(area, len, buf, PAGEMAP_BUF);
	return now_ms() - t0;
}

static double median(double *t)
{
	qsort(t, BENCH_RUNS, sizeof(t[0]), cmp_double);
	return t[BENCH_RUNS / 2];
}

static void report(struct __test_metadata *_metadata, const char *shape,
		   char *area, size_t len)
{
	long ptes_bytes, bin_bytes, pm_bytes, scan_regions;
	double t_ptes[BENCH_RUNS], t_bin[BENCH_RUNS], t_pm[BENCH_RUNS], t_scan[BENCH_RUNS];
	double ptes_ms, bin_ms, pm_ms, scan_ms;
	char *buf = malloc(PAGEMAP_BUF);
	int i;

	ASSERT_NE(NULL, buf);
	/*
	 * Interleaved, so that load from elsewhere on the host (the VM shares
	 * its CPUs) hits the three methods alike.
	 */
	for (i = 0; i < BENCH_RUNS; i++) {
		t_ptes[i] = time_one(dump_ptes, area, len, buf, &ptes_bytes);
		ASSERT_LE(0, ptes_bytes) TH_LOG("ptes dump failed: %s", strerror((int)-ptes_bytes));
		t_bin[i] = time_one(dump_ptes_bin, area, len, buf, &bin_bytes);
		ASSERT_LE(0, bin_bytes) TH_LOG("ptes format=bin dump failed: %s",
					       strerror((int)-bin_bytes));
		t_pm[i] = time_one(dump_pagemap, area, len, buf, &pm_bytes);
		ASSERT_LE(0, pm_bytes) TH_LOG("pagemap dump failed: %s", strerror((int)-pm_bytes));
		t_scan[i] = time_one(dump_scan, area, len, buf, &scan_regions);
	}
	ptes_ms = median(t_ptes);
	bin_ms = median(t_bin);
	pm_ms = median(t_pm);
	scan_ms = median(t_scan);

	printf("# bench %s: ptes %.2f ms (%ld bytes of text), ptes format=bin %.2f ms (%ld bytes), pagemap %.2f ms (%ld bytes), ",
	       shape, ptes_ms, ptes_bytes, bin_ms, bin_bytes, pm_ms, pm_bytes);
	if (scan_regions < 0)
		printf("PAGEMAP_SCAN n/a (%s)\n", strerror((int)-scan_regions));
	else
		printf("PAGEMAP_SCAN %.2f ms (%ld regions)\n", scan_ms, scan_regions);
	printf("# bench %s: pagemap/ptes = %.2fx", shape, pm_ms / ptes_ms);
	if (scan_regions >= 0)
		printf(", PAGEMAP_SCAN/ptes = %.2fx", scan_ms / ptes_ms);
	printf(" (median of %d runs; >1 means ptes is faster)\n", BENCH_RUNS);
	printf("# bench %s: pagemap/bin = %.2fx", shape, pm_ms / bin_ms);
	if (scan_regions >= 0)
		printf(", PAGEMAP_SCAN/bin = %.2fx", scan_ms / bin_ms);
	printf(" (format=bin; >1 means it is faster)\n");
	fflush(stdout);
	free(buf);
}

TEST(dump_1gib_mixed_states)
{
	size_t len = GIB, c, nchunks = len / CHUNK;
	volatile char sink;
	char *area;

	if (!scope_loaded())
		SKIP(return, "uffdscope module not loaded (no %s)", SCOPE_DIR);
	area = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	/* PTE-level states only: THP would fold whole chunks into PMDs */
	ASSERT_EQ(0, madvise_no_thp(area, len));
	for (c = 0; c < nchunks; c++) {
		char *p = area + c * CHUNK;
		size_t off;

		for (off = 0; off < CHUNK; off += page_size()) {
			switch (c % 4) {
			case 0:
			case 3:
				p[off] = 1;		/* present anon */
				break;
			case 1:
				sink = p[off];		/* zero page */
				break;
			default:
				break;			/* none */
			}
		}
	}
	(void)sink;
	report(_metadata, "(a) 1 GiB mixed", area, len);
	munmap(area, len);
}

TEST(dump_64gib_sparse_one_page_per_gib)
{
	size_t len = 64 * GIB, g;
	char *area;

	if (!scope_loaded())
		SKIP(return, "uffdscope module not loaded (no %s)", SCOPE_DIR);
	area = mmap_aligned(len, GIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	for (g = 0; g < len / GIB; g++)
		area[g * GIB] = 1;
	report(_metadata, "(b) 64 GiB sparse", area, len);
	munmap(area, len);
}

#define LOCK_BENCH_MAX		(4 * GIB)
#define LOCK_BENCH_IDLE_MS	1000
#define LOCK_BENCH_DUMPS	3
#define LOCK_BENCH_SAMPLES	(1 << 16)

/* What the target measured: mprotect() latencies, idle and during the dumps. */
struct lock_stats {
	long n_idle, n_busy;
	double idle_median, idle_worst, busy_median, busy_worst;
};

/* Anonymous memory to write: 4 GiB, or half of MemAvailable if less. */
static size_t lock_bench_size(void)
{
	unsigned long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");
	size_t len;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	len = (size_t)kb * 1024 / 2;
	len = len < LOCK_BENCH_MAX ? len : LOCK_BENCH_MAX;
	return len & ~(GIB / 16 - 1);
}

static void sort_stats(double *t, long n, double *med, double *worst)
{
	qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
	*med = n ? t[n / 2] : 0;
	*worst = n ? t[n - 1] : 0;
}

/* One timed mprotect() of @page, flipping its write permission; ms. */
static double timed_mprotect(char *page, long i)
{
	double t0 = now_ms();

	mprotect(page, page_size(), (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE);
	return now_ms() - t0;
}

static void pace_1ms(void)
{
	struct timespec ts = { 0, 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * The child: write @area, time mprotect() alone for a second, say ready on
 * @ready, time it until @stop becomes readable, send struct lock_stats back.
 */
static void lock_target(char *area, size_t len, int ready, int stop, int out)
{
	double *t = calloc(LOCK_BENCH_SAMPLES, sizeof(*t));
	struct lock_stats st = { 0 };
	struct pollfd pfd = { .fd = stop, .events = POLLIN };
	char *page = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t off;
	double t0;
	char c = 0;

	if (!t || page == MAP_FAILED)
		_exit(1);
	for (off = 0; off < len; off += page_size())
		area[off] = 1;
	page[0] = 1;
	t0 = now_ms();
	while (now_ms() - t0 < LOCK_BENCH_IDLE_MS && st.n_idle < LOCK_BENCH_SAMPLES) {
		t[st.n_idle] = timed_mprotect(page, st.n_idle);
		st.n_idle++;
		pace_1ms();
	}
	sort_stats(t, st.n_idle, &st.idle_median, &st.idle_worst);
	if (write(ready, &c, 1) != 1)
		_exit(1);
	while (st.n_busy < LOCK_BENCH_SAMPLES && poll(&pfd, 1, 0) == 0) {
		t[st.n_busy] = timed_mprotect(page, st.n_busy);
		st.n_busy++;
		pace_1ms();
	}
	sort_stats(t, st.n_busy, &st.busy_median, &st.busy_worst);
	_exit(write(out, &st, sizeof(st)) == sizeof(st) ? 0 : 1);
}

/* Writing 4 GiB takes most of the harness's default 30 s under TCG. */
FIXTURE(lock_hold) {
};

FIXTURE_SETUP(lock_hold)
{
}

FIXTURE_TEARDOWN(lock_hold)
{
}

TEST_F_TIMEOUT(lock_hold, mprotect_latency_in_target_during_dump, 300)
{
	int ready[2], stop[2], out[2], status;
	size_t len = lock_bench_size();
	double t_dump[LOCK_BENCH_DUMPS];
	struct lock_stats st;
	char *area, *buf, c;
	long bytes = 0;
	pid_t child;
	int i;

	if (!scope_loaded())
		SKIP(return, "uffdscope module not loaded (no %s)", SCOPE_DIR);
	ASSERT_LT(0UL, len) TH_LOG("no memory available for the target");
	buf = malloc(PAGEMAP_BUF);
	ASSERT_NE(NULL, buf);
	area = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	/* PTE tables, the walk's worst case: a THP is one entry to read */
	ASSERT_EQ(0, madvise_no_thp(area, len));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(stop));
	ASSERT_EQ(0, pipe(out));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		lock_target(area, len, ready[1], stop[0], out[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("the target did not get ready");
	for (i = 0; i < LOCK_BENCH_DUMPS; i++) {
		double t0 = now_ms();

		bytes = dump_ptes_as(child, area, len, "", buf, PAGEMAP_BUF);
		t_dump[i] = now_ms() - t0;
		if (bytes < 0)
			break;
	}
	ASSERT_EQ(1, write(stop[1], &c, 1));
	ASSERT_EQ((ssize_t)sizeof(st), read(out[0], &st, sizeof(st)));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_LE(0, bytes) TH_LOG("dump of the target failed: %s", strerror((int)-bytes));
	qsort(t_dump, LOCK_BENCH_DUMPS, sizeof(t_dump[0]), cmp_double);
	printf("# bench (c) lock hold: %zu MiB written anon in the target, %d dumps, median %.1f ms each\n",
	       len >> 20, LOCK_BENCH_DUMPS, t_dump[LOCK_BENCH_DUMPS / 2]);
	printf("# bench (c) mprotect() in the target: alone median %.3f ms worst %.3f ms (%ld calls); during the dumps median %.3f ms worst %.3f ms (%ld calls)\n",
	       st.idle_median, st.idle_worst, st.n_idle, st.busy_median, st.busy_worst,
	       st.n_busy);
	fflush(stdout);
	munmap(area, len);
	free(buf);
}

TEST_HARNESS_MAIN
