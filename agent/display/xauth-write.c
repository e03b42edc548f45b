/* SPDX-License-Identifier: MIT */
/*
 * Writes the private Xauthority file of a virtual display in the binary
 * format libXau reads: per entry, family as u16 big-endian, then address,
 * display number, auth name and auth data, each as a u16 big-endian
 * length and its bytes. It must never follow a symlink or reuse an
 * existing file, and never leave the cookie in memory it frees.
 */
#include "display/vdisplay-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/err.h"

#define FAMILY_LOCAL 256
#define FAMILY_WILD 65535
#define AUTH_NAME "MIT-MAGIC-COOKIE-1"
#define HOST_MAX 255
/* Two entries: 2 + (2 + host) + 2 + (2 + 18) + (2 + 16) bytes and less. */
#define FILE_MAX (2 * (2 + 2 + HOST_MAX + 2 + 2 + 18 + 2 + 16))

static void
put_field(uint8_t *buf, size_t *off, const void *p, size_t n)
{
	buf[(*off)++] = (uint8_t)(n >> 8);
	buf[(*off)++] = (uint8_t)(n & 0xff);
	if (n > 0)
		memcpy(buf + *off, p, n);
	*off += n;
}

static void
put_entry(uint8_t *buf, size_t *off, unsigned family, const char *addr,
	const uint8_t *cookie)
{
	buf[(*off)++] = (uint8_t)(family >> 8);
	buf[(*off)++] = (uint8_t)(family & 0xff);
	put_field(buf, off, addr, strlen(addr));
	/* An empty number: the server's number is known only after start. */
	put_field(buf, off, "", 0);
	put_field(buf, off, AUTH_NAME, strlen(AUTH_NAME));
	put_field(buf, off, cookie, VDISPLAY_COOKIE_LEN);
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
vdisplay__xauth_write(int dirfd, const char *name,
	const uint8_t cookie[static VDISPLAY_COOKIE_LEN], const char *hostname,
	uid_t uid, gid_t gid)
{
	uint8_t buf[FILE_MAX];
	size_t off = 0;
	int fd = -1;
	int r = OP_ERR_INTERNAL;

	if (strlen(hostname) > HOST_MAX)
		return OP_ERR_TOO_LARGE;
	put_entry(buf, &off, FAMILY_LOCAL, hostname, cookie);
	put_entry(buf, &off, FAMILY_WILD, "", cookie);

	fd = openat(dirfd, name,
		O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* fchmod: the umask could only narrow 0600, but be explicit. */
	if (fchmod(fd, 0600) < 0 ||
		(uid != (uid_t)-1 && fchown(fd, uid, gid) < 0)) {
		r = -errno;
		goto fail;
	}
	if ((r = write_all(fd, buf, off)) != 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	r = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlinkat(dirfd, name, 0);
out:
	sodium_memzero(buf, sizeof(buf));
	return r;
}
