// SPDX-License-Identifier: GPL-2.0
/* The page map's glyphs (see glyph.h). */
#include <string.h>

#include "glyph.h"

static const struct {
	char c;
	const char *name;
	const char *sgr;	/* ANSI colour */
} glyphs[PS_COUNT] = {
	[PS_UNMAPPED]	= { ' ', "no VMA", "0" },
	[PS_NONE]	= { '.', "none", "2" },
	[PS_PRESENT]	= { '#', "present", "32" },
	[PS_READ_ONLY]	= { 'r', "read-only", "36" },
	[PS_LARGE]	= { 't', "large folio (PTE-mapped)", "92" },
	[PS_THP]	= { 'T', "THP (PMD-mapped)", "1;92" },
	[PS_HUGETLB]	= { 'H', "hugetlb", "31" },
	[PS_OTHER]	= { '?', "migration/hwpoison/other", "1;31" },
	[PS_SWAP]	= { 'S', "swap", "34" },
	[PS_UFFD_WP]	= { 'W', "uffd-wp", "1;33" },
	[PS_MARKER]	= { 'M', "marker", "1;35" },
};

enum page_state glyph_state(const struct line *l)
{
	const char *kind = line_get(l, "kind");

	if (!kind)
		return PS_OTHER;
	if (!strcmp(kind, "none"))
		return PS_NONE;
	if (!strcmp(kind, "marker"))
		return PS_MARKER;
	if (line_is(l, "uffd_wp", "1"))
		return PS_UFFD_WP;
	if (!strcmp(kind, "swap"))
		return PS_SWAP;
	if (strcmp(kind, "present"))
		return PS_OTHER;
	if (line_is(l, "backing", "hugetlb"))
		return PS_HUGETLB;
	if (!line_is(l, "level", "pte"))
		return PS_THP;
	if (line_num(l, "order", 0) > 0)
		return PS_LARGE;
	if (line_is(l, "write", "0"))
		return PS_READ_ONLY;
	return PS_PRESENT;
}

char glyph_char(enum page_state s)
{
	return glyphs[s].c;
}

const char *glyph_name(enum page_state s)
{
	return glyphs[s].name;
}

void glyph_put(FILE *f, enum page_state s, bool color)
{
	if (color && s != PS_UNMAPPED)
		fprintf(f, "\033[%sm%c\033[0m", glyphs[s].sgr, glyphs[s].c);
	else
		fputc(glyphs[s].c, f);
}

void glyph_legend(FILE *f, bool color)
{
	int s;

	fputs("legend:", f);
	for (s = PS_COUNT - 1; s >= PS_NONE; s--) {
		fputs("  ", f);
		glyph_put(f, s, color);
		fprintf(f, " %s", glyphs[s].name);
	}
	fputs("  (blank) no VMA\n", f);
	fputs("a glyph for several pages shows the first of these states among them\n", f);
}

void glyph_json_legend(struct json *j)
{
	char c[2] = "";
	int s;

	json_arr(j, "legend");
	for (s = PS_COUNT - 1; s >= 0; s--) {
		c[0] = glyphs[s].c;
		json_obj(j, NULL);
		json_str(j, "glyph", c);
		json_str(j, "state", glyphs[s].name);
		json_close(j);
	}
	json_close(j);
}
