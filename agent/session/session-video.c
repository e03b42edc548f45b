/* SPDX-License-Identifier: MIT */
/*
 * Screen streams of one desktop session (§7). Per subscribed display: a
 * grabber and an encoder, and at most one grab+convert+encode job in
 * flight on libuv's thread pool, so the loop never waits on a frame.
 *
 * Pacing: damage (capture_damage_seq) says a display changed; a one-shot
 * timer starts a job no sooner than 1/fps after the previous one, and
 * only while the socket queue is short and (when the client asked for
 * acks) fewer than VIDEO_ACK_WINDOW frames are unacknowledged. When a
 * frame is blocked by acks or the socket, fps is lowered (floor
 * VIDEO_MIN_FPS) and raised again by 1/s once frames flow. After a
 * change, the still image is re-encoded until the encoder converges
 * (VIDEO_REFINE_*): a realtime CBR key frame of dense text is rough.
 * With nothing changing after that, no timer runs and nothing is
 * grabbed.
 */
#include "session/session-video.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "net/stream.h"
#include "session/session-internal.h"

static void vstream_free(struct vstream *st);

/* The quality's bitrate (§7.3) before the network scale. */
static uint32_t
quality_kbps(const struct session_video *v, const struct vstream *st)
{
	return venc_target_kbps(st->geom.width, st->geom.height,
		venc_quality_ratio(v->image_quality, v->custom_quality));
}

uint32_t
session__video_stream_kbps(const struct session_video *v,
	const struct vstream *st)
{
	double k = (double)quality_kbps(v, st) * v->net_scale;

	return k < 10 ? 10u : (uint32_t)k;
}

/* Once a second: scale the bitrate by what the network delivered. */
static void
net_update(struct session_video *v, uint64_t now)
{
	uint64_t span = now - v->net_period_ms;
	uint32_t delay = v->net_delay_ms;
	uint32_t want = 0;
	double s = v->net_scale;

	if (span < 1000)
		return;
	/* Without acks, the TestDelay round trip (queued behind the video
	 * like a frame) is the delay; a frame still unacknowledged counts
	 * for how long it has been waiting. */
	if (!v->ack_required && v->ss->rtt_ms > delay)
		delay = v->ss->rtt_ms;
	if (v->inflight_n > 0 && now - v->inflight[v->inflight_head].ms > delay)
		delay = (uint32_t)(now - v->inflight[v->inflight_head].ms);
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++)
		if (v->streams[i] != NULL)
			want += quality_kbps(v, v->streams[i]);
	if (delay > VIDEO_NET_SLOW_MS) {
		/* A backlog: down a quarter, or to a little under what the
		 * client acknowledged (the link's rate while frames waited on
		 * it), but at most by half in one step. */
		double acked = (double)v->net_acked * 8.0 / (double)span;
		double to = s * 0.75;

		if (v->ack_required && v->net_lagged && want > 0 && acked > 0 &&
			0.9 * acked / want < to)
			to = 0.9 * acked / want;
		s = to < s * 0.5 ? s * 0.5 : to;
		v->net_down_ms = now;
	} else if (v->net_lagged && delay > VIDEO_NET_OK_MS) {
		s *= 0.9; /* about full: back off a little */
		v->net_down_ms = now;
	} else if (delay < VIDEO_NET_OK_MS && !v->net_lagged &&
		now - v->net_down_ms >= VIDEO_NET_RAISE_MS) {
		s *= 1.2;
	}
	s = s < VIDEO_NET_MIN_SCALE ? VIDEO_NET_MIN_SCALE : s > 1.0 ? 1.0 : s;
	if (s != v->net_scale)
		log_debug("session %s: network delay %u ms, %s: bitrate x%.2f",
			session_describe(v->ss), delay,
			v->net_lagged ? "frames waited" : "flowing", s);
	v->net_scale = s;
	v->net_period_ms = now;
	v->net_delay_ms = 0;
	v->net_acked = 0;
	v->net_lagged = false;
}

void
session__video_acked(struct session_video *v)
{
	uint64_t now = op_now_ms();

	if (v->unacked > 0)
		v->unacked--;
	v->last_ack_ms = now;
	if (v->inflight_n > 0) {
		uint64_t d = now - v->inflight[v->inflight_head].ms;

		if (d > v->net_delay_ms)
			v->net_delay_ms = d > UINT32_MAX ? UINT32_MAX :
							  (uint32_t)d;
		v->net_acked += v->inflight[v->inflight_head].bytes;
		v->inflight_head = (v->inflight_head + 1) % VIDEO_INFLIGHT;
		v->inflight_n--;
	}
	net_update(v, now);
	session__video_kick(v);
}

#define WAIT_RATE 1u
#define WAIT_ACK 2u
#define WAIT_QUEUE 4u

/* Earns the budget for the time since the last call (kbps x ms = bits). */
static void
budget_fill(const struct session_video *v, struct vstream *st, uint64_t now)
{
	double kbps = (double)session__video_stream_kbps(v, st);
	double cap = kbps * VIDEO_BUDGET_BURST_MS;

	if (st->budget_ms != 0 && now > st->budget_ms)
		st->budget += kbps * (double)(now - st->budget_ms);
	st->budget_ms = now;
	if (st->budget > cap)
		st->budget = cap;
}

static void
video_unref(struct session_video *v)
{
	struct session *ss = v->ss;

	if (--v->refs > 0)
		return;
	free(v);
	if (ss->env.hooks != NULL && ss->env.hooks->screen_released != NULL)
		ss->env.hooks->screen_released(ss->env.arg, ss);
	session__unref(ss);
}

/* Worker thread: grab, convert, encode. Only [job] fields are used. */
/*
 * The screen is grabbed and converted in bands of about 1 MiB of BGRA,
 * so the grab buffer shared with the X server is 1 MiB rather than a
 * whole 1080p frame (8 MiB); the encoder's I420 picture is filled band
 * by band. 8 round trips to the server instead of one per 1080p frame.
 */
#define VIDEO_GRAB_BAND_BYTES (1u << 20)

static uint32_t
grab_rows(const struct capture_display *d, enum venc_codec codec)
{
	uint32_t rows = VIDEO_GRAB_BAND_BYTES / (d->width ? d->width * 4u : 4u);

	/* VP8 follows scrolls by comparing whole pictures (vscroll.h): one
	 * grab is one moment, where bands grabbed while a terminal scrolls
	 * show different moments (8 MiB of shared memory at 1080p). */
	if (codec == VENC_VP8)
		return d->height;

	rows &= ~1u; /* I420: two rows per chroma row */
	return rows < 2 ? 2 : rows;
}

static void
job_run(uv_work_t *w)
{
	struct vstream *st = w->data;
	struct capture_image img;
	uint64_t t;
	int r;

	st->job_out.npackets = 0;
	if (st->enc != NULL && (st->params.codec != st->job_codec)) {
		venc_free(st->enc);
		st->enc = NULL;
	}
	if (st->enc == NULL) {
		st->params = (struct venc_params){
			.codec = st->job_codec,
			.width = st->geom.width,
			.height = st->geom.height,
			.bitrate_kbps = st->job_kbps,
			.fps = st->job_fps,
		};
		if ((r = venc_new(&st->params, &st->enc)) != 0) {
			st->job_r = r;
			return;
		}
		st->job_key = true;
	} else if (st->params.bitrate_kbps != st->job_kbps ||
		st->params.fps != st->job_fps) {
		st->params.bitrate_kbps = st->job_kbps;
		st->params.fps = st->job_fps;
		(void)venc_set_rate(st->enc, st->job_kbps, st->job_fps);
	}
	/* Refinement frames of a still image get the quality boost. */
	(void)venc_set_boost(st->enc, !st->job_damage && !st->job_key);
	t = op_now_us();
	st->job_grab_ms = 0;
	for (uint32_t y = 0; y < st->geom.height; y += img.height) {
		uint32_t n = st->geom.height - y;

		if (n > st->grab_band)
			n = st->grab_band;
		if ((r = capture_grab_rows(st->grabber, y, n, &img)) != 0) {
			st->job_r = r == OP_ERR_RANGE ? OP_ERR_STATE : r;
			return;
		}
		st->job_grab_ms += (double)(op_now_us() - t) / 1000.0;
		if (img.width != st->geom.width || img.height != n) {
			st->job_r = OP_ERR_STATE;
			return;
		}
		if ((r = venc_convert_rows(st->enc, img.data, img.stride, y,
			     n)) != 0) {
			st->job_r = r;
			return;
		}
		t = op_now_us();
	}
	st->job_r = venc_encode_converted(st->enc, st->job_pts, st->job_key,
		&st->job_out);
}

static int
send_frame(struct vstream *st)
{
	struct session_video *v = st->v;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__VideoFrame vf = HBB__VIDEO_FRAME__INIT;
	Hbb__EncodedVideoFrames efs = HBB__ENCODED_VIDEO_FRAMES__INIT;
	Hbb__EncodedVideoFrame ef[VENC_MAX_PACKETS];
	Hbb__EncodedVideoFrame *efp[VENC_MAX_PACKETS];
	const struct venc_output *o = &st->job_out;
	bool key = false;
	size_t bytes = 0;
	int r;

	for (int i = 0; i < o->npackets; i++) {
		hbb__encoded_video_frame__init(&ef[i]);
		ef[i].data.data = (uint8_t *)o->pkt[i].data;
		ef[i].data.len = o->pkt[i].len;
		ef[i].key = o->pkt[i].key;
		ef[i].pts = st->job_pts;
		efp[i] = &ef[i];
		key = key || o->pkt[i].key;
		bytes += o->pkt[i].len;
	}
	efs.n_frames = (size_t)o->npackets;
	efs.frames = efp;
	if (st->job_codec == VENC_VP8) {
		vf.union_case = HBB__VIDEO_FRAME__UNION_VP8S;
		vf.vp8s = &efs;
	} else {
		vf.union_case = HBB__VIDEO_FRAME__UNION_VP9S;
		vf.vp9s = &efs;
	}
	vf.display = st->display;
	m.union_case = HBB__MESSAGE__UNION_VIDEO_FRAME;
	m.video_frame = &vf;
	if ((r = session__send(v->ss, &m)) != 0)
		return r;
	st->frames++;
	st->key_frames += key;
	st->bytes += bytes;
	budget_fill(v, st, op_now_ms());
	st->budget -= (double)bytes * 8.0;
	if (!st->job_damage && !key) {
		double cap = (double)session__video_stream_kbps(v, st) * VIDEO_CHANGE_ALLOW_MS;

		st->change_allow = st->budget >= 0 ? 0 :
			-st->budget < cap ? -st->budget : cap;
	} else {
		st->change_allow -= (double)bytes * 8.0;
		if (st->change_allow < 0)
			st->change_allow = 0;
	}
	if (key)
		st->last_key_ms = op_now_ms();
	if (v->ack_required && v->unacked++ == 0)
		v->last_ack_ms = op_now_ms();
	if (v->ack_required) {
		unsigned k = (v->inflight_head + v->inflight_n) % VIDEO_INFLIGHT;

		if (v->inflight_n == VIDEO_INFLIGHT) { /* forget the oldest */
			v->inflight_head = (v->inflight_head + 1) % VIDEO_INFLIGHT;
			v->inflight_n--;
			k = (v->inflight_head + v->inflight_n) % VIDEO_INFLIGHT;
		}
		v->inflight[k].ms = op_now_ms();
		v->inflight[k].bytes = bytes > UINT32_MAX ? UINT32_MAX :
							    (uint32_t)bytes;
		v->inflight_n++;
	}
	return 0;
}

static void
change_latency(struct vstream *st, uint64_t ms)
{
	uint32_t v = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;

	st->chg_ms[st->chg_n++ % VIDEO_LAT_SAMPLES] = v;
	if (v > st->chg_max_ms)
		st->chg_max_ms = v;
}

static void
job_done(uv_work_t *w, int status)
{
	struct vstream *st = w->data;
	struct session_video *v = st->v;
	int r = status != 0 ? status : st->job_r;

	st->busy = false;
	if (st->dead || v->stopping) {
		vstream_free(st);
		video_unref(v);
		return;
	}
	if (r == 0 && st->job_out.npackets > 0) {
		size_t sz = 0;

		for (int i = 0; i < st->job_out.npackets; i++)
			sz += st->job_out.pkt[i].len;
		if (st->job_damage || st->job_key)
			st->refine = VIDEO_REFINE_FRAMES;
		else if (st->refine > 0 && (--st->refine == 0 ||
						   sz < VIDEO_REFINE_DONE_BYTES))
			st->refine = 0; /* a boosted frame was sent */
		/* A step of a long scroll: the screen is further on. */
		st->behind = st->job_out.behind;
		if (send_frame(st) != 0) {
			/* The queue is full: this frame is lost, the next one
			 * must stand alone. */
			st->want_key = true;
			st->skipped++;
		} else {
			uint64_t lat = (op_now_us() - st->job_t0_us) / 1000u;

			st->lat_ms[st->lat_n++ % VIDEO_LAT_SAMPLES] =
				lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
			if (st->job_changed_ms != 0)
				change_latency(st, op_now_ms() -
						st->job_changed_ms);
			st->sum_capture_ms += st->job_grab_ms;
			st->sum_convert_ms += st->job_out.convert_ms;
			st->sum_encode_ms += st->job_out.encode_ms;
			if (st->job_out.quantizer >= 0) {
				st->sum_q += st->job_out.quantizer;
				st->q_n++;
			}
			st->q_top += st->job_out.top_q;
		}
	} else if (r == 0) {
		/* Rate control dropped it: the image (and a key frame that
		 * was asked for) must still go out. */
		st->skipped++;
		st->want_key = st->want_key || st->job_key;
		if (st->refine == 0)
			st->refine = VIDEO_REFINE_FRAMES;
	} else if (r == OP_ERR_STATE) {
		st->stale = true; /* a layout event follows */
		st->want_key = true;
	} else if (r != OP_ERR_GONE) {
		log_warn("session %s: display %d: %s", session_describe(v->ss),
			st->display, op_strerror(r));
		st->want_key = true;
		if (r == OP_ERR_INTERNAL) { /* libvpx failed: a new encoder */
			venc_free(st->enc);
			st->enc = NULL;
		}
	}
	video_unref(v);
	session__video_kick(v);
}

/* Why st cannot start a frame now: 0 = it can, 1 = nothing to do,
 * 2 = later (fps interval, acks, socket). */
static int
blocked(struct session_video *v, struct vstream *st, uint64_t now,
	uint64_t *wake)
{
	bool still;

	if (st->busy || st->stale)
		return 1;
	still = !st->want_key && !st->behind &&
		capture_damage_seq(v->cap, st->display) == st->seen_seq;
	if (still && st->refine == 0)
		return 1;
	/* Refinement waits a little longer than the frame interval, so
	 * typing does not pay for it on every keystroke. */
	/* A step of a long scroll goes at once: the stream is late. */
	if (!st->behind &&
		now < st->next_ms + (still ? VIDEO_REFINE_GAP_MS : 0)) {
		*wake = st->next_ms + (still ? VIDEO_REFINE_GAP_MS : 0);
		return 2;
	}
	/* The rate budget: in debt, wait until it is paid off (but see
	 * VIDEO_CHANGE_ALLOW_MS). */
	budget_fill(v, st, now);
	if (st->budget < 0 && (still || st->change_allow <= 0)) {
		double kbps = (double)session__video_stream_kbps(v, st);

		*wake = now + 1 + (uint64_t)(-st->budget / (kbps > 1 ? kbps : 1));
		st->waited |= WAIT_RATE;
		return 2;
	}
	/* A slow link (bitrate scaled down) gets RustDesk's window of
	 * one: a second frame queued behind the first is pure delay. */
	if (v->ack_required &&
		v->unacked >= (v->net_scale < 1.0 ? 1u : VIDEO_ACK_WINDOW) &&
		now - v->last_ack_ms < VIDEO_ACK_TIMEOUT_MS) {
		st->waited |= WAIT_ACK;
		return 3;
	}
	if (stream_queued(v->ss->s) > VIDEO_MAX_QUEUED) {
		st->waited |= WAIT_QUEUE;
		return 3;
	}
	return 0;
}

static void
start_job(struct session_video *v, struct vstream *st, uint64_t now)
{
	if (st->grabber == NULL) {
		st->grab_band = grab_rows(&st->geom, v->codec);
		if (capture_grabber_new_rows(v->cap, st->display, st->grab_band,
			    &st->grabber) != 0) {
			st->stale = true;
			return;
		}
	}
	if (st->enc == NULL)
		st->enc_start_ms = now;
	st->job_damage = st->behind ||
		capture_damage_seq(v->cap, st->display) != st->seen_seq;
	st->behind = false;
	st->job_changed_ms = !st->job_damage ? 0 :
		st->changed_ms != 0 ? st->changed_ms : now;
	st->changed_ms = 0;
	st->seen_seq = capture_damage_seq(v->cap, st->display);
	st->job_key = st->want_key;
	st->want_key = false;
	st->rate_waits += (st->waited & WAIT_RATE) != 0;
	st->ack_waits += (st->waited & WAIT_ACK) != 0;
	st->queue_waits += (st->waited & WAIT_QUEUE) != 0;
	st->waited = 0;
	st->job_pts = (int64_t)(now - st->enc_start_ms);
	st->job_codec = v->codec;
	st->job_kbps = session__video_stream_kbps(v, st);
	st->job_fps = v->fps_now;
	st->job_t0_us = op_now_us();
	st->job_r = 0;
	{
		uint64_t iv = 1000u / (v->fps_now ? v->fps_now : 1);

		/* A steady cadence: a frame that took longer than the
		 * interval is made up by the next one starting at once, so
		 * jitter does not push every later frame back. Further
		 * behind (an idle pause), the cadence starts anew. */
		st->next_ms = now - st->next_ms < 2 * iv ?
			st->next_ms + iv : now + iv;
	}
	st->work.data = st;
	if (uv_queue_work(v->ss->env.loop, &st->work, job_run, job_done) !=
		0) {
		st->want_key = true;
		return;
	}
	st->busy = true;
	v->refs++;
}

/* Lowers fps while frames wait on acks or the socket; raises it again
 * by one per second once they flow. */
static void
adjust_fps(struct session_video *v, bool lagging, uint64_t now)
{
	if (lagging) {
		if (++v->blocked_ticks >= 3 && v->fps_now > VIDEO_MIN_FPS) {
			v->fps_now = v->fps_now * 4 / 5;
			if (v->fps_now < VIDEO_MIN_FPS)
				v->fps_now = VIDEO_MIN_FPS;
			v->blocked_ticks = 0;
		}
		return;
	}
	v->blocked_ticks = 0;
	if (v->fps_now < v->fps_target && now - v->last_raise_ms >= 1000) {
		v->fps_now++;
		v->last_raise_ms = now;
	}
}

static void
on_pace(uv_timer_t *t)
{
	struct session_video *v = t->data;
	uint64_t now = op_now_ms();
	uint64_t wake = UINT64_MAX;
	bool lagging = false;

	if (v->stopping)
		return;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		struct vstream *st = v->streams[i];
		uint64_t at = UINT64_MAX;
		int b;

		if (st == NULL)
			continue;
		/* Each DAMAGE kicks the pacing: the first one a frame will
		 * show starts its change latency. */
		if (st->changed_ms == 0 &&
			capture_damage_seq(v->cap, st->display) != st->seen_seq)
			st->changed_ms = now;
		if ((b = blocked(v, st, now, &at)) == 0) {
			start_job(v, st, now);
			continue;
		}
		if (b == 2 && at < wake)
			wake = at;
		if (b == 3) {
			lagging = true;
			if (now + 10 < wake)
				wake = now + 10;
		}
	}
	adjust_fps(v, lagging, now);
	v->net_lagged = v->net_lagged || lagging;
	net_update(v, now);
	if (wake != UINT64_MAX)
		uv_timer_start(&v->pace, on_pace, wake > now ? wake - now : 0,
			0);
}

void
session__video_kick(struct session_video *v)
{
	if (v->stopping)
		return;
	/* An armed timer may wait for something later than what the kick
	 * brings (a refinement frame, 100 ms past the cadence, while the
	 * screen has changed again): run the pacing now, it re-arms. */
	if (uv_is_active((uv_handle_t *)&v->pace) &&
		uv_timer_get_due_in(&v->pace) == 0)
		return;
	uv_timer_start(&v->pace, on_pace, 0, 0);
}

static struct vstream *
vstream_new(struct session_video *v, int display)
{
	struct vstream *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->v = v;
	st->display = display;
	st->geom = v->disp[display];
	st->want_key = true;
	st->damage0 = capture_damage_seq(v->cap, display);
	return st;
}

static void
vstream_free(struct vstream *st)
{
	capture_grabber_free(st->grabber);
	venc_free(st->enc);
	free(st);
}

/* Drops a stream now, or after its job. */
static void
vstream_drop(struct session_video *v, int i)
{
	struct vstream *st = v->streams[i];

	v->streams[i] = NULL;
	if (st == NULL)
		return;
	if (st->busy)
		st->dead = true;
	else
		vstream_free(st);
}

void
session__video_subscribe(struct session_video *v, const int *set, int n,
	bool add)
{
	bool want[CAPTURE_MAX_DISPLAYS] = { false };

	for (int i = 0; i < n; i++)
		if (set[i] >= 0 && set[i] < v->ndisplays)
			want[set[i]] = true;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		if (want[i] && v->streams[i] == NULL)
			v->streams[i] = vstream_new(v, i);
		else if (!want[i] && !add)
			vstream_drop(v, i);
	}
	session__video_kick(v);
}

void
session__video_refresh(struct session_video *v, int display)
{
	uint64_t now = op_now_ms();

	/* A flood of refresh requests costs at most one key frame per
	 * VIDEO_KEY_MIN_GAP_MS per display; the rest are counted. */
	if (now - v->refresh_window_ms >= 1000) {
		if (v->refresh_in_window > 50)
			log_warn("session %s: %u refresh requests in a second; "
				 "key frames were rate-limited",
				session_describe(v->ss), v->refresh_in_window);
		v->refresh_window_ms = now;
		v->refresh_in_window = 0;
	}
	v->refresh_in_window++;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		struct vstream *st = v->streams[i];

		if (st == NULL || (display >= 0 && i != display))
			continue;
		if (st->want_key || now - st->last_key_ms < VIDEO_KEY_MIN_GAP_MS) {
			v->refresh_ignored++;
			if (!st->want_key && !st->busy)
				st->next_ms = st->last_key_ms +
					VIDEO_KEY_MIN_GAP_MS;
		}
		st->want_key = true;
	}
	session__video_kick(v);
}

void
session__video_reconfigure(struct session_video *v, bool codec_changed)
{
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++)
		if (v->streams[i] != NULL && codec_changed)
			v->streams[i]->want_key = true;
	if (v->fps_now > v->fps_target || v->fps_now == 0)
		v->fps_now = v->fps_target;
	session__video_kick(v);
}

/* The display list changed: streams on displays that still exist start
 * over (new grabber and encoder, key frame); the others end. */
void
session__video_layout_changed(struct session_video *v)
{
	int keep[CAPTURE_MAX_DISPLAYS];
	int n = 0;

	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		if (v->streams[i] == NULL)
			continue;
		if (i < v->ndisplays)
			keep[n++] = i;
		vstream_drop(v, i);
	}
	if (n == 0)
		keep[n++] = v->current < v->ndisplays ? v->current : 0;
	session__video_subscribe(v, keep, n, false);
}

static void
on_timer_closed(uv_handle_t *h)
{
	video_unref(h->data);
}

struct session_video *
session__video_new(struct session *ss, struct capture *cap)
{
	struct session_video *v = calloc(1, sizeof(*v));
	int n;

	if (v == NULL)
		return NULL;
	v->ss = ss;
	v->cap = cap;
	n = capture_displays(cap, v->disp, CAPTURE_MAX_DISPLAYS);
	v->ndisplays = n > 0 ? n : 0;
	for (int i = 0; i < v->ndisplays; i++)
		if (v->disp[i].primary)
			v->current = i;
	v->fps_target = ss->env.video_max_fps ? ss->env.video_max_fps : 30;
	v->fps_now = v->fps_target;
	v->codec = VENC_VP9;
	v->net_scale = 1.0;
	v->net_period_ms = v->net_down_ms = op_now_ms();
	uv_timer_init(ss->env.loop, &v->pace);
	uv_timer_init(ss->env.loop, &v->cursor_timer);
	v->pace.data = v->cursor_timer.data = v;
	v->refs = 2; /* the two timers */
	ss->pending++; /* released by the last video_unref */
	return v;
}

void
session__video_stop(struct session_video *v)
{
	if (v->stopping)
		return;
	v->stopping = true;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++) {
		struct vstream *st = v->streams[i];

		v->streams[i] = NULL;
		if (st != NULL && !st->busy)
			vstream_free(st);
		/* a busy one is freed by job_done (v->stopping) */
	}
	uv_close((uv_handle_t *)&v->pace, on_timer_closed);
	uv_close((uv_handle_t *)&v->cursor_timer, on_timer_closed);
}

uint32_t
session__video_kbps(const struct session_video *v)
{
	uint32_t sum = 0;

	if (v == NULL || v->stopping)
		return 0;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS; i++)
		if (v->streams[i] != NULL)
			sum += session__video_stream_kbps(v, v->streams[i]);
	return sum;
}
