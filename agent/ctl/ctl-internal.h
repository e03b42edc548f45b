/* SPDX-License-Identifier: MIT */
/*
 * Between the libuv server (ctl.c) and the system's side of the control
 * endpoint: ctl-unix.c (dir/control.sock, mode 0600, SO_PEERCRED) or
 * ctl-win.c (a named pipe with a private DACL, the client's token).
 */
#ifndef OP_CTL_CTL_INTERNAL_H
#define OP_CTL_CTL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#define CTL__ENDPOINT_MAX 256

/* The endpoint of the daemon whose state directory is dir, for
 * uv_pipe_bind and the client. -ENAMETOOLONG when it does not fit. */
int ctl__endpoint(const char *dir, char *out, size_t n);
/* Removes a stale endpoint (Unix: the socket file; Windows: nothing, a
 * pipe goes with its last handle). */
void ctl__unlink(const char *endpoint);
/* Right after bind: only the daemon's own user and the administrators
 * may connect. 0 or a negative code. */
int ctl__restrict(uv_pipe_t *listener, const char *endpoint);
/* The accepted client runs as the daemon's user or as root / an
 * administrator. */
bool ctl__peer_allowed(uv_pipe_t *client);

#endif
