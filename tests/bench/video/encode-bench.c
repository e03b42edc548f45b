/* SPDX-License-Identifier: MIT */
/*
 * Encoder benchmark for 1920x1080 screen content: scrolling pseudo text
 * (16 px per frame) and a static page, VP9 and VP8 at the §7.3 Balanced
 * bitrate. Prints convert/encode time per frame (avg, p95), the frame
 * rate that allows, kbit/s at 30 fps and the Y PSNR of the decoded
 * stream, over coded frames (dropped ones are counted). Not a ctest
 * test: run it from a release build.
 *
 *   bench-encode [frames] [vp9-speed] [vp8-speed] [threads]
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "video/venc.h"

#define W 1920u
#define H 1080u
#define SCROLL 16u
#define LINE_H 18
#define CELL_W 9

static uint32_t
hash32(uint32_t a, uint32_t b)
{
	uint32_t h = a * 0x9e3779b1u ^ (b + 0x7f4a7c15u) * 0x85ebca6bu;

	h ^= h >> 15;
	h *= 0xc2b2ae35u;
	h ^= h >> 13;
	return h;
}

/* Lines of glyphs made of 2x2 blocks (96 shapes), dark on white, some
 * lines coloured: close enough to a terminal or an editor. */
static void
render_text(uint8_t *buf, uint32_t w, uint32_t rows, size_t stride)
{
	for (uint32_t y = 0; y < rows; y++) {
		uint32_t line = y / LINE_H;
		uint32_t gy = y % LINE_H;
		uint32_t len = hash32(line, 1) % (w / CELL_W + 1);
		uint32_t hue = hash32(line, 2);
		uint8_t *p = buf + (size_t)y * stride;

		for (uint32_t x = 0; x < w; x++, p += 4) {
			uint32_t col = x / CELL_W;
			uint32_t gx = x % CELL_W;
			uint32_t ch = hash32(line, col + 3);
			bool on = false;

			if (col < len && gy >= 2 && gy < 16 && gx < 8 &&
				ch % 6 != 0) {
				uint32_t bits = hash32(ch % 96, 0);

				on = (bits >> ((gy - 2) / 2 * 4 + gx / 2) &
					     1) != 0;
			}
			if (on && hue % 4 == 0) {
				p[0] = 160, p[1] = 40, p[2] = 20;
			} else if (on) {
				p[0] = p[1] = p[2] = 30;
			} else {
				p[0] = p[1] = p[2] = 250;
			}
			p[3] = 255;
		}
	}
}

static double
psnr_y(const vpx_image_t *img, const uint8_t *y)
{
	double sse = 0;

	for (uint32_t j = 0; j < H; j++) {
		const uint8_t *d = img->planes[VPX_PLANE_Y] +
			(size_t)j * (size_t)img->stride[VPX_PLANE_Y];

		for (uint32_t i = 0; i < W; i++) {
			double e = (double)d[i] - (double)y[(size_t)j * W + i];

			sse += e * e;
		}
	}
	return sse <= 0 ? 99.0 :
			  10.0 * log10(255.0 * 255.0 * W * H / sse);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
p95(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1];
}

static void
run(enum venc_codec c, int speed, unsigned threads, bool scroll,
	const uint8_t *doc, int frames)
{
	size_t stride = (size_t)W * 4;
	struct venc_params p = { .codec = c, .width = W, .height = H,
		.fps = 30, .threads = threads, .speed = speed };
	double *conv = calloc((size_t)frames, sizeof(double));
	double *enc = calloc((size_t)frames, sizeof(double));
	uint8_t *y = malloc((size_t)W * H);
	uint8_t *u = malloc((size_t)W * H / 4);
	uint8_t *v = malloc((size_t)W * H / 4);
	double sum_c = 0;
	double sum_e = 0;
	double psnr_sum = 0;
	double psnr_min = 99;
	int psnr_n = 0;
	int drops = 0;
	int n = 0;
	size_t bytes = 0;
	size_t key_bytes = 0;
	struct venc *e = NULL;
	struct venc_output o;
	vpx_codec_ctx_t dec;
	int r;

	p.bitrate_kbps = venc_target_kbps(W, H, venc_quality_ratio(3, 0));
	if (conv == NULL || enc == NULL || y == NULL || u == NULL ||
		v == NULL || (r = venc_new(&p, &e)) != 0) {
		fprintf(stderr, "setup failed\n");
		exit(1);
	}
	vpx_codec_dec_init(&dec,
		c == VENC_VP9 ? vpx_codec_vp9_dx() : vpx_codec_vp8_dx(), NULL,
		0);
	for (int i = 0; i < frames; i++) {
		const uint8_t *src = doc +
			(scroll ? (size_t)i * SCROLL * stride : 0);
		vpx_codec_iter_t it = NULL;
		vpx_image_t *img;
		vpx_image_t *last = NULL;

		if (venc_encode(e, src, stride, (int64_t)i * 33, false, &o)) {
			fprintf(stderr, "encode failed\n");
			exit(1);
		}
		/* Timings of coded frames only: a dropped frame costs
		 * nothing and would flatter the figures. */
		if (o.npackets == 0) {
			drops++;
			continue;
		}
		conv[n] = o.convert_ms;
		enc[n] = o.encode_ms;
		n++;
		sum_c += o.convert_ms;
		sum_e += o.encode_ms;
		for (int k = 0; k < o.npackets; k++) {
			if (i == 0)
				key_bytes += o.pkt[k].len;
			else
				bytes += o.pkt[k].len;
			vpx_codec_decode(&dec, o.pkt[k].data,
				(unsigned)o.pkt[k].len, NULL, 0);
			while ((img = vpx_codec_get_frame(&dec, &it)) != NULL)
				last = img;
		}
		/* Quality of each coded frame against its own source;
		 * skip the first second (key frame, rate control
		 * settling). */
		if (last != NULL && i >= 30) {
			double q;

			ARGBToI420(src, (int)stride, y, W, u, W / 2, v, W / 2,
				W, H);
			q = psnr_y(last, y);
			psnr_sum += q;
			psnr_n++;
			if (q < psnr_min)
				psnr_min = q;
		}
	}
	printf("%s speed %2d %s @%u kbps: convert %.2f ms (p95 %.2f), "
	       "encode %.2f ms (p95 %.2f) -> %.0f fps; key %zu KiB, "
	       "%.0f kbit/s at 30 fps, %d dropped; PSNR avg %.2f min %.2f dB\n",
		venc_codec_name(c), speed ? speed : (c == VENC_VP9 ? 7 : 12),
		scroll ? "scroll" : "static", p.bitrate_kbps, sum_c / n,
		p95(conv, n), sum_e / n, p95(enc, n),
		1000.0 / ((sum_c + sum_e) / n), key_bytes / 1024,
		(double)bytes * 8 / 1000 / ((frames - 1) / 30.0), drops,
		psnr_n ? psnr_sum / psnr_n : 0, psnr_min);
	fflush(stdout);
	vpx_codec_destroy(&dec);
	venc_free(e);
	free(conv);
	free(enc);
	free(y);
	free(u);
	free(v);
}

int
main(int argc, char **argv)
{
	int frames = argc > 1 ? atoi(argv[1]) : 150;
	int s9 = argc > 2 ? atoi(argv[2]) : 0;
	int s8 = argc > 3 ? atoi(argv[3]) : 0;
	unsigned threads = argc > 4 ? (unsigned)atoi(argv[4]) : 0;
	size_t rows;
	uint8_t *doc;

	if (frames < 31)
		frames = 31;
	rows = H + (size_t)frames * SCROLL;
	if ((doc = malloc((size_t)W * 4 * rows)) == NULL)
		return 1;
	render_text(doc, W, (uint32_t)rows, (size_t)W * 4);
	run(VENC_VP9, s9, threads, true, doc, frames);
	run(VENC_VP9, s9, threads, false, doc, frames);
	run(VENC_VP8, s8, threads, true, doc, frames);
	run(VENC_VP8, s8, threads, false, doc, frames);
	free(doc);
	return 0;
}
