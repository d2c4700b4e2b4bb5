// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table walker (see walk.h for its contract). walk_page_range() and
 * pte_offset_map_lock() are not exported to modules, so the walk is open-coded
 * from the inline helpers, with the guarantees the kernel's own walkers give:
 * every level is read once, tables are entered from that copy, and what was
 * read locklessly is checked again under the lock that serialises its writers.
 */
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

#include "compat.h"
#include "walk.h"

/*
 * Each upper-level entry and each PTE table costs one unit of the budget.
 * Out of budget, or (if asked) someone waits for the mmap lock and this call
 * has made progress: stop, so that the caller drops the lock.
 */
static bool take_unit(struct uffdscope_walk *w)
{
	if (!w->left)
		return false;
	if (w->yield_if_contended && w->left < w->budget_this_call &&
	    mmap_lock_is_contended(w->mm))
		return false;
	w->left--;
	return true;
}

/* Hand @e to the callback; on acceptance the walk moves past it. */
static int deliver(struct uffdscope_walk *w, const struct uffdscope_entry *e)
{
	int ret = w->entry(w, e);

	if (ret > 0)
		return UFFDSCOPE_WALK_MORE;
	return ret;
}

/* The run being merged (w->merge), and the slot the next entry is read into. */
static struct uffdscope_entry *pending_run(struct uffdscope_walk *w)
{
	return &w->slot[w->cur];
}

static struct uffdscope_entry *free_slot(struct uffdscope_walk *w)
{
	return &w->slot[!w->cur];
}

/*
 * Visit @e. Without w->merge it goes to the callback. With it, @e extends
 * the pending run when it continues it, else the pending run goes to the
 * callback and @e starts the next one: a run is reported once, whole, even
 * when it spans tables or calls. @e read into free_slot() becomes the
 * pending run without a copy (once per run of a dense dump). Everything
 * visited before @e is consumed, so a refusal resumes at @e. Inlined: it
 * runs once per run of a dense dump, and a call costs as much as its work.
 */
static __always_inline int report(struct uffdscope_walk *w,
				  const struct uffdscope_entry *e)
{
	struct uffdscope_entry *run = pending_run(w);
	int ret;

	if (!w->merge) {
		ret = deliver(w, e);
	} else if (w->have_run &&
		   uffdscope_entry_continues(run, run->addr + run->size, e)) {
		run->size += e->size;
		run->nr += e->nr;
		ret = 0;
	} else {
		ret = w->have_run ? deliver(w, run) : 0;
		if (!ret) {
			if (e == free_slot(w))
				w->cur = !w->cur;
			else
				*run = *e;
			w->have_run = true;
		}
	}
	if (ret) {
		w->addr = e->addr;
		return ret;
	}
	w->addr = e->addr + e->size;
	return 0;
}

static int report_simple(struct uffdscope_walk *w, unsigned long addr,
			 unsigned long end, unsigned long nr,
			 enum uffdscope_level level, enum uffdscope_kind kind,
			 u64 raw)
{
	struct uffdscope_entry e = {
		.addr = addr, .size = end - addr, .nr = nr, .level = level,
		.kind = kind, .raw = raw,
		.hugetlb = is_vm_hugetlb_page(w->vma),
	};

	return report(w, &e);
}

/*
 * The lock that serialises writers of a hugetlb entry at @entry, the one
 * huge_pte_lock() takes: it depends on the huge page size and on the kernel
 * (see compat.h), so the kernel's own inline helper names it.
 */
static spinlock_t *hugetlb_entry_lock(struct uffdscope_walk *w, void *entry)
{
	return huge_pte_lockptr(hstate_vma(w->vma), w->mm, entry);
}

/*
 * What huge_ptep_get() returns for a contiguous hugetlb block (arm64; not
 * exported to modules): the hardware sets young and dirty on any entry of
 * the block, so they are gathered from all of them. The caller holds the
 * block's lock; @first is the block's first entry.
 */
static void gather_cont_ptes(struct uffdscope_entry *e, pte_t *first)
{
	unsigned int i;

	for (i = 0; i < UFFDSCOPE_CONT_PTES; i++) {
		pte_t pte = ptep_get(first + i);

		e->young |= !!pte_young(pte);
		e->dirty |= !!pte_dirty(pte);
	}
}

static void gather_cont_pmds(struct uffdscope_entry *e, pmd_t *first)
{
	unsigned int i;

	for (i = 0; i < UFFDSCOPE_CONT_PMDS; i++) {
		pte_t pte = uffdscope_pmd_as_pte(uffdscope_pmd_read(first + i));

		e->young |= !!pte_young(pte);
		e->dirty |= !!pte_dirty(pte);
	}
}

/*
 * Whether @pte decodes as @prev did into @e (a present, non-hugetlb entry of
 * the same VMA), so that the decoder need not run: the same value, or, for
 * anonymous memory, the same flags and another anon folio of the same order.
 * Measured in the 7.3 amd64 VM (bench_dump (a), ktime counters): the
 * decoder ran for each of ~200k present PTEs, a third of the dump's time;
 * with this test, 10k decodes remain (the first entry of each run). The caller holds
 * the table's lock, so the folio cannot be freed or split meanwhile.
 */
static bool decodes_alike(struct vm_area_struct *vma, pte_t prev, pte_t pte,
			  const struct uffdscope_entry *e)
{
	struct folio *folio;
	unsigned long pfn;

	if (pte_val(pte) == pte_val(prev))
		return true;
	if (e->backing != UFFDSCOPE_BACKING_ANON ||
	    (vma->vm_flags & (VM_PFNMAP | VM_IO | VM_MIXEDMAP)) ||
	    pgprot_val(pte_pgprot(pte)) != pgprot_val(pte_pgprot(prev)))
		return false;
	pfn = pte_pfn(pte);
	if (is_zero_pfn(pfn))
		return false;
	folio = page_folio(pfn_to_page(pfn));
	return folio_test_anon(folio) && folio_order(folio) == e->order;
}

/*
 * One PTE table, entered from a single read of its PMD. Returns -EAGAIN
 * when the PMD no longer points to a table (or changed before we got the
 * lock): the caller then reads the PMD again and decides anew.
 */
static int walk_pte_table(struct uffdscope_walk *w, pmd_t *pmdp,
			  unsigned long addr, unsigned long end)
{
	struct uffdscope_entry *next;	/* the entry read, in free_slot() */
	/* the decode of prev, when reuse; see decodes_alike() */
	struct uffdscope_entry *ref = NULL;
	bool reuse = false;
	pte_t prev = __pte(0);
	spinlock_t *ptl;	/* the table's lock, found from the PMD copy */
	pte_t *ptep;
	pmd_t pmd;
	int ret = 0;

	/* Since 6.5 a PTE table may be freed by RCU under mmap_read_lock. */
	rcu_read_lock();
	pmd = uffdscope_pmd_read(pmdp);
	if (pmd_none(pmd) || !pmd_present(pmd) || pmd_leaf(pmd) ||
	    pmd_bad(pmd)) {
		rcu_read_unlock();
		return -EAGAIN;
	}
	ptep = pte_offset_kernel(&pmd, addr);
	/* on 6.1 a contiguous hugetlb block is under mm->page_table_lock */
	ptl = is_vm_hugetlb_page(w->vma) ? hugetlb_entry_lock(w, ptep) :
					   pte_lockptr(w->mm, &pmd);
	spin_lock(ptl);
	if (!pmd_same(pmd, uffdscope_pmd_read(pmdp))) {
		spin_unlock(ptl);
		rcu_read_unlock();
		return -EAGAIN;
	}
	while (addr < end) {
		pte_t pte = ptep_get(ptep);
		unsigned long n = 1;

		if (reuse && decodes_alike(w->vma, prev, pte, ref)) {
			/* with merge, ref is the pending run: one more entry */
			if (w->merge) {
				ref->size += PAGE_SIZE;
				ref->nr++;
				addr += PAGE_SIZE;
				ptep++;
				prev = pte;
				continue;
			}
			next = ref;
			next->addr = addr;
			next->raw = pte_val(pte);
			next->pfn = pte_pfn(pte);
			goto decoded;
		}
		next = free_slot(w);
		memset(next, 0, sizeof(*next));
		next->addr = addr;
		if (pte_none(pte)) {
			/* one report for the run: sparse tables cost little */
			while (addr + n * PAGE_SIZE < end &&
			       pte_none(ptep_get(ptep + n)))
				n++;
			next->level = UFFDSCOPE_PTE;
			next->kind = UFFDSCOPE_NONE;
			next->raw = pte_val(pte);
			next->hugetlb = is_vm_hugetlb_page(w->vma);
		} else {
			uffdscope_decode_pte(next, w->vma, pte, UFFDSCOPE_PTE);
			if (next->hugetlb && next->cont)
				gather_cont_ptes(next, ptep -
						 ((addr >> PAGE_SHIFT) &
						  (UFFDSCOPE_CONT_PTES - 1)));
		}
		reuse = next->kind == UFFDSCOPE_PRESENT && !next->hugetlb;
decoded:
		prev = pte;
		next->size = n * PAGE_SIZE;
		next->nr = n;
		ret = report(w, next);
		if (ret)
			break;
		/*
		 * With merge, next is now in the pending run (as its start,
		 * or merged into it with equal decoded fields); without, next
		 * is still in its slot.
		 */
		ref = w->merge ? pending_run(w) : next;
		addr += n * PAGE_SIZE;
		ptep += n;
	}
	if (!ret)
		w->addr = end;
	spin_unlock(ptl);
	rcu_read_unlock();
	return ret;
}

/* A PMD leaf (THP, hugetlb) or non-present PMD, read under the PMD lock. */
static int walk_pmd_leaf(struct uffdscope_walk *w, pmd_t *pmdp,
			 unsigned long addr, unsigned long end)
{
	struct uffdscope_entry e = { .addr = addr, .size = end - addr };
	spinlock_t *ptl = is_vm_hugetlb_page(w->vma) ?
			  hugetlb_entry_lock(w, pmdp) : pmd_lockptr(w->mm, pmdp);
	pmd_t pmd;
	int ret;

	spin_lock(ptl);
	pmd = uffdscope_pmd_read(pmdp);
	if (pmd_none(pmd) || (pmd_present(pmd) && !pmd_leaf(pmd))) {
		spin_unlock(ptl);
		return -EAGAIN;
	}
	uffdscope_decode_pmd(&e, w->vma, pmd);
	if (e.hugetlb && e.cont)
		gather_cont_pmds(&e, pmdp - ((addr >> PMD_SHIFT) &
					     (UFFDSCOPE_CONT_PMDS - 1)));
	ret = report(w, &e);
	spin_unlock(ptl);
	return ret;
}

/*
 * A none PMD and the none PMDs after it, up to @end, as one report; *@pmdp,
 * *@addr and *@next are moved to the last of them, as if the caller's loop
 * had stepped over each.
 */
static int report_pmd_none_run(struct uffdscope_walk *w, pmd_t **pmdp,
			       unsigned long *addr, unsigned long *next,
			       unsigned long end, pmd_t first)
{
	unsigned long start = *addr, nr = 1;

	while (*next < end && pmd_none(uffdscope_pmd_read(*pmdp + 1))) {
		(*pmdp)++;
		*addr = *next;
		*next = pmd_addr_end(*addr, end);
		nr++;
	}
	return report_simple(w, start, *next, nr, UFFDSCOPE_PMD,
			     UFFDSCOPE_NONE, pmd_val(first));
}

/*
 * @pudp is the real slot and @pud the value read from it: the PMD table is
 * found from the value (a pointer to a copy would do, but not where arm64
 * folds the level at boot: pmd_offset() of a folded level derives the table
 * from the pointer it is given).
 */
static int walk_pmd_range(struct uffdscope_walk *w, pud_t *pudp, pud_t pud,
			  unsigned long addr, unsigned long end)
{
	pmd_t *pmdp = pmd_offset_lockless(pudp, pud, addr);
	unsigned long next;
	pmd_t pmd;
	int ret;

	for (; addr < end; pmdp++, addr = next) {
		next = pmd_addr_end(addr, end);
		do {
			/* a retry costs a unit too, so a busy PMD cannot pin us */
			if (!take_unit(w))
				return UFFDSCOPE_WALK_MORE;
			pmd = uffdscope_pmd_read(pmdp);
			if (pmd_none(pmd))
				ret = report_pmd_none_run(w, &pmdp, &addr, &next,
							  end, pmd);
			else if (!pmd_present(pmd) || pmd_leaf(pmd))
				ret = walk_pmd_leaf(w, pmdp, addr, next);
			else if (pmd_bad(pmd))
				ret = report_simple(w, addr, next, 1, UFFDSCOPE_PMD,
						    UFFDSCOPE_BAD, pmd_val(pmd));
			else
				ret = walk_pte_table(w, pmdp, addr, next);
		} while (ret == -EAGAIN);
		if (ret)
			return ret;
	}
	return 0;
}

/* A PUD leaf (1 GiB hugetlb) or non-present PUD, read under its lock. */
static int walk_pud_leaf(struct uffdscope_walk *w, pud_t *pudp,
			 unsigned long addr, unsigned long end)
{
	struct uffdscope_entry e = { .addr = addr, .size = end - addr };
	spinlock_t *ptl = is_vm_hugetlb_page(w->vma) ?
			  hugetlb_entry_lock(w, pudp) : pud_lockptr(w->mm, pudp);
	pud_t pud;
	int ret;

	spin_lock(ptl);
	pud = uffdscope_pud_read(pudp);
	if (pud_none(pud) || (pud_present(pud) && !pud_leaf(pud))) {
		spin_unlock(ptl);
		return -EAGAIN;
	}
	uffdscope_decode_pud(&e, w->vma, pud);
	ret = report(w, &e);
	spin_unlock(ptl);
	return ret;
}

/* @p4dp is the real slot, @p4d its value: see walk_pmd_range(). */
static int walk_pud_range(struct uffdscope_walk *w, p4d_t *p4dp, p4d_t p4d,
			  unsigned long addr, unsigned long end)
{
	pud_t *pudp = pud_offset_lockless(p4dp, p4d, addr);
	unsigned long next;
	pud_t pud;
	int ret;

	for (; addr < end; pudp++, addr = next) {
		next = pud_addr_end(addr, end);
		do {
			if (!take_unit(w))
				return UFFDSCOPE_WALK_MORE;
			pud = uffdscope_pud_read(pudp);
			if (pud_none(pud))
				ret = report_simple(w, addr, next, 1, UFFDSCOPE_PUD,
						    UFFDSCOPE_NONE, pud_val(pud));
			else if (!pud_present(pud) || pud_leaf(pud))
				ret = walk_pud_leaf(w, pudp, addr, next);
			else if (pud_bad(pud))
				ret = report_simple(w, addr, next, 1, UFFDSCOPE_PUD,
						    UFFDSCOPE_BAD, pud_val(pud));
			else
				/*
				 * PMD tables are freed only under mmap_write_lock
				 * (or, for shared hugetlb, i_mmap_rwsem held for
				 * write), so the copy @pud leads to a live table.
				 */
				ret = walk_pmd_range(w, pudp, pud, addr, next);
		} while (ret == -EAGAIN);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_p4d_range(struct uffdscope_walk *w, pgd_t *pgd,
			  unsigned long addr, unsigned long end)
{
	p4d_t *p4dp = p4d_offset(pgd, addr);
	unsigned long next;
	p4d_t p4d;
	int ret;

	for (; addr < end; p4dp++, addr = next) {
		next = p4d_addr_end(addr, end);
		if (!take_unit(w))
			return UFFDSCOPE_WALK_MORE;
		p4d = READ_ONCE(*p4dp);
		if (p4d_none(p4d))
			ret = report_simple(w, addr, next, 1, UFFDSCOPE_P4D,
					    UFFDSCOPE_NONE, p4d_val(p4d));
		else if (p4d_bad(p4d))
			ret = report_simple(w, addr, next, 1, UFFDSCOPE_P4D,
					    UFFDSCOPE_BAD, p4d_val(p4d));
		else
			ret = walk_pud_range(w, p4dp, p4d, addr, next);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_pgd_range(struct uffdscope_walk *w, unsigned long addr,
			  unsigned long end)
{
	pgd_t *pgdp = pgd_offset(w->mm, addr);
	unsigned long next;
	pgd_t pgd;
	int ret;

	for (; addr < end; pgdp++, addr = next) {
		next = pgd_addr_end(addr, end);
		if (!take_unit(w))
			return UFFDSCOPE_WALK_MORE;
		pgd = READ_ONCE(*pgdp);
		if (pgd_none(pgd))
			ret = report_simple(w, addr, next, 1, UFFDSCOPE_PGD,
					    UFFDSCOPE_NONE, pgd_val(pgd));
		else if (pgd_bad(pgd))
			ret = report_simple(w, addr, next, 1, UFFDSCOPE_PGD,
					    UFFDSCOPE_BAD, pgd_val(pgd));
		else
			/* p4d may be folded into the pgd: enter the real slot */
			ret = walk_p4d_range(w, pgdp, addr, next);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_vma(struct uffdscope_walk *w, unsigned long end)
{
	struct vm_area_struct *vma = w->vma;
	struct address_space *mapping = NULL;
	int ret;

	/*
	 * huge_pmd_unshare() can clear a shared hugetlb PMD table from our PUD
	 * under i_mmap_rwsem alone (from rmap, without the mmap lock).
	 */
	if (is_vm_hugetlb_page(vma) && (vma->vm_flags & VM_MAYSHARE) &&
	    vma->vm_file) {
		mapping = vma->vm_file->f_mapping;
		i_mmap_lock_read(mapping);
	}
	ret = walk_pgd_range(w, w->addr, end);
	if (mapping)
		i_mmap_unlock_read(mapping);
	return ret;
}

int uffdscope_walk(struct uffdscope_walk *w)
{
	struct vm_area_struct *vma;
	int ret;

	mmap_assert_locked(w->mm);
	w->left = w->budget ? w->budget : UFFDSCOPE_WALK_BUDGET;
	w->budget_this_call = w->left;
	while (w->addr < w->end) {
		vma = find_vma(w->mm, w->addr);
		if (!vma || vma->vm_start >= w->end) {
			w->addr = w->end;
			break;
		}
		if (vma->vm_start > w->addr)
			w->addr = vma->vm_start;
		w->vma = vma;
		ret = walk_vma(w, min(w->end, vma->vm_end));
		w->vma = NULL;
		if (ret)
			return ret;
		/* every address was reported; this only guards the loop */
		w->addr = max(w->addr, min(w->end, vma->vm_end));
	}
	/* the range is done: the pending run is complete */
	if (w->have_run) {
		ret = deliver(w, pending_run(w));
		if (ret)
			return ret;
		w->have_run = false;
	}
	return 0;
}
