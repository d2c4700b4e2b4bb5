/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command's client of uffdscope.ko's debugfs files: one query written,
 * the whole answer read, on one open file (the module keeps the answer per
 * open file). When the files cannot be used, diagnose() says why in one line
 * and picks the exit code (uffdscope.h).
 */
#ifndef UFFDSCOPE_DEBUGFS_H
#define UFFDSCOPE_DEBUGFS_H

#include <stdbool.h>

#include "answer.h"

/* Where the facts that explain a failure live; tests point these elsewhere. */
struct sys_paths {
	const char *debugfs;	/* the debugfs mount point */
	const char *mountinfo;	/* to tell whether debugfs is mounted there */
	const char *module;	/* exists when uffdscope.ko is loaded */
	const char *lockdown;	/* securityfs's lockdown file */
	const char *status;	/* /proc/self/status, for CapEff */
};

extern const struct sys_paths default_paths;

struct diagnosis {
	int code;		/* enum tool_exit */
	char msg[320];
};

/*
 * Ask @file (ptes, vmas, collapse, faultaround) the @query. Returns 0 with
 * @ans filled, or an exit code after fail() has said why.
 */
int scope_ask(const char *file, const char *query, struct answer *ans);

/* The same without a message: 0, or the errno with @d saying why. */
int scope_query(const char *file, const char *query, struct answer *ans,
		struct diagnosis *d);

/*
 * Why an open (@stage "open") or a write/read of @file failed with @err
 * (a positive errno), given the system described by @p.
 */
void diagnose(const struct sys_paths *p, const char *file, const char *stage,
	      int err, const char *query, struct diagnosis *d);

/* Whether debugfs is mounted at p->debugfs (from p->mountinfo). */
bool debugfs_mounted(const struct sys_paths *p);
/* The selected lockdown mode ("none", "integrity", "confidentiality"), or NULL. */
const char *lockdown_mode(const struct sys_paths *p, char *buf, int size);
/* Whether the effective capabilities hold CAP_SYS_ADMIN, or capability @bit. */
bool has_cap_sys_admin(const struct sys_paths *p);
bool has_cap(const struct sys_paths *p, int bit);

#endif /* UFFDSCOPE_DEBUGFS_H */
