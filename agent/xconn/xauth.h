/* SPDX-License-Identifier: MIT */
/*
 * Finding an MIT-MAGIC-COOKIE-1 in an Xauthority file, without libXau and
 * without touching the process environment (libxcb only reads
 * $XAUTHORITY). The file is untrusted input: every length is bounded.
 * No X11 header here: the daemon includes this to copy a desktop's cookie.
 */
#ifndef OP_XCONN_XAUTH_H
#define OP_XCONN_XAUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* op_xauth_load: the file may belong to anyone (a path root chose). */
#define OP_XAUTH_ANY_OWNER ((uid_t)-1)

/*
 * Reads an Xauthority file and finds the cookie as above, with this
 * host's name. The path usually comes from a user's environment and is
 * opened by root, so it is opened without following a final symlink and
 * without blocking (a FIFO must not hang the daemon), and must be a
 * regular file owned by owner (OP_XAUTH_ANY_OWNER: by anyone; root is
 * never accepted for another owner), of at most OP_XAUTH_MAX_FILE bytes.
 * On failure returns OP_ERR_PERM (symlink, not a regular file, wrong
 * owner), OP_ERR_TOO_LARGE, -errno or the codes above, and writes a
 * one-line reason to err.
 */
int op_xauth_load(const char *path, uid_t owner, const char *display_number,
	uint8_t cookie[static OP_XAUTH_COOKIE_LEN], char *err,
	size_t errlen);

/*
 * Copies the MIT-MAGIC-COOKIE-1 for display out of src (a path from a
 * user's environment, owned by owner or OP_XAUTH_ANY_OWNER; checked and
 * read as op_xauth_load does) into a new Xauthority file dst, mode 0600,
 * owned by dst_uid:dst_gid (the network process's account; changing it
 * needs root) (written to a temporary name, then renamed over
 * dst; never through a symlink). The daemon hands only dst to the
 * capture, input and clipboard connections, so a user cannot swap the
 * file between their three opens. Returns 0 or an error with err.
 */
int xconn_cookie_copy(const char *display, const char *src, uid_t owner,
	const char *dst, uid_t dst_uid, gid_t dst_gid, char *err,
	size_t errlen);

#endif
