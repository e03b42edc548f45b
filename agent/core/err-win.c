/* SPDX-License-Identifier: MIT */
/* Win32 error codes as errnos, so Windows files return what the rest of
 * the code (and op_strerror) knows. */
#include "core/err.h"

#include <errno.h>

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

int
op_err_from_win32(unsigned long code)
{
	switch (code) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return -ENOENT;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
		return -EACCES;
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS:
		return -EEXIST;
	case ERROR_DIRECTORY:
		return -ENOTDIR;
	case ERROR_DIR_NOT_EMPTY:
		return -ENOTEMPTY;
	case ERROR_INVALID_NAME:
		return -EINVAL;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		return -ENOSPC;
	case ERROR_WRITE_PROTECT:
		return -EROFS;
	case ERROR_FILENAME_EXCED_RANGE:
		return -ENAMETOOLONG;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}
