// SPDX-License-Identifier: GPL-2.0
/* The client of uffdscope.ko's debugfs files (see debugfs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debugfs.h"
#include "uffdscope.h"

#define CAP_SYS_PTRACE_BIT 19
#define CAP_SYS_ADMIN_BIT 21

const struct sys_paths default_paths = {
	.debugfs = "/sys/kernel/debug",
	.mountinfo = "/proc/self/mountinfo",
	/* Only a loaded module (not a built-in one) has initstate. */
	.module = "/sys/module/uffdscope/initstate",
	.lockdown = "/sys/kernel/security/lockdown",
	.status = "/proc/self/status",
};

bool debugfs_mounted(const struct sys_paths *p)
{
	char line[1024], point[512], *dash;
	bool found = false;
	FILE *f = fopen(p->mountinfo, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS ... - FSTYPE SOURCE SUPER */
		if (sscanf(line, "%*s %*s %*s %*s %511s", point) != 1)
			continue;
		dash = strstr(line, " - ");
		found = dash && !strncmp(dash + 3, "debugfs ", 8) &&
			!strcmp(point, p->debugfs);
	}
	fclose(f);
	return found;
}

const char *lockdown_mode(const struct sys_paths *p, char *buf, int size)
{
	char text[128], *lb, *rb;
	FILE *f = fopen(p->lockdown, "re");
	bool ok;

	if (!f)
		return NULL;
	ok = fgets(text, sizeof(text), f) != NULL;
	fclose(f);
	if (!ok)
		return NULL;
	/* "none [integrity] confidentiality": the selected mode is bracketed. */
	lb = strchr(text, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (!rb)
		return NULL;
	snprintf(buf, size, "%.*s", (int)(rb - lb - 1), lb + 1);
	return buf;
}

bool has_cap_sys_admin(const struct sys_paths *p)
{
	return has_cap(p, CAP_SYS_ADMIN_BIT);
}

bool has_cap(const struct sys_paths *p, int bit)
{
	unsigned long long eff = 0;
	char line[256];
	bool found = false;
	FILE *f = fopen(p->status, "re");

	if (!f)
		return geteuid() == 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found ? (eff >> bit) & 1 : geteuid() == 0;
}

static void say(struct diagnosis *d, int code, const char *fmt, const char *a,
		const char *b)
{
	d->code = code;
	snprintf(d->msg, sizeof(d->msg), fmt, a, b);
}

void diagnose(const struct sys_paths *p, const char *file, const char *stage,
	      int err, const char *query, struct diagnosis *d)
{
	char mode[32];
	struct stat st;
	bool module = stat(p->module, &st) == 0;

	if (err == ESRCH)
		return say(d, EXIT_NO_PROCESS, "no such process (%s%s)", query, "");
	if (err == ENXIO)
		return say(d, EXIT_NO_PROCESS,
			   "the process is a kernel thread: it has no user address space (%s%s)",
			   query, "");
	if (err == ERANGE)
		return say(d, EXIT_USAGE,
			   "the address lies beyond the process's address space (%s%s)",
			   query, "");
	if ((err == EACCES || err == EPERM) && !has_cap_sys_admin(p))
		return say(d, EXIT_NO_CAPABILITY,
			   "%s/uffdscope needs CAP_SYS_ADMIN: run as root%s", p->debugfs, "");
	/* The module lets CAP_SYS_ADMIN alone read only the caller's own process. */
	if (err == EACCES && strcmp(stage, "open") && !has_cap(p, CAP_SYS_PTRACE_BIT))
		return say(d, EXIT_NO_CAPABILITY,
			   "looking at another process needs CAP_SYS_PTRACE as well (%s)%s",
			   query, "");
	/*
	 * Lockdown refuses debugfs files that can be written (ours are 0600)
	 * with EPERM, even to root, and unsigned modules (EPERM to insmod,
	 * so the files do not exist: ENOENT): either way nothing but lifting
	 * lockdown helps. securityfs says whether it is on.
	 */
	if ((err == EACCES || err == EPERM || err == ENOENT) &&
	    lockdown_mode(p, mode, sizeof(mode)) && strcmp(mode, "none"))
		return say(d, EXIT_LOCKDOWN, module ?
			   "kernel lockdown (%s) forbids the uffdscope debugfs files, even to root%s" :
			   "kernel lockdown (%s) refuses unsigned modules and forbids the uffdscope debugfs files: uffdscope.ko is not loaded%s",
			   mode, "");
	if (err == ENOENT || err == EACCES || err == EPERM) {
		if (!debugfs_mounted(p))
			return say(d, EXIT_NO_DEBUGFS,
				   "debugfs is not mounted at %s: mount -t debugfs none %s",
				   p->debugfs, p->debugfs);
		if (!module)
			return say(d, EXIT_NO_MODULE,
				   "uffdscope.ko is not loaded (no %s/uffdscope): modprobe uffdscope or insmod uffdscope.ko%s",
				   p->debugfs, "");
		if (err == ENOENT)
			return say(d, EXIT_ERROR,
				   "the loaded uffdscope.ko has no '%s' file: is it older than this command?%s",
				   file, "");
		return say(d, EXIT_ERROR,
			   "%s of %s refused with CAP_SYS_ADMIN and no lockdown seen (is securityfs mounted?)",
			   stage, file);
	}
	if (err == EINVAL && strcmp(stage, "open"))
		return say(d, EXIT_ERROR,
			   "uffdscope.ko refused the query '%s' (EINVAL): is it older than this command?%s",
			   query, "");
	d->code = EXIT_ERROR;
	snprintf(d->msg, sizeof(d->msg), "%s of %s/uffdscope/%s failed: %s",
		 stage, p->debugfs, file, strerror(err));
}

static int read_all(int fd, char **text, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t got;

	if (!buf)
		return ENOMEM;
	for (;;) {
		if (cap - n < 4096) {
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				return ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			got = errno;
			free(buf);
			return got;
		}
		if (!got)
			break;
		n += got;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int scope_query(const char *file, const char *query, struct answer *ans,
		struct diagnosis *d)
{
	const struct sys_paths *p = &default_paths;
	const char *stage = "open";
	char path[256], *text = NULL;
	size_t len = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/uffdscope/%s", p->debugfs, file);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		goto failed;
	}
	stage = "query";
	if (write(fd, query, strlen(query)) < 0) {
		err = errno;
		close(fd);
		goto failed;
	}
	stage = "read";
	err = read_all(fd, &text, &len);
	close(fd);
	if (err)
		goto failed;
	if (answer_split(ans, text, len)) {
		answer_free(ans);
		err = ENOMEM;
		goto failed;
	}
	return 0;
failed:
	diagnose(p, file, stage, err, query, d);
	return err;
}

int scope_ask(const char *file, const char *query, struct answer *ans)
{
	struct diagnosis d;

	if (scope_query(file, query, ans, &d))
		return fail(d.code, "%s", d.msg);
	return 0;
}
