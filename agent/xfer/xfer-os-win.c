/* SPDX-License-Identifier: MIT */
/*
 * xfer-os.h on Windows, on the handles behind the CRT fds of
 * xfer-path-win.c. Names are opened relative to the folder's handle
 * (xfer__nt_open), a reparse point is never followed: it is listed and
 * stat'ed as a link, removed or renamed itself. Listings come from the
 * folder handle (FileIdBothDirectoryInfo), with the type, size and time
 * of each entry in the same call. Times are converted between FILETIME
 * (100 ns since 1601) and the protocol's seconds since 1970.
 */
#include "xfer/xfer-os.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>
#include <winternl.h>

#include "core/err.h"
#include "xfer/xfer-path-internal.h"

#define EPOCH_1970 116444736000000000ULL /* in FILETIME's 100 ns */
#define TICKS 10000000ULL

bool
xfer_os_is_sep(char c)
{
	return c == '/' || c == '\\';
}

bool
xfer_os_absolute(const char *path)
{
	bool drive = ((path[0] | 0x20) >= 'a' && (path[0] | 0x20) <= 'z') &&
		path[1] == ':' && xfer_os_is_sep(path[2]);

	return drive || (xfer_os_is_sep(path[0]) && xfer_os_is_sep(path[1]));
}

static HANDLE
handle_of(int fd)
{
	return (HANDLE)_get_osfhandle(fd);
}

static int
last_error(void)
{
	return op_err_from_win32(GetLastError());
}

static void
from_info(DWORD attrs, uint64_t size, uint64_t ft, struct xfer_os_stat *st)
{
	memset(st, 0, sizeof(*st));
	if (attrs & FILE_ATTRIBUTE_REPARSE_POINT)
		st->type = XFER_OS_LINK;
	else if (attrs & FILE_ATTRIBUTE_DIRECTORY)
		st->type = XFER_OS_DIR;
	else if (attrs & FILE_ATTRIBUTE_DEVICE)
		st->type = XFER_OS_OTHER;
	else
		st->type = XFER_OS_REG;
	st->size = st->type == XFER_OS_REG ? size : 0;
	st->mtime = ft > EPOCH_1970 ? (ft - EPOCH_1970) / TICKS : 0;
}

static int
stat_handle(HANDLE h, struct xfer_os_stat *st)
{
	BY_HANDLE_FILE_INFORMATION fi;

	if (h == INVALID_HANDLE_VALUE)
		return -EBADF;
	if (!GetFileInformationByHandle(h, &fi))
		return last_error();
	from_info(fi.dwFileAttributes,
		((uint64_t)fi.nFileSizeHigh << 32) | fi.nFileSizeLow,
		((uint64_t)fi.ftLastWriteTime.dwHighDateTime << 32) |
			fi.ftLastWriteTime.dwLowDateTime,
		st);
	return 0;
}

int
xfer_os_fstat(int fd, struct xfer_os_stat *st)
{
	return stat_handle(handle_of(fd), st);
}

int
xfer_os_statat(int dirfd, const char *name, struct xfer_os_stat *st)
{
	HANDLE h;
	int r = xfer__nt_open(handle_of(dirfd), name, FILE_READ_ATTRIBUTES,
		FILE_OPEN, 0, true, &h, NULL);

	if (r != 0)
		return r;
	r = stat_handle(h, st);
	CloseHandle(h);
	return r;
}

/* ------------------------------------------------------- listings */

#define DIR_BUF (64 * 1024)

struct xfer_os_dir {
	int fd;
	bool restart;
	bool end;
	size_t off;  /* next record in buf */
	size_t used; /* bytes of records in buf (0: refill) */
	struct xfer_os_stat st;
	char name[XFER_NAME_MAX + 1];
	_Alignas(8) unsigned char buf[DIR_BUF];
};

int
xfer_os_dir_open(int fd, struct xfer_os_dir **out)
{
	struct xfer_os_dir *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d == NULL) {
		close(fd);
		return OP_ERR_NOMEM;
	}
	d->fd = fd;
	d->restart = true;
	*out = d;
	return 0;
}

static int
refill(struct xfer_os_dir *d)
{
	FILE_INFO_BY_HANDLE_CLASS c = d->restart ?
		FileIdBothDirectoryRestartInfo : FileIdBothDirectoryInfo;

	d->restart = false;
	d->off = d->used = 0;
	if (!GetFileInformationByHandleEx(handle_of(d->fd), c, d->buf,
		    sizeof(d->buf))) {
		DWORD e = GetLastError();

		d->end = true;
		return e == ERROR_NO_MORE_FILES ? 0 : op_err_from_win32(e);
	}
	d->used = sizeof(d->buf);
	return 1;
}

int
xfer_os_dir_next(struct xfer_os_dir *d, const char **name)
{
	for (;;) {
		const FILE_ID_BOTH_DIR_INFO *e;
		int n, r;

		if (d->used == 0) {
			if (d->end)
				return 0;
			if ((r = refill(d)) <= 0)
				return r;
		}
		e = (const FILE_ID_BOTH_DIR_INFO *)(d->buf + d->off);
		if (e->NextEntryOffset == 0)
			d->used = 0;
		else
			d->off += e->NextEntryOffset;
		/* A name that is not valid UTF-16 or longer than a client
		 * could name is left out, as non-UTF-8 names are on Linux. */
		n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS,
			e->FileName, (int)(e->FileNameLength / sizeof(WCHAR)),
			d->name, XFER_NAME_MAX, NULL, NULL);
		if (n <= 0)
			continue;
		d->name[n] = '\0';
		if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
			continue;
		from_info(e->FileAttributes, (uint64_t)e->EndOfFile.QuadPart,
			(uint64_t)e->LastWriteTime.QuadPart, &d->st);
		*name = d->name;
		return 1;
	}
}

void
xfer_os_dir_stat(struct xfer_os_dir *d, struct xfer_os_stat *st)
{
	*st = d->st;
}

int
xfer_os_dir_fd(struct xfer_os_dir *d)
{
	return d->fd;
}

void
xfer_os_dir_close(struct xfer_os_dir *d)
{
	if (d != NULL)
		close(d->fd);
	free(d);
}

/* ---------------------------------------------------------- opens */

int
xfer_os_reopen_dir(int fd)
{
	return xfer_openat(fd, "", O_RDONLY | O_DIRECTORY, 0);
}

int
xfer_os_open(int dirfd, const char *name, int flags, mode_t mode)
{
	return xfer_openat(dirfd, name, flags, mode);
}

/* ------------------------------------------------- names in a folder */

int
xfer_os_remove(int dirfd, const char *name, bool dir)
{
	FILE_DISPOSITION_INFO di = { TRUE };
	unsigned long attrs = 0;
	HANDLE h;
	int r;

	/* A folder's link (junction) is removed as the link it is. */
	r = xfer__nt_open(handle_of(dirfd), name, DELETE, FILE_OPEN,
		dir ? FILE_DIRECTORY_FILE : 0, !dir, &h, &attrs);
	if (r != 0)
		return r;
	if (!dir && (attrs & FILE_ATTRIBUTE_DIRECTORY) &&
		!(attrs & FILE_ATTRIBUTE_REPARSE_POINT))
		r = -EISDIR;
	else if (!SetFileInformationByHandle(h, FileDispositionInfo, &di,
			 sizeof(di)))
		r = last_error();
	CloseHandle(h);
	return r;
}

int
xfer_os_rename(int dirfd, const char *from, const char *to, bool replace)
{
	struct {
		FILE_RENAME_INFO i;
		WCHAR more[XFER_NAME_MAX + 1];
	} ri;
	IO_STATUS_BLOCK io;
	NTSTATUS st;
	HANDLE h;
	int n, r;

	memset(&ri, 0, sizeof(ri));
	if (strpbrk(to, "/\\") != NULL ||
		(n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, to, -1,
			 ri.i.FileName, XFER_NAME_MAX + 1) - 1) <= 0)
		return -EINVAL;
	/* The new name is relative to the same folder's handle. */
	ri.i.ReplaceIfExists = replace;
	ri.i.RootDirectory = handle_of(dirfd);
	ri.i.FileNameLength = (DWORD)((size_t)n * sizeof(WCHAR));
	if ((r = xfer__nt_open(handle_of(dirfd), from, DELETE, FILE_OPEN, 0,
		     true, &h, NULL)) != 0)
		return r;
	/* The NT call: SetFileInformationByHandle(FileRenameInfo) refuses
	 * a RootDirectory-relative name under wine (ERROR_INVALID_PARAMETER). */
	st = NtSetInformationFile(h, &io, &ri, sizeof(ri),
		FileRenameInformation);
	if (!NT_SUCCESS(st))
		r = op_err_from_win32(RtlNtStatusToDosError(st));
	CloseHandle(h);
	return r;
}

/* ------------------------------------------------------ open files */

/* One byte far past any end of file: exclusive among the agents that
 * take it, and no obstacle to reading or writing the data. */
#define LOCK_AT_HIGH 0xFFFFFFFFu
#define LOCK_AT_LOW 0xFFFFFFFEu

int
xfer_os_lock(int fd)
{
	OVERLAPPED ov = { 0 };

	ov.Offset = LOCK_AT_LOW;
	ov.OffsetHigh = LOCK_AT_HIGH;
	if (LockFileEx(handle_of(fd), LOCKFILE_EXCLUSIVE_LOCK |
			   LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov))
		return 0;
	return GetLastError() == ERROR_LOCK_VIOLATION ? -EBUSY : last_error();
}

static OVERLAPPED
at(uint64_t off)
{
	OVERLAPPED ov = { 0 };

	ov.Offset = (DWORD)off;
	ov.OffsetHigh = (DWORD)(off >> 32);
	return ov;
}

ssize_t
xfer_os_pread(int fd, void *p, size_t len, uint64_t off)
{
	OVERLAPPED ov = at(off);
	DWORD got = 0;

	if (len > 0x40000000u)
		len = 0x40000000u;
	if (!ReadFile(handle_of(fd), p, (DWORD)len, &got, &ov))
		return GetLastError() == ERROR_HANDLE_EOF ? 0 : last_error();
	return (ssize_t)got;
}

ssize_t
xfer_os_pwrite(int fd, const void *p, size_t len, uint64_t off)
{
	OVERLAPPED ov = at(off);
	DWORD put = 0;

	if (len > 0x40000000u)
		len = 0x40000000u;
	if (!WriteFile(handle_of(fd), p, (DWORD)len, &put, &ov))
		return last_error();
	return (ssize_t)put;
}

int
xfer_os_truncate(int fd, uint64_t size)
{
	FILE_END_OF_FILE_INFO eof;

	eof.EndOfFile.QuadPart = (LONGLONG)size;
	return SetFileInformationByHandle(handle_of(fd), FileEndOfFileInfo,
		       &eof, sizeof(eof)) ? 0 : last_error();
}

int
xfer_os_set_mtime(int fd, uint64_t mtime)
{
	uint64_t t = mtime > (UINT64_MAX - EPOCH_1970) / TICKS ?
		UINT64_MAX / 2 : mtime * TICKS + EPOCH_1970;
	FILETIME ft = { (DWORD)t, (DWORD)(t >> 32) };

	return SetFileTime(handle_of(fd), NULL, NULL, &ft) ? 0 : last_error();
}

int
xfer_os_sync(int fd)
{
	return FlushFileBuffers(handle_of(fd)) ? 0 : last_error();
}

void
xfer_os_sync_dir(int dirfd)
{
	(void)dirfd; /* NTFS journals the rename itself */
}

void
xfer_os_sequential(int fd)
{
	(void)fd; /* the cache manager detects sequential reads */
}

void
xfer_os_own_like_dir(int fd, int dirfd)
{
	(void)fd; /* the new file inherited the folder's DACL */
	(void)dirfd;
}

int
xfer_os_set_mode(int fd, const struct xfer_os_stat *like)
{
	(void)fd; /* no POSIX mode: the inherited DACL stays */
	(void)like;
	return 0;
}
