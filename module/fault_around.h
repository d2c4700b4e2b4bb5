/* SPDX-License-Identifier: GPL-2.0 */
/* The `faultaround` query: see fault_around.c. */
#ifndef UFFDSCOPE_FAULT_AROUND_H
#define UFFDSCOPE_FAULT_AROUND_H

#include <linux/dcache.h>

int uffdscope_fault_around_init(struct dentry *dir);

#endif /* UFFDSCOPE_FAULT_AROUND_H */
