/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the display module that are pure enough to unit-test on
 * their own: the -displayfd line parser, the Xauthority writer and the
 * Xorg dummy configuration. Visible only inside agent/display and to
 * tests/unit/test-vdisplay.c.
 */
#ifndef OP_DISPLAY_VDISPLAY_INTERNAL_H
#define OP_DISPLAY_VDISPLAY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VDISPLAY_COOKIE_LEN 16
/* We read at most this much from the -displayfd pipe; a valid report
 * ("65535\n") is far shorter. */
#define VDISPLAY_DISPLAYFD_MAX 16
#define VDISPLAY_MAX_NUMBER 65535u

/*
 * Parses what the X server wrote to the -displayfd pipe so far (untrusted:
 * the server binary is whatever the admin configured). Returns 0 and *num
 * for exactly 1-5 digits (no leading zero, <= 65535) and one final '\n';
 * OP_ERR_INCOMPLETE for a valid prefix without the '\n' yet;
 * OP_ERR_PROTO for anything else (a sixth digit, any other byte, bytes
 * after the '\n').
 */
int vdisplay__parse_displayfd(const char *buf, size_t n, unsigned *num);

/*
 * Creates `name` in dirfd (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) holding
 * two MIT-MAGIC-COOKIE-1 entries with an empty display number (libXau
 * matches it to any display): FamilyLocal for `hostname` and FamilyWild.
 * When uid != (uid_t)-1 the file is chowned to uid:gid. Returns 0 or a
 * negative error; on failure nothing is left behind.
 */
int vdisplay__xauth_write(int dirfd, const char *name,
	const uint8_t cookie[static VDISPLAY_COOKIE_LEN], const char *hostname,
	uid_t uid, gid_t gid);

/*
 * Writes an xorg.conf for the "dummy" driver showing one width x height
 * mode into buf. Returns the length (< len) or OP_ERR_TOO_LARGE.
 */
int vdisplay__xorg_conf(char *buf, size_t len, uint32_t width,
	uint32_t height);

/* Start timeout in ms (15000); tests lower it. */
extern unsigned vdisplay__start_timeout_ms;

/* A shell for the session's $SHELL: the user's, unless it is nologin or
 * false (a terminal would exit at once), then /bin/sh. */
const char *vdisplay__usable_shell(const char *sh);

/* 0 when every directory on dir's path is searchable by uid:gid (no
 * supplementary groups), else OP_ERR_PERM naming the first that is not. */
int vdisplay__check_path_searchable(const char *dir, uid_t uid, gid_t gid,
	char *err, size_t errlen);

#endif
