/* SPDX-License-Identifier: MIT */
/*
 * See mutter-session.h. The D-Bus dance, in order: RemoteDesktop
 * CreateSession -> the session's SessionId -> ScreenCast CreateSession
 * {remote-desktop-session-id} -> RecordMonitor -> (match the stream's
 * PipeWireStreamAdded) -> RemoteDesktop Session.Start -> node id.
 *
 * Authentication: see platform/userbus.c (the socket was connected as
 * the bus's user). Tested with dbus-daemon 1.14 and sd-bus 252
 * (tests/integration/test_mutter_capture.py runs as root).
 *
 * Everything Mutter sends is untrusted: replies are read with typed
 * sd_bus_message_read (a wrong signature is an error), paths are
 * bounded, the node id is only a number handed to PipeWire, and its
 * signals are only taken from Mutter's unique bus name (any other client
 * of the user's bus could send a PipeWireStreamAdded of its own).
 */
#include "mutter/mutter-session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "core/err.h"
#include "core/time.h"
#include "platform/userbus.h"

#define RD_BUS "org.gnome.Mutter.RemoteDesktop"
#define RD_PATH "/org/gnome/Mutter/RemoteDesktop"
#define RD_SESSION_IFACE "org.gnome.Mutter.RemoteDesktop.Session"
#define SC_BUS "org.gnome.Mutter.ScreenCast"
#define SC_PATH "/org/gnome/Mutter/ScreenCast"
#define SC_SESSION_IFACE "org.gnome.Mutter.ScreenCast.Session"
#define SC_STREAM_IFACE "org.gnome.Mutter.ScreenCast.Stream"
#define MAX_PATH_LEN 256

struct mutter_session {
	struct userbus_rd rd; /* first: see userbus.h */
	sd_bus_slot *stream_added;
	sd_bus_slot *closed_slot;
	struct userbus_watch gone; /* Mutter leaving the bus */
	sd_bus_slot *sel_owner_slot, *sel_transfer_slot;
	mutter_owner_fn on_owner;
	mutter_transfer_fn on_transfer;
	void *clip_arg;
	char rd_path[MAX_PATH_LEN];
	char stream_path[MAX_PATH_LEN];
	char owner[MAX_PATH_LEN]; /* Mutter's unique name on the bus */
	uint32_t node;
	bool have_node;
	bool have_size; /* in the stream's Parameters */
	bool started;
};

/* Turns an sd-bus failure into ours, with the D-Bus error in err. */
static int
call_failed(const char *what, int r, const sd_bus_error *e, char *err,
	size_t errlen)
{
	if (e != NULL && sd_bus_error_is_set(e)) {
		snprintf(err, errlen, "mutter %s: %s", what,
			e->message ? e->message : e->name);
		if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
			sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
			return OP_ERR_UNSUPPORTED;
		if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) ||
			sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT))
			return -ETIMEDOUT;
		return OP_ERR_GONE;
	}
	snprintf(err, errlen, "mutter %s: %s", what, strerror(-r));
	return r == -ETIMEDOUT ? r : OP_ERR_GONE;
}

/* Copies an object path from a reply; refuses absurd ones. */
static int
read_path(sd_bus_message *m, char *out, size_t cap)
{
	const char *p = NULL;
	int r = sd_bus_message_read(m, "o", &p);

	return r < 0 ? r : userbus_copy(out, cap, p);
}

static int
on_stream_added(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct mutter_session *s = arg;
	uint32_t node;

	(void)ret;
	if (sd_bus_message_read(m, "u", &node) >= 0) {
		s->node = node;
		s->have_node = true;
	}
	return 0;
}

static int
on_closed(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct mutter_session *s = arg;

	(void)m;
	(void)ret;
	s->rd.closed = true;
	return 0;
}

/* Runs the bus until *flag or the deadline (or the bus fails). */
static int
wait_for(struct mutter_session *s, const bool *flag, uint64_t deadline)
{
	int r = userbus_wait(s->rd.bus, flag, &s->rd.closed, deadline);

	return r == 0 && s->rd.closed ? OP_ERR_GONE : r;
}

static int
create_sessions(struct mutter_session *s, const char *connector, char *err,
	size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	char sc_path[MAX_PATH_LEN];
	char *session_id = NULL;
	int r;

	r = sd_bus_call_method(s->rd.bus, RD_BUS, RD_PATH, RD_BUS,
		"CreateSession", &e, &reply, "");
	if (r < 0 || read_path(reply, s->rd_path, sizeof(s->rd_path)) < 0) {
		r = call_failed("RemoteDesktop.CreateSession", r, &e, err,
			errlen);
		goto out;
	}
	reply = sd_bus_message_unref(reply);
	r = sd_bus_get_property_string(s->rd.bus, RD_BUS, s->rd_path,
		RD_SESSION_IFACE, "SessionId", &e, &session_id);
	if (r < 0 || session_id == NULL || strlen(session_id) > 128) {
		r = call_failed("SessionId", r < 0 ? r : -EBADMSG, &e, err,
			errlen);
		goto out;
	}
	r = sd_bus_call_method(s->rd.bus, SC_BUS, SC_PATH, SC_BUS,
		"CreateSession", &e, &reply, "a{sv}", 1,
		"remote-desktop-session-id", "s", session_id);
	if (r < 0 || read_path(reply, sc_path, sizeof(sc_path)) < 0) {
		r = call_failed("ScreenCast.CreateSession", r, &e, err, errlen);
		goto out;
	}
	reply = sd_bus_message_unref(reply);
	/* cursor-mode 0: hidden. The cursor is not part of the frame, as
	 * with the other backends (viewers draw their own). */
	r = sd_bus_call_method(s->rd.bus, SC_BUS, sc_path, SC_SESSION_IFACE,
		"RecordMonitor", &e, &reply, "sa{sv}",
		connector ? connector : "", 1, "cursor-mode", "u", 0u);
	if (r < 0 ||
		read_path(reply, s->stream_path, sizeof(s->stream_path)) < 0) {
		r = call_failed("RecordMonitor", r, &e, err, errlen);
		goto out;
	}
	r = 0;
out:
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	free(session_id);
	return r;
}

/* Reads one (ii) entry of the Parameters dictionary. */
static int
read_pair(sd_bus_message *m, int32_t *a, int32_t *b)
{
	int r = sd_bus_message_enter_container(m, 'v', "(ii)");

	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	if ((r = sd_bus_message_read(m, "(ii)", a, b)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* One entry of the stream's Parameters. */
static int
geometry_entry(void *arg, sd_bus_message *m, const char *key)
{
	struct mutter_session *s = arg;

	if (strcmp(key, "position") == 0)
		return read_pair(m, &s->rd.x, &s->rd.y);
	if (strcmp(key, "size") == 0) {
		int r = read_pair(m, &s->rd.w, &s->rd.h);

		s->have_size = r >= 0;
		return r;
	}
	return sd_bus_message_skip(m, "v");
}

/* The stream's Parameters {position: (ii), size: (ii)}: where the
 * monitor is, for absolute pointer motion and the display list. */
static int
read_geometry(struct mutter_session *s, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int r;

	s->have_size = false;
	r = sd_bus_get_property(s->rd.bus, SC_BUS, s->stream_path,
		SC_STREAM_IFACE, "Parameters", &e, &m, "a{sv}");
	if (r >= 0)
		r = userbus_read_dict(m, geometry_entry, s);
	sd_bus_message_unref(m);
	if (r < 0 || !s->have_size || s->rd.w < 1 || s->rd.h < 1 ||
		s->rd.w > 16384 || s->rd.h > 16384 || s->rd.x < -65536 ||
		s->rd.x > 65536 || s->rd.y < -65536 || s->rd.y > 65536) {
		r = call_failed("stream Parameters", r < 0 ? r : -EBADMSG, &e,
			err, errlen);
		sd_bus_error_free(&e);
		return r;
	}
	sd_bus_error_free(&e);
	return 0;
}

int
mutter_session_open(int bus_fd, const char *connector, int timeout_ms,
	struct mutter_session **out, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	uint64_t deadline = op_now_us() + (uint64_t)timeout_ms * 1000u;
	struct mutter_session *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(bus_fd);
		return OP_ERR_NOMEM;
	}
	if ((r = userbus_start(bus_fd, false,
		     (uint64_t)MUTTER_CALL_TIMEOUT_MS * 1000u, deadline,
		     call_failed, &s->rd.bus, err, errlen)) != 0 ||
		(r = create_sessions(s, connector, err, errlen)) != 0)
		goto fail;
	/* Mutter's unique name: its signals are only taken from it. */
	if ((r = userbus_name_owner(s->rd.bus, SC_BUS, s->owner,
		     sizeof(s->owner), call_failed, err, errlen)) != 0)
		goto fail;
	r = sd_bus_match_signal(s->rd.bus, &s->stream_added, s->owner,
		s->stream_path, SC_STREAM_IFACE, "PipeWireStreamAdded",
		on_stream_added, s);
	if (r >= 0)
		r = sd_bus_match_signal(s->rd.bus, &s->closed_slot, s->owner,
			s->rd_path, RD_SESSION_IFACE, "Closed", on_closed, s);
	/* Mutter lost its name (it exited or crashed): no Closed then. */
	if (r >= 0)
		r = userbus_watch(s->rd.bus, RD_BUS, &s->rd.closed, &s->gone);
	if (r < 0) {
		r = call_failed("AddMatch", r, NULL, err, errlen);
		goto fail;
	}
	r = sd_bus_call_method(s->rd.bus, RD_BUS, s->rd_path, RD_SESSION_IFACE,
		"Start", &e, NULL, "");
	sd_bus_error_free(&e);
	if (r < 0) {
		r = call_failed("Start", r, NULL, err, errlen);
		goto fail;
	}
	s->started = true;
	if ((r = wait_for(s, &s->have_node, deadline)) != 0) {
		snprintf(err, errlen, "mutter announced no PipeWire stream");
		goto fail;
	}
	if ((r = read_geometry(s, err, errlen)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	mutter_session_close(s);
	return r;
}

int
mutter_session_open_user(const char *dir, int timeout_ms,
	struct userbus_target *t, struct mutter_session **out, char *err,
	size_t errlen)
{
	struct userbus_target own;
	int fd, r;

	*out = NULL;
	if (t == NULL)
		t = &own;
	if ((r = userbus_target(dir, t, err, errlen)) != 0 ||
		(r = userbus_connect(t, "bus", &fd, NULL, err, errlen)) != 0)
		return r;
	return mutter_session_open(fd, NULL, timeout_ms, out, err, errlen);
}

void
mutter_session_close(struct mutter_session *s)
{
	if (s == NULL)
		return;
	/* Best effort and unanswered: dropping the connection ends the
	 * session anyway. */
	if (s->started && !s->rd.closed)
		userbus_send_noreply(s->rd.bus, RD_BUS, s->rd_path,
			RD_SESSION_IFACE, "Stop");
	sd_bus_slot_unref(s->stream_added);
	sd_bus_slot_unref(s->closed_slot);
	userbus_unwatch(&s->gone);
	sd_bus_slot_unref(s->sel_owner_slot);
	sd_bus_slot_unref(s->sel_transfer_slot);
	/* No sd_bus_flush: it would wait without a limit for a stuck bus.
	 * sd_bus_send wrote Stop already unless the socket was full. */
	if (s->rd.bus != NULL)
		sd_bus_close_unref(s->rd.bus);
	free(s);
}

uint32_t
mutter_session_node(const struct mutter_session *s)
{
	return s->node;
}

int
mutter_session_events(const struct mutter_session *s)
{
	int ev = sd_bus_get_events(s->rd.bus);

	return ev < 0 ? POLLIN : ev;
}

/* One time-limited call on the session; *reply (when asked for) is the
 * caller's to unref. */
static int
vcall(struct mutter_session *s, sd_bus_message **reply, const char *method,
	const char *sig, va_list ap)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int r;

	if (s->rd.closed)
		return OP_ERR_GONE;
	r = sd_bus_message_new_method_call(s->rd.bus, &m, RD_BUS, s->rd_path,
		RD_SESSION_IFACE, method);
	if (r >= 0)
		r = sd_bus_message_appendv(m, sig, ap);
	if (r >= 0)
		r = sd_bus_call(s->rd.bus, m,
			(uint64_t)MUTTER_CALL_TIMEOUT_MS * 1000u, &e, reply);
	sd_bus_message_unref(m);
	/* Mutter refusing one request (a transfer it no longer wants) is
	 * not the session gone. */
	if (r < 0 && sd_bus_error_is_set(&e) &&
		!sd_bus_error_has_name(&e, SD_BUS_ERROR_NO_REPLY) &&
		!sd_bus_error_has_name(&e, SD_BUS_ERROR_SERVICE_UNKNOWN) &&
		!sd_bus_error_has_name(&e, SD_BUS_ERROR_NAME_HAS_NO_OWNER) &&
		!sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_OBJECT))
		r = OP_ERR_DENIED;
	sd_bus_error_free(&e);
	if (r >= 0)
		return 0;
	return r == -ETIMEDOUT || r == OP_ERR_DENIED ? r : OP_ERR_GONE;
}

static int
notify(struct mutter_session *s, const char *method, const char *sig, ...)
{
	va_list ap;
	int r;

	va_start(ap, sig);
	r = vcall(s, NULL, method, sig, ap);
	va_end(ap);
	return r;
}

/* A call that answers with a file descriptor: *fd is a duplicate. */
static int
call_fd(struct mutter_session *s, int *fd, const char *method,
	const char *sig, ...)
{
	sd_bus_message *reply = NULL;
	va_list ap;
	int r, got = -1;

	va_start(ap, sig);
	r = vcall(s, &reply, method, sig, ap);
	va_end(ap);
	if (r == 0 && (sd_bus_message_read(reply, "h", &got) < 0 || got < 0))
		r = OP_ERR_GONE;
	if (r == 0 && (*fd = fcntl(got, F_DUPFD_CLOEXEC, 3)) < 0)
		r = -errno;
	sd_bus_message_unref(reply);
	return r;
}

#define EVDEV_KEY_UNKNOWN 240u

int
mutter_session_prime(struct mutter_session *s)
{
	int r = notify(s, "NotifyPointerMotionRelative", "dd", 0.0, 0.0);

	if (r == 0)
		r = notify(s, "NotifyKeyboardKeycode", "ub", EVDEV_KEY_UNKNOWN,
			1);
	if (r == 0)
		r = notify(s, "NotifyKeyboardKeycode", "ub", EVDEV_KEY_UNKNOWN,
			0);
	return r;
}

static void
mutter_rd_close(void *s)
{
	mutter_session_close(s);
}

static int
mutter_rd_pointer_abs(void *p, double x, double y)
{
	struct mutter_session *s = p;

	return notify(s, "NotifyPointerMotionAbsolute", "sdd", s->stream_path,
		x, y);
}

static int
mutter_rd_button(void *s, int32_t button, bool pressed)
{
	return notify(s, "NotifyPointerButton", "ib", button, (int)pressed);
}

static int
mutter_rd_axis_discrete(void *s, uint32_t axis, int32_t steps)
{
	return notify(s, "NotifyPointerAxisDiscrete", "ui", axis, steps);
}

static int
mutter_rd_keysym(void *s, uint32_t keysym, bool pressed)
{
	return notify(s, "NotifyKeyboardKeysym", "ub", keysym, (int)pressed);
}

static int
mutter_rd_keycode(void *s, uint32_t keycode, bool pressed)
{
	return notify(s, "NotifyKeyboardKeycode", "ub", keycode, (int)pressed);
}

const struct userbus_rd_ops mutter_rd_ops = {
	.name = "mutter",
	.fd = userbus_rd_fd,
	.process = userbus_rd_process,
	.close = mutter_rd_close,
	.geometry = userbus_rd_geometry,
	.pointer_abs = mutter_rd_pointer_abs,
	.button = mutter_rd_button,
	.axis_discrete = mutter_rd_axis_discrete,
	.keysym = mutter_rd_keysym,
	.keycode = mutter_rd_keycode,
};

/* ---------------------------------------------------------- clipboard */

/* The "mime-types" variant: "as", or "(as)" as Mutter 43 sends it. */
static int
read_mimes(sd_bus_message *m, char (*mimes)[MUTTER_MAX_MIME_LEN + 1],
	int *n)
{
	const char *sig = NULL, *t = NULL;
	char type = 0;
	bool wrapped;
	int r;

	if ((r = sd_bus_message_peek_type(m, &type, &sig)) < 0)
		return r;
	if (type != 'v' || sig == NULL ||
		(strcmp(sig, "as") != 0 && strcmp(sig, "(as)") != 0))
		return sd_bus_message_skip(m, "v");
	wrapped = sig[0] == '(';
	if ((r = sd_bus_message_enter_container(m, 'v', sig)) <= 0 ||
		(wrapped &&
			(r = sd_bus_message_enter_container(m, 'r', "as")) <= 0) ||
		(r = sd_bus_message_enter_container(m, 'a', "s")) <= 0)
		return r < 0 ? r : -EBADMSG;
	while ((r = sd_bus_message_read(m, "s", &t)) > 0)
		if (*n < MUTTER_MAX_MIMES && strlen(t) <= MUTTER_MAX_MIME_LEN) {
			memcpy(mimes[*n], t, strlen(t) + 1);
			(*n)++;
		}
	for (int i = wrapped ? 3 : 2; r >= 0 && i > 0; i--)
		r = sd_bus_message_exit_container(m);
	return r;
}

/* What SelectionOwnerChanged says. */
struct selection {
	char mimes[MUTTER_MAX_MIMES][MUTTER_MAX_MIME_LEN + 1];
	int n;
	int ours;
};

static int
selection_entry(void *arg, sd_bus_message *m, const char *key)
{
	struct selection *sel = arg;

	if (strcmp(key, "mime-types") == 0)
		return read_mimes(m, sel->mimes, &sel->n);
	if (strcmp(key, "session-is-owner") == 0)
		return sd_bus_message_read(m, "v", "b", &sel->ours);
	return sd_bus_message_skip(m, "v");
}

static int
on_selection_owner(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct mutter_session *s = arg;
	struct selection sel;
	const char *list[MUTTER_MAX_MIMES];

	(void)ret;
	sel.n = 0;
	sel.ours = 0;
	if (userbus_read_dict(m, selection_entry, &sel) < 0 ||
		s->on_owner == NULL)
		return 0; /* malformed: ignored, as Mutter's own would be */
	for (int i = 0; i < sel.n; i++)
		list[i] = sel.mimes[i];
	s->on_owner(s->clip_arg, list, sel.n, sel.ours != 0);
	return 0;
}

static int
on_selection_transfer(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct mutter_session *s = arg;
	const char *mime = NULL;
	uint32_t serial = 0;

	(void)ret;
	if (sd_bus_message_read(m, "su", &mime, &serial) >= 0 &&
		strlen(mime) <= MUTTER_MAX_MIME_LEN && s->on_transfer != NULL)
		s->on_transfer(s->clip_arg, mime, serial);
	return 0;
}

int
mutter_session_clipboard(struct mutter_session *s, mutter_owner_fn owner,
	mutter_transfer_fn transfer, void *arg)
{
	int r;

	s->on_owner = owner;
	s->on_transfer = transfer;
	s->clip_arg = arg;
	r = sd_bus_match_signal(s->rd.bus, &s->sel_owner_slot, s->owner,
		s->rd_path, RD_SESSION_IFACE, "SelectionOwnerChanged",
		on_selection_owner, s);
	if (r >= 0)
		r = sd_bus_match_signal(s->rd.bus, &s->sel_transfer_slot,
			s->owner, s->rd_path, RD_SESSION_IFACE,
			"SelectionTransfer", on_selection_transfer, s);
	if (r < 0)
		return OP_ERR_GONE;
	return notify(s, "EnableClipboard", "a{sv}", 0);
}

int
mutter_session_selection_set(struct mutter_session *s,
	const char *const *mimes, int n)
{
	sd_bus_message *m = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *l[MUTTER_MAX_MIMES + 1];
	int r;

	if (s->rd.closed)
		return OP_ERR_GONE;
	if (n < 0 || n > MUTTER_MAX_MIMES)
		return OP_ERR_RANGE;
	for (int i = 0; i < n; i++)
		l[i] = (char *)mimes[i];
	l[n] = NULL;
	/* "as" inside a variant: built by hand (no varargs form). */
	r = sd_bus_message_new_method_call(s->rd.bus, &m, RD_BUS, s->rd_path,
		RD_SESSION_IFACE, "SetSelection");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0 && n > 0) {
		r = sd_bus_message_open_container(m, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", "mime-types");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'v', "as");
		if (r >= 0)
			r = sd_bus_message_append_strv(m, l);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_call(s->rd.bus, m,
			(uint64_t)MUTTER_CALL_TIMEOUT_MS * 1000u, &e, NULL);
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	return r >= 0 ? 0 : r == -ETIMEDOUT ? r : OP_ERR_GONE;
}

int
mutter_session_selection_read(struct mutter_session *s, const char *mime,
	int *fd)
{
	return call_fd(s, fd, "SelectionRead", "s", mime);
}

int
mutter_session_selection_write(struct mutter_session *s, uint32_t serial,
	int *fd)
{
	return call_fd(s, fd, "SelectionWrite", "u", serial);
}

int
mutter_session_selection_done(struct mutter_session *s, uint32_t serial,
	bool ok)
{
	return notify(s, "SelectionWriteDone", "ub", serial, (int)ok);
}
