/* SPDX-License-Identifier: MIT */
/*
 * The Win32 clipboard backend under wine (on an Xvfb screen): text and
 * PNG bytes put there by "another program" (this test, through the Win32
 * API and a window of its own) are reported and read as UTF-8; what the
 * backend sets is read back through the Win32 API; sizes are capped both
 * ways, invalid UTF-8 is refused, a foreign text block without its NUL is
 * read within its size, and our own set is not reported as a change.
 */
#include <stdlib.h>
#include <string.h>

#include "clipboard/clipboard.h"
#include "core/err.h"
#include "th-win.h"
#include "th.h"

#define MAX 64

static HWND win;
static int changes;
static int rd_status = 1; /* 1: no answer yet */
static char rd_text[256];
static uint8_t rd_png[256];
static size_t rd_png_len;
static int rd_n;

static void
on_changed(void *arg, struct clipboard *cb)
{
	(void)arg;
	(void)cb;
	changes++;
}

static void
on_read(void *arg, int status, const struct clipboard_item *items, int n)
{
	(void)arg;
	rd_status = status;
	rd_n = n;
	rd_text[0] = '\0';
	rd_png_len = 0;
	for (int i = 0; i < n; i++) {
		if (items[i].format == CLIPBOARD_TEXT &&
			items[i].len < sizeof(rd_text)) {
			memcpy(rd_text, items[i].data, items[i].len);
			rd_text[items[i].len] = '\0';
		} else if (items[i].format == CLIPBOARD_PNG &&
			items[i].len <= sizeof(rd_png)) {
			memcpy(rd_png, items[i].data, items[i].len);
			rd_png_len = items[i].len;
		}
	}
}

/* Runs the loop (and our window's messages) until *v leaves from or 3 s
 * pass. */
static bool
run_until(uv_loop_t *loop, const int *v, int from)
{
	for (int i = 0; i < 300 && *v == from; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		thw_pump(10);
	}
	return *v != from;
}

static void
run_for(uv_loop_t *loop, unsigned ms)
{
	for (unsigned t = 0; t < ms; t += 10) {
		uv_run(loop, UV_RUN_NOWAIT);
		thw_pump(10);
	}
}

/* What another program does: put blocks on the clipboard. bytes: the
 * exact block (no NUL added). */
static bool
foreign_set(UINT fmt, const void *bytes, size_t len, UINT fmt2,
	const void *bytes2, size_t len2)
{
	HGLOBAL g;
	bool ok = true;

	if (!OpenClipboard(win))
		return false;
	EmptyClipboard();
	for (int k = 0; k < 2 && ok; k++) {
		UINT f = k == 0 ? fmt : fmt2;
		const void *b = k == 0 ? bytes : bytes2;
		size_t n = k == 0 ? len : len2;

		if (f == 0)
			continue;
		ok = (g = GlobalAlloc(GMEM_MOVEABLE, n)) != NULL;
		if (ok) {
			memcpy(GlobalLock(g), b, n);
			GlobalUnlock(g);
			ok = SetClipboardData(f, g) != NULL;
		}
	}
	CloseClipboard();
	return ok;
}

static int
read_now(uv_loop_t *loop, struct clipboard *cb)
{
	rd_status = 1;
	if (clipboard_read(cb, on_read, NULL) != 0)
		return -1;
	return run_until(loop, &rd_status, 1) ? rd_status : -2;
}

static void
test_clipboard(void)
{
	static const WCHAR hello[] = L"h\u00e9llo \u20ac \U0001F642";
	static const WCHAR nonul[] = { 'a', 'b', 'c' };
	static const uint8_t png[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a,
		0x0a, 0, 1, 2, 3 };
	static const char peer[] = "from the peer \xe2\x9c\x93\r\nline 2";
	struct clipboard_item it[2];
	uv_loop_t loop;
	struct clipboard *cb = NULL;
	char err[256];
	WCHAR got[64];
	UINT fpng = RegisterClipboardFormatW(L"PNG");
	HANDLE hd;
	int c0;

	ASSERT((win = thw_window("op-clip", 10, 10, 50, 50, DefWindowProcW)) !=
		NULL);
	ASSERT_INT_EQ(uv_loop_init(&loop), 0);
	ASSERT_INT_EQ(clipboard_open(&loop, "x11", NULL, NULL, MAX, NULL, NULL,
			      &cb, err, sizeof(err)),
		OP_ERR_UNSUPPORTED);
	ASSERT_STR_EQ(err, "unknown clipboard backend x11 (known: win)");
	ASSERT_INT_EQ(clipboard_open(&loop, "win", NULL, NULL, MAX, on_changed,
			      NULL, &cb, err, sizeof(err)),
		0);
	ASSERT_STR_EQ(clipboard_backend_name(cb), "win");

	/* Another program copies text and an image. */
	c0 = changes;
	ASSERT(foreign_set(CF_UNICODETEXT, hello, sizeof(hello), fpng, png,
		sizeof(png)));
	ASSERT(run_until(&loop, &changes, c0));
	ASSERT_INT_EQ(read_now(&loop, cb), 0);
	ASSERT_INT_EQ(rd_n, 2);
	ASSERT_STR_EQ(rd_text, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x99\x82");
	ASSERT_INT_EQ(rd_png_len, sizeof(png));
	ASSERT_MEM_EQ(rd_png, png, sizeof(png));

	/* A text block without its NUL: read within its size (wine's
	 * SetClipboardData overwrites the last unit with a NUL itself;
	 * Windows hands the block over as it is). */
	ASSERT(foreign_set(CF_UNICODETEXT, nonul, sizeof(nonul), 0, NULL, 0));
	ASSERT_INT_EQ(read_now(&loop, cb), 0);
	ASSERT_INT_EQ(rd_n, 1);
	ASSERT(strcmp(rd_text, "abc") == 0 || strcmp(rd_text, "ab") == 0);

	/* Larger than max_bytes (UTF-8 bytes): refused. */
	{
		WCHAR big[MAX + 8];

		for (size_t i = 0; i < MAX + 7; i++)
			big[i] = 'x';
		big[MAX + 7] = 0;
		ASSERT(foreign_set(CF_UNICODETEXT, big, sizeof(big), 0, NULL,
			0));
		ASSERT_INT_EQ(read_now(&loop, cb), OP_ERR_TOO_LARGE);
	}

	/* Empty. */
	ASSERT(foreign_set(0, NULL, 0, 0, NULL, 0));
	ASSERT_INT_EQ(read_now(&loop, cb), OP_ERR_NOT_FOUND);

	/* The peer's text goes in; other programs read it; no change is
	 * reported for it. */
	run_for(&loop, 400);
	c0 = changes;
	it[0] = (struct clipboard_item){ CLIPBOARD_TEXT,
		(const uint8_t *)peer, strlen(peer) };
	ASSERT_INT_EQ(clipboard_set(cb, it, 1), 0);
	ASSERT(OpenClipboard(win));
	hd = GetClipboardData(CF_UNICODETEXT);
	ASSERT(hd != NULL);
	wcsncpy(got, GlobalLock(hd), 63);
	got[63] = 0;
	GlobalUnlock(hd);
	CloseClipboard();
	ASSERT(wcscmp(got, L"from the peer \u2713\r\nline 2") == 0);
	run_for(&loop, 600);
	ASSERT_INT_EQ(changes, c0);
	ASSERT_INT_EQ(read_now(&loop, cb), 0);
	ASSERT_STR_EQ(rd_text, peer);

	/* Text and PNG together. */
	it[1] = (struct clipboard_item){ CLIPBOARD_PNG, png, sizeof(png) };
	ASSERT_INT_EQ(clipboard_set(cb, it, 2), 0);
	ASSERT_INT_EQ(read_now(&loop, cb), 0);
	ASSERT_INT_EQ(rd_n, 2);
	ASSERT_STR_EQ(rd_text, peer);
	ASSERT_MEM_EQ(rd_png, png, sizeof(png));

	/* Refused: too large, not UTF-8, two texts. */
	{
		static uint8_t big[MAX + 1];

		memset(big, 'y', sizeof(big));
		it[0] = (struct clipboard_item){ CLIPBOARD_TEXT, big,
			sizeof(big) };
		ASSERT_INT_EQ(clipboard_set(cb, it, 1), OP_ERR_TOO_LARGE);
		it[0] = (struct clipboard_item){ CLIPBOARD_TEXT,
			(const uint8_t *)"\xc3\x28", 2 };
		ASSERT_INT_EQ(clipboard_set(cb, it, 1), OP_ERR_RANGE);
		it[0] = it[1] = (struct clipboard_item){ CLIPBOARD_TEXT,
			(const uint8_t *)"a", 1 };
		ASSERT_INT_EQ(clipboard_set(cb, it, 2), OP_ERR_RANGE);
	}
	ASSERT_INT_EQ(read_now(&loop, cb), 0);
	ASSERT_STR_EQ(rd_text, peer); /* unchanged by the refusals */

	clipboard_close(cb);
	ASSERT_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	DestroyWindow(win);
}

int
main(void)
{
	RUN(test_clipboard);
	return th_done();
}
