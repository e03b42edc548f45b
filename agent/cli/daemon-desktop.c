/* SPDX-License-Identifier: MIT */
/*
 * The desktop the daemon shares: which X display (display.x11, else the
 * logged-in user's through logind, else a private virtual display when
 * display.virtual.mode allows), the one capture connection to it, and
 * who uses it. Desktop sessions acquire it after their authorization is
 * recorded and release it when they end. With no users the capture is
 * closed (an idle agent watches no screen), and a virtual display is
 * stopped display.virtual.idle_exit later.
 *
 * Capture events are fanned out to every session; a lost X server ends
 * the sessions on it (with a message and an audit event), and the next
 * session looks for a display again. The agent itself keeps running.
 */
#include "cli/daemon.h"
#include "cli/daemon-internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "audit/audit.h"
#include "capture/capture.h"
#include "conf/conf.h"
#include "core/err.h"
#include "monitor/monitor-client.h"
#include "core/json.h"
#include "core/memfile.h"
#include "core/log.h"
#include "platform/userconn.h"
#include "clipboard/clipboard.h"
#include "input/input.h"
#include "xconn/xauth.h"

struct desktop_waiter {
	struct desktop_waiter *next;
	daemon_desktop_fn cb;
	void *arg;
};

static int open_mutter_beside(struct daemon *d, const char *socket,
	const char *source);

/* Closes the capture connection and removes our copy of its cookie: the
 * sessions' input and clipboard connections were opened at their grant
 * and need it no more. */
static void
drop_capture(struct daemon *d)
{
	struct daemon_desktop *dt = &d->desktop;
	char copy[4200];

	capture_close(dt->cap);
	dt->cap = NULL;
	daemon_private_xauth(d->conf, copy, sizeof(copy));
	if (strcmp(dt->target.auth, copy) == 0)
		(void)unlink(copy);
	dt->target.auth[0] = '\0';
	dt->target.kind = DESKTOP_NONE;
}

static void
on_capture_event(void *arg, struct capture *c, unsigned mask)
{
	struct daemon *d = arg;
	struct daemon_desktop *dt = &d->desktop;

	if (mask & CAPTURE_EV_GONE) {
		char fields[4600] = "";
		struct op_memfile mf;
		FILE *f = op_memfile_open(&mf);

		log_warn("display %s (%s) went away", dt->target.name,
			desktop_backend(dt->target.kind));
		/* A socket path is any bytes an admin wrote: escaped. */
		if (f != NULL) {
			fputs("{\"display\":", f);
			op_json_cstr(f, dt->target.name);
			fprintf(f, ",\"backend\":\"%s\",\"source\":\"%s\"}",
				desktop_backend(dt->target.kind),
				dt->target.source);
		}
		if (op_memfile_copy(&mf, fields, sizeof(fields)) == 0 &&
			d->audit != NULL)
			(void)audit_event(d->audit, 0, "display.lost", fields,
				NULL, NULL);
		dt->lost = true;
	}
	for (size_t i = 0; i < d->net.live_cap; i++)
		if (d->net.live[i] != NULL)
			session_screen_event(d->net.live[i], c, mask);
	/* With no users left, nothing holds the dead connection. */
	if (dt->lost && dt->users == 0 && dt->cap != NULL) {
		drop_capture(d);
	}
}

static void
finish_waiters(struct daemon *d, struct capture *cap, const char *why)
{
	struct daemon_desktop *dt = &d->desktop;
	struct desktop_waiter *w = dt->waiters;

	dt->waiters = NULL;
	while (w != NULL) {
		struct desktop_waiter *next = w->next;

		if (cap != NULL)
			dt->users++;
		w->cb(w->arg, cap, why);
		free(w);
		w = next;
	}
	if (dt->users == 0)
		daemon_desktop_release(d); /* nobody took it: idle rules */
}

/*
 * Where the daemon keeps its own copy of the desktop's cookie: the state
 * directory (0700, ours). The user's file is read once, checked
 * (xconn_cookie_copy), and only this copy is opened by the capture,
 * input and clipboard connections.
 */
void
daemon_private_xauth(const struct conf *conf, char *out, size_t size)
{
	daemon_private_path(conf, "display.xauth", out, size);
}

/* xauth: a cookie file from the user's environment, a display manager,
 * the configuration or the virtual display; owner: who must own it
 * (OP_XAUTH_ANY_OWNER for a path root configured). "" = none. */
static int
open_capture(struct daemon *d, enum desktop_kind kind, const char *display,
	const char *xauth, uid_t owner, const char *source)
{
	struct daemon_desktop *dt = &d->desktop;
	char err[200] = "";
	char copy[4200] = "";
	int r;

	if (kind == DESKTOP_X11 && xauth != NULL && xauth[0] != '\0') {
		daemon_private_xauth(d->conf, copy, sizeof(copy));
		if ((r = daemon_cookie_copy(d, display, xauth, owner, err,
			     sizeof(err))) != 0) {
			snprintf(dt->error, sizeof(dt->error), "%s", err);
			log_warn("display %s (%s): %s", display, source,
				dt->error);
			return r;
		}
		xauth = copy;
	}
	r = capture_open(&d->loop, desktop_backend(kind), display, xauth,
		on_capture_event, d, &dt->cap, err, sizeof(err));
	if (r == OP_ERR_UNSUPPORTED && kind == DESKTOP_WLR) {
		log_info("display %s (%s): %s; trying GNOME's Mutter", display,
			source, err);
		return open_mutter_beside(d, display, source);
	}
	if (r != 0) {
		snprintf(dt->error, sizeof(dt->error), "%s", err[0] ? err :
			op_strerror(r));
		log_warn("display %s (%s): %s", display, source, dt->error);
		return r;
	}
	dt->target.kind = kind;
	snprintf(dt->target.name, sizeof(dt->target.name), "%s", display);
	snprintf(dt->target.auth, sizeof(dt->target.auth), "%s",
		xauth ? xauth : "");
	snprintf(dt->target.source, sizeof(dt->target.source), "%s",
		source);
	dt->lost = false;
	dt->error[0] = '\0';
	log_info("capturing display %s (%s, %s)", display,
		desktop_backend(kind), source);
	return 0;
}

/* Where the portal's restore token for uid's kind ("screencast",
 * "remote-desktop": one does not restore the other) is kept: our private
 * directory, 0700. */
static void
portal_token(const struct daemon *d, const char *kind, uid_t uid, char *out,
	size_t size)
{
	char name[64];

	snprintf(name, sizeof(name), "portal-%s-%u", kind, (unsigned)uid);
	daemon_private_path(d->conf, name, out, size);
}

/*
 * A Wayland compositor without wlr-screencopy. GNOME's Mutter offers its
 * RemoteDesktop and ScreenCast on the session bus in the runtime
 * directory that holds its socket; that bus must be the compositor
 * owner's, whom userbus_target then connects as. Without Mutter on it,
 * the desktop's xdg-desktop-portal (a dialog may ask its user once; the
 * restore token spares the next sessions).
 */
static int
open_mutter_beside(struct daemon *d, const char *socket, const char *source)
{
	struct daemon_desktop *dt = &d->desktop;
	const char *slash = strrchr(socket, '/');
	char dir[4200], bus[4300], token[4300];
	uid_t wu, bu;
	gid_t wg, bg;
	int r;

	if (slash == NULL || slash == socket ||
		(size_t)(slash - socket) >= sizeof(dir))
		return OP_ERR_NOT_FOUND; /* configured paths are absolute */
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - socket), socket);
	snprintf(bus, sizeof(bus), "%s/bus", dir);
	if (platform_user_socket(socket, &wu, &wg) != 0 ||
		platform_user_socket(bus, &bu, &bg) != 0 || bu != wu) {
		snprintf(dt->error, sizeof(dt->error), "the Wayland "
			"compositor offers no wlr-screencopy, and its "
			"directory has no session bus of its user for GNOME's "
			"Mutter or an xdg-desktop-portal");
		log_warn("display %s (%s): %s", socket, source, dt->error);
		return OP_ERR_UNSUPPORTED;
	}
	r = open_capture(d, DESKTOP_MUTTER, dir, NULL, wu, source);
	if (r != OP_ERR_UNSUPPORTED)
		return r;
	/* Any other desktop (KDE, ...): its xdg-desktop-portal. */
	portal_token(d, "screencast", wu, token, sizeof(token));
	log_info("display %s (%s): no Mutter on its bus; trying its "
		 "xdg-desktop-portal", socket, source);
	r = open_capture(d, DESKTOP_PORTAL, dir, token, wu, source);
	if (r == OP_ERR_UNSUPPORTED) {
		snprintf(dt->error, sizeof(dt->error), "the Wayland "
			"compositor offers neither wlr-screencopy nor Mutter's "
			"RemoteDesktop, and no xdg-desktop-portal ScreenCast "
			"answered on its user's session bus");
		log_warn("display %s (%s): %s", socket, source, dt->error);
	}
	return r;
}

/* Stops the virtual display (the monitor's) and forgets it. */
static void
stop_virtual(struct daemon *d)
{
	int r;

	free(d->desktop.vd);
	d->desktop.vd = NULL;
	d->desktop.vd_starting = false;
	if ((r = monclient_vd_stop(d->mon_fd)) != 0)
		daemon_monitor_failed(d, r, "vd-stop");
}

void
daemon_vd_ready(struct daemon *d, int status, const struct daemon_vd *v)
{
	struct daemon_desktop *dt = &d->desktop;
	char fields[256];

	if (dt->vd == NULL || !dt->vd_starting)
		return; /* stopped meanwhile */
	dt->vd_starting = false;
	if (status != 0) {
		snprintf(dt->error, sizeof(dt->error), "the virtual display "
			"did not start: %s", v->error);
		log_warn("%s", dt->error);
		stop_virtual(d);
		finish_waiters(d, NULL, dt->error);
		return;
	}
	*dt->vd = *v;
	snprintf(fields, sizeof(fields), "{\"display\":\"%s\",\"pid\":%d}",
		v->name, v->server_pid);
	if (d->audit != NULL)
		(void)audit_event(d->audit, 0, "display.virtual.started",
			fields, NULL, NULL);
	log_notice("virtual display %s started (pid %d)", v->name,
		v->server_pid);
	if (open_capture(d, DESKTOP_X11, v->name, v->xauthority, v->owner,
		    "virtual") != 0)
		finish_waiters(d, NULL, dt->error);
	else
		finish_waiters(d, dt->cap, NULL);
}

void
daemon_vd_lost(struct daemon *d, const char *error)
{
	struct daemon_desktop *dt = &d->desktop;

	if (dt->vd == NULL)
		return;
	log_warn("the virtual display %s ended: %s", dt->vd->name, error);
	/* The capture connection reports GONE on its own. */
	free(dt->vd);
	dt->vd = NULL;
	if (dt->vd_starting) {
		dt->vd_starting = false;
		snprintf(dt->error, sizeof(dt->error), "the virtual display "
			"ended while starting: %s", error);
		finish_waiters(d, NULL, dt->error);
	}
}

/* The monitor starts it, as the config it read says; ready or not comes
 * as an event (daemon_vd_ready). */
static void
start_virtual(struct daemon *d)
{
	struct daemon_desktop *dt = &d->desktop;
	char err[160] = "";
	int r;

	if (dt->vd_starting)
		return; /* the waiters are served when it is ready */
	if ((dt->vd = calloc(1, sizeof(*dt->vd))) == NULL ||
		(r = monclient_vd_start(d->mon_fd, err, sizeof(err))) != 0) {
		snprintf(dt->error, sizeof(dt->error), "the virtual display "
			"cannot start: %s", dt->vd == NULL ? "out of memory" :
			err[0] ? err : op_strerror(r));
		log_warn("%s", dt->error);
		free(dt->vd);
		dt->vd = NULL;
		finish_waiters(d, NULL, dt->error);
		return;
	}
	dt->vd_starting = true;
}

/* The session's XAUTHORITY when its environment named one; else where
 * display managers put it (GDM: /run/user/UID/gdm; startx, LightDM: the
 * home directory). */
static void
user_xauthority(const struct consent_user *u, char *out, size_t size)
{
	if (u->xauthority[0] != '\0') {
		snprintf(out, size, "%s", u->xauthority);
		return;
	}
	snprintf(out, size, "/run/user/%u/gdm/Xauthority", (unsigned)u->uid);
	if (access(out, R_OK) == 0)
		return;
	snprintf(out, size, "%s/.Xauthority", u->home);
	if (access(out, R_OK) == 0)
		return;
	out[0] = '\0'; /* none: a server without access control still works */
}

/* Compositors name their sockets wayland-0, wayland-1, ...: the network
 * process cannot list a user's runtime directory, only ask (through its
 * monitor) about one socket at a time. */
#define USER_WAYLAND_MAX 10

int
daemon_desktop_user_sockets(uid_t uid, char (*paths)[128], int max)
{
	int found = 0;

	for (int i = 0; i < USER_WAYLAND_MAX && found < max; i++) {
		uid_t owner;
		gid_t gid;

		snprintf(paths[found], sizeof(paths[0]),
			"/run/user/%u/wayland-%d", (unsigned)uid, i);
		if (platform_user_socket(paths[found], &owner, &gid) == 0 &&
			owner == uid)
			found++;
	}
	return found;
}

/*
 * The logged-in user's wlroots compositor: the first of their sockets
 * that offers screencopy. Returns 0 with the capture open, or an error
 * with dt->error saying why.
 */
static int
open_user_wayland(struct daemon *d, const struct consent_user *u)
{
	struct daemon_desktop *dt = &d->desktop;
	char paths[8][128];
	int n = daemon_desktop_user_sockets(u->uid, paths, 8);
	int r = OP_ERR_NOT_FOUND;

	for (int i = 0; i < n && r != 0; i++)
		r = open_capture(d, DESKTOP_WLR, paths[i], NULL, u->uid,
			"logind");
	/* A failed open said why in dt->error already. */
	if (n == 0)
		snprintf(dt->error, sizeof(dt->error), "the logged-in user's "
			"session is Wayland but /run/user/%u has no compositor "
			"socket (wayland-N)", (unsigned)u->uid);
	return r;
}

void
daemon_desktop_acquire(struct daemon *d, daemon_desktop_fn cb, void *arg)
{
	struct daemon_desktop *dt = &d->desktop;
	struct desktop_waiter *w = calloc(1, sizeof(*w));
	const char *x11 = conf_str(d->conf, CONF_DISPLAY_X11);
	const char *wl = conf_str(d->conf, CONF_DISPLAY_WAYLAND);

	if (w == NULL) {
		cb(arg, NULL, "out of memory");
		return;
	}
	w->cb = cb;
	w->arg = arg;
	w->next = dt->waiters;
	dt->waiters = w;
	uv_timer_stop(&dt->idle_timer);
	if (dt->cap != NULL && !dt->lost) {
		finish_waiters(d, dt->cap, NULL);
		return;
	}
	if (dt->vd_starting)
		return;
	if (dt->cap != NULL && dt->users == 0) { /* lost, unused */
		drop_capture(d);
	}
	if (dt->cap != NULL) { /* lost, still held by closing sessions */
		finish_waiters(d, NULL, "the display went away");
		return;
	}
	if (x11[0] != '\0') {
		const char *xa = conf_str(d->conf, CONF_DISPLAY_XAUTHORITY);

		/* An admin's path: any owner, but no FIFO, symlink or
		 * oversized file. */
		open_capture(d, DESKTOP_X11, x11, xa, OP_XAUTH_ANY_OWNER,
			"configured");
	} else if (wl[0] != '\0') {
		/* Connected to as the socket's owner (wlu_socket_path). */
		open_capture(d, DESKTOP_WLR, wl, NULL, 0, "configured");
	} else if ((d->user_found == 0 ||
			   d->user_found == OP_ERR_UNSUPPORTED) &&
		strcmp(d->user.session_type, "wayland") == 0 &&
		d->user.uid != 0 && d->user.name[0] != '\0') {
		/* Xwayland, when there is one, shows only the X clients:
		 * never the desktop. */
		open_user_wayland(d, &d->user);
	} else if (d->user_found == 0) { /* looked up at this login's admission */
		char xa[4200];

		user_xauthority(&d->user, xa, sizeof(xa));
		/* From the user's environment: theirs, never root's. */
		open_capture(d, DESKTOP_X11, d->user.display, xa, d->user.uid,
			"logind");
	} else if (d->user_found == OP_ERR_UNSUPPORTED) {
		snprintf(dt->error, sizeof(dt->error), "the logged-in user's "
			"desktop is %s, without an X display and not a "
			"Wayland session",
			d->user.session_type[0] ? d->user.session_type :
						  "unknown");
	} else if (dt->vd != NULL) {
		open_capture(d, DESKTOP_X11, dt->vd->name, dt->vd->xauthority,
			dt->vd->owner, "virtual");
	} else if (conf_enum(d->conf, CONF_DISPLAY_VIRTUAL_MODE) == 0) {
		start_virtual(d);
		return;
	} else {
		snprintf(dt->error, sizeof(dt->error), "nobody is logged in "
			"graphically and display.virtual.mode is never");
	}
	finish_waiters(d, dt->cap, dt->cap != NULL ? NULL : dt->error);
}

void
daemon_desktop_open_controls(struct daemon *d, bool keyboard, bool clipboard,
	size_t clip_max, struct input **in, struct clipboard **cb)
{
	const struct desktop_target *t = &d->desktop.target;
	const char *be = desktop_backend(t->kind);
	const char *auth = t->auth;
	char err[200] = "", token[4300];
	char bus[sizeof(t->name) + 8];
	uid_t owner;
	gid_t gid;

	*in = NULL;
	*cb = NULL;
	if (d->desktop.cap == NULL || d->desktop.lost)
		return;
	/* The portal's RemoteDesktop session has a token of its own, named
	 * after the owner of the session bus in the portal's directory. */
	snprintf(bus, sizeof(bus), "%s/bus", t->name);
	if (t->kind == DESKTOP_PORTAL &&
		platform_user_socket(bus, &owner, &gid) == 0) {
		portal_token(d, "remote-desktop", owner, token,
			sizeof(token));
		auth = token;
	}
	if (keyboard && input_open(&d->loop, be, t->name, auth, in, err,
			    sizeof(err)) != 0) {
		log_warn("display %s (%s): no input injection: %s", t->name, be,
			err);
		*in = NULL;
	}
	if (clipboard && clipboard_open(&d->loop, be, t->name, t->auth,
			      clip_max, NULL, NULL, cb, err, sizeof(err)) != 0) {
		log_warn("display %s (%s): no clipboard: %s", t->name, be,
			err);
		*cb = NULL;
	}
}

static void
on_idle_exit(uv_timer_t *t)
{
	struct daemon *d = t->data;
	struct daemon_desktop *dt = &d->desktop;
	char fields[128];

	if (dt->users > 0 || dt->vd == NULL || dt->vd_starting)
		return;
	snprintf(fields, sizeof(fields), "{\"display\":\"%s\","
		"\"reason\":\"idle\"}", dt->vd->name);
	if (d->audit != NULL)
		(void)audit_event(d->audit, 0, "display.virtual.stopped",
			fields, NULL, NULL);
	log_notice("virtual display %s stopped after %u s without sessions",
		dt->vd->name, dt->idle_exit_s);
	if (dt->cap != NULL) {
		drop_capture(d);
	}
	stop_virtual(d);
}

void
daemon_desktop_release(struct daemon *d)
{
	struct daemon_desktop *dt = &d->desktop;

	if (dt->users > 0)
		dt->users--;
	if (dt->users > 0 || dt->waiters != NULL)
		return;
	/* Nobody watches: stop listening to the X server. */
	if (dt->cap != NULL) {
		drop_capture(d);
	}
	dt->idle_exit_s = (unsigned)conf_int(d->conf,
		CONF_DISPLAY_VIRTUAL_IDLE_EXIT);
	if (dt->vd != NULL && !dt->vd_starting && dt->idle_exit_s > 0)
		uv_timer_start(&dt->idle_timer, on_idle_exit,
			(uint64_t)dt->idle_exit_s * 1000u, 0);
}

/* OptionMessage.lock_after_session_end: logind locks the user's session
 * (its screen locker does the rest). A virtual or configured display
 * has no logind session to lock. */
void
daemon_desktop_lock(struct daemon *d)
{
	struct daemon_desktop *dt = &d->desktop;
	char why[200];
	int r;

	if (strcmp(dt->target.source, "logind") != 0 ||
		(d->user_found != 0 && d->user_found != OP_ERR_UNSUPPORTED) ||
		d->user.session_id[0] == '\0') {
		log_notice("lock after session end: display %s (%s) has no "
			   "logind session to lock",
			dt->target.name, dt->target.source);
		return;
	}
	/* The monitor locks whichever session is active now. */
	r = monclient_lock_session(d->mon_fd, why, sizeof(why));
	if (r != 0) {
		log_warn("lock after session end: %s",
			why[0] ? why : op_strerror(r));
		daemon_monitor_failed(d, r, "lock-session");
	} else {
		log_notice("locked logind session %s after the remote session",
			why);
	}
}

/* The monitor's side of lock-session (daemon-monitor.c's hook): the
 * active graphical session, looked up here, is locked through logind. */
int
daemon_lock_encode(struct mon_buf *out)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct consent_user u;
	sd_bus *bus = NULL;
	int r;

	memset(&u, 0, sizeof(u));
	r = consent_find_user(&u);
	if ((r != 0 && r != OP_ERR_UNSUPPORTED) || u.session_id[0] == '\0') {
		mon_put_str(out, "no active graphical session");
		return OP_ERR_NOT_FOUND;
	}
	if ((r = sd_bus_open_system(&bus)) >= 0) {
		(void)sd_bus_set_method_call_timeout(bus, 2000000);
		r = sd_bus_call_method(bus, "org.freedesktop.login1",
			"/org/freedesktop/login1",
			"org.freedesktop.login1.Manager", "LockSession", &e,
			NULL, "s", u.session_id);
	}
	mon_put_str(out, r < 0 ? (e.message ? e.message : op_strerror(r)) :
				 u.session_id);
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	return r < 0 ? r : 0;
}

void
daemon_desktop_init(struct daemon *d)
{
	uv_timer_init(&d->loop, &d->desktop.idle_timer);
	d->desktop.idle_timer.data = d;
	uv_unref((uv_handle_t *)&d->desktop.idle_timer);
}

void
daemon_desktop_stop(struct daemon *d)
{
	struct daemon_desktop *dt = &d->desktop;

	uv_timer_stop(&dt->idle_timer);
	if (dt->cap != NULL && dt->users == 0) {
		drop_capture(d);
	}
	if (dt->vd != NULL) {
		stop_virtual(d);
	}
}
