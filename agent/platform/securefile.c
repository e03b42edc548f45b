/* SPDX-License-Identifier: MIT */
/*
 * Secret-file I/O with ownership and mode checks. Uses only POSIX calls on
 * descriptors (open with O_NOFOLLOW, then fstat) so a check and the read
 * that follows it see the same file. Must not log: callers log `why`.
 */
#include "platform/securefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

int
sfile_ensure_dir(const char *dir, char why[static SFILE_WHY_LEN])
{
	struct stat st;

	why[0] = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		int e = errno;

		snprintf(why, SFILE_WHY_LEN, "cannot create %s: %s", dir,
			strerror(e));
		return -e;
	}
	if (lstat(dir, &st) != 0) {
		int e = errno;

		snprintf(why, SFILE_WHY_LEN, "cannot stat %s: %s", dir,
			strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, SFILE_WHY_LEN,
			"%s is not a directory (a symlink or file is not "
			"accepted as the state directory)",
			dir);
		return OP_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, SFILE_WHY_LEN,
			"%s is owned by uid %u, not by the running user (uid "
			"%u); fix with: chown %u %s",
			dir, (unsigned)st.st_uid, (unsigned)geteuid(),
			(unsigned)geteuid(), dir);
		return OP_ERR_PERM;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(why, SFILE_WHY_LEN,
			"%s has mode %04o, which lets other users in; fix "
			"with: chmod 700 %s",
			dir, (unsigned)(st.st_mode & 07777), dir);
		return OP_ERR_PERM;
	}
	return 0;
}

int
sfile_read_secret(const char *path, size_t max, uint8_t **out,
	size_t *out_len, char why[static SFILE_WHY_LEN])
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd;
	int r = OP_ERR_INTERNAL;

	*out = NULL;
	*out_len = 0;
	why[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (errno == ELOOP)
			snprintf(why, SFILE_WHY_LEN,
				"refusing to follow symlink %s; replace it "
				"with a regular file",
				path);
		else
			snprintf(why, SFILE_WHY_LEN, "cannot open %s: %s",
				path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) != 0) {
		r = -errno;
		snprintf(why, SFILE_WHY_LEN, "cannot stat %s: %s", path,
			strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = OP_ERR_PERM;
		snprintf(why, SFILE_WHY_LEN, "%s is not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = OP_ERR_PERM;
		snprintf(why, SFILE_WHY_LEN,
			"refusing to load %s: owned by uid %u, not by the "
			"running user; fix with: chown %u %s",
			path, (unsigned)st.st_uid, (unsigned)geteuid(), path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = OP_ERR_PERM;
		snprintf(why, SFILE_WHY_LEN,
			"refusing to load %s: mode %04o lets other users read "
			"or change a secret; fix with: chmod 600 %s",
			path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		r = OP_ERR_TOO_LARGE;
		snprintf(why, SFILE_WHY_LEN,
			"%s is %lld bytes, more than the %zu allowed", path,
			(long long)st.st_size, max);
		goto out;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		r = OP_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, max + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(why, SFILE_WHY_LEN, "cannot read %s: %s",
				path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) { /* grew between fstat and read */
			r = OP_ERR_TOO_LARGE;
			snprintf(why, SFILE_WHY_LEN,
				"%s is larger than the %zu bytes allowed",
				path, max);
			goto out;
		}
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	buf = NULL;
	r = 0;
out:
	if (buf != NULL)
		sfile_free_secret(buf, max + 1);
	close(fd);
	return r;
}

static int
fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd;
	int r = 0;

	if (copy == NULL)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

int
sfile_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, char why[static SFILE_WHY_LEN])
{
	char tmp[4096];
	const uint8_t *p = data;
	size_t done = 0;
	int fd;
	int r;

	why[0] = '\0';
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
		(int)sizeof(tmp))
		return -ENAMETOOLONG;
	(void)unlink(tmp); /* a stale temp of a dead writer with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		mode);
	if (fd < 0) {
		r = -errno;
		snprintf(why, SFILE_WHY_LEN, "cannot create %s: %s", tmp,
			strerror(errno));
		return r;
	}
	if (fchmod(fd, mode) != 0) /* umask must not widen or narrow it */
		goto fail;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return fsync_parent(path);
fail:
	r = -errno;
	snprintf(why, SFILE_WHY_LEN, "cannot write %s: %s", path,
		strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

int
sfile_remove(const char *path, char why[static SFILE_WHY_LEN])
{
	int e;

	why[0] = '\0';
	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	e = errno;
	snprintf(why, SFILE_WHY_LEN, "cannot remove %s: %s", path,
		strerror(e));
	return -e;
}
