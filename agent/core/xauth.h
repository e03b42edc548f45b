/* SPDX-License-Identifier: MIT */
/*
 * Finding an MIT-MAGIC-COOKIE-1 in an Xauthority file, without libXau and
 * without touching the process environment (libxcb only reads
 * $XAUTHORITY). The file is untrusted input: every length is bounded.
 */
#ifndef OP_CORE_XAUTH_H
#define OP_CORE_XAUTH_H

#include <stddef.h>
#include <stdint.h>

/* Larger Xauthority files are refused. */
#define OP_XAUTH_MAX_FILE (64 * 1024)
#define OP_XAUTH_COOKIE_LEN 16

/* Xauthority address families we accept (FamilyLocal, FamilyWild). */
#define OP_XAUTH_FAMILY_LOCAL 256
#define OP_XAUTH_FAMILY_WILD 65535

/*
 * Parses the whole buffer (entries of: family u16be, then address,
 * number, name and data, each as a u16be length and bytes) and copies the
 * cookie of the first MIT-MAGIC-COOKIE-1 entry of family Local or Wild
 * whose display number is display_number (an empty number in the file
 * matches any display, as in libXau). hostname: when not NULL, Local
 * entries for another host are skipped. Returns 0, OP_ERR_TOO_LARGE (len
 * above OP_XAUTH_MAX_FILE), OP_ERR_PROTO (malformed or truncated
 * anywhere in the file, even after a match) or OP_ERR_NOT_FOUND. cookie
 * is written only on success. Pure; any thread.
 */
int op_xauth_find(const uint8_t *buf, size_t len,
	const char *display_number, const char *hostname,
	uint8_t cookie[static OP_XAUTH_COOKIE_LEN]);

/*
 * Reads an Xauthority file (at most OP_XAUTH_MAX_FILE bytes) and
 * finds the cookie as above, with this host's name. On failure returns
 * -errno or the codes above and writes a one-line reason to err.
 */
int op_xauth_load(const char *path, const char *display_number,
	uint8_t cookie[static OP_XAUTH_COOKIE_LEN], char *err,
	size_t errlen);

#endif
