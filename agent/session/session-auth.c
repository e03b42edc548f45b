/* SPDX-License-Identifier: MIT */
/*
 * The secure handshake (spec §5.3) and login (§6): SignedId, the client's
 * PublicKey, Hash, and the LoginRequest decision in RustDesk's order.
 * Passwords are compared only as SHA-256 proofs, in constant time; no
 * password material is logged. Error strings are RustDesk's, so stock
 * clients show the right dialog.
 */
#include "session/session-internal.h"
#include "session/session-input.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/identity.h"
#include "monitor/secrets.h"
#include "net/framer.h"
#include "net/stream.h"
#include "xfer/xfer.h"

#define ERR_ENCRYPTION_REQUIRED                                          \
	"Encryption required by host policy: this host refuses "        \
	"unencrypted sessions. Configure the rendezvous server key "    \
	"(key option) in your client."

int
session__send_signed_id(struct session *ss)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__SignedId sid = HBB__SIGNED_ID__INIT;
	uint8_t blob[SECRETS_SIGNED_ID_MAX];
	const struct session_secrets *sec = ss->env.secrets;
	int n;

	crypto_box_keypair(ss->box_pk, ss->box_sk);
	n = sec != NULL ?
		sec->signed_id(sec->arg, ss->box_pk, blob, sizeof(blob)) :
		secrets_signed_id(ss->env.key, ss->env.id, ss->box_pk, blob,
			sizeof(blob));
	if (n < 0) {
		log_error_r(n, "session %s: signing our key", ss->desc);
		return n;
	}
	sid.id.data = blob;
	sid.id.len = (size_t)n;
	m.union_case = HBB__MESSAGE__UNION_SIGNED_ID;
	m.signed_id = &sid;
	return session__send(ss, &m); /* not encrypted: no key yet */
}

int
session__send_hash(struct session *ss)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Hash h = HBB__HASH__INIT;
	char salt[PASSWORD_SALT_LEN + 1];

	password_gen_challenge(ss->challenge);
	snprintf(salt, sizeof(salt), "%s", ss->env.creds->s.salt);
	h.salt = salt;
	h.challenge = ss->challenge;
	m.union_case = HBB__MESSAGE__UNION_HASH;
	m.hash = &h;
	return session__send(ss, &m);
}

static void
send_login_error(struct session *ss, const char *error)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginResponse lr = HBB__LOGIN_RESPONSE__INIT;

	lr.union_case = HBB__LOGIN_RESPONSE__UNION_ERROR;
	lr.error = (char *)error;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_RESPONSE;
	m.login_response = &lr;
	(void)session__send(ss, &m);
}

static void
refuse(struct session *ss, const char *error)
{
	send_login_error(ss, error);
	session__close_later(ss, error);
}

int
session__on_public_key(struct session *ss, const Hbb__Message *m)
{
	const Hbb__PublicKey *pk = m->union_case ==
			HBB__MESSAGE__UNION_PUBLIC_KEY ?
		m->public_key :
		NULL;
	uint8_t key[CHANNEL_KEY_LEN];

	/* The key exchange is over: from now the login deadline counts. */
	session__arm_login_deadline(ss);
	if (ss->state == SS_CLOSING)
		return OP_ERR_STATE;
	if (pk != NULL && pk->asymmetric_value.len == CHANNEL_BOX_PK_LEN) {
		if (channel_open_session_key(pk->symmetric_value.data,
			    pk->symmetric_value.len, pk->asymmetric_value.data,
			    pk->asymmetric_value.len, ss->box_sk, key) != 0) {
			session__abort(ss, "protocol error: the key exchange "
					   "failed (PublicKey does not open)");
			return OP_ERR_CRYPTO;
		}
		channel_init(&ss->ch, key);
		sodium_memzero(key, sizeof(key));
		sodium_memzero(ss->box_sk, sizeof(ss->box_sk));
		ss->encrypted = true;
		ss->state = SS_LOGIN;
		return session__send_hash(ss);
	}
	if (pk != NULL && pk->asymmetric_value.len != 0) {
		session__abort(ss, "protocol error: a PublicKey of %zu bytes",
			pk->asymmetric_value.len);
		return OP_ERR_PROTO;
	}
	/* An empty PublicKey (the client could not verify our SignedId) or
	 * any other message (it has no key for us at all): stock RustDesk
	 * silently continues in plaintext. We refuse by default (S2). */
	if (ss->env.hooks != NULL && ss->env.hooks->key_unverified != NULL)
		ss->env.hooks->key_unverified(ss->env.arg);
	ss->state = SS_LOGIN;
	if (ss->env.require_encryption) {
		log_warn("session %s: the client could not set up encryption; "
			 "refused (security.require_encryption)",
			ss->desc);
		refuse(ss, ERR_ENCRYPTION_REQUIRED);
		return 0;
	}
	log_warn("session %s: continuing UNENCRYPTED (the client could not "
		 "verify this host)",
		ss->desc);
	return session__send_hash(ss);
}

static void
copy_bounded(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static enum session_kind
kind_of(const Hbb__LoginRequest *lr)
{
	switch (lr->union_case) {
	case HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER:
		return SESSION_FILE_TRANSFER;
	case HBB__LOGIN_REQUEST__UNION_PORT_FORWARD:
		return SESSION_PORT_FORWARD;
	case HBB__LOGIN_REQUEST__UNION_VIEW_CAMERA:
		return SESSION_VIEW_CAMERA;
	case HBB__LOGIN_REQUEST__UNION_TERMINAL:
		return SESSION_TERMINAL;
	default:
		return SESSION_DESKTOP;
	}
}

/* §6.6 step 2: the first LoginRequest fixes who and what; a later one
 * asking for something else is refused. */
static bool
scope_matches(struct session *ss, const Hbb__LoginRequest *lr)
{
	crypto_generichash_state st;
	uint8_t digest[crypto_generichash_BYTES];
	uint8_t kind = (uint8_t)kind_of(lr);
	uint8_t payload[512];
	size_t plen = 0;

	switch (lr->union_case) {
	case HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER:
		if (hbb__file_transfer__get_packed_size(lr->file_transfer) <
			sizeof(payload))
			plen = hbb__file_transfer__pack(lr->file_transfer,
				payload);
		break;
	case HBB__LOGIN_REQUEST__UNION_PORT_FORWARD:
		if (hbb__port_forward__get_packed_size(lr->port_forward) <
			sizeof(payload))
			plen = hbb__port_forward__pack(lr->port_forward,
				payload);
		break;
	default:
		break;
	}
	crypto_generichash_init(&st, NULL, 0, sizeof(digest));
	crypto_generichash_update(&st, (const uint8_t *)lr->my_id,
		strlen(lr->my_id) + 1);
	crypto_generichash_update(&st, &kind, 1);
	crypto_generichash_update(&st, payload, plen);
	crypto_generichash_final(&st, digest, sizeof(digest));
	if (!ss->latched) {
		memcpy(ss->scope, digest, sizeof(digest));
		ss->latched = true;
		return true;
	}
	return sodium_memcmp(ss->scope, digest, sizeof(digest)) == 0;
}

static const char *
kind_refusal(enum session_kind k)
{
	/* Terminal sessions are served when the policy grants them (the
	 * daemon's admit hook refuses them otherwise, with the same stock
	 * "No permission of terminal"). */
	switch (k) {
	case SESSION_PORT_FORWARD:
		return "No permission of IP tunneling";
	case SESSION_VIEW_CAMERA:
		return "No permission of viewing camera";
	default:
		return NULL;
	}
}

/* Checks the proof against the one-time and the permanent password, in
 * that order (§6.3), here or by the monitor that holds them. Returns 0
 * with *method (NULL: wrong), or < 0 when there is no answer. */
static int
check_password(struct session *ss, const ProtobufCBinaryData *proof,
	const char **method)
{
	const struct session_creds *c = ss->env.creds;
	const struct session_secrets *sec = ss->env.secrets;
	unsigned allow = (c->allow_otp ? SECRETS_ALLOW_OTP : 0) |
		(c->allow_permanent ? SECRETS_ALLOW_PERMANENT : 0);
	enum secrets_method m = SECRETS_NONE;
	int r = 0;

	if (sec != NULL)
		r = sec->check_proof(sec->arg, ss->challenge, proof->data,
			proof->len, allow, &m);
	else
		m = secrets_check_proof(&c->s, ss->challenge, proof->data,
			proof->len, allow);
	*method = secrets_method_name(m);
	return r;
}

/* §6.1/§13.2: every permission the host does not grant is announced
 * disabled, so the client's UI matches what the host enforces. */
static void
send_permissions(struct session *ss, uint32_t granted)
{
	static const int perms[] = { 0, 2, 3, 4, 5, 6, 7, 8 };

	for (size_t i = 0; i < sizeof(perms) / sizeof(perms[0]); i++)
		if (!(granted & (1u << perms[i])))
			session__send_permission(ss, perms[i], false);
}

/* What input the grant allows (the PermissionInfo bits say the same to
 * the client: Keyboard 0, Clipboard 2). */
static void
grant_input(struct session *ss, const struct session_grant *g)
{
	ss->perms = 0;
	ss->last_input_ms = op_now_ms();
	if (g == NULL)
		return;
	if (g->permissions & (1u << 0))
		ss->perms |= POLICY_PERM_KEYBOARD;
	if ((g->permissions & (1u << 2)) && g->clipboard_to_host)
		ss->perms |= POLICY_PERM_CLIP_TO_HOST;
	if ((g->permissions & (1u << 2)) && g->clipboard_to_client)
		ss->perms |= POLICY_PERM_CLIP_TO_CLIENT;
	if (g->files != NULL && (g->files->allow & XFER_ALLOW_DOWNLOAD))
		ss->perms |= POLICY_PERM_FILE_DOWNLOAD;
	if (g->files != NULL && (g->files->allow & XFER_ALLOW_UPLOAD))
		ss->perms |= POLICY_PERM_FILE_UPLOAD;
	/* Terminals are offered (PeerInfo) to any session the policy
	 * allows them; they run in terminal sessions only (a stock client
	 * opens a terminal-type connection for them). */
	ss->term_offered = g->terminal != NULL;
	if (g->terminal != NULL && ss->kind == SESSION_TERMINAL)
		ss->perms |= POLICY_PERM_TERMINAL;
	ss->idle_s = g->idle_s;
	ss->keyboard_disabled = ss->login_opts.opt.disable_keyboard == 2;
	ss->clipboard_disabled = ss->login_opts.opt.disable_clipboard == 2;
}

static void
authorized(struct session *ss, bool ok, const struct session_grant *g)
{
	uint32_t perms;

	/* The session may have closed while the record was being written;
	 * the reference taken in session__on_login kept it alive. */
	if (ss->state != SS_AUTHORIZING) {
		const struct session_hooks *hk = ss->env.hooks;

		/* A screen granted to a session that is gone goes back now;
		 * the handles it was given are its own to close. */
		if (g != NULL && g->screen != NULL && hk != NULL &&
			hk->screen_released != NULL)
			hk->screen_released(ss->env.arg, ss);
		if (g != NULL)
			session__input_discard(g);
		session__unref(ss);
		return;
	}
	session__unref(ss);
	if (!ok) {
		/* The authorization could not be recorded: fail closed. */
		ss->state = SS_LOGIN;
		refuse(ss, "Connection not allowed");
		return;
	}
	ss->state = SS_AUTHORIZED;
	ss->was_authorized = true;
	/* The 18 s handshake limit is over (a plaintext direct-IP session
	 * never stopped it at PublicKey); the timer now serves deadlines. */
	uv_timer_stop(&ss->handshake_timer);
	framer_set_max(ss->fr, SESSION_MAX_FRAME);
	grant_input(ss, g);
	session__screen_grant(ss, g);
	perms = session__audio_grant(ss, g, g != NULL ? g->permissions : 0);
	send_permissions(ss, perms);
	if (g != NULL)
		session__input_start(ss, g);
	if (g != NULL && g->files != NULL &&
		(ss->perms & (POLICY_PERM_FILE_DOWNLOAD |
				     POLICY_PERM_FILE_UPLOAD)) &&
		session__files_start(ss, g->files) == 0 &&
		ss->kind == SESSION_FILE_TRANSFER)
		(void)session__files_open_dir(ss, ss->ft_dir, ss->ft_hidden);
	if (g != NULL && (ss->perms & POLICY_PERM_TERMINAL) &&
		session__term_start(ss, g->terminal) != 0)
		ss->perms &= ~POLICY_PERM_TERMINAL;
	if (g != NULL)
		session_set_deadline(ss, g->deadline_s,
			"The session time allowed by the host's policy is "
			"over");
	log_notice("session %s authorized", ss->desc);
	/* §6.7: after PeerInfo, Misc.audio_format and then the frames. */
	session__audio_update(ss, "client-disabled");
}

/* The login's OptionMessage (quality, fps, codecs) outlives the request:
 * a shallow copy without pointers into it. */
static void
keep_options(struct session *ss, const Hbb__LoginRequest *lr)
{
	struct session_login_opts *o = &ss->login_opts;

	hbb__option_message__init(&o->opt);
	o->ack_required = lr->video_ack_required;
	copy_bounded(ss->client_version, sizeof(ss->client_version),
		lr->version);
	if (lr->option == NULL)
		return;
	o->opt = *lr->option;
	o->opt.base.n_unknown_fields = 0;
	o->opt.base.unknown_fields = NULL;
	o->opt.supported_decoding = NULL;
	if (lr->option->supported_decoding != NULL) {
		o->dec = *lr->option->supported_decoding;
		o->dec.base.n_unknown_fields = 0;
		o->dec.base.unknown_fields = NULL;
		o->dec.i444 = NULL;
		o->opt.supported_decoding = &o->dec;
	}
}

int
session__on_login(struct session *ss, const Hbb__LoginRequest *lr)
{
	const struct session_hooks *hk = ss->env.hooks;
	struct session_info info;
	const char *err;
	const char *method;
	bool close_after = false;
	bool click_only = false;
	int r;

	if (!scope_matches(ss, lr)) {
		refuse(ss, "Connection not allowed");
		return 0;
	}
	copy_bounded(ss->peer_id, sizeof(ss->peer_id), lr->my_id);
	copy_bounded(ss->peer_name, sizeof(ss->peer_name), lr->my_name);
	if (lr->union_case == HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER) {
		copy_bounded(ss->ft_dir, sizeof(ss->ft_dir),
			lr->file_transfer->dir);
		ss->ft_hidden = lr->file_transfer->show_hidden;
	}
	session__describe(ss);
	ss->kind = kind_of(lr);
	session__info(ss, &info);
	if (hk != NULL && hk->admit != NULL &&
		(err = hk->admit(ss->env.arg, ss, &info, &close_after,
			 &click_only)) != NULL) {
		if (close_after)
			refuse(ss, err);
		else
			send_login_error(ss, err);
		return 0;
	}
	if ((err = kind_refusal(ss->kind)) != NULL) {
		refuse(ss, err);
		return 0;
	}
	/* §6.6 step 5: the client dialed our ID (direct IP: an address). */
	if (ss->path != CONN_PATH_DIRECT_IP &&
		strcmp(lr->username, ss->env.id) != 0) {
		refuse(ss, "Offline");
		return 0;
	}
	/* Click approval (§6.6 step 6): "No Password Access" makes the
	 * client wait for the local user; the click decides, not a password. */
	if (click_only && hk != NULL && hk->authorize != NULL) {
		send_login_error(ss, "No Password Access");
		ss->state = SS_AUTHORIZING;
		uv_timer_stop(&ss->handshake_timer); /* the prompt times out */
		ss->client_session_id = lr->session_id;
		keep_options(ss, lr);
		ss->pending++; /* released by authorized() */
		hk->authorize(ss->env.arg, ss, &info, "click", authorized);
		return 0;
	}
	/* A client without a stored password asks first with none: no
	 * answer, it shows its password dialog and asks again (§17 item 14). */
	if (lr->password.len == 0)
		return 0;
	if (hk != NULL && hk->lockout_check != NULL &&
		(err = hk->lockout_check(ss->env.arg, &info)) != NULL) {
		send_login_error(ss, err);
		return 0;
	}
	if ((r = check_password(ss, &lr->password, &method)) != 0) {
		log_error_r(r, "session %s: the password check failed",
			ss->desc);
		refuse(ss, "Failed to check the password, try again");
		return 0;
	}
	if (method == NULL) {
		log_warn("session %s: wrong password", ss->desc);
		if (hk != NULL && hk->auth_failed != NULL)
			hk->auth_failed(ss->env.arg, ss, &info);
		if (ss->state == SS_LOGIN && !ss->closing_soon)
			send_login_error(ss, "Wrong Password");
		return 0;
	}
	ss->state = SS_AUTHORIZING;
	uv_timer_stop(&ss->handshake_timer); /* a consent prompt times out */
	ss->client_session_id = lr->session_id;
	keep_options(ss, lr);
	ss->pending++; /* released by authorized() */
	if (hk != NULL && hk->authorize != NULL)
		hk->authorize(ss->env.arg, ss, &info, method, authorized);
	else
		authorized(ss, true, NULL);
	return 0;
}
