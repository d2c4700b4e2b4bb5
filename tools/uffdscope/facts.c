// SPDX-License-Identifier: GPL-2.0
/* The running kernel's facts for the report (see facts.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "debugfs.h"
#include "facts.h"

#define THP "/sys/kernel/mm/transparent_hugepage/"

static void fact(struct facts *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fact(struct facts *f, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (f->n == FACT_MAX)
		return;
	f->key[f->n] = key;
	va_start(ap, fmt);
	vsnprintf(f->val[f->n], sizeof(f->val[0]), fmt, ap);
	va_end(ap);
	f->n++;
}

/* A sysfs/procfs value, its [selected] word when it is a choice, or why not. */
static const char *read_value(const char *path, char *buf, int size)
{
	char text[256], *lb, *rb;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	ssize_t n;

	if (fd < 0) {
		snprintf(buf, size, "unreadable: %s", strerror(errno));
		return buf;
	}
	n = read(fd, text, sizeof(text) - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		snprintf(buf, size, "unreadable: %s", strerror(err));
		return buf;
	}
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	lb = strchr(text, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (rb)
		snprintf(buf, size, "%.*s", (int)(rb - lb - 1), lb + 1);
	else
		snprintf(buf, size, "%s", text);
	return buf;
}

/* uapi feature bits (linux/userfaultfd.h); newer than Debian 12's headers too. */
static const struct { unsigned int bit; const char *name; } uffd_features[] = {
	{ 0, "PAGEFAULT_FLAG_WP" }, { 1, "EVENT_FORK" }, { 2, "EVENT_REMAP" },
	{ 3, "EVENT_REMOVE" }, { 4, "MISSING_HUGETLBFS" }, { 5, "MISSING_SHMEM" },
	{ 6, "EVENT_UNMAP" }, { 7, "SIGBUS" }, { 8, "THREAD_ID" },
	{ 9, "MINOR_HUGETLBFS" }, { 10, "MINOR_SHMEM" }, { 11, "EXACT_ADDRESS" },
	{ 12, "WP_HUGETLBFS_SHMEM" }, { 13, "WP_UNPOPULATED" }, { 14, "POISON" },
	{ 15, "WP_ASYNC" }, { 16, "MOVE" },
};

/*
 * A userfaultfd, from the syscall or else /dev/userfaultfd; -errno of the
 * syscall when neither works.
 */
static int open_uffd(char *how, int size)
{
	int fd, err;

	fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		snprintf(how, size, "syscall");
		return fd;
	}
	err = errno;
#ifdef USERFAULTFD_IOC_NEW
	{
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

		if (dev >= 0) {
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
			close(dev);
			if (fd >= 0) {
				snprintf(how, size, "/dev/userfaultfd");
				return fd;
			}
		}
	}
#endif
	return -err;
}

static void uffd_facts(struct facts *f)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	char how[32], names[320] = "", buf[64];
	size_t i;
	int fd;

	fact(f, "dev_userfaultfd", "%s",
	     access("/dev/userfaultfd", F_OK) ? "absent" : "present");
	fact(f, "unprivileged_userfaultfd", "%s",
	     read_value("/proc/sys/vm/unprivileged_userfaultfd", buf, sizeof(buf)));
	fd = open_uffd(how, sizeof(how));
	if (fd < 0) {
		fact(f, "userfaultfd", "unavailable: %s", strerror(-fd));
		return;
	}
	/* features = 0 asks for nothing and is answered with all the kernel has. */
	if (ioctl(fd, UFFDIO_API, &api)) {
		fact(f, "userfaultfd", "UFFDIO_API failed: %s", strerror(errno));
		close(fd);
		return;
	}
	close(fd);
	fact(f, "userfaultfd", "yes (%s)", how);
	fact(f, "uffd_features", "0x%llx", (unsigned long long)api.features);
	for (i = 0; i < sizeof(uffd_features) / sizeof(uffd_features[0]); i++)
		if (api.features & (1ULL << uffd_features[i].bit))
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? " " : "", uffd_features[i].name);
	fact(f, "uffd_feature_names", "%s", names);
	fact(f, "uffd_wp_anon", "%s", api.features & (1ULL << 0) ? "yes" : "no");
	fact(f, "uffd_wp_shmem_hugetlbfs", "%s", api.features & (1ULL << 12) ? "yes" : "no");
	fact(f, "uffd_minor_shmem", "%s", api.features & (1ULL << 10) ? "yes" : "no");
}

void facts_gather(struct facts *f)
{
	char buf[192], mode[32];
	struct utsname u;

	f->n = 0;
	uname(&u);
	fact(f, "release", "%s", u.release);
	fact(f, "machine", "%s", u.machine);
	fact(f, "page_size", "%ld", sysconf(_SC_PAGESIZE));
	fact(f, "pmd_size", "%s", read_value(THP "hpage_pmd_size", buf, sizeof(buf)));
	uffd_facts(f);
	fact(f, "thp_enabled", "%s", read_value(THP "enabled", buf, sizeof(buf)));
	fact(f, "thp_defrag", "%s", read_value(THP "defrag", buf, sizeof(buf)));
	fact(f, "thp_shmem_enabled", "%s", read_value(THP "shmem_enabled", buf, sizeof(buf)));
	if (!debugfs_mounted(&default_paths))
		fact(f, "fault_around_bytes", "unknown: debugfs not mounted");
	else
		fact(f, "fault_around_bytes", "%s",
		     read_value("/sys/kernel/debug/fault_around_bytes", buf, sizeof(buf)));
	fact(f, "lockdown", "%s",
	     lockdown_mode(&default_paths, mode, sizeof(mode)) ?: "unknown (securityfs not mounted)");
	fact(f, "module", "%s", access(default_paths.module, F_OK) ? "not loaded" :
	     read_value("/sys/module/uffdscope/version", buf, sizeof(buf)));
}

void facts_print(const struct facts *f)
{
	int i;

	for (i = 0; i < f->n; i++)
		printf("%-26s %s\n", f->key[i], f->val[i]);
}

void facts_json(struct json *j, const struct facts *f)
{
	int i;

	json_obj(j, "kernel");
	for (i = 0; i < f->n; i++)
		json_value(j, f->key[i], f->val[i]);
	json_close(j);
}
