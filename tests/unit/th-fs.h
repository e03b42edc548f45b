/* SPDX-License-Identifier: MIT */
/* Removing a test's temporary tree (POSIX only), whatever its modes. */
#ifndef OP_TESTS_TH_FS_H
#define OP_TESTS_TH_FS_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static inline int
th_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	chmod(p, 0700);
	if (flag == FTW_DP)
		return rmdir(p) != 0 && errno != ENOENT;
	return unlink(p) != 0 && errno != ENOENT;
}

/* Removes path and everything below it; says so when something stays. */
static inline void
th_rm_tree(const char *path)
{
	if (nftw(path, th_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cleanup of %s failed\n", path);
}

#endif
