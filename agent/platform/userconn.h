/* SPDX-License-Identifier: MIT */
#ifndef OP_PLATFORM_USERCONN_H
#define OP_PLATFORM_USERCONN_H

#include <sys/types.h>

/*
 * Connects to the Unix stream socket at path as the user uid:gid, for a
 * daemon running as root when the user's server refuses (or should not
 * see) root: forks a child that drops to uid:gid (groups = {gid},
 * checked), connects, and passes the socket back over a socketpair
 * (SCM_RIGHTS). Only async-signal-safe calls in the child; the parent
 * waits at most 3 s. When we are uid already, the child connects without
 * dropping anything. Returns 0 and *fd (close-on-exec, non-blocking),
 * OP_ERR_NOT_FOUND when the socket does not exist, OP_ERR_CONFIG for a
 * relative path, -ENAMETOOLONG, -EPERM (neither root nor uid), or the
 * child's errno. Users: audio (pipewire-0), capture/input (wayland-N).
 */
int platform_connect_user(const char *path, uid_t uid, gid_t gid, int *fd);

/*
 * The same, but the process that connected (a grandchild running as
 * uid, /bin/cat after exec, none of our memory or fds) stays alive until
 * *hold is closed: for servers that look at the client's /proc/PID after
 * connect() (xdg-desktop-portal). On success also *hold (close-on-exec;
 * closing it ends that process); on failure *hold = -1.
 */
int platform_connect_user_held(const char *path, uid_t uid, gid_t gid, int *fd,
	int *hold);

/*
 * Where the calls above go instead (the network process of a privilege-
 * separated daemon asks its monitor, which calls
 * platform_connect_user_here); hold is NULL for the plain variant. NULL
 * fn: connect here again.
 */
typedef int (*platform_user_connector)(void *arg, const char *path,
	uid_t uid, gid_t gid, int *fd, int *hold);
void platform_set_user_connector(platform_user_connector fn, void *arg);
/* Connects in this process, whatever connector is set (hold may be
 * NULL). */
int platform_connect_user_here(const char *path, uid_t uid, gid_t gid,
	int *fd, int *hold);

/*
 * Whom to connect to the user socket at path as: 0 and its owner in *uid
 * and *gid when this process may connect as others (root, or a network
 * process whose monitor connects for it), else ourselves; OP_ERR_NOT_FOUND
 * when there is no socket there; another error when it may not be used.
 * The network process cannot look into a user's runtime directory: its
 * prober asks the monitor, which looks (platform_user_socket_here) and
 * applies connect-user's rules.
 */
int platform_user_socket(const char *path, uid_t *uid, gid_t *gid);
typedef int (*platform_user_prober)(void *arg, const char *path, uid_t *uid,
	gid_t *gid);
void platform_set_user_prober(platform_user_prober fn, void *arg);
/* Looks in this process: the socket's owner, whoever we are. */
int platform_user_socket_here(const char *path, uid_t *uid, gid_t *gid);

#endif
