/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer: objects and arrays nest, commas and
 * indentation come by themselves. @key is the member name inside an object
 * and NULL inside an array or at the top.
 */
#ifndef UFFDSCOPE_JSON_H
#define UFFDSCOPE_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	char closer[JSON_MAX_DEPTH];
};

void json_begin(struct json *j, FILE *f);	/* opens the top object */
void json_end(struct json *j);			/* closes it, adds a newline */
void json_obj(struct json *j, const char *key);
void json_arr(struct json *j, const char *key);
void json_close(struct json *j);		/* the innermost object or array */
void json_str(struct json *j, const char *key, const char *val);
void json_int(struct json *j, const char *key, long long val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/*
 * A value the module wrote: a decimal integer becomes a JSON number,
 * anything else (0x addresses and pfns, names) a string.
 */
void json_value(struct json *j, const char *key, const char *val);
/* The common head of every document: schema, version, command. */
void json_head(struct json *j, const char *command);

#endif /* UFFDSCOPE_JSON_H */
