/* SPDX-License-Identifier: MIT */
/*
 * The daemon's network wiring: registration with hbbs, the incoming
 * connection flows, the NAT type test with its retry ladder, and the
 * direct-IP listener, all built from the current config snapshot and
 * rebuilt on reload. Connections are handed to the session module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon-internal.h"
#include "cli/proxy-password.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "monitor/monitor-client.h"
#include "net/sockaddr.h"
#include "net/incoming.h"
#include "net/listener.h"
#include "net/nat.h"
#include "net/rendezvous.h"
#include "platform/securefile.h"
#include "policy/policy.h"
#include "session/session.h"
#include "store/state.h"

#include <sodium.h>

#define NAT_RETRY_MAX_S 300
/* Connections that have not logged in yet, in all and from one source
 * (an IPv4 address or an IPv6 /64). Logged-in sessions do not count:
 * whoever floods the login cannot lock out technicians already in, and
 * one source cannot take every login slot from the others. */
#define MAX_SESSIONS_PREAUTH 64
#define MAX_PREAUTH_PER_SOURCE 8

void
daemon_net_forget(struct daemon *d, struct session *s)
{
	for (size_t i = 0; i < d->net.live_cap; i++)
		if (d->net.live[i] == s)
			d->net.live[i] = NULL;
	d->net.sessions--;
}

/* Remembers an open session so shutdown can close it. */
static void
track(struct daemon *d, struct session *ss)
{
	size_t i;

	if (ss == NULL)
		return;
	for (i = 0; i < d->net.live_cap; i++) {
		if (d->net.live[i] == NULL) {
			d->net.live[i] = ss;
			return;
		}
	}
	size_t n = d->net.live_cap ? d->net.live_cap * 2 : 16;
	struct session **v = realloc(d->net.live, n * sizeof(*v));

	if (v == NULL)
		return; /* not tracked: it still closes itself when idle */
	memset(v + d->net.live_cap, 0, (n - d->net.live_cap) * sizeof(*v));
	v[d->net.live_cap] = ss;
	d->net.live = v;
	d->net.live_cap = n;
}

/* Pre-login sessions: in all, and from the same source as peer. */
static void
count_preauth(struct daemon *d, const struct sockaddr_storage *peer,
	unsigned *all, unsigned *same)
{
	*all = *same = 0;
	for (size_t i = 0; i < d->net.live_cap; i++) {
		struct session *ss = d->net.live[i];

		if (ss == NULL || !session_is_preauth(ss))
			continue;
		(*all)++;
		if (sockaddr_same_source(session_source(ss), peer))
			(*same)++;
	}
}

static void
on_conn(void *arg, struct stream *s, enum conn_path path, bool secure,
	const struct sockaddr_storage *peer, const struct sockaddr_storage *via)
{
	struct daemon *d = arg;
	struct session_env env = {
		.loop = &d->loop,
		.secrets = &d->secrets, /* the key is the monitor's */
		.id = state_id(d->state),
		.version = DAEMON_PROTO_VERSION,
		.hostname = d->hostname,
		.username = "",
		.creds = &d->creds,
		.require_encryption = d->rules->require_encryption,
		.handshake_timeout_ms = 18000,
		.login_timeout_ms = (unsigned)conf_int(d->conf,
					    CONF_SECURITY_LOGIN_TIMEOUT) *
			1000u,
		.idle_timeout_ms = 30000,
		.video_max_fps = (unsigned)conf_int(d->conf, CONF_VIDEO_MAX_FPS),
		.video_codec = (enum session_codec_pref)conf_enum(d->conf,
			CONF_VIDEO_CODEC),
		.hooks = &daemon_session_hooks,
		.arg = d,
	};

	struct session *ss;
	unsigned preauth, same;
	char from[72];
	struct session_info info = {
		.peer_id = "",
		.peer_name = "",
		.source = peer,
		.via = via,
		.path = path,
		/* The handshake is still ahead: a secure path is judged as
		 * encrypted here, and the session refuses it later if the
		 * client cannot encrypt (security.require_encryption). */
		.encrypted = secure,
	};

	/* Source filters (direct_access.allow_from, policy.peers.allow_from)
	 * apply before a single byte is parsed. */
	if (!daemon_policy_connect_ok(d, &info)) {
		stream_close(s, NULL);
		return;
	}
	count_preauth(d, peer, &preauth, &same);
	if (preauth >= MAX_SESSIONS_PREAUTH ||
		same >= MAX_PREAUTH_PER_SOURCE) {
		sockaddr_format(peer, from, sizeof(from));
		if (op_ratelimit_allow(&d->net.preauth_rl, op_now_ms(), 5, 10000,
			    NULL))
			log_warn("refused a %s connection from %s: %u logins "
				 "in progress (%u from that source; limits %u "
				 "and %u)",
				conn_path_name(path), from[0] ? from : "?",
				preauth, same, MAX_SESSIONS_PREAUTH,
				MAX_PREAUTH_PER_SOURCE);
		d->net.preauth_refused++;
		stream_close(s, NULL);
		return;
	}
	d->net.sessions++;
	d->net.sessions_total++;
	ss = session_start(&env, s, path, secure, peer, via);
	if (ss != NULL) {
		track(d, ss);
		daemon_audit_session_open(d, ss, &info);
	}
}

void
daemon_net_close_sessions(struct daemon *d, const char *reason)
{
	for (size_t i = 0; i < d->net.live_cap; i++)
		if (d->net.live[i] != NULL)
			session_close(d->net.live[i], reason);
}

static void
on_push(void *arg, const struct rdv_push *p)
{
	struct daemon *d = arg;

	if (d->net.in != NULL)
		incoming_handle_push(d->net.in, p);
}

static void start_nat(struct daemon *d);

static void
on_nat_timer(uv_timer_t *t)
{
	start_nat(t->data);
}

static void
on_nat_done(void *arg, int status, int nat_type, const uint16_t ports[2])
{
	struct daemon *d = arg;
	unsigned delay_s;

	d->net.nat = NULL;
	if (status == UV_ECANCELED)
		return;
	if (status == 0) {
		d->net.nat_type = nat_type;
		d->net.nat_ports[0] = ports[0];
		d->net.nat_ports[1] = ports[1];
		if (d->net.in != NULL)
			incoming_set_nat_type(d->net.in, nat_type);
		log_info("NAT type: %s (hbbs saw ports %u and %u)",
			nat_type_name(nat_type), ports[0], ports[1]);
		return;
	}
	/* 1, 3, 7, 15, ... s, capped at 5 minutes (§3.5). */
	delay_s = (2u << (d->net.nat_attempts < 8 ? d->net.nat_attempts : 8)) -
		1;
	if (delay_s > NAT_RETRY_MAX_S)
		delay_s = NAT_RETRY_MAX_S;
	d->net.nat_attempts++;
	log_info("NAT test failed (%s); retrying in %u s", op_strerror(status),
		delay_s);
	uv_timer_start(&d->net.nat_timer, on_nat_timer, delay_s * 1000ull, 0);
}

static void
start_nat(struct daemon *d)
{
	char host[256];
	uint16_t port;

	if (conf_hostport_split(conf_str(d->conf, CONF_SERVER_RENDEZVOUS),
		    21116, host, sizeof(host), &port) != 0)
		return;
	if (nat_test_start(&d->loop, host, port, 10000, on_nat_done, d,
		    &d->net.nat) != 0)
		on_nat_done(d, OP_ERR_INTERNAL, 0, (uint16_t[2]){ 0, 0 });
}

static void
start_direct(struct daemon *d)
{
	char host[256], msg[256];
	uint16_t port;
	int r;

	d->net.direct_error[0] = '\0';
	if (!conf_bool(d->conf, CONF_DIRECT_ACCESS_ENABLED))
		return;
	/* The parser config check used: a value that passed it binds here
	 * or fails only for a reason of the moment (EADDRINUSE). */
	r = conf_listen_parse(conf_str(d->conf, CONF_DIRECT_ACCESS_LISTEN),
		21118, host, sizeof(host), &port, msg, sizeof(msg));
	if (r == 0)
		r = listener_start(&d->loop, host, port, on_conn, d,
			&d->net.direct);
	if (r != 0) {
		snprintf(d->net.direct_error, sizeof(d->net.direct_error), "%s",
			r == OP_ERR_CONFIG ? msg : op_strerror(r));
		log_error("direct-IP listener on %s: %s",
			conf_str(d->conf, CONF_DIRECT_ACCESS_LISTEN),
			d->net.direct_error);
		return;
	}
	log_notice("direct-IP access on %s (plaintext by protocol)",
		conf_str(d->conf, CONF_DIRECT_ACCESS_LISTEN));
}

/*
 * Fills d->net.proxy from server.proxy*. Returns false when a proxy is
 * configured but unusable: the agent then does not fall back to direct
 * connections the admin meant to go through the proxy.
 */
static bool
load_proxy(struct daemon *d)
{
	const char *url = conf_str(d->conf, CONF_SERVER_PROXY);
	const char *pwfile = conf_str(d->conf, CONF_SERVER_PROXY_PASSWORD_FILE);
	const char *ca = conf_str(d->conf, CONF_SERVER_PROXY_CA);
	char why[SFILE_WHY_LEN];
	sodium_memzero(&d->net.proxy, sizeof(d->net.proxy));
	d->net.have_proxy = false;
	if (url[0] == '\0')
		return true;
	if (proxy_parse_url(url, &d->net.proxy, why, sizeof(why)) != 0) {
		log_error("server.proxy: %s", why);
		return false;
	}
	/* The file is root's: the monitor reads it for us. */
	if (pwfile[0] != '\0' && d->mon_fd >= 0) {
		int r = monclient_proxy_password(d->mon_fd, d->net.proxy.password,
			sizeof(d->net.proxy.password));

		daemon_monitor_failed(d, r, "proxy-password");
		if (r != 0) {
			log_error("server.proxy_password_file: %s",
				d->net.proxy.password);
			sodium_memzero(&d->net.proxy, sizeof(d->net.proxy));
			return false;
		}
	} else if (pwfile[0] != '\0' &&
		proxy_load_password(&d->net.proxy, pwfile, why) != 0) {
		log_error("server.proxy_password_file: %s", why);
		return false;
	}
	snprintf(d->net.proxy.ca_file, sizeof(d->net.proxy.ca_file), "%s", ca);
	d->net.have_proxy = true;
	return true;
}

static void
start_rendezvous(struct daemon *d)
{
	const char *server = conf_str(d->conf, CONF_SERVER_RENDEZVOUS);
	struct rendezvous_conf rc = { 0 };
	struct incoming_conf ic = { 0 };
	char host[256];
	uint16_t port;
	int r;

	if (server[0] == '\0')
		return;
	if (conf_hostport_split(server, 21116, host, sizeof(host), &port) != 0)
		return;
	if (!load_proxy(d)) {
		log_error("not registering: the configured proxy is unusable");
		return;
	}
	if (conf_str(d->conf, CONF_SERVER_KEY)[0] == '\0')
		log_warn("server.key is not set: relayed sessions fail against "
			 "a keyed hbbr and clients cannot verify this host; "
			 "set it to the content of hbbs' id_ed25519.pub");
	ic.rdv_host = host;
	ic.rdv_port = port;
	ic.relay = conf_str(d->conf, CONF_SERVER_RELAY);
	ic.licence_key = conf_str(d->conf, CONF_SERVER_KEY);
	ic.id = state_id(d->state);
	ic.version = DAEMON_PROTO_VERSION;
	ic.proxy = d->net.have_proxy ? &d->net.proxy : NULL;
	ic.accept_timeout_ms = 18000;
	if ((r = incoming_new(&d->loop, &ic, on_conn, d, &d->net.in)) != 0) {
		log_error_r(r, "incoming connections");
		return;
	}
	incoming_set_nat_type(d->net.in, d->net.nat_type);
	rc.host = host;
	rc.port = port;
	rc.id = state_id(d->state);
	rc.uuid = state_uuid(d->state);
	rc.pk = state_key(d->state)->pk;
	rc.proxy = ic.proxy;
	rc.server_key = conf_str(d->conf, CONF_SERVER_KEY);
	if ((r = rendezvous_start(&d->loop, &rc, on_push, d, &d->net.rdv)) !=
		0) {
		log_error_r(r, "rendezvous");
		return;
	}
	if (d->net.have_proxy) {
		/* Behind a proxy every session is relayed (§3.5). */
		d->net.nat_type = NAT_SYMMETRIC;
		incoming_set_nat_type(d->net.in, NAT_SYMMETRIC);
	} else {
		d->net.nat_attempts = 0;
		start_nat(d);
	}
}

void
daemon_net_start(struct daemon *d)
{
	if (!d->net.nat_timer_init) {
		uv_timer_init(&d->loop, &d->net.nat_timer);
		d->net.nat_timer.data = d;
		d->net.nat_timer_init = true;
	}
	start_rendezvous(d);
	start_direct(d);
}

void
daemon_net_stop(struct daemon *d)
{
	if (d->net.nat_timer_init)
		uv_timer_stop(&d->net.nat_timer);
	nat_test_cancel(d->net.nat);
	d->net.nat = NULL;
	rendezvous_stop(d->net.rdv);
	d->net.rdv = NULL;
	incoming_free(d->net.in);
	d->net.in = NULL;
	listener_stop(d->net.direct);
	d->net.direct = NULL;
	sodium_memzero(&d->net.proxy, sizeof(d->net.proxy));
	d->net.have_proxy = false;
}

/* Input and clipboard messages sessions could not apply (no permission,
 * no backend, invalid): open sessions and all since start. Each drop is
 * also logged with its reason and counted on the session's record. */
static void
input_status(struct daemon *d, FILE *f)
{
	uint64_t live = 0;

	for (size_t i = 0; i < d->net.live_cap; i++)
		if (d->net.live[i] != NULL)
			live += session_dropped_input(d->net.live[i]);
	fprintf(f, ",\"input\":{\"dropped\":%llu,\"dropped_total\":%llu}",
		(unsigned long long)live,
		(unsigned long long)(live + d->net.input_dropped_closed));
}

bool
daemon_net_way_in(const struct daemon *d, char *why, size_t why_size)
{
	const char *rdv = conf_str(d->conf, CONF_SERVER_RENDEZVOUS);
	const char *src = conf_source(d->conf);
	char rdv_part[300], direct_part[400];

	if (d->net.rdv != NULL || d->net.direct != NULL)
		return true;
	if (rdv[0] == '\0')
		snprintf(rdv_part, sizeof(rdv_part), "server.rendezvous is "
			"not set");
	else
		snprintf(rdv_part, sizeof(rdv_part), "registration with %s "
			"could not start (see the error above)", rdv);
	if (!conf_bool(d->conf, CONF_DIRECT_ACCESS_ENABLED))
		snprintf(direct_part, sizeof(direct_part), "direct_access is "
			"disabled");
	else
		snprintf(direct_part, sizeof(direct_part), "the direct-IP "
			"listener on %s failed: %s%s",
			conf_str(d->conf, CONF_DIRECT_ACCESS_LISTEN),
			d->net.direct_error,
			strstr(d->net.direct_error, "in use") != NULL ?
				" (is another agent running?)" :
				"");
	snprintf(why, why_size, "no way in: %s and %s; set server.rendezvous "
		"(reachable by ID) or %s in %s", rdv_part, direct_part,
		conf_bool(d->conf, CONF_DIRECT_ACCESS_ENABLED) ?
			"a free direct_access.listen address" :
			"direct_access.enabled: true (direct IP)",
		strcmp(src, CONF_SOURCE_DEFAULT) == 0 ? CLI_DEFAULT_CONFIG :
							src);
	return false;
}

void
daemon_net_status(struct daemon *d, FILE *f)
{
	const char *server = conf_str(d->conf, CONF_SERVER_RENDEZVOUS);
	struct rendezvous_status rs;

	fputs(",\"server\":", f);
	op_json_cstr(f, server[0] ? server : NULL);
	if (d->net.rdv != NULL) {
		rendezvous_get_status(d->net.rdv, &rs);
		fprintf(f,
			",\"registered\":%s,\"last_ack_age_ms\":%lld,"
			"\"registration_mode\":\"%s\",\"encrypted\":%s",
			rs.registered ? "true" : "false",
			(long long)rs.last_ack_age_ms, rs.mode,
			rs.encrypted ? "true" : "false");
		fputs(",\"server_address\":", f);
		op_json_cstr(f, rs.server_addr[0] ? rs.server_addr : NULL);
		fputs(",\"registration_result\":", f);
		op_json_cstr(f, rs.last_result < 0 ? NULL :
						     rdv_result_name(rs.last_result));
		fprintf(f,
			",\"registration_failures\":%u,\"register_peer_sent\":"
			"%llu,\"register_pk_sent\":%llu,\"datagrams_dropped\":"
			"%llu,\"datagrams_spoofed\":%llu",
			rs.fails, (unsigned long long)rs.sent_peer,
			(unsigned long long)rs.sent_pk,
			(unsigned long long)rs.dropped,
			(unsigned long long)rs.spoofed);
		if (rs.last_result > 0) {
			fputs(",\"registration_advice\":", f);
			op_json_cstr(f, rdv_result_advice(rs.last_result));
		}
	} else {
		fputs(",\"registered\":false,\"last_ack_age_ms\":-1", f);
	}
	fputs(",\"nat_type\":", f);
	op_json_cstr(f, nat_type_name(d->net.nat_type));
	fputs(",\"proxy\":", f);
	if (d->net.have_proxy)
		fprintf(f, "\"%s:%u\"", d->net.proxy.host, d->net.proxy.port);
	else
		fputs("null", f);
	fputs(",\"direct_access\":", f);
	if (d->net.direct != NULL)
		fprintf(f, "{\"listen\":\"%s\",\"port\":%u}",
			conf_str(d->conf, CONF_DIRECT_ACCESS_LISTEN),
			listener_port(d->net.direct));
	else if (d->net.direct_error[0] != '\0') {
		fputs("{\"error\":", f);
		op_json_cstr(f, d->net.direct_error);
		fputs("}", f);
	} else
		fputs("null", f);
	if (d->net.in != NULL) {
		struct incoming_stats st;

		incoming_get_stats(d->net.in, &st);
		fprintf(f,
			",\"incoming\":{\"started\":%llu,\"connected\":%llu,"
			"\"failed\":%llu}",
			(unsigned long long)st.started,
			(unsigned long long)st.connected,
			(unsigned long long)st.failed);
	}
	fprintf(f, ",\"sessions\":%u,\"sessions_total\":%llu", d->net.sessions,
		(unsigned long long)d->net.sessions_total);
	fprintf(f, ",\"logins\":{\"in_progress\":%u,\"slots\":%u,"
		   "\"refused_busy\":%llu}",
		d->net.sessions - d->net.slots, d->net.slots,
		(unsigned long long)d->net.preauth_refused);
	input_status(d, f);
}
