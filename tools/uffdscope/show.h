/* SPDX-License-Identifier: GPL-2.0 */
/* Printing the module's key=value lines for people and as JSON. */
#ifndef UFFDSCOPE_SHOW_H
#define UFFDSCOPE_SHOW_H

#include <stdint.h>
#include <stdio.h>

#include "answer.h"
#include "json.h"

/* "4K", "2M", "1.5G": a size for a column. */
const char *human_size(uint64_t bytes, char *buf, int size);

/*
 * The keys of @l not in the NULL-terminated @skip list, as "key=value"
 * words; flags the module writes as 0/1 print as their name when set and
 * not at all when clear.
 */
void print_details(FILE *f, const struct line *l, const char *const *skip);

/* Every key of @l as a member of the current JSON object. */
void json_line(struct json *j, const struct line *l);

#endif /* UFFDSCOPE_SHOW_H */
