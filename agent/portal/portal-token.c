/* SPDX-License-Identifier: MIT */
/* See portal-token.h. */
#include "portal/portal-token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "portal/portal-session.h"

bool
portal_token_valid(const char *token)
{
	size_t n = token == NULL ? 0 : strlen(token);

	if (n == 0 || n >= PORTAL_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = token[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			    c == '-'))
			return false;
	}
	return true;
}

int
portal_token_load(const char *path, char *out, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	if (cap < PORTAL_TOKEN_MAX)
		return OP_ERR_RANGE;
	out[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) != 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_size >= PORTAL_TOKEN_MAX)
		r = OP_ERR_PROTO;
	else if ((n = read(fd, out, PORTAL_TOKEN_MAX - 1)) < 0)
		r = -errno;
	else {
		out[n] = '\0';
		if (n > 0 && out[n - 1] == '\n')
			out[--n] = '\0';
		/* A NUL inside would hide the rest from the check. */
		if (memchr(out, '\0', (size_t)n) != NULL ||
			!portal_token_valid(out))
			r = OP_ERR_PROTO;
	}
	close(fd);
	if (r != 0)
		out[0] = '\0';
	return r;
}

int
portal_token_save(const char *path, const char *token)
{
	char tmp[4096];
	size_t len;
	int fd, r = 0, n;

	if (token == NULL || token[0] == '\0')
		return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
	if (!portal_token_valid(token))
		return OP_ERR_RANGE;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (fd < 0)
		return -errno;
	len = strlen(token);
	if (write(fd, token, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		r = errno != 0 ? -errno : -EIO;
	else if (fsync(fd) != 0)
		r = -errno;
	if (close(fd) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r != 0)
		(void)unlink(tmp);
	return r;
}
