/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The `ptes` answer as fixed-size binary records (format=bin), for programs:
 * the layout is uapi/uffdscope_ptes.h, documented in debugfs-abi.rst.
 */
#ifndef UFFDSCOPE_PTES_BIN_H
#define UFFDSCOPE_PTES_BIN_H

#include "decode.h"
#include "query.h"
#include "uapi/uffdscope_ptes.h"

#define UFFDSCOPE_PTES_RECORD_SIZE	sizeof(struct uffdscope_ptes_record)

/* The stream's first slot; the caller's buffer is empty and has room. */
void uffdscope_ptes_bin_header(struct uffdscope_text *t,
			       const struct uffdscope_query *q);

/*
 * The record of the run @e (e->nr entries, e->size bytes), or -ENOSPC when
 * the buffer has no room for it. pfn and raw only when @raw.
 */
int uffdscope_ptes_bin_record(struct uffdscope_text *t,
			      const struct uffdscope_entry *e, bool raw);

#endif /* UFFDSCOPE_PTES_BIN_H */
