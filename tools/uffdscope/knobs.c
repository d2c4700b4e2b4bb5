// SPDX-License-Identifier: GPL-2.0
/* Saving and restoring the settings probes change (see knobs.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

#include "knobs.h"

#define THP "/sys/kernel/mm/transparent_hugepage/"

static const char *const fixed[] = {
	THP "enabled", THP "defrag", THP "shmem_enabled",
	THP "khugepaged/defrag", THP "khugepaged/max_ptes_none",
	THP "khugepaged/scan_sleep_millisecs", THP "khugepaged/pages_to_scan",
	"/sys/kernel/debug/fault_around_bytes", NULL
};

/* A knob's current setting: the bracketed choice, or the whole value. */
static int read_setting(const char *path, char *buf, int size)
{
	char text[256], *lb, *rb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	lb = strchr(text, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (rb)
		snprintf(buf, size, "%.*s", (int)(rb - lb - 1), lb + 1);
	else
		snprintf(buf, size, "%s", text);
	return 0;
}

static void add(struct knobs *k, const char *path)
{
	if (k->n < KNOBS_MAX && !read_setting(path, k->value[k->n], sizeof(k->value[0]))) {
		snprintf(k->path[k->n], sizeof(k->path[0]), "%s", path);
		k->n++;
	}
}

static void read_swaps(char *buf, int size)
{
	int fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

void knobs_save(struct knobs *k)
{
	char path[128];
	struct dirent *d;
	DIR *dir;
	int i;

	k->n = 0;
	for (i = 0; fixed[i]; i++)
		add(k, fixed[i]);
	/* Every hugetlb page size's pool. */
	dir = opendir("/sys/kernel/mm/hugepages");
	while (dir && (d = readdir(dir))) {
		if (strncmp(d->d_name, "hugepages-", 10))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%.60s/nr_hugepages",
			 d->d_name);
		add(k, path);
	}
	if (dir)
		closedir(dir);
	read_swaps(k->swaps, sizeof(k->swaps));
}

static void note(char *what, int size, const char *name)
{
	int len = strlen(what);

	snprintf(what + len, size - len, "%s%s", len ? ", " : "", name);
}

int knobs_restore(const struct knobs *k, char *what, int size)
{
	char now[128], swaps[4096], *line, *save, dev[256];
	int i, fd, restored = 0;

	what[0] = '\0';
	for (i = 0; i < k->n; i++) {
		if (read_setting(k->path[i], now, sizeof(now)) || !strcmp(now, k->value[i]))
			continue;
		fd = open(k->path[i], O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, k->value[i], strlen(k->value[i])) > 0)
				restored++;
			close(fd);
		}
		note(what, size, k->path[i]);
	}
	read_swaps(swaps, sizeof(swaps));
	for (line = strtok_r(swaps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s", dev) != 1 || dev[0] != '/' || strstr(k->swaps, dev))
			continue;
		if (!swapoff(dev))
			restored++;
		note(what, size, dev);
	}
	return restored;
}
