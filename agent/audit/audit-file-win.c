/* SPDX-License-Identifier: MIT */
/*
 * The files beneath sqlite on Windows (audit-file-unix.c's work): the
 * writer opens audit.db itself first, creating it with the private DACL
 * (LocalSystem, Administrators, us; winacl.h) and refusing one that lets
 * anyone else in, a link or a folder, then holds an exclusive byte-range
 * lock far beyond the bytes sqlite's win32 VFS locks (around 1 GiB), so
 * a second writer fails at once while sqlite's own locking is untouched.
 * The -wal and -shm files sqlite creates inherit the state folder's
 * private DACL (securefile-win.c). Names are UTF-8, as sqlite takes them.
 */
#include "audit/audit-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/winacl.h"

/* Our lock's byte: no database reaches 2^62 bytes. */
#define LOCK_OFFSET_HIGH 0x40000000u

int
audit__db_lock(const char *path, intptr_t *lock, char *why,
	size_t why_size)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	OVERLAPPED ov = { 0 };
	WCHAR *w = winacl_wide(path);
	HANDLE h = INVALID_HANDLE_VALUE;
	uint64_t size;
	int r;

	*lock = AUDIT_NO_LOCK;
	if (w == NULL) {
		snprintf(why, why_size, "%s: not a UTF-8 path", path);
		return OP_ERR_CONFIG;
	}
	if ((r = winacl_private(false, false, &sa.lpSecurityDescriptor)) != 0)
		goto out;
	/* sqlite opens it again with read and write sharing. */
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE | READ_CONTROL,
		FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_ALWAYS,
		FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		r = op_err_from_win32(GetLastError());
		snprintf(why, why_size, "cannot open %s (error %lu)", path,
			(unsigned long)GetLastError());
		goto out;
	}
	if ((r = winacl_check_private_file(h, path, &size, why,
		     why_size)) != 0)
		goto out;
	ov.OffsetHigh = LOCK_OFFSET_HIGH;
	if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
		    0, 1, 0, &ov)) {
		DWORD e = GetLastError();

		snprintf(why, why_size,
			"%s is being written by another outpost process "
			"(is the agent running?)",
			path);
		r = e == ERROR_LOCK_VIOLATION || e == ERROR_IO_PENDING ?
			OP_ERR_STATE : op_err_from_win32(e);
		goto out;
	}
	*lock = (intptr_t)h;
	h = INVALID_HANDLE_VALUE;
	r = 0;
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	LocalFree(sa.lpSecurityDescriptor);
	free(w);
	return r;
}

void
audit__db_unlock(intptr_t lock)
{
	/* Closing the handle releases its lock. */
	if (lock != AUDIT_NO_LOCK)
		CloseHandle((HANDLE)lock);
}

int
audit__file_exists(const char *path)
{
	WCHAR *w = winacl_wide(path);
	DWORD a;

	if (w == NULL)
		return -EINVAL;
	a = GetFileAttributesW(w);
	free(w);
	return a != INVALID_FILE_ATTRIBUTES ? 0 : op_err_from_win32(GetLastError());
}

bool
audit__reader_may_write(const char *path)
{
	char wal[4300];
	WCHAR *w;
	HANDLE h;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (audit__file_exists(wal) != -ENOENT ||
		(w = winacl_wide(path)) == NULL)
		return false;
	/* Whether the DACL lets us write: open for writing, nothing more. */
	h = CreateFileW(w, GENERIC_WRITE,
		FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
		OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return false;
	CloseHandle(h);
	return true;
}
