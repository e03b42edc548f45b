/* SPDX-License-Identifier: MIT */
/*
 * Between portal-session.c (the ScreenCast / RemoteDesktop dance) and
 * portal-bus.c (the bus connection, properties, and Requests with their
 * Responses). Only files in agent/portal/ include this.
 */
#ifndef OP_PORTAL_PORTAL_INTERNAL_H
#define OP_PORTAL_PORTAL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "platform/userbus.h"
#include "portal/portal-session.h"

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
	struct userbus_rd rd; /* first: see userbus.h */
	int hold; /* keeps the process that connected bus alive */
	struct userbus_watch gone; /* the portal leaving the bus */
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
	bool input;
	bool have_node;
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

/* The time left of the open's deadline, in us (at least 1). */
uint64_t portal__left_us(const struct portal_session *s);

/* Turns an sd-bus failure into ours (OP_ERR_UNSUPPORTED, -ETIMEDOUT,
 * OP_ERR_DENIED, OP_ERR_PROTO, OP_ERR_GONE), with the reason in err. */
int portal__failed(const char *what, int r, const sd_bus_error *e,
	char *err, size_t errlen);

/* Runs the bus until *flag, the session closed, or the deadline. */
int portal__wait_for(struct portal_session *s, const bool *flag);

/* Takes fd: the bus, Hello answered, our request path element known. */
int portal__bus_start(struct portal_session *s, int fd, char *err,
	size_t errlen);

/* A u32 property of the portal object; the first call activates it.
 * OP_ERR_UNSUPPORTED when the interface is missing. */
int portal__get_u32(struct portal_session *s, const char *iface,
	const char *name, uint32_t *v, char *err, size_t errlen);

/* The portal's unique name (signals are only taken from it), and its
 * disappearance watched (s->closed). */
int portal__name_owner(struct portal_session *s, char *err, size_t errlen);

/* A fresh token of path-element characters. */
void portal__make_token(struct portal_session *s, char *out, size_t cap);

/* A Request: begin makes the method call with the Response already
 * subscribed on the predicted path (htoken: the handle_token to put in
 * the options); the caller appends the arguments; run sends it, waits
 * for the Response (code 1/2: OP_ERR_DENIED with the reason) and parses
 * its results; end frees what begin made (run calls it). */
int portal__req_begin(struct portal_session *s, struct request *q,
	const char *iface, const char *path, const char *method,
	sd_bus_message **m, char *htoken, size_t htcap);
void portal__req_end(struct request *q);
int portal__req_run(struct request *q, sd_bus_message *m,
	const char *what, struct results *res, char *err, size_t errlen);

#endif
