// SPDX-License-Identifier: GPL-2.0
/*
 * The version file: what this module is and which kernel it was built for, so
 * that a runner can check it loaded the module it meant to test.
 */
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/utsname.h>
#include <generated/utsrelease.h>

#include "uffdscope.h"

static int version_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "version=%s\n", UFFDSCOPE_VERSION);
	seq_printf(m, "built_release=%s\n", UTS_RELEASE);
	seq_printf(m, "built_arch=%s\n", UFFDSCOPE_BUILD_ARCH);
	seq_printf(m, "running_release=%s\n", init_utsname()->release);
	seq_printf(m, "page_size=%lu\n", PAGE_SIZE);
	return 0;
}

static int version_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return single_open(file, version_show, NULL);
}

static const struct file_operations version_fops = {
	.owner = THIS_MODULE,
	.open = version_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

int uffdscope_version_init(struct dentry *dir)
{
	struct dentry *d = debugfs_create_file("version", 0400, dir, NULL,
					       &version_fops);

	return PTR_ERR_OR_ZERO(d);
}
