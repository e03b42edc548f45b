/* SPDX-License-Identifier: MIT */
/*
 * The file-transfer object: roots, the outbox of messages for the client,
 * the queue of audit results, the job table and the scheduler that gives
 * jobs their turns (RustDesk serves read jobs round-robin, one block per
 * tick). It opens nothing but the roots itself; the filesystem work is in
 * xfer-fs.c, xfer-send.c and xfer-recv.c. It must not send, log peer data
 * or touch a loop: the session does that with what it drains from here.
 */
#include "xfer/xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "xfer/xfer-internal.h"
#include "xfer/xfer-os.h"

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The basename of a configured root, or "root" for "/". */
static int
root_name(const char *path, char *out, size_t outlen)
{
	size_t end = strlen(path);
	size_t start;

	while (end > 1 && xfer_os_is_sep(path[end - 1]))
		end--;
	start = end;
	while (start > 0 && !xfer_os_is_sep(path[start - 1]))
		start--;
	if (end - start == 0 ||
		(end - start == 1 && xfer_os_is_sep(path[start])))
		return snprintf(out, outlen, "root") >= (int)outlen ?
			OP_ERR_CONFIG : 0;
	if (end - start >= outlen)
		return OP_ERR_CONFIG;
	memcpy(out, path + start, end - start);
	out[end - start] = '\0';
	return 0;
}

static bool
name_taken(const struct xfer *self, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(self->roots[i].name, name) == 0)
			return true;
	return false;
}

static int
open_root(struct xfer *self, size_t i, const struct xfer_root *cr,
	char *err, size_t errlen)
{
	struct xfer_root_state *rs = &self->roots[i];
	char name[XFER_NAME_MAX + 1];
	char idx[24];
	const char *why = NULL;
	int r;

	snprintf(idx, sizeof(idx), "%zu", i);
	if (cr->path == NULL || !xfer_os_absolute(cr->path)) {
		errf(err, errlen, "policy.files.roots[%s] '%s': not an "
			"absolute path", idx, cr->path ? cr->path : "");
		return OP_ERR_CONFIG;
	}
	if (cr->name != NULL) {
		if (xfer_name_check(cr->name, &why) != 0 ||
			strlen(cr->name) >= sizeof(name)) {
			errf(err, errlen, "policy.files.roots[%s]: bad name "
				"'%s'", idx, cr->name);
			return OP_ERR_CONFIG;
		}
		snprintf(name, sizeof(name), "%s", cr->name);
		if (name_taken(self, i, name)) {
			errf(err, errlen, "policy.files.roots[%s]: name '%s' "
				"used twice", idx, name);
			return OP_ERR_CONFIG;
		}
	} else {
		char base[XFER_NAME_MAX + 1];

		if (root_name(cr->path, base, sizeof(base) - 8) != 0 ||
			xfer_name_check(base, &why) != 0) {
			errf(err, errlen, "policy.files.roots[%s] '%s': no "
				"usable name", idx, cr->path);
			return OP_ERR_CONFIG;
		}
		snprintf(name, sizeof(name), "%s", base);
		for (int k = 2; name_taken(self, i, name); k++)
			snprintf(name, sizeof(name), "%s-%d", base, k);
	}
	rs->fd = xfer_open_root(cr->path);
	if (rs->fd < 0) {
		r = rs->fd;
		rs->fd = -1;
		errf(err, errlen, "policy.files.roots[%s] '%s': %s", idx,
			cr->path, op_strerror(r));
		return r;
	}
	rs->name = strdup(name);
	rs->path = strdup(cr->path);
	rs->read_only = cr->read_only;
	if (rs->name == NULL || rs->path == NULL)
		return OP_ERR_NOMEM;
	return 0;
}

int
xfer_new(const struct xfer_config *cfg, struct xfer **out, char *err,
	size_t errlen)
{
	struct xfer *self;
	int r = OP_ERR_NOMEM;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg->nroots == 0 || cfg->roots == NULL) {
		errf(err, errlen, "policy.files.roots is empty");
		return OP_ERR_CONFIG;
	}
	if ((self = calloc(1, sizeof(*self))) == NULL)
		return OP_ERR_NOMEM;
	self->allow = cfg->allow & (XFER_ALLOW_DOWNLOAD | XFER_ALLOW_UPLOAD);
	self->max_file_bytes = cfg->max_file_bytes;
	self->max_job_bytes = cfg->max_job_bytes;
	self->max_files = cfg->max_files ? cfg->max_files :
		XFER_DEFAULT_MAX_FILES;
	self->overwrite_detection = cfg->overwrite_detection;
	self->rr_last = -1;
	self->roots = calloc(cfg->nroots, sizeof(*self->roots));
	if (self->roots == NULL)
		goto out;
	for (size_t i = 0; i < cfg->nroots; i++)
		self->roots[i].fd = -1;
	for (size_t i = 0; i < cfg->nroots; i++) {
		self->nroots = i + 1;
		if ((r = open_root(self, i, &cfg->roots[i], err, errlen)) != 0)
			goto out;
	}
	/* Scratch for prefix hashing and for a compressed block. */
	if ((self->buf = malloc(ZSTD_compressBound(XFER_BLOCK_SIZE))) == NULL) {
		r = OP_ERR_NOMEM;
		goto out;
	}
	*out = self;
	return 0;
out:
	xfer_free(self);
	return r;
}

void
xfer_shutdown(struct xfer *self)
{
	while (self->jobs != NULL) {
		struct xfer_job *job = self->jobs;

		if (job->kind == XFER_JOB_SEND)
			xfer__send_end(self, job, XFER_INTERRUPTED, NULL);
		else
			xfer__recv_end(self, job, XFER_INTERRUPTED, NULL);
		xfer__job_free(self, job);
	}
}

void
xfer_free(struct xfer *self)
{
	struct xfer_msg *m;
	struct xfer_result *r;

	if (self == NULL)
		return;
	while (self->jobs != NULL) /* no results: nobody drains them now */
		xfer__job_free(self, self->jobs);
	while ((m = xfer_take_msg(self)) != NULL)
		xfer_msg_free(m);
	while ((r = xfer_take_result(self)) != NULL)
		xfer_result_free(r);
	for (size_t i = 0; i < self->nroots; i++) {
		if (self->roots[i].fd >= 0)
			close(self->roots[i].fd);
		free(self->roots[i].name);
		free(self->roots[i].path);
	}
	free(self->roots);
	ZSTD_freeCCtx(self->cctx);
	ZSTD_freeDCtx(self->dctx);
	free(self->buf);
	free(self);
}

/* ------------------------------------------------------------ outbox */

struct xfer_msg *
xfer__msg(struct xfer *self, enum xfer_msg_kind kind, int32_t id,
	int32_t file_num)
{
	struct xfer_msg *m = calloc(1, sizeof(*m));

	(void)self;
	if (m == NULL)
		return NULL;
	m->kind = kind;
	m->id = id;
	m->file_num = file_num;
	return m;
}

void
xfer__push(struct xfer *self, struct xfer_msg *m)
{
	m->next = NULL;
	if (self->out_tail != NULL)
		self->out_tail->next = m;
	else
		self->out_head = m;
	self->out_tail = m;
	self->out_bytes += m->len;
}

struct xfer_msg *
xfer_take_msg(struct xfer *self)
{
	struct xfer_msg *m = self->out_head;

	if (m == NULL)
		return NULL;
	self->out_head = m->next;
	if (self->out_head == NULL)
		self->out_tail = NULL;
	self->out_bytes -= m->len;
	m->next = NULL;
	return m;
}

void
xfer_msg_free(struct xfer_msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nentries; i++)
		free(m->entries[i].name);
	free(m->entries);
	for (size_t i = 0; i < m->ndirs; i++)
		free(m->dirs[i]);
	free(m->dirs);
	free(m->path);
	free(m->data);
	free(m->error);
	free(m);
}

size_t
xfer_queued_bytes(const struct xfer *self)
{
	return self->out_bytes;
}

unsigned
xfer_jobs(const struct xfer *self)
{
	return self->njobs;
}

int
xfer__error(struct xfer *self, int32_t id, int32_t file_num, int r,
	const char *text, const char *vpath)
{
	struct xfer_msg *m = xfer__msg(self, XFER_MSG_ERROR, id, file_num);
	size_t n;

	if (text == NULL)
		text = xfer_errno_text(r);
	if (m == NULL)
		return OP_ERR_NOMEM;
	n = strlen(text) + (vpath ? strlen(vpath) : 0) + 3;
	if ((m->error = malloc(n)) == NULL) {
		free(m);
		return OP_ERR_NOMEM;
	}
	if (vpath != NULL && vpath[0] != '\0')
		snprintf(m->error, n, "%s: %s", text, vpath);
	else
		snprintf(m->error, n, "%s", text);
	xfer__push(self, m);
	return r;
}

int
xfer__done(struct xfer *self, int32_t id, int32_t file_num)
{
	struct xfer_msg *m = xfer__msg(self, XFER_MSG_DONE, id, file_num);

	if (m == NULL)
		return OP_ERR_NOMEM;
	xfer__push(self, m);
	return 0;
}

/* ----------------------------------------------------------- results */

struct xfer_result *
xfer__result(struct xfer *self, enum xfer_op op, enum xfer_outcome outcome,
	int32_t id, int32_t file_num, const struct xfer_root_state *root,
	const char *rel, const char *vpath)
{
	struct xfer_result *r = calloc(1, sizeof(*r));
	size_t n;

	(void)self;
	if (r == NULL)
		return NULL;
	r->op = op;
	r->outcome = outcome;
	r->id = id;
	r->file_num = file_num;
	r->path = strdup(vpath);
	n = strlen(root->path) + strlen(rel) + 2;
	if ((r->host_path = malloc(n)) != NULL)
		snprintf(r->host_path, n, "%s%s%s", root->path,
			rel[0] && !xfer_os_is_sep(root->path[
					strlen(root->path) - 1]) ?
				"/" : "", rel);
	if (r->path == NULL || r->host_path == NULL) {
		xfer_result_free(r);
		return NULL;
	}
	return r;
}

void
xfer__push_result(struct xfer *self, struct xfer_result *r)
{
	if (r == NULL)
		return;
	r->next = NULL;
	if (self->res_tail != NULL)
		self->res_tail->next = r;
	else
		self->res_head = r;
	self->res_tail = r;
}

struct xfer_result *
xfer_take_result(struct xfer *self)
{
	struct xfer_result *r = self->res_head;

	if (r == NULL)
		return NULL;
	self->res_head = r->next;
	if (self->res_head == NULL)
		self->res_tail = NULL;
	r->next = NULL;
	return r;
}

void
xfer_result_free(struct xfer_result *r)
{
	if (r == NULL)
		return;
	free(r->path);
	free(r->host_path);
	free(r->new_path);
	free(r->error);
	free(r);
}

const char *
xfer_op_name(enum xfer_op op)
{
	static const char *const names[] = {"download", "upload", "mkdir",
		"remove_file", "remove_dir", "rename"};

	return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] :
								 "?";
}

const char *
xfer_outcome_name(enum xfer_outcome o)
{
	static const char *const names[] = {"ok", "skipped", "failed",
		"cancelled", "interrupted"};

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

/* ------------------------------------------------------------- paths */

int
xfer__resolve(struct xfer *self, const char *path, struct xfer_target *t,
	const char **why)
{
	int r;

	memset(t, 0, sizeof(*t));
	if ((r = xfer_path_parse(path, &t->p, why)) != 0)
		return r;
	if (t->p.root[0] == '\0') {
		snprintf(t->vpath, sizeof(t->vpath), "/");
		return 0;
	}
	for (size_t i = 0; i < self->nroots; i++)
		if (strcmp(self->roots[i].name, t->p.root) == 0)
			t->root = &self->roots[i];
	snprintf(t->vpath, sizeof(t->vpath), "/%s%s%s", t->p.root,
		t->p.rel[0] ? "/" : "", t->p.rel);
	if (t->root == NULL) {
		if (why != NULL)
			*why = "Not a shared folder";
		return -ENOENT;
	}
	return 0;
}

int
xfer__join(char *out, size_t outlen, const char *base, const char *name)
{
	int n;

	if (name[0] == '\0')
		n = snprintf(out, outlen, "%s", base);
	else if (base[0] == '\0')
		n = snprintf(out, outlen, "%s", name);
	else
		n = snprintf(out, outlen, "%s/%s", base, name);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

const char *
xfer__denied(const struct xfer *self, unsigned need,
	const struct xfer_root_state *root)
{
	if (self->allow == 0)
		return "File transfer is disabled by the host's policy";
	if ((need & XFER_ALLOW_DOWNLOAD) && !(self->allow & XFER_ALLOW_DOWNLOAD))
		return "Downloads from this host are not allowed by its policy";
	if ((need & XFER_ALLOW_UPLOAD) && !(self->allow & XFER_ALLOW_UPLOAD))
		return "Changing files on this host is not allowed by its "
		       "policy";
	if ((need & XFER_ALLOW_UPLOAD) && root != NULL && root->read_only)
		return "The shared folder is read-only";
	return NULL;
}

/* -------------------------------------------------------------- jobs */

struct xfer_job *
xfer__job(struct xfer *self, int32_t id)
{
	for (struct xfer_job *j = self->jobs; j != NULL; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

struct xfer_job *
xfer__job_new(struct xfer *self, enum xfer_job_kind kind, int32_t id)
{
	struct xfer_job *job = calloc(1, sizeof(*job));
	struct xfer_job **tail = &self->jobs;

	if (job == NULL)
		return NULL;
	job->kind = kind;
	job->id = id;
	job->fd = -1;
	job->dirfd = -1;
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = job;
	self->njobs++;
	return job;
}

struct xfer_job *
xfer__job_begin(struct xfer *self, enum xfer_job_kind kind, int32_t id,
	const struct xfer_target *t, struct xfer_file *files, size_t nfiles,
	int32_t file_num)
{
	struct xfer_job *job = xfer__job_new(self, kind, id);

	if (job == NULL)
		return NULL;
	job->root = t->root;
	job->cur = (size_t)file_num;
	job->st = XFER_F_START;
	job->base_rel = strdup(t->p.rel);
	job->base_vpath = strdup(t->vpath);
	if (job->base_rel == NULL || job->base_vpath == NULL) {
		xfer__job_free(self, job); /* files are still the caller's */
		return NULL;
	}
	job->files = files;
	job->nfiles = nfiles;
	return job;
}

void
xfer__files_free(struct xfer_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].name);
	free(files);
}

void
xfer__job_free(struct xfer *self, struct xfer_job *job)
{
	for (struct xfer_job **p = &self->jobs; *p != NULL; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			self->njobs--;
			break;
		}
	}
	if (job->fd >= 0)
		close(job->fd);
	if (job->dirfd >= 0)
		close(job->dirfd);
	xfer__files_free(job->files, job->nfiles);
	free(job->part);
	free(job->leaf);
	free(job->base_rel);
	free(job->base_vpath);
	free(job);
}

static unsigned
job_ready(const struct xfer_job *job)
{
	if (job->kind == XFER_JOB_SEND)
		return xfer__send_ready(job) ? (job->st == XFER_F_STREAM ?
				XFER_PENDING_SEND : XFER_PENDING_WORK) : 0;
	return xfer__recv_ready(job) ? XFER_PENDING_WORK : 0;
}

unsigned
xfer_pending(const struct xfer *self)
{
	unsigned p = 0;

	for (const struct xfer_job *j = self->jobs; j != NULL; j = j->next)
		p |= job_ready(j);
	return p;
}

int
xfer_step(struct xfer *self, unsigned what)
{
	struct xfer_job *start = self->jobs;
	struct xfer_job *j;

	/* The turn goes to the first ready job after the last one served. */
	for (j = self->jobs; j != NULL; j = j->next) {
		if (j->id == self->rr_last) {
			start = j->next != NULL ? j->next : self->jobs;
			break;
		}
	}
	j = start;
	for (unsigned n = 0; j != NULL && n < self->njobs; n++) {
		if (job_ready(j) & what) {
			self->rr_last = j->id;
			return j->kind == XFER_JOB_SEND ?
				xfer__send_step(self, j) :
				xfer__recv_step(self, j);
		}
		j = j->next != NULL ? j->next : self->jobs;
	}
	return 0;
}

int
xfer_confirm(struct xfer *self, const struct xfer_confirm *c)
{
	struct xfer_job *job = xfer__job(self, c->id);

	if (job == NULL)
		return OP_ERR_NOT_FOUND;
	if (job->kind == XFER_JOB_SEND)
		return xfer__send_confirm(self, job, c);
	return xfer__recv_confirm(self, job, c);
}

int
xfer_cancel(struct xfer *self, int32_t id)
{
	struct xfer_job *job = xfer__job(self, id);

	if (job == NULL)
		return OP_ERR_NOT_FOUND;
	if (job->kind == XFER_JOB_SEND)
		xfer__send_end(self, job, XFER_CANCELLED, NULL);
	else
		xfer__recv_end(self, job, XFER_CANCELLED, NULL);
	xfer__job_free(self, job);
	return 0;
}
