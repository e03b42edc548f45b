/* SPDX-License-Identifier: MIT */
/* For the tests of the monitor's channel (platform/monchan.h) on both
 * systems: what this process holds open, and a pipe to pass. */
#ifndef OP_TESTS_TH_CHAN_H
#define OP_TESTS_TH_CHAN_H

#include <unistd.h>

#ifdef _WIN32
#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

#include <fcntl.h>
#include <io.h>

/* The handles this process has open. */
static inline long
th_open_count(void)
{
	DWORD n = 0;

	return GetProcessHandleCount(GetCurrentProcess(), &n) ? (long)n : -1;
}

/* An anonymous pipe as two descriptors: [0] reads, [1] writes. */
static inline int
th_pipe(int fds[2])
{
	return _pipe(fds, 4096, _O_BINARY);
}
#else
#include <dirent.h>

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
#endif

#endif
