/* SPDX-License-Identifier: MIT */
/*
 * What a desktop client asks of the screen, and what it is told: the
 * PeerInfo displays and encodings (§6.7, §7.2), OptionMessage (§13.3:
 * quality, fps, codec, remote cursor), the display Misc messages (§7.4:
 * refresh, switch, capture set, query), the cursor (§8) and layout
 * changes. Every value comes from the network and is clamped or refused
 * here, with a message the client shows when it names something that
 * does not exist.
 */
#include "session/session-video.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "core/log.h"
#include "core/time.h"
#include "session/session-input.h"
#include "session/session-internal.h"

#define BOOL_OPTION_NO 1
#define BOOL_OPTION_YES 2

void
session__screen_message_box(struct session *ss, const char *title,
	const char *text)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__MessageBox mb = HBB__MESSAGE_BOX__INIT;

	mb.msgtype = "nocancel-nook-hasclose";
	mb.title = (char *)title;
	mb.text = (char *)text;
	m.union_case = HBB__MESSAGE__UNION_MESSAGE_BOX;
	m.message_box = &mb;
	(void)session__send(ss, &m);
}

/* §7.2: VP9 always; VP8 when the client decodes it and prefers it (or
 * the admin configured it). Anything else the client might prefer is
 * not produced by this host. */
static enum venc_codec
pick_codec(const struct session *ss, const Hbb__SupportedDecoding *d)
{
	bool vp8_ok = d != NULL && d->ability_vp8 > 0;

	switch (ss->env.video_codec) {
	case SESSION_CODEC_VP9:
		return VENC_VP9;
	case SESSION_CODEC_VP8:
		return vp8_ok ? VENC_VP8 : VENC_VP9;
	default:
		return vp8_ok &&
				d->prefer == HBB__SUPPORTED_DECODING__PREFER_CODEC__VP8 ?
			VENC_VP8 :
			VENC_VP9;
	}
}

/* §13.3 block_input: X11 cannot keep the local keyboard and mouse out
 * while XTEST injects (both use the same input path), so blocking is
 * refused with a reason; "off" is trivially true. */
static void
send_block_input_state(struct session *ss, bool on)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__BackNotification bn = HBB__BACK_NOTIFICATION__INIT;

	bn.union_case = HBB__BACK_NOTIFICATION__UNION_BLOCK_INPUT_STATE;
	bn.block_input_state = on ?
		HBB__BACK_NOTIFICATION__BLOCK_INPUT_STATE__BlkOnFailed :
		HBB__BACK_NOTIFICATION__BLOCK_INPUT_STATE__BlkOffSucceeded;
	bn.details = on ? "Blocking the local keyboard and mouse is not "
			  "supported on X11" :
			  "";
	misc.union_case = HBB__MISC__UNION_BACK_NOTIFICATION;
	misc.back_notification = &bn;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	(void)session__send(ss, &m);
}

/* §13.4 toggle_privacy_mode: not supported on this host. */
static void
send_privacy_not_supported(struct session *ss, const char *impl_key)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__BackNotification bn = HBB__BACK_NOTIFICATION__INIT;

	bn.union_case = HBB__BACK_NOTIFICATION__UNION_PRIVACY_MODE_STATE;
	bn.privacy_mode_state =
		HBB__BACK_NOTIFICATION__PRIVACY_MODE_STATE__PrvNotSupported;
	bn.impl_key = (char *)(impl_key != NULL ? impl_key : "");
	bn.details = "";
	misc.union_case = HBB__MISC__UNION_BACK_NOTIFICATION;
	misc.back_notification = &bn;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	(void)session__send(ss, &m);
}

void
session__screen_options(struct session_video *v, const Hbb__OptionMessage *o,
	bool at_login)
{
	struct session *ss = v->ss;
	unsigned max = ss->env.video_max_fps ? ss->env.video_max_fps : 30;
	bool codec_changed = false;

	if (o == NULL)
		return;
	if (o->image_quality != 0) {
		v->image_quality = (int)o->image_quality;
		v->custom_quality = 0;
	}
	if (o->custom_image_quality != 0)
		v->custom_quality = o->custom_image_quality; /* clamped later */
	if (o->custom_fps != 0) {
		int32_t f = o->custom_fps;

		if (f < 1 || f > 120)
			log_info("session %s: custom_fps %d clamped to 1..%u",
				ss->desc, (int)f, max);
		f = f < 1 ? 1 : f;
		v->fps_target = (unsigned)f < max ? (unsigned)f : max;
	} else if (at_login) {
		v->fps_target = max;
	}
	if (o->supported_decoding != NULL || at_login) {
		enum venc_codec c = pick_codec(ss, o->supported_decoding);

		codec_changed = c != v->codec;
		v->codec = c;
	}
	if (o->show_remote_cursor == BOOL_OPTION_YES)
		v->show_cursor_pos = true;
	else if (o->show_remote_cursor == BOOL_OPTION_NO)
		v->show_cursor_pos = false;
	/* Positions are polled only while the client wants them. */
	if (v->show_cursor_pos && !v->stopping)
		uv_timer_start(&v->cursor_timer, session__screen_cursor_poll,
			VIDEO_CURSOR_POLL_MS, VIDEO_CURSOR_POLL_MS);
	else if (!v->stopping)
		uv_timer_stop(&v->cursor_timer);
	if (o->block_input == BOOL_OPTION_YES ||
		o->block_input == BOOL_OPTION_NO)
		send_block_input_state(ss, o->block_input == BOOL_OPTION_YES);
	if (o->lock_after_session_end != 0)
		ss->lock_after_end =
			o->lock_after_session_end == BOOL_OPTION_YES;
	if (o->disable_keyboard != 0)
		ss->keyboard_disabled = o->disable_keyboard == BOOL_OPTION_YES;
	if (o->disable_clipboard != 0)
		ss->clipboard_disabled =
			o->disable_clipboard == BOOL_OPTION_YES;
	if (!at_login) {
		session__input_permission(ss);
		session__video_reconfigure(v, codec_changed);
	}
}

void
session__screen_fill_display(const struct capture_display *d,
	Hbb__DisplayInfo *out)
{
	out->x = d->x;
	out->y = d->y;
	out->width = (int32_t)d->width;
	out->height = (int32_t)d->height;
	out->name = (char *)d->name;
	out->online = true;
	out->cursor_embedded = false;
	out->scale = 1.0;
}

static void
send_switch_display(struct session_video *v, int i)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__SwitchDisplay sd = HBB__SWITCH_DISPLAY__INIT;
	Hbb__Resolution orig = HBB__RESOLUTION__INIT;
	const struct capture_display *d = &v->disp[i];

	sd.display = i;
	sd.x = d->x;
	sd.y = d->y;
	sd.width = (int32_t)d->width;
	sd.height = (int32_t)d->height;
	orig.width = (int32_t)d->width;
	orig.height = (int32_t)d->height;
	sd.original_resolution = &orig;
	misc.union_case = HBB__MISC__UNION_SWITCH_DISPLAY;
	misc.switch_display = &sd;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	(void)session__send(v->ss, &m);
}

/* A display index from the client: 0 when it exists, else the client is
 * told (rate-limited) and the request is ignored. */
static int
check_display(struct session_video *v, int32_t i, const char *what)
{
	char text[160];

	if (i >= 0 && i < v->ndisplays)
		return 0;
	v->ss->dropped++;
	log_info("session %s: %s of display %d refused (the host has %d)",
		v->ss->desc, what, (int)i, v->ndisplays);
	if (v->ss->dropped <= 16) {
		snprintf(text, sizeof(text), "The host has no display %d; it "
			"has %d (0 to %d).", (int)i, v->ndisplays,
			v->ndisplays - 1);
		session__screen_message_box(v->ss, "Display", text);
	}
	return -1;
}

static void
on_capture_displays(struct session_video *v, const Hbb__CaptureDisplays *cd)
{
	int set[CAPTURE_MAX_DISPLAYS];
	int n = 0;
	bool add = cd->n_set == 0;
	const int32_t *list = add ? cd->add : cd->set;
	size_t cnt = add ? cd->n_add : cd->n_set;

	if (cnt > 64) { /* more than any host has: refuse the message */
		v->ss->dropped++;
		return;
	}
	for (size_t i = 0; i < cnt; i++)
		if (check_display(v, list[i], "capture") == 0 &&
			n < CAPTURE_MAX_DISPLAYS)
			set[n++] = list[i];
	/* A list naming no display that exists changes nothing. */
	if (n > 0)
		session__video_subscribe(v, set, n, add);
}

int
session__screen_on_misc(struct session *ss, const Hbb__Misc *misc)
{
	struct session_video *v = ss->video;

	if (v == NULL) {
		ss->dropped++;
		return 0;
	}
	switch (misc->union_case) {
	case HBB__MISC__UNION_REFRESH_VIDEO:
		session__video_refresh(v, -1);
		break;
	case HBB__MISC__UNION_REFRESH_VIDEO_DISPLAY:
		if (check_display(v, misc->refresh_video_display, "refresh") ==
			0)
			session__video_refresh(v, misc->refresh_video_display);
		break;
	case HBB__MISC__UNION_SWITCH_DISPLAY:
		if (misc->switch_display == NULL ||
			check_display(v, misc->switch_display->display,
				"switch") != 0)
			break;
		v->current = misc->switch_display->display;
		session__video_subscribe(v, &v->current, 1, false);
		send_switch_display(v, v->current);
		break;
	case HBB__MISC__UNION_CAPTURE_DISPLAYS:
		if (misc->capture_displays != NULL)
			on_capture_displays(v, misc->capture_displays);
		break;
	case HBB__MISC__UNION_MESSAGE_QUERY:
		if (misc->message_query != NULL &&
			check_display(v, misc->message_query->switch_display,
				"query") == 0)
			send_switch_display(v,
				misc->message_query->switch_display);
		break;
	case HBB__MISC__UNION_VIDEO_RECEIVED:
		session__video_acked(v);
		break;
	case HBB__MISC__UNION_OPTION:
		session__screen_options(v, misc->option, false);
		break;
	case HBB__MISC__UNION_TOGGLE_PRIVACY_MODE:
		send_privacy_not_supported(ss,
			misc->toggle_privacy_mode != NULL ?
				misc->toggle_privacy_mode->impl_key :
				NULL);
		break;
	case HBB__MISC__UNION_CHANGE_RESOLUTION:
	case HBB__MISC__UNION_CHANGE_DISPLAY_RESOLUTION:
	case HBB__MISC__UNION_AUTO_ADJUST_FPS:
	case HBB__MISC__UNION_FULL_SPEED_FPS:
	case HBB__MISC__UNION_CLIENT_RECORD_STATUS:
		break; /* §7.4, §13.4: optional / stored only */
	default:
		ss->dropped++;
		break;
	}
	return 0;
}

static bool
cursor_known(struct session_video *v, uint64_t id)
{
	unsigned n = v->cursor_n < VIDEO_CURSOR_CACHE ? v->cursor_n :
							VIDEO_CURSOR_CACHE;

	for (unsigned i = 0; i < n; i++)
		if (v->cursor_ids[i] == id)
			return true;
	v->cursor_ids[v->cursor_n++ % VIDEO_CURSOR_CACHE] = id;
	return false;
}

/* §8: a shape goes once per connection as CursorData (zstd RGBA), later
 * by id. */
void
session__screen_cursor(struct session_video *v)
{
	struct capture_cursor cur;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__CursorData cd = HBB__CURSOR_DATA__INIT;
	size_t raw, bound, z;
	uint8_t *buf;

	if (capture_cursor(v->cap, &cur) != 0)
		return;
	if (cursor_known(v, cur.serial)) {
		m.union_case = HBB__MESSAGE__UNION_CURSOR_ID;
		m.cursor_id = cur.serial;
		(void)session__send(v->ss, &m);
		capture_cursor_free(&cur);
		return;
	}
	raw = (size_t)cur.width * cur.height * 4;
	bound = ZSTD_compressBound(raw);
	if ((buf = malloc(bound)) != NULL) {
		z = ZSTD_compress(buf, bound, cur.rgba, raw, 3);
		if (!ZSTD_isError(z)) {
			cd.id = cur.serial;
			cd.hotx = cur.hotx;
			cd.hoty = cur.hoty;
			cd.width = (int32_t)cur.width;
			cd.height = (int32_t)cur.height;
			cd.colors.data = buf;
			cd.colors.len = z;
			m.union_case = HBB__MESSAGE__UNION_CURSOR_DATA;
			m.cursor_data = &cd;
			(void)session__send(v->ss, &m);
		}
		free(buf);
	}
	capture_cursor_free(&cur);
}

static void
send_cursor_position(struct session_video *v)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__CursorPosition cp = HBB__CURSOR_POSITION__INIT;
	int32_t x, y;

	if (capture_pointer(v->cap, &x, &y) != 0 ||
		(x == v->cur_x && y == v->cur_y))
		return;
	v->cur_x = cp.x = x;
	v->cur_y = cp.y = y;
	m.union_case = HBB__MESSAGE__UNION_CURSOR_POSITION;
	m.cursor_position = &cp;
	(void)session__send(v->ss, &m);
}

void
session__screen_cursor_poll(uv_timer_t *t)
{
	struct session_video *v = t->data;

	if (!v->stopping && v->show_cursor_pos)
		send_cursor_position(v);
}

/* §7.4: a standalone PeerInfo with the new displays, then the current
 * display's description; streams restart with key frames. */
void
session__screen_on_layout(struct session_video *v)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;
	Hbb__DisplayInfo di[CAPTURE_MAX_DISPLAYS];
	Hbb__DisplayInfo *dis[CAPTURE_MAX_DISPLAYS];
	int n = capture_displays(v->cap, v->disp, CAPTURE_MAX_DISPLAYS);

	if (n <= 0)
		return;
	v->ndisplays = n;
	if (v->current >= n)
		v->current = 0;
	for (int i = 0; i < n; i++) {
		hbb__display_info__init(&di[i]);
		session__screen_fill_display(&v->disp[i], &di[i]);
		dis[i] = &di[i];
	}
	pi.n_displays = (size_t)n;
	pi.displays = dis;
	pi.current_display = 0;
	m.union_case = HBB__MESSAGE__UNION_PEER_INFO;
	m.peer_info = &pi;
	(void)session__send(v->ss, &m);
	send_switch_display(v, v->current);
	session__video_layout_changed(v);
}

void
session_screen_event(struct session *ss, struct capture *c, unsigned mask)
{
	struct session_video *v = ss->video;

	if (v == NULL || v->cap != c || v->stopping ||
		ss->state != SS_AUTHORIZED)
		return;
	if (mask & CAPTURE_EV_GONE) {
		session_close(ss, ss->desktop == DESKTOP_X11 ?
				"The host's display went away (its X server "
				"ended)" :
				"The host's display went away (its Wayland "
				"compositor ended)");
		return;
	}
	if (mask & CAPTURE_EV_LAYOUT)
		session__screen_on_layout(v);
	if (mask & CAPTURE_EV_CURSOR)
		session__screen_cursor(v);
	if (mask & CAPTURE_EV_DAMAGE)
		session__video_kick(v);
}

/* After login: start streaming the current display. */
void
session__screen_start(struct session *ss, struct session_video *v)
{
	int cur = v->current;

	session__screen_options(v, &ss->login_opts.opt, true);
	v->ack_required = ss->login_opts.ack_required;
	session__video_subscribe(v, &cur, 1, false);
	session__screen_cursor(v);
}

static void
send_peer_info(struct session *ss, const char *no_screen)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginResponse lr = HBB__LOGIN_RESPONSE__INIT;
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;
	Hbb__DisplayInfo di[CAPTURE_MAX_DISPLAYS];
	Hbb__DisplayInfo *dis[CAPTURE_MAX_DISPLAYS];
	Hbb__SupportedEncoding enc = HBB__SUPPORTED_ENCODING__INIT;
	Hbb__CodecAbility i444 = HBB__CODEC_ABILITY__INIT;
	Hbb__Features feat = HBB__FEATURES__INIT;
	struct session_video *v = ss->video;
	int n = v != NULL ? v->ndisplays : 0;

	/* §17 item 16: a file-transfer client needs a non-empty username. */
	pi.username = (char *)(ss->env.username[0] ? ss->env.username :
			ss->kind == SESSION_FILE_TRANSFER ? "outpost" :
							     "");
	pi.hostname = (char *)ss->env.hostname;
	/* Stock clients key their keyboard mapping, Ctrl+Alt+Del and file
	 * paths' separators on it. */
#ifdef _WIN32
	pi.platform = "Windows";
#else
	pi.platform = "Linux";
#endif
	/* §13.7/§16: a stock client offers terminals only to a host that
	 * says features.terminal and is at least 1.4.1; both are said only
	 * when the policy allows terminals, so a host without them keeps
	 * announcing the version it fully implements. */
	pi.version = (char *)(ss->term_offered ? SESSION_TERMINAL_VERSION :
						  ss->env.version);
	feat.terminal = ss->term_offered;
	/* §7.2: VP9 is implied; VP8 is offered; no hardware codecs, no
	 * AV1, no I444. */
	enc.vp8 = true;
	enc.i444 = &i444;
	pi.encoding = &enc;
	pi.features = &feat;
	pi.platform_additions = "{}";
	for (int i = 0; i < n; i++) {
		hbb__display_info__init(&di[i]);
		session__screen_fill_display(&v->disp[i], &di[i]);
		dis[i] = &di[i];
	}
	if (n == 0) {
		/* Clients refuse a desktop session without displays ("No
		 * displays"): one placeholder names why there is no screen. */
		hbb__display_info__init(&di[0]);
		di[0].width = 1280;
		di[0].height = 720;
		di[0].name = (char *)(no_screen ? no_screen : "no display");
		di[0].online = false;
		di[0].scale = 1.0;
		dis[0] = &di[0];
		n = 1;
	}
	pi.n_displays = (size_t)n;
	pi.displays = dis;
	pi.current_display = v != NULL ? v->current : 0;
	lr.union_case = HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
	lr.peer_info = &pi;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_RESPONSE;
	m.login_response = &lr;
	(void)session__send(ss, &m);
}

void
session__screen_release(struct session *ss)
{
	const struct session_hooks *hk = ss->env.hooks;
	struct session_video *v = ss->video;

	ss->video = NULL;
	if (v != NULL) {
		session__video_stop(v); /* releases when its jobs end */
	} else if (ss->screen != NULL && hk != NULL &&
		hk->screen_released != NULL) {
		hk->screen_released(ss->env.arg, ss);
	}
	ss->screen = NULL;
}

void
session__screen_grant(struct session *ss, const struct session_grant *g)
{
	const char *why = g != NULL ? g->no_screen : NULL;

	ss->screen = g != NULL ? g->screen : NULL;
	if (ss->screen != NULL && ss->kind == SESSION_DESKTOP) {
		ss->video = session__video_new(ss, ss->screen);
		if (ss->video != NULL && ss->video->ndisplays == 0) {
			session__screen_release(ss);
			why = "the display has no usable screen";
		} else if (ss->video == NULL) {
			session__screen_release(ss);
			why = "out of memory";
		}
	} else if (ss->screen != NULL) {
		session__screen_release(ss);
	}
	send_peer_info(ss, why);
	if (ss->video != NULL) {
		session__screen_start(ss, ss->video);
	} else if (ss->kind == SESSION_DESKTOP) {
		char text[256];

		snprintf(text, sizeof(text), "Logged in, but there is no "
			"screen to show: %s.", why ? why : "no display");
		session__screen_message_box(ss, "Outpost", text);
	}
}
