// SPDX-License-Identifier: GPL-2.0
/*
 * Does the module's `faultaround` verdict agree with the kernel? For each
 * scenario (shmem with each userfaultfd mode, page-cache holes, a VMA edge or
 * a page-table edge inside the window, a smaller fault_around_bytes, a private
 * mapping, anonymous memory) the test asks the module how many pages one read
 * fault at an address will map, makes that read fault, and counts the present
 * PTEs of the mapping in /proc/self/pagemap. Prints the table; every row must
 * agree. Without the module it prints the kernel's counts and skips.
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

struct fa_scene {
	const char *name;
	bool shared;
	uint64_t mode;		/* uffd registration, 0: none */
	uint64_t features;
	size_t fill_stride;	/* page cache: every n-th page (1: all) */
	long map_off;		/* map starting this many pages into a PMD */
	size_t fault_page;	/* page of the mapping that is read */
	const char *bytes;	/* fault_around_bytes, NULL: leave */
	bool anon;
};

static const struct fa_scene scenes[] = {
	{ "shmem unregistered", true, 0, 0, 1, 0, 40, NULL, false },
	{ "shmem MISSING", true, UFFDIO_REGISTER_MODE_MISSING, 0, 1, 0, 40, NULL, false },
	{ "shmem WP", true, UFFDIO_REGISTER_MODE_WP, UFFD_FEATURE_WP_HUGETLBFS_SHMEM, 1, 0, 40,
	  NULL, false },
	{ "shmem MINOR", true, UFFDIO_REGISTER_MODE_MINOR, UFFD_FEATURE_MINOR_SHMEM, 1, 0, 40,
	  NULL, false },
	{ "shmem holes", true, 0, 0, 2, 0, 40, NULL, false },
	{ "shmem MISSING holes", true, UFFDIO_REGISTER_MODE_MISSING, 0, 2, 0, 40, NULL, false },
	{ "shmem VMA starts mid-window", true, 0, 0, 1, 5, 7, NULL, false },
	{ "shmem window at PMD end", true, 0, 0, 1, 0, 511, NULL, false },
	{ "shmem fault_around_bytes=8192", true, 0, 0, 1, 0, 40, "8192", false },
	{ "shmem fault_around_bytes=4096", true, 0, 0, 1, 0, 40, "4096", false },
	{ "shmem private", false, 0, 0, 1, 0, 40, NULL, false },
	{ "anon", false, 0, 0, 1, 0, 40, NULL, true },
};

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
};

FIXTURE_SETUP(fa)
{
	self->pm = pagemap_open(0);
	ASSERT_LE(0, self->pm);
	ASSERT_EQ(0, knob_set(THP_SHMEM, "never"));
	/* else a read fault on aligned anon memory maps the huge zero page */
	ASSERT_EQ(0, knob_set(THP_ENABLED, "never"));
}

FIXTURE_TEARDOWN(fa)
{
	EXPECT_EQ(0, knob_restore_all());
}

static void run_table(struct __test_metadata *_metadata, FIXTURE_DATA(fa) *self)
{
	size_t ps = page_size(), npages = SZ_2M / ps, i;
	unsigned int rows = 0, agree = 0;
	bool module = true;
	char answer[2048], bytes0[32];
	int r;

	r = knob_read(FAULT_AROUND_BYTES, bytes0, sizeof(bytes0));
	if (r)
		SKIP(return, "%s unreadable (%s): debugfs not mounted or locked down",
		     FAULT_AROUND_BYTES, strerror(-r));
	fprintf(stderr, "# %-32s %-9s %-9s %s\n", "scenario", "real", "module", "agree");
	for (i = 0; i < sizeof(scenes) / sizeof(scenes[0]); i++) {
		const struct fa_scene *s = &scenes[i];
		size_t len = SZ_2M - s->map_off * ps, n = len / ps;
		char *area, *base, around[4] = "-";
		long real, predicted = -1;
		int memfd = -1, uffd = -1;

		ASSERT_EQ(0, knob_set(FAULT_AROUND_BYTES, s->bytes ? s->bytes : bytes0));
		if (s->anon) {
			base = mmap_aligned(SZ_2M, SZ_2M, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		} else {
			memfd = memfd_pages("uffdscope-fa", npages);
			ASSERT_LE(0, memfd);
			for (r = 0; r < (int)npages; r += s->fill_stride)
				ASSERT_EQ(0, memfd_fill(memfd, r, 1, SEED));
			/* a window-sized reservation, then the file mapped at its offset */
			base = mmap_aligned(SZ_2M, SZ_2M, PROT_READ | PROT_WRITE,
					    s->shared ? MAP_SHARED : MAP_PRIVATE, memfd, 0);
		}
		ASSERT_NE(MAP_FAILED, base);
		area = base;
		if (s->map_off) {
			/* drop the head so the VMA starts mid-window */
			ASSERT_EQ(0, munmap(base, s->map_off * ps));
			area = base + s->map_off * ps;
		}
		if (s->mode) {
			uffd = uffd_open(s->features, NULL);
			if (uffd < 0 || uffd_register(uffd, area, len, s->mode)) {
				fprintf(stderr, "# %-32s skipped: registration not supported here\n",
					s->name);
				goto next;
			}
		}
		if (module) {
			r = ask(area + (s->fault_page - s->map_off) * ps,
				s->bytes ? s->bytes : bytes0, answer, sizeof(answer));
			if (r == -ENOENT)
				module = false;
			else
				ASSERT_EQ(0, r) TH_LOG("faultaround query: %s", strerror(-r));
		}
		if (module) {
			kv_get(answer, "fault_around", around, sizeof(around));
			predicted = !strcmp(around, "1") ? kv_long(answer, "would_map") : 1;
		}
		read_fault(_metadata, uffd, area + (s->fault_page - s->map_off) * ps, ps);
		real = present_ptes(self->pm, area, n, ps);
		rows++;
		agree += real == predicted;
		fprintf(stderr, "# %-32s %-9ld %-9ld %s\n", s->name, real, predicted,
			module ? (real == predicted ? "yes" : "NO") : "-");
		if (module && real != predicted)
			fprintf(stderr, "# module answer was:\n%s", answer);
		if (module)
			EXPECT_EQ(predicted, real) TH_LOG("'%s': one read fault mapped %ld pages, module said %ld",
							  s->name, real, predicted);
next:
		munmap(area, len);
		if (memfd >= 0)
			close(memfd);
		if (uffd >= 0)
			close(uffd);
	}
	fprintf(stderr, "# faultaround: %u scenarios, %u agree\n", rows, agree);
	if (!module)
		SKIP(return, "uffdscope.ko not loaded (%s missing): kernel counts above, no prediction",
		     FAR_FILE);
}

TEST_F(fa, module_predicts_fault_around)
{
	BEHAVIOUR("FAULT-AROUND-UFFD");
	run_table(_metadata, self);
}

TEST_HARNESS_MAIN
