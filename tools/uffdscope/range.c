// SPDX-License-Identifier: GPL-2.0
/* RANGE and ADDR words (see range.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "range.h"

static int digit_value(char c, unsigned int base)
{
	unsigned int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return v < base ? (int)v : -1;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	}
	return -1;
}

/*
 * One number of [s, e) in @base (a 0x prefix always means hex), with an
 * optional suffix. Written by hand rather than with strtoull(), which
 * accepts signs and leading spaces and saturates on overflow.
 */
static int parse_number(const char *s, const char *e, unsigned int base,
			uint64_t *out, const char **why)
{
	uint64_t v = 0;
	int shift = 0, d;

	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (s < e && suffix_shift(e[-1]) >= 0) {
		shift = suffix_shift(e[-1]);
		e--;
	}
	if (s == e) {
		*why = "a number is missing";
		return -EINVAL;
	}
	for (; s < e; s++) {
		d = digit_value(*s, base);
		if (d < 0) {
			*why = base == 16 ? "not a hexadecimal number" :
			       "not a decimal number (use 0x for hexadecimal)";
			return -EINVAL;
		}
		if (v > (UINT64_MAX - d) / base) {
			*why = "number too large for 64 bits";
			return -EINVAL;
		}
		v = v * base + d;
	}
	if (shift && v > UINT64_MAX >> shift) {
		*why = "number too large for 64 bits";
		return -EINVAL;
	}
	*out = v << shift;
	return 0;
}

int parse_addr(const char *word, uint64_t *addr, const char **why)
{
	return parse_number(word, word + strlen(word), 16, addr, why);
}

int parse_len(const char *word, uint64_t *len, const char **why)
{
	return parse_number(word, word + strlen(word), 10, len, why);
}

int parse_range(const char *word, uint64_t page_size, struct range *r,
		const char **why)
{
	const char *sep = word + strcspn(word, "-+"), *end = word + strlen(word);
	uint64_t second;
	int err;

	err = parse_number(word, sep, 16, &r->start, why);
	if (err)
		return err;
	if (!*sep) {
		/* One address: its page. */
		r->start &= ~(page_size - 1);
		if (r->start > UINT64_MAX - page_size) {
			*why = "the page lies at the end of the address space";
			return -EINVAL;
		}
		r->end = r->start + page_size;
		return 0;
	}
	if (strchr(sep + 1, '-') || strchr(sep + 1, '+')) {
		*why = "more than one '-' or '+'";
		return -EINVAL;
	}
	err = parse_number(sep + 1, end, *sep == '+' ? 10 : 16, &second, why);
	if (err)
		return err;
	if (*sep == '+') {
		if (!second) {
			*why = "the length is 0";
			return -EINVAL;
		}
		if (second > UINT64_MAX - r->start) {
			*why = "START+LEN goes past the end of the address space";
			return -EINVAL;
		}
		r->end = r->start + second;
	} else {
		if (second <= r->start) {
			*why = "END is not above START";
			return -EINVAL;
		}
		r->end = second;
	}
	return 0;
}
