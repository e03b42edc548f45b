/* SPDX-License-Identifier: MIT */
/*
 * What every system's audit mirror shares (audit-journald.c on Unix,
 * audit-eventlog-win.c on Windows): the stable message IDs and the one
 * escaped line a syslog-like sink gets.
 */
#include "audit/audit-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *type;
	const char *id;
} msgids[] = {
	{ "audit.open", AUDIT_MSGID_AUDIT_OPEN },
	{ "audit.close", AUDIT_MSGID_AUDIT_CLOSE },
	{ "audit.prune", AUDIT_MSGID_AUDIT_PRUNE },
	{ "audit.discontinuity", AUDIT_MSGID_AUDIT_DISCONTINUITY },
	{ "session.open", AUDIT_MSGID_SESSION_OPEN },
	{ "session.authorized", AUDIT_MSGID_SESSION_AUTHORIZED },
	{ "session.denied", AUDIT_MSGID_SESSION_DENIED },
	{ "session.lockout", AUDIT_MSGID_SESSION_LOCKOUT },
	{ "session.close", AUDIT_MSGID_SESSION_CLOSE },
	{ "session.preauth", AUDIT_MSGID_SESSION_PREAUTH },
	{ "config.reload", AUDIT_MSGID_CONFIG_RELOAD },
};

const char *
audit_message_id(const char *type)
{
	size_t n = sizeof(msgids) / sizeof(msgids[0]);

	for (size_t i = 0; type != NULL && i < n; i++)
		if (strcmp(type, msgids[i].type) == 0)
			return msgids[i].id;
	return AUDIT_MSGID_OTHER;
}

void
audit__mirror_line(const struct audit_rec *r, char *out, size_t size)
{
	char msg[512], peer[80], fields[1024];

	audit__sanitize(msg, sizeof(msg), r->message,
		r->message != NULL ? strlen(r->message) : 0);
	audit__sanitize(peer, sizeof(peer), r->peer, strlen(r->peer));
	audit__sanitize(fields, sizeof(fields), r->fields, r->fields_len);
	snprintf(out, size,
		"audit %s seq=%" PRId64 " session=%" PRId64
		" peer=%s source=%s hash=%s: %s fields=%s",
		r->type, r->id, r->session, peer[0] ? peer : "-",
		r->source[0] ? r->source : "-", r->hash, msg, fields);
}
