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
	/*
	 * Not vm_file: a MAP_PRIVATE mapping of /dev/zero keeps its file but
	 * is anonymous memory (vma_set_anonymous()).
	 */
	if (vma_is_anonymous(vma))
		return UFFDSCOPE_BACKING_ANON;
	/* the kernel's own mappings (vdso, vvar): vm_ops but no file */
	if (!vma->vm_file)
		return UFFDSCOPE_BACKING_SPECIAL;
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
	/* The shared zero page is mapped by a special PTE: test it first. */
	if (is_zero_pfn(pfn)) {
		e->backing = UFFDSCOPE_BACKING_ZERO;
		return;
	}
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
	folio = page_folio(pfn_to_page(pfn));
	e->order = folio_order(folio);
	if (e->hugetlb)
		/* private hugetlb COW pages are anon too; hugetlb says more */
		e->backing = UFFDSCOPE_BACKING_HUGETLB;
	else if (folio_test_anon(folio))
		e->backing = UFFDSCOPE_BACKING_ANON;
	else if (vma_is_anonymous(vma))
		/* is_huge_zero_pmd() needs an unexported symbol */
		e->backing = UFFDSCOPE_BACKING_ZERO;
	else
		e->backing = uffdscope_vma_backing(vma);
}

static void decode_swap(struct uffdscope_entry *e, struct vm_area_struct *vma,
			pte_t pte, unsigned long pfn_offset)
{
	uffdscope_leaf_t entry = uffdscope_leaf_from_pte(pte);
	bool uffd = uffdscope_pte_swp_uffd(pte);

	e->uffd_rwp = uffd && uffdscope_vma_uffd_rwp(vma);
	e->uffd_wp = uffd && !e->uffd_rwp;
	if (uffdscope_leaf_is_swap(entry)) {
		e->kind = UFFDSCOPE_SWAP;
		e->swp_type = swp_type(entry);
		e->swp_offset = swp_offset(entry);
		e->exclusive = pte_swp_exclusive(pte);
	} else if (uffdscope_leaf_is_marker(entry)) {
		e->kind = UFFDSCOPE_MARKER;
		e->marker = uffdscope_leaf_marker(entry);
		/* a marker's protection is its UFFD_WP bit, not the swap bit */
		e->uffd_wp = !!(e->marker & PTE_MARKER_UFFD_WP);
		e->uffd_rwp = false;
	} else if (uffdscope_leaf_is_migration(entry)) {
		e->kind = UFFDSCOPE_MIGRATION;
		e->pfn = uffdscope_leaf_pfn(entry) + pfn_offset;
		e->write = uffdscope_leaf_is_migration_write(entry);
		e->exclusive = uffdscope_leaf_is_migration_read_excl(entry);
	} else if (uffdscope_leaf_is_hwpoison(entry)) {
		e->kind = UFFDSCOPE_HWPOISON;
		e->pfn = uffdscope_leaf_pfn(entry) + pfn_offset;
	} else if (uffdscope_leaf_is_device_private(entry)) {
		e->kind = UFFDSCOPE_DEVICE_PRIVATE;
		e->pfn = uffdscope_leaf_pfn(entry) + pfn_offset;
		e->write = uffdscope_leaf_is_device_private_write(entry);
	} else if (uffdscope_leaf_is_device_exclusive(entry)) {
		e->kind = UFFDSCOPE_DEVICE_EXCLUSIVE;
		e->pfn = uffdscope_leaf_pfn(entry) + pfn_offset;
		e->write = uffdscope_leaf_is_device_exclusive_write(entry);
	} else {
		e->kind = UFFDSCOPE_UNKNOWN;
		e->swp_type = swp_type(entry);
	}
}

/*
 * A present entry that grants no access: the VMA's own PROT_NONE, or, in an
 * accessible VMA, a NUMA hint or (7.3+) a userfaultfd RWP protection, which
 * carries the uffd bit. pte_protnone() is 0 where the kernel has neither.
 */
static void decode_protnone(struct uffdscope_entry *e, struct vm_area_struct *vma,
			    pte_t pte, bool uffd)
{
	if (!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)))
		e->protnone = UFFDSCOPE_PROTNONE_VMA;
	else if (!pte_protnone(pte))
		e->protnone = UFFDSCOPE_PROTNONE_NO;
	else if (uffd && uffdscope_vma_uffd_rwp(vma))
		e->protnone = UFFDSCOPE_PROTNONE_UFFD_RWP;
	else
		e->protnone = UFFDSCOPE_PROTNONE_NUMA;
	e->uffd_rwp = e->protnone == UFFDSCOPE_PROTNONE_UFFD_RWP;
	e->uffd_wp = uffd && !e->uffd_rwp;
}

/*
 * @present and @pfn (of the leaf's first page) come from the level's own
 * helpers; @pfn_offset is the page of the leaf at e->addr.
 */
static void decode_leaf(struct uffdscope_entry *e, struct vm_area_struct *vma,
			pte_t pte, enum uffdscope_level level, bool present,
			unsigned long pfn, unsigned long pfn_offset)
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
		decode_swap(e, vma, pte, pfn_offset);
		return;
	}
	e->kind = UFFDSCOPE_PRESENT;
	e->write = pte_write(pte);
	e->dirty = pte_dirty(pte);
	e->young = pte_young(pte);
	decode_protnone(e, vma, pte, uffdscope_pte_uffd(pte));
	e->cont = uffdscope_pte_cont(pte);
	decode_page(e, vma, pfn + pfn_offset,
		    level == UFFDSCOPE_PTE && pte_special(pte));
}

void uffdscope_decode_pte(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pte_t pte, enum uffdscope_level level)
{
	decode_leaf(e, vma, pte, level, pte_present(pte), pte_pfn(pte), 0);
}

void uffdscope_decode_pmd(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pmd_t pmd)
{
	decode_leaf(e, vma, uffdscope_pmd_as_pte(pmd), UFFDSCOPE_PMD,
		    pmd_present(pmd), pmd_pfn(pmd),
		    (e->addr & ~PMD_MASK) >> PAGE_SHIFT);
}

void uffdscope_decode_pud(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pud_t pud)
{
	decode_leaf(e, vma, uffdscope_pud_as_pte(pud), UFFDSCOPE_PUD,
		    uffdscope_pud_leaf_present(pud), pud_pfn(pud),
		    (e->addr & ~PUD_MASK) >> PAGE_SHIFT);
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

const char *uffdscope_protnone_name(enum uffdscope_protnone protnone)
{
	static const char * const names[] = {
		[UFFDSCOPE_PROTNONE_NO] = "0",
		[UFFDSCOPE_PROTNONE_VMA] = "vma",
		[UFFDSCOPE_PROTNONE_NUMA] = "numa_hint",
		[UFFDSCOPE_PROTNONE_UFFD_RWP] = "uffd_rwp",
	};

	return protnone < ARRAY_SIZE(names) ? names[protnone] : "?";
}
