// SPDX-License-Identifier: GPL-2.0
/*
 * Read fault-around never maps a PTE beyond i_size (catalog row
 * FAULT-AROUND-EOF, "mm/memory: do not populate page table entries beyond
 * i_size"). A page past EOF must raise SIGBUS when touched; a PTE mapped
 * there by fault-around would hide that. The page cache only holds pages
 * past EOF when a large folio straddles i_size, so the file is a huge
 * (shmem_enabled=always) memfd whose size ends inside its first PMD-sized
 * folio. The mapping is offset by one page from PMD alignment, so the
 * kernel cannot map the folio with a PMD (shmem keeps that on purpose,
 * even across i_size) and fault-around must map it PTE by PTE, up to EOF.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "memory.h"
#include "pagemap.h"
#include "sigbus.h"
#include "sysfs_state.h"

#define WINDOW_PAGES	16	/* fault_around_bytes, in pages, for this test */
#define KPF_COMPOUND_HEAD_BIT	15
#define KPF_COMPOUND_TAIL_BIT	16
#define EOF_SEED	0x5a

FIXTURE(eof) {
	int fd;
	int pm;
	unsigned char *map;	/* file page 0; one page past PMD alignment */
	size_t page, nr;	/* page size; pages mapped (one PMD's worth) */
	size_t eof_page;	/* the page i_size ends in */
	void *reserve;
	size_t reserve_len;
};

FIXTURE_SETUP(eof)
{
	size_t psize = page_size(), pmd = pmd_size(), i;
	unsigned char *buf;
	uintptr_t aligned;
	off_t isize;
	int ret;

	self->fd = -1;
	self->pm = -1;
	self->reserve = MAP_FAILED;
	self->page = psize;
	self->nr = pmd / psize;
	/*
	 * The EOF page starts a fault-around window: its virtual PTE index
	 * (file index + 1) is a multiple of WINDOW_PAGES, so the window of a
	 * read fault there covers it and WINDOW_PAGES - 1 pages past EOF.
	 */
	self->eof_page = 4 * WINDOW_PAGES - 1;
	ASSERT_LT(self->eof_page + WINDOW_PAGES, self->nr) TH_LOG("a PMD of %zu pages is too small", self->nr);

	THP_REQUIRE();
	THP_KNOB_SET(THP_SHMEM, "always");
	ret = knob_set_ulong(FAULT_AROUND_BYTES, WINDOW_PAGES * psize);
	if (ret == -ENOENT || ret == -EPERM) {
		knob_restore_all();
		SKIP(return, "%s: %s (debugfs not mounted, or locked down)", FAULT_AROUND_BYTES,
		     strerror(-ret));
	}
	ASSERT_EQ(0, ret) TH_LOG("setting %s: %s", FAULT_AROUND_BYTES, strerror(-ret));

	self->pm = pagemap_open(0);
	ASSERT_LE(0, self->pm);
	self->fd = memfd_create("fault_around_eof", MFD_CLOEXEC);
	ASSERT_LE(0, self->fd);
	/* i_size ends in the middle of the EOF page: that page is inside the file. */
	isize = (off_t)(self->eof_page * psize + psize / 2);
	buf = malloc(isize);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < (size_t)isize; i++)
		buf[i] = page_pattern(EOF_SEED, i / psize);
	ASSERT_EQ(isize, pwrite(self->fd, buf, isize, 0));
	free(buf);

	self->reserve_len = 3 * pmd;
	self->reserve = mmap(NULL, self->reserve_len, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->reserve);
	aligned = ((uintptr_t)self->reserve + pmd - 1) & ~(uintptr_t)(pmd - 1);
	self->map = mmap((void *)(aligned + psize), pmd, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(eof)
{
	if (self->reserve != MAP_FAILED)
		munmap(self->reserve, self->reserve_len);
	if (self->fd >= 0)
		close(self->fd);
	if (self->pm >= 0)
		close(self->pm);
	ASSERT_EQ(0, knob_restore_all());
}

static bool present(FIXTURE_DATA(eof) *self, size_t i)
{
	return !!(pagemap_get(self->pm, self->map + i * self->page) & PM_PRESENT);
}

TEST_F(eof, fault_around_stops_at_i_size)
{
	size_t i, beyond = 0, window_end = self->eof_page + WINDOW_PAGES;
	unsigned char *eof = self->map + self->eof_page * self->page;
	uint64_t kpf;

	BEHAVIOUR("FAULT-AROUND-EOF");
	for (i = 0; i < self->nr; i++)
		ASSERT_FALSE(present(self, i)) TH_LOG("page %zu mapped before any fault", i);

	/* A read fault inside the file, in the EOF page: fault-around runs here. */
	ASSERT_EQ(page_pattern(EOF_SEED, self->eof_page), *(volatile unsigned char *)eof);
	ASSERT_TRUE(present(self, self->eof_page));

	/* Without a folio straddling i_size there is nothing past EOF to map. */
	errno = 0;
	kpf = kpageflags_of(eof);
	if (!(kpf & (1ULL << KPF_COMPOUND_TAIL_BIT | 1ULL << KPF_COMPOUND_HEAD_BIT)))
		SKIP(return, "the EOF page is not in a large folio (kpageflags 0x%llx, %s): no PMD-sized shmem folio was allocated",
		     (unsigned long long)kpf, errno ? strerror(errno) : "no error");

	for (i = self->eof_page + 1; i < window_end; i++)
		beyond += present(self, i);
	fprintf(stderr, "# value: FAULT-AROUND-EOF ptes_beyond_eof=%zu (window %d pages, i_size in page %zu of a %zu-page folio)\n",
		beyond, WINDOW_PAGES, self->eof_page, self->nr);
	ASSERT_BEHAVIOUR("FAULT-AROUND-EOF", beyond == 0,
			 "a read fault in the EOF page mapped %zu of the %d pages past i_size in its fault-around window",
			 beyond, WINDOW_PAGES - 1);

	/* The first page past EOF is in the page cache, yet must not be reachable. */
	ASSERT_BEHAVIOUR("FAULT-AROUND-EOF", sigbus_read(eof + self->page, NULL),
			 "a read of the page after the EOF page (in the same large folio) returned data instead of SIGBUS");
	ASSERT_FALSE(present(self, self->eof_page + 1)) TH_LOG("the page past EOF is mapped after its SIGBUS");
}

TEST_HARNESS_MAIN
