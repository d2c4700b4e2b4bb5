// SPDX-License-Identifier: GPL-2.0
/*
 * uffdscope map PID [RANGE]: a page map to look at, one glyph per page or per
 * group of pages (glyph.h). Without a RANGE, one map per VMA. Every map comes
 * from one ptes question, so all maps of one run describe the same walk.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glyph.h"
#include "json.h"
#include "query.h"
#include "range.h"
#include "show.h"
#include "uffdscope.h"

/* Lines per map when the pages per glyph are chosen to fit. */
#define MAX_ROWS_RANGE 32
#define MAX_ROWS_VMA 8

struct page_map {
	struct range r;
	uint64_t per;		/* pages per glyph */
	uint64_t cells;
	unsigned char *state;	/* enum page_state per glyph */
};

static int paint(struct page_map *m, const struct answer *ans, uint64_t psize,
		 int max_rows)
{
	uint64_t pages = (m->r.end - m->r.start + psize - 1) / psize, rows;
	uint64_t cell_bytes, s, e, c, last;
	int i;

	m->per = opt.per;
	if (!m->per) {
		rows = opt.cols * (uint64_t)max_rows;
		m->per = (pages + rows - 1) / rows;
		if (!m->per)
			m->per = 1;
	}
	m->cells = (pages + m->per - 1) / m->per;
	if (m->cells > (1u << 24))
		return fail(EXIT_USAGE, "the map would have %llu glyphs: use a larger --per",
			    (unsigned long long)m->cells);
	m->state = calloc(m->cells, 1);
	if (!m->state)
		return fail(EXIT_ERROR, "out of memory");
	cell_bytes = m->per * psize;
	for (i = 0; i < ans->nlines; i++) {
		const struct line *l = &ans->lines[i];
		enum page_state st;

		if (line_is(l, "kind", "summary"))
			continue;
		s = line_num(l, "start", 0);
		e = line_num(l, "end", 0);
		s = s > m->r.start ? s : m->r.start;
		e = e < m->r.end ? e : m->r.end;
		if (s >= e)
			continue;
		st = glyph_state(l);
		last = (e - 1 - m->r.start) / cell_bytes;
		for (c = (s - m->r.start) / cell_bytes; c <= last; c++)
			if (m->state[c] < st)
				m->state[c] = st;
	}
	return 0;
}

static void print_map(const struct page_map *m, uint64_t psize, bool color)
{
	uint64_t c;

	for (c = 0; c < m->cells; c++) {
		if (c % opt.cols == 0)
			printf("%s0x%012llx  ", c ? "\n" : "",
			       (unsigned long long)(m->r.start + c * m->per * psize));
		glyph_put(stdout, m->state[c], color);
	}
	putchar('\n');
}

static void json_map(struct json *j, const struct page_map *m, uint64_t psize,
		     const struct line *vma)
{
	char buf[32], *row;
	uint64_t c, n;

	json_obj(j, NULL);
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)m->r.start);
	json_str(j, "start", buf);
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)m->r.end);
	json_str(j, "end", buf);
	if (vma) {
		json_obj(j, "vma");
		json_line(j, vma);
		json_close(j);
	}
	json_int(j, "pages_per_glyph", m->per);
	json_arr(j, "rows");
	row = malloc(opt.cols + 1);
	for (c = 0; row && c < m->cells; c += opt.cols) {
		n = m->cells - c < opt.cols ? m->cells - c : opt.cols;
		for (uint64_t k = 0; k < n; k++)
			row[k] = glyph_char(m->state[c + k]);
		row[n] = '\0';
		json_obj(j, NULL);
		snprintf(buf, sizeof(buf), "0x%llx",
			 (unsigned long long)(m->r.start + c * m->per * psize));
		json_str(j, "start", buf);
		json_str(j, "glyphs", row);
		json_close(j);
	}
	free(row);
	json_close(j);
	json_close(j);
}

static bool use_color(void)
{
	const char *term = getenv("TERM");

	if (opt.color != COLOR_AUTO)
		return opt.color == COLOR_ALWAYS;
	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && strcmp(term, "dumb");
}

int cmd_map(int argc, char **argv)
{
	uint64_t psize = sysconf(_SC_PAGESIZE);
	struct answer ans, vmas = { 0 };
	bool has_range, color = !opt.json && use_color();
	struct page_map m;
	struct range r;
	struct json j;
	char size[16];
	pid_t pid;
	int err, i, n;

	err = parse_target(argc, argv, "map PID [RANGE]", &pid, &r, &has_range);
	if (err)
		return err;
	if (!has_range) {
		err = ask_vmas(pid, NULL, &vmas);
		if (err)
			return err;
	}
	err = ask_ptes(pid, has_range ? &r : NULL, true, &ans);
	if (err) {
		answer_free(&vmas);
		return err;
	}
	if (opt.json) {
		json_begin(&j, stdout);
		json_head(&j, "map");
		json_int(&j, "pid", pid);
		json_int(&j, "page_size", psize);
		glyph_json_legend(&j);
		json_arr(&j, "maps");
	}
	n = has_range ? 1 : vmas.nlines;
	for (i = 0; i < n && !err; i++) {
		const struct line *v = has_range ? NULL : &vmas.lines[i];

		memset(&m, 0, sizeof(m));
		if (v) {
			m.r.start = line_num(v, "start", 0);
			m.r.end = line_num(v, "end", 0);
		} else {
			m.r = r;
		}
		err = paint(&m, &ans, psize, v ? MAX_ROWS_VMA : MAX_ROWS_RANGE);
		if (err)
			break;
		if (opt.json) {
			json_map(&j, &m, psize, v);
		} else {
			printf("%s0x%llx-0x%llx %s", i ? "\n" : "",
			       (unsigned long long)m.r.start, (unsigned long long)m.r.end,
			       human_size(m.r.end - m.r.start, size, sizeof(size)));
			if (v) {
				printf(" %s %s%s", line_get(v, "prot") ?: "",
				       line_get(v, "backing") ?: "",
				       line_is(v, "shared", "1") ? " shared" : "");
				if (line_is(v, "uffd_missing", "1") || line_is(v, "uffd_wp", "1") ||
				    line_is(v, "uffd_minor", "1"))
					printf(" uffd:%s%s%s",
					       line_is(v, "uffd_missing", "1") ? "M" : "",
					       line_is(v, "uffd_wp", "1") ? "W" : "",
					       line_is(v, "uffd_minor", "1") ? "m" : "");
			}
			printf("  (1 glyph = %llu page%s)\n", (unsigned long long)m.per,
			       m.per == 1 ? "" : "s");
			print_map(&m, psize, color);
		}
		free(m.state);
	}
	if (opt.json && !err)
		json_end(&j);
	else if (!err)
		glyph_legend(stdout, color);
	answer_free(&ans);
	answer_free(&vmas);
	return err;
}
