/* SPDX-License-Identifier: MIT */
/*
 * What a screen stream may send and what it did (§7.3): the target
 * bitrate (the quality's, scaled by what the network delivers, checked
 * once a second from the acks), the rate budget that holds a stream to
 * it, and the per-stream figures of `outpost status`.
 */
#include "session/session-video.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "session/session-internal.h"

/* The quality's bitrate (§7.3) before the network scale. */
static uint32_t
quality_kbps(const struct session_video *v, const struct vstream *st)
{
	return venc_target_kbps(st->geom.width, st->geom.height,
		venc_quality_ratio(v->image_quality, v->custom_quality));
}

uint32_t
session__video_stream_kbps(const struct session_video *v, const struct vstream *st)
{
	double k = (double)quality_kbps(v, st) * v->net_scale;

	return k < 10 ? 10u : (uint32_t)k;
}

/* Once a second: scale the bitrate by what the network delivered. */
void
session__video_net_update(struct session_video *v, uint64_t now)
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
	session__video_net_update(v, now);
	session__video_kick(v);
}

/* Earns the budget for the time since the last call (kbps x ms = bits). */
void
session__video_budget_fill(const struct session_video *v, struct vstream *st, uint64_t now)
{
	double kbps = (double)session__video_stream_kbps(v, st);
	double cap = kbps * VIDEO_BUDGET_BURST_MS;

	if (st->budget_ms != 0 && now > st->budget_ms)
		st->budget += kbps * (double)(now - st->budget_ms);
	st->budget_ms = now;
	if (st->budget > cap)
		st->budget = cap;
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

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
session_video_stats(const struct session *ss, struct session_video_stats *out,
	int max)
{
	const struct session_video *v = ss->video;
	int n = 0;

	if (v == NULL || v->stopping)
		return 0;
	for (int i = 0; i < CAPTURE_MAX_DISPLAYS && n < max; i++) {
		const struct vstream *st = v->streams[i];
		struct session_video_stats *o = &out[n];
		uint32_t lat[VIDEO_LAT_SAMPLES];
		unsigned k;
		double good;

		if (st == NULL)
			continue;
		memset(o, 0, sizeof(*o));
		o->display = i;
		o->codec = venc_codec_name(v->codec);
		o->width = st->geom.width;
		o->height = st->geom.height;
		o->fps_target = v->fps_now;
		o->kbps_target = session__video_stream_kbps(v, st);
		o->frames = st->frames;
		o->key_frames = st->key_frames;
		o->bytes = st->bytes;
		o->skipped = st->skipped;
		o->damage = capture_damage_seq(v->cap, i) - st->damage0;
		o->rate_waits = st->rate_waits;
		o->ack_waits = st->ack_waits;
		o->queue_waits = st->queue_waits;
		good = (double)(st->lat_n ? st->lat_n : 1);
		o->capture_ms = st->sum_capture_ms / good;
		o->convert_ms = st->sum_convert_ms / good;
		o->encode_ms = st->sum_encode_ms / good;
		k = st->lat_n < VIDEO_LAT_SAMPLES ? st->lat_n :
						     VIDEO_LAT_SAMPLES;
		if (k > 0) {
			memcpy(lat, st->lat_ms, k * sizeof(lat[0]));
			qsort(lat, k, sizeof(lat[0]), cmp_u32);
			o->latency_ms_p50 = lat[k / 2];
			o->latency_ms_p95 = lat[(k * 95) / 100 < k ?
						(k * 95) / 100 :
						k - 1];
		}
		n++;
	}
	return n;
}
