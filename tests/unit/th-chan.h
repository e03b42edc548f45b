/* SPDX-License-Identifier: MIT */
/* For the tests of the monitor's channel (platform/monchan.h) on both
 * systems: what this process holds open, and a pipe to pass. */
#ifndef OP_TESTS_TH_CHAN_H
#define OP_TESTS_TH_CHAN_H

#include <stdbool.h>
#include <unistd.h>

/* Nothing more or less open than before (where that can be counted). */
#define TH_SAME_OPEN(before)                                             \
	do {                                                             \
		if ((before) >= 0)                                       \
			ASSERT_INT_EQ(th_open_count(), (before));        \
	} while (0)

#ifdef _WIN32
#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

#include <fcntl.h>
#include <io.h>

/* The handles this process has open: unknown (-1) under wine 8, whose
 * GetProcessHandleCount does not answer; th_writers_gone checks the
 * descriptors passed instead. */
static inline long
th_open_count(void)
{
	DWORD n = 0;

	return GetProcessHandleCount(GetCurrentProcess(), &n) && n > 0 ?
		(long)n :
		-1;
}

/* Every write end of the pipe whose read end is rd is closed (none was
 * left open by whoever handled a copy). */
static inline bool
th_writers_gone(int rd)
{
	DWORD avail = 0;

	return !PeekNamedPipe((HANDLE)_get_osfhandle(rd), NULL, 0, NULL,
		       &avail, NULL) &&
		GetLastError() == ERROR_BROKEN_PIPE;
}

/* An anonymous pipe as two descriptors: [0] reads, [1] writes. */
static inline int
th_pipe(int fds[2])
{
	return _pipe(fds, 4096, _O_BINARY);
}
#else
#include <dirent.h>
#include <poll.h>

/* The descriptors this process has open. */
static inline long
th_open_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static inline int
th_pipe(int fds[2])
{
	return pipe(fds);
}

/* Every write end of the pipe whose read end is rd is closed (none was
 * left open by whoever handled a copy): the end of the stream. */
static inline bool
th_writers_gone(int rd)
{
	struct pollfd p = { .fd = rd, .events = POLLIN };
	char c;

	return poll(&p, 1, 1000) == 1 && read(rd, &c, 1) == 0;
}
#endif

#endif
