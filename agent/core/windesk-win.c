/* SPDX-License-Identifier: MIT */
/* Following the input desktop: see windesk.h. */
#include "core/windesk.h"

#include <errno.h>
#include <string.h>

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

/* What a grabbing and injecting thread needs of a desktop. */
#define WINDESK_ACCESS                                                    \
	(DESKTOP_READOBJECTS | DESKTOP_WRITEOBJECTS | DESKTOP_CREATEWINDOW | \
		DESKTOP_HOOKCONTROL | DESKTOP_JOURNALPLAYBACK |             \
		DESKTOP_ENUMERATE | GENERIC_READ)

/* The desktop this thread was moved to by us, closed when it moves on
 * (a handle from GetThreadDesktop must not be closed). */
static _Thread_local HDESK attached;

static void
desk_name(HDESK d, char *name, size_t namelen)
{
	WCHAR w[256];
	DWORD need = 0;

	if (name == NULL || namelen == 0)
		return;
	name[0] = '\0';
	if (d == NULL || !GetUserObjectInformationW(d, UOI_NAME, w,
				 sizeof(w) - sizeof(WCHAR), &need))
		return;
	w[sizeof(w) / sizeof(w[0]) - 1] = 0;
	if (WideCharToMultiByte(CP_UTF8, 0, w, -1, name, (int)namelen, NULL,
		    NULL) == 0)
		name[0] = '\0';
	name[namelen - 1] = '\0';
}

void
windesk_thread_name(char *name, size_t namelen)
{
	desk_name(GetThreadDesktop(GetCurrentThreadId()), name, namelen);
}

int
windesk_follow_input(char *name, size_t namelen)
{
	char in_name[256], cur_name[256];
	HDESK in = OpenInputDesktop(0, FALSE, WINDESK_ACCESS);

	if (name != NULL && namelen > 0)
		name[0] = '\0';
	if (in == NULL)
		return -EACCES; /* e.g. a user's process at the log-on screen */
	desk_name(in, in_name, sizeof(in_name));
	windesk_thread_name(cur_name, sizeof(cur_name));
	if (name != NULL && namelen > 0) {
		strncpy(name, in_name, namelen - 1);
		name[namelen - 1] = '\0';
	}
	/* Handles differ for the same desktop: compare names. */
	if (in_name[0] != '\0' && strcmp(in_name, cur_name) == 0) {
		CloseDesktop(in);
		return 0;
	}
	if (!SetThreadDesktop(in)) {
		CloseDesktop(in);
		return -EACCES; /* the thread owns windows or hooks */
	}
	if (attached != NULL)
		CloseDesktop(attached);
	attached = in;
	return 1;
}
