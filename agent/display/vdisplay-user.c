/* SPDX-License-Identifier: MIT */
/*
 * What the display user needs from the file system and its account: a
 * path it can search (to reach its cookie), and a login shell a terminal
 * can start.
 */
#include "display/vdisplay-internal.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"

/* A terminal in the session starts $SHELL: nobody's is nologin, which
 * would make it exit at once. */
const char *
vdisplay__usable_shell(const char *sh)
{
	const char *base;

	if (sh == NULL || sh[0] != '/')
		return "/bin/sh";
	base = strrchr(sh, '/') + 1;
	if (strcmp(base, "nologin") == 0 || strcmp(base, "false") == 0)
		return "/bin/sh";
	return sh;
}

/* Can uid:gid (no supplementary groups: libuv drops them) search dir? */
static bool
searchable(const struct stat *st, uid_t uid, gid_t gid)
{
	if (st->st_uid == uid)
		return (st->st_mode & S_IXUSR) != 0;
	if (st->st_gid == gid)
		return (st->st_mode & S_IXGRP) != 0;
	return (st->st_mode & S_IXOTH) != 0;
}

int
vdisplay__check_path_searchable(const char *dir, uid_t uid, gid_t gid, char *err,
	size_t errlen)
{
	char p[PATH_MAX];
	struct stat st;
	size_t i, n = strlen(dir);

	for (i = 1; i <= n; i++) {
		if (i < n && dir[i] != '/')
			continue;
		memcpy(p, dir, i);
		p[i] = '\0';
		if (stat(p, &st) < 0 || !searchable(&st, uid, gid)) {
			snprintf(err, errlen,
				"%s is not searchable by the display user", p);
			return OP_ERR_PERM;
		}
	}
	return 0;
}
