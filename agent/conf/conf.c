/* SPDX-License-Identifier: MIT */
/*
 * Configuration snapshots: the key table generated from conf-keys.h,
 * allocation, refcounting, defaults, accessors, the diag collector, and
 * conf_load_file (its file checks are per system: conf-file-unix.c,
 * conf-file-win.c). The YAML walk is in conf-yaml.c, value parsing in
 * conf-types.c, output in conf-write.c.
 *
 * Must not: log (callers print the diags), exit, keep global mutable state,
 * or hand out a snapshot that failed validation. A snapshot is immutable
 * once returned, which is what makes sharing it across a reload safe.
 */
#include "conf/conf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf-internal.h"
#include "core/err.h"

/* clang-format off */
#define CONF__TABLE_ENTRY(id_, path_, type_, dflt_, check_, doc_)	\
	[CONF_##id_] = { .path = (path_), .id = #id_, type_,		\
		.dflt = (dflt_), .check = (check_), .doc = (doc_) },
/* clang-format on */

static const struct conf_keydef main_keys[CONF_KEY_COUNT_] = {
	CONF_KEYS(CONF__TABLE_ENTRY)
};

const struct conf_table conf__main_table = { main_keys, CONF_KEY_COUNT_ };

void
conf_diags_free(struct conf_diags *self)
{
	if (self == NULL)
		return;
	for (size_t i = 0; i < self->n; i++) {
		free(self->v[i].where);
		free(self->v[i].msg);
	}
	free(self->v);
	self->v = NULL;
	self->n = 0;
}

int
conf_diags_print(const struct conf_diags *self, FILE *f)
{
	for (size_t i = 0; self != NULL && i < self->n; i++)
		fprintf(f, "%s: %s\n", self->v[i].where, self->v[i].msg);
	return ferror(f) ? -EIO : 0;
}

void
conf__vdiag(struct conf_diagctx *d, unsigned line, unsigned col,
	const char *fmt, va_list ap)
{
	char msg[CONF_MSG_MAX];
	char *where = NULL;
	struct conf_diag *v;
	int n;

	if (d->full)
		return;
	if (++d->count >= CONF_MAX_DIAGS) {
		/* The last slot says why the rest is missing. */
		d->full = true;
		line = col = 0;
		snprintf(msg, sizeof(msg),
			"too many errors (%d), not checking further",
			CONF_MAX_DIAGS);
	} else {
		vsnprintf(msg, sizeof(msg), fmt, ap);
	}
	if (d->out == NULL)
		return;
	if (line > 0)
		n = snprintf(NULL, 0, "%s:%u:%u", d->name, line, col);
	else
		n = snprintf(NULL, 0, "%s", d->name);
	if (n < 0 || (where = malloc((size_t)n + 1)) == NULL) {
		d->nomem = true;
		return;
	}
	if (line > 0)
		snprintf(where, (size_t)n + 1, "%s:%u:%u", d->name, line, col);
	else
		snprintf(where, (size_t)n + 1, "%s", d->name);
	v = realloc(d->out->v, (d->out->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(where);
		d->nomem = true;
		return;
	}
	d->out->v = v;
	v = &d->out->v[d->out->n];
	v->where = where;
	v->msg = strdup(msg);
	v->line = line;
	v->col = col;
	if (v->where == NULL || v->msg == NULL) {
		free(v->where);
		free(v->msg);
		d->nomem = true;
		return;
	}
	d->out->n++;
}

void
conf__diag(struct conf_diagctx *d, unsigned line, unsigned col,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf__vdiag(d, line, col, fmt, ap);
	va_end(ap);
}

void
conf__value_clear(struct conf_value *v)
{
	free(v->text);
	for (size_t i = 0; i < v->nitems; i++)
		free(v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

struct conf *
conf__alloc(const struct conf_table *t, const char *source)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	atomic_init(&c->refs, 1);
	c->table = t;
	c->source = strdup(source);
	c->v = calloc(t->n > 0 ? t->n : 1, sizeof(*c->v));
	if (c->source == NULL || c->v == NULL) {
		free(c->source);
		free(c->v);
		free(c);
		return NULL;
	}
	return c;
}

/* conf_use_system_defaults */
static bool system_defaults;

void
conf_use_system_defaults(void)
{
	system_defaults = true;
}

bool
conf_system_defaults(void)
{
	return system_defaults || conf__privileged();
}

int
conf__fill_defaults(struct conf *c, char *msg, size_t msgsz)
{
	bool root = conf_system_defaults();
	int r;

	for (size_t i = 0; i < c->table->n; i++) {
		const struct conf_keydef *kd = &c->table->keys[i];
		const char *s = conf__default_text(kd, root);

		if (c->v[i].set)
			continue;
		if (kd->type == CONF_T_LIST)
			r = conf__parse_list_default(kd, s, &c->v[i], msg,
				msgsz);
		else if (s[0] == '\0' && conf__empty_ok(kd))
			r = (c->v[i].text = strdup("")) == NULL ?
				OP_ERR_NOMEM : 0;
		else
			r = conf__parse_scalar(kd, s, &c->v[i], msg, msgsz);
		if (r == OP_ERR_CONFIG)
			return OP_ERR_INTERNAL; /* a bad declaration */
		if (r != 0)
			return r;
	}
	return 0;
}

struct conf *
conf__new_default(const struct conf_table *t)
{
	struct conf *c = conf__alloc(t, CONF_SOURCE_DEFAULT);
	char msg[CONF_MSG_MAX];

	if (c == NULL)
		return NULL;
	if (conf__fill_defaults(c, msg, sizeof(msg)) != 0) {
		conf_unref(c);
		return NULL;
	}
	return c;
}

struct conf *
conf_new_default(void)
{
	return conf__new_default(&conf__main_table);
}

struct conf *
conf_ref(struct conf *self)
{
	if (self != NULL)
		atomic_fetch_add(&self->refs, 1u);
	return self;
}

void
conf_unref(struct conf *self)
{
	if (self == NULL || atomic_fetch_sub(&self->refs, 1u) != 1)
		return;
	for (size_t i = 0; i < self->table->n; i++)
		conf__value_clear(&self->v[i]);
	free(self->v);
	free(self->source);
	free(self);
}

const char *
conf_source(const struct conf *self)
{
	return self->source;
}

/* The value of key if it exists and is of a type in mask, else NULL. */
static const struct conf_value *
value_of(const struct conf *self, enum conf_key key, unsigned mask)
{
	size_t k = (size_t)key;

	if (self == NULL || k >= self->table->n)
		return NULL;
	if ((mask & (1u << self->table->keys[k].type)) == 0)
		return NULL;
	return &self->v[k];
}

#define M(t) (1u << (t))

const char *
conf_str(const struct conf *self, enum conf_key key)
{
	const struct conf_value *v = value_of(self, key, ~M(CONF_T_LIST));

	return v != NULL ? v->text : NULL;
}

int64_t
conf_int(const struct conf *self, enum conf_key key)
{
	const struct conf_value *v = value_of(self, key,
		M(CONF_T_INT) | M(CONF_T_DURATION) | M(CONF_T_HOSTPORT));

	return v != NULL ? v->num : 0;
}

bool
conf_bool(const struct conf *self, enum conf_key key)
{
	const struct conf_value *v = value_of(self, key, M(CONF_T_BOOL));

	return v != NULL && v->num != 0;
}

int
conf_enum(const struct conf *self, enum conf_key key)
{
	const struct conf_value *v = value_of(self, key, M(CONF_T_ENUM));

	return v != NULL ? (int)v->num : -1;
}

size_t
conf_list_len(const struct conf *self, enum conf_key key)
{
	const struct conf_value *v = value_of(self, key, M(CONF_T_LIST));

	return v != NULL ? v->nitems : 0;
}

const char *
conf_list_at(const struct conf *self, enum conf_key key, size_t i)
{
	const struct conf_value *v = value_of(self, key, M(CONF_T_LIST));

	return v != NULL && i < v->nitems ? v->items[i] : NULL;
}

bool
conf_is_set(const struct conf *self, enum conf_key key)
{
	const struct conf_value *v = value_of(self, key, ~0u);

	return v != NULL && v->set;
}

const char *
conf_key_name(enum conf_key key)
{
	size_t k = (size_t)key;

	return k < conf__main_table.n ? main_keys[k].path : NULL;
}

int
conf_key_type(enum conf_key key)
{
	size_t k = (size_t)key;

	return k < conf__main_table.n ? (int)main_keys[k].type : -1;
}

const char *
conf_key_doc(enum conf_key key)
{
	size_t k = (size_t)key;

	return k < conf__main_table.n ? main_keys[k].doc : NULL;
}

int
conf_key_lookup(const char *path, enum conf_key *out)
{
	long i;

	*out = CONF_KEY_COUNT_;
	i = conf__find_key(&conf__main_table, path, strlen(path));
	if (i < 0)
		return OP_ERR_NOT_FOUND;
	*out = (enum conf_key)i;
	return 0;
}

const char *
conf_otp_alphabet(const struct conf *self)
{
	static const char *const alphabets[] = {
		"23456789abcdefghijkmnpqrstuvwxyz",
		"0123456789",
		("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789"),
	};
	int i = conf_enum(self, CONF_ACCESS_ONE_TIME_PASSWORD_CHARSET);

	return i >= 0 && i < 3 ? alphabets[i] : alphabets[0];
}

long
conf__find_key(const struct conf_table *t, const char *path, size_t len)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *p = t->keys[i].path;

		if (strlen(p) == len && memcmp(p, path, len) == 0)
			return (long)i;
	}
	return -1;
}

bool
conf__is_section(const struct conf_table *t, const char *path, size_t len)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *p = t->keys[i].path;

		if (strlen(p) > len && p[len] == '.' &&
			memcmp(p, path, len) == 0)
			return true;
	}
	return false;
}

int
conf__load_buffer(const struct conf_table *t, const char *name,
	const char *data, size_t len, struct conf **out,
	struct conf_diags *diags)
{
	struct conf_diagctx d = { .name = name, .out = diags };
	struct conf *c = NULL;
	char msg[CONF_MSG_MAX];
	int r;

	*out = NULL;
	if (diags != NULL)
		*diags = (struct conf_diags){ NULL, 0 };
	if (len > CONF_MAX_FILE_SIZE) {
		conf__diag(&d, 0, 0, "larger than the %d byte limit",
			CONF_MAX_FILE_SIZE);
		return d.nomem ? OP_ERR_NOMEM : OP_ERR_CONFIG;
	}
	if ((c = conf__alloc(t, name)) == NULL)
		return OP_ERR_NOMEM;
	r = conf__yaml_parse(c, &d, data, len);
	if (r == 0 && (r = conf__fill_defaults(c, msg, sizeof(msg))) != 0 &&
		r != OP_ERR_NOMEM)
		conf__diag(&d, 0, 0, "internal error: %s", msg);
	if (r == 0 && d.nomem)
		r = OP_ERR_NOMEM;
	if (r == 0 && d.count > 0)
		r = OP_ERR_CONFIG;
	if (r != 0) {
		conf_unref(c);
		return r;
	}
	*out = c;
	return 0;
}

int
conf_load_buffer(const char *name, const char *data, size_t len,
	struct conf **out, struct conf_diags *diags)
{
	return conf__load_buffer(&conf__main_table, name, data, len, out,
		diags);
}

/* Reads at most CONF_MAX_FILE_SIZE bytes; 0, -errno or OP_ERR_TOO_LARGE. */
static int
read_capped(int fd, char **data, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t k;

	*data = NULL;
	*len = 0;
	if (buf == NULL)
		return OP_ERR_NOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > CONF_MAX_FILE_SIZE) {
				free(buf);
				return OP_ERR_TOO_LARGE;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return OP_ERR_NOMEM;
			}
			buf = nb;
		}
		/* At most 64 KiB a call: Windows' read() counts in unsigned. */
		k = read(fd, buf + n, (unsigned)(cap - n < 65536 ? cap - n : 65536));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > CONF_MAX_FILE_SIZE) {
		free(buf);
		return OP_ERR_TOO_LARGE;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* conf_load_file after its open (fd < 0: the open failed, d has why) and
 * conf_load_fd: reads fd to the end within the size cap, parses, closes
 * fd. */
static int
load_fd(struct conf_diagctx *d, int fd, struct conf **out,
	struct conf_diags *diags)
{
	struct conf_diags yd = { NULL, 0 };
	struct conf *c = NULL;
	char *data = NULL;
	size_t len = 0;
	int r = OP_ERR_CONFIG;

	if (fd < 0)
		goto out;
	r = read_capped(fd, &data, &len);
	if (r == OP_ERR_TOO_LARGE) {
		conf__diag(d, 0, 0, "larger than the %d byte limit",
			CONF_MAX_FILE_SIZE);
		goto out;
	} else if (r == OP_ERR_NOMEM) {
		goto out;
	} else if (r != 0) {
		conf__diag(d, 0, 0, "cannot read: %s", strerror(-r));
		goto out;
	}
	/* Parse even when the mode was refused: all problems at once. */
	r = conf__load_buffer(&conf__main_table, d->name, data, len, &c,
		diags != NULL ? &yd : NULL);
	for (size_t i = 0; i < yd.n && diags != NULL; i++) {
		struct conf_diag *v = realloc(diags->v,
			(diags->n + 1) * sizeof(*v));

		if (v == NULL) {
			d->nomem = true;
			break;
		}
		diags->v = v;
		diags->v[diags->n++] = yd.v[i];
		yd.v[i] = (struct conf_diag){ NULL, NULL, 0, 0 };
	}
	conf_diags_free(&yd);
out:
	if (fd >= 0)
		close(fd);
	free(data);
	if (d->nomem || r == OP_ERR_NOMEM) {
		conf_unref(c);
		return OP_ERR_NOMEM;
	}
	if (r != 0 || d->count > 0) {
		conf_unref(c);
		return OP_ERR_CONFIG;
	}
	*out = c;
	return 0;
}

int
conf_load_file(const char *path, struct conf **out, struct conf_diags *diags)
{
	struct conf_diagctx d = { .name = path, .out = diags };

	*out = NULL;
	if (diags != NULL)
		*diags = (struct conf_diags){ NULL, 0 };
	return load_fd(&d, conf__open_checked(&d, path), out, diags);
}

int
conf_load_fd(const char *name, int fd, struct conf **out,
	struct conf_diags *diags)
{
	struct conf_diagctx d = { .name = name, .out = diags };

	*out = NULL;
	if (diags != NULL)
		*diags = (struct conf_diags){ NULL, 0 };
	return load_fd(&d, fd, out, diags);
}

int
conf_open_file(const char *path, struct conf_diags *diags)
{
	struct conf_diagctx d = { .name = path, .out = diags };
	int fd;

	if (diags != NULL)
		*diags = (struct conf_diags){ NULL, 0 };
	fd = conf__open_checked(&d, path);
	if (fd >= 0 && d.count > 0) {
		close(fd);
		return -1;
	}
	return fd;
}
