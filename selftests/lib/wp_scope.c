// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scope.h"
#include "wp_scope.h"

int wp_scope_seen(pid_t pid, const void *addr, size_t unit, struct wp_seen *seen)
{
	const struct scope_line *l;
	struct scope_answer ans;
	const char *kind, *level;
	int ret;

	memset(seen, 0, sizeof(*seen));
	if (!scope_loaded())
		return -ENODEV;
	ret = scope_ptes(pid, addr, unit, "mode=entries", &ans);
	if (ret)
		return ret;
	l = scope_find(&ans, addr);
	kind = l ? scope_get(l, "kind") : NULL;
	level = l ? scope_get(l, "level") : NULL;
	snprintf(seen->kind, sizeof(seen->kind), "%s", kind ? kind : "none");
	snprintf(seen->level, sizeof(seen->level), "%s", level ? level : "-");
	if (!kind || !strcmp(kind, "none"))
		seen->view = VIEW_NONE;
	else if (!strcmp(kind, "marker") && scope_is(l, "marker_guard", "1"))
		/* a guard marker that also carried uffd-wp would be neither view */
		seen->view = scope_is(l, "marker_uffd_wp", "0") ? VIEW_MARKER_GUARD : VIEW_OTHER;
	else if (!strcmp(kind, "marker"))
		seen->view = scope_is(l, "marker_uffd_wp", "1") ? VIEW_MARKER_WP : VIEW_OTHER;
	else if (!strcmp(kind, "present") && scope_is(l, "uffd_rwp", "1"))
		seen->view = VIEW_PRESENT_RWP;
	else if (!strcmp(kind, "present"))
		seen->view = scope_is(l, "uffd_wp", "1") ? VIEW_PRESENT_WP : VIEW_PRESENT;
	else if (!strcmp(kind, "swap"))
		seen->view = scope_is(l, "uffd_wp", "1") ? VIEW_SWAP_WP : VIEW_OTHER;
	else
		seen->view = VIEW_OTHER;
	scope_free(&ans);
	return 0;
}

const char *wp_view_name(enum wp_view v)
{
	static const char * const names[] = {
		[VIEW_NONE] = "none",
		[VIEW_MARKER_WP] = "uffd-wp marker",
		[VIEW_PRESENT_WP] = "present uffd-wp",
		[VIEW_PRESENT] = "present",
		[VIEW_SWAP_WP] = "uffd-wp swap entry",
		[VIEW_MARKER_GUARD] = "guard marker",
		[VIEW_PRESENT_RWP] = "present RWP-protected",
		[VIEW_OTHER] = "other",
	};

	return v <= VIEW_OTHER ? names[v] : "?";
}
