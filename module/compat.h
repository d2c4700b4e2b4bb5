/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels uffdscope supports (6.1 to 6.12 and
 * later, x86_64 and arm64) lives here, so that the rest of the module reads as
 * if there were one kernel.
 */
#ifndef UFFDSCOPE_COMPAT_H
#define UFFDSCOPE_COMPAT_H

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/swap.h>		/* swapops.h needs it first */
#include <linux/swapops.h>

/*
 * 6.1 has no pmdp_get_lockless(). On the 64-bit architectures we support a
 * PMD is one word, and pmdp_get_lockless() of later kernels is exactly this
 * single READ_ONCE().
 */
static inline pmd_t uffdscope_pmd_read(pmd_t *pmdp)
{
	return READ_ONCE(*pmdp);
}

static inline pud_t uffdscope_pud_read(pud_t *pudp)
{
	return READ_ONCE(*pudp);
}

/*
 * An RSS counter of @mm, as exact as the kernel can tell another task's.
 * 6.1 caches up to 64 events per task (SPLIT_RSS_COUNTING) where no other
 * task can sum them; from 6.2 the counters are per-cpu and can be summed.
 */
static inline unsigned long uffdscope_mm_counter(struct mm_struct *mm, int member)
{
#ifdef SPLIT_RSS_COUNTING
	return get_mm_counter(mm, member);
#else
	return percpu_counter_sum_positive(&mm->rss_stat[member]);
#endif
}

/* PTE marker bits: UFFD_WP from 5.19, POISONED from 6.9, GUARD from 6.13. */
#ifndef PTE_MARKER_POISONED
#define PTE_MARKER_POISONED 0
#endif
#ifndef PTE_MARKER_GUARD
#define PTE_MARKER_GUARD 0
#endif

/* arm64 marks runs of entries that map one contiguous block (hugetlb, contpte). */
static inline bool uffdscope_pte_cont(pte_t pte)
{
#ifdef CONFIG_ARM64
	return pte_cont(pte);
#else
	return false;
#endif
}

/*
 * A leaf above the PTE level read through the PTE accessors. Both x86_64 and
 * arm64 lay out block entries like PTEs (the kernel's own hugetlb code relies
 * on it with huge_ptep_get()), so the flag and swap-entry helpers apply; only
 * the pfn must come from the level's own helper.
 */
#define uffdscope_pmd_as_pte(pmd) __pte(pmd_val(pmd))
#define uffdscope_pud_as_pte(pud) __pte(pud_val(pud))

#endif /* UFFDSCOPE_COMPAT_H */
