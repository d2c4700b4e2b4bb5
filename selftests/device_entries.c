// SPDX-License-Identifier: GPL-2.0
/*
 * The decoder's device_private and device_exclusive kinds, checked against
 * /proc/self/pagemap and against what made them. Only a device driver makes
 * these swap entries; the one a test can drive from user space is the
 * kernel's HMM test driver, lib/test_hmm.c (/dev/hmm_dmirror0), which no
 * Debian kernel builds, so the test SKIPs there and runs on the kernels built
 * here (kernels/config/base.config).
 *
 * - HMM_DMIRROR_MIGRATE_TO_DEV moves anonymous pages into the driver's
 *   device-private memory: each PTE becomes a device-private entry naming a
 *   device page, writable if the PTE was. Checked per page: the module says
 *   kind=device_private with the write bit of the protection, pagemap says
 *   SWAP (not PRESENT) with the device-private swap type and, as offset, the
 *   module's pfn; that pfn lies in the driver's "hmm_dmirror" range of
 *   /proc/iomem, not in RAM.
 * - HMM_DMIRROR_EXCLUSIVE gives the device exclusive access: each PTE becomes
 *   a device-exclusive entry naming the page it mapped. The module says
 *   kind=device_exclusive write=1 and the pfn pagemap showed while the page
 *   was present; pagemap agrees (SWAP, the type, the offset).
 * Then a CPU read of every page faults the entries away: the pages are
 * present again (the module and pagemap agree) and hold what was written.
 *
 * The swap type pagemap shows (the low five bits of a swap entry's frame) is
 * the kernel's internal numbering (include/linux/swap.h), which depends on
 * the version and the config: linux-source-6.12 has four device types just
 * below the PTE marker's 31 (device write 27, read 28, exclusive write 29,
 * exclusive read 30), linux-source-7.3 three (device write 28, read 29,
 * exclusive 30). Rather than guess a kernel's layout from its version, the
 * test asks one type of every page of one kind and prints it; what tells
 * the kinds apart is the pfn (device memory, or the page that was there).
 *
 * Needs uffdscope.ko, root (pagemap pfns, /proc/iomem addresses) and
 * CONFIG_TEST_HMM. A failure is a bug of the module's decoder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memory.h"
#include "pagemap.h"
#include "scope.h"
/* lib/test_hmm_uapi.h of linux-source-6.12, copied at build time (selftests/Makefile) */
#include "test_hmm_uapi.h"

#define DMIRROR_DEV	"/dev/hmm_dmirror0"
#define NR_PAGES	8
#define SWP_TYPE_BITS	5
#define SWP_TYPE_MASK	((1ULL << SWP_TYPE_BITS) - 1)

enum dev_entry { DEV_PRIVATE_WRITE, DEV_PRIVATE_READ, DEV_EXCLUSIVE_WRITE };

static const char *dev_kind(enum dev_entry what)
{
	return what == DEV_EXCLUSIVE_WRITE ? "device_exclusive" : "device_private";
}

/*
 * Whether physical address @phys lies in a /proc/iomem range named @name:
 * 1 or 0, or -errno. Addresses read as 0 without CAP_SYS_ADMIN.
 */
static int iomem_range_holds(const char *name, uint64_t phys)
{
	FILE *f = fopen("/proc/iomem", "re");
	char line[256], owner[128];
	unsigned long long lo, hi;
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %llx-%llx : %127[^\n]", &lo, &hi, owner) != 3)
			continue;
		found = !strcmp(owner, name) && lo <= phys && phys <= hi;
	}
	fclose(f);
	return found;
}

/* Write a pattern of @seed into each page of [@area, @area + @npages pages). */
static void fill_pages(char *area, size_t npages, unsigned char seed)
{
	size_t i;

	for (i = 0; i < npages; i++)
		memset(area + i * page_size(), page_pattern(seed, i), page_size());
}

/*
 * Every page of @area must be a device entry of @what in the module's answer
 * and in pagemap, with one pfn in both; @pfns (if not NULL) says which.
 * Returns through @out_pfns (if not NULL) the pfns seen.
 */
static void expect_device_entries(struct __test_metadata *_metadata,
				  const char *area, size_t npages,
				  enum dev_entry what, const uint64_t *pfns,
				  uint64_t *out_pfns)
{
	uint64_t type = ~0ULL;
	const char *kind = dev_kind(what);
	uint64_t write = what != DEV_PRIVATE_READ;
	struct scope_answer ans;
	size_t i;
	int pm, err;

	err = scope_ptes(0, area, npages * page_size(), "mode=entries", &ans);
	ASSERT_EQ(0, err) TH_LOG("ptes query failed: %s", strerror(-err));
	scope_dump(&ans);
	pm = pagemap_open(0);
	ASSERT_LE(0, pm) TH_LOG("open pagemap: %s", strerror(-pm));
	for (i = 0; i < npages; i++) {
		const char *addr = area + i * page_size();
		const struct scope_line *l = scope_find(&ans, addr);
		uint64_t e, pfn;

		errno = 0;
		e = pagemap_get(pm, addr);
		ASSERT_EQ(0, errno) TH_LOG("pagemap read of page %zu", i);
		ASSERT_NE(NULL, l) TH_LOG("module: no line covers page %zu (%p)", i, addr);
		ASSERT_EQ((uintptr_t)addr, scope_num(l, "start", 0))
			TH_LOG("page %zu: its line starts at %s", i, scope_get(l, "start"));
		ASSERT_TRUE(scope_is(l, "kind", kind) && scope_is(l, "level", "pte"))
			TH_LOG("page %zu: expected a %s pte, module says kind=%s level=%s",
			       i, kind, scope_get(l, "kind"), scope_get(l, "level"));
		ASSERT_EQ(write, scope_num(l, "write", ~0ULL))
			TH_LOG("page %zu: expected write=%llu, module says write=%s",
			       i, (unsigned long long)write, scope_get(l, "write"));
		/* readable-exclusive is a migration entry's; uffd-wp was never set */
		ASSERT_EQ(0ULL, scope_num(l, "exclusive", ~0ULL))
			TH_LOG("page %zu: module says exclusive=%s", i, scope_get(l, "exclusive"));
		ASSERT_EQ(0ULL, scope_num(l, "uffd_wp", ~0ULL))
			TH_LOG("page %zu: module says uffd_wp=%s", i, scope_get(l, "uffd_wp"));
		ASSERT_TRUE((e & PM_SWAP) && !(e & (PM_PRESENT | PM_UFFD_WP)))
			TH_LOG("page %zu: pagemap 0x%llx, expected SWAP only (module: %s)",
			       i, (unsigned long long)e, kind);
		if (!i)
			type = e & SWP_TYPE_MASK;
		ASSERT_EQ(type, e & SWP_TYPE_MASK)
			TH_LOG("page %zu: pagemap swap type %llu, page 0's %llu (%s, write=%llu)",
			       i, (unsigned long long)(e & SWP_TYPE_MASK),
			       (unsigned long long)type, kind, (unsigned long long)write);
		pfn = scope_num(l, "pfn", ~0ULL);
		ASSERT_EQ(pfn, (e & PM_PFN_MASK) >> SWP_TYPE_BITS)
			TH_LOG("page %zu: module pfn=%s, pagemap offset 0x%llx",
			       i, scope_get(l, "pfn"),
			       (unsigned long long)((e & PM_PFN_MASK) >> SWP_TYPE_BITS));
		if (pfns)
			ASSERT_EQ(pfns[i], pfn)
				TH_LOG("page %zu: entry names pfn 0x%llx, the page was 0x%llx", i,
				       (unsigned long long)pfn, (unsigned long long)pfns[i]);
		if (out_pfns)
			out_pfns[i] = pfn;
	}
	close(pm);
	scope_free(&ans);
	fprintf(stderr, "# %zu %s entries (write=%llu): pagemap swap type %llu\n", npages,
		kind, (unsigned long long)write, (unsigned long long)type);
}

/*
 * Every page of @area must be present, in the module and in pagemap, with
 * one pfn, and hold what fill_pages(@seed) wrote. Reading it first is what
 * brings it back from the device. Returns the pfns through @pfns.
 */
static void expect_present_with_data(struct __test_metadata *_metadata,
				     const char *area, size_t npages,
				     unsigned char seed, uint64_t *pfns)
{
	struct scope_answer ans;
	unsigned char seen;
	size_t i;
	int pm, err;

	for (i = 0; i < npages; i++)
		ASSERT_TRUE(page_holds(area + i * page_size(), page_pattern(seed, i), &seen))
			TH_LOG("page %zu reads 0x%02x, 0x%02x was written", i, seen,
			       page_pattern(seed, i));
	err = scope_ptes(0, area, npages * page_size(), "mode=entries", &ans);
	ASSERT_EQ(0, err) TH_LOG("ptes query failed: %s", strerror(-err));
	pm = pagemap_open(0);
	ASSERT_LE(0, pm) TH_LOG("open pagemap: %s", strerror(-pm));
	for (i = 0; i < npages; i++) {
		const char *addr = area + i * page_size();
		const struct scope_line *l = scope_find(&ans, addr);
		uint64_t e;

		errno = 0;
		e = pagemap_get(pm, addr);
		ASSERT_EQ(0, errno) TH_LOG("pagemap read of page %zu", i);
		ASSERT_NE(NULL, l) TH_LOG("module: no line covers page %zu (%p)", i, addr);
		ASSERT_TRUE(scope_is(l, "kind", "present") && scope_is(l, "backing", "anon"))
			TH_LOG("page %zu: expected present anon, module says kind=%s backing=%s",
			       i, scope_get(l, "kind"), scope_get(l, "backing"));
		ASSERT_TRUE((e & PM_PRESENT) && !(e & (PM_SWAP | PM_FILE)))
			TH_LOG("page %zu: pagemap 0x%llx, expected PRESENT anon", i,
			       (unsigned long long)e);
		ASSERT_EQ(scope_num(l, "pfn", ~0ULL), e & PM_PFN_MASK)
			TH_LOG("page %zu: module pfn=%s, pagemap pfn 0x%llx", i,
			       scope_get(l, "pfn"), (unsigned long long)(e & PM_PFN_MASK));
		pfns[i] = e & PM_PFN_MASK;
	}
	close(pm);
	scope_free(&ans);
}

/* One dmirror ioctl over @npages pages at @area; cpages comes back in @cmd. */
static int dmirror_cmd(int fd, unsigned long request, char *area, size_t npages,
		       void *buf, struct hmm_dmirror_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->addr = (uintptr_t)area;
	cmd->ptr = (uintptr_t)buf;
	cmd->npages = npages;
	return ioctl(fd, request, cmd) ? -errno : 0;
}

FIXTURE(device_entries) {
	int fd;
	char *area;
	char *bounce;	/* where the driver copies what it read */
	size_t len;
};

FIXTURE_SETUP(device_entries)
{
	self->fd = -1;
	self->area = MAP_FAILED;
	self->bounce = MAP_FAILED;
	SCOPE_REQUIRE();
	if (access(DMIRROR_DEV, F_OK))
		SKIP(return, "no %s: this kernel has no CONFIG_TEST_HMM (Debian does not build it)",
		     DMIRROR_DEV);
	self->fd = open(DMIRROR_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DMIRROR_DEV, strerror(errno));
	self->len = NR_PAGES * page_size();
	self->area = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	self->bounce = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->bounce);
}

FIXTURE_TEARDOWN(device_entries)
{
	if (self->area != MAP_FAILED)
		munmap(self->area, self->len);
	if (self->bounce != MAP_FAILED)
		munmap(self->bounce, self->len);
	if (self->fd >= 0)
		close(self->fd);
}

/* The driver's copy of page @i of the area must be what fill_pages(@seed) wrote. */
static void expect_device_read(struct __test_metadata *_metadata,
			       FIXTURE_DATA(device_entries) *self, unsigned char seed)
{
	size_t i;

	for (i = 0; i < NR_PAGES; i++)
		ASSERT_EQ(page_pattern(seed, i), (unsigned char)self->bounce[i * page_size()])
			TH_LOG("page %zu: the device read 0x%02x, 0x%02x was written", i,
			       (unsigned char)self->bounce[i * page_size()], page_pattern(seed, i));
}

/*
 * Migrate the area to the device: the driver must have taken every page
 * and read back what fill_pages(@seed) wrote.
 */
static void migrate_to_device(struct __test_metadata *_metadata,
			      FIXTURE_DATA(device_entries) *self, unsigned char seed)
{
	struct hmm_dmirror_cmd cmd;
	int err;

	err = dmirror_cmd(self->fd, HMM_DMIRROR_MIGRATE_TO_DEV, self->area, NR_PAGES,
			  self->bounce, &cmd);
	ASSERT_EQ(0, err) TH_LOG("HMM_DMIRROR_MIGRATE_TO_DEV: %s", strerror(-err));
	ASSERT_EQ((uint64_t)NR_PAGES, cmd.cpages)
		TH_LOG("the driver migrated %llu of %d pages",
		       (unsigned long long)cmd.cpages, NR_PAGES);
	expect_device_read(_metadata, self, seed);
}

/* Each pfn of @pfns must be device memory: the driver's range, not RAM. */
static void expect_device_pfns(struct __test_metadata *_metadata, const uint64_t *pfns,
			       const uint64_t *ram_pfns)
{
	size_t i;

	for (i = 0; i < NR_PAGES; i++) {
		int in = iomem_range_holds("hmm_dmirror", pfns[i] * page_size());

		ASSERT_EQ(1, in)
			TH_LOG("page %zu: pfn 0x%llx is not in a /proc/iomem hmm_dmirror range (%d)",
			       i, (unsigned long long)pfns[i], in);
		ASSERT_NE(ram_pfns[i], pfns[i])
			TH_LOG("page %zu: the device entry names the page it replaced", i);
	}
}

/*
 * Migrate the area, written with @seed (read-only first when @readonly), to
 * the device and back: device-private entries in both witnesses, naming
 * device memory, then the pages present again with their data.
 */
static void device_private_round(struct __test_metadata *_metadata,
				 FIXTURE_DATA(device_entries) *self,
				 unsigned char seed, bool readonly)
{
	uint64_t ram[NR_PAGES], dev[NR_PAGES], back[NR_PAGES];

	fill_pages(self->area, NR_PAGES, seed);
	if (readonly)
		ASSERT_EQ(0, mprotect(self->area, self->len, PROT_READ));
	expect_present_with_data(_metadata, self->area, NR_PAGES, seed, ram);
	migrate_to_device(_metadata, self, seed);
	expect_device_entries(_metadata, self->area, NR_PAGES,
			      readonly ? DEV_PRIVATE_READ : DEV_PRIVATE_WRITE, NULL, dev);
	expect_device_pfns(_metadata, dev, ram);
	expect_present_with_data(_metadata, self->area, NR_PAGES, seed, back);
}

TEST_F(device_entries, migrated_writable_pages_are_device_private_write)
{
	device_private_round(_metadata, self, 0x30, false);
}

TEST_F(device_entries, migrated_readonly_pages_are_device_private_read)
{
	device_private_round(_metadata, self, 0x50, true);
}

TEST_F(device_entries, exclusive_pages_are_device_exclusive_of_their_own_pfn)
{
	uint64_t ram[NR_PAGES], back[NR_PAGES];
	struct hmm_dmirror_cmd cmd;
	size_t i;
	int err;

	fill_pages(self->area, NR_PAGES, 0x70);
	expect_present_with_data(_metadata, self->area, NR_PAGES, 0x70, ram);
	err = dmirror_cmd(self->fd, HMM_DMIRROR_EXCLUSIVE, self->area, NR_PAGES,
			  self->bounce, &cmd);
	ASSERT_EQ(0, err) TH_LOG("HMM_DMIRROR_EXCLUSIVE: %s", strerror(-err));
	ASSERT_EQ((uint64_t)NR_PAGES, cmd.cpages)
		TH_LOG("the driver mapped %llu of %d pages exclusive",
		       (unsigned long long)cmd.cpages, NR_PAGES);
	expect_device_entries(_metadata, self->area, NR_PAGES, DEV_EXCLUSIVE_WRITE, ram, NULL);
	/* the driver read each page through its exclusive mapping */
	expect_device_read(_metadata, self, 0x70);
	expect_present_with_data(_metadata, self->area, NR_PAGES, 0x70, back);
	for (i = 0; i < NR_PAGES; i++) {
		uint64_t was = ram[i], now = back[i];

		ASSERT_EQ(was, now)
			TH_LOG("page %zu: pfn 0x%llx after the CPU took it back, was 0x%llx",
			       i, (unsigned long long)now, (unsigned long long)was);
	}
}

TEST_HARNESS_MAIN
