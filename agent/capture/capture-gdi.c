/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend "gdi": BitBlt of the screen DC into a top-down
 * 32-bit DIB section per grabber (BGRX rows, what the X11 backend hands
 * out), the monitors from EnumDisplayMonitors, the cursor from
 * GetCursorInfo/GetIconInfo (shared with "dxgi" through capture-win.h).
 * It is what "dxgi" falls back to when Desktop Duplication cannot open.
 *
 * GDI tells nobody what changed: a timer on the loop thread (GDI_TICK_MS)
 * re-reads the monitor list, counts every tick as damage on every
 * display and reports a new cursor handle. A static screen is therefore
 * grabbed and encoded at the tick rate (DXGI has dirty rectangles).
 *
 * The process captures the session it runs in (the service starts the
 * network process in the console session). Every grab and tick first
 * attaches its thread to the desktop that has input (core/windesk.h):
 * the user's, or the log-on, lock and UAC screens' "Winlogon", which
 * only SYSTEM may open. When that fails BitBlt fails and the grab
 * answers -EACCES.
 */
#include "capture/capture-internal.h"
#include "capture/capture-win.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "core/desktop.h"
#include "core/err.h"
#include "core/log.h"
#include "core/windesk.h"

#define GDI_TICK_MS 33

struct gdi {
	struct capture *c;
	uv_timer_t tick;
	HCURSOR cursor; /* the shape last reported */
};

struct gdi_grabber {
	struct capture_grabber head; /* first: capture.c's view */
	HDC mem;
	HBITMAP dib, old;
	uint8_t *bits;
	uint32_t width, rows;
	size_t stride;
};

struct enum_ctx {
	struct capture_display *out;
	int max, n;
};

/* A monitor's rectangle, clipped to CAPTURE_MAX_DIM; empty ones are
 * skipped. */
static BOOL CALLBACK
on_monitor(HMONITOR mon, HDC dc, LPRECT rc, LPARAM arg)
{
	struct enum_ctx *e = (struct enum_ctx *)arg;
	MONITORINFOEXW mi;
	struct capture_display *d;
	int64_t w, h;

	(void)dc;
	(void)rc;
	if (e->n == e->max)
		return FALSE;
	memset(&mi, 0, sizeof(mi));
	mi.cbSize = sizeof(mi);
	if (!GetMonitorInfoW(mon, (MONITORINFO *)&mi))
		return TRUE;
	w = (int64_t)mi.rcMonitor.right - mi.rcMonitor.left;
	h = (int64_t)mi.rcMonitor.bottom - mi.rcMonitor.top;
	if (w <= 0 || h <= 0)
		return TRUE;
	d = &e->out[e->n++];
	memset(d, 0, sizeof(*d));
	d->x = mi.rcMonitor.left;
	d->y = mi.rcMonitor.top;
	d->width = (uint32_t)(w > CAPTURE_MAX_DIM ? CAPTURE_MAX_DIM : w);
	d->height = (uint32_t)(h > CAPTURE_MAX_DIM ? CAPTURE_MAX_DIM : h);
	d->primary = (mi.dwFlags & MONITORINFOF_PRIMARY) != 0;
	/* The device name ("\\.\DISPLAY1") as UTF-8, cut to fit. */
	if (WideCharToMultiByte(CP_UTF8, 0, mi.szDevice, -1, d->name,
		    (int)sizeof(d->name), NULL, NULL) == 0)
		d->name[0] = '\0';
	d->name[sizeof(d->name) - 1] = '\0';
	return TRUE;
}

static int
gdi_displays(struct capture *c, struct capture_display *out, int max)
{
	struct enum_ctx e = { .out = out, .max = max, .n = 0 };

	(void)c;
	if (max <= 0)
		return 0;
	EnumDisplayMonitors(NULL, NULL, on_monitor, (LPARAM)&e);
	if (e.n == 0) {
		/* No monitor (a session without one): the virtual screen. */
		int w = GetSystemMetrics(SM_CXVIRTUALSCREEN);
		int h = GetSystemMetrics(SM_CYVIRTUALSCREEN);

		if (w <= 0 || h <= 0)
			return 0;
		memset(&out[0], 0, sizeof(out[0]));
		out[0].x = GetSystemMetrics(SM_XVIRTUALSCREEN);
		out[0].y = GetSystemMetrics(SM_YVIRTUALSCREEN);
		out[0].width = (uint32_t)(w > CAPTURE_MAX_DIM ? CAPTURE_MAX_DIM
							  : w);
		out[0].height = (uint32_t)(h > CAPTURE_MAX_DIM ? CAPTURE_MAX_DIM
							   : h);
		out[0].primary = true;
		strcpy(out[0].name, "screen");
		e.n = 1;
	}
	return e.n;
}

bool
capture_win__follow_desktop(bool loop)
{
	static char last[72]; /* the loop thread's state, for the log */
	char name[64], now[72];
	int r = windesk_follow_input(name, sizeof(name));

	if (!loop)
		return r == 1;
	snprintf(now, sizeof(now), "%s%s", r < 0 ? "!" : "", name);
	if (strcmp(now, last) != 0) {
		if (r < 0)
			log_warn("cannot attach to the input desktop (%s): "
				 "the picture may be stale",
				name[0] != '\0' ? name : "not ours to open");
		else
			log_info("the input desktop is \"%s\"", name);
		memcpy(last, now, sizeof(last));
	}
	return r == 1;
}

HCURSOR
capture_win__cursor_handle(void)
{
	CURSORINFO ci;

	memset(&ci, 0, sizeof(ci));
	ci.cbSize = sizeof(ci);
	if (!GetCursorInfo(&ci) || !(ci.flags & CURSOR_SHOWING))
		return NULL;
	return ci.hCursor;
}

static void
on_tick(uv_timer_t *h)
{
	struct gdi *g = h->data;
	struct capture *c = g->c;
	unsigned mask = 0;
	HCURSOR cur;

	(void)capture_win__follow_desktop(true);
	if (capture__relayout(c))
		mask |= CAPTURE_EV_LAYOUT;
	for (int i = 0; i < c->ndisp; i++)
		c->seq[i]++;
	if (c->ndisp > 0)
		mask |= CAPTURE_EV_DAMAGE;
	if ((cur = capture_win__cursor_handle()) != g->cursor) {
		g->cursor = cur;
		mask |= CAPTURE_EV_CURSOR;
	}
	capture__emit(c, mask);
}

static int
gdi_open(struct capture *c, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct gdi *g;

	(void)xauthority;
	if (desktop_this_session_only("gdi backend",
		    "captures this session's desktop", display, err, errlen))
		return OP_ERR_UNSUPPORTED;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	/* Physical pixels: without this a scaled desktop is captured at
	 * the DPI-virtualised size, blurred. */
	SetProcessDPIAware();
	g->c = c;
	c->impl = g;
	if (!capture__relayout(c)) {
		snprintf(err, errlen, "this session has no desktop to capture");
		free(g);
		c->impl = NULL;
		return OP_ERR_NOT_FOUND;
	}
	g->cursor = capture_win__cursor_handle();
	uv_timer_init(c->loop, &g->tick); /* cannot fail */
	g->tick.data = g;
	uv_timer_start(&g->tick, on_tick, GDI_TICK_MS, GDI_TICK_MS);
	return 0;
}

static void
on_closed(uv_handle_t *h)
{
	struct gdi *g = h->data;
	struct capture *c = g->c;

	free(g);
	capture__free(c);
}

static void
gdi_close(struct capture *c)
{
	struct gdi *g = c->impl;

	uv_close((uv_handle_t *)&g->tick, on_closed);
}

static void
gdi_grabber_free(struct capture_grabber *cg)
{
	struct gdi_grabber *g = (struct gdi_grabber *)cg;

	if (g == NULL)
		return;
	if (g->mem != NULL) {
		if (g->old != NULL)
			SelectObject(g->mem, g->old);
		DeleteDC(g->mem);
	}
	if (g->dib != NULL)
		DeleteObject(g->dib);
	free(g);
}

static int
gdi_grabber_new(struct capture *c, const struct capture_display *d,
	uint32_t rows, struct capture_grabber **out)
{
	struct gdi_grabber *g = calloc(1, sizeof(*g));
	BITMAPINFO bi;
	void *bits = NULL;

	(void)c;
	if (g == NULL)
		return OP_ERR_NOMEM;
	g->width = d->width;
	g->rows = rows != 0 && rows < d->height ? rows : d->height;
	g->stride = (size_t)d->width * 4; /* 32-bit rows need no padding */
	memset(&bi, 0, sizeof(bi));
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = (LONG)g->width;
	bi.bmiHeader.biHeight = -(LONG)g->rows; /* top-down */
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	g->dib = CreateDIBSection(NULL, &bi, DIB_RGB_COLORS, &bits, NULL, 0);
	if (g->dib == NULL || bits == NULL ||
		(g->mem = CreateCompatibleDC(NULL)) == NULL ||
		(g->old = SelectObject(g->mem, g->dib)) == NULL) {
		gdi_grabber_free(&g->head);
		return OP_ERR_NOMEM;
	}
	g->bits = bits;
	*out = &g->head;
	return 0;
}

/* Worker thread: BitBlt rows [y, y + n) of the display. The screen DC
 * is taken and given back here: a DC from GetDC belongs to the thread
 * that got it. */
static int
gdi_grab_rows(struct capture_grabber *cg, uint32_t y, uint32_t n,
	struct capture_image *img)
{
	struct gdi_grabber *g = (struct gdi_grabber *)cg;
	HDC screen;
	BOOL ok;

	(void)capture_win__follow_desktop(false); /* a worker thread */
	if ((screen = GetDC(NULL)) == NULL)
		return -EACCES;
	ok = BitBlt(g->mem, 0, 0, (int)g->width, (int)n, screen, cg->d.x,
		cg->d.y + (int)y, SRCCOPY | CAPTUREBLT);
	ReleaseDC(NULL, screen);
	GdiFlush(); /* the DIB's bits are complete before we read them */
	if (!ok)
		return -EACCES; /* another desktop (UAC, lock screen) has input */
	img->data = g->bits;
	img->width = g->width;
	img->height = n;
	img->stride = g->stride;
	return 0;
}

static int
gdi_grab(struct capture_grabber *cg, struct capture_image *img)
{
	return gdi_grab_rows(cg, 0, cg->d.height, img);
}

/* A bitmap's pixels as 32-bit top-down BGRA (a monochrome one: 1 bits
 * white, 0 bits black). */
static bool
bitmap_bgra(HDC dc, HBITMAP bm, uint32_t w, uint32_t h, uint8_t *out)
{
	BITMAPINFO bi;

	memset(&bi, 0, sizeof(bi));
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = (LONG)w;
	bi.bmiHeader.biHeight = -(LONG)h;
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	return GetDIBits(dc, bm, 0, h, out, &bi, DIB_RGB_COLORS) == (int)h;
}

/* RGBA of pixel i. A colour cursor with an alpha channel uses it (straight
 * alpha); one without uses the AND mask. A monochrome one is AND over XOR
 * in one bitmap of twice the height; the "invert the screen" pixels (both
 * bits set) cannot be told to a peer and come out black. */
static void
cursor_pixel(const uint8_t *color, const uint8_t *mask, bool alpha,
	size_t i, size_t n, uint8_t *o)
{
	bool and = mask[i * 4] != 0;

	if (color == NULL) {
		bool xor = mask[(n + i) * 4] != 0;

		memset(o, !and && xor ? 255 : 0, 3);
		o[3] = and && !xor ? 0 : 255;
		return;
	}
	o[0] = color[i * 4 + 2];
	o[1] = color[i * 4 + 1];
	o[2] = color[i * 4];
	if (alpha)
		o[3] = color[i * 4 + 3];
	else
		o[3] = and && (o[0] | o[1] | o[2]) == 0 ? 0 : 255;
	if (o[3] == 0)
		memset(o, 0, 3);
}

static int
cursor_rgba(HCURSOR hc, struct capture_cursor *out)
{
	ICONINFO ii;
	BITMAP bm;
	uint8_t *color = NULL, *mask = NULL;
	uint32_t w, h;
	size_t n;
	bool alpha = false, ok;
	HDC dc;
	int r = OP_ERR_NOMEM;

	if (hc == NULL) { /* hidden: one transparent pixel */
		if ((out->rgba = calloc(1, 4)) == NULL)
			return OP_ERR_NOMEM;
		out->width = out->height = 1;
		return 0;
	}
	if (!GetIconInfo(hc, &ii))
		return OP_ERR_NOT_FOUND;
	memset(&bm, 0, sizeof(bm));
	if (GetObjectW(ii.hbmColor != NULL ? ii.hbmColor : ii.hbmMask,
		    sizeof(bm), &bm) == 0 ||
		bm.bmWidth <= 0 || bm.bmHeight <= 0) {
		r = OP_ERR_PROTO;
		goto out;
	}
	w = (uint32_t)bm.bmWidth;
	h = (uint32_t)bm.bmHeight / (ii.hbmColor != NULL ? 1u : 2u);
	if (h == 0 || w > CAPTURE_MAX_CURSOR_DIM || h > CAPTURE_MAX_CURSOR_DIM) {
		r = OP_ERR_RANGE;
		goto out;
	}
	n = (size_t)w * h;
	if ((mask = malloc(n * 4 * 2)) == NULL ||
		(ii.hbmColor != NULL && (color = malloc(n * 4)) == NULL) ||
		(out->rgba = malloc(n * 4)) == NULL)
		goto out;
	dc = GetDC(NULL);
	ok = dc != NULL &&
		bitmap_bgra(dc, ii.hbmMask, w, color != NULL ? h : 2 * h, mask) &&
		(color == NULL || bitmap_bgra(dc, ii.hbmColor, w, h, color));
	if (dc != NULL)
		ReleaseDC(NULL, dc);
	if (!ok) {
		r = OP_ERR_PROTO;
		goto out;
	}
	for (size_t i = 0; color != NULL && i < n; i++)
		alpha = alpha || color[i * 4 + 3] != 0;
	for (size_t i = 0; i < n; i++)
		cursor_pixel(color, mask, alpha, i, n, out->rgba + i * 4);
	out->serial = (uint64_t)(uintptr_t)hc;
	out->hotx = (int32_t)ii.xHotspot;
	out->hoty = (int32_t)ii.yHotspot;
	out->width = w;
	out->height = h;
	r = 0;
out:
	if (r != 0) {
		free(out->rgba);
		out->rgba = NULL;
	}
	free(mask);
	free(color);
	DeleteObject(ii.hbmMask);
	if (ii.hbmColor != NULL)
		DeleteObject(ii.hbmColor);
	return r;
}

int
capture_win__cursor(struct capture *c, struct capture_cursor *out)
{
	(void)c;
	return cursor_rgba(capture_win__cursor_handle(), out);
}

int
capture_win__pointer(struct capture *c, int32_t *x, int32_t *y)
{
	POINT p;

	(void)c;
	if (!GetCursorPos(&p))
		return -EACCES;
	*x = p.x;
	*y = p.y;
	return 0;
}

const struct capture_ops capture__gdi_ops = {
	.name = "gdi",
	.open = gdi_open,
	.close = gdi_close,
	.displays = gdi_displays,
	.grabber_new = gdi_grabber_new,
	.grabber_free = gdi_grabber_free,
	.grab = gdi_grab,
	.grab_rows = gdi_grab_rows,
	.cursor = capture_win__cursor,
	.pointer = capture_win__pointer,
};
