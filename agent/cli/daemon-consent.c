/* SPDX-License-Identifier: MIT */
/*
 * Asking the person at the machine, and knowing whether there is one.
 *
 * Requests for consent are shown one at a time, in arrival order, with a
 * short bounded queue behind the one on screen; a source whose request
 * was denied or went unanswered waits before it may ask again (30 s,
 * doubling, at most 10 min), so nobody can cover a desktop in prompts. A
 * request is withdrawn the moment its session ends (the client hung up,
 * shutdown), so a stale window never lingers and SIGTERM is not held up.
 *
 * Whether a user is present comes from logind. The answer is cached and
 * dropped when logind reports a change (sd_login_monitor on the loop),
 * so a flood of connections costs no scan per connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <systemd/sd-login.h>
#else
/* No logind: the short cache alone (USER_CACHE_TTL_MS). */
typedef struct sd_login_monitor sd_login_monitor;
#endif

#include "cli/daemon-internal.h"
#include "consent/consent.h"
#include "core/err.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/time.h"
#include "net/sockaddr.h"
#include "policy/policy.h"

#define CONSENT_QUEUE_MAX 4
#define BACKOFF_SLOTS 64
#define BACKOFF_FIRST_MS 30000u
#define BACKOFF_MAX_MS 600000u
#define BACKOFF_FORGET_MS 3600000u
/* Without a logind monitor (no logind): how long an answer stays good. */
#define USER_CACHE_TTL_MS 2000u

struct consent_wait {
	TAILQ_ENTRY(consent_wait) link;
	struct daemon *d;
	struct session *s;
	struct sockaddr_storage src;
	char source[64];
	char perms[160];
	char kind[32];
	char peer_id[128];
	char peer_name[128];
	unsigned timeout_ms;
	daemon_consent_fn done;
	void *arg;
};

TAILQ_HEAD(consent_waits, consent_wait);

struct backoff {
	struct sockaddr_storage src;
	uint64_t until_ms;
	uint64_t last_ms;
	unsigned strikes;
};

struct daemon_consent {
	struct consent_wait *shown;
	struct consent_waits queue;
	unsigned queued;
	struct backoff backoff[BACKOFF_SLOTS];
	/* logind */
	sd_login_monitor *mon;
	uv_poll_t mon_poll;
	bool mon_poll_init;
	bool user_valid;
	uint64_t user_at_ms;
};

static struct backoff *
backoff_find(struct daemon_consent *dc, const struct sockaddr_storage *src,
	bool create)
{
	struct backoff *oldest = &dc->backoff[0];

	for (size_t i = 0; i < BACKOFF_SLOTS; i++) {
		struct backoff *b = &dc->backoff[i];

		if (b->last_ms != 0 && sockaddr_same_source(&b->src, src))
			return b;
		if (b->last_ms < oldest->last_ms)
			oldest = b;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	oldest->src = *src;
	return oldest;
}

/* The user said no, or nothing: this source waits before asking again. */
static void
backoff_strike(struct daemon_consent *dc, const struct sockaddr_storage *src)
{
	struct backoff *b = backoff_find(dc, src, true);
	uint64_t now = op_now_ms();
	uint64_t wait;

	if (b->last_ms != 0 && now - b->last_ms > BACKOFF_FORGET_MS)
		b->strikes = 0;
	if (b->strikes < 16)
		b->strikes++;
	wait = (uint64_t)BACKOFF_FIRST_MS << (b->strikes - 1);
	if (wait > BACKOFF_MAX_MS)
		wait = BACKOFF_MAX_MS;
	b->until_ms = now + wait;
	b->last_ms = now;
}

static uint64_t
backoff_left_ms(struct daemon_consent *dc, const struct sockaddr_storage *src)
{
	struct backoff *b = backoff_find(dc, src, false);
	uint64_t now = op_now_ms();

	return b != NULL && b->until_ms > now ? b->until_ms - now : 0;
}

static void show_next(struct daemon *d);

static void
finish(struct consent_wait *w, enum consent_result r, const char *detail)
{
	struct daemon *d = w->d;
	struct daemon_consent *dc = d->consent;

	if (dc->shown == w)
		dc->shown = NULL;
	if (r == CONSENT_DENY || r == CONSENT_TIMEOUT)
		backoff_strike(dc, &w->src);
	w->done(w->arg, r, detail);
	free(w);
	show_next(d);
}

/* The monitor's consent event: the answer of the prompt on screen. */
void
daemon_consent_answered(struct daemon *d, enum consent_result r,
	const char *detail)
{
	struct daemon_consent *dc = d->consent;

	if (dc == NULL || dc->shown == NULL)
		return; /* stopped, or an answer we no longer wait for */
	finish(dc->shown, r, detail);
}

/* Puts the oldest waiting request on screen (if none is). */
static void
show_next(struct daemon *d)
{
	struct daemon_consent *dc = d->consent;
	struct consent_wait *w;

	while (dc->shown == NULL && (w = TAILQ_FIRST(&dc->queue)) != NULL) {
		struct consent_request req = {
			.peer_id = w->peer_id,
			.peer_name = w->peer_name,
			.source = w->source,
			.kind = w->kind,
			.permissions = w->perms,
			.timeout_ms = w->timeout_ms,
		};
		const char *why = NULL;
		char err[160];

		TAILQ_REMOVE(&dc->queue, w, link);
		dc->queued--;
		/* Whoever is at the machine now, not when it was queued. */
		if (!daemon_user_present(d))
			why = "nobody is logged in any more";
		else if (d->user_found != 0)
			why = "the user's display cannot be reached";
		else if (daemon_consent_show(d, &req, err, sizeof(err)) != 0)
			why = err[0] ? err : "cannot start the prompt";
		if (why != NULL) {
			w->done(w->arg, CONSENT_ERROR, why);
			free(w);
			continue;
		}
		dc->shown = w;
	}
}

int
daemon_consent_request(struct daemon *d, struct session *s,
	const struct session_info *info, uint32_t perms, unsigned timeout_s,
	daemon_consent_fn done, void *arg)
{
	struct daemon_consent *dc = d->consent;
	struct consent_wait *w;
	uint64_t left = backoff_left_ms(dc, info->source);

	if (left > 0) {
		log_notice("session %s: not asking the local user: this "
			   "source was refused %llu s ago (asks again in %llu s)",
			session_describe(s),
			(unsigned long long)((op_now_ms() -
						     backoff_find(dc, info->source,
							     false)
							     ->last_ms) /
				1000),
			(unsigned long long)((left + 999) / 1000));
		return OP_ERR_DENIED;
	}
	if (dc->queued >= CONSENT_QUEUE_MAX) {
		log_notice("session %s: not asking the local user: %u "
			   "requests are already waiting",
			session_describe(s), dc->queued);
		return -EBUSY;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return OP_ERR_NOMEM;
	w->d = d;
	w->s = s;
	w->src = *info->source;
	sockaddr_format(info->source, w->source, sizeof(w->source));
	policy_perms_format(perms, w->perms, sizeof(w->perms));
	snprintf(w->kind, sizeof(w->kind), "%s", session_kind_name(info->kind));
	snprintf(w->peer_id, sizeof(w->peer_id), "%s", info->peer_id);
	snprintf(w->peer_name, sizeof(w->peer_name), "%s", info->peer_name);
	w->timeout_ms = timeout_s * 1000u;
	w->done = done;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&dc->queue, w, link);
	dc->queued++;
	if (dc->shown != NULL)
		log_info("session %s: waiting for the local user, behind "
			 "another request",
			session_describe(s));
	show_next(d);
	return 0;
}

void
daemon_consent_withdraw(struct daemon *d, struct session *s)
{
	struct daemon_consent *dc = d->consent;
	struct consent_wait *w, *next;

	if (dc == NULL)
		return;
	if (dc->shown != NULL && dc->shown->s == s) {
		/* The monitor's answer (cancelled) finishes it. */
		daemon_consent_cancel(d);
		return;
	}
	for (w = TAILQ_FIRST(&dc->queue); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		if (w->s != s)
			continue;
		TAILQ_REMOVE(&dc->queue, w, link);
		dc->queued--;
		w->done(w->arg, CONSENT_CANCELLED, "the request was withdrawn");
		free(w);
	}
}

/* --- logind ---------------------------------------------------------- */

#ifndef _WIN32
static void
on_logind(uv_poll_t *h, int status, int events)
{
	struct daemon_consent *dc = h->data;

	(void)status;
	(void)events;
	(void)sd_login_monitor_flush(dc->mon);
	dc->user_valid = false;
}
#endif

bool
daemon_user_present(struct daemon *d)
{
	struct daemon_consent *dc = d->consent;
	uint64_t now = op_now_ms();

	if (!dc->user_valid ||
		(!dc->mon_poll_init && now - dc->user_at_ms > USER_CACHE_TTL_MS)) {
		d->user_found = daemon_find_user(d, &d->user);
		dc->user_valid = true;
		dc->user_at_ms = now;
	}
	/* A user whose display we cannot reach still counts as present
	 * (asking fails, and that denies). */
	return d->user_found == 0 || d->user_found == OP_ERR_UNSUPPORTED;
}

int
daemon_consent_init(struct daemon *d)
{
	struct daemon_consent *dc = calloc(1, sizeof(*dc));

	if (dc == NULL)
		return OP_ERR_NOMEM;
	TAILQ_INIT(&dc->queue);
	d->consent = dc;
#ifdef _WIN32
	dc->mon = NULL;
	return 0;
#else
	if (sd_login_monitor_new("session", &dc->mon) < 0) {
		dc->mon = NULL; /* no logind: a short cache instead */
		return 0;
	}
	if (uv_poll_init(&d->loop, &dc->mon_poll,
		    sd_login_monitor_get_fd(dc->mon)) == 0) {
		dc->mon_poll.data = dc;
		dc->mon_poll_init = true;
		uv_poll_start(&dc->mon_poll, UV_READABLE, on_logind);
	}
	return 0;
#endif
}

static void
free_consent(struct daemon_consent *dc)
{
#ifndef _WIN32
	sd_login_monitor_unref(dc->mon);
#endif
	free(dc);
}

static void
on_poll_closed(uv_handle_t *h)
{
	free_consent(h->data);
}

void
daemon_consent_stop(struct daemon *d)
{
	struct daemon_consent *dc = d->consent;

	if (dc == NULL)
		return;
	d->consent = NULL; /* withdrawals after this are no-ops */
	if (dc->shown != NULL) { /* its answer will not be waited for */
		dc->shown->done(dc->shown->arg, CONSENT_CANCELLED,
			"the agent is stopping");
		free(dc->shown);
		dc->shown = NULL;
	}
	if (dc->mon_poll_init) {
		uv_close((uv_handle_t *)&dc->mon_poll, on_poll_closed);
		return;
	}
	free_consent(dc);
}
