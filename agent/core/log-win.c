/* SPDX-License-Identifier: MIT */
/*
 * Windows has neither journald nor syslog: every target is stderr until
 * the Event Log sink of issue 16 exists.
 */
#include "core/log-sink.h"

enum op_log_target
op_log__sink_open(const char *ident, enum op_log_target target)
{
	(void)ident;
	(void)target;
	return OP_LOG_STDERR;
}

bool
op_log__sink_write(enum op_log_target target, enum op_log_level level,
	const char *ident, const char *func, int r, const char *msg)
{
	(void)target;
	(void)level;
	(void)ident;
	(void)func;
	(void)r;
	(void)msg;
	return false;
}
