/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page map's glyphs: what one page (or group of pages) is, one
 * character each, with a colour for terminals. A glyph that stands for
 * several pages shows the most notable state among them: the states are
 * declared from least to most notable.
 */
#ifndef UFFDSCOPE_GLYPH_H
#define UFFDSCOPE_GLYPH_H

#include <stdbool.h>
#include <stdio.h>

#include "answer.h"
#include "json.h"

enum page_state {
	PS_UNMAPPED,	/* in no VMA */
	PS_NONE,	/* in a VMA, nothing in the page table */
	PS_PRESENT,	/* mapped writable */
	PS_READ_ONLY,	/* mapped without write permission in the PTE */
	PS_LARGE,	/* PTE-mapped page of a large folio (order > 0) */
	PS_THP,		/* PMD- or PUD-mapped transparent huge page */
	PS_HUGETLB,	/* hugetlbfs page */
	PS_OTHER,	/* migration, hwpoison, device, bad or unknown entry */
	PS_SWAP,	/* swap entry */
	PS_UFFD_WP,	/* present or swapped, with the uffd-wp bit */
	PS_MARKER,	/* PTE marker (uffd-wp, poisoned, guard) */
	PS_COUNT
};

/* The state one ptes line describes. */
enum page_state glyph_state(const struct line *l);
char glyph_char(enum page_state s);
const char *glyph_name(enum page_state s);
/* Print @s's glyph, coloured when @color. */
void glyph_put(FILE *f, enum page_state s, bool color);
void glyph_legend(FILE *f, bool color);
void glyph_json_legend(struct json *j);

#endif /* UFFDSCOPE_GLYPH_H */
