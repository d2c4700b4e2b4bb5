/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the parts of uffdscope.ko. The ABI seen by user
 * space is the debugfs text format documented in Documentation/debugfs-abi.rst.
 */
#ifndef UFFDSCOPE_H
#define UFFDSCOPE_H

#include <linux/dcache.h>

#define UFFDSCOPE_VERSION "0.1.0"

int uffdscope_version_init(struct dentry *dir);
int uffdscope_ptes_init(struct dentry *dir);
int uffdscope_vmas_init(struct dentry *dir);

#endif /* UFFDSCOPE_H */
