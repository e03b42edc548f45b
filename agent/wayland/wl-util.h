/* SPDX-License-Identifier: MIT */
/*
 * Helpers for a client connection that must never block for long on a
 * compositor that stopped answering (a hung or hostile one must not hang
 * the agent): dispatch and round trips with a deadline, and sealed
 * memfd-backed shm buffers the compositor cannot shrink under us.
 */
#ifndef OP_WAYLAND_WL_UTIL_H
#define OP_WAYLAND_WL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <wayland-client-core.h>
#include <wayland-client-protocol.h>

/* Flushes, waits up to ms for events, reads and dispatches them.
 * Returns the number dispatched (>= 0), -ETIMEDOUT, or -EPIPE (or
 * another -errno) when the connection is broken. */
int wlu_dispatch_timeout(struct wl_display *dpy, int ms);

/* Dispatches until *flag becomes true, at most ms in all. 0, -ETIMEDOUT
 * or a broken-connection -errno. */
int wlu_dispatch_until(struct wl_display *dpy, const bool *flag, int ms);

/* wl_display_sync and wait for it: every event the compositor sent before
 * is dispatched. 0, -ETIMEDOUT or -errno. */
int wlu_roundtrip(struct wl_display *dpy, int ms);

/* A shm buffer of height rows of stride bytes in a sealed memfd (no
 * shrink, no grow), mapped read-write at *mem (size *size). Returns the
 * buffer or NULL (errno set). Destroy with wlu_shm_buffer_free. */
struct wl_buffer *wlu_shm_buffer(struct wl_shm *shm, uint32_t width,
	uint32_t height, uint32_t stride, uint32_t format, void **mem,
	size_t *size);
void wlu_shm_buffer_free(struct wl_buffer *b, void *mem, size_t size);

/* Whom to connect to the socket at path as (platform_user_socket: this
 * module does not depend on platform): 0, OP_ERR_NOT_FOUND (no socket),
 * another error. */
typedef int (*wlu_probe_fn)(const char *path, uid_t *uid, gid_t *gid);

/* The compositor socket for display: a path, a name in $XDG_RUNTIME_DIR,
 * or NULL/"" for $WAYLAND_DISPLAY (default wayland-0). It must exist and
 * be a socket; probe says whom to connect as (*uid, *gid). 0,
 * OP_ERR_NOT_FOUND, OP_ERR_CONFIG, -ENAMETOOLONG or probe's error, with a
 * reason in err. */
int wlu_socket_path(const char *display, wlu_probe_fn probe, char *path,
	size_t cap, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/* Where and how to connect: the socket path (see wlu_socket_path), as
 * whom, and the function that connects as them (platform_connect_user:
 * this module does not depend on platform). */
typedef int (*wlu_connect_fn)(const char *path, uid_t uid, gid_t gid,
	int *fd);
struct wlu_target {
	const char *path;
	uid_t uid;
	gid_t gid;
	wlu_connect_fn connect;
};

/* Connects to the compositor at t, gets its registry with listener l
 * and waits up to ms for the globals to be announced. *dpy and *reg hold
 * what was made either way (the caller destroys them). 0, the connect
 * error, OP_ERR_NOMEM, -ETIMEDOUT or OP_ERR_GONE, with a reason in err. */
int wlu_open_registry(const struct wlu_target *t,
	const struct wl_registry_listener *l, void *data, int ms,
	struct wl_display **dpy, struct wl_registry **reg, char *err,
	size_t errlen);

/* wlu_roundtrip for a compositor at path: 0, -ETIMEDOUT or OP_ERR_GONE,
 * with "does not answer" in err. */
int wlu_roundtrip_err(struct wl_display *dpy, int ms, const char *path,
	char *err, size_t errlen);

/* Copies a compositor string into dst, printable ASCII only. */
void wlu_copy_name(char *dst, size_t cap, const char *src);

#endif
