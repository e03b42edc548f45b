/* SPDX-License-Identifier: MIT */
/*
 * Downloads (FileAction.send, spec §11.4), as RustDesk's read jobs do
 * them: the file list goes out first, then per file a digest and a wait
 * for the client's send_confirm (skip, or a byte offset to resume from),
 * then blocks of up to 128 KiB, zstd-compressed when that makes them
 * smaller, and an empty block at the end of each file; done after the
 * last one ("skipped" error when the only file was skipped). Each file is
 * opened again beneath the root when its turn comes, O_NONBLOCK so a FIFO
 * cannot hang the worker, and must be a regular file. Its SHA-256 is
 * computed over the whole file, the prefix of a resumed one included.
 */
#include "xfer/xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "xfer/xfer-internal.h"
#include "xfer/xfer-os.h"

#define ZSTD_LEVEL 3
/* After this many blocks in a row that did not shrink, compression is
 * only tried on every 8th block (random data costs zstd time for
 * nothing). */
#define INCOMPRESSIBLE_RUN 2

/* RustDesk's list (fs.rs is_compressed_file) and a few more. */
static bool
compressed_type(const char *name)
{
	static const char *const ext[] = {"xz", "gz", "zip", "7z", "rar",
		"bz2", "tgz", "png", "jpg", "jpeg", "zst", "webp", "mp4", "mkv",
		"mp3", "deb", "rpm"};
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return false;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcasecmp(dot + 1, ext[i]) == 0)
			return true;
	return false;
}

static void
cur_vpath(const struct xfer_job *job, char *out, size_t outlen)
{
	if (xfer__join(out, outlen, job->base_vpath,
		    job->files[job->cur].name) != 0)
		snprintf(out, outlen, "%s", job->base_vpath);
}

/* Ends the current file with a result and moves to the next. */
static void
file_end(struct xfer *self, struct xfer_job *job, enum xfer_outcome outcome,
	const char *error)
{
	char rel[XFER_PATH_MAX];
	char vpath[XFER_PATH_MAX + XFER_NAME_MAX + 2];
	struct xfer_result *r;

	if (xfer__join(rel, sizeof(rel), job->base_rel,
		    job->files[job->cur].name) != 0)
		snprintf(rel, sizeof(rel), "%s", job->base_rel);
	cur_vpath(job, vpath, sizeof(vpath));
	r = xfer__result(self, XFER_OP_DOWNLOAD, outcome, job->id,
		(int32_t)job->cur, job->root, rel, vpath);
	if (r != NULL) {
		r->size = job->size;
		r->offset = job->offset;
		r->bytes = job->moved;
		if (outcome == XFER_OK) {
			r->size = job->pos;
			r->has_sha256 = true;
			xfer_sha256_final(&job->sha, r->sha256);
		}
		if (error != NULL)
			r->error = strdup(error);
	}
	xfer__push_result(self, r);
	if (job->fd >= 0)
		close(job->fd);
	job->fd = -1;
	job->cur++;
	job->st = XFER_F_START;
}

/* A per-file failure: error{id, text, file_num}, and on to the next. */
static int
file_fail(struct xfer *self, struct xfer_job *job, int r, const char *text)
{
	char vpath[XFER_PATH_MAX + XFER_NAME_MAX + 2];

	if (text == NULL)
		text = xfer_errno_text(r);
	cur_vpath(job, vpath, sizeof(vpath));
	xfer__error(self, job->id, (int32_t)job->cur, r, text, vpath);
	file_end(self, job, XFER_FAILED, text);
	return 1;
}

int
xfer_send(struct xfer *self, int32_t id, const char *path,
	bool include_hidden, int32_t file_num)
{
	struct xfer_target t;
	struct xfer_file *files = NULL;
	struct xfer_msg *m;
	struct xfer_job *job;
	const char *why = NULL;
	uint64_t total = 0;
	size_t n = 0;
	int r;

	if (xfer__job(self, id) != NULL)
		return xfer__error(self, id, 0, OP_ERR_STATE,
			"A transfer with this id is already running", NULL);
	if (self->njobs >= XFER_MAX_JOBS)
		return xfer__error(self, id, 0, OP_ERR_TOO_LARGE,
			"Too many transfers at once", NULL);
	if ((r = xfer__resolve(self, path, &t, &why)) != 0)
		return xfer__error(self, id, 0, r, why, t.vpath);
	if ((why = xfer__denied(self, XFER_ALLOW_DOWNLOAD, NULL)) != NULL)
		return xfer__error(self, id, 0, OP_ERR_DENIED, why, NULL);
	if (t.root == NULL)
		return xfer__error(self, id, 0, -EISDIR,
			"Pick a shared folder first", t.vpath);
	if ((r = xfer__list_files(self, t.root, t.p.rel, include_hidden,
		     &files, &n)) != 0) {
		if (r == OP_ERR_NOMEM)
			return r;
		return xfer__error(self, id, 0, r,
			r == OP_ERR_TOO_LARGE ? "Too many files (over the "
						"host's limit)" :
			r == OP_ERR_RANGE ? "The folder tree is too deep" :
			r == -EINVAL	? "Not a regular file or directory" :
					  NULL,
			t.vpath);
	}
	for (size_t i = 0; i < n; i++)
		total += files[i].size; /* each < 2^63: no wrap in practice */
	if (self->max_job_bytes > 0 && total > self->max_job_bytes) {
		xfer__files_free(files, n);
		return xfer__error(self, id, 0, OP_ERR_TOO_LARGE,
			"The transfer is larger than the host's limit", t.vpath);
	}
	if (file_num < 0 || (size_t)file_num > n) {
		xfer__files_free(files, n);
		return xfer__error(self, id, 0, OP_ERR_RANGE,
			"No such file number", t.vpath);
	}
	if ((m = xfer__msg(self, XFER_MSG_DIR, id, 0)) == NULL ||
		(m->path = strdup(t.vpath)) == NULL ||
		(n > 0 && (m->entries = calloc(n, sizeof(*m->entries))) == NULL))
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		m->entries[i].type = XFER_ENTRY_FILE;
		m->entries[i].size = files[i].size;
		m->entries[i].mtime = files[i].mtime;
		m->entries[i].hidden = strrchr(files[i].name, '/') != NULL ?
			strrchr(files[i].name, '/')[1] == '.' :
			files[i].name[0] == '.';
		if ((m->entries[i].name = strdup(files[i].name)) == NULL)
			goto nomem;
		m->nentries = i + 1;
	}
	if ((job = xfer__job_begin(self, XFER_JOB_SEND, id, &t, files, n,
		     file_num)) == NULL)
		goto nomem;
	xfer__push(self, m);
	return 0;
nomem:
	xfer_msg_free(m);
	xfer__files_free(files, n);
	return OP_ERR_NOMEM;
}

bool
xfer__send_ready(const struct xfer_job *job)
{
	return job->st == XFER_F_START || job->st == XFER_F_PREFIX ||
		job->st == XFER_F_STREAM;
}

/* The job is over: done, or "skipped" when its only file was skipped. */
static int
job_finish(struct xfer *self, struct xfer_job *job)
{
	if (job->any_skipped && job->nfiles == 1)
		xfer__error(self, job->id, (int32_t)job->cur, 0, "skipped",
			NULL);
	else
		xfer__done(self, job->id, (int32_t)job->cur);
	xfer__job_free(self, job);
	return 1;
}

static int
file_open(struct xfer *self, struct xfer_job *job)
{
	char rel[XFER_PATH_MAX];
	struct xfer_msg *m;
	struct xfer_os_stat st;
	int fd, r;

	job->size = job->files[job->cur].size;
	job->offset = 0;
	job->moved = 0;
	if (xfer__join(rel, sizeof(rel), job->base_rel,
		    job->files[job->cur].name) != 0)
		return file_fail(self, job, -ENAMETOOLONG, NULL);
	/* Listed earlier; opened now, beneath the root again. */
	fd = xfer_openat(job->root->fd, rel, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return file_fail(self, job, fd, NULL);
	job->fd = fd;
	if ((r = xfer_os_fstat(fd, &st)) != 0)
		return file_fail(self, job, r, NULL);
	if (st.type != XFER_OS_REG)
		return file_fail(self, job, -EINVAL, "Not a regular file");
	job->size = st.size;
	if (self->max_file_bytes > 0 && job->size > self->max_file_bytes)
		return file_fail(self, job, OP_ERR_TOO_LARGE,
			"The file is larger than the host's limit");
	xfer_os_sequential(fd);
	job->pos = 0;
	job->hash_pos = 0;
	job->incompressible = 0;
	job->no_compress = compressed_type(job->files[job->cur].name[0] ?
			job->files[job->cur].name :
			job->base_rel);
	xfer_sha256_init(&job->sha);
	if (!self->overwrite_detection) {
		job->st = XFER_F_STREAM;
		return 1;
	}
	if ((m = xfer__msg(self, XFER_MSG_DIGEST, job->id,
		     (int32_t)job->cur)) == NULL)
		return OP_ERR_NOMEM;
	m->digest.id = job->id;
	m->digest.file_num = (int32_t)job->cur;
	m->digest.last_modified = st.mtime;
	m->digest.file_size = job->size;
	xfer__push(self, m);
	job->st = XFER_F_CONFIRM;
	return 1;
}

/* Reads up to len bytes at off (short only at end of file). */
static ssize_t
read_full(int fd, uint8_t *p, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = xfer_os_pread(fd, p + got, len - got, off + got);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int
hash_prefix(struct xfer *self, struct xfer_job *job)
{
	uint64_t budget = XFER_HASH_CHUNK;

	while (job->hash_pos < job->offset && budget > 0) {
		uint64_t left = job->offset - job->hash_pos;
		size_t want = left < XFER_BLOCK_SIZE ? (size_t)left :
						       XFER_BLOCK_SIZE;
		ssize_t n = read_full(job->fd, self->buf, want, job->hash_pos);

		if (n < 0)
			return file_fail(self, job, (int)n, NULL);
		if (n == 0)
			return file_fail(self, job, -EIO,
				"The file shrank during the transfer");
		xfer_sha256_update(&job->sha, (size_t)n, self->buf);
		job->hash_pos += (uint64_t)n;
		budget -= (uint64_t)n < budget ? (uint64_t)n : budget;
	}
	if (job->hash_pos == job->offset) {
		job->pos = job->offset;
		job->st = XFER_F_STREAM;
	}
	return 1;
}

/* zstd into the scratch buffer; true when that is smaller. */
static bool
try_compress(struct xfer *self, struct xfer_job *job, const uint8_t *in,
	size_t n, size_t *out_len)
{
	size_t z;

	if (job->no_compress)
		return false;
	if (job->incompressible >= INCOMPRESSIBLE_RUN &&
		(job->incompressible++ & 7) != 0)
		return false;
	if (self->cctx == NULL && (self->cctx = ZSTD_createCCtx()) == NULL)
		return false;
	z = ZSTD_compressCCtx(self->cctx, self->buf,
		ZSTD_compressBound(XFER_BLOCK_SIZE), in, n, ZSTD_LEVEL);
	if (ZSTD_isError(z) || z >= n) {
		if (job->incompressible < INCOMPRESSIBLE_RUN)
			job->incompressible++;
		return false;
	}
	job->incompressible = 0;
	*out_len = z;
	return true;
}

static int
stream_block(struct xfer *self, struct xfer_job *job)
{
	struct xfer_msg *m;
	uint8_t *data;
	size_t zlen = 0;
	ssize_t n;

	if ((data = malloc(XFER_BLOCK_SIZE)) == NULL)
		return OP_ERR_NOMEM;
	n = read_full(job->fd, data, XFER_BLOCK_SIZE, job->pos);
	if (n < 0) {
		free(data);
		return file_fail(self, job, (int)n, NULL);
	}
	if (self->max_file_bytes > 0 &&
		job->pos + (uint64_t)n > self->max_file_bytes) {
		free(data);
		return file_fail(self, job, OP_ERR_TOO_LARGE,
			"The file grew past the host's limit");
	}
	if (self->max_job_bytes > 0 &&
		job->job_bytes + (uint64_t)n > self->max_job_bytes) {
		free(data);
		return file_fail(self, job, OP_ERR_TOO_LARGE,
			"The transfer grew past the host's limit");
	}
	if ((m = xfer__msg(self, XFER_MSG_BLOCK, job->id,
		     (int32_t)job->cur)) == NULL) {
		free(data);
		return OP_ERR_NOMEM;
	}
	if (n == 0) {
		/* RustDesk ends every file with an empty block: it is what
		 * makes the client create an empty file. */
		free(data);
		xfer__push(self, m);
		file_end(self, job, XFER_OK, NULL);
		return 1;
	}
	xfer_sha256_update(&job->sha, (size_t)n, data);
	job->pos += (uint64_t)n;
	job->hash_pos = job->pos;
	job->moved += (uint64_t)n;
	job->job_bytes += (uint64_t)n;
	if (try_compress(self, job, data, (size_t)n, &zlen)) {
		memcpy(data, self->buf, zlen);
		m->compressed = true;
		m->len = zlen;
	} else {
		m->len = (size_t)n;
	}
	m->data = data;
	xfer__push(self, m);
	return 1;
}

int
xfer__send_step(struct xfer *self, struct xfer_job *job)
{
	if (job->cur >= job->nfiles)
		return job_finish(self, job);
	switch (job->st) {
	case XFER_F_START:
		return file_open(self, job);
	case XFER_F_PREFIX:
		return hash_prefix(self, job);
	case XFER_F_STREAM:
		return stream_block(self, job);
	default:
		return 0;
	}
}

int
xfer__send_confirm(struct xfer *self, struct xfer_job *job,
	const struct xfer_confirm *c)
{
	/* RustDesk ignores a confirmation for another file. */
	if (job->st != XFER_F_CONFIRM || c->file_num < 0 ||
		(size_t)c->file_num != job->cur)
		return OP_ERR_STATE;
	if (c->skip) {
		job->any_skipped = true;
		file_end(self, job, XFER_SKIPPED, NULL);
		return 0;
	}
	if (c->offset > job->size) {
		file_fail(self, job, OP_ERR_RANGE,
			"The resume offset is past the end of the file");
		return OP_ERR_RANGE;
	}
	job->offset = c->offset;
	job->st = c->offset > 0 ? XFER_F_PREFIX : XFER_F_STREAM;
	return 0;
}

void
xfer__send_end(struct xfer *self, struct xfer_job *job,
	enum xfer_outcome outcome, const char *error)
{
	/* Only a file that was started gets a result. */
	if (job->cur < job->nfiles && job->st != XFER_F_START)
		file_end(self, job, outcome, error);
}
