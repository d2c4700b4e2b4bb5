// SPDX-License-Identifier: GPL-2.0
/* A small streaming JSON writer (see json.h). */
#include <string.h>

#include "json.h"
#include "uffdscope.h"

/* Members of the top object (depth 0) are indented once. */
static void indent(struct json *j)
{
	fprintf(j->f, "\n%*s", 2 * (j->depth + 1), "");
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A new member or element: the comma, the indentation, the name. */
static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	indent(j);
	if (key) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void open_nested(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	/* Deeper nesting than the command ever writes would be a bug. */
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
	j->closer[j->depth] = c == '{' ? '}' : ']';
}

void json_begin(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	fputc('{', f);
	j->first[0] = true;
}

void json_end(struct json *j)
{
	while (j->depth > 0)
		json_close(j);
	fputs("\n}\n", j->f);
}

void json_obj(struct json *j, const char *key)
{
	open_nested(j, key, '{');
}

void json_arr(struct json *j, const char *key)
{
	open_nested(j, key, '[');
}

void json_close(struct json *j)
{
	bool empty = j->first[j->depth];

	if (j->depth == 0)
		return;
	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * (j->depth + 1), "");
	fputc(j->closer[j->depth + 1], j->f);
}

void json_str(struct json *j, const char *key, const char *val)
{
	member(j, key);
	put_string(j->f, val);
}

void json_int(struct json *j, const char *key, long long val)
{
	member(j, key);
	fprintf(j->f, "%lld", val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

static bool is_json_integer(const char *s)
{
	const char *d = *s == '-' ? s + 1 : s;
	size_t n = strspn(d, "0123456789");

	/* No leading zeros (JSON forbids them); 15 digits stay exact in a double. */
	return n && !d[n] && n <= 15 && (d[0] != '0' || n == 1);
}

void json_value(struct json *j, const char *key, const char *val)
{
	member(j, key);
	if (is_json_integer(val))
		fputs(val, j->f);
	else
		put_string(j->f, val);
}

void json_head(struct json *j, const char *command)
{
	json_str(j, "schema", "uffdscope");
	json_int(j, "version", JSON_SCHEMA_VERSION);
	json_str(j, "command", command);
}
