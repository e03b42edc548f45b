/* SPDX-License-Identifier: MIT */
/*
 * Parser of RustDesk's deployment string (see rustdesk-config.h). Treats
 * its input as hostile: bounded lengths and nesting, no allocation
 * proportional to anything but the (capped) input.
 */
#include "cli/rustdesk-config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/err.h"
#include "core/text.h"

/* RustDesk's licence signing key (custom_server.rs, PK): strings signed
 * with it carry the JSON after a 64-byte Ed25519 signature. */
static const unsigned char rd_license_pk[crypto_sign_PUBLICKEYBYTES] = {
	88, 168, 68, 104, 60, 5, 163, 198, 165, 38, 12, 85, 114, 203, 96, 163,
	70, 48, 0, 131, 57, 12, 46, 129, 83, 17, 84, 193, 119, 197, 130, 103,
};

const char *const rd_names[RD_NFIELDS] = { "host", "key", "api",
	"relay" };


void
rd_clear(struct rd_server *s)
{
	for (int i = 0; i < RD_NFIELDS; i++) {
		free(s->v[i]);
		s->v[i] = NULL;
	}
}

const char *
rd_get(const struct rd_server *s, enum rd_field f)
{
	return s->v[f] != NULL ? s->v[f] : "";
}

/* A strict, bounded JSON reader for one flat object. */
struct jp {
	const unsigned char *start, *p, *end;
	char err[200];
};

static int
jp_fail(struct jp *j, const char *what)
{
	if (j->err[0] == '\0')
		snprintf(j->err, sizeof(j->err), "%s at byte %zu", what,
			(size_t)(j->p - j->start));
	return -1;
}

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				       *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
jp_hex4(struct jp *j, unsigned *out)
{
	unsigned v = 0;

	if (j->end - j->p < 4)
		return jp_fail(j, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		unsigned char c = *j->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return jp_fail(j, "bad \\u escape");
	}
	*out = v;
	return 0;
}

/* Reads a string at j->p (which is '"'); *out (malloc'd) when out is not
 * NULL. NUL characters are refused. */
static int
jp_string(struct jp *j, char **out)
{
	char *buf = NULL;
	size_t n = 0;

	if (out != NULL) {
		*out = NULL;
		if ((buf = malloc((size_t)(j->end - j->p) + 1)) == NULL)
			return jp_fail(j, "out of memory");
	}
	j->p++;
	for (;;) {
		unsigned char c;
		unsigned cp;

		if (j->p >= j->end) {
			free(buf);
			return jp_fail(j, "unterminated string");
		}
		c = *j->p++;
		if (c == '"')
			break;
		if (c < 0x20) {
			free(buf);
			return jp_fail(j, "control character in a string");
		}
		if (c != '\\') {
			if (buf != NULL)
				buf[n++] = (char)c;
			continue;
		}
		if (j->p >= j->end) {
			free(buf);
			return jp_fail(j, "unterminated string");
		}
		c = *j->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (jp_hex4(j, &cp) != 0) {
				free(buf);
				return -1;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				free(buf);
				return jp_fail(j, "lone surrogate");
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;

				if (j->end - j->p < 2 || j->p[0] != '\\' ||
					j->p[1] != 'u') {
					free(buf);
					return jp_fail(j, "lone surrogate");
				}
				j->p += 2;
				if (jp_hex4(j, &lo) != 0 || lo < 0xdc00 ||
					lo > 0xdfff) {
					free(buf);
					return jp_fail(j, "bad surrogate pair");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
					(lo - 0xdc00);
			}
			break;
		default:
			free(buf);
			return jp_fail(j, "bad escape");
		}
		if (cp == 0) {
			free(buf);
			return jp_fail(j, "NUL character in a string");
		}
		if (buf == NULL)
			continue;
		/* UTF-8; never longer than the escape it came from. */
		if (cp < 0x80) {
			buf[n++] = (char)cp;
		} else if (cp < 0x800) {
			buf[n++] = (char)(0xc0 | (cp >> 6));
			buf[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			buf[n++] = (char)(0xe0 | (cp >> 12));
			buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			buf[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			buf[n++] = (char)(0xf0 | (cp >> 18));
			buf[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			buf[n++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	if (buf != NULL) {
		buf[n] = '\0';
		*out = buf;
	}
	return 0;
}

static bool
jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

/* Skips one value of a field we do not use. */
static int
jp_skip(struct jp *j, int depth)
{
	if (depth > RD_MAX_DEPTH)
		return jp_fail(j, "nested too deeply");
	jp_ws(j);
	if (j->p >= j->end)
		return jp_fail(j, "value expected");
	if (*j->p == '"')
		return jp_string(j, NULL);
	if (*j->p == '{' || *j->p == '[') {
		unsigned char close = *j->p == '{' ? '}' : ']';

		j->p++;
		jp_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				jp_ws(j);
				if (j->p >= j->end || *j->p != '"')
					return jp_fail(j, "name expected");
				if (jp_string(j, NULL) != 0)
					return -1;
				jp_ws(j);
				if (j->p >= j->end || *j->p != ':')
					return jp_fail(j, "':' expected");
				j->p++;
			}
			if (jp_skip(j, depth + 1) != 0)
				return -1;
			jp_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				return 0;
			}
			return jp_fail(j, "',' or end of container expected");
		}
	}
	if (jp_lit(j, "true") || jp_lit(j, "false") || jp_lit(j, "null"))
		return 0;
	if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
		bool digit = false;

		while (j->p < j->end &&
			strchr("+-.eE0123456789", *j->p) != NULL) {
			digit = digit || (*j->p >= '0' && *j->p <= '9');
			j->p++;
		}
		return digit ? 0 : jp_fail(j, "bad number");
	}
	return jp_fail(j, "unexpected character");
}

/* Parses RustDesk's JSON object (serde semantics: unknown fields are
 * ignored, missing ones are empty, a known one must be a string and may
 * appear once). */
static int
rd_json(const unsigned char *data, size_t len, struct rd_server *out,
	char *err, size_t errsz)
{
	struct jp j = { data, data, data + len, "" };

	memset(out, 0, sizeof(*out));
	jp_ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		jp_fail(&j, "not a JSON object");
		goto fail;
	}
	j.p++;
	jp_ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
		goto end;
	}
	for (;;) {
		char *name = NULL;
		int f = -1;

		jp_ws(&j);
		if (j.p >= j.end || *j.p != '"') {
			jp_fail(&j, "field name expected");
			goto fail;
		}
		if (jp_string(&j, &name) != 0)
			goto fail;
		for (int i = 0; i < RD_NFIELDS; i++)
			if (strcmp(name, rd_names[i]) == 0)
				f = i;
		free(name);
		jp_ws(&j);
		if (j.p >= j.end || *j.p != ':') {
			jp_fail(&j, "':' expected");
			goto fail;
		}
		j.p++;
		jp_ws(&j);
		if (f < 0) {
			if (jp_skip(&j, 1) != 0)
				goto fail;
		} else {
			char what[64];

			if (out->v[f] != NULL) {
				snprintf(what, sizeof(what),
					"duplicate field '%s'", rd_names[f]);
				jp_fail(&j, what);
				goto fail;
			}
			if (j.p >= j.end || *j.p != '"') {
				snprintf(what, sizeof(what),
					"field '%s' is not a string",
					rd_names[f]);
				jp_fail(&j, what);
				goto fail;
			}
			if (jp_string(&j, &out->v[f]) != 0)
				goto fail;
		}
		jp_ws(&j);
		if (j.p < j.end && *j.p == ',') {
			j.p++;
			continue;
		}
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		jp_fail(&j, "',' or '}' expected");
		goto fail;
	}
end:
	jp_ws(&j);
	if (j.p != j.end) {
		jp_fail(&j, "trailing data after the object");
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errsz, "%s", j.err);
	rd_clear(out);
	return -1;
}

/* Decodes base64 in any of the four alphabets/padding variants (strict:
 * no other characters, canonical trailing bits). */
static int
rd_base64(const char *s, size_t n, unsigned char **out, size_t *out_len)
{
	static const int variants[] = {
		sodium_base64_VARIANT_URLSAFE_NO_PADDING,
		sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
	};
	unsigned char *buf;
	size_t cap;

	*out = NULL;
	for (int pad = 0; pad < 2 && n > 0 && s[n - 1] == '='; pad++)
		n--;
	if (n == 0)
		return -1;
	cap = n / 4 * 3 + 3;
	if ((buf = malloc(cap)) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if (sodium_base642bin(buf, cap, s, n, NULL, out_len, NULL,
			    variants[i]) == 0) {
			*out = buf;
			return 0;
		}
	}
	free(buf);
	return -1;
}

/* One candidate: reversed base64 of the JSON, or of the signed JSON. */
static int
rd_try(const char *s, size_t n, struct rd_server *out, char *err,
	size_t errsz)
{
	unsigned char *bin = NULL;
	unsigned char *msg = NULL;
	unsigned long long mlen = 0;
	char *rev;
	size_t len = 0;
	int r = -1;

	if ((rev = malloc(n + 1)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		rev[i] = s[n - 1 - i];
	rev[n] = '\0';
	if (rd_base64(rev, n, &bin, &len) != 0) {
		snprintf(err, errsz, "not base64 (read backwards, as RustDesk "
				     "writes it)");
		goto out;
	}
	if (rd_json(bin, len, out, err, errsz) == 0) {
		r = 0;
		goto out;
	}
	/* The licence form: signature || JSON, signed by RustDesk. */
	if (len > crypto_sign_BYTES && (msg = malloc(len)) != NULL &&
		crypto_sign_open(msg, &mlen, bin, len, rd_license_pk) == 0) {
		if (rd_json(msg, (size_t)mlen, out, err, errsz) == 0)
			r = 0;
		goto out;
	}
	if (err[0] != '\0') {
		char inner[200];

		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, errsz, "decodes to something that is not "
				     "RustDesk's JSON object: %s",
			inner);
	}
out:
	free(msg);
	free(bin);
	free(rev);
	return r;
}

/* Replaces every occurrence of from with to in s (to is not longer). */
static void
replace_all(char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);
	char *p;

	while ((p = strstr(s, from)) != NULL) {
		memcpy(p, to, tl);
		memmove(p + tl, p + fl, strlen(p + fl) + 1);
	}
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
				e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool
ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* The "host=...,key=...,api=...,relay=..." form (last one wins, as in
 * RustDesk; RustDesk's own parser cuts "relay=" one field short, we do
 * not). */
static int
rd_keyvalue(const char *s, struct rd_server *out)
{
	static const char *const prefix[RD_NFIELDS] = { "host=", "key=",
		"api=", "relay=" };
	const char *p = strstr(s, "host=");

	memset(out, 0, sizeof(*out));
	while (p != NULL) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

		for (int f = 0; f < RD_NFIELDS; f++) {
			size_t pl = strlen(prefix[f]);

			if (n >= pl && strncmp(p, prefix[f], pl) == 0) {
				free(out->v[f]);
				if ((out->v[f] = op_strndup(p + pl, n - pl)) ==
					NULL) {
					rd_clear(out);
					return -1;
				}
			}
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
	return 0;
}

/* Parses any accepted form of the string. Returns 0 or -1 with err. */
int
rd_parse(const char *input, struct rd_server *out, char *err, size_t errsz)
{
	char *copy = strdup(input);
	char *s;
	int r = -1;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (copy == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	s = trim(copy);
	if (ends_with_ci(s, ".exe.exe"))
		s[strlen(s) - 8] = '\0';
	else if (ends_with_ci(s, ".exe"))
		s[strlen(s) - 4] = '\0';
	if (strstr(s, "host=") != NULL) {
		r = rd_keyvalue(s, out);
		if (r != 0)
			snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (rd_try(s, strlen(s), out, err, errsz) == 0) {
		r = 0;
		goto out;
	}
	/* Installer names: "<app>-licensed-<string>", "<string>(1)". The
	 * whole-string error above is the one worth reporting. */
	replace_all(s, "-licensed---", "--");
	replace_all(s, "-licensed--", "--");
	replace_all(s, "-licensed-", "--");
	for (char *part = s, *next; part != NULL; part = next) {
		char e2[200];

		next = strstr(part, "--");
		if (next != NULL) {
			*next = '\0';
			next += 2;
		}
		part = trim(part);
		if (*part != '\0' &&
			rd_try(part, strlen(part), out, e2, sizeof(e2)) == 0) {
			r = 0;
			goto out;
		}
		if (strchr(part, '(') == NULL)
			continue;
		for (char *q = part, *qn; q != NULL; q = qn) {
			qn = strchr(q, '(');
			if (qn != NULL)
				*qn++ = '\0';
			q = trim(q);
			if (*q != '\0' &&
				rd_try(q, strlen(q), out, e2, sizeof(e2)) ==
					0) {
				r = 0;
				goto out;
			}
		}
	}
out:
	free(copy);
	if (r == 0)
		err[0] = '\0';
	return r;
}

/* Prints s for a terminal: printable ASCII as is, anything else as ?. */
