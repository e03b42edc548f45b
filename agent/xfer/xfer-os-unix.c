/* SPDX-License-Identifier: MIT */
/*
 * xfer-os.h on Linux: the *at calls on the fds of xfer-path-unix.c,
 * never following a symlink (AT_SYMLINK_NOFOLLOW, O_NOFOLLOW).
 */
#include "xfer/xfer-os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* renameat, renameat2 */
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

bool
xfer_os_is_sep(char c)
{
	return c == '/';
}

bool
xfer_os_absolute(const char *path)
{
	return path[0] == '/';
}

static void
from_stat(const struct stat *s, struct xfer_os_stat *st)
{
	st->type = S_ISREG(s->st_mode) ? XFER_OS_REG :
		S_ISDIR(s->st_mode)    ? XFER_OS_DIR :
		S_ISLNK(s->st_mode)    ? XFER_OS_LINK :
					 XFER_OS_OTHER;
	st->size = S_ISREG(s->st_mode) ? (uint64_t)s->st_size : 0;
	st->mtime = s->st_mtim.tv_sec > 0 ? (uint64_t)s->st_mtim.tv_sec : 0;
	st->uid = s->st_uid;
	st->gid = s->st_gid;
	st->mode = s->st_mode & 07777;
}

int
xfer_os_fstat(int fd, struct xfer_os_stat *st)
{
	struct stat s;

	if (fstat(fd, &s) != 0)
		return -errno;
	from_stat(&s, st);
	return 0;
}

int
xfer_os_statat(int dirfd, const char *name, struct xfer_os_stat *st)
{
	struct stat s;

	if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	from_stat(&s, st);
	return 0;
}

struct xfer_os_dir {
	DIR *d;
	const char *name;
};

int
xfer_os_dir_open(int fd, struct xfer_os_dir **out)
{
	struct xfer_os_dir *d = calloc(1, sizeof(*d));
	int r;

	*out = NULL;
	if (d == NULL) {
		close(fd);
		return OP_ERR_NOMEM;
	}
	if ((d->d = fdopendir(fd)) == NULL) {
		r = -errno;
		close(fd);
		free(d);
		return r;
	}
	*out = d;
	return 0;
}

int
xfer_os_dir_next(struct xfer_os_dir *d, const char **name)
{
	struct dirent *de;

	for (;;) {
		errno = 0;
		if ((de = readdir(d->d)) == NULL)
			return errno != 0 ? -errno : 0;
		if (strcmp(de->d_name, ".") != 0 &&
			strcmp(de->d_name, "..") != 0)
			break;
	}
	*name = d->name = de->d_name;
	return 1;
}

void
xfer_os_dir_stat(struct xfer_os_dir *d, struct xfer_os_stat *st)
{
	if (xfer_os_statat(dirfd(d->d), d->name, st) != 0)
		memset(st, 0, sizeof(*st)); /* XFER_OS_GONE */
}

int
xfer_os_dir_fd(struct xfer_os_dir *d)
{
	return dirfd(d->d);
}

void
xfer_os_dir_close(struct xfer_os_dir *d)
{
	if (d != NULL)
		closedir(d->d);
	free(d);
}

int
xfer_os_open(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);

	return fd < 0 ? -errno : fd;
}

int
xfer_os_reopen_dir(int fd)
{
	return xfer_os_open(fd, ".", O_RDONLY | O_DIRECTORY, 0);
}

int
xfer_os_remove(int dirfd, const char *name, bool dir)
{
	if (unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0) == 0)
		return 0;
	/* rmdir may say EEXIST for a non-empty directory (POSIX). */
	return dir && errno == EEXIST ? -ENOTEMPTY : -errno;
}

int
xfer_os_rename(int dirfd, const char *from, const char *to, bool replace)
{
	struct stat st;

	if (renameat2(dirfd, from, dirfd, to,
		    replace ? 0 : RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* A filesystem without RENAME_NOREPLACE: check, then rename. */
	if (!replace && fstatat(dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	return renameat(dirfd, from, dirfd, to) != 0 ? -errno : 0;
}

int
xfer_os_lock(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -EBUSY : -errno;
}

ssize_t
xfer_os_pread(int fd, void *p, size_t len, uint64_t off)
{
	ssize_t n;

	while ((n = pread(fd, p, len, (off_t)off)) < 0 && errno == EINTR)
		;
	return n < 0 ? -errno : n;
}

ssize_t
xfer_os_pwrite(int fd, const void *p, size_t len, uint64_t off)
{
	ssize_t n;

	while ((n = pwrite(fd, p, len, (off_t)off)) < 0 && errno == EINTR)
		;
	return n < 0 ? -errno : n;
}

int
xfer_os_truncate(int fd, uint64_t size)
{
	return ftruncate(fd, (off_t)size) != 0 ? -errno : 0;
}

int
xfer_os_set_mtime(int fd, uint64_t mtime)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {(time_t)mtime, 0}};

	return futimens(fd, ts) != 0 ? -errno : 0;
}

int
xfer_os_sync(int fd)
{
	return fsync(fd) != 0 ? -errno : 0;
}

void
xfer_os_sync_dir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

void
xfer_os_sequential(int fd)
{
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

void
xfer_os_own_like_dir(int fd, int dirfd)
{
	struct stat st;

	if (geteuid() == 0 && fstat(dirfd, &st) == 0 &&
		fchown(fd, st.st_uid, st.st_gid) != 0) {
		/* best effort: the file stays ours */
	}
}

int
xfer_os_set_mode(int fd, const struct xfer_os_stat *like)
{
	if (like != NULL && geteuid() == 0 &&
		fchown(fd, like->uid, like->gid) != 0) {
		/* best effort: the file stays ours */
	}
	return fchmod(fd, like != NULL ? like->mode : 0644) != 0 ? -errno : 0;
}
