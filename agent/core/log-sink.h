/* SPDX-License-Identifier: MIT */
/*
 * The system's log sinks behind core/log.c: journald and syslog on Unix
 * (log-unix.c); on Windows (log-win.c) both mean the Event Log, and a
 * log file may be kept as well (a service has no stderr).
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

/* op_log_file's work: opens (NULL: closes) the log file; 0, a negative
 * code, or OP_ERR_UNSUPPORTED where this system keeps none. */
int op_log__file_open(const char *path);
/* Appends one record to the log file, if one is open. */
void op_log__file_write(enum op_log_level level, const char *ident,
	const char *level_name, const char *msg);

#endif
