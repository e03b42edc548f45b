/* SPDX-License-Identifier: MIT */
/*
 * Path confinement, the part every system shares: the client path
 * parsers (never touching the filesystem), the check of a relative path
 * the openers take, and the error texts. Each component also passes the
 * system's own name rules (xfer__name_os_check: none beyond these on
 * Unix, Windows' reserved names and characters there). The openers are
 * xfer-path-unix.c and xfer-path-win.c.
 */
#include "xfer/xfer-path-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"

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
		if ((r = xfer__name_os_check(comp, why)) != 0)
			return r;
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
	return xfer__name_os_check(name, why);
}

bool
xfer__valid_rel(const char *rel)
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
#ifdef EDQUOT /* not in mingw-w64's errno.h */
	case -EDQUOT:
		return "Disk quota exceeded";
#endif
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
