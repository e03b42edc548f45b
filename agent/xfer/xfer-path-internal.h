/* SPDX-License-Identifier: MIT */
/*
 * Between xfer-path.c (shared) and the openers of each system
 * (xfer-path-unix.c, xfer-path-win.c).
 */
#ifndef OP_XFER_XFER_PATH_INTERNAL_H
#define OP_XFER_XFER_PATH_INTERNAL_H

#include <stdbool.h>

#include "xfer/xfer-path.h"

/*
 * The system's own rules for one path component (not "", "." or ".."),
 * beyond xfer_name_check's: 0, or OP_ERR_PROTO with a static reason in
 * *why (may be NULL). Applied to every component a client names.
 */
int xfer__name_os_check(const char *name, const char **why);

/* rel is what the parsers produce: relative, no empty, "." or ".."
 * component, no trailing '/', components at most XFER_NAME_MAX bytes. */
bool xfer__valid_rel(const char *rel);

#ifdef _WIN32
/*
 * xfer-path-win.c: opens the single component name ("" = dir itself)
 * beneath the directory handle dir with NtCreateFile (access,
 * disposition and create options as there), without following a reparse
 * point: one is refused with -ELOOP, or with links opened itself (to
 * stat, remove or rename the link). *attrs (may be NULL): the
 * FILE_ATTRIBUTE_ bits. 0 or -errno.
 */
int xfer__nt_open(void *dir, const char *name, unsigned long access,
	unsigned long disp, unsigned long opts, bool links, void **out,
	unsigned long *attrs);
#endif

#endif
