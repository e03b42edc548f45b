/* SPDX-License-Identifier: MIT */
/*
 * The screen streams' figures for `outpost status` (session.h,
 * struct session_video_stats): averages and percentiles over the
 * session.
 */
#include <stdlib.h>
#include <string.h>

#include "session/session-internal.h"
#include "session/session-video.h"

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* p50 and p95 of the samples in a ring of VIDEO_LAT_SAMPLES that has
 * seen n; both stay 0 without samples. */
static void
percentiles(const uint32_t *ring, unsigned n, double *p50, double *p95)
{
	uint32_t s[VIDEO_LAT_SAMPLES];
	unsigned k = n < VIDEO_LAT_SAMPLES ? n : VIDEO_LAT_SAMPLES;

	if (k == 0)
		return;
	memcpy(s, ring, k * sizeof(s[0]));
	qsort(s, k, sizeof(s[0]), cmp_u32);
	*p50 = s[k / 2];
	*p95 = s[(k * 95) / 100 < k ? (k * 95) / 100 : k - 1];
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
		o->q_avg = st->q_n ? st->sum_q / (double)st->q_n : -1;
		o->q_top = st->q_top;
		percentiles(st->lat_ms, st->lat_n, &o->latency_ms_p50,
			&o->latency_ms_p95);
		percentiles(st->chg_ms, st->chg_n, &o->change_ms_p50,
			&o->change_ms_p95);
		o->change_ms_max = st->chg_max_ms;
		n++;
	}
	return n;
}
