/* SPDX-License-Identifier: MIT */
/*
 * The audit trail under privilege separation (issue 11): the monitor owns
 * audit.db (its chain, pruning, the journal mirror and forwarding) and
 * makes the audit.h calls on it; the network process's trail is a remote
 * one (audit_open_remote with monclient_audit_ops) whose every call is a
 * MON_AUDIT_* request. The monitor builds the records from the typed
 * facts, so the record-building code is the one in agent/audit/.
 *
 * Write-ahead without blocking: a call with a commit callback sends a tag;
 * the monitor answers at once (queued, or an error) and sends
 * MON_EV_AUDIT_COMMIT {tag, status, seq} on the events socket when the
 * transaction is done. monclient_audit_on_event turns it into the
 * callback on the network process's loop.
 *
 * What the monitor checks (monitor-audit.c): every field bounded and
 * decoded strictly (texts at most AUDIT_TEXT_MAX bytes, no NUL; enums in
 * range; an address of a known family); a session named is one this
 * network process opened; audit_event only for the types the network
 * process makes (monitor-audit.c's list; others are refused); records
 * at most MONITOR_AUDIT_PER_S a second (burst MONITOR_AUDIT_BURST; the ones
 * refused are counted as lost, so audit.discontinuity says so); at most
 * MONITOR_AUDIT_WAITING commit events owed and MONITOR_AUDIT_SESSIONS
 * sessions open. When the network process ends, its sessions still open are
 * closed on the trail ("network process ended: killed by signal 9").
 */
#ifndef OP_MONITOR_MONITOR_AUDIT_H
#define OP_MONITOR_MONITOR_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/netaddr.h" /* struct sockaddr_storage */
#include "monitor/monitor-msg.h"

#define MONITOR_AUDIT_BURST 1000
#define MONITOR_AUDIT_PER_S 100
#define MONITOR_AUDIT_WAITING 256
#define MONITOR_AUDIT_SESSIONS 4096 /* open at once (the trail's table) */
/* audit_event fields longer than this (JSON bytes) do not fit a request:
 * the network process sends {"truncated":true,"bytes":N,"excerpt":"..."}
 * with the first MONITOR_AUDIT_EXCERPT bytes instead. */
#define MONITOR_AUDIT_FIELDS_MAX 7900
#define MONITOR_AUDIT_EXCERPT 1024

/* ---- The messages' fields (monitor-audit-msg.c) ---- */

/* Where a decoded call's strings and address live. */
struct mon_audit_scratch {
	char text[4][AUDIT_TEXT_MAX + 1];
	struct sockaddr_storage source;
};

/* A text cut at AUDIT_TEXT_MAX bytes, or NULL ("not known"). */
void mon_put_audit_text(struct mon_buf *w, const char *s);
/* The text into out, or NULL when it was NULL. */
const char *mon_get_audit_text(struct mon_rd *r,
	char out[static AUDIT_TEXT_MAX + 1]);
void mon_put_audit_info(struct mon_buf *w,
	const struct audit_session_info *i);
void mon_get_audit_info(struct mon_rd *r, struct audit_session_info *out,
	struct mon_audit_scratch *sc);
void mon_put_audit_auth(struct mon_buf *w, const struct audit_auth *a);
void mon_get_audit_auth(struct mon_rd *r, struct audit_auth *out,
	struct mon_audit_scratch *sc);
void mon_put_audit_denial(struct mon_buf *w, const struct audit_denial *d);
void mon_get_audit_denial(struct mon_rd *r, struct audit_denial *out,
	struct mon_audit_scratch *sc);
void mon_put_audit_lockout(struct mon_buf *w,
	const struct audit_lockout_info *l);
void mon_get_audit_lockout(struct mon_rd *r, struct audit_lockout_info *out,
	struct mon_audit_scratch *sc);
/* MON_AUDIT_STATUS's reply. */
void mon_put_audit_status(struct mon_buf *w, const struct audit_status *s,
	const struct audit_fwd_stats *f);
void mon_get_audit_status(struct mon_rd *r, struct audit_status *s,
	struct audit_fwd_stats *f);

/* ---- The network process's side (monitor-audit-client.c) ---- */

struct monclient_audit;

struct monclient_audit_hooks {
	/* A request failed in transport (the daemon decides what then). */
	void (*failed)(void *arg, int r, const char *what);
	/* How many commit or flush events are owed now (the daemon keeps
	 * its loop alive while any are). */
	void (*waiting)(void *arg, size_t n);
	void *arg;
};

/* The ops of a remote trail (audit_open_remote), ctx a monclient_audit. */
extern const struct audit_remote_ops monclient_audit_ops;

/* A client on the monitor's request socket fd. 0 or OP_ERR_NOMEM. */
int monclient_audit_new(int fd, const struct monclient_audit_hooks *h,
	struct monclient_audit **out);
/* Frees it (after the trail closed; waiting callbacks fail first). */
void monclient_audit_free(struct monclient_audit *c);
/*
 * An event from the events socket: 1 when it was the trail's (its
 * callback has run), 0 when it is not an audit event, OP_ERR_PROTO when
 * it is malformed.
 */
int monclient_audit_on_event(struct monclient_audit *c, const uint8_t *p,
	size_t n);
/* The monitor is gone: every waiting callback gets status now. */
void monclient_audit_fail_all(struct monclient_audit *c, int status);

#endif
