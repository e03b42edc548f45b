/* SPDX-License-Identifier: MIT */
/*
 * The JSON reader behind `outpost status`'s table: recursive descent over
 * a private copy of the text, strings decoded in place (an escape is never
 * shorter than what it decodes to, so the result fits where it was).
 *
 * Must not: trust the answer (the socket is the agent's own, but a bug
 * there must be an error here, not a crash): every read is bounded by the
 * terminating NUL, nesting by CJ_MAX_DEPTH.
 */
#include "cli/cli-json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct cj_parser {
	struct cj_doc *d;
	char *p;
};

static void
skip_ws(struct cj_parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
		*ps->p == '\r')
		ps->p++;
}

static int
new_node(struct cj_parser *ps, enum cj_type type, size_t *out)
{
	struct cj_doc *d = ps->d;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct cj_node *v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL)
			return OP_ERR_NOMEM;
		d->v = v;
		d->cap = cap;
	}
	memset(&d->v[d->n], 0, sizeof(d->v[0]));
	d->v[d->n].type = type;
	*out = d->n++;
	return 0;
}

static int
hex4(const char *s, uint32_t *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		uint32_t v;

		if (c >= '0' && c <= '9')
			v = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		*out = *out << 4 | v;
	}
	return 0;
}

static char *
put_utf8(char *w, uint32_t cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | cp >> 6);
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | cp >> 12);
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | cp >> 18);
		*w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/* At the opening quote: decodes the string in place, NUL-terminated at
 * its start + decoded length; *out points at it. */
static int
parse_string(struct cj_parser *ps, const char **out)
{
	char *r = ps->p + 1, *w = r;

	*out = r;
	for (;;) {
		unsigned char c = (unsigned char)*r;
		uint32_t cp, lo;

		if (c == '"')
			break;
		if (c < 0x20)
			return OP_ERR_PROTO; /* NUL (the end) or raw control */
		if (c != '\\') {
			*w++ = *r++;
			continue;
		}
		switch (r[1]) {
		case '"':
		case '\\':
		case '/':
			*w++ = r[1];
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'u':
			if (hex4(r + 2, &cp) != 0)
				return OP_ERR_PROTO;
			if (cp >= 0xd800 && cp < 0xdc00 && r[6] == '\\' &&
				r[7] == 'u' && hex4(r + 8, &lo) == 0 &&
				lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
					(lo - 0xdc00);
				r += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd; /* a lone surrogate */
			}
			w = put_utf8(w, cp);
			r += 4;
			break;
		default:
			return OP_ERR_PROTO;
		}
		r += 2;
	}
	ps->p = r + 1;
	*w = '\0';
	return 0;
}

static int parse_value(struct cj_parser *ps, int depth, size_t *out);

/* Arrays and objects: members are linked as they come. */
static int
parse_container(struct cj_parser *ps, int depth, size_t self)
{
	bool obj = ps->d->v[self].type == CJ_OBJ;
	char close = obj ? '}' : ']';
	size_t last = 0;
	int r;

	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t idx;

		skip_ws(ps);
		if (obj) {
			if (*ps->p != '"')
				return OP_ERR_PROTO;
			if ((r = parse_string(ps, &key)) != 0)
				return r;
			skip_ws(ps);
			if (*ps->p++ != ':')
				return OP_ERR_PROTO;
		}
		if ((r = parse_value(ps, depth + 1, &idx)) != 0)
			return r;
		ps->d->v[idx].key = key;
		if (last == 0)
			ps->d->v[self].child = idx;
		else
			ps->d->v[last].next = idx;
		last = idx;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p++ != close)
			return OP_ERR_PROTO;
		return 0;
	}
}

static int
parse_value(struct cj_parser *ps, int depth, size_t *out)
{
	static const struct {
		const char *word;
		enum cj_type type;
		double num;
	} words[] = {
		{ "null", CJ_NULL, 0 },
		{ "true", CJ_BOOL, 1 },
		{ "false", CJ_BOOL, 0 },
	};
	char *end;
	int r;

	if (depth > CJ_MAX_DEPTH)
		return OP_ERR_PROTO;
	skip_ws(ps);
	if (*ps->p == '{' || *ps->p == '[') {
		if ((r = new_node(ps, *ps->p == '{' ? CJ_OBJ : CJ_ARR, out)) !=
			0)
			return r;
		return parse_container(ps, depth, *out);
	}
	if (*ps->p == '"') {
		if ((r = new_node(ps, CJ_STR, out)) != 0)
			return r;
		return parse_string(ps, &ps->d->v[*out].str);
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);

		if (strncmp(ps->p, words[i].word, n) == 0) {
			if ((r = new_node(ps, words[i].type, out)) != 0)
				return r;
			ps->d->v[*out].num = words[i].num;
			ps->p += n;
			return 0;
		}
	}
	if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
		return OP_ERR_PROTO;
	if ((r = new_node(ps, CJ_NUM, out)) != 0)
		return r;
	ps->d->v[*out].num = strtod(ps->p, &end);
	if (end == ps->p)
		return OP_ERR_PROTO;
	ps->p = end;
	return 0;
}

int
cj_parse(const char *json, struct cj_doc *out)
{
	struct cj_parser ps = { .d = out };
	size_t root;
	int r;

	memset(out, 0, sizeof(*out));
	if ((out->text = strdup(json)) == NULL)
		return OP_ERR_NOMEM;
	ps.p = out->text;
	if ((r = parse_value(&ps, 0, &root)) != 0)
		return r;
	skip_ws(&ps);
	return *ps.p == '\0' ? 0 : OP_ERR_PROTO;
}

void
cj_free(struct cj_doc *self)
{
	if (self == NULL)
		return;
	free(self->v);
	free(self->text);
	memset(self, 0, sizeof(*self));
}

const struct cj_node *
cj_get(const struct cj_doc *self, const struct cj_node *obj, const char *key)
{
	if (obj == NULL)
		obj = self->n > 0 ? &self->v[0] : NULL;
	if (obj == NULL || obj->type != CJ_OBJ)
		return NULL;
	for (size_t i = obj->child; i != 0; i = self->v[i].next)
		if (strcmp(self->v[i].key, key) == 0)
			return &self->v[i];
	return NULL;
}

const struct cj_node *
cj_at(const struct cj_doc *self, const struct cj_node *arr, size_t i)
{
	if (arr == NULL || arr->type != CJ_ARR)
		return NULL;
	for (size_t k = arr->child; k != 0; k = self->v[k].next)
		if (i-- == 0)
			return &self->v[k];
	return NULL;
}

const char *
cj_str(const struct cj_node *n)
{
	return n != NULL && n->type == CJ_STR ? n->str : NULL;
}

double
cj_num(const struct cj_node *n, double dflt)
{
	return n != NULL && n->type == CJ_NUM ? n->num : dflt;
}

bool
cj_true(const struct cj_node *n)
{
	return n != NULL && n->type == CJ_BOOL && n->num != 0;
}
