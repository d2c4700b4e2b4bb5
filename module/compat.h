/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels uffdscope supports (Debian's 6.1, 6.12
 * and 7.3; x86_64 and arm64 with 4 KiB or 16 KiB pages; PREEMPT_RT) lives
 * here, so that the rest of the module reads as if there were one kernel.
 * Each difference is keyed on what the kernel has (a header, a macro), not on
 * its version number. A kernel the module does not build for needs its entry
 * here.
 *
 * Common to all of them, so not wrapped: pud_offset_lockless() and
 * pmd_offset_lockless() (generic fallbacks on 6.1; arm64 defines its own from
 * 6.9, where a level may be folded at boot), huge_pte_lockptr() with the same
 * signature (6.1 names mm->page_table_lock for every size but PMD_SIZE, 6.12
 * and 7.3 the PTE/PMD/PUD lock the entry lives under).
 */
#ifndef UFFDSCOPE_COMPAT_H
#define UFFDSCOPE_COMPAT_H

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/swap.h>		/* swapops.h needs it first */
#include <linux/swapops.h>
#include <linux/userfaultfd_k.h>

/*
 * Non-present entries. The leaf-entry API (linux/leafops.h, softleaf_t)
 * replaced the swp_entry_t type tests (is_migration_entry(), non_swap_entry(),
 * swp_offset_pfn() ...). One set of names for both. Where leafops.h exists,
 * userfaultfd_k.h includes it (and sparse 0.6.4 has no __has_include).
 */
#ifdef _LINUX_LEAFOPS_H

#define uffdscope_leaf_t softleaf_t

static inline uffdscope_leaf_t uffdscope_leaf_from_pte(pte_t pte)
{
	return softleaf_from_pte(pte);
}

#define uffdscope_leaf_is_swap			softleaf_is_swap
#define uffdscope_leaf_is_marker		softleaf_is_marker
#define uffdscope_leaf_marker			softleaf_to_marker
#define uffdscope_leaf_is_migration		softleaf_is_migration
#define uffdscope_leaf_is_migration_write	softleaf_is_migration_write
#define uffdscope_leaf_is_migration_read_excl	softleaf_is_migration_read_exclusive
#define uffdscope_leaf_is_hwpoison		softleaf_is_hwpoison
#define uffdscope_leaf_is_device_private	softleaf_is_device_private
#define uffdscope_leaf_is_device_private_write	softleaf_is_device_private_write
#define uffdscope_leaf_is_device_exclusive	softleaf_is_device_exclusive
#define uffdscope_leaf_pfn			softleaf_to_pfn

/* There is one device-exclusive type, made only for a writable access. */
static inline bool uffdscope_leaf_is_device_exclusive_write(uffdscope_leaf_t e)
{
	return softleaf_is_device_exclusive(e);
}

#else /* swp_entry_t type tests */

#define uffdscope_leaf_t swp_entry_t

static inline uffdscope_leaf_t uffdscope_leaf_from_pte(pte_t pte)
{
	return pte_to_swp_entry(pte);
}

static inline bool uffdscope_leaf_is_swap(uffdscope_leaf_t e)
{
	return !non_swap_entry(e);
}

#define uffdscope_leaf_is_marker		is_pte_marker_entry
#define uffdscope_leaf_marker			pte_marker_get
#define uffdscope_leaf_is_migration		is_migration_entry
#define uffdscope_leaf_is_migration_write	is_writable_migration_entry
#define uffdscope_leaf_is_migration_read_excl	is_readable_exclusive_migration_entry
#define uffdscope_leaf_is_hwpoison		is_hwpoison_entry
#define uffdscope_leaf_is_device_private	is_device_private_entry
#define uffdscope_leaf_is_device_private_write	is_writable_device_private_entry
#define uffdscope_leaf_is_device_exclusive	is_device_exclusive_entry
#define uffdscope_leaf_is_device_exclusive_write is_writable_device_exclusive_entry
#define uffdscope_leaf_pfn			swp_offset_pfn

#endif

/*
 * The userfaultfd bit of an entry. Kernels with the read-write-protect mode
 * (VM_UFFD_RWP: CONFIG_USERFAULTFD_RWP, 7.3) share one bit between WP and RWP
 * (pte_uffd(), pte_swp_uffd()): what it means depends on the VMA's mode; an
 * RWP-protected entry is also PROT_NONE. Earlier kernels have only uffd-wp.
 */
#ifdef VM_UFFD_RWP
static inline bool uffdscope_pte_uffd(pte_t pte)
{
	return pte_uffd(pte);
}

static inline bool uffdscope_pte_swp_uffd(pte_t pte)
{
	return pte_swp_uffd(pte);
}

static inline bool uffdscope_vma_uffd_rwp(struct vm_area_struct *vma)
{
	return userfaultfd_rwp(vma);
}
#else
static inline bool uffdscope_pte_uffd(pte_t pte)
{
	return pte_uffd_wp(pte);
}

static inline bool uffdscope_pte_swp_uffd(pte_t pte)
{
	return pte_swp_uffd_wp(pte);
}

static inline bool uffdscope_vma_uffd_rwp(struct vm_area_struct *vma)
{
	return false;
}
#endif

/*
 * PR_SET_THP_DISABLE. It used to be one flag (MMF_DISABLE_THP) in a word
 * read with test_bit(); it became a bitmap read through mm_flags_test(),
 * with two modes: "completely" (the old meaning, which MADV_COLLAPSE obeys)
 * and "except where advised" (VM_HUGEPAGE or MADV_COLLAPSE still get THPs).
 */
#ifdef MMF_DISABLE_THP_COMPLETELY
static inline bool uffdscope_thp_disabled_completely(struct mm_struct *mm)
{
	return mm_flags_test(MMF_DISABLE_THP_COMPLETELY, mm);
}

static inline bool uffdscope_thp_disabled_unless_advised(struct mm_struct *mm)
{
	return mm_flags_test(MMF_DISABLE_THP_EXCEPT_ADVISED, mm);
}
#else
static inline bool uffdscope_thp_disabled_completely(struct mm_struct *mm)
{
	return test_bit(MMF_DISABLE_THP, &mm->flags);
}

static inline bool uffdscope_thp_disabled_unless_advised(struct mm_struct *mm)
{
	return false;
}
#endif

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

/* Entries in one contiguous block of PTEs / of PMDs (arm64's contiguous bit). */
#ifdef CONFIG_ARM64
#define UFFDSCOPE_CONT_PTES	CONT_PTES
#define UFFDSCOPE_CONT_PMDS	CONT_PMDS
#else
#define UFFDSCOPE_CONT_PTES	1
#define UFFDSCOPE_CONT_PMDS	1
#endif

/*
 * A leaf above the PTE level read through the PTE accessors. Both x86_64 and
 * arm64 lay out block entries like PTEs (the kernel's own hugetlb code relies
 * on it with huge_ptep_get()), so the flag and swap-entry helpers apply; only
 * the pfn must come from the level's own helper.
 */
#define uffdscope_pmd_as_pte(pmd) __pte(pmd_val(pmd))
#define uffdscope_pud_as_pte(pud) __pte(pud_val(pud))

/*
 * Whether a PUD leaf is present, as hugetlb reads it (through the PTE view).
 * x86's pud_present() tests only _PAGE_PRESENT, so a PROT_NONE 1 GiB leaf
 * (_PAGE_PROTNONE, no _PAGE_PRESENT) would look like a swap entry.
 */
static inline bool uffdscope_pud_leaf_present(pud_t pud)
{
	return pte_present(uffdscope_pud_as_pte(pud));
}

/*
 * Entries per PMD table, i.e. pages per PMD-sized THP: HPAGE_PMD_NR where THP
 * is built in (it is a BUILD_BUG() without it, e.g. on PREEMPT_RT kernels).
 * 512 with 4 KiB pages, 2048 with 16 KiB.
 */
#define UFFDSCOPE_PMD_NR	(PMD_SIZE >> PAGE_SHIFT)
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
static_assert(UFFDSCOPE_PMD_NR == HPAGE_PMD_NR);
#endif

#endif /* UFFDSCOPE_COMPAT_H */
