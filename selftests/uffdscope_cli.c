// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the uffdscope command (tools/uffdscope), the user's front door to
 * uffdscope.ko: what it prints for memory states this test builds in itself
 * (a none range, present anonymous pages, a write-protected shmem page, the
 * uffd-wp marker MADV_DONTNEED leaves, a PMD-mapped THP), that every --json
 * document parses with a strict parser, that each failure it can meet in a
 * VM (no such process, a kernel thread, debugfs not mounted, the module not
 * loaded, no CAP_SYS_ADMIN, no CAP_SYS_PTRACE for another process) gives its
 * one-line message and its own exit code, that bad RANGEs are usage errors,
 * and that `report` reads probe
 * programs' results, keeps its time budget and restores what a killed probe
 * changed. Failure states are made in private mount namespaces or child
 * processes: nothing outside the test changes.
 *
 * The command is found through $UFFDSCOPE_TOOL, beside this program, or as
 * /bin/uffdscope (where the VM's initramfs puts it). Lockdown cannot be
 * raised in a shared VM without locking down every later program, so its
 * diagnosis is checked by the host unit tests (make -C tools test).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "collapse_util.h"
#include "memory.h"
#include "scope.h"
#include "sysfs_state.h"
#include "uffd.h"

#define NR_PAGES 16
#define OUT_MAX (1 << 20)
/* Exit codes of the command (tools/uffdscope/uffdscope.h). */
#define TOOL_OK 0
#define TOOL_USAGE 2
#define TOOL_NO_PROCESS 3
#define TOOL_NO_MODULE 4
#define TOOL_NO_DEBUGFS 5
#define TOOL_NO_CAPABILITY 7
#define TOOL_ABSENT 8
/* A child's setup failed before the command ran. */
#define SETUP_FAILED 120

#define SCAN_SLEEP KHUGEPAGED_DIR "/scan_sleep_millisecs"

static char tool[PATH_MAX];

/* The command, or NULL. Inside the project's VM (/etc/uffdscope.conf) it must exist. */
static const char *find_tool(void)
{
	char exe[PATH_MAX];
	const char *env = getenv("UFFDSCOPE_TOOL");
	ssize_t n;

	if (env && !access(env, X_OK))
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(tool, sizeof(tool), "%s/uffdscope", dirname(exe));
		if (!access(tool, X_OK))
			return tool;
	}
	return access("/bin/uffdscope", X_OK) ? NULL : "/bin/uffdscope";
}

#define TOOL_REQUIRE() do {							\
	if (!find_tool()) {							\
		ASSERT_NE(0, access("/etc/uffdscope.conf", F_OK))		\
			TH_LOG("inside the uffdscope VM but no /bin/uffdscope: scripts/mkinitramfs.sh did not pack it"); \
		SKIP(return, "the uffdscope command is not installed (make tools; UFFDSCOPE_TOOL=tools/out/ARCH/uffdscope, or make install)"); \
	}								\
} while (0)

struct run {
	int rc;			/* exit code, or 128 + signal */
	char out[OUT_MAX];
	char err[4096];
};

static void slurp(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Run the command with @argv (NULL-terminated, without argv[0]); @setup, if
 * given, runs in the child first (namespaces, credentials) and returns 0.
 */
static void run_with(struct run *r, int (*setup)(void), char *const *argv)
{
	int out = memfd_create("cli-out", MFD_CLOEXEC);
	int err = memfd_create("cli-err", MFD_CLOEXEC);
	char *args[32];
	int i, status;
	pid_t pid;

	args[0] = (char *)find_tool();
	for (i = 0; argv[i] && i < 30; i++)
		args[i + 1] = argv[i];
	args[i + 1] = NULL;
	if (!setup) {
		/*
		 * Not fork(): it would write-protect this process's private
		 * anonymous pages (copy-on-write), the very state the command
		 * is asked about. posix_spawn() shares the mm until the exec.
		 */
		posix_spawn_file_actions_t fa;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, out, 1);
		posix_spawn_file_actions_adddup2(&fa, err, 2);
		if (posix_spawn(&pid, args[0], &fa, NULL, args, environ))
			pid = -1;
		posix_spawn_file_actions_destroy(&fa);
	} else {
		pid = fork();
		if (pid == 0) {
			if (dup2(out, 1) < 0 || dup2(err, 2) < 0 || setup())
				_exit(SETUP_FAILED);
			execv(args[0], args);
			_exit(SETUP_FAILED);
		}
	}
	status = SETUP_FAILED << 8;
	if (pid > 0)
		waitpid(pid, &status, 0);
	r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

#define RUN(r, ...) run_with(r, NULL, (char *const []){ __VA_ARGS__, NULL })
#define RUN_IN(r, setup, ...) run_with(r, setup, (char *const []){ __VA_ARGS__, NULL })

static char *fmt(const char *f, ...)
{
	static char bufs[8][64];
	static int next;
	char *b = bufs[next++ % 8];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return b;
}

/* ---- a strict JSON parser (RFC 8259), to prove every document parses ---- */

struct jp {
	const char *s;
	int depth;
	const char *error;
};

static void jp_ws(struct jp *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static bool jp_fail(struct jp *p, const char *why)
{
	if (!p->error)
		p->error = why;
	return false;
}

static bool jp_value(struct jp *p);

static bool jp_string(struct jp *p)
{
	int i;

	if (*p->s != '"')
		return jp_fail(p, "expected a string");
	for (p->s++; *p->s != '"'; p->s++) {
		if ((unsigned char)*p->s < 0x20)
			return jp_fail(p, "control character or end inside a string");
		if (*p->s != '\\')
			continue;
		p->s++;
		if (*p->s == 'u') {
			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p->s[i]))
					return jp_fail(p, "bad \\u escape");
			p->s += 4;
		} else if (!strchr("\"\\/bfnrt", *p->s) || !*p->s) {
			return jp_fail(p, "bad escape");
		}
	}
	p->s++;
	return true;
}

static bool jp_digits(struct jp *p)
{
	if (!isdigit((unsigned char)*p->s))
		return jp_fail(p, "expected a digit");
	while (isdigit((unsigned char)*p->s))
		p->s++;
	return true;
}

static bool jp_number(struct jp *p)
{
	if (*p->s == '-')
		p->s++;
	if (*p->s == '0')
		p->s++;
	else if (!jp_digits(p))
		return false;
	if (*p->s == '.') {
		p->s++;
		if (!jp_digits(p))
			return false;
	}
	if (*p->s == 'e' || *p->s == 'E') {
		p->s++;
		if (*p->s == '+' || *p->s == '-')
			p->s++;
		if (!jp_digits(p))
			return false;
	}
	return true;
}

static bool jp_members(struct jp *p, char close, bool named)
{
	p->s++;
	jp_ws(p);
	if (*p->s == close) {
		p->s++;
		return true;
	}
	for (;;) {
		jp_ws(p);
		if (named) {
			if (!jp_string(p))
				return false;
			jp_ws(p);
			if (*p->s++ != ':')
				return jp_fail(p, "expected ':'");
		}
		if (!jp_value(p))
			return false;
		jp_ws(p);
		if (*p->s == close) {
			p->s++;
			return true;
		}
		if (*p->s++ != ',')
			return jp_fail(p, "expected ',' or a closing bracket");
	}
}

static bool jp_value(struct jp *p)
{
	bool ok;

	jp_ws(p);
	if (++p->depth > 64)
		return jp_fail(p, "nested too deep");
	switch (*p->s) {
	case '{':
		ok = jp_members(p, '}', true);
		break;
	case '[':
		ok = jp_members(p, ']', false);
		break;
	case '"':
		ok = jp_string(p);
		break;
	case 't':
		ok = !strncmp(p->s, "true", 4) && (p->s += 4);
		break;
	case 'f':
		ok = !strncmp(p->s, "false", 5) && (p->s += 5);
		break;
	case 'n':
		ok = !strncmp(p->s, "null", 4) && (p->s += 4);
		break;
	default:
		ok = jp_number(p);
		break;
	}
	p->depth--;
	return ok || jp_fail(p, "bad value");
}

/* NULL when @text is one JSON document, else why not (and where, in @at). */
static const char *json_error(const char *text, long *at)
{
	struct jp p = { .s = text };

	if (jp_value(&p)) {
		jp_ws(&p);
		if (!*p.s)
			return NULL;
		jp_fail(&p, "text after the document");
	}
	*at = p.s - text;
	return p.error;
}

#define ASSERT_JSON(r) do {							\
	long __at = 0;								\
	const char *__why = json_error((r)->out, &__at);			\
	ASSERT_EQ(NULL, __why) TH_LOG("not JSON at byte %ld (%s): ...%.60s", __at, __why, (r)->out + __at); \
	ASSERT_NE(NULL, strstr((r)->out, "\"schema\": \"uffdscope\"")) TH_LOG("no schema key"); \
	ASSERT_NE(NULL, strstr((r)->out, "\"version\": 1")) TH_LOG("no version 1"); \
} while (0)

TEST(json_parser_rejects_what_it_must)
{
	static const char *const bad[] = {
		"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "01", "1.", "-", "\"\t\"",
		"{\"a\": tru}", "{} {}", "\"\\x\"", "{'a': 1}", "[1,]", "\"abc",
	};
	long at;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_NE(NULL, json_error(bad[i], &at)) TH_LOG("accepted bad document %zu", i);
	EXPECT_EQ(NULL, json_error("{\"a\": [1, -2.5e3, true, null, \"\\u00e9\\n\"], \"b\": {}}\n", &at));
}

/* ---- usage, ranges, and the failures a user meets ---- */

TEST(help_prints_usage_and_exits_0)
{
	struct run *r = malloc(sizeof(*r));

	TOOL_REQUIRE();
	RUN(r, "--help");
	EXPECT_EQ(TOOL_OK, r->rc);
	EXPECT_NE(NULL, strstr(r->out, "usage: uffdscope")) TH_LOG("%s", r->out);
	RUN(r, "frobnicate");
	EXPECT_EQ(TOOL_USAGE, r->rc) TH_LOG("unknown command: %s", r->err);
	RUN(r, "ptes");
	EXPECT_EQ(TOOL_USAGE, r->rc) TH_LOG("ptes without PID: %s", r->err);
	RUN(r, "--cols", "0", "map", "1");
	EXPECT_EQ(TOOL_USAGE, r->rc) TH_LOG("--cols 0: %s", r->err);
	free(r);
}

TEST(bad_ranges_and_pids_are_usage_errors)
{
	static const char *const bad[] = {
		"1000-1000", "2000-1000", "1000+0", "1000+", "-1000", "xyz", "0x",
		"1000-2000-3000", "1000+1f", "ffffffffffffffff+2", "1+18446744073709551616",
		"10000000000000000-10000000000000001", "1000+4KK",
	};
	struct run *r = malloc(sizeof(*r));
	char *self = fmt("%d", getpid());
	size_t i;

	TOOL_REQUIRE();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		RUN(r, "ptes", self, (char *)bad[i]);
		EXPECT_EQ(TOOL_USAGE, r->rc) TH_LOG("RANGE '%s': exit %d, %s", bad[i], r->rc, r->err);
		EXPECT_NE(NULL, strstr(r->err, "bad RANGE")) TH_LOG("RANGE '%s': %s", bad[i], r->err);
	}
	RUN(r, "explain", self, "0xfoo");
	EXPECT_EQ(TOOL_USAGE, r->rc) TH_LOG("ADDR 0xfoo: %s", r->err);
	RUN(r, "vmas", "0");
	EXPECT_EQ(TOOL_USAGE, r->rc) TH_LOG("PID 0: %s", r->err);
	RUN(r, "vmas", "12ab");
	EXPECT_EQ(TOOL_USAGE, r->rc) TH_LOG("PID 12ab: %s", r->err);
	/* Good ranges pass the parser: whatever follows is not a usage error. */
	RUN(r, "ptes", self, "0x1000+4K");
	EXPECT_NE(TOOL_USAGE, r->rc) TH_LOG("0x1000+4K: %s", r->err);
	RUN(r, "ptes", self, "1000-2000");
	EXPECT_NE(TOOL_USAGE, r->rc) TH_LOG("1000-2000: %s", r->err);
	free(r);
}

/* A pid that named a process a moment ago and names none now. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

TEST(no_such_process_exits_3)
{
	struct run *r = malloc(sizeof(*r));
	char *gone = fmt("%d", dead_pid());

	TOOL_REQUIRE();
	RUN(r, "ptes", gone);
	EXPECT_EQ(TOOL_NO_PROCESS, r->rc) TH_LOG("exit %d: %s", r->rc, r->err);
	EXPECT_NE(NULL, strstr(r->err, "no such process")) TH_LOG("%s", r->err);
	EXPECT_EQ(strlen(r->err) - 1, (size_t)(strchr(r->err, '\n') - r->err))
		TH_LOG("not one line: %s", r->err);
	RUN(r, "--json", "explain", gone, "0x1000");
	EXPECT_EQ(TOOL_NO_PROCESS, r->rc);
	ASSERT_JSON(r);
	EXPECT_NE(NULL, strstr(r->out, "\"name\": \"no-process\"")) TH_LOG("%s", r->out);
	free(r);
}

TEST(kernel_thread_exits_3)
{
	struct run *r = malloc(sizeof(*r));

	TOOL_REQUIRE();
	SCOPE_REQUIRE();
	/* pid 2 is kthreadd: it has no user address space (ENXIO). */
	RUN(r, "vmas", "2");
	EXPECT_EQ(TOOL_NO_PROCESS, r->rc) TH_LOG("exit %d: %s", r->rc, r->err);
	EXPECT_NE(NULL, strstr(r->err, "kernel thread")) TH_LOG("%s", r->err);
	free(r);
}

/* Child setups: a private mount namespace, so nothing outside the child changes. */
static int private_mounts(void)
{
	if (unshare(CLONE_NEWNS))
		return -1;
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

static int without_debugfs(void)
{
	if (private_mounts())
		return -1;
	while (!umount2("/sys/kernel/debug", MNT_DETACH))
		;
	return 0;
}

static int debugfs_mounted_here(void)
{
	struct stat st;

	/* An empty /sys/kernel/debug is the unmounted sysfs directory. */
	if (!stat("/sys/kernel/debug/fault_around_bytes", &st) ||
	    !stat("/sys/kernel/debug/bdi", &st))
		return 0;
	return mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
}

/* The module's files and its sysfs folder hidden under empty tmpfs mounts. */
static int without_module(void)
{
	struct stat st;

	if (private_mounts() || debugfs_mounted_here())
		return -1;
	if (!stat(SCOPE_DIR, &st) &&
	    mount("none", SCOPE_DIR, "tmpfs", MS_RDONLY, "size=4k"))
		return -1;
	/* The command asks /sys/module/uffdscope/initstate whether it is loaded. */
	if (!stat("/sys/module/uffdscope", &st) &&
	    mount("none", "/sys/module/uffdscope", "tmpfs", MS_RDONLY, "size=4k"))
		return -1;
	return 0;
}

static int as_nobody(void)
{
	if (private_mounts() || debugfs_mounted_here())
		return -1;
	return setgroups(0, NULL) || setgid(65534) || setuid(65534);
}

/* Root, but CAP_SYS_ADMIN gone from the bounding set, so exec cannot regain it. */
static int root_without_cap_sys_admin(void)
{
	return prctl(PR_CAPBSET_DROP, 21 /* CAP_SYS_ADMIN */, 0, 0, 0);
}

TEST(debugfs_not_mounted_exits_5)
{
	struct run *r = malloc(sizeof(*r));
	char *self = fmt("%d", getpid());

	TOOL_REQUIRE();
	RUN_IN(r, without_debugfs, "ptes", self);
	EXPECT_EQ(TOOL_NO_DEBUGFS, r->rc) TH_LOG("exit %d: %s", r->rc, r->err);
	EXPECT_NE(NULL, strstr(r->err, "debugfs is not mounted")) TH_LOG("%s", r->err);
	RUN_IN(r, without_debugfs, "--json", "map", self);
	EXPECT_EQ(TOOL_NO_DEBUGFS, r->rc);
	ASSERT_JSON(r);
	EXPECT_NE(NULL, strstr(r->out, "\"name\": \"no-debugfs\"")) TH_LOG("%s", r->out);
	free(r);
}

TEST(module_not_loaded_exits_4)
{
	struct run *r = malloc(sizeof(*r));
	char *self = fmt("%d", getpid());

	TOOL_REQUIRE();
	RUN_IN(r, without_module, "vmas", self);
	EXPECT_EQ(TOOL_NO_MODULE, r->rc) TH_LOG("exit %d: %s", r->rc, r->err);
	EXPECT_NE(NULL, strstr(r->err, "uffdscope.ko is not loaded")) TH_LOG("%s", r->err);
	RUN_IN(r, without_module, "explain", self, fmt("%p", (void *)r));
	EXPECT_EQ(TOOL_NO_MODULE, r->rc) TH_LOG("explain: exit %d: %s", r->rc, r->err);
	free(r);
}

TEST(unprivileged_user_exits_7)
{
	struct run *r = malloc(sizeof(*r));

	TOOL_REQUIRE();
	/* The target is the child itself: a process it may look at. */
	RUN_IN(r, as_nobody, "ptes", "1");
	EXPECT_EQ(TOOL_NO_CAPABILITY, r->rc) TH_LOG("exit %d: %s", r->rc, r->err);
	EXPECT_NE(NULL, strstr(r->err, "CAP_SYS_ADMIN")) TH_LOG("%s", r->err);
	free(r);
}

TEST(root_without_cap_sys_admin_exits_7)
{
	struct run *r = malloc(sizeof(*r));

	TOOL_REQUIRE();
	/* Root passes the directory's mode bits: only the module's capable() refuses. */
	SCOPE_REQUIRE();
	RUN_IN(r, root_without_cap_sys_admin, "ptes", fmt("%d", getpid()));
	EXPECT_EQ(TOOL_NO_CAPABILITY, r->rc) TH_LOG("exit %d: %s", r->rc, r->err);
	EXPECT_NE(NULL, strstr(r->err, "CAP_SYS_ADMIN")) TH_LOG("%s", r->err);
	free(r);
}

static int root_without_cap_sys_ptrace(void)
{
	return prctl(PR_CAPBSET_DROP, 19 /* CAP_SYS_PTRACE */, 0, 0, 0);
}

TEST(another_process_without_cap_sys_ptrace_exits_7)
{
	struct run *r = malloc(sizeof(*r));

	TOOL_REQUIRE();
	/* The module: CAP_SYS_ADMIN alone reads only the writer's own process. */
	SCOPE_REQUIRE();
	RUN_IN(r, root_without_cap_sys_ptrace, "vmas", "1");
	EXPECT_EQ(TOOL_NO_CAPABILITY, r->rc) TH_LOG("exit %d: %s", r->rc, r->err);
	EXPECT_NE(NULL, strstr(r->err, "CAP_SYS_PTRACE")) TH_LOG("%s", r->err);
	free(r);
}

/* ---- known states, read back through the command ---- */

FIXTURE(states) {
	struct run *r;
	size_t psize, len;
	char *self;
	char *area;
	int uffd, memfd;
};

FIXTURE_SETUP(states)
{
	self->r = malloc(sizeof(*self->r));
	self->psize = page_size();
	self->len = NR_PAGES * self->psize;
	self->uffd = -1;
	self->memfd = -1;
	self->area = MAP_FAILED;
	self->self = strdup(fmt("%d", getpid()));
	TOOL_REQUIRE();
	SCOPE_REQUIRE();
}

FIXTURE_TEARDOWN(states)
{
	int err = knob_restore_all();

	if (err)
		TH_LOG("teardown: restoring THP knobs failed: %s", strerror(-err));
	if (self->area != MAP_FAILED)
		munmap(self->area, self->len);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->memfd >= 0)
		close(self->memfd);
	free(self->r);
	free(self->self);
}

/* The glyphs of `map` for [@addr, @addr + @n pages), one glyph per page, into @row. */
static int map_row(struct run *r, const char *pid, void *addr, size_t n, size_t psize,
		   char *row)
{
	char *line;
	char *head = fmt("0x%012lx  ", (unsigned long)addr);

	RUN(r, "map", (char *)pid, fmt("%p+%zu", addr, n * psize), "--per", "1",
	    "--cols", fmt("%zu", n));
	if (r->rc)
		return r->rc;
	line = strstr(r->out, head);
	if (!line)
		return -1;
	line += strlen(head);
	memcpy(row, line, n);
	row[n] = '\0';
	return 0;
}

/* The `ptes` text line starting at @addr: "START END SIZE LEVEL KIND DETAILS". */
static const char *ptes_line(struct run *r, void *addr)
{
	char *start = fmt("\n0x%lx ", (unsigned long)addr);
	const char *l = strstr(r->out, start);

	return l ? l + 1 : NULL;
}

static bool has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	const char *end = strchr(line, '\n'), *p;

	for (p = line; (p = strstr(p, word)) && (!end || p < end); p += n)
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

TEST_F(states, none_range_is_all_none)
{
	char row[NR_PAGES + 1];
	const char *l;

	self->area = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	ASSERT_EQ(0, map_row(self->r, self->self, self->area, NR_PAGES, self->psize, row))
		TH_LOG("map: exit %d: %s", self->r->rc, self->r->err);
	EXPECT_STREQ("................", row);
	RUN(self->r, "ptes", self->self, fmt("%p+%zu", self->area, self->len));
	ASSERT_EQ(TOOL_OK, self->r->rc) TH_LOG("%s", self->r->err);
	EXPECT_EQ(NULL, strstr(self->r->out, " present ")) TH_LOG("%s", self->r->out);
	l = strstr(self->r->out, " none ");
	EXPECT_NE(NULL, l) TH_LOG("no none entry: %s", self->r->out);
	RUN(self->r, "--json", "ptes", self->self, fmt("%p+%zu", self->area, self->len));
	ASSERT_JSON(self->r);
	EXPECT_NE(NULL, strstr(self->r->out, "\"kind\": \"none\"")) TH_LOG("%s", self->r->out);
}

TEST_F(states, present_anon_then_read_only_half)
{
	char row[NR_PAGES + 1];
	const char *l;

	self->area = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	ASSERT_EQ(0, madvise_no_thp(self->area, self->len));
	memset(self->area, 1, self->len);
	ASSERT_EQ(0, mprotect(self->area + self->len / 2, self->len / 2, PROT_READ));
	ASSERT_EQ(0, map_row(self->r, self->self, self->area, NR_PAGES, self->psize, row))
		TH_LOG("map: exit %d: %s", self->r->rc, self->r->err);
	EXPECT_STREQ("########rrrrrrrr", row);
	RUN(self->r, "ptes", self->self, fmt("%p+%zu", self->area, self->len));
	ASSERT_EQ(TOOL_OK, self->r->rc) TH_LOG("%s", self->r->err);
	l = ptes_line(self->r, self->area);
	ASSERT_NE(NULL, l) TH_LOG("no line at %p: %s", self->area, self->r->out);
	EXPECT_TRUE(has_word(l, "present") && has_word(l, "backing=anon") && has_word(l, "write"))
		TH_LOG("first half: %.200s", l);
	l = ptes_line(self->r, self->area + self->len / 2);
	ASSERT_NE(NULL, l) TH_LOG("no line at the read-only half: %s", self->r->out);
	EXPECT_TRUE(has_word(l, "present") && !has_word(l, "write")) TH_LOG("second half: %.200s", l);
	/*
	 * --raw asks for pfn= with raw=1; a module that does not take the key
	 * refuses it (EINVAL) and is asked again: pfn= comes either way.
	 */
	RUN(self->r, "--raw", "ptes", self->self, fmt("%p+%zu", self->area, self->len));
	ASSERT_EQ(TOOL_OK, self->r->rc) TH_LOG("--raw: %s", self->r->err);
	l = ptes_line(self->r, self->area);
	ASSERT_NE(NULL, l) TH_LOG("--raw: no line at %p: %s", self->area, self->r->out);
	EXPECT_NE(NULL, strstr(l, " pfn=0x")) TH_LOG("--raw: %.200s", l);
}

/* A shared memfd with its page cache filled, registered uffd-wp; page 3 protected. */
static int wp_shmem(struct __test_metadata *_metadata, FIXTURE_DATA(states) *self)
{
	uint64_t missing;

	self->uffd = uffd_open(UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
			       &missing);
	if (self->uffd == -EOPNOTSUPP)
		return -EOPNOTSUPP;
	if (self->uffd < 0)
		return self->uffd;
	self->memfd = memfd_create("uffdscope-cli", MFD_CLOEXEC);
	if (self->memfd < 0 || ftruncate(self->memfd, self->len))
		return -errno;
	self->area = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, self->memfd, 0);
	if (self->area == MAP_FAILED)
		return -errno;
	memset(self->area, 0x5a, self->len);
	if (uffd_register(self->uffd, self->area, self->len, UFFDIO_REGISTER_MODE_WP))
		return -EIO;
	return uffd_writeprotect(self->uffd, self->area + 3 * self->psize, self->psize, true);
}

#define WP_SHMEM() do {								\
	int __e = wp_shmem(_metadata, self);					\
	if (__e == -EOPNOTSUPP)							\
		SKIP(return, "this kernel's userfaultfd has no uffd-wp for shmem (arm64 has it from 6.10)"); \
	ASSERT_EQ(0, __e) TH_LOG("uffd-wp shmem setup: %s", strerror(-__e));	\
} while (0)

TEST_F(states, write_protected_shmem_page)
{
	char row[NR_PAGES + 1];
	const char *l;

	WP_SHMEM();
	ASSERT_EQ(0, map_row(self->r, self->self, self->area, NR_PAGES, self->psize, row))
		TH_LOG("map: exit %d: %s", self->r->rc, self->r->err);
	EXPECT_STREQ("###W############", row);
	RUN(self->r, "ptes", self->self, fmt("%p+%zu", self->area, self->len));
	ASSERT_EQ(TOOL_OK, self->r->rc) TH_LOG("%s", self->r->err);
	l = ptes_line(self->r, self->area + 3 * self->psize);
	ASSERT_NE(NULL, l) TH_LOG("no line for page 3: %s", self->r->out);
	EXPECT_TRUE(has_word(l, "uffd_wp") && has_word(l, "backing=shmem") && !has_word(l, "write"))
		TH_LOG("page 3: %.200s", l);
	RUN(self->r, "vmas", self->self, fmt("%p+%zu", self->area, self->len));
	ASSERT_EQ(TOOL_OK, self->r->rc) TH_LOG("%s", self->r->err);
	EXPECT_NE(NULL, strstr(self->r->out, " wp ")) TH_LOG("vmas: %s", self->r->out);
	RUN(self->r, "--json", "vmas", self->self);
	ASSERT_JSON(self->r);
	EXPECT_NE(NULL, strstr(self->r->out, "\"uffd_wp\": 1")) TH_LOG("%s", self->r->out);
}

TEST_F(states, marker_after_dontneed)
{
	char row[NR_PAGES + 1];
	const char *l;

	WP_SHMEM();
	ASSERT_EQ(0, madvise(self->area, self->len, MADV_DONTNEED));
	ASSERT_EQ(0, map_row(self->r, self->self, self->area, NR_PAGES, self->psize, row))
		TH_LOG("map: exit %d: %s", self->r->rc, self->r->err);
	EXPECT_STREQ("...M............", row);
	RUN(self->r, "ptes", self->self, fmt("%p+%zu", self->area, self->len));
	ASSERT_EQ(TOOL_OK, self->r->rc) TH_LOG("%s", self->r->err);
	l = ptes_line(self->r, self->area + 3 * self->psize);
	ASSERT_NE(NULL, l) TH_LOG("no line for page 3: %s", self->r->out);
	EXPECT_TRUE(has_word(l, "marker") && has_word(l, "marker_uffd_wp"))
		TH_LOG("page 3: %.200s", l);
	RUN(self->r, "--json", "map", self->self, fmt("%p+%zu", self->area, self->len));
	ASSERT_JSON(self->r);
	EXPECT_NE(NULL, strstr(self->r->out, "...M............")) TH_LOG("%s", self->r->out);
}

TEST_F(states, pmd_mapped_thp)
{
	long pmd = knob_read_long(THP_DIR "/hpage_pmd_size");
	size_t n = pmd > 0 ? pmd / self->psize : 1;
	char *row = malloc(n + 1), *want = malloc(n + 1);
	const char *l;
	int ret;

	if (pmd <= 0)
		SKIP(return, "no %s/hpage_pmd_size: this kernel has no THP (CONFIG_TRANSPARENT_HUGEPAGE off, or PREEMPT_RT)",
		     THP_DIR);
	ASSERT_EQ(0, knob_set(THP_ENABLED, "madvise"));
	self->len = pmd;
	self->area = mmap_aligned(pmd, pmd, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	ASSERT_EQ(0, madvise(self->area, pmd, MADV_HUGEPAGE));
	memset(self->area, 3, pmd);
	ret = madv_collapse(self->area, pmd);
	if (ret == -EINVAL)
		SKIP(return, "MADV_COLLAPSE not supported by this kernel");
	ASSERT_EQ(0, ret) TH_LOG("MADV_COLLAPSE: %s", collapse_errname(ret));
	ASSERT_EQ(0, map_row(self->r, self->self, self->area, n, self->psize, row))
		TH_LOG("map: exit %d: %s", self->r->rc, self->r->err);
	memset(want, 'T', n);
	want[n] = '\0';
	EXPECT_STREQ(want, row);
	RUN(self->r, "ptes", self->self, fmt("%p+%zu", self->area, pmd));
	ASSERT_EQ(TOOL_OK, self->r->rc) TH_LOG("%s", self->r->err);
	l = ptes_line(self->r, self->area);
	ASSERT_NE(NULL, l) TH_LOG("no line at %p: %s", self->area, self->r->out);
	EXPECT_TRUE(has_word(l, "pmd") && has_word(l, "present") && has_word(l, "backing=anon"))
		TH_LOG("THP: %.200s", l);
	free(row);
	free(want);
}

/* explain says what the module's verdict files say, reason and inputs included. */
TEST_F(states, explain_repeats_the_module_verdicts)
{
	struct scope_answer direct;
	char q[128], verdict[64], *page;
	const char *why;
	int i;

	self->memfd = memfd_create("uffdscope-cli", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, self->len));
	self->area = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	/* Every other page cached, none mapped: fault-around has something to map. */
	page = malloc(self->psize);
	ASSERT_NE(NULL, page);
	memset(page, 7, self->psize);
	for (i = 0; i < NR_PAGES; i += 2)
		ASSERT_EQ((ssize_t)self->psize, pwrite(self->memfd, page, self->psize, i * self->psize));
	free(page);
	RUN(self->r, "explain", self->self, fmt("%p", self->area + self->psize));
	ASSERT_EQ(TOOL_OK, self->r->rc) TH_LOG("%s", self->r->err);
	snprintf(q, sizeof(q), "pid=%d start=%p", getpid(), self->area + self->psize);
	ASSERT_EQ(0, scope_query("collapse", q, &direct));
	why = NULL;
	for (i = 0; i < direct.nlines; i++)
		if (scope_get(&direct.lines[i], "verdict")) {
			snprintf(verdict, sizeof(verdict), "%s (%s)",
				 scope_get(&direct.lines[i], "verdict"),
				 scope_get(&direct.lines[i], "scan"));
			why = scope_get(&direct.lines[i], "why");
		}
	ASSERT_NE(NULL, why);
	EXPECT_NE(NULL, strstr(self->r->out, verdict)) TH_LOG("want '%s' in: %s", verdict, self->r->out);
	/* scope.c cuts at spaces: the first word of the reason is enough here. */
	EXPECT_NE(NULL, strstr(self->r->out, why)) TH_LOG("want '%s' in: %s", why, self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "faults around: ")) TH_LOG("%s", self->r->out);
	scope_free(&direct);
	RUN(self->r, "--json", "explain", self->self, fmt("%p", self->area + self->psize));
	ASSERT_JSON(self->r);
	EXPECT_NE(NULL, strstr(self->r->out, "\"faultaround\": {")) TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "\"scan\": \"SCAN_")) TH_LOG("%s", self->r->out);
}

/* ---- report: the suite's programs as probes ---- */

/*
 * This program doubles as the report's probe programs when started under a
 * stub name: each prints what one kind of kselftest result looks like.
 */
static int stub_probe(const char *name)
{
	char buf[32];
	int fd;

	if (!strcmp(name, "a_present")) {
		printf("TAP version 13\n1..1\n#  RUN           global.a ...\n");
		printf("# behaviour: ROW-A\nok 1 global.a\n");
		return 0;
	}
	if (!strcmp(name, "b_absent")) {
		printf("TAP version 13\n1..1\n#  RUN           global.b ...\n# behaviour: ROW-B\n");
		printf("# absent: ROW-B: MADV_COLLAPSE returned 0, expected EBUSY\n");
		printf("not ok 1 global.b\n");
		return 1;
	}
	if (!strcmp(name, "c_unsupported")) {
		printf("TAP version 13\n1..1\n#  RUN           global.c ...\n# behaviour: ROW-C\n");
		printf("ok 1 global.c # SKIP no uffd-wp for shmem here\n");
		return 4;
	}
	if (!strcmp(name, "d_hang")) {
		printf("TAP version 13\n1..1\n#  RUN           global.d ...\n# behaviour: ROW-D\n");
		fflush(stdout);
		/* Change a knob, and leave a grandchild in its own process group. */
		fd = open(SCAN_SLEEP, O_WRONLY);
		if (fd >= 0) {
			snprintf(buf, sizeof(buf), "%ld", knob_read_long(SCAN_SLEEP) + 1234);
			if (write(fd, buf, strlen(buf)) < 0)
				perror("scan_sleep_millisecs");
			close(fd);
		}
		if (fork() == 0)
			setpgid(0, 0);
		for (;;)
			pause();
	}
	if (!strcmp(name, "e_after")) {
		printf("#  RUN           global.e ...\n# behaviour: ROW-E\nok 1 global.e\n");
		return 0;
	}
	return -1;
}

static const char catalog[] =
	"# test catalog\nid\tsince\tupstream\tsummary\n"
	"ROW-A\tv1\tx\ta\nROW-B\tv1\tx\tb\nROW-C\tv1\tx\tc\nROW-D\tv1\tx\td\n"
	"ROW-E\tv1\tx\te\nROW-F\tv1\tx\tf\n";

/* A folder of stub probes (links to this program) and a catalog file. */
static void stub_dir(char *dir, const char *const *names)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f;

	exe[n > 0 ? n : 0] = '\0';
	strcpy(dir, "/tmp/uffdscope-cli.XXXXXX");
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/catalog.tsv", dir);
	f = fopen(path, "w");
	if (f) {
		fputs(catalog, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/probes", dir);
	mkdir(path, 0755);
	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/probes/%s", dir, *names);
		if (symlink(exe, path))
			perror(path);
	}
}

static void remove_dir(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		perror(cmd);
}

/* The text report's line for @row, or NULL. */
static const char *row_line(const char *out, const char *row)
{
	char *head = fmt("\n%s ", row);
	const char *l = strstr(out, head);

	return l ? l + 1 : NULL;
}

TEST(report_reads_present_absent_unsupported)
{
	static const char *const probes[] = { "a_present", "b_absent", "c_unsupported", NULL };
	struct run *r = malloc(sizeof(*r));
	char dir[64], tests[96], cat[96];
	const char *l;

	TOOL_REQUIRE();
	stub_dir(dir, probes);
	snprintf(tests, sizeof(tests), "%s/probes", dir);
	snprintf(cat, sizeof(cat), "%s/catalog.tsv", dir);
	RUN(r, "report", "--tests", tests, "--catalog", cat);
	EXPECT_EQ(TOOL_ABSENT, r->rc) TH_LOG("exit %d: %s", r->rc, r->err);
	l = row_line(r->out, "ROW-A");
	EXPECT_TRUE(l && !strncmp(l + 27, "present", 7)) TH_LOG("%s", r->out);
	l = row_line(r->out, "ROW-B");
	EXPECT_TRUE(l && !strncmp(l + 27, "absent", 6) &&
		    strstr(l, "MADV_COLLAPSE returned 0, expected EBUSY")) TH_LOG("%s", r->out);
	l = row_line(r->out, "ROW-C");
	EXPECT_TRUE(l && !strncmp(l + 27, "unsupported", 11) &&
		    strstr(l, "no uffd-wp for shmem here")) TH_LOG("%s", r->out);
	/* Built at run time: this binary (the stubs) must not hold the id as a string. */
	l = row_line(r->out, fmt("ROW-%c", 'F'));
	EXPECT_TRUE(l && !strncmp(l + 27, "unknown", 7) && strstr(l, "no probe program"))
		TH_LOG("%s", r->out);
	RUN(r, "--json", "report", "--tests", tests, "--catalog", cat);
	EXPECT_EQ(TOOL_ABSENT, r->rc);
	ASSERT_JSON(r);
	EXPECT_NE(NULL, strstr(r->out, "\"status\": \"absent\"")) TH_LOG("%s", r->out);
	remove_dir(dir);
	free(r);
}

TEST(report_keeps_its_budget_and_restores_knobs)
{
	static const char *const probes[] = { "a_present", "d_hang", "e_after", NULL };
	struct run *r = malloc(sizeof(*r));
	char dir[64], tests[96], cat[96];
	long before = knob_read_long(SCAN_SLEEP);
	struct timespec t0, t1;
	const char *l;
	double secs;

	TOOL_REQUIRE();
	stub_dir(dir, probes);
	snprintf(tests, sizeof(tests), "%s/probes", dir);
	snprintf(cat, sizeof(cat), "%s/catalog.tsv", dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	RUN(r, "report", "--budget", "3", "--tests", tests, "--catalog", cat);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (before >= 0 && knob_read_long(SCAN_SLEEP) != before)
		knob_set_ulong(SCAN_SLEEP, before);
	EXPECT_EQ(TOOL_OK, r->rc) TH_LOG("exit %d: %s%s", r->rc, r->err, r->out);
	EXPECT_LE(3.0, secs) TH_LOG("report returned before its budget: %.1f s", secs);
	/* Generous: TCG on a shared host; a report that ignores its budget never returns. */
	EXPECT_GE(60.0, secs) TH_LOG("report took %.1f s for a 3 s budget", secs);
	l = row_line(r->out, "ROW-D");
	EXPECT_TRUE(l && strstr(l, "unknown") && strstr(l, "time budget")) TH_LOG("%s", r->out);
	l = row_line(r->out, "ROW-E");
	EXPECT_TRUE(l && strstr(l, "unknown") && strstr(l, "time budget")) TH_LOG("%s", r->out);
	EXPECT_NE(NULL, strstr(r->out, "d_hang")) TH_LOG("%s", r->out);
	if (before >= 0) {
		EXPECT_NE(NULL, strstr(r->out, "restored: " SCAN_SLEEP)) TH_LOG("%s", r->out);
		EXPECT_EQ(before, knob_read_long(SCAN_SLEEP)) TH_LOG("the killed probe's knob stayed changed");
	}
	remove_dir(dir);
	free(r);
}

TEST(report_facts_match_the_system)
{
	static const char *const none[] = { NULL };
	struct run *r = malloc(sizeof(*r));
	char dir[64], tests[96], cat[96], pmd[32];

	TOOL_REQUIRE();
	stub_dir(dir, none);
	snprintf(tests, sizeof(tests), "%s/probes", dir);
	snprintf(cat, sizeof(cat), "%s/catalog.tsv", dir);
	RUN(r, "--json", "report", "--tests", tests, "--catalog", cat);
	EXPECT_EQ(TOOL_OK, r->rc) TH_LOG("%s", r->err);
	ASSERT_JSON(r);
	EXPECT_NE(NULL, strstr(r->out, fmt("\"page_size\": %zu,", page_size()))) TH_LOG("%s", r->out);
	if (knob_read(THP_DIR "/hpage_pmd_size", pmd, sizeof(pmd)) == 0)
		EXPECT_NE(NULL, strstr(r->out, fmt("\"pmd_size\": %s,", pmd))) TH_LOG("%s", r->out);
	if (!access("/dev/userfaultfd", F_OK))
		EXPECT_NE(NULL, strstr(r->out, "\"dev_userfaultfd\": \"present\"")) TH_LOG("%s", r->out);
	EXPECT_NE(NULL, strstr(r->out, "\"status\": \"unknown\"")) TH_LOG("%s", r->out);
	remove_dir(dir);
	free(r);
}

int main(int argc, char **argv)
{
	int rc = stub_probe(basename(argv[0]));

	if (rc >= 0)
		return rc;
	return test_harness_run(argc, argv);
}
