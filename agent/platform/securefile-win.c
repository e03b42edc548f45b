/* SPDX-License-Identifier: MIT */
/*
 * securefile.h on Windows: where the Unix build checks owner and mode,
 * this one checks owner and DACL (winacl.c). The state folder
 * (ProgramData\Outpost for the service) is created with a protected DACL
 * for LocalSystem, Administrators and the running user, inherited by
 * what is created inside: ProgramData's own DACL lets every user create
 * and read files, and must not reach in. Reparse points (symbolic links,
 * junctions) are never followed. Must not log: callers log `why`.
 *
 * mode: anything with group/other read bits (0644) adds read access for
 * Users; otherwise the file gets the private DACL.
 */
#include "platform/securefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/winacl.h"

/* Opens path itself (a reparse point is not followed) for reading its
 * attributes and security, and reading data when data is true. */
static HANDLE
open_nofollow(const WCHAR *w, bool data)
{
	return CreateFileW(w, READ_CONTROL | (data ? GENERIC_READ : 0),
		FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
		OPEN_EXISTING,
		FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
}

int
sfile_ensure_dir(const char *dir, char why[static SFILE_WHY_LEN])
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	BY_HANDLE_FILE_INFORMATION fi;
	char acl_why[320], fix[SFILE_WHY_LEN];
	WCHAR *w = winacl_wide(dir);
	HANDLE h = INVALID_HANDLE_VALUE;
	int r;

	why[0] = '\0';
	if (w == NULL) {
		snprintf(why, SFILE_WHY_LEN, "%s: not a UTF-8 path", dir);
		return OP_ERR_CONFIG;
	}
	if ((r = winacl_private(true, false, &sa.lpSecurityDescriptor)) != 0)
		goto out;
	if (!CreateDirectoryW(w, &sa) &&
		GetLastError() != ERROR_ALREADY_EXISTS) {
		r = op_err_from_win32(GetLastError());
		snprintf(why, SFILE_WHY_LEN, "cannot create %s (error %lu)",
			dir, (unsigned long)GetLastError());
		goto out;
	}
	if ((h = open_nofollow(w, false)) == INVALID_HANDLE_VALUE ||
		!GetFileInformationByHandle(h, &fi)) {
		r = op_err_from_win32(GetLastError());
		snprintf(why, SFILE_WHY_LEN, "cannot open %s (error %lu)", dir,
			(unsigned long)GetLastError());
		goto out;
	}
	if (!(fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ||
		(fi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
		r = OP_ERR_PERM;
		snprintf(why, SFILE_WHY_LEN,
			"%s is not a directory (a link, junction or file is "
			"not accepted as the state directory)",
			dir);
		goto out;
	}
	if ((r = winacl_check_private(h, acl_why, sizeof(acl_why))) != 0) {
		winacl_fix_hint(dir, true, fix, sizeof(fix));
		snprintf(why, SFILE_WHY_LEN,
			"%s: %s; fix with: %s", dir,
			acl_why, fix);
	}
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	LocalFree(sa.lpSecurityDescriptor);
	free(w);
	return r;
}

/* Reads the open file h (size checked) into a malloc'd buffer of max + 1
 * bytes. */
static int
read_all(HANDLE h, const char *path, size_t max, uint8_t **out,
	size_t *out_len, char *why)
{
	uint8_t *buf = malloc(max + 1);
	size_t got = 0;

	if (buf == NULL)
		return OP_ERR_NOMEM;
	for (;;) {
		DWORD want = (DWORD)(max + 1 - got > 65536 ? 65536
							   : max + 1 - got);
		DWORD n = 0;

		if (!ReadFile(h, buf + got, want, &n, NULL)) {
			snprintf(why, SFILE_WHY_LEN, "cannot read %s (error %lu)",
				path, (unsigned long)GetLastError());
			sfile_free_secret(buf, max + 1);
			return -EIO;
		}
		if (n == 0)
			break;
		got += n;
		if (got > max) { /* grew since we looked */
			snprintf(why, SFILE_WHY_LEN,
				"%s is larger than the %zu bytes allowed", path,
				max);
			sfile_free_secret(buf, max + 1);
			return OP_ERR_TOO_LARGE;
		}
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	return 0;
}

int
sfile_read_secret(const char *path, size_t max, uint8_t **out,
	size_t *out_len, char why[static SFILE_WHY_LEN])
{
	WCHAR *w = winacl_wide(path);
	HANDLE h;
	uint64_t size;
	int r;

	*out = NULL;
	*out_len = 0;
	why[0] = '\0';
	if (w == NULL) {
		snprintf(why, SFILE_WHY_LEN, "%s: not a UTF-8 path", path);
		return OP_ERR_CONFIG;
	}
	h = open_nofollow(w, true);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		r = op_err_from_win32(GetLastError());
		snprintf(why, SFILE_WHY_LEN, "cannot open %s (error %lu)", path,
			(unsigned long)GetLastError());
		return r;
	}
	if ((r = winacl_check_private_file(h, path, &size, why,
		     SFILE_WHY_LEN)) != 0)
		goto out;
	if (size > max) {
		r = OP_ERR_TOO_LARGE;
		snprintf(why, SFILE_WHY_LEN,
			"%s is %llu bytes, more than the %zu allowed", path,
			(unsigned long long)size, max);
		goto out;
	}
	r = read_all(h, path, max, out, out_len, why);
out:
	CloseHandle(h);
	return r;
}

/* Writes all of data to the new file h and flushes it to disk. */
static bool
write_all(HANDLE h, const uint8_t *p, size_t len)
{
	while (len > 0) {
		DWORD n = 0, want = len > (1u << 30) ? (1u << 30) : (DWORD)len;

		if (!WriteFile(h, p, want, &n, NULL) || n == 0)
			return false;
		p += n;
		len -= n;
	}
	return FlushFileBuffers(h) != 0;
}

int
sfile_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, char why[static SFILE_WHY_LEN])
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	char tmp[4096];
	WCHAR *wt = NULL, *wp = NULL;
	HANDLE h = INVALID_HANDLE_VALUE;
	DWORD e = 0;
	int r;

	why[0] = '\0';
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%lu", path,
		    (unsigned long)GetCurrentProcessId()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if ((wt = winacl_wide(tmp)) == NULL || (wp = winacl_wide(path)) == NULL) {
		free(wt);
		snprintf(why, SFILE_WHY_LEN, "%s: not a UTF-8 path", path);
		return OP_ERR_CONFIG;
	}
	if ((r = winacl_private(false, (mode & 044) != 0,
		     &sa.lpSecurityDescriptor)) != 0)
		goto out;
	(void)DeleteFileW(wt); /* a stale temp of a dead writer with our pid */
	h = CreateFileW(wt, GENERIC_WRITE, 0, &sa, CREATE_NEW,
		FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		r = op_err_from_win32(GetLastError());
		snprintf(why, SFILE_WHY_LEN, "cannot create %s (error %lu)",
			tmp, (unsigned long)GetLastError());
		goto out;
	}
	if (!write_all(h, data, len)) {
		e = GetLastError();
		goto fail;
	}
	CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	/* Replacing keeps nothing of the old file's security: the new one
	 * has ours. */
	if (!MoveFileExW(wt, wp,
		    MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		e = GetLastError();
		goto fail;
	}
	r = 0;
	goto out;
fail:
	r = op_err_from_win32(e);
	snprintf(why, SFILE_WHY_LEN, "cannot write %s (error %lu)", path,
		(unsigned long)e);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	DeleteFileW(wt);
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	LocalFree(sa.lpSecurityDescriptor);
	free(wt);
	free(wp);
	return r;
}

int
sfile_remove(const char *path, char why[static SFILE_WHY_LEN])
{
	WCHAR *w = winacl_wide(path);
	DWORD e;

	why[0] = '\0';
	if (w == NULL) {
		snprintf(why, SFILE_WHY_LEN, "%s: not a UTF-8 path", path);
		return OP_ERR_CONFIG;
	}
	/* DeleteFileW removes a link itself, never what it points to. */
	e = DeleteFileW(w) ? ERROR_SUCCESS : GetLastError();
	free(w);
	if (e == ERROR_SUCCESS || e == ERROR_FILE_NOT_FOUND)
		return 0;
	snprintf(why, SFILE_WHY_LEN, "cannot remove %s (error %lu)", path,
		(unsigned long)e);
	return op_err_from_win32(e);
}
