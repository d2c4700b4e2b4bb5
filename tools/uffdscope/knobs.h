/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The system settings a probe program may change (THP and hugetlb sysfs,
 * fault_around_bytes, swap devices): saved before each program and put back
 * after it, so that a program killed at the time budget, before its own
 * teardown ran, leaves nothing changed.
 */
#ifndef UFFDSCOPE_KNOBS_H
#define UFFDSCOPE_KNOBS_H

#define KNOBS_MAX 24

struct knobs {
	int n;
	char path[KNOBS_MAX][128];
	char value[KNOBS_MAX][128];
	char swaps[4096];	/* /proc/swaps */
};

void knobs_save(struct knobs *k);
/*
 * Put back every knob that differs from @k and turn off swap devices added
 * since; returns how many were restored, with their names in @what.
 */
int knobs_restore(const struct knobs *k, char *what, int size);

#endif /* UFFDSCOPE_KNOBS_H */
