/* SPDX-License-Identifier: MIT */
/*
 * The GDI capture backend under wine (on an Xvfb screen): a window of our
 * own painted with a known pattern is grabbed through the capture
 * interface (whole and in bands) and must match the pattern exactly; the
 * grabbed window is then encoded with our VP9 encoder (agent/video),
 * decoded with libvpx and compared with the pattern (PSNR >= 35 dB). The
 * default backend, dxgi, must fall back to gdi here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "capture/capture.h"
#include "core/err.h"
#include "th-win.h"
#include "th.h"
#include "video/venc.h"

enum { WX = 96, WY = 64, W = 256, H = 160 };

static uint8_t pattern[W * H * 4]; /* BGRX, top-down */
static unsigned events;

/* Top half: smooth gradients; bottom half: 32x32 blocks of eight
 * colours (block edges fall on even pixels, so 4:2:0 keeps them). */
static void
make_pattern(void)
{
	static const uint8_t pal[8][3] = { { 255, 0, 0 }, { 0, 160, 0 },
		{ 0, 0, 255 }, { 255, 255, 0 }, { 0, 200, 200 },
		{ 200, 0, 200 }, { 40, 40, 40 }, { 230, 230, 230 } };

	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint8_t *p = pattern + ((size_t)y * W + x) * 4;

			if (y < H / 2) {
				p[0] = 128;
				p[1] = (uint8_t)(y * 255 / (H / 2));
				p[2] = (uint8_t)(x * 255 / W);
			} else {
				const uint8_t *c = pal[(x / 32 + y / 32) % 8];

				p[0] = c[2];
				p[1] = c[1];
				p[2] = c[0];
			}
			p[3] = 0;
		}
}

static LRESULT CALLBACK
wndproc(HWND hw, UINT msg, WPARAM wp, LPARAM lp)
{
	PAINTSTRUCT ps;
	BITMAPINFO bi;
	HDC dc;

	switch (msg) {
	case WM_ERASEBKGND:
		return 1;
	case WM_PAINT:
		memset(&bi, 0, sizeof(bi));
		bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
		bi.bmiHeader.biWidth = W;
		bi.bmiHeader.biHeight = -H;
		bi.bmiHeader.biPlanes = 1;
		bi.bmiHeader.biBitCount = 32;
		bi.bmiHeader.biCompression = BI_RGB;
		dc = BeginPaint(hw, &ps);
		SetDIBitsToDevice(dc, 0, 0, W, H, 0, 0, 0, H, pattern, &bi,
			DIB_RGB_COLORS);
		EndPaint(hw, &ps);
		return 0;
	}
	return DefWindowProcW(hw, msg, wp, lp);
}

static void
on_event(void *arg, struct capture *c, unsigned mask)
{
	(void)arg;
	(void)c;
	events |= mask;
}

/* Rows [y0, y0 + n) of the window in img (whose row 0 is display row
 * iy) equal the pattern, ignoring the undefined 4th byte. */
static bool
matches(const struct capture_image *img, uint32_t iy, int y0, int n,
	int32_t dx, int32_t dy)
{
	for (int y = y0; y < y0 + n; y++) {
		const uint8_t *row = img->data +
			(size_t)(dy + WY + y - (int)iy) * img->stride +
			(size_t)(dx + WX) * 4;

		for (int x = 0; x < W; x++)
			if (memcmp(row + x * 4, pattern + ((size_t)y * W + x) * 4,
				    3) != 0)
				return false;
	}
	return true;
}

struct grab_ctx {
	struct capture_grabber *g;
	struct capture_image img;
	int32_t dx, dy; /* the display's origin, negated */
};

static bool
grab_matches(void *arg)
{
	struct grab_ctx *x = arg;

	return capture_grab(x->g, &x->img) == 0 &&
		matches(&x->img, 0, 0, H, x->dx, x->dy);
}

/* VP9 of the grabbed window, decoded: PSNR over R, G, B. */
static double
encode_decode_psnr(const struct capture_image *img, int32_t dx, int32_t dy)
{
	struct venc_params p = { .codec = VENC_VP9, .width = W, .height = H,
		.bitrate_kbps = 2000, .fps = 30 };
	struct venc *e = NULL;
	struct venc_output o;
	vpx_codec_ctx_t dec;
	vpx_codec_iter_t it = NULL;
	vpx_image_t *f;
	static uint8_t back[W * H * 4];
	double se = 0;
	const uint8_t *win = img->data + (size_t)(dy + WY) * img->stride +
		(size_t)(dx + WX) * 4;

	if (venc_new(&p, &e) != 0 ||
		vpx_codec_dec_init(&dec, vpx_codec_vp9_dx(), NULL, 0) != 0)
		return -1;
	if (venc_encode(e, win, img->stride, 0, true, &o) != 0 ||
		o.npackets < 1 || !o.pkt[0].key)
		return -2;
	for (int i = 0; i < o.npackets; i++)
		if (vpx_codec_decode(&dec, o.pkt[i].data,
			    (unsigned)o.pkt[i].len, NULL, 0) != 0)
			return -3;
	if ((f = vpx_codec_get_frame(&dec, &it)) == NULL || f->d_w != W ||
		f->d_h != H)
		return -4;
	/* libyuv's "ARGB" is B, G, R, A in memory: our BGRX order. */
	I420ToARGB(f->planes[0], f->stride[0], f->planes[1], f->stride[1],
		f->planes[2], f->stride[2], back, W * 4, W, H);
	for (size_t i = 0; i < sizeof(back); i++) {
		double d;

		if (i % 4 == 3)
			continue;
		d = (double)back[i] - pattern[i];
		se += d * d;
	}
	printf("VP9 %zu bytes, key frame PSNR %.2f dB\n", o.pkt[0].len,
		10 * log10(255.0 * 255.0 / (se / (W * H * 3) + 1e-9)));
	vpx_codec_destroy(&dec);
	venc_free(e);
	return 10 * log10(255.0 * 255.0 / (se / (W * H * 3) + 1e-9));
}

static void
test_gdi_capture(void)
{
	uv_loop_t loop;
	struct capture *c = NULL;
	struct capture_display d[CAPTURE_MAX_DISPLAYS];
	struct grab_ctx x = { 0 };
	struct capture_grabber *band = NULL;
	struct capture_image img;
	struct capture_cursor cur;
	char err[256];
	int32_t px, py;
	double psnr;
	HWND hw;
	int n;

	make_pattern();
	ASSERT((hw = thw_window("op-capture", WX, WY, W, H, wndproc)) != NULL);
	thw_pump(300);
	ASSERT_INT_EQ(uv_loop_init(&loop), 0);
	ASSERT_INT_EQ(capture_open(&loop, "gdi", NULL, NULL, on_event, NULL,
			      &c, err, sizeof(err)),
		0);
	ASSERT_STR_EQ(capture_backend_name(c), "gdi");
	n = capture_displays(c, d, CAPTURE_MAX_DISPLAYS);
	ASSERT(n >= 1);
	printf("display 0: %s %ux%u at %d,%d\n", d[0].name, d[0].width,
		d[0].height, d[0].x, d[0].y);
	ASSERT(d[0].x <= WX && d[0].y <= WY &&
		d[0].x + (int64_t)d[0].width >= WX + W &&
		d[0].y + (int64_t)d[0].height >= WY + H);
	x.dx = -d[0].x;
	x.dy = -d[0].y;

	/* The change ticks arrive on the loop. */
	for (int i = 0; i < 100 && !(events & CAPTURE_EV_DAMAGE); i++) {
		uv_run(&loop, UV_RUN_ONCE);
		thw_pump(0);
	}
	ASSERT(events & CAPTURE_EV_DAMAGE);
	ASSERT(capture_damage_seq(c, 0) > 1);

	/* Whole grab: the window's pixels exactly (wine paints it
	 * asynchronously, so wait for it). */
	ASSERT_INT_EQ(capture_grabber_new(c, 0, &x.g), 0);
	ASSERT(thw_pump_until(grab_matches, &x, 5000));
	ASSERT_INT_EQ(x.img.width, d[0].width);
	ASSERT_INT_EQ(x.img.height, d[0].height);

	/* Banded: 32 rows at a time, each band through its own rows. */
	ASSERT_INT_EQ(capture_grabber_new_rows(c, 0, 32, &band), 0);
	ASSERT_INT_EQ(capture_grab(band, &img), OP_ERR_RANGE);
	for (int y = 0; y < H; y += 32) {
		uint32_t dy = (uint32_t)(x.dy + WY + y);

		ASSERT_INT_EQ(capture_grab_rows(band, dy, 32, &img), 0);
		ASSERT_INT_EQ(img.height, 32);
		ASSERT(matches(&img, dy, y, 32, x.dx, x.dy));
	}
	ASSERT_INT_EQ(capture_grab_rows(band, 0, 33, &img), OP_ERR_RANGE);

	psnr = encode_decode_psnr(&x.img, x.dx, x.dy);
	ASSERT(psnr >= 35);

	/* The pointer and the cursor shape (the arrow: opaque and
	 * transparent pixels). */
	SetCursor(LoadCursorA(NULL, (LPCSTR)IDC_ARROW));
	ASSERT(SetCursorPos(WX + 10, WY + 20));
	thw_pump(50);
	ASSERT_INT_EQ(capture_pointer(c, &px, &py), 0);
	ASSERT_INT_EQ(px, WX + 10);
	ASSERT_INT_EQ(py, WY + 20);
	ASSERT_INT_EQ(capture_cursor(c, &cur), 0);
	printf("cursor %ux%u hot %d,%d\n", cur.width, cur.height, cur.hotx,
		cur.hoty);
	ASSERT(cur.width >= 16 && cur.height >= 16 &&
		cur.width <= CAPTURE_MAX_CURSOR_DIM);
	ASSERT(cur.serial != 0);
	n = 0;
	for (size_t i = 0; i < (size_t)cur.width * cur.height; i++)
		n += cur.rgba[i * 4 + 3] == 255;
	printf("cursor: %d of %u pixels opaque\n", n, cur.width * cur.height);
	ASSERT(n > 10 && (unsigned)n < cur.width * cur.height / 2);
	capture_cursor_free(&cur);

	capture_grabber_free(band);
	capture_grabber_free(x.g);
	capture_close(c);
	ASSERT_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	DestroyWindow(hw);
}

static void
test_refuses_display(void)
{
	uv_loop_t loop;
	struct capture *c = NULL;
	char err[256];

	ASSERT_INT_EQ(uv_loop_init(&loop), 0);
	ASSERT_INT_EQ(capture_open(&loop, "gdi", ":1", NULL, on_event, NULL,
			      &c, err, sizeof(err)),
		OP_ERR_UNSUPPORTED);
	ASSERT_INT_EQ(capture_open(&loop, "x11", NULL, NULL, on_event, NULL,
			      &c, err, sizeof(err)),
		OP_ERR_UNSUPPORTED);
	ASSERT_STR_EQ(err,
		"capture backend x11 is not available (dxgi, gdi)");
	ASSERT(c == NULL);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}

/* The default backend, dxgi, falls back to gdi when Desktop Duplication
 * cannot open (wine: DuplicateOutput is E_NOTIMPL), and the fallback
 * captures the window like gdi itself. */
static void
test_dxgi_fallback(void)
{
	uv_loop_t loop;
	struct capture *c = NULL;
	struct grab_ctx x = { 0 };
	struct capture_display d[CAPTURE_MAX_DISPLAYS];
	char err[256];
	HWND hw;

	ASSERT((hw = thw_window("op-capture2", WX, WY, W, H, wndproc)) !=
		NULL);
	thw_pump(200);
	ASSERT_INT_EQ(uv_loop_init(&loop), 0);
	ASSERT_INT_EQ(capture_open(&loop, NULL, NULL, NULL, on_event, NULL, &c,
			      err, sizeof(err)),
		0);
	printf("default backend under wine: %s\n", capture_backend_name(c));
	ASSERT_STR_EQ(capture_backend_name(c), "gdi");
	capture_close(c);
	ASSERT_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_INT_EQ(capture_open(&loop, "dxgi", NULL, NULL, on_event, NULL,
			      &c, err, sizeof(err)),
		0);
	ASSERT_STR_EQ(capture_backend_name(c), "gdi");
	ASSERT(capture_displays(c, d, CAPTURE_MAX_DISPLAYS) >= 1);
	x.dx = -d[0].x;
	x.dy = -d[0].y;
	ASSERT_INT_EQ(capture_grabber_new(c, 0, &x.g), 0);
	ASSERT(thw_pump_until(grab_matches, &x, 5000));
	capture_grabber_free(x.g);
	capture_close(c);
	ASSERT_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	DestroyWindow(hw);
}

int
main(void)
{
	RUN(test_refuses_display);
	RUN(test_gdi_capture);
	RUN(test_dxgi_fallback);
	return th_done();
}
