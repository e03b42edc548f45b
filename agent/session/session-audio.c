/* SPDX-License-Identifier: MIT */
/*
 * The desktop's sound in a desktop session (§12): when the grant holds
 * the Audio permission (PermissionInfo 3, policy.allow.audio) and the
 * client has not set OptionMessage.disable_audio (at login or later in
 * Misc.option, the client's mute toggle), the audio module captures the
 * desktop user's sound server; Misc.audio_format goes first, then one
 * Message.audio_frame per Opus packet. Capture stops when the client
 * disables audio, when a policy reload withdraws the permission and when
 * the session ends; each start and stop is reported to the daemon for
 * the audit trail.
 *
 * What it must not do: end the session. A sound server that is missing,
 * refuses the stream or dies mid-session ends audio only (logged and
 * audited); video, input and the keep-alive go on. Frames never queue
 * without bound: above SESSION_AUDIO_MAX_QUEUED bytes waiting on the
 * socket a packet is dropped (RustDesk drops audio older than 1 s).
 */
#include "session/session-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include "audio/audio.h"
#include "core/err.h"
#include "core/log.h"
#include "net/stream.h"

#define BOOL_OPTION_NO 1
#define BOOL_OPTION_YES 2
/* Bytes waiting on the connection above which audio packets are dropped
 * rather than queued: video stops feeding the queue at 512 KiB, so this
 * is only reached by a client that does not read (about 1 s of audio at
 * 100 kbit/s fits in 16 KiB; the rest is video). */
#define SESSION_AUDIO_MAX_QUEUED (1u << 20)

struct session_audio {
	struct session *ss;
	struct audio *a;     /* connected to the sound server, or NULL */
	/* Unix: the user's runtime directory; Windows: the capture
	 * endpoint ("" = loopback of the default render endpoint) */
	char dir[256];
#ifndef _WIN32
	uid_t uid;
	gid_t gid;
#endif
	bool on;             /* capturing; the format was sent */
	bool gone;           /* the server died: no more audio here */
	char backend[16];
	/* since the last "on", for its "off" record */
	uint64_t packets, bytes, dropped;
	/* whole session */
	uint64_t total_packets, total_bytes;
};

static void
report_event(struct session_audio *sa, bool on, const char *reason,
	const char *detail)
{
	const struct session_hooks *hk = sa->ss->env.hooks;
	struct session_audio_event ev = {
		.on = on,
		.reason = reason,
		.backend = sa->backend,
		.detail = detail,
		.packets = sa->packets,
		.bytes = sa->bytes,
		.dropped = sa->dropped,
	};

	if (hk != NULL && hk->audio_event != NULL)
		hk->audio_event(sa->ss->env.arg, sa->ss, &ev);
}

/* One Opus packet: Message{audio_frame = AudioFrame{data}}. */
static void
on_audio_frame(void *arg, const uint8_t *data, size_t len)
{
	struct session_audio *sa = arg;
	struct session *ss = sa->ss;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__AudioFrame af = HBB__AUDIO_FRAME__INIT;

	if (!sa->on || ss->state != SS_AUTHORIZED)
		return;
	if (stream_queued(ss->s) > SESSION_AUDIO_MAX_QUEUED) {
		if (sa->dropped++ % 250 == 0)
			log_info("session %s: audio packet dropped: the client "
				 "is not reading (%llu so far)",
				ss->desc, (unsigned long long)sa->dropped);
		return;
	}
	af.data.data = (uint8_t *)data;
	af.data.len = len;
	m.union_case = HBB__MESSAGE__UNION_AUDIO_FRAME;
	m.audio_frame = &af;
	if (session__send(ss, &m) != 0)
		return;
	sa->packets++;
	sa->bytes += len;
	sa->total_packets++;
	sa->total_bytes += len;
}

/* Capture stopped on its own: audio ends, the session goes on. */
static void
on_audio_error(void *arg, int status)
{
	struct session_audio *sa = arg;
	struct session *ss = sa->ss;
	bool was_on = sa->on;

	sa->on = false;
	if (status == OP_ERR_GONE) {
		/* Final: the object can only be freed. */
		sa->gone = true;
		audio_close(sa->a);
		sa->a = NULL;
		log_warn("session %s: audio ended: the sound server went away; "
			 "the session goes on without sound",
			ss->desc);
	} else {
		log_warn_r(status, "session %s: audio ended: the sound server "
				   "refused the capture stream (no sink?); the "
				   "session goes on without sound",
			ss->desc);
	}
	if (was_on)
		report_event(sa, false, "error", op_strerror(status));
}

/* Misc{audio_format{48000, 2}}: the client builds its decoder from it,
 * so it precedes every run of frames (§12). */
static void
send_format(struct session_audio *sa)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__AudioFormat af = HBB__AUDIO_FORMAT__INIT;
	struct audio_format f;

	audio_format(sa->a, &f);
	af.sample_rate = f.sample_rate;
	af.channels = f.channels;
	misc.union_case = HBB__MISC__UNION_AUDIO_FORMAT;
	misc.audio_format = &af;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	(void)session__send(sa->ss, &m);
}

/*
 * Connects to the user's sound server. The PipeWire socket is connected
 * as the user (audio_connect_user), so the server sees its own user;
 * without a pipewire-0 socket audio_open falls back to pulse, which
 * libpulse connects itself (so only for our own user's server, or as
 * root in the unseparated mode).
 * Blocks the loop for at most a few seconds, once per start.
 */
static int
connect_server(struct session_audio *sa)
{
	struct audio_target t = {
		.pw_fd = -1,
		.backend = AUDIO_BACKEND_AUTO,
	};
#ifdef _WIN32
	t.device = sa->dir[0] != '\0' ? sa->dir : NULL;
#else
	int fd = -1;
	int r;

	t.runtime_dir = sa->dir;

	/* Another user's server: connected to as them, by the monitor (or
	 * by a root agent's child). */
	if (sa->uid != geteuid()) {
		r = audio_connect_user(sa->dir, sa->uid, sa->gid, &fd);
		if (r == 0) {
			t.pw_fd = fd;
		} else if (r != OP_ERR_NOT_FOUND) {
			log_warn_r(r, "session %s: audio: cannot connect to %s/"
				      "pipewire-0 as uid %u",
				sa->ss->desc, sa->dir, (unsigned)sa->uid);
			return r;
		}
	}
#endif
	return audio_open(sa->ss->env.loop, &t, on_audio_frame,
		on_audio_error, sa, &sa->a);
}

static void
audio_on(struct session_audio *sa)
{
	struct session *ss = sa->ss;
	int r;

	if (sa->a == NULL && (r = connect_server(sa)) != 0) {
		log_warn_r(r, "session %s: no audio: the sound server in %s "
			      "cannot be used",
			ss->desc, sa->dir);
		return;
	}
	snprintf(sa->backend, sizeof(sa->backend), "%s",
		audio_backend_name(sa->a));
	send_format(sa);
	if ((r = audio_start(sa->a)) != 0) {
		log_warn_r(r, "session %s: no audio: capture did not start",
			ss->desc);
		if (r == OP_ERR_GONE) {
			sa->gone = true;
			audio_close(sa->a);
			sa->a = NULL;
		}
		return;
	}
	sa->on = true;
	sa->packets = sa->bytes = sa->dropped = 0;
	log_notice("session %s: audio on (%s, %s)", ss->desc, sa->backend,
		sa->dir);
	report_event(sa, true, NULL, NULL);
}

static void
audio_off(struct session_audio *sa, const char *reason, bool disconnect)
{
	if (sa->on) {
		audio_stop(sa->a);
		sa->on = false;
		log_notice("session %s: audio off (%s; %llu packets, %llu "
			   "bytes)",
			sa->ss->desc, reason,
			(unsigned long long)sa->packets,
			(unsigned long long)sa->bytes);
		report_event(sa, false, reason, NULL);
	}
	if (disconnect) {
		audio_close(sa->a);
		sa->a = NULL;
	}
}

void
session__audio_update(struct session *ss, const char *reason)
{
	struct session_audio *sa = ss->audio;
	bool want;

	if (sa == NULL)
		return;
	want = ss->state == SS_AUTHORIZED && (ss->perms & POLICY_PERM_AUDIO) &&
		!ss->audio_disabled && !sa->gone;
	if (want && !sa->on)
		audio_on(sa);
	else if (!want && (sa->on || !(ss->perms & POLICY_PERM_AUDIO)))
		/* The client may switch it on again: the connection stays,
		 * unless the permission is gone. */
		audio_off(sa, reason, !(ss->perms & POLICY_PERM_AUDIO));
}

void
session__audio_options(struct session *ss, const Hbb__OptionMessage *o)
{
	if (o == NULL || (o->disable_audio != BOOL_OPTION_YES &&
				 o->disable_audio != BOOL_OPTION_NO))
		return; /* NotSet (or out of range): unchanged (§13.3) */
	ss->audio_disabled = o->disable_audio == BOOL_OPTION_YES;
	session__audio_update(ss, "client-disabled");
}

uint32_t
session__audio_grant(struct session *ss, const struct session_grant *g,
	uint32_t permissions)
{
	struct session_audio *sa;

	ss->audio_disabled = ss->login_opts.opt.disable_audio == BOOL_OPTION_YES;
	if (g == NULL || ss->kind != SESSION_DESKTOP ||
		!(permissions & (1u << 3)))
		return permissions & ~(1u << 3);
#ifdef _WIN32
	const char *src = g->audio_device != NULL ? g->audio_device : "";

	if (g->no_audio != NULL || strlen(src) >= sizeof(sa->dir)) {
#else
	const char *src = g->audio_runtime_dir;

	if (src == NULL || src[0] == '\0' || strlen(src) >= sizeof(sa->dir)) {
#endif
		log_notice("session %s: no audio: %s", ss->desc,
			g->no_audio != NULL ? g->no_audio :
					      "no sound server for this display");
		return permissions & ~(1u << 3);
	}
	if ((sa = calloc(1, sizeof(*sa))) == NULL) {
		log_error("session %s: no audio: out of memory", ss->desc);
		return permissions & ~(1u << 3);
	}
	sa->ss = ss;
	snprintf(sa->dir, sizeof(sa->dir), "%s", src);
#ifndef _WIN32
	sa->uid = g->audio_uid;
	sa->gid = g->audio_gid;
#endif
	ss->audio = sa;
	ss->perms |= POLICY_PERM_AUDIO;
	if (ss->audio_disabled)
		log_info("session %s: audio granted; the client has it off",
			ss->desc);
	return permissions;
}

void
session__audio_close(struct session *ss)
{
	struct session_audio *sa = ss->audio;

	if (sa == NULL)
		return;
	audio_off(sa, "closed", true);
	ss->audio = NULL;
	free(sa);
}

bool
session_audio_on(const struct session *ss, uint64_t *packets, uint64_t *bytes)
{
	const struct session_audio *sa = ss->audio;

	if (packets != NULL)
		*packets = sa != NULL ? sa->total_packets : 0;
	if (bytes != NULL)
		*bytes = sa != NULL ? sa->total_bytes : 0;
	return sa != NULL && sa->on;
}
