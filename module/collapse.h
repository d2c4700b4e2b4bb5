/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The `collapse` query: what MADV_COLLAPSE of one PMD-sized range would return
 * on the running kernel, and why. collapse_inputs.c gathers what the kernel's
 * khugepaged code looks at; collapse_rules.c turns that into the kernel's own
 * SCAN_* result and errno; collapse.c is the debugfs file.
 */
#ifndef UFFDSCOPE_COLLAPSE_H
#define UFFDSCOPE_COLLAPSE_H

#include <linux/dcache.h>
#include <linux/mm_types.h>
#include <linux/stringify.h>
#include <linux/types.h>
#include <linux/version.h>

#include "compat.h"

/*
 * The rules are the kernel's mm/khugepaged.c, which changes from series to
 * series. Each rule set below was checked against the source of that series;
 * a module built for any other series predicts nothing (verdict=unknown)
 * rather than borrow the rules of the nearest version number.
 *   6.1:  before "mm/khugepaged: skip shmem with userfaultfd" (6.4) and before
 *         collapse_pte_mapped_thp() under mmap_read_lock (6.5).
 *   6.12: both of those; no writable PTE is SCAN_PAGE_RO.
 *   7.3:  as 6.12 for the cases modelled, but the anon scan no longer
 *         requires a writable PTE (there is no SCAN_PAGE_RO).
 */
#if LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL == 1
#define COLLAPSE_RULES_NAME "6.1"
#define COLLAPSE_SKIPS_UFFD_MISSING 0
#define COLLAPSE_PTE_MAPPED_RULES_6_5 0
#define COLLAPSE_NEEDS_WRITABLE_PTE 1
#elif LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL == 12
#define COLLAPSE_RULES_NAME "6.12"
#define COLLAPSE_SKIPS_UFFD_MISSING 1
#define COLLAPSE_PTE_MAPPED_RULES_6_5 1
#define COLLAPSE_NEEDS_WRITABLE_PTE 1
#elif LINUX_VERSION_MAJOR == 7 && LINUX_VERSION_PATCHLEVEL == 3
#define COLLAPSE_RULES_NAME "7.3"
#define COLLAPSE_SKIPS_UFFD_MISSING 1
#define COLLAPSE_PTE_MAPPED_RULES_6_5 1
#define COLLAPSE_NEEDS_WRITABLE_PTE 0
#else
/* not checked: collapse_predict() answers unknown; the values are unused */
#define COLLAPSE_RULES_NAME "unchecked"
#define COLLAPSE_RULES_UNCHECKED 1
#define COLLAPSE_SKIPS_UFFD_MISSING 1
#define COLLAPSE_PTE_MAPPED_RULES_6_5 1
#define COLLAPSE_NEEDS_WRITABLE_PTE 1
#endif
/* the series this module was built for, "6.12", for the reason of unknown */
#define COLLAPSE_SERIES_NAME \
	__stringify(LINUX_VERSION_MAJOR) "." __stringify(LINUX_VERSION_PATCHLEVEL)
#ifndef COLLAPSE_RULES_UNCHECKED
#define COLLAPSE_RULES_UNCHECKED 0
#endif

/* PTEs per PMD: 512 with 4 KiB pages, 2048 with 16 KiB (HPAGE_PMD_NR) */
#define COLLAPSE_NR UFFDSCOPE_PMD_NR

/* One PTE slot, as the khugepaged scanners tell them apart. */
enum collapse_pte {
	CP_NONE,
	CP_ZERO,		/* present, the shared zero page */
	CP_ANON,		/* present, anon folio */
	CP_FILE,		/* present, page-cache folio */
	CP_NOPAGE,		/* present, no normal page (special) */
	CP_SWAP,
	CP_MARKER,
	CP_OTHER_NONPRESENT,	/* migration, hwpoison, device */
};

#define CP_KIND_MASK	0x0f
#define CP_WRITE	0x10	/* present and writable */
#define CP_UFFD_WP	0x20	/* uffd-wp bit (present or swap form) */
#define CP_MARKER_WP	0x40	/* PTE marker with its UFFD_WP bit */
#define CP_MARKER_GUARD	0x80	/* PTE marker with its GUARD bit (6.13+) */
#define CP_UFFD_RWP	0x100	/* present, RWP-protected: PROT_NONE with the uffd bit (7.3+) */

enum collapse_pmd_state {
	CPMD_NO_TABLE,		/* no PMD table: a level above is none */
	CPMD_NONE,
	CPMD_TABLE,
	CPMD_HUGE,
	CPMD_OTHER,		/* non-present or bad */
};

enum collapse_backing { CB_ANON, CB_SHMEM, CB_FILE, CB_OTHER };

struct collapse_inputs {
	unsigned long haddr;
	/* the VMA */
	enum collapse_backing backing;
	bool shared, anon_vma, uffd_missing, uffd_wp, uffd_minor, uffd_rwp;
	bool range_in_vma;		/* the whole PMD range is inside it */
	const char *ineligible;		/* why THP is not allowed, or NULL */
	/* the page tables */
	enum collapse_pmd_state pmd;
	u16 pte[COLLAPSE_NR];		/* enum collapse_pte | CP_* flags */
	unsigned int nr[CP_OTHER_NONPRESENT + 1];
	unsigned int nr_write, nr_uffd_wp, nr_marker_wp, nr_uffd_rwp, nr_marker_guard;
	/* the page cache of a shmem VMA */
	unsigned int pc_present, pc_swap, pc_holes, pc_compound, pc_not_uptodate;
	bool pc_huge;			/* a PMD-sized folio starts the range */
	unsigned int missing_mappings;	/* VMAs of the file over it with MISSING */
	/* the mm's counters, for comparison with the entries above */
	long rss_anon, rss_file, rss_shmem, rss_swap;
};

struct collapse_verdict {
	int err;			/* 0 or -errno MADV_COLLAPSE returns */
	const char *scan;		/* SCAN_* name of the deciding result */
	const char *why;
};

/* Fill @in for the PMD range holding @addr; the caller holds mmap_read_lock. */
int collapse_gather(struct mm_struct *mm, struct vm_area_struct *vma,
		    unsigned long addr, struct collapse_inputs *in);

void collapse_predict(const struct collapse_inputs *in, struct collapse_verdict *v);

int uffdscope_collapse_init(struct dentry *dir);

#endif /* UFFDSCOPE_COLLAPSE_H */
