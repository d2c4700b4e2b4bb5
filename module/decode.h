/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What one page-table entry holds, decoded with the kernel's generic helpers
 * where they exist; architecture bits are left in @raw.
 */
#ifndef UFFDSCOPE_DECODE_H
#define UFFDSCOPE_DECODE_H

#include <linux/mm_types.h>
#include <linux/types.h>

enum uffdscope_level {
	UFFDSCOPE_PTE,
	UFFDSCOPE_PMD,
	UFFDSCOPE_PUD,
	UFFDSCOPE_P4D,
	UFFDSCOPE_PGD,
};

enum uffdscope_kind {
	UFFDSCOPE_NONE,
	UFFDSCOPE_PRESENT,
	UFFDSCOPE_SWAP,
	UFFDSCOPE_MIGRATION,
	UFFDSCOPE_HWPOISON,
	UFFDSCOPE_MARKER,
	UFFDSCOPE_DEVICE_PRIVATE,
	UFFDSCOPE_DEVICE_EXCLUSIVE,
	UFFDSCOPE_BAD,		/* a table entry pmd_bad()/pud_bad() rejects */
	UFFDSCOPE_UNKNOWN,	/* a non-swap entry type this module does not know */
};

/* What a present entry maps (UFFDSCOPE_BACKING_NONE for any other kind). */
enum uffdscope_backing {
	UFFDSCOPE_BACKING_NONE,
	UFFDSCOPE_BACKING_ANON,
	UFFDSCOPE_BACKING_SHMEM,
	UFFDSCOPE_BACKING_FILE,
	UFFDSCOPE_BACKING_HUGETLB,
	UFFDSCOPE_BACKING_ZERO,		/* the shared zero page (4 KiB or huge) */
	/* pfnmap, I/O (no struct page to speak of), the kernel's vdso/vvar */
	UFFDSCOPE_BACKING_SPECIAL,
};

/* Why a present entry grants no access (x86_64 and arm64 encode all alike). */
enum uffdscope_protnone {
	UFFDSCOPE_PROTNONE_NO,
	UFFDSCOPE_PROTNONE_VMA,		/* the VMA itself is PROT_NONE */
	UFFDSCOPE_PROTNONE_NUMA,	/* NUMA hinting in an accessible VMA */
	UFFDSCOPE_PROTNONE_UFFD_RWP,	/* userfaultfd read-write protection */
};

struct uffdscope_entry {
	unsigned long addr;		/* first address covered (in the range) */
	unsigned long size;		/* bytes covered from @addr */
	/*
	 * Page-table entries this report stands for: 1, except for none
	 * entries, which the walker reports one run per table at a time.
	 */
	unsigned long nr;
	enum uffdscope_level level;
	enum uffdscope_kind kind;
	enum uffdscope_backing backing;	/* present only */
	u64 raw;			/* the entry as the hardware sees it */
	/*
	 * present, migration, hwpoison, device: the pfn of the page at @addr
	 * (inside a PMD/PUD leaf too, as pagemap gives it)
	 */
	unsigned long pfn;
	unsigned long swp_type;		/* swap only */
	unsigned long swp_offset;	/* swap only */
	unsigned long marker;		/* marker only: PTE_MARKER_* bits */
	unsigned int order;		/* present with a folio: folio_order() */
	bool write;			/* present; migration: writable entry */
	bool dirty;			/* present */
	bool young;			/* present */
	enum uffdscope_protnone protnone;	/* present only */
	bool uffd_wp;			/* the uffd-wp bit, present or swap form */
	bool uffd_rwp;			/* the uffd bit in an RWP VMA (7.3+) */
	bool exclusive;			/* swap: anon exclusive; migration: read-excl */
	bool cont;			/* arm64 contiguous bit */
	bool hugetlb;			/* the VMA is hugetlbfs */
};

struct vm_area_struct;

/*
 * Decode @pte found at e->addr of @vma at @level into @e (the caller sets
 * e->addr and e->size first; a PMD/PUD leaf may be entered in its middle).
 */
void uffdscope_decode_pte(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pte_t pte, enum uffdscope_level level);
void uffdscope_decode_pmd(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pmd_t pmd);
void uffdscope_decode_pud(struct uffdscope_entry *e, struct vm_area_struct *vma,
			  pud_t pud);

/* How a VMA is backed: anon, shmem, file, hugetlb or special (pfnmap/IO). */
enum uffdscope_backing uffdscope_vma_backing(struct vm_area_struct *vma);

/*
 * Whether @b continues the run that @a started: same level, kind and every
 * decoded attribute, adjacent addresses. pfn, swap offset and raw value may
 * differ (ptdump merges the same way). Inline: it runs once per entry.
 */
static inline bool uffdscope_entry_continues(const struct uffdscope_entry *a,
					     unsigned long a_end,
					     const struct uffdscope_entry *b)
{
	return a_end == b->addr && a->kind == b->kind &&
	       a->level == b->level && a->backing == b->backing &&
	       a->write == b->write && a->uffd_wp == b->uffd_wp &&
	       a->uffd_rwp == b->uffd_rwp && a->protnone == b->protnone &&
	       a->order == b->order && a->dirty == b->dirty &&
	       a->young == b->young && a->swp_type == b->swp_type &&
	       a->marker == b->marker && a->exclusive == b->exclusive &&
	       a->cont == b->cont && a->hugetlb == b->hugetlb;
}

/* Names used in the text ABI. */
const char *uffdscope_level_name(enum uffdscope_level level);
const char *uffdscope_kind_name(enum uffdscope_kind kind);
const char *uffdscope_backing_name(enum uffdscope_backing backing);
const char *uffdscope_protnone_name(enum uffdscope_protnone protnone);

#endif /* UFFDSCOPE_DECODE_H */
