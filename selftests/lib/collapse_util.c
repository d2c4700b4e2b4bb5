// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collapse_util.h"

int madv_collapse(void *addr, size_t len)
{
	return madvise(addr, len, MADV_COLLAPSE) ? -errno : 0;
}

const char *collapse_errname(int ret)
{
	switch (ret) {
	case 0:
		return "0";
	case -EBUSY:
		return "EBUSY";
	case -EAGAIN:
		return "EAGAIN";
	case -EINVAL:
		return "EINVAL";
	case -ENOMEM:
		return "ENOMEM";
	case -EPERM:
		return "EPERM";
	default:
		return "other";
	}
}

long resident_pages(void *addr, size_t npages, unsigned char *vec)
{
	unsigned char *v = vec ? vec : malloc(npages);
	long n = 0;
	size_t i;

	if (!v)
		return -ENOMEM;
	if (mincore(addr, npages * (size_t)getpagesize(), v)) {
		n = -errno;
		goto out;
	}
	for (i = 0; i < npages; i++)
		n += v[i] & 1;
out:
	if (!vec)
		free(v);
	return n;
}

long smaps_kb(const void *addr, const char *field)
{
	uintptr_t a = (uintptr_t)addr, start, end;
	size_t flen = strlen(field);
	bool inside = false;
	char line[512];
	long kb = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* A mapping's header line starts with its hex range. */
		if (line[strspn(line, "0123456789abcdef")] == '-' &&
		    sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			if (inside)
				break;
			inside = a >= start && a < end;
			continue;
		}
		if (inside && !strncmp(line, field, flen) && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

bool pmd_mapped(const void *addr)
{
	return smaps_kb(addr, "ShmemPmdMapped") > 0 ||
	       smaps_kb(addr, "FilePmdMapped") > 0 ||
	       smaps_kb(addr, "AnonHugePages") > 0;
}

int collapse_query(pid_t pid, const void *addr, char *out, size_t len)
{
	char req[64];
	ssize_t n;
	size_t got = 0;
	int fd, ret = 0;

	fd = open(UFFDSCOPE_COLLAPSE_FILE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(req, sizeof(req), "pid=%d start=0x%lx\n", (int)pid, (unsigned long)(uintptr_t)addr);
	if (write(fd, req, strlen(req)) < 0) {
		ret = -errno;
		goto out;
	}
	while (got + 1 < len) {
		n = read(fd, out + got, len - 1 - got);
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (!n)
			break;
		got += n;
	}
	out[got] = '\0';
out:
	close(fd);
	return ret;
}

int kv_get(const char *text, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	const char *p = text;

	while ((p = strstr(p, key))) {
		bool at_word = p == text || p[-1] == ' ' || p[-1] == '\n';

		if (at_word && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");

			if (n >= len)
				n = len - 1;
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return 0;
		}
		p += klen;
	}
	return -ENOENT;
}

long kv_long(const char *text, const char *key)
{
	char val[32];

	if (kv_get(text, key, val, sizeof(val)))
		return -1;
	return strtol(val, NULL, 0);
}

static void *toucher_main(void *arg)
{
	struct toucher *t = arg;
	uint64_t one = 1;

	t->seen = *t->addr;
	if (write(t->done_fd, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

int toucher_start(struct toucher *t, const volatile char *addr)
{
	int err;

	t->addr = addr;
	t->done_fd = eventfd(0, EFD_CLOEXEC);
	if (t->done_fd < 0)
		return -errno;
	err = pthread_create(&t->thread, NULL, toucher_main, t);
	if (err) {
		close(t->done_fd);
		return -err;
	}
	return 0;
}

int toucher_wait(struct toucher *t, int uffd, struct uffd_msg *msg, int cap_ms)
{
	struct pollfd p[2] = {
		{ .fd = uffd, .events = POLLIN },
		{ .fd = t->done_fd, .events = POLLIN },
	};
	int n;

	for (;;) {
		n = poll(p, 2, cap_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
		if (p[0].revents & POLLIN) {
			ssize_t r = read(uffd, msg, sizeof(*msg));

			if (r == sizeof(*msg))
				return 1;
			if (r < 0 && errno != EAGAIN)
				return -errno;
			continue;
		}
		if (p[1].revents & POLLIN)
			return 0;
	}
}

void toucher_join(struct toucher *t)
{
	pthread_join(t->thread, NULL);
	close(t->done_fd);
}

int collapse_predicted(const void *addr, char *verdict, char *answer, size_t len)
{
	int ret = collapse_query(getpid(), addr, answer, len);

	snprintf(verdict, 16, "-");
	if (ret == -ENOENT || ret)
		return ret;
	return kv_get(answer, "verdict", verdict, 16) ? -EPROTO : 0;
}
