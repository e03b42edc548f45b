/* SPDX-License-Identifier: MIT */
/*
 * The system's log sinks behind core/log.c: journald and syslog on Unix
 * (log-unix.c); none yet on Windows (log-win.c: the Event Log is still to
 * come, so everything goes to stderr there).
 */
#ifndef OP_CORE_LOG_SINK_H
#define OP_CORE_LOG_SINK_H

#include <stdbool.h>

#include "core/log.h"

/* Makes target the system sink (closing the previous one); returns the
 * target in force: OP_LOG_STDERR when this system has no such sink. */
enum op_log_target op_log__sink_open(const char *ident,
	enum op_log_target target);
/* Writes one formatted message to the system sink; false = not written
 * (the caller writes it to stderr). */
bool op_log__sink_write(enum op_log_target target, enum op_log_level level,
	const char *ident, const char *func, int r, const char *msg);

#endif
