/* SPDX-License-Identifier: MIT */
/* Internals of the consent module shared by its files and unit tests. */
#ifndef OP_CONSENT_CONSENT_INTERNAL_H
#define OP_CONSENT_CONSENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct consent_request;

/* One logind session as sd-login describes it. */
struct consent__session {
	const char *id;
	uid_t uid;
	const char *type;  /* "x11", "wayland", "tty", ... */
	const char *klass; /* "user", "greeter", "lock-screen", ... */
	const char *state; /* "active", "online", "closing" */
	bool remote;
	bool seat_active; /* the active session of its seat */
	const char *display; /* sd_session_get_display, may be NULL */
};

/*
 * Picks the session a consent prompt belongs to: class "user", state
 * "active", local, type x11 or wayland; the active session of a seat
 * first. Returns its index, -1 when none qualifies.
 */
int consent__pick_session(const struct consent__session *s, size_t n);

/*
 * Finds NAME=value in a /proc/PID/environ image (NUL-separated). Copies
 * the value into out (NUL-terminated) and returns 0; OP_ERR_NOT_FOUND, or
 * OP_ERR_TOO_LARGE when it does not fit.
 */
int consent__environ_get(const char *env, size_t len, const char *name,
	char *out, size_t out_size);

/* True for a local X display name: ":N" or ":N.S", N and S decimal. */
bool consent__display_valid(const char *d);

/*
 * Writes req as consent-prompt's stdin request ("key=value\n" lines, each
 * value sanitized and bounded). Returns the length, or 0 when it does not
 * fit (it always fits CONSENT_REQUEST_MAX).
 */
size_t consent__request_encode(const struct consent_request *req, char *buf,
	size_t size);

/*
 * What both systems' consent_ask do first: the timeout (0 = 30 s, at most
 * 600 s) in whole seconds, and the request encoded as above. Returns 0,
 * OP_ERR_RANGE (too long a timeout) or OP_ERR_INTERNAL.
 */
int consent__request_prepare(const struct consent_request *req, char *buf,
	size_t size, size_t *len, unsigned *timeout_s);

/* The test hook's environment variable (see consent_find_user). */
#define CONSENT_TEST_DISPLAY_ENV "OUTPOST_CONSENT_TEST_DISPLAY"
#define CONSENT_TEST_WAYLAND_ENV "OUTPOST_CONSENT_TEST_WAYLAND_USER"

#endif
