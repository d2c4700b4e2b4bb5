// SPDX-License-Identifier: GPL-2.0
/*
 * uffdscope: shows what the page tables of any process really hold where
 * userfaultfd meets THP collapse and fault-around. It reads and explains; it
 * changes nothing in the mm.
 *
 * This file owns the debugfs directory; each part adds its own files to it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/module.h>

#include "uffdscope.h"
#include "collapse.h"
#include "fault_around.h"

static struct dentry *uffdscope_dir;

static int __init uffdscope_init(void)
{
	int err;

	uffdscope_dir = debugfs_create_dir("uffdscope", NULL);
	if (IS_ERR(uffdscope_dir))
		return PTR_ERR(uffdscope_dir);

	err = uffdscope_version_init(uffdscope_dir);
	if (!err)
		err = uffdscope_ptes_init(uffdscope_dir);
	if (!err)
		err = uffdscope_vmas_init(uffdscope_dir);
	if (!err)
		err = uffdscope_collapse_init(uffdscope_dir);
	if (!err)
		err = uffdscope_fault_around_init(uffdscope_dir);
	if (err) {
		debugfs_remove_recursive(uffdscope_dir);
		return err;
	}
	pr_info("version %s loaded\n", UFFDSCOPE_VERSION);
	return 0;
}

static void __exit uffdscope_exit(void)
{
	debugfs_remove_recursive(uffdscope_dir);
}

module_init(uffdscope_init);
module_exit(uffdscope_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Page-table and userfaultfd inspector for THP collapse and fault-around");
MODULE_VERSION(UFFDSCOPE_VERSION);
