/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for video/venc: real libvpx encodes of synthetic screen text,
 * decoded again with libvpx's own decoder to measure the quality (Y PSNR
 * against the same libyuv conversion), plus the §7.3 rate arithmetic with
 * the hostile values a peer may send.
 */
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libyuv.h>
#include <uv.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "core/err.h"
#include "platform/sandbox.h"
#include "th.h"
#include "th-text.h"
#include "video/venc.h"

/* Y PSNR of a decoded image against the I420 conversion of `bgra`. */
static double
psnr_y(const vpx_image_t *img, const uint8_t *bgra, size_t stride,
	uint32_t w, uint32_t h)
{
	uint32_t cw = (w + 1) / 2;
	uint32_t ch = (h + 1) / 2;
	uint8_t *y = malloc((size_t)w * h);
	uint8_t *u = malloc((size_t)cw * ch);
	uint8_t *v = malloc((size_t)cw * ch);
	double sse = 0;
	double mse;
	uint32_t i;
	uint32_t j;

	if (y == NULL || u == NULL || v == NULL)
		abort();
	ARGBToI420(bgra, (int)stride, y, (int)w, u, (int)cw, v, (int)cw,
		(int)w, (int)h);
	for (j = 0; j < h; j++) {
		const uint8_t *d = img->planes[VPX_PLANE_Y] +
			(size_t)j * (size_t)img->stride[VPX_PLANE_Y];

		for (i = 0; i < w; i++) {
			double e = (double)d[i] - (double)y[(size_t)j * w + i];

			sse += e * e;
		}
	}
	free(y);
	free(u);
	free(v);
	mse = sse / ((double)w * h);
	return mse <= 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

struct dec {
	vpx_codec_ctx_t ctx;
	vpx_image_t *last;
};

static int
dec_init(struct dec *d, enum venc_codec c)
{
	d->last = NULL;
	return vpx_codec_dec_init(&d->ctx,
		c == VENC_VP9 ? vpx_codec_vp9_dx() : vpx_codec_vp8_dx(),
		NULL, 0) == VPX_CODEC_OK ? 0 : -1;
}

/* Decodes every packet of one encode; returns the frames it produced. */
static int
dec_feed(struct dec *d, const struct venc_output *o)
{
	vpx_codec_iter_t it;
	vpx_image_t *img;
	int n = 0;
	int i;

	for (i = 0; i < o->npackets; i++) {
		if (vpx_codec_decode(&d->ctx, o->pkt[i].data,
			    (unsigned)o->pkt[i].len, NULL, 0) != VPX_CODEC_OK)
			return -1;
		it = NULL;
		while ((img = vpx_codec_get_frame(&d->ctx, &it)) != NULL) {
			d->last = img;
			n++;
		}
	}
	return n;
}

static size_t
out_bytes(const struct venc_output *o)
{
	size_t n = 0;
	int i;

	for (i = 0; i < o->npackets; i++)
		n += o->pkt[i].len;
	return n;
}

static uint8_t *
text_image(uint32_t w, uint32_t rows, uint32_t seed)
{
	uint8_t *b = malloc((size_t)w * 4 * rows);

	if (b == NULL)
		abort();
	render_text(b, w, rows, (size_t)w * 4, seed);
	return b;
}

/*
 * Static text: the first frame is a key frame, quality converges to
 * >= 35 dB (rate control drops frames while the key frame drains the
 * budget, then refines), and once it has settled (`tiny`, after ~5 s) a
 * repeated frame costs almost nothing. Plain CBR, without the session's
 * boost of still pictures; VP8 at a fixed speed, its pacing follows the
 * wall clock (a loaded machine: test_vp8_busy_still).
 */
static void
static_quality(enum venc_codec c, uint32_t w, uint32_t h, int n,
	bool tiny)
{
	struct venc_params p = { .codec = c, .width = w, .height = h,
		.fps = 30, .speed = c == VENC_VP8 ? -8 : 0 };
	struct venc *e = NULL;
	struct venc_output o;
	struct dec d;
	uint8_t *img = text_image(w, h, 7);
	size_t stride = (size_t)w * 4;
	size_t last = 0;
	size_t small = SIZE_MAX;
	double conv = 0;
	double enc = 0;
	double psnr;
	int i;

	p.bitrate_kbps = venc_target_kbps(w, h, venc_quality_ratio(3, 0));
	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	ASSERT_INT_EQ(dec_init(&d, c), 0);
	for (i = 0; i < n; i++) {
		if (venc_encode(e, img, stride, i * 33, false, &o) != 0)
			break;
		if (i == 0 && (o.npackets != 1 || !o.pkt[0].key))
			break;
		if (i > 0 && o.npackets > 0 && o.pkt[0].key)
			break;
		if (dec_feed(&d, &o) < 0)
			break;
		conv += o.convert_ms;
		enc += o.encode_ms;
		last = out_bytes(&o);
		if (i >= n - 10 && last < small)
			small = last;
	}
	ASSERT_INT_EQ(i, n);
	ASSERT(d.last != NULL);
	ASSERT_INT_EQ(d.last->d_w, w);
	ASSERT_INT_EQ(d.last->d_h, h);
	psnr = psnr_y(d.last, img, stride, w, h);
	printf("%s %ux%u static @%u kbps: PSNR %.2f dB, last frame %zu B "
	       "(smallest of 10: %zu B), convert %.2f ms, encode %.2f ms "
	       "(avg)\n",
		venc_codec_name(c), w, h, p.bitrate_kbps, psnr, last, small,
		conv / n, enc / n);
	vpx_codec_destroy(&d.ctx);
	venc_free(e);
	free(img);
	ASSERT(psnr >= 35.0);
	/* VP8's realtime mode adapts its speed to the clock, so one frame
	 * may still refine a little: judge the last ten. */
	if (tiny)
		ASSERT(small < 2048);
}

static void
test_static_vp9_720p(void)
{
	static_quality(VENC_VP9, 1280, 720, 180, true);
}

static void
test_static_vp8_720p(void)
{
	static_quality(VENC_VP8, 1280, 720, 180, true);
}

static void
test_static_vp9_1080p(void)
{
	static_quality(VENC_VP9, 1920, 1080, 90, false);
}

static void
test_static_vp8_1080p(void)
{
	static_quality(VENC_VP8, 1920, 1080, 90, false);
}

static void
test_odd_size(void)
{
	static_quality(VENC_VP9, 1001, 701, 180, true);
	static_quality(VENC_VP8, 1001, 701, 180, true);
}

/* A picture converted in bands (venc_convert_rows, as the session does
 * with the screen grabbed in bands) encodes to the same bytes as the
 * picture converted whole, on one thread (deterministic); bands that
 * would split a chroma row or leave the picture are refused. */
static void
bands(enum venc_codec c)
{
	/* VP8 at a fixed speed: the default follows each encoder's clock,
	 * and two encoders on a loaded machine would part. */
	struct venc_params p = { .codec = c, .width = 640, .height = 481,
		.fps = 30, .bitrate_kbps = 800, .threads = 1,
		.speed = c == VENC_VP8 ? -8 : 0 };
	struct venc *a = NULL, *b = NULL;
	struct venc_output oa, ob;
	uint8_t *img = text_image(640, 481 + 48, 9);
	size_t stride = 640 * 4;

	ASSERT_INT_EQ(venc_new(&p, &a), 0);
	ASSERT_INT_EQ(venc_new(&p, &b), 0);
	for (int i = 0; i < 4; i++) {
		const uint8_t *pic = img + (size_t)i * 16 * stride;

		ASSERT_INT_EQ(venc_encode(a, pic, stride, i * 33, false, &oa),
			0);
		/* 64-row bands, the last one odd (481 = 7 * 64 + 33). */
		for (uint32_t y = 0; y < 481; y += 64)
			ASSERT_INT_EQ(venc_convert_rows(b,
					      pic + (size_t)y * stride, stride,
					      y, 481 - y < 64 ? 481 - y : 64),
				0);
		ASSERT_INT_EQ(venc_encode_converted(b, i * 33, false, &ob), 0);
		ASSERT(ob.convert_ms >= 0);
		ASSERT_INT_EQ(oa.npackets, 1);
		ASSERT_INT_EQ(ob.npackets, oa.npackets);
		ASSERT_U64_EQ(ob.pkt[0].len, oa.pkt[0].len);
		ASSERT(memcmp(ob.pkt[0].data, oa.pkt[0].data,
			       oa.pkt[0].len) == 0);
	}
	ASSERT_INT_EQ(venc_convert_rows(b, img, stride, 1, 64), OP_ERR_RANGE);
	ASSERT_INT_EQ(venc_convert_rows(b, img, stride, 0, 63), OP_ERR_RANGE);
	ASSERT_INT_EQ(venc_convert_rows(b, img, stride, 448, 34),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(venc_convert_rows(b, img, stride, 482, 2),
		OP_ERR_RANGE);
	ASSERT_INT_EQ(venc_convert_rows(b, img, stride, 0, 0), OP_ERR_RANGE);
	ASSERT_INT_EQ(venc_convert_rows(b, NULL, stride, 0, 2), OP_ERR_RANGE);
	ASSERT_INT_EQ(venc_convert_rows(b, img, 639 * 4, 0, 2),
		OP_ERR_RANGE);
	venc_free(a);
	venc_free(b);
	free(img);
}

static void
test_bands(void)
{
	bands(VENC_VP9);
	bands(VENC_VP8);
}

/* force_key produces a key frame in the middle of the stream. VP8 at a
 * fixed speed: paced, a loaded machine may drop it to one thread, with a
 * key frame of its own (test_vp8_busy_single). */
static void
force_key(enum venc_codec c)
{
	struct venc_params p = { .codec = c, .width = 640, .height = 480,
		.fps = 30, .bitrate_kbps = 400,
		.speed = c == VENC_VP8 ? -8 : 0 };
	struct venc *e = NULL;
	struct venc_output o;
	uint8_t *img = text_image(640, 480, 3);
	int i;

	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	for (i = 0; i < 5; i++) {
		ASSERT_INT_EQ(venc_encode(e, img, 640 * 4, i * 33, false, &o),
			0);
		if (i > 0)
			ASSERT(o.npackets == 0 || !o.pkt[0].key);
	}
	ASSERT_INT_EQ(venc_encode(e, img, 640 * 4, 5 * 33, true, &o), 0);
	ASSERT_INT_EQ(o.npackets, 1);
	ASSERT(o.pkt[0].key);
	/* A stalled clock is tolerated (pts forced forward). */
	ASSERT_INT_EQ(venc_encode(e, img, 640 * 4, 5 * 33, false, &o), 0);
	ASSERT(o.npackets == 0 || !o.pkt[0].key);
	venc_free(e);
	free(img);
}

static void
test_force_key(void)
{
	force_key(VENC_VP9);
	force_key(VENC_VP8);
}

/* Sums the bytes of `n` frames of text scrolling 16 px per frame. */
static size_t
scroll_bytes(struct venc *e, const uint8_t *doc, uint32_t w, int first,
	int n)
{
	size_t stride = (size_t)w * 4;
	struct venc_output o;
	size_t total = 0;
	int i;

	for (i = first; i < first + n; i++) {
		if (venc_encode(e, doc + (size_t)i * 16 * stride, stride,
			    i * 33, false, &o) != 0)
			return 0;
		total += out_bytes(&o);
	}
	return total;
}

static void
set_rate(enum venc_codec c)
{
	const uint32_t w = 640;
	const uint32_t h = 480;
	/* VP8 at a fixed speed: its default one follows the clock (a
	 * slow frame makes the next one quick and larger), so on a loaded
	 * machine the two halves were coded at different speeds. */
	struct venc_params p = { .codec = c, .width = w, .height = h,
		.fps = 30, .bitrate_kbps = 2000,
		.speed = c == VENC_VP8 ? -8 : 0 };
	struct venc *e = NULL;
	uint8_t *doc = text_image(w, h + 16 * 100, 11);
	size_t hi;
	size_t lo;

	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	(void)scroll_bytes(e, doc, w, 0, 10); /* past the key frame */
	hi = scroll_bytes(e, doc, w, 10, 30);
	ASSERT_INT_EQ(venc_set_rate(e, 200, 30), 0);
	(void)scroll_bytes(e, doc, w, 40, 10); /* rate control settles */
	lo = scroll_bytes(e, doc, w, 50, 30);
	printf("%s set_rate: 2000 kbps -> %zu B, 200 kbps -> %zu B "
	       "(30 frames each)\n",
		venc_codec_name(c), hi, lo);
	ASSERT(hi > 0 && lo > 0);
	/* Frames are never dropped (venc.c): at its top quantizer VP8
	 * cannot code dense scrolling text below ~3 Mbit/s, so its output
	 * only shrinks; VP9's falls several times. */
	if (c == VENC_VP9)
		ASSERT(lo * 3 < hi);
	else
		ASSERT(lo < hi);
	/* Out-of-range rates are clamped, not refused. */
	ASSERT_INT_EQ(venc_set_rate(e, 0, 0), 0);
	ASSERT_INT_EQ(venc_set_rate(e, UINT32_MAX, UINT32_MAX), 0);
	venc_free(e);
	free(doc);
}

static void *
spin(void *arg)
{
	atomic_bool *stop = arg;

	while (!atomic_load(stop))
		;
	return NULL;
}

/* Other work on every CPU (up to 8): a thread spinning on each. */
struct busy {
	pthread_t t[8];
	unsigned n;
	atomic_bool stop;
};

static void
busy_start(struct busy *b)
{
	unsigned ncpu = uv_available_parallelism();

	b->n = ncpu > 8 ? 8 : ncpu;
	atomic_store(&b->stop, false);
	for (unsigned k = 0; k < b->n; k++)
		ASSERT_INT_EQ(pthread_create(&b->t[k], NULL, spin, &b->stop),
			0);
}

static void
busy_stop(struct busy *b)
{
	atomic_store(&b->stop, true);
	for (unsigned k = 0; k < b->n; k++)
		pthread_join(b->t[k], NULL);
}

/* VP8 on a machine whose cores are all busy with other work: slow
 * catch-up frames make the encoder start again on one thread (its
 * threads spin on each other's rows), with a key frame, and the stream
 * stays decodable. 120 fps, so a 1080p frame is "slow" at 12.5 ms. The
 * text pans sideways: a vertical scroll is coded at the scroll speed
 * (test_vp8_scroll_steps), not the catch-up one this is about. */
static void
test_vp8_busy_single(void)
{
	const uint32_t w = 1920, h = 1080;
	struct venc_params p = { .codec = VENC_VP8, .width = w, .height = h,
		.fps = 120, .bitrate_kbps = 3000 };
	struct busy busy;
	uint8_t *doc = text_image(w + 16 * 60, h, 5);
	size_t stride = (size_t)(w + 16 * 60) * 4;
	struct venc *e = NULL;
	struct venc_output o;
	struct dec d;
	int keys = 0, i, after = -1;

	if (uv_available_parallelism() < 2) {
		printf("one CPU: VP8 runs on one thread anyway, skipped\n");
		free(doc);
		return;
	}
	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	ASSERT(venc_threads(e) > 1);
	ASSERT_INT_EQ(dec_init(&d, VENC_VP8), 0);
	busy_start(&busy);
	for (i = 0; i < 60 && (after < 0 || i < after + 3); i++) {
		ASSERT_INT_EQ(venc_encode(e, doc + (size_t)i * 16 * 4,
				      stride, i * 8, false, &o), 0);
		ASSERT(dec_feed(&d, &o) >= 0);
		keys += i > 0 && o.npackets > 0 && o.pkt[0].key;
		if (after < 0 && venc_threads(e) == 1)
			after = i;
	}
	busy_stop(&busy);
	printf("VP8 on busy cores: one thread after frame %d, %d key "
	       "frame(s) after the first\n", after, keys);
	ASSERT(after >= 0);
	ASSERT_INT_EQ(venc_threads(e), 1);
	ASSERT(keys >= 1);
	ASSERT(d.last != NULL && d.last->d_w == w && d.last->d_h == h);
	vpx_codec_destroy(&d.ctx);
	venc_free(e);
	free(doc);
}

/* A narrow, tall page that scrolls 54 px a frame, faster than 48 px
 * steps follow (the lag grows 6 px a frame): after 300 steps in a row
 * (~10 s) the picture itself is coded. */
static void
steps_bounded(void)
{
	const uint32_t w = 64, h = 2600;
	struct venc_params p = { .codec = VENC_VP8, .width = w, .height = h,
		.fps = 30, .bitrate_kbps = 1000 };
	uint8_t *doc = text_image(w, h + 54 * 310, 10);
	size_t stride = (size_t)w * 4;
	struct venc *e = NULL;
	struct venc_output o;
	int steps = 0, i;

	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	ASSERT_INT_EQ(venc_encode(e, doc, stride, 0, true, &o), 0);
	for (i = 1; i < 310; i++) {
		ASSERT_INT_EQ(venc_encode(e, doc + (size_t)i * 54 * stride,
				      stride, i * 33, false, &o), 0);
		if (!o.behind)
			break;
		steps++;
	}
	ASSERT_INT_EQ(steps, 300);
	venc_free(e);
	free(doc);
}

/*
 * VP8 and a scroll further than its motion search reaches (vscroll.h):
 * a 1080p page scrolled 150 px at once is coded as steps of 48 px
 * (out.behind), each a fraction of the frame that codes the jump as it
 * is, until the picture itself comes, exact enough; a scroll within
 * reach is coded at once; a VP9 encoder never steps.
 */
static void
test_vp8_scroll_steps(void)
{
	const uint32_t w = 1920, h = 1080;
	struct venc_params p = { .codec = VENC_VP8, .width = w, .height = h,
		.fps = 30, .bitrate_kbps = 8000 };
	struct venc_params p9 = p;
	uint8_t *doc = text_image(w, h + 400, 9);
	size_t stride = (size_t)w * 4, step_max = 0, jump = 0;
	struct venc *e = NULL;
	struct venc_output o;
	struct dec d;
	int64_t t = 0;
	int steps = 0, i;

	/* The jump coded as it is, for scale: a plain VP8 at speed 4 (no
	 * pacing, so no scroll steps). */
	p.speed = -4;
	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	ASSERT_INT_EQ(venc_encode(e, doc, stride, 0, true, &o), 0);
	ASSERT_INT_EQ(venc_encode(e, doc + 150 * stride, stride, 33, false,
			      &o), 0);
	jump = out_bytes(&o);
	ASSERT(!o.behind);
	venc_free(e);

	p.speed = 0;
	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	ASSERT_INT_EQ(dec_init(&d, VENC_VP8), 0);
	ASSERT_INT_EQ(venc_encode(e, doc, stride, t, true, &o), 0);
	ASSERT(dec_feed(&d, &o) == 1);
	for (i = 0; i < 8; i++) {
		t += 33;
		ASSERT_INT_EQ(venc_encode(e, doc + 150 * stride, stride, t,
				      false, &o), 0);
		ASSERT(dec_feed(&d, &o) == 1);
		if (!o.behind)
			break;
		steps++;
		if (out_bytes(&o) > step_max)
			step_max = out_bytes(&o);
	}
	printf("VP8 150 px scroll: %d steps of at most %zu bytes, the jump "
	       "as it is %zu bytes; picture at %.1f dB\n",
		steps, step_max, jump,
		psnr_y(d.last, doc + 150 * stride, stride, w, h));
	ASSERT_INT_EQ(steps, 3); /* 150 -> 102 -> 54 -> 6: the picture */
	ASSERT(step_max * 3 < jump);
	ASSERT(psnr_y(d.last, doc + 150 * stride, stride, w, h) >= 25.0);
	/* 40 px more: within reach, coded at once. */
	t += 33;
	ASSERT_INT_EQ(venc_encode(e, doc + 190 * stride, stride, t, false,
			      &o), 0);
	ASSERT(!o.behind);
	vpx_codec_destroy(&d.ctx);
	venc_free(e);
	steps_bounded();

	p9.codec = VENC_VP9;
	ASSERT_INT_EQ(venc_new(&p9, &e), 0);
	ASSERT_INT_EQ(venc_encode(e, doc, stride, 0, true, &o), 0);
	ASSERT_INT_EQ(venc_encode(e, doc + 150 * stride, stride, 33, false,
			      &o), 0);
	ASSERT(!o.behind);
	venc_free(e);
	free(doc);
}

/* A still 720p picture as the session codes it (a key frame, then up to
 * VIDEO_REFINE_FRAMES boosted ones 133 ms apart) by a paced VP8 encoder,
 * on a quiet machine and on busy cores. Refinement frames are neither
 * coded at the catch-up speed nor counted for the drop to one thread:
 * under three more busy loops that drop once put a rough key frame
 * among them. */
static void
vp8_still(bool busy_cpus, double *psnr)
{
	const uint32_t w = 1280, h = 720;
	struct venc_params p = { .codec = VENC_VP8, .width = w, .height = h,
		.fps = 30, .bitrate_kbps = 670 };
	uint8_t *img = text_image(w, h, 9);
	size_t stride = (size_t)w * 4;
	struct venc *e = NULL;
	struct venc_output o;
	struct busy busy;
	struct dec d;

	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	ASSERT_INT_EQ(dec_init(&d, VENC_VP8), 0);
	if (busy_cpus)
		busy_start(&busy);
	ASSERT_INT_EQ(venc_encode(e, img, stride, 0, false, &o), 0);
	ASSERT(o.npackets == 1 && o.pkt[0].key);
	ASSERT(dec_feed(&d, &o) >= 0);
	ASSERT_INT_EQ(venc_set_boost(e, true), 0);
	for (int i = 1; i <= 4; i++) {
		ASSERT_INT_EQ(venc_encode(e, img, stride, i * 133, false, &o),
			0);
		ASSERT(o.npackets == 1 && !o.pkt[0].key);
		ASSERT(dec_feed(&d, &o) >= 0);
	}
	if (busy_cpus)
		busy_stop(&busy);
	*psnr = psnr_y(d.last, img, stride, w, h);
	vpx_codec_destroy(&d.ctx);
	venc_free(e);
	free(img);
}

static void
test_vp8_busy_still(void)
{
	double quiet = 0, busy = 0;

	vp8_still(false, &quiet);
	vp8_still(true, &busy);

	printf("VP8 720p still, key + 4 refinement frames: %.2f dB, on busy "
	       "cores %.2f dB\n", quiet, busy);
	ASSERT(quiet >= 35.0);
	ASSERT(busy >= 35.0);
}

static void
test_set_rate(void)
{
	set_rate(VENC_VP9);
	set_rate(VENC_VP8);
}

static void
test_bad_params(void)
{
	const struct venc_params good = { .codec = VENC_VP9, .width = 64,
		.height = 64, .bitrate_kbps = 100, .fps = 30 };
	struct venc_params p;
	struct venc *e = (struct venc *)&p;
	struct venc_output o;
	uint8_t px[64 * 64 * 4] = { 0 };

	p = good, p.width = 1;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	ASSERT(e == NULL);
	p = good, p.height = 8193;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	p = good, p.width = UINT32_MAX;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	p = good, p.bitrate_kbps = 9;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	p = good, p.bitrate_kbps = 100001;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	p = good, p.fps = 0;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	p = good, p.fps = 121;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	p = good, p.codec = (enum venc_codec)7;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	p = good, p.speed = 10;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	p = good, p.codec = VENC_VP8, p.speed = 17;
	ASSERT_INT_EQ(venc_new(&p, &e), OP_ERR_RANGE);
	ASSERT(e == NULL);

	/* The smallest size works, and a short stride is refused. */
	p = good, p.width = 2, p.height = 2;
	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	ASSERT_INT_EQ(venc_encode(e, px, 8, 0, false, &o), 0);
	ASSERT_INT_EQ(o.npackets, 1);
	ASSERT_INT_EQ(venc_encode(e, px, 7, 33, false, &o), OP_ERR_RANGE);
	ASSERT_INT_EQ(o.npackets, 0);
	ASSERT_INT_EQ(venc_encode(e, NULL, 8, 66, false, &o), OP_ERR_RANGE);
	venc_free(e);
	venc_free(NULL);
	ASSERT_STR_EQ(venc_codec_name(VENC_VP9), "VP9");
	ASSERT_STR_EQ(venc_codec_name(VENC_VP8), "VP8");
}

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void
test_quality_ratio(void)
{
	static const struct {
		int q;
		int32_t custom;
		double ratio;
	} t[] = {
		{ 2, 0, 0.5 },
		{ 3, 0, 0.67 },
		{ 4, 0, 1.5 },
		{ 0, 0, 0.67 },              /* NotSet, no custom */
		{ 3, 100 << 8, 0.67 },       /* the enum wins */
		{ 0, 50 << 8, 1.0 },         /* the UI's default 50 % */
		{ 0, 100 << 8, 2.0 },
		{ 0, 10 << 8, 0.2 },
		{ 0, 5 << 8, 0.2 },          /* clamped up */
		{ 0, 2000 << 8, 40.0 },
		{ 0, 4095 << 8, 40.0 },      /* 81.9 clamped down */
		{ 0, (1 << 20) | (50 << 8), 1.0 }, /* bits above 12 ignored */
		{ 0, 50 << 8 | 0xff, 1.0 },  /* low byte ignored */
		{ 0, 1, 0.2 },               /* percent 0 */
		{ 0, INT32_MAX, 40.0 },
		{ 0, INT32_MIN, 0.67 },      /* negative: treated as unset */
		{ 0, -1, 0.67 },
		{ 0, -(50 << 8), 0.67 },
		{ 1, 50 << 8, 1.0 },         /* unknown enum values */
		{ 5, 0, 0.67 },
		{ INT_MAX, 0, 0.67 },
		{ INT_MIN, INT32_MIN, 0.67 },
		{ -3, 25 << 8, 0.5 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		double r = venc_quality_ratio(t[i].q, t[i].custom);

		if (!NEAR(r, t[i].ratio))
			TH_FAIL("ratio(%d, %d) = %g, want %g", t[i].q,
				t[i].custom, r, t[i].ratio);
	}
}

static void
test_target_kbps(void)
{
	static const struct {
		uint32_t w, h;
		double ratio;
		uint32_t kbps;
	} t[] = {
		{ 1920, 1080, 1.0, 2073 },
		{ 1280, 720, 1.0, 1000 },
		{ 640, 480, 1.0, 400 },
		{ 3840, 2160, 1.0, 5000 },
		{ 1920, 1080, 0.67, 1389 },  /* Balanced: 1388.91 */
		{ 1920, 1080, 0.5, 1037 },   /* Low: 1036.5 */
		{ 1920, 1080, 1.5, 3110 },   /* Best: 3109.5 */
		{ 1280, 720, 0.67, 670 },
		{ 1000, 1000, 1.0, 1049 },   /* nearest 1366x768, scaled */
		{ 1920, 1200, 1.0, 2292 },   /* nearest 2048x1080, scaled */
		{ 1920, 1080, 40.0, 82920 },
		{ 1920, 1080, 1000.0, 82920 }, /* ratio clamped */
		{ 1920, 1080, 0.0, 415 },
		{ 1920, 1080, -5.0, 415 },
		{ 1920, 1080, NAN, 415 },
		{ 1920, 1080, INFINITY, 82920 },
		{ 8192, 8192, 40.0, 100000 }, /* encoder maximum */
		{ 2, 2, 1.0, 10 },            /* encoder minimum */
		{ 0, 0, 1.0, 10 },
		{ UINT32_MAX, UINT32_MAX, 40.0, 100000 },
		{ UINT32_MAX, 1, 0.2, 100000 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t k = venc_target_kbps(t[i].w, t[i].h, t[i].ratio);

		if (k != t[i].kbps)
			TH_FAIL("kbps(%u, %u, %g) = %u, want %u", t[i].w,
				t[i].h, t[i].ratio, k, t[i].kbps);
	}
}

/*
 * VP9 with threads left to venc: one thread while frames are cheap for
 * the interval, row-mt once they are not, and back. Tile columns change
 * between frames; every frame must still decode.
 */
static void
test_threads_adapt(void)
{
	const uint32_t w = 1920;
	const uint32_t h = 1080;
	struct venc_params p = { .codec = VENC_VP9, .width = w, .height = h,
		.fps = 120, .bitrate_kbps = 4000 };
	size_t stride = (size_t)w * 4;
	uint8_t *doc = text_image(w, h + 16 * 80, 5);
	struct venc *e = NULL;
	struct venc_output o;
	struct dec d;
	bool went_parallel = false;
	int64_t pts = 0;
	double psnr;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("one CPU: venc never adds a thread, nothing to test\n");
		free(doc);
		return;
	}
	ASSERT_INT_EQ(venc_new(&p, &e), 0);
	ASSERT_INT_EQ(dec_init(&d, VENC_VP9), 0);
	/* 120 fps of 1080p scrolling: no CPU encodes that in 60 % of 8 ms
	 * on one thread. */
	for (i = 0; i < 80; i++, pts += 8) {
		ASSERT_INT_EQ(venc_encode(e, doc + (size_t)i * 16 * stride,
				      stride, pts, false, &o), 0);
		ASSERT(dec_feed(&d, &o) >= 0);
		went_parallel = went_parallel || o.parallel;
	}
	ASSERT(went_parallel);
	/* One still frame a second: one thread is plenty again. */
	ASSERT_INT_EQ(venc_set_rate(e, 4000, 1), 0);
	for (i = 0; i < 60; i++, pts += 1000) {
		ASSERT_INT_EQ(venc_encode(e, doc, stride, pts, false, &o), 0);
		ASSERT(dec_feed(&d, &o) >= 0);
	}
	ASSERT(!o.parallel);
	ASSERT(d.last != NULL);
	psnr = psnr_y(d.last, doc, stride, w, h);
	printf("VP9 thread switching: every frame decoded, still image "
	       "%.2f dB after\n", psnr);
	ASSERT(psnr >= 35.0);
	vpx_codec_destroy(&d.ctx);
	venc_free(e);
	free(doc);
}

#if defined(__SANITIZE_ADDRESS__)
#define TV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TV_ASAN 1
#endif
#endif

/* In a child under the network process's seccomp filter, a 1080p VP9
 * encoder still gives libvpx's zeroed buffers back (venc-mem-unix.c reads
 * them with process_vm_readv, which the filter once refused, leaving
 * sessions at 180 MiB). Under ASan venc-mem is off: nothing to check. */
static void
test_release_in_sandbox(void)
{
#ifdef TV_ASAN
	printf("venc-mem in the sandbox: not checked under AddressSanitizer "
	       "(its allocator has no glibc chunks; venc-mem is off)\n");
#else
	int status = 0;
	pid_t pid = fork();

	ASSERT(pid >= 0);
	if (pid == 0) {
		struct venc_params p = { .codec = VENC_VP9, .width = 1920,
			.height = 1080, .bitrate_kbps = 3000, .fps = 30 };
		struct venc_output o;
		struct venc *e = NULL;
		uint8_t *px = calloc((size_t)1920 * 1080, 4);
		char why[256];

		if (px == NULL || sandbox_network_process(why, sizeof(why)) != 0 ||
			venc_new(&p, &e) != 0 ||
			venc_encode(e, px, 1920 * 4, 0, true, &o) != 0)
			_exit(2);
		/* The token buffer alone is 96 MiB. */
		_exit(venc_released_bytes(e) >= (64u << 20) ? 0 : 1);
	}
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
#endif
}

int
main(void)
{
	RUN(test_quality_ratio);
	RUN(test_target_kbps);
	RUN(test_bad_params);
	RUN(test_force_key);
	RUN(test_vp8_busy_still);
	RUN(test_bands);
	RUN(test_set_rate);
	RUN(test_static_vp9_720p);
	RUN(test_static_vp8_720p);
	RUN(test_static_vp9_1080p);
	RUN(test_static_vp8_1080p);
	RUN(test_odd_size);
	RUN(test_threads_adapt);
	RUN(test_vp8_busy_single);
	RUN(test_vp8_scroll_steps);
	RUN(test_release_in_sandbox);
	return th_done();
}
