/* SPDX-License-Identifier: MIT */
/*
 * Session start (see session.h for what is implemented). The only peer
 * input read here is one frame, bounded to PREAUTH_MAX_FRAME and decoded
 * with the budgeted unpack; anything else closes the connection.
 */
#include "session/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/identity.h"
#include "net/framer.h"
#include "net/stream.h"
#include "wire/msg.h"

#define PREAUTH_MAX_FRAME 4096

struct session {
	struct session_env env;
	struct stream *s;
	struct framer *fr;
	uv_timer_t timer;
	enum conn_path path;
	bool secure;
	char peer[64];
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t box_sk[crypto_box_SECRETKEYBYTES];
	int pending;
	bool closing;
};

static void
maybe_free(struct session *ss)
{
	if (ss->pending > 0)
		return;
	if (ss->env.on_closed != NULL)
		ss->env.on_closed(ss->env.arg, ss);
	framer_free(ss->fr);
	sodium_memzero(ss, sizeof(*ss));
	free(ss);
}

static void
on_part_closed(void *arg)
{
	struct session *ss = arg;

	ss->pending--;
	maybe_free(ss);
}

static void
on_timer_closed(uv_handle_t *h)
{
	on_part_closed(h->data);
}

void
session_close(struct session *ss, const char *why)
{
	if (ss->closing)
		return;
	ss->closing = true;
	log_info("session from %s (%s) closed: %s", ss->peer,
		conn_path_name(ss->path), why);
	stream_close(ss->s, on_part_closed);
	uv_close((uv_handle_t *)&ss->timer, on_timer_closed);
}

static void
on_timeout(uv_timer_t *t)
{
	session_close(t->data, "handshake timed out");
}

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct session *ss = arg;
	Hbb__Message *m = NULL;
	const char *what = "an empty message (client could not verify us)";

	if (len > 0 && wire_msg_unpack(p, len, WIRE_BUDGET_FOR(len), &m) != 0) {
		session_close(ss, "malformed first message");
		return 1;
	}
	if (m != NULL && m->union_case == HBB__MESSAGE__UNION_PUBLIC_KEY)
		what = m->public_key->asymmetric_value.len == 32 ?
			"its PublicKey" :
			"an empty PublicKey (it could not verify our key)";
	else if (m != NULL && m->union_case == HBB__MESSAGE__UNION_LOGIN_REQUEST)
		what = "a LoginRequest";
	else if (m != NULL)
		what = "another message";
	log_info("session from %s (%s): client sent %s", ss->peer,
		conn_path_name(ss->path), what);
	wire_msg_free(m);
	session_close(ss, "login and sessions are not implemented in this "
			  "version");
	return 1;
}

static void
on_read(struct stream *s, void *arg, const uint8_t *d, size_t n)
{
	struct session *ss = arg;
	int r;

	(void)s;
	if (ss->closing)
		return;
	r = framer_feed(ss->fr, d, n, on_frame, ss);
	if (r < 0)
		session_close(ss, r == OP_ERR_TOO_LARGE ?
				"pre-login frame too large" :
				"unreadable data");
}

static void
on_end(struct stream *s, void *arg, int status)
{
	(void)s;
	(void)status;
	session_close(arg, "the client closed the connection");
}

/* §5.3 step 2: Message{signed_id = sign(IdPk{id, box pk})}, unencrypted. */
static int
send_signed_id(struct session *ss)
{
	Hbb__IdPk idpk = HBB__ID_PK__INIT;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__SignedId sid = HBB__SIGNED_ID__INIT;
	uint8_t raw[256];
	uint8_t signed_blob[IDENTITY_SIG_LEN + sizeof(raw)];
	struct opbuf *b;
	size_t len;
	int r;

	crypto_box_keypair(ss->box_pk, ss->box_sk);
	idpk.id = (char *)ss->env.id;
	idpk.pk.data = ss->box_pk;
	idpk.pk.len = sizeof(ss->box_pk);
	if (hbb__id_pk__get_packed_size(&idpk) > sizeof(raw))
		return OP_ERR_INTERNAL;
	len = hbb__id_pk__pack(&idpk, raw);
	identity_sign_combined(ss->env.key, raw, len, signed_blob);
	sid.id.data = signed_blob;
	sid.id.len = IDENTITY_SIG_LEN + len;
	m.union_case = HBB__MESSAGE__UNION_SIGNED_ID;
	m.signed_id = &sid;
	if ((b = opbuf_new(1024)) == NULL)
		return OP_ERR_NOMEM;
	if ((r = wire_msg_put_framed(b, &m)) == 0)
		r = stream_write(ss->s, opbuf_ptr(b), opbuf_len(b));
	opbuf_free(b);
	return r;
}

static void
peer_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char ip[64] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		uv_ip4_name((const struct sockaddr_in *)ss, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		uv_ip6_name((const struct sockaddr_in6 *)ss, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	snprintf(out, n, "%s:%u", ip, port);
}

struct session *
session_start(const struct session_env *env, struct stream *s,
	enum conn_path path, bool secure, const struct sockaddr_storage *peer)
{
	struct session *ss = calloc(1, sizeof(*ss));
	int r;

	if (ss == NULL || (ss->fr = framer_new(PREAUTH_MAX_FRAME)) == NULL) {
		free(ss);
		stream_close(s, NULL);
		return NULL;
	}
	ss->env = *env;
	ss->s = s;
	ss->path = path;
	ss->secure = secure;
	ss->pending = 2; /* stream + timer */
	peer_text(peer, ss->peer, sizeof(ss->peer));
	uv_timer_init(env->loop, &ss->timer);
	ss->timer.data = ss;
	uv_timer_start(&ss->timer, on_timeout,
		env->handshake_timeout_ms ? env->handshake_timeout_ms : 18000,
		0);
	log_info("session from %s over %s (%s)", ss->peer,
		conn_path_name(path), secure ? "secure handshake" :
					       "plaintext by protocol");
	if ((r = stream_start(s, on_read, on_end, ss)) != 0 ||
		(secure && (r = send_signed_id(ss)) != 0)) {
		session_close(ss, "cannot start the handshake");
		return NULL;
	}
	return ss;
}
