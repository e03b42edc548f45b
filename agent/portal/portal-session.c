/* SPDX-License-Identifier: MIT */
/*
 * See portal-session.h. The dance, in order:
 *   ScreenCast only:  ScreenCast.CreateSession -> SelectSources
 *                     {types: monitor, cursor_mode, persist_mode: 2,
 *                     restore_token} -> Start
 *   with input:       RemoteDesktop.CreateSession -> SelectDevices
 *                     {types: keyboard|pointer, persist_mode: 2,
 *                     restore_token} -> ScreenCast.SelectSources on the
 *                     same session -> RemoteDesktop.Start
 * Each of these is a Request: the answer comes as a Response signal
 * (code 0 ok, 1 cancelled by the user, 2 refused otherwise) on
 * /org/freedesktop/portal/desktop/request/SENDER/TOKEN.
 *
 * Authentication on the bus: see platform/userbus.c (the socket was
 * connected as the bus's user). xdg-desktop-portal then takes us for an
 * unsandboxed host application (app id "").
 */
#include "portal/portal-session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "portal/portal-internal.h"
#include "portal/portal-token.h"

static int
on_session_closed(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct portal_session *s = arg;

	(void)m;
	(void)ret;
	s->rd.closed = true;
	return 0;
}

/* The arguments of a Request before its options: none, the session,
 * or the session and the parent window (always "": no window). */
enum req_args {
	ARGS_NONE,
	ARGS_SESSION,
	ARGS_SESSION_WINDOW,
};

/* Appends a Request's options after its handle_token. */
typedef int (*req_opts_fn)(const struct portal_session *s,
	sd_bus_message *m, const void *arg);

/*
 * One Request of the dance: method of iface with args, then the options
 * {handle_token, what opts (NULL = nothing) appends}; waits for its
 * Response and parses it into *res. 0, or a negative error with the
 * reason in err (method names the step).
 */
static int
request(struct portal_session *s, const char *iface, const char *method,
	enum req_args args, req_opts_fn opts, const void *arg,
	struct results *res, char *err, size_t errlen)
{
	sd_bus_message *m = NULL;
	struct request q;
	char htok[64];
	int r;

	r = portal__req_begin(s, &q, iface, P_PATH, method, &m, htok,
		sizeof(htok));
	if (r >= 0 && args != ARGS_NONE)
		r = sd_bus_message_append(m, "o", s->session);
	if (r >= 0 && args == ARGS_SESSION_WINDOW)
		r = sd_bus_message_append(m, "s", "");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "handle_token", "s", htok);
	if (r >= 0 && opts != NULL)
		r = opts(s, m, arg);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0) {
		portal__req_end(&q);
		sd_bus_message_unref(m);
		return portal__failed(method, r, NULL, err, errlen);
	}
	r = portal__req_run(&q, m, method, res, err, errlen);
	sd_bus_message_unref(m);
	return r;
}

static int
create_opts(const struct portal_session *s, sd_bus_message *m,
	const void *stok)
{
	(void)s;
	return sd_bus_message_append(m, "{sv}", "session_handle_token", "s",
		(const char *)stok);
}

static int
create_session(struct portal_session *s, char *err, size_t errlen)
{
	char stok[64];
	struct results res;
	int r;

	portal__make_token(s, stok, sizeof(stok));
	if ((r = request(s, s->input ? P_RD : P_SC, "CreateSession",
		     ARGS_NONE, create_opts, stok, &res, err, errlen)) != 0)
		return r;
	if (!res.have_session || res.session[0] != '/' ||
		!sd_bus_object_path_is_valid(res.session)) {
		snprintf(err, errlen,
			"portal CreateSession: no session handle");
		return OP_ERR_PROTO;
	}
	memcpy(s->session, res.session, sizeof(s->session));
	r = sd_bus_match_signal(s->rd.bus, &s->closed_slot, s->owner,
		s->session, P_SESSION, "Closed", on_session_closed, s);
	return r < 0 ? portal__failed("AddMatch", r, NULL, err, errlen) : 0;
}

/* persist_mode and the old token, when this interface version has them
 * (ScreenCast 4, RemoteDesktop 2). */
static int
append_persist(sd_bus_message *m, bool can, const char *token)
{
	int r = 0;

	if (!can)
		return 0;
	r = sd_bus_message_append(m, "{sv}", "persist_mode", "u",
		(uint32_t)PERSIST_UNTIL_REVOKED);
	if (r >= 0 && token != NULL && token[0] != '\0')
		r = sd_bus_message_append(m, "{sv}", "restore_token", "s",
			token);
	return r;
}

static int
devices_opts(const struct portal_session *s, sd_bus_message *m,
	const void *token)
{
	int r = sd_bus_message_append(m, "{sv}", "types", "u",
		(uint32_t)(DEVICE_KEYBOARD | DEVICE_POINTER));

	return r < 0 ? r : append_persist(m, s->rd_version >= 2, token);
}

/* What SelectSources asks for beyond one monitor. */
struct sources_arg {
	const char *token;
	uint32_t cursors; /* AvailableCursorModes, 0 = not asked */
};

static int
sources_opts(const struct portal_session *s, sd_bus_message *m,
	const void *arg)
{
	const struct sources_arg *a = arg;
	int r = sd_bus_message_append(m, "{sv}{sv}", "types", "u",
		(uint32_t)SOURCE_MONITOR, "multiple", "b", 0);

	if (r >= 0 && (a->cursors & (CURSOR_HIDDEN | CURSOR_EMBEDDED)))
		r = sd_bus_message_append(m, "{sv}", "cursor_mode", "u",
			(uint32_t)((a->cursors & CURSOR_HIDDEN) ?
					CURSOR_HIDDEN :
					CURSOR_EMBEDDED));
	/* A remote-desktop session persists through SelectDevices; the
	 * portal refuses persist_mode here for it. */
	if (r >= 0)
		r = append_persist(m, !s->input && s->sc_version >= 4,
			a->token);
	return r;
}

static int
select_sources(struct portal_session *s, const char *token, char *err,
	size_t errlen)
{
	struct sources_arg a = {token, 0};
	struct results res;
	uint32_t types = 0;
	int r;

	if ((r = portal__get_u32(s, P_SC, "AvailableSourceTypes", &types, err,
		     errlen)) != 0)
		return r;
	if (!(types & SOURCE_MONITOR)) {
		snprintf(err, errlen, "portal: ScreenCast cannot record a "
				      "monitor");
		return OP_ERR_UNSUPPORTED;
	}
	/* The cursor is not part of the frame, as with the other backends
	 * (viewers draw their own); embedded when hiding is not offered. */
	if (s->sc_version >= 2 &&
		portal__get_u32(s, P_SC, "AvailableCursorModes", &a.cursors,
			err, errlen) != 0)
		a.cursors = 0;
	return request(s, P_SC, "SelectSources", ARGS_SESSION, sources_opts,
		&a, &res, err, errlen);
}

static int
start(struct portal_session *s, char *err, size_t errlen)
{
	struct results res;
	int r;

	if ((r = request(s, s->input ? P_RD : P_SC, "Start",
		     ARGS_SESSION_WINDOW, NULL, NULL, &res, err, errlen)) != 0)
		return r;
	if (!res.have_stream) {
		snprintf(err, errlen, "portal Start: no stream");
		return OP_ERR_PROTO;
	}
	if (s->input && !(res.devices & (DEVICE_KEYBOARD | DEVICE_POINTER))) {
		snprintf(err, errlen, "portal Start: neither keyboard nor "
				      "pointer granted");
		return OP_ERR_DENIED;
	}
	s->node = res.node;
	s->have_node = true;
	s->devices = res.devices;
	s->rd.x = res.x;
	s->rd.y = res.y;
	s->rd.w = res.w;
	s->rd.h = res.h;
	/* A token we could not store safely is no token. */
	if (res.have_token && portal_token_valid(res.token))
		memcpy(s->token, res.token, sizeof(s->token));
	return 0;
}

/* The interfaces we need and their versions. */
static int
check_portal(struct portal_session *s, char *err, size_t errlen)
{
	int r = portal__get_u32(s, P_SC, "version", &s->sc_version, err,
		errlen);

	if (r == OP_ERR_UNSUPPORTED)
		snprintf(err, errlen, "no xdg-desktop-portal ScreenCast on the "
				      "user's session bus");
	if (r != 0 || !s->input)
		return r;
	if ((r = portal__get_u32(s, P_RD, "version", &s->rd_version, err,
		     errlen)) == OP_ERR_UNSUPPORTED)
		snprintf(err, errlen, "the desktop's portal offers no "
				      "RemoteDesktop: view only, no input");
	return r;
}

int
portal_session_open(int bus_fd, int hold_fd, bool input,
	const char *restore_token, int timeout_ms, struct portal_session **out,
	char *err, size_t errlen)
{
	struct portal_session *s;
	struct results res;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(bus_fd);
		if (hold_fd >= 0)
			close(hold_fd);
		return OP_ERR_NOMEM;
	}
	s->hold = hold_fd;
	s->input = input;
	s->deadline = op_now_us() + (uint64_t)timeout_ms * 1000u;
	if (!portal_token_valid(restore_token))
		restore_token = NULL;
	if ((r = portal__bus_start(s, bus_fd, err, errlen)) != 0 ||
		(r = check_portal(s, err, errlen)) != 0 ||
		(r = portal__name_owner(s, err, errlen)) != 0 ||
		(r = create_session(s, err, errlen)) != 0)
		goto fail;
	if (input && (r = request(s, P_RD, "SelectDevices", ARGS_SESSION,
			      devices_opts, restore_token, &res, err,
			      errlen)) != 0)
		goto fail;
	if ((r = select_sources(s, restore_token, err, errlen)) != 0 ||
		(r = start(s, err, errlen)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	portal_session_close(s);
	return r;
}

int
portal_session_open_user(const char *dir, bool input,
	const char *token_path, int timeout_ms, struct portal_session **out,
	char *err, size_t errlen)
{
	char token[PORTAL_TOKEN_MAX];
	bool keep = token_path != NULL && token_path[0] != '\0';
	struct userbus_target t;
	int fd, hold, r;

	*out = NULL;
	if ((r = userbus_target(dir, &t, err, errlen)) != 0)
		return r;
	token[0] = '\0';
	if (keep && (r = portal_token_load(token_path, token,
			     sizeof(token))) != 0)
		log_warn_r(r, "portal restore token %s ignored", token_path);
	if ((r = userbus_connect(&t, "bus", &fd, &hold, err, errlen)) != 0 ||
		(r = portal_session_open(fd, hold, input, token, timeout_ms,
			 out, err, errlen)) != 0)
		return r;
	if (keep && (r = portal_token_save(token_path,
			     portal_session_restore_token(*out))) != 0)
		log_warn_r(r, "cannot store the portal restore token in %s",
			token_path);
	return 0;
}

void
portal_session_close(struct portal_session *s)
{
	if (s == NULL)
		return;
	/* Unanswered: the portal also closes our sessions when our
	 * connection goes away. */
	if (s->session[0] != '\0' && !s->rd.closed)
		userbus_send_noreply(s->rd.bus, P_BUS, s->session, P_SESSION,
			"Close");
	userbus_unwatch(&s->gone);
	sd_bus_slot_unref(s->closed_slot);
	if (s->rd.bus != NULL)
		sd_bus_close_unref(s->rd.bus);
	if (s->hold >= 0)
		close(s->hold);
	free(s);
}

const char *
portal_session_restore_token(const struct portal_session *s)
{
	return s->token;
}

const char *
portal_session_kind(const struct portal_session *s)
{
	return s->input ? "remote-desktop" : "screencast";
}

uint32_t
portal_session_node(const struct portal_session *s)
{
	return s->node;
}

int
portal_session_pipewire_fd(struct portal_session *s, int *fd)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r, got = -1;

	*fd = -1;
	r = sd_bus_call_method(s->rd.bus, P_BUS, P_PATH, P_SC,
		"OpenPipeWireRemote", &e, &reply, "oa{sv}", s->session, 0);
	if (r >= 0)
		r = sd_bus_message_read(reply, "h", &got);
	if (r >= 0 && (got = fcntl(got, F_DUPFD_CLOEXEC, 3)) < 0)
		r = -errno;
	sd_bus_message_unref(reply); /* closes the message's copy */
	sd_bus_error_free(&e);
	if (r < 0)
		return r == -ETIMEDOUT ? r : OP_ERR_GONE;
	*fd = got;
	return 0;
}

static int
notify(struct portal_session *s, uint32_t device, const char *method,
	const char *sig, ...)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	va_list ap;
	int r;

	if (s->rd.closed)
		return OP_ERR_GONE;
	if (!s->input || !(s->devices & device))
		return OP_ERR_UNSUPPORTED;
	r = sd_bus_message_new_method_call(s->rd.bus, &m, P_BUS, P_PATH, P_RD,
		method);
	if (r >= 0)
		r = sd_bus_message_append(m, "oa{sv}", s->session, 0);
	if (r >= 0) {
		va_start(ap, sig);
		r = sd_bus_message_appendv(m, sig, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(s->rd.bus, m,
			(uint64_t)PORTAL_CALL_TIMEOUT_MS * 1000u, &e, NULL);
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	if (r >= 0)
		return 0;
	return r == -ETIMEDOUT ? r : OP_ERR_GONE;
}

static void
portal_rd_close(void *s)
{
	portal_session_close(s);
}

static int
portal_rd_pointer_abs(void *p, double x, double y)
{
	struct portal_session *s = p;

	return notify(s, DEVICE_POINTER, "NotifyPointerMotionAbsolute", "udd",
		s->node, x, y);
}

static int
portal_rd_button(void *s, int32_t button, bool pressed)
{
	return notify(s, DEVICE_POINTER, "NotifyPointerButton", "iu", button,
		(uint32_t)pressed);
}

static int
portal_rd_axis_discrete(void *s, uint32_t axis, int32_t steps)
{
	return notify(s, DEVICE_POINTER, "NotifyPointerAxisDiscrete", "ui",
		axis, steps);
}

static int
portal_rd_keysym(void *s, uint32_t keysym, bool pressed)
{
	return notify(s, DEVICE_KEYBOARD, "NotifyKeyboardKeysym", "iu",
		(int32_t)keysym, (uint32_t)pressed);
}

static int
portal_rd_keycode(void *s, uint32_t keycode, bool pressed)
{
	return notify(s, DEVICE_KEYBOARD, "NotifyKeyboardKeycode", "iu",
		(int32_t)keycode, (uint32_t)pressed);
}

const struct userbus_rd_ops portal_rd_ops = {
	.name = "portal",
	.fd = userbus_rd_fd,
	.process = userbus_rd_process,
	.close = portal_rd_close,
	.geometry = userbus_rd_geometry,
	.pointer_abs = portal_rd_pointer_abs,
	.button = portal_rd_button,
	.axis_discrete = portal_rd_axis_discrete,
	.keysym = portal_rd_keysym,
	.keycode = portal_rd_keycode,
};
