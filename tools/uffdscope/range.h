/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RANGE and ADDR words of the command line. Addresses are hexadecimal, with
 * or without 0x, as /proc/PID/maps writes them; a length is decimal unless it
 * starts with 0x. Both take a K, M or G suffix (binary: 1K = 1024).
 *
 *   START-END   [START, END)
 *   START+LEN   [START, START + LEN)
 *   START       the one page holding START
 */
#ifndef UFFDSCOPE_RANGE_H
#define UFFDSCOPE_RANGE_H

#include <stdint.h>

struct range {
	uint64_t start;
	uint64_t end;		/* exclusive */
};

/* 0, or -EINVAL with *why set to what is wrong with @word. */
int parse_addr(const char *word, uint64_t *addr, const char **why);
int parse_len(const char *word, uint64_t *len, const char **why);
int parse_range(const char *word, uint64_t page_size, struct range *r,
		const char **why);

#endif /* UFFDSCOPE_RANGE_H */
