/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions on what one write raises, for tests built on
 * kselftest_harness.h and behaviour.h (include those first).
 */
#ifndef UFFDSCOPE_WP_EXPECT_H
#define UFFDSCOPE_WP_EXPECT_H

#include <errno.h>
#include <string.h>

#include "access.h"
#include "pagemap.h"
#include "wp_scope.h"
#include "wp_area.h"

/*
 * wp_area_setup() for a FIXTURE_SETUP: SKIP when the kernel's userfaultfd
 * lacks @features or no huge page can be reserved, fail on anything else.
 */
#define WP_AREA_SETUP(w, kind, shared, nr, features, reg_mode) do {		\
	uint64_t __missing = 0;							\
	const char *__why = "";							\
	int __ret = wp_area_setup(w, kind, shared, nr, features, reg_mode,	\
				  &__missing, &__why);				\
	if (__ret == -EOPNOTSUPP)						\
		SKIP(return, "userfaultfd lacks features 0x%llx (uffd-wp on shmem/hugetlbfs: arm64 has it from 6.10)", \
		     (unsigned long long)__missing);				\
	if (__ret == -ENOMEM && (kind) == MEM_HUGETLB)				\
		SKIP(return, "could not reserve huge pages (%s)", __why);	\
	ASSERT_EQ(0, __ret) TH_LOG("setup failed at %s: %s", __why, strerror(-__ret)); \
} while (0)

/*
 * wp_state() of page @i of @pid, cross-checked with uffdscope.ko when it is
 * loaded: pagemap decides, and a module that sees otherwise fails the test
 * as a witness ("# witness: ..."), not as the row's absence. Use it where
 * nothing changes the page between the two reads.
 */
#define WP_STATE(w, pid, i) ({							\
	uint64_t __pm = wp_state(w, pid, i);					\
	struct wp_seen __seen;							\
	int __agree = wp_witness(w, pid, i, __pm, &__seen);			\
	if (__agree != -ENODEV) {						\
		ASSERT_LE(0, __agree) TH_LOG("uffdscope ptes query: %s", strerror(-__agree)); \
		ASSERT_WITNESS(__agree, "page %zu of pid %d: pagemap present=%d uffd_wp=%d, module %s (kind=%s level=%s)", \
			       (size_t)(i), (int)(pid), !!(__pm & PM_PRESENT),	\
			       !!(__pm & PM_UFFD_WP), wp_view_name(__seen.view), \
			       __seen.kind, __seen.level);			\
	}									\
	__pm;									\
})

/* The write to @addr must raise exactly one WP fault; it then lands. */
#define ASSERT_WRITE_WP_FAULTS(row, uffd, addr, psize, value) do {		\
	struct uffd_msg __m;							\
	enum write_outcome __o = write_page(uffd, addr, psize, value, &__m);	\
	ASSERT_TRUE(__o != WRITE_ERROR) TH_LOG("write to %p: syscall failed", (void *)(addr)); \
	ASSERT_TRUE(__o != WRITE_STUCK) TH_LOG("write to %p stayed blocked", (void *)(addr)); \
	ASSERT_BEHAVIOUR(row, __o == WRITE_WP_FAULT,				\
			 "write to write-protected %p: expected one WP fault, saw %s (event %u flags 0x%llx addr 0x%llx)", \
			 (void *)(addr), write_outcome_name(__o), __m.event,	\
			 (unsigned long long)__m.arg.pagefault.flags,		\
			 (unsigned long long)__m.arg.pagefault.address);	\
} while (0)

/* The write to @addr must complete and raise nothing. */
#define ASSERT_WRITE_NO_FAULT(row, uffd, addr, psize, value) do {		\
	struct uffd_msg __m;							\
	enum write_outcome __o = write_page(uffd, addr, psize, value, &__m);	\
	ASSERT_TRUE(__o != WRITE_ERROR) TH_LOG("write to %p: syscall failed", (void *)(addr)); \
	ASSERT_TRUE(__o != WRITE_STUCK) TH_LOG("write to %p stayed blocked", (void *)(addr)); \
	ASSERT_BEHAVIOUR(row, __o == WRITE_NO_FAULT,				\
			 "write to unprotected %p: expected no message, saw %s (event %u flags 0x%llx addr 0x%llx)", \
			 (void *)(addr), write_outcome_name(__o), __m.event,	\
			 (unsigned long long)__m.arg.pagefault.flags,		\
			 (unsigned long long)__m.arg.pagefault.address);	\
} while (0)

/*
 * Cross-check through uffdscope.ko: the page at @addr of @pid holds @want
 * (an enum wp_view), a finer view than pagemap's (a marker, not a swap
 * entry; the level). Without the module there is nothing to cross-check;
 * pagemap and uffd messages carry the test alone. A disagreement is the
 * module's failure ("# witness: ..."), never the row's absence: @row only
 * names the row in the message.
 */
#define ASSERT_MODULE_VIEW(row, pid, addr, unit, want) do {			\
	struct wp_seen __s;							\
	int __r = wp_scope_seen(pid, addr, unit, &__s);				\
	if (__r != -ENODEV) {							\
		ASSERT_EQ(0, __r) TH_LOG("uffdscope ptes query: %s", strerror(-__r)); \
		ASSERT_WITNESS(__s.view == (want),				\
			       "%s: %p holds %s (kind=%s level=%s), the kernel's evidence says %s", \
			       row, (void *)(addr), wp_view_name(__s.view), __s.kind, \
			       __s.level, wp_view_name(want));			\
	}									\
} while (0)

#endif /* UFFDSCOPE_WP_EXPECT_H */
