/* SPDX-License-Identifier: MIT */
/*
 * The TLS backend of struct stream: an mbedTLS 2.28 client over another
 * stream (TCP to an HTTPS proxy). mbedTLS never touches a socket: its BIO
 * callbacks read from a bounded memory buffer that the inner stream's
 * on_read fills and write into the inner stream's queue, so nothing
 * blocks and everything runs on the loop.
 *
 * Trust: the chain must verify against the configured CA file or the
 * system store and the certificate must match the hostname (SNI is sent
 * too); anything else fails the handshake (MBEDTLS_SSL_VERIFY_REQUIRED).
 * The leaf certificate's subject, issuer and SHA-256 are recorded even
 * when it is refused, so `outpost doctor` can show an intercepting proxy.
 *
 * Must not: deliver plaintext before the handshake verified the peer,
 * treat a connection cut without close_notify as an orderly end (it could
 * be a truncation), or buffer more than TLS_IN_MAX bytes of ciphertext.
 */
#include "net/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/stream-internal.h"

/* Debian's bundle. Windows has no such file (its store is behind
 * CertOpenSystemStore, not read yet): there ca_file must be given. */
#define TLS_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define TLS_IN_MAX (256u << 10)

enum tls_state {
	TLS_HANDSHAKE,
	TLS_OPEN,
	TLS_ENDED,  /* close_notify, EOF or error after the handshake */
	TLS_FAILED, /* the handshake failed */
};

struct stream_tls {
	struct stream base;
	struct stream *inner;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_entropy_context entropy;
	struct opbuf *in; /* ciphertext received, not yet read by mbedTLS */
	enum tls_state state;
	stream_tls_done_fn done_cb;
	void *done_arg;
	bool done_pending; /* done_cb not called yet */
	bool reading;
	bool inner_eof;
	int inner_status;
	int send_err;
	bool have_cert;
	struct stream_tls_cert_info cert;
	char host[256];
	char err[320];
	uint8_t rbuf[16384];
};

static const struct stream_impl stream_tls_impl;

static struct stream_tls *
tls_of(const struct stream *s)
{
	return (struct stream_tls *)s;
}

/* One line of mbedTLS text, newlines turned into "; ". */
static void
flatten(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\n')
			*p = ';';
}

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct stream_tls *t = ctx;
	int r;

	if (len > INT32_MAX)
		len = INT32_MAX;
	if ((r = stream_write(t->inner, buf, len)) != 0) {
		t->send_err = r;
		return MBEDTLS_ERR_NET_SEND_FAILED;
	}
	return (int)len;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct stream_tls *t = ctx;
	size_t n = opbuf_len(t->in);

	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	if (n > INT32_MAX)
		n = INT32_MAX;
	(void)opbuf_get(t->in, buf, n);
	return (int)n;
}

/* Records the leaf certificate (depth 0); the chain is judged by mbedTLS
 * itself, this callback changes no flags. */
static int
verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct stream_tls *t = ctx;

	if (depth != 0)
		return 0;
	if (mbedtls_x509_dn_gets(t->cert.subject, sizeof(t->cert.subject),
		    &crt->subject) < 0)
		t->cert.subject[0] = '\0';
	if (mbedtls_x509_dn_gets(t->cert.issuer, sizeof(t->cert.issuer),
		    &crt->issuer) < 0)
		t->cert.issuer[0] = '\0';
	if (mbedtls_sha256_ret(crt->raw.p, crt->raw.len, t->cert.sha256, 0) !=
		0)
		memset(t->cert.sha256, 0, sizeof(t->cert.sha256));
	t->cert.verify_flags = *flags;
	t->have_cert = true;
	return 0;
}

static void
record_verify_result(struct stream_tls *t)
{
	uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);

	if (!t->have_cert)
		return;
	if (flags != (uint32_t)-1)
		t->cert.verify_flags = flags;
	t->cert.verify_text[0] = '\0';
	if (t->cert.verify_flags != 0 &&
		mbedtls_x509_crt_verify_info(t->cert.verify_text,
			sizeof(t->cert.verify_text), "",
			t->cert.verify_flags) < 0)
		t->cert.verify_text[0] = '\0';
	flatten(t->cert.verify_text);
}

static void
handshake_done(struct stream_tls *t, int status)
{
	t->state = status == 0 ? TLS_OPEN : TLS_FAILED;
	t->done_pending = false;
	t->done_cb(t->done_arg, status);
}

static void
handshake_failed(struct stream_tls *t, int mr)
{
	char e[160];
	int status = OP_ERR_CRYPTO;

	record_verify_result(t);
	if (mr == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		snprintf(t->err, sizeof(t->err),
			"TLS: the certificate of %s is not trusted: %s "
			"(subject %s, issuer %s)", t->host,
			t->cert.verify_text[0] ? t->cert.verify_text :
						 "verification failed",
			t->cert.subject, t->cert.issuer);
	} else if (mr == MBEDTLS_ERR_NET_SEND_FAILED && t->send_err != 0) {
		status = t->send_err;
		snprintf(t->err, sizeof(t->err),
			"TLS handshake with %s: cannot send: %s", t->host,
			op_strerror(t->send_err));
	} else if (mr == MBEDTLS_ERR_SSL_WANT_READ && t->inner_eof) {
		status = t->inner_status != 0 ? t->inner_status :
						UV_ECONNRESET;
		snprintf(t->err, sizeof(t->err),
			"TLS handshake with %s: the connection was closed "
			"(is this really a TLS proxy?)", t->host);
	} else {
		mbedtls_strerror(mr, e, sizeof(e));
		snprintf(t->err, sizeof(t->err),
			"TLS handshake with %s failed: %s (-0x%04x)", t->host,
			e, (unsigned)-mr);
	}
	handshake_done(t, status);
}

static void
end_open(struct stream_tls *t, int status)
{
	t->state = TLS_ENDED;
	stream__end(&t->base, status);
}

/*
 * Moves things along after input arrived or reading resumed: the
 * handshake first, then records while the owner wants data. Owner
 * callbacks may close or pause the stream; every loop re-checks.
 */
static void
tls_pump(struct stream_tls *t)
{
	int n;

	if (t->state == TLS_HANDSHAKE) {
		n = mbedtls_ssl_handshake(&t->ssl);
		if ((n == MBEDTLS_ERR_SSL_WANT_READ ||
			    n == MBEDTLS_ERR_SSL_WANT_WRITE) &&
			!t->inner_eof)
			return;
		if (n != 0) {
			handshake_failed(t, n);
			return;
		}
		record_verify_result(t);
		handshake_done(t, 0);
		if (t->base.closing)
			return;
		if (!t->reading)
			stream_pause(t->inner);
	}
	while (t->state == TLS_OPEN && t->reading && !t->base.closing) {
		n = mbedtls_ssl_read(&t->ssl, t->rbuf, sizeof(t->rbuf));
		if (n > 0) {
			stream__deliver(&t->base, t->rbuf, (size_t)n);
			continue;
		}
		if (n == MBEDTLS_ERR_SSL_WANT_READ ||
			n == MBEDTLS_ERR_SSL_WANT_WRITE) {
			/* Cut without close_notify: maybe truncated. */
			if (t->inner_eof)
				end_open(t, t->inner_status != 0 ?
						t->inner_status :
						UV_ECONNRESET);
			return;
		}
		if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			end_open(t, 0);
			return;
		}
		{
			char e[160];

			mbedtls_strerror(n, e, sizeof(e));
			snprintf(t->err, sizeof(t->err), "TLS: %s (-0x%04x)",
				e, (unsigned)-n);
		}
		end_open(t, OP_ERR_CRYPTO);
	}
}

static void
on_inner_read(struct stream *inner, void *arg, const uint8_t *data,
	size_t len)
{
	struct stream_tls *t = arg;

	(void)inner;
	if (opbuf_put(t->in, data, len) != 0) {
		snprintf(t->err, sizeof(t->err),
			"TLS: more than %u bytes of unprocessed input",
			TLS_IN_MAX);
		if (t->state == TLS_HANDSHAKE)
			handshake_done(t, OP_ERR_TOO_LARGE);
		else if (t->state == TLS_OPEN)
			end_open(t, OP_ERR_TOO_LARGE);
		return;
	}
	tls_pump(t);
}

static void
on_inner_end(struct stream *inner, void *arg, int status)
{
	struct stream_tls *t = arg;

	(void)inner;
	t->inner_eof = true;
	t->inner_status = status;
	if (t->state == TLS_OPEN && !t->reading)
		return; /* noticed when the owner reads again */
	tls_pump(t);
}

static int
tls_write(struct stream *s, const uint8_t *data, size_t len)
{
	struct stream_tls *t = tls_of(s);
	size_t q = stream_queued(t->inner);
	int n;

	if (t->state != TLS_OPEN)
		return t->state == TLS_ENDED && s->end_status != 0 ?
			s->end_status : OP_ERR_STATE;
	if (len > s->max_queue || q > s->max_queue - len)
		return OP_ERR_TOO_LARGE;
	while (len > 0) {
		n = mbedtls_ssl_write(&t->ssl, data, len);
		if (n <= 0) {
			int r = t->send_err != 0 ? t->send_err : OP_ERR_CRYPTO;

			/* The record stream is broken either way. */
			end_open(t, r);
			return r;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
tls_read_start(struct stream *s)
{
	struct stream_tls *t = tls_of(s);
	int r;

	t->reading = true;
	if (t->state == TLS_OPEN && !t->inner_eof &&
		(r = stream_resume(t->inner)) != 0)
		return r;
	tls_pump(t);
	return 0;
}

static void
tls_read_stop(struct stream *s)
{
	struct stream_tls *t = tls_of(s);

	t->reading = false;
	if (t->state == TLS_OPEN)
		stream_pause(t->inner);
}

static void
on_inner_closed(void *arg)
{
	struct stream_tls *t = arg;

	/* Like a libuv request on a closed handle: cancelled, and reported
	 * before the close callback. */
	if (t->done_pending) {
		t->done_pending = false;
		t->done_cb(t->done_arg, UV_ECANCELED);
	}
	stream__closed(&t->base);
}

static void
tls_close(struct stream *s)
{
	struct stream_tls *t = tls_of(s);

	if (t->state == TLS_OPEN)
		(void)mbedtls_ssl_close_notify(&t->ssl);
	stream_close(t->inner, on_inner_closed);
}

static size_t
tls_queued(const struct stream *s)
{
	return stream_queued(tls_of(s)->inner);
}

static int
tls_peer(const struct stream *s, struct sockaddr_storage *out)
{
	return stream_peer(tls_of(s)->inner, out);
}

static int
tls_local(const struct stream *s, struct sockaddr_storage *out)
{
	return stream_local(tls_of(s)->inner, out);
}

static void
tls_destroy(struct stream *s)
{
	struct stream_tls *t = tls_of(s);

	mbedtls_ssl_free(&t->ssl);
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	opbuf_free(t->in);
	free(t);
}

static const struct stream_impl stream_tls_impl = {
	.name = "tls",
	.write = tls_write,
	.read_start = tls_read_start,
	.read_stop = tls_read_stop,
	.close = tls_close,
	.queued = tls_queued,
	.peer = tls_peer,
	.local = tls_local,
	.destroy = tls_destroy,
};

static int
tls_setup(struct stream_tls *t, const struct stream_tls_opts *opts)
{
	static const unsigned char pers[] = "outpost-net-tls";
	const char *ca = opts->ca_file != NULL && opts->ca_file[0] != '\0' ?
		opts->ca_file : TLS_SYSTEM_CA_FILE;
	int r;

	mbedtls_ssl_init(&t->ssl);
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_entropy_init(&t->entropy);
	if ((t->in = opbuf_new(TLS_IN_MAX)) == NULL)
		return OP_ERR_NOMEM;
	if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
		    pers, sizeof(pers) - 1) != 0)
		return OP_ERR_CRYPTO;
	/* A bundle may hold certificates mbedTLS cannot parse (r > 0); it is
	 * usable as long as one parsed. */
	r = mbedtls_x509_crt_parse_file(&t->ca, ca);
	if (r < 0 || t->ca.version == 0)
		return OP_ERR_CONFIG;
	if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
		    MBEDTLS_SSL_TRANSPORT_STREAM,
		    MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		return OP_ERR_CRYPTO;
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_verify(&t->conf, verify_cb, t);
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
		MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */
	if (mbedtls_ssl_setup(&t->ssl, &t->conf) != 0 ||
		mbedtls_ssl_set_hostname(&t->ssl, t->host) != 0)
		return OP_ERR_CRYPTO;
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	return 0;
}

int
stream_tls_new(struct stream *inner, const struct stream_tls_opts *opts,
	stream_tls_done_fn cb, void *arg, struct stream **out)
{
	struct stream_tls *t;
	int r;

	*out = NULL;
	if (opts->hostname == NULL || opts->hostname[0] == '\0' ||
		strlen(opts->hostname) >= sizeof(t->host)) {
		stream_close(inner, NULL);
		return OP_ERR_CONFIG;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		stream_close(inner, NULL);
		return OP_ERR_NOMEM;
	}
	if ((r = stream__init(&t->base, &stream_tls_impl, inner->loop)) != 0) {
		free(t);
		stream_close(inner, NULL);
		return r;
	}
	t->inner = inner;
	t->done_cb = cb;
	t->done_arg = arg;
	snprintf(t->host, sizeof(t->host), "%s", opts->hostname);
	if ((r = tls_setup(t, opts)) != 0)
		goto fail;
	/* The TLS layer bounds the queue (tls_write); the inner stream must
	 * never refuse a record half-way. */
	stream_set_max_queue(inner, SIZE_MAX);
	if ((r = stream_start(inner, on_inner_read, on_inner_end, t)) != 0)
		goto fail;
	/* Sends the ClientHello now; the rest runs from on_inner_read. */
	r = mbedtls_ssl_handshake(&t->ssl);
	if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
		r = t->send_err != 0 ? t->send_err : OP_ERR_CRYPTO;
		goto fail;
	}
	t->state = TLS_HANDSHAKE;
	t->done_pending = true;
	*out = &t->base;
	return 0;
fail:
	stream_close(inner, NULL);
	stream__abort(&t->base);
	return r;
}

int
stream_tls_peer_cert_info(const struct stream *s,
	struct stream_tls_cert_info *out)
{
	const struct stream_tls *t = tls_of(s);

	memset(out, 0, sizeof(*out));
	if (s->impl != &stream_tls_impl)
		return OP_ERR_UNSUPPORTED;
	if (!t->have_cert)
		return OP_ERR_NOT_FOUND;
	*out = t->cert;
	return 0;
}

const char *
stream_tls_error(const struct stream *s)
{
	if (s->impl != &stream_tls_impl)
		return "";
	return tls_of(s)->err;
}
