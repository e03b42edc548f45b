/* SPDX-License-Identifier: MIT */
/*
 * The local control socket: `outpost status`, `reload` and friends ask the
 * running daemon over a Unix socket in the state directory (0700, so only
 * its owner and root reach it; SO_PEERCRED is checked as well, S6). On
 * Windows a named pipe named after the state directory, with a private
 * DACL and the peer's process token checked both ways (ctl-win.c).
 *
 * Protocol: the client sends one request line (at most CTL_MAX_REQUEST
 * bytes, e.g. "status\n"), the daemon answers one line of JSON and closes.
 */
#ifndef OP_CTL_CTL_H
#define OP_CTL_CTL_H

#include <stddef.h>

#include <uv.h>

#define CTL_SOCKET_NAME "control.sock"
#define CTL_MAX_REQUEST 256
#define CTL_MAX_RESPONSE (64 * 1024)

struct ctl_server;

/*
 * Answers one request: writes a NUL-terminated JSON object into out
 * (out_size bytes). Runs on the loop thread. Unknown requests should get
 * {"error": "..."}.
 */
typedef void (*ctl_handler_fn)(void *arg, const char *request, char *out,
	size_t out_size);

/* The listening socket alone (0600, replacing a stale one): the monitor
 * makes it and passes it to the network process. Returns 0 and *fd or a
 * negative code. */
int ctl_listen_fd(const char *dir, int *fd);
/* Serves on fd from ctl_listen_fd for dir (taken, also on failure).
 * Returns 0 and *out, or a negative code (uv/errno or OP_ERR_*). Both
 * are Unix's (ctl-unix.c). */
int ctl_server_start_fd(uv_loop_t *loop, const char *dir, int fd,
	ctl_handler_fn fn, void *arg, struct ctl_server **out);
/* Windows (ctl-win.c; the network process makes it, the monitor has no
 * part in it there): creates the daemon's named pipe for dir with the private DACL and serves it. Returns 0 and *out,
 * or a negative code (EADDRINUSE: another process holds the name). */
int ctl_server_start_pipe(uv_loop_t *loop, const char *dir,
	ctl_handler_fn fn, void *arg, struct ctl_server **out);
/* Closes the listener and any clients, unlinks the socket. NULL no-op. */
void ctl_server_stop(struct ctl_server *self);

/*
 * Client side, blocking (for the CLI): sends request to the daemon whose
 * state directory is dir and returns its answer in *out (malloc'd,
 * NUL-terminated). Returns 0, -ENOENT / -ECONNREFUSED when no daemon
 * runs, -ETIMEDOUT, or another negative code.
 */
int ctl_request(const char *dir, const char *request, int timeout_ms,
	char **out);

#endif
