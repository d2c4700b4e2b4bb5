// SPDX-License-Identifier: GPL-2.0
/*
 * The binary answer of the `ptes` file (format=bin, module/uapi/
 * uffdscope_ptes.h, Documentation/debugfs-abi.rst "Binary answer") must say
 * what the text answer says, record for line, and what /proc/self/pagemap
 * says, page for page, over an area holding a PMD THP, present anonymous
 * pages, zero-page reads, none entries, swap entries (when zram is there to
 * swap to), a read-only half and an empty PMD; its runs must be its entries
 * merged, across tables and refills. It must come in whole records
 * whatever the reader's buffer, and refuse bad option values with EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "collapse_util.h"
#include "memory.h"
#include "pagemap.h"
#include "scope.h"
#include "swap.h"
#include "sysfs_state.h"
#include "uffdscope_ptes.h"

#define REC		sizeof(struct uffdscope_ptes_record)
#define SWAP_BYTES	(64UL << 20)
#define MAX_SWAPFILES_SHIFT 5	/* pagemap's swap type field */

struct bin_answer {
	struct uffdscope_ptes_header h;
	struct uffdscope_ptes_record *r;
	size_t n;
};

/*
 * Ask @query (format=bin added) and read the answer @chunk bytes at a time.
 * Returns 0, -errno of the write or a read, or -EPROTO when a read returned
 * a part of a record.
 */
static int bin_query(const char *query, size_t chunk, struct bin_answer *a)
{
	size_t cap = 1 << 20, len = 0;
	char q[300], *buf = malloc(cap);
	ssize_t n;
	int fd, err = 0;

	memset(a, 0, sizeof(*a));
	if (!buf)
		return -ENOMEM;
	fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	snprintf(q, sizeof(q), "%s format=bin", query);
	if (write(fd, q, strlen(q)) < 0)
		err = -errno;
	while (!err) {
		if (cap - len < chunk) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf) {
				err = -ENOMEM;
				break;
			}
		}
		n = read(fd, buf + len, chunk);
		if (n < 0)
			err = -errno;
		else if (n % REC)
			err = -EPROTO;
		else if (!n)
			break;
		else
			len += n;
	}
	close(fd);
	if (!err && len < REC)
		err = -EPROTO;
	if (err) {
		free(buf);
		return err;
	}
	memcpy(&a->h, buf, sizeof(a->h));
	a->n = len / REC - 1;
	a->r = malloc(len);
	memcpy(a->r, buf + REC, len - REC);
	free(buf);
	return 0;
}

static const char *const level_names[] = { "pte", "pmd", "pud", "p4d", "pgd" };
static const char *const kind_names[] = {
	"none", "present", "swap", "migration", "hwpoison", "marker",
	"device_private", "device_exclusive", "bad", "unknown",
};
static const char *const backing_names[] = {
	"none", "anon", "shmem", "file", "hugetlb", "zero", "special",
};
static const char *const protnone_names[] = { "0", "vma", "numa_hint", "uffd_rwp" };

#define NAME(tab, i) ((i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "?")

static int flag(const struct uffdscope_ptes_record *r, unsigned int bit)
{
	return !!(r->flags & bit);
}

/*
 * Whether text line @l says what record @r says; the first difference in
 * @why. Only the keys the text line has are compared, and the record must
 * have no field the line lacks (pfn without raw=1).
 */
static bool record_matches_line(const struct uffdscope_ptes_record *r,
				const struct scope_line *l, bool raw,
				char *why, size_t cap)
{
	const char *kind = NAME(kind_names, r->kind);
	struct { const char *key; uint64_t val; } nums[16];
	struct { const char *key; const char *val; } strs[4];
	int nn = 0, ns = 0, i;

	nums[nn].key = "start", nums[nn++].val = r->start;
	nums[nn].key = "end", nums[nn++].val = r->end;
	nums[nn].key = "count", nums[nn++].val = r->count;
	strs[ns].key = "level", strs[ns++].val = NAME(level_names, r->level);
	strs[ns].key = "kind", strs[ns++].val = kind;
	if (!strcmp(kind, "present")) {
		strs[ns].key = "backing", strs[ns++].val = NAME(backing_names, r->backing);
		strs[ns].key = "protnone", strs[ns++].val = NAME(protnone_names, r->protnone);
		nums[nn].key = "order", nums[nn++].val = r->order;
		nums[nn].key = "write", nums[nn++].val = flag(r, UFFDSCOPE_PTES_WRITE);
		nums[nn].key = "dirty", nums[nn++].val = flag(r, UFFDSCOPE_PTES_DIRTY);
		nums[nn].key = "young", nums[nn++].val = flag(r, UFFDSCOPE_PTES_YOUNG);
		nums[nn].key = "uffd_wp", nums[nn++].val = flag(r, UFFDSCOPE_PTES_UFFD_WP);
		nums[nn].key = "uffd_rwp", nums[nn++].val = flag(r, UFFDSCOPE_PTES_UFFD_RWP);
		nums[nn].key = "cont", nums[nn++].val = flag(r, UFFDSCOPE_PTES_CONT);
	} else if (!strcmp(kind, "swap")) {
		nums[nn].key = "swp_type", nums[nn++].val = r->swp_type;
		nums[nn].key = "swp_offset", nums[nn++].val = r->value;
		nums[nn].key = "uffd_wp", nums[nn++].val = flag(r, UFFDSCOPE_PTES_UFFD_WP);
		nums[nn].key = "uffd_rwp", nums[nn++].val = flag(r, UFFDSCOPE_PTES_UFFD_RWP);
		nums[nn].key = "exclusive", nums[nn++].val = flag(r, UFFDSCOPE_PTES_EXCLUSIVE);
	} else if (!strcmp(kind, "marker")) {
		nums[nn].key = "marker", nums[nn++].val = r->value;
		nums[nn].key = "uffd_wp", nums[nn++].val = flag(r, UFFDSCOPE_PTES_UFFD_WP);
	}
	if (raw) {
		nums[nn].key = "raw", nums[nn++].val = r->raw;
		if (scope_get(l, "pfn") || flag(r, UFFDSCOPE_PTES_HAS_PFN))
			nums[nn].key = "pfn", nums[nn++].val = r->value;
	} else if (r->raw || flag(r, UFFDSCOPE_PTES_HAS_PFN) ||
		   (r->value && strcmp(kind, "swap") && strcmp(kind, "marker"))) {
		snprintf(why, cap, "a physical address without raw=1: value 0x%llx raw 0x%llx",
			 (unsigned long long)r->value, (unsigned long long)r->raw);
		return false;
	}
	for (i = 0; i < ns; i++)
		if (!scope_is(l, strs[i].key, strs[i].val)) {
			snprintf(why, cap, "%s: text %s, record %s", strs[i].key,
				 scope_get(l, strs[i].key) ?: "(none)", strs[i].val);
			return false;
		}
	for (i = 0; i < nn; i++)
		if (!scope_get(l, nums[i].key) ||
		    scope_num(l, nums[i].key, 0) != nums[i].val) {
			snprintf(why, cap, "%s: text %s, record 0x%llx", nums[i].key,
				 scope_get(l, nums[i].key) ?: "(none)",
				 (unsigned long long)nums[i].val);
			return false;
		}
	return true;
}

FIXTURE(ptes_bin) {
	char *area;
	size_t len;
	bool swapped;
};

/*
 * Five PMDs: a collapsed THP (when the kernel has THP), pages by fours
 * (written, read, untouched, swapped out or written), nothing, and two PMDs
 * of written pages whose last half is read-only (in mode=entries, more
 * records than the module's 64 KiB buffer holds).
 */
FIXTURE_SETUP(ptes_bin)
{
	size_t pmd = pmd_size(), psize = page_size(), i, npp = pmd / psize;
	volatile char sink;
	char *a;
	int err, pm;

	SCOPE_REQUIRE();
	self->len = 5 * pmd;
	a = self->area = mmap_aligned(self->len, pmd, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, madvise_no_thp(a + pmd, 4 * pmd));
	ASSERT_EQ(0, pin_to_this_cpu());
	if (thp_configured() && !knob_set(THP_ENABLED, "madvise")) {
		memset(a, 1, pmd);
		err = madv_collapse(a, pmd);
		for (i = 1; err == -EAGAIN && i < 5; i++)
			err = madv_collapse(a, pmd);
		TH_LOG("MADV_COLLAPSE of the first PMD: %s", collapse_errname(err));
	}
	for (i = 0; i < npp; i++) {
		char *p = a + pmd + i * psize;

		if (i % 4 == 1)
			sink = *p;
		else if (i % 4 != 2)
			*p = 1;
	}
	(void)sink;
	for (i = 0; i < 2 * npp; i++)
		a[3 * pmd + i * psize] = 2;
	ASSERT_EQ(0, mprotect(a + 4 * pmd, pmd, PROT_READ));

	err = swap_zram_on(SWAP_BYTES);
	if (err == -ENODEV) {
		TH_LOG("no /dev/zram0: no swap entries in the area");
		return;
	}
	ASSERT_EQ(0, err) TH_LOG("zram swap: %s", strerror(-err));
	pm = pagemap_open(0);
	ASSERT_LE(0, pm);
	for (i = 3; i < npp; i += 4) {
		err = pageout_until_swapped(a + pmd + i * psize, psize, psize, pm, 8);
		ASSERT_EQ(0, err) TH_LOG("MADV_PAGEOUT of page %zu: %s", i, strerror(-err));
	}
	close(pm);
	self->swapped = true;
}

FIXTURE_TEARDOWN(ptes_bin)
{
	int err;

	if (self->area && self->area != MAP_FAILED)
		munmap(self->area, self->len);
	err = swap_zram_off();
	if (err)
		TH_LOG("teardown: turning zram swap off failed: %s", strerror(-err));
	err = knob_restore_all();
	if (err)
		TH_LOG("teardown: restoring the THP knob failed: %s", strerror(-err));
}

static void query_of(char *q, size_t cap, const void *area, size_t len, const char *opts)
{
	snprintf(q, cap, "pid=%d start=%p len=0x%zx %s", getpid(), area, len, opts);
}

/* The header says what was asked; the records tile the range in order. */
static void check_header(struct __test_metadata *_metadata, const struct bin_answer *a,
			 const void *area, size_t len, unsigned int flags)
{
	ASSERT_EQ((uint32_t)UFFDSCOPE_PTES_MAGIC, a->h.magic);
	ASSERT_EQ((uint16_t)UFFDSCOPE_PTES_VERSION, a->h.version);
	ASSERT_EQ(REC, a->h.record_size);
	ASSERT_EQ(page_size(), a->h.page_size);
	ASSERT_EQ(flags, a->h.flags);
	ASSERT_EQ((uintptr_t)area, a->h.start);
	ASSERT_EQ((uintptr_t)area + len, a->h.end);
}

/*
 * Whether the binary and text answers to @q agree record for line; the first
 * difference in @why.
 */
static bool bin_and_text_agree(struct __test_metadata *_metadata, const char *q,
			       const void *area, size_t len, unsigned int flags,
			       char *why, size_t cap)
{
	struct scope_answer text;
	struct bin_answer bin;
	bool ok = true;
	size_t i;
	int err;

	err = bin_query(q, 1 << 16, &bin);
	EXPECT_EQ(0, err) TH_LOG("%s: %s", q, strerror(-err));
	if (err)
		return true;	/* failed already */
	check_header(_metadata, &bin, area, len, flags);
	err = scope_query("ptes", q, &text);
	EXPECT_EQ(0, err) TH_LOG("%s: %s", q, strerror(-err));
	if (err) {
		free(bin.r);
		return true;
	}
	/* the text answer has its summary line besides */
	for (i = 0; ok && i < bin.n && i + 1 < (size_t)text.nlines; i++)
		ok = record_matches_line(&bin.r[i], &text.lines[i],
					 flags & UFFDSCOPE_PTES_HDR_RAW, why, cap);
	if (ok && bin.n + 1 != (size_t)text.nlines) {
		snprintf(why, cap, "%zu records, %d text lines", bin.n, text.nlines);
		ok = false;
	} else if (!ok) {
		snprintf(why + strlen(why), cap - strlen(why), " (record %zu)", i - 1);
	} else {
		TH_LOG("'%s': %zu records agree with the text lines", q, bin.n);
	}
	scope_free(&text);
	free(bin.r);
	return ok;
}

/*
 * The two answers come from two walks: the kernel may change the area in
 * between (MGLRU's aging clears young bits, which splits runs), so a
 * difference is retried (7.3 arm64-16k needed up to 3 tries); an encoding
 * that is wrong differs every time.
 */
#define TRIES 10

TEST_F(ptes_bin, records_agree_with_text_lines)
{
	static const struct { const char *opts; unsigned int flags; } cases[] = {
		{ "", UFFDSCOPE_PTES_HDR_NONE },
		{ "raw=1", UFFDSCOPE_PTES_HDR_NONE | UFFDSCOPE_PTES_HDR_RAW },
		{ "mode=entries raw=1", UFFDSCOPE_PTES_HDR_NONE | UFFDSCOPE_PTES_HDR_RAW |
			UFFDSCOPE_PTES_HDR_ENTRIES },
		{ "none=0 raw=1", UFFDSCOPE_PTES_HDR_RAW },
	};
	char q[300], why[300];
	size_t c;
	int t;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		query_of(q, sizeof(q), self->area, self->len, cases[c].opts);
		for (t = 0; t < TRIES; t++) {
			if (bin_and_text_agree(_metadata, q, self->area, self->len,
					       cases[c].flags, why, sizeof(why)))
				break;
			TH_LOG("%s: try %d: %s", q, t + 1, why);
		}
		ASSERT_LT(t, TRIES) TH_LOG("%s: the answers never agreed", q);
	}
}

TEST_F(ptes_bin, records_agree_with_pagemap)
{
	size_t psize = page_size(), i, seen[10] = { 0 };
	struct bin_answer bin;
	char q[300];
	char *p;
	int pm, err;

	query_of(q, sizeof(q), self->area, self->len, "mode=entries raw=1");
	err = bin_query(q, 4096, &bin);
	ASSERT_EQ(0, err) TH_LOG("%s: %s", q, strerror(-err));
	pm = pagemap_open(0);
	ASSERT_LE(0, pm);
	for (i = 0; i < bin.n; i++) {
		const struct uffdscope_ptes_record *r = &bin.r[i];

		ASSERT_TRUE(r->kind < 10);
		seen[r->kind]++;
		for (p = (char *)(uintptr_t)r->start; p < (char *)(uintptr_t)r->end; p += psize) {
			uint64_t e = pagemap_get(pm, p), idx = (p - (char *)(uintptr_t)r->start) / psize;

			switch (r->kind) {
			case UFFDSCOPE_PTES_KIND_NONE:
				ASSERT_EQ(0ULL, e & (PM_PRESENT | PM_SWAP))
					TH_LOG("%p: none in the record, pagemap 0x%llx", p,
					       (unsigned long long)e);
				break;
			case UFFDSCOPE_PTES_KIND_PRESENT:
				ASSERT_TRUE(!!(e & PM_PRESENT)) TH_LOG("%p: present in the record, pagemap 0x%llx",
								   p, (unsigned long long)e);
				/* entries mode: a PTE record is one entry, a leaf's pfn runs on */
				ASSERT_EQ(r->value + idx, e & PM_PFN_MASK)
					TH_LOG("%p: pfn 0x%llx + %llu in the record, pagemap 0x%llx", p,
					       (unsigned long long)r->value, (unsigned long long)idx,
					       (unsigned long long)(e & PM_PFN_MASK));
				break;
			case UFFDSCOPE_PTES_KIND_SWAP:
				ASSERT_TRUE(!!(e & PM_SWAP)) TH_LOG("%p: swap in the record, pagemap 0x%llx",
								p, (unsigned long long)e);
				ASSERT_EQ((uint64_t)r->swp_type, e & ((1ULL << MAX_SWAPFILES_SHIFT) - 1));
				ASSERT_EQ(r->value + idx, (e & PM_PFN_MASK) >> MAX_SWAPFILES_SHIFT);
				break;
			default:
				ASSERT_TRUE(0) TH_LOG("%p: unexpected kind %u", p, r->kind);
			}
		}
	}
	TH_LOG("%zu none, %zu present, %zu swap records agree with pagemap",
	       seen[UFFDSCOPE_PTES_KIND_NONE], seen[UFFDSCOPE_PTES_KIND_PRESENT],
	       seen[UFFDSCOPE_PTES_KIND_SWAP]);
	ASSERT_NE(0UL, seen[UFFDSCOPE_PTES_KIND_NONE]);
	ASSERT_NE(0UL, seen[UFFDSCOPE_PTES_KIND_PRESENT]);
	if (self->swapped)
		ASSERT_NE(0UL, seen[UFFDSCOPE_PTES_KIND_SWAP]);
	close(pm);
	free(bin.r);
}

/* Whole records whatever the buffer, and the same stream for every size. */
TEST_F(ptes_bin, reads_return_whole_records_and_resume)
{
	static const size_t chunks[] = { REC, 100, 4096, 1 << 20 };
	struct bin_answer ref, a;
	char q[300], buf[64];
	size_t c, i;
	int fd, err, t;
	bool same;

	/* more records than the module's 64 KiB buffer holds: refills resume */
	query_of(q, sizeof(q), self->area, self->len, "mode=entries raw=1");
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		for (t = 0; t < TRIES; t++) {
			err = bin_query(q, 1 << 20, &ref);
			ASSERT_EQ(0, err);
			ASSERT_LT(65536 / REC, ref.n) TH_LOG("fewer records than one refill of the module");
			err = bin_query(q, chunks[c], &a);
			ASSERT_EQ(0, err) TH_LOG("reads of %zu bytes: %s", chunks[c], strerror(-err));
			/*
			 * 6146 reads of 48 bytes take long enough on 16 KiB pages for
			 * the aging to clear young bits of many pages (seen on 7.3
			 * arm64-16k): entries mode never merges present entries, so
			 * young is left out and every record must still be there once
			 */
			for (i = 0; i < a.n && i < ref.n; i++) {
				a.r[i].flags &= ~UFFDSCOPE_PTES_YOUNG;
				ref.r[i].flags &= ~UFFDSCOPE_PTES_YOUNG;
			}
			same = a.n == ref.n && !memcmp(ref.r, a.r, ref.n * REC);
			for (i = 0; !same && i < a.n && i < ref.n; i++)
				if (memcmp(&ref.r[i], &a.r[i], REC)) {
					TH_LOG("reads of %zu bytes, try %d: record %zu of %zu/%zu differs (flags 0x%x/0x%x)",
					       chunks[c], t + 1, i, ref.n, a.n, ref.r[i].flags, a.r[i].flags);
					break;
				}
			free(a.r);
			free(ref.r);
			if (same)
				break;
		}
		ASSERT_LT(t, TRIES) TH_LOG("reads of %zu bytes never gave the same records", chunks[c]);
		TH_LOG("reads of %zu bytes: the same records as reads of 1 MiB", chunks[c]);
	}

	fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(q + strlen(q), sizeof(q) - strlen(q), " format=bin");
	ASSERT_LT(0L, (long)write(fd, q, strlen(q)));
	ASSERT_EQ(0L, (long)read(fd, buf, 0));
	ASSERT_EQ(-1L, (long)read(fd, buf, REC - 1)) TH_LOG("a read smaller than a record");
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ((ssize_t)REC, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(ptes_bin, bad_format_values_are_einval)
{
	static const char *const bad[] = {
		"format=BIN", "format=binary", "format=1", "format=", "format=bin format=bin",
		"format=text format=bin",
	};
	char q[300];
	size_t i;
	int fd, err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		snprintf(q, sizeof(q), "pid=%d %s", getpid(), bad[i]);
		err = write(fd, q, strlen(q)) < 0 ? errno : 0;
		ASSERT_EQ(EINVAL, err) TH_LOG("'%s': %s, expected EINVAL", q, strerror(err));
		close(fd);
	}
	fd = open(SCOPE_DIR "/vmas", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(q, sizeof(q), "pid=%d format=bin", getpid());
	err = write(fd, q, strlen(q)) < 0 ? errno : 0;
	ASSERT_EQ(EINVAL, err) TH_LOG("vmas took format=bin: %s", strerror(err));
	close(fd);
	/* and the accepted spellings */
	fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(q, sizeof(q), "pid=%d start=%p len=1 format=text", getpid(), self->area);
	ASSERT_LT(0L, (long)write(fd, q, strlen(q)));
	close(fd);
}

/*
 * Whether @b continues the run @a: adjacent, and every field but the first
 * entry's value and raw alike (the module's merge rule, debugfs-abi.rst).
 */
static bool record_continues(const struct uffdscope_ptes_record *a,
			     const struct uffdscope_ptes_record *b)
{
	return a->end == b->start && a->level == b->level && a->kind == b->kind &&
	       a->backing == b->backing && a->order == b->order &&
	       a->protnone == b->protnone && a->swp_type == b->swp_type &&
	       a->flags == b->flags;
}

/* mode=entries folded by that rule, in place; the records left. */
static size_t fold_entries(struct uffdscope_ptes_record *r, size_t n)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (m && record_continues(&r[m - 1], &r[i])) {
			r[m - 1].end = r[i].end;
			r[m - 1].count += r[i].count;
		} else {
			r[m++] = r[i];
		}
	}
	return m;
}

/*
 * The module merges runs as it walks, across PTE tables and across the
 * refills of its 64 KiB buffer (the walk stops when the buffer is full and
 * resumes with the run it had not yet given): the runs must be exactly the
 * entries merged by the rule. Four PTE tables of pages alternately written
 * (anon) and read (zero page), a run per page (more records than one
 * refill holds), with 16 written pages across each table boundary.
 */
TEST(runs_are_the_entries_merged)
{
	size_t pmd = pmd_size(), npp = pmd / page_size(), len = 4 * pmd, i, m;
	struct bin_answer runs, entries;
	volatile char sink;
	char q[300], *a;
	int t, err;
	bool same;

	SCOPE_REQUIRE();
	a = mmap_aligned(len, pmd, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, madvise_no_thp(a, len));
	for (i = 0; i < 4 * npp; i++) {
		if (i % 2 == 0 || (i % npp) < 8 || (i % npp) >= npp - 8)
			a[i * page_size()] = 1;
		else
			sink = a[i * page_size()];
	}
	(void)sink;
	query_of(q, sizeof(q), a, len, "raw=1");
	for (t = 0; t < TRIES; t++) {
		err = bin_query(q, 1 << 20, &runs);
		ASSERT_EQ(0, err) TH_LOG("%s: %s", q, strerror(-err));
		ASSERT_LT(65536 / REC, runs.n) TH_LOG("fewer runs than one refill of the module");
		query_of(q, sizeof(q), a, len, "mode=entries raw=1");
		err = bin_query(q, 1 << 20, &entries);
		ASSERT_EQ(0, err) TH_LOG("%s: %s", q, strerror(-err));
		query_of(q, sizeof(q), a, len, "raw=1");
		m = fold_entries(entries.r, entries.n);
		same = m == runs.n && !memcmp(entries.r, runs.r, m * REC);
		for (i = 0; !same && i < m && i < runs.n; i++)
			if (memcmp(&entries.r[i], &runs.r[i], REC)) {
				TH_LOG("try %d: run %zu of %zu (entries folded: %zu) differs: start 0x%llx/0x%llx end 0x%llx/0x%llx flags 0x%x/0x%x",
				       t + 1, i, runs.n, m,
				       (unsigned long long)runs.r[i].start,
				       (unsigned long long)entries.r[i].start,
				       (unsigned long long)runs.r[i].end,
				       (unsigned long long)entries.r[i].end,
				       runs.r[i].flags, entries.r[i].flags);
				break;
			}
		if (!same && (i == m || i == runs.n))
			TH_LOG("try %d: %zu runs, %zu entries folded", t + 1, runs.n, m);
		free(runs.r);
		free(entries.r);
		/* two walks: the aging may clear young bits in between */
		if (same)
			break;
	}
	ASSERT_LT(t, TRIES) TH_LOG("the runs were never the entries merged");
	TH_LOG("%zu runs: the %zu-page tables' entries merged", m, npp);
	munmap(a, len);
}

TEST_HARNESS_MAIN
