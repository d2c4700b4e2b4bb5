/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Global knobs a test changes (THP sysfs, khugepaged scan settings,
 * nr_hugepages, fault_around_bytes in debugfs), remembered before their first
 * change so that knob_restore_all() in FIXTURE_TEARDOWN puts every one back,
 * even after a failed ASSERT. The table is per process: the harness runs each
 * test, with its setup and teardown, in one child.
 *
 * The harness skips the teardown when the setup itself fails or skips; the
 * table is shared by every process of the program, so such a knob is still
 * put back by the next knob_restore_all() or at the program's exit. A setup
 * still changes knobs as late as it can: the next test must not start with
 * the previous one's settings.
 */
#ifndef UFFDSCOPE_SYSFS_STATE_H
#define UFFDSCOPE_SYSFS_STATE_H

#include <stdbool.h>
#include <stddef.h>

#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define THP_ENABLED	THP_DIR "/enabled"
#define THP_SHMEM	THP_DIR "/shmem_enabled"
#define THP_DEFRAG	THP_DIR "/defrag"
#define KHUGEPAGED_DIR	THP_DIR "/khugepaged"
/* Only for inspector.c: the tests here use hugetlb_knob() of memory.h. */
#define HUGETLB_2M_NR	"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define FAULT_AROUND_BYTES "/sys/kernel/debug/fault_around_bytes"

/* At most this many knobs are remembered at once. */
#define KNOB_MAX 16

/*
 * Read the current value of @path into @buf: the selected word of a choice
 * file ("always [madvise] never" gives "madvise"), else the content without
 * its trailing newline. Returns 0 or -errno (-ENAMETOOLONG if @len is short).
 */
int knob_read(const char *path, char *buf, size_t len);

/* Write @value to @path without remembering anything. Returns 0 or -errno. */
int knob_write(const char *path, const char *value);

/*
 * Remember the value of @path (only at its first change), then write @value.
 * Returns 0 or -errno; -ENOSPC when KNOB_MAX knobs are already remembered.
 */
int knob_set(const char *path, const char *value);

/* knob_set() of a number. */
int knob_set_ulong(const char *path, unsigned long value);

/* A number read from @path, or -errno. */
long knob_read_long(const char *path);

/*
 * Write back every remembered value, last changed first, and forget them.
 * Returns 0, or the first -errno met (it still tries every knob).
 */
int knob_restore_all(void);

/*
 * Whether the kernel was built with CONFIG_TRANSPARENT_HUGEPAGE: /proc/meminfo
 * has its AnonHugePages line exactly then. Debian's PREEMPT_RT kernels lack it
 * (THP depends on !PREEMPT_RT), and with it the whole THP_DIR.
 */
bool thp_configured(void);

/*
 * madvise(MADV_NOHUGEPAGE) of a range a test wants mapped by small pages.
 * A kernel without THP rejects the advice (EINVAL) but has nothing to keep
 * away: 0 then. Returns 0 or -errno.
 */
int madvise_no_thp(void *addr, size_t len);

/*
 * knob_set() of a THP_DIR knob in a test or its setup (the harness must be
 * included first): SKIP when the knob is missing because the kernel has no
 * THP at all, fail when it is missing on a kernel built with THP, or when the
 * write fails. Either way it first restores the knobs changed so far: a setup
 * that stops runs no teardown.
 */
#define THP_KNOB_SET(path, value) do {						\
	int __ret = knob_set(path, value);					\
	if (__ret)								\
		knob_restore_all();						\
	if (__ret == -ENOENT && !thp_configured())				\
		SKIP(return, "kernel built without CONFIG_TRANSPARENT_HUGEPAGE (no %s, no AnonHugePages in /proc/meminfo)", \
		     THP_DIR);							\
	ASSERT_EQ(0, __ret) TH_LOG("setting %s to %s: %s", path, value, strerror(-__ret)); \
} while (0)

/* SKIP the calling test when the kernel has no THP (see thp_configured()). */
#define THP_REQUIRE() do {							\
	if (!thp_configured())							\
		SKIP(return, "kernel built without CONFIG_TRANSPARENT_HUGEPAGE (no AnonHugePages in /proc/meminfo): no transparent huge pages"); \
} while (0)

#endif /* UFFDSCOPE_SYSFS_STATE_H */
