/* SPDX-License-Identifier: MIT */
/*
 * See portal-internal.h: the bus plumbing of portal-session.c. A
 * Request's Response is untrusted: read with typed sd_bus_message_read
 * (a wrong signature is an error), strings and paths bounded, sizes and
 * positions bounded, at most MAX_STREAMS streams read, and only taken
 * from the portal's unique name on the path we subscribed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/err.h"
#include "core/time.h"
#include "platform/userbus.h"
#include "portal/portal-internal.h"

uint64_t
portal__left_us(const struct portal_session *s)
{
	uint64_t now = op_now_us();

	return now >= s->deadline ? 1 : s->deadline - now;
}

/* Turns an sd-bus failure into ours, with the D-Bus error in err. */
int
portal__failed(const char *what, int r, const sd_bus_error *e, char *err,
	size_t errlen)
{
	if (e != NULL && sd_bus_error_is_set(e)) {
		snprintf(err, errlen, "portal %s: %s", what,
			e->message ? e->message : e->name);
		static const char *const missing[] = {
			SD_BUS_ERROR_SERVICE_UNKNOWN,
			SD_BUS_ERROR_NAME_HAS_NO_OWNER,
			SD_BUS_ERROR_UNKNOWN_INTERFACE,
			SD_BUS_ERROR_UNKNOWN_METHOD,
			SD_BUS_ERROR_UNKNOWN_PROPERTY,
		};

		for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]);
			i++)
			if (sd_bus_error_has_name(e, missing[i]))
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
int
portal__wait_for(struct portal_session *s, const bool *flag)
{
	int r = userbus_wait(s->rd.bus, flag, &s->rd.closed, s->deadline);

	return r == 0 && !*flag ? OP_ERR_GONE : r;
}

int
portal__bus_start(struct portal_session *s, int fd, char *err, size_t errlen)
{
	const char *unique = NULL;
	size_t i;
	int r;

	/* OpenPipeWireRemote answers with a file descriptor. */
	if ((r = userbus_start(fd, true,
		     (uint64_t)PORTAL_CALL_TIMEOUT_MS * 1000u, s->deadline,
		     portal__failed, &s->rd.bus, err, errlen)) != 0)
		return r;
	/* ":1.42" -> "1_42", the request path element the spec predicts. */
	if (sd_bus_get_unique_name(s->rd.bus, &unique) < 0 || unique == NULL ||
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
int
portal__get_u32(struct portal_session *s, const char *iface, const char *name,
	uint32_t *v, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	char what[96];
	int r;

	r = sd_bus_message_new_method_call(s->rd.bus, &m, P_BUS, P_PATH,
		"org.freedesktop.DBus.Properties", "Get");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", iface, name);
	if (r >= 0)
		r = sd_bus_call(s->rd.bus, m, portal__left_us(s), &e, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "v", "u", v);
	snprintf(what, sizeof(what), "%s.%s", iface + 23, name);
	/* GDBus answers Get on an interface it lacks with InvalidArgs. */
	if (r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS)) {
		snprintf(err, errlen, "portal %s: %s", what,
			e.message ? e.message : e.name);
		r = OP_ERR_UNSUPPORTED;
	} else if (r < 0)
		r = portal__failed(what, r, &e, err, errlen);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	return r < 0 ? r : 0;
}

/* The portal's unique name: its signals are only taken from it. */
int
portal__name_owner(struct portal_session *s, char *err, size_t errlen)
{
	int r = userbus_name_owner(s->rd.bus, P_BUS, s->owner, sizeof(s->owner),
		portal__failed, err, errlen);

	if (r < 0)
		return r;
	r = userbus_watch(s->rd.bus, P_BUS, &s->rd.closed, &s->gone);
	return r < 0 ? portal__failed("AddMatch", r, NULL, err, errlen) : 0;
}

/* A fresh handle token (path element characters only). */
void
portal__make_token(struct portal_session *s, char *out, size_t cap)
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
	return sd_bus_match_signal(q->s->rd.bus, slot, q->s->owner, path,
		P_REQUEST, "Response", on_response, q);
}

/* See portal-internal.h. */
int
portal__req_begin(struct portal_session *s, struct request *q,
	const char *iface, const char *path, const char *method,
	sd_bus_message **m, char *htoken, size_t htcap)
{
	int n;

	memset(q, 0, sizeof(*q));
	q->s = s;
	portal__make_token(s, htoken, htcap);
	n = snprintf(q->path, sizeof(q->path), REQUEST_PREFIX "%s/%s",
		s->sender, htoken);
	if (n < 0 || (size_t)n >= sizeof(q->path))
		return -ENAMETOOLONG;
	if ((n = subscribe(q, q->path, &q->slot)) < 0)
		return n;
	return sd_bus_message_new_method_call(s->rd.bus, m, P_BUS, path, iface,
		method);
}

void
portal__req_end(struct request *q)
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

	r = sd_bus_call(s->rd.bus, m, portal__left_us(s), &e, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &handle);
	if (r < 0) {
		r = portal__failed(what, r, &e, err, errlen);
		goto out;
	}
	/* Portals older than the handle_token convention answer on a path
	 * of their own; the Response may not have come yet. */
	if (strcmp(handle, q->path) != 0 && !q->done) {
		if (strncmp(handle, REQUEST_PREFIX, strlen(REQUEST_PREFIX)) !=
				0 ||
			strlen(handle) >= MAX_PATH_LEN ||
			(r = subscribe(q, handle, &q->slot2)) < 0) {
			r = portal__failed(what, -EBADMSG, NULL, err, errlen);
			goto out;
		}
	}
	if ((r = portal__wait_for(s, &q->done)) != 0) {
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

	return r < 0 ? r : userbus_copy(out, cap, v);
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

/* One entry of a stream's a{sv}: position and size. */
static int
stream_entry(void *arg, sd_bus_message *m, const char *key)
{
	struct results *res = arg;

	if (strcmp(key, "position") == 0)
		return read_pair(m, &res->x, &res->y, -MAX_COORD, MAX_COORD);
	if (strcmp(key, "size") == 0)
		return read_pair(m, &res->w, &res->h, 1, MAX_SIZE);
	return sd_bus_message_skip(m, "v");
}

/* One stream's a{sv}. */
static int
read_stream_props(sd_bus_message *m, struct results *res)
{
	int r = userbus_read_dict(m, stream_entry, res);

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

/* One entry of the Response's a{sv}: the keys any of our requests
 * use. */
static int
results_entry(void *arg, sd_bus_message *m, const char *key)
{
	struct results *res = arg;
	int r;

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
	return r;
}

/* The Response's a{sv}. */
static int
parse_results(sd_bus_message *m, struct results *res)
{
	memset(res, 0, sizeof(*res));
	return userbus_read_dict(m, results_entry, res);
}

/* Runs a request and parses its results. */
int
portal__req_run(struct request *q, sd_bus_message *m, const char *what,
	struct results *res, char *err, size_t errlen)
{
	int r = request_finish(q, m, what, err, errlen);

	if (r == 0 && parse_results(q->results, res) < 0) {
		snprintf(err, errlen, "portal %s: a malformed Response", what);
		r = OP_ERR_PROTO;
	}
	portal__req_end(q);
	return r;
}

