/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend "dxgi": DXGI Desktop Duplication
 * (IDXGIOutputDuplication), one duplication per output of the first
 * adapter. UNTESTED on real Windows: wine answers DuplicateOutput with
 * E_NOTIMPL, so only the fallback runs here (any failure to open makes
 * capture_open use "gdi" instead, see capture.c).
 *
 * The loop thread's tick (DXGI_TICK_MS) acquires each output's next
 * frame without waiting, copies it on the GPU into that output's staging
 * texture and counts its dirty and move rectangles as damage; grabs (any
 * thread) map the staging texture and copy rows out. The immediate
 * context is not thread-safe: the tick and the grabs take `lock`.
 *
 * DXGI_ERROR_ACCESS_LOST (a desktop switch: UAC, lock screen; a mode
 * change) drops the duplication; the next ticks make it again, and a
 * size change is reported as a layout change. A duplication is made on
 * the desktop that has input: each tick attaches the loop thread to it
 * first (capture_win__follow_desktop) and drops every duplication when
 * it has moved. Rotated outputs are not
 * handled: opening refuses them (GDI then captures them upright).
 */
#include "capture/capture-win.h" /* first: uv.h's winsock2.h */

#define COBJMACROS
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <d3d11.h>
#include <dxgi1_2.h>

#include "core/desktop.h"
#include "core/err.h"
#include "core/log.h"

#define DXGI_TICK_MS 33
#define DXGI_META_MAX (1u << 20) /* bytes of dirty/move rectangles */

struct dxgi_out {
	IDXGIOutput1 *output;
	IDXGIOutputDuplication *dupl; /* NULL after ACCESS_LOST */
	ID3D11Texture2D *staging;     /* the latest frame, CPU-readable */
	bool have_frame;
	uint32_t width, height; /* of the duplication's frames */
	struct capture_display d;
};

struct dxgi {
	struct capture *c;
	uv_timer_t tick;
	ID3D11Device *dev;
	ID3D11DeviceContext *ctx;
	SRWLOCK lock; /* ctx and every out's staging/have_frame */
	struct dxgi_out out[CAPTURE_MAX_DISPLAYS];
	int nout;
	HCURSOR cursor;
	uint8_t *meta;
	UINT meta_cap;
};

struct dxgi_grabber {
	struct capture_grabber head; /* first: capture.c's view */
	struct dxgi *x;
	int out;
	uint8_t *buf;
	uint32_t rows;
	size_t stride;
};

#define RELEASE(p)                                                       \
	do {                                                             \
		if ((p) != NULL)                                         \
			(p)->lpVtbl->Release(p);                         \
		(p) = NULL;                                              \
	} while (0)

/* Duplicates o (again) and makes its staging texture for the frame
 * size. 0 or the failing call's HRESULT as a negative code, why in err. */
static int
duplicate(struct dxgi *x, struct dxgi_out *o, char *err, size_t errlen)
{
	D3D11_TEXTURE2D_DESC td;
	DXGI_OUTDUPL_DESC dd;
	HRESULT hr;

	hr = IDXGIOutput1_DuplicateOutput(o->output, (IUnknown *)x->dev,
		&o->dupl);
	if (FAILED(hr)) {
		snprintf(err, errlen, "DuplicateOutput: 0x%08lx",
			(unsigned long)hr);
		o->dupl = NULL;
		return OP_ERR_UNSUPPORTED;
	}
	IDXGIOutputDuplication_GetDesc(o->dupl, &dd);
	if (dd.Rotation != DXGI_MODE_ROTATION_IDENTITY &&
		dd.Rotation != DXGI_MODE_ROTATION_UNSPECIFIED) {
		snprintf(err, errlen, "output %s is rotated", o->d.name);
		RELEASE(o->dupl);
		return OP_ERR_UNSUPPORTED;
	}
	if (dd.ModeDesc.Width == 0 || dd.ModeDesc.Height == 0 ||
		dd.ModeDesc.Width > CAPTURE_MAX_DIM ||
		dd.ModeDesc.Height > CAPTURE_MAX_DIM) {
		snprintf(err, errlen, "output %s: frames of %ux%u", o->d.name,
			dd.ModeDesc.Width, dd.ModeDesc.Height);
		RELEASE(o->dupl);
		return OP_ERR_RANGE;
	}
	if (o->staging != NULL && dd.ModeDesc.Width == o->width &&
		dd.ModeDesc.Height == o->height)
		return 0;
	RELEASE(o->staging);
	o->have_frame = false;
	memset(&td, 0, sizeof(td));
	td.Width = dd.ModeDesc.Width;
	td.Height = dd.ModeDesc.Height;
	td.MipLevels = 1;
	td.ArraySize = 1;
	td.Format = DXGI_FORMAT_B8G8R8A8_UNORM;
	td.SampleDesc.Count = 1;
	td.Usage = D3D11_USAGE_STAGING;
	td.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
	hr = ID3D11Device_CreateTexture2D(x->dev, &td, NULL, &o->staging);
	if (FAILED(hr)) {
		snprintf(err, errlen, "CreateTexture2D: 0x%08lx",
			(unsigned long)hr);
		RELEASE(o->dupl);
		return OP_ERR_NOMEM;
	}
	o->width = td.Width;
	o->height = td.Height;
	return 0;
}

/* The output's place on the desktop, clipped to its frames. */
static void
describe_output(struct dxgi_out *o)
{
	DXGI_OUTPUT_DESC od;
	int64_t w, h;

	memset(&o->d, 0, sizeof(o->d));
	if (FAILED(IDXGIOutput1_GetDesc(o->output, &od)))
		return;
	w = (int64_t)od.DesktopCoordinates.right - od.DesktopCoordinates.left;
	h = (int64_t)od.DesktopCoordinates.bottom - od.DesktopCoordinates.top;
	o->d.x = od.DesktopCoordinates.left;
	o->d.y = od.DesktopCoordinates.top;
	o->d.width = (uint32_t)(w < 0 ? 0 : w > o->width ? o->width : w);
	o->d.height = (uint32_t)(h < 0 ? 0 : h > o->height ? o->height : h);
	o->d.primary = o->d.x == 0 && o->d.y == 0;
	if (WideCharToMultiByte(CP_UTF8, 0, od.DeviceName, -1, o->d.name,
		    (int)sizeof(o->d.name), NULL, NULL) == 0)
		o->d.name[0] = '\0';
}

static int
dxgi_displays(struct capture *c, struct capture_display *out, int max)
{
	struct dxgi *x = c->impl;
	int n = 0;

	for (int i = 0; i < x->nout && n < max; i++)
		if (x->out[i].d.width > 0 && x->out[i].d.height > 0)
			out[n++] = x->out[i].d;
	return n;
}

/* Counts the frame's dirty and move rectangles as damage; all of the
 * output when they cannot be read. */
static void
frame_damage(struct dxgi *x, struct dxgi_out *o, UINT size)
{
	UINT need = 0;
	bool whole = size == 0 || size > DXGI_META_MAX;

	if (!whole && size > x->meta_cap) {
		uint8_t *m = realloc(x->meta, size);

		whole = m == NULL;
		if (m != NULL) {
			x->meta = m;
			x->meta_cap = size;
		}
	}
	if (!whole && SUCCEEDED(IDXGIOutputDuplication_GetFrameMoveRects(
			      o->dupl, x->meta_cap,
			      (DXGI_OUTDUPL_MOVE_RECT *)x->meta, &need))) {
		DXGI_OUTDUPL_MOVE_RECT *mv = (DXGI_OUTDUPL_MOVE_RECT *)x->meta;

		for (UINT i = 0; i < need / sizeof(*mv); i++)
			if (mv[i].DestinationRect.right >
					mv[i].DestinationRect.left &&
				mv[i].DestinationRect.bottom >
					mv[i].DestinationRect.top)
				(void)capture__damage(x->c,
				o->d.x + mv[i].DestinationRect.left,
				o->d.y + mv[i].DestinationRect.top,
				(uint32_t)(mv[i].DestinationRect.right -
					mv[i].DestinationRect.left),
				(uint32_t)(mv[i].DestinationRect.bottom -
					mv[i].DestinationRect.top));
	} else {
		whole = true;
	}
	if (!whole && SUCCEEDED(IDXGIOutputDuplication_GetFrameDirtyRects(
			      o->dupl, x->meta_cap, (RECT *)x->meta, &need))) {
		RECT *r = (RECT *)x->meta;

		for (UINT i = 0; i < need / sizeof(*r); i++)
			if (r[i].right > r[i].left && r[i].bottom > r[i].top)
				(void)capture__damage(x->c, o->d.x + r[i].left,
				o->d.y + r[i].top,
				(uint32_t)(r[i].right - r[i].left),
				(uint32_t)(r[i].bottom - r[i].top));
	} else {
		whole = true;
	}
	if (whole)
		(void)capture__damage(x->c, o->d.x, o->d.y, o->d.width,
			o->d.height);
}

/* Takes output o's next frame, if there is one, into its staging
 * texture; a lost duplication is made again. Returns true when the
 * layout may have changed (capture__relayout compares). */
static bool
poll_output(struct dxgi *x, struct dxgi_out *o)
{
	DXGI_OUTDUPL_FRAME_INFO fi;
	IDXGIResource *res = NULL;
	ID3D11Texture2D *tex = NULL;
	char err[128];
	HRESULT hr;

	if (o->dupl == NULL) {
		AcquireSRWLockExclusive(&x->lock);
		(void)duplicate(x, o, err, sizeof(err));
		ReleaseSRWLockExclusive(&x->lock);
		if (o->dupl == NULL)
			return false;
		describe_output(o); /* it may have moved or changed size */
		return true;
	}
	hr = IDXGIOutputDuplication_AcquireNextFrame(o->dupl, 0, &fi, &res);
	if (hr == DXGI_ERROR_WAIT_TIMEOUT)
		return false;
	if (FAILED(hr)) {
		/* ACCESS_LOST and the rest: duplicate again later. */
		RELEASE(o->dupl);
		return false;
	}
	if (fi.LastPresentTime.QuadPart != 0 &&
		SUCCEEDED(IDXGIResource_QueryInterface(res,
			&IID_ID3D11Texture2D, (void **)&tex))) {
		AcquireSRWLockExclusive(&x->lock);
		ID3D11DeviceContext_CopyResource(x->ctx,
			(ID3D11Resource *)o->staging, (ID3D11Resource *)tex);
		o->have_frame = true;
		ReleaseSRWLockExclusive(&x->lock);
		frame_damage(x, o, fi.TotalMetadataBufferSize);
		RELEASE(tex);
	}
	RELEASE(res);
	IDXGIOutputDuplication_ReleaseFrame(o->dupl);
	return false;
}

static void
on_tick(uv_timer_t *h)
{
	struct dxgi *x = h->data;
	unsigned mask = 0;
	bool layout = false;
	uint64_t before[CAPTURE_MAX_DISPLAYS];
	HCURSOR cur;

	for (int i = 0; i < x->c->ndisp; i++)
		before[i] = x->c->seq[i];
	if (capture_win__follow_desktop(true))
		for (int i = 0; i < x->nout; i++)
			RELEASE(x->out[i].dupl);
	for (int i = 0; i < x->nout; i++)
		layout = poll_output(x, &x->out[i]) || layout;
	if (layout && capture__relayout(x->c))
		mask |= CAPTURE_EV_LAYOUT;
	for (int i = 0; i < x->c->ndisp && !(mask & CAPTURE_EV_LAYOUT); i++)
		if (x->c->seq[i] != before[i])
			mask |= CAPTURE_EV_DAMAGE;
	if ((cur = capture_win__cursor_handle()) != x->cursor) {
		x->cursor = cur;
		mask |= CAPTURE_EV_CURSOR;
	}
	capture__emit(x->c, mask);
}

static void
dxgi_free(struct dxgi *x)
{
	for (int i = 0; i < x->nout; i++) {
		RELEASE(x->out[i].staging);
		RELEASE(x->out[i].dupl);
		RELEASE(x->out[i].output);
	}
	RELEASE(x->ctx);
	RELEASE(x->dev);
	free(x->meta);
	free(x);
}

/* The first adapter's outputs that show part of the desktop. */
static int
open_outputs(struct dxgi *x, char *err, size_t errlen)
{
	IDXGIDevice *dd = NULL;
	IDXGIAdapter *ad = NULL;
	IDXGIOutput *o = NULL;
	HRESULT hr;
	int r = 0;

	hr = ID3D11Device_QueryInterface(x->dev, &IID_IDXGIDevice,
		(void **)&dd);
	if (SUCCEEDED(hr))
		hr = IDXGIDevice_GetAdapter(dd, &ad);
	RELEASE(dd);
	if (FAILED(hr)) {
		snprintf(err, errlen, "no DXGI adapter: 0x%08lx",
			(unsigned long)hr);
		return OP_ERR_UNSUPPORTED;
	}
	for (UINT i = 0; r == 0 && x->nout < CAPTURE_MAX_DISPLAYS &&
		IDXGIAdapter_EnumOutputs(ad, i, &o) != DXGI_ERROR_NOT_FOUND;
		i++) {
		struct dxgi_out *out = &x->out[x->nout];
		DXGI_OUTPUT_DESC od;

		if (o == NULL || FAILED(IDXGIOutput_GetDesc(o, &od)) ||
			!od.AttachedToDesktop) {
			RELEASE(o);
			continue;
		}
		hr = IDXGIOutput_QueryInterface(o, &IID_IDXGIOutput1,
			(void **)&out->output);
		RELEASE(o);
		if (FAILED(hr)) {
			snprintf(err, errlen, "no IDXGIOutput1 (before "
					      "Windows 8)");
			r = OP_ERR_UNSUPPORTED;
			break;
		}
		x->nout++;
		if ((r = duplicate(x, out, err, errlen)) == 0)
			describe_output(out);
	}
	RELEASE(ad);
	if (r == 0 && x->nout == 0) {
		snprintf(err, errlen, "the adapter shows no desktop");
		r = OP_ERR_NOT_FOUND;
	}
	return r;
}

static int
dxgi_open(struct capture *c, const char *display, const char *xauthority,
	char *err, size_t errlen)
{
	struct dxgi *x;
	HRESULT hr;
	int r;

	(void)xauthority;
	if ((r = desktop_this_session_only("dxgi backend",
		     "captures this session's desktop", display, err,
		     errlen)) != 0)
		return r;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	x->c = c;
	InitializeSRWLock(&x->lock);
	SetProcessDPIAware(); /* frames and coordinates in physical pixels */
	hr = D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL,
		0, D3D11_SDK_VERSION, &x->dev, NULL, &x->ctx);
	if (FAILED(hr)) {
		snprintf(err, errlen, "D3D11CreateDevice: 0x%08lx",
			(unsigned long)hr);
		dxgi_free(x);
		return OP_ERR_UNSUPPORTED;
	}
	if ((r = open_outputs(x, err, errlen)) != 0) {
		dxgi_free(x);
		return r;
	}
	c->impl = x;
	if (!capture__relayout(c)) {
		snprintf(err, errlen, "no output to capture");
		c->impl = NULL;
		dxgi_free(x);
		return OP_ERR_NOT_FOUND;
	}
	x->cursor = capture_win__cursor_handle();
	uv_timer_init(c->loop, &x->tick); /* cannot fail */
	x->tick.data = x;
	uv_timer_start(&x->tick, on_tick, 0, DXGI_TICK_MS);
	return 0;
}

static void
on_closed(uv_handle_t *h)
{
	struct dxgi *x = h->data;
	struct capture *c = x->c;

	dxgi_free(x);
	capture__free(c);
}

static void
dxgi_close(struct capture *c)
{
	struct dxgi *x = c->impl;

	uv_close((uv_handle_t *)&x->tick, on_closed);
}

static int
dxgi_grabber_new(struct capture *c, const struct capture_display *d,
	uint32_t rows, struct capture_grabber **out)
{
	struct dxgi *x = c->impl;
	struct dxgi_grabber *g = calloc(1, sizeof(*g));
	int i;

	if (g == NULL)
		return OP_ERR_NOMEM;
	for (i = 0; i < x->nout; i++)
		if (x->out[i].d.x == d->x && x->out[i].d.y == d->y &&
			strcmp(x->out[i].d.name, d->name) == 0)
			break;
	g->rows = rows != 0 && rows < d->height ? rows : d->height;
	g->stride = (size_t)d->width * 4;
	if (i == x->nout || (g->buf = malloc(g->stride * g->rows)) == NULL) {
		free(g);
		return i == x->nout ? OP_ERR_STATE : OP_ERR_NOMEM;
	}
	g->x = x;
	g->out = i;
	*out = &g->head;
	return 0;
}

static void
dxgi_grabber_free(struct capture_grabber *cg)
{
	struct dxgi_grabber *g = (struct dxgi_grabber *)cg;

	if (g == NULL)
		return;
	free(g->buf);
	free(g);
}

/* Any thread: rows [y, y + n) of the latest frame. */
static int
dxgi_grab_rows(struct capture_grabber *cg, uint32_t y, uint32_t n,
	struct capture_image *img)
{
	struct dxgi_grabber *g = (struct dxgi_grabber *)cg;
	struct dxgi_out *o = &g->x->out[g->out];
	D3D11_MAPPED_SUBRESOURCE m;
	int r = 0;

	AcquireSRWLockExclusive(&g->x->lock);
	if (!o->have_frame || o->staging == NULL) {
		r = -EAGAIN; /* no frame yet (or since a mode change) */
	} else if (cg->d.width > o->width || y + n > o->height) {
		r = OP_ERR_STATE;
	} else if (FAILED(ID3D11DeviceContext_Map(g->x->ctx,
			   (ID3D11Resource *)o->staging, 0, D3D11_MAP_READ, 0,
			   &m)) ||
		m.RowPitch < g->stride) {
		r = -EIO;
	} else {
		for (uint32_t i = 0; i < n; i++)
			memcpy(g->buf + (size_t)i * g->stride,
				(const uint8_t *)m.pData +
					(size_t)(y + i) * m.RowPitch,
				g->stride);
		ID3D11DeviceContext_Unmap(g->x->ctx,
			(ID3D11Resource *)o->staging, 0);
	}
	ReleaseSRWLockExclusive(&g->x->lock);
	if (r != 0)
		return r;
	img->data = g->buf;
	img->width = cg->d.width;
	img->height = n;
	img->stride = g->stride;
	return 0;
}

static int
dxgi_grab(struct capture_grabber *cg, struct capture_image *img)
{
	return dxgi_grab_rows(cg, 0, cg->d.height, img);
}

const struct capture_ops capture__dxgi_ops = {
	.name = "dxgi",
	.open = dxgi_open,
	.close = dxgi_close,
	.displays = dxgi_displays,
	.grabber_new = dxgi_grabber_new,
	.grabber_free = dxgi_grabber_free,
	.grab = dxgi_grab,
	.grab_rows = dxgi_grab_rows,
	.cursor = capture_win__cursor,
	.pointer = capture_win__pointer,
	.fallback = &capture__gdi_ops,
};
