// SPDX-License-Identifier: GPL-2.0
/*
 * The suite's own promise to leave the machine as it found it (lib/sysfs_state):
 * a knob changed by a process that dies without restoring it, as a fixture
 * setup does when it SKIPs or fails (the harness then skips the teardown and
 * ends that process), is still written back by the next knob_restore_all() of
 * another process of the program.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sysfs_state.h"

/* Present on every kernel with swap, harmless to change for a moment. */
#define KNOB "/proc/sys/vm/swappiness"

TEST(knob_changed_by_a_dead_process_is_restored)
{
	long orig = knob_read_long(KNOB), now;
	int status;
	pid_t pid;

	if (orig == -ENOENT)
		SKIP(return, "%s missing: kernel without CONFIG_SWAP", KNOB);
	ASSERT_LE(0, orig) TH_LOG("%s: %s", KNOB, strerror(-orig));
	if (access(KNOB, W_OK))
		SKIP(return, "%s not writable here (%s): root needed", KNOB, strerror(errno));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		/* a setup that changes a knob, then skips: no teardown */
		_exit(knob_set_ulong(KNOB, orig == 100 ? 99 : 100) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child could not change %s", KNOB);
	now = knob_read_long(KNOB);
	ASSERT_NE(orig, now) TH_LOG("the child's change did not take");

	ASSERT_EQ(0, knob_restore_all());
	now = knob_read_long(KNOB);
	ASSERT_EQ(orig, now)
		TH_LOG("%s is %ld, not its original %ld: the change of a process that ended without its teardown was forgotten",
		       KNOB, now, orig);
}

TEST_HARNESS_MAIN
