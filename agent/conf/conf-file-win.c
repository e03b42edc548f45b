/* SPDX-License-Identifier: MIT */
/*
 * conf_load_file's file checks on Windows (issue 16, partial): a regular
 * file within the size cap. Not yet: the ACL check (who may write the
 * file and its folder) that the Unix mode checks stand for.
 */
#include "conf/conf-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <string.h>
#include <sys/stat.h>

int
conf__open_checked(struct conf_diagctx *d, const char *path)
{
	struct _stat64 st;
	int fd = _open(path, _O_RDONLY | _O_BINARY | _O_NOINHERIT);

	if (fd < 0) {
		conf__diag(d, 0, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (_fstat64(fd, &st) != 0) {
		conf__diag(d, 0, 0, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if ((st.st_mode & _S_IFMT) != _S_IFREG) {
		conf__diag(d, 0, 0, "not a regular file");
		goto fail;
	}
	if (st.st_size > CONF_MAX_FILE_SIZE) {
		conf__diag(d, 0, 0, "larger than the %d byte limit",
			CONF_MAX_FILE_SIZE);
		goto fail;
	}
	return fd;
fail:
	_close(fd);
	return -1;
}

/* The service's defaults (ProgramData) come with the Windows service;
 * until then the defaults are a user's. */
bool
conf__privileged(void)
{
	return false;
}
