/* SPDX-License-Identifier: MIT */
/*
 * The mirror of committed audit records on Windows, which has neither
 * journald nor syslog: the daemon's own log sinks (core/log-win.c), the
 * Application Event Log when the log target is journald or syslog (both
 * mean it there) and the log file when one is kept, one escaped line per
 * record as syslog gets on Unix. The Event Log entry is the outside
 * witness of the chain's head that the journal is on Linux; with neither
 * sink open the record is in the database only. Called on the writer
 * thread after COMMIT; the sinks are thread-safe. Lines are cut at what
 * one Event Log string of the sink holds.
 */
#include "audit/audit-internal.h"

#include "core/log.h"

/* log-win.c converts at most 1100 UTF-16 units per message. */
#define EVENTLOG_LINE_MAX 1024

enum audit_mirror
audit__mirror_resolve(enum audit_mirror m)
{
	/* journald and syslog both mean the Event Log here. */
	return m == AUDIT_MIRROR_NONE ? m : AUDIT_MIRROR_SYSLOG;
}

void
audit__mirror(enum audit_mirror m, const struct audit_rec *r)
{
	char line[EVENTLOG_LINE_MAX];
	int pri = r->priority & 7;

	if (m == AUDIT_MIRROR_NONE)
		return;
	audit__mirror_line(r, line, sizeof(line));
	/* syslog's emerg..crit are errors to the Event Log. */
	op_log_record(pri < OP_LOG_ERROR ? OP_LOG_ERROR :
				(enum op_log_level)pri,
		"audit", line);
}
