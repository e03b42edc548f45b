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
 * Authentication on the bus is as in mutter-session.c (the socket was
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
#include <sys/random.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "core/err.h"
#include "core/time.h"
#include "portal/portal-token.h"

#define P_BUS "org.freedesktop.portal.Desktop"
#define P_PATH "/org/freedesktop/portal/desktop"
#define P_SC "org.freedesktop.portal.ScreenCast"
#define P_RD "org.freedesktop.portal.RemoteDesktop"
#define P_REQUEST "org.freedesktop.portal.Request"
#define P_SESSION "org.freedesktop.portal.Session"
#define REQUEST_PREFIX P_PATH "/request/"
#define MAX_PATH_LEN 256
#define MAX_NAME_LEN 128
#define MAX_COORD 65536
#define MAX_SIZE 16384
#define MAX_STREAMS 16

/* ScreenCast source types, cursor modes; RemoteDesktop device types. */
enum {
	SOURCE_MONITOR = 1,
	CURSOR_HIDDEN = 1,
	CURSOR_EMBEDDED = 2,
	DEVICE_KEYBOARD = 1,
	DEVICE_POINTER = 2,
	PERSIST_UNTIL_REVOKED = 2,
};

struct portal_session {
	sd_bus *bus;
	int hold; /* keeps the process that connected bus alive */
	sd_bus_slot *owner_slot;
	sd_bus_slot *closed_slot;
	char owner[MAX_NAME_LEN];  /* the portal's unique name */
	char sender[MAX_NAME_LEN]; /* ours, as a request path element */
	char session[MAX_PATH_LEN];
	char token[PORTAL_TOKEN_MAX];
	uint64_t deadline; /* of the open, in op_now_us() */
	unsigned serial;
	uint32_t sc_version, rd_version;
	uint32_t devices; /* granted by RemoteDesktop.Start */
	uint32_t node;
	int32_t x, y, w, h;
	bool input;
	bool have_node;
	bool closed;
};

/* One pending Request: its path and, once answered, the Response. */
struct request {
	struct portal_session *s;
	char path[MAX_PATH_LEN];
	sd_bus_slot *slot;
	sd_bus_slot *slot2; /* when the portal answered another path */
	bool done;
	uint32_t code;
	sd_bus_message *results; /* positioned at the a{sv} */
};

/* The result keys a request's caller wants, filled by parse_results. */
struct results {
	char session[MAX_PATH_LEN];
	char token[PORTAL_TOKEN_MAX];
	bool have_session, have_token, have_devices, have_stream;
	uint32_t devices;
	uint32_t node;
	int32_t x, y, w, h;
};

static uint64_t
left_us(const struct portal_session *s)
{
	uint64_t now = op_now_us();

	return now >= s->deadline ? 1 : s->deadline - now;
}

/* Turns an sd-bus failure into ours, with the D-Bus error in err. */
static int
call_failed(const char *what, int r, const sd_bus_error *e, char *err,
	size_t errlen)
{
	if (e != NULL && sd_bus_error_is_set(e)) {
		snprintf(err, errlen, "portal %s: %s", what,
			e->message ? e->message : e->name);
		if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
			sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
			sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_INTERFACE) ||
			sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD) ||
			sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_PROPERTY))
			return OP_ERR_UNSUPPORTED;
		if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) ||
			sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT))
			return -ETIMEDOUT;
		if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED))
			return OP_ERR_DENIED;
		return OP_ERR_GONE;
	}
	snprintf(err, errlen, "portal %s: %s", what, strerror(-r));
	if (r == -ETIMEDOUT)
		return r;
	return r == -EBADMSG || r == -ENXIO || r == -EINVAL ? OP_ERR_PROTO :
							      OP_ERR_GONE;
}

static int
on_owner_changed(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct portal_session *s = arg;
	const char *name = NULL, *old = NULL, *new_owner = NULL;

	(void)ret;
	if (sd_bus_message_read(m, "sss", &name, &old, &new_owner) >= 0 &&
		name != NULL && strcmp(name, P_BUS) == 0 &&
		(new_owner == NULL || new_owner[0] == '\0'))
		s->closed = true;
	return 0;
}

static int
on_session_closed(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct portal_session *s = arg;

	(void)m;
	(void)ret;
	s->closed = true;
	return 0;
}

static int
on_response(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct request *q = arg;
	uint32_t code;

	(void)ret;
	if (q->done)
		return 0;
	q->done = true;
	if (sd_bus_message_read(m, "u", &code) < 0) {
		q->code = UINT32_MAX; /* malformed: parse_results refuses it */
		return 0;
	}
	q->code = code;
	q->results = sd_bus_message_ref(m);
	return 0;
}

/* Runs the bus until *flag, the session closed, or the deadline. */
static int
wait_for(struct portal_session *s, const bool *flag)
{
	while (!*flag && !s->closed) {
		uint64_t now = op_now_us();
		int r = sd_bus_process(s->bus, NULL);

		if (r < 0)
			return OP_ERR_GONE;
		if (r > 0)
			continue;
		if (now >= s->deadline)
			return -ETIMEDOUT;
		if ((r = sd_bus_wait(s->bus, s->deadline - now)) < 0 &&
			r != -EINTR)
			return OP_ERR_GONE;
	}
	return *flag ? 0 : OP_ERR_GONE;
}

static int
bus_start(struct portal_session *s, int fd, char *err, size_t errlen)
{
	const char *unique = NULL;
	size_t i;
	int r;

	if ((r = sd_bus_new(&s->bus)) < 0) {
		close(fd);
		return OP_ERR_NOMEM;
	}
	if ((r = sd_bus_set_fd(s->bus, fd, fd)) < 0) {
		close(fd);
		return call_failed("bus", r, NULL, err, errlen);
	}
	(void)sd_bus_set_bus_client(s->bus, 1);
	/* OpenPipeWireRemote answers with a file descriptor. */
	(void)sd_bus_negotiate_fds(s->bus, 1);
	(void)sd_bus_set_method_call_timeout(s->bus,
		(uint64_t)PORTAL_CALL_TIMEOUT_MS * 1000u);
	if ((r = sd_bus_start(s->bus)) < 0)
		return call_failed("bus", r, NULL, err, errlen);
	while ((r = sd_bus_is_ready(s->bus)) <= 0) {
		uint64_t now = op_now_us();

		if ((r = sd_bus_process(s->bus, NULL)) < 0) {
			snprintf(err, errlen,
				"the session bus refused us (%s)", strerror(-r));
			return OP_ERR_DENIED;
		}
		if (r > 0)
			continue;
		if (now >= s->deadline) {
			snprintf(err, errlen, "the session bus does not answer");
			return -ETIMEDOUT;
		}
		(void)sd_bus_wait(s->bus, s->deadline - now);
	}
	/* ":1.42" -> "1_42", the request path element the spec predicts. */
	if (sd_bus_get_unique_name(s->bus, &unique) < 0 || unique == NULL ||
		unique[0] != ':' || strlen(unique) >= sizeof(s->sender)) {
		snprintf(err, errlen, "the session bus gave us no unique name");
		return OP_ERR_PROTO;
	}
	for (i = 1; unique[i] != '\0'; i++)
		s->sender[i - 1] = unique[i] == '.' ? '_' : unique[i];
	s->sender[i - 1] = '\0';
	return 0;
}

/* A u32 property of the portal object (its interfaces' "version",
 * AvailableSourceTypes, ...). The first call also activates the portal. */
static int
get_u32(struct portal_session *s, const char *iface, const char *name,
	uint32_t *v, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	char what[96];
	int r;

	r = sd_bus_message_new_method_call(s->bus, &m, P_BUS, P_PATH,
		"org.freedesktop.DBus.Properties", "Get");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", iface, name);
	if (r >= 0)
		r = sd_bus_call(s->bus, m, left_us(s), &e, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "v", "u", v);
	snprintf(what, sizeof(what), "%s.%s", iface + 23, name);
	/* GDBus answers Get on an interface it lacks with InvalidArgs. */
	if (r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS)) {
		snprintf(err, errlen, "portal %s: %s", what,
			e.message ? e.message : e.name);
		r = OP_ERR_UNSUPPORTED;
	} else if (r < 0)
		r = call_failed(what, r, &e, err, errlen);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	return r < 0 ? r : 0;
}

/* The portal's unique name: its signals are only taken from it. */
static int
name_owner(struct portal_session *s, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *owner = NULL;
	int r;

	r = sd_bus_call_method(s->bus, "org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
		&e, &reply, "s", P_BUS);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &owner);
	if (r >= 0 && (owner == NULL || owner[0] != ':' ||
			      strlen(owner) >= sizeof(s->owner)))
		r = -EBADMSG;
	if (r >= 0)
		memcpy(s->owner, owner, strlen(owner) + 1);
	else
		r = call_failed("GetNameOwner", r, &e, err, errlen);
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	if (r < 0)
		return r;
	r = sd_bus_add_match(s->bus, &s->owner_slot,
		"type='signal',sender='org.freedesktop.DBus',"
		"path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
		"member='NameOwnerChanged',arg0='" P_BUS "'",
		on_owner_changed, s);
	return r < 0 ? call_failed("AddMatch", r, NULL, err, errlen) : 0;
}

/* A fresh handle token (path element characters only). */
static void
make_token(struct portal_session *s, char *out, size_t cap)
{
	uint32_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)op_now_us();
	snprintf(out, cap, "outpost_%u_%08x", ++s->serial, rnd);
}

/* Subscribes to the Response on path (before the call that makes it). */
static int
subscribe(struct request *q, const char *path, sd_bus_slot **slot)
{
	return sd_bus_match_signal(q->s->bus, slot, q->s->owner, path,
		P_REQUEST, "Response", on_response, q);
}

/* Starts a request: the method call with its handle_token's Response
 * already subscribed. The caller appends the arguments before the
 * options, opens the options with open_options, adds its own, closes
 * them and calls finish. */
static int
request_begin(struct portal_session *s, struct request *q, const char *iface,
	const char *path, const char *method, sd_bus_message **m,
	char *htoken, size_t htcap)
{
	int n;

	memset(q, 0, sizeof(*q));
	q->s = s;
	make_token(s, htoken, htcap);
	n = snprintf(q->path, sizeof(q->path), REQUEST_PREFIX "%s/%s",
		s->sender, htoken);
	if (n < 0 || (size_t)n >= sizeof(q->path))
		return -ENAMETOOLONG;
	if ((n = subscribe(q, q->path, &q->slot)) < 0)
		return n;
	return sd_bus_message_new_method_call(s->bus, m, P_BUS, path, iface,
		method);
}

static void
request_end(struct request *q)
{
	q->slot = sd_bus_slot_unref(q->slot);
	q->slot2 = sd_bus_slot_unref(q->slot2);
	q->results = sd_bus_message_unref(q->results);
}

/* Sends m, then waits for the Response; 0 when its code is 0. */
static int
request_finish(struct request *q, sd_bus_message *m, const char *what,
	char *err, size_t errlen)
{
	struct portal_session *s = q->s;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *handle = NULL;
	int r;

	r = sd_bus_call(s->bus, m, left_us(s), &e, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &handle);
	if (r < 0) {
		r = call_failed(what, r, &e, err, errlen);
		goto out;
	}
	/* Portals older than the handle_token convention answer on a path
	 * of their own; the Response may not have come yet. */
	if (strcmp(handle, q->path) != 0 && !q->done) {
		if (strncmp(handle, REQUEST_PREFIX, strlen(REQUEST_PREFIX)) !=
				0 ||
			strlen(handle) >= MAX_PATH_LEN ||
			(r = subscribe(q, handle, &q->slot2)) < 0) {
			r = call_failed(what, -EBADMSG, NULL, err, errlen);
			goto out;
		}
	}
	if ((r = wait_for(s, &q->done)) != 0) {
		snprintf(err, errlen, "portal %s: %s", what,
			r == -ETIMEDOUT ? "no answer in time (a dialog left "
					  "open?)" :
					  "the portal went away");
		goto out;
	}
	if (q->code == 1 || q->code == 2) {
		snprintf(err, errlen, "portal %s: %s", what,
			q->code == 1 ? "cancelled by the user" :
				       "refused by the portal");
		r = OP_ERR_DENIED;
	} else if (q->code != 0 || q->results == NULL) {
		snprintf(err, errlen, "portal %s: a malformed Response", what);
		r = OP_ERR_PROTO;
	}
out:
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	return r;
}

static int
read_string(sd_bus_message *m, char *out, size_t cap)
{
	const char *v = NULL;
	int r = sd_bus_message_read(m, "v", "s", &v);

	if (r < 0)
		return r;
	if (v == NULL || strlen(v) >= cap)
		return -EBADMSG;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* (ii) inside a variant, bounded to [lo, hi]. */
static int
read_pair(sd_bus_message *m, int32_t *a, int32_t *b, int32_t lo, int32_t hi)
{
	int r = sd_bus_message_read(m, "v", "(ii)", a, b);

	if (r < 0)
		return r;
	return *a < lo || *a > hi || *b < lo || *b > hi ? -EBADMSG : 0;
}

/* One stream's a{sv}: position and size. */
static int
read_stream_props(sd_bus_message *m, struct results *res)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key = NULL;

		if ((r = sd_bus_message_read(m, "s", &key)) < 0)
			break;
		if (strcmp(key, "position") == 0)
			r = read_pair(m, &res->x, &res->y, -MAX_COORD,
				MAX_COORD);
		else if (strcmp(key, "size") == 0)
			r = read_pair(m, &res->w, &res->h, 1, MAX_SIZE);
		else
			r = sd_bus_message_skip(m, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* a(ua{sv}) in a variant: the first stream's node, position and size
 * (one monitor was asked for); at most MAX_STREAMS are read. */
static int
read_streams(sd_bus_message *m, struct results *res)
{
	int n = 0, r = sd_bus_message_enter_container(m, 'v', "a(ua{sv})");

	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "(ua{sv})");
	while (r >= 0 &&
		(r = sd_bus_message_enter_container(m, 'r', "ua{sv}")) > 0) {
		uint32_t node = 0;

		if (++n > MAX_STREAMS)
			return -EBADMSG;
		if ((r = sd_bus_message_read(m, "u", &node)) < 0)
			break;
		if (res->have_stream) {
			r = sd_bus_message_skip(m, "a{sv}");
		} else {
			res->node = node;
			r = read_stream_props(m, res);
			res->have_stream = r >= 0;
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r < 0 ? r : 0;
}

/* The Response's a{sv}: the keys any of our requests use. */
static int
parse_results(sd_bus_message *m, struct results *res)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	memset(res, 0, sizeof(*res));
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key = NULL;

		if ((r = sd_bus_message_read(m, "s", &key)) < 0)
			break;
		if (strcmp(key, "session_handle") == 0) {
			r = read_string(m, res->session, sizeof(res->session));
			res->have_session = r >= 0;
		} else if (strcmp(key, "restore_token") == 0) {
			r = read_string(m, res->token, sizeof(res->token));
			res->have_token = r >= 0;
		} else if (strcmp(key, "devices") == 0) {
			r = sd_bus_message_read(m, "v", "u", &res->devices);
			res->have_devices = r >= 0;
		} else if (strcmp(key, "streams") == 0) {
			r = read_streams(m, res);
		} else {
			r = sd_bus_message_skip(m, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	return r < 0 ? r : 0;
}

/* Runs a request and parses its results. */
static int
request_run(struct request *q, sd_bus_message *m, const char *what,
	struct results *res, char *err, size_t errlen)
{
	int r = request_finish(q, m, what, err, errlen);

	if (r == 0 && parse_results(q->results, res) < 0) {
		snprintf(err, errlen, "portal %s: a malformed Response", what);
		r = OP_ERR_PROTO;
	}
	request_end(q);
	return r;
}

static int
create_session(struct portal_session *s, char *err, size_t errlen)
{
	const char *iface = s->input ? P_RD : P_SC;
	char htok[64], stok[64];
	sd_bus_message *m = NULL;
	struct request q;
	struct results res;
	int r;

	make_token(s, stok, sizeof(stok));
	r = request_begin(s, &q, iface, P_PATH, "CreateSession", &m, htok,
		sizeof(htok));
	if (r >= 0)
		r = sd_bus_message_append(m, "a{sv}", 2, "handle_token", "s",
			htok, "session_handle_token", "s", stok);
	if (r < 0) {
		request_end(&q);
		sd_bus_message_unref(m);
		return call_failed("CreateSession", r, NULL, err, errlen);
	}
	r = request_run(&q, m, "CreateSession", &res, err, errlen);
	sd_bus_message_unref(m);
	if (r != 0)
		return r;
	if (!res.have_session || res.session[0] != '/' ||
		!sd_bus_object_path_is_valid(res.session)) {
		snprintf(err, errlen, "portal CreateSession: no session handle");
		return OP_ERR_PROTO;
	}
	memcpy(s->session, res.session, sizeof(s->session));
	r = sd_bus_match_signal(s->bus, &s->closed_slot, s->owner, s->session,
		P_SESSION, "Closed", on_session_closed, s);
	return r < 0 ? call_failed("AddMatch", r, NULL, err, errlen) : 0;
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
select_devices(struct portal_session *s, const char *token, char *err,
	size_t errlen)
{
	sd_bus_message *m = NULL;
	struct request q;
	struct results res;
	char htok[64];
	int r;

	r = request_begin(s, &q, P_RD, P_PATH, "SelectDevices", &m, htok,
		sizeof(htok));
	if (r >= 0)
		r = sd_bus_message_append(m, "o", s->session);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}{sv}", "handle_token", "s",
			htok, "types", "u",
			(uint32_t)(DEVICE_KEYBOARD | DEVICE_POINTER));
	if (r >= 0)
		r = append_persist(m, s->rd_version >= 2, token);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0) {
		request_end(&q);
		sd_bus_message_unref(m);
		return call_failed("SelectDevices", r, NULL, err, errlen);
	}
	r = request_run(&q, m, "SelectDevices", &res, err, errlen);
	sd_bus_message_unref(m);
	return r;
}

static int
select_sources(struct portal_session *s, const char *token, char *err,
	size_t errlen)
{
	sd_bus_message *m = NULL;
	uint32_t types = 0, cursors = 0;
	struct request q;
	struct results res;
	char htok[64];
	int r;

	if ((r = get_u32(s, P_SC, "AvailableSourceTypes", &types, err,
		     errlen)) != 0)
		return r;
	if (!(types & SOURCE_MONITOR)) {
		snprintf(err, errlen, "portal: ScreenCast cannot record a "
				      "monitor");
		return OP_ERR_UNSUPPORTED;
	}
	/* The cursor is not part of the frame, as with the other backends
	 * (viewers draw their own); embedded when hiding is not offered. */
	if (s->sc_version >= 2 && get_u32(s, P_SC, "AvailableCursorModes",
					  &cursors, err, errlen) != 0)
		cursors = 0;
	r = request_begin(s, &q, P_SC, P_PATH, "SelectSources", &m, htok,
		sizeof(htok));
	if (r >= 0)
		r = sd_bus_message_append(m, "o", s->session);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}{sv}{sv}", "handle_token", "s",
			htok, "types", "u", (uint32_t)SOURCE_MONITOR,
			"multiple", "b", 0);
	if (r >= 0 && (cursors & (CURSOR_HIDDEN | CURSOR_EMBEDDED)))
		r = sd_bus_message_append(m, "{sv}", "cursor_mode", "u",
			(uint32_t)((cursors & CURSOR_HIDDEN) ? CURSOR_HIDDEN :
							       CURSOR_EMBEDDED));
	/* A remote-desktop session persists through SelectDevices; the
	 * portal refuses persist_mode here for it. */
	if (r >= 0)
		r = append_persist(m, !s->input && s->sc_version >= 4, token);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0) {
		request_end(&q);
		sd_bus_message_unref(m);
		return call_failed("SelectSources", r, NULL, err, errlen);
	}
	r = request_run(&q, m, "SelectSources", &res, err, errlen);
	sd_bus_message_unref(m);
	return r;
}

static int
start(struct portal_session *s, char *err, size_t errlen)
{
	sd_bus_message *m = NULL;
	struct request q;
	struct results res;
	char htok[64];
	int r;

	r = request_begin(s, &q, s->input ? P_RD : P_SC, P_PATH, "Start", &m,
		htok, sizeof(htok));
	if (r >= 0)
		r = sd_bus_message_append(m, "osa{sv}", s->session, "", 1,
			"handle_token", "s", htok);
	if (r < 0) {
		request_end(&q);
		sd_bus_message_unref(m);
		return call_failed("Start", r, NULL, err, errlen);
	}
	r = request_run(&q, m, "Start", &res, err, errlen);
	sd_bus_message_unref(m);
	if (r != 0)
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
	s->x = res.x;
	s->y = res.y;
	s->w = res.w;
	s->h = res.h;
	/* A token we could not store safely is no token. */
	if (res.have_token && portal_token_valid(res.token))
		memcpy(s->token, res.token, sizeof(s->token));
	return 0;
}

/* The interfaces we need and their versions. */
static int
check_portal(struct portal_session *s, char *err, size_t errlen)
{
	int r = get_u32(s, P_SC, "version", &s->sc_version, err, errlen);

	if (r == OP_ERR_UNSUPPORTED)
		snprintf(err, errlen, "no xdg-desktop-portal ScreenCast on the "
				      "user's session bus");
	if (r != 0 || !s->input)
		return r;
	if ((r = get_u32(s, P_RD, "version", &s->rd_version, err,
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
	if ((r = bus_start(s, bus_fd, err, errlen)) != 0 ||
		(r = check_portal(s, err, errlen)) != 0 ||
		(r = name_owner(s, err, errlen)) != 0 ||
		(r = create_session(s, err, errlen)) != 0)
		goto fail;
	if (input && (r = select_devices(s, restore_token, err, errlen)) != 0)
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

void
portal_session_close(struct portal_session *s)
{
	if (s == NULL)
		return;
	if (s->session[0] != '\0' && !s->closed) {
		sd_bus_message *m = NULL;

		/* Unanswered: the portal also closes our sessions when our
		 * connection goes away. */
		if (sd_bus_message_new_method_call(s->bus, &m, P_BUS,
			    s->session, P_SESSION, "Close") >= 0) {
			(void)sd_bus_message_set_expect_reply(m, 0);
			(void)sd_bus_send(s->bus, m, NULL);
		}
		sd_bus_message_unref(m);
	}
	sd_bus_slot_unref(s->owner_slot);
	sd_bus_slot_unref(s->closed_slot);
	if (s->bus != NULL)
		sd_bus_close_unref(s->bus);
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

void
portal_session_geometry(const struct portal_session *s, int32_t *x,
	int32_t *y, int32_t *w, int32_t *h)
{
	*x = s->x;
	*y = s->y;
	*w = s->w;
	*h = s->h;
}

int
portal_session_pipewire_fd(struct portal_session *s, int *fd)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r, got = -1;

	*fd = -1;
	r = sd_bus_call_method(s->bus, P_BUS, P_PATH, P_SC,
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

int
portal_session_fd(const struct portal_session *s)
{
	return sd_bus_get_fd(s->bus);
}

int
portal_session_process(struct portal_session *s)
{
	int r;

	while ((r = sd_bus_process(s->bus, NULL)) > 0)
		;
	if (r < 0 || s->closed)
		return OP_ERR_GONE;
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

	if (s->closed)
		return OP_ERR_GONE;
	if (!s->input || !(s->devices & device))
		return OP_ERR_UNSUPPORTED;
	r = sd_bus_message_new_method_call(s->bus, &m, P_BUS, P_PATH, P_RD,
		method);
	if (r >= 0)
		r = sd_bus_message_append(m, "oa{sv}", s->session, 0);
	if (r >= 0) {
		va_start(ap, sig);
		r = sd_bus_message_appendv(m, sig, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(s->bus, m,
			(uint64_t)PORTAL_CALL_TIMEOUT_MS * 1000u, &e, NULL);
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	if (r >= 0)
		return 0;
	return r == -ETIMEDOUT ? r : OP_ERR_GONE;
}

int
portal_session_pointer_abs(struct portal_session *s, double x, double y)
{
	return notify(s, DEVICE_POINTER, "NotifyPointerMotionAbsolute", "udd",
		s->node, x, y);
}

int
portal_session_button(struct portal_session *s, int32_t button,
	bool pressed)
{
	return notify(s, DEVICE_POINTER, "NotifyPointerButton", "iu", button,
		(uint32_t)pressed);
}

int
portal_session_axis_discrete(struct portal_session *s, uint32_t axis,
	int32_t steps)
{
	return notify(s, DEVICE_POINTER, "NotifyPointerAxisDiscrete", "ui",
		axis, steps);
}

int
portal_session_keysym(struct portal_session *s, uint32_t keysym,
	bool pressed)
{
	return notify(s, DEVICE_KEYBOARD, "NotifyKeyboardKeysym", "iu",
		(int32_t)keysym, (uint32_t)pressed);
}

int
portal_session_keycode(struct portal_session *s, uint32_t keycode,
	bool pressed)
{
	return notify(s, DEVICE_KEYBOARD, "NotifyKeyboardKeycode", "iu",
		(int32_t)keycode, (uint32_t)pressed);
}
