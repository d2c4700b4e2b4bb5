// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-wp across fork() on shmem and hugetlbfs (catalog row WP-FORK). With
 * UFFD_FEATURE_EVENT_FORK the child's VMA stays registered on a new uffd, so
 * the kernel must copy the page tables of even a shared file VMA, markers and
 * wp bits included, or the child's writes would go unnoticed. Without the
 * feature the child's VMA is not registered, and no wp bit or marker may
 * survive into it: a stale one would show in its pagemap and would turn into
 * a spurious fault should the child register the range itself.
 *
 * The child runs a tiny command loop (write page i, acknowledge) so the test
 * thread can watch the child's uffd and the acknowledgement together.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "behaviour.h"
#include "memory.h"
#include "pagemap.h"
#include "sysfs_state.h"
#include "uffd.h"
#include "wp_expect.h"

#define ROW "WP-FORK"
#define NR_SHMEM_PAGES	8
#define NR_HUGE_PAGES	3
#define WAIT_MS		5000

struct forked {
	pid_t pid;
	int cmd;	/* write end: page indexes for the child to write */
	int ack;	/* read end: the child's acknowledgements */
};

static void child_loop(struct wp_area *w, int cmd, int ack, int cmd_wr, int ack_rd)
{
	int32_t page;

	/* The parent's ends: held here, they would keep the child from seeing EOF. */
	close(cmd_wr);
	close(ack_rd);
	while (read(cmd, &page, sizeof(page)) == sizeof(page) && page >= 0) {
		*(volatile unsigned char *)wp_page(w, (size_t)page) = 0xc5;
		if (write(ack, &page, sizeof(page)) != sizeof(page))
			break;
	}
	_exit(0);
}

struct fork_args {
	struct wp_area *w;
	struct forked *f;
	int cmd_rd, ack_wr, cmd_wr, ack_rd;
};

/*
 * fork() from a helper thread: with EVENT_FORK, fork() does not return until
 * the parent's uffd reader has taken the fork event, and that reader is the
 * test thread.
 */
static void *fork_thread(void *arg)
{
	struct fork_args *a = arg;
	pid_t pid = fork();

	if (pid == 0)
		child_loop(a->w, a->cmd_rd, a->ack_wr, a->cmd_wr, a->ack_rd);
	a->f->pid = pid;
	return NULL;
}

static __attribute__((noinline)) void forked_area_setup(struct __test_metadata *_metadata,
						 struct wp_area *w, enum mem_kind kind,
						 bool shared, bool event)
{
	uint64_t features = WP_FILE_FEATURES | (event ? UFFD_FEATURE_EVENT_FORK : 0);
	volatile unsigned char sink;

	WP_AREA_SETUP(w, kind, shared, kind == MEM_HUGETLB ? NR_HUGE_PAGES : NR_SHMEM_PAGES,
		      features, UFFDIO_REGISTER_MODE_WP);
	/*
	 * Page 0 written (for a private mapping: an anonymous copy, so the VMA
	 * has an anon_vma and fork copies its page table even without uffd-wp),
	 * the last page read (a present file page), the others left none.
	 */
	*(volatile unsigned char *)wp_page(w, 0) = page_pattern(WP_AREA_SEED, 0);
	sink = *(unsigned char *)wp_page(w, w->nr - 1);
	(void)sink;
	ASSERT_EQ(0, uffd_writeprotect(w->uffd, w->addr, w->len, true));
}

/* Fork; with @event, take the fork event and return the child's uffd. */
static __attribute__((noinline)) int do_fork(struct __test_metadata *_metadata,
					     struct wp_area *w, struct forked *f, bool event)
{
	int cmd[2], ack[2], child_uffd = -1, ret;
	struct fork_args args = { .w = w, .f = f };
	struct uffd_msg msg;
	pthread_t t;

	ASSERT_EQ(0, pipe2(cmd, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(ack, O_CLOEXEC));
	args.cmd_rd = cmd[0];
	args.ack_wr = ack[1];
	args.cmd_wr = cmd[1];
	args.ack_rd = ack[0];
	f->pid = -1;
	ASSERT_EQ(0, pthread_create(&t, NULL, fork_thread, &args));
	if (event) {
		ret = uffd_read_msg(w->uffd, &msg, WAIT_MS);
		ASSERT_EQ(0, ret) TH_LOG("no fork event on the parent's uffd: %s", strerror(-ret));
		ASSERT_EQ(UFFD_EVENT_FORK, msg.event) TH_LOG("expected the fork event, got %u", msg.event);
		child_uffd = (int)msg.arg.fork.ufd;
	}
	pthread_join(t, NULL);
	ASSERT_LT(0, f->pid) TH_LOG("fork: %s", strerror(errno));
	close(cmd[0]);
	close(ack[1]);
	f->cmd = cmd[1];
	f->ack = ack[0];
	if (!event)
		ASSERT_FALSE(uffd_msg_pending(w->uffd, &msg))
			TH_LOG("fork without EVENT_FORK raised event %u", msg.event);
	return child_uffd;
}

static void reap(struct forked *f)
{
	int32_t stop = -1;
	int status;

	if (f->pid <= 0)
		return;
	if (write(f->cmd, &stop, sizeof(stop)) != sizeof(stop))
		kill(f->pid, SIGKILL);
	waitpid(f->pid, &status, 0);
	close(f->cmd);
	close(f->ack);
	f->pid = -1;
}

/*
 * Have the child write page @i and report what @uffd (the child's, or the
 * parent's) saw: 1 with *@msg for a message (resolved by clearing uffd-wp on
 * that page through @uffd), 0 when the write completed silently.
 */
static int child_write(struct wp_area *w, struct forked *f, int uffd, size_t i,
		       struct uffd_msg *msg)
{
	struct pollfd pfd[2] = {
		{ .fd = uffd, .events = POLLIN },
		{ .fd = f->ack, .events = POLLIN },
	};
	int32_t page = (int32_t)i, done;
	int seen = 0, ret;

	if (write(f->cmd, &page, sizeof(page)) != sizeof(page))
		return -errno;
	for (;;) {
		ret = poll(pfd, 2, WAIT_MS);
		if (ret <= 0)
			return ret < 0 ? -errno : -ETIMEDOUT;
		if (uffd_msg_pending(uffd, msg)) {
			seen = 1;
			if (uffd_writeprotect(uffd, wp_page(w, i), w->unit, false))
				return -errno;
			continue;
		}
		if (pfd[1].revents & POLLIN) {
			if (read(f->ack, &done, sizeof(done)) != sizeof(done))
				return -EIO;
			/* A message raised before the ack is already queued. */
			if (!seen && uffd_msg_pending(uffd, msg))
				seen = 1;
			return seen;
		}
		if (pfd[1].revents & (POLLHUP | POLLERR))
			return -ECHILD;
	}
}

FIXTURE(fork) {
	struct wp_area w;
	struct forked f;
};

FIXTURE_VARIANT(fork) {
	enum mem_kind kind;
	bool shared;
	bool event;
};

FIXTURE_VARIANT_ADD(fork, shmem_shared_event) { .kind = MEM_SHMEM, .shared = true, .event = true };
FIXTURE_VARIANT_ADD(fork, shmem_private_event) { .kind = MEM_SHMEM, .shared = false, .event = true };
FIXTURE_VARIANT_ADD(fork, hugetlb_shared_event) { .kind = MEM_HUGETLB, .shared = true, .event = true };
FIXTURE_VARIANT_ADD(fork, hugetlb_private_event) { .kind = MEM_HUGETLB, .shared = false, .event = true };
FIXTURE_VARIANT_ADD(fork, shmem_shared_no_event) { .kind = MEM_SHMEM, .shared = true };
FIXTURE_VARIANT_ADD(fork, shmem_private_no_event) { .kind = MEM_SHMEM, .shared = false };
FIXTURE_VARIANT_ADD(fork, hugetlb_shared_no_event) { .kind = MEM_HUGETLB, .shared = true };
FIXTURE_VARIANT_ADD(fork, hugetlb_private_no_event) { .kind = MEM_HUGETLB, .shared = false };

FIXTURE_SETUP(fork)
{
	self->f.pid = -1;
	forked_area_setup(_metadata, &self->w, variant->kind, variant->shared, variant->event);
}

FIXTURE_TEARDOWN(fork)
{
	reap(&self->f);
	wp_area_teardown(&self->w);
	ASSERT_EQ(0, knob_restore_all());
}

/*
 * With EVENT_FORK: the child's pagemap shows uffd-wp on every page (present
 * wp PTEs and markers alike), and each write of the child raises one WP
 * fault on the child's uffd. Without it: no page of the child is uffd-wp
 * and its writes raise nothing anywhere.
 */
TEST_F(fork, child_wp_state_follows_event_fork)
{
	struct wp_area *w = &self->w;
	/* A written page, a marker, a read page: distinct even for 2 huge pages. */
	size_t probes[] = { 0, w->nr - 1, 1 }, i;
	int child_uffd, ret;
	struct wp_seen seen;
	struct uffd_msg msg;
	uint64_t pm;

	BEHAVIOUR(ROW);
	child_uffd = do_fork(_metadata, w, &self->f, variant->event);
	for (i = 0; i < w->nr; i++) {
		pm = WP_STATE(w, self->f.pid, i);
		if (variant->event)
			ASSERT_BEHAVIOUR(ROW, pm & PM_UFFD_WP,
					 "child page %zu lost uffd-wp across fork with EVENT_FORK: entry 0x%llx",
					 i, (unsigned long long)pm);
		else
			ASSERT_BEHAVIOUR(ROW, !(pm & PM_UFFD_WP),
					 "child page %zu keeps a stale uffd-wp bit across fork without EVENT_FORK: entry 0x%llx (%s)",
					 i, (unsigned long long)pm,
					 pm & PM_PRESENT ? "present PTE" : "not present");
		if (!wp_scope_seen(self->f.pid, wp_page(w, i), w->unit, &seen)) {
			bool wp = seen.view == VIEW_MARKER_WP || seen.view == VIEW_PRESENT_WP;

			ASSERT_WITNESS(wp == !!(pm & PM_UFFD_WP),
				       "child page %zu after fork %s EVENT_FORK: pagemap uffd_wp=%d, module %s (kind=%s level=%s)",
				       i, variant->event ? "with" : "without", !!(pm & PM_UFFD_WP),
				       wp_view_name(seen.view), seen.kind, seen.level);
		}
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		ret = child_write(w, &self->f, variant->event ? child_uffd : w->uffd, probes[i], &msg);
		ASSERT_LE(0, ret) TH_LOG("child write to page %zu: %s", probes[i], strerror(-ret));
		if (variant->event)
			ASSERT_BEHAVIOUR(ROW, ret == 1 && uffd_msg_is_wp_at(&msg, wp_page(w, probes[i]), w->unit),
					 "child write to page %zu: expected a WP fault on the child's uffd, saw %s",
					 probes[i], ret ? "another message" : "none");
		else
			ASSERT_BEHAVIOUR(ROW, ret == 0,
					 "child write to page %zu raised event %u flags 0x%llx without EVENT_FORK",
					 probes[i], msg.event, (unsigned long long)msg.arg.pagefault.flags);
	}
	/* The parent's own protection is untouched by the child's writes. */
	for (i = 0; i < w->nr; i++)
		ASSERT_TRUE(!!(WP_STATE(w, 0, i) & PM_UFFD_WP))
			TH_LOG("parent page %zu lost uffd-wp after the fork", i);
	reap(&self->f);
	if (child_uffd >= 0)
		close(child_uffd);
}

TEST_HARNESS_MAIN
