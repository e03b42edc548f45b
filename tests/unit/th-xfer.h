/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the xfer tests: a temporary tree full of traps, file
 * helpers, and a collector that drains an xfer's outbox and results into
 * arrays the tests inspect. Every function here aborts the process on a
 * set-up failure (the test could not mean anything).
 */
#ifndef OP_TESTS_TH_XFER_H
#define OP_TESTS_TH_XFER_H

/* Also built for the wine tests (tests/windows): there the tree is a
 * folder under %TEMP%, left in place, with no symlinks or part counts. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <ftw.h>

#include "th-fs.h"
#endif
#include "th-xfer-col.h"
#include "xfer/xfer.h"

static char th_tmp[256];

static inline void
th_die(const char *what)
{
	fprintf(stderr, "test set-up failed: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A path below the temporary directory (static rotating buffers). */
static inline const char *
tp(const char *rel)
{
	static char bufs[8][1024];
	static int i;
	char *b = bufs[i++ & 7];

	snprintf(b, sizeof(bufs[0]), "%s/%s", th_tmp, rel);
	return b;
}

static inline void
th_write(const char *rel, const void *data, size_t len)
{
#ifndef O_BINARY
#define O_BINARY 0
#endif
	int fd = open(tp(rel), O_WRONLY | O_CREAT | O_TRUNC | O_BINARY, 0644);

	if (fd < 0 || (len > 0 && write(fd, data, len) != (ssize_t)len))
		th_die(rel);
	close(fd);
}

static inline void
th_mkdir(const char *rel)
{
#ifdef _WIN32
	if (mkdir(tp(rel)) != 0 && errno != EEXIST)
#else
	if (mkdir(tp(rel), 0755) != 0 && errno != EEXIST)
#endif
		th_die(rel);
}

#ifndef _WIN32
static inline void
th_symlink(const char *target, const char *rel)
{
	if (symlink(target, tp(rel)) != 0)
		th_die(rel);
}
#endif

/* Reads a whole file below the tree (malloc'd, NUL-terminated). */
static inline char *
th_read(const char *rel, size_t *len)
{
	return th_slurp(tp(rel), len);
}

#ifdef _WIN32
static inline bool
th_exists(const char *rel)
{
	struct stat st;

	return stat(tp(rel), &st) == 0;
}

/* %TEMP%\op-xfer-test-<pid>-<ticks> (wine reuses pids from run to run). */
static inline void
th_tmp_make(void)
{
	char t[MAX_PATH];

	if (GetTempPathA(sizeof(t), t) == 0)
		th_die("GetTempPath");
	snprintf(th_tmp, sizeof(th_tmp), "%sop-xfer-test-%lu-%lu", t,
		(unsigned long)GetCurrentProcessId(),
		(unsigned long)GetTickCount());
	if (!CreateDirectoryA(th_tmp, NULL))
		th_die(th_tmp);
}

static inline void
th_rm_tree(const char *path)
{
	(void)path; /* left in wine's %TEMP% */
}
#else
static inline bool
th_exists(const char *rel)
{
	struct stat st;

	return lstat(tp(rel), &st) == 0;
}

static inline void
th_tmp_make(void)
{
	snprintf(th_tmp, sizeof(th_tmp), "/tmp/op-xfer-test-XXXXXX");
	if (mkdtemp(th_tmp) == NULL)
		th_die("mkdtemp");
}
#endif

/* Deterministic pseudo-random bytes (xorshift). */
static inline void
th_fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static inline void
th_sha256(const void *p, size_t n, uint8_t out[32])
{
	crypto_hash_sha256(out, p, n);
}

#ifndef _WIN32
/* How many part files are left in a directory. */
static inline int
th_parts_in(const char *rel)
{
	char cmd[600];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c '^.outpost-part-'",
		tp(rel));
	if ((p = popen(cmd, "r")) == NULL || fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p != NULL)
		pclose(p);
	return n;
}
#endif

#endif
