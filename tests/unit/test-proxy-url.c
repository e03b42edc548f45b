/* SPDX-License-Identifier: MIT */
/*
 * proxy_parse_url and the pure proxy handshake pieces (net/proxy-
 * internal.h): URL forms good and bad, the CONNECT request, the HTTP
 * reply-head parser and the SOCKS5 parsers with hostile input, and the
 * state machine end to end on canned replies (tunnel bytes kept).
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/connect.h"
#include "net/proxy-internal.h"
#include "th.h"

static const char *
S(const struct opbuf *b)
{
	static char s[4096];
	size_t n = opbuf_len(b) < sizeof(s) - 1 ? opbuf_len(b) : sizeof(s) - 1;

	memcpy(s, opbuf_ptr(b), n);
	s[n] = '\0';
	return s;
}

static void
test_url_good(void)
{
	struct proxy_conf p;
	char err[200];

	ASSERT_INT_EQ(proxy_parse_url("http://proxy.example:3128", &p, err,
			      sizeof(err)), 0);
	ASSERT_INT_EQ(p.scheme, PROXY_HTTP);
	ASSERT_STR_EQ(p.host, "proxy.example");
	ASSERT_INT_EQ(p.port, 3128);
	ASSERT_STR_EQ(p.user, "");
	ASSERT_STR_EQ(p.password, "");

	ASSERT_INT_EQ(proxy_parse_url("HTTPS://alice@10.0.0.1", &p, err,
			      sizeof(err)), 0);
	ASSERT_INT_EQ(p.scheme, PROXY_HTTPS);
	ASSERT_STR_EQ(p.host, "10.0.0.1");
	ASSERT_INT_EQ(p.port, 443);
	ASSERT_STR_EQ(p.user, "alice");

	ASSERT_INT_EQ(proxy_parse_url("socks5://bob@[::1]:1081/", &p, err,
			      sizeof(err)), 0);
	ASSERT_INT_EQ(p.scheme, PROXY_SOCKS5);
	ASSERT_STR_EQ(p.host, "::1");
	ASSERT_INT_EQ(p.port, 1081);
	ASSERT_STR_EQ(p.user, "bob");

	ASSERT_INT_EQ(proxy_parse_url("socks5h://[2001:db8::7]", &p, err,
			      sizeof(err)), 0);
	ASSERT_STR_EQ(p.host, "2001:db8::7");
	ASSERT_INT_EQ(p.port, 1080);

	ASSERT_INT_EQ(proxy_parse_url("http://h", &p, err, sizeof(err)), 0);
	ASSERT_INT_EQ(p.port, 8080);

	/* Percent-encoded user. */
	ASSERT_INT_EQ(proxy_parse_url("http://dom%5Cuser%40corp@h:1", &p, err,
			      sizeof(err)), 0);
	ASSERT_STR_EQ(p.user, "dom\\user@corp");

	ASSERT_INT_EQ(proxy_parse_url("", &p, err, sizeof(err)), 0);
	ASSERT_INT_EQ(p.scheme, PROXY_NONE);
	ASSERT_INT_EQ(proxy_parse_url("http://h:65535", &p, NULL, 0), 0);
	ASSERT_INT_EQ(p.port, 65535);
}

static void
bad(const char *url, const char *why)
{
	struct proxy_conf p;
	char err[200];

	memset(&p, 0x55, sizeof(p));
	if (proxy_parse_url(url, &p, err, sizeof(err)) != OP_ERR_CONFIG)
		TH_FAIL("accepted \"%s\"", url);
	if (strstr(err, why) == NULL)
		TH_FAIL("\"%s\": message \"%s\" lacks \"%s\"", url, err, why);
	/* Nothing half-parsed, and never a password. */
	if (p.scheme != PROXY_NONE || p.host[0] != '\0' || p.user[0] != '\0' ||
		p.password[0] != '\0')
		TH_FAIL("\"%s\": out not cleared", url);
}

static void
test_url_bad(void)
{
	char longurl[PROXY_URL_MAX + 10];

	bad("http://alice:secret@h:3128", "password");
	bad("socks5://alice:@h", "password");
	bad("ftp://h:21", "scheme");
	bad("socks4://h", "scheme");
	bad("h:3128", "scheme://");
	bad("http://", "host");
	bad("http://h:0", "port");
	bad("http://h:65536", "port");
	bad("http://h:123456", "port");
	bad("http://h:", "port");
	bad("http://h:+80", "port");
	bad("http://h:8o", "port");
	bad("http://::1:8080", "host");
	bad("http://[::1", "host");
	bad("http://[::1]x", "host");
	bad("http://[]:80", "host");
	bad("http://[not-v6]:80", "host");
	bad("http://h/path", "path");
	bad("http://h?q", "path");
	bad("http://h#f", "path");
	bad("http://a@b@h", "'@'");
	bad("http://@h", "user");
	bad("http://us er@h", "user");
	bad("http://a%3Ab@h", "user"); /* ':' smuggled in */
	bad("http://a%0d%0aX@h", "user");
	bad("http://a%00@h", "user");
	bad("http://a%zz@h", "user");
	bad("http://a%4@h", "user");
	bad("http://h\r\nX-Evil: 1", "host");
	bad("http://h_o st", "host");
	memset(longurl, 'a', sizeof(longurl) - 1);
	memcpy(longurl, "http://", 7);
	longurl[sizeof(longurl) - 1] = '\0';
	bad(longurl, "too long");
	memset(longurl, 'a', 300);
	memcpy(longurl, "http://", 7);
	longurl[300] = '\0';
	bad(longurl, "host");
}

static void
test_http_request(void)
{
	struct opbuf *b = opbuf_new(4096);

	ASSERT(b != NULL);
	ASSERT_INT_EQ(proxy_http_request(b, "rs.example", 21116, "", ""), 0);
	ASSERT_STR_EQ(S(b), "CONNECT rs.example:21116 HTTP/1.1\r\n"
			    "Host: rs.example:21116\r\n"
			    "User-Agent: outpost\r\n\r\n");
	opbuf_reset(b);
	/* RFC 7617's example: Aladdin / open sesame. */
	ASSERT_INT_EQ(proxy_http_request(b, "::1", 80, "Aladdin",
			      "open sesame"), 0);
	ASSERT_STR_EQ(S(b), "CONNECT [::1]:80 HTTP/1.1\r\n"
			    "Host: [::1]:80\r\n"
			    "User-Agent: outpost\r\n"
			    "Proxy-Authorization: Basic "
			    "QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
	opbuf_reset(b);
	ASSERT_INT_EQ(proxy_http_request(b, "h", 1, "a", "bc"), 0);
	ASSERT_STR_CONTAINS(S(b), "Basic YTpiYw==\r\n");
	opbuf_reset(b);
	ASSERT_INT_EQ(proxy_http_request(b, "h", 1, "ab", "c"), 0);
	ASSERT_STR_CONTAINS(S(b), "Basic YWI6Yw==\r\n");
	opbuf_free(b);
}

static int
head(const char *s, struct proxy_http_reply *r)
{
	return proxy_http_parse_head((const uint8_t *)s, strlen(s), r);
}

static void
test_http_head(void)
{
	struct proxy_http_reply r;
	const char *ok = "HTTP/1.1 200 Connection established\r\n"
			 "Proxy-Agent: x\r\n\r\nTUNNEL";
	char *big;

	ASSERT_INT_EQ(head(ok, &r), 0);
	ASSERT_INT_EQ(r.status, 200);
	ASSERT_INT_EQ(r.minor, 1);
	ASSERT_INT_EQ(r.head_len, strlen(ok) - strlen("TUNNEL"));
	ASSERT_STR_EQ(r.reason, "Connection established");

	/* Every prefix of a valid head is "incomplete", never an error. */
	for (size_t i = 0; i < strlen(ok) - strlen("TUNNEL"); i++)
		ASSERT_INT_EQ(proxy_http_parse_head((const uint8_t *)ok, i,
				      &r), OP_ERR_INCOMPLETE);

	ASSERT_INT_EQ(head("HTTP/1.0 200\r\n\r\n", &r), 0);
	ASSERT_INT_EQ(r.status, 200);
	ASSERT_STR_EQ(r.reason, "");
	ASSERT_INT_EQ(head("HTTP/1.0 200 OK\n\n", &r), 0); /* bare LF */
	ASSERT_INT_EQ(head("HTTP/1.1 407 Proxy Authentication Required\r\n"
			   "Proxy-Authenticate: Basic realm=\"x\"\r\n\r\n",
			      &r), 0);
	ASSERT_INT_EQ(r.status, 407);
	ASSERT_STR_EQ(r.auth_scheme, "Basic");
	ASSERT_INT_EQ(head("HTTP/1.1 403 \xff\xfe\r\n\r\n", &r), 0);
	ASSERT_STR_EQ(r.reason, "??");

	/* Hostile or confused replies. */
	ASSERT_INT_EQ(head("SSH-2.0-OpenSSH\r\n", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("\x05\x00", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/2 200\r\n\r\n", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.2 200 OK\r\n\r\n", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1 20 OK\r\n\r\n", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1 2000 OK\r\n\r\n", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1 600 X\r\n\r\n", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1  200 OK\r\n\r\n", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1 200 O\rK\r\n\r\n", &r), OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1 200 OK\r\n folded\r\n\r\n", &r),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", &r),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1 200 OK\r\nA : b\r\n\r\n", &r),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(head("HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n", &r),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(proxy_http_parse_head(
			      (const uint8_t *)"HTTP/1.1 200 OK\r\nA\0: b\r\n\r\n",
			      26, &r), OP_ERR_PROTO);
	/* A NUL in a partial line fails at once. */
	ASSERT_INT_EQ(proxy_http_parse_head(
			      (const uint8_t *)"HTTP/1.1 200 \0", 14, &r),
		OP_ERR_PROTO);

	/* No end within 8 KiB: too large, however much is buffered. */
	big = malloc(3 * PROXY_HTTP_MAX_HEAD);
	ASSERT(big != NULL);
	strcpy(big, "HTTP/1.1 200 OK\r\n");
	for (size_t n = strlen(big); n + 300 < 3 * PROXY_HTTP_MAX_HEAD; )
		n += (size_t)sprintf(big + n, "X-Pad: %0200d\r\n", 7);
	ASSERT_INT_EQ(proxy_http_parse_head((const uint8_t *)big,
			      PROXY_HTTP_MAX_HEAD - 1, &r), OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(proxy_http_parse_head((const uint8_t *)big,
			      PROXY_HTTP_MAX_HEAD, &r), OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(head(big, &r), OP_ERR_TOO_LARGE);
	/* Too many header lines inside the limit. */
	strcpy(big, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < PROXY_HTTP_MAX_HEADERS + 5; i++)
		strcat(big, "A:b\n");
	strcat(big, "\r\n");
	ASSERT_INT_EQ(head(big, &r), OP_ERR_TOO_LARGE);
	free(big);
}

static void
test_socks5_parsers(void)
{
	struct socks5_reply rep;
	uint8_t v;
	const uint8_t ok4[] = { 5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90, 'X' };
	const uint8_t okd[] = { 5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 80 };
	const uint8_t ok6[22] = { 5, 5, 0, 4 };

	ASSERT_INT_EQ(socks5_parse_method((const uint8_t *)"", 0, &v),
		OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(socks5_parse_method((const uint8_t *)"\x05", 1, &v),
		OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(socks5_parse_method((const uint8_t *)"\x04\x00", 2, &v),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(socks5_parse_method((const uint8_t *)"\x05\x02", 2, &v),
		0);
	ASSERT_INT_EQ(v, 2);
	ASSERT_INT_EQ(socks5_parse_auth((const uint8_t *)"\x01\x01", 2, &v), 0);
	ASSERT_INT_EQ(v, 1);
	ASSERT_INT_EQ(socks5_parse_auth((const uint8_t *)"\x07\x00", 2, &v),
		OP_ERR_PROTO);

	ASSERT_INT_EQ(socks5_parse_reply(ok4, sizeof(ok4), &rep), 0);
	ASSERT_INT_EQ(rep.len, 10);
	ASSERT_INT_EQ(rep.rep, 0);
	for (size_t i = 0; i < 10; i++)
		ASSERT_INT_EQ(socks5_parse_reply(ok4, i, &rep),
			OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(socks5_parse_reply(okd, sizeof(okd), &rep), 0);
	ASSERT_INT_EQ(rep.len, sizeof(okd));
	ASSERT_INT_EQ(socks5_parse_reply(okd, sizeof(okd) - 1, &rep),
		OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(socks5_parse_reply(ok6, sizeof(ok6), &rep), 0);
	ASSERT_INT_EQ(rep.rep, 5);
	ASSERT_INT_EQ(rep.len, 22);
	/* Bad version, reserved byte, address type, empty domain. */
	ASSERT_INT_EQ(socks5_parse_reply((const uint8_t *)"\x04", 1, &rep),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(socks5_parse_reply((const uint8_t *)"\x05\x00\x01", 3,
			      &rep), OP_ERR_PROTO);
	ASSERT_INT_EQ(socks5_parse_reply((const uint8_t *)"\x05\x00\x00\x02",
			      4, &rep), OP_ERR_PROTO);
	ASSERT_INT_EQ(socks5_parse_reply(
			      (const uint8_t *)"\x05\x00\x00\x03\x00\x00\x00", 7,
			      &rep), OP_ERR_PROTO);
	/* A declared 255-byte name is waited for, not trusted. */
	ASSERT_INT_EQ(socks5_parse_reply(
			      (const uint8_t *)"\x05\x00\x00\x03\xff", 5, &rep),
		OP_ERR_INCOMPLETE);

	ASSERT_INT_EQ(socks5_reply_error(5), UV_ECONNREFUSED);
	ASSERT_INT_EQ(socks5_reply_error(2), OP_ERR_DENIED);
	ASSERT_INT_EQ(socks5_reply_error(200), OP_ERR_PROTO);
	ASSERT_STR_EQ(socks5_reply_text(4), "host unreachable");
	ASSERT_STR_EQ(socks5_reply_text(99), "unassigned reply code");
}

static void
test_socks5_requests(void)
{
	struct opbuf *b = opbuf_new(1024);
	char u300[300];

	ASSERT_INT_EQ(socks5_greeting(b, false), 0);
	ASSERT_INT_EQ(opbuf_len(b), 3);
	ASSERT_MEM_EQ(opbuf_ptr(b), "\x05\x01\x00", 3);
	opbuf_reset(b);
	ASSERT_INT_EQ(socks5_greeting(b, true), 0);
	ASSERT_MEM_EQ(opbuf_ptr(b), "\x05\x02\x00\x02", 4);
	opbuf_reset(b);
	ASSERT_INT_EQ(socks5_auth_request(b, "u", "pw"), 0);
	ASSERT_INT_EQ(opbuf_len(b), 6);
	ASSERT_MEM_EQ(opbuf_ptr(b), "\x01\x01u\x02pw", 6);
	opbuf_reset(b);
	memset(u300, 'u', sizeof(u300) - 1);
	u300[sizeof(u300) - 1] = '\0';
	ASSERT_INT_EQ(socks5_auth_request(b, u300, "pw"), OP_ERR_RANGE);
	ASSERT_INT_EQ(socks5_auth_request(b, "u", ""), OP_ERR_RANGE);
	opbuf_reset(b);
	ASSERT_INT_EQ(socks5_connect_request(b, "rs.example", 21116), 0);
	ASSERT_INT_EQ(opbuf_len(b), 4 + 1 + 10 + 2);
	ASSERT_MEM_EQ(opbuf_ptr(b), "\x05\x01\x00\x03\x0ars.example\x52\x7c",
		17);
	opbuf_reset(b);
	ASSERT_INT_EQ(socks5_connect_request(b, "127.0.0.1", 80), 0);
	ASSERT_MEM_EQ(opbuf_ptr(b), "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50",
		10);
	opbuf_reset(b);
	ASSERT_INT_EQ(socks5_connect_request(b, "::1", 80), 0);
	ASSERT_INT_EQ(opbuf_len(b), 22);
	opbuf_free(b);
}

/* Drives the state machine with a canned reply, fed byte by byte. */
static int
drive(const struct proxy_conf *pc, const char *reply, size_t rlen,
	struct proxy_hs *hs, size_t *tunnel_at, struct opbuf *sent)
{
	struct opbuf *out = opbuf_new(4096);
	size_t have = 0;
	size_t base = 0;
	int r;

	if ((r = proxy_hs_begin(hs, pc, "target.example", 21116, out)) != 0)
		goto done;
	r = OP_ERR_INCOMPLETE;
	while (r == OP_ERR_INCOMPLETE && have < rlen) {
		size_t used;

		have++;
		r = proxy_hs_feed(hs, (const uint8_t *)reply + base,
			have - base, &used, out);
		if (r == 0 || r == OP_ERR_INCOMPLETE)
			base += used;
	}
	*tunnel_at = base;
done:
	(void)opbuf_put(sent, opbuf_ptr(out), opbuf_len(out));
	opbuf_free(out);
	return r;
}

static void
test_hs_http(void)
{
	struct proxy_conf pc = { .scheme = PROXY_HTTP, .port = 1 };
	struct opbuf *sent = opbuf_new(8192);
	struct proxy_hs hs;
	size_t at = 0;
	static const char ok[] = "HTTP/1.1 200 OK\r\n\r\nHELLO";
	static const char e407[] =
		"HTTP/1.1 407 Proxy Authentication Required\r\n"
		"Proxy-Authenticate: Basic realm=\"p\"\r\n\r\n";
	static const char e403[] = "HTTP/1.0 403 Filtered\r\n\r\n";

	strcpy(pc.host, "proxy");
	ASSERT_INT_EQ(drive(&pc, ok, sizeof(ok) - 1, &hs, &at, sent), 0);
	ASSERT_INT_EQ(at, sizeof(ok) - 1 - 5);
	ASSERT_INT_EQ(hs.http_status, 200);
	ASSERT_STR_CONTAINS(S(sent), "CONNECT target.example:21116");
	/* Done means done. */
	{
		size_t used;

		ASSERT_INT_EQ(proxy_hs_feed(&hs, (const uint8_t *)"x", 1, &used,
				      sent), OP_ERR_STATE);
	}
	ASSERT_INT_EQ(drive(&pc, e407, sizeof(e407) - 1, &hs, &at, sent),
		OP_ERR_AUTH);
	ASSERT_INT_EQ(hs.http_status, 407);
	ASSERT_STR_CONTAINS(hs.msg, "requires authentication");
	ASSERT_STR_CONTAINS(hs.msg, "Basic");
	strcpy(pc.user, "alice");
	strcpy(pc.password, "hunter2");
	opbuf_reset(sent);
	ASSERT_INT_EQ(drive(&pc, e407, sizeof(e407) - 1, &hs, &at, sent),
		OP_ERR_AUTH);
	ASSERT_STR_CONTAINS(hs.msg, "refused the credentials");
	ASSERT(strstr(hs.msg, "hunter2") == NULL);
	ASSERT_STR_CONTAINS(S(sent), "Proxy-Authorization: Basic ");
	ASSERT_INT_EQ(drive(&pc, e403, sizeof(e403) - 1, &hs, &at, sent),
		OP_ERR_DENIED);
	ASSERT_STR_CONTAINS(hs.msg, "403 Filtered");
	ASSERT_INT_EQ(drive(&pc, "HTTP/1.1 200 OK\r\nX\r\n\r\n", 21, &hs, &at,
			      sent), OP_ERR_PROTO);
	/* ':' in the user would make Basic ambiguous. */
	strcpy(pc.user, "a:b");
	ASSERT_INT_EQ(drive(&pc, ok, sizeof(ok) - 1, &hs, &at, sent),
		OP_ERR_CONFIG);
	opbuf_free(sent);
}

static void
test_hs_socks5(void)
{
	struct proxy_conf pc = { .scheme = PROXY_SOCKS5, .port = 1 };
	struct opbuf *sent = opbuf_new(8192);
	struct proxy_hs hs;
	size_t at = 0;
	/* method none, reply ok (IPv4), then tunnel bytes */
	static const char none_ok[] = "\x05\x00" "\x05\x00\x00\x01\x01\x02"
				      "\x03\x04\x00\x50" "HI";
	static const char up_ok[] = "\x05\x02" "\x01\x00" "\x05\x00\x00\x01"
				    "\x01\x02\x03\x04\x00\x50";
	static const char up_bad[] = "\x05\x02" "\x01\x01";
	static const char refused[] = "\x05\xff";
	static const char conn_refused[] = "\x05\x00" "\x05\x05\x00\x01\x00"
					   "\x00\x00\x00\x00\x00";

	strcpy(pc.host, "proxy");
	ASSERT_INT_EQ(drive(&pc, none_ok, sizeof(none_ok) - 1, &hs, &at, sent),
		0);
	ASSERT_INT_EQ(at, sizeof(none_ok) - 1 - 2);
	ASSERT_INT_EQ(hs.socks_reply, 0);
	ASSERT_INT_EQ(opbuf_len(sent), 3 + 4 + 1 + 14 + 2);
	ASSERT_INT_EQ(drive(&pc, refused, 2, &hs, &at, sent), OP_ERR_AUTH);
	ASSERT_STR_CONTAINS(hs.msg, "requires authentication");
	/* A method we did not offer. */
	ASSERT_INT_EQ(drive(&pc, up_ok, sizeof(up_ok) - 1, &hs, &at, sent),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(drive(&pc, conn_refused, sizeof(conn_refused) - 1, &hs,
			      &at, sent), UV_ECONNREFUSED);
	ASSERT_INT_EQ(hs.socks_reply, 5);
	ASSERT_STR_CONTAINS(hs.msg, "connection refused");

	strcpy(pc.user, "alice");
	strcpy(pc.password, "pw");
	opbuf_reset(sent);
	ASSERT_INT_EQ(drive(&pc, up_ok, sizeof(up_ok) - 1, &hs, &at, sent), 0);
	ASSERT_INT_EQ(at, sizeof(up_ok) - 1);
	ASSERT_MEM_EQ(opbuf_ptr(sent), "\x05\x02\x00\x02\x01\x05" "alice\x02"
					"pw", 14);
	ASSERT_INT_EQ(drive(&pc, up_bad, sizeof(up_bad) - 1, &hs, &at, sent),
		OP_ERR_AUTH);
	ASSERT_STR_CONTAINS(hs.msg, "refused the user name or password");
	ASSERT_INT_EQ(drive(&pc, "\x06\x00", 2, &hs, &at, sent), OP_ERR_PROTO);
	opbuf_free(sent);
}

static void
test_host_valid(void)
{
	char h[300];

	ASSERT(proxy_host_valid("a.example-1_x"));
	ASSERT(proxy_host_valid("::1"));
	ASSERT(proxy_host_valid("10.1.2.3"));
	ASSERT(!proxy_host_valid(""));
	ASSERT(!proxy_host_valid("a b"));
	ASSERT(!proxy_host_valid("a\r\nHost: x"));
	ASSERT(!proxy_host_valid("[::1]"));
	ASSERT(!proxy_host_valid("a:b"));
	memset(h, 'a', sizeof(h) - 1);
	h[sizeof(h) - 1] = '\0';
	ASSERT(!proxy_host_valid(h));
	h[255] = '\0';
	ASSERT(proxy_host_valid(h));
}

int
main(void)
{
	RUN(test_url_good);
	RUN(test_url_bad);
	RUN(test_http_request);
	RUN(test_http_head);
	RUN(test_socks5_parsers);
	RUN(test_socks5_requests);
	RUN(test_hs_http);
	RUN(test_hs_socks5);
	RUN(test_host_valid);
	return th_done();
}
