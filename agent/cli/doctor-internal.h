/* SPDX-License-Identifier: MIT */
/*
 * `outpost doctor` in four files: doctor-net.c measures (DNS, TCP through
 * net_connect, the UDP RegisterPeer round trip, the NAT test, the relay
 * licence probe, hbbs' first frame through a proxy) on one libuv loop,
 * every step under a deadline, and records raw outcomes only;
 * doctor-judge.c, and doctor-proxy.c for the proxy checks, turn the
 * outcomes into ok/warn/FAIL lines with fixes; cmd-doctor.c reads the
 * configuration and the agent's status, runs both and prints the report.
 * Private to agent/cli.
 */
#ifndef OP_CLI_DOCTOR_INTERNAL_H
#define OP_CLI_DOCTOR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "core/netaddr.h"
#include "net/connect.h"
#include "net/rdv-state.h"

/* Time limits (ms). The probes run in parallel once the names resolved,
 * so the worst case is about DNS + NAT test (2 steps) < DOCTOR_DEADLINE. */
#define DOCTOR_DNS_TIMEOUT_MS 4000
#define DOCTOR_TCP_TIMEOUT_MS 5000
#define DOCTOR_UDP_TIMEOUT_MS 3000
#define DOCTOR_UDP_RESEND_MS 1000
#define DOCTOR_NAT_STEP_TIMEOUT_MS 3500
#define DOCTOR_RELAY_HOLD_MS 1500
#define DOCTOR_KEX_WAIT_MS 2000 /* a Pro hbbs speaks first (spec §3.7) */
#define DOCTOR_KEX_MAX_FRAME 4096
#define DOCTOR_DEADLINE_MS 12500

enum doctor_dns_which { DOC_DNS_RDV, DOC_DNS_RELAY, DOC_DNS_COUNT };
enum doctor_tcp_which { DOC_TCP_RDV, DOC_TCP_NAT, DOC_TCP_RELAY,
	DOC_TCP_COUNT };

struct doctor;

struct doctor_dns {
	struct doctor *d;
	const char *host;
	bool started;
	bool done;
	bool literal;   /* host is an IP address: nothing was looked up */
	bool req_busy;  /* the getaddrinfo request has not come back */
	int status;     /* 0, UV_EAI_*, UV_ETIMEDOUT */
	double ms;
	char addrs[256]; /* "a, b, c" */
	struct sockaddr_storage pick; /* first IPv4, else first address */
	char pick_text[64];           /* pick without port */
	uv_getaddrinfo_t req;
};

struct doctor_tcp {
	struct doctor *d;
	int which;
	const char *host;
	uint16_t port;
	bool started;
	bool done;
	bool via_proxy;
	int status; /* net_connect's */
	double ms;  /* from start to connected (through the proxy if any) */
	uint64_t t0;
	struct net_connect *conn;
	struct net_connect_report report;
	/* After connecting, the relay probe and (through a proxy) the
	 * rendezvous probe keep the stream open for a while: */
	struct stream *s;
	uv_timer_t timer; /* initialised for every probe by doctor_net_run */
	bool holding;
	bool hold_done;
	bool dropped;     /* the server closed the connection */
	int drop_status;  /* 0 = orderly close */
	double hold_ms;   /* time until the drop */
	uint64_t hold_t0;
	/* rendezvous through a proxy: hbbs' first frame (a Pro server opens
	 * with KeyExchange, OSS hbbs says nothing) */
	struct framer *fr;
	int first_case;      /* RendezvousMessage case, 0 = none, -1 bad */
	bool kex_seen;       /* that first frame was a KeyExchange */
	size_t kex_n_keys;
	uint8_t kex_key0[128]; /* signature (64) || box pk (32) */
	size_t kex_key0_len;
};

struct doctor_udp {
	bool started;
	bool done;
	int status; /* 0, UV_ECONNREFUSED, UV_ETIMEDOUT, OP_ERR_PROTO, ... */
	double ms;
	bool request_pk;
	bool config_update;
	int sends;
	int garbage;     /* datagrams that were not RendezvousMessages */
	int unexpected;  /* RendezvousMessages of another kind */
	int last_unexpected_case;
	int foreign;     /* from an address other than the server's */
	char server[80]; /* "ip:port" */
	uint64_t t_first;
	uint64_t t_last;
	uv_udp_t h;
	bool h_open;
	uv_timer_t timer;
	bool timer_open;
	char rx[RDV_MAX_DATAGRAM + 1];
};

struct doctor_nat {
	bool started;
	bool done;
	int status;
	int type;
	uint16_t ports[2];
	double ms;
	uint64_t t0;
	struct nat_test *t;
};

struct doctor {
	uv_loop_t loop;
	/* Inputs, set by cmd-doctor.c before doctor_net_run. */
	char rdv_host[256];
	uint16_t rdv_port;
	char relay_host[256];
	uint16_t relay_port;
	bool relay_same_host;
	const char *licence_key;
	struct proxy_conf proxy;
	bool have_proxy;
	char probe_id[40];
	/* Outcomes. */
	struct doctor_dns dns[DOC_DNS_COUNT];
	struct doctor_tcp tcp[DOC_TCP_COUNT];
	struct doctor_udp udp;
	struct doctor_nat nat;
	bool deadline_hit;
	bool abandoned; /* a resolver thread outlived the run */
	/* Bookkeeping (doctor-net.c). */
	int running; /* probes started and not done */
	bool starting;
	bool finishing;
	uint64_t dns_t0;
	uv_timer_t dns_timer;
	uv_timer_t deadline;
	uv_timer_t grace;
};

/*
 * Runs every probe the inputs call for and returns when all are done or
 * the deadline passed (never later than about DOCTOR_DEADLINE_MS). Returns
 * 0 or a uv error if the loop could not be set up. When d->abandoned is
 * set afterwards, a resolver thread still references d and the loop: the
 * caller must neither free them nor close the loop, and should _exit once
 * it has printed (libuv joins its thread pool at exit).
 */
int doctor_net_run(struct doctor *d);

/* Monotonic milliseconds with sub-millisecond precision. */
double doctor_ms_since(uint64_t t0_ns);

/* ---- verdicts (doctor-judge.c), printed by cmd-doctor.c ---- */

/* ST_HIDDEN: not applicable, not printed (the proxy checks without a
 * proxy). */
enum doc_status { ST_HIDDEN, ST_OK, ST_WARN, ST_FAIL, ST_SKIP };

enum doc_check {
	K_CONFIG,
	K_AGENT,
	K_DNS_RDV,
	K_DNS_RELAY,
	K_PROXY,
	K_PROXY_TLS,
	K_PROXY_AUTH,
	K_TCP_RDV,
	K_TCP_NAT,
	K_TCP_RELAY,
	K_RELAY_KEY,
	K_UDP,
	K_TCP_REG,
	K_NAT,
	K_RTT,
	K_COUNT
};

struct doctor_result {
	enum doc_status st;
	double ms; /* < 0: none */
	char figure[512];
	char detail[1024];
	char fix[640];
};

struct doctor_report {
	struct doctor_result r[K_COUNT];
	bool relay_derived;
	bool agent_running;
	bool no_server; /* server.rendezvous is empty: nothing to probe */
	char direct_text[300]; /* then: what direct_access allows */
	char proxy_text[300]; /* scheme://[user@]host:port, no password */
	char probe_why[320];  /* why a random probe ID, "" for the real one */
	bool probe_random;
};

/* Sets the status and replaces the figure. */
void doctor_set(struct doctor_result *r, enum doc_status st,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends a fix ("; " between fixes). */
void doctor_fix(struct doctor_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a sentence to the detail. */
void doctor_detail(struct doctor_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "timed out", "connection refused" or op_strerror(r). */
const char *doctor_err_text(int r);

/* Fills every network check of rep from the outcomes in d (after
 * doctor_net_run); config and agent are cmd-doctor.c's. */
void doctor_judge(const struct doctor *d, struct doctor_report *rep);
/* The proxy checks (doctor-proxy.c), called by doctor_judge when a proxy
 * is configured: proxy, proxy-tls, proxy-auth; and tcp-register. */
void doctor_judge_proxy(const struct doctor *d, struct doctor_report *rep);
void doctor_judge_tcp_register(const struct doctor *d,
	struct doctor_report *rep);

#endif
