/* SPDX-License-Identifier: MIT */
/*
 * The decisions the daemon makes for sessions: the access policy (who,
 * from where, when, which kind), brute-force lockouts and one-time
 * password rotation, and the bookkeeping of open sessions. The session
 * module calls these through struct session_hooks; the rules come from
 * the current config snapshot and are swapped as a whole on reload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "audit/audit.h"
#include "cli/daemon-internal.h"
#include "consent/consent.h"
#include "net/sockaddr.h"
#include "cli/policy-conf.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/memfile.h"
#include "core/log.h"
#include "core/time.h"
#include "net/rendezvous.h"
#include "policy/lockout.h"
#include "policy/policy.h"
#include "term/term.h"
#include "xfer/xfer.h"

#define LOCKOUT_CAPACITY 4096

/* A slot is taken before anything asynchronous (audit commit, consent)
 * and given back on every way out, so concurrent logins cannot pass
 * policy.limits.max_sessions and a dropped login cannot keep one. */
static bool
take_slot(struct daemon *d, struct session *s)
{
	if (session_has_slot(s))
		return true;
	if (d->net.slots >= d->rules->max_sessions)
		return false;
	d->net.slots++;
	session_set_slot(s, true);
	return true;
}

static void
release_slot(struct daemon *d, struct session *s)
{
	if (!session_has_slot(s))
		return;
	session_set_slot(s, false);
	d->net.slots--;
}

static enum policy_kind
policy_kind_of(enum session_kind k)
{
	switch (k) {
	case SESSION_FILE_TRANSFER:
		return POLICY_KIND_FILE_TRANSFER;
	case SESSION_TERMINAL:
		return POLICY_KIND_TERMINAL;
	case SESSION_PORT_FORWARD:
		return POLICY_KIND_PORT_FORWARD;
	case SESSION_VIEW_CAMERA:
		return POLICY_KIND_CAMERA;
	default:
		return POLICY_KIND_DESKTOP;
	}
}

/* At start and reload: terminals allowed with an account that will
 * refuse every open is worth saying once, not only per login. */
static void
warn_terminal_conf(const struct conf *conf)
{
	const char *user = conf_str(conf, CONF_POLICY_TERMINAL_USER);
	struct term_account a;
	int r;

	if (!conf_bool(conf, CONF_POLICY_ALLOW_TERMINAL))
		return;
	if (user[0] == '\0') {
		log_warn("policy.allow.terminal is true but policy.terminal.user "
			 "is not set: every terminal will be refused");
		return;
	}
	r = term_account_lookup(user,
		conf_str(conf, CONF_POLICY_TERMINAL_SHELL), &a);
	if (r != 0)
		log_warn_r(r, "policy.terminal.user '%s' is unusable: every "
			      "terminal will be refused",
			user);
	else if (a.uid == 0 &&
		!conf_bool(conf, CONF_POLICY_TERMINAL_ALLOW_ROOT))
		log_warn("policy.terminal.user '%s' is root and "
			 "policy.terminal.allow_root is false: every terminal "
			 "will be refused",
			user);
	else
		log_notice("terminals allowed, as %s (uid %u, shell %s)",
			a.name, (unsigned)a.uid, a.shell);
}

int
daemon_policy_load(struct daemon *d, const struct conf *conf)
{
	struct policy_rules *rules = NULL;
	struct lockout_conf lc;
	char why[256];
	int r;

	if ((r = policy_conf_rules(conf, &rules, why, sizeof(why))) != 0) {
		log_error("policy: %s", why);
		return r;
	}
	policy_conf_lockout(conf, &lc);
	if (d->lockout == NULL) {
		uint8_t seed[16];

		randombytes_buf(seed, sizeof(seed));
		if ((d->lockout = lockout_new(&lc, LOCKOUT_CAPACITY, seed)) ==
			NULL) {
			policy_rules_unref(rules);
			return OP_ERR_NOMEM;
		}
	} else {
		lockout_set_conf(d->lockout, &lc);
	}
	policy_rules_unref(d->rules);
	d->rules = rules;
	d->creds.allow_otp = rules->verification != POLICY_VERIFY_PERMANENT;
	d->creds.allow_permanent = rules->verification != POLICY_VERIFY_ONE_TIME;
	warn_terminal_conf(conf);
	return 0;
}

void
daemon_policy_free(struct daemon *d)
{
	policy_rules_unref(d->rules);
	d->rules = NULL;
	lockout_free(d->lockout);
	d->lockout = NULL;
}

static void
fill_request(struct daemon *d, const struct session_info *info,
	enum policy_stage stage, struct policy_request *req)
{
	memset(req, 0, sizeof(*req));
	req->stage = stage;
	req->peer_id = info->peer_id;
	req->peer_name = info->peer_name;
	req->source = (const struct sockaddr *)info->source;
	req->path = info->path == CONN_PATH_DIRECT_IP ?
		POLICY_PATH_DIRECT_IP :
		POLICY_PATH_RENDEZVOUS;
	req->encrypted = info->encrypted;
	req->kind = policy_kind_of(info->kind);
	/* A zone the config check accepted cannot fail here; if it did,
	 * the zeroed time makes schedule rules refuse (fail closed). */
	(void)policy_conf_localtime(policy_conf_timezone(d->conf), time(NULL),
		&req->local);
	/* logind: an active local graphical session. A user whose display
	 * we cannot reach still counts as present (asking fails -> deny). */
	/* Both stages need it: click approval with nobody present is
	 * refused before login already. */
	d->user_found = daemon_find_user(d, &d->user);
	req->user_present = d->user_found == 0 ||
		d->user_found == OP_ERR_UNSUPPORTED;
	req->active_sessions = d->net.slots;
}

bool
daemon_policy_connect_ok(struct daemon *d, const struct session_info *info)
{
	struct policy_request req;
	struct policy_decision dec;

	fill_request(d, info, POLICY_STAGE_CONNECT, &req);
	policy_decide(d->rules, &req, &dec);
	if (dec.verdict != POLICY_DENY)
		return true;
	log_notice("refused a %s connection before login: %s (%s)",
		conn_path_name(info->path), dec.reason, dec.rule);
	return false;
}

static enum audit_conn_type
audit_kind_of(enum session_kind k)
{
	switch (k) {
	case SESSION_FILE_TRANSFER:
		return AUDIT_CONN_FILE_TRANSFER;
	case SESSION_PORT_FORWARD:
		return AUDIT_CONN_PORT_FORWARD;
	case SESSION_VIEW_CAMERA:
		return AUDIT_CONN_VIEW_CAMERA;
	case SESSION_TERMINAL:
		return AUDIT_CONN_TERMINAL;
	default:
		return AUDIT_CONN_DESKTOP;
	}
}

static uint32_t
audit_perms_of(uint32_t p)
{
	uint32_t a = 0;

	if (p & POLICY_PERM_KEYBOARD)
		a |= AUDIT_PERM_KEYBOARD;
	if (p & POLICY_PERM_CLIPBOARD)
		a |= AUDIT_PERM_CLIPBOARD;
	if (p & POLICY_PERM_FILE)
		a |= AUDIT_PERM_FILE_TRANSFER;
	if (p & POLICY_PERM_AUDIO)
		a |= AUDIT_PERM_AUDIO;
	if (p & POLICY_PERM_TERMINAL)
		a |= AUDIT_PERM_TERMINAL;
	if (p & POLICY_PERM_RESTART)
		a |= AUDIT_PERM_RESTART;
	if (p & POLICY_PERM_BLOCK_INPUT)
		a |= AUDIT_PERM_BLOCK_INPUT;
	if (p & POLICY_PERM_RECORDING)
		a |= AUDIT_PERM_RECORDING;
	return a;
}

static void
record_denial(struct daemon *d, struct session *s,
	const struct session_info *info, const char *reason,
	const char *message)
{
	struct audit_denial den = {
		.reason = reason,
		.message = message,
		.peer_id = info->peer_id,
		.peer_name = info->peer_name,
		.method = AUDIT_AUTH_NONE,
	};
	int r = audit_denied(d->audit, session_tag(s), &den, NULL, NULL);

	if (r != 0)
		log_error_r(r, "audit: cannot record a denial");
}

void
daemon_audit_session_open(struct daemon *d, struct session *s,
	const struct session_info *info)
{
	struct audit_session_info ai = {
		.peer_id = NULL,
		.source = (const struct sockaddr *)info->source,
		.path = (enum audit_path)info->path,
		.encrypted = info->encrypted,
	};
	int64_t id = 0;
	int r = audit_session_begin(d->audit, &ai, &id);

	if (r != 0) {
		/* Nothing may happen off the record (S17). */
		log_error_r(r, "audit: cannot record a new connection; closing "
			       "it");
		session_close(s, "Connection not allowed");
		return;
	}
	session_set_tag(s, id);
}

static const char *
hook_admit(void *arg, struct session *s, const struct session_info *info,
	bool *close_after, bool *click_only)
{
	struct daemon *d = arg;
	struct policy_request req;
	struct policy_decision dec;

	/* A login attempt: the connection's deferred session.open is
	 * written now (audit_session_begin). */
	(void)audit_session_login(d->audit, session_tag(s));
	fill_request(d, info, POLICY_STAGE_LOGIN, &req);
	policy_decide(d->rules, &req, &dec);
	*close_after = true;
	if (dec.verdict == POLICY_DENY) {
		log_notice("session %s: login refused by %s: %s",
			session_describe(s), dec.rule, dec.reason);
		record_denial(d, s, info, dec.rule,
			dec.error != NULL ? dec.error : POLICY_MSG_NOT_ALLOWED);
		return dec.error != NULL ? dec.error : POLICY_MSG_NOT_ALLOWED;
	}
	d->pending_perms = dec.perms;
	d->pending_ask = false;
	/* The earlier of policy.limits.max_duration and the end of the
	 * schedule window that admitted the session; 0 = none. */
	d->pending_deadline_s = dec.max_duration_s;
	if (dec.window_left_s != 0 &&
		(d->pending_deadline_s == 0 ||
			dec.window_left_s < d->pending_deadline_s))
		d->pending_deadline_s = dec.window_left_s;
	if (dec.verdict == POLICY_ASK) {
		/* password / password-and-click: the password first, then
		 * the click; click / password-or-click: the click decides. */
		*click_only = dec.consent.auth == POLICY_AUTH_CLICK ||
			dec.consent.auth == POLICY_AUTH_PASSWORD_OR_CLICK;
		d->pending_ask = true;
		d->pending_ask_timeout_s = dec.consent.timeout_s;
	}
	return NULL;
}

static const char *
hook_lockout_check(void *arg, const struct session_info *info)
{
	struct daemon *d = arg;
	struct lockout_hit hit;

	if (lockout_check(d->lockout, (const struct sockaddr *)info->source,
		    info->peer_id, op_now_ms(), &hit))
		return hit.error;
	return NULL;
}

static void
hook_auth_failed(void *arg, struct session *s,
	const struct session_info *info)
{
	struct daemon *d = arg;
	struct lockout_result res;

	record_denial(d, s, info, "wrong-password", "Wrong Password");
	lockout_fail(d->lockout, (const struct sockaddr *)info->source,
		info->peer_id, op_now_ms(), &res);
	for (unsigned i = 0; i < res.nlocked; i++) {
		struct audit_lockout_info li = {
			.scope = lockout_scope_name(res.locked[i].scope),
			.key = res.locked[i].key,
			.failures = res.worst,
			.duration_s = (unsigned)((res.locked[i].until_ms -
							 op_now_ms()) /
				1000),
		};

		log_warn("lockout: %s %s locked after repeated wrong "
			 "passwords",
			lockout_scope_name(res.locked[i].scope),
			res.locked[i].key);
		(void)audit_lockout(d->audit, session_tag(s), &li, NULL, NULL);
	}
	if (res.rotate_otp && daemon_new_otp(d) == 0)
		log_notice("one-time password rotated after failed logins");
}

struct authorize_job {
	struct daemon *d;
	struct session *s;
	uint32_t deadline_s;
	uint32_t perms;
	void (*done)(struct session *s, bool ok, const struct session_grant *g);
	enum session_kind kind;
	struct audit_auth auth;
	char peer_id[128];
	char peer_name[128];
};

/* The file-transfer part of a grant (file-transfer sessions with the
 * permission): roots, directions and limits from the config. */
static bool
files_config(struct daemon *d, struct authorize_job *j,
	struct xfer_config *fc, struct xfer_root *roots, size_t max)
{
	int dir = policy_conf_file_dir(d->conf);
	size_t n = conf_list_len(d->conf, CONF_POLICY_FILES_ROOTS);
	uint64_t limit = (uint64_t)conf_int(d->conf, CONF_POLICY_FILES_MAX_BYTES);

	if (j->kind != SESSION_FILE_TRANSFER || !(j->perms & POLICY_PERM_FILE) ||
		dir == 0 || n == 0)
		return false;
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		roots[i] = (struct xfer_root){
			.path = conf_list_at(d->conf, CONF_POLICY_FILES_ROOTS, i),
		};
	*fc = (struct xfer_config){
		.allow = ((dir & POLICY_CONF_FILE_DOWNLOAD) ? XFER_ALLOW_DOWNLOAD :
							     0) |
			((dir & POLICY_CONF_FILE_UPLOAD) ? XFER_ALLOW_UPLOAD : 0),
		.roots = roots,
		.nroots = n,
		.max_file_bytes = limit,
		.max_job_bytes = limit,
	};
	return true;
}

/* The terminal part of a grant: every session of a policy that allows
 * terminals offers them (PeerInfo). The monitor starts the shells, as
 * its config says (the account, the shell, root, typescripts), and
 * explains its refusals to the client itself. */
static bool
terminal_config(struct daemon *d, struct authorize_job *j,
	struct session_term_cfg *tc)
{
	const char *user = conf_str(d->conf, CONF_POLICY_TERMINAL_USER);

	if (!(policy_permissions(d->rules, POLICY_KIND_TERMINAL) &
		    POLICY_PERM_TERMINAL))
		return false;
	if (j->kind == SESSION_TERMINAL && !(j->perms & POLICY_PERM_TERMINAL))
		return false;
	*tc = (struct session_term_cfg){
		.user = user,
		.max_terminals = (unsigned)conf_int(d->conf,
			CONF_POLICY_TERMINAL_MAX_PER_SESSION),
		.spawner = daemon_term_spawner(d),
	};
	return true;
}

#ifdef _WIN32
/* Windows: the loopback of the default render endpoint (NULL device) for
 * a desktop session with the audio permission and a screen. */
static const char *
audio_target(struct daemon *d, struct authorize_job *j, struct capture *cap,
	char *buf, size_t len, uid_t *uid, gid_t *gid, const char **why)
{
	(void)d, (void)buf, (void)len, (void)uid, (void)gid;
	*why = NULL;
	if (j->kind == SESSION_DESKTOP && (j->perms & POLICY_PERM_AUDIO) &&
		cap == NULL)
		*why = "no display, no sound";
	return NULL;
}
#else
/*
 * Whose sound server a desktop session with the audio permission hears:
 * the logind user's (/run/user/UID) when the screen is theirs, the owner
 * of display.audio_runtime_dir for a configured display, none for the
 * virtual display (no one plays sound there). Returns the directory
 * (in buf) or NULL with *why.
 */
static const char *
audio_target(struct daemon *d, struct authorize_job *j, struct capture *cap,
	char *buf, size_t len, uid_t *uid, gid_t *gid, const char **why)
{
	const char *dir = conf_str(d->conf, CONF_DISPLAY_AUDIO_RUNTIME_DIR);
	struct stat st;

	*why = NULL;
	if (j->kind != SESSION_DESKTOP || !(j->perms & POLICY_PERM_AUDIO))
		return NULL;
	if (cap == NULL) {
		*why = "no display, no sound";
		return NULL;
	}
	if (strcmp(d->desktop.target.source, "configured") == 0) {
		if (dir[0] == '\0') {
			*why = "display.x11 or display.wayland is set and "
			       "display.audio_runtime_dir is not (whose sound "
			       "server is unknown)";
			return NULL;
		}
		/* The directory's owner is the user connected as: never
		 * a path that is not a real directory. */
		if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			*why = "display.audio_runtime_dir is not a directory";
			return NULL;
		}
		snprintf(buf, len, "%s", dir);
		*uid = st.st_uid;
		*gid = st.st_gid;
		return buf;
	}
	/* A Wayland user without Xwayland is "unsupported" for consent
	 * prompts, but their compositor is the screen. */
	if (strcmp(d->desktop.target.source, "logind") == 0 &&
		(d->user_found == 0 || (d->user_found == OP_ERR_UNSUPPORTED &&
					       d->user.uid != 0))) {
		snprintf(buf, len, "/run/user/%u", (unsigned)d->user.uid);
		*uid = d->user.uid;
		*gid = d->user.gid;
		return buf;
	}
	*why = "the virtual display has no sound server";
	return NULL;
}
#endif

static void
grant(struct authorize_job *j, struct capture *cap, const char *why, bool ok)
{
	struct daemon *d = j->d;
	int dir = policy_conf_clipboard_dir(d->conf);
	struct xfer_root roots[64];
	struct xfer_config fc;
	bool files = ok && files_config(d, j, &fc, roots, 64);
	struct session_term_cfg tc;
	bool term = ok && terminal_config(d, j, &tc);
	char adir[256];
	uid_t auid = 0;
	gid_t agid = 0;
	const char *no_audio = NULL;
	const char *audio = ok ? audio_target(d, j, cap, adir, sizeof(adir),
					 &auid, &agid, &no_audio) :
				 NULL;
	size_t clip_max = (size_t)conf_int(d->conf,
		CONF_POLICY_LIMITS_CLIPBOARD_MAX_KB) * 1024u;
	struct input *in = NULL;
	struct clipboard *cb = NULL;
	struct session_grant g = {
		.deadline_s = j->deadline_s,
		.permissions = j->perms & POLICY_PERM_INFO_MASK,
		.screen = cap,
		.no_screen = why,
		.target = cap != NULL ? &d->desktop.target : NULL,
		.clipboard_to_host = dir & POLICY_CONF_CLIP_TO_HOST,
		.clipboard_to_client = dir & POLICY_CONF_CLIP_TO_CLIENT,
		.clipboard_max = clip_max,
		.idle_s = (unsigned)conf_int(d->conf,
			CONF_POLICY_LIMITS_IDLE_TIMEOUT),
		.files = files ? &fc : NULL,
		.terminal = term ? &tc : NULL,
#ifdef _WIN32
		.audio_device = audio,
#else
		.audio_runtime_dir = audio,
		.audio_uid = auid,
		.audio_gid = agid,
#endif
		.no_audio = no_audio,
	};

	/* Each session has its own input and clipboard connections, so its
	 * held keys are its own; it owns and closes them. */
	if (ok && cap != NULL)
		daemon_desktop_open_controls(d, j->perms & POLICY_PERM_KEYBOARD,
			(j->perms & POLICY_PERM_CLIPBOARD) && dir != 0,
			clip_max > 0 ? clip_max : SESSION_CLIP_MAX_DEFAULT, &in,
			&cb);
	g.input = in;
	g.clipboard = cb;
	if (!ok)
		release_slot(d, j->s);
	j->done(j->s, ok, ok ? &g : NULL);
	free(j);
}

static void
on_desktop(void *arg, struct capture *cap, const char *why)
{
	struct authorize_job *j = arg;

	if (cap == NULL)
		log_notice("session %s: no screen to share: %s",
			session_describe(j->s), why);
	grant(j, cap, why, true);
}

/* The authorized record is durable (or failed): only now may the session
 * show anything. The session holds a reference until done() runs. */
static void
on_authorized_committed(void *arg, int status, int64_t seq)
{
	struct authorize_job *j = arg;

	(void)seq;
	if (status != 0) {
		log_error_r(status, "audit: the authorization of %s could not "
				    "be recorded; refusing the session",
			session_describe(j->s));
	} else {
		log_notice("session %s: authorized", session_describe(j->s));
	}
	if (status == 0 && j->kind == SESSION_DESKTOP) {
		/* The display is found (or started) only for a session that
		 * may see it. */
		daemon_desktop_acquire(j->d, on_desktop, j);
		return;
	}
	grant(j, NULL, NULL, status == 0);
}

static void
record_authorized(struct authorize_job *j)
{
	if (audit_authorized(j->d->audit, session_tag(j->s), &j->auth,
		    on_authorized_committed, j) != 0) {
		log_error("audit: cannot queue the authorization of %s; "
			  "refusing the session",
			session_describe(j->s));
		release_slot(j->d, j->s);
		j->done(j->s, false, NULL);
		free(j);
	}
}

static void
on_consent(void *arg, enum consent_result r, const char *detail)
{
	struct authorize_job *j = arg;
	struct audit_denial den = {
		.peer_id = j->peer_id,
		.peer_name = j->peer_name,
		.method = j->auth.method,
	};

	if (r == CONSENT_ALLOW) {
		log_notice("session %s: the local user allowed it",
			session_describe(j->s));
		j->auth.consent = AUDIT_CONSENT_ALLOWED;
		record_authorized(j);
		return;
	}
	den.reason = r == CONSENT_TIMEOUT ? "consent-timeout" :
		r == CONSENT_DENY         ? "consent-denied" :
		r == CONSENT_CANCELLED    ? "consent-withdrawn" :
					    "consent-error";
	den.message = POLICY_MSG_NOT_ALLOWED;
	log_notice("session %s: not allowed by the local user (%s%s%s)",
		session_describe(j->s), den.reason, detail ? ": " : "",
		detail ? detail : "");
	(void)audit_denied(j->d->audit, session_tag(j->s), &den, NULL, NULL);
	release_slot(j->d, j->s);
	j->done(j->s, false, NULL);
	free(j);
}

/* Queues the prompt on the logged-in user's display (daemon-consent.c
 * shows one at a time and withdraws it if the session ends). */
static void
ask_user(struct daemon *d, struct authorize_job *j,
	const struct session_info *info)
{
	int r = daemon_consent_request(d, j->s, info, d->pending_perms,
		d->pending_ask_timeout_s, on_consent, j);

	if (r != 0)
		on_consent(j, CONSENT_ERROR,
			r == OP_ERR_DENIED ? "this source was refused a moment "
					     "ago" :
			r == -EBUSY ? "too many requests are waiting" :
				      "cannot queue the request");
}

static void
hook_authorize(void *arg, struct session *s, const struct session_info *info,
	const char *method, void (*done)(struct session *s, bool ok, const struct session_grant *g))
{
	struct daemon *d = arg;
	struct authorize_job *j = calloc(1, sizeof(*j));
	struct audit_auth auth = {
		.peer_id = info->peer_id,
		.peer_name = info->peer_name,
		.kind = audit_kind_of(info->kind),
		.method = strcmp(method, "click") == 0 ? AUDIT_AUTH_CLICK :
			strcmp(method, "one-time-password") == 0 ?
						       AUDIT_AUTH_ONE_TIME_PASSWORD :
						       AUDIT_AUTH_PERMANENT_PASSWORD,
		.consent = AUDIT_CONSENT_NOT_ASKED,
		.permissions = audit_perms_of(d->pending_perms),
		.encrypted = info->encrypted,
		.client_session_id = session_client_id(s),
	};

	if (strcmp(method, "click") != 0)
		lockout_success(d->lockout,
			(const struct sockaddr *)info->source, info->peer_id);
	/* §6.4: a one-time password opens one session. The monitor
	 * replaced it when it accepted the proof, so a login that drops
	 * before it completes cannot leave it valid for reuse. */
	if (strcmp(method, "one-time-password") == 0)
		log_notice("one-time password used; a new one is in effect");
	if (j == NULL || !take_slot(d, s)) {
		if (j != NULL) {
			char n[16];

			snprintf(n, sizeof(n), "%u", d->rules->max_sessions);
			log_notice("session %s: refused: policy.limits."
				   "max_sessions (%s) reached",
				session_describe(s), n);
			record_denial(d, s, info, "max-sessions",
				POLICY_MSG_NOT_ALLOWED);
		}
		free(j);
		done(s, false, NULL);
		return;
	}
	j->d = d;
	j->s = s;
	j->kind = info->kind;
	j->done = done;
	j->deadline_s = d->pending_deadline_s;
	j->perms = d->pending_perms;
	snprintf(j->peer_id, sizeof(j->peer_id), "%s", info->peer_id);
	snprintf(j->peer_name, sizeof(j->peer_name), "%s", info->peer_name);
	j->auth = auth;
	j->auth.peer_id = j->peer_id;
	j->auth.peer_name = j->peer_name;
	if (d->pending_ask) {
		ask_user(d, j, info);
		return;
	}
	record_authorized(j);
}

static void
hook_closed(void *arg, struct session *s, bool was_authorized,
	const char *reason)
{
	struct daemon *d = arg;

	uint64_t in, out;

	session_bytes(s, &in, &out);
	d->net.input_dropped_closed += session_dropped_input(s);
	if (session_tag(s) > 0 &&
		audit_session_recorded(d->audit, session_tag(s)) &&
		(session_dropped(s) > 0 || session_dropped_input(s) > 0)) {
		/* What the session tried and was not allowed to do: dropped,
		 * and counted on the record. */
		char fields[96];

		snprintf(fields, sizeof(fields), "{\"dropped_messages\":%u,"
			"\"dropped_input\":%u}",
			session_dropped(s), session_dropped_input(s));
		(void)audit_event(d->audit, session_tag(s), "session.blocked",
			fields, NULL, NULL);
	}
	if (session_tag(s) > 0)
		(void)audit_session_close(d->audit, session_tag(s), reason, in,
			out, NULL, NULL);
	daemon_net_forget(d, s);
	if (was_authorized && session_wants_lock(s))
		daemon_desktop_lock(d);
	release_slot(d, s);
	if (was_authorized) {
		/* §6.4: a one-time password is good for one session. */
		if (daemon_new_otp(d) == 0)
			log_notice("one-time password rotated after a session");
	}
}

/* One finished file or change, on the session's record: what, where
 * (as the client named it and on the host), how much, its SHA-256 and
 * the outcome. */
static void
hook_file_result(void *arg, struct session *s, const struct xfer_result *r)
{
	struct daemon *d = arg;
	struct op_memfile mf;
	char *fields;
	FILE *f;

	if (session_tag(s) <= 0 || (f = op_memfile_open(&mf)) == NULL)
		return;
	fprintf(f, "{\"op\":\"%s\",\"outcome\":\"%s\",\"path\":",
		xfer_op_name(r->op), xfer_outcome_name(r->outcome));
	op_json_cstr(f, r->path != NULL ? r->path : "");
	fputs(",\"host_path\":", f);
	op_json_cstr(f, r->host_path != NULL ? r->host_path : "");
	if (r->new_path != NULL) {
		fputs(",\"new_path\":", f);
		op_json_cstr(f, r->new_path);
	}
	fprintf(f, ",\"size\":%llu,\"offset\":%llu,\"bytes\":%llu",
		(unsigned long long)r->size, (unsigned long long)r->offset,
		(unsigned long long)r->bytes);
	if (r->has_sha256) {
		fputs(",\"sha256\":\"", f);
		for (int i = 0; i < 32; i++)
			fprintf(f, "%02x", r->sha256[i]);
		fputc('"', f);
	}
	if (r->error != NULL) {
		fputs(",\"error\":", f);
		op_json_cstr(f, r->error);
	}
	fputc('}', f);
	if ((fields = op_memfile_take(&mf, NULL)) != NULL)
		(void)audit_event(d->audit, session_tag(s), "file.transfer",
			fields, NULL, NULL);
	free(fields);
}

/* One terminal opened (or refused) or closed, on the session's record:
 * the account, the tty and shell pid, the typescript when recorded, and
 * at the close the bytes both ways and the exit status. */
static void
hook_terminal_result(void *arg, struct session *s,
	const struct session_term_record *r)
{
	struct daemon *d = arg;
	struct op_memfile mf;
	char *fields;
	FILE *f;

	if (session_tag(s) <= 0 || (f = op_memfile_open(&mf)) == NULL)
		return;
	fprintf(f, "{\"terminal_id\":%d,\"user\":", (int)r->terminal_id);
	op_json_cstr(f, r->user != NULL ? r->user : "");
	fputs(",\"tty\":", f);
	op_json_cstr(f, r->tty != NULL ? r->tty : "");
	fprintf(f, ",\"pid\":%u", (unsigned)r->pid);
	if (r->open) {
		fprintf(f, ",\"success\":%s", r->success ? "true" : "false");
		if (r->message != NULL) {
			fputs(",\"message\":", f);
			op_json_cstr(f, r->message);
		}
	} else {
		fprintf(f, ",\"bytes_in\":%llu,\"bytes_out\":%llu",
			(unsigned long long)r->bytes_in,
			(unsigned long long)r->bytes_out);
		if (r->exited)
			fprintf(f, ",\"exit_code\":%d", (int)r->exit_code);
		else
			fputs(",\"exit_code\":null", f);
		if (r->reason != NULL) {
			fputs(",\"reason\":", f);
			op_json_cstr(f, r->reason);
		}
	}
	if (r->typescript != NULL) {
		fputs(",\"typescript\":", f);
		op_json_cstr(f, r->typescript);
	}
	fputc('}', f);
	if ((fields = op_memfile_take(&mf, NULL)) != NULL)
		(void)audit_event(d->audit, session_tag(s),
			r->open ? "terminal.open" : "terminal.close", fields,
			NULL, NULL);
	free(fields);
}

/* Audio on or off in a session: "audio.on" {backend} and "audio.off"
 * {reason, backend, packets, bytes, dropped[, error]} on its record. */
static void
hook_audio_event(void *arg, struct session *s,
	const struct session_audio_event *ev)
{
	struct daemon *d = arg;
	struct op_memfile mf;
	char *fields;
	FILE *f;

	if (session_tag(s) <= 0 || (f = op_memfile_open(&mf)) == NULL)
		return;
	fputs("{\"backend\":", f);
	op_json_cstr(f, ev->backend != NULL ? ev->backend : "");
	if (!ev->on) {
		fputs(",\"reason\":", f);
		op_json_cstr(f, ev->reason != NULL ? ev->reason : "");
		fprintf(f, ",\"packets\":%llu,\"bytes\":%llu,\"dropped\":%llu",
			(unsigned long long)ev->packets,
			(unsigned long long)ev->bytes,
			(unsigned long long)ev->dropped);
		if (ev->detail != NULL) {
			fputs(",\"error\":", f);
			op_json_cstr(f, ev->detail);
		}
	}
	fputc('}', f);
	if ((fields = op_memfile_take(&mf, NULL)) != NULL)
		(void)audit_event(d->audit, session_tag(s),
			ev->on ? "audio.on" : "audio.off", fields, NULL, NULL);
	free(fields);
}

/* The session is ending (the client left, shutdown): a prompt still
 * waiting for the user goes away now, not when it times out. */
static void
hook_closing(void *arg, struct session *s)
{
	struct daemon *d = arg;

	daemon_consent_withdraw(d, s);
	/* A closing session never becomes authorized: its slot is free for
	 * the next technician now, not when its audit write returns. */
	release_slot(d, s);
}

static void
hook_screen_released(void *arg, struct session *s)
{
	(void)s;
	daemon_desktop_release(arg);
}

static void
hook_key_unverified(void *arg)
{
	struct daemon *d = arg;

	if (d->net.rdv != NULL)
		rendezvous_republish_pk(d->net.rdv);
}

const struct session_hooks daemon_session_hooks = {
	.admit = hook_admit,
	.lockout_check = hook_lockout_check,
	.auth_failed = hook_auth_failed,
	.authorize = hook_authorize,
	.closing = hook_closing,
	.file_result = hook_file_result,
	.terminal_result = hook_terminal_result,
	.audio_event = hook_audio_event,
	.closed = hook_closed,
	.key_unverified = hook_key_unverified,
	.screen_released = hook_screen_released,
};
