/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How a test tells the runner which row of the behaviour catalog (DESIGN.md)
 * it checks, and that the kernel lacks that behaviour. The runner builds its
 * kernel-by-behaviour table from these lines and decides, from
 * scripts/expected-absent.txt, whether an absence is a known kernel difference
 * or a failure.
 *
 * Both write to stderr, which is unbuffered: a test child leaves through
 * _exit(), so anything still in a stdout buffer would be lost.
 */
#ifndef UFFDSCOPE_BEHAVIOUR_H
#define UFFDSCOPE_BEHAVIOUR_H

#include <stdbool.h>
#include <stdio.h>

/* Tag the running test with the catalog row it checks. */
#define BEHAVIOUR(row) fprintf(stderr, "# behaviour: %s\n", row)

/*
 * Assert that the behaviour @row holds. When @cond is false, the kernel lacks
 * it: print the evidence and fail the test. Setup steps use the harness's
 * ASSERT_* instead, so that a broken setup is never mistaken for an absence.
 */
#define ASSERT_BEHAVIOUR(row, cond, fmt, ...) do {				\
	bool __holds = !!(cond);					\
	if (!__holds) {							\
		fprintf(stderr, "# absent: %s: " fmt "\n", row, ##__VA_ARGS__); \
		ASSERT_TRUE(__holds) TH_LOG("behaviour %s absent", row);	\
	}								\
} while (0)

#endif /* UFFDSCOPE_BEHAVIOUR_H */
