// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input for uffdscope.ko: generated and mutated queries to every
 * debugfs file (ptes, vmas, collapse, faultaround, version), for a time
 * budget. Each input is checked against a model of the documented parser
 * (Documentation/debugfs-abi.rst, collapse-verdicts.rst): a write or read
 * must return success or the errno the model predicts, never an errno the
 * documents do not list, and every answer must parse as key=value lines that
 * agree with the query. The kernel log (oops, KASAN, lockdep) is the runner's
 * to check.
 *
 * Targets: this process, a sleeping child, a zombie, a process exiting right
 * now, a reaped pid, a kernel thread, a process of another pid namespace, and
 * pids 0, 1, negative and out of range. Reads: sizes from one byte up, lseek
 * and pread, reads before any query, new queries in the middle of an answer,
 * two threads on one file descriptor, bad user buffers.
 *
 *   fuzz_queries [harness options]   UFFDSCOPE_FUZZ_SECONDS (default 40),
 *                                    UFFDSCOPE_FUZZ_SEED (default: time)
 *   fuzz_queries --replay FILE       run the inputs of FILE (corpus syntax)
 *
 * Every failure prints a "REPLAY: FILE QUERY" line; the corpus of
 * selftests/fuzz-corpus/ (built into the program) is replayed first.
 * Documentation/robustness.rst has the results per kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memory.h"
#include "scope.h"
#include "uffdscope_ptes.h"

#define QUERY_MAX	256	/* the module's UFFDSCOPE_QUERY_MAX */
#define INPUT_MAX	1024	/* generated inputs, overlong ones included */
#define ANSWER_CAP	(8 << 20)

/*
 * The corpus, built into the program: the VMs have only the binary. The
 * labels are global (hidden): arm64 resolves a local label through a GOT
 * slot of its section, which made both names point at the first file.
 */
#define CORPUS_FILE(sym, path)						\
	__asm__(".section .rodata\n.balign 8\n.globl " #sym "\n"	\
		".hidden " #sym "\n" #sym ":\n"				\
		".incbin \"" path "\"\n.byte 0\n.previous\n");		\
	extern const char sym[]
CORPUS_FILE(corpus_queries, "fuzz-corpus/queries.txt");
CORPUS_FILE(corpus_regressions, "fuzz-corpus/regressions.txt");

static double budget_seconds = 40;
/* Newer kstrtobool() also takes e/E and d/D (enable, disable): probed. */
static bool bool_takes_ed;
/* The fuzzing thread dropped CAP_SYS_PTRACE: only its own process answers. */
static bool without_ptrace;
static uint64_t seed;
static const char *replay_path;

/* ---- deterministic randomness ---------------------------------------- */

static uint64_t rng;

static uint64_t rnd(void)
{
	/* splitmix64: one state word, every seed a full-period stream */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the files and what they accept ---------------------------------- */

enum file_id { F_PTES, F_VMAS, F_COLLAPSE, F_FAULTAROUND, F_VERSION, NR_FILES };

static const char *const file_names[NR_FILES] = {
	"ptes", "vmas", "collapse", "faultaround", "version",
};

enum key_bit {
	K_PID = 1, K_START = 2, K_END = 4, K_LEN = 8, K_MODE = 16, K_NONE = 32, K_RAW = 64,
	K_FORMAT = 128,
};

#define NR_KEYS 8

static const char *const common_keys[NR_KEYS] = {
	"pid", "start", "end", "len", "mode", "none", "raw", "format",
};

/* format=bin answers in records of this size (uapi/uffdscope_ptes.h) */
#define BIN_RECORD	sizeof(struct uffdscope_ptes_record)

static unsigned int allowed_keys(enum file_id f)
{
	switch (f) {
	case F_PTES:
		return K_PID | K_START | K_END | K_LEN | K_MODE | K_NONE | K_RAW | K_FORMAT;
	case F_VMAS:
		return K_PID | K_START | K_END | K_LEN;
	case F_COLLAPSE:
	case F_FAULTAROUND:
		return K_PID | K_START;
	default:
		return 0;
	}
}

static const char *extra_key(enum file_id f)
{
	return f == F_FAULTAROUND ? "fault_around_bytes" : NULL;
}

static int file_by_name(const char *name, size_t len)
{
	int f;

	for (f = 0; f < NR_FILES; f++)
		if (strlen(file_names[f]) == len && !memcmp(file_names[f], name, len))
			return f;
	return -1;
}

/* ---- the processes queries name --------------------------------------- */

enum target_kind {
	T_ABSENT,	/* no such pid when checked */
	T_ALIVE,	/* a user process that stays */
	T_EXITING,	/* may be alive, exiting or gone */
	T_ZOMBIE,
	T_KTHREAD,
	T_UNKNOWN,	/* exists, not ours: any documented answer */
};

struct targets {
	pid_t self, sleeper, zombie, gone, kthread, nschild, nsparent;
	volatile pid_t *churn;		/* shared with the churner */
	pid_t churner;
	int hold[2];			/* the sleeper and nschild block on it */
	char *map, *shm, *hole;
	size_t map_len;
	unsigned long top;		/* the targets' TASK_SIZE */
	size_t page;
	size_t pmd;
};

static struct targets tg;

static void *must_map(size_t len, int fd, bool shared)
{
	void *p = mmap_2m(fd, len, shared);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static pid_t fork_blocked(void)
{
	pid_t pid = fork();
	char c;

	if (pid == 0) {
		close(tg.hold[1]);
		while (read(tg.hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	return pid;
}

/* A child that forks children which map, touch and exit, without pause. */
static void churn_loop(void)
{
	for (;;) {
		pid_t pid = fork();

		if (pid == 0) {
			char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p != MAP_FAILED)
				memset(p, 1, 1 << 20);
			_exit(0);
		}
		if (pid > 0) {
			*tg.churn = pid;
			waitpid(pid, NULL, 0);
		}
		if (getppid() == 1)
			_exit(0);
	}
}

/*
 * Whether this kernel has pid namespaces: without CONFIG_PID_NS (the
 * tinyconfig-based kernels built from linux-source) unshare() says EINVAL.
 */
static bool pidns_supported(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWPID) ? (errno == EINVAL ? 3 : 1) : 0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return true;	/* let the real attempt fail loudly */
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

/* pid 1 of a new pid namespace: blocks like the sleeper. */
static pid_t fork_in_new_pidns(void)
{
	int report[2];
	pid_t mid, inner = -1;

	if (pipe(report))
		return -1;
	mid = fork();
	if (mid == 0) {
		close(report[0]);
		if (unshare(CLONE_NEWPID))
			_exit(1);
		inner = fork_blocked();
		if (write(report[1], &inner, sizeof(inner)) != sizeof(inner))
			_exit(1);
		waitpid(inner, NULL, 0);
		_exit(0);
	}
	close(report[1]);
	if (mid < 0 || read(report[0], &inner, sizeof(inner)) != sizeof(inner))
		inner = -1;
	close(report[0]);
	tg.nsparent = mid;
	return inner;
}

static pid_t find_kthread(void)
{
	char path[64], buf[512], *p;
	unsigned long flags;
	pid_t pid;
	int fd, i;
	ssize_t n;

	for (pid = 3; pid < 200; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		/* after ")": state ppid pgrp session tty_nr tpgid flags */
		for (i = 0; p && i < 7; i++)
			p = strchr(p + 1, ' ');
		if (p && sscanf(p, "%lu", &flags) == 1 && (flags & 0x00200000))
			return pid;	/* PF_KTHREAD */
	}
	return 2;
}

/* TASK_SIZE from the module: the summary of a query without an end. */
static unsigned long learn_top(void)
{
	struct scope_answer ans;
	const struct scope_line *sum;
	char q[96];
	unsigned long top = 0;
	int local;

	snprintf(q, sizeof(q), "pid=%d start=%p none=0", getpid(), (void *)&local);
	if (scope_query("ptes", q, &ans))
		return 0;
	sum = scope_summary(&ans);
	if (sum)
		top = scope_num(sum, "end", 0);
	scope_free(&ans);
	return top;
}

static void targets_start(void)
{
	int memfd;
	pid_t pid;

	memset(&tg, 0, sizeof(tg));
	tg.page = page_size();
	tg.pmd = SZ_2M;
	{
		long v = 0;
		FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");

		if (f && fscanf(f, "%ld", &v) == 1 && v > 0)
			tg.pmd = v;
		if (f)
			fclose(f);
	}
	tg.self = getpid();
	tg.map_len = 2 * tg.pmd;
	tg.map = must_map(tg.map_len, -1, false);
	memset(tg.map, 0x5a, tg.map_len / 2);
	memfd = memfd_pages("fuzz-shm", tg.map_len / tg.page);
	if (memfd < 0)
		exit(1);
	memfd_fill(memfd, 0, tg.map_len / tg.page / 2, 7);
	tg.shm = must_map(tg.map_len, memfd, true);
	close(memfd);
	tg.hole = must_map(tg.pmd, -1, false);
	munmap(tg.hole, tg.pmd);
	tg.top = learn_top();
	{
		struct scope_answer ans;
		char q[64];

		snprintf(q, sizeof(q), "pid=%d start=0x%lx len=1 none=e", getpid(),
			 (unsigned long)tg.map);
		bool_takes_ed = !scope_query("ptes", q, &ans);
		if (bool_takes_ed)
			scope_free(&ans);
	}

	tg.churn = mmap(NULL, tg.page, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tg.churn == MAP_FAILED || pipe(tg.hold))
		exit(1);
	tg.sleeper = fork_blocked();
	pid = fork();
	if (pid == 0)
		_exit(0);
	tg.zombie = pid;
	{
		siginfo_t si;

		waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	}
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	tg.gone = pid;
	tg.churner = fork();
	if (tg.churner == 0)
		churn_loop();
	while (!*tg.churn)
		sched_yield();
	tg.kthread = find_kthread();
	if (pidns_supported()) {
		tg.nschild = fork_in_new_pidns();
	} else {
		/* the same kind of target (alive, blocked), outside a namespace */
		printf("# no pid namespaces in this kernel (unshare(CLONE_NEWPID): EINVAL): {nschild} is the sleeper\n");
		tg.nschild = tg.sleeper;
	}
}

static void targets_stop(void)
{
	/* every child inherited the hold pipe: end them, do not wait for EOF */
	pid_t kids[] = { tg.churner, tg.sleeper, tg.nschild, tg.nsparent, tg.zombie };
	unsigned int i;

	close(tg.hold[1]);
	close(tg.hold[0]);
	for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i] > 0 && (kids[i] != tg.nschild || tg.nschild == tg.sleeper))
			waitpid(kids[i], NULL, 0);
}

static enum target_kind classify(long pid, bool in_new_ns)
{
	if (in_new_ns) {
		/* a fresh namespace holds pid 1 (ourself) only */
		return pid == 1 ? T_ALIVE : T_ABSENT;
	}
	if (pid == tg.self || pid == tg.sleeper || pid == tg.nschild || pid == 1)
		return T_ALIVE;
	if (pid == tg.zombie)
		return T_ZOMBIE;
	if (pid == tg.kthread || pid == 2)
		return T_KTHREAD;
	if (pid == *tg.churn)
		return T_EXITING;
	if (pid > 0 && pid <= INT_MAX && kill((pid_t)pid, 0) && errno == ESRCH)
		return T_ABSENT;
	/* the churner forks a new pid at any time; any other is not ours */
	return T_UNKNOWN;
}

/* ---- escapes and placeholders ------------------------------------------ */

static size_t unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o < cap; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < n) {
			char e = s[++i];

			if (e == 'x' && i + 2 < n) {
				char hex[3] = { s[i + 1], s[i + 2], 0 };

				c = (char)strtoul(hex, NULL, 16);
				i += 2;
			} else {
				c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' :
				    e == '0' ? '\0' : e == 's' ? ' ' : e;
			}
		}
		out[o++] = c;
	}
	return o;
}

static void escape(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = s[i];

		if (c == '\\')
			o += snprintf(out + o, cap - o, "\\\\");
		else if (c == ' ' && (i == 0 || i + 1 == n || s[i + 1] == ' '))
			o += snprintf(out + o, cap - o, "\\s");
		else if (c < 0x20 || c >= 0x7f)
			o += snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = c;
	}
	out[o] = '\0';
}

static bool placeholder_value(const char *name, size_t n, uint64_t *v, char *fmt)
{
	static const struct { const char *name; char fmt; } names[] = {
		{ "self", 'd' }, { "sleeper", 'd' }, { "zombie", 'd' },
		{ "churn", 'd' }, { "kthread", 'd' }, { "gone", 'd' },
		{ "nschild", 'd' }, { "map", 'x' }, { "map_end", 'x' },
		{ "shm", 'x' }, { "hole", 'x' }, { "top", 'x' }, { "page", 'x' },
		{ "pmd", 'x' }, { "ptrs", 'd' },
	};
	uint64_t vals[] = {
		tg.self, tg.sleeper, tg.zombie, *tg.churn, tg.kthread, tg.gone,
		tg.nschild, (uintptr_t)tg.map, (uintptr_t)tg.map + tg.map_len,
		(uintptr_t)tg.shm, (uintptr_t)tg.hole, tg.top, tg.page, tg.pmd,
		tg.page / 8 * tg.page,
	};
	unsigned int i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		if (strlen(names[i].name) == n && !memcmp(names[i].name, name, n)) {
			*v = vals[i];
			*fmt = names[i].fmt;
			return true;
		}
	}
	return false;
}

/* Replace each well-formed {name[+-N][:f]}; anything else stays as it is. */
static size_t resolve(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < n && o < cap) {
		const char *close = s[i] == '{' ? memchr(s + i, '}', n - i) : NULL;
		char spec[64], fmt, *op, *colon, num[40];
		uint64_t v;
		size_t len;

		if (close && (len = close - s - i - 1) < sizeof(spec)) {
			memcpy(spec, s + i + 1, len);
			spec[len] = '\0';
			colon = strchr(spec, ':');
			if (colon)
				*colon = '\0';
			op = strpbrk(spec, "+-");
			if (placeholder_value(spec, op ? (size_t)(op - spec) : strlen(spec),
					      &v, &fmt)) {
				if (op)
					v += (*op == '-' ? -1 : 1) * strtoull(op + 1, NULL, 0);
				if (colon && colon[1])
					fmt = colon[1];
				snprintf(num, sizeof(num),
					 fmt == 'x' ? "0x%llx" : fmt == 'X' ? "0X%llX" :
					 fmt == 'o' ? "0%llo" : "%llu", (unsigned long long)v);
				len = strlen(num);
				if (o + len > cap)
					break;
				memcpy(out + o, num, len);
				o += len;
				i = close - s + 1;
				continue;
			}
		}
		out[o++] = s[i++];
	}
	return o;
}

/* ---- the model of the documented parser -------------------------------- */

/* lib/kstrtox.c's rules: base 0 means 0x hex, leading 0 octal, else decimal. */
static int model_kstrtoull(const char *s, uint64_t *res, bool plus)
{
	unsigned int base = 10, digits = 0;
	bool overflow = false;
	uint64_t v = 0;

	if (plus && s[0] == '+')
		s++;
	if (s[0] == '0') {
		if ((s[1] | 0x20) == 'x' && isxdigit((unsigned char)s[2])) {
			base = 16;
			s += 2;
		} else {
			base = 8;
		}
	}
	for (;; s++, digits++) {
		unsigned int d;
		char c = *s;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	if (overflow)
		return -ERANGE;
	if (!digits)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

static int model_kstrtoint(const char *s, long *res)
{
	uint64_t v;
	int err;

	if (s[0] == '-') {
		err = model_kstrtoull(s + 1, &v, false);
		if (err)
			return err;
		if (v > (uint64_t)INT_MAX + 1)
			return -ERANGE;
		*res = -(long)v;
		return 0;
	}
	err = model_kstrtoull(s, &v, true);
	if (err)
		return err;
	if (v > INT_MAX)
		return -ERANGE;
	*res = (long)v;
	return 0;
}

static int model_kstrtobool(const char *s)
{
	if (s[0] && (strchr("yYtT1nNfF0", s[0]) ||
		     (bool_takes_ed && strchr("eEdD", s[0]))))
		return 0;
	if ((s[0] == 'o' || s[0] == 'O') && s[1] && strchr("nNfF", s[1]))
		return 0;
	return -EINVAL;
}

struct query {
	long pid;
	uint64_t start, end, extra;
	bool has_extra, entries, raw, bin, show_none;
	unsigned int seen;
};

/* uffdscope_query_parse() as documented, in the module's order of checks. */
static int model_parse(enum file_id f, const char *in, size_t n, struct query *q)
{
	char text[QUERY_MAX + 1], *cursor = text, *tok, *val;
	const char *xkey = extra_key(f);
	unsigned int allowed = allowed_keys(f), i, bit;
	uint64_t v;
	int err;

	if (n > QUERY_MAX)
		return -E2BIG;
	memcpy(text, in, n);
	text[n] = '\0';
	memset(q, 0, sizeof(*q));
	q->show_none = true;
	while ((tok = strsep(&cursor, " \t\n")) != NULL) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val || val == tok || !val[1])
			return -EINVAL;
		*val++ = '\0';
		if (xkey && !strcmp(tok, xkey)) {
			if (q->has_extra)
				return -EINVAL;
			q->has_extra = true;
			err = model_kstrtoull(val, &q->extra, true);
			if (err)
				return err;
			continue;
		}
		for (i = 0; i < NR_KEYS && strcmp(common_keys[i], tok); i++)
			;
		if (i == NR_KEYS)
			return -EINVAL;
		bit = 1u << i;
		if (!(allowed & bit) || (q->seen & bit))
			return -EINVAL;
		q->seen |= bit;
		switch (bit) {
		case K_PID:
			err = model_kstrtoint(val, &q->pid);
			if (!err && q->pid <= 0)
				err = -EINVAL;
			break;
		case K_START:
			err = model_kstrtoull(val, &q->start, true);
			break;
		case K_END:
		case K_LEN:
			err = model_kstrtoull(val, &v, true);
			q->end = v;
			break;
		case K_MODE:
			err = strcmp(val, "entries") && strcmp(val, "runs") ? -EINVAL : 0;
			q->entries = !strcmp(val, "entries");
			break;
		case K_RAW:
			/* exactly 0 or 1 (8d55a3b): no kstrtobool() spellings */
			err = strcmp(val, "0") && strcmp(val, "1") ? -EINVAL : 0;
			q->raw = !strcmp(val, "1");
			break;
		case K_FORMAT:
			err = strcmp(val, "bin") && strcmp(val, "text") ? -EINVAL : 0;
			q->bin = !strcmp(val, "bin");
			break;
		default:	/* none= */
			err = model_kstrtobool(val);
			q->show_none = !strchr("nNfF0dD", val[0]) &&
				       !((val[0] == 'o' || val[0] == 'O') && strchr("fF", val[1]));
			break;
		}
		if (err)
			return err;
	}
	if (!(q->seen & K_PID))
		return -EINVAL;
	if ((q->seen & K_END) && (q->seen & K_LEN))
		return -EINVAL;
	if (q->seen & K_LEN) {
		if (!q->end || q->end > UINT64_MAX - q->start)
			return -EINVAL;
		q->end += q->start;
	}
	return 0;
}

/* check_range() of the module: the range clipped and checked against TASK_SIZE. */
static int model_range(struct query *q)
{
	uint64_t limit = tg.top;

	if (!q->end)
		q->end = limit;
	if (q->start >= limit || q->end > UINT64_MAX - tg.page + 1)
		return -ERANGE;
	q->start &= ~(uint64_t)(tg.page - 1);
	q->end = (q->end + tg.page - 1) & ~(uint64_t)(tg.page - 1);
	if (q->start >= q->end)
		return -EINVAL;
	if (q->end > limit)
		return -ERANGE;
	return 0;
}

/* The outcomes a write may have: success or these errnos (negative). */
struct expect {
	int ok[4];
	int n;
	bool any_documented;	/* a pid we do not control */
	enum target_kind kind;
	struct query q;		/* the normalised query when it succeeds */
};

static void allow(struct expect *e, int err)
{
	if (e->n < 4)
		e->ok[e->n++] = err;
}

static int model_after_lookup(enum file_id f, struct query *q)
{
	if (f == F_COLLAPSE || f == F_FAULTAROUND) {
		q->end = q->start + 1;
		if (q->start >= tg.top)
			return -ERANGE;
		q->start &= ~(uint64_t)(tg.page - 1);
		if (f == F_FAULTAROUND && q->has_extra &&
		    q->extra / tg.page > tg.page / 8)
			return -EINVAL;	/* more than one PTE table's worth */
		return 0;
	}
	return model_range(q);
}

static void model_write(enum file_id f, const char *in, size_t n, bool readonly,
			bool in_new_ns, struct expect *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	if (readonly) {
		allow(e, -EBADF);	/* VFS: fd not open for writing */
		return;
	}
	if (f == F_VERSION) {
		allow(e, -EINVAL);	/* VFS: the file has no ->write */
		return;
	}
	err = model_parse(f, in, n, &e->q);
	if (!err && (f == F_COLLAPSE || f == F_FAULTAROUND)) {
		if (!(e->q.seen & K_START))
			err = -EINVAL;
		else if (e->q.start > UINT64_MAX - tg.page)
			err = -ERANGE;
	}
	if (err) {
		allow(e, err);
		return;
	}
	e->kind = classify(e->q.pid, in_new_ns);
	/* the access rule comes after the lookup's ESRCH/ENXIO, before the range */
	if (without_ptrace && e->q.pid != tg.self) {
		switch (e->kind) {
		case T_ALIVE:
		case T_ZOMBIE:
			allow(e, -EACCES);
			return;
		case T_EXITING:
			allow(e, -ESRCH);
			allow(e, -EACCES);
			return;
		default:
			break;
		}
	}
	switch (e->kind) {
	case T_ABSENT:
	case T_ZOMBIE:
		allow(e, -ESRCH);
		return;
	case T_KTHREAD:
		allow(e, -ENXIO);
		return;
	case T_UNKNOWN:
		e->any_documented = true;
		return;
	case T_EXITING:
		allow(e, -ESRCH);
		/* fall through */
	case T_ALIVE:
		allow(e, model_after_lookup(f, &e->q));
		return;
	}
}

static bool documented_write_errno(int err)
{
	return err == -EPERM || err == -EACCES || err == -E2BIG || err == -EINVAL || err == -ESRCH ||
	       err == -ENXIO || err == -ERANGE || err == -EINTR || err == -EFAULT;
}

/* ---- checking answers --------------------------------------------------- */

struct stats {
	long inputs, writes, reads, bytes, failures, ok, errs[64];
};

static struct stats st;
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void failure(enum file_id f, const char *sym, size_t symlen, const char *fmt, ...)
{
	char esc[INPUT_MAX * 4 + 16];
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	st.failures++;
	if (st.failures <= 20) {
		va_start(ap, fmt);
		printf("# FAIL: ");
		vprintf(fmt, ap);
		va_end(ap);
		escape(sym, symlen, esc, sizeof(esc));
		printf("\n# REPLAY: %s %s\n", file_names[f], esc);
		fflush(stdout);
	}
	pthread_mutex_unlock(&fail_lock);
}

static bool known_level(const char *v)
{
	return !strcmp(v, "pte") || !strcmp(v, "pmd") || !strcmp(v, "pud") ||
	       !strcmp(v, "p4d") || !strcmp(v, "pgd");
}

/*
 * Whether @text is key=value lines that agree with @q for file @f; a
 * message in @why when not. The collapse/faultaround key why= runs to the
 * end of its line.
 */
static bool answer_parses(enum file_id f, char *text, size_t len,
			  const struct query *q, char *why, size_t cap)
{
	uint64_t prev_end = 0;
	char *line, *save;
	bool summary = false, verdict = false;
	int nlines = 0;

	if (!len && f == F_VMAS)
		return true;	/* no VMA overlaps the range */
	if (!len || memchr(text, '\0', len) || text[len - 1] != '\n') {
		snprintf(why, cap, "answer of %zu bytes is empty, holds a NUL or lacks its final newline", len);
		return false;
	}
	text[len - 1] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct scope_line l = { 0 };
		char *w = line, *sp, *eq;

		nlines++;
		if (summary) {
			snprintf(why, cap, "a line after the summary: '%.80s'", line);
			return false;
		}
		while (*w) {
			eq = strchr(w, '=');
			sp = strchr(w, ' ');
			if (!eq || eq == w || (sp && sp < eq) || l.nkeys == SCOPE_MAX_KEYS) {
				snprintf(why, cap, "not key=value: '%.80s'", w);
				return false;
			}
			*eq = '\0';
			l.key[l.nkeys] = w;
			l.val[l.nkeys++] = eq + 1;
			if (!strcmp(w, "why") && f != F_PTES && f != F_VMAS)
				break;	/* runs to the end of the line */
			sp = strchr(eq + 1, ' ');
			if (sp)
				*sp = '\0';
			if (!eq[1]) {
				snprintf(why, cap, "empty value of '%s'", w);
				return false;
			}
			w = sp ? sp + 1 : eq + 1 + strlen(eq + 1);
		}
		if (f == F_PTES) {
			uint64_t s = scope_num(&l, "start", 1), e = scope_num(&l, "end", 0);

			if (scope_is(&l, "kind", "summary")) {
				summary = true;
				if (s != q->start || e != q->end) {
					snprintf(why, cap, "summary range 0x%llx-0x%llx, query 0x%llx-0x%llx",
						 (unsigned long long)s, (unsigned long long)e,
						 (unsigned long long)q->start, (unsigned long long)q->end);
					return false;
				}
				continue;
			}
			if (!scope_get(&l, "level") || !known_level(scope_get(&l, "level")) ||
			    !scope_get(&l, "kind") ||
			    scope_num(&l, "count", 0) < 1 || s >= e || s < q->start ||
			    e > q->end || s < prev_end) {
				snprintf(why, cap, "bad entry line %d (start 0x%llx end 0x%llx, previous end 0x%llx)",
					 nlines, (unsigned long long)s, (unsigned long long)e,
					 (unsigned long long)prev_end);
				return false;
			}
			/* physical addresses only when asked for */
			if (!!scope_get(&l, "raw") != q->raw ||
			    (!q->raw && scope_get(&l, "pfn"))) {
				snprintf(why, cap, "line %d: raw=%s pfn=%s with raw=%d in the query",
					 nlines, scope_get(&l, "raw") ?: "-",
					 scope_get(&l, "pfn") ?: "-", q->raw);
				return false;
			}
			prev_end = e;
		} else if (f == F_VMAS) {
			uint64_t s = scope_num(&l, "start", 1), e = scope_num(&l, "end", 0);

			if (s >= e || e <= q->start || s >= q->end || s < prev_end ||
			    !scope_get(&l, "backing")) {
				snprintf(why, cap, "bad vma line %d", nlines);
				return false;
			}
			prev_end = e;
		} else if (f == F_COLLAPSE) {
			verdict |= scope_get(&l, "verdict") != NULL;
		} else if (f == F_FAULTAROUND) {
			verdict |= scope_get(&l, "fault") != NULL;
		} else {
			verdict |= scope_get(&l, "page_size") != NULL;
		}
	}
	if (f == F_PTES && !summary) {
		snprintf(why, cap, "no summary line in %d lines", nlines);
		return false;
	}
	if (f != F_PTES && f != F_VMAS && !verdict) {
		snprintf(why, cap, "no verdict/fault/page_size line in %d lines", nlines);
		return false;
	}
	return true;
}

/*
 * Whether @buf is a format=bin answer to @q: a header that repeats the query,
 * then records in address order inside the range, of known levels and kinds,
 * with no physical address unless raw=1.
 */
static bool bin_answer_parses(const char *buf, size_t len, const struct query *q,
			      char *why, size_t cap)
{
	struct uffdscope_ptes_header h;
	struct uffdscope_ptes_record r;
	unsigned int flags = (q->raw ? UFFDSCOPE_PTES_HDR_RAW : 0) |
			     (q->entries ? UFFDSCOPE_PTES_HDR_ENTRIES : 0) |
			     (q->show_none ? UFFDSCOPE_PTES_HDR_NONE : 0);
	uint64_t prev_end = q->start;
	size_t off;

	if (len < sizeof(h) || len % BIN_RECORD) {
		snprintf(why, cap, "binary answer of %zu bytes", len);
		return false;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != UFFDSCOPE_PTES_MAGIC || h.version != UFFDSCOPE_PTES_VERSION ||
	    h.record_size != BIN_RECORD || h.page_size != tg.page || h.flags != flags ||
	    h.start != q->start || h.end != q->end || h.reserved[0] || h.reserved[1]) {
		snprintf(why, cap, "header magic 0x%x version %u size %u page %u flags 0x%x range 0x%llx-0x%llx, expected flags 0x%x range 0x%llx-0x%llx",
			 h.magic, h.version, h.record_size, h.page_size, h.flags,
			 (unsigned long long)h.start, (unsigned long long)h.end, flags,
			 (unsigned long long)q->start, (unsigned long long)q->end);
		return false;
	}
	for (off = BIN_RECORD; off < len; off += BIN_RECORD) {
		memcpy(&r, buf + off, sizeof(r));
		if (r.start < prev_end || r.start >= r.end || r.end > q->end || !r.count ||
		    r.level > UFFDSCOPE_PTES_LEVEL_PGD || r.kind > UFFDSCOPE_PTES_KIND_UNKNOWN ||
		    (!q->show_none && r.kind == UFFDSCOPE_PTES_KIND_NONE)) {
			snprintf(why, cap, "bad record %zu: 0x%llx-0x%llx count %llu level %u kind %u",
				 off / BIN_RECORD, (unsigned long long)r.start,
				 (unsigned long long)r.end, (unsigned long long)r.count,
				 r.level, r.kind);
			return false;
		}
		/* physical addresses only when asked for */
		if (!q->raw && (r.raw || (r.flags & UFFDSCOPE_PTES_HAS_PFN))) {
			snprintf(why, cap, "record %zu: raw 0x%llx flags 0x%x without raw=1",
				 off / BIN_RECORD, (unsigned long long)r.raw, r.flags);
			return false;
		}
		prev_end = r.end;
	}
	return true;
}

/* ---- executing one input ------------------------------------------------ */

struct fd_state {
	int fd;
	bool readonly;
	bool have_query;	/* a write succeeded on it once */
};

static struct fd_state fds[NR_FILES][2];
static char *answer_buf;
static char version_text[512];
static size_t version_len;

static void count_err(int err)
{
	if (!err)
		st.ok++;
	else if (-err < 64)
		st.errs[-err]++;
}

static int open_file(enum file_id f, bool readonly, struct fd_state *s)
{
	char path[128];

	snprintf(path, sizeof(path), SCOPE_DIR "/%s", file_names[f]);
	s->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	s->readonly = readonly;
	s->have_query = false;
	return s->fd < 0 ? -errno : 0;
}

static size_t read_size(void)
{
	switch (below(4)) {
	case 0:
		return 1 + below(8);
	case 1:
		return 1 + below(512);
	case 2:
		return 4096;
	default:
		return 1 + below(ANSWER_CAP / 64);
	}
}

/*
 * Read the answer to its end in random sizes. Returns 0 or -errno; the
 * answer in answer_buf, *len bytes.
 */
static int read_answer(int fd, size_t *len, size_t unit)
{
	ssize_t n;

	*len = 0;
	for (;;) {
		size_t want = read_size();

		if (want > ANSWER_CAP - 1 - *len)
			want = ANSWER_CAP - 1 - *len;
		if (!want)
			return -EFBIG;
		n = read(fd, answer_buf + *len, want);
		st.reads++;
		/* a binary answer refuses a buffer smaller than a record */
		if (n < 0 && errno == EINVAL && unit && want < unit)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if ((size_t)n > want)
			return -EOVERFLOW;
		if (unit && n % unit)
			return -EPROTO;	/* a part of a record */
		*len += n;
		st.bytes += n;
	}
}

static bool read_errno_ok(enum target_kind kind, int err)
{
	if (err == -ESRCH)
		return kind == T_EXITING || kind == T_UNKNOWN;
	return false;
}

/* The read side of a successful write: to the end, part of it, or seeks. */
static void exercise_reads(enum file_id f, struct fd_state *s, const struct expect *e,
			   const char *sym, size_t symlen)
{
	char why[256];
	size_t len;
	int err;

	switch (below(10)) {
	case 0: {	/* a stream: no seeking, no positional reads */
		char c;
		off_t off = (off_t)below(1 << 20);

		err = lseek(s->fd, off, (int)below(3)) < 0 ? -errno : 0;
		if (err != -ESPIPE)
			failure(f, sym, symlen, "lseek: %s, expected ESPIPE", strerror(-err));
		err = pread(s->fd, &c, 1, off) < 0 ? -errno : 0;
		if (err != -ESPIPE)
			failure(f, sym, symlen, "pread: %s, expected ESPIPE", strerror(-err));
		return;
	}
	case 1: {	/* part of the answer: the next write must start afresh */
		size_t want = 1 + below(64);

		err = read(s->fd, answer_buf, want) < 0 ? -errno : 0;
		st.reads++;
		if (err == -EINVAL && e->q.bin && want < BIN_RECORD)
			return;
		if (err && !read_errno_ok(e->kind, err))
			failure(f, sym, symlen, "partial read: %s", strerror(-err));
		return;
	}
	case 2: {	/* zero bytes */
		ssize_t n = read(s->fd, answer_buf, 0);

		/*
		 * Nothing to copy, but the read still looks the target up: one that
		 * exited since the query may answer ESRCH, as any read may.
		 */
		if (n < 0 && read_errno_ok(e->kind, -errno))
			return;
		if (n != 0)
			failure(f, sym, symlen, "read of 0 bytes returned %zd (%s)", n,
				strerror(errno));
		break;
	}
	default:
		break;
	}
	err = read_answer(s->fd, &len, e->q.bin ? BIN_RECORD : 0);
	if (err) {
		if (!read_errno_ok(e->kind, err))
			failure(f, sym, symlen, "read: %s (target kind %d)", strerror(-err), e->kind);
		return;
	}
	if (e->kind == T_UNKNOWN || e->kind == T_EXITING)
		return;	/* nothing to compare with */
	if (e->q.bin ? !bin_answer_parses(answer_buf, len, &e->q, why, sizeof(why)) :
	    !answer_parses(f, answer_buf, len, &e->q, why, sizeof(why)))
		failure(f, sym, symlen, "answer does not parse: %s", why);
	/* at its end the stream stays at its end */
	if (read(s->fd, answer_buf, 16) != 0)
		failure(f, sym, symlen, "a read after the end of the answer returned data or an error");
}

static void exercise_version(struct fd_state *s, const char *sym, size_t symlen)
{
	size_t len;
	int err;

	if (lseek(s->fd, 0, SEEK_SET) != 0) {
		failure(F_VERSION, sym, symlen, "version: lseek to 0: %s", strerror(errno));
		return;
	}
	err = read_answer(s->fd, &len, 0);
	if (err || len != version_len || memcmp(answer_buf, version_text, len))
		failure(F_VERSION, sym, symlen, "version read in pieces differs (%s, %zu bytes)",
			strerror(-err), len);
}

/*
 * One input: write the resolved query to a file descriptor of @f and check
 * the outcome, then read. @sym is the input as the corpus writes it.
 */
static void run_input(enum file_id f, const char *sym, size_t symlen, bool in_new_ns)
{
	char text[INPUT_MAX + 64];
	struct fd_state *s = &fds[f][below(2)];
	struct expect e;
	size_t n;
	ssize_t ret;
	int err, i;

	n = resolve(sym, symlen, text, sizeof(text));
	st.inputs++;
	if (s->fd <= 0 || chance(2)) {
		if (s->fd > 0)
			close(s->fd);
		err = open_file(f, f == F_VERSION || chance(3), s);
		if (err) {
			failure(f, sym, symlen, "open: %s", strerror(-err));
			return;
		}
		if (chance(30) && !s->readonly) {	/* a read before any query */
			ret = read(s->fd, answer_buf, 1 + below(64));
			if (f != F_VERSION && (ret != -1 || errno != EINVAL))
				failure(f, sym, symlen, "read before any query: %zd (%s), expected EINVAL",
					ret, ret < 0 ? strerror(errno) : "data");
		}
	}
	if (f == F_VERSION && !chance(10)) {
		exercise_version(s, sym, symlen);
		return;
	}
	model_write(f, text, n, s->readonly, in_new_ns, &e);
	ret = write(s->fd, text, n);
	st.writes++;
	err = ret < 0 ? -errno : 0;
	count_err(err);
	if (!err && (size_t)ret != n) {
		failure(f, sym, symlen, "write returned %zd of %zu bytes", ret, n);
		return;
	}
	if (!err)
		s->have_query = true;	/* whatever the model said */
	if (e.any_documented) {
		if (err && !documented_write_errno(err))
			failure(f, sym, symlen, "write: undocumented %s", strerror(-err));
	} else {
		for (i = 0; i < e.n && e.ok[i] != err; i++)
			;
		if (i == e.n) {
			failure(f, sym, symlen, "write: %s, expected %s%s%s",
				err ? strerror(-err) : "success",
				e.ok[0] ? strerror(-e.ok[0]) : "success",
				e.n > 1 ? " or " : "",
				e.n > 1 ? (e.ok[1] ? strerror(-e.ok[1]) : "success") : "");
			return;
		}
	}
	if (err) {
		/* a failed write keeps the previous query and its answer */
		if (!s->have_query && !s->readonly && f != F_VERSION) {
			ret = read(s->fd, answer_buf, 1);
			if (ret != -1 || errno != EINVAL)
				failure(f, sym, symlen, "read after only failed writes: %zd, expected EINVAL", ret);
		}
		return;
	}
	s->have_query = true;
	exercise_reads(f, s, &e, sym, symlen);
}

static void close_all(void)
{
	int f, i;

	for (f = 0; f < NR_FILES; f++)
		for (i = 0; i < 2; i++) {
			if (fds[f][i].fd > 0)
				close(fds[f][i].fd);
			fds[f][i].fd = 0;
		}
}

/* ---- the corpus, generation and mutation -------------------------------- */

struct input {
	enum file_id f;
	size_t len;
	char sym[INPUT_MAX];
};

#define POOL_MAX 512
static struct input pool[POOL_MAX];
static int pool_n;

/* Parse "FILE QUERY" corpus lines into the pool (and run them if @run). */
static int load_corpus(const char *text, bool run)
{
	const char *line = text, *nl, *sp;
	int loaded = 0;

	for (; *line; line = nl + 1) {
		struct input in;
		int f;

		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		if (*line == '#' || nl == line)
			goto next;
		sp = memchr(line, ' ', nl - line);
		f = file_by_name(line, sp ? (size_t)(sp - line) : (size_t)(nl - line));
		if (f < 0)
			goto next;
		in.f = f;
		in.len = sp ? unescape(sp + 1, nl - sp - 1, in.sym, sizeof(in.sym)) : 0;
		if (run)
			run_input(in.f, in.sym, in.len, false);
		if (pool_n < POOL_MAX)
			pool[pool_n++] = in;
		loaded++;
next:
		if (!*nl)
			break;
	}
	return loaded;
}

static const char *const pid_values[] = {
	"{self}", "{sleeper}", "{zombie}", "{churn}", "{kthread}", "{gone}",
	"{nschild}", "0", "1", "2", "-1", "-0", "+1", "{self:o}", "{self:x}",
	"2147483647", "2147483648", "-2147483648", "4194304", "99999999999",
	"0{self}", "{self}x", "",
};

static const char *const addr_values[] = {
	"{map}", "{map+1}", "{map_end}", "{map_end-1}", "{shm}", "{hole}",
	"{top}", "{top-1}", "{top+1}", "{top-0x1000}", "0", "1", "0x1000",
	"0xffffffffffffffff", "18446744073709551615", "18446744073709551616",
	"0x10000000000000000", "{map:o}", "{map:d}", "{map:X}", "-1", "+0",
	"0x", "08", "0777", "{page}", "{pmd}", "{ptrs}", "0xfffffffffffff000",
};

static const char *const other_values[] = {
	"entries", "runs", "ENTRIES", "0", "1", "2", "y", "n", "on", "off", "of",
	"bin", "text", "BIN", "binary",
	"true", "false", "x", "{ptrs}", "{ptrs+1}", "{page}", "65536", "0",
	"18446744073709551615",
};

static const char *const keys[] = {
	"pid", "start", "end", "len", "mode", "none", "raw", "format", "fault_around_bytes",
	"PID", "colour", "pid ", "startx", "", "=",
};

static void append(struct input *in, const char *s, size_t n)
{
	if (in->len + n > sizeof(in->sym))
		n = sizeof(in->sym) - in->len;
	memcpy(in->sym + in->len, s, n);
	in->len += n;
}

static void append_str(struct input *in, const char *s)
{
	append(in, s, strlen(s));
}

#define PICK(a) (a[below(sizeof(a) / sizeof(a[0]))])

/* A query the file accepts, bar the range: reaches the lookup and the walk. */
static void well_formed(struct input *in)
{
	static const char *const pids[] = {
		"{self}", "{sleeper}", "{nschild}", "1", "{churn}", "{zombie}", "{kthread}",
	};
	static const char *const ranges[] = {
		"", " start={map}", " start={map} len={pmd}", " start={shm} end={map_end}",
		" start={map+1} len=1", " end={pmd}", " start={top-1}", " start={hole} len={page}",
		" start={shm} len={ptrs}",
	};
	static const char *const opts[] = {
		"", " mode=entries", " none=0", " mode=runs none=1", " mode=entries none=0",
		" raw=1", " mode=entries raw=1", " raw=0 none=0", " format=bin",
		" format=bin raw=1", " format=bin mode=entries none=0", " format=text raw=1",
	};

	append_str(in, "pid=");
	append_str(in, PICK(pids));
	switch (in->f) {
	case F_PTES:
		append_str(in, PICK(ranges));
		append_str(in, PICK(opts));
		break;
	case F_VMAS:
		append_str(in, PICK(ranges));
		break;
	case F_FAULTAROUND:
		if (chance(50))
			append_str(in, PICK(((const char *[]){ " fault_around_bytes={page}",
				" fault_around_bytes=65536", " fault_around_bytes={ptrs}",
				" fault_around_bytes=0" })));
		/* fall through */
	default:
		append_str(in, PICK(((const char *[]){ " start={map}", " start={shm}",
			" start={shm+0x11000}", " start={hole}", " start={top-1}", " start=0" })));
		break;
	}
}

static void generate(struct input *in)
{
	int nkeys = below(6), i;
	char num[32];

	in->f = below(NR_FILES * 4 - 3) / 4;	/* version: a quarter as often */
	in->len = 0;
	if (chance(40)) {
		well_formed(in);
		return;
	}
	if (chance(85)) {
		append_str(in, "pid=");
		append_str(in, PICK(pid_values));
	}
	for (i = 0; i < nkeys; i++) {
		const char *key = PICK(keys);

		append_str(in, chance(90) ? " " : PICK(((const char *[]){ "\t", "\n", "  ", "" })));
		append_str(in, key);
		if (chance(3))
			continue;	/* a word without '=' */
		append_str(in, "=");
		if (!strcmp(key, "pid"))
			append_str(in, PICK(pid_values));
		else if (!strcmp(key, "start") || !strcmp(key, "end") || !strcmp(key, "len")) {
			if (chance(20)) {
				snprintf(num, sizeof(num), chance(50) ? "0x%llx" : "%llu",
					 (unsigned long long)(rnd() >> below(64)));
				append_str(in, num);
			} else {
				append_str(in, PICK(addr_values));
			}
		} else {
			append_str(in, PICK(other_values));
		}
	}
}

static void mutate(struct input *in)
{
	int rounds = 1 + below(4);

	while (rounds--) {
		size_t at = below(in->len + 1), n;
		struct input *other;
		char bytes[16];
		int i;

		switch (below(8)) {
		case 0:	/* flip a byte */
			if (in->len)
				in->sym[below(in->len)] ^= 1 << below(8);
			break;
		case 1:	/* insert random bytes */
			n = 1 + below(sizeof(bytes));
			for (i = 0; i < (int)n; i++)
				bytes[i] = (char)rnd();
			if (in->len + n <= sizeof(in->sym)) {
				memmove(in->sym + at + n, in->sym + at, in->len - at);
				memcpy(in->sym + at, bytes, n);
				in->len += n;
			}
			break;
		case 2:	/* delete a span */
			n = below(in->len - at + 1);
			memmove(in->sym + at, in->sym + at + n, in->len - at - n);
			in->len -= n;
			break;
		case 3: {	/* insert a word */
			static const char *const words[] = {
				" pid={self}", " start={map}", " end={map_end}", " len=1",
				"=", "0x", "\\", "\n", "\t", "{top}", " mode=entries",
				" none=0", " fault_around_bytes={page}", " pid=", " format=bin",
			};
			const char *w = PICK(words);

			n = strlen(w);
			if (in->len + n <= sizeof(in->sym)) {
				memmove(in->sym + at + n, in->sym + at, in->len - at);
				memcpy(in->sym + at, w, n);
				in->len += n;
			}
			break;
		}
		case 4:	/* splice with another input */
			other = &pool[below(pool_n)];
			n = below(other->len + 1);
			in->len = at;
			append(in, other->sym + n, other->len - n);
			break;
		case 5:	/* an embedded NUL */
			if (in->len < sizeof(in->sym)) {
				memmove(in->sym + at + 1, in->sym + at, in->len - at);
				in->sym[at] = '\0';
				in->len++;
			}
			break;
		case 6:	/* overlong: pad around the query boundary or far past it */
			n = chance(50) ? QUERY_MAX - 2 + below(5) : QUERY_MAX + below(INPUT_MAX - QUERY_MAX);
			while (in->len < n && in->len < sizeof(in->sym))
				in->sym[in->len++] = chance(80) ? ' ' : 'x';
			break;
		default:	/* another file */
			in->f = below(NR_FILES);
			break;
		}
	}
}

static void next_input(struct input *in)
{
	if (pool_n && chance(50)) {
		*in = pool[below(pool_n)];
		mutate(in);
	} else {
		generate(in);
		if (chance(20))
			mutate(in);
	}
}

/* ---- the tests ----------------------------------------------------------- */

static void print_stats(const char *what, double secs)
{
	printf("# %s: seed=%llu inputs=%ld writes=%ld reads=%ld bytes=%ld seconds=%.1f inputs/s=%.0f failures=%ld\n",
	       what, (unsigned long long)seed, st.inputs, st.writes, st.reads, st.bytes,
	       secs, secs > 0 ? st.inputs / secs : 0, st.failures);
	printf("# %s: write outcomes: ok=%ld EINVAL=%ld E2BIG=%ld ERANGE=%ld ESRCH=%ld ENXIO=%ld EACCES=%ld EBADF=%ld EFAULT=%ld\n",
	       what, st.ok, st.errs[EINVAL], st.errs[E2BIG], st.errs[ERANGE], st.errs[ESRCH],
	       st.errs[ENXIO], st.errs[EACCES], st.errs[EBADF], st.errs[EFAULT]);
	fflush(stdout);
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	int fd;
	ssize_t n;

	SCOPE_REQUIRE();
	rng = seed;
	answer_buf = malloc(ANSWER_CAP);
	ASSERT_NE(NULL, answer_buf);
	fd = open(SCOPE_DIR "/version", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, version_text, sizeof(version_text) - 1);
	ASSERT_LT(0, n);
	version_len = n;
	close(fd);
	targets_start();
	ASSERT_NE(0UL, tg.top) TH_LOG("could not learn TASK_SIZE from a ptes summary");
	ASSERT_LT(0, tg.nschild) TH_LOG("no child in a new pid namespace");
	memset(&st, 0, sizeof(st));
}

FIXTURE_TEARDOWN(fuzz)
{
	close_all();
	targets_stop();
}

/* Every corpus line once, then generated and mutated inputs until the budget. */
TEST_F_TIMEOUT(fuzz, generated_and_mutated_queries, 600)
{
	double t0 = now_s(), deadline = t0 + budget_seconds * 0.6;
	struct input in;
	int n;

	n = load_corpus(corpus_queries, true);
	n += load_corpus(corpus_regressions, true);
	printf("# corpus: %d inputs replayed, %ld failures\n", n, st.failures);
	while (now_s() < deadline) {
		next_input(&in);
		run_input(in.f, in.sym, in.len, false);
		/* keep inputs that got past the parser: they reach deeper */
		if (st.ok && pool_n < POOL_MAX && chance(5))
			pool[pool_n++] = in;
	}
	print_stats("fuzz", now_s() - t0);
	ASSERT_EQ(0, st.failures) TH_LOG("inputs got undocumented or mispredicted answers: see the REPLAY lines");
}

/*
 * One file descriptor, two threads: one writes queries (good and bad), the
 * other reads in random sizes. Each call returns success or a documented
 * errno; the file's mutex serialises them.
 */
struct shared_fd {
	int fd;
	enum file_id f;
	double deadline;
	long writes, reads, bad;
	int bad_err;
	const char *bad_op;
};

static void *shared_writer(void *arg)
{
	struct shared_fd *s = arg;
	char q[160];
	uint64_t r = seed ^ 0x5157;

	while (now_s() < s->deadline) {
		r = r * 6364136223846793005ULL + 1;
		switch ((r >> 33) % 4) {
		case 0:
			snprintf(q, sizeof(q), "pid=%d", tg.self);
			break;
		case 1:
			snprintf(q, sizeof(q), "pid=%d start=%p len=0x%zx", tg.sleeper,
				 (void *)tg.map, tg.map_len);
			break;
		case 2:
			snprintf(q, sizeof(q), "pid=%d start=%p", *tg.churn, (void *)tg.shm);
			break;
		default:
			snprintf(q, sizeof(q), "pid=%d colour=blue", tg.self);
			break;
		}
		if (s->f == F_COLLAPSE || s->f == F_FAULTAROUND)
			snprintf(q + strlen(q), sizeof(q) - strlen(q), " start=%p", (void *)tg.map);
		if (write(s->fd, q, strlen(q)) < 0 && errno != EINVAL && errno != ESRCH) {
			s->bad++;
			s->bad_err = errno;
			s->bad_op = "write";
		}
		s->writes++;
	}
	return NULL;
}

static void *shared_reader(void *arg)
{
	struct shared_fd *s = arg;
	char *buf = malloc(1 << 16);
	uint64_t r = seed ^ 0x7e4d;

	while (buf && now_s() < s->deadline) {
		r = r * 6364136223846793005ULL + 1;
		if (read(s->fd, buf, 1 + (r >> 40) % (1 << 16)) < 0 &&
		    errno != EINVAL && errno != ESRCH) {
			s->bad++;
			s->bad_err = errno;
			s->bad_op = "read";
		}
		s->reads++;
	}
	free(buf);
	return NULL;
}

TEST_F_TIMEOUT(fuzz, two_threads_share_one_fd, 600)
{
	double slice = budget_seconds * 0.15 / 4;
	struct shared_fd s;
	pthread_t w, r;
	int f;

	for (f = F_PTES; f <= F_FAULTAROUND; f++) {
		char path[128];

		memset(&s, 0, sizeof(s));
		s.f = f;
		snprintf(path, sizeof(path), SCOPE_DIR "/%s", file_names[f]);
		s.fd = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, s.fd);
		s.deadline = now_s() + slice;
		ASSERT_EQ(0, pthread_create(&w, NULL, shared_writer, &s));
		ASSERT_EQ(0, pthread_create(&r, NULL, shared_reader, &s));
		pthread_join(w, NULL);
		pthread_join(r, NULL);
		close(s.fd);
		printf("# shared fd of %s: %ld writes, %ld reads in %.1f s\n",
		       file_names[f], s.writes, s.reads, slice);
		EXPECT_EQ(0, s.bad) TH_LOG("%s: %ld calls failed with an undocumented errno, last %s: %s",
					   file_names[f], s.bad, s.bad_op, strerror(s.bad_err));
	}
}

/* Bad user buffers: EFAULT, never a partial or garbled answer. */
TEST_F(fuzz, bad_user_buffers_get_efault)
{
	char q[96];
	char *ro;
	int fd;
	ssize_t n;

	char *volatile null_buf = NULL;	/* hidden from the compiler's checks */

	fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, write(fd, null_buf, 16));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, write(fd, tg.hole, 16));
	ASSERT_EQ(EFAULT, errno);
	snprintf(q, sizeof(q), "pid=%d start=%p len=0x%zx", tg.self, (void *)tg.map, tg.map_len);
	ASSERT_EQ((ssize_t)strlen(q), write(fd, q, strlen(q)));
	ASSERT_EQ(-1, read(fd, tg.hole, 4096));
	ASSERT_EQ(EFAULT, errno);
	ro = mmap(NULL, tg.page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(-1, read(fd, ro, 64));
	ASSERT_EQ(EFAULT, errno);
	/* after the faults the answer is still whole, from its first byte */
	n = read(fd, answer_buf, 4096);
	ASSERT_LT(0, n);
	answer_buf[n] = '\0';
	ASSERT_EQ(0, strncmp(answer_buf, "start=", 6)) TH_LOG("answer resumed mid-line: '%.60s'", answer_buf);
	munmap(ro, tg.page);
	close(fd);
}

/*
 * From inside a new pid namespace: pid 1 is the asker itself (its own
 * mappings answer), pid 2 and every outer pid do not exist there (ESRCH,
 * not ENXIO), and generated queries keep to the documented errnos.
 */
TEST_F_TIMEOUT(fuzz, queries_from_another_pid_namespace, 600)
{
	int report[2], status;
	pid_t mid;
	long result[3];

	if (!pidns_supported())
		SKIP(return, "no pid namespaces in this kernel: unshare(CLONE_NEWPID) is EINVAL (CONFIG_PID_NS)");
	ASSERT_EQ(0, pipe(report));
	mid = fork();
	ASSERT_LE(0, mid);
	if (mid == 0) {
		pid_t inner;

		if (unshare(CLONE_NEWPID))
			_exit(2);
		inner = fork();
		if (inner == 0) {
			double deadline = now_s() + budget_seconds * 0.1;
			char q[160];
			struct input in;
			void *mine = mmap(NULL, tg.page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			struct scope_answer ans;
			long own_ok = 0;

			snprintf(q, sizeof(q), "pid=1 start=%p len=0x%zx", mine, tg.page);
			if (getpid() == 1 && !scope_query("vmas", q, &ans)) {
				own_ok = ans.nlines == 1 &&
					 scope_num(&ans.lines[0], "start", 0) == (uintptr_t)mine;
				scope_free(&ans);
			}
			memset(&st, 0, sizeof(st));
			while (now_s() < deadline) {
				generate(&in);
				run_input(in.f, in.sym, in.len, true);
			}
			result[0] = own_ok;
			result[1] = st.inputs;
			result[2] = st.failures;
			if (write(report[1], result, sizeof(result)) != sizeof(result))
				_exit(3);
			fflush(stdout);
			_exit(0);
		}
		waitpid(inner, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 4);
	}
	close(report[1]);
	ASSERT_EQ((ssize_t)sizeof(result), read(report[0], result, sizeof(result)));
	waitpid(mid, &status, 0);
	printf("# pid namespace: %ld inputs, %ld failures\n", result[1], result[2]);
	EXPECT_EQ(1, result[0]) TH_LOG("vmas of pid=1 inside the namespace did not show the asker's own mapping");
	EXPECT_EQ(0, result[2]) TH_LOG("inputs from inside the namespace: see the REPLAY lines (replay them from a namespace)");
}

/*
 * issue 13, privilege: without CAP_SYS_ADMIN open is refused, and a file
 * descriptor opened (and asked) by a privileged process answers nothing:
 * no pfn, no raw entry.
 */
TEST_F(fuzz, fd_handed_to_unprivileged_process_answers_nothing)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2] = { { 0 } };
	char q[96], buf[4096];
	int fd, fd2, status;
	pid_t child;

	fd = open(SCOPE_DIR "/ptes", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(q, sizeof(q), "pid=%d start=%p len=0x%zx", tg.self, (void *)tg.map, tg.page);
	ASSERT_EQ((ssize_t)strlen(q), write(fd, q, strlen(q)));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		ssize_t n;

		if (syscall(SYS_capset, &hdr, none))
			_exit(10);
		fd2 = open(SCOPE_DIR "/ptes", O_RDWR);
		if (fd2 >= 0 || errno != EPERM)
			_exit(11);	/* open without CAP_SYS_ADMIN */
		if (write(fd, q, strlen(q)) >= 0 || errno != EPERM)
			_exit(12);	/* asking through the handed fd */
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			printf("# unprivileged read got: %.120s\n", buf);
			fflush(stdout);
			_exit(strstr(buf, "pfn=") || strstr(buf, "raw=") ? 13 : 14);
		}
		_exit(n < 0 && errno == EPERM ? 0 : 15);
	}
	waitpid(child, &status, 0);
	close(fd);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_NE(10, WEXITSTATUS(status)) TH_LOG("capset() to no capabilities failed");
	EXPECT_NE(11, WEXITSTATUS(status)) TH_LOG("open without CAP_SYS_ADMIN was not EPERM");
	EXPECT_NE(12, WEXITSTATUS(status)) TH_LOG("a write through a handed fd was not EPERM");
	EXPECT_NE(13, WEXITSTATUS(status)) TH_LOG("a handed fd showed pfns/raw entries to a process without CAP_SYS_ADMIN");
	EXPECT_NE(14, WEXITSTATUS(status)) TH_LOG("a handed fd answered a process without CAP_SYS_ADMIN");
	EXPECT_NE(15, WEXITSTATUS(status)) TH_LOG("a read through a handed fd was not EPERM");
}

/*
 * The access rule's second half: CAP_SYS_ADMIN without CAP_SYS_PTRACE reads
 * only the writer's own process; any other live or zombie target is EACCES.
 * Capabilities are per thread, so one thread drops CAP_SYS_PTRACE from its
 * effective set (the raw capset() acts on the calling thread only) and
 * fuzzes against the model, which then predicts EACCES.
 */
struct noptrace_run {
	double deadline;
	int setup;		/* 0, or the step that failed */
	int own_err, other_err;
};

static int try_query(const char *file, pid_t pid)
{
	char path[64], q[64];
	int fd, err = 0;

	snprintf(path, sizeof(path), SCOPE_DIR "/%s", file);
	snprintf(q, sizeof(q), "pid=%d start=%p", pid, (void *)tg.map);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, q, strlen(q)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static void *fuzz_without_ptrace(void *arg)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2];
	struct noptrace_run *r = arg;
	struct input in;

	if (syscall(SYS_capget, &hdr, caps)) {
		r->setup = 1;
		return NULL;
	}
	caps[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective &= ~CAP_TO_MASK(CAP_SYS_PTRACE);
	if (syscall(SYS_capset, &hdr, caps)) {
		r->setup = 2;
		return NULL;
	}
	r->own_err = try_query("vmas", tg.self);
	r->other_err = try_query("vmas", tg.sleeper);
	without_ptrace = true;
	while (now_s() < r->deadline) {
		next_input(&in);
		run_input(in.f, in.sym, in.len, false);
	}
	without_ptrace = false;
	return NULL;
}

TEST_F_TIMEOUT(fuzz, without_cap_sys_ptrace_only_own_process, 600)
{
	struct noptrace_run r = { .deadline = now_s() + budget_seconds * 0.1 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, fuzz_without_ptrace, &r));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, r.setup) TH_LOG("capget/capset to drop CAP_SYS_PTRACE failed");
	print_stats("without CAP_SYS_PTRACE", budget_seconds * 0.1);
	EXPECT_EQ(0, r.own_err)
		TH_LOG("own process without CAP_SYS_PTRACE: %s", strerror(-r.own_err));
	EXPECT_EQ(-EACCES, r.other_err)
		TH_LOG("another process without CAP_SYS_PTRACE: %s, expected EACCES",
		       strerror(-r.other_err));
	EXPECT_LT(0, st.errs[EACCES]) TH_LOG("no generated input reached the access rule");
	EXPECT_EQ(0, st.failures) TH_LOG("inputs without CAP_SYS_PTRACE: see the REPLAY lines");
}

/* --replay FILE: run its inputs once each, outside the harness. */
static int replay(const char *path)
{
	static char text[1 << 20];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (!scope_loaded()) {
		printf("uffdscope module not loaded (no %s)\n", SCOPE_DIR);
		return 4;
	}
	rng = seed;
	answer_buf = malloc(ANSWER_CAP);
	targets_start();
	printf("replaying %d inputs of %s\n", load_corpus(text, true), path);
	close_all();
	targets_stop();
	printf("%ld inputs, %ld failures\n", st.inputs, st.failures);
	return st.failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("UFFDSCOPE_FUZZ_SECONDS");
	int i, out = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env && atof(env) > 0)
		budget_seconds = atof(env);
	env = getenv("UFFDSCOPE_FUZZ_SEED");
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u ^ getpid();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--replay") && i + 1 < argc)
			replay_path = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			budget_seconds = atof(argv[++i]);
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	if (budget_seconds > 500)
		budget_seconds = 500;
	printf("# fuzz_queries: seed=%llu budget=%.0fs (UFFDSCOPE_FUZZ_SEED / --seed to repeat)\n",
	       (unsigned long long)seed, budget_seconds);
	if (replay_path)
		return replay(replay_path);
	return test_harness_run(out, argv);
}
