/* SPDX-License-Identifier: MIT */
/*
 * The mirror of committed audit records: journald (sd_journal_sendv, a
 * stable MESSAGE_ID per event type and OUTPOST_* fields carrying the row's
 * sequence number and hash, so the journal is an outside witness of the
 * chain) or syslog (LOG_AUTHPRIV, one escaped line). Called on the writer
 * thread after COMMIT, with a record the job owns; both APIs are
 * thread-safe. A mirror failure never fails the record: the database is
 * the record of truth. Records carry no secrets (audit.h).
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

enum audit_mirror
audit__mirror_resolve(enum audit_mirror m)
{
	if (m != AUDIT_MIRROR_AUTO)
		return m;
	return access("/run/systemd/journal/socket", W_OK) == 0 ?
		AUDIT_MIRROR_JOURNALD :
		AUDIT_MIRROR_SYSLOG;
}

#define MAX_IOV 12

struct jfields {
	struct iovec iov[MAX_IOV];
	char *mem[MAX_IOV];
	int n;
};

static void
jf_add(struct jfields *j, const char *name, const char *val, size_t len)
{
	struct audit_buf b;
	char *s;

	if (j->n >= MAX_IOV)
		return;
	audit__buf_init(&b, AUDIT_FIELDS_MAX + 256);
	audit__buf_puts(&b, name);
	audit__buf_put(&b, "=", 1);
	audit__buf_put(&b, val, len);
	if (b.failed || (s = audit__buf_steal(&b)) == NULL) {
		audit__buf_free(&b);
		return;
	}
	j->mem[j->n] = s;
	j->iov[j->n].iov_base = s;
	j->iov[j->n].iov_len = strlen(name) + 1 + len;
	j->n++;
}

static void
jf_addi(struct jfields *j, const char *name, int64_t v)
{
	char s[32];
	int n = snprintf(s, sizeof(s), "%" PRId64, v);

	jf_add(j, name, s, (size_t)n);
}

static void
to_journald(const struct audit_rec *r)
{
	struct jfields j = { .n = 0 };
	const char *msg = r->message != NULL ? r->message : r->type;

	jf_add(&j, "MESSAGE_ID", audit_message_id(r->type), 32);
	jf_add(&j, "MESSAGE", msg, strlen(msg));
	jf_addi(&j, "PRIORITY", r->priority);
	jf_add(&j, "SYSLOG_IDENTIFIER", "outpost", 7);
	jf_add(&j, "OUTPOST_EVENT", r->type, strlen(r->type));
	jf_addi(&j, "OUTPOST_SEQ", r->id);
	jf_add(&j, "OUTPOST_HASH", r->hash, strlen(r->hash));
	if (r->session > 0)
		jf_addi(&j, "OUTPOST_SESSION", r->session);
	if (r->peer[0] != '\0')
		jf_add(&j, "OUTPOST_PEER", r->peer, strlen(r->peer));
	if (r->source[0] != '\0')
		jf_add(&j, "OUTPOST_SOURCE", r->source, strlen(r->source));
	if (r->fields != NULL)
		jf_add(&j, "OUTPOST_FIELDS", r->fields, r->fields_len);
	(void)sd_journal_sendv(j.iov, j.n);
	for (int i = 0; i < j.n; i++)
		free(j.mem[i]);
}

static void
to_syslog(const struct audit_rec *r)
{
	char line[AUDIT_MIRROR_LINE_MAX];

	audit__mirror_line(r, line, sizeof(line));
	syslog(LOG_AUTHPRIV | (r->priority & 7), "%s", line);
}

void
audit__mirror(enum audit_mirror m, const struct audit_rec *r)
{
	switch (m) {
	case AUDIT_MIRROR_JOURNALD:
		to_journald(r);
		break;
	case AUDIT_MIRROR_SYSLOG:
		to_syslog(r);
		break;
	default:
		break;
	}
}
