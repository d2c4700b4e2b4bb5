// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"
#include "wp_area.h"
#include "wp_scope.h"

/* Reserve @need more default-size huge pages than are free now. */
static int reserve_huge_pages(size_t need)
{
	char nr_path[128], free_path[128];
	long total, free_now;
	int ret;

	if (!hugetlb_knob("nr_hugepages", nr_path, sizeof(nr_path)) ||
	    !hugetlb_knob("free_hugepages", free_path, sizeof(free_path)))
		return -ENOENT;
	total = knob_read_long(nr_path);
	free_now = knob_read_long(free_path);
	if (total < 0 || free_now < 0)
		return -ENOENT;
	if ((size_t)free_now >= need)
		return 0;
	ret = knob_set_ulong(nr_path, total + need - free_now);
	if (ret)
		return ret;
	free_now = knob_read_long(free_path);
	return free_now >= 0 && (size_t)free_now >= need ? 0 : -ENOMEM;
}

int wp_area_fill(const struct wp_area *w, size_t first, size_t n, unsigned char seed)
{
	size_t i;
	char *tmp;

	if (w->kind == MEM_SHMEM)
		return memfd_fill(w->memfd, first, n, seed);
	/* hugetlbfs has no write(2): fill through a second, shared mapping. */
	tmp = mmap(NULL, n * w->unit, PROT_READ | PROT_WRITE, MAP_SHARED, w->memfd,
		   (off_t)(first * w->unit));
	if (tmp == MAP_FAILED)
		return -errno;
	for (i = 0; i < n; i++)
		memset(tmp + i * w->unit, page_pattern(seed, first + i), w->unit);
	munmap(tmp, n * w->unit);
	return 0;
}

int wp_area_setup(struct wp_area *w, enum mem_kind kind, bool shared, size_t nr,
		  uint64_t features, uint64_t reg_mode, uint64_t *missing,
		  const char **why)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->memfd = w->uffd = w->pagemap = -1;
	w->kind = kind;
	w->shared = shared;
	w->nr = nr;
	w->unit = kind == MEM_HUGETLB ? hugetlb_size() : page_size();
	w->len = nr * w->unit;

	*why = "userfaultfd";
	w->uffd = uffd_open(features, missing);
	if (w->uffd < 0) {
		ret = w->uffd;
		goto fail;
	}
	if (kind == MEM_HUGETLB) {
		*why = "reserving huge pages";
		if (!w->unit) {
			ret = -ENOMEM;
			*why = "no hugetlbfs (no Hugepagesize in /proc/meminfo)";
			goto fail;
		}
		/*
		 * The file's pages; for a private mapping also a copy of each
		 * for the test and for a forked child, and one spare.
		 */
		ret = reserve_huge_pages(shared ? nr : 3 * nr + 1);
		if (ret)
			goto fail;
		w->memfd = memfd_hugetlb("uffdscope-wp", nr);
	} else {
		w->memfd = memfd_pages("uffdscope-wp", nr);
	}
	*why = "memfd";
	if (w->memfd < 0) {
		ret = w->memfd;
		goto fail;
	}
	*why = "filling the page cache";
	ret = wp_area_fill(w, 0, nr, WP_AREA_SEED);
	if (ret)
		goto fail;
	*why = "mmap";
	w->addr = mmap_pmd(w->memfd, w->len, shared);
	if (w->addr == MAP_FAILED) {
		ret = -errno;
		w->addr = NULL;
		goto fail;
	}
	*why = "pagemap";
	w->pagemap = pagemap_open(0);
	if (w->pagemap < 0) {
		ret = w->pagemap;
		goto fail;
	}
	*why = "UFFDIO_REGISTER";
	if (reg_mode) {
		ret = uffd_register(w->uffd, w->addr, w->len, reg_mode);
		if (ret)
			goto fail;
	}
	*why = NULL;
	return 0;
fail:
	wp_area_teardown(w);
	knob_restore_all();
	return ret;
}

void wp_area_teardown(struct wp_area *w)
{
	if (w->addr)
		munmap(w->addr, w->len);
	if (w->pagemap >= 0)
		close(w->pagemap);
	if (w->memfd >= 0)
		close(w->memfd);
	if (w->uffd >= 0)
		close(w->uffd);
	w->addr = NULL;
	w->pagemap = w->memfd = w->uffd = -1;
}

uint64_t wp_pagemap(const struct wp_area *w, size_t i)
{
	errno = 0;
	return pagemap_get(w->pagemap, wp_page(w, i));
}

bool wp_page_holds(const struct wp_area *w, size_t i, size_t skip, unsigned char byte,
		   unsigned char *seen)
{
	const unsigned char *p = wp_page(w, i);
	size_t off;

	for (off = skip; off < w->unit; off++) {
		if (p[off] != byte) {
			if (seen)
				*seen = p[off];
			return false;
		}
	}
	return true;
}

uint64_t wp_state(const struct wp_area *w, pid_t pid, size_t i)
{
	uint64_t entry;
	int fd;

	if (!pid)
		return wp_pagemap(w, i) & (PM_PRESENT | PM_UFFD_WP | PM_SWAP);
	fd = pagemap_open(pid);
	if (fd < 0)
		return 0;
	entry = pagemap_get(fd, wp_page(w, i));
	close(fd);
	return entry & (PM_PRESENT | PM_UFFD_WP | PM_SWAP);
}

/*
 * What pagemap shows for what the module saw. Only the present and uffd-wp
 * bits are compared: pagemap sets PM_SWAP for a shmem marker but not for a
 * hugetlb one, and cannot tell a marker from a swap entry at all.
 */
static uint64_t view_bits(enum wp_view v)
{
	switch (v) {
	case VIEW_NONE:
	case VIEW_OTHER:
	case VIEW_MARKER_GUARD:
		return 0;
	case VIEW_MARKER_WP:
	case VIEW_SWAP_WP:
		return PM_UFFD_WP;
	case VIEW_PRESENT_WP:
	case VIEW_PRESENT_RWP:	/* pagemap shows the uffd bit of either */
		return PM_PRESENT | PM_UFFD_WP;
	case VIEW_PRESENT:
		return PM_PRESENT;
	}
	return 0;
}

int wp_witness(const struct wp_area *w, pid_t pid, size_t i, uint64_t pm,
	       struct wp_seen *seen)
{
	int ret = wp_scope_seen(pid, wp_page(w, i), w->unit, seen);

	if (ret)
		return ret;
	return view_bits(seen->view) == (pm & (PM_PRESENT | PM_UFFD_WP));
}
