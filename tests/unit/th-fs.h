/* SPDX-License-Identifier: MIT */
/* A test's temporary tree: made fresh, removed whatever its modes (POSIX
 * or Windows: the tests built for both use th_tempdir); on Windows also
 * whether a process the test had started is gone. */
#ifndef OP_TESTS_TH_FS_H
#define OP_TESTS_TH_FS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

#include <stdbool.h>
#include <stdint.h>

/* pid has ended (or is no more), waiting up to ms for it. */
static inline bool
th_process_gone(uint32_t pid, unsigned ms)
{
	HANDLE p = OpenProcess(SYNCHRONIZE, FALSE, pid);
	bool gone;

	if (p == NULL)
		return true;
	gone = WaitForSingleObject(p, ms) == WAIT_OBJECT_0;
	CloseHandle(p);
	return gone;
}

/* Removes path and everything below it (the test's own files: their
 * DACLs let their owner delete them); says so when something stays. */
static inline int
th_rm_win(const char *path)
{
	char pat[MAX_PATH], sub[MAX_PATH];
	WIN32_FIND_DATAA fd;
	HANDLE h;
	int bad = 0;

	snprintf(pat, sizeof(pat), "%s\\*", path);
	if ((h = FindFirstFileA(pat, &fd)) != INVALID_HANDLE_VALUE) {
		do {
			if (strcmp(fd.cFileName, ".") == 0 ||
				strcmp(fd.cFileName, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s\\%s", path,
				fd.cFileName);
			if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
				bad |= th_rm_win(sub);
			else
				bad |= !DeleteFileA(sub);
		} while (FindNextFileA(h, &fd));
		FindClose(h);
	}
	return bad | !RemoveDirectoryA(path);
}

static inline void
th_rm_tree(const char *path)
{
	if (th_rm_win(path) != 0)
		fprintf(stderr, "cleanup of %s failed\n", path);
}

/* %TEMP%\op-test-<tag>-<pid>-<ticks>, created: 0 or -1. wine reuses
 * process ids from run to run: hence the time too. */
static inline int
th_tempdir(const char *tag, char *out, size_t n)
{
	char tmp[MAX_PATH];

	if (GetTempPathA(MAX_PATH, tmp) == 0 ||
		snprintf(out, n, "%sop-test-%s-%lu-%lu", tmp, tag,
			(unsigned long)GetCurrentProcessId(),
			(unsigned long)GetTickCount()) >= (int)n)
		return -1;
	return CreateDirectoryA(out, NULL) ? 0 : -1;
}
#else
#include <ftw.h>
#include <stdlib.h>

static inline int
th_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	chmod(p, 0700);
	if (flag == FTW_DP)
		return rmdir(p) != 0 && errno != ENOENT;
	return unlink(p) != 0 && errno != ENOENT;
}

/* Removes path and everything below it; says so when something stays. */
static inline void
th_rm_tree(const char *path)
{
	if (nftw(path, th_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cleanup of %s failed\n", path);
}

/* /tmp/op-test-<tag>-XXXXXX, created: 0 or -1. */
static inline int
th_tempdir(const char *tag, char *out, size_t n)
{
	if (snprintf(out, n, "/tmp/op-test-%s-XXXXXX", tag) >= (int)n)
		return -1;
	return mkdtemp(out) != NULL ? 0 : -1;
}
#endif

#endif
