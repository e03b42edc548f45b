/* SPDX-License-Identifier: MIT */
/*
 * `outpost doctor [--json] [-v]`: the troubleshooting an admin would do by
 * hand, as one command that never hangs (about 13 s at worst, everything
 * down or black-holed). It reads the configuration and the state
 * directory but never writes either, asks the running agent (if any) for
 * its status, then lets doctor-net.c measure and turns the outcomes into
 * one line per check: ok / warn / FAIL / skip, a figure, and for problems
 * a concrete fix. --json prints the same as one object
 * {"checks":[{name,status,figure,detail,fix,ms}],"reachable":bool,...}.
 *
 * Checks, in order: config, agent, dns-rendezvous, dns-relay, proxy,
 * proxy-tls, proxy-auth (the proxy ones only when server.proxy is set),
 * tcp-rendezvous (R), tcp-nat (R-1), tcp-relay, relay-key, udp-register,
 * tcp-register (only with a proxy), nat-test, rtt.
 *
 * Decisions (also in README "Troubleshooting"):
 *  - FAIL means "a technician cannot reach this host by ID" (or sessions
 *    will fail): the rendezvous server unresolvable/unreachable over TCP,
 *    no RegisterPeerResponse over UDP, the relay unreachable or refusing
 *    the licence key, a proxy that cannot be reached, refuses the
 *    credentials or the CONNECT, or whose TLS certificate does not chain
 *    to the expected CA. warn means degraded or informational: no
 *    server.key, TCP R-1 / the NAT test (only the NAT type depends on
 *    them), a symmetric NAT, the local agent not running or not
 *    registered, a high RTT. Exit 0 when nothing FAILed (reachable), 69
 *    (EX_UNAVAILABLE) otherwise, 78 (EX_CONFIG) for configuration errors.
 *  - UDP blocked without a proxy is a FAIL (exit 69): the agent, like
 *    RustDesk, registers over UDP, and OSS hbbs accepts nothing else; the
 *    fix says whether TCP and the relay work. With a proxy the agent
 *    registers over TCP through it, which only RustDesk Server Pro
 *    accepts: tcp-register listens for the signed KeyExchange a Pro
 *    server opens every connection with (verified with server.key) and
 *    FAILs on OSS hbbs' silence; udp-register is then informational (a
 *    failure only warns).
 *  - With a proxy, every TCP check goes through it, as the agent's own
 *    connections do (punch-hole replies to R, the relay); R-1 and the NAT
 *    test are skipped because the agent does not run the NAT test behind
 *    a proxy (spec §3.5).
 *  - The UDP probe sends RegisterPeer, never RegisterPk (rate-limited by
 *    hbbs, and it binds IDs). It uses the host's real ID (identity.id, or
 *    state_dir/id read without creating anything) unless the local agent
 *    is running: hbbs would then move the agent's address to the doctor's
 *    socket (same IP, known key) and send the agent's incoming
 *    connections there until its next keep-alive, so a random probe ID is
 *    used instead, and said so.
 *  - TLS interception (HTTPS proxy): FAIL when the certificate presented
 *    for the proxy does not verify against the expected trust anchor
 *    (server.proxy_ca when set, else the system store) or names another
 *    host. The figure shows the issuer found and the issuer expected (the
 *    subjects in server.proxy_ca). With the system store, an inspection
 *    box whose CA is trusted system-wide cannot be told apart; the detail
 *    says to pin the proxy's CA with server.proxy_ca.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/doctor-internal.h"
#include "cli/proxy-password.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/json.h"
#include "ctl/ctl.h"
#include "net/nat.h"
#include "platform/securefile.h"

#ifdef _WIN32
#define ID_OPEN_FLAGS (O_RDONLY | O_BINARY)
#else
#define ID_OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)
#endif

#define AGENT_TIMEOUT_MS 1500

static const char *const check_name[K_COUNT] = {
	[K_CONFIG] = "config",
	[K_AGENT] = "agent",
	[K_DNS_RDV] = "dns-rendezvous",
	[K_DNS_RELAY] = "dns-relay",
	[K_PROXY] = "proxy",
	[K_PROXY_TLS] = "proxy-tls",
	[K_PROXY_AUTH] = "proxy-auth",
	[K_TCP_RDV] = "tcp-rendezvous",
	[K_TCP_NAT] = "tcp-nat",
	[K_TCP_RELAY] = "tcp-relay",
	[K_RELAY_KEY] = "relay-key",
	[K_UDP] = "udp-register",
	[K_TCP_REG] = "tcp-register",
	[K_NAT] = "nat-test",
	[K_RTT] = "rtt",
};

/* ---- config ---- */

/* server.proxy* as the daemon reads them (daemon-net.c load_proxy): a
 * password file, when named, is read whatever the URL's user. */
static int
check_proxy_conf(const struct conf *c, struct doctor *d,
	struct doctor_report *rep)
{
	struct doctor_result *r = &rep->r[K_CONFIG];
	const char *url = conf_str(c, CONF_SERVER_PROXY);
	const char *pwfile = conf_str(c, CONF_SERVER_PROXY_PASSWORD_FILE);
	const char *ca = conf_str(c, CONF_SERVER_PROXY_CA);
	char why[SFILE_WHY_LEN] = "";
	char err[256] = "";
	int e;

	if (url[0] == '\0')
		return 0;
	if (proxy_parse_url(url, &d->proxy, err, sizeof(err)) != 0) {
		doctor_set(r, ST_FAIL, "server.proxy: %s", err);
		doctor_fix(r, "correct server.proxy in %s "
			"(scheme://[user@]host:port, scheme http, https or "
			"socks5)", conf_source(c));
		return EX_CONFIG;
	}
	if (d->proxy.scheme == PROXY_NONE)
		return 0;
	snprintf(d->proxy.ca_file, sizeof(d->proxy.ca_file), "%s", ca);
	snprintf(rep->proxy_text, sizeof(rep->proxy_text), "%s://%s%s%s:%u",
		proxy_scheme_name(d->proxy.scheme), d->proxy.user,
		d->proxy.user[0] ? "@" : "", d->proxy.host,
		(unsigned)d->proxy.port);
	d->have_proxy = true;
	if (d->proxy.user[0] != '\0' && pwfile[0] == '\0') {
		r->st = ST_WARN;
		doctor_fix(r, "server.proxy names user '%s' but "
		       "server.proxy_password_file is not set: an empty "
		       "password is sent",
			d->proxy.user);
	} else if (pwfile[0] != '\0' &&
		(e = proxy_load_password(&d->proxy, pwfile, why)) != 0) {
		doctor_set(r, ST_FAIL, "server.proxy_password_file: %s",
			why[0] ? why : op_strerror(e));
		doctor_fix(r, e == OP_ERR_PERM || e == -EACCES ?
				"run doctor as the agent's user (e.g. sudo -u "
				"outpost outpost doctor), or fix the file as "
				"said" :
				"point server.proxy_password_file at a 0600 "
				"file holding the password on one line");
		return EX_CONFIG;
	}
	return 0;
}

static int
check_config(const struct conf *c, struct doctor *d, struct doctor_report *rep)
{
	struct doctor_result *r = &rep->r[K_CONFIG];
	const char *rdv = conf_str(c, CONF_SERVER_RENDEZVOUS);
	const char *relay = conf_str(c, CONF_SERVER_RELAY);
	const char *key = conf_str(c, CONF_SERVER_KEY);
	uint8_t raw[64];
	size_t rawlen = 0;
	int rc;

	r->st = ST_OK;
	if (rdv[0] == '\0') {
		/* Valid (direct IP only), but nobody can reach this host by
		 * ID: a finding with advice, not a configuration error. */
		bool dflt = strcmp(conf_source(c), CONF_SOURCE_DEFAULT) == 0;

		rep->no_server = true;
		if (conf_bool(c, CONF_DIRECT_ACCESS_ENABLED))
			snprintf(rep->direct_text, sizeof(rep->direct_text),
				"this host takes direct-IP connections only "
				"(on %s)",
				conf_str(c, CONF_DIRECT_ACCESS_LISTEN));
		else
			snprintf(rep->direct_text, sizeof(rep->direct_text),
				"direct_access is disabled too, so `outpost "
				"run` would refuse to start");
		doctor_set(r, ST_FAIL, "server.rendezvous is not set %s%s",
			dflt ? "(built-in defaults: no " : "in ",
			dflt ? CLI_DEFAULT_CONFIG ")" : conf_source(c));
		doctor_fix(r, "set server.rendezvous to your hbbs host, e.g. "
		       "'rustdesk.example.com' (port 21116 is implied), in %s",
			dflt ? CLI_DEFAULT_CONFIG : conf_source(c));
		return EX_UNAVAILABLE;
	}
	if (conf_hostport_split(rdv, 21116, d->rdv_host, sizeof(d->rdv_host),
		    &d->rdv_port) != 0) {
		doctor_set(r, ST_FAIL, "server.rendezvous '%s' is not "
			"host[:port]", rdv);
		doctor_fix(r, "correct server.rendezvous in %s",
			conf_source(c));
		return EX_CONFIG;
	}
	if (relay[0] != '\0') {
		if (conf_hostport_split(relay, 21117, d->relay_host,
			    sizeof(d->relay_host), &d->relay_port) != 0) {
			doctor_set(r, ST_FAIL, "server.relay '%s' is not "
				"host[:port]", relay);
			doctor_fix(r, "correct server.relay in %s",
				conf_source(c));
			return EX_CONFIG;
		}
	} else {
		/* RustDesk: the relay is R+1 unless configured or announced
		 * by hbbs (§1.1). */
		if (d->rdv_port == 65535) {
			doctor_set(r, ST_FAIL, "server.relay is empty and the "
					"rendezvous port 65535 has no +1");
			doctor_fix(r, "set server.relay");
			return EX_CONFIG;
		}
		memcpy(d->relay_host, d->rdv_host, sizeof(d->relay_host));
		d->relay_port = (uint16_t)(d->rdv_port + 1);
		rep->relay_derived = true;
	}
	d->relay_same_host = strcmp(d->relay_host, d->rdv_host) == 0;
	d->licence_key = key;
	if ((rc = check_proxy_conf(c, d, rep)) != 0)
		return rc;
	if (key[0] != '\0' &&
		(sodium_base642bin(raw, sizeof(raw), key, strlen(key), NULL,
			 &rawlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
			rawlen != 32)) {
		doctor_set(r, ST_FAIL, "server.key does not decode to a "
			"32-byte key");
		doctor_fix(r, "set server.key to the content of "
			"id_ed25519.pub on the server (44 base64 characters)");
		return EX_CONFIG;
	}
	doctor_set(r, r->st, "rendezvous %s:%u, relay %s:%u%s, key %s%s%s",
		d->rdv_host, (unsigned)d->rdv_port, d->relay_host,
		(unsigned)d->relay_port,
		rep->relay_derived ? " (rendezvous port + 1)" : "",
		key[0] ? "set" : "NOT set", d->have_proxy ? ", proxy " : "",
		rep->proxy_text);
	doctor_detail(r, "configuration from %s.", conf_source(c));
	if (key[0] == '\0') {
		r->st = r->st == ST_OK ? ST_WARN : r->st;
		doctor_fix(r, "set server.key to the content of "
			"id_ed25519.pub on the server: without it a keyed "
			"hbbr silently drops every relayed session and "
			"clients cannot verify this host");
	}
	return 0;
}

/* ---- the local agent ---- */

/* Copies the value of "key": from our own daemon's one-line JSON status
 * (strings without quotes, other values as written). */
static bool
json_field(const char *json, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p;
	size_t i = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL || n == 0)
		return false;
	p += strlen(pat);
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"' && i + 1 < n; p++)
			out[i++] = *p == '\\' && p[1] != '\0' ? *++p : *p;
	} else {
		for (; *p != '\0' && *p != ',' && *p != '}' && i + 1 < n; p++)
			out[i++] = *p;
	}
	out[i] = '\0';
	return true;
}

/* Privilege separation as the running agent reports it. */
static void
check_separation(struct doctor_result *r, const char *net_uid,
	const char *seccomp)
{
	if (strcmp(net_uid, "0") == 0) {
		r->st = r->st == ST_OK ? ST_WARN : r->st;
		doctor_fix(r, "its network process runs as root "
			"(security.network_user: root): set it to outpost, "
			"the account the packages create");
	} else if (strcmp(seccomp, "true") != 0) {
		r->st = r->st == ST_OK ? ST_WARN : r->st;
		doctor_fix(r, "its network process runs without its seccomp "
			"filter");
	}
}

static void
check_agent(const struct conf *c, struct doctor_report *rep)
{
	struct doctor_result *r = &rep->r[K_AGENT];
	const char *dir = cli_state_dir(c);
	char *ans = NULL;
	char id[32] = "?";
	char pid[16] = "?";
	char reg[8] = "";
	char age[24] = "";
	char nat[24] = "";
	char result[32] = "";
	char advice[256] = "";
	char net_uid[16] = "", seccomp[8] = "";
	int e;

	e = ctl_request(dir, "status", AGENT_TIMEOUT_MS, &ans);
	if (e == -ENOENT || e == -ECONNREFUSED) {
		doctor_set(r, ST_WARN, "not running (no control socket in %s)",
			dir);
		doctor_fix(r, "start it: systemctl start outpost (or outpost "
			"run); the checks below test the network either way");
		return;
	}
	if (e == -EACCES || e == -EPERM) {
		doctor_set(r, ST_WARN, "cannot ask it: permission denied on "
			"%s/%s", dir, CTL_SOCKET_NAME);
		doctor_fix(r, "run doctor as the agent's user or root");
		return;
	}
	if (e != 0) {
		doctor_set(r, ST_WARN, "cannot ask it: %s", doctor_err_text(e));
		doctor_fix(r, "check that the agent is healthy: journalctl "
			"-u outpost");
		return;
	}
	rep->agent_running = true;
	json_field(ans, "id", id, sizeof(id));
	json_field(ans, "pid", pid, sizeof(pid));
	json_field(ans, "registered", reg, sizeof(reg));
	json_field(ans, "last_ack_age_ms", age, sizeof(age));
	json_field(ans, "nat_type", nat, sizeof(nat));
	json_field(ans, "registration_result", result, sizeof(result));
	json_field(ans, "registration_advice", advice, sizeof(advice));
	json_field(ans, "network_uid", net_uid, sizeof(net_uid));
	json_field(ans, "seccomp", seccomp, sizeof(seccomp));
	free(ans);
	if (strcmp(reg, "true") == 0) {
		doctor_set(r, ST_OK, "running (pid %s), ID %s, registered "
			"(last answer %s ms ago), NAT %s", pid, id, age, nat);
		check_separation(r, net_uid, seccomp);
		return;
	}
	doctor_set(r, ST_WARN, "running (pid %s), ID %s, NOT registered%s%s",
		pid, id, result[0] && strcmp(result, "null") != 0 ? ": " : "",
		strcmp(result, "null") != 0 ? result : "");
	if (advice[0] != '\0')
		doctor_fix(r, "%s", advice);
	else
		doctor_fix(r, "see the failing checks below; the agent "
			"retries on its own once they pass");
	check_separation(r, net_uid, seccomp);
}

/* ---- which ID the UDP probe uses ---- */

static void
random_probe_id(struct doctor *d, struct doctor_report *rep, const char *why)
{
	snprintf(d->probe_id, sizeof(d->probe_id), "doctor-%08x",
		(unsigned)randombytes_random());
	rep->probe_random = true;
	snprintf(rep->probe_why, sizeof(rep->probe_why), "%s", why);
}

/* The stored ID, read without creating anything (state_open would). */
static void
pick_probe_id(const struct conf *c, struct doctor *d, struct doctor_report *rep)
{
	const char *custom = conf_str(c, CONF_IDENTITY_ID);
	const char *dir = cli_state_dir(c);
	char path[4200];
	char buf[64];
	ssize_t n;
	int fd;

	if (rep->agent_running) {
		random_probe_id(d, rep,
			"the agent is running: a RegisterPeer with its ID from "
			"another socket would make hbbs send its incoming "
			"connections to the doctor until its next keep-alive");
		return;
	}
	if (custom[0] != '\0' && strcmp(custom, "auto") != 0) {
		snprintf(d->probe_id, sizeof(d->probe_id), "%s", custom);
		return;
	}
	snprintf(path, sizeof(path), "%s/id", dir);
	fd = open(path, ID_OPEN_FLAGS);
	if (fd < 0) {
		char why[300];

		if (errno == ENOENT)
			snprintf(why, sizeof(why),
				"no ID in %s yet (the agent has not run; "
				"doctor creates nothing)",
				dir);
		else
			snprintf(why, sizeof(why),
				"cannot read %s/id (run doctor as the agent's "
				"user or root)",
				dir);
		random_probe_id(d, rep, why);
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n > 0 ? n : 0] = '\0';
	if (n != 9 || buf[0] == '0' || strspn(buf, "0123456789") != 9) {
		random_probe_id(d, rep, "the stored ID is not a 9-digit ID");
		return;
	}
	memcpy(d->probe_id, buf, 10);
}

/* ---- output ---- */

static const char *
status_word(enum doc_status st, bool json)
{
	switch (st) {
	case ST_OK:
		return "ok";
	case ST_WARN:
		return "warn";
	case ST_FAIL:
		return json ? "fail" : "FAIL";
	case ST_SKIP:
		return "skip";
	case ST_HIDDEN:
		break;
	}
	return "?";
}

static void
print_text(const struct doctor_report *rep, bool verbose, bool reachable,
	int exit_code)
{
	int fails = 0;
	int warns = 0;

	for (int i = 0; i < K_COUNT; i++) {
		const struct doctor_result *r = &rep->r[i];

		if (r->st == ST_HIDDEN)
			continue;
		fails += r->st == ST_FAIL;
		warns += r->st == ST_WARN;
		printf("%-4s  %-14s  %s", status_word(r->st, false),
			check_name[i], r->figure);
		if (r->fix[0] != '\0' && r->st != ST_OK)
			printf("; fix: %s", r->fix);
		putchar('\n');
		if (verbose && r->detail[0] != '\0')
			printf("      %-14s  %s\n", "", r->detail);
	}
	if (rep->no_server)
		printf("reachable by ID: no, there is no rendezvous server to "
		       "register with; %s (exit %d)\n",
			rep->direct_text, exit_code);
	else if (exit_code == EX_CONFIG)
		printf("configuration error: correct what the config line "
		       "above says (exit %d)\n",
			exit_code);
	else if (reachable)
		printf("reachable: yes (%d warning%s)\n", warns,
			warns == 1 ? "" : "s");
	else
		printf("reachable: NO (%d failure%s, %d warning%s; exit %d)\n",
			fails, fails == 1 ? "" : "s", warns,
			warns == 1 ? "" : "s", exit_code);
}

static void
json_opt(const char *key, const char *s)
{
	printf(",\"%s\":", key);
	op_json_cstr(stdout, s[0] ? s : NULL);
}

static void
print_json(const struct doctor_report *rep, const struct doctor *d,
	bool reachable, int exit_code)
{
	bool first = true;

	fputs("{\"checks\":[", stdout);
	for (int i = 0; i < K_COUNT; i++) {
		const struct doctor_result *r = &rep->r[i];

		if (r->st == ST_HIDDEN)
			continue;
		printf("%s{\"name\":\"%s\",\"status\":\"%s\"",
			first ? "" : ",", check_name[i],
			status_word(r->st, true));
		first = false;
		fputs(",\"figure\":", stdout);
		op_json_cstr(stdout, r->figure);
		json_opt("detail", r->detail);
		json_opt("fix", r->st != ST_OK ? r->fix : "");
		if (r->ms >= 0)
			printf(",\"ms\":%.3f}", r->ms);
		else
			fputs(",\"ms\":null}", stdout);
	}
	printf("],\"reachable\":%s,\"exit_code\":%d",
		reachable ? "true" : "false", exit_code);
	fputs(",\"probe_id\":", stdout);
	op_json_cstr(stdout, d->probe_id[0] ? d->probe_id : NULL);
	printf(",\"probe_id_random\":%s}\n",
		rep->probe_random ? "true" : "false");
}

static void
report_init(struct doctor_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	for (int i = 0; i < K_COUNT; i++)
		rep->r[i].ms = -1;
}

static int
finish(struct doctor_report *rep, const struct doctor *d, bool json,
	bool verbose, int exit_code)
{
	bool reachable = exit_code == 0;

	if (exit_code == 0) {
		for (int i = 0; i < K_COUNT; i++)
			if (rep->r[i].st == ST_FAIL)
				reachable = false;
		exit_code = reachable ? EX_OK : EX_UNAVAILABLE;
	}
	if (json)
		print_json(rep, d, reachable, exit_code);
	else
		print_text(rep, verbose, reachable, exit_code);
	fflush(stdout);
	return exit_code;
}

static const char usage_text[] =
	"usage: outpost [-c FILE] doctor [--json] [-v]\n"
	"\n"
	"Checks that this host can be reached by ID: the configuration, the\n"
	"running agent, DNS, TCP to the rendezvous port R, R-1 and the relay,\n"
	"the relay's licence key, a UDP RegisterPeer round trip, the NAT "
	"type,\n"
	"the proxy (reachability, authentication, TLS interception, whether\n"
	"the server takes registrations over TCP) and the round-trip times.\n"
	"Writes nothing; takes at most about 13 s.\n"
	"\n"
	"  --json         one JSON object instead of lines\n"
	"  -v, --verbose  also print each check's detail\n"
	"\n"
	"exit: 0 reachable (warnings allowed), 69 a check failed, 78 "
	"configuration error\n";

int
cmd_doctor(struct cli *cli, int argc, char **argv)
{
	struct conf_diags diags = { 0 };
	struct conf *conf = NULL;
	struct doctor_report *rep = NULL;
	struct doctor *d = NULL;
	bool json = false;
	bool verbose = false;
	int rc;
	int e;

	if (cli_want_help(argc, argv, usage_text))
		return EX_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-v") == 0 ||
			strcmp(argv[i], "--verbose") == 0) {
			verbose = true;
		} else {
			return cli_usage_error("doctor", usage_text,
				argv[i][0] == '-' ? "unknown option '%s'" :
						    "unexpected argument '%s'",
				argv[i]);
		}
	}
	if (sodium_init() < 0 || (rep = malloc(sizeof(*rep))) == NULL ||
		(d = calloc(1, sizeof(*d))) == NULL) {
		free(rep);
		fprintf(stderr, "outpost doctor: out of memory\n");
		return EX_OSERR;
	}
	report_init(rep);
	e = cli_load_conf_quiet(cli, &conf, &diags);
	if (e != 0) {
		struct doctor_result *r = &rep->r[K_CONFIG];

		doctor_set(r, ST_FAIL, "%s: %s",
			diags.n > 0 ? diags.v[0].where : cli->config_path,
			diags.n > 0 ? diags.v[0].msg : op_strerror(e));
		for (size_t i = 1; i < diags.n; i++)
			doctor_detail(r, "%s: %s.",
				diags.v[i].where, diags.v[i].msg);
		doctor_fix(r, "correct the file; `outpost -c %s config "
			"check` lists every problem", cli->config_path);
		conf_diags_free(&diags);
		rc = finish(rep, d, json, verbose, EX_CONFIG);
		goto out;
	}
	conf_diags_free(&diags);
	if ((rc = check_config(conf, d, rep)) != 0) {
		rc = finish(rep, d, json, verbose, rc);
		goto out;
	}
	check_agent(conf, rep);
	pick_probe_id(conf, d, rep);
	if ((e = doctor_net_run(d)) != 0) {
		fprintf(stderr, "outpost doctor: cannot start the event loop: "
				"%s\n",
			op_strerror(e));
		rc = EX_OSERR;
		goto out;
	}
	doctor_judge(d, rep);
	rc = finish(rep, d, json, verbose, 0);
out:
	conf_unref(conf);
	free(rep);
	sodium_memzero(&d->proxy, sizeof(d->proxy));
	if (d->abandoned) {
		/* A resolver thread still runs and references d and its
		 * loop; libuv would join it at exit (its library
		 * destructor), for as long as the system resolver insists.
		 * The report is out: leave now. */
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	free(d);
	return rc;
}
