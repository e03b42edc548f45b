/* SPDX-License-Identifier: MIT */
/*
 * The "display", "video" and "audio" parts of `outpost status --json`:
 * which desktop backends this build has and which could serve a session
 * now, the open display and its backend, each desktop session's backend,
 * and per-stream video and per-session audio figures.
 */
#include "cli/daemon-internal.h"

#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "conf/conf.h"
#include "core/json.h"

#ifndef _WIN32 /* Windows: daemon-desktop-win.c */
/* A socket at path, owned by uid unless uid is (uid_t)-1. */
static bool
is_socket(const char *path, uid_t uid)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		(uid == (uid_t)-1 || st.st_uid == uid);
}

/* An X display ":N[.S]" has its local socket. */
static bool
x11_socket(const char *display)
{
	char path[64];

	if (display[0] != ':')
		return false;
	snprintf(path, sizeof(path), "/tmp/.X11-unix/X%u",
		(unsigned)strtoul(display + 1, NULL, 10));
	return is_socket(path, (uid_t)-1);
}

static void
backend_json(FILE *f, bool *first, const char *name, bool built,
	bool available, const char *why)
{
	fprintf(f, "%s{\"name\":\"%s\",\"built\":%s,\"available\":%s,"
		"\"detail\":", *first ? "" : ",", name, built ? "true" : "false",
		available ? "true" : "false");
	op_json_cstr(f, why);
	fputs("}", f);
	*first = false;
}

/* Built-in backends and whether each could serve a session now, from
 * cheap checks (sockets exist; nothing is connected to). */
static void
backends_json(struct daemon *d, FILE *f)
{
	const struct daemon_desktop *dt = &d->desktop;
	const char *x11 = conf_str(d->conf, CONF_DISPLAY_X11);
	const char *wl = conf_str(d->conf, CONF_DISPLAY_WAYLAND);
	bool present = daemon_user_present(d);
	bool wayland_user = present &&
		strcmp(d->user.session_type, "wayland") == 0 &&
		d->user.uid != 0;
	bool x11_ok, wlr_ok, mutter_ok, portal_ok;
	bool first = true;
	char one[1][128];
	char bus[4300] = "";

	x11_ok = x11[0] != '\0' ? x11_socket(x11) :
		wl[0] == '\0' && !wayland_user && d->user_found == 0 &&
			x11_socket(d->user.display);
	wlr_ok = x11[0] == '\0' &&
		(wl[0] != '\0' ? is_socket(wl, (uid_t)-1) :
				 wayland_user &&
				daemon_desktop_user_sockets(d->user.uid,
					one, 1) == 1);
	/* Mutter: a session bus beside the compositor's socket (whether
	 * Mutter is on it is found when a session opens it). */
	if (x11[0] == '\0' && wl[0] != '\0' && strrchr(wl, '/') != wl)
		snprintf(bus, sizeof(bus), "%.*s/bus",
			(int)(strrchr(wl, '/') - wl), wl);
	else if (x11[0] == '\0' && wl[0] == '\0' && wayland_user)
		snprintf(bus, sizeof(bus), "/run/user/%u/bus",
			(unsigned)d->user.uid);
	mutter_ok = bus[0] != '\0' && is_socket(bus, (uid_t)-1);
	portal_ok = mutter_ok;
	if (dt->cap != NULL && !dt->lost) {
		x11_ok |= dt->target.kind == DESKTOP_X11;
		wlr_ok |= dt->target.kind == DESKTOP_WLR;
		mutter_ok |= dt->target.kind == DESKTOP_MUTTER;
		portal_ok |= dt->target.kind == DESKTOP_PORTAL;
		/* A Wayland desktop is served by the first of wlr, mutter,
		 * portal that works: the others were tried or not needed. */
		if (dt->target.kind != DESKTOP_X11) {
			wlr_ok = dt->target.kind == DESKTOP_WLR;
			mutter_ok = dt->target.kind == DESKTOP_MUTTER;
			portal_ok = dt->target.kind == DESKTOP_PORTAL;
		}
	}
	fputs("[", f);
	backend_json(f, &first, "x11", true, x11_ok,
		x11[0] != '\0' ? "display.x11" :
		wl[0] != '\0' || wayland_user ? "not this desktop" :
		"the logged-in user's X display");
	backend_json(f, &first, "wlr", true, wlr_ok,
		x11[0] != '\0' ? "display.x11 is set" :
		wl[0] != '\0' ? "display.wayland" :
		wayland_user ? "the logged-in user's Wayland socket "
			       "(screencopy checked when a session opens it)" :
		"no Wayland user session");
	backend_json(f, &first, "virtual", true,
		dt->vd != NULL || (x11[0] == '\0' && wl[0] == '\0' &&
			!present && conf_enum(d->conf,
				CONF_DISPLAY_VIRTUAL_MODE) == 0),
		"Xvfb or Xorg dummy, started when nobody is logged in "
		"(display.virtual.mode)");
	backend_json(f, &first, "mutter", true, mutter_ok,
		"GNOME Wayland: Mutter's RemoteDesktop on the session bus "
		"beside the compositor's socket, used when it has no "
		"wlr-screencopy");
	backend_json(f, &first, "portal", true, portal_ok,
		"other Wayland desktops (KDE, ...): the xdg-desktop-portal on "
		"that session bus, used when neither of the above serves");
	fputs("]", f);
}

void
daemon_desktop_status(struct daemon *d, FILE *f)
{
	struct daemon_desktop *dt = &d->desktop;

	fputs(",\"display\":{\"backends\":", f);
	backends_json(d, f);
	fputs(",\"backend\":", f);
	op_json_cstr(f, dt->cap != NULL ?
			desktop_backend(dt->target.kind) : NULL);
	fputs(",\"name\":", f);
	op_json_cstr(f, dt->cap != NULL ? dt->target.name : NULL);
	fputs(",\"source\":", f);
	op_json_cstr(f, dt->cap != NULL ? dt->target.source : NULL);
	fprintf(f, ",\"open\":%s,\"users\":%u", dt->cap != NULL && !dt->lost ?
		"true" : "false", dt->users);
	fputs(",\"virtual\":", f);
	if (dt->vd != NULL) {
		fputs("{\"display\":", f);
		op_json_cstr(f, dt->vd->name);
		fprintf(f, ",\"pid\":%d,\"session_pid\":%d}",
			dt->vd->server_pid, dt->vd->session_pid);
	} else {
		fputs("null", f);
	}
	fputs(",\"error\":", f);
	op_json_cstr(f, dt->error[0] ? dt->error : NULL);
	daemon_desktop_status_streams(d, f);
}
#endif

void
daemon_desktop_status_streams(struct daemon *d, FILE *f)
{
	struct session_video_stats st[SESSION_MAX_STREAMS];
	bool first = true;

	/* Which backend each live desktop session's screen and input use. */
	fputs(",\"sessions\":[", f);
	for (size_t i = 0; i < d->net.live_cap; i++) {
		struct session *s = d->net.live[i];
		const char *be = s != NULL ? session_desktop_backend(s) : NULL;

		if (be == NULL)
			continue;
		fprintf(f, "%s{\"session\":%lld,\"backend\":\"%s\"}",
			first ? "" : ",", (long long)session_tag(s), be);
		first = false;
	}
	first = true;
	fputs("]},\"video\":{\"streams\":[", f);
	for (size_t i = 0; i < d->net.live_cap; i++) {
		struct session *s = d->net.live[i];
		int n = s != NULL ? session_video_stats(s, st,
						SESSION_MAX_STREAMS) :
				    0;

		for (int k = 0; k < n; k++) {
			fprintf(f, "%s{\"session\":%lld,\"display\":%d,"
				"\"codec\":\"%s\",\"width\":%u,\"height\":%u,"
				"\"fps_target\":%u,\"kbps_target\":%u,"
				"\"frames\":%llu,\"key_frames\":%llu,"
				"\"bytes\":%llu,\"skipped\":%llu,"
				"\"damage\":%llu,\"rate_waits\":%llu,"
				"\"ack_waits\":%llu,\"queue_waits\":%llu,"
				"\"capture_ms\":%.2f,\"convert_ms\":%.2f,"
				"\"encode_ms\":%.2f,\"q_avg\":%.1f,"
				"\"q_top\":%llu,\"latency_ms_p50\":%.1f,"
				"\"latency_ms_p95\":%.1f,"
				"\"change_ms_p50\":%.1f,"
				"\"change_ms_p95\":%.1f,"
				"\"change_ms_max\":%.1f}",
				first ? "" : ",", (long long)session_tag(s),
				st[k].display, st[k].codec, st[k].width,
				st[k].height, st[k].fps_target,
				st[k].kbps_target,
				(unsigned long long)st[k].frames,
				(unsigned long long)st[k].key_frames,
				(unsigned long long)st[k].bytes,
				(unsigned long long)st[k].skipped,
				(unsigned long long)st[k].damage,
				(unsigned long long)st[k].rate_waits,
				(unsigned long long)st[k].ack_waits,
				(unsigned long long)st[k].queue_waits,
				st[k].capture_ms, st[k].convert_ms,
				st[k].encode_ms, st[k].q_avg,
				(unsigned long long)st[k].q_top,
				st[k].latency_ms_p50,
				st[k].latency_ms_p95, st[k].change_ms_p50,
				st[k].change_ms_p95, st[k].change_ms_max);
			first = false;
		}
	}
	/* Sessions that were granted audio: on now, and what was sent. */
	fputs("]},\"audio\":{\"sessions\":[", f);
	first = true;
	for (size_t i = 0; i < d->net.live_cap; i++) {
		struct session *s = d->net.live[i];
		uint64_t pk = 0, by = 0;
		bool on = s != NULL && session_audio_on(s, &pk, &by);

		if (s == NULL || (!on && pk == 0))
			continue;
		fprintf(f, "%s{\"session\":%lld,\"on\":%s,\"packets\":%llu,"
			"\"bytes\":%llu}", first ? "" : ",",
			(long long)session_tag(s), on ? "true" : "false",
			(unsigned long long)pk, (unsigned long long)by);
		first = false;
	}
	fputs("]}", f);
}
