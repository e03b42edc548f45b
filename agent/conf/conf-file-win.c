/* SPDX-License-Identifier: MIT */
/*
 * conf_load_file's file checks on Windows: a regular file within the size
 * cap that nobody untrusted can change or replace: the file's DACL and
 * its folder's (adding or deleting entries replaces a file) grant write,
 * delete or DACL changes to LocalSystem, Administrators and the running
 * user only, and both are owned by one of them (core/winacl.h). What
 * world-writable modes are to conf-file-unix.c.
 */
#include "conf/conf-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <string.h>
#include <sys/stat.h>

#include "core/winacl.h"

/* The folder the open file h really lives in (links resolved). */
static HANDLE
open_parent(HANDLE h)
{
	WCHAR p[1024];
	DWORD n = GetFinalPathNameByHandleW(h, p, 1024, FILE_NAME_NORMALIZED);
	WCHAR *slash;

	if (n == 0 || n >= 1024 || (slash = wcsrchr(p, L'\\')) == NULL)
		return INVALID_HANDLE_VALUE;
	*slash = 0;
	return CreateFileW(p, READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE |
			FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
		FILE_FLAG_BACKUP_SEMANTICS, NULL);
}

static void
check_writers(struct conf_diagctx *d, int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd), dir;
	char why[320];

	if (winacl_check_writers(h, false, why, sizeof(why)) != 0) {
		conf__diag(d, 0, 0,
			"refusing: %s; fix with: icacls <file> /inheritance:r "
			"/grant:r *S-1-5-18:F *S-1-5-32-544:F *S-1-5-32-545:R",
			why);
		return;
	}
	if ((dir = open_parent(h)) == INVALID_HANDLE_VALUE) {
		conf__diag(d, 0, 0, "refusing: its folder cannot be checked");
		return;
	}
	if (winacl_check_writers(dir, true, why, sizeof(why)) != 0)
		conf__diag(d, 0, 0,
			"refusing: the folder: %s, and so anyone it lets in "
			"could replace this file",
			why);
	CloseHandle(dir);
}

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
	check_writers(d, fd);
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

/* LocalSystem, the service's account (packaging/windows/outpost.wxs),
 * gets the service's defaults (ProgramData), as root does on Unix; every
 * other account, administrators too, a user's. */
bool
conf__privileged(void)
{
	union {
		TOKEN_USER tu;
		BYTE buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	} u;
	HANDLE tok;
	DWORD len;
	bool sys = false;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return false;
	if (GetTokenInformation(tok, TokenUser, &u, sizeof(u), &len))
		sys = IsWellKnownSid(u.tu.User.Sid, WinLocalSystemSid) != FALSE;
	CloseHandle(tok);
	return sys;
}
