/* SPDX-License-Identifier: MIT */
/*
 * Which sockets the network process may have the monitor connect to as
 * a desktop user (connect-user): a user's own compositor, sound server
 * or session bus, nothing else. The network process names the path and
 * the user; both are checked here against the file system, so it cannot
 * borrow a user's identity for anything but these servers.
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
