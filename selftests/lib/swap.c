// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "pagemap.h"
#include "sysfs_state.h"
#include "swap.h"

/* Where the fields of a version 1 swap header live in its first page. */
#define SWAP_MAGIC		"SWAPSPACE2"
#define SWAP_INFO_OFFSET	1024

static bool zram_swap_on;

/* The header mkswap writes: version 1, last usable page, no bad pages. */
static int write_swap_header(size_t bytes)
{
	size_t psize = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t info[3] = { 1, (uint32_t)(bytes / psize - 1), 0 };
	char *page = calloc(1, psize);
	ssize_t n;
	int fd, ret = 0;

	if (!page)
		return -ENOMEM;
	memcpy(page + SWAP_INFO_OFFSET, info, sizeof(info));
	memcpy(page + psize - strlen(SWAP_MAGIC), SWAP_MAGIC, strlen(SWAP_MAGIC));
	fd = open(ZRAM_DEV, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	n = pwrite(fd, page, psize, 0);
	if (n != (ssize_t)psize)
		ret = n < 0 ? -errno : -EIO;
	if (fsync(fd) && !ret)
		ret = -errno;
	close(fd);
out:
	free(page);
	return ret;
}

int swap_zram_on(size_t bytes)
{
	char size[32];
	struct stat st;
	long cur;
	int ret;

	if (stat(ZRAM_SYS, &st))
		return -ENODEV;
	cur = knob_read_long(ZRAM_SYS "/disksize");
	if (cur < 0)
		return (int)cur;
	if (cur)
		return -EBUSY;
	snprintf(size, sizeof(size), "%zu", bytes);
	ret = knob_write(ZRAM_SYS "/disksize", size);
	if (ret)
		return ret;
	ret = write_swap_header(bytes);
	if (!ret && swapon(ZRAM_DEV, 0))
		ret = -errno;
	if (ret) {
		knob_write(ZRAM_SYS "/reset", "1");
		return ret;
	}
	zram_swap_on = true;
	return 0;
}

int swap_zram_off(void)
{
	int ret = 0;

	if (!zram_swap_on)
		return 0;
	if (swapoff(ZRAM_DEV))
		ret = -errno;
	if (knob_write(ZRAM_SYS "/reset", "1") && !ret)
		ret = -EIO;
	zram_swap_on = false;
	return ret;
}

long swap_zram_used_kb(void)
{
	char name[256], type[32];
	long size, used, prio;
	FILE *f = fopen("/proc/swaps", "re");
	long ret = -ENOENT;

	if (!f)
		return -errno;
	/* Skip the header line, then: Filename Type Size Used Priority. */
	if (fscanf(f, "%*[^\n]\n") == EOF) {
		fclose(f);
		return -EIO;
	}
	while (fscanf(f, "%255s %31s %ld %ld %ld", name, type, &size, &used, &prio) == 5) {
		if (!strcmp(name, ZRAM_DEV)) {
			ret = used;
			break;
		}
	}
	fclose(f);
	return ret;
}

int pin_to_this_cpu(void)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -errno : 0;
}

int pageout_until_swapped(void *addr, size_t len, size_t page, int pagemap_fd, int tries)
{
	int ret = -EAGAIN;
	size_t off;

	while (tries-- > 0 && ret == -EAGAIN) {
		if (madvise(addr, len, MADV_PAGEOUT))
			return -errno;
		ret = 0;
		for (off = 0; off < len; off += page)
			if (!(pagemap_get(pagemap_fd, (char *)addr + off) & PM_SWAP))
				ret = -EAGAIN;
	}
	return ret;
}
