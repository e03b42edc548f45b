/* SPDX-License-Identifier: MIT */
/*
 * The network process's side of the monitor: the public identity it gets
 * at start, and every use of the host's secrets (signing the SignedId,
 * checking a password proof, one-time passwords) as a request to the
 * monitor, which alone holds them (daemon-monitor.c, monitor/monitor.c);
 * the events the monitor sends later (consent answers, the virtual
 * display, audit commits); and the audit trail, which is the monitor's
 * (monitor/monitor-audit.h).
 */
#include "cli/daemon.h"
#include "cli/daemon-internal.h"
#include "cli/daemon-chan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "monitor/monitor-audit.h"
#include "monitor/monitor-client.h"
#include "platform/monchan.h"
#include "platform/userconn.h"
#include "store/state.h"

void
daemon_monitor_failed(struct daemon *d, int r, const char *what)
{
	/* Only a transport failure: the answers after it could belong to
	 * other questions, and there is no way in without the monitor. */
	if (r != -ETIMEDOUT && r != -ECONNRESET && r != OP_ERR_PROTO &&
		r != -EPIPE && r != -EBADF)
		return;
	log_error("monitor: %s: %s; stopping (the monitor starts the "
		  "network process again)",
		what, op_strerror(r));
	uv_stop(&d->loop);
}

static int
signed_id(void *arg, const uint8_t box_pk[32], uint8_t *out, size_t cap)
{
	struct daemon *d = arg;
	int n = monclient_signed_id(d->mon_fd, box_pk, out, cap);

	if (n < 0)
		daemon_monitor_failed(d, n, "sign-id");
	return n;
}

static int
check_proof(void *arg, const char *challenge, const uint8_t *proof,
	size_t len, unsigned allow, enum secrets_method *out)
{
	struct daemon *d = arg;
	int r = monclient_check_proof(d->mon_fd, challenge, proof, len, allow,
		out);

	if (r != 0)
		daemon_monitor_failed(d, r, "check-proof");
	return r;
}

#ifndef _WIN32
/* platform_user_socket in this process: the monitor looks. */
static int
user_socket(void *arg, const char *path, uid_t *uid, gid_t *gid)
{
	struct daemon *d = arg;
	uint32_t u = 0, g = 0;
	int r = monclient_user_socket(d->mon_fd, path, &u, &g);

	daemon_monitor_failed(d, r, "user-socket");
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return r;
}

/* platform_connect_user in this process: the monitor connects. */
static int
connect_user(void *arg, const char *path, uid_t uid, gid_t gid, int *fd,
	int *hold)
{
	struct daemon *d = arg;
	int r;

	(void)gid; /* the monitor uses the user's own group */
	r = monclient_connect_user(d->mon_fd, path, (uint32_t)uid, hold != NULL,
		fd, hold);
	if (r != 0)
		daemon_monitor_failed(d, r, "connect-user");
	return r == -ENOENT ? OP_ERR_NOT_FOUND : r;
}
#endif

static int
public_state(struct daemon *d, const struct mon_identity *id,
	struct state **out)
{
	int r = state_new_public(cli_state_dir(d->conf), id->id, id->id_custom,
		id->uuid, id->pk, id->salt, out);

	if (r != 0)
		return r;
	snprintf(d->creds.s.salt, sizeof(d->creds.s.salt), "%s", id->salt);
	d->has_password = id->has_password;
	d->generation = id->generation;
	snprintf(d->previous, sizeof(d->previous), "%s", id->previous);
	return 0;
}

int
daemon_secrets_init(struct daemon *d, int fd, struct state **st)
{
	struct mon_identity id;
	int r;

	if (!monchan_is_end(fd)) {
		log_error("%s=%d is not the monitor's socket",
			DAEMON_MONITOR_FD_ENV, fd);
		return OP_ERR_CONFIG;
	}
	d->mon_fd = fd;
	if ((r = monclient_hello(fd, &id)) != 0) {
		log_error_r(r, "monitor: hello");
		return r;
	}
	if ((r = public_state(d, &id, st)) != 0)
		return r;
	d->secrets = (struct session_secrets){ .signed_id = signed_id,
		.check_proof = check_proof, .arg = d };
#ifndef _WIN32 /* no desktop users' sockets to reach there */
	platform_set_user_connector(connect_user, d);
	platform_set_user_prober(user_socket, d);
#endif
	return 0;
}

int
daemon_secrets_reload_identity(struct daemon *d, struct state **fresh)
{
	struct mon_identity id;
	int r;

	*fresh = NULL;
	if ((r = monclient_reload_identity(d->mon_fd, &id)) != 0) {
		daemon_monitor_failed(d, r, "reload-identity");
		return r;
	}
	return public_state(d, &id, fresh);
}

int
daemon_cookie_copy(struct daemon *d, const char *display, const char *src,
	uid_t owner, char *err, size_t errlen)
{
	int r = monclient_x11_cookie(d->mon_fd, display, src, (uint32_t)owner,
		err, errlen);

	if (r != 0 && err[0] == '\0') {
		snprintf(err, errlen, "the X cookie could not be copied: %s",
			op_strerror(r));
		daemon_monitor_failed(d, r, "x11-cookie");
	}
	return r;
}

static void
on_event(void *arg, const uint8_t *buf, ssize_t n)
{
	struct daemon *d = arg;
	char detail[200];
	struct mon_rd rd;
	unsigned type, r;
	int handled;

	if (n <= 0) {
		/* No commit can be confirmed any more: fail closed. */
		monclient_audit_fail_all(d->audit_client, -ECONNRESET);
		daemon_monitor_failed(d, -ECONNRESET, "events");
		return;
	}
	mon_rd_init(&rd, buf, (size_t)n);
	type = mon_get_u8(&rd);
	handled = monclient_audit_on_event(d->audit_client, buf, (size_t)n);
	if (handled == 1)
		return;
	if (handled != 0)
		type = 0; /* a malformed audit event: fails below */
	if (type == MON_EV_CONSENT) {
		r = mon_get_u8(&rd);
		mon_get_str(&rd, detail, sizeof(detail));
		if (mon_rd_done(&rd) && r <= CONSENT_CANCELLED) {
			daemon_consent_answered(d, (enum consent_result)r,
				detail);
			return;
		}
	} else if (type == MON_EV_VD_READY) {
		struct daemon_vd v;
		int ready = (int)mon_get_u32(&rd);

		memset(&v, 0, sizeof(v));
		mon_get_str(&rd, v.name, sizeof(v.name));
		mon_get_str(&rd, v.xauthority, sizeof(v.xauthority));
		v.owner = (uid_t)mon_get_u32(&rd);
		v.server_pid = (int)mon_get_u32(&rd);
		v.session_pid = (int)mon_get_u32(&rd);
		mon_get_str(&rd, v.error, sizeof(v.error));
		if (mon_rd_done(&rd) && ready <= 0) {
			daemon_vd_ready(d, ready, &v);
			return;
		}
	} else if (type == MON_EV_VD_LOST) {
		mon_get_str(&rd, detail, sizeof(detail));
		if (mon_rd_done(&rd)) {
			daemon_vd_lost(d, detail);
			return;
		}
	} else if (type == MON_EV_STOP || type == MON_EV_RELOAD) {
		if (mon_rd_done(&rd)) {
			daemon_signalled(d, type == MON_EV_STOP);
			return;
		}
	} else if (type == MON_EV_TERM_EXIT) {
		uint32_t handle = mon_get_u32(&rd);
		int32_t code = (int32_t)mon_get_u32(&rd);

		if (mon_rd_done(&rd)) {
			daemon_term_exited(d, handle, code);
			return;
		}
	}
	daemon_chan_stop(d->ev_chan);
	d->ev_chan = NULL;
	daemon_monitor_failed(d, OP_ERR_PROTO, "events");
}

int
daemon_events_start(struct daemon *d)
{
	int r;

	if ((r = monclient_events(d->mon_fd, &d->ev_fd)) != 0)
		return r;
	/* Events never keep the loop alive (shutdown runs it dry). */
	return daemon_chan_start(&d->loop, d->ev_fd, MON_MSG_MAX, on_event, d,
		&d->ev_chan);
}

static void
audit_failed(void *arg, int r, const char *what)
{
	daemon_monitor_failed(arg, r, what);
}

/* The loop must not run dry while commits are owed (shutdown waits for
 * the sessions' last records); the events watch keeps it alive then. */
static void
audit_waiting(void *arg, size_t n)
{
	struct daemon *d = arg;

	daemon_chan_ref(d->ev_chan, n > 0);
}

int
daemon_audit_open(struct daemon *d)
{
	struct monclient_audit_hooks h = { .failed = audit_failed,
		.waiting = audit_waiting, .arg = d };
	int r;

	if ((r = monclient_audit_new(d->mon_fd, &h, &d->audit_client)) == 0 &&
		(r = audit_open_remote(&d->loop, &monclient_audit_ops,
			 d->audit_client, &d->audit)) != 0) {
		monclient_audit_free(d->audit_client);
		d->audit_client = NULL;
	}
	if (r != 0)
		log_error_r(r, "audit trail");
	return r;
}

void
daemon_audit_free(struct daemon *d)
{
	monclient_audit_free(d->audit_client);
	d->audit_client = NULL;
}

int
daemon_consent_show(struct daemon *d, const struct consent_request *req,
	char *why, size_t why_size)
{
	struct mon_consent c = { .timeout_ms = req->timeout_ms };
	int r;

	snprintf(c.peer_id, sizeof(c.peer_id), "%s", req->peer_id);
	snprintf(c.peer_name, sizeof(c.peer_name), "%s", req->peer_name);
	snprintf(c.source, sizeof(c.source), "%s", req->source);
	snprintf(c.kind, sizeof(c.kind), "%s", req->kind);
	snprintf(c.permissions, sizeof(c.permissions), "%s",
		req->permissions);
	if ((r = monclient_consent_ask(d->mon_fd, &c, why, why_size)) != 0)
		daemon_monitor_failed(d, r, "consent-ask");
	return r;
}

void
daemon_consent_cancel(struct daemon *d)
{
	int r = monclient_consent_cancel(d->mon_fd);

	if (r != 0)
		daemon_monitor_failed(d, r, "consent-cancel");
}

void
daemon_notify(struct daemon *d, enum mon_notify what)
{
	int r = monclient_notify(d->mon_fd, what);

	if (r != 0)
		daemon_monitor_failed(d, r, "notify");
}

int
daemon_load_creds(struct daemon *d)
{
	char salt[PASSWORD_SALT_LEN + 1];
	bool has;
	int r;

	if ((r = monclient_reload_password(d->mon_fd, salt, &has)) != 0) {
		log_error_r(r, "password reload");
		daemon_monitor_failed(d, r, "reload-password");
		return r;
	}
	snprintf(d->creds.s.salt, sizeof(d->creds.s.salt), "%s", salt);
	d->has_password = has;
	return 0;
}

int
daemon_new_otp(struct daemon *d)
{
	int r = monclient_new_otp(d->mon_fd);

	if (r != 0) {
		log_error_r(r, "new one-time password");
		daemon_monitor_failed(d, r, "new-otp");
	}
	return r;
}
