/* SPDX-License-Identifier: MIT */
/*
 * Uploads (FileAction.receive, spec §11.5). The client announces the
 * files, then per file sends a digest; the host answers with send_confirm
 * offset 0 (nothing there), or a digest of its own (the file exists: the
 * client's user picks overwrite or skip; or a partial upload can be
 * resumed: is_identical with transferred_size), then blocks follow and
 * the next digest or done closes the file.
 *
 * Data goes to a part file ".outpost-part-<hash of name>-<size>-<mtime>"
 * next to the target, created O_EXCL | O_NOFOLLOW, locked against a
 * second session, and renamed over the target only once it holds exactly
 * the announced size, after fsync (RENAME_NOREPLACE unless the client
 * agreed to replace what was there). The name encodes the remote file's
 * size and mtime, so a later session resumes only the same file. A
 * failed, cancelled or errored upload removes its part; one cut off by
 * the connection keeps it for a resume. A block never writes past the
 * announced size (a zstd bomb stops there), zero runs become holes.
 */
#include "xfer/xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "core/err.h"
#include "xfer/xfer-internal.h"
#include "xfer/xfer-os.h"

/* Decompression window cap: RustDesk compresses 128 KiB blocks. */
#define ZSTD_WINDOW_LOG_MAX 20
#define HOLE_MIN 4096

static void
cur_vpath(const struct xfer_job *job, char *out, size_t outlen)
{
	const char *name = job->cur < job->nfiles ? job->files[job->cur].name :
						    "";

	if (xfer__join(out, outlen, job->base_vpath, name) != 0)
		snprintf(out, outlen, "%s", job->base_vpath);
}

static void
file_result(struct xfer *self, struct xfer_job *job,
	enum xfer_outcome outcome, const char *error)
{
	char rel[XFER_PATH_MAX];
	char vpath[XFER_PATH_MAX + XFER_NAME_MAX + 2];
	struct xfer_result *r;

	if (job->cur >= job->nfiles ||
		xfer__join(rel, sizeof(rel), job->base_rel,
			job->files[job->cur].name) != 0)
		snprintf(rel, sizeof(rel), "%s", job->base_rel);
	cur_vpath(job, vpath, sizeof(vpath));
	job->live = false;
	r = xfer__result(self, XFER_OP_UPLOAD, outcome, job->id,
		(int32_t)job->cur, job->root, rel, vpath);
	if (r == NULL)
		return;
	r->size = outcome == XFER_OK ? job->pos : job->size;
	r->offset = job->offset;
	r->bytes = job->moved;
	if (outcome == XFER_OK) {
		r->has_sha256 = true;
		xfer_sha256_final(&job->sha, r->sha256);
	}
	if (error != NULL)
		r->error = strdup(error);
	xfer__push_result(self, r);
}

/* Closes the current file's part; removes it unless `keep`. */
static void
part_close(struct xfer_job *job, bool keep)
{
	if (job->fd >= 0) {
		if (!keep && job->dirfd >= 0 && job->part != NULL)
			(void)xfer_os_remove(job->dirfd, job->part, false);
		close(job->fd);
		job->fd = -1;
	}
}

static void
file_close(struct xfer_job *job)
{
	part_close(job, true);
	if (job->dirfd >= 0)
		close(job->dirfd);
	job->dirfd = -1;
	free(job->part);
	free(job->leaf);
	job->part = NULL;
	job->leaf = NULL;
	job->st = XFER_F_START;
}

void
xfer__recv_end(struct xfer *self, struct xfer_job *job,
	enum xfer_outcome outcome, const char *error)
{
	if (job->live)
		file_result(self, job, outcome, error);
	/* Only a part with data is worth keeping for a resume. */
	part_close(job, outcome == XFER_INTERRUPTED && job->pos > 0);
	file_close(job);
}

/* Ends the whole job with error{id, text, file_num}; frees it. */
static int
job_fail(struct xfer *self, struct xfer_job *job, int r, const char *text)
{
	char vpath[XFER_PATH_MAX + XFER_NAME_MAX + 2];

	if (text == NULL)
		text = xfer_errno_text(r);
	cur_vpath(job, vpath, sizeof(vpath));
	xfer__error(self, job->id, (int32_t)job->cur, r, text, vpath);
	xfer__recv_end(self, job, XFER_FAILED, text);
	xfer__job_free(self, job);
	return r;
}

int
xfer_receive(struct xfer *self, int32_t id, const char *path,
	const struct xfer_file_entry *files, size_t nfiles, int32_t file_num,
	uint64_t total_size)
{
	struct xfer_target t;
	struct xfer_job *job;
	struct xfer_file *v = NULL;
	const char *why = NULL;
	uint64_t total = 0;
	int r;

	if (xfer__job(self, id) != NULL)
		return xfer__error(self, id, file_num, OP_ERR_STATE,
			"A transfer with this id is already running", NULL);
	if (self->njobs >= XFER_MAX_JOBS)
		return xfer__error(self, id, file_num, OP_ERR_TOO_LARGE,
			"Too many transfers at once", NULL);
	if ((r = xfer__resolve(self, path, &t, &why)) != 0)
		return xfer__error(self, id, file_num, r, why, t.vpath);
	if ((why = xfer__denied(self, XFER_ALLOW_UPLOAD, t.root)) != NULL)
		return xfer__error(self, id, file_num, OP_ERR_DENIED, why, NULL);
	if (t.root == NULL)
		return xfer__error(self, id, file_num, -EPERM,
			"Pick a shared folder first", t.vpath);
	if (nfiles > self->max_files)
		return xfer__error(self, id, file_num, OP_ERR_TOO_LARGE,
			"Too many files (over the host's limit)", t.vpath);
	if (file_num < 0 || (size_t)file_num > nfiles)
		return xfer__error(self, id, file_num, OP_ERR_RANGE,
			"No such file number", t.vpath);
	if (nfiles > 0 && (v = calloc(nfiles, sizeof(*v))) == NULL)
		return OP_ERR_NOMEM;
	for (size_t i = 0; i < nfiles; i++) {
		char name[XFER_PATH_MAX];
		bool single = nfiles == 1 && files[i].name != NULL &&
			files[i].name[0] == '\0';

		/* Only a single file may be nameless: path is the file. */
		if (single && t.p.rel[0] == '\0')
			r = xfer__error(self, id, file_num, -EISDIR,
				"A shared folder itself cannot be replaced",
				t.vpath);
		else if (!single && (r = xfer_relname_parse(files[i].name,
					     name, sizeof(name), &why)) != 0)
			r = xfer__error(self, id, (int32_t)i, r, why, t.vpath);
		else if (self->max_file_bytes > 0 &&
			files[i].size > self->max_file_bytes)
			r = xfer__error(self, id, (int32_t)i, OP_ERR_TOO_LARGE,
				"The file is larger than the host's limit",
				t.vpath);
		if (r != 0)
			goto fail;
		if ((v[i].name = strdup(single ? "" : name)) == NULL) {
			r = OP_ERR_NOMEM;
			goto fail;
		}
		v[i].size = files[i].size;
		v[i].mtime = files[i].mtime;
		total = total + files[i].size < total ? UINT64_MAX :
							total + files[i].size;
	}
	if (self->max_job_bytes > 0 && (total > self->max_job_bytes ||
					       total_size > self->max_job_bytes)) {
		r = xfer__error(self, id, file_num, OP_ERR_TOO_LARGE,
			"The transfer is larger than the host's limit", t.vpath);
		goto fail;
	}
	if ((job = xfer__job_begin(self, XFER_JOB_RECV, id, &t, v, nfiles,
		     file_num)) == NULL) {
		r = OP_ERR_NOMEM;
		goto fail;
	}
	return 0;
fail:
	xfer__files_free(v, nfiles);
	return r;
}

/*
 * Makes file k current: its directory (created as needed) and the names
 * of the target and of the part file for a remote file of this size and
 * mtime. 0, or an error (the caller fails the job).
 */
static int
prepare(struct xfer *self, struct xfer_job *job, size_t k, uint64_t size,
	uint64_t mtime, const char **why)
{
	char rel[XFER_PATH_MAX];
	uint8_t h[XFER_SHA256_SIZE];
	xfer_sha256 name_sha;
	char part[96];
	const char *leaf;
	char *slash;
	int r;

	file_close(job);
	job->cur = k;
	job->size = size;
	job->mtime = job->files[k].mtime ? job->files[k].mtime : mtime;
	job->pos = job->hash_pos = job->offset = job->moved = 0;
	job->target_existed = false;
	job->hole_tail = false;
	job->live = true;
	xfer_sha256_init(&job->sha);
	if (self->max_file_bytes > 0 && size > self->max_file_bytes) {
		*why = "The file is larger than the host's limit";
		return OP_ERR_TOO_LARGE;
	}
	if ((r = xfer__join(rel, sizeof(rel), job->base_rel,
		     job->files[k].name)) != 0)
		return r;
	if ((slash = strrchr(rel, '/')) != NULL) {
		*slash = '\0';
		leaf = slash + 1;
		job->dirfd = xfer_mkdirs(job->root->fd, rel);
	} else {
		leaf = rel;
		job->dirfd = xfer_openat(job->root->fd, "",
			O_PATH | O_DIRECTORY, 0);
	}
	if (job->dirfd < 0) {
		r = job->dirfd;
		job->dirfd = -1;
		if (r == OP_ERR_PROTO)
			*why = "Not a valid folder name";
		return r;
	}
	if ((r = xfer_name_check(leaf, why)) != 0)
		return r;
	xfer_sha256_init(&name_sha);
	xfer_sha256_update(&name_sha, strlen(leaf), (const uint8_t *)leaf);
	xfer_sha256_final(&name_sha, h);
	snprintf(part, sizeof(part),
		XFER_PART_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x-%llu-%llu",
		h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7],
		(unsigned long long)size, (unsigned long long)mtime);
	job->part = strdup(part);
	job->leaf = strdup(leaf);
	if (job->part == NULL || job->leaf == NULL)
		return OP_ERR_NOMEM;
	return 0;
}

/* A new, empty part file (a stale one of the same remote file goes). */
static int
part_fresh(struct xfer_job *job)
{
	struct xfer_os_stat st;
	int fd, r;

	if (xfer_os_statat(job->dirfd, job->part, &st) == 0) {
		if (st.type == XFER_OS_REG) {
			fd = xfer_os_open(job->dirfd, job->part, O_RDWR, 0);
			if (fd >= 0 && (r = xfer_os_lock(fd)) != 0) {
				close(fd);
				return r; /* another session uploads it */
			}
			if (fd >= 0)
				close(fd);
		}
		(void)xfer_os_remove(job->dirfd, job->part, false);
	}
	if ((fd = xfer_os_open(job->dirfd, job->part,
		     O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
		return fd;
	job->fd = fd;
	if ((r = xfer_os_lock(fd)) != 0)
		return r;
	xfer_os_own_like_dir(fd, job->dirfd);
	job->st = XFER_F_STREAM;
	return 0;
}

/* Reopens a part file to continue at offset. */
static int
part_resume(struct xfer_job *job, uint64_t offset)
{
	struct xfer_os_stat st;
	int fd, r;

	if ((fd = xfer_os_open(job->dirfd, job->part, O_RDWR, 0)) < 0)
		return fd;
	job->fd = fd;
	if ((r = xfer_os_lock(fd)) != 0)
		return r;
	if ((r = xfer_os_fstat(fd, &st)) != 0)
		return r;
	if (st.type != XFER_OS_REG || st.size < offset || offset > job->size)
		return OP_ERR_RANGE;
	if ((r = xfer_os_truncate(fd, offset)) != 0)
		return r;
	job->pos = job->offset = offset;
	job->hash_pos = 0; /* the prefix is hashed by xfer_step */
	job->st = XFER_F_STREAM;
	return 0;
}

static int
hash_catch_up(struct xfer *self, struct xfer_job *job, uint64_t budget)
{
	while (job->hash_pos < job->pos && budget > 0) {
		uint64_t left = job->pos - job->hash_pos;
		size_t want = left < XFER_BLOCK_SIZE ? (size_t)left :
						       XFER_BLOCK_SIZE;
		ssize_t n = xfer_os_pread(job->fd, self->buf, want,
			job->hash_pos);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;
		xfer_sha256_update(&job->sha, (size_t)n, self->buf);
		job->hash_pos += (uint64_t)n;
		budget -= (uint64_t)n < budget ? (uint64_t)n : budget;
	}
	return 0;
}

/* A replaced file keeps its mode (and, for a root agent, its owner); a
 * new one is 0644. */
static int
set_mode(struct xfer_job *job)
{
	struct xfer_os_stat st;
	bool like = job->target_existed &&
		xfer_os_statat(job->dirfd, job->leaf, &st) == 0 &&
		st.type == XFER_OS_REG;

	return xfer_os_set_mode(job->fd, like ? &st : NULL);
}

/* The current file is complete: checked, synced, renamed into place. */
static int
finalize(struct xfer *self, struct xfer_job *job)
{
	char text[96];
	int r;

	if (job->st == XFER_F_SKIPPED || job->st == XFER_F_START) {
		file_close(job);
		return 0;
	}
	if (job->st != XFER_F_STREAM)
		return job_fail(self, job, OP_ERR_STATE,
			"The file was not confirmed");
	if (job->pos != job->size) {
		snprintf(text, sizeof(text), "Incomplete: %llu of %llu bytes "
			"received", (unsigned long long)job->pos,
			(unsigned long long)job->size);
		return job_fail(self, job, OP_ERR_PROTO, text);
	}
	/* A resumed file whose prefix is still being hashed. */
	if ((r = hash_catch_up(self, job, UINT64_MAX)) != 0)
		return job_fail(self, job, r, NULL);
	if (job->hole_tail && (r = xfer_os_truncate(job->fd, job->pos)) != 0)
		return job_fail(self, job, r, NULL);
	if ((r = set_mode(job)) != 0 ||
		(r = xfer_os_set_mtime(job->fd, job->mtime)) != 0 ||
		(r = xfer_os_sync(job->fd)) != 0)
		return job_fail(self, job, r, NULL);
	if ((r = xfer_os_rename(job->dirfd, job->part, job->leaf,
		     job->target_existed)) != 0)
		return job_fail(self, job, r, r == -EEXIST ?
			"Another file appeared under this name" : NULL);
	/* The rename is durable once the directory is synced. */
	xfer_os_sync_dir(job->dirfd);
	file_result(self, job, XFER_OK, NULL);
	close(job->fd);
	job->fd = -1;
	file_close(job);
	return 0;
}

static int
reply_digest(struct xfer *self, struct xfer_job *job,
	const struct xfer_digest *d, uint64_t mtime, uint64_t size,
	bool identical, uint64_t transferred)
{
	struct xfer_msg *m = xfer__msg(self, XFER_MSG_DIGEST, d->id,
		d->file_num);

	if (m == NULL)
		return OP_ERR_NOMEM;
	m->digest.id = d->id;
	m->digest.file_num = d->file_num;
	m->digest.last_modified = mtime;
	m->digest.file_size = size;
	m->digest.is_upload = true;
	m->digest.is_identical = identical;
	m->digest.transferred_size = transferred;
	xfer__push(self, m);
	job->st = XFER_F_CONFIRM;
	return 0;
}

static int
reply_confirm(struct xfer *self, int32_t id, int32_t file_num)
{
	struct xfer_msg *m = xfer__msg(self, XFER_MSG_CONFIRM, id, file_num);

	if (m == NULL)
		return OP_ERR_NOMEM;
	xfer__push(self, m);
	return 0;
}

/* What is at the target now: 1 a regular file, 0 nothing, < 0 in the way. */
static int
target_state(struct xfer_job *job, struct xfer_os_stat *st)
{
	int r = xfer_os_statat(job->dirfd, job->leaf, st);

	if (r != 0)
		return r == -ENOENT ? 0 : r;
	if (st->type == XFER_OS_REG)
		return 1;
	return st->type == XFER_OS_LINK ? -ELOOP : -EISDIR;
}

int
xfer_client_digest(struct xfer *self, const struct xfer_digest *d)
{
	struct xfer_job *job = xfer__job(self, d->id);
	const char *why = NULL;
	struct xfer_os_stat st;
	int r;

	if (job == NULL || job->kind != XFER_JOB_RECV)
		return OP_ERR_NOT_FOUND;
	if (d->file_num < 0 || (size_t)d->file_num >= job->nfiles)
		return job_fail(self, job, OP_ERR_RANGE, "No such file number");
	if (job->st == XFER_F_CONFIRM)
		return job_fail(self, job, OP_ERR_STATE,
			"The previous file was not confirmed");
	if ((r = finalize(self, job)) != 0)
		return r;
	if ((r = prepare(self, job, (size_t)d->file_num, d->file_size,
		     d->last_modified, &why)) != 0)
		return job_fail(self, job, r, why);
	if ((r = target_state(job, &st)) < 0)
		return job_fail(self, job, r,
			r == -ELOOP ? "A symbolic link is in the way" :
				      "Something that is not a file is in the way");
	job->target_existed = r == 1;
	if (d->is_resume) {
		struct xfer_os_stat ps;

		if (xfer_os_statat(job->dirfd, job->part, &ps) == 0 &&
			ps.type == XFER_OS_REG && ps.size > 0 &&
			ps.size <= d->file_size)
			return reply_digest(self, job, d, d->last_modified,
				d->file_size, true, ps.size);
	}
	if (job->target_existed)
		return reply_digest(self, job, d, st.mtime, st.size,
			st.mtime == d->last_modified &&
				st.size == d->file_size,
			0);
	if ((r = part_fresh(job)) != 0)
		return job_fail(self, job, r,
			r == -EBUSY ? "Another session is uploading this file" :
				      NULL);
	return reply_confirm(self, d->id, d->file_num);
}

int
xfer__recv_confirm(struct xfer *self, struct xfer_job *job,
	const struct xfer_confirm *c)
{
	int r;

	if (job->st != XFER_F_CONFIRM || c->file_num < 0 ||
		(size_t)c->file_num != job->cur)
		return OP_ERR_STATE;
	if (c->skip) {
		file_result(self, job, XFER_SKIPPED, NULL);
		job->st = XFER_F_SKIPPED;
		return 0;
	}
	r = c->offset > 0 ? part_resume(job, c->offset) : part_fresh(job);
	if (r != 0)
		return job_fail(self, job, r,
			r == -EBUSY ? "Another session is uploading this file" :
			r == OP_ERR_RANGE ? "Nothing to resume at that offset" :
					    NULL);
	return 0;
}

/* Without overwrite detection (clients < 1.1.10) a block for a new file
 * starts it, replacing what is there, as RustDesk does. */
static int
implicit_start(struct xfer *self, struct xfer_job *job, size_t k)
{
	const char *why = NULL;
	struct xfer_os_stat st;
	int r;

	if ((r = finalize(self, job)) != 0)
		return r;
	if ((r = prepare(self, job, k, job->files[k].size, job->files[k].mtime,
		     &why)) != 0)
		return job_fail(self, job, r, why);
	if ((r = target_state(job, &st)) < 0)
		return job_fail(self, job, r, "Something is in the way");
	job->target_existed = r == 1;
	if ((r = part_fresh(job)) != 0)
		return job_fail(self, job, r, NULL);
	return 0;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	return n > 0 && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static int
put(struct xfer *self, struct xfer_job *job, const uint8_t *p, size_t n)
{
	bool hole = n >= HOLE_MIN && all_zero(p, n);
	size_t done = 0;
	int r;

	if ((uint64_t)n > job->size - job->pos)
		return job_fail(self, job, OP_ERR_TOO_LARGE,
			"More data than the file's announced size");
	if (self->max_job_bytes > 0 &&
		job->job_bytes + n > self->max_job_bytes)
		return job_fail(self, job, OP_ERR_TOO_LARGE,
			"The transfer grew past the host's limit");
	while (!hole && done < n) {
		ssize_t w = xfer_os_pwrite(job->fd, p + done, n - done,
			job->pos + done);

		if (w < 0)
			return job_fail(self, job, (int)w, NULL);
		done += (size_t)w;
	}
	job->hole_tail = hole;
	if (job->hash_pos == job->pos) {
		xfer_sha256_update(&job->sha, (size_t)n, p);
		job->hash_pos += n;
	}
	job->pos += n;
	job->moved += n;
	job->job_bytes += n;
	/* Keep the part's size right for a resume and for hash catch-up. */
	if (hole && (r = xfer_os_truncate(job->fd, job->pos)) != 0)
		return job_fail(self, job, r, NULL);
	return 0;
}

static int
put_zstd(struct xfer *self, struct xfer_job *job, const uint8_t *p,
	size_t n)
{
	ZSTD_inBuffer in = {p, n, 0};
	ZSTD_outBuffer out;
	size_t ret = 1;
	int r;

	if (self->dctx == NULL) {
		if ((self->dctx = ZSTD_createDCtx()) == NULL)
			return job_fail(self, job, OP_ERR_NOMEM, NULL);
		ZSTD_DCtx_setParameter(self->dctx, ZSTD_d_windowLogMax,
			ZSTD_WINDOW_LOG_MAX);
	}
	ZSTD_DCtx_reset(self->dctx, ZSTD_reset_session_only);
	for (;;) {
		size_t in_before = in.pos;

		out.dst = self->buf;
		out.size = XFER_BLOCK_SIZE;
		out.pos = 0;
		ret = ZSTD_decompressStream(self->dctx, &out, &in);
		if (ZSTD_isError(ret))
			return job_fail(self, job, OP_ERR_PROTO,
				ZSTD_getErrorCode(ret) ==
						ZSTD_error_frameParameter_windowTooLarge ?
					"A compressed block needs too much memory" :
					"A compressed block is corrupt");
		if (out.pos > 0 && (r = put(self, job, self->buf, out.pos)) != 0)
			return r;
		/* All input used and everything flushed, or a frame that
		 * ended exactly at the end of the output buffer. */
		if (in.pos == in.size && (out.pos < out.size || ret == 0))
			break;
		if (in.pos == in_before && out.pos == 0)
			break; /* no progress */
	}
	if (ret != 0)
		return job_fail(self, job, OP_ERR_PROTO,
			"A compressed block is truncated");
	return 0;
}

int
xfer_client_block(struct xfer *self, const struct xfer_block *b)
{
	struct xfer_job *job = xfer__job(self, b->id);
	int r;

	if (job == NULL || job->kind != XFER_JOB_RECV)
		return OP_ERR_NOT_FOUND;
	if (b->file_num < 0 || (size_t)b->file_num >= job->nfiles)
		return job_fail(self, job, OP_ERR_RANGE, "No such file number");
	if (!self->overwrite_detection && (job->st == XFER_F_START ||
						  (size_t)b->file_num != job->cur) &&
		(r = implicit_start(self, job, (size_t)b->file_num)) != 0)
		return r;
	if ((size_t)b->file_num != job->cur)
		return job_fail(self, job, OP_ERR_PROTO,
			"Data for a file that was not announced");
	if (job->st == XFER_F_SKIPPED)
		return 0;
	if (job->st != XFER_F_STREAM)
		return job_fail(self, job, OP_ERR_STATE,
			"Data before the file was confirmed");
	if (b->len == 0)
		return 0;
	return b->compressed ? put_zstd(self, job, b->data, b->len) :
			       put(self, job, b->data, b->len);
}

int
xfer_client_done(struct xfer *self, int32_t id, int32_t file_num)
{
	struct xfer_job *job = xfer__job(self, id);
	int r;

	if (job == NULL || job->kind != XFER_JOB_RECV)
		return OP_ERR_NOT_FOUND;
	if (job->st == XFER_F_CONFIRM)
		return job_fail(self, job, OP_ERR_STATE,
			"The last file was not confirmed");
	if ((r = finalize(self, job)) != 0)
		return r;
	xfer__job_free(self, job);
	return xfer__done(self, id, file_num);
}

int
xfer_client_error(struct xfer *self, int32_t id, int32_t file_num,
	const char *text)
{
	struct xfer_job *job = xfer__job(self, id);

	if (job == NULL || job->kind != XFER_JOB_RECV)
		return OP_ERR_NOT_FOUND;
	xfer__recv_end(self, job, XFER_FAILED, text);
	xfer__job_free(self, job);
	/* RustDesk's host echoes the client's error. */
	return xfer__error(self, id, file_num, 0, text ? text : "error", NULL);
}

bool
xfer__recv_ready(const struct xfer_job *job)
{
	return job->st == XFER_F_STREAM && job->hash_pos < job->pos;
}

int
xfer__recv_step(struct xfer *self, struct xfer_job *job)
{
	int r = hash_catch_up(self, job, XFER_HASH_CHUNK);

	if (r != 0)
		job_fail(self, job, r, NULL);
	return 1;
}
