/* SPDX-License-Identifier: MIT */
/*
 * The Windows desktop provider (daemon-internal.h): the console's screen
 * through DXGI Desktop Duplication, GDI when DXGI fails (capture-win.c),
 * SendInput and the Win32 clipboard: this process's session and
 * desktop, which the service's monitor makes the console session's
 * winsta0\default (daemon-monitor-win.c); capture and input follow the
 * desktop that has input to the log-on, lock and UAC screens
 * (core/windesk.h), and Ctrl+Alt+Del goes to the monitor (SendSAS). No
 * virtual display.
 */
#include "cli/daemon-internal.h"

#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "audit/audit.h"
#include "capture/capture.h"
#include "clipboard/clipboard.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "input/input.h"
#include "monitor/monitor-client.h"

static void
drop_capture(struct daemon *d)
{
	capture_close(d->desktop.cap);
	d->desktop.cap = NULL;
	d->desktop.lost = false;
	d->desktop.target.kind = DESKTOP_NONE;
}

static void
on_capture_event(void *arg, struct capture *c, unsigned mask)
{
	struct daemon *d = arg;
	struct daemon_desktop *dt = &d->desktop;

	if (mask & CAPTURE_EV_GONE) {
		log_warn("the console's screen went away");
		if (d->audit != NULL)
			(void)audit_event(d->audit, 0, "display.lost",
				"{\"display\":\"console\",\"backend\":\"win\","
				"\"source\":\"console\"}", NULL, NULL);
		dt->lost = true;
	}
	for (size_t i = 0; i < d->net.live_cap; i++)
		if (d->net.live[i] != NULL)
			session_screen_event(d->net.live[i], c, mask);
	if (dt->lost && dt->users == 0 && dt->cap != NULL)
		drop_capture(d);
}

void
daemon_desktop_acquire(struct daemon *d, daemon_desktop_fn cb, void *arg)
{
	struct daemon_desktop *dt = &d->desktop;
	char err[160];
	int r;

	if (dt->cap != NULL && dt->lost && dt->users == 0)
		drop_capture(d);
	if (dt->cap != NULL && dt->lost) {
		cb(arg, NULL, "the display went away");
		return;
	}
	if (dt->cap == NULL) {
		r = capture_open(&d->loop, NULL, NULL, NULL, on_capture_event,
			d, &dt->cap, err, sizeof(err));
		if (r != 0) {
			dt->cap = NULL;
			snprintf(dt->error, sizeof(dt->error),
				"the console's screen: %s", err);
			log_warn("%s", dt->error);
			cb(arg, NULL, dt->error);
			return;
		}
		dt->error[0] = '\0';
		dt->target.kind = DESKTOP_WIN;
		snprintf(dt->target.name, sizeof(dt->target.name), "console");
		snprintf(dt->target.source, sizeof(dt->target.source),
			"console");
		log_info("screen: %s", capture_backend_name(dt->cap));
	}
	dt->users++;
	cb(arg, dt->cap, NULL);
}

void
daemon_desktop_release(struct daemon *d)
{
	struct daemon_desktop *dt = &d->desktop;

	if (dt->users > 0)
		dt->users--;
	if (dt->users == 0 && dt->cap != NULL)
		drop_capture(d);
}

/* A technician's Ctrl+Alt+Del: Windows takes it only from SendSAS in a
 * service (the monitor); when the monitor cannot, input.c types it. */
static int
secure_attention(void *arg)
{
	struct daemon *d = arg;
	char why[200] = "";
	int r = monclient_secure_attention(d->mon_fd, why, sizeof(why));

	if (r == 0) {
		log_notice("Ctrl+Alt+Del: the service sent the secure "
			   "attention sequence");
		return 0;
	}
	log_notice("Ctrl+Alt+Del typed as keys (Windows ignores them): %s",
		why[0] != '\0' ? why : op_strerror(r));
	daemon_monitor_failed(d, r, "secure-attention");
	return r;
}

void
daemon_desktop_open_controls(struct daemon *d, bool keyboard, bool clipboard,
	size_t clip_max, struct input **in, struct clipboard **cb)
{
	char err[200] = "";

	*in = NULL;
	*cb = NULL;
	if (d->desktop.cap == NULL || d->desktop.lost)
		return;
	if (keyboard && input_open(&d->loop, "win", NULL, NULL, in, err,
			    sizeof(err)) != 0) {
		log_warn("console: no input injection: %s", err);
		*in = NULL;
	}
	if (*in != NULL)
		input_set_secure_attention(*in, secure_attention, d);
	if (clipboard && clipboard_open(&d->loop, "win", NULL, NULL, clip_max,
			      NULL, NULL, cb, err, sizeof(err)) != 0) {
		log_warn("console: no clipboard: %s", err);
		*cb = NULL;
	}
}

/* LockWorkStation works only from a process of the user's session on
 * its interactive desktop: this one (the service's monitor starts it
 * there). Untested on Windows: wine does not implement it. */
void
daemon_desktop_lock(struct daemon *d)
{
	(void)d;
	if (LockWorkStation())
		log_notice("the console session was locked after the session");
	else
		log_warn("lock after session end: LockWorkStation failed "
			 "(error %lu)",
			(unsigned long)GetLastError());
}

void
daemon_desktop_init(struct daemon *d)
{
	(void)d;
}

void
daemon_desktop_stop(struct daemon *d)
{
	if (d->desktop.cap != NULL && d->desktop.users == 0)
		drop_capture(d);
}

/* No virtual display on Windows: the monitor never starts one. */
void
daemon_vd_ready(struct daemon *d, int status, const struct daemon_vd *v)
{
	(void)status, (void)v;
	log_warn("monitor: a virtual display event on Windows; ignored");
	(void)d;
}

void
daemon_vd_lost(struct daemon *d, const char *error)
{
	(void)d, (void)error;
}

void
daemon_desktop_status(struct daemon *d, FILE *f)
{
	struct daemon_desktop *dt = &d->desktop;

	fputs(",\"display\":{\"backends\":[{\"name\":\"dxgi\",\"built\":true},"
	      "{\"name\":\"gdi\",\"built\":true}],\"backend\":", f);
	op_json_cstr(f, dt->cap != NULL ? capture_backend_name(dt->cap) :
					  NULL);
	fprintf(f, ",\"open\":%s,\"users\":%u,\"virtual\":null,\"error\":",
		dt->cap != NULL && !dt->lost ? "true" : "false", dt->users);
	op_json_cstr(f, dt->error[0] ? dt->error : NULL);
	daemon_desktop_status_streams(d, f);
}
