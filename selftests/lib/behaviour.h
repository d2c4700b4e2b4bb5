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

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tag the running test with the catalog row whose kernel behaviour it checks. */
#define BEHAVIOUR(row) fprintf(stderr, "# behaviour: %s\n", row)

/*
 * Tag a verdict test: one that checks what uffdscope.ko predicts about the
 * row (its `collapse` and `faultaround` answers), not whether the kernel has
 * the row's behaviour. The runner must not count it as evidence for the row:
 * a kernel lacking the behaviour passes it when the module predicts that.
 */
#define VERDICT(row) fprintf(stderr, "# verdict: %s\n", row)

/*
 * Assert that uffdscope.ko, the second witness, agrees with the kernel's own
 * evidence (pagemap, uffd messages, data). Kernel evidence decides a row; a
 * disagreement is the module's failure, never the row's absence, and says so
 * in its own words: "# witness: ..." lines.
 */
#define ASSERT_WITNESS(cond, fmt, ...) do {					\
	bool __agrees = !!(cond);					\
	if (!__agrees) {						\
		fprintf(stderr, "# witness: uffdscope.ko disagrees with the kernel: " fmt "\n", \
			##__VA_ARGS__);					\
		ASSERT_TRUE(__agrees) TH_LOG("uffdscope.ko disagrees with the kernel's evidence"); \
	}								\
} while (0)

/*
 * Whether the runner told this run that the kernel is known to lack @row
 * (scripts/expected-absent.txt, passed to the guest as the space-separated
 * UFFDSCOPE_EXPECTED_ABSENT).
 */
static inline bool absence_expected(const char *row)
{
	const char *list = getenv("UFFDSCOPE_EXPECTED_ABSENT");
	size_t n = strlen(row);

	while (list && *list) {
		list += strspn(list, " ");
		if (!strncmp(list, row, n) && (list[n] == ' ' || list[n] == '\0'))
			return true;
		list += strcspn(list, " ");
	}
	return false;
}

/*
 * Assert that the behaviour @row holds. When @cond is false, the kernel lacks
 * it: print the evidence and fail the test, or, when the runner said this
 * kernel is known to lack @row, end it as XFAIL (the harness's expected
 * failure: teardown runs, KTAP says "# XFAIL", any KTAP consumer reads it as
 * what it is). The evidence line is printed either way. Setup steps use the
 * harness's ASSERT_* instead, so that a broken setup is never mistaken for an
 * absence.
 */
#define ASSERT_BEHAVIOUR(row, cond, fmt, ...) do {				\
	bool __holds = !!(cond);					\
	if (!__holds) {							\
		fprintf(stderr, "# absent: %s: " fmt "\n", row, ##__VA_ARGS__); \
		if (absence_expected(row)) {				\
			snprintf(_metadata->results->reason,		\
				 sizeof(_metadata->results->reason),	\
				 "%s absent, a known kernel difference", row); \
			_metadata->exit_code = KSFT_XFAIL;		\
			/* an ASSERT's way out, without marking it aborted */ \
			longjmp(_metadata->env, 1);			\
		}							\
		ASSERT_TRUE(__holds) TH_LOG("behaviour %s absent", row);	\
	}								\
} while (0)

#endif /* UFFDSCOPE_BEHAVIOUR_H */
