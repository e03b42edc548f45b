/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes file-transfer path confinement. Input: one mode byte (bit 0:
 * the O_NOFOLLOW walk instead of openat2; bit 1: open the parent), then
 * a client path. Beyond "no crash": what xfer_path_parse accepts is
 * normalised (no "", "." or ".." component, valid UTF-8, components of
 * at most 255 bytes) and parses to itself again; xfer_relname_parse's
 * output passes xfer_name_check component by component; and whatever
 * xfer_openat opens beneath the share of a tree full of traps (symlinks
 * out of it, absolute ones, one to /proc/self/root, a loop) is inside the
 * share, per /proc/self/fd, and is never a symlink.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/utf8.h"
#include "xfer/xfer-path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[] = "/tmp/op-fuzz-xfer-XXXXXX";
static char share[256];
static int rootfd = -1;

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void
cleanup(void)
{
	nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(content, f);
		fclose(f);
	}
}

static void
setup(void)
{
	char p[512];

	if (mkdtemp(base) == NULL)
		abort();
	atexit(cleanup);
	snprintf(p, sizeof(p), "%s/outside", base);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/outside/secret", base);
	put(p, "SECRET");
	snprintf(share, sizeof(share), "%s/share", base);
	mkdir(share, 0755);
	snprintf(p, sizeof(p), "%s/sub", share);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a.txt", share);
	put(p, "a");
	snprintf(p, sizeof(p), "%s/sub/b.txt", share);
	put(p, "b");
#define LINK(target, name)                                               \
	do {                                                             \
		snprintf(p, sizeof(p), "%s/%s", share, name);             \
		if (symlink(target, p) != 0)                              \
			abort();                                          \
	} while (0)
	LINK("../outside", "link_out");
	LINK("/etc/passwd", "abs_link");
	LINK("../../outside", "sub/link_mid");
	LINK("/proc/self/root", "proc");
	LINK(".", "loop");
	LINK("a.txt", "link_in");
#undef LINK
	if ((rootfd = open(share, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
}

static bool
utf8_ok(const char *s)
{
	size_t len = strlen(s), off = 0;
	uint32_t cp;

	while (off < len) {
		size_t n = op_utf8_decode((const uint8_t *)s + off, len - off,
			&cp);

		if (n == 0)
			return false;
		off += n;
	}
	return true;
}

/* rel is normalised: components non-empty, not "." or "..", short. */
static void
check_rel(const char *rel)
{
	const char *p = rel;

	if (!utf8_ok(rel) || rel[0] == '/')
		__builtin_trap();
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || n > XFER_NAME_MAX ||
			(n == 1 && p[0] == '.') ||
			(n == 2 && p[0] == '.' && p[1] == '.'))
			__builtin_trap();
		p += n;
		if (*p == '/' && *++p == '\0')
			__builtin_trap();
	}
}

/* The fd is the share or below it, and not a symlink. */
static void
check_inside(int fd)
{
	char link[64], where[4096];
	struct stat st;
	size_t n = strlen(share);
	ssize_t k;

	if (fstat(fd, &st) != 0 || S_ISLNK(st.st_mode))
		__builtin_trap();
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	k = readlink(link, where, sizeof(where) - 1);
	if (k < 0)
		return; /* no /proc: nothing to compare */
	where[k] = '\0';
	if (strncmp(where, share, n) != 0 ||
		(where[n] != '\0' && where[n] != '/')) {
		fprintf(stderr, "escaped to %s\n", where);
		__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xfer_path p, again;
	char rel[XFER_PATH_MAX];
	char joined[XFER_PATH_MAX + XFER_NAME_MAX + 2];
	const char *why = NULL;
	char *s;
	uint8_t mode;

	if (rootfd < 0)
		setup();
	if (size == 0 || size > 8192)
		return 0;
	mode = data[0];
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	if (xfer_path_parse(s, &p, &why) == 0) {
		check_rel(p.rel);
		if (strchr(p.root, '/') != NULL || !utf8_ok(p.root) ||
			strcmp(p.root, "..") == 0 || strcmp(p.root, ".") == 0)
			__builtin_trap();
		if (p.root[0] == '\0' && p.rel[0] != '\0')
			__builtin_trap();
		snprintf(joined, sizeof(joined), "/%s/%s", p.root, p.rel);
		if (xfer_path_parse(joined, &again, &why) != 0 ||
			strcmp(again.root, p.root) != 0 ||
			strcmp(again.rel, p.rel) != 0)
			__builtin_trap();
		/* Open beneath the share whatever root name was given. */
		if (p.root[0] != '\0') {
			const char *last = NULL;
			int fd;

			snprintf(joined, sizeof(joined), "%s%s%s", p.root,
				p.rel[0] ? "/" : "", p.rel);
			xfer_path_force_walk(mode & 1);
			fd = (mode & 2) ?
				xfer_open_parent(rootfd, joined, &last) :
				xfer_openat(rootfd, joined, O_PATH, 0);
			if (fd >= 0) {
				check_inside(fd);
				close(fd);
			}
			xfer_path_force_walk(false);
		}
	} else if (why == NULL || why[0] == '\0') {
		__builtin_trap(); /* every refusal says why */
	}

	if (xfer_relname_parse(s, rel, sizeof(rel), &why) == 0) {
		char comp[XFER_NAME_MAX + 1];
		const char *q = rel;

		check_rel(rel);
		while (*q != '\0') {
			size_t n = strcspn(q, "/");

			memcpy(comp, q, n);
			comp[n] = '\0';
			if (xfer_name_check(comp, NULL) != 0)
				__builtin_trap();
			q += n + (q[n] == '/');
		}
	}
	if (xfer_name_check(s, NULL) == 0) {
		for (const char *q = s; *q != '\0'; q++)
			if (*q == '/' || (unsigned char)*q < 0x20 || *q == 0x7f)
				__builtin_trap();
	}
	free(s);
	return 0;
}
