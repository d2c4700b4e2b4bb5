/* SPDX-License-Identifier: GPL-2.0 */
/* The questions the subcommands put to uffdscope.ko, each one call. */
#ifndef UFFDSCOPE_QUERY_H
#define UFFDSCOPE_QUERY_H

#include <stdbool.h>
#include <sys/types.h>

#include "answer.h"
#include "range.h"

/*
 * ptes of @pid over @r (NULL: the whole address space), one line per run
 * (or per entry with --entries), none entries when @none. With --raw, ask
 * for pfn= and raw= (raw=1); a module that does not take that key shows
 * them anyway, so the question is asked again without it.
 * Returns 0 or an exit code after saying why.
 */
int ask_ptes(pid_t pid, const struct range *r, bool none, struct answer *ans);
int ask_vmas(pid_t pid, const struct range *r, struct answer *ans);
int ask_collapse(pid_t pid, uint64_t addr, struct answer *ans);
/* @fault_around_bytes 0: let the module assume its default. */
int ask_faultaround(pid_t pid, uint64_t addr, unsigned long fault_around_bytes,
		    struct answer *ans);

/* The entry lines of a ptes answer end with one kind=summary line. */
const struct line *ptes_summary(const struct answer *ans);

#endif /* UFFDSCOPE_QUERY_H */
