/* SPDX-License-Identifier: MIT */
/*
 * The one-shot file actions (spec §11.2): read_dir, read_empty_dirs,
 * all_files, create, remove_file, remove_dir, rename, and the recursive
 * listing a download starts from. Directories are read through fds
 * opened beneath the root; entries are lstat'ed, never followed; names
 * that are not UTF-8 are left out (a protobuf string must be UTF-8, and
 * one bad name would make the client drop the whole listing). Every
 * listing stops at max_files entries and 64 levels.
 */
#include "xfer/xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/utf8.h"
#include "xfer/xfer-internal.h"
#include "xfer/xfer-os.h"

#define MAX_DEPTH 64
#define PURGE_MAX 100000

static bool
utf8_name(const char *s)
{
	size_t len = strlen(s);
	size_t off = 0;
	uint32_t cp;

	while (off < len) {
		size_t n = op_utf8_decode((const uint8_t *)s + off, len - off,
			&cp);

		if (n == 0)
			return false;
		off += n;
	}
	return true;
}

/* Opens a directory of a target for reading. */
static int
open_dir(const struct xfer_target *t)
{
	return xfer_openat(t->root->fd, t->p.rel, O_RDONLY | O_DIRECTORY, 0);
}

struct entries {
	struct xfer_entry *v;
	size_t n;
	size_t cap;
};

static int
entries_add(struct entries *e, const char *name, enum xfer_entry_type type,
	uint64_t size, uint64_t mtime)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct xfer_entry *v = realloc(e->v, cap * sizeof(*v));

		if (v == NULL)
			return OP_ERR_NOMEM;
		e->v = v;
		e->cap = cap;
	}
	if ((e->v[e->n].name = strdup(name)) == NULL)
		return OP_ERR_NOMEM;
	e->v[e->n].type = type;
	e->v[e->n].hidden = name[0] == '.';
	e->v[e->n].size = size;
	e->v[e->n].mtime = mtime;
	e->n++;
	return 0;
}

static void
entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].name);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static int
list_top(struct xfer *self, struct entries *e)
{
	int r;

	for (size_t i = 0; i < self->nroots; i++) {
		struct xfer_os_stat st;

		if (xfer_os_fstat(self->roots[i].fd, &st) != 0)
			memset(&st, 0, sizeof(st));
		if ((r = entries_add(e, self->roots[i].name, XFER_ENTRY_DIR, 0,
			     st.mtime)) != 0)
			return r;
	}
	return 0;
}

/* One directory's entries (lstat types), consuming fd. */
static int
list_dir(struct xfer *self, int fd, bool include_hidden, struct entries *e)
{
	struct xfer_os_dir *d;
	const char *name;
	int r;

	if ((r = xfer_os_dir_open(fd, &d)) != 0)
		return r;
	while ((r = xfer_os_dir_next(d, &name)) == 1) {
		struct xfer_os_stat st;
		enum xfer_entry_type type = XFER_ENTRY_FILE;

		if ((name[0] == '.' && !include_hidden) || !utf8_name(name))
			continue;
		xfer_os_dir_stat(d, &st);
		if (st.type == XFER_OS_GONE)
			continue; /* gone meanwhile */
		if (e->n >= self->max_files) {
			r = OP_ERR_TOO_LARGE;
			break;
		}
		if (st.type == XFER_OS_DIR)
			type = XFER_ENTRY_DIR;
		else if (st.type == XFER_OS_LINK)
			type = XFER_ENTRY_FILE_LINK; /* not followed */
		if ((r = entries_add(e, name, type, st.size, st.mtime)) != 0)
			break;
	}
	xfer_os_dir_close(d);
	return r;
}

static int
queue_dir(struct xfer *self, int32_t id, const char *vpath,
	struct entries *e)
{
	struct xfer_msg *m = xfer__msg(self, XFER_MSG_DIR, id, 0);

	if (m == NULL || (m->path = strdup(vpath)) == NULL) {
		xfer_msg_free(m);
		return OP_ERR_NOMEM;
	}
	m->entries = e->v;
	m->nentries = e->n;
	memset(e, 0, sizeof(*e));
	xfer__push(self, m);
	return 0;
}

static const char *
limit_text(int r)
{
	return r == OP_ERR_TOO_LARGE ?
		"Too many entries in this folder (over the host's limit)" :
		NULL;
}

int
xfer_read_dir(struct xfer *self, const char *path, bool include_hidden)
{
	struct xfer_target t;
	struct entries e = {0};
	const char *why = NULL;
	int r, fd;

	if ((why = xfer__denied(self, 0, NULL)) != NULL)
		return xfer__error(self, 0, 0, OP_ERR_DENIED, why, NULL);
	if ((r = xfer__resolve(self, path, &t, &why)) != 0)
		return xfer__error(self, 0, 0, r, why, t.vpath);
	if (t.root == NULL)
		r = list_top(self, &e);
	else if ((fd = open_dir(&t)) < 0)
		r = fd;
	else
		r = list_dir(self, fd, include_hidden, &e);
	if (r == 0)
		r = queue_dir(self, 0, t.vpath, &e);
	else if (r != OP_ERR_NOMEM)
		xfer__error(self, 0, 0, r, limit_text(r), t.vpath);
	entries_free(&e);
	return r;
}

/* --------------------------------------------------- recursive lists */

struct walk {
	struct xfer *self;
	bool include_hidden;
	struct xfer_file *v;
	size_t n;
	size_t cap;
	char **dirs; /* empty-dir mode */
	size_t ndirs;
	bool empty_dirs;
};

static int
walk_add(struct walk *w, const char *name, uint64_t size, uint64_t mtime)
{
	if (w->n >= w->self->max_files)
		return OP_ERR_TOO_LARGE;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct xfer_file *v = realloc(w->v, cap * sizeof(*v));

		if (v == NULL)
			return OP_ERR_NOMEM;
		w->v = v;
		w->cap = cap;
	}
	if ((w->v[w->n].name = strdup(name)) == NULL)
		return OP_ERR_NOMEM;
	w->v[w->n].size = size;
	w->v[w->n].mtime = mtime;
	w->n++;
	return 0;
}

static int
walk_add_dir(struct walk *w, const char *vpath)
{
	char **v;

	if (w->ndirs >= w->self->max_files)
		return OP_ERR_TOO_LARGE;
	if ((v = realloc(w->dirs, (w->ndirs + 1) * sizeof(*v))) == NULL)
		return OP_ERR_NOMEM;
	w->dirs = v;
	if ((v[w->ndirs] = strdup(vpath)) == NULL)
		return OP_ERR_NOMEM;
	w->ndirs++;
	return 0;
}

/* Walks the directory fd (consumed) whose names are prefixed by pre. */
static int
walk_dir(struct walk *w, int fd, const char *pre, int depth)
{
	struct xfer_os_dir *d;
	const char *de;
	bool empty = true;
	int r;

	if (depth > MAX_DEPTH) {
		close(fd);
		return OP_ERR_RANGE;
	}
	if ((r = xfer_os_dir_open(fd, &d)) != 0)
		return r;
	/* A read error ends the walk of this folder, as at its end. */
	while (r == 0 && xfer_os_dir_next(d, &de) == 1) {
		char name[XFER_PATH_MAX + XFER_NAME_MAX + 2];
		struct xfer_os_stat st;
		int sub;

		if ((de[0] == '.' && !w->include_hidden) || !utf8_name(de))
			continue;
		/* An upload in progress is not a file to hand out. */
		if (strncmp(de, XFER_PART_PREFIX,
			    sizeof(XFER_PART_PREFIX) - 1) == 0)
			continue;
		empty = false;
		if (xfer__join(name, sizeof(name), pre, de) != 0)
			continue;
		xfer_os_dir_stat(d, &st);
		if (st.type == XFER_OS_REG && !w->empty_dirs) {
			r = walk_add(w, name, st.size, st.mtime);
		} else if (st.type == XFER_OS_DIR) {
			/* A link swapped in since the stat fails here
			 * instead of being walked. */
			sub = xfer_os_open(xfer_os_dir_fd(d), de,
				O_RDONLY | O_DIRECTORY, 0);
			if (sub >= 0)
				r = walk_dir(w, sub, name, depth + 1);
		}
	}
	xfer_os_dir_close(d);
	if (r == 0 && empty && w->empty_dirs)
		r = walk_add_dir(w, pre);
	return r;
}

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct xfer_file *)a)->name,
		((const struct xfer_file *)b)->name);
}

int
xfer__list_files(struct xfer *self, const struct xfer_root_state *root,
	const char *base, bool include_hidden, struct xfer_file **out,
	size_t *n)
{
	struct walk w = {.self = self, .include_hidden = include_hidden};
	struct xfer_os_stat st;
	int fd, r;

	*out = NULL;
	*n = 0;
	if ((fd = xfer_openat(root->fd, base, O_PATH, 0)) < 0)
		return fd;
	if ((r = xfer_os_fstat(fd, &st)) != 0) {
		close(fd);
		return r;
	}
	if (st.type == XFER_OS_REG) {
		r = walk_add(&w, "", st.size, st.mtime);
		close(fd);
	} else if (st.type == XFER_OS_DIR) {
		int dfd = xfer_os_reopen_dir(fd);

		close(fd);
		r = dfd < 0 ? dfd : walk_dir(&w, dfd, "", 0);
	} else {
		close(fd);
		r = -EINVAL;
	}
	if (r != 0) {
		xfer__files_free(w.v, w.n);
		return r;
	}
	qsort(w.v, w.n, sizeof(*w.v), cmp_file);
	*out = w.v;
	*n = w.n;
	return 0;
}

static const char *
list_text(int r)
{
	if (r == OP_ERR_TOO_LARGE)
		return "Too many files (over the host's limit)";
	if (r == -EINVAL)
		return "Not a regular file or directory";
	if (r == OP_ERR_RANGE)
		return "The folder tree is too deep (over 64 levels)";
	return NULL;
}

int
xfer_all_files(struct xfer *self, int32_t id, const char *path,
	bool include_hidden)
{
	struct xfer_target t;
	struct xfer_file *files = NULL;
	struct entries e = {0};
	const char *why = NULL;
	size_t n = 0;
	int r;

	if ((why = xfer__denied(self, 0, NULL)) != NULL)
		return xfer__error(self, id, -1, OP_ERR_DENIED, why, NULL);
	if ((r = xfer__resolve(self, path, &t, &why)) != 0)
		return xfer__error(self, id, -1, r, why, t.vpath);
	if (t.root == NULL)
		return xfer__error(self, id, -1, -EISDIR,
			"Pick a shared folder first", t.vpath);
	if ((r = xfer__list_files(self, t.root, t.p.rel, include_hidden,
		     &files, &n)) != 0) {
		if (r != OP_ERR_NOMEM)
			xfer__error(self, id, -1, r, list_text(r), t.vpath);
		return r;
	}
	for (size_t i = 0; i < n && r == 0; i++)
		r = entries_add(&e, files[i].name, XFER_ENTRY_FILE,
			files[i].size, files[i].mtime);
	if (r == 0)
		r = queue_dir(self, id, t.vpath, &e);
	entries_free(&e);
	xfer__files_free(files, n);
	return r;
}

int
xfer_read_empty_dirs(struct xfer *self, const char *path,
	bool include_hidden)
{
	struct walk w = {.self = self, .include_hidden = include_hidden,
		.empty_dirs = true};
	struct xfer_target t;
	struct xfer_msg *m;
	const char *why = NULL;
	int r, fd;

	if ((why = xfer__denied(self, 0, NULL)) != NULL)
		return xfer__error(self, 0, 0, OP_ERR_DENIED, why, NULL);
	if ((r = xfer__resolve(self, path, &t, &why)) != 0)
		return xfer__error(self, 0, 0, r, why, t.vpath);
	if (t.root == NULL)
		return xfer__error(self, 0, 0, -EISDIR,
			"Pick a shared folder first", t.vpath);
	if ((fd = open_dir(&t)) < 0)
		return xfer__error(self, 0, 0, fd, NULL, t.vpath);
	/* Walk with prefix = the client path, so entries are client paths. */
	r = walk_dir(&w, fd, t.vpath, 0);
	if (r == 0 && (m = xfer__msg(self, XFER_MSG_EMPTY_DIRS, 0, 0)) != NULL) {
		if ((m->path = strdup(t.vpath)) == NULL) {
			xfer_msg_free(m);
			r = OP_ERR_NOMEM;
		} else {
			m->dirs = w.dirs;
			m->ndirs = w.ndirs;
			w.dirs = NULL;
			w.ndirs = 0;
			xfer__push(self, m);
		}
	} else if (r == 0) {
		r = OP_ERR_NOMEM;
	} else if (r != OP_ERR_NOMEM) {
		xfer__error(self, 0, 0, r, list_text(r), t.vpath);
	}
	for (size_t i = 0; i < w.ndirs; i++)
		free(w.dirs[i]);
	free(w.dirs);
	return r;
}

/* ------------------------------------------------------ modifications */

/* Resolves a path that names something inside a root (not a root). */
static int
resolve_inner(struct xfer *self, int32_t id, int32_t file_num,
	const char *path, struct xfer_target *t)
{
	const char *why = NULL;
	int r;

	if ((r = xfer__resolve(self, path, t, &why)) != 0)
		return xfer__error(self, id, file_num, r, why, t->vpath);
	if ((why = xfer__denied(self, XFER_ALLOW_UPLOAD, t->root)) != NULL)
		return xfer__error(self, id, file_num, OP_ERR_DENIED, why,
			NULL);
	if (t->root == NULL || t->p.rel[0] == '\0')
		return xfer__error(self, id, file_num, -EPERM,
			"A shared folder itself cannot be changed", t->vpath);
	return 0;
}

static int
finish(struct xfer *self, enum xfer_op op, int32_t id, int32_t file_num,
	const struct xfer_target *t, int r, uint64_t size)
{
	struct xfer_result *res = xfer__result(self, op,
		r == 0 ? XFER_OK : XFER_FAILED, id, file_num, t->root,
		t->p.rel, t->vpath);

	if (res != NULL) {
		res->size = size;
		if (r != 0)
			res->error = strdup(xfer_errno_text(r));
	}
	xfer__push_result(self, res);
	if (r == 0)
		return xfer__done(self, id, file_num);
	return xfer__error(self, id, file_num, r, NULL, t->vpath);
}

int
xfer_create_dir(struct xfer *self, int32_t id, const char *path)
{
	struct xfer_target t;
	int r, fd;

	if ((r = resolve_inner(self, id, 0, path, &t)) != 0)
		return r;
	fd = xfer_mkdirs(t.root->fd, t.p.rel);
	if (fd >= 0)
		close(fd);
	if (fd == OP_ERR_PROTO)
		return xfer__error(self, id, 0, fd,
			"Not a valid folder name", t.vpath);
	return finish(self, XFER_OP_MKDIR, id, 0, &t, fd < 0 ? fd : 0, 0);
}

int
xfer_remove_file(struct xfer *self, int32_t id, const char *path,
	int32_t file_num)
{
	struct xfer_target t;
	const char *leaf;
	struct xfer_os_stat st = {0};
	int r, pfd;

	if ((r = resolve_inner(self, id, file_num, path, &t)) != 0)
		return r;
	if ((pfd = xfer_open_parent(t.root->fd, t.p.rel, &leaf)) < 0)
		return finish(self, XFER_OP_REMOVE_FILE, id, file_num, &t, pfd,
			0);
	if ((r = xfer_os_statat(pfd, leaf, &st)) != 0)
		;
	else if (st.type == XFER_OS_DIR)
		r = -EISDIR;
	else
		r = xfer_os_remove(pfd, leaf, false);
	close(pfd);
	return finish(self, XFER_OP_REMOVE_FILE, id, file_num, &t, r,
		st.size);
}

/* Removes empty subdirectories and symlinks below fd (consumed). */
static void
purge(int fd, int depth, unsigned *budget)
{
	struct xfer_os_dir *d;
	const char *name;

	if (xfer_os_dir_open(fd, &d) != 0)
		return;
	while (*budget > 0 && xfer_os_dir_next(d, &name) == 1) {
		struct xfer_os_stat st;
		int dfd = xfer_os_dir_fd(d);

		(*budget)--;
		xfer_os_dir_stat(d, &st);
		if (st.type == XFER_OS_LINK) {
			(void)xfer_os_remove(dfd, name, false);
		} else if (st.type == XFER_OS_DIR && depth < MAX_DEPTH) {
			int sub = xfer_os_open(dfd, name,
				O_RDONLY | O_DIRECTORY, 0);

			if (sub >= 0)
				purge(sub, depth + 1, budget);
			(void)xfer_os_remove(dfd, name, true);
		}
	}
	xfer_os_dir_close(d);
}

int
xfer_remove_dir(struct xfer *self, int32_t id, const char *path,
	bool recursive)
{
	struct xfer_target t;
	const char *leaf;
	unsigned budget = PURGE_MAX;
	int r, pfd, fd;

	if ((r = resolve_inner(self, id, 0, path, &t)) != 0)
		return r;
	if ((pfd = xfer_open_parent(t.root->fd, t.p.rel, &leaf)) < 0)
		return finish(self, XFER_OP_REMOVE_DIR, id, 0, &t, pfd, 0);
	if (recursive && (fd = xfer_os_open(pfd, leaf, O_RDONLY | O_DIRECTORY,
				  0)) >= 0)
		purge(fd, 0, &budget);
	r = xfer_os_remove(pfd, leaf, true);
	close(pfd);
	return finish(self, XFER_OP_REMOVE_DIR, id, 0, &t, r, 0);
}

int
xfer_rename(struct xfer *self, int32_t id, const char *path,
	const char *new_name)
{
	struct xfer_target t;
	struct xfer_result *res;
	const char *leaf;
	const char *why = NULL;
	char to[sizeof(t.vpath) + XFER_NAME_MAX + 2];
	int r, pfd;

	if ((r = resolve_inner(self, id, 0, path, &t)) != 0)
		return r;
	if ((r = xfer_name_check(new_name, &why)) != 0)
		return xfer__error(self, id, 0, r, why, NULL);
	if ((pfd = xfer_open_parent(t.root->fd, t.p.rel, &leaf)) < 0)
		return finish(self, XFER_OP_RENAME, id, 0, &t, pfd, 0);
	/* The client's rename never replaces what is already there. */
	r = xfer_os_rename(pfd, leaf, new_name, false);
	close(pfd);
	if (r == 0) {
		size_t keep = strlen(t.vpath) - strlen(leaf);

		snprintf(to, sizeof(to), "%.*s%s", (int)keep, t.vpath,
			new_name);
		res = xfer__result(self, XFER_OP_RENAME, XFER_OK, id, 0,
			t.root, t.p.rel, t.vpath);
		if (res != NULL)
			res->new_path = strdup(to);
		xfer__push_result(self, res);
		return xfer__done(self, id, 0);
	}
	return finish(self, XFER_OP_RENAME, id, 0, &t, r, 0);
}
