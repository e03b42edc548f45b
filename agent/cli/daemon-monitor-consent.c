/* SPDX-License-Identifier: MIT */
/*
 * The monitor's consent prompt (consent.h), the same on each system:
 * one on screen at a time, started by the monitor for the user it finds
 * itself, its answer sent to the network process as an event.
 */
#include "cli/daemon.h"
#include "cli/daemon-internal.h"
#include "cli/daemon-monitor.h"

#include <errno.h>
#include <string.h>

#include "consent/consent.h"
#include "core/err.h"
#include "monitor/monitor.h"

/* The prompt's answer goes to the network process as an event (lost
 * with it if it has ended meanwhile). */
static void
on_prompt_done(void *arg, enum consent_result r, const char *detail)
{
	struct mon_proc *p = arg;
	struct mon_buf ev = { .len = 0 };

	p->prompt = NULL;
	if (r == CONSENT_ALLOW)
		monitor_grant(p->mon);
	mon_put_u8(&ev, MON_EV_CONSENT);
	mon_put_u8(&ev, (uint8_t)r);
	mon_put_str(&ev, detail != NULL ? detail : "");
	daemon_monitor_event(p, &ev);
}

/* consent-ask: the monitor finds who sits at the machine itself, so the
 * network process cannot put a window on another user's display. */
int
daemon_monitor_consent_ask(void *arg, const struct mon_consent *c, struct mon_buf *out)
{
	struct mon_proc *p = arg;
	struct consent_request req = {
		.peer_id = c->peer_id,
		.peer_name = c->peer_name,
		.source = c->source,
		.kind = c->kind,
		.permissions = c->permissions,
		.timeout_ms = c->timeout_ms,
	};
	struct consent_user u;
	int r;

	if (p->prompt != NULL) {
		mon_put_str(out, "another prompt is on screen");
		return -EBUSY;
	}
	memset(&u, 0, sizeof(u));
	if ((r = consent_find_user(&u)) != 0) {
		mon_put_str(out, r == OP_ERR_UNSUPPORTED ?
				"the user's display cannot be reached" :
				"nobody is logged in any more");
		return r;
	}
	r = consent_ask(&p->loop, p->self_exe, &u, &req, on_prompt_done, p,
		&p->prompt);
	if (r != 0) {
		p->prompt = NULL;
		mon_put_str(out, "cannot start the prompt");
	}
	return r;
}

/* The network process withdrew its request, or ended. */
void
daemon_monitor_consent_cancel(struct mon_proc *p)
{
	if (p->prompt != NULL)
		consent_cancel(p->prompt); /* answers: cancelled */
}
