/* SPDX-License-Identifier: MIT */
/*
 * Path confinement on Linux: the openers that resolve a relative path
 * beneath a directory fd. openat2 with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS does it in one atomic
 * lookup; without it (kernels before 5.6, seccomp) each component is
 * opened from the previous one's fd with O_NOFOLLOW, so a symlink swapped
 * in mid-walk makes the open fail instead of leading elsewhere. Neither
 * way ever builds a host path string or interprets "..". POSIX names
 * need no rules beyond xfer-path.c's.
 */
#include "xfer/xfer-path-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static bool force_walk;
static int openat2_state = -1; /* -1 unknown, 0 missing, 1 works */

int
xfer__name_os_check(const char *name, const char **why)
{
	(void)name;
	(void)why;
	return 0;
}

int
xfer_open_root(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd >= 0 ? fd : -errno;
}

bool
xfer_path_has_openat2(void)
{
	struct open_how how;
	long fd;

	if (openat2_state >= 0)
		return openat2_state == 1;
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
	fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
	if (fd >= 0)
		close((int)fd);
	/* Racy first use from two threads only computes this twice. */
	openat2_state = fd >= 0 ? 1 : 0;
	return openat2_state == 1;
}

void
xfer_path_force_walk(bool walk)
{
	force_walk = walk;
}

/* Turns ENOTDIR into ELOOP when a component of rel is a symlink, so the
 * technician is told why. Only lstat-like calls; nothing is opened. */
static int
refine(int dirfd, const char *rel, int r)
{
	char pre[XFER_PATH_MAX];
	size_t len = strlen(rel);
	struct stat st;

	if (r != -ENOTDIR || len >= sizeof(pre))
		return r;
	for (size_t i = 0; i <= len; i++) {
		if (rel[i] != '/' && rel[i] != '\0')
			continue;
		memcpy(pre, rel, i);
		pre[i] = '\0';
		if (fstatat(dirfd, pre, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return r;
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISDIR(st.st_mode))
			return r;
	}
	return r;
}

static int
open_how2(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC | O_NOFOLLOW);
	if (flags & O_CREAT)
		how.mode = mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		RESOLVE_NO_MAGICLINKS;
	for (int i = 0; i < 16; i++) {
		long fd = syscall(SYS_openat2, dirfd, rel[0] ? rel : ".", &how,
			sizeof(how));

		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: a concurrent rename; the lookup is retried. */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

static int
open_walk(int dirfd, const char *rel, int flags, mode_t mode)
{
	char comp[XFER_NAME_MAX + 1];
	const char *p = rel;
	int cur = dirfd;
	int fd;

	for (;;) {
		size_t n = strcspn(p, "/");

		memcpy(comp, n > 0 ? p : ".", n > 0 ? n : 1);
		comp[n > 0 ? n : 1] = '\0';
		if (p[n] == '\0') {
			fd = openat(cur, comp, flags | O_CLOEXEC | O_NOFOLLOW,
				mode);
			if (fd < 0)
				fd = -errno;
			break;
		}
		fd = openat(cur, comp,
			O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			if (fd == -ENOTDIR)
				fd = refine(cur, comp, fd);
			break;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
		p += n + 1;
	}
	if (cur != dirfd)
		close(cur);
	return fd;
}

int
xfer_openat(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct stat st;
	int fd;

	if (!xfer__valid_rel(rel))
		return -EINVAL;
	if (!force_walk && xfer_path_has_openat2())
		fd = open_how2(dirfd, rel, flags, mode);
	else
		fd = open_walk(dirfd, rel, flags, mode);
	if (fd < 0)
		return refine(dirfd, rel, fd);
	/* O_PATH | O_NOFOLLOW hands back a trailing symlink itself. */
	if ((flags & O_PATH) &&
		(fstat(fd, &st) != 0 || S_ISLNK(st.st_mode))) {
		close(fd);
		return -ELOOP;
	}
	return fd;
}

int
xfer_mkdirs(int dirfd, const char *rel)
{
	char comp[XFER_NAME_MAX + 1];
	const char *p = rel;
	int cur, fd, r;

	if (!xfer__valid_rel(rel))
		return -EINVAL;
	if ((cur = xfer_openat(dirfd, "", O_PATH | O_DIRECTORY, 0)) < 0)
		return cur;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		struct stat st;

		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n + (p[n] == '/');
		fd = openat(cur, comp,
			O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if ((r = xfer_name_check(comp, NULL)) != 0)
				goto fail;
			if (mkdirat(cur, comp, 0755) != 0 && errno != EEXIST) {
				r = -errno;
				goto fail;
			}
			/* A root agent gives new directories to the owner
			 * of the directory they are made in. */
			if (geteuid() == 0 && fstat(cur, &st) == 0 &&
				fchownat(cur, comp, st.st_uid, st.st_gid,
					AT_SYMLINK_NOFOLLOW) != 0) {
				/* best effort: the directory stays ours */
			}
			fd = openat(cur, comp,
				O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0) {
			r = refine(cur, comp, -errno);
			goto fail;
		}
		close(cur);
		cur = fd;
	}
	return cur;
fail:
	close(cur);
	return r;
}
