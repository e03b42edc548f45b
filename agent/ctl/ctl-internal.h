/* SPDX-License-Identifier: MIT */
/*
 * Between the libuv server (ctl.c) and the system's side of the control
 * endpoint: ctl-unix.c (dir/control.sock, 0600 from bind on, made by the
 * monitor; SO_PEERCRED) or ctl-win.c (a named pipe with a private DACL,
 * the client's token).
 */
#ifndef OP_CTL_CTL_INTERNAL_H
#define OP_CTL_CTL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "ctl/ctl.h"

#define CTL__ENDPOINT_MAX 256

/* The endpoint of the daemon whose state directory is dir, for
 * uv_pipe_bind and the client. -ENAMETOOLONG when it does not fit. */
int ctl__endpoint(const char *dir, char *out, size_t n);
/* Removes a stale endpoint (Unix: the socket file; Windows: nothing, a
 * pipe goes with its last handle). */
void ctl__unlink(const char *endpoint);
/* The accepted client runs as the daemon's user or as root / an
 * administrator. */
bool ctl__peer_allowed(uv_pipe_t *client);

struct ctl_server;
/* ctl.c: a server for dir (*out; NULL on failure) whose *pipe is
 * initialised on loop; the system's side binds or opens it (on failure:
 * ctl_server_stop), then ctl__serve listens, or stops the server and
 * sets *out to NULL. */
int ctl__server_new(uv_loop_t *loop, const char *dir, ctl_handler_fn fn,
	void *arg, struct ctl_server **out, uv_pipe_t **pipe);
int ctl__serve(struct ctl_server **out);

#endif
