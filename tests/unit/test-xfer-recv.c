/* SPDX-License-Identifier: MIT */
/*
 * Uploads (xfer-recv.c), driven as a RustDesk client would: receive, a
 * digest per file, the host's answer (send_confirm, or its own digest
 * when the target exists or a part can be resumed), blocks, an empty
 * block, done. Covers trees, zstd, empty and sparse files, overwrite and
 * skip, resume after a dropped connection, cancel, client errors,
 * incomplete files, hostile names and blocks (a zstd bomb, more data than
 * announced), symlinks in the way, two sessions on one file, limits,
 * and, in a private mount namespace, a full disk (1 MiB tmpfs) and a
 * read-only filesystem; EACCES as an unprivileged user.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "th-xfer.h"
#include "th.h"
#include "xfer/xfer.h"

#define BIG (1024 * 1024 + 333)
#define MTIME 1500000000ull

static struct xfer_root roots[3];
static uint8_t *big_text;
static uint8_t *big_rand;
static bool have_mounts;

static struct xfer *
make_cfg(uint64_t max_file, uint64_t max_job, bool detection)
{
	struct xfer_config cfg = {.allow = 3, .roots = roots,
		.nroots = have_mounts ? 3 : 1, .max_file_bytes = max_file,
		.max_job_bytes = max_job, .overwrite_detection = detection};

	return th_xfer_new(&cfg);
}

static struct xfer *
make(void)
{
	return make_cfg(0, 0, true);
}

enum { UP_DONE = 0, UP_SKIPPED = 1, UP_PARTIAL = 2, UP_ERROR = -1 };

struct up {
	bool resume;
	bool compress;
	bool skip_existing;
	size_t stop_after; /* 0: send everything */
	uint64_t resumed_at;
};

/* The host's last answer after a client message. */
static struct xfer_msg *
answer(struct xfer *x, struct th_col *c)
{
	size_t before = c->n;

	while (xfer_step(x, XFER_PENDING_WORK) == 1)
		;
	th_col_drain(c, x);
	return c->n > before ? c->m[c->n - 1] : NULL;
}

/* Sends file k of job id like a client; returns UP_*. */
static int
up_file(struct xfer *x, struct th_col *c, int32_t id, int32_t k,
	const uint8_t *data, size_t len, uint64_t mtime, struct up *o)
{
	struct xfer_digest d = {.id = id, .file_num = k,
		.last_modified = mtime, .file_size = len,
		.is_resume = o->resume};
	struct xfer_confirm cf = {.id = id, .file_num = k};
	struct xfer_msg *m;
	size_t pos = 0;

	xfer_client_digest(x, &d);
	m = answer(x, c);
	if (m == NULL || m->kind == XFER_MSG_ERROR)
		return UP_ERROR;
	if (m->kind == XFER_MSG_DIGEST) {
		if (!m->digest.is_upload)
			return UP_ERROR;
		if (o->resume && m->digest.is_identical &&
			m->digest.transferred_size > 0) {
			pos = (size_t)m->digest.transferred_size;
			cf.offset = (uint32_t)pos;
			o->resumed_at = pos;
		} else if (o->skip_existing) {
			cf.skip = true;
		}
		xfer_confirm(x, &cf);
		if (cf.skip)
			return UP_SKIPPED;
		if ((m = answer(x, c)) != NULL && m->kind == XFER_MSG_ERROR)
			return UP_ERROR;
	} else if (m->kind != XFER_MSG_CONFIRM || m->offset != 0 || m->skip) {
		return UP_ERROR;
	}
	while (pos < len) {
		size_t n = len - pos < XFER_BLOCK_SIZE ? len - pos :
							 XFER_BLOCK_SIZE;
		uint8_t z[XFER_BLOCK_SIZE + 1024];
		struct xfer_block b = {.id = id, .file_num = k,
			.data = data + pos, .len = n};

		if (o->compress) {
			size_t zn = ZSTD_compress(z, sizeof(z), data + pos, n, 3);

			if (!ZSTD_isError(zn) && zn < n) {
				b.data = z;
				b.len = zn;
				b.compressed = true;
			}
		}
		xfer_client_block(x, &b);
		if ((m = answer(x, c)) != NULL && m->kind == XFER_MSG_ERROR)
			return UP_ERROR;
		pos += n;
		if (o->stop_after > 0 && pos >= o->stop_after)
			return UP_PARTIAL;
	}
	struct xfer_block end = {.id = id, .file_num = k};
	xfer_client_block(x, &end);
	return (m = answer(x, c)) != NULL && m->kind == XFER_MSG_ERROR ?
		UP_ERROR : UP_DONE;
}

static int
finish(struct xfer *x, struct th_col *c, int32_t id, int32_t nfiles)
{
	struct xfer_msg *m;

	xfer_client_done(x, id, nfiles);
	m = answer(x, c);
	return m != NULL && m->kind == XFER_MSG_DONE && m->id == id &&
		m->file_num == nfiles ? 0 : -1;
}

static bool
file_is(const char *rel, const void *data, size_t len)
{
	return th_same(tp(rel), data, len);
}

static void
test_single_and_tree(void)
{
	struct xfer *x = make();
	struct th_col c = {0};
	struct up o = {.compress = true};
	struct xfer_file_entry one = {.name = "", .size = BIG, .mtime = MTIME};
	struct xfer_file_entry tree[3] = {{"d1/x.txt", BIG, MTIME},
		{"d1/d2/y.bin", BIG, MTIME}, {"e.txt", 0, MTIME}};
	struct stat st;
	uint8_t sha[32];

	ASSERT_INT_EQ(xfer_receive(x, 1, "/share/up/new.txt", &one, 1, 0, BIG),
		0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 0); /* RustDesk waits for the client's digest */
	if (up_file(x, &c, 1, 0, big_text, BIG, MTIME, &o) != UP_DONE)
		TH_FAIL("upload: %s (%zu msgs)", th_error(&c), c.n);
	/* Nothing is in place before done. */
	ASSERT(!th_exists("share/up/new.txt"));
	ASSERT_INT_EQ(th_parts_in("share/up"), 1);
	ASSERT_INT_EQ(finish(x, &c, 1, 1), 0);
	ASSERT(file_is("share/up/new.txt", big_text, BIG));
	ASSERT_INT_EQ(stat(tp("share/up/new.txt"), &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, 0644);
	ASSERT_U64_EQ((uint64_t)st.st_mtime, MTIME);
	ASSERT_INT_EQ(th_parts_in("share/up"), 0);
	ASSERT_INT_EQ(c.nr, 1);
	ASSERT_INT_EQ(c.r[0]->op, XFER_OP_UPLOAD);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_OK);
	ASSERT_STR_EQ(c.r[0]->path, "/share/up/new.txt");
	ASSERT_STR_EQ(c.r[0]->host_path, tp("share/up/new.txt"));
	th_sha256(big_text, BIG, sha);
	ASSERT_MEM_EQ(c.r[0]->sha256, sha, 32);
	th_col_clear(&c);
	ASSERT_INT_EQ(xfer_receive(x, 2, "/share/t", tree, 3, 0, 2 * BIG), 0);
	ASSERT_INT_EQ(up_file(x, &c, 2, 0, big_text, BIG, MTIME, &o), UP_DONE);
	ASSERT_INT_EQ(up_file(x, &c, 2, 1, big_rand, BIG, MTIME, &o), UP_DONE);
	ASSERT_INT_EQ(up_file(x, &c, 2, 2, NULL, 0, MTIME, &o), UP_DONE);
	ASSERT_INT_EQ(finish(x, &c, 2, 3), 0);
	ASSERT(file_is("share/t/d1/x.txt", big_text, BIG));
	ASSERT(file_is("share/t/d1/d2/y.bin", big_rand, BIG));
	ASSERT(file_is("share/t/e.txt", "", 0));
	ASSERT_INT_EQ(c.nr, 3);
	ASSERT_U64_EQ(c.r[2]->size, 0);
	th_sha256("", 0, sha);
	ASSERT_MEM_EQ(c.r[2]->sha256, sha, 32);
	ASSERT_INT_EQ(xfer_jobs(x), 0);
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_existing_target(void)
{
	struct xfer *x = make();
	struct th_col c = {0};
	struct up skip = {.skip_existing = true}, over = {0};
	struct xfer_file_entry e = {.name = "exists.txt", .size = 5,
		.mtime = MTIME};
	struct timespec ts[2] = {{MTIME, 0}, {MTIME, 0}};
	struct xfer_msg *dg;
	struct stat st;

	th_write("share/exists.txt", "old", 3);
	ASSERT_INT_EQ(xfer_receive(x, 1, "/share", &e, 1, 0, 5), 0);
	ASSERT_INT_EQ(up_file(x, &c, 1, 0, (const uint8_t *)"fresh", 5, MTIME,
			      &skip), UP_SKIPPED);
	dg = th_find(&c, XFER_MSG_DIGEST);
	ASSERT(dg != NULL && dg->digest.is_upload && !dg->digest.is_identical);
	ASSERT_U64_EQ(dg->digest.file_size, 3);
	ASSERT_INT_EQ(finish(x, &c, 1, 1), 0);
	ASSERT(file_is("share/exists.txt", "old", 3));
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_SKIPPED);
	th_col_clear(&c);
	ASSERT_INT_EQ(xfer_receive(x, 2, "/share", &e, 1, 0, 5), 0);
	ASSERT_INT_EQ(up_file(x, &c, 2, 0, (const uint8_t *)"fresh", 5, MTIME,
			      &over), UP_DONE);
	chmod(tp("share/exists.txt"), 0750);
	ASSERT_INT_EQ(finish(x, &c, 2, 1), 0);
	ASSERT(file_is("share/exists.txt", "fresh", 5));
	/* A replaced file keeps its mode. */
	ASSERT_INT_EQ(stat(tp("share/exists.txt"), &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, 0750);
	th_col_clear(&c);
	/* Same size and mtime: the host says identical. */
	utimensat(AT_FDCWD, tp("share/exists.txt"), ts, 0);
	ASSERT_INT_EQ(xfer_receive(x, 3, "/share", &e, 1, 0, 5), 0);
	ASSERT_INT_EQ(up_file(x, &c, 3, 0, (const uint8_t *)"fresh", 5, MTIME,
			      &skip), UP_SKIPPED);
	ASSERT(th_find(&c, XFER_MSG_DIGEST)->digest.is_identical);
	ASSERT_INT_EQ(finish(x, &c, 3, 1), 0);
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_resume(void)
{
	struct xfer *x = make();
	struct th_col c = {0};
	struct up cut = {.stop_after = 500000}, again = {.resume = true};
	struct xfer_file_entry e = {.name = "r.bin", .size = BIG,
		.mtime = MTIME};
	uint8_t sha[32];

	ASSERT_INT_EQ(xfer_receive(x, 1, "/share/res", &e, 1, 0, BIG), 0);
	ASSERT_INT_EQ(up_file(x, &c, 1, 0, big_rand, BIG, MTIME, &cut),
		UP_PARTIAL);
	/* The connection drops. */
	xfer_shutdown(x);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_INTERRUPTED);
	ASSERT_INT_EQ(th_parts_in("share/res"), 1);
	ASSERT(!th_exists("share/res/r.bin"));
	xfer_free(x);
	th_col_clear(&c);
	/* A new session resumes where the part ends. */
	x = make();
	ASSERT_INT_EQ(xfer_receive(x, 9, "/share/res", &e, 1, 0, BIG), 0);
	ASSERT_INT_EQ(up_file(x, &c, 9, 0, big_rand, BIG, MTIME, &again),
		UP_DONE);
	ASSERT_U64_EQ(again.resumed_at, 4 * XFER_BLOCK_SIZE);
	ASSERT(th_find(&c, XFER_MSG_DIGEST)->digest.is_identical);
	ASSERT_INT_EQ(finish(x, &c, 9, 1), 0);
	ASSERT(file_is("share/res/r.bin", big_rand, BIG));
	ASSERT_INT_EQ(th_parts_in("share/res"), 0);
	ASSERT_U64_EQ(c.r[0]->offset, 4 * XFER_BLOCK_SIZE);
	ASSERT_U64_EQ(c.r[0]->bytes, BIG - 4 * XFER_BLOCK_SIZE);
	th_sha256(big_rand, BIG, sha);
	ASSERT_MEM_EQ(c.r[0]->sha256, sha, 32); /* the whole file */
	th_col_clear(&c);
	/* A part of another version (other mtime) is not resumed. */
	cut.stop_after = 200000;
	ASSERT_INT_EQ(xfer_receive(x, 10, "/share/res", &e, 1, 0, BIG), 0);
	up_file(x, &c, 10, 0, big_rand, BIG, MTIME, &cut);
	xfer_shutdown(x);
	th_col_clear(&c);
	again.resumed_at = 0;
	ASSERT_INT_EQ(xfer_receive(x, 11, "/share/res", &e, 1, 0, BIG), 0);
	again.skip_existing = false;
	ASSERT_INT_EQ(up_file(x, &c, 11, 0, big_rand, BIG, MTIME + 1, &again),
		UP_DONE);
	ASSERT_U64_EQ(again.resumed_at, 0);
	ASSERT_INT_EQ(finish(x, &c, 11, 1), 0);
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_abandoned(void)
{
	struct xfer *x = make();
	struct th_col c = {0};
	struct up cut = {.stop_after = 300000};
	struct xfer_file_entry e = {.name = "gone.bin", .size = BIG,
		.mtime = MTIME};

	th_mkdir("share/ab");
	/* Cancel: the part goes, nothing is reported to the client. */
	ASSERT_INT_EQ(xfer_receive(x, 1, "/share/ab", &e, 1, 0, BIG), 0);
	up_file(x, &c, 1, 0, big_rand, BIG, MTIME, &cut);
	ASSERT_INT_EQ(th_parts_in("share/ab"), 1);
	ASSERT_INT_EQ(xfer_cancel(x, 1), 0);
	ASSERT_INT_EQ(th_parts_in("share/ab"), 0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_CANCELLED);
	th_col_clear(&c);
	/* The client's error: echoed, part removed. */
	ASSERT_INT_EQ(xfer_receive(x, 2, "/share/ab", &e, 1, 0, BIG), 0);
	up_file(x, &c, 2, 0, big_rand, BIG, MTIME, &cut);
	xfer_client_error(x, 2, 0, "disk on fire");
	th_col_drain(&c, x);
	ASSERT_STR_EQ(th_last(&c)->error, "disk on fire");
	ASSERT_INT_EQ(th_parts_in("share/ab"), 0);
	th_col_clear(&c);
	/* done before all the bytes: never passed off as complete. */
	ASSERT_INT_EQ(xfer_receive(x, 3, "/share/ab", &e, 1, 0, BIG), 0);
	up_file(x, &c, 3, 0, big_rand, BIG, MTIME, &cut);
	ASSERT(finish(x, &c, 3, 1) != 0);
	ASSERT_STR_CONTAINS(th_error(&c), "Incomplete: 393216 of 1048909");
	ASSERT(!th_exists("share/ab/gone.bin"));
	ASSERT_INT_EQ(th_parts_in("share/ab"), 0);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_FAILED);
	ASSERT_INT_EQ(xfer_jobs(x), 0);
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_hostile_blocks(void)
{
	struct xfer *x = make();
	struct th_col c = {0};
	struct xfer_file_entry e = {.name = "h.bin", .size = 1000,
		.mtime = MTIME};
	struct xfer_digest d = {.id = 1, .file_num = 0, .file_size = 1000};
	size_t zcap = ZSTD_compressBound(64 << 20);
	uint8_t *zeros = calloc(1, 64 << 20), *bomb = malloc(zcap);
	uint8_t *wide = malloc(zcap);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t bn, wn;
	const char *want[] = {"More data than the file's announced size",
		"More data than the file's announced size",
		"A compressed block is corrupt",
		"A compressed block is truncated",
		"Data for a file that was not announced",
		"A compressed block needs too much memory"};
	uint8_t junk[64], junk2[1024];

	/* 64 MiB of zeros in a few KiB, with the 128 KiB window of a
	 * RustDesk block; and one whose window is too large to accept. */
	ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 17);
	bn = ZSTD_compress2(cc, bomb, zcap, zeros, 64 << 20);
	wn = ZSTD_compress(wide, zcap, zeros, 64 << 20, 19);
	ZSTD_freeCCtx(cc);
	free(zeros);
	ASSERT(!ZSTD_isError(bn) && bn < 10000);
	ASSERT(!ZSTD_isError(wn));
	th_mkdir("share/h");
	th_fill_random(junk, sizeof(junk), 3);
	for (int i = 0; i < 6; i++) {
		struct xfer_block b = {.id = 1, .file_num = 0};

		ASSERT_INT_EQ(xfer_receive(x, 1, "/share/h", &e, 1, 0, 1000), 0);
		xfer_client_digest(x, &d);
		ASSERT_INT_EQ(answer(x, &c)->kind, XFER_MSG_CONFIRM);
		if (i == 0) {
			b.data = big_rand;
			b.len = 1001;
		} else if (i == 1) {
			b.data = bomb; /* 64 MiB of zeros in a few KiB */
			b.len = bn;
			b.compressed = true;
		} else if (i == 2) {
			b.data = junk;
			b.len = sizeof(junk);
			b.compressed = true;
		} else if (i == 3) {
			/* A frame cut short. */
			size_t tn = ZSTD_compress(junk2, sizeof(junk2),
				big_text, 900, 3);

			b.data = junk2;
			b.len = tn - 3;
			b.compressed = true;
		} else if (i == 5) {
			b.data = wide;
			b.len = wn;
			b.compressed = true;
		} else {
			b.data = big_rand;
			b.len = 10;
			b.file_num = 0;
			struct xfer_file_entry two[2] = {e, e};
			xfer_cancel(x, 1);
			ASSERT_INT_EQ(xfer_receive(x, 1, "/share/h", two, 2, 0,
					      0), 0);
			xfer_client_digest(x, &d);
			answer(x, &c);
			b.file_num = 1;
		}
		xfer_client_block(x, &b);
		answer(x, &c);
		ASSERT_STR_CONTAINS(th_error(&c), want[i]);
		ASSERT_INT_EQ(xfer_jobs(x), 0);
		ASSERT_INT_EQ(th_parts_in("share/h"), 0);
		th_col_clear(&c);
	}
	free(bomb);
	free(wide);
	/* Blocks for unknown jobs are ignored; before confirmation refused. */
	struct xfer_block b = {.id = 77, .data = big_rand, .len = 5};
	ASSERT_INT_EQ(xfer_client_block(x, &b), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(xfer_client_done(x, 77, 0), OP_ERR_NOT_FOUND);
	th_write("share/h/h.bin", "x", 1);
	ASSERT_INT_EQ(xfer_receive(x, 2, "/share/h", &e, 1, 0, 1000), 0);
	d.id = 2;
	xfer_client_digest(x, &d);
	ASSERT_INT_EQ(answer(x, &c)->kind, XFER_MSG_DIGEST);
	b.id = 2;
	xfer_client_block(x, &b);
	answer(x, &c);
	ASSERT_STR_CONTAINS(th_error(&c), "before the file was confirmed");
	ASSERT(file_is("share/h/h.bin", "x", 1));
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_hostile_names(void)
{
	struct xfer *x = make();
	struct th_col c = {0};
	struct up o = {0};
	const char *bad[] = {"../x", "/etc/x", "a/../../x", "a\001b", "..",
		"ok/./../x"};
	struct xfer_file_entry two[2] = {{"", 1, 0}, {"b", 1, 0}};
	struct xfer_file_entry one = {"", 6, MTIME};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xfer_file_entry e = {bad[i], 1, 0};

		ASSERT(xfer_receive(x, 1, "/share/n", &e, 1, 0, 1) != 0);
		th_col_drain(&c, x);
		ASSERT_INT_EQ(th_last(&c)->kind, XFER_MSG_ERROR);
		th_col_clear(&c);
	}
	/* Nameless is only for a single file, and never the root itself. */
	ASSERT(xfer_receive(x, 1, "/share/n", two, 2, 0, 2) != 0);
	ASSERT(xfer_receive(x, 1, "/share", &one, 1, 0, 6) != 0);
	ASSERT(xfer_receive(x, 1, "/share/../n", &one, 1, 0, 6) != 0);
	ASSERT(xfer_receive(x, 1, "/nope/x", &one, 1, 0, 6) != 0);
	ASSERT_INT_EQ(xfer_jobs(x), 0);
	ASSERT(!th_exists("share/n"));
	ASSERT(!th_exists("x"));
	th_col_clear(&c);
	/* A symlinked directory on the way, and a symlink as the target. */
	ASSERT_INT_EQ(xfer_receive(x, 2, "/share/link_out/x.txt", &one, 1, 0,
			      6), 0);
	ASSERT_INT_EQ(up_file(x, &c, 2, 0, (const uint8_t *)"PWNED!", 6, MTIME,
			      &o), UP_ERROR);
	ASSERT_STR_CONTAINS(th_error(&c), "Symbolic links are not followed");
	ASSERT(!th_exists("outside/x.txt"));
	ASSERT_INT_EQ(xfer_receive(x, 3, "/share/victim", &one, 1, 0, 6), 0);
	ASSERT_INT_EQ(up_file(x, &c, 3, 0, (const uint8_t *)"PWNED!", 6, MTIME,
			      &o), UP_ERROR);
	ASSERT_STR_CONTAINS(th_error(&c), "A symbolic link is in the way");
	ASSERT(file_is("outside/secret.txt", "SECRET", 6));
	ASSERT_INT_EQ(c.nr, 2);
	ASSERT_INT_EQ(c.r[1]->outcome, XFER_FAILED);
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_old_client_and_races(void)
{
	struct xfer *x = make_cfg(0, 0, false), *y;
	struct th_col c = {0};
	struct xfer_file_entry e[2] = {{"a.txt", 5, MTIME}, {"b.txt", 3, 0}};
	struct xfer_block b = {.id = 1, .file_num = 0,
		.data = (const uint8_t *)"hello", .len = 5};
	struct up o = {0};

	/* Clients < 1.1.10 send blocks without digests, and replace. */
	th_mkdir("share/old");
	th_write("share/old/b.txt", "previous", 8);
	ASSERT_INT_EQ(xfer_receive(x, 1, "/share/old", e, 2, 0, 8), 0);
	ASSERT_INT_EQ(xfer_client_block(x, &b), 0);
	b.file_num = 1;
	b.data = (const uint8_t *)"new";
	b.len = 3;
	ASSERT_INT_EQ(xfer_client_block(x, &b), 0);
	ASSERT_INT_EQ(finish(x, &c, 1, 2), 0);
	ASSERT(file_is("share/old/a.txt", "hello", 5));
	ASSERT(file_is("share/old/b.txt", "new", 3));
	th_col_clear(&c);
	xfer_free(x);
	/* A file that appears while uploading is not overwritten. */
	x = make();
	ASSERT_INT_EQ(xfer_receive(x, 1, "/share/old", e, 1, 0, 5), 0);
	ASSERT_INT_EQ(xfer_receive(x, 1, "/share/old", e, 1, 0, 5),
		OP_ERR_STATE);
	th_col_clear(&c);
	unlink(tp("share/old/a.txt"));
	ASSERT_INT_EQ(up_file(x, &c, 1, 0, (const uint8_t *)"hello", 5, MTIME,
			      &o), UP_DONE);
	th_write("share/old/a.txt", "local", 5);
	ASSERT(finish(x, &c, 1, 1) != 0);
	ASSERT_STR_CONTAINS(th_error(&c), "Another file appeared");
	ASSERT(file_is("share/old/a.txt", "local", 5));
	ASSERT_INT_EQ(th_parts_in("share/old"), 0);
	th_col_clear(&c);
	/* Two sessions on one file: the second is refused. */
	y = make();
	unlink(tp("share/old/a.txt"));
	o.stop_after = 1;
	ASSERT_INT_EQ(xfer_receive(x, 2, "/share/old", e, 1, 0, 5), 0);
	ASSERT_INT_EQ(xfer_receive(y, 2, "/share/old", e, 1, 0, 5), 0);
	ASSERT_INT_EQ(up_file(x, &c, 2, 0, (const uint8_t *)"hello", 5, MTIME,
			      &o), UP_PARTIAL);
	ASSERT_INT_EQ(up_file(y, &c, 2, 0, (const uint8_t *)"hello", 5, MTIME,
			      &o), UP_ERROR);
	ASSERT_STR_CONTAINS(th_error(&c), "Another session");
	ASSERT_INT_EQ(finish(x, &c, 2, 1), 0);
	ASSERT(file_is("share/old/a.txt", "hello", 5));
	th_col_clear(&c);
	xfer_free(y);
	xfer_free(x);
}

static void
test_limits_and_sparse(void)
{
	struct xfer *x = make_cfg(1000, 1500, true);
	struct th_col c = {0};
	struct xfer_file_entry big = {"f", 1001, 0};
	struct xfer_file_entry two[2] = {{"f", 1000, 0}, {"g", 1000, 0}};
	struct xfer_file_entry ok = {"f", 100, 0};
	struct xfer_digest d = {.id = 3, .file_size = 5000};
	struct up o = {0};
	uint8_t *sparse;
	struct stat st;

	ASSERT_INT_EQ(xfer_receive(x, 1, "/share/l", &big, 1, 0, 1001),
		OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(xfer_receive(x, 2, "/share/l", two, 2, 0, 2000),
		OP_ERR_TOO_LARGE);
	/* The digest's size counts too. */
	ASSERT_INT_EQ(xfer_receive(x, 3, "/share/l", &ok, 1, 0, 100), 0);
	ASSERT(xfer_client_digest(x, &d) != 0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 3);
	ASSERT_STR_CONTAINS(c.m[0]->error, "larger than the host's limit");
	ASSERT_STR_CONTAINS(c.m[2]->error, "larger than the host's limit");
	th_col_clear(&c);
	xfer_free(x);
	/* Zero runs become holes. */
	x = make();
	sparse = calloc(1, 16 << 20);
	sparse[5 << 20] = 'S';
	struct xfer_file_entry sp = {"sparse.img", 16 << 20, MTIME};
	ASSERT_INT_EQ(xfer_receive(x, 4, "/share", &sp, 1, 0, 16 << 20), 0);
	o.compress = true;
	ASSERT_INT_EQ(up_file(x, &c, 4, 0, sparse, 16 << 20, MTIME, &o),
		UP_DONE);
	ASSERT_INT_EQ(finish(x, &c, 4, 1), 0);
	ASSERT(file_is("share/sparse.img", sparse, 16 << 20));
	ASSERT_INT_EQ(stat(tp("share/sparse.img"), &st), 0);
	ASSERT(st.st_blocks * 512 < (1 << 20));
	free(sparse);
	th_col_clear(&c);
	xfer_free(x);
}

/* ------------------------------------------ full, read-only, no access */

static void
test_disk_full(void)
{
	struct xfer *x;
	struct th_col c = {0};
	struct up o = {0};
	struct xfer_file_entry e = {"too-big.bin", 2 * BIG, MTIME};
	uint8_t *data;

	if (!have_mounts) {
		printf("SKIP test_disk_full: no private tmpfs (needs "
		       "CAP_SYS_ADMIN)\n");
		return;
	}
	x = make();
	data = malloc(2 * BIG);
	th_fill_random(data, 2 * BIG, 11);
	ASSERT_INT_EQ(xfer_receive(x, 1, "/small", &e, 1, 0, 2 * BIG), 0);
	ASSERT_INT_EQ(up_file(x, &c, 1, 0, data, 2 * BIG, MTIME, &o),
		UP_ERROR);
	ASSERT_STR_EQ(th_error(&c),
		"No space left on device: /small/too-big.bin");
	ASSERT_INT_EQ(th_parts_in("small"), 0);
	ASSERT(!th_exists("small/too-big.bin"));
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_FAILED);
	ASSERT_STR_EQ(c.r[0]->error, "No space left on device");
	ASSERT_INT_EQ(xfer_jobs(x), 0);
	free(data);
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_read_only_fs(void)
{
	struct xfer *x;
	struct th_col c = {0};
	struct up o = {0};
	struct xfer_file_entry e = {"w.txt", 5, MTIME};

	if (!have_mounts) {
		printf("SKIP test_read_only_fs: no private tmpfs\n");
		return;
	}
	x = make();
	ASSERT_INT_EQ(xfer_receive(x, 1, "/rofs", &e, 1, 0, 5), 0);
	ASSERT_INT_EQ(up_file(x, &c, 1, 0, (const uint8_t *)"hello", 5, MTIME,
			      &o), UP_ERROR);
	ASSERT_STR_EQ(th_error(&c), "Read-only file system: /rofs/w.txt");
	ASSERT(xfer_create_dir(x, 2, "/rofs/d") != 0);
	ASSERT(xfer_remove_file(x, 3, "/rofs/keep.txt", 0) != 0);
	th_col_drain(&c, x);
	ASSERT_STR_EQ(th_error(&c), "Read-only file system: /rofs/keep.txt");
	ASSERT(th_exists("rofs/keep.txt"));
	th_col_clear(&c);
	xfer_free(x);
}

/* Runs in a child as nobody: a root-owned 0755 directory and a 0600
 * file give "Permission denied", not a crash or a partial file. */
static int
unprivileged(void)
{
	struct xfer *x;
	struct th_col c = {0};
	struct up o = {0};
	struct xfer_file_entry e = {"w.txt", 5, MTIME};
	int bad = 0;

	if (setgid(65534) != 0 || setuid(65534) != 0)
		return 77;
	x = make();
	if (xfer_receive(x, 1, "/share/locked", &e, 1, 0, 5) != 0 ||
		up_file(x, &c, 1, 0, (const uint8_t *)"hello", 5, MTIME, &o) !=
			UP_ERROR ||
		strcmp(th_error(&c), "Permission denied: /share/locked/w.txt"))
		bad |= 1;
	th_col_clear(&c);
	if (xfer_send(x, 2, "/share/locked/private.txt", false, 0) != 0)
		bad |= 2;
	th_run(x, &c, 10);
	if (strcmp(th_error(&c), "Permission denied: "
				 "/share/locked/private.txt") != 0)
		bad |= 4;
	th_col_clear(&c);
	xfer_free(x);
	return bad;
}

static void
test_permission_denied(void)
{
	pid_t pid;
	int status = 0;

	if (geteuid() != 0) {
		printf("SKIP test_permission_denied: not root (cannot switch "
		       "to nobody)\n");
		return;
	}
	th_mkdir("share/locked");
	th_write("share/locked/private.txt", "p", 1);
	chmod(tp("share/locked/private.txt"), 0600);
	chmod(tp("share"), 0755);
	chmod(th_tmp, 0755);
	fflush(NULL);
	if ((pid = fork()) == 0)
		_exit(unprivileged());
	ASSERT(pid > 0);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
	ASSERT(!th_exists("share/locked/w.txt"));
}

static void
setup_mounts(void)
{
	/* A private mount namespace: the mounts vanish with this process. */
	if (unshare(CLONE_NEWNS) != 0 ||
		mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		printf("no mount namespace: %s\n", strerror(errno));
		return;
	}
	th_mkdir("small");
	th_mkdir("rofs");
	if (mount("tmpfs", tp("small"), "tmpfs", 0, "size=1m,mode=0755") != 0 ||
		mount("tmpfs", tp("rofs"), "tmpfs", 0, "size=1m,mode=0755") != 0) {
		printf("no tmpfs: %s\n", strerror(errno));
		return;
	}
	th_write("rofs/keep.txt", "k", 1);
	if (mount(NULL, tp("rofs"), NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0) {
		printf("no read-only remount: %s\n", strerror(errno));
		return;
	}
	have_mounts = true;
}

static void
make_tree(void)
{
	th_tmp_make();
	big_text = malloc(BIG);
	big_rand = malloc(BIG);
	for (size_t i = 0; i < BIG; i++)
		big_text[i] = (uint8_t)("abcdefgh\n"[i % 9]);
	th_fill_random(big_rand, BIG, 5);
	th_mkdir("outside");
	th_write("outside/secret.txt", "SECRET", 6);
	th_mkdir("share");
	th_symlink("../outside", "share/link_out");
	th_symlink(tp("outside/secret.txt"), "share/victim");
	setup_mounts();
	roots[0] = (struct xfer_root){.path = strdup(tp("share"))};
	roots[1] = (struct xfer_root){.path = strdup(tp("small"))};
	roots[2] = (struct xfer_root){.path = strdup(tp("rofs"))};
}

int
main(void)
{
	make_tree();
	RUN(test_single_and_tree);
	RUN(test_existing_target);
	RUN(test_resume);
	RUN(test_abandoned);
	RUN(test_hostile_blocks);
	RUN(test_hostile_names);
	RUN(test_old_client_and_races);
	RUN(test_limits_and_sparse);
	RUN(test_disk_full);
	RUN(test_read_only_fs);
	RUN(test_permission_denied);
	if (have_mounts) {
		umount2(tp("small"), MNT_DETACH);
		umount2(tp("rofs"), MNT_DETACH);
	}
	th_rm_tree(th_tmp);
	free(big_text);
	free(big_rand);
	return th_done();
}
