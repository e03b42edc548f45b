/* SPDX-License-Identifier: MIT */
/* X connections with an explicit cookie file (xconn.h). */
#include "xconn/xconn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "xconn/xauth.h"

int
xconn_open(const char *display, const char *xauthority,
	xcb_connection_t **conn, int *screen, char *err, size_t errlen)
{
	const char *shown = display != NULL ? display : getenv("DISPLAY");
	char mit[] = "MIT-MAGIC-COOKIE-1";
	uint8_t cookie[OP_XAUTH_COOKIE_LEN];
	xcb_auth_info_t auth;
	char *host = NULL;
	char num[16];
	int dnum = 0;
	int r;

	*conn = NULL;
	if (shown == NULL || shown[0] == '\0') {
		snprintf(err, errlen, "no display given and $DISPLAY unset");
		return OP_ERR_CONFIG;
	}
	if (xauthority == NULL || xauthority[0] == '\0') {
		*conn = xcb_connect(display, screen);
	} else {
		if (xcb_parse_display(display, &host, &dnum, screen) == 0) {
			snprintf(err, errlen, "cannot parse display %s", shown);
			return OP_ERR_CONFIG;
		}
		free(host);
		snprintf(num, sizeof(num), "%d", dnum);
		/* Only files of our own user: the daemon copies a user's
		 * cookie first (xconn_cookie_copy). */
		if ((r = op_xauth_load(xauthority, geteuid(), num, cookie,
			     err, errlen)) != 0)
			return r;
		auth.name = mit;
		auth.namelen = (int)strlen(mit);
		auth.data = (char *)cookie;
		auth.datalen = (int)sizeof(cookie);
		*conn = xcb_connect_to_display_with_auth_info(display, &auth,
			screen);
		explicit_bzero(cookie, sizeof(cookie));
	}
	if (xcb_connection_has_error(*conn) != 0) {
		snprintf(err, errlen,
			"cannot open display %s (no server, or the cookie "
			"was refused)",
			shown);
		return -ECONNREFUSED;
	}
	if (!xconn_setup_valid(xcb_get_setup(*conn))) {
		snprintf(err, errlen, "display %s sent a malformed connection "
			"setup", shown);
		return OP_ERR_PROTO;
	}
	return 0;
}

bool
xconn_reply_fits(const void *reply, size_t fixed, uint64_t var)
{
	const xcb_generic_reply_t *g = reply;
	uint64_t have;

	if (reply == NULL)
		return false;
	have = 32 + (uint64_t)g->length * 4;
	return (uint64_t)fixed <= have && var <= have - fixed;
}

int
xconn_property_value(const xcb_get_property_reply_t *rep,
	const uint8_t **value, size_t *len)
{
	uint64_t n;

	*value = NULL;
	*len = 0;
	if (rep == NULL || (rep->format != 0 && rep->format != 8 &&
				   rep->format != 16 && rep->format != 32))
		return OP_ERR_PROTO;
	n = (uint64_t)rep->value_len * (rep->format / 8);
	if (!xconn_reply_fits(rep, sizeof(*rep), n))
		return OP_ERR_PROTO;
	*value = (const uint8_t *)(rep + 1);
	*len = (size_t)n;
	return 0;
}

bool
xconn_setup_valid(const xcb_setup_t *s)
{
	const uint8_t *base = (const uint8_t *)s;
	uint64_t have;
	uint64_t off = sizeof(*s);

	if (s == NULL)
		return false;
	have = 8 + (uint64_t)s->length * 4;
	/* Vendor, padded to 4, then the pixmap formats. */
	off += ((uint64_t)s->vendor_len + 3) / 4 * 4;
	off += (uint64_t)s->pixmap_formats_len * sizeof(xcb_format_t);
	if (off > have)
		return false;
	for (unsigned i = 0; i < s->roots_len; i++) {
		const xcb_screen_t *scr;

		if (off + sizeof(*scr) > have)
			return false;
		scr = (const xcb_screen_t *)(const void *)(base + off);
		off += sizeof(*scr);
		for (unsigned k = 0; k < scr->allowed_depths_len; k++) {
			const xcb_depth_t *d;

			if (off + sizeof(*d) > have)
				return false;
			d = (const xcb_depth_t *)(const void *)(base + off);
			off += sizeof(*d) +
				(uint64_t)d->visuals_len *
					sizeof(xcb_visualtype_t);
			if (off > have)
				return false;
		}
	}
	return true;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
put16(uint8_t *b, size_t *off, size_t v)
{
	b[(*off)++] = (uint8_t)(v >> 8);
	b[(*off)++] = (uint8_t)(v & 0xff);
}

static void
put_field(uint8_t *b, size_t *off, const void *p, size_t n)
{
	put16(b, off, n);
	memcpy(b + *off, p, n);
	*off += n;
}

int
xconn_cookie_copy(const char *display, const char *src, uid_t owner,
	const char *dst, uid_t dst_uid, gid_t dst_gid, char *err,
	size_t errlen)
{
	static const char mit[] = "MIT-MAGIC-COOKIE-1";
	uint8_t cookie[OP_XAUTH_COOKIE_LEN];
	/* One FamilyWild entry: family, address, number, name, data. */
	uint8_t buf[2 + 2 + 2 + 16 + 2 + sizeof(mit) + 2 + sizeof(cookie)];
	char tmp[4200];
	char num[16];
	char *host = NULL;
	size_t off = 0;
	int dnum = 0;
	int screen = 0;
	int fd = -1;
	int r;

	if (display == NULL || xcb_parse_display(display, &host, &dnum,
				       &screen) == 0) {
		snprintf(err, errlen, "cannot parse display %s",
			display != NULL ? display : "(none)");
		return OP_ERR_CONFIG;
	}
	free(host);
	snprintf(num, sizeof(num), "%d", dnum);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long: %s", dst);
		return OP_ERR_RANGE;
	}
	if ((r = op_xauth_load(src, owner, num, cookie, err, errlen)) != 0)
		return r;
	put16(buf, &off, OP_XAUTH_FAMILY_WILD);
	put_field(buf, &off, "", 0);
	put_field(buf, &off, num, strlen(num));
	put_field(buf, &off, mit, strlen(mit));
	put_field(buf, &off, cookie, sizeof(cookie));
	explicit_bzero(cookie, sizeof(cookie));
	(void)unlink(tmp); /* a stale one from a crash */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 ||
		((geteuid() != dst_uid || getegid() != dst_gid) &&
			fchown(fd, dst_uid, dst_gid) != 0) ||
		(r = write_all(fd, buf, off)) != 0 || close(fd) != 0) {
		r = r != 0 ? r : -errno;
		if (fd >= 0)
			(void)close(fd);
		(void)unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			op_strerror(r));
		explicit_bzero(buf, sizeof(buf));
		return r;
	}
	explicit_bzero(buf, sizeof(buf));
	if (rename(tmp, dst) != 0) {
		r = -errno;
		(void)unlink(tmp);
		snprintf(err, errlen, "cannot rename %s: %s", tmp,
			op_strerror(r));
		return r;
	}
	return 0;
}
