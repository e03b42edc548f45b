/* SPDX-License-Identifier: MIT */
/*
 * Text helpers for the audit trail: a bounded growable buffer, JSON string
 * output that stays valid whatever bytes it is given (peer names and
 * edited database rows can hold anything), a strict JSON object validator
 * for the fields callers pass to audit_event(), and display sanitising.
 * Pure: no I/O, no globals.
 */
#include "audit/audit-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

void
audit__buf_init(struct audit_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
audit__buf_free(struct audit_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
audit__buf_reset(struct audit_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static bool
buf_grow(struct audit_buf *b, size_t add)
{
	size_t want;
	char *np;

	if (b->failed)
		return false;
	if (add > b->max || b->len > b->max - add) {
		b->failed = true;
		return false;
	}
	want = b->len + add + 1;
	if (want <= b->cap)
		return true;
	if (want < 256)
		want = 256;
	if (want < b->cap * 2)
		want = b->cap * 2;
	if (want > b->max + 1)
		want = b->max + 1;
	if ((np = realloc(b->p, want)) == NULL) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = want;
	return true;
}

void
audit__buf_put(struct audit_buf *b, const void *p, size_t n)
{
	if (!buf_grow(b, n))
		return;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
audit__buf_puts(struct audit_buf *b, const char *s)
{
	audit__buf_put(b, s, strlen(s));
}

void
audit__buf_printf(struct audit_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		audit__buf_put(b, small, (size_t)n);
		return;
	}
	if (!buf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
audit__buf_steal(struct audit_buf *b)
{
	char *p;

	if (b->failed) {
		audit__buf_free(b);
		return NULL;
	}
	if (b->p == NULL && !buf_grow(b, 0))
		return NULL;
	if (b->p != NULL)
		b->p[b->len] = '\0';
	p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

/* Length of the valid UTF-8 sequence at s[0..n) (1-4), or 0 when it is
 * invalid (overlong, surrogate, beyond U+10FFFF, truncated) or NUL. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool
audit__utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(u + i, n - i);

		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

void
audit__buf_json_str(struct audit_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (s == NULL) {
		audit__buf_puts(b, "null");
		return;
	}
	audit__buf_put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		uint32_t cp = 0;
		size_t l;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			audit__buf_put(b, e, 2);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			audit__buf_printf(b, "\\u%04x", c);
			i++;
			continue;
		}
		if ((l = utf8_len(u + i, n - i)) == 0) {
			audit__buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		/* C1 controls and bidi/invisible formatting are kept, but
		 * escaped: a terminal showing the export sees no CSI and no
		 * reordering. All of them are in the BMP. */
		if (l > 1 && op_utf8_decode(u + i, l, &cp) == l &&
			op_utf8_unsafe(cp)) {
			audit__buf_printf(b, "\\u%04x", (unsigned)cp);
			i += l;
			continue;
		}
		audit__buf_put(b, u + i, l);
		i += l;
	}
	audit__buf_put(b, "\"", 1);
}

void
audit__buf_json_cstr(struct audit_buf *b, const char *s)
{
	audit__buf_json_str(b, s, s != NULL ? strlen(s) : 0);
}

void
audit__sanitize(char *dst, size_t size, const char *s, size_t n)
{
	(void)op_utf8_sanitize(dst, size, s, n);
}

/* ---- A strict JSON validator (recursive descent, bounded depth) ---- */

#define JSON_MAX_DEPTH 16

struct jscan {
	const unsigned char *p;
	size_t n;
	size_t i;
};

static void
js_ws(struct jscan *j)
{
	while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' ||
				      j->p[j->i] == '\n' || j->p[j->i] == '\r'))
		j->i++;
}

static bool
js_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F');
}

static bool
js_string(struct jscan *j)
{
	if (j->i >= j->n || j->p[j->i] != '"')
		return false;
	j->i++;
	while (j->i < j->n) {
		unsigned char c = j->p[j->i];
		size_t l;

		if (c == '"') {
			j->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++j->i >= j->n)
				return false;
			c = j->p[j->i];
			if (c == 'u') {
				if (j->n - j->i < 5)
					return false;
				for (size_t k = 1; k <= 4; k++)
					if (!js_hex(j->p[j->i + k]))
						return false;
				j->i += 5;
			} else if (strchr("\"\\/bfnrt", c) != NULL && c != 0) {
				j->i++;
			} else {
				return false;
			}
			continue;
		}
		if ((l = utf8_len(j->p + j->i, j->n - j->i)) == 0)
			return false;
		j->i += l;
	}
	return false;
}

static bool
js_digits(struct jscan *j)
{
	size_t start = j->i;

	while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9')
		j->i++;
	return j->i > start;
}

static bool
js_number(struct jscan *j)
{
	if (j->i < j->n && j->p[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->p[j->i] == '0')
		j->i++;
	else if (!js_digits(j))
		return false;
	if (j->i < j->n && j->p[j->i] == '.') {
		j->i++;
		if (!js_digits(j))
			return false;
	}
	if (j->i < j->n && (j->p[j->i] == 'e' || j->p[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->p[j->i] == '+' || j->p[j->i] == '-'))
			j->i++;
		if (!js_digits(j))
			return false;
	}
	return true;
}

static bool
js_lit(struct jscan *j, const char *w)
{
	size_t l = strlen(w);

	if (j->n - j->i < l || memcmp(j->p + j->i, w, l) != 0)
		return false;
	j->i += l;
	return true;
}

static bool js_value(struct jscan *j, int depth);

static bool
js_container(struct jscan *j, int depth, bool object)
{
	char close = object ? '}' : ']';

	if (depth >= JSON_MAX_DEPTH)
		return false;
	j->i++;
	js_ws(j);
	if (j->i < j->n && j->p[j->i] == close) {
		j->i++;
		return true;
	}
	for (;;) {
		if (object) {
			if (!js_string(j))
				return false;
			js_ws(j);
			if (j->i >= j->n || j->p[j->i] != ':')
				return false;
			j->i++;
		}
		if (!js_value(j, depth + 1))
			return false;
		js_ws(j);
		if (j->i >= j->n)
			return false;
		if (j->p[j->i] == close) {
			j->i++;
			return true;
		}
		if (j->p[j->i] != ',')
			return false;
		j->i++;
		js_ws(j);
	}
}

static bool
js_value(struct jscan *j, int depth)
{
	js_ws(j);
	if (j->i >= j->n)
		return false;
	switch (j->p[j->i]) {
	case '{':
		return js_container(j, depth, true);
	case '[':
		return js_container(j, depth, false);
	case '"':
		return js_string(j);
	case 't':
		return js_lit(j, "true");
	case 'f':
		return js_lit(j, "false");
	case 'n':
		return js_lit(j, "null");
	default:
		return js_number(j);
	}
}

static bool
json_check(const char *s, size_t n, bool object)
{
	struct jscan j = { (const unsigned char *)s, n, 0 };

	if (s == NULL)
		return false;
	js_ws(&j);
	if (j.i >= n || (object && j.p[j.i] != '{') || !js_value(&j, 0))
		return false;
	js_ws(&j);
	return j.i == n;
}

bool
audit__json_is_object(const char *s, size_t n)
{
	return json_check(s, n, true);
}

bool
audit__json_is_value(const char *s, size_t n)
{
	return json_check(s, n, false);
}
