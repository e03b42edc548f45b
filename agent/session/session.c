/* SPDX-License-Identifier: MIT */
/*
 * Session life cycle and I/O: frame reassembly (small limit before
 * login), decryption with the per-direction counters, message dispatch
 * by state, the TestDelay keep-alive and the idle timeout. Peer bytes are
 * parsed only through the framer and the budgeted unpack. A peer error
 * closes this session only; nothing here may stop the daemon.
 */
#include "session/session-internal.h"
#include "session/session-input.h"
#include "session/session-video.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/text.h"
#include "core/time.h"
#include "net/framer.h"
#include "net/sockaddr.h"
#include "net/stream.h"
#include "wire/codec.h"

const char *
session_kind_name(enum session_kind k)
{
	static const char *const names[] = { "desktop", "file-transfer",
		"port-forward", "view-camera", "terminal" };

	return (unsigned)k < 5 ? names[k] : "unknown";
}

const char *
session_describe(const struct session *ss)
{
	return ss->desc;
}

void
session__info(const struct session *ss, struct session_info *out)
{
	out->peer_id = ss->peer_id;
	out->peer_name = ss->peer_name;
	out->source = &ss->peer_addr;
	out->via = ss->via_addr.ss_family != AF_UNSPEC ? &ss->via_addr : NULL;
	out->path = ss->path;
	out->encrypted = ss->encrypted;
	out->kind = ss->kind;
}

static void
maybe_free(struct session *ss)
{
	if (ss->pending > 0)
		return;
	if (ss->env.hooks != NULL && ss->env.hooks->closed != NULL)
		ss->env.hooks->closed(ss->env.arg, ss, ss->was_authorized,
			ss->close_reason);
	framer_free(ss->fr);
	channel_wipe(&ss->ch);
	sodium_memzero(ss, sizeof(*ss));
	free(ss);
}

void
session__unref(struct session *ss)
{
	ss->pending--;
	maybe_free(ss);
}

static void
on_part_closed(void *arg)
{
	session__unref(arg);
}

static void
on_deadline(uv_timer_t *t)
{
	struct session *ss = t->data;

	session_close(ss, ss->deadline_reason);
}

void
session_set_deadline(struct session *ss, unsigned seconds, const char *reason)
{
	/* The handshake timer is idle once the session is authorized. */
	if (ss->state != SS_AUTHORIZED || seconds == 0)
		return;
	snprintf(ss->deadline_reason, sizeof(ss->deadline_reason), "%s",
		reason);
	uv_timer_start(&ss->handshake_timer, on_deadline,
		(uint64_t)seconds * 1000u, 0);
}

void
session_set_tag(struct session *ss, int64_t tag)
{
	ss->tag = tag;
}

int64_t
session_tag(const struct session *ss)
{
	return ss->tag;
}

void
session_bytes(const struct session *ss, uint64_t *in, uint64_t *out)
{
	*in = ss->bytes_in;
	*out = ss->bytes_out;
}

unsigned
session_dropped(const struct session *ss)
{
	return ss->dropped;
}

unsigned
session_dropped_input(const struct session *ss)
{
	return ss->dropped_input;
}

uint64_t
session_client_id(const struct session *ss)
{
	return ss->client_session_id;
}

void
session_set_slot(struct session *ss, bool held)
{
	ss->slot = held;
}

bool
session_has_slot(const struct session *ss)
{
	return ss->slot;
}

bool
session_is_preauth(const struct session *ss)
{
	return !ss->slot && !ss->was_authorized;
}

const struct sockaddr_storage *
session_source(const struct session *ss)
{
	return &ss->peer_addr;
}

static void
on_handle_closed(uv_handle_t *h)
{
	on_part_closed(h->data);
}

int
session__send(struct session *ss, const Hbb__Message *m)
{
	struct opbuf *plain = opbuf_new(SESSION_MAX_FRAME);
	struct opbuf *framed = NULL;
	uint8_t *sealed = NULL;
	size_t len;
	int r;

	if (plain == NULL)
		return OP_ERR_NOMEM;
	if ((r = wire_msg_put(plain, m)) != 0)
		goto out;
	len = opbuf_len(plain);
	if ((framed = opbuf_new(len + CHANNEL_MAC_LEN + 8)) == NULL) {
		r = OP_ERR_NOMEM;
		goto out;
	}
	if (ss->encrypted) {
		if ((sealed = malloc(len + CHANNEL_MAC_LEN)) == NULL) {
			r = OP_ERR_NOMEM;
			goto out;
		}
		channel_seal(&ss->ch, opbuf_ptr(plain), len, sealed);
		r = codec_put_frame(framed, sealed, len + CHANNEL_MAC_LEN);
	} else {
		r = codec_put_frame(framed, opbuf_ptr(plain), len);
	}
	if (r == 0)
		r = stream_write(ss->s, opbuf_ptr(framed), opbuf_len(framed));
	if (r == 0)
		ss->bytes_out += opbuf_len(framed);
out:
	free(sealed);
	opbuf_free(framed);
	opbuf_free(plain);
	return r;
}

static void
send_close_reason(struct session *ss, const char *reason)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;

	misc.union_case = HBB__MISC__UNION_CLOSE_REASON;
	misc.close_reason = (char *)reason;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	(void)session__send(ss, &m);
}

/*
 * Closes the session. peer_reason, when not NULL, is sent to the client
 * as Misc.close_reason (a stock string it shows); why is what the log
 * line and the audit record say: who ended it and for what. A reason
 * kept by session__close_later wins over a later generic one.
 */
static void
close_with(struct session *ss, const char *peer_reason, const char *why)
{
	if (ss->state == SS_CLOSING)
		return;
	if (peer_reason != NULL && ss->state != SS_HANDSHAKE)
		send_close_reason(ss, peer_reason);
	ss->state = SS_CLOSING;
	if (!ss->closing_soon || ss->close_reason[0] == '\0')
		snprintf(ss->close_reason, sizeof(ss->close_reason), "%s",
			why);
	session__input_stop(ss);
	session__files_stop(ss);
	session__term_stop(ss, "the session ended");
	session__audio_close(ss);
	session__screen_release(ss);
	log_info("session %s closed: %s", ss->desc, ss->close_reason);
	if (ss->env.hooks != NULL && ss->env.hooks->closing != NULL)
		ss->env.hooks->closing(ss->env.arg, ss);
	stream_close(ss->s, on_part_closed);
	uv_close((uv_handle_t *)&ss->handshake_timer, on_handle_closed);
	uv_close((uv_handle_t *)&ss->tick, on_handle_closed);
	uv_close((uv_handle_t *)&ss->drain, on_handle_closed);
}

void
session_close(struct session *ss, const char *reason)
{
	close_with(ss, reason,
		reason != NULL ? reason : "closed by the host");
}

static void __attribute__((format(printf, 3, 0)))
vclose(struct session *ss, const char *peer_reason, const char *fmt,
	va_list ap)
{
	char why[sizeof(ss->close_reason)];

	vsnprintf(why, sizeof(why), fmt, ap);
	close_with(ss, peer_reason, why);
}

void
session__abort(struct session *ss, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vclose(ss, NULL, fmt, ap);
	va_end(ap);
}

void
session__refuse(struct session *ss, const char *peer_reason,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vclose(ss, peer_reason, fmt, ap);
	va_end(ap);
}

static void
on_close_later(uv_timer_t *t)
{
	struct session *ss = t->data;

	close_with(ss, NULL, ss->close_reason);
}

/* Stops reading, keeps the connection a moment so the client can show
 * the error it was just sent, then closes. */
void
session__close_later(struct session *ss, const char *reason)
{
	if (ss->state == SS_CLOSING)
		return;
	snprintf(ss->close_reason, sizeof(ss->close_reason), "%s", reason);
	stream_pause(ss->s);
	uv_timer_stop(&ss->tick);
	uv_timer_start(&ss->handshake_timer, on_close_later,
		ss->env.close_delay_ms, 0);
	log_info("session %s: %s", ss->desc, reason);
	ss->closing_soon = true;
}

static void
on_handshake_timeout(uv_timer_t *t)
{
	struct session *ss = t->data;

	if (ss->state == SS_HANDSHAKE)
		session__abort(ss, "no key exchange within %u s",
			ss->env.handshake_timeout_ms / 1000);
	else
		session__abort(ss, "no login within %u s",
			ss->env.login_timeout_ms / 1000);
}

void
session__arm_login_deadline(struct session *ss)
{
	uint64_t spent = op_now_ms() - ss->started_ms;

	if (spent >= ss->env.login_timeout_ms) {
		on_handshake_timeout(&ss->handshake_timer);
		return;
	}
	uv_timer_start(&ss->handshake_timer, on_handshake_timeout,
		ss->env.login_timeout_ms - spent, 0);
}

static void
send_test_delay(struct session *ss)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__TestDelay td = HBB__TEST_DELAY__INIT;

	td.time = (int64_t)(op_wall_us() / 1000);
	td.last_delay = ss->rtt_ms;
	td.target_bitrate = session__video_kbps(ss->video);
	m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
	m.test_delay = &td;
	(void)session__send(ss, &m);
}

static void
on_tick(uv_timer_t *t)
{
	struct session *ss = t->data;

	if (op_now_ms() - ss->last_rx_ms > ss->env.idle_timeout_ms) {
		session_close(ss, "Connection timed out (no data for 30 s)");
		return;
	}
	/* policy.limits.idle_timeout: no input from the technician. */
	if (ss->state == SS_AUTHORIZED && ss->idle_s > 0 &&
		op_now_ms() - ss->last_input_ms > (uint64_t)ss->idle_s * 1000u) {
		session_close(ss, "Connection failed due to inactivity");
		return;
	}
	/* §13.1: the host keeps TestDelay flowing; it is the keep-alive. */
	if (ss->state != SS_HANDSHAKE)
		send_test_delay(ss);
}

#define DROP_LOG_INTERVAL_MS 5000

void
session__dropped(struct session *ss, const char *what, int r)
{
	uint64_t now = op_now_ms();

	ss->dropped_input++;
	if (now - ss->drop_log_ms >= DROP_LOG_INTERVAL_MS) {
		log_warn("session %s: %s dropped (%s); %u dropped so far",
			ss->desc, what, op_strerror(r), ss->dropped_input);
		ss->drop_log_ms = now;
	}
}

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct session *ss = arg;
	Hbb__Message *m = NULL;
	uint8_t *plain = NULL;
	size_t plen = len;
	bool passthru = false;
	int r;

	ss->last_rx_ms = op_now_ms();
	if ((ss->state == SS_HANDSHAKE || ss->state == SS_LOGIN) &&
		(++ss->preauth_frames > SESSION_PREAUTH_MAX_FRAMES ||
			ss->bytes_in > SESSION_PREAUTH_MAX_BYTES)) {
		session__abort(ss, "protocol error: more than %u frames or "
				   "%u KiB before login",
			SESSION_PREAUTH_MAX_FRAMES,
			SESSION_PREAUTH_MAX_BYTES / 1024);
		return 1;
	}
	if (ss->encrypted) {
		if ((plain = malloc(len + 1)) == NULL) {
			session__abort(ss, "out of memory");
			return 1;
		}
		if (channel_open(&ss->ch, p, len, plain, &plen, &passthru) !=
			0) {
			free(plain);
			/* Wrong key, wrong nonce, replay or tampering. */
			session__abort(ss, "protocol error: a frame of %zu "
					   "bytes failed to decrypt",
				len);
			return 1;
		}
		p = plain;
		if (passthru) { /* 0/1-byte frames are never messages */
			free(plain);
			return 0;
		}
	}
	if (plen > 0 &&
		(r = wire_msg_unpack(p, plen, WIRE_BUDGET_PEER(plen), &m)) != 0) {
		free(plain);
		session__abort(ss, "protocol error: a message of %zu bytes "
				   "does not decode (%s)",
			plen, op_strerror(r));
		return 1;
	}
	if (m == NULL) { /* empty Message */
		Hbb__Message empty = HBB__MESSAGE__INIT;

		r = session__dispatch(ss, &empty);
	} else {
		r = session__dispatch(ss, m);
	}
	if (r == SESSION_MSG_TAKEN) {
		m = NULL; /* a handler keeps it (file transfer's queue) */
		r = 0;
	}
	/* A handler that failed without closing: the frame is not retried
	 * (its nonce is spent), so the session ends, naming the message. */
	if (r < 0 && ss->state != SS_CLOSING) {
		char kind[48];

		session__abort(ss, "protocol error: %s refused (%s)",
			wire_msg_kind_name(m, kind, sizeof(kind)),
			op_strerror(r));
	}
	wire_msg_free(m);
	free(plain);
	return ss->state == SS_CLOSING || r < 0 ? 1 : 0;
}

static void on_drain(uv_idle_t *h);

/* Feeds what arrived (or, with n == 0, what is buffered) through the
 * framer, a bounded number of messages at a time: while complete frames
 * wait, reading pauses and the rest is handled on the next loop turns. */
static void
feed(struct session *ss, const uint8_t *d, size_t n)
{
	bool more = false;
	int r;

	r = framer_feed_some(ss->fr, d, n, SESSION_FRAMES_PER_TURN, on_frame,
		ss, &more);
	if (r < 0 && ss->state != SS_CLOSING) {
		if (r == OP_ERR_TOO_LARGE)
			session__abort(ss, "protocol error: a frame above the "
					   "%s limit",
				ss->state == SS_AUTHORIZED ? "session" :
							     "pre-login");
		else
			session__abort(ss, "protocol error: unreadable "
					   "framing (%s)",
				op_strerror(r));
		return;
	}
	if (ss->state == SS_CLOSING || r != 0)
		return;
	if (more && !(ss->read_holds & SESSION_HOLD_FILES)) {
		if (!uv_is_active((uv_handle_t *)&ss->drain)) {
			session__hold_reading(ss, SESSION_HOLD_DRAIN, true);
			uv_idle_start(&ss->drain, on_drain);
		}
	} else if (!more && uv_is_active((uv_handle_t *)&ss->drain)) {
		uv_idle_stop(&ss->drain);
		session__hold_reading(ss, SESSION_HOLD_DRAIN, false);
	}
}

void
session__hold_reading(struct session *ss, unsigned why, bool hold)
{
	unsigned before = ss->read_holds;

	if (hold)
		ss->read_holds |= why;
	else
		ss->read_holds &= ~why;
	if (ss->state == SS_CLOSING || ss->closing_soon)
		return;
	if (before == 0 && ss->read_holds != 0)
		stream_pause(ss->s);
	else if (before != 0 && ss->read_holds == 0)
		(void)stream_resume(ss->s);
	/* Frames already buffered wait for the hold to end too. */
	if (!hold && why == SESSION_HOLD_FILES && ss->read_holds == 0 &&
		!uv_is_active((uv_handle_t *)&ss->drain))
		uv_idle_start(&ss->drain, on_drain);
}

static void
on_drain(uv_idle_t *h)
{
	struct session *ss = h->data;

	if (ss->state == SS_CLOSING || ss->closing_soon ||
		(ss->read_holds & SESSION_HOLD_FILES)) {
		uv_idle_stop(h); /* the files hold restarts it */
		return;
	}
	feed(ss, NULL, 0);
}

static void
on_read(struct stream *s, void *arg, const uint8_t *d, size_t n)
{
	struct session *ss = arg;

	(void)s;
	if (ss->state == SS_CLOSING || ss->closing_soon)
		return;
	ss->bytes_in += n;
	feed(ss, d, n);
}

/* EOF or an error from the other end. Over a relay the relay server is
 * what hung up: it does so when the client leaves or after 30 s of
 * silence, and cannot tell us which. */
static void
on_end(struct stream *s, void *arg, int status)
{
	struct session *ss = arg;
	bool relay = ss->path == CONN_PATH_RELAY_HOST ||
		ss->path == CONN_PATH_RELAY_CLIENT;
	const char *who = relay ?
		"the relay closed the connection (client gone or relay "
		"timeout)" :
		"the client closed the connection";

	(void)s;
	if (status == UV_EOF || status == 0)
		session__abort(ss, "%s", who);
	else
		session__abort(ss, "connection error: %s", uv_strerror(status));
}

static void
format_addr(const struct sockaddr_storage *a, char *buf, size_t n)
{
	sockaddr_format(a, buf, n);
	if (buf[0] == '\0')
		snprintf(buf, n, "an unknown address");
}

/* "ID from ADDR (path)" for every log line about this session. The ID
 * is the client's to choose: escaped, so it cannot forge log lines. */
void
session__describe(struct session *ss)
{
	char id[96], from[80], via[80] = "";

	op_excerpt(ss->peer_id, strlen(ss->peer_id), 40, id, sizeof(id));
	format_addr(&ss->peer_addr, from, sizeof(from));
	if (ss->via_addr.ss_family != AF_UNSPEC) {
		char r[72];

		format_addr(&ss->via_addr, r, sizeof(r));
		snprintf(via, sizeof(via), " via %s", r);
	}
	snprintf(ss->desc, sizeof(ss->desc), "%s%sfrom %s (%s%s)", id,
		id[0] ? " " : "", from, conn_path_name(ss->path), via);
}

struct session *
session_start(const struct session_env *env, struct stream *s,
	enum conn_path path, bool secure, const struct sockaddr_storage *peer,
	const struct sockaddr_storage *via)
{
	struct session *ss = calloc(1, sizeof(*ss));
	int r;

	if (ss == NULL ||
		(ss->fr = framer_new(SESSION_PREAUTH_MAX_FRAME)) == NULL) {
		free(ss);
		stream_close(s, NULL);
		return NULL;
	}
	ss->env = *env;
	if (ss->env.idle_timeout_ms == 0)
		ss->env.idle_timeout_ms = 30000;
	if (ss->env.handshake_timeout_ms == 0)
		ss->env.handshake_timeout_ms = 18000;
	if (ss->env.login_timeout_ms == 0)
		ss->env.login_timeout_ms = 60000;
	if (ss->env.close_delay_ms == 0)
		ss->env.close_delay_ms = SESSION_CLOSE_DELAY_MS;
	ss->s = s;
	ss->path = path;
	ss->secure = secure;
	ss->peer_addr = *peer;
	if (via != NULL)
		ss->via_addr = *via;
	ss->last_rx_ms = ss->started_ms = op_now_ms();
	ss->pending = 4; /* stream, two timers, the drain idle */
	session__describe(ss);
	uv_timer_init(env->loop, &ss->handshake_timer);
	uv_timer_init(env->loop, &ss->tick);
	uv_idle_init(env->loop, &ss->drain);
	ss->handshake_timer.data = ss->tick.data = ss->drain.data = ss;
	/* Secure: the key exchange within 18 s, then the login deadline
	 * (armed at PublicKey); plaintext: the login deadline at once. */
	if (secure)
		uv_timer_start(&ss->handshake_timer, on_handshake_timeout,
			ss->env.handshake_timeout_ms, 0);
	else
		session__arm_login_deadline(ss);
	uv_timer_start(&ss->tick, on_tick, SESSION_TEST_DELAY_MS,
		SESSION_TEST_DELAY_MS);
	log_info("session %s: %s", ss->desc,
		secure ? "secure handshake" : "plaintext by protocol");
	if ((r = stream_start(s, on_read, on_end, ss)) != 0) {
		session_close(ss, NULL);
		return NULL;
	}
	if (secure) {
		ss->state = SS_HANDSHAKE;
		r = session__send_signed_id(ss);
	} else {
		ss->state = SS_LOGIN;
		r = session__send_hash(ss);
	}
	if (r != 0) {
		session_close(ss, NULL);
		return NULL;
	}
	return ss;
}
