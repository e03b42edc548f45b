/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend "win": the Win32 clipboard of this process's
 * session, text as CF_UNICODETEXT (UTF-16 <-> UTF-8) and images as the
 * registered "PNG" format that browsers and Office put there.
 *
 * Changes: GetClipboardSequenceNumber, polled on the loop thread every
 * WCLIP_POLL_MS (a format listener would need a window whose messages
 * the libuv loop does not pump). Our own set's number is remembered and
 * not reported.
 *
 * Reading and setting open the clipboard, which another program may
 * hold open for a moment: the read retries every WCLIP_RETRY_MS for up
 * to WCLIP_READ_TIMEOUT_MS (then -ETIMEDOUT); a set tries for
 * WCLIP_SET_TRIES * 10 ms and answers OP_ERR_STATE. Setting needs an
 * owner window: a message-only window made for the set and destroyed at
 * once, so no program's EmptyClipboard ever waits for a window of ours
 * that nobody pumps (the data, rendered up front, stays).
 *
 * What other programs put there is untrusted: a global block's size is
 * GlobalSize, text is read up to its first NUL within it.
 */
#include "clipboard/clipboard-internal.h" /* first: uv.h's winsock2.h */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "core/desktop.h"
#include "core/err.h"

#define WCLIP_POLL_MS 250
#define WCLIP_RETRY_MS 20
#define WCLIP_READ_TIMEOUT_MS 3000
#define WCLIP_SET_TRIES 20

struct wclip {
	uv_loop_t *loop;
	size_t max_bytes;
	struct clipboard *pub;
	clipboard_changed_fn changed;
	void *arg;
	uv_timer_t poll;
	uv_timer_t read_timer;
	int handles; /* initialised handles not yet closed */
	UINT png;    /* the registered "PNG" format */
	DWORD seq;   /* the sequence number last seen or set */
	clipboard_read_fn done;
	void *done_arg;
	uint64_t read_deadline;
};

static void
on_poll(uv_timer_t *h)
{
	struct wclip *w = h->data;
	DWORD seq = GetClipboardSequenceNumber();

	if (seq == w->seq)
		return;
	w->seq = seq;
	if (w->changed != NULL)
		w->changed(w->arg, w->pub);
}

/* CF_UNICODETEXT up to its first NUL (or the block's end) as UTF-8 in a
 * malloc'd *out. */
static int
read_text(HANDLE hd, size_t max, uint8_t **out, size_t *len)
{
	const WCHAR *s;
	size_t units = 0, cap;
	int n;

	if ((s = GlobalLock(hd)) == NULL)
		return OP_ERR_NOT_FOUND;
	cap = GlobalSize(hd) / sizeof(WCHAR);
	while (units < cap && s[units] != 0)
		units++;
	if (units > (size_t)INT_MAX / 4) {
		GlobalUnlock(hd);
		return OP_ERR_TOO_LARGE;
	}
	/* Unpaired surrogates become U+FFFD: what we hand on is UTF-8. */
	n = units == 0 ? 0 : WideCharToMultiByte(CP_UTF8, 0, s, (int)units,
				     NULL, 0, NULL, NULL);
	if (units > 0 && n <= 0) {
		GlobalUnlock(hd);
		return OP_ERR_PROTO;
	}
	if ((size_t)n > max) {
		GlobalUnlock(hd);
		return OP_ERR_TOO_LARGE;
	}
	if ((*out = malloc((size_t)n + 1)) == NULL) {
		GlobalUnlock(hd);
		return OP_ERR_NOMEM;
	}
	if (n > 0)
		WideCharToMultiByte(CP_UTF8, 0, s, (int)units, (char *)*out, n,
			NULL, NULL);
	GlobalUnlock(hd);
	*len = (size_t)n;
	return 0;
}

/* A binary format (PNG): the whole block. */
static int
read_blob(HANDLE hd, size_t max, uint8_t **out, size_t *len)
{
	const uint8_t *p;
	size_t n = GlobalSize(hd);

	if (n > max)
		return OP_ERR_TOO_LARGE;
	if ((p = GlobalLock(hd)) == NULL)
		return OP_ERR_NOT_FOUND;
	if ((*out = malloc(n > 0 ? n : 1)) == NULL) {
		GlobalUnlock(hd);
		return OP_ERR_NOMEM;
	}
	memcpy(*out, p, n);
	GlobalUnlock(hd);
	*len = n;
	return 0;
}

/* With the clipboard open: text and PNG, whichever are there. */
static void
read_open(struct wclip *w, clipboard_read_fn done, void *arg)
{
	struct clipboard_item it[CLIPBOARD_MAX_ITEMS];
	uint8_t *buf[CLIPBOARD_MAX_ITEMS] = { NULL };
	int n = 0, r = 0;
	HANDLE hd;

	if ((hd = GetClipboardData(CF_UNICODETEXT)) != NULL) {
		size_t len = 0;

		if ((r = read_text(hd, w->max_bytes, &buf[n], &len)) == 0)
			it[n] = (struct clipboard_item){ CLIPBOARD_TEXT, buf[n],
				len };
		n += r == 0;
	}
	if (r == 0 && w->png != 0 && (hd = GetClipboardData(w->png)) != NULL) {
		size_t len = 0;

		if ((r = read_blob(hd, w->max_bytes, &buf[n], &len)) == 0)
			it[n] = (struct clipboard_item){ CLIPBOARD_PNG, buf[n],
				len };
		n += r == 0;
	}
	CloseClipboard();
	if (r == 0 && n == 0)
		r = OP_ERR_NOT_FOUND;
	done(arg, r, r == 0 ? it : NULL, r == 0 ? n : 0);
	for (int i = 0; i < CLIPBOARD_MAX_ITEMS; i++)
		free(buf[i]);
}

static void
on_read_timer(uv_timer_t *h)
{
	struct wclip *w = h->data;
	clipboard_read_fn done = w->done;
	void *arg = w->done_arg;

	if (!OpenClipboard(NULL)) {
		if (uv_now(w->loop) < w->read_deadline) {
			uv_timer_start(&w->read_timer, on_read_timer,
				WCLIP_RETRY_MS, 0);
			return;
		}
		w->done = NULL;
		done(arg, -ETIMEDOUT, NULL, 0);
		return;
	}
	w->done = NULL; /* done may start the next read */
	read_open(w, done, arg);
}

static int
wclip_read(void *be, clipboard_read_fn done, void *arg)
{
	struct wclip *w = be;

	if (w->done != NULL)
		return OP_ERR_STATE;
	w->done = done;
	w->done_arg = arg;
	w->read_deadline = uv_now(w->loop) + WCLIP_READ_TIMEOUT_MS;
	uv_timer_start(&w->read_timer, on_read_timer, 0, 0);
	return 0;
}

/* A global block with the item in the clipboard's format (UTF-16 with a
 * NUL for text). */
static HGLOBAL
item_block(const struct clipboard_item *it)
{
	HGLOBAL g;
	void *p;
	int units = 0;
	size_t size = it->len;

	if (it->format == CLIPBOARD_TEXT) {
		if (it->len > (size_t)INT_MAX)
			return NULL;
		units = it->len == 0 ? 0 : MultiByteToWideChar(CP_UTF8,
						MB_ERR_INVALID_CHARS,
						(const char *)it->data,
						(int)it->len, NULL, 0);
		if (it->len > 0 && units <= 0)
			return NULL;
		size = ((size_t)units + 1) * sizeof(WCHAR);
	}
	if ((g = GlobalAlloc(GMEM_MOVEABLE, size > 0 ? size : 1)) == NULL)
		return NULL;
	if ((p = GlobalLock(g)) == NULL) {
		GlobalFree(g);
		return NULL;
	}
	if (it->format == CLIPBOARD_TEXT) {
		if (units > 0)
			MultiByteToWideChar(CP_UTF8, 0, (const char *)it->data,
				(int)it->len, p, units);
		((WCHAR *)p)[units] = 0;
	} else if (it->len > 0) {
		memcpy(p, it->data, it->len);
	}
	GlobalUnlock(g);
	return g;
}

static int
wclip_set(void *be, const struct clipboard_item *items, int n)
{
	struct wclip *w = be;
	HGLOBAL g[CLIPBOARD_MAX_ITEMS] = { NULL };
	HWND owner;
	int r = 0, tries = 0;

	if ((r = clipboard__items_check(items, n, w->max_bytes)) != 0)
		return r;
	if (w->png == 0)
		for (int i = 0; i < n; i++)
			if (items[i].format == CLIPBOARD_PNG)
				return OP_ERR_UNSUPPORTED;
	owner = CreateWindowExW(0, L"STATIC", L"outpost-clipboard", 0, 0, 0,
		0, 0, HWND_MESSAGE, NULL, GetModuleHandleW(NULL), NULL);
	if (owner == NULL)
		return OP_ERR_NOMEM;
	while (!OpenClipboard(owner)) {
		if (++tries == WCLIP_SET_TRIES) {
			DestroyWindow(owner);
			return OP_ERR_STATE; /* another program holds it */
		}
		Sleep(10);
	}
	if (!EmptyClipboard())
		r = -EACCES;
	for (int i = 0; i < n && r == 0; i++) {
		if ((g[i] = item_block(&items[i])) == NULL) {
			r = OP_ERR_NOMEM;
			break;
		}
		/* The clipboard owns the block once this succeeds. */
		if (SetClipboardData(items[i].format == CLIPBOARD_TEXT
					     ? CF_UNICODETEXT
					     : w->png,
			    g[i]) == NULL)
			r = -EACCES;
		else
			g[i] = NULL;
	}
	CloseClipboard();
	DestroyWindow(owner);
	/* Ours: not a change (after the close, which counts too in
	 * wine). */
	w->seq = GetClipboardSequenceNumber();
	for (int i = 0; i < CLIPBOARD_MAX_ITEMS; i++)
		if (g[i] != NULL)
			GlobalFree(g[i]);
	return r;
}

static void
on_closed(uv_handle_t *h)
{
	struct wclip *w = h->data;

	if (--w->handles == 0)
		free(w);
}

static void
wclip_close(void *be)
{
	struct wclip *w = be;

	w->changed = NULL;
	w->done = NULL;
	uv_close((uv_handle_t *)&w->poll, on_closed);
	uv_close((uv_handle_t *)&w->read_timer, on_closed);
}

static int
wclip_open(uv_loop_t *loop, const char *target, const char *auth,
	size_t max_bytes, struct clipboard *pub, clipboard_changed_fn changed,
	void *arg, void **be, char *err, size_t errlen)
{
	struct wclip *w;

	(void)auth;
	if (desktop_this_session_only("win clipboard", "is this session's",
		    target, err, errlen))
		return OP_ERR_UNSUPPORTED;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	w->loop = loop;
	w->max_bytes = max_bytes;
	w->pub = pub;
	w->changed = changed;
	w->arg = arg;
	w->png = RegisterClipboardFormatW(L"PNG");
	w->seq = GetClipboardSequenceNumber();
	uv_timer_init(loop, &w->poll); /* cannot fail */
	uv_timer_init(loop, &w->read_timer);
	w->poll.data = w->read_timer.data = w;
	w->handles = 2;
	uv_timer_start(&w->poll, on_poll, WCLIP_POLL_MS, WCLIP_POLL_MS);
	*be = w;
	return 0;
}

const struct clipboard_ops clipboard__win_ops = {
	.name = "win",
	.open = wclip_open,
	.close = wclip_close,
	.read = wclip_read,
	.set = wclip_set,
};
