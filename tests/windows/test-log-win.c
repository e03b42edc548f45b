/* SPDX-License-Identifier: MIT */
/*
 * The Windows log sinks under wine: the log file gets every record of the
 * level in force with a timestamp, moves to .1 beyond its cap and stops
 * when closed; a missing folder is refused. The Event Log source opens
 * and takes a record (wine has no Event Log to read it back from: what
 * Event Viewer shows is untested).
 */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log-sink.h"
#include "core/log.h"
#include "th.h"

#include <winsock2.h>
#include <windows.h>

static char dir[MAX_PATH], path[MAX_PATH + 16], old[MAX_PATH + 16];

/* The whole file (at most 64 KiB) in buf. */
static size_t
slurp(const char *p, char *buf, size_t cap)
{
	FILE *f = fopen(p, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

static void
test_file(void)
{
	static char buf[65536];
	char bad[MAX_PATH + 32];

	ASSERT_INT_EQ(op_log_file(path), 0);
	op_log_init("outpost-test", OP_LOG_INFO, OP_LOG_STDERR);
	log_info("hello %d", 1);
	log_debug("not at this level");
	log_error_r(OP_ERR_PERM, "refused");
	ASSERT(slurp(path, buf, sizeof(buf)) > 0);
	printf("%s", buf);
	ASSERT_STR_CONTAINS(buf, "Z outpost-test: info: hello 1\r\n");
	ASSERT_STR_CONTAINS(buf, "outpost-test: error: refused: ");
	ASSERT(strstr(buf, "not at this level") == NULL);
	ASSERT(buf[4] == '-' && buf[10] == 'T'); /* 2026-12-06T... */

	/* Closed: nothing more is written. */
	ASSERT_INT_EQ(op_log_file(NULL), 0);
	log_info("after close");
	ASSERT(slurp(path, buf, sizeof(buf)) > 0);
	ASSERT(strstr(buf, "after close") == NULL);

	snprintf(bad, sizeof(bad), "%s\\no-such-folder\\x.log", dir);
	ASSERT_INT_EQ(op_log_file(bad), OP_ERR_PERM);
}

static void
test_rotate(void)
{
	static char line[900], buf[65536];
	WIN32_FILE_ATTRIBUTE_DATA a;
	int errfd, nul;

	memset(line, 'r', sizeof(line) - 1);
	ASSERT_INT_EQ(op_log_file(path), 0);
	/* ~9.4 MB: past the 8 MiB cap once (stderr, which gets them too,
	 * is muted meanwhile). */
	fflush(stderr);
	errfd = _dup(2);
	nul = _open("NUL", _O_WRONLY);
	_dup2(nul, 2);
	for (int i = 0; i < 10000; i++)
		log_info("%d %s", i, line);
	log_info("the last one");
	fflush(stderr);
	_dup2(errfd, 2);
	_close(nul);
	_close(errfd);
	ASSERT_INT_EQ(op_log_file(NULL), 0);
	ASSERT(GetFileAttributesExA(old, GetFileExInfoStandard, &a));
	printf("%s: %lu bytes\n", old, (unsigned long)a.nFileSizeLow);
	ASSERT(a.nFileSizeLow >= (8u << 20) && a.nFileSizeLow < (9u << 20));
	ASSERT(GetFileAttributesExA(path, GetFileExInfoStandard, &a));
	printf("%s: %lu bytes\n", path, (unsigned long)a.nFileSizeLow);
	ASSERT(a.nFileSizeLow < (2u << 20));
	/* The newest record is in the current file. */
	{
		FILE *f = fopen(path, "rb");
		long sz;

		ASSERT(f != NULL);
		fseek(f, -64, SEEK_END);
		sz = (long)fread(buf, 1, 64, f);
		buf[sz > 0 ? sz : 0] = '\0';
		fclose(f);
		ASSERT_STR_CONTAINS(buf, "the last one\r\n");
	}
}

static void
test_eventlog(void)
{
	ASSERT_INT_EQ(op_log__sink_open("outpost-test", OP_LOG_SYSLOG),
		OP_LOG_SYSLOG);
	ASSERT(op_log__sink_write(OP_LOG_SYSLOG, OP_LOG_WARNING,
		"outpost-test", __func__, 0, "a warning for the Event Log"));
	/* journald means the Event Log too; stderr closes the source. */
	ASSERT_INT_EQ(op_log__sink_open("outpost-test", OP_LOG_JOURNALD),
		OP_LOG_SYSLOG);
	ASSERT_INT_EQ(op_log__sink_open("outpost-test", OP_LOG_STDERR),
		OP_LOG_STDERR);
	ASSERT(!op_log__sink_write(OP_LOG_SYSLOG, OP_LOG_WARNING,
		"outpost-test", __func__, 0, "no source open"));
}

int
main(void)
{
	char tmp[MAX_PATH];

	if (GetTempPathA(MAX_PATH, tmp) == 0)
		return 1;
	snprintf(dir, sizeof(dir), "%sop-log-%lu-%lu", tmp,
		(unsigned long)GetCurrentProcessId(),
		(unsigned long)GetTickCount());
	if (!CreateDirectoryA(dir, NULL))
		return 1;
	snprintf(path, sizeof(path), "%s\\outpost.log", dir);
	snprintf(old, sizeof(old), "%s\\outpost.log.1", dir);
	RUN(test_file);
	RUN(test_rotate);
	RUN(test_eventlog);
	DeleteFileA(path);
	DeleteFileA(old);
	RemoveDirectoryA(dir);
	return th_done();
}
