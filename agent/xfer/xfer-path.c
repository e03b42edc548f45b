/* SPDX-License-Identifier: MIT */
/*
 * Path confinement: the client path parsers and the openers that resolve
 * a relative path beneath a directory fd. openat2 with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS does it in one atomic
 * lookup; without it (kernels before 5.6, seccomp) each component is
 * opened from the previous one's fd with O_NOFOLLOW, so a symlink swapped
 * in mid-walk makes the open fail instead of leading elsewhere. Neither
 * way ever builds a host path string or interprets "..".
 */
#include "xfer/xfer-path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/err.h"
#include "core/utf8.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static bool force_walk;
static int openat2_state = -1; /* -1 unknown, 0 missing, 1 works */

static int
fail(const char **why, const char *text, int r)
{
	if (why != NULL)
		*why = text;
	return r;
}

static bool
utf8_ok(const char *s, size_t len)
{
	size_t off = 0;
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

/*
 * Splits `in` on '/', drops empty and "." components, refuses "..". With
 * first != NULL the first component goes there; the rest are joined into
 * rel. check_names applies xfer_name_check to every component.
 */
static int
split(const char *in, char *first, char *rel, size_t relsz,
	bool check_names, const char **why)
{
	const char *p = in;
	size_t olen = 0;
	char comp[XFER_NAME_MAX + 1];
	int r;

	if (!utf8_ok(in, strlen(in)))
		return fail(why, "the path is not valid UTF-8", OP_ERR_PROTO);
	while (*p != '\0') {
		size_t n;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, "/");
		if (n > XFER_NAME_MAX)
			return fail(why, "a path component is too long",
				OP_ERR_TOO_LARGE);
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0)
			return fail(why, "'..' is not allowed in paths",
				OP_ERR_PROTO);
		if (check_names && (r = xfer_name_check(comp, why)) != 0)
			return r;
		if (first != NULL && first[0] == '\0') {
			memcpy(first, comp, n + 1);
			continue;
		}
		if (olen + (olen > 0) + n + 1 > relsz)
			return fail(why, "the path is too long",
				OP_ERR_TOO_LARGE);
		if (olen > 0)
			rel[olen++] = '/';
		memcpy(rel + olen, comp, n);
		olen += n;
		rel[olen] = '\0';
	}
	return 0;
}

int
xfer_path_parse(const char *in, struct xfer_path *out, const char **why)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (in == NULL)
		return fail(why, "no path", OP_ERR_PROTO);
	if (strlen(in) >= XFER_PATH_MAX)
		return fail(why, "the path is too long", OP_ERR_TOO_LARGE);
	if ((r = split(in, out->root, out->rel, sizeof(out->rel), false,
		     why)) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int
xfer_relname_parse(const char *in, char *out, size_t outlen,
	const char **why)
{
	int r;

	if (outlen == 0)
		return fail(why, "no room", OP_ERR_INTERNAL);
	out[0] = '\0';
	if (in == NULL || in[0] == '\0')
		return fail(why, "empty file name", OP_ERR_PROTO);
	if (in[0] == '/')
		return fail(why, "absolute file names are not allowed",
			OP_ERR_PROTO);
	if (strlen(in) >= XFER_PATH_MAX)
		return fail(why, "the file name is too long",
			OP_ERR_TOO_LARGE);
	if ((r = split(in, NULL, out, outlen, true, why)) != 0) {
		out[0] = '\0';
		return r;
	}
	if (out[0] == '\0')
		return fail(why, "empty file name", OP_ERR_PROTO);
	return 0;
}

int
xfer_name_check(const char *name, const char **why)
{
	size_t n;

	if (name == NULL || name[0] == '\0')
		return fail(why, "empty name", OP_ERR_PROTO);
	n = strlen(name);
	if (n > XFER_NAME_MAX)
		return fail(why, "the name is too long", OP_ERR_TOO_LARGE);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fail(why, "'.' and '..' are not names", OP_ERR_PROTO);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/')
			return fail(why, "a name cannot contain '/'",
				OP_ERR_PROTO);
		if (c < 0x20 || c == 0x7f)
			return fail(why,
				"a name cannot contain control characters",
				OP_ERR_PROTO);
	}
	if (!utf8_ok(name, n))
		return fail(why, "the name is not valid UTF-8", OP_ERR_PROTO);
	return 0;
}

bool
xfer_path_has_openat2(void)
{
	struct open_how how;
	long fd;

	if (openat2_state >= 0)
		return openat2_state == 1;
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
	fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
	if (fd >= 0)
		close((int)fd);
	/* Racy first use from two threads only computes this twice. */
	openat2_state = fd >= 0 ? 1 : 0;
	return openat2_state == 1;
}

void
xfer_path_force_walk(bool walk)
{
	force_walk = walk;
}

/* Turns ENOTDIR into ELOOP when a component of rel is a symlink, so the
 * technician is told why. Only lstat-like calls; nothing is opened. */
static int
refine(int dirfd, const char *rel, int r)
{
	char pre[XFER_PATH_MAX];
	size_t len = strlen(rel);
	struct stat st;

	if (r != -ENOTDIR || len >= sizeof(pre))
		return r;
	for (size_t i = 0; i <= len; i++) {
		if (rel[i] != '/' && rel[i] != '\0')
			continue;
		memcpy(pre, rel, i);
		pre[i] = '\0';
		if (fstatat(dirfd, pre, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return r;
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISDIR(st.st_mode))
			return r;
	}
	return r;
}

static bool
valid_rel(const char *rel)
{
	const char *p = rel;

	if (rel[0] == '/')
		return false;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || n > XFER_NAME_MAX ||
			(n == 1 && p[0] == '.') ||
			(n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/' && *++p == '\0')
			return false;
	}
	return true;
}

static int
open_how2(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC | O_NOFOLLOW);
	if (flags & O_CREAT)
		how.mode = mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		RESOLVE_NO_MAGICLINKS;
	for (int i = 0; i < 16; i++) {
		long fd = syscall(SYS_openat2, dirfd, rel[0] ? rel : ".", &how,
			sizeof(how));

		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: a concurrent rename; the lookup is retried. */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

static int
open_walk(int dirfd, const char *rel, int flags, mode_t mode)
{
	char comp[XFER_NAME_MAX + 1];
	const char *p = rel;
	int cur = dirfd;
	int fd;

	for (;;) {
		size_t n = strcspn(p, "/");

		memcpy(comp, n > 0 ? p : ".", n > 0 ? n : 1);
		comp[n > 0 ? n : 1] = '\0';
		if (p[n] == '\0') {
			fd = openat(cur, comp, flags | O_CLOEXEC | O_NOFOLLOW,
				mode);
			if (fd < 0)
				fd = -errno;
			break;
		}
		fd = openat(cur, comp,
			O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			if (fd == -ENOTDIR)
				fd = refine(cur, comp, fd);
			break;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
		p += n + 1;
	}
	if (cur != dirfd)
		close(cur);
	return fd;
}

int
xfer_openat(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct stat st;
	int fd;

	if (!valid_rel(rel))
		return -EINVAL;
	if (!force_walk && xfer_path_has_openat2())
		fd = open_how2(dirfd, rel, flags, mode);
	else
		fd = open_walk(dirfd, rel, flags, mode);
	if (fd < 0)
		return refine(dirfd, rel, fd);
	/* O_PATH | O_NOFOLLOW hands back a trailing symlink itself. */
	if ((flags & O_PATH) &&
		(fstat(fd, &st) != 0 || S_ISLNK(st.st_mode))) {
		close(fd);
		return -ELOOP;
	}
	return fd;
}

int
xfer_open_parent(int dirfd, const char *rel, const char **last)
{
	char parent[XFER_PATH_MAX];
	const char *slash = strrchr(rel, '/');
	size_t n;

	*last = slash != NULL ? slash + 1 : rel;
	if (slash == NULL)
		return xfer_openat(dirfd, "", O_PATH | O_DIRECTORY, 0);
	n = (size_t)(slash - rel);
	if (n >= sizeof(parent))
		return -ENAMETOOLONG;
	memcpy(parent, rel, n);
	parent[n] = '\0';
	return xfer_openat(dirfd, parent, O_PATH | O_DIRECTORY, 0);
}

int
xfer_mkdirs(int dirfd, const char *rel)
{
	char comp[XFER_NAME_MAX + 1];
	const char *p = rel;
	int cur, fd, r;

	if (!valid_rel(rel))
		return -EINVAL;
	if ((cur = xfer_openat(dirfd, "", O_PATH | O_DIRECTORY, 0)) < 0)
		return cur;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		struct stat st;

		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n + (p[n] == '/');
		fd = openat(cur, comp,
			O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if ((r = xfer_name_check(comp, NULL)) != 0)
				goto fail;
			if (mkdirat(cur, comp, 0755) != 0 && errno != EEXIST) {
				r = -errno;
				goto fail;
			}
			/* A root agent gives new directories to the owner
			 * of the directory they are made in. */
			if (geteuid() == 0 && fstat(cur, &st) == 0 &&
				fchownat(cur, comp, st.st_uid, st.st_gid,
					AT_SYMLINK_NOFOLLOW) != 0) {
				/* best effort: the directory stays ours */
			}
			fd = openat(cur, comp,
				O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0) {
			r = refine(cur, comp, -errno);
			goto fail;
		}
		close(cur);
		cur = fd;
	}
	return cur;
fail:
	close(cur);
	return r;
}

const char *
xfer_errno_text(int r)
{
	switch (r) {
	case -ELOOP:
		return "Symbolic links are not followed";
	case -EXDEV:
		return "Outside the shared folders";
	case -ENOENT:
		return "No such file or directory";
	case -EACCES:
	case -EPERM:
		return "Permission denied";
	case -EROFS:
		return "Read-only file system";
	case -ENOSPC:
		return "No space left on device";
	case -EDQUOT:
		return "Disk quota exceeded";
	case -EEXIST:
		return "Already exists";
	case -ENOTEMPTY:
		return "Directory not empty";
	case -EISDIR:
		return "Is a directory";
	case -ENOTDIR:
		return "Not a directory";
	case -ENAMETOOLONG:
		return "File name too long";
	case -EFBIG:
		return "File too large";
	case -EBUSY:
		return "In use";
	case -EIO:
		return "Input/output error";
	case -EINVAL:
		return "Invalid path";
	default:
		return op_strerror(r);
	}
}
