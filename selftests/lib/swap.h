/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Swap on zram0 for tests that swap shmem out (MADV_PAGEOUT). The runner loads
 * the zram module in the VM; a test turns swap on in its body and
 * swap_zram_off() in FIXTURE_TEARDOWN turns it off and resets the device.
 */
#ifndef UFFDSCOPE_SWAP_H
#define UFFDSCOPE_SWAP_H

#include <stddef.h>

#define ZRAM_DEV	"/dev/zram0"
#define ZRAM_SYS	"/sys/block/zram0"

/*
 * Size zram0 to @bytes, write a swap header on it and swapon it.
 * Returns 0, -ENODEV when there is no zram0 (module not loaded), -EBUSY when
 * zram0 is already in use (a non-zero disksize that this process did not
 * set), or another -errno.
 */
int swap_zram_on(size_t bytes);

/* KiB of swap in use on zram0 according to /proc/swaps, or -errno. */
long swap_zram_used_kb(void);

/* Undo swap_zram_on() of this process, if any. Returns 0 or the first -errno. */
int swap_zram_off(void);

#endif /* UFFDSCOPE_SWAP_H */
