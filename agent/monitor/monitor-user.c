/* SPDX-License-Identifier: MIT */
/*
 * Which sockets the network process may have the monitor connect to as
 * a desktop user (connect-user): a user's own compositor, sound server
 * or session bus, nothing else. The network process names the path and
 * the user; both are checked here against the file system, so it cannot
 * borrow a user's identity for anything but these servers. Also
 * x11-cookie, the copy of a display's cookie out of a user's Xauthority.
 * Unix only: monitor-user-win.c refuses the three on Windows.
 */
#include "monitor/monitor-internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/text.h"
#include "platform/userconn.h"
#include "xconn/xauth.h"

/* wayland-*, pipewire-0, bus, pulse/native. */
static bool
name_allowed(const char *dir, const char *name)
{
	const char *p;

	if (strcmp(name, "pipewire-0") == 0 || strcmp(name, "bus") == 0)
		return true;
	if (strcmp(name, "native") == 0) {
		p = strrchr(dir, '/');
		return p != NULL && strcmp(p + 1, "pulse") == 0;
	}
	/* wayland-0, or a configured display.wayland like wayland-kiosk */
	if (strncmp(name, "wayland-", 8) != 0 || name[8] == '\0')
		return false;
	for (p = name + 8; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
			*p != '.')
			return false;
	return p - name <= 64;
}

int
monitor__user_socket(const char *path, uint32_t uid, gid_t *gid, char *why,
	size_t why_size)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	struct stat st;
	char *slash;

	/* Root too: a compositor run by root (a kiosk) has root's socket in
	 * root's directory; the same rules hold. */
	if (uid > INT32_MAX) {
		snprintf(why, why_size, "not as uid %u", uid);
		return -EPERM;
	}
	if (getpwuid_r((uid_t)uid, &pw, pwbuf, sizeof(pwbuf), &res) != 0 ||
		res == NULL) {
		snprintf(why, why_size, "no user %u", uid);
		return -EPERM;
	}
	*gid = pw.pw_gid;
	if (path[0] != '/' || strlen(path) >= sizeof(dir) ||
		strstr(path, "/../") != NULL || strstr(path, "//") != NULL) {
		snprintf(why, why_size, "not a plain absolute path");
		return -EPERM;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (!name_allowed(dir, slash + 1)) {
		snprintf(why, why_size, "not a compositor, sound server or "
			"session bus socket");
		return -EPERM;
	}
	/* Its directory and the socket are the user's own, and nobody
	 * else may put a socket there. */
	if (lstat(dir[0] != '\0' ? dir : "/", &st) != 0 || !S_ISDIR(st.st_mode) ||
		st.st_uid != (uid_t)uid || (st.st_mode & 022) != 0) {
		snprintf(why, why_size, "its directory is not %s's alone",
			pw.pw_name);
		return -EPERM;
	}
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (!S_ISSOCK(st.st_mode) || st.st_uid != (uid_t)uid) {
		snprintf(why, why_size, "not a socket of %s", pw.pw_name);
		return -EPERM;
	}
	return 0;
}

int
monitor__on_connect_user(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds)
{
	char path[108], why[160];
	uint32_t uid;
	bool held;
	gid_t gid;
	int fd = -1, hold = -1;
	int r;

	(void)m;
	(void)out;
	mon_get_str(in, path, sizeof(path));
	uid = mon_get_u32(in);
	held = mon_get_u8(in) != 0;
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	if (!monitor__granted(m, "connect-user"))
		return OP_ERR_DENIED;
	if ((r = monitor__user_socket(path, uid, &gid, why, sizeof(why))) != 0) {
		char shown[200];

		/* The path is the network process's word: escaped. */
		if (r == -EPERM)
			log_warn("monitor: connect-user %s as uid %u refused: %s",
				op_excerpt(path, strlen(path), 120, shown,
					sizeof(shown)),
				uid, why);
		return r;
	}
	r = platform_connect_user_here(path, (uid_t)uid, gid, &fd,
		held ? &hold : NULL);
	if (r != 0)
		return r;
	fds->fds[fds->nfds++] = fd;
	if (held)
		fds->fds[fds->nfds++] = hold;
	return 0;
}

/* user-socket: whose the socket is, under connect-user's rules (the
 * network process cannot look into a user's runtime directory). */
int
monitor__on_user_socket(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds)
{
	char path[108], why[160], shown[200];
	uid_t uid;
	gid_t gid;
	int r;

	(void)m;
	(void)fds;
	mon_get_str(in, path, sizeof(path));
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	if ((r = platform_user_socket_here(path, &uid, &gid)) != 0)
		return r;
	if ((r = monitor__user_socket(path, uid, &gid, why, sizeof(why))) != 0) {
		if (r == -EPERM)
			log_warn("monitor: user-socket %s refused: %s",
				op_excerpt(path, strlen(path), 120, shown,
					sizeof(shown)), why);
		return r == -ENOENT ? OP_ERR_NOT_FOUND : r;
	}
	mon_put_u32(out, (uint32_t)uid);
	mon_put_u32(out, (uint32_t)gid);
	return 0;
}

int
monitor__on_x11_cookie(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds)
{
	char display[64], src[4096], err[200] = "", shown[200];
	uint32_t owner;
	int r;

	(void)fds;
	mon_get_str(in, display, sizeof(display));
	mon_get_str(in, src, sizeof(src));
	owner = mon_get_u32(in);
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	if (m->o.cookie_copy == NULL)
		return OP_ERR_UNSUPPORTED;
	if (!monitor__granted(m, "x11-cookie")) {
		mon_put_str(out, "no session is authorized");
		return OP_ERR_DENIED;
	}
	/* Any owner is an admin's choice, made in the config, never the
	 * network process's. */
	if ((uid_t)owner == OP_XAUTH_ANY_OWNER &&
		(m->xauthority_any[0] == '\0' ||
			strcmp(src, m->xauthority_any) != 0)) {
		log_warn("monitor: x11-cookie from %s for any owner refused: "
			 "not display.xauthority",
			op_excerpt(src, strlen(src), 120, shown, sizeof(shown)));
		return OP_ERR_PERM;
	}
	r = xconn_cookie_copy(display, src, (uid_t)owner, m->o.cookie_copy,
		m->o.cookie_uid, m->o.cookie_gid, err, sizeof(err));
	/* The reason goes back either way: the network process shows it. */
	mon_put_str(out, err);
	return r;
}
