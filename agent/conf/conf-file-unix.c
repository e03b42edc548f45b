/* SPDX-License-Identifier: MIT */
/* conf_load_file's file checks on Unix: a regular file within the size
 * cap that nobody else can change or replace. */
#include "conf/conf-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The directory check: a world-writable directory without the sticky bit
 * lets anyone rename another file over ours, so the mode of the file alone
 * proves nothing. We check the directory of the resolved path (symlinks
 * followed), which is where the bytes we read live.
 */
static void
check_dir(struct conf_diagctx *d, const char *path)
{
	char *real = realpath(path, NULL);
	char *slash;
	struct stat st;

	if (real == NULL)
		return; /* open() succeeded; nothing useful to add */
	slash = strrchr(real, '/');
	if (slash == real)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	if (stat(real, &st) == 0 && (st.st_mode & S_IWOTH) != 0 &&
		(st.st_mode & S_ISVTX) == 0)
		conf__diag(d, 0, 0,
			"refusing: directory %s is world-writable without the "
			"sticky bit, anyone could replace this file",
			real);
	free(real);
}

int
conf__open_checked(struct conf_diagctx *d, const char *path)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO must not hang us before the S_ISREG check. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		conf__diag(d, 0, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		conf__diag(d, 0, 0, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		conf__diag(d, 0, 0, "not a regular file");
		goto fail;
	}
	if ((st.st_mode & S_IWOTH) != 0)
		conf__diag(d, 0, 0,
			"refusing: the file is world-writable (mode %04o); "
			"run chmod o-w on it",
			(unsigned)(st.st_mode & 07777));
	check_dir(d, path);
	if (st.st_size > CONF_MAX_FILE_SIZE) {
		conf__diag(d, 0, 0, "larger than the %d byte limit",
			CONF_MAX_FILE_SIZE);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

bool
conf__privileged(void)
{
	return geteuid() == 0;
}
