/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page-table walker: visits every entry mapping a range of a process's
 * user address space, at whatever level it is found (PTE, PMD, PUD), decodes
 * it (see decode.h) and hands it to a callback.
 *
 * Usage:
 *
 *	struct uffdscope_walk w = {
 *		.mm = mm, .addr = start, .end = end,
 *		.entry = my_cb, .private = my_state,
 *	};
 *	mmap_read_lock(mm);
 *	do ret = uffdscope_walk(&w); while (ret == UFFDSCOPE_WALK_MORE && ...);
 *	mmap_read_unlock(mm);
 *
 * Better: drop and retake the mmap lock (and cond_resched()) between calls
 * that return UFFDSCOPE_WALK_MORE; w.addr says where to resume, and VMAs are
 * looked up afresh on every call, so the mm may change in between.
 *
 * Guarantees:
 *  - Only addresses inside VMAs are visited; holes between VMAs produce no
 *    entry. Inside a VMA, a none entry at PGD/P4D/PUD level is reported
 *    once, as one entry covering the slot (clipped to the VMA and range);
 *    consecutive none PMDs, and consecutive none PTEs of one table, are one
 *    report (e->nr says how many entries), so a sparse range costs only its
 *    populated tables.
 *  - PTE tables are mapped under rcu_read_lock() from one read of the PMD and
 *    read under their PTE lock after checking the PMD did not change (since
 *    6.5 khugepaged may free a PTE table under mmap_read_lock); PMD and PUD
 *    leaves are read under their page-table lock. Shared hugetlb VMAs are
 *    walked under i_mmap_rwsem (read) so their PMD tables cannot be unshared.
 *  - Each call does at most @budget units of work (a unit is one PTE table or
 *    one upper-level entry), then returns UFFDSCOPE_WALK_MORE. With
 *    @yield_if_contended it also returns UFFDSCOPE_WALK_MORE after any unit
 *    but the first once mmap_lock_is_contended(): a waiting writer (mprotect,
 *    mmap, and on 6.1 every page fault queued behind it) then waits for one
 *    PTE table at most, as pagemap holds the lock for one PMD at a time.
 *
 * The callback runs with a page-table spinlock held (atomic context unless
 * PREEMPT_RT): it must not sleep, allocate with GFP_KERNEL or touch user
 * memory. It returns 0 to go on, a positive value to stop with the entry
 * NOT consumed (the next call reports it again: w->addr is then e->addr,
 * or with @merge the address after the run, which stays pending), or a
 * negative errno, which uffdscope_walk() returns.
 */
#ifndef UFFDSCOPE_WALK_H
#define UFFDSCOPE_WALK_H

#include <linux/mm_types.h>

#include "decode.h"

#define UFFDSCOPE_WALK_MORE	1
#define UFFDSCOPE_WALK_BUDGET	256

struct uffdscope_walk;

typedef int (*uffdscope_entry_fn)(struct uffdscope_walk *w,
				  const struct uffdscope_entry *e);

struct uffdscope_walk {
	struct mm_struct *mm;		/* (in) caller holds mmap_read_lock */
	unsigned long addr;		/* (in/out) next address to visit */
	unsigned long end;		/* (in) end of the range, exclusive */
	uffdscope_entry_fn entry;	/* (in) called for each entry */
	void *private;			/* (in) for the callback */
	unsigned int budget;		/* (in) units per call, 0: default */
	/*
	 * (in) merge consecutive entries into one report per run, as
	 * uffdscope_entry_continues() decides, across tables and calls: e->nr
	 * entries, the pfn, swap offset and raw value of the first. A run is
	 * reported when the entry after it does not continue it, or by the
	 * call that returns 0; w->vma is then not the run's VMA (it may be
	 * NULL). Saves a callback per entry and the caller's own merging.
	 */
	bool merge;
	/* (in) give up the mmap lock early when someone waits for it */
	bool yield_if_contended;
	/* (out) the VMA of the entry being reported; valid in the callback */
	struct vm_area_struct *vma;
	unsigned int left;		/* private to the walker */
	unsigned int budget_this_call;	/* private to the walker */
	/* private: the pending run (merge) and the entry being read */
	struct uffdscope_entry slot[2];
	unsigned int cur;		/* private: slot[cur] is the pending run */
	bool have_run;			/* private: slot[cur] holds one */
};

/*
 * Walk from w->addr towards w->end. Returns 0 when the range is done,
 * UFFDSCOPE_WALK_MORE when the budget ran out or the callback asked to stop,
 * or the callback's negative errno. The caller holds mmap_read_lock(w->mm).
 */
int uffdscope_walk(struct uffdscope_walk *w);

#endif /* UFFDSCOPE_WALK_H */
