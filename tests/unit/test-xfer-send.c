/* SPDX-License-Identifier: MIT */
/*
 * Downloads (xfer-send.c), driven as a RustDesk client would: the file
 * list, a digest per file answered with send_confirm (offset 0, skip, or
 * a resume offset), blocks (zstd when smaller) ending with an empty one,
 * done. Also: empty and sparse files, incompressible data, per-file
 * errors (a FIFO, a file replaced by a symlink after the listing, over
 * the size limit), cancel, round-robin between jobs, clients without
 * overwrite detection, and the SHA-256 in the results.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "th-xfer.h"
#include "th.h"
#include "xfer/xfer.h"

#define BIG (1024 * 1024 + 777)

static struct xfer_root root;
static uint8_t *big_text;
static uint8_t *big_rand;

static struct xfer *
make(uint64_t max_file, uint64_t max_job, bool detection)
{
	struct xfer_config cfg = {.allow = XFER_ALLOW_DOWNLOAD, .roots = &root,
		.nroots = 1, .max_file_bytes = max_file,
		.max_job_bytes = max_job, .overwrite_detection = detection};
	struct xfer *x = NULL;

	if (xfer_new(&cfg, &x, NULL, 0) != 0)
		exit(2);
	return x;
}

/* What a client got for one file. */
struct got {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t blocks;
	size_t compressed;
	bool ended; /* the empty block came */
};

static void
got_add(struct got *g, const struct xfer_msg *m)
{
	size_t n = m->len;
	uint8_t *p = m->data;
	uint8_t *tmp = NULL;

	g->blocks++;
	if (m->len == 0) {
		g->ended = true;
		return;
	}
	if (m->compressed) {
		unsigned long long sz = ZSTD_getFrameContentSize(m->data, m->len);

		g->compressed++;
		tmp = malloc(sz);
		n = ZSTD_decompress(tmp, sz, m->data, m->len);
		if (ZSTD_isError(n))
			exit(3);
		p = tmp;
	}
	if (g->len + n > g->cap) {
		g->cap = (g->len + n) * 2;
		g->data = realloc(g->data, g->cap);
	}
	memcpy(g->data + g->len, p, n);
	g->len += n;
	free(tmp);
}

/*
 * Runs a download like a client: answers each digest with `answer(k)`
 * (>= 0 an offset, -1 skip), collects blocks per file. Returns the
 * collector (the caller clears it).
 */
static void
run_download(struct xfer *x, struct th_col *c, struct got *g, size_t ng,
	long (*answer)(size_t k))
{
	for (int guard = 0; guard < 100000; guard++) {
		size_t before = c->n;

		if (xfer_step(x, XFER_PENDING_SEND | XFER_PENDING_WORK) == 0 &&
			xfer_pending(x) == 0)
			break;
		th_col_drain(c, x);
		for (size_t i = before; i < c->n; i++) {
			struct xfer_msg *m = c->m[i];

			if (m->kind == XFER_MSG_DIGEST) {
				long a = answer != NULL ?
					answer((size_t)m->file_num) :
					0;
				struct xfer_confirm cf = {.id = m->id,
					.file_num = m->file_num,
					.skip = a < 0,
					.offset = a > 0 ? (uint32_t)a : 0};

				xfer_confirm(x, &cf);
			} else if (m->kind == XFER_MSG_BLOCK &&
				(size_t)m->file_num < ng) {
				got_add(&g[m->file_num], m);
			}
		}
		/* Keep the collector small: data is in g[] now. */
		if (c->n > TH_MAX_MSGS - 64) {
			for (size_t i = 0; i < c->n; i++)
				if (c->m[i]->kind == XFER_MSG_BLOCK) {
					free(c->m[i]->data);
					c->m[i]->data = NULL;
					c->m[i]->len = 0;
				}
		}
	}
	th_col_drain(c, x);
}

static void
got_free(struct got *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].data);
	memset(g, 0, n * sizeof(*g));
}

static void
test_single_file(void)
{
	struct xfer *x = make(0, 0, true);
	struct th_col c = {0};
	struct got g[1] = {0};
	struct xfer_msg *m;
	uint8_t sha[32];

	ASSERT_INT_EQ(xfer_send(x, 3, "/share/a.txt", false, 0), 0);
	th_col_drain(&c, x);
	m = c.m[0];
	ASSERT_INT_EQ(m->kind, XFER_MSG_DIR);
	ASSERT_INT_EQ(m->id, 3);
	ASSERT_STR_EQ(m->path, "/share/a.txt");
	ASSERT_INT_EQ(m->nentries, 1);
	ASSERT_STR_EQ(m->entries[0].name, ""); /* the path itself */
	ASSERT_U64_EQ(m->entries[0].size, 5);
	ASSERT_INT_EQ(xfer_pending(x), XFER_PENDING_WORK);
	/* The digest, then nothing until the client confirms. */
	ASSERT_INT_EQ(xfer_step(x, XFER_PENDING_WORK), 1);
	th_col_drain(&c, x);
	m = th_last(&c);
	ASSERT_INT_EQ(m->kind, XFER_MSG_DIGEST);
	ASSERT_INT_EQ(m->digest.file_num, 0);
	ASSERT_U64_EQ(m->digest.file_size, 5);
	ASSERT_U64_EQ(m->digest.last_modified, 1600000000);
	ASSERT(!m->digest.is_upload);
	ASSERT_INT_EQ(xfer_pending(x), 0);
	ASSERT_INT_EQ(xfer_step(x, XFER_PENDING_SEND | XFER_PENDING_WORK), 0);
	/* A confirmation for another file or job is ignored. */
	struct xfer_confirm bad = {.id = 3, .file_num = 1};
	ASSERT_INT_EQ(xfer_confirm(x, &bad), OP_ERR_STATE);
	bad.id = 99;
	ASSERT_INT_EQ(xfer_confirm(x, &bad), OP_ERR_NOT_FOUND);
	bad.id = 3;
	bad.file_num = 0;
	ASSERT_INT_EQ(xfer_confirm(x, &bad), 0);
	ASSERT_INT_EQ(xfer_pending(x), XFER_PENDING_SEND);
	run_download(x, &c, g, 1, NULL);
	ASSERT_INT_EQ(g[0].len, 5);
	ASSERT_MEM_EQ(g[0].data, "hello", 5);
	ASSERT(g[0].ended);
	ASSERT_INT_EQ(g[0].compressed, 0); /* 5 bytes do not shrink */
	m = th_last(&c);
	ASSERT_INT_EQ(m->kind, XFER_MSG_DONE);
	ASSERT_INT_EQ(m->file_num, 1);
	ASSERT_INT_EQ(xfer_jobs(x), 0);
	ASSERT_INT_EQ(c.nr, 1);
	ASSERT_INT_EQ(c.r[0]->op, XFER_OP_DOWNLOAD);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_OK);
	ASSERT_STR_EQ(c.r[0]->path, "/share/a.txt");
	ASSERT_STR_EQ(c.r[0]->host_path, tp("share/a.txt"));
	ASSERT_U64_EQ(c.r[0]->size, 5);
	ASSERT(c.r[0]->has_sha256);
	th_sha256("hello", 5, sha);
	ASSERT_MEM_EQ(c.r[0]->sha256, sha, 32);
	th_col_clear(&c);
	got_free(g, 1);
	xfer_free(x);
}

static void
test_tree_compression(void)
{
	struct xfer *x = make(0, 0, true);
	struct th_col c = {0};
	struct got g[4] = {0};
	struct xfer_msg *m;
	uint8_t sha[32];

	ASSERT_INT_EQ(xfer_send(x, 5, "/share/tree", false, 0), 0);
	th_col_drain(&c, x);
	m = c.m[0];
	ASSERT_INT_EQ(m->nentries, 4);
	ASSERT_STR_EQ(m->entries[0].name, "empty.bin");
	ASSERT_STR_EQ(m->entries[1].name, "rand.bin");
	ASSERT_STR_EQ(m->entries[2].name, "sub/text.txt");
	ASSERT_STR_EQ(m->entries[3].name, "sub/z.png");
	run_download(x, &c, g, 4, NULL);
	/* An empty file is one empty block. */
	ASSERT_INT_EQ(g[0].len, 0);
	ASSERT_INT_EQ(g[0].blocks, 1);
	ASSERT(g[0].ended);
	/* Random data is not worth compressing; text is. */
	ASSERT_INT_EQ(g[1].len, BIG);
	ASSERT_MEM_EQ(g[1].data, big_rand, BIG);
	ASSERT_INT_EQ(g[1].compressed, 0);
	ASSERT_INT_EQ(g[1].blocks, BIG / XFER_BLOCK_SIZE + 2);
	ASSERT_INT_EQ(g[2].len, BIG);
	ASSERT_MEM_EQ(g[2].data, big_text, BIG);
	ASSERT(g[2].compressed >= g[2].blocks - 2);
	/* A .png is never compressed, even when it would shrink. */
	ASSERT_INT_EQ(g[3].len, BIG);
	ASSERT_INT_EQ(g[3].compressed, 0);
	ASSERT_INT_EQ(th_last(&c)->kind, XFER_MSG_DONE);
	ASSERT_INT_EQ(th_last(&c)->file_num, 4);
	ASSERT_INT_EQ(c.nr, 4);
	th_sha256(big_text, BIG, sha);
	ASSERT_MEM_EQ(c.r[2]->sha256, sha, 32);
	ASSERT_STR_EQ(c.r[2]->path, "/share/tree/sub/text.txt");
	for (size_t i = 0; i < 4; i++)
		ASSERT_INT_EQ(c.r[i]->outcome, XFER_OK);
	th_col_clear(&c);
	got_free(g, 4);
	xfer_free(x);
}

static long
skip_first(size_t k)
{
	return k == 0 ? -1 : 0;
}

static long
resume_at(size_t k)
{
	(void)k;
	return 300001;
}

static long
skip_all(size_t k)
{
	(void)k;
	return -1;
}

static void
test_skip_and_resume(void)
{
	struct xfer *x = make(0, 0, true);
	struct th_col c = {0};
	struct got g[4] = {0};
	uint8_t sha[32];

	ASSERT_INT_EQ(xfer_send(x, 1, "/share/tree", false, 0), 0);
	run_download(x, &c, g, 4, skip_first);
	ASSERT_INT_EQ(g[0].blocks, 0);
	ASSERT_INT_EQ(g[1].len, BIG);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_SKIPPED);
	ASSERT_INT_EQ(th_last(&c)->kind, XFER_MSG_DONE);
	th_col_clear(&c);
	got_free(g, 4);
	/* Skipping the only file ends the job with "skipped". */
	ASSERT_INT_EQ(xfer_send(x, 2, "/share/a.txt", false, 0), 0);
	run_download(x, &c, g, 1, skip_all);
	ASSERT_INT_EQ(th_last(&c)->kind, XFER_MSG_ERROR);
	ASSERT_STR_EQ(th_last(&c)->error, "skipped");
	th_col_clear(&c);
	got_free(g, 1);
	/* Resume at a byte offset: data from there, SHA-256 of all of it. */
	ASSERT_INT_EQ(xfer_send(x, 3, "/share/tree/sub/text.txt", false, 0),
		0);
	run_download(x, &c, g, 1, resume_at);
	ASSERT_INT_EQ(g[0].len, BIG - 300001);
	ASSERT_MEM_EQ(g[0].data, big_text + 300001, BIG - 300001);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_OK);
	ASSERT_U64_EQ(c.r[0]->offset, 300001);
	ASSERT_U64_EQ(c.r[0]->bytes, BIG - 300001);
	ASSERT_U64_EQ(c.r[0]->size, BIG);
	th_sha256(big_text, BIG, sha);
	ASSERT_MEM_EQ(c.r[0]->sha256, sha, 32);
	th_col_clear(&c);
	got_free(g, 1);
	/* An offset past the end is an error for that file. */
	ASSERT_INT_EQ(xfer_send(x, 4, "/share/a.txt", false, 0), 0);
	run_download(x, &c, g, 1, resume_at);
	ASSERT_STR_CONTAINS(th_error(&c), "past the end");
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_FAILED);
	th_col_clear(&c);
	got_free(g, 1);
	/* A multi-file job resumed from file 2 (file_num in the request). */
	ASSERT_INT_EQ(xfer_send(x, 6, "/share/tree", false, 2), 0);
	run_download(x, &c, g, 4, NULL);
	ASSERT_INT_EQ(g[0].blocks + g[1].blocks, 0);
	ASSERT_INT_EQ(g[2].len, BIG);
	ASSERT_INT_EQ(c.nr, 2);
	ASSERT(xfer_send(x, 7, "/share/tree", false, 5) != 0);
	ASSERT(xfer_send(x, 8, "/share/tree", false, -1) != 0);
	th_col_clear(&c);
	got_free(g, 4);
	xfer_free(x);
}

static void
test_sparse(void)
{
	struct xfer *x = make(0, 0, true);
	struct th_col c = {0};
	struct got g[1] = {0};
	int fd = open(tp("share/sparse.img"), O_WRONLY | O_CREAT | O_TRUNC,
		0644);
	struct stat st;

	/* 64 MiB apparent, a few bytes real. */
	ASSERT(fd >= 0);
	ASSERT_INT_EQ(pwrite(fd, "X", 1, 8 << 20), 1);
	ASSERT_INT_EQ(ftruncate(fd, 64 << 20), 0);
	close(fd);
	ASSERT_INT_EQ(stat(tp("share/sparse.img"), &st), 0);
	ASSERT(st.st_blocks * 512 < (1 << 20));
	ASSERT_INT_EQ(xfer_send(x, 1, "/share/sparse.img", false, 0), 0);
	run_download(x, &c, g, 1, NULL);
	ASSERT_INT_EQ(g[0].len, 64 << 20);
	ASSERT_INT_EQ(g[0].data[8 << 20], 'X');
	ASSERT_INT_EQ(g[0].data[(8 << 20) - 1], 0);
	/* Zeros compress: 512 blocks, all compressed, little on the wire. */
	ASSERT_INT_EQ(g[0].compressed, 512);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_OK);
	th_col_clear(&c);
	got_free(g, 1);
	unlink(tp("share/sparse.img"));
	xfer_free(x);
}

static void
test_per_file_errors(void)
{
	struct xfer *x = make(BIG, 0, true);
	struct th_col c = {0};
	struct got g[3] = {0};

	/* A FIFO is neither listed for a tree nor opened as a file. */
	ASSERT_INT_EQ(xfer_send(x, 1, "/share/fifo", false, 0), -EINVAL);
	th_col_drain(&c, x);
	ASSERT_STR_CONTAINS(th_error(&c), "Not a regular file");
	th_col_clear(&c);
	/* Too large: that file fails, the next one goes. */
	th_mkdir("share/lim");
	th_write("share/lim/a.big", big_text, BIG);
	th_write("share/lim/b.over", big_text, BIG);
	ASSERT_INT_EQ(truncate(tp("share/lim/b.over"), BIG + 1), 0);
	th_write("share/lim/c.ok", "c", 1);
	ASSERT_INT_EQ(xfer_send(x, 2, "/share/lim", false, 0), 0);
	run_download(x, &c, g, 3, NULL);
	ASSERT_INT_EQ(g[0].len, BIG);
	ASSERT_INT_EQ(g[1].blocks, 0);
	ASSERT_INT_EQ(g[2].len, 1);
	ASSERT_INT_EQ(c.r[1]->outcome, XFER_FAILED);
	ASSERT_INT_EQ(th_find(&c, XFER_MSG_ERROR)->file_num, 1);
	ASSERT_STR_CONTAINS(th_find(&c, XFER_MSG_ERROR)->error,
		"larger than the host's limit: /share/lim/b.over");
	th_col_clear(&c);
	got_free(g, 3);
	/* A file swapped for a symlink after the listing is refused then. */
	ASSERT_INT_EQ(xfer_send(x, 3, "/share/lim", false, 0), 0);
	th_col_drain(&c, x);
	unlink(tp("share/lim/c.ok"));
	th_symlink(tp("outside/secret.txt"), "share/lim/c.ok");
	run_download(x, &c, g, 3, NULL);
	ASSERT_INT_EQ(g[2].blocks, 0);
	ASSERT_STR_CONTAINS(th_error(&c), "Symbolic links are not followed");
	ASSERT_INT_EQ(th_last(&c)->kind, XFER_MSG_DONE);
	th_col_clear(&c);
	got_free(g, 3);
	xfer_free(x);
	/* The transfer limit refuses the job up front. */
	x = make(0, BIG, true);
	ASSERT_INT_EQ(xfer_send(x, 4, "/share/lim", false, 0),
		OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(xfer_send(x, 5, "/share/link_out", false, 0), -ELOOP);
	ASSERT(xfer_send(x, 6, "/", false, 0) != 0);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(c.n, 3);
	ASSERT_STR_CONTAINS(c.m[0]->error, "larger than the host's limit");
	th_col_clear(&c);
	xfer_free(x);
	th_rm_tree(tp("share/lim"));
}

static void
test_cancel_and_turns(void)
{
	struct xfer *x = make(0, 0, true);
	struct th_col c = {0};
	struct xfer_confirm cf = {.id = 1};

	ASSERT_INT_EQ(xfer_send(x, 1, "/share/tree/rand.bin", false, 0), 0);
	ASSERT_INT_EQ(xfer_send(x, 2, "/share/tree/sub/text.txt", false, 0),
		0);
	ASSERT_INT_EQ(xfer_send(x, 2, "/share/a.txt", false, 0), OP_ERR_STATE);
	th_run(x, &c, 10); /* both digests */
	ASSERT_INT_EQ(th_count(&c, XFER_MSG_DIGEST), 2);
	xfer_confirm(x, &cf);
	cf.id = 2;
	xfer_confirm(x, &cf);
	ASSERT_INT_EQ(xfer_pending(x), XFER_PENDING_SEND);
	/* Flow control: no blocks while the session says its queue is full. */
	ASSERT_INT_EQ(xfer_step(x, XFER_PENDING_WORK), 0);
	th_col_clear(&c);
	for (int i = 0; i < 6; i++)
		ASSERT_INT_EQ(xfer_step(x, XFER_PENDING_SEND), 1);
	th_col_drain(&c, x);
	/* The jobs take turns, one block each. */
	for (size_t i = 0; i < 6; i++) {
		ASSERT_INT_EQ(c.m[i]->kind, XFER_MSG_BLOCK);
		ASSERT_INT_EQ(c.m[i]->id, (int)(i % 2) + 1);
	}
	ASSERT(xfer_queued_bytes(x) == 0);
	th_col_clear(&c);
	ASSERT_INT_EQ(xfer_cancel(x, 1), 0);
	ASSERT_INT_EQ(xfer_cancel(x, 1), OP_ERR_NOT_FOUND);
	th_run(x, &c, 100);
	for (size_t i = 0; i < c.n; i++)
		ASSERT_INT_EQ(c.m[i]->id, 2);
	ASSERT_INT_EQ(c.r[0]->outcome, XFER_CANCELLED);
	ASSERT_INT_EQ(c.r[0]->id, 1);
	ASSERT_U64_EQ(c.r[0]->bytes, 3 * XFER_BLOCK_SIZE);
	ASSERT_INT_EQ(th_last(&c)->kind, XFER_MSG_DONE);
	th_col_clear(&c);
	/* Shutdown interrupts what is left. */
	ASSERT_INT_EQ(xfer_send(x, 3, "/share/tree", false, 0), 0);
	th_run(x, &c, 10);
	xfer_shutdown(x);
	th_col_drain(&c, x);
	ASSERT_INT_EQ(xfer_jobs(x), 0);
	ASSERT_INT_EQ(c.r[c.nr - 1]->outcome, XFER_INTERRUPTED);
	th_col_clear(&c);
	xfer_free(x);
}

static void
test_old_client(void)
{
	struct xfer *x = make(0, 0, false);
	struct th_col c = {0};
	struct got g[1] = {0};

	/* Before 1.1.10: no digest, blocks straight away. */
	ASSERT_INT_EQ(xfer_send(x, 1, "/share/a.txt", false, 0), 0);
	run_download(x, &c, g, 1, NULL);
	ASSERT_INT_EQ(th_count(&c, XFER_MSG_DIGEST), 0);
	ASSERT_INT_EQ(g[0].len, 5);
	ASSERT_INT_EQ(th_last(&c)->kind, XFER_MSG_DONE);
	th_col_clear(&c);
	got_free(g, 1);
	xfer_free(x);
}

static void
make_tree(void)
{
	struct timespec ts[2] = {{1600000000, 0}, {1600000000, 0}};
	char line[64];

	th_tmp_make();
	big_text = malloc(BIG);
	big_rand = malloc(BIG);
	for (size_t i = 0; i < BIG; i += strlen(line)) {
		snprintf(line, sizeof(line), "line %zu of a text file\n", i);
		memcpy(big_text + i, line,
			i + strlen(line) <= BIG ? strlen(line) : BIG - i);
	}
	th_fill_random(big_rand, BIG, 7);
	th_mkdir("outside");
	th_write("outside/secret.txt", "SECRET", 6);
	th_mkdir("share");
	th_write("share/a.txt", "hello", 5);
	utimensat(AT_FDCWD, tp("share/a.txt"), ts, 0);
	th_mkdir("share/tree");
	th_mkdir("share/tree/sub");
	th_write("share/tree/empty.bin", "", 0);
	th_write("share/tree/rand.bin", big_rand, BIG);
	th_write("share/tree/sub/text.txt", big_text, BIG);
	th_write("share/tree/sub/z.png", big_text, BIG);
	th_symlink("../outside", "share/link_out");
	if (mkfifo(tp("share/fifo"), 0644) != 0)
		th_die("mkfifo");
	root.path = strdup(tp("share"));
}

int
main(void)
{
	make_tree();
	RUN(test_single_file);
	RUN(test_tree_compression);
	RUN(test_skip_and_resume);
	RUN(test_sparse);
	RUN(test_per_file_errors);
	RUN(test_cancel_and_turns);
	RUN(test_old_client);
	th_rm_tree(th_tmp);
	free(big_text);
	free(big_rand);
	return th_done();
}
