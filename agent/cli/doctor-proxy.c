/* SPDX-License-Identifier: MIT */
/*
 * The proxy verdicts of `outpost doctor` (see doctor-judge.c): the proxy's
 * reachability and credentials, its TLS certificate (interception: the
 * issuer found against the CA expected in server.proxy_ca or the system
 * store), and whether the rendezvous server takes registrations over TCP
 * through it (a Pro server's KeyExchange, verified with server.key). No
 * I/O except reading server.proxy_ca to name the expected issuer.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>
#include <sodium.h>

#include "cli/doctor-internal.h"
#include "core/err.h"

static void
hex_fp(const uint8_t fp[32], char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < 32 && used + 4 <= n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%02X",
			i ? ":" : "", fp[i]);
}

/* The subjects of the certificates in the configured CA file, "A | B". */
static void
ca_subjects(const char *path, char *out, size_t n)
{
	mbedtls_x509_crt chain;
	char dn[256];

	out[0] = '\0';
	mbedtls_x509_crt_init(&chain);
	if (mbedtls_x509_crt_parse_file(&chain, path) < 0 &&
		chain.raw.len == 0) {
		snprintf(out, n, "(cannot read %s)", path);
	} else {
		for (mbedtls_x509_crt *c = &chain; c != NULL && c->raw.len > 0;
			c = c->next) {
			if (mbedtls_x509_dn_gets(dn, sizeof(dn), &c->subject) <
				0)
				continue;
			if (strlen(out) + strlen(dn) + 4 < n)
				snprintf(out + strlen(out), n - strlen(out),
					"%s%s", out[0] ? " | " : "", dn);
		}
	}
	mbedtls_x509_crt_free(&chain);
}

static void
judge_proxy_tls(const struct doctor *d, struct doctor_report *rep,
	const struct net_connect_report *rp)
{
	struct doctor_result *r = &rep->r[K_PROXY_TLS];
	const struct stream_tls_cert_info *ci = &rp->tls_cert;
	const char *ca = d->proxy.ca_file;
	const char *ph = d->proxy.host;
	char expected[512] = "";
	char fp[100];
	uint32_t f = ci->verify_flags;

	if (rp->stage < NET_STAGE_TLS) {
		doctor_set(r, ST_SKIP, "not tried: the proxy was not reached");
		return;
	}
	if (!rp->tls_seen) {
		doctor_set(r, ST_FAIL, "no TLS handshake with %s: %s", ph,
			rp->message[0] ? rp->message : "no certificate seen");
		if (d->tcp[DOC_TCP_RDV].status == OP_ERR_CONFIG)
			doctor_fix(r, "make server.proxy_ca a readable PEM "
				"file of CA certificates, or empty for the "
				"system store");
		else
			doctor_fix(r, "is %s:%u an HTTPS proxy? For a plain "
				"HTTP proxy write http:// in server.proxy",
				ph, (unsigned)d->proxy.port);
		return;
	}
	hex_fp(ci->sha256, fp, sizeof(fp));
	if (ca[0] != '\0')
		ca_subjects(ca, expected, sizeof(expected));
	doctor_detail(r, "Certificate subject '%s', issuer '%s', SHA-256 %s.",
		ci->subject, ci->issuer, fp);
	if (ca[0] != '\0')
		doctor_detail(r, "Expected issuer (server.proxy_ca): '%s'.",
			expected);
	if (f == 0) {
		doctor_set(r, ST_OK, "certificate for %s issued by '%s' "
			"verified against %s",
			ph, ci->issuer,
			ca[0] ? "server.proxy_ca" : "the system store");
		if (ca[0] == '\0')
			doctor_detail(r, "With the system store a "
				"TLS-inspection box whose CA is trusted "
				"system-wide looks the same; set "
				"server.proxy_ca to the proxy's CA to detect "
				"it.");
		return;
	}
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
		if (ca[0] != '\0') {
			doctor_set(r, ST_FAIL, "TLS interception suspected: "
				"the certificate for %s was issued by '%s', "
				"not by the configured CA '%s'",
				ph, ci->issuer, expected);
			doctor_fix(r, "if the proxy's certificate was "
				"legitimately reissued, update "
				"server.proxy_ca; otherwise a device between "
				"this host and the proxy intercepts TLS: "
				"have %s exempted from TLS inspection", ph);
		} else if (strcmp(ci->subject, ci->issuer) == 0) {
			doctor_set(r, ST_FAIL, "the proxy's self-signed "
				"certificate '%s' is not trusted", ci->subject);
			doctor_fix(r, "if that is your proxy's certificate "
				"(check SHA-256 %s), set server.proxy_ca to "
				"it", fp);
		} else {
			doctor_set(r, ST_FAIL, "TLS interception suspected, "
				"or a private CA: the certificate for %s was "
				"issued by '%s', which the system store does "
				"not trust", ph, ci->issuer);
			doctor_fix(r, "if '%s' is your organisation's proxy "
				"CA, set server.proxy_ca to its PEM file; "
				"otherwise have %s exempted from TLS "
				"inspection", ci->issuer, ph);
		}
	} else if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
		doctor_set(r, ST_FAIL, "the certificate presented is for "
			"'%s', not %s: TLS interception suspected, or a "
			"wrong host name", ci->subject, ph);
		doctor_fix(r, "use the name the proxy's certificate was "
			"issued for in server.proxy; if it is right, a "
			"device on the path intercepts TLS");
	} else if (f & (MBEDTLS_X509_BADCERT_EXPIRED |
			       MBEDTLS_X509_BADCERT_FUTURE)) {
		doctor_set(r, ST_FAIL, "the proxy's certificate is %s",
			f & MBEDTLS_X509_BADCERT_EXPIRED ? "expired" :
							   "not valid yet");
		doctor_fix(r, "renew the proxy's certificate, or correct "
			"this host's clock (timedatectl)");
	} else {
		doctor_set(r, ST_FAIL, "the proxy's certificate was refused: "
			"%s", ci->verify_text);
		doctor_fix(r, "fix the proxy's certificate (see the detail)");
	}
}

void
doctor_judge_proxy(const struct doctor *d, struct doctor_report *rep)
{
	/* Both TCP probes go to the same proxy; the first one tells. */
	const struct doctor_tcp *x = &d->tcp[DOC_TCP_RDV];
	const struct net_connect_report *rp = &x->report;
	struct doctor_result *r = &rep->r[K_PROXY];
	struct doctor_result *a = &rep->r[K_PROXY_AUTH];
	const char *ph = d->proxy.host;
	unsigned pp = d->proxy.port;

	if (!x->started) {
		doctor_set(r, ST_SKIP, "not tried");
		return;
	}
	if (x->status != 0 && rp->stage == NET_STAGE_RESOLVE) {
		doctor_set(r, ST_FAIL, "cannot resolve the proxy host %s: %s",
			ph, rp->message);
		doctor_fix(r, "check the host in server.proxy and this "
			"machine's DNS (getent hosts %s)", ph);
	} else if (x->status != 0 && rp->stage == NET_STAGE_TCP) {
		doctor_set(r, ST_FAIL, "cannot connect to the proxy %s:%u: %s",
			ph, pp, rp->message);
		doctor_fix(r, "check the host and port in server.proxy; is "
			"the proxy running, and is outbound TCP %u allowed?",
			pp);
	} else {
		r->ms = rp->tcp_ms;
		doctor_set(r, ST_OK, "%s reached at %s (TCP %u ms)",
			rep->proxy_text, rp->peer, rp->tcp_ms);
	}
	if (d->proxy.scheme == PROXY_HTTPS)
		judge_proxy_tls(d, rep, rp);
	if (rp->stage < NET_STAGE_PROXY) {
		doctor_set(a, ST_SKIP, "not tried: no %s to the proxy",
			rp->stage == NET_STAGE_TLS ? "TLS session" :
						     "connection");
		return;
	}
	if (x->status == OP_ERR_AUTH) {
		doctor_set(a, ST_FAIL, "%s", rp->message);
		if (d->proxy.user[0] != '\0')
			doctor_fix(a, "check the user '%s' in server.proxy "
				"and the password in "
				"server.proxy_password_file", d->proxy.user);
		else
			doctor_fix(a, "the proxy requires authentication: "
				"write user@ into server.proxy and the "
				"password into the file named by "
				"server.proxy_password_file (mode 0600)");
		return;
	}
	if (d->proxy.scheme == PROXY_SOCKS5)
		doctor_set(a, ST_OK, "%s", d->proxy.user[0] ?
				"SOCKS5 accepted the user name and password" :
				"SOCKS5 needs no authentication");
	else
		doctor_set(a, ST_OK, "%s (HTTP %d)", d->proxy.user[0] ?
				"the proxy accepted the credentials" :
				"no credentials configured, none required",
			rp->http_status);
}

/* The first frame hbbs sent through the proxy (doctor-net.c kex_probe). */
void
doctor_judge_tcp_register(const struct doctor *d,
	struct doctor_report *rep)
{
	const struct doctor_tcp *x = &d->tcp[DOC_TCP_RDV];
	struct doctor_result *r = &rep->r[K_TCP_REG];
	bool udp_ok = d->udp.done && d->udp.status == 0;
	unsigned port = d->rdv_port;
	uint8_t spk[64];
	uint8_t opened[sizeof(x->kex_key0)];
	unsigned long long olen = 0;
	size_t spk_len = 0;

	if (!x->started || x->status != 0) {
		doctor_set(r, ST_SKIP, "not tried: no tunnel to %s:%u",
			d->rdv_host, port);
		return;
	}
	if (x->kex_seen) {
		if (x->kex_n_keys != 1 || x->kex_key0_len == 0) {
			doctor_set(r, ST_FAIL, "hbbs opened with a malformed "
				"KeyExchange (%zu keys)", x->kex_n_keys);
			doctor_fix(r, "check that %s:%u is hbbs", d->rdv_host,
				port);
			return;
		}
		if (d->licence_key[0] == '\0') {
			doctor_set(r, ST_FAIL, "RustDesk Server Pro offers an "
				"encrypted registration, but server.key is not "
				"set, so the agent refuses it");
			doctor_fix(r, "set server.key to the content of "
				"id_ed25519.pub on the server");
			return;
		}
		if (sodium_base642bin(spk, sizeof(spk), d->licence_key,
			    strlen(d->licence_key), NULL, &spk_len, NULL,
			    sodium_base64_VARIANT_ORIGINAL) != 0 ||
			spk_len != crypto_sign_PUBLICKEYBYTES ||
			crypto_sign_open(opened, &olen, x->kex_key0,
				x->kex_key0_len, spk) != 0 ||
			olen != 32) {
			doctor_set(r, ST_FAIL, "the KeyExchange hbbs opened "
				"with is not signed by server.key");
			doctor_fix(r, "server.key does not match the server: "
				"copy id_ed25519.pub from it into server.key");
			return;
		}
		doctor_set(r, ST_OK, "RustDesk Server Pro: hbbs opened with a "
			"KeyExchange signed by server.key after %.0f ms, so "
			"the agent can register over TCP through the proxy",
			x->hold_ms);
		return;
	}
	if (x->first_case == 0 && !x->dropped) {
		doctor_set(r, ST_FAIL, "no KeyExchange from hbbs within %.0f "
			"s: OSS hbbs, which registers hosts over UDP only (it "
			"answers the agent's TCP RegisterPk with NOT_SUPPORT)",
			DOCTOR_KEX_WAIT_MS / 1000.0);
		if (udp_ok)
			doctor_fix(r, "remove server.proxy: UDP %u to %s works "
				"from here, and OSS hbbs needs it (or move to "
				"RustDesk Server Pro)",
				port, d->rdv_host);
		else
			doctor_fix(r, "OSS hbbs cannot register a host through "
				"a proxy: allow outbound UDP %u to %s and "
				"remove server.proxy, or move to RustDesk "
				"Server Pro",
				port, d->rdv_host);
		return;
	}
	if (x->first_case == 0) {
		doctor_set(r, ST_FAIL, "the tunnel to %s:%u closed after %.0f "
			"ms without a word",
			d->rdv_host, port, x->hold_ms);
		doctor_fix(r, "check that %s:%u is hbbs and that the proxy "
			"keeps CONNECT tunnels open",
			d->rdv_host, port);
		return;
	}
	doctor_set(r, ST_FAIL, "hbbs' first frame was %s, not a KeyExchange",
		x->first_case < 0 ? "malformed" : "another message");
	doctor_fix(r, "check that %s:%u is hbbs", d->rdv_host, port);
}
