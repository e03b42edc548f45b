/* SPDX-License-Identifier: MIT */
/*
 * The request text of a consent prompt: sanitizing what a peer sent (its
 * ID and name come straight from LoginRequest.my_id / my_name, so they may
 * hold anything), bounding it, and the key=value lines the daemon writes
 * to the prompt's stdin. Pure string code: no I/O, no X, no loop.
 */
#include "consent/consent.h"

#include <stdint.h>
#include <string.h>

#include "consent/consent-internal.h"
#include "consent/consent-prompt.h"
#include "core/err.h"
#include "core/utf8.h"

/* Length of the next output character and its bytes in out[4]: controls,
 * invisible and direction-changing characters (op_utf8_unsafe) and
 * invalid bytes become '?', so "Evil" cannot read as something else. */
static size_t
next_char(const unsigned char *s, size_t *in_len, char out[4])
{
	/* s is NUL-terminated: the NUL ends a sequence as invalid. */
	size_t n = op_utf8_next_safe(s, strnlen((const char *)s, 4), in_len);

	if (n == 0) {
		out[0] = '?';
		return 1;
	}
	memcpy(out, s, n);
	return n;
}

size_t
consent_sanitize(char *dst, size_t dst_size, const char *src,
	size_t max_chars)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t total = 0;
	size_t pos = 0;
	size_t keep;
	bool cut;
	char ch[4];
	size_t in_len;

	if (dst_size == 0)
		return 0;
	dst[0] = '\0';
	if (dst_size < 5 || max_chars < 4)
		return 0;
	/* Count at most max_chars + 1 characters: src may be huge. */
	for (const unsigned char *p = s; *p && total <= max_chars; total++) {
		next_char(p, &in_len, ch);
		p += in_len;
	}
	cut = total > max_chars;
	keep = cut ? max_chars - 3 : total;
	for (size_t i = 0; i < keep; i++) {
		size_t n = next_char(s, &in_len, ch);

		/* Always leave room for "..." and the NUL. */
		if (pos + n + 4 > dst_size) {
			cut = true;
			break;
		}
		memcpy(dst + pos, ch, n);
		pos += n;
		s += in_len;
	}
	if (cut) {
		memcpy(dst + pos, "...", 3);
		pos += 3;
	}
	dst[pos] = '\0';
	return pos;
}

size_t
consent__request_encode(const struct consent_request *req, char *buf,
	size_t size)
{
	const struct {
		const char *key;
		const char *val;
		size_t max;
	} f[] = {
		{ "peer_id", req->peer_id, CONSENT_MAX_PEER_ID },
		{ "peer_name", req->peer_name, CONSENT_MAX_PEER_NAME },
		{ "source", req->source, CONSENT_MAX_SOURCE },
		{ "kind", req->kind, CONSENT_MAX_KIND },
		{ "permissions", req->permissions, CONSENT_MAX_PERMISSIONS },
	};
	char val[CONSENT_MAX_PERMISSIONS * 4 + 1];
	size_t pos = 0;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t kl = strlen(f[i].key);
		size_t vl = consent_sanitize(val, sizeof(val), f[i].val,
			f[i].max);

		if (pos + kl + vl + 3 > size)
			return 0;
		memcpy(buf + pos, f[i].key, kl);
		pos += kl;
		buf[pos++] = '=';
		memcpy(buf + pos, val, vl);
		pos += vl;
		buf[pos++] = '\n';
	}
	buf[pos] = '\0';
	return pos;
}

int
consent_prompt_set(struct consent_prompt *p, const char *key,
	const char *value)
{
	if (strcmp(key, "peer_id") == 0)
		consent_sanitize(p->peer_id, sizeof(p->peer_id), value,
			CONSENT_MAX_PEER_ID);
	else if (strcmp(key, "peer_name") == 0)
		consent_sanitize(p->peer_name, sizeof(p->peer_name), value,
			CONSENT_MAX_PEER_NAME);
	else if (strcmp(key, "source") == 0)
		consent_sanitize(p->source, sizeof(p->source), value,
			CONSENT_MAX_SOURCE);
	else if (strcmp(key, "kind") == 0)
		consent_sanitize(p->kind, sizeof(p->kind), value,
			CONSENT_MAX_KIND);
	else if (strcmp(key, "permissions") == 0)
		consent_sanitize(p->permissions, sizeof(p->permissions), value,
			CONSENT_MAX_PERMISSIONS);
	else
		return OP_ERR_NOT_FOUND;
	return 0;
}

int
consent_prompt_parse(struct consent_prompt *p, const char *buf, size_t len)
{
	char line[CONSENT_REQUEST_MAX + 1];
	size_t start = 0;

	if (len > CONSENT_REQUEST_MAX)
		return OP_ERR_TOO_LARGE;
	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t ll = end - start;
		char *eq;

		memcpy(line, buf + start, ll);
		line[ll] = '\0';
		start = end + 1;
		if (ll == 0)
			continue;
		if (memchr(line, '\0', ll) != NULL ||
			(eq = strchr(line, '=')) == NULL)
			return OP_ERR_PROTO;
		*eq = '\0';
		(void)consent_prompt_set(p, line, eq + 1); /* unknown: skip */
	}
	return 0;
}

const char *
consent_result_name(enum consent_result r)
{
	switch (r) {
	case CONSENT_ALLOW:
		return "allow";
	case CONSENT_DENY:
		return "deny";
	case CONSENT_TIMEOUT:
		return "timeout";
	case CONSENT_ERROR:
		return "error";
	case CONSENT_CANCELLED:
		return "cancelled";
	}
	return "error";
}

enum consent_button
consent_prompt_hit(int x, int y)
{
	if (y < CONSENT_BTN_Y || y >= CONSENT_BTN_Y + CONSENT_BTN_H)
		return CONSENT_BUTTON_NONE;
	if (x >= CONSENT_BTN_ALLOW_X && x < CONSENT_BTN_ALLOW_X + CONSENT_BTN_W)
		return CONSENT_BUTTON_ALLOW;
	if (x >= CONSENT_BTN_DENY_X && x < CONSENT_BTN_DENY_X + CONSENT_BTN_W)
		return CONSENT_BUTTON_DENY;
	return CONSENT_BUTTON_NONE;
}

enum consent_button
consent_prompt_click(enum consent_button *pressed, enum consent_button b,
	bool press)
{
	enum consent_button was = *pressed;

	*pressed = press ? b : CONSENT_BUTTON_NONE;
	return !press && b == was ? b : CONSENT_BUTTON_NONE;
}

int
consent__request_prepare(const struct consent_request *req, char *buf,
	size_t size, size_t *len, unsigned *timeout_s)
{
	unsigned ms = req->timeout_ms ? req->timeout_ms : 30000;

	if (ms > 600000)
		return OP_ERR_RANGE;
	if ((*len = consent__request_encode(req, buf, size)) == 0)
		return OP_ERR_INTERNAL;
	*timeout_s = (ms + 999) / 1000;
	return 0;
}
