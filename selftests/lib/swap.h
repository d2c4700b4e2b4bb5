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

/*
 * Pin the caller to the CPU it runs on. A folio still in a CPU's LRU batch
 * cannot be isolated, so MADV_PAGEOUT leaves it mapped; MADV_PAGEOUT drains
 * only its own CPU's batch. A test that pins itself before it writes the pages
 * has them all in that one batch, which its MADV_PAGEOUT then drains.
 * Returns 0 or -errno.
 */
int pin_to_this_cpu(void);

/*
 * MADV_PAGEOUT of [@addr, @addr + @len) until pagemap (@pagemap_fd) shows every
 * @page-sized page swapped out, at most @tries times (a page under writeback or
 * locked by someone else is skipped by one pass, not by the next). Returns 0,
 * -EAGAIN when pages stayed mapped after every try, or madvise's -errno.
 */
int pageout_until_swapped(void *addr, size_t len, size_t page, int pagemap_fd, int tries);

/* Undo swap_zram_on() of this process, if any. Returns 0 or the first -errno. */
int swap_zram_off(void);

#endif /* UFFDSCOPE_SWAP_H */
