/* SPDX-License-Identifier: MIT */
/* journald and syslog sinks for core/log.c. */
#include "core/log-sink.h"

#include <syslog.h>

#include "core/err.h"

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static bool syslog_open;

enum op_log_target
op_log__sink_open(const char *ident, enum op_log_target target)
{
	if (target != OP_LOG_SYSLOG && syslog_open) {
		closelog();
		syslog_open = false;
	}
	if (target == OP_LOG_SYSLOG && !syslog_open) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog_open = true;
	}
	return target;
}

bool
op_log__sink_write(enum op_log_target target, enum op_log_level level,
	const char *ident, const char *func, int r, const char *msg)
{
	switch (target) {
	case OP_LOG_JOURNALD:
		if (r != 0)
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d",
				(int)level, "SYSLOG_IDENTIFIER=%s", ident,
				"CODE_FUNC=%s", func, "OUTPOST_ERR=%d", r, NULL);
		else
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d",
				(int)level, "SYSLOG_IDENTIFIER=%s", ident,
				"CODE_FUNC=%s", func, NULL);
		return true;
	case OP_LOG_SYSLOG:
		syslog((int)level, "%s", msg);
		return true;
	default:
		return false;
	}
}

/* Unix keeps no log file of its own: journald or syslog do. */
int
op_log__file_open(const char *path)
{
	(void)path;
	return OP_ERR_UNSUPPORTED;
}

void
op_log__file_write(enum op_log_level level, const char *ident,
	const char *level_name, const char *msg)
{
	(void)level;
	(void)ident;
	(void)level_name;
	(void)msg;
}
