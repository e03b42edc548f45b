/* SPDX-License-Identifier: MIT */
/*
 * The proxy password file (see proxy-password.h). Must not: accept a
 * file others can read, log or echo the secret, or leave a copy behind
 * (the read buffer is wiped by sfile_free_secret).
 */
#include "cli/proxy-password.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"

int
proxy_load_password(struct proxy_conf *pc, const char *path,
	char why[static SFILE_WHY_LEN])
{
	uint8_t *buf = NULL;
	size_t got = 0;
	size_t len;
	int r;

	sodium_memzero(pc->password, sizeof(pc->password));
	why[0] = '\0';
	/* Room for 255 bytes and a CRLF. */
	if ((r = sfile_read_secret(path, sizeof(pc->password) + 1, &buf, &got,
		     why)) != 0)
		return r;
	len = got;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0 || len >= sizeof(pc->password) ||
		memchr(buf, '\0', len) != NULL ||
		memchr(buf, '\n', len) != NULL ||
		memchr(buf, '\r', len) != NULL) {
		snprintf(why, SFILE_WHY_LEN,
			"%s: the proxy password must be one line of 1-255 "
			"bytes", path);
		r = OP_ERR_CONFIG;
		goto out;
	}
	memcpy(pc->password, buf, len);
	pc->password[len] = '\0';
	r = 0;
out:
	sfile_free_secret(buf, got);
	return r;
}
