/* SPDX-License-Identifier: MIT */
/*
 * The verdicts of `outpost doctor`: turns what doctor-net.c measured into
 * ok / warn / FAIL / skip lines with a figure and a concrete fix, by the
 * rules stated at the top of cmd-doctor.c (FAIL = the host cannot be
 * reached by ID or sessions will fail; warn = degraded or informational).
 * Pure: reads the outcomes, writes the report, no I/O. The proxy checks
 * are doctor-proxy.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


#include "cli/doctor-internal.h"
#include "core/err.h"
#include "net/nat.h"

#define RTT_HIGH_MS 400.0

static void vapp(char *buf, size_t n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
vapp(char *buf, size_t n, const char *fmt, va_list ap)
{
	size_t used = strlen(buf);

	if (used + 1 < n)
		vsnprintf(buf + used, n - used, fmt, ap);
}

void
doctor_set(struct doctor_result *r, enum doc_status st, const char *fmt, ...)
{
	va_list ap;

	r->st = st;
	r->figure[0] = '\0';
	va_start(ap, fmt);
	vapp(r->figure, sizeof(r->figure), fmt, ap);
	va_end(ap);
}

void
doctor_fix(struct doctor_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->fix[0] != '\0')
		strncat(r->fix, "; ", sizeof(r->fix) - strlen(r->fix) - 1);
	va_start(ap, fmt);
	vapp(r->fix, sizeof(r->fix), fmt, ap);
	va_end(ap);
}

void
doctor_detail(struct doctor_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->detail[0] != '\0')
		strncat(r->detail, " ",
			sizeof(r->detail) - strlen(r->detail) - 1);
	va_start(ap, fmt);
	vapp(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

const char *
doctor_err_text(int r)
{
	if (r == UV_ETIMEDOUT)
		return "timed out";
	if (r == UV_ECONNREFUSED)
		return "connection refused";
	return op_strerror(r);
}


static void
judge_dns(const struct doctor *d, struct doctor_report *rep, int which)
{
	const struct doctor_dns *x = &d->dns[which];
	struct doctor_result *r = &rep->r[which == DOC_DNS_RDV ? K_DNS_RDV :
							  K_DNS_RELAY];
	const char *host = which == DOC_DNS_RDV ? d->rdv_host : d->relay_host;
	const char *key = which == DOC_DNS_RDV ? "server.rendezvous" :
		rep->relay_derived		       ? "server.rendezvous" :
							 "server.relay";

	if (!x->done) {
		doctor_set(r, ST_SKIP, "not tried");
		return;
	}
	r->ms = x->ms;
	if (x->status == 0) {
		if (x->literal)
			doctor_set(r, ST_OK, "%s is an IP address (no lookup)",
				host);
		else
			doctor_set(r, ST_OK, "%s -> %s (%.1f ms)",
				host, x->addrs, x->ms);
		if (which == DOC_DNS_RELAY && d->relay_same_host)
			doctor_detail(r, "Same host as the rendezvous server.");
		return;
	}
	doctor_set(r, d->have_proxy ? ST_WARN : ST_FAIL,
		"cannot resolve %s: %s", host,
		x->status == UV_ETIMEDOUT ?
			"no answer from the resolver within 4 s" :
			uv_strerror(x->status));
	doctor_fix(r, "check the host name in %s and this machine's DNS "
	       "(/etc/resolv.conf); test with: getent hosts %s",
		key, host);
	if (d->have_proxy)
		doctor_detail(r, "The proxy resolves it for the TCP "
			"connections; only the UDP registration needs it "
			"resolved here.");
}

static const char *
which_name(int which)
{
	return which == DOC_TCP_RDV ? "hbbs" :
		which == DOC_TCP_NAT ? "hbbs (NAT test port)" :
				       "hbbr";
}

static void
judge_tcp(const struct doctor *d, struct doctor_report *rep, int which)
{
	static const int k[DOC_TCP_COUNT] = { K_TCP_RDV, K_TCP_NAT,
		K_TCP_RELAY };
	const struct doctor_tcp *x = &d->tcp[which];
	const struct net_connect_report *rp = &x->report;
	struct doctor_result *r = &rep->r[k[which]];
	const char *host = which == DOC_TCP_RELAY ? d->relay_host : d->rdv_host;
	uint16_t port = which == DOC_TCP_RDV ? d->rdv_port :
		which == DOC_TCP_NAT	     ? (uint16_t)(d->rdv_port - 1) :
					       d->relay_port;
	enum doc_status bad = which == DOC_TCP_NAT ? ST_WARN : ST_FAIL;
	char where[300];

	if (which == DOC_TCP_NAT && d->have_proxy) {
		doctor_set(r, ST_SKIP, "not tried behind a proxy: the agent "
			"skips the NAT test there and relays every session");
		return;
	}
	if (!x->started) {
		doctor_set(r, ST_SKIP, "not tried: %s did not resolve", host);
		return;
	}
	if (x->status == 0) {
		r->ms = x->ms;
		if (x->via_proxy)
			doctor_set(r, ST_OK, "%s:%u connected through the "
				"proxy in %.1f ms",
				host, (unsigned)port, x->ms);
		else
			doctor_set(r, ST_OK, "%s connected in %.1f ms",
				rp->peer, x->ms);
		return;
	}
	if (x->via_proxy && rp->stage < NET_STAGE_PROXY) {
		doctor_set(r, ST_SKIP, "not reached: the proxy failed (see "
			"proxy%s)", rp->stage == NET_STAGE_TLS ? "-tls" : "");
		return;
	}
	if (x->via_proxy && x->status == OP_ERR_AUTH) {
		doctor_set(r, ST_SKIP, "not reached: the proxy refused the "
				"credentials (see proxy-auth)");
		return;
	}
	if (x->via_proxy && rp->stage == NET_STAGE_PROXY) {
		doctor_set(r, bad, "the proxy did not open a tunnel to "
			"%s:%u: %s", host, (unsigned)port, rp->message);
		if (x->status == UV_ETIMEDOUT)
			doctor_fix(r, "the proxy took the connection but did "
				"not answer in time: check the scheme in "
				"server.proxy and that the proxy can reach "
				"%s:%u",
				host, (unsigned)port);
		else if (x->status == OP_ERR_PROTO ||
			x->status == OP_ERR_TOO_LARGE ||
			x->status == UV_ECONNRESET || x->status == UV_EOF)
			doctor_fix(r, "%s:%u does not answer like a proxy "
				"(scheme %s): check the scheme and port in "
				"server.proxy",
				d->proxy.host, (unsigned)d->proxy.port,
				proxy_scheme_name(d->proxy.scheme));
		else if (rp->http_status == 502 || rp->http_status == 503 ||
			rp->http_status == 504 ||
			(rp->socks_reply >= 3 && rp->socks_reply <= 6))
			doctor_fix(r, "the proxy cannot reach %s:%u itself: "
				"check that %s runs there and the proxy's "
				"own firewall",
				host, (unsigned)port, which_name(which));
		else
			doctor_fix(r, "allow CONNECT to port %u in the proxy "
			       "(tinyproxy: ConnectPort %u; squid: add %u to "
			       "the ports CONNECT may use)",
				(unsigned)port, (unsigned)port, (unsigned)port);
		return;
	}
	r->ms = -1;
	if (rp->peer[0] != '\0')
		snprintf(where, sizeof(where), "%s", rp->peer);
	else
		snprintf(where, sizeof(where), "%s:%u", host, (unsigned)port);
	if (x->status == UV_ECONNREFUSED) {
		doctor_set(r, bad, "connection refused by %s (%.1f ms)",
			where, x->ms);
		if (which == DOC_TCP_NAT)
			doctor_fix(r, "nothing listens on TCP %u at %s: hbbs "
				"serves its NAT type test there (rendezvous "
				"port - 1)", (unsigned)port, host);
		else if (which == DOC_TCP_RELAY)
			doctor_fix(r, "nothing listens on TCP %u at %s: "
				"start hbbr there, or set server.relay to "
				"where it runs", (unsigned)port, host);
		else
			doctor_fix(r, "nothing listens on TCP %u at %s: "
				"start hbbs there, or correct the port in "
				"server.rendezvous", (unsigned)port, host);
	} else if (x->status == UV_ETIMEDOUT) {
		doctor_set(r, bad, "no answer from %s within %u s", where,
			DOCTOR_TCP_TIMEOUT_MS / 1000);
		doctor_fix(r, "outbound TCP %u to %s is blocked by a "
			"firewall, or the server is down: open outbound TCP "
			"%u", (unsigned)port, host, (unsigned)port);
	} else {
		doctor_set(r, bad, "%s",
			rp->message[0] ? rp->message :
					 doctor_err_text(x->status));
		doctor_fix(r, "check the route to %s (ip route get) and the "
			"local firewall", host);
	}
	if (which == DOC_TCP_NAT)
		doctor_fix(r, "only the NAT type test needs TCP %u: without "
			"it the NAT type stays unknown, sessions still work",
			(unsigned)port);
	if (which == DOC_TCP_RELAY && rep->relay_derived)
		doctor_fix(r, "the relay address is the rendezvous port + 1 "
			"because server.relay is empty; set server.relay if "
			"hbbr runs elsewhere");
}

static void
judge_relay_key(const struct doctor *d, struct doctor_report *rep)
{
	const struct doctor_tcp *x = &d->tcp[DOC_TCP_RELAY];
	struct doctor_result *r = &rep->r[K_RELAY_KEY];
	bool nokey = d->licence_key[0] == '\0';

	if (!x->started || x->status != 0) {
		doctor_set(r, ST_SKIP, "not tried: no connection to the relay");
		return;
	}
	if (!x->dropped) {
		doctor_set(r, ST_OK, "hbbr kept a RequestRelay %s open for "
			"%.1f s (licence key accepted)",
			nokey ? "without a key" : "with server.key",
			DOCTOR_RELAY_HOLD_MS / 1000.0);
		return;
	}
	if (x->drop_status < 0 && x->drop_status != UV_EOF &&
		x->drop_status != UV_ECONNRESET) {
		doctor_set(r, ST_FAIL, "could not send RequestRelay: %s",
			doctor_err_text(x->drop_status));
		doctor_fix(r, "check the connection to %s:%u", d->relay_host,
			(unsigned)d->relay_port);
		return;
	}
	doctor_set(r, ST_FAIL, "hbbr closed the connection %.0f ms after "
			"RequestRelay: it refuses the licence key",
		x->hold_ms);
	if (nokey)
		doctor_fix(r, "server.key is empty but hbbr requires a key: "
			"set server.key to the content of id_ed25519.pub on "
			"the server");
	else
		doctor_fix(r, "server.key does not match hbbr's key: copy "
		       "id_ed25519.pub from the server into server.key "
		       "(hbbr must use the same key as hbbs)");
}

static void
judge_udp(const struct doctor *d, struct doctor_report *rep)
{
	const struct doctor_udp *u = &d->udp;
	struct doctor_result *r = &rep->r[K_UDP];
	bool tcp_ok = d->tcp[DOC_TCP_RDV].status == 0 &&
		d->tcp[DOC_TCP_RDV].started;
	bool relay_ok = d->tcp[DOC_TCP_RELAY].status == 0 &&
		d->tcp[DOC_TCP_RELAY].started;
	char idtext[80];
	unsigned port = d->rdv_port;

	if (rep->probe_random)
		snprintf(idtext, sizeof(idtext), "random probe ID %s",
			d->probe_id);
	else
		snprintf(idtext, sizeof(idtext), "ID %s", d->probe_id);
	if (rep->probe_random)
		doctor_detail(r, "Random probe ID because %s.", rep->probe_why);
	if (!u->started) {
		doctor_set(r, d->have_proxy ? ST_WARN : ST_FAIL,
			"not tried: %s did not resolve", d->rdv_host);
		doctor_fix(r, "fix dns-rendezvous first: UDP registration "
			      "needs the server's address here");
		return;
	}
	if (u->foreign > 0)
		doctor_detail(r, "%d datagram(s) from other addresses ignored.",
			u->foreign);
	if (u->config_update)
		doctor_detail(r, "hbbs also sent a ConfigUpdate (its serial is "
			  "newer).");
	if (u->status == 0) {
		const char *known = rep->probe_random ?
			"unknown to hbbs, as expected" :
			u->request_pk ?
			"hbbs asks for the key: normal before the agent's "
			"first registration, after an hbbs restart or an IP "
			"change" :
			"known to hbbs from this address";

		r->ms = u->ms;
		doctor_set(r, ST_OK,
			"RegisterPeerResponse from %s in %.1f ms (%s: %s)",
			u->server, u->ms, idtext, known);
		if (u->sends > 1)
			doctor_detail(r, "%d RegisterPeer sent (a datagram was "
				  "lost).",
				u->sends);
		return;
	}
	if (u->status == UV_ECONNREFUSED) {
		doctor_set(r, ST_FAIL, "UDP %u refused by %s (ICMP port "
			"unreachable)", port, u->server);
		doctor_fix(r, "nothing listens on UDP %u at %s: start hbbs "
			"there, or correct the port in server.rendezvous",
			port, d->rdv_host);
	} else if (u->status == UV_ETIMEDOUT) {
		doctor_set(r, ST_FAIL, "no RegisterPeerResponse within %u s "
			"(%d RegisterPeer sent to %s as %s)",
			DOCTOR_UDP_TIMEOUT_MS / 1000, u->sends, u->server,
			idtext);
		if (tcp_ok && relay_ok)
			doctor_fix(r, "UDP %u blocked: open outbound UDP %u "
				"to %s (TCP works, so the relay still "
				"functions, but hosts register over UDP only)",
				port, port, d->rdv_host);
		else if (tcp_ok)
			doctor_fix(r, "UDP %u blocked: open outbound UDP %u "
				"to %s (hbbs answers on TCP %u, so it runs)",
				port, port, d->rdv_host, port);
		else
			doctor_fix(r, "no answer over UDP or TCP: check that "
				"hbbs runs on %s and that outbound TCP and "
				"UDP %u are allowed", d->rdv_host, port);
	} else if (u->status == OP_ERR_PROTO) {
		doctor_set(r, ST_FAIL, "%s sent %d malformed and %d unexpected "
				"datagram(s), no RegisterPeerResponse",
			u->server, u->garbage, u->unexpected);
		if (u->unexpected > 0)
			doctor_detail(r, "Last unexpected RendezvousMessage "
				"case: %d.", u->last_unexpected_case);
		doctor_fix(r, "something other than hbbs answers on UDP %u "
			"at %s: check the host and port in server.rendezvous",
			port, d->rdv_host);
	} else {
		doctor_set(r, ST_FAIL, "UDP to %s: %s",
			u->server, doctor_err_text(u->status));
		doctor_fix(r, "check this machine's route to %s and its local "
		       "firewall (outbound UDP %u)",
			d->rdv_host, port);
	}
	if (d->have_proxy) {
		/* TCP mode through the proxy (§3.1): UDP is not used. */
		r->st = ST_WARN;
		doctor_fix(r, "behind a proxy the agent registers over TCP "
			"(see tcp-register); UDP %u only matters without "
			"server.proxy",
			port);
	}
}

static void
judge_nat(const struct doctor *d, struct doctor_report *rep)
{
	const struct doctor_nat *n = &d->nat;
	struct doctor_result *r = &rep->r[K_NAT];
	unsigned p1 = (unsigned)d->rdv_port - 1;

	if (d->have_proxy) {
		doctor_set(r, ST_SKIP, "not run behind a proxy: the agent "
			"then treats its NAT as symmetric and relays every "
			"session");
		return;
	}
	if (!n->started) {
		doctor_set(r, ST_SKIP, "not tried: %s did not resolve",
			d->rdv_host);
		return;
	}
	if (n->status == 0) {
		r->ms = n->ms;
		if (n->type == NAT_ASYMMETRIC) {
			doctor_set(r, ST_OK, "%s: hbbs saw source port %u on "
				"%u and %u on %u (%.1f ms)",
				"asymmetric (port-preserving, or no NAT)",
				n->ports[0], (unsigned)d->rdv_port, n->ports[1],
				p1, n->ms);
		} else {
			doctor_set(r, ST_WARN, "symmetric: hbbs saw source "
				"port %u on %u but %u on %u",
				n->ports[0], (unsigned)d->rdv_port, n->ports[1],
				p1);
			doctor_fix(r, "nothing to do if the relay works: "
				"incoming sessions then go through hbbr; for "
				"direct sessions the NAT must keep source "
				"ports (endpoint-independent mapping)");
		}
		return;
	}
	if (n->ports[0] != 0) {
		doctor_set(r, ST_WARN, "the second probe (TCP %u) failed: %s",
			p1, doctor_err_text(n->status));
		doctor_fix(r, "open outbound TCP %u to %s (only the NAT test "
			"uses it; the NAT type stays unknown, sessions still "
			"work)", p1, d->rdv_host);
	} else if (n->status == OP_ERR_PROTO) {
		doctor_set(r, ST_WARN, "the answer to TestNatRequest was not a "
				"TestNatResponse");
		doctor_fix(r, "check that %s:%u is really hbbs", d->rdv_host,
			(unsigned)d->rdv_port);
	} else {
		doctor_set(r, ST_WARN, "the first probe (TCP %u) failed: %s",
			(unsigned)d->rdv_port, doctor_err_text(n->status));
		doctor_fix(r, "fix tcp-rendezvous first; the NAT type stays "
			"unknown meanwhile");
	}
}

static void
judge_rtt(const struct doctor *d, struct doctor_report *rep)
{
	struct doctor_result *r = &rep->r[K_RTT];
	const struct doctor_tcp *rdv = &d->tcp[DOC_TCP_RDV];
	const struct doctor_tcp *rel = &d->tcp[DOC_TCP_RELAY];
	const char *how = d->have_proxy ? "TCP through the proxy" : "TCP";
	bool rdv_ok = rdv->started && rdv->status == 0;
	bool udp_ok = d->udp.done && d->udp.status == 0;
	bool rel_ok = rel->started && rel->status == 0;
	double worst = -1;
	char buf[400] = "";
	size_t n = sizeof(buf);

	/* With a proxy the TCP figure includes its handshake (and TLS): an
	 * upper bound of the round trip, still what sessions will feel. */
	if (rdv_ok || udp_ok)
		snprintf(buf, n, "rendezvous %s:", d->rdv_host);
	if (rdv_ok) {
		snprintf(buf + strlen(buf), n - strlen(buf), " %s %.1f ms", how,
			rdv->ms);
		worst = rdv->ms;
	}
	if (udp_ok) {
		snprintf(buf + strlen(buf), n - strlen(buf), "%s UDP %.1f ms",
			rdv_ok ? "," : "", d->udp.ms);
		worst = d->udp.ms > worst ? d->udp.ms : worst;
	}
	if (rel_ok) {
		snprintf(buf + strlen(buf), n - strlen(buf),
			"%srelay %s: %s %.1f ms", buf[0] ? "; " : "",
			d->relay_host, how, rel->ms);
		worst = rel->ms > worst ? rel->ms : worst;
	}
	if (worst < 0) {
		doctor_set(r, ST_SKIP, "no round trip completed");
		return;
	}
	r->ms = worst;
	doctor_set(r, ST_OK, "%s", buf);
	if (worst > RTT_HIGH_MS) {
		r->st = ST_WARN;
		doctor_fix(r, "%.0f ms to the server is high: sessions will "
			"feel sluggish; a server closer to this host helps",
			worst);
	}
}

void
doctor_judge(const struct doctor *d, struct doctor_report *rep)
{
	judge_dns(d, rep, DOC_DNS_RDV);
	judge_dns(d, rep, DOC_DNS_RELAY);
	if (d->have_proxy)
		doctor_judge_proxy(d, rep);
	judge_tcp(d, rep, DOC_TCP_RDV);
	judge_tcp(d, rep, DOC_TCP_NAT);
	judge_tcp(d, rep, DOC_TCP_RELAY);
	judge_relay_key(d, rep);
	judge_udp(d, rep);
	if (d->have_proxy)
		doctor_judge_tcp_register(d, rep);
	judge_nat(d, rep);
	judge_rtt(d, rep);
	if (d->deadline_hit)
		doctor_detail(&rep->r[K_RTT], "The doctor's %u s deadline "
			"cut some probes short.", DOCTOR_DEADLINE_MS / 1000);
}
