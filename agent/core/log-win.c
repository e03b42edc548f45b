/* SPDX-License-Identifier: MIT */
/*
 * Windows log sinks: the journald and syslog targets both mean the Event
 * Log (the Application log, source = ident, event ID 1, the message as
 * the only insertion string), and a log file (op_log_file) for a service,
 * which has no stderr. The Event Log shows the text with a "description
 * not found" note until an installer registers a message file for the
 * source (not written yet). No heap allocation on the write paths.
 */
#include "core/log-sink.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

#include "core/err.h"

#define LOG_FILE_MAX (8u << 20)
#define LOG_PATH_MAX 1024

static HANDLE evlog;
static SRWLOCK file_lock = SRWLOCK_INIT;
static HANDLE file = INVALID_HANDLE_VALUE; /* under file_lock */
static atomic_bool file_on; /* a file is open: worth formatting for */
static WCHAR file_path[LOG_PATH_MAX], file_old[LOG_PATH_MAX + 2];

enum op_log_target
op_log__sink_open(const char *ident, enum op_log_target target)
{
	WCHAR w[64];

	if (target != OP_LOG_SYSLOG && target != OP_LOG_JOURNALD) {
		if (evlog != NULL)
			DeregisterEventSource(evlog);
		evlog = NULL;
		return OP_LOG_STDERR;
	}
	if (evlog == NULL &&
		MultiByteToWideChar(CP_UTF8, 0, ident, -1, w, 64) > 0)
		evlog = RegisterEventSourceW(NULL, w);
	return evlog != NULL ? OP_LOG_SYSLOG : OP_LOG_STDERR;
}

bool
op_log__sink_write(enum op_log_target target, enum op_log_level level,
	const char *ident, const char *func, int r, const char *msg)
{
	WCHAR w[1100];
	LPCWSTR strs[1] = { w };
	WORD type = level <= OP_LOG_ERROR ? EVENTLOG_ERROR_TYPE
		: level == OP_LOG_WARNING ? EVENTLOG_WARNING_TYPE
					  : EVENTLOG_INFORMATION_TYPE;

	(void)target;
	(void)ident;
	(void)func;
	(void)r;
	if (evlog == NULL ||
		MultiByteToWideChar(CP_UTF8, 0, msg, -1, w, 1100) == 0)
		return false;
	return ReportEventW(evlog, type, 0, 1, NULL, 1, 0, strs, NULL) != 0;
}

static HANDLE
open_append(const WCHAR *p)
{
	return CreateFileW(p, FILE_APPEND_DATA, FILE_SHARE_READ |
			FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
		FILE_ATTRIBUTE_NORMAL, NULL);
}

int
op_log__file_open(const char *path)
{
	HANDLE h = INVALID_HANDLE_VALUE;
	WCHAR w[LOG_PATH_MAX];

	if (path != NULL) {
		if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1,
			    w, LOG_PATH_MAX) == 0)
			return OP_ERR_RANGE;
		if ((h = open_append(w)) == INVALID_HANDLE_VALUE)
			return OP_ERR_PERM;
	}
	AcquireSRWLockExclusive(&file_lock);
	if (file != INVALID_HANDLE_VALUE)
		CloseHandle(file);
	file = h;
	atomic_store(&file_on, path != NULL);
	if (path != NULL) {
		memcpy(file_path, w, sizeof(w));
		_snwprintf(file_old, LOG_PATH_MAX + 2, L"%ls.1", w);
		file_old[LOG_PATH_MAX + 1] = 0;
	}
	ReleaseSRWLockExclusive(&file_lock);
	return 0;
}

/* Beyond LOG_FILE_MAX: the file becomes path.1 (replacing the last one)
 * and a new one starts. */
static void
rotate(void)
{
	LARGE_INTEGER size;
	HANDLE h;

	if (!GetFileSizeEx(file, &size) || size.QuadPart < LOG_FILE_MAX)
		return;
	CloseHandle(file);
	(void)MoveFileExW(file_path, file_old, MOVEFILE_REPLACE_EXISTING);
	h = open_append(file_path);
	file = h;
}

void
op_log__file_write(enum op_log_level level, const char *ident,
	const char *level_name, const char *msg)
{
	char line[1200];
	SYSTEMTIME t;
	DWORD done;
	int n;

	(void)level;
	if (!atomic_load(&file_on))
		return;
	GetSystemTime(&t);
	n = snprintf(line, sizeof(line),
		"%04u-%02u-%02uT%02u:%02u:%02u.%03uZ %s: %s: %s\r\n",
		t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute, t.wSecond,
		t.wMilliseconds, ident, level_name, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) { /* cut: keep the line ending */
		n = (int)sizeof(line) - 1;
		memcpy(line + n - 2, "\r\n", 2);
	}
	AcquireSRWLockExclusive(&file_lock);
	if (file != INVALID_HANDLE_VALUE) {
		rotate();
		if (file != INVALID_HANDLE_VALUE)
			(void)WriteFile(file, line, (DWORD)n, &done, NULL);
	}
	ReleaseSRWLockExclusive(&file_lock);
}
