// SPDX-License-Identifier: GPL-2.0
/*
 * The rules by which MADV_COLLAPSE of one PMD range succeeds or fails, as
 * mm/khugepaged.c of the running kernel applies them, from the inputs that
 * collapse_inputs.c gathered. Results are named like the kernel's enum
 * scan_result; the errno is madvise_collapse_errno() of that result.
 *
 * Only the deterministic part is modelled: transient failures (a page locked,
 * off the LRU or with an extra reference, an allocation failure) make the real
 * call return EAGAIN or ENOMEM where this predicts success.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stringify.h>

#include "collapse.h"

enum collapse_scan {
	CS_SUCCEED,
	CS_PMD_MAPPED,
	CS_PMD_NULL,
	CS_PMD_NONE,
	CS_EXCEED_NONE_PTE,
	CS_PTE_NON_PRESENT,
	CS_PTE_UFFD_WP,
	CS_PAGE_RO,
	CS_PAGE_NULL,
	CS_PAGE_ANON,
	CS_PAGE_COMPOUND,
	CS_VMA_CHECK,
	CS_ADDRESS_RANGE,
	CS_TRUNCATED,
	CS_FAIL,
	CS_UNMODELLED,
};

static const char * const scan_names[] = {
	[CS_SUCCEED] = "SCAN_SUCCEED",
	[CS_PMD_MAPPED] = "SCAN_PMD_MAPPED",
	[CS_PMD_NULL] = "SCAN_PMD_NULL",
	[CS_PMD_NONE] = "SCAN_PMD_NONE",
	[CS_EXCEED_NONE_PTE] = "SCAN_EXCEED_NONE_PTE",
	[CS_PTE_NON_PRESENT] = "SCAN_PTE_NON_PRESENT",
	[CS_PTE_UFFD_WP] = "SCAN_PTE_UFFD_WP",
	[CS_PAGE_RO] = "SCAN_PAGE_RO",
	[CS_PAGE_NULL] = "SCAN_PAGE_NULL",
	[CS_PAGE_ANON] = "SCAN_PAGE_ANON",
	[CS_PAGE_COMPOUND] = "SCAN_PAGE_COMPOUND",
	[CS_VMA_CHECK] = "SCAN_VMA_CHECK",
	[CS_ADDRESS_RANGE] = "SCAN_ADDRESS_RANGE",
	[CS_TRUNCATED] = "SCAN_TRUNCATED",
	[CS_FAIL] = "SCAN_FAIL",
	[CS_UNMODELLED] = "unmodelled",
};

/* madvise_collapse_errno() for the results this model can reach. */
static int scan_errno(enum collapse_scan r)
{
	switch (r) {
	case CS_SUCCEED:
	case CS_PMD_MAPPED:
	case CS_ADDRESS_RANGE:	/* no whole PMD in the VMA: nothing to do */
		return 0;
	case CS_EXCEED_NONE_PTE:
		/* EBUSY since "skip shmem with userfaultfd"; EINVAL before */
		return COLLAPSE_SKIPS_UFFD_MISSING ? -EBUSY : -EINVAL;
	case CS_UNMODELLED:
		return 1;
	default:
		return -EINVAL;
	}
}

static void decide(struct collapse_verdict *v, enum collapse_scan r,
		   const char *why)
{
	v->err = scan_errno(r);
	v->scan = scan_names[r];
	v->why = why;
}

static bool is_swap_form(unsigned int kind)
{
	return kind == CP_SWAP || kind == CP_MARKER || kind == CP_OTHER_NONPRESENT;
}

/* hpage_collapse_scan_pmd(): the PTEs of an anonymous range, in address order. */
static void predict_anon(const struct collapse_inputs *in, struct collapse_verdict *v)
{
	bool armed = in->uffd_missing || in->uffd_wp || in->uffd_minor ||
		     in->uffd_rwp;
	bool writable = false, guard = false;
	unsigned int i;

	switch (in->pmd) {
	case CPMD_HUGE:
		return decide(v, CS_PMD_MAPPED, "already PMD-mapped");
	case CPMD_NONE:
		return decide(v, CS_PMD_NONE, "no PTE table: nothing mapped to collapse");
	case CPMD_TABLE:
		break;
	default:
		return decide(v, CS_PMD_NULL, "no PMD table above the range");
	}

	for (i = 0; i < COLLAPSE_NR; i++) {
		unsigned int kind = in->pte[i] & CP_KIND_MASK;

		if (is_swap_form(kind)) {
			/* 6.1 looks at the swap uffd-wp bit only; later kernels at markers too */
			if ((in->pte[i] & CP_UFFD_WP) ||
			    (COLLAPSE_SKIPS_UFFD_MISSING && (in->pte[i] & CP_MARKER_WP)))
				return decide(v, CS_PTE_UFFD_WP,
					      "a swap entry or marker carries uffd-wp");
			guard |= !!(in->pte[i] & CP_MARKER_GUARD);
			continue;	/* swapped in by the collapse */
		}
		if (kind == CP_NONE || kind == CP_ZERO) {
			if (armed)
				return decide(v, CS_EXCEED_NONE_PTE,
					      "a none or zero-page PTE in a userfaultfd-registered VMA");
			continue;
		}
		if (in->pte[i] & CP_UFFD_WP)
			return decide(v, CS_PTE_UFFD_WP, "a present PTE is uffd-wp protected");
		/* 7.3 tests the uffd bit itself (pte_uffd), RWP's as well as WP's */
		if (in->pte[i] & CP_UFFD_RWP)
			return decide(v, CS_PTE_UFFD_WP,
				      "a present PTE is RWP-protected (the uffd bit)");
		if (in->pte[i] & CP_WRITE)
			writable = true;
		if (kind == CP_NOPAGE)
			return decide(v, CS_PAGE_NULL, "a PTE maps no normal page");
		if (kind != CP_ANON)
			return decide(v, CS_PAGE_ANON, "a PTE maps a page that is not anonymous");
	}
	if (COLLAPSE_NEEDS_WRITABLE_PTE && !writable)
		return decide(v, CS_PAGE_RO, "no PTE in the range is writable");
	/* the scan passes a guard as non-present; its swap-in faults SIGSEGV */
	if (guard)
		return decide(v, CS_FAIL,
			      "a guard marker: the collapse's swap-in of it is a SIGSEGV fault");
	decide(v, CS_SUCCEED, "every PTE anonymous, none blocking");
}

/*
 * The PTE step after the page cache holds one PMD-sized folio:
 * collapse_pte_mapped_thp(), or on 6.1 after a fresh collapse the target
 * branch of retract_page_tables(). @fresh: collapse_file() just built it.
 */
static void predict_pte_mapped(const struct collapse_inputs *in, bool fresh,
			       struct collapse_verdict *v)
{
	/*
	 * userfaultfd_protected() on 7.3: WP or RWP registration keeps the page
	 * table (markers); kernels without RWP never report uffd_rwp.
	 */
	bool keeps_table = in->uffd_wp || in->uffd_rwp;
	unsigned int i;

	if (in->pmd == CPMD_HUGE)
		return decide(v, CS_PMD_MAPPED, "already PMD-mapped");

	if (!COLLAPSE_PTE_MAPPED_RULES_6_5 && fresh) {
		if (in->anon_vma)
			return decide(v, CS_PAGE_ANON,
				      "page cache collapsed, but a VMA with anon_vma keeps its page table");
		if (in->pmd == CPMD_NONE)
			return decide(v, CS_PMD_NONE,
				      "page cache collapsed, but no page table to retract (6.1 returns the PMD_NONE result)");
		if (in->pmd != CPMD_TABLE)
			return decide(v, CS_PMD_NULL,
				      "page cache collapsed, no PMD table to map it");
		if (keeps_table)
			return decide(v, CS_PTE_UFFD_WP,
				      "page cache collapsed; a uffd-wp VMA keeps its page table");
		return decide(v, CS_SUCCEED,
			      "page cache collapsed, page table retracted, PMD mapped");
	}

	if (keeps_table)
		return decide(v, CS_PTE_UFFD_WP,
			      "a uffd-wp or uffd-rwp VMA keeps its page table (markers), so no PMD mapping");
	if (in->pmd == CPMD_NONE)
		return decide(v, CS_SUCCEED, "no page table: the PMD is installed");
	if (in->pmd != CPMD_TABLE)
		return decide(v, CS_PMD_NULL, "no PMD table to map the huge page");
	/*
	 * On 6.5+ a fresh collapse retracted the table unless anon_vma exists,
	 * or (7.3: VMA_MAYBE_GUARD) the VMA may hold guards: then the PTE
	 * check below meets them.
	 */
	if (COLLAPSE_PTE_MAPPED_RULES_6_5 && fresh && !in->anon_vma && !in->nr_marker_guard)
		return decide(v, CS_SUCCEED, "page table retracted, PMD installed");

	for (i = 0; i < COLLAPSE_NR; i++) {
		unsigned int kind = in->pte[i] & CP_KIND_MASK;

		if (kind == CP_NONE)
			continue;
		if (is_swap_form(kind))
			return decide(v, CS_PTE_NON_PRESENT, "a PTE holds a swap entry or marker");
		/* page-cache PTEs are unmapped by a fresh collapse or map the huge page */
		if (kind != CP_FILE)
			return decide(v, CS_FAIL,
				      "a PTE maps a page other than the huge page (anon copy)");
	}
	decide(v, CS_SUCCEED, "PTEs map the huge page only: table replaced by the PMD");
}

/* hpage_collapse_scan_file() and collapse_file() for shmem. */
static void predict_shmem(const struct collapse_inputs *in, struct collapse_verdict *v)
{
	if (in->pc_huge)
		return predict_pte_mapped(in, false, v);
	if (!COLLAPSE_PTE_MAPPED_RULES_6_5 && in->pc_compound)
		return decide(v, CS_PAGE_COMPOUND, "a large folio smaller than PMD in the range");
	if (!in->pc_present && !in->pc_swap)
		return decide(v, CS_TRUNCATED, "the page cache holds nothing in the range");
	if (COLLAPSE_SKIPS_UFFD_MISSING && in->pc_holes && in->missing_mappings)
		return decide(v, CS_EXCEED_NONE_PTE,
			      "page-cache holes and a MISSING-registered mapping of the range");
	predict_pte_mapped(in, true, v);
}

void collapse_predict(const struct collapse_inputs *in, struct collapse_verdict *v)
{
	if (COLLAPSE_RULES_UNCHECKED)
		return decide(v, CS_UNMODELLED,
			      "rules of kernel series " COLLAPSE_SERIES_NAME
			      " not checked against its mm/khugepaged.c (checked: 6.1, 6.12, 7.3)");
	if (in->ineligible)
		return decide(v, CS_VMA_CHECK, in->ineligible);
	if (!in->range_in_vma)
		return decide(v, CS_ADDRESS_RANGE,
			      "the VMA holds no whole PMD range here: MADV_COLLAPSE skips it");
	switch (in->backing) {
	case CB_ANON:
		return predict_anon(in, v);
	case CB_SHMEM:
		return predict_shmem(in, v);
	default:
		/* regular files depend on READ_ONLY_THP_FOR_FS and large folios */
		return decide(v, CS_UNMODELLED, "file other than shmem: not modelled");
	}
}
