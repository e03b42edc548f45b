/* SPDX-License-Identifier: MIT */
/*
 * The files beneath sqlite on Unix: the writer's lock on audit.db (mode
 * 0600 and owner checked on the descriptor it opens, an exclusive flock)
 * and the probes audit-verify.c makes before opening a reader.
 */
#include "audit/audit-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

int
audit__db_lock(const char *path, intptr_t *lock, char *why,
	size_t why_size)
{
	struct stat st;
	int fd;

	*lock = AUDIT_NO_LOCK;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		snprintf(why, why_size, "cannot open %s: %s", path,
			strerror(e));
		return -e;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "%s is not a regular file", path);
		close(fd);
		return OP_ERR_PERM;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(why, why_size,
			"%s has owner %u and mode %04o; it must belong to uid "
			"%u with mode 0600 (chown %u %s && chmod 600 %s)",
			path, (unsigned)st.st_uid,
			(unsigned)(st.st_mode & 07777), (unsigned)geteuid(),
			(unsigned)geteuid(), path, path);
		close(fd);
		return OP_ERR_PERM;
	}
	/* flock, not fcntl: sqlite's own POSIX locks on the same file are
	 * independent of it. The descriptor stays open until after
	 * sqlite3_close, so closing it cannot drop sqlite's locks. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		snprintf(why, why_size,
			"%s is being written by another outpost process "
			"(is the agent running?)",
			path);
		close(fd);
		return e == EWOULDBLOCK ? OP_ERR_STATE : -e;
	}
	*lock = fd;
	return 0;
}

void
audit__db_unlock(intptr_t lock)
{
	if (lock != AUDIT_NO_LOCK)
		close((int)lock);
}

int
audit__file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? 0 : -errno;
}

bool
audit__reader_may_write(const char *path)
{
	char wal[4300];
	struct stat st;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return lstat(wal, &st) != 0 && errno == ENOENT &&
		access(path, W_OK) == 0;
}
