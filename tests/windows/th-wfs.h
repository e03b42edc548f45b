/* SPDX-License-Identifier: MIT */
/*
 * Files for the Windows tests under wine: a fresh folder of the test's
 * own under %TEMP%, and files or folders made with a given security
 * descriptor (SDDL), as another tool would make them.
 */
#ifndef OP_TESTS_TH_WFS_H
#define OP_TESTS_TH_WFS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

#include <sddl.h>

#include "core/winacl.h"

/* %TEMP%\op-<tag>-<pid>-<ticks> (UTF-8), created; false on failure.
 * wine reuses process ids from run to run: hence the time too. */
static inline bool
thw_tempdir(const char *tag, char *out, size_t n)
{
	WCHAR tmp[MAX_PATH];
	char t8[MAX_PATH * 3];

	if (GetTempPathW(MAX_PATH, tmp) == 0 ||
		WideCharToMultiByte(CP_UTF8, 0, tmp, -1, t8, sizeof(t8), NULL,
			NULL) == 0)
		return false;
	if (snprintf(out, n, "%sop-%s-%lu-%lu", t8, tag,
		    (unsigned long)GetCurrentProcessId(),
		    (unsigned long)GetTickCount()) >= (int)n)
		return false;
	return CreateDirectoryA(out, NULL) != 0;
}

/* A folder, or a file holding data, made with the descriptor sddl. */
static inline bool
thw_make_file(const char *path, const WCHAR *sddl, bool dir,
	const char *data)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	WCHAR *w = winacl_wide(path);
	HANDLE h;
	bool ok;

	if (w == NULL || !ConvertStringSecurityDescriptorToSecurityDescriptorW(
				 sddl, SDDL_REVISION_1,
				 &sa.lpSecurityDescriptor, NULL)) {
		free(w);
		return false;
	}
	if (dir) {
		ok = CreateDirectoryW(w, &sa);
	} else {
		h = CreateFileW(w, GENERIC_WRITE, 0, &sa, CREATE_ALWAYS, 0,
			NULL);
		ok = h != INVALID_HANDLE_VALUE &&
			WriteFile(h, data, (DWORD)strlen(data), &(DWORD){ 0 },
				NULL);
		if (h != INVALID_HANDLE_VALUE)
			CloseHandle(h);
	}
	LocalFree(sa.lpSecurityDescriptor);
	free(w);
	return ok;
}

#endif
