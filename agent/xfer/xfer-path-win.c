/* SPDX-License-Identifier: MIT */
/*
 * Path confinement on Windows. Names: what Win32 would read as something
 * other than a file in this folder is refused (xfer-path.h lists it).
 * Openers: Windows has no openat, but NtCreateFile opens a name relative
 * to a directory handle (OBJECT_ATTRIBUTES.RootDirectory). Each
 * component is opened from the previous one's handle with
 * FILE_OPEN_REPARSE_POINT, and a component that turns out to be a
 * reparse point (symbolic link, junction, mount point) fails with
 * -ELOOP, so nothing outside the root is reached and no host path string
 * is ever built. The NT layer applies none of Win32's renaming (trailing
 * dots, device names); the name rules refuse those anyway, so a name the
 * agent accepts means the same to every Windows program. The fds handed
 * out are the CRT's (_open_osfhandle), closed with close().
 */
#include "xfer/xfer-path-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdint.h>
#include <string.h>

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>
#include <winternl.h>

#include "core/err.h"

#ifndef FILE_TRAVERSE
#define FILE_TRAVERSE 0x0020
#endif

static int
fail(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return OP_ERR_PROTO;
}

static bool
ieq(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != b[i])
			return false;
	}
	return true;
}

/* CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9 and LPT0-9 (with ¹ ² ³
 * too), whatever the case: Win32 opens the device instead of a file
 * when the part before the first '.' (trailing spaces dropped) is one. */
static bool
dos_device(const char *name)
{
	static const char *const plain[] = { "CON", "PRN", "AUX", "NUL",
		"CONIN$", "CONOUT$" };
	size_t n = strcspn(name, ".");

	while (n > 0 && name[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (ieq(name, n, plain[i]))
			return true;
	if (n < 4 || (!ieq(name, 3, "COM") && !ieq(name, 3, "LPT")))
		return false;
	if (n == 4 && name[3] >= '0' && name[3] <= '9')
		return true;
	/* U+00B9, U+00B2, U+00B3 in UTF-8 */
	return n == 5 && (unsigned char)name[3] == 0xc2 &&
		((unsigned char)name[4] == 0xb9 ||
			(unsigned char)name[4] == 0xb2 ||
			(unsigned char)name[4] == 0xb3);
}

int
xfer__name_os_check(const char *name, const char **why)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '\\')
			return fail(why, "a name cannot contain '\\' (paths "
					 "are separated by '/')");
		if (c == ':')
			return fail(why, "a name cannot contain ':' (drive "
					 "letters and alternate data streams "
					 "are not accepted)");
		if (c < 0x20 || strchr("<>\"|?*", c) != NULL)
			return fail(why, "a name cannot contain control "
					 "characters or any of <>\"|?*");
	}
	if (n > 0 && (name[n - 1] == '.' || name[n - 1] == ' '))
		return fail(why, "a name cannot end in '.' or ' ' (Windows "
				 "drops them, so it would name another file)");
	if (dos_device(name))
		return fail(why, "reserved device name (CON, NUL, COM1, "
				 "LPT1, ...)");
	return 0;
}

bool
xfer_path_has_openat2(void)
{
	return false;
}

void
xfer_path_force_walk(bool walk)
{
	(void)walk; /* there is only the walk here */
}

static int
nt_errno(NTSTATUS st)
{
	/* Not mapped to a distinct Win32 error. */
	if (st == (NTSTATUS)0xC00000BAL) /* STATUS_FILE_IS_A_DIRECTORY */
		return -EISDIR;
	if (st == (NTSTATUS)0xC0000103L) /* STATUS_NOT_A_DIRECTORY */
		return -ENOTDIR;
	return op_err_from_win32(RtlNtStatusToDosError(st));
}

/* Wraps h in a CRT fd (closing h when that fails). */
static int
to_fd(HANDLE h, int flags)
{
	int fd = _open_osfhandle((intptr_t)h,
		(flags & (O_WRONLY | O_RDWR | O_APPEND)) | O_BINARY |
			O_NOINHERIT);

	if (fd < 0) {
		CloseHandle(h);
		return -EMFILE;
	}
	return fd;
}

int
xfer__nt_open(void *dir, const char *name, unsigned long access,
	unsigned long disp, unsigned long opts, bool links, void **out,
	unsigned long *attrs)
{
	WCHAR w[XFER_NAME_MAX + 1];
	UNICODE_STRING us;
	OBJECT_ATTRIBUTES oa;
	IO_STATUS_BLOCK io;
	BY_HANDLE_FILE_INFORMATION fi;
	NTSTATUS st;
	int n = 0;

	*out = INVALID_HANDLE_VALUE;
	/* One component: a separator would reach beyond dir. */
	if (strpbrk(name, "/\\") != NULL)
		return -EINVAL;
	if (name[0] != '\0' &&
		(n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name,
			 -1, w, XFER_NAME_MAX + 1) - 1) <= 0)
		return -EINVAL;
	w[n] = 0;
	us.Buffer = w;
	us.Length = (USHORT)((size_t)n * sizeof(WCHAR));
	us.MaximumLength = (USHORT)((size_t)(n + 1) * sizeof(WCHAR));
	InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, dir, NULL);
	st = NtCreateFile(out, access | SYNCHRONIZE | FILE_READ_ATTRIBUTES,
		&oa, &io, NULL, FILE_ATTRIBUTE_NORMAL,
		FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, disp,
		opts | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_REPARSE_POINT,
		NULL, 0);
	if (!NT_SUCCESS(st)) {
		*out = INVALID_HANDLE_VALUE;
		return nt_errno(st);
	}
	if (!GetFileInformationByHandle(*out, &fi) ||
		(!links && (fi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))) {
		CloseHandle(*out);
		*out = INVALID_HANDLE_VALUE;
		return -ELOOP;
	}
	if (attrs != NULL)
		*attrs = fi.dwFileAttributes;
	return 0;
}

static int
nt_open(HANDLE dir, const char *name, ACCESS_MASK access, ULONG disp,
	ULONG opts, HANDLE *out)
{
	return xfer__nt_open(dir, name, access, disp, opts, false, out, NULL);
}

#define DIR_ACCESS (FILE_LIST_DIRECTORY | FILE_TRAVERSE)

/* Opens every component of rel but the last, from dir; *cur is the last
 * one's parent (dir itself when rel has one component: not to close). */
static int
walk_parents(HANDLE dir, const char *rel, HANDLE *cur, const char **last)
{
	char comp[XFER_NAME_MAX + 1];
	const char *p = rel;
	HANDLE h;
	int r;

	*cur = dir;
	for (;;) {
		size_t n = strcspn(p, "/");

		if (p[n] == '\0') {
			*last = p;
			return 0;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (xfer__name_os_check(comp, NULL) != 0)
			r = -EINVAL;
		else
			r = nt_open(*cur, comp, DIR_ACCESS, FILE_OPEN,
				FILE_DIRECTORY_FILE, &h);
		if (*cur != dir)
			CloseHandle(*cur);
		*cur = dir;
		if (r != 0)
			return r;
		*cur = h;
		p += n + 1;
	}
}

int
xfer_openat(int dirfd, const char *rel, int flags, mode_t mode)
{
	HANDLE dir = (HANDLE)_get_osfhandle(dirfd);
	HANDLE cur, h = INVALID_HANDLE_VALUE;
	ACCESS_MASK access;
	ULONG disp = FILE_OPEN, opts = 0;
	const char *last;
	int acc = flags & (O_RDONLY | O_WRONLY | O_RDWR);
	int r;

	(void)mode; /* new files inherit the folder's DACL */
	if (dir == INVALID_HANDLE_VALUE)
		return -EBADF;
	if (!xfer__valid_rel(rel))
		return -EINVAL;
	/* A folder may be the parent of later relative opens. */
	if (flags & O_DIRECTORY)
		access = DIR_ACCESS;
	else if (flags & O_PATH)
		access = READ_CONTROL;
	else
		access = acc == O_RDONLY ? GENERIC_READ
			: acc == O_WRONLY ? GENERIC_WRITE
					  : GENERIC_READ | GENERIC_WRITE;
	if (flags & O_DIRECTORY)
		opts = FILE_DIRECTORY_FILE;
	else if (!(flags & O_PATH))
		opts = FILE_NON_DIRECTORY_FILE;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		disp = FILE_CREATE;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		disp = FILE_OVERWRITE_IF;
	else if (flags & O_CREAT)
		disp = FILE_OPEN_IF;
	else if (flags & O_TRUNC)
		disp = FILE_OVERWRITE;
	if ((r = walk_parents(dir, rel, &cur, &last)) != 0)
		return r;
	if (last[0] != '\0' && xfer__name_os_check(last, NULL) != 0)
		r = -EINVAL;
	else
		r = nt_open(cur, last, access, disp, opts, &h);
	if (cur != dir)
		CloseHandle(cur);
	return r != 0 ? r : to_fd(h, flags);
}

int
xfer_open_root(const char *path)
{
	BY_HANDLE_FILE_INFORMATION fi;
	WCHAR w[XFER_PATH_MAX];
	HANDLE h;

	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w,
		    XFER_PATH_MAX) == 0)
		return -EINVAL;
	h = CreateFileW(w, DIR_ACCESS | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
		FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
		OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return op_err_from_win32(GetLastError());
	if (!GetFileInformationByHandle(h, &fi) ||
		!(fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
		CloseHandle(h);
		return -ENOTDIR;
	}
	return to_fd(h, O_RDONLY);
}

int
xfer_mkdirs(int dirfd, const char *rel)
{
	char comp[XFER_NAME_MAX + 1];
	HANDLE dir = (HANDLE)_get_osfhandle(dirfd);
	HANDLE cur, h;
	const char *p = rel;
	int r;

	if (dir == INVALID_HANDLE_VALUE)
		return -EBADF;
	if (!xfer__valid_rel(rel))
		return -EINVAL;
	if ((r = nt_open(dir, "", DIR_ACCESS, FILE_OPEN, FILE_DIRECTORY_FILE,
		     &cur)) != 0)
		return r;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n + (p[n] == '/');
		if ((r = xfer_name_check(comp, NULL)) != 0) {
			r = -EINVAL;
			goto fail;
		}
		/* Opened if it is there, made (inheriting the parent's
		 * DACL) if not; a file or a link there fails. */
		r = nt_open(cur, comp, DIR_ACCESS, FILE_OPEN_IF,
			FILE_DIRECTORY_FILE, &h);
		if (r != 0)
			goto fail;
		CloseHandle(cur);
		cur = h;
	}
	return to_fd(cur, O_RDONLY);
fail:
	CloseHandle(cur);
	return r;
}
