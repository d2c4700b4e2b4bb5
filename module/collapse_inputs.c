// SPDX-License-Identifier: GPL-2.0
/*
 * What khugepaged looks at when MADV_COLLAPSE asks it to collapse one PMD
 * range: the VMA (backing, sharing, userfaultfd modes, anon_vma, whether THP
 * is allowed there at all), the PTEs of the range in address order (through
 * the page-table walker), and for shmem the page cache of the range and every
 * mapping of it, since a MISSING registration anywhere over a hole stops the
 * collapse on 6.4+.
 */
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched/coredump.h>
#include <linux/userfaultfd_k.h>
#include <linux/xarray.h>

#include "collapse.h"
#include "compat.h"
#include "walk.h"

/* Every case where madvise_collapse() refuses the VMA up front (EINVAL). */
static const char *thp_ineligible(struct mm_struct *mm, struct vm_area_struct *vma,
				  enum collapse_backing backing)
{
	unsigned long last;

	if (vma->vm_flags & VM_NOHUGEPAGE)
		return "VM_NOHUGEPAGE (MADV_NOHUGEPAGE)";
	/* "unless advised" does not stop MADV_COLLAPSE, which is advice */
	if (uffdscope_thp_disabled_completely(mm))
		return "THP disabled for the process (PR_SET_THP_DISABLE)";
	if (vma->vm_flags & VM_NO_KHUGEPAGED)
		return "hugetlb or special mapping (VM_NO_KHUGEPAGED)";
	if (vma->vm_end - vma->vm_start < PMD_SIZE)
		return "VMA smaller than a PMD";
	/* khugepaged checks the last PMD-aligned range of the VMA */
	last = (vma->vm_end - PMD_SIZE) & PMD_MASK;
	if (last < vma->vm_start)
		return "no PMD-aligned range inside the VMA";
	if (!vma_is_anonymous(vma) &&
	    !IS_ALIGNED((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff, COLLAPSE_NR))
		return "file offset not PMD-aligned with the address";
	if (backing == CB_ANON && !vma->anon_vma)
		return "anonymous VMA without anon_vma (never faulted)";
	return NULL;
}

static enum collapse_backing vma_collapse_backing(struct vm_area_struct *vma)
{
	switch (uffdscope_vma_backing(vma)) {
	case UFFDSCOPE_BACKING_ANON:
		return CB_ANON;
	case UFFDSCOPE_BACKING_SHMEM:
		return CB_SHMEM;
	case UFFDSCOPE_BACKING_FILE:
		return CB_FILE;
	default:
		return CB_OTHER;
	}
}

static u16 classify(const struct uffdscope_entry *e)
{
	u16 c;

	switch (e->kind) {
	case UFFDSCOPE_NONE:
		return CP_NONE;
	case UFFDSCOPE_PRESENT:
		/* the zero page is a special PTE: test its pfn first */
		if (is_zero_pfn(e->pfn) || e->backing == UFFDSCOPE_BACKING_ZERO)
			c = CP_ZERO;
		else if (e->backing == UFFDSCOPE_BACKING_ANON)
			c = CP_ANON;
		else if (e->backing == UFFDSCOPE_BACKING_SHMEM ||
			 e->backing == UFFDSCOPE_BACKING_FILE)
			c = CP_FILE;
		else
			c = CP_NOPAGE;
		if (e->write)
			c |= CP_WRITE;
		if (e->uffd_wp)
			c |= CP_UFFD_WP;
		if (e->uffd_rwp)
			c |= CP_UFFD_RWP;
		return c;
	case UFFDSCOPE_SWAP:
		return CP_SWAP | (e->uffd_wp ? CP_UFFD_WP : 0);
	case UFFDSCOPE_MARKER:
		return CP_MARKER | ((e->marker & PTE_MARKER_UFFD_WP) ? CP_MARKER_WP : 0) |
		       ((e->marker & PTE_MARKER_GUARD) ? CP_MARKER_GUARD : 0);
	default:
		return CP_OTHER_NONPRESENT | (e->uffd_wp ? CP_UFFD_WP : 0);
	}
}

/* Walker callback: runs under a page-table lock, so it only records. */
static int collapse_entry(struct uffdscope_walk *w, const struct uffdscope_entry *e)
{
	struct collapse_inputs *in = w->private;
	unsigned long a, end = e->addr + e->size;
	u16 c;

	if (e->level != UFFDSCOPE_PTE) {
		if (e->level != UFFDSCOPE_PMD)
			in->pmd = e->kind == UFFDSCOPE_NONE ? CPMD_NO_TABLE : CPMD_OTHER;
		else if (e->kind == UFFDSCOPE_NONE)
			in->pmd = CPMD_NONE;
		else if (e->kind == UFFDSCOPE_PRESENT)
			in->pmd = CPMD_HUGE;
		else
			in->pmd = CPMD_OTHER;
		return 0;
	}
	in->pmd = CPMD_TABLE;
	c = classify(e);
	for (a = e->addr; a < end; a += PAGE_SIZE) {
		unsigned long i = (a - in->haddr) >> PAGE_SHIFT;

		if (i < COLLAPSE_NR)
			in->pte[i] = c;
	}
	return 0;
}

static int gather_ptes(struct mm_struct *mm, struct collapse_inputs *in)
{
	struct uffdscope_walk w = {
		.mm = mm, .addr = in->haddr, .end = in->haddr + PMD_SIZE,
		.entry = collapse_entry, .private = in,
	};
	unsigned int i, rounds = 0;
	int ret;

	/* One PMD range is a handful of units; the bound only guards a bug. */
	do {
		ret = uffdscope_walk(&w);
	} while (ret == UFFDSCOPE_WALK_MORE && ++rounds < 64);
	if (ret)
		return ret < 0 ? ret : -EAGAIN;

	for (i = 0; i < COLLAPSE_NR; i++) {
		in->nr[in->pte[i] & CP_KIND_MASK]++;
		in->nr_write += !!(in->pte[i] & CP_WRITE);
		in->nr_uffd_wp += !!(in->pte[i] & CP_UFFD_WP);
		in->nr_marker_wp += !!(in->pte[i] & CP_MARKER_WP);
		in->nr_uffd_rwp += !!(in->pte[i] & CP_UFFD_RWP);
		in->nr_marker_guard += !!(in->pte[i] & CP_MARKER_GUARD);
	}
	return 0;
}

/*
 * The page cache over the range, read under RCU as hpage_collapse_scan_file()
 * reads it: folios are only looked at, never referenced, so a racing change
 * makes the counts stale, never unsafe.
 */
static void gather_page_cache(struct address_space *mapping, pgoff_t start,
			      struct collapse_inputs *in)
{
	XA_STATE(xas, &mapping->i_pages, start);
	unsigned int present = 0, swap = 0;
	struct folio *folio;

	rcu_read_lock();
	xas_for_each(&xas, folio, start + COLLAPSE_NR - 1) {
		if (xas_retry(&xas, folio))
			continue;
		if (xa_is_value(folio)) {
			swap += 1U << xas_get_order(&xas);
			continue;
		}
		if (folio_order(folio) == PMD_SHIFT - PAGE_SHIFT && folio->index == start) {
			in->pc_huge = true;
			present = COLLAPSE_NR;
			break;
		}
		if (folio_test_large(folio))
			in->pc_compound++;
		if (!folio_test_uptodate(folio))
			in->pc_not_uptodate++;
		present += folio_nr_pages(folio);
	}
	rcu_read_unlock();

	in->pc_present = min_t(unsigned int, present, COLLAPSE_NR);
	in->pc_swap = min_t(unsigned int, swap, COLLAPSE_NR - in->pc_present);
	in->pc_holes = COLLAPSE_NR - in->pc_present - in->pc_swap;
}

/*
 * Mappings of the file registered MISSING, in any mm, that collapse_file()
 * finds with vma_interval_tree_foreach(..., start, start + HPAGE_PMD_NR):
 * that interval is inclusive, so a mapping that begins at the first page
 * after the range counts too.
 */
static unsigned int count_missing_mappings(struct address_space *mapping, pgoff_t start)
{
	pgoff_t last = start + COLLAPSE_NR;
	unsigned int n = 0;
	struct rb_node *node;

	i_mmap_lock_read(mapping);
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node)) {
		struct vm_area_struct *v = rb_entry(node, struct vm_area_struct, shared.rb);
		pgoff_t first = v->vm_pgoff, end = v->vm_pgoff + vma_pages(v) - 1;

		if (first <= last && end >= start && userfaultfd_missing(v))
			n++;
	}
	i_mmap_unlock_read(mapping);
	return n;
}

int collapse_gather(struct mm_struct *mm, struct vm_area_struct *vma,
		    unsigned long addr, struct collapse_inputs *in)
{
	int ret;

	in->haddr = addr & PMD_MASK;
	in->backing = vma_collapse_backing(vma);
	in->shared = !!(vma->vm_flags & VM_SHARED);
	in->anon_vma = !!vma->anon_vma;
	in->uffd_missing = userfaultfd_missing(vma);
	in->uffd_wp = userfaultfd_wp(vma);
	in->uffd_minor = userfaultfd_minor(vma);
	in->uffd_rwp = uffdscope_vma_uffd_rwp(vma);
	in->range_in_vma = in->haddr >= vma->vm_start &&
			   in->haddr + PMD_SIZE <= vma->vm_end;
	in->ineligible = thp_ineligible(mm, vma, in->backing);
	in->pmd = CPMD_NO_TABLE;

	in->rss_anon = get_mm_counter(mm, MM_ANONPAGES);
	in->rss_file = get_mm_counter(mm, MM_FILEPAGES);
	in->rss_shmem = get_mm_counter(mm, MM_SHMEMPAGES);
	in->rss_swap = get_mm_counter(mm, MM_SWAPENTS);

	if (!in->range_in_vma)
		return 0;
	ret = gather_ptes(mm, in);
	if (ret)
		return ret;
	if (in->backing == CB_SHMEM) {
		pgoff_t start = vma->vm_pgoff + ((in->haddr - vma->vm_start) >> PAGE_SHIFT);
		struct address_space *mapping = vma->vm_file->f_mapping;

		gather_page_cache(mapping, start, in);
		in->missing_mappings = count_missing_mappings(mapping, start);
	}
	return 0;
}
