/* SPDX-License-Identifier: MIT */
/*
 * libvpx VP9/VP8 realtime CBR encoder for screen content (spec §7.3).
 * Each call converts one BGRA frame to I420 with libyuv, encodes it and
 * copies the packets into a buffer the encoder owns, so the caller can
 * send them after the call without holding libvpx state.
 */
#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyuv.h>
#include <uv.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "core/err.h"
#include "video/venc-mem.h"
#include "video/venc.h"
#include "video/vscroll.h"

/* Encoders encode concurrently (read lock) but are created, and encode
 * their first frame, alone (write lock): venc-mem-unix.c then knows the
 * mappings that appear are the new encoder's. */
static pthread_rwlock_t venc_lock = PTHREAD_RWLOCK_INITIALIZER;

/* After a frame this large the token buffer's pages are given back. */
#define TOKENS_RELEASE_BYTES (4u * 1024)

#define DIM_MIN 2u
#define DIM_MAX 8192u
#define KBPS_MIN 10u
#define KBPS_MAX 100000u
#define FPS_MIN 1u
#define FPS_MAX 120u
#define THREADS_MAX 4u
/* A 8192x8192 key frame at the top bitrate stays far below this. */
#define OUT_MAX (16u << 20)

/*
 * VP9's default cpu-used is its fastest realtime speed: full-screen
 * scrolling text at 1080p on two cores (tests/bench/video) encoded in
 * 64 ms at speed 7 (15 fps), in 29 ms at 9 (29 fps). Still images are
 * refined with a quality boost afterwards (venc_set_boost), so the speed
 * costs motion quality only.
 */
#define VP9_SPEED_DEFAULT 9

/*
 * VP8 runs at a fixed speed (cpu-used -8), except the frame after one
 * that took over 1.5 frame intervals, which is coded at 16 (vp8_pace).
 * How long a VP8 frame takes, and how large it is, grows with how far
 * the picture moved since the last one, so a stream that fell behind
 * once (a key frame, a busy core) stayed behind: the bench's 1080p video
 * at fixed speed 6-8 ran at 25-30 fps (15-25 ms a frame) in some runs
 * and at 4 fps (250 ms a frame) in others. A frame at 16 is quick
 * whatever it codes, so the picture after it is close again. libvpx's
 * own choice (a positive cpu-used) picks from the time frames take too
 * but settled at 16 for scrolling, and at 16 the video's frames are
 * twice the budget (16 fps at 3 Mbit/s). Scrolling text needs speed 4
 * and frames at most ~52 px apart to be found at all (tests/bench/video):
 * a scroll that vscroll.h sees is coded at VP8_SPEED_SCROLL, one step
 * at a time when it went further than that (scroll_step).
 */
#define VP8_SPEED 8
#define VP8_SPEED_CATCH_UP 16
#define VP8_SPEED_SCROLL 4
#define VP8_SCROLL_REACH 52 /* px speed 4 finds from nothing */
#define VP8_SCROLL_STEP 48  /* px a step of a longer scroll covers */
/* Steps in a row before the picture itself is coded: a screen that
 * scrolls faster than frames follow, or a change mistaken for a scroll,
 * must not keep the stream behind for good. Catching up after a key
 * frame takes 50-70 steps at 1080p (a step gains ~13 px), so 300
 * (about 10 s). */
#define VP8_SCROLL_MAX_STEPS 300

/*
 * The quantizer may go to the top, and libvpx drops no frame itself:
 * the session holds the bitrate with its budget (session-video.c), which
 * skips a frame before it is grabbed, where libvpx's dropper (RustDesk's
 * threshold 25) decides after the grab and conversion were paid for and
 * then keeps a second, differently sized buffer model. libvpx still
 * raises the quantizer to fit each frame in rate / fps (it is shown at
 * most one frame interval between frames, venc_encode).
 */
#define VENC_MAX_Q 63
#define VENC_BOOST_MAX_Q 22
#define VENC_DROP_THRESH 0

struct venc {
	struct venc_params p;
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
	bool img_ok;
	bool ctx_ok;
	int64_t last_pts;
	int64_t vpx_pts;        /* the clock libvpx sees (see venc_encode) */
	bool adapt_mt;          /* VP9 with threads picked here */
	bool parallel;          /* row-mt on, a tile column per thread */
	int mt_hold;            /* frames until the next switch may happen */
	double enc_avg_ms;      /* smoothed encode time, key frames aside */
	double gap_avg_ms;      /* smoothed time between frames */
	double convert_ms;      /* venc_convert_rows since the last encode */
	uint8_t *out;
	size_t out_cap;
	size_t released;        /* zero pages given back at init */
	bool first_done;        /* the first frame was encoded */
	bool vp8_pace;          /* VP8 at VP8_SPEED, catching up when slow */
	int vp8_next;           /* the speed of the next frame */
	int vp8_cur;            /* the speed libvpx has now */
	unsigned vp8_slow_catch_up; /* slow frames at the catch-up speed */
	bool vp8_need_key;      /* made again: the next frame is a key */
	struct vscroll *scroll; /* VP8 pace: the last picture, for scrolls */
	unsigned scroll_steps;  /* frames in a row that were steps */
	vpx_image_t between;    /* a step of a long scroll (scroll_step) */
	bool between_ok;
	struct venc_mem_chunk tokens; /* libvpx's token buffer, if found */
};

const char *
venc_codec_name(enum venc_codec c)
{
	switch (c) {
	case VENC_VP9:
		return "VP9";
	case VENC_VP8:
		return "VP8";
	}
	return "?";
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* VP8 gets the CPU count too: at speed 8 on one thread the bench's
 * 1080p video was rate-bound or slow, on two it kept 30 fps (and speed 4
 * scrolling took ~36 ms a frame on one thread, ~23 on two), until its
 * cores turn out busy (vp8_go_single). VP9's
 * threads are chosen frame by frame (adapt_threads). */
static unsigned
pick_threads(const struct venc_params *p)
{
	unsigned want = p->threads;

	if (want == 0)
		want = uv_available_parallelism();
	return want > THREADS_MAX ? THREADS_MAX : want;
}

static unsigned
log2_floor(unsigned v)
{
	unsigned r = 0;

	while (v > 1) {
		v >>= 1;
		r++;
	}
	return r;
}

/*
 * VP9's second thread (row-mt, one tile column per thread) buys ~35 %
 * less wall time per 1080p frame for 20-30 % more CPU. With threads
 * picked here it is used only while one thread would take more than
 * MT_ON of the frame interval (the fps, or the real gap between frames
 * when changes come slower), and left when a frame takes less than
 * MT_OFF of it: typing and most desktop work pay for one core,
 * scrolling gets both. MT_HOLD frames pass between switches. While on
 * two threads the loop filter is off too: ~10 % less CPU per scrolling
 * frame for ~0.1 dB; a still picture is refined with it on again.
 */
#define MT_ON 0.6
#define MT_OFF 0.3
#define MT_HOLD 30

static bool
boosted(const struct venc *e)
{
	return e->cfg.rc_max_quantizer == VENC_BOOST_MAX_Q;
}

static int
set_loopfilter(struct venc *e)
{
	bool off = e->adapt_mt && e->parallel && !boosted(e);

	if (vpx_codec_control(&e->ctx, VP9E_SET_DISABLE_LOOPFILTER,
		    off ? 2 : 0))
		return OP_ERR_INTERNAL;
	return 0;
}

/* One tile column per thread: with more (RustDesk asks for 4) two
 * threads spent 20 % more CPU per 1080p frame and were slower
 * (tests/bench/video/encode-bench.c). libvpx clamps the log2 count to
 * what the width allows (tiles >= 256 px). Tile columns are coded in
 * every frame header, so they may change between any two frames. */
static int
set_parallel(struct venc *e, bool on)
{
	int tiles = on ? (int)log2_floor(e->cfg.g_threads) : 0;

	if (vpx_codec_control(&e->ctx, VP9E_SET_ROW_MT, on ? 1 : 0) ||
		vpx_codec_control(&e->ctx, VP9E_SET_TILE_COLUMNS, tiles))
		return OP_ERR_INTERNAL;
	e->parallel = on && e->cfg.g_threads > 1;
	e->mt_hold = MT_HOLD;
	return set_loopfilter(e);
}

static void
adapt_threads(struct venc *e, double encode_ms, int64_t gap_ms, bool key)
{
	double budget;

	if (!e->adapt_mt)
		return;
	if (gap_ms > 0)
		e->gap_avg_ms = e->gap_avg_ms * 0.8 +
			(double)(gap_ms < 1000 ? gap_ms : 1000) * 0.2;
	if (!key)
		e->enc_avg_ms = e->enc_avg_ms * 0.8 + encode_ms * 0.2;
	if (e->mt_hold > 0) {
		e->mt_hold--;
		return;
	}
	budget = 1000.0 / e->p.fps;
	if (e->gap_avg_ms > budget)
		budget = e->gap_avg_ms;
	if (!e->parallel && e->enc_avg_ms > MT_ON * budget)
		(void)set_parallel(e, true);
	else if (e->parallel && e->enc_avg_ms < MT_OFF * budget)
		(void)set_parallel(e, false);
}

/* A frame after a slow one is coded at the catch-up speed; slow catch-up
 * frames are counted for vp8_go_single. */
static void
vp8_pace(struct venc *e, double ms, bool key)
{
	bool slow = ms > 1.5 * 1000.0 / e->p.fps;

	if (!e->vp8_pace || key || boosted(e))
		return;
	if (e->vp8_cur == VP8_SPEED_CATCH_UP)
		e->vp8_slow_catch_up = slow ? e->vp8_slow_catch_up + 1 : 0;
	e->vp8_next = slow ? VP8_SPEED_CATCH_UP : VP8_SPEED;
}

/* Codec-specific controls; libvpx returns an error code per control. */
static int
set_controls_vp9(struct venc *e, int speed)
{
	vpx_codec_ctx_t *c = &e->ctx;

	e->adapt_mt = e->p.threads == 0 && e->cfg.g_threads > 1;
	e->gap_avg_ms = 1000.0 / e->p.fps;
	if (set_parallel(e, !e->adapt_mt) != 0 ||
		vpx_codec_control(c, VP8E_SET_CPUUSED, speed) ||
		vpx_codec_control(c, VP9E_SET_AQ_MODE, 3) ||
		vpx_codec_control(c, VP9E_SET_TUNE_CONTENT,
			VP9E_CONTENT_SCREEN) ||
		vpx_codec_control(c, VP9E_SET_NOISE_SENSITIVITY, 0) ||
		vpx_codec_control(c, VP9E_SET_FRAME_PARALLEL_DECODING, 0))
		return OP_ERR_INTERNAL;
	return 0;
}

static int
set_controls_vp8(struct venc *e, int speed)
{
	vpx_codec_ctx_t *c = &e->ctx;
	unsigned parts = log2_floor(e->cfg.g_threads);

	if (vpx_codec_control(c, VP8E_SET_CPUUSED, speed) ||
		vpx_codec_control(c, VP8E_SET_SCREEN_CONTENT_MODE, 1) ||
		vpx_codec_control(c, VP8E_SET_NOISE_SENSITIVITY, 0) ||
		vpx_codec_control(c, VP8E_SET_STATIC_THRESHOLD, 1) ||
		vpx_codec_control(c, VP8E_SET_TOKEN_PARTITIONS,
			(int)(parts > 3 ? 3 : parts)))
		return OP_ERR_INTERNAL;
	return 0;
}

static void
set_rate(vpx_codec_enc_cfg_t *cfg, uint32_t kbps)
{
	cfg->rc_target_bitrate = kbps;
}

/* Creates libvpx's encoder for e->cfg (its zeroed buffers given back,
 * with every other encoder paused meanwhile) and sets the controls. */
static int
open_ctx(struct venc *e, vpx_codec_iface_t *iface, int speed)
{
	struct venc_mem mem;

	pthread_rwlock_wrlock(&venc_lock);
	venc_mem_before(&mem);
	if (vpx_codec_enc_init(&e->ctx, iface, &e->cfg, 0) == VPX_CODEC_OK) {
		e->ctx_ok = true;
		e->released += venc_mem_after(&mem, &e->tokens);
	}
	pthread_rwlock_unlock(&venc_lock);
	if (!e->ctx_ok)
		return OP_ERR_INTERNAL;
	return e->p.codec == VENC_VP9 ? set_controls_vp9(e, speed) :
					set_controls_vp8(e, speed);
}

/*
 * VP8's threads wait for each other's rows by spinning. On a machine
 * whose cores are busy with other work, a thread spins through its time
 * slice while the one it waits for is not running: the bench's 1080p
 * video under one busy loop took 240-780 ms a frame even at speed 16 on
 * two threads (3.7 fps), 62 ms on one (13.4 fps). libvpx cannot change
 * VP8's thread count in place, so after VP8_MT_STRIKES catch-up frames
 * in a row that were slow too, the encoder is made again on one thread
 * for the rest of the stream (a key frame follows).
 */
#define VP8_MT_STRIKES 3

static int
vp8_go_single(struct venc *e)
{
	vpx_codec_destroy(&e->ctx);
	e->ctx_ok = false;
	e->tokens = (struct venc_mem_chunk){ NULL, 0 };
	e->first_done = false;
	e->cfg.g_threads = 1;
	e->vp8_cur = VP8_SPEED_CATCH_UP;
	e->vp8_slow_catch_up = 0;
	e->vp8_need_key = true;
	return open_ctx(e, vpx_codec_vp8_cx(), -VP8_SPEED_CATCH_UP);
}

int
venc_new(const struct venc_params *p, struct venc **out)
{
	vpx_codec_iface_t *iface;
	struct venc *e = NULL;
	int speed;
	int r = OP_ERR_INTERNAL;

	*out = NULL;
	if (p->width < DIM_MIN || p->width > DIM_MAX ||
		p->height < DIM_MIN || p->height > DIM_MAX ||
		p->bitrate_kbps < KBPS_MIN || p->bitrate_kbps > KBPS_MAX ||
		p->fps < FPS_MIN || p->fps > FPS_MAX ||
		p->speed < -16 || p->speed > 16)
		return OP_ERR_RANGE;
	switch (p->codec) {
	case VENC_VP9:
		iface = vpx_codec_vp9_cx();
		speed = p->speed ? p->speed : VP9_SPEED_DEFAULT;
		/* VP9 has no cpu-used above 9. */
		if (speed > 9 || speed < -9)
			return OP_ERR_RANGE;
		break;
	case VENC_VP8:
		iface = vpx_codec_vp8_cx();
		/* A negative cpu-used is a fixed speed. */
		speed = p->speed ? p->speed : -VP8_SPEED;
		break;
	default:
		return OP_ERR_RANGE;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return OP_ERR_NOMEM;
	e->p = *p;
	e->last_pts = -1;
	e->vp8_pace = p->codec == VENC_VP8 && p->speed == 0;
	e->vp8_next = e->vp8_cur = VP8_SPEED;

	if (vpx_codec_enc_config_default(iface, &e->cfg, 0) != VPX_CODEC_OK)
		goto out;
	e->cfg.g_w = p->width;
	e->cfg.g_h = p->height;
	e->cfg.g_timebase.num = 1;
	e->cfg.g_timebase.den = 1000;
	e->cfg.g_threads = pick_threads(p);
	e->cfg.g_lag_in_frames = 0;
	e->cfg.g_pass = VPX_RC_ONE_PASS;
	e->cfg.rc_end_usage = VPX_CBR;
	e->cfg.rc_dropframe_thresh = VENC_DROP_THRESH;
	e->cfg.rc_resize_allowed = 0;
	e->cfg.rc_undershoot_pct = 95;
	e->cfg.rc_overshoot_pct = 100;
	e->cfg.rc_buf_sz = 1000;
	e->cfg.rc_buf_initial_sz = 600;
	e->cfg.rc_buf_optimal_sz = 500;
	/* 16, not lower: static text then settles at ~42 dB within 5 s
	 * and repeats cost < 200 bytes instead of refining forever. */
	e->cfg.rc_min_quantizer = 16;
	e->cfg.rc_max_quantizer = VENC_MAX_Q;
	/* Key frames only at start and when asked (a client joins or asks
	 * for a refresh): periodic ones would just waste the budget. */
	e->cfg.kf_mode = VPX_KF_DISABLED;
	e->cfg.kf_min_dist = 0;
	e->cfg.kf_max_dist = 0x7fffffff;
	set_rate(&e->cfg, p->bitrate_kbps);

	venc_mem_init();
	if ((r = open_ctx(e, iface, speed)) != 0)
		goto out;
	r = OP_ERR_NOMEM;
	if (vpx_img_alloc(&e->img, VPX_IMG_FMT_I420, p->width, p->height,
		    32) == NULL)
		goto out;
	e->img_ok = true;
	if (e->vp8_pace &&
		(e->scroll = vscroll_new(p->width, p->height)) == NULL)
		goto out;
	*out = e;
	e = NULL;
	r = 0;
out:
	venc_free(e);
	return r;
}

void
venc_free(struct venc *e)
{
	if (e == NULL)
		return;
	if (e->ctx_ok)
		vpx_codec_destroy(&e->ctx);
	if (e->img_ok)
		vpx_img_free(&e->img);
	if (e->between_ok)
		vpx_img_free(&e->between);
	vscroll_free(e->scroll);
	free(e->out);
	free(e);
	/* Hand the freed encoder's memory in the worker threads' malloc
	 * arenas back to the kernel (16-20 MiB stayed after a session). */
	venc_mem_trim();
}

size_t
venc_released_bytes(const struct venc *e)
{
	return e->released;
}

unsigned
venc_threads(const struct venc *e)
{
	return e->cfg.g_threads;
}

int
venc_set_rate(struct venc *e, uint32_t bitrate_kbps, uint32_t fps)
{
	if (bitrate_kbps < KBPS_MIN)
		bitrate_kbps = KBPS_MIN;
	if (bitrate_kbps > KBPS_MAX)
		bitrate_kbps = KBPS_MAX;
	if (fps < FPS_MIN)
		fps = FPS_MIN;
	if (fps > FPS_MAX)
		fps = FPS_MAX;
	if (bitrate_kbps == e->cfg.rc_target_bitrate && fps == e->p.fps)
		return 0;
	set_rate(&e->cfg, bitrate_kbps);
	if (vpx_codec_enc_config_set(&e->ctx, &e->cfg) != VPX_CODEC_OK)
		return OP_ERR_INTERNAL;
	e->p.bitrate_kbps = bitrate_kbps;
	/* fps only sizes each frame's duration, passed per encode call. */
	e->p.fps = fps;
	return 0;
}

int
venc_set_boost(struct venc *e, bool on)
{
	unsigned q = on ? VENC_BOOST_MAX_Q : VENC_MAX_Q;

	if (e->cfg.rc_max_quantizer == q)
		return 0;
	e->cfg.rc_max_quantizer = q;
	/* A boosted frame must not be dropped: it is the one worth having. */
	e->cfg.rc_dropframe_thresh = on ? 0 : VENC_DROP_THRESH;
	if (vpx_codec_enc_config_set(&e->ctx, &e->cfg) != VPX_CODEC_OK)
		return OP_ERR_INTERNAL;
	/* VP8's screen-content mode leaves blocks it judges static alone,
	 * so a still picture kept its key frame's flat-area chroma error
	 * (33 dB on a solid background, one thread): refinement frames are
	 * coded without it. */
	if (e->p.codec == VENC_VP8 &&
		vpx_codec_control(&e->ctx, VP8E_SET_SCREEN_CONTENT_MODE,
			on ? 0u : 1u))
		return OP_ERR_INTERNAL;
	if (e->p.codec == VENC_VP9)
		return set_loopfilter(e);
	return 0;
}

/* Makes room for `need` more bytes after `used` in the output buffer. */
static int
out_reserve(struct venc *e, size_t used, size_t need)
{
	size_t cap = e->out_cap ? e->out_cap : 64u * 1024;
	uint8_t *n;

	if (need > OUT_MAX || used > OUT_MAX - need)
		return OP_ERR_TOO_LARGE;
	if (used + need <= e->out_cap)
		return 0;
	while (cap < used + need)
		cap *= 2;
	if (cap > OUT_MAX)
		cap = OUT_MAX;
	if ((n = realloc(e->out, cap)) == NULL)
		return OP_ERR_NOMEM;
	e->out = n;
	e->out_cap = cap;
	return 0;
}

/* Copies every packet libvpx has ready; pointers are set at the end
 * because the buffer may move while it grows. */
static int
collect(struct venc *e, struct venc_output *o)
{
	const vpx_codec_cx_pkt_t *pkt;
	vpx_codec_iter_t it = NULL;
	size_t off[VENC_MAX_PACKETS];
	size_t used = 0;
	int i;
	int r = 0;

	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
		size_t len;

		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || r != 0)
			continue;
		len = pkt->data.frame.sz;
		if (o->npackets == VENC_MAX_PACKETS) {
			r = OP_ERR_TOO_LARGE;
			continue;
		}
		if ((r = out_reserve(e, used, len)) != 0)
			continue;
		memcpy(e->out + used, pkt->data.frame.buf, len);
		off[o->npackets] = used;
		o->pkt[o->npackets].len = len;
		o->pkt[o->npackets].key =
			(pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
		o->npackets++;
		used += len;
	}
	if (r != 0) {
		o->npackets = 0;
		return r;
	}
	for (i = 0; i < o->npackets; i++)
		o->pkt[i].data = e->out + off[i];
	return 0;
}

/* The token buffer holds nothing between frames; a large frame left
 * many of its pages resident (tens of MiB for dense text), so they are
 * given back (they read as zeros until libvpx writes tokens again). Only
 * a chunk of at least 16 MiB found at init is taken for it. */
static void
release_tokens(struct venc *e, const struct venc_output *o)
{
	size_t sz = 0;

	if (e->tokens.len < (16u << 20))
		return;
	for (int i = 0; i < o->npackets; i++)
		sz += o->pkt[i].len;
	if (sz >= TOKENS_RELEASE_BYTES)
		venc_mem_discard(&e->tokens);
}

int
venc_convert_rows(struct venc *e, const uint8_t *bgra, size_t stride,
	uint32_t y, uint32_t n)
{
	vpx_image_t *img = &e->img;
	double t0 = now_ms();
	int r;

	if (bgra == NULL || stride < (size_t)e->p.width * 4 ||
		stride > INT_MAX || n == 0 || y >= e->p.height ||
		n > e->p.height - y || (y & 1) != 0 ||
		((n & 1) != 0 && y + n != e->p.height))
		return OP_ERR_RANGE;
	/* libyuv's "ARGB" is B,G,R,A in memory: our BGRA. */
	r = ARGBToI420(bgra, (int)stride,
		img->planes[VPX_PLANE_Y] + (ptrdiff_t)y * img->stride[VPX_PLANE_Y],
		img->stride[VPX_PLANE_Y],
		img->planes[VPX_PLANE_U] +
			(ptrdiff_t)(y / 2) * img->stride[VPX_PLANE_U],
		img->stride[VPX_PLANE_U],
		img->planes[VPX_PLANE_V] +
			(ptrdiff_t)(y / 2) * img->stride[VPX_PLANE_V],
		img->stride[VPX_PLANE_V], (int)e->p.width, (int)n);
	e->convert_ms += now_ms() - t0;
	return r != 0 ? OP_ERR_INTERNAL : 0;
}

int
venc_encode(struct venc *e, const uint8_t *bgra, size_t stride,
	int64_t pts_ms, bool force_key, struct venc_output *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	e->convert_ms = 0;
	if ((r = venc_convert_rows(e, bgra, stride, 0, e->p.height)) != 0)
		return r;
	return venc_encode_converted(e, pts_ms, force_key, out);
}

#define PIC_OF(im)                                                        \
	{ .plane = { (im)->planes[0], (im)->planes[1], (im)->planes[2] },  \
		.stride = { (im)->stride[0], (im)->stride[1],               \
			(im)->stride[2] },                                  \
		.w = (im)->d_w, .h = (im)->d_h }

/* One picture into libvpx at e->vpx_pts. The first call allocates
 * libvpx's buffers, which are handed back zeroed (venc-mem.h). */
static int
encode_one(struct venc *e, vpx_image_t *img, vpx_enc_frame_flags_t flags)
{
	struct venc_mem mem;
	vpx_codec_err_t err;
	bool first = !e->first_done;

	if (first) {
		pthread_rwlock_wrlock(&venc_lock);
		venc_mem_before(&mem);
	} else {
		pthread_rwlock_rdlock(&venc_lock);
	}
	err = vpx_codec_encode(&e->ctx, img, e->vpx_pts, 1000 / e->p.fps,
		flags, VPX_DL_REALTIME);
	if (first && err == VPX_CODEC_OK)
		e->released += venc_mem_after(&mem, &e->tokens);
	e->first_done = true;
	pthread_rwlock_unlock(&venc_lock);
	return err == VPX_CODEC_OK ? 0 : OP_ERR_INTERNAL;
}

/*
 * A scroll further than VP8's search reaches: the picture VP8_SCROLL_STEP
 * along it (vscroll_between) is coded instead of this one, and
 * out->behind asks for the next soon. Each frame is then found and
 * small, and as a frame covers its 48 px faster than the screen scrolls
 * them (1300 px/s in the bench), the stream catches up. The picture
 * coded is one the screen showed (for a pure scroll), so the client
 * sees a smooth, slightly late scroll, then the exact last picture.
 * Returns the picture to code.
 */
static vpx_image_t *
scroll_step(struct venc *e, const struct vscroll_move *mv,
	struct venc_output *out)
{
	int32_t ad = mv->d < 0 ? -mv->d : mv->d;
	struct vscroll_pic pic = PIC_OF(&e->img), mid;

	if (ad <= VP8_SCROLL_REACH ||
		e->scroll_steps >= VP8_SCROLL_MAX_STEPS)
		return &e->img;
	if (!e->between_ok) {
		if (vpx_img_alloc(&e->between, VPX_IMG_FMT_I420, e->p.width,
			    e->p.height, 32) == NULL)
			return &e->img; /* coded as it is: larger */
		e->between_ok = true;
	}
	mid = (struct vscroll_pic)PIC_OF(&e->between);
	vscroll_between(e->scroll, &pic, mv,
		mv->d < 0 ? -VP8_SCROLL_STEP : VP8_SCROLL_STEP, &mid);
	out->behind = true;
	e->scroll_steps++;
	return &e->between;
}

int
venc_encode_converted(struct venc *e, int64_t pts_ms, bool force_key,
	struct venc_output *out)
{
	vpx_enc_frame_flags_t flags = force_key ? VPX_EFLAG_FORCE_KF : 0;
	vpx_image_t *img = &e->img;
	struct vscroll_move mv;
	bool scroll = false, detected = false;
	double t1, t2;
	int64_t gap;
	int r;

	if (!e->ctx_ok)
		return OP_ERR_INTERNAL;
	if (e->vp8_need_key) {
		force_key = true;
		e->vp8_need_key = false;
	}
	/*
	 * VP9 predicts from the last frame only and updates only it: golden
	 * and alt-ref keep the key frame's buffer, and libvpx holds two
	 * reference frames (4.6 MiB each at 1080p) instead of three.
	 * Golden and alt-ref are for content coming back, which realtime
	 * screen coding hardly used. Storing every frame in all three slots
	 * (one buffer) saved more but broke the rate control: static text
	 * no longer refined to 35 dB (test-venc). Figures: tests/bench/video,
	 * third round.
	 */
	if (e->p.codec == VENC_VP9)
		flags |= VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF |
			VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF;
	/* A scroll (vscroll.h), looked for in every picture but a key
	 * frame's and a refinement's; each coded picture is remembered
	 * below for the next one to compare with. */
	if (e->scroll != NULL && !force_key && !boosted(e)) {
		scroll = vscroll_detect(e->scroll,
			&(struct vscroll_pic)PIC_OF(img), &mv);
		detected = true;
	}
	/* A key frame is coded quickly too: the picture after it should be
	 * close to it. A refinement frame (boost) is not: its picture is
	 * still, there is nothing to catch up with (nor does it count for
	 * vp8_go_single, whose key frame would undo the refinement). */
	if (e->vp8_pace) {
		int sp = force_key ? VP8_SPEED_CATCH_UP :
			 boosted(e) ? VP8_SPEED :
			 scroll ? VP8_SPEED_SCROLL : e->vp8_next;

		if (sp != e->vp8_cur) {
			if (vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, -sp))
				return OP_ERR_INTERNAL;
			e->vp8_cur = sp;
		}
	}
	memset(out, 0, sizeof(*out));
	out->convert_ms = e->convert_ms;
	e->convert_ms = 0;
	/* libvpx needs strictly increasing timestamps; a caller clock that
	 * stalls must not confuse the rate control. */
	if (pts_ms <= e->last_pts)
		pts_ms = e->last_pts + 1;

	t1 = now_ms();
	gap = e->last_pts < 0 ? 0 : pts_ms - e->last_pts;
	/*
	 * libvpx derives each frame's share of the bitrate from the time
	 * since the previous one. The session skips frames to stay in its
	 * budget (and sends nothing while the screen is still), so real
	 * gaps would tell libvpx the frame rate is low, each frame may be
	 * large, and it lowers the quantizer: scrolling went to 2 fps of
	 * 200 KB frames. libvpx sees at most one frame interval between
	 * frames instead, so it sizes every frame for the full frame rate
	 * and raises the quantizer first; the session's budget turns what
	 * is still too large into fewer frames.
	 */
	e->vpx_pts += e->last_pts < 0 ? 0 :
		(gap < 1000 / e->p.fps ? (gap > 0 ? gap : 1) :
					  1000 / e->p.fps);
	if (scroll)
		img = scroll_step(e, &mv, out);
	if (!out->behind)
		e->scroll_steps = 0;
	if ((r = encode_one(e, img, flags)) != 0)
		return r;
	e->last_pts = pts_ms;
	r = collect(e, out);
	release_tokens(e, out);
	if (e->scroll != NULL)
		vscroll_remember(e->scroll, &(struct vscroll_pic)PIC_OF(img),
			detected && img == &e->img);
	t2 = now_ms();
	out->encode_ms = t2 - t1;
	out->parallel = e->parallel;
	if (vpx_codec_control(&e->ctx, VP8E_GET_LAST_QUANTIZER_64,
		    &out->quantizer) != VPX_CODEC_OK)
		out->quantizer = -1;
	out->top_q = out->quantizer >= (int)e->cfg.rc_max_quantizer;
	adapt_threads(e, out->encode_ms, gap, force_key);
	vp8_pace(e, out->encode_ms, force_key);
	if (e->vp8_pace && e->vp8_slow_catch_up >= VP8_MT_STRIKES &&
		e->cfg.g_threads > 1) {
		int r2 = vp8_go_single(e);

		if (r2 != 0) /* this frame is lost with the encoder */
			return r2;
	}
	return r;
}
