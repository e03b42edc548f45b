/* SPDX-License-Identifier: MIT */
/*
 * Loads the proxy password from `server.proxy_password_file`. Lives with
 * the callers (cli/daemon, doctor, this test tool) because net/ may only
 * depend on core/, while the permission-checked read is platform/'s.
 * Meant to move to agent/cli/ as is.
 */
#ifndef OP_CLI_PROXY_PASSWORD_H
#define OP_CLI_PROXY_PASSWORD_H

#include "net/connect.h"
#include "platform/securefile.h"

/*
 * Reads path with sfile_read_secret (a regular file owned by us, no
 * group/other permission bits, not a symlink) into pc->password. One
 * trailing "\n" or "\r\n" is dropped; the rest must be 1..255 bytes with
 * no NUL, CR or LF (RFC 1929 limit; HTTP Basic could take more, SOCKS5
 * cannot). Returns 0, -ENOENT, OP_ERR_PERM, OP_ERR_TOO_LARGE,
 * OP_ERR_CONFIG or a negative errno, with why filled on error; the
 * password is never put in why. pc->password is wiped first.
 */
int proxy_load_password(struct proxy_conf *pc, const char *path,
	char why[static SFILE_WHY_LEN]);

#endif
