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

/*
 * Listens on dir/control.sock (replacing a stale socket file). Returns 0
 * and *out, or a negative code (uv/errno or OP_ERR_*).
 */
int ctl_server_start(uv_loop_t *loop, const char *dir, ctl_handler_fn fn,
	void *arg, struct ctl_server **out);
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
