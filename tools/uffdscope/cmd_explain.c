// SPDX-License-Identifier: GPL-2.0
/*
 * uffdscope explain PID ADDR: what a read fault at ADDR and MADV_COLLAPSE of
 * the PMD range holding it would do on the running kernel, and why, from
 * the module's faultaround and collapse files
 * (Documentation/collapse-verdicts.rst), with every input they counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "json.h"
#include "query.h"
#include "range.h"
#include "show.h"
#include "uffdscope.h"

#define FAULT_AROUND_BYTES "/sys/kernel/debug/fault_around_bytes"

/*
 * Each line of a verdict answer is one group of facts; it is named after its
 * first key. Keys the module adds later land in the group of their line.
 */
static const char *group_name(const struct line *l)
{
	static const struct { const char *first, *group; } names[] = {
		{ "pid", "query" }, { "kernel", "kernel" }, { "vma", "vma" },
		{ "pmd", "page_table" }, { "pc_present", "page_cache" },
		{ "rss_anon", "rss" }, { "verdict", "verdict" }, { "fault", "verdict" },
	};
	size_t i;

	if (!l->n)
		return "other";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(l->kv[0].key, names[i].first))
			return names[i].group;
	return l->kv[0].key;
}

static const struct line *group(const struct answer *ans, const char *name)
{
	int i;

	for (i = 0; i < ans->nlines; i++)
		if (!strcmp(group_name(&ans->lines[i]), name))
			return &ans->lines[i];
	return NULL;
}

/*
 * The asker passes fault_around_bytes (the module cannot read it); 0 when
 * it cannot be read, and the module then says it assumed the default.
 */
static unsigned long read_fault_around_bytes(void)
{
	char buf[32] = "";
	FILE *f = fopen(FAULT_AROUND_BYTES, "re");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoul(buf, NULL, 0);
}

static void print_group(const char *label, const struct line *l,
			const char *const *skip)
{
	if (!l)
		return;
	printf("  %-12s ", label);
	print_details(stdout, l, skip);
	putchar('\n');
}

static void print_faultaround(const struct answer *fa)
{
	static const char *const q_skip[] = { "pid", "addr", NULL };
	static const char *const v_skip[] = { "fault_around", "why", NULL };
	const struct line *q = group(fa, "query"), *v = group(fa, "verdict");

	printf("read fault\n");
	if (v && line_is(v, "fault_around", "1"))
		printf("  faults around: yes, would map %s of %s pages in %s-%s\n",
		       line_get(v, "would_map") ?: "?", line_get(v, "window") ?: "?",
		       line_get(v, "start") ?: "?", line_get(v, "end") ?: "?");
	else
		printf("  faults around: no\n");
	printf("  why:         %s\n", v ? line_get(v, "why") ?: "-" : "-");
	print_group("inputs:", q, q_skip);
	print_group("", v, v_skip);
}

static void print_collapse(const struct answer *co)
{
	static const char *const skip[] = { "why", "verdict", "scan", NULL };
	const struct line *q = group(co, "query"), *v = group(co, "verdict");
	const struct line *k = group(co, "kernel");
	int i;

	printf("\nMADV_COLLAPSE of %s-%s\n", q ? line_get(q, "start") ?: "?" : "?",
	       q ? line_get(q, "end") ?: "?" : "?");
	printf("  returns:     %s (%s)\n", v ? line_get(v, "verdict") ?: "?" : "?",
	       v ? line_get(v, "scan") ?: "?" : "?");
	printf("  why:         %s\n", v ? line_get(v, "why") ?: "-" : "-");
	if (k)
		printf("  rules:       %s (kernel %s)\n", line_get(k, "rules") ?: "?",
		       line_get(k, "kernel") ?: "?");
	for (i = 0; i < co->nlines; i++) {
		const struct line *l = &co->lines[i];
		const char *name = group_name(l);

		if (l == q || l == v || l == k)
			continue;
		printf("  %-12s ", name);
		print_details(stdout, l, skip);
		putchar('\n');
	}
}

static void json_answer(struct json *j, const char *key, const struct answer *ans)
{
	int i;

	json_obj(j, key);
	for (i = 0; i < ans->nlines; i++) {
		json_obj(j, group_name(&ans->lines[i]));
		json_line(j, &ans->lines[i]);
		json_close(j);
	}
	json_close(j);
}

int cmd_explain(int argc, char **argv)
{
	struct answer fa, co;
	const char *why;
	uint64_t addr;
	struct json j;
	pid_t pid;
	int err;

	if (argc != 2)
		return fail(EXIT_USAGE, "usage: uffdscope explain PID ADDR");
	err = parse_pid(argv[0], &pid);
	if (err)
		return err;
	if (parse_addr(argv[1], &addr, &why))
		return fail(EXIT_USAGE, "bad ADDR '%s': %s", argv[1], why);
	err = check_process(pid);
	if (err)
		return err;
	err = ask_faultaround(pid, addr, read_fault_around_bytes(), &fa);
	if (err)
		return err;
	err = ask_collapse(pid, addr, &co);
	if (err) {
		answer_free(&fa);
		return err;
	}
	if (opt.json) {
		json_begin(&j, stdout);
		json_head(&j, "explain");
		json_int(&j, "pid", pid);
		{
			char a[24];

			snprintf(a, sizeof(a), "0x%llx", (unsigned long long)addr);
			json_str(&j, "addr", a);
		}
		json_answer(&j, "faultaround", &fa);
		json_answer(&j, "collapse", &co);
		json_end(&j);
	} else {
		printf("pid %d, address 0x%llx\n\n", pid, (unsigned long long)addr);
		print_faultaround(&fa);
		print_collapse(&co);
	}
	answer_free(&fa);
	answer_free(&co);
	return EXIT_OK;
}
