// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-around in a range registered UFFDIO_REGISTER_MODE_RWP (catalog row
 * RWP-FAULT-AROUND). Read-write protection (7.3, UFFD_FEATURE_RWP) tracks
 * which pages a program touches, through faults and PAGEMAP_SCAN's
 * PAGE_IS_ACCESSED. Fault-around would map the neighbours of a faulting page
 * without them ever being touched, and they would read as accessed: so
 * uffd_disable_fault_around() covers RWP as it covers WP and MINOR, and one
 * read fault maps exactly one PTE. The control, the same shmem file mapped
 * unregistered, shows that fault-around is on at all in this kernel.
 * Kernels before 7.3 do not offer UFFD_FEATURE_RWP: the row is unsupported
 * there and its tests SKIP with that reason.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "kind_area.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"

#define ROW	"RWP-FAULT-AROUND"
#define SEED	0x17

FIXTURE(rwp) {
	struct kind_area a;
	size_t window;		/* fault_around_bytes in pages; 0 when unreadable */
	int uffd;
	int pagemap;
};

FIXTURE_VARIANT(rwp) {
	bool registered;
};

FIXTURE_VARIANT_ADD(rwp, registered_rwp) { .registered = true };
FIXTURE_VARIANT_ADD(rwp, unregistered_control) { .registered = false };

FIXTURE_SETUP(rwp)
{
	struct kind_area *a = &self->a;
	const char *why = "";
	uint64_t missing = 0;
	long bytes;
	char *tmp;
	size_t i;
	int ret;

	self->uffd = -1;
	self->a.fd = -1;
	self->pagemap = pagemap_open(0);
	ASSERT_LE(0, self->pagemap);
	bytes = knob_read_long(FAULT_AROUND_BYTES);
	self->window = bytes > 0 ? (size_t)bytes / kind_page_size() : 0;
	/* Four windows' worth (at least 16 pages), so one fault cannot map them all. */
	ret = kind_area_map(a, AREA_SHMEM, true, self->window > 4 ? 4 * self->window : 16, &why);
	ASSERT_EQ(0, ret) TH_LOG("mapping shmem: %s: %s", why, strerror(-ret));
	/* The page cache full, no PTE of the area: fill through a second mapping. */
	tmp = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	ASSERT_NE(MAP_FAILED, tmp);
	for (i = 0; i < a->nr; i++)
		memset(tmp + i * a->unit, kind_pattern(SEED, i), a->unit);
	munmap(tmp, a->len);
	if (!variant->registered)
		return;
	self->uffd = uffd_open(UFFD_FEATURE_RWP, &missing);
	if (self->uffd == -EOPNOTSUPP)
		SKIP(return, "UFFD_FEATURE_RWP not offered by this kernel (read-write protection is 7.3+, CONFIG_USERFAULTFD_RWP)");
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(-self->uffd));
	ret = uffd_register(self->uffd, a->addr, a->len, UFFDIO_REGISTER_MODE_RWP);
	if (ret == -EINVAL)
		SKIP(return, "UFFDIO_REGISTER_MODE_RWP on shmem: EINVAL");
	ASSERT_EQ(0, ret) TH_LOG("UFFDIO_REGISTER RWP: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(rwp)
{
	if (self->uffd >= 0)
		close(self->uffd);
	kind_area_unmap(&self->a);
	if (self->pagemap >= 0)
		close(self->pagemap);
}

TEST_F(rwp, read_fault_maps_one_pte)
{
	struct kind_area *a = &self->a;
	size_t i, mapped = 0, target = a->nr / 2;
	volatile char c;

	/* Only the registered run observes the row; the control calibrates it. */
	if (variant->registered)
		BEHAVIOUR(ROW);
	for (i = 0; i < a->nr; i++)
		ASSERT_FALSE(!!(pagemap_get(self->pagemap, kind_page(a, i)) & PM_PRESENT))
			TH_LOG("page %zu mapped before any access", i);
	c = *kind_page(a, target);
	ASSERT_EQ(kind_pattern(SEED, target), (unsigned char)c);
	for (i = 0; i < a->nr; i++)
		if (pagemap_get(self->pagemap, kind_page(a, i)) & PM_PRESENT)
			mapped++;
	fprintf(stderr, "# %s: %s: one read fault mapped %zu pages (fault_around_bytes %zu pages)\n",
		ROW, variant->registered ? "registered RWP" : "unregistered", mapped, self->window);
	ASSERT_TRUE(!!(pagemap_get(self->pagemap, kind_page(a, target)) & PM_PRESENT))
		TH_LOG("the read page %zu itself is not mapped", target);
	if (variant->registered)
		ASSERT_BEHAVIOUR(ROW, mapped == 1,
				 "a read fault in an RWP-registered range mapped %zu pages, expected only the faulting one",
				 mapped);
	else if (self->window > 1)
		/* The control: without it, "1" could mean fault-around is simply off. */
		ASSERT_LT((size_t)1, mapped) TH_LOG("fault-around mapped nothing beside the read page with fault_around_bytes of %zu pages",
					    self->window);
}

TEST_HARNESS_MAIN
