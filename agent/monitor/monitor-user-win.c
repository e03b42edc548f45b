/* SPDX-License-Identifier: MIT */
/*
 * connect-user, user-socket and x11-cookie on Windows (issue 16): they
 * reach a desktop user's Wayland, PipeWire, PulseAudio or session bus
 * sockets, or an X display's cookie, none of which Windows has (capture,
 * input and the clipboard reach the desktop through Win32 there). Each
 * request is still read as strictly as on Unix, so a malformed one ends
 * the network process alike, and the require_grant gate answers first
 * as there (OP_ERR_DENIED); a well-formed one is then refused with
 * OP_ERR_UNSUPPORTED.
 */
#include "monitor/monitor-internal.h"

#include "core/err.h"
#include "core/log.h"

int
monitor__on_connect_user(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds)
{
	char path[108];

	(void)out;
	(void)fds;
	mon_get_str(in, path, sizeof(path));
	(void)mon_get_u32(in);
	(void)mon_get_u8(in);
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	if (!monitor__granted(m, "connect-user"))
		return OP_ERR_DENIED;
	log_warn("monitor: connect-user refused: Windows has no desktop "
		 "users' sockets");
	return OP_ERR_UNSUPPORTED;
}

int
monitor__on_user_socket(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds)
{
	char path[108];

	(void)m;
	(void)out;
	(void)fds;
	mon_get_str(in, path, sizeof(path));
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	return OP_ERR_UNSUPPORTED;
}

int
monitor__on_x11_cookie(struct monitor *m, struct mon_rd *in,
	struct mon_buf *out, struct monitor_reply *fds)
{
	char display[64], src[4096];

	(void)fds;
	mon_get_str(in, display, sizeof(display));
	mon_get_str(in, src, sizeof(src));
	(void)mon_get_u32(in);
	if (!mon_rd_done(in))
		return monitor__malformed(in);
	if (!monitor__granted(m, "x11-cookie")) {
		mon_put_str(out, "no session is authorized");
		return OP_ERR_DENIED;
	}
	mon_put_str(out, "Windows has no X displays");
	return OP_ERR_UNSUPPORTED;
}
