// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sysfs_state.h"

#define KNOB_PATH_MAX	256
#define KNOB_VALUE_MAX	128

struct knob {
	char path[KNOB_PATH_MAX];
	char value[KNOB_VALUE_MAX];
};

/*
 * The remembered knobs live in one MAP_SHARED mapping made before main(), so
 * every process of the program sees the same table. The harness runs a test's
 * setup and body in a process of their own and skips the teardown when the
 * setup fails or skips: a knob that setup changed would be forgotten with that
 * process. Shared, it stays remembered with its original value: the next
 * test's knob_restore_all() writes it back, and so does the program's exit.
 */
struct knob_table {
	int nr;
	struct knob k[KNOB_MAX];
};

static struct knob_table private_table;
static struct knob_table *table = &private_table;
static pid_t table_owner;

#define saved	(table->k)
#define nr_saved	(table->nr)

static void knob_restore_at_exit(void)
{
	/* only the program itself: a test's own children exit() too */
	if (getpid() == table_owner)
		knob_restore_all();
}

__attribute__((constructor)) static void knob_table_init(void)
{
	void *p = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		table = p;
	table_owner = getpid();
	atexit(knob_restore_at_exit);
}

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int knob_read(const char *path, char *buf, size_t len)
{
	char raw[KNOB_VALUE_MAX * 2];
	char *open_br, *close_br, *start = raw;
	size_t n;
	int ret;

	ret = read_file(path, raw, sizeof(raw));
	if (ret)
		return ret;
	open_br = strchr(raw, '[');
	close_br = open_br ? strchr(open_br, ']') : NULL;
	if (open_br && close_br) {
		start = open_br + 1;
		*close_br = '\0';
	}
	n = strcspn(start, "\n");
	start[n] = '\0';
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, start, n + 1);
	return 0;
}

int knob_write(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static bool knob_saved(const char *path)
{
	int i;

	for (i = 0; i < nr_saved; i++)
		if (!strcmp(saved[i].path, path))
			return true;
	return false;
}

int knob_set(const char *path, const char *value)
{
	struct knob *k;
	int ret;

	if (!knob_saved(path)) {
		if (nr_saved == KNOB_MAX)
			return -ENOSPC;
		if (strlen(path) >= KNOB_PATH_MAX)
			return -ENAMETOOLONG;
		k = &saved[nr_saved];
		ret = knob_read(path, k->value, sizeof(k->value));
		if (ret)
			return ret;
		strcpy(k->path, path);
		nr_saved++;
	}
	return knob_write(path, value);
}

int knob_set_ulong(const char *path, unsigned long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", value);
	return knob_set(path, buf);
}

long knob_read_long(const char *path)
{
	char buf[KNOB_VALUE_MAX], *end;
	long val;
	int ret;

	ret = knob_read(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	val = strtol(buf, &end, 0);
	if (errno || end == buf || val < 0)
		return -EINVAL;
	return val;
}

int knob_restore_all(void)
{
	int first_err = 0, ret;

	while (nr_saved > 0) {
		struct knob *k = &saved[--nr_saved];

		ret = knob_write(k->path, k->value);
		if (ret && !first_err)
			first_err = ret;
	}
	return first_err;
}

bool thp_configured(void)
{
	char line[128];
	bool found = false;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "AnonHugePages:", 14);
	fclose(f);
	return found;
}

int madvise_no_thp(void *addr, size_t len)
{
	if (!madvise(addr, len, MADV_NOHUGEPAGE))
		return 0;
	if (errno == EINVAL && !thp_configured())
		return 0;
	return -errno;
}
