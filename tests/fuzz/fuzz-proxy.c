/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what a proxy (or something pretending to be one) can send us,
 * and the proxy URL from the config. The first byte picks the target:
 *   0  proxy_http_parse_head          3  handshake, HTTP proxy
 *   1  SOCKS5 reply/method/auth       4  handshake, SOCKS5 without auth
 *   2  proxy_parse_url                5  handshake, SOCKS5 with auth
 * The handshakes get the rest as the proxy's reply, split into reads at
 * the positions given by the second byte. Beyond "no crash", the checks
 * are the contracts: nothing consumed past the input, bounded heads,
 * sane parsed values, no password out of a URL.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/connect.h"
#include "net/proxy-internal.h"

#define FUZZ_PASSWORD "Zq9-hunter2"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* memmem for text, which Windows' C library lacks. */
static bool
has_text(const uint8_t *p, size_t n, const char *text)
{
	size_t k = strlen(text);

	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (memcmp(p + i, text, k) == 0)
			return true;
	return false;
}

static void
check_head(const uint8_t *p, size_t n)
{
	struct proxy_http_reply r;
	int rc = proxy_http_parse_head(p, n, &r);

	if (rc == 0) {
		if (r.head_len == 0 || r.head_len > n ||
			r.head_len > PROXY_HTTP_MAX_HEAD || r.status < 100 ||
			r.status > 599 || p[r.head_len - 1] != '\n')
			__builtin_trap();
		for (const char *c = r.reason; *c != '\0'; c++)
			if (*c < 0x20 || *c > 0x7e)
				__builtin_trap();
	} else if (rc != OP_ERR_INCOMPLETE && rc != OP_ERR_PROTO &&
		rc != OP_ERR_TOO_LARGE) {
		__builtin_trap();
	} else if (rc == OP_ERR_INCOMPLETE && n >= PROXY_HTTP_MAX_HEAD) {
		__builtin_trap();
	}
}

static void
check_socks(const uint8_t *p, size_t n)
{
	struct socks5_reply r;
	uint8_t v;

	if (socks5_parse_reply(p, n, &r) == 0 && (r.len > n || r.len < 8))
		__builtin_trap();
	(void)socks5_parse_method(p, n, &v);
	(void)socks5_parse_auth(p, n, &v);
}

static void
check_url(const uint8_t *p, size_t n)
{
	struct proxy_conf pc;
	char err[256];
	char *s = malloc(n + 1);

	if (s == NULL)
		return;
	memcpy(s, p, n);
	s[n] = '\0';
	if (proxy_parse_url(s, &pc, err, sizeof(err)) == 0) {
		if (pc.password[0] != '\0')
			__builtin_trap();
		if (pc.scheme != PROXY_NONE &&
			(pc.port == 0 || !proxy_host_valid(pc.host) ||
				strchr(pc.user, ':') != NULL))
			__builtin_trap();
	} else if (err[0] == '\0') {
		__builtin_trap();
	}
	free(s);
}

static void
check_hs(enum proxy_scheme scheme, bool auth, uint8_t step,
	const uint8_t *p, size_t n)
{
	struct proxy_conf pc = { .scheme = scheme, .port = 3128 };
	struct opbuf *out = opbuf_new(1 << 16);
	struct opbuf *in = opbuf_new(1 << 20);
	struct proxy_hs hs;
	size_t off = 0;
	int r;

	if (out == NULL || in == NULL)
		goto done;
	strcpy(pc.host, "proxy.test");
	if (auth) {
		strcpy(pc.user, "user");
		strcpy(pc.password, FUZZ_PASSWORD);
	}
	if (proxy_hs_begin(&hs, &pc, "target.test", 21116, out) != 0)
		__builtin_trap();
	r = OP_ERR_INCOMPLETE;
	while (r == OP_ERR_INCOMPLETE && off < n) {
		size_t chunk = (size_t)(step % 16) + 1;
		size_t used = 0;

		if (chunk > n - off)
			chunk = n - off;
		if (opbuf_put(in, p + off, chunk) != 0)
			break;
		off += chunk;
		r = proxy_hs_feed(&hs, opbuf_ptr(in), opbuf_len(in), &used,
			out);
		if (used > opbuf_len(in))
			__builtin_trap();
		if (r == 0 || r == OP_ERR_INCOMPLETE)
			(void)opbuf_consume(in, used);
		else if (hs.msg[0] == '\0' ||
			(strstr(hs.msg, FUZZ_PASSWORD) != NULL &&
				!has_text(p, n, FUZZ_PASSWORD)))
			__builtin_trap(); /* explained, without our secret
					     (the proxy may echo anything) */
		opbuf_reset(out);
	}
done:
	opbuf_free(in);
	opbuf_free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	switch (data[0] % 6) {
	case 0:
		check_head(data + 1, size - 1);
		break;
	case 1:
		check_socks(data + 1, size - 1);
		break;
	case 2:
		check_url(data + 1, size - 1);
		break;
	case 3:
		check_hs(PROXY_HTTP, data[1] & 0x80, data[1], data + 2,
			size - 2);
		break;
	case 4:
		check_hs(PROXY_SOCKS5, false, data[1], data + 2, size - 2);
		break;
	case 5:
		check_hs(PROXY_SOCKS5, true, data[1], data + 2, size - 2);
		break;
	}
	return 0;
}
