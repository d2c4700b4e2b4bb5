// SPDX-License-Identifier: GPL-2.0
/*
 * The inspector's own tests: build page-table states whose content is known,
 * and check that the ptes file of uffdscope.ko reports exactly them, page by
 * page, cross-checked against /proc/self/pagemap where pagemap has the bit.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagemap.h"
#include "scope.h"

#define NR_PAGES 16

TEST(present_rw_anon)
{
	size_t psize = getpagesize(), len = NR_PAGES * psize;
	struct scope_answer ans;
	const struct scope_line *l;
	char *area;
	size_t i;
	int err;

	SCOPE_REQUIRE();
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	memset(area, 1, len);
	err = scope_ptes(0, area, len, NULL, &ans);
	ASSERT_EQ(0, err) TH_LOG("ptes query: %s", strerror(-err));
	scope_dump(&ans);
	for (i = 0; i < NR_PAGES; i++) {
		l = scope_find(&ans, area + i * psize);
		ASSERT_NE(NULL, l) TH_LOG("no line covers page %zu", i);
		ASSERT_TRUE(scope_is(l, "kind", "present"));
		ASSERT_TRUE(scope_is(l, "write", "1"));
		ASSERT_TRUE(scope_is(l, "backing", "anon"));
	}
	scope_free(&ans);
	munmap(area, len);
}

TEST_HARNESS_MAIN
