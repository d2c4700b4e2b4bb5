// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of one page-table entry. Leaves above the PTE level are read
 * through the PTE accessors (see compat.h), so one decoder serves PTEs, THP
 * PMDs and hugetlb PMD/PUD leaves alike.
 */
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>
#include <linux/mm.h>

#include "compat.h"
#include "decode.h"

enum uffdscope_backing uffdscope_vma_backing(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma))
		return UFFDSCOPE_BACKING_HUGETLB;
	if (vma->vm_flags & (VM_PFNMAP | VM_IO))
		return UFFDSCOPE_BACKING_SPECIAL;
	if (!vma->vm_file)
		return UFFDSCOPE_BACKING_ANON;
	/*
	 * shmem_mapping() is not exported on 6.1; the superblock tells the same
	 * for memfd, tmpfs, MAP_SHARED|MAP_ANONYMOUS and SysV shm alike.
	 */
	if (file_inode(vma->vm_file)->i_sb->s_magic == TMPFS_MAGIC)
		return UFFDSCOPE_BACKING_SHMEM;
	return UFFDSCOPE_BACKING_FILE;
}

/*
 * What a present entry maps. The caller holds the entry's page-table lock,
 * so the page cannot be unmapped and freed, nor its folio split, meanwhile.
 */
static void decode_page(struct uffdscope_entry *e, struct vm_area_struct *vma,
			unsigned long pfn, bool special)
{
	struct folio *folio;

	e->pfn = pfn;
	/*
	 * As in vm_normal_page() on architectures with pte_special() (x86_64
	 * and arm64): a PTE that is not special, outside VM_PFNMAP/VM_MIXEDMAP,
	 * maps a page with a struct page; only VM_MIXEDMAP needs pfn_valid().
	 */
	if (special || (vma->vm_flags & (VM_PFNMAP | VM_IO)) ||
	    ((vma->vm_flags & VM_MIXEDMAP) && !pfn_valid(pfn))) {
		e->backing = UFFDSCOPE_BACKING_SPECIAL;
		return;
	}
	if (is_zero_pfn(pfn)) {
		e->backing = UFFDSCOPE_BACKING_ZERO;
		return;
	}
	folio = page_folio(pfn_to_page(pfn));
	e->order = folio_order(folio);
	if (e->hugetlb)
		/* private hugetlb COW pages are anon too; hugetlb says more */
		e->backing = UFFDSCOPE_BACKING_HUGETLB;
	else if (folio_test_anon(folio))
		e->backing = UFFDSCOPE_BACKING_ANON;
	else if (!vma->vm_file)
		/* is_huge_zero_pmd() needs an unexported symbol */
		e->backing = UFFDSCOPE_BACKING_ZERO;
	else
		e->backing = uffdscope_vma_backing(vma);
}

static void decode_swap(struct uffdscope_entry *e, pte_t pte)
{
	swp_entry_t entry = pte_to_swp_entry(pte);

	e->uffd_wp = pte_swp_uffd_wp(pte);
	if (!non_swap_entry(entry)) {
		e->kind = UFFDSCOPE_SWAP;
		e->swp_type = swp_type(entry);
		e->swp_offset = swp_offset(entry);
		e->exclusive = pte_swp_exclusive(pte);
	} else if (is_pte_marker_entry(entry)) {
		e->kind = UFFDSCOPE_MARKER;
		e->marker = pte_marker_get(entry);
		/* a marker's protection is its UFFD_WP bit, not the swap bit */
		e->uffd_wp = !!(e->marker & PTE_MARKER_UFFD_WP);
	} else if (is_migration_entry(entry)) {
		e->kind = UFFDSCOPE_MIGRATION;
		e->pfn = swp_offset_pfn(entry);
		e->write = is_writable_migration_entry(entry);
		e->exclusive = is_readable_exclusive_migration_entry(entry);
	} else if (is_hwpoison_entry(entry)) {
		e->kind = UFFDSCOPE_HWPOISON;
		e->pfn = swp_offset_pfn(entry);
	} else if (is_device_private_entry(entry)) {
		e->kind = UFFDSCOPE_DEVICE_PRIVATE;
		e->pfn = swp_offset_pfn(entry);
		e->write = is_writable_device_private_entry(entry);
	} else if (is_device_exclusive_entry(entry)) {
		e->kind = UFFDSCOPE_DEVICE_EXCLUSIVE;
		e->pfn = swp_offset_pfn(entry);
		e->write = is_writable_device_exclusive_entry(entry);
	} else {
		e->kind = UFFDSCOPE_UNKNOWN;
		e->swp_type = swp_type(entry);
	}
}

/* @present and @pfn come from the level's own helpers. */
static void decode_leaf(struct uffdscope_entry *e, struct vm_area_struct *vma,
			pte_t pte, enum uffdscope_level level, bool present,
			unsigned long pfn)
{
	e->level = level;
	e->nr = 1;
	e->raw = (u64)pte_val(pte);
	e->hugetlb = is_vm_hugetlb_page(vma);
	if (pte_none(pte)) {
		e->kind = UFFDSCOPE_NONE;
		return;
	}
	if (!present) {
		decode_swap(e, pte);
		return;
	}
	e->kind = UFFDSCOPE_PRESENT;
	e->write = pte_write(pte);
	e->dirty = pte_dirty(pte);
	e->young = pte_young(pte);
	e->uffd_wp = pte_uffd_wp(pte);
	e->cont = uffdscope_pte_cont(pte);
	decode_page(e, vma, pfn, level == UFFDSCOPE_PTE && pte_special(pte));
}

void uffdscope_decode_pte(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pte_t pte, enum uffdscope_level level)
{
	decode_leaf(e, vma, pte, level, pte_present(pte), pte_pfn(pte));
}

void uffdscope_decode_pmd(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pmd_t pmd)
{
	decode_leaf(e, vma, uffdscope_pmd_as_pte(pmd), UFFDSCOPE_PMD,
		    pmd_present(pmd), pmd_pfn(pmd));
}

void uffdscope_decode_pud(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pud_t pud)
{
	decode_leaf(e, vma, uffdscope_pud_as_pte(pud), UFFDSCOPE_PUD,
		    pud_present(pud), pud_pfn(pud));
}

const char *uffdscope_level_name(enum uffdscope_level level)
{
	static const char * const names[] = {
		[UFFDSCOPE_PTE] = "pte", [UFFDSCOPE_PMD] = "pmd",
		[UFFDSCOPE_PUD] = "pud", [UFFDSCOPE_P4D] = "p4d",
		[UFFDSCOPE_PGD] = "pgd",
	};

	return level < ARRAY_SIZE(names) ? names[level] : "?";
}

const char *uffdscope_kind_name(enum uffdscope_kind kind)
{
	static const char * const names[] = {
		[UFFDSCOPE_NONE] = "none",
		[UFFDSCOPE_PRESENT] = "present",
		[UFFDSCOPE_SWAP] = "swap",
		[UFFDSCOPE_MIGRATION] = "migration",
		[UFFDSCOPE_HWPOISON] = "hwpoison",
		[UFFDSCOPE_MARKER] = "marker",
		[UFFDSCOPE_DEVICE_PRIVATE] = "device_private",
		[UFFDSCOPE_DEVICE_EXCLUSIVE] = "device_exclusive",
		[UFFDSCOPE_BAD] = "bad",
		[UFFDSCOPE_UNKNOWN] = "unknown",
	};

	return kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

const char *uffdscope_backing_name(enum uffdscope_backing backing)
{
	static const char * const names[] = {
		[UFFDSCOPE_BACKING_NONE] = "none",
		[UFFDSCOPE_BACKING_ANON] = "anon",
		[UFFDSCOPE_BACKING_SHMEM] = "shmem",
		[UFFDSCOPE_BACKING_FILE] = "file",
		[UFFDSCOPE_BACKING_HUGETLB] = "hugetlb",
		[UFFDSCOPE_BACKING_ZERO] = "zero",
		[UFFDSCOPE_BACKING_SPECIAL] = "special",
	};

	return backing < ARRAY_SIZE(names) ? names[backing] : "?";
}
