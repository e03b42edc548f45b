/* SPDX-License-Identifier: MIT */
/*
 * File transfer's jobs under wine (xfer.c, -fs, -send, -recv on
 * xfer-os-win.c), driven through the module's API as the session drives
 * it, without the network: listings of a real folder (types, sizes,
 * times, hidden names), a download of a tree (digests with the files'
 * times, blocks decompressed and compared, SHA-256 in the results), an
 * upload of a tree (digest, send_confirm, plain, zstd and all-zero
 * blocks, done: the files hold the bytes and the times, no part file is
 * left), overwrite and skip of an existing file, a second session kept
 * off a file being uploaded (the lock), mkdir, remove and rename (never
 * replacing), and hostile input: device names, streams, drive letters,
 * "..", a file that grows past the limit or shrinks while it is sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "core/err.h"
#include "th-wfs.h"
#include "th-xfer-col.h"
#include "th.h"
#include "xfer/xfer.h"

#define MTIME1 1500000000ull
#define MTIME2 1600000123ull
#define BIG (3 * XFER_BLOCK_SIZE + 777)

static char base[MAX_PATH];
static char share[MAX_PATH + 16];

/* share\rel (rel may use '/', which Win32 takes too). */
static const char *
sp(const char *rel)
{
	static char bufs[4][MAX_PATH + 300];
	static int i;
	char *b = bufs[i++ & 3];

	snprintf(b, sizeof(bufs[0]), "%s\\%s", share, rel);
	return b;
}

static FILETIME
filetime(uint64_t secs)
{
	uint64_t t = secs * 10000000ull + 116444736000000000ull;
	FILETIME ft = { (DWORD)t, (DWORD)(t >> 32) };

	return ft;
}

static void
put_file(const char *rel, const void *data, size_t len, uint64_t mtime)
{
	HANDLE h = CreateFileA(sp(rel), GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
		0, NULL);
	FILETIME ft = filetime(mtime);
	DWORD n = 0;

	if (h == INVALID_HANDLE_VALUE ||
		(len > 0 && (!WriteFile(h, data, (DWORD)len, &n, NULL) ||
				    n != len)) ||
		!SetFileTime(h, NULL, NULL, &ft)) {
		fprintf(stderr, "set-up: %s\n", rel);
		exit(2);
	}
	CloseHandle(h);
}

static void
put_dir(const char *rel)
{
	if (!CreateDirectoryA(sp(rel), NULL) &&
		GetLastError() != ERROR_ALREADY_EXISTS) {
		fprintf(stderr, "set-up: %s\n", rel);
		exit(2);
	}
}

static bool
file_is(const char *rel, const void *data, size_t len)
{
	return th_same(sp(rel), data, len);
}

/* Win32's last-write time of rel in seconds since 1970, 0 on failure. */
static uint64_t
mtime_of(const char *rel)
{
	WIN32_FILE_ATTRIBUTE_DATA d;
	uint64_t t;

	if (!GetFileAttributesExA(sp(rel), GetFileExInfoStandard, &d))
		return 0;
	t = ((uint64_t)d.ftLastWriteTime.dwHighDateTime << 32) |
		d.ftLastWriteTime.dwLowDateTime;
	return (t - 116444736000000000ull) / 10000000ull;
}

/* 1 a file, 2 a folder, 0 nothing. */
static int
kind_of(const char *rel)
{
	DWORD a = GetFileAttributesA(sp(rel));

	if (a == INVALID_FILE_ATTRIBUTES)
		return 0;
	return a & FILE_ATTRIBUTE_DIRECTORY ? 2 : 1;
}

static int
parts_in(const char *rel)
{
	WIN32_FIND_DATAA fd;
	char pat[MAX_PATH + 300];
	HANDLE h;
	int n = 0;

	snprintf(pat, sizeof(pat), "%s\\.outpost-part-*", sp(rel));
	if ((h = FindFirstFileA(pat, &fd)) == INVALID_HANDLE_VALUE)
		return 0;
	do
		n++;
	while (FindNextFileA(h, &fd));
	FindClose(h);
	return n;
}

static struct xfer *
make(uint64_t max_file, bool detection)
{
	struct xfer_root roots[] = { { .path = share, .name = "share" } };
	struct xfer_config cfg = { .allow = XFER_ALLOW_DOWNLOAD |
			XFER_ALLOW_UPLOAD,
		.roots = roots, .nroots = 1, .max_file_bytes = max_file,
		.overwrite_detection = detection };

	return th_xfer_new(&cfg);
}

/* Deterministic bytes: random, then zeros (a hole), then text. */
static void
fill(uint8_t *p, size_t n)
{
	uint32_t s = 2463534242u;

	for (size_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		p[i] = i < XFER_BLOCK_SIZE ? (uint8_t)s :
			i < 2 * XFER_BLOCK_SIZE ? 0 :
						  (uint8_t)("outpost "[i % 8]);
	}
}

/* ----------------------------------------------------------- listing */

static void
test_listing(void)
{
	struct xfer *x = make(0, true);
	struct th_col c = { 0 };
	const struct xfer_entry *e;
	struct xfer_msg *m;

	put_file("a.txt", "hello", 5, MTIME1);
	put_dir("sub");
	put_file("sub/b.bin", "0123456789", 10, MTIME2);
	put_file(".hid", "h", 1, MTIME1);
	ASSERT_INT_EQ(xfer_read_dir(x, "/share", false), 0);
	th_col_drain(&c, x);
	ASSERT((m = th_find(&c, XFER_MSG_DIR)) != NULL);
	ASSERT_STR_EQ(m->path, "/share");
	ASSERT((e = th_entry(m, "a.txt")) != NULL);
	ASSERT_INT_EQ(e->type, XFER_ENTRY_FILE);
	ASSERT_U64_EQ(e->size, 5);
	ASSERT_U64_EQ(e->mtime, MTIME1);
	ASSERT((e = th_entry(m, "sub")) != NULL);
	ASSERT_INT_EQ(e->type, XFER_ENTRY_DIR);
	ASSERT(th_entry(m, ".hid") == NULL);
	th_col_clear(&c);
	ASSERT_INT_EQ(xfer_read_dir(x, "/share/", true), 0);
	th_col_drain(&c, x);
	ASSERT((e = th_entry(th_find(&c, XFER_MSG_DIR), ".hid")) != NULL);
	ASSERT(e->hidden);
	th_col_clear(&c);
	/* The top: the roots. */
	ASSERT_INT_EQ(xfer_read_dir(x, "/", false), 0);
	th_col_drain(&c, x);
	ASSERT((e = th_entry(th_find(&c, XFER_MSG_DIR), "share")) != NULL);
	ASSERT_INT_EQ(e->type, XFER_ENTRY_DIR);
	th_col_clear(&c);
	/* The recursive list a download starts from. */
	ASSERT_INT_EQ(xfer_all_files(x, 3, "/share", false), 0);
	th_col_drain(&c, x);
	m = th_find(&c, XFER_MSG_DIR);
	ASSERT(m != NULL && m->id == 3);
	ASSERT((e = th_entry(m, "sub/b.bin")) != NULL);
	ASSERT_U64_EQ(e->size, 10);
	ASSERT_U64_EQ(e->mtime, MTIME2);
	ASSERT(th_entry(m, "sub") == NULL);
	th_col_clear(&c);
	xfer_free(x);
}

/* ---------------------------------------------------------- download */

static void
test_download(void)
{
	static uint8_t big[BIG], got[2][BIG];
	size_t glen[2] = { 0, 0 };
	struct xfer *x = make(0, true);
	struct th_col c = { 0 };
	struct xfer_msg *m;
	uint8_t h[32];
	int confirms = 0;

	fill(big, sizeof(big));
	put_dir("dl");
	put_file("dl/big.bin", big, sizeof(big), MTIME2);
	put_file("dl/small.txt", "small", 5, MTIME1);
	ASSERT_INT_EQ(xfer_send(x, 11, "/share/dl", false, 0), 0);
	th_col_drain(&c, x);
	ASSERT((m = th_find(&c, XFER_MSG_DIR)) != NULL);
	ASSERT_U64_EQ(m->nentries, 2);
	ASSERT_STR_EQ(m->entries[0].name, "big.bin");
	/* Each file: our digest (its time and size), the client's go. */
	for (int round = 0; round < 8; round++) {
		th_run(x, &c, 1000);
		m = th_last(&c);
		if (m == NULL || m->kind != XFER_MSG_DIGEST)
			break;
		ASSERT_U64_EQ(m->digest.last_modified,
			m->file_num == 0 ? MTIME2 : MTIME1);
		ASSERT_U64_EQ(m->digest.file_size,
			m->file_num == 0 ? BIG : 5);
		xfer_confirm(x, &(struct xfer_confirm){ .id = 11,
					.file_num = m->file_num });
		confirms++;
	}
	ASSERT_INT_EQ(confirms, 2);
	ASSERT((m = th_last(&c)) != NULL && m->kind == XFER_MSG_DONE);
	for (size_t i = 0; i < c.n; i++) {
		size_t k, n;

		m = c.m[i];
		if (m->kind != XFER_MSG_BLOCK || m->len == 0)
			continue;
		k = (size_t)m->file_num;
		ASSERT(k < 2);
		if (m->compressed) {
			n = ZSTD_decompress(got[k] + glen[k], BIG - glen[k],
				m->data, m->len);
			ASSERT(!ZSTD_isError(n));
		} else {
			ASSERT(glen[k] + m->len <= BIG);
			memcpy(got[k] + glen[k], m->data, m->len);
			n = m->len;
		}
		glen[k] += n;
	}
	ASSERT_U64_EQ(glen[0], BIG);
	ASSERT_MEM_EQ(got[0], big, BIG);
	ASSERT_U64_EQ(glen[1], 5);
	ASSERT_MEM_EQ(got[1], "small", 5);
	/* The zero and text blocks went compressed. */
	ASSERT(th_count(&c, XFER_MSG_BLOCK) >= 5);
	ASSERT_U64_EQ(c.nr, 2);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_OK);
	ASSERT(c.r[0]->has_sha256);
	crypto_hash_sha256(h, big, BIG);
	ASSERT_MEM_EQ(c.r[0]->sha256, h, 32);
	ASSERT_STR_CONTAINS(c.r[0]->host_path, "big.bin");
	th_col_clear(&c);
	xfer_free(x);
}

/* ------------------------------------------------------------ upload */

/* The host's last answer after a client message. */
static struct xfer_msg *
answer(struct xfer *x, struct th_col *c)
{
	size_t before = c->n;

	th_run(x, c, 100000);
	return c->n > before ? c->m[c->n - 1] : NULL;
}

/* Blocks of file k (every other one zstd), then the empty one. */
static void
blocks(struct xfer *x, int32_t id, int32_t k, const uint8_t *data,
	size_t len)
{
	static uint8_t z[XFER_BLOCK_SIZE + 1024];

	for (size_t pos = 0, i = 0; pos < len; i++) {
		size_t n = len - pos < XFER_BLOCK_SIZE ? len - pos :
							 XFER_BLOCK_SIZE;
		struct xfer_block b = { .id = id, .file_num = k,
			.data = data + pos, .len = n };
		size_t zn = ZSTD_compress(z, sizeof(z), data + pos, n, 3);

		if (i % 2 == 1 && !ZSTD_isError(zn) && zn < n) {
			b.data = z;
			b.len = zn;
			b.compressed = true;
		}
		ASSERT_INT_EQ(xfer_client_block(x, &b), 0);
		pos += n;
	}
	ASSERT_INT_EQ(xfer_client_block(x,
			      &(struct xfer_block){ .id = id, .file_num = k }),
		0);
}

/* Announces file k; the host's answer. */
static struct xfer_msg *
digest(struct xfer *x, struct th_col *c, int32_t id, int32_t k,
	size_t len, uint64_t mtime)
{
	xfer_client_digest(x, &(struct xfer_digest){ .id = id,
				      .file_num = k, .last_modified = mtime,
				      .file_size = len });
	return answer(x, c);
}

static void
test_upload(void)
{
	static uint8_t big[BIG];
	struct xfer_file_entry files[] = { { "new.bin", BIG, MTIME2 },
		{ "d/e.txt", 11, MTIME1 } };
	struct xfer *x = make(0, true);
	struct th_col c = { 0 };
	struct xfer_msg *m;
	uint8_t h[32];

	fill(big, sizeof(big));
	put_dir("up");
	ASSERT_INT_EQ(xfer_receive(x, 21, "/share/up", files, 2, 0,
			      BIG + 11),
		0);
	m = digest(x, &c, 21, 0, BIG, MTIME2);
	ASSERT(m != NULL && m->kind == XFER_MSG_CONFIRM && m->offset == 0);
	/* The data goes to a part file first. */
	ASSERT_INT_EQ(parts_in("up"), 1);
	blocks(x, 21, 0, big, BIG);
	m = digest(x, &c, 21, 1, 11, MTIME1);
	ASSERT(m != NULL && m->kind == XFER_MSG_CONFIRM);
	ASSERT(file_is("up/new.bin", big, BIG));
	blocks(x, 21, 1, (const uint8_t *)"eleven byte", 11);
	ASSERT_INT_EQ(xfer_client_done(x, 21, 2), 0);
	th_col_drain(&c, x);
	ASSERT((m = th_last(&c)) != NULL && m->kind == XFER_MSG_DONE);
	ASSERT(file_is("up/d/e.txt", "eleven byte", 11));
	ASSERT_U64_EQ(mtime_of("up/new.bin"), MTIME2);
	ASSERT_U64_EQ(mtime_of("up/d/e.txt"), MTIME1);
	ASSERT_INT_EQ(parts_in("up"), 0);
	ASSERT_INT_EQ(parts_in("up/d"), 0);
	ASSERT_U64_EQ(c.nr, 2);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_OK);
	crypto_hash_sha256(h, big, BIG);
	ASSERT_MEM_EQ(c.r[0]->sha256, h, 32);
	th_col_clear(&c);
	xfer_free(x);
}

/* An existing file: the host's digest, then overwrite, or skip. */
static void
test_existing(void)
{
	struct xfer_file_entry f[] = { { "", 7, MTIME2 } };
	struct xfer *x = make(0, true);
	struct th_col c = { 0 };
	struct xfer_msg *m;

	put_file("ex.txt", "old", 3, MTIME1);
	ASSERT_INT_EQ(xfer_receive(x, 31, "/share/ex.txt", f, 1, 0, 7), 0);
	m = digest(x, &c, 31, 0, 7, MTIME2);
	ASSERT(m != NULL && m->kind == XFER_MSG_DIGEST);
	ASSERT(m->digest.is_upload && !m->digest.is_identical);
	ASSERT_U64_EQ(m->digest.file_size, 3);
	ASSERT_U64_EQ(m->digest.last_modified, MTIME1);
	xfer_confirm(x, &(struct xfer_confirm){ .id = 31, .file_num = 0,
				.skip = true });
	ASSERT_INT_EQ(xfer_client_done(x, 31, 1), 0);
	ASSERT(file_is("ex.txt", "old", 3));
	th_col_clear(&c);
	/* Now replaced (the one rename that replaces). */
	ASSERT_INT_EQ(xfer_receive(x, 32, "/share/ex.txt", f, 1, 0, 7), 0);
	m = digest(x, &c, 32, 0, 7, MTIME2);
	ASSERT(m != NULL && m->kind == XFER_MSG_DIGEST);
	xfer_confirm(x, &(struct xfer_confirm){ .id = 32, .file_num = 0 });
	blocks(x, 32, 0, (const uint8_t *)"new one", 7);
	ASSERT_INT_EQ(xfer_client_done(x, 32, 1), 0);
	th_col_drain(&c, x);
	ASSERT((m = th_last(&c)) != NULL && m->kind == XFER_MSG_DONE);
	ASSERT(file_is("ex.txt", "new one", 7));
	ASSERT_U64_EQ(mtime_of("ex.txt"), MTIME2);
	ASSERT_INT_EQ(parts_in(""), 0);
	th_col_clear(&c);
	xfer_free(x);
}

/* Two sessions, one file: the part file's lock keeps the second off. */
static void
test_lock(void)
{
	struct xfer_file_entry f[] = { { "same.bin", 4, MTIME1 } };
	struct xfer *x1 = make(0, true), *x2 = make(0, true);
	struct th_col c1 = { 0 }, c2 = { 0 };
	struct xfer_msg *m;

	ASSERT_INT_EQ(xfer_receive(x1, 1, "/share", f, 1, 0, 4), 0);
	ASSERT_INT_EQ(xfer_receive(x2, 1, "/share", f, 1, 0, 4), 0);
	m = digest(x1, &c1, 1, 0, 4, MTIME1);
	ASSERT(m != NULL && m->kind == XFER_MSG_CONFIRM);
	m = digest(x2, &c2, 1, 0, 4, MTIME1);
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	ASSERT_STR_CONTAINS(m->error, "Another session");
	blocks(x1, 1, 0, (const uint8_t *)"ours", 4);
	ASSERT_INT_EQ(xfer_client_done(x1, 1, 1), 0);
	ASSERT(file_is("same.bin", "ours", 4));
	th_col_clear(&c1);
	th_col_clear(&c2);
	xfer_free(x1);
	xfer_free(x2);
}

/* -------------------------------------------- mkdir, remove, rename */

static struct xfer_msg *
act(struct xfer *x, struct th_col *c, int r)
{
	(void)r; /* the message says what happened */
	th_col_clear(c);
	th_col_drain(c, x);
	return th_last(c);
}

static void
test_modify(void)
{
	struct xfer *x = make(0, true);
	struct th_col c = { 0 };
	struct xfer_msg *m;

	put_file("m1.txt", "one", 3, MTIME1);
	put_file("m2.txt", "two", 3, MTIME1);
	put_dir("mdir");
	m = act(x, &c, xfer_rename(x, 41, "/share/m1.txt", "r1.txt"));
	ASSERT(m != NULL && m->kind == XFER_MSG_DONE);
	ASSERT_INT_EQ(kind_of("m1.txt"), 0);
	ASSERT(file_is("r1.txt", "one", 3));
	ASSERT(c.nr == 1 && c.r[0]->new_path != NULL);
	ASSERT_STR_EQ(c.r[0]->new_path, "/share/r1.txt");
	/* Never over what is there: a file, a folder. */
	m = act(x, &c, xfer_rename(x, 42, "/share/r1.txt", "m2.txt"));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	ASSERT(file_is("r1.txt", "one", 3));
	ASSERT(file_is("m2.txt", "two", 3));
	m = act(x, &c, xfer_rename(x, 43, "/share/r1.txt", "mdir"));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	ASSERT(file_is("r1.txt", "one", 3));
	/* Names Windows would read as something else. */
	m = act(x, &c, xfer_rename(x, 44, "/share/r1.txt", "CON"));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	ASSERT_STR_CONTAINS(m->error, "reserved device name");
	m = act(x, &c, xfer_rename(x, 45, "/share/r1.txt", "..\\..\\x"));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	m = act(x, &c, xfer_rename(x, 46, "/share/r1.txt", "r1.txt:ads"));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	ASSERT(file_is("r1.txt", "one", 3));
	/* A folder is renamed as well. */
	m = act(x, &c, xfer_rename(x, 47, "/share/mdir", "mdir2"));
	ASSERT(m != NULL && m->kind == XFER_MSG_DONE);
	ASSERT_INT_EQ(kind_of("mdir2"), 2);
	/* remove_file: a file yes, a folder no. */
	m = act(x, &c, xfer_remove_file(x, 48, "/share/r1.txt", 0));
	ASSERT(m != NULL && m->kind == XFER_MSG_DONE);
	ASSERT_INT_EQ(kind_of("r1.txt"), 0);
	ASSERT_U64_EQ(c.r[0]->size, 3);
	m = act(x, &c, xfer_remove_file(x, 49, "/share/mdir2", 0));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	ASSERT_INT_EQ(kind_of("mdir2"), 2);
	/* mkdir -p; rmdir refuses a full folder unless recursive. */
	m = act(x, &c, xfer_create_dir(x, 50, "/share/nd/deep"));
	ASSERT(m != NULL && m->kind == XFER_MSG_DONE);
	ASSERT_INT_EQ(kind_of("nd/deep"), 2);
	m = act(x, &c, xfer_remove_dir(x, 51, "/share/nd", false));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	ASSERT_INT_EQ(kind_of("nd"), 2);
	m = act(x, &c, xfer_remove_dir(x, 52, "/share/nd", true));
	ASSERT(m != NULL && m->kind == XFER_MSG_DONE);
	ASSERT_INT_EQ(kind_of("nd"), 0);
	m = act(x, &c, xfer_create_dir(x, 53, "/share/nd/NUL"));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	/* The root itself is not the client's to change. */
	m = act(x, &c, xfer_remove_dir(x, 54, "/share", true));
	ASSERT(m != NULL && m->kind == XFER_MSG_ERROR);
	ASSERT_INT_EQ(kind_of("m2.txt"), 1);
	th_col_clear(&c);
	xfer_free(x);
}

/* ----------------------------------------------------------- hostile */

static void
test_hostile(void)
{
	static const char *const bad[] = { "NUL.txt", "sub/../../x",
		"C:\\Windows\\x", "a.txt:stream", "dir./x", "x ", "com1" };
	static const char *const bad_paths[] = { "/share/../..",
		"C:/Windows", "/share/a.txt::$DATA", "\\\\?\\C:\\",
		"/share/aux" };
	char outside[MAX_PATH + 16];
	struct xfer *x = make(0, true);
	struct th_col c = { 0 };
	struct xfer_msg *m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xfer_file_entry f[] = { { bad[i], 1, MTIME1 } };

		m = act(x, &c, xfer_receive(x, 60, "/share", f, 1, 0, 1));
		if (m == NULL || m->kind != XFER_MSG_ERROR)
			TH_FAIL("receive of '%s' was not refused", bad[i]);
	}
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]);
		i++) {
		m = act(x, &c, xfer_read_dir(x, bad_paths[i], true));
		if (m == NULL || m->kind != XFER_MSG_ERROR)
			TH_FAIL("read_dir '%s' was not refused", bad_paths[i]);
		m = act(x, &c, xfer_send(x, 61, bad_paths[i], true, 0));
		if (m == NULL || m->kind != XFER_MSG_ERROR)
			TH_FAIL("send '%s' was not refused", bad_paths[i]);
	}
	/* Nothing landed beside the root. */
	snprintf(outside, sizeof(outside), "%s\\x", base);
	ASSERT(GetFileAttributesA(outside) == INVALID_FILE_ATTRIBUTES);
	th_col_clear(&c);
	xfer_free(x);
}

/* A file that changes while it is sent. */
static void
test_changed(void)
{
	static uint8_t big[BIG];
	struct xfer *x = make(BIG + 100, false);
	struct th_col c = { 0 };
	struct xfer_msg *m;
	HANDLE h;
	DWORD n;

	fill(big, sizeof(big));
	put_file("grow.bin", big, BIG, MTIME1);
	ASSERT_INT_EQ(xfer_send(x, 70, "/share/grow.bin", false, 0), 0);
	/* Stepped until the first block is out. */
	for (int i = 0; i < 10 && th_count(&c, XFER_MSG_BLOCK) == 0; i++) {
		xfer_step(x, XFER_PENDING_SEND | XFER_PENDING_WORK);
		th_col_drain(&c, x);
	}
	ASSERT_INT_EQ(th_count(&c, XFER_MSG_BLOCK), 1);
	h = CreateFileA(sp("grow.bin"), FILE_APPEND_DATA,
		FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	ASSERT(h != INVALID_HANDLE_VALUE);
	ASSERT(WriteFile(h, big, BIG, &n, NULL) && n == BIG);
	CloseHandle(h);
	th_run(x, &c, 1000);
	ASSERT_STR_CONTAINS(th_error(&c), "grew past the host's limit");
	th_col_clear(&c);
	xfer_free(x);
	/* Shrunk under a resume: the prefix to hash is not there. */
	put_file("shrink.bin", big, BIG, MTIME1);
	x = make(0, true);
	ASSERT_INT_EQ(xfer_send(x, 71, "/share/shrink.bin", false, 0), 0);
	th_run(x, &c, 1000);
	ASSERT((m = th_last(&c)) != NULL && m->kind == XFER_MSG_DIGEST);
	h = CreateFileA(sp("shrink.bin"), GENERIC_WRITE,
		FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, TRUNCATE_EXISTING, 0,
		NULL);
	ASSERT(h != INVALID_HANDLE_VALUE);
	CloseHandle(h);
	xfer_confirm(x, &(struct xfer_confirm){ .id = 71, .file_num = 0,
				.offset = BIG - 1 });
	th_run(x, &c, 1000);
	ASSERT_STR_CONTAINS(th_error(&c), "shrank during the transfer");
	th_col_clear(&c);
	xfer_free(x);
}

int
main(void)
{
	if (!thw_tempdir("xferjobs", base, sizeof(base)))
		return 1;
	snprintf(share, sizeof(share), "%s\\share", base);
	if (!CreateDirectoryA(share, NULL))
		return 1;
	RUN(test_listing);
	RUN(test_download);
	RUN(test_upload);
	RUN(test_existing);
	RUN(test_lock);
	RUN(test_modify);
	RUN(test_hostile);
	RUN(test_changed);
	return th_done();
}
