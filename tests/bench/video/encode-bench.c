/* SPDX-License-Identifier: MIT */
/*
 * Encoder benchmark for 1920x1080 screen content: scrolling pseudo text
 * (43 px per frame by default) and a static page, VP9 and VP8 at the §7.3 Balanced
 * bitrate. Prints convert/encode time per frame (avg, p95), the frame
 * rate that allows, kbit/s at 30 fps and the Y PSNR of the decoded
 * stream, over coded frames (dropped ones are counted). Not a ctest
 * test: run it from a release build.
 *
 *   bench-encode [frames] [vp9-speed] [vp8-speed] [threads] [scroll-px]
 *                [kbps]
 *
 * "cpu" is the process CPU time (all encoder threads) per coded frame:
 * what a core pays, next to the wall-clock encode time.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyuv.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "th-text.h"
#include "video/venc.h"

#define W 1920u
#define H 1080u
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

static unsigned scroll_px = 43;
static uint32_t kbps; /* 0: §7.3 Balanced */ /* run.py's scroll: 100 lines/s of 13 px */

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* VmRSS of this process in KiB (0 when unknown). */
static long
rss_kib(void)
{
	char line[256];
	long kib = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
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
	double cpu = 0;
	int par = 0;
	size_t bytes = 0;
	size_t key_bytes = 0;
	struct venc *e = NULL;
	struct venc_output o;
	vpx_codec_ctx_t dec;
	long rss0;
	int r;

	p.bitrate_kbps = kbps ? kbps :
		venc_target_kbps(W, H, venc_quality_ratio(3, 0));
	rss0 = rss_kib();
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
			(scroll ? (size_t)i * scroll_px * stride : 0);
		vpx_codec_iter_t it = NULL;
		vpx_image_t *img;
		vpx_image_t *last = NULL;
		double c0 = cpu_ms();

		if (venc_encode(e, src, stride, (int64_t)i * 33, false, &o)) {
			fprintf(stderr, "encode failed\n");
			exit(1);
		}
		if (o.npackets > 0)
			cpu += cpu_ms() - c0;
		par += o.parallel;
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
			it = NULL; /* a VP8 scroll sends several */
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
	       "encode %.2f ms (p95 %.2f), cpu %.2f ms -> %.0f fps; "
	       "key %zu KiB, "
	       "%.0f kbit/s at 30 fps, %d dropped; PSNR avg %.2f min %.2f dB; "
	       "%d%% on threads; encoder RSS +%.1f MiB (%.1f MiB of zeroed buffers given back)\n",
		venc_codec_name(c), speed ? speed : (c == VENC_VP9 ? 9 : 16),
		scroll ? "scroll" : "static", p.bitrate_kbps, sum_c / n,
		p95(conv, n), sum_e / n, p95(enc, n), cpu / n,
		1000.0 / ((sum_c + sum_e) / n), key_bytes / 1024,
		(double)bytes * 8 / 1000 / ((frames - 1) / 30.0), drops,
		psnr_n ? psnr_sum / psnr_n : 0, psnr_min, par * 100 / frames,
		(double)(rss_kib() - rss0) / 1024.0,
		(double)venc_released_bytes(e) / 1048576.0);
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

	if (argc > 5)
		scroll_px = (unsigned)atoi(argv[5]);
	if (argc > 6)
		kbps = (uint32_t)atoi(argv[6]);

	if (frames < 31)
		frames = 31;
	rows = H + (size_t)frames * scroll_px;
	if ((doc = malloc((size_t)W * 4 * rows)) == NULL)
		return 1;
	render_text(doc, W, (uint32_t)rows, (size_t)W * 4, 0);
	run(VENC_VP9, s9, threads, true, doc, frames);
	run(VENC_VP9, s9, threads, false, doc, frames);
	run(VENC_VP8, s8, threads, true, doc, frames);
	run(VENC_VP8, s8, threads, false, doc, frames);
	free(doc);
	return 0;
}
