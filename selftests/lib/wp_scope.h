/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What uffdscope.ko says one page's entry holds, reduced to what the uffd-wp
 * tests care about, to cross-check pagemap with the page tables themselves:
 * pagemap shows a marker and a swapped page alike and shows no level.
 */
#ifndef UFFDSCOPE_WP_SCOPE_H
#define UFFDSCOPE_WP_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum wp_view {
	VIEW_NONE,		/* none entry, or no table */
	VIEW_MARKER_WP,		/* PTE marker with its UFFD_WP bit */
	VIEW_PRESENT_WP,	/* present, with the arch uffd-wp bit */
	VIEW_PRESENT,		/* present, no uffd-wp */
	VIEW_SWAP_WP,		/* swap entry carrying uffd-wp */
	VIEW_MARKER_GUARD,	/* PTE marker with its GUARD bit only (a guard region) */
	VIEW_PRESENT_RWP,	/* present PROT_NONE with the uffd bit: RWP-protected */
	VIEW_OTHER,
};

struct wp_seen {
	enum wp_view view;
	char kind[24];		/* the module's kind= */
	char level[8];		/* the module's level= (pte, pmd ...) */
};

/*
 * Ask the module about the page at @addr in @pid (0: this process).
 * Returns 0, -ENODEV when the module is not loaded, or -errno.
 */
int wp_scope_seen(pid_t pid, const void *addr, size_t unit, struct wp_seen *seen);

const char *wp_view_name(enum wp_view v);

#endif /* UFFDSCOPE_WP_SCOPE_H */
