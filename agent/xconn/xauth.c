/* SPDX-License-Identifier: MIT */
/*
 * Xauthority parser (see xauth.h). The file may be written by
 * anyone who controls the desktop session, so it is parsed like peer
 * input: a size cap, every length checked against what is left, the
 * whole file validated, no allocation sized by the file. It must not
 * log or return the cookie anywhere but the caller's buffer.
 */
#include "xconn/xauth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

#define XAUTH_MIT "MIT-MAGIC-COOKIE-1"

struct xauth_field {
	const uint8_t *p;
	size_t len;
};

static int
get_u16(const uint8_t *buf, size_t len, size_t *off, uint16_t *v)
{
	if (len - *off < 2)
		return OP_ERR_PROTO;
	*v = (uint16_t)((unsigned)buf[*off] << 8 | buf[*off + 1]);
	*off += 2;
	return 0;
}

static int
get_field(const uint8_t *buf, size_t len, size_t *off, struct xauth_field *f)
{
	uint16_t n;
	int r;

	if ((r = get_u16(buf, len, off, &n)) != 0)
		return r;
	if (len - *off < n)
		return OP_ERR_PROTO;
	f->p = buf + *off;
	f->len = n;
	*off += n;
	return 0;
}

static bool
field_is(const struct xauth_field *f, const char *s)
{
	size_t n = strlen(s);

	return f->len == n && (n == 0 || memcmp(f->p, s, n) == 0);
}

int
op_xauth_find(const uint8_t *buf, size_t len,
	const char *display_number, const char *hostname,
	uint8_t cookie[static OP_XAUTH_COOKIE_LEN])
{
	const uint8_t *found = NULL;
	size_t off = 0;
	int r;

	if (len > OP_XAUTH_MAX_FILE)
		return OP_ERR_TOO_LARGE;
	if (buf == NULL && len != 0)
		return OP_ERR_PROTO;
	while (off < len) {
		struct xauth_field addr, num, name, data;
		uint16_t family;

		if ((r = get_u16(buf, len, &off, &family)) != 0 ||
			(r = get_field(buf, len, &off, &addr)) != 0 ||
			(r = get_field(buf, len, &off, &num)) != 0 ||
			(r = get_field(buf, len, &off, &name)) != 0 ||
			(r = get_field(buf, len, &off, &data)) != 0)
			return r;
		if (found != NULL)
			continue; /* keep validating the rest */
		if (family != OP_XAUTH_FAMILY_LOCAL &&
			family != OP_XAUTH_FAMILY_WILD)
			continue;
		if (family == OP_XAUTH_FAMILY_LOCAL && hostname != NULL &&
			!field_is(&addr, hostname))
			continue;
		if (num.len != 0 && !field_is(&num, display_number))
			continue;
		if (!field_is(&name, XAUTH_MIT) ||
			data.len != OP_XAUTH_COOKIE_LEN)
			continue;
		found = data.p;
	}
	if (found == NULL)
		return OP_ERR_NOT_FOUND;
	memcpy(cookie, found, OP_XAUTH_COOKIE_LEN);
	return 0;
}

/* The kind of a file, for the message. */
static const char *
file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/*
 * Opens and reads path for op_xauth_load: no final symlink, no blocking
 * open (FIFO), a regular file of owner, at most cap - 1 bytes (one more
 * is read, so a file that grows while we read is still refused).
 */
static int
read_file(const char *path, uid_t owner, uint8_t *buf, size_t cap,
	size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t n = 0;
	int fd;
	int r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
			O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (errno == ELOOP) {
			snprintf(err, errlen, "Xauthority file %s is a "
				"symbolic link: refused", path);
			return OP_ERR_PERM;
		}
		snprintf(err, errlen, "cannot read Xauthority file %s: %s",
			path, op_strerror(r));
		return r;
	}
	if (fstat(fd, &st) != 0) {
		r = -errno;
		snprintf(err, errlen, "cannot stat Xauthority file %s: %s",
			path, op_strerror(r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "Xauthority file %s is %s: refused",
			path, file_kind(st.st_mode));
		r = OP_ERR_PERM;
		goto out;
	}
	if (owner != OP_XAUTH_ANY_OWNER && st.st_uid != owner) {
		snprintf(err, errlen, "Xauthority file %s belongs to uid %u, "
			"not to uid %u: refused", path, (unsigned)st.st_uid,
			(unsigned)owner);
		r = OP_ERR_PERM;
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size >= cap) {
		r = OP_ERR_TOO_LARGE;
		goto out;
	}
	while (n < cap) {
		ssize_t k = read(fd, buf + n, cap - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot read Xauthority file "
				"%s: %s", path, op_strerror(r));
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*len = n;
out:
	close(fd);
	return r;
}

int
op_xauth_load(const char *path, uid_t owner, const char *display_number,
	uint8_t cookie[static OP_XAUTH_COOKIE_LEN], char *err,
	size_t errlen)
{
	char host[256];
	const char *hostp = NULL;
	uint8_t *buf = malloc(OP_XAUTH_MAX_FILE + 1);
	size_t len = 0;
	int r;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		hostp = host;
	}
	r = read_file(path, owner, buf, OP_XAUTH_MAX_FILE + 1, &len, err,
		errlen);
	if (r == 0)
		r = op_xauth_find(buf, len, display_number, hostp, cookie);
	if (r == OP_ERR_TOO_LARGE)
		snprintf(err, errlen,
			"Xauthority file %s is larger than %d bytes", path,
			OP_XAUTH_MAX_FILE);
	else if (r == OP_ERR_PROTO)
		snprintf(err, errlen,
			"Xauthority file %s is malformed (truncated entry)",
			path);
	else if (r == OP_ERR_NOT_FOUND)
		snprintf(err, errlen,
			"Xauthority file %s has no MIT-MAGIC-COOKIE-1 for "
			"display :%s",
			path, display_number);
	explicit_bzero(buf, OP_XAUTH_MAX_FILE + 1);
	free(buf);
	return r;
}
