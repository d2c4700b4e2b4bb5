// SPDX-License-Identifier: GPL-2.0
/* Running the suite's programs as the report's probes (see probes.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "knobs.h"
#include "probes.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Not probes: the command's own test, the main job's demos, the benchmark. */
static int is_probe(const struct dirent *d)
{
	return d->d_name[0] != '.' && strcmp(d->d_name, "uffdscope_cli") &&
	       strncmp(d->d_name, "demo_", 5) && strncmp(d->d_name, "bench_", 6) &&
	       !strchr(d->d_name, '.');
}

/*
 * A program that can decide a row prints "# behaviour: ROW" (selftests/lib/behaviour.h),
 * so that format is a string of its binary. The others (the fuzzer, the stress
 * test, tests of the module's verdicts) cannot decide any row: running them
 * would spend the budget on nothing the report shows.
 */
static bool decides_rows(const char *path)
{
	static const char mark[] = "# behaviour: ";
	struct stat st;
	bool found;
	void *image;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		return false;
	}
	image = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (image == MAP_FAILED)
		return false;
	found = memmem(image, st.st_size, mark, sizeof(mark) - 1) != NULL;
	munmap(image, st.st_size);
	return found;
}

static struct probe_case *new_case(struct probes *p, int prog, const char *name)
{
	struct probe_case *more = realloc(p->cases, (p->ncases + 1) * sizeof(*more)), *c;

	if (!more)
		return NULL;
	p->cases = more;
	c = &p->cases[p->ncases++];
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

static void name_row(struct probe_case *c, const char *row)
{
	int i;

	for (i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i], row))
			return;
	if (c->nrows < CASE_MAX_ROWS)
		snprintf(c->rows[c->nrows++], sizeof(c->rows[0]), "%s", row);
}

static struct probe_case *find_case(struct probes *p, int prog, const char *name)
{
	int i;

	for (i = p->ncases - 1; i >= 0; i--)
		if (p->cases[i].prog == prog && !strcmp(p->cases[i].name, name))
			return &p->cases[i];
	return NULL;
}

void probes_parse(struct probes *p, int prog, char *text)
{
	struct probe_case *cur = NULL, *c;
	char *line, *save, name[160], row[48], *rest;
	int n;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "#  RUN           fixture.variant.test ..." */
		if (sscanf(line, "# RUN %159s ...", name) == 1 && strstr(line, " ...")) {
			cur = new_case(p, prog, name);
			continue;
		}
		/* "ok 3 fixture.variant.test # SKIP reason", "not ok 2 name" */
		n = 0;
		if ((sscanf(line, "ok %*d %159s%n", name, &n) == 1 ||
		     sscanf(line, "not ok %*d %159s%n", name, &n) == 1) && n) {
			c = cur && !strcmp(cur->name, name) ? cur : find_case(p, prog, name);
			if (!c)
				c = new_case(p, prog, name);
			if (!c)
				return;
			rest = strstr(line + n, "# SKIP");
			if (strstr(line + n, "# XFAIL")) {
				/* An expected absence: the absent lines say what lacks. */
				c->status = CASE_ABSENT;
			} else if (rest) {
				c->status = CASE_SKIP;
				rest += 6;
				rest += strspn(rest, " ");
				snprintf(c->reason, sizeof(c->reason), "%s",
					 *rest ? rest : "no reason given");
			} else if (line[0] == 'o') {
				c->status = CASE_PASS;
			} else {
				c->status = c->nabsent ? CASE_ABSENT : CASE_FAIL;
			}
			cur = NULL;
			continue;
		}
		if (!cur)
			continue;
		if (sscanf(line, "# behaviour: %47s", row) == 1) {
			name_row(cur, row);
		} else if (sscanf(line, "# value: %47s %n", row, &n) == 1 && n &&
			   cur->nvalues < CASE_MAX_ROWS) {
			/* What the kernel measured for the row: shown, never decides. */
			snprintf(cur->values[cur->nvalues], sizeof(cur->values[0]), "%s %s",
				 row, line + n);
			cur->nvalues++;
		} else if (sscanf(line, "# absent: %47[^:]:%n", row, &n) == 1 && n &&
			   cur->nabsent < CASE_MAX_ROWS) {
			name_row(cur, row);
			snprintf(cur->absent[cur->nabsent], sizeof(cur->absent[0]), "%s", row);
			snprintf(cur->evidence[cur->nabsent], sizeof(cur->evidence[0]), "%s",
				 line + n + strspn(line + n, " "));
			cur->nabsent++;
		}
	}
}

/* Kill every process of session @sid: the harness's children call setpgrp(). */
static void kill_session(pid_t sid)
{
	struct dirent *d;
	DIR *proc = opendir("/proc");
	pid_t pid;

	while (proc && (d = readdir(proc))) {
		pid = atoi(d->d_name);
		if (pid > 0 && getsid(pid) == sid)
			kill(pid, SIGKILL);
	}
	if (proc)
		closedir(proc);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

/*
 * Run @path in a session of its own, in a scratch folder, its output in an
 * anonymous file; kill the whole session at @deadline. Returns the output.
 */
static char *run_one(const char *path, double deadline, struct probe_prog *pr)
{
	char scratch[] = "/tmp/uffdscope-report.XXXXXX", *text = NULL;
	struct timespec wait;
	sigset_t chld, old;
	double start = now(), left;
	int out, status = 0;
	pid_t pid;
	off_t len;

	out = memfd_create("uffdscope-probe", MFD_CLOEXEC);
	if (out < 0 || !mkdtemp(scratch))
		return NULL;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		setsid();
		if (chdir(scratch) || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		close(0);
		open("/dev/null", O_RDONLY);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	pr->status = PROG_FAIL;
	while (pid > 0) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		left = deadline - now();
		if (left <= 0) {
			kill_session(pid);
			waitpid(pid, &status, 0);
			pr->status = PROG_TIMEOUT;
			break;
		}
		wait.tv_sec = (time_t)left;
		wait.tv_nsec = (long)((left - wait.tv_sec) * 1e9);
		sigtimedwait(&chld, NULL, &wait);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid > 0)
		kill_session(pid);
	pr->seconds = now() - start;
	if (pr->status != PROG_TIMEOUT) {
		pr->exit = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
		pr->status = pr->exit == 0 ? PROG_PASS : pr->exit == 4 ? PROG_SKIP : PROG_FAIL;
	}
	len = lseek(out, 0, SEEK_END);
	text = len >= 0 ? malloc(len + 1) : NULL;
	if (text && pread(out, text, len, 0) == len)
		text[len] = '\0';
	else if (text)
		text[0] = '\0';
	close(out);
	nftw(scratch, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return text;
}

int probes_run(const char *dir, unsigned int budget, struct probes *p)
{
	double deadline = now() + budget;
	struct dirent **names;
	struct probe_prog *pr;
	char path[4096], *text;
	struct knobs saved;
	struct stat st;
	int n, i;

	memset(p, 0, sizeof(*p));
	n = scandir(dir, &names, is_probe, alphasort);
	if (n < 0)
		return -errno;
	p->progs = calloc(n ? n : 1, sizeof(*p->progs));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (!p->progs || stat(path, &st) || !S_ISREG(st.st_mode) || access(path, X_OK) ||
		    !decides_rows(path)) {
			free(names[i]);
			continue;
		}
		pr = &p->progs[p->nprogs];
		snprintf(pr->name, sizeof(pr->name), "%s", names[i]->d_name);
		free(names[i]);
		if (now() >= deadline) {
			pr->status = PROG_NOT_RUN;
			p->nprogs++;
			continue;
		}
		knobs_save(&saved);
		text = run_one(path, deadline, pr);
		knobs_restore(&saved, pr->restored, sizeof(pr->restored));
		if (text)
			probes_parse(p, p->nprogs, text);
		free(text);
		p->nprogs++;
	}
	free(names);
	return 0;
}

void probes_free(struct probes *p)
{
	free(p->progs);
	free(p->cases);
	memset(p, 0, sizeof(*p));
}
