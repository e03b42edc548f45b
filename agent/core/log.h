/* SPDX-License-Identifier: MIT */
/*
 * Logging to journald (structured, via sd_journal_send), syslog or stderr.
 * Callers must never pass secrets or whole peer payloads. Log once, where the
 * context is richest: leaf functions return codes, callers log them with the
 * _r variants.
 */
#ifndef OP_CORE_LOG_H
#define OP_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum op_log_level {
	OP_LOG_ERROR = 3, /* syslog priorities */
	OP_LOG_WARNING = 4,
	OP_LOG_NOTICE = 5,
	OP_LOG_INFO = 6,
	OP_LOG_DEBUG = 7,
};

enum op_log_target {
	OP_LOG_AUTO,     /* journald when JOURNAL_STREAM is set, else stderr */
	OP_LOG_JOURNALD,
	OP_LOG_SYSLOG,
	OP_LOG_STDERR,
};

/* Sets level and target; safe to call again (reload). ident is kept. */
void op_log_init(const char *ident, enum op_log_level level,
	enum op_log_target target);

/*
 * Windows: also appends every record (of the level in force) to path,
 * with a UTC timestamp; the file is moved to path.1 beyond 8 MiB. NULL
 * closes it. Returns 0, a negative code, or OP_ERR_UNSUPPORTED on Unix
 * (journald and syslog keep the files there).
 */
int op_log_file(const char *path);

/* Parses "error|warning|notice|info|debug"; returns 0 or OP_ERR_CONFIG. */
int op_log_level_parse(const char *s, enum op_log_level *out);
/* Parses "auto|journald|syslog|stderr"; returns 0 or OP_ERR_CONFIG. */
int op_log_target_parse(const char *s, enum op_log_target *out);

bool op_log_enabled(enum op_log_level level);

/*
 * Emits one record. r != 0 appends ": <op_strerror(r)>" and, on journald,
 * the field OUTPOST_ERR. func goes to CODE_FUNC / the stderr prefix.
 */
void op_log(enum op_log_level level, const char *func, int r,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Writes msg as one record to the system sink and the log file, each if
 * open, whatever the level in force and never to stderr: for a record
 * kept elsewhere too (the audit trail's mirror on Windows, which has no
 * syslog of its own). func is the record's CODE_FUNC.
 */
void op_log_record(enum op_log_level level, const char *func,
	const char *msg);

#define log_error(...) op_log(OP_LOG_ERROR, __func__, 0, __VA_ARGS__)
#define log_error_r(r, ...) op_log(OP_LOG_ERROR, __func__, (r), __VA_ARGS__)
#define log_warn(...) op_log(OP_LOG_WARNING, __func__, 0, __VA_ARGS__)
#define log_warn_r(r, ...) op_log(OP_LOG_WARNING, __func__, (r), __VA_ARGS__)
#define log_notice(...) op_log(OP_LOG_NOTICE, __func__, 0, __VA_ARGS__)
#define log_info(...) op_log(OP_LOG_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...) op_log(OP_LOG_DEBUG, __func__, 0, __VA_ARGS__)

/*
 * A token bucket for messages peers can trigger at will: at most `burst`
 * records per `interval_ms`; the next allowed record reports how many were
 * suppressed. Zero-initialise before use.
 */
struct op_ratelimit {
	uint64_t window_start_ms;
	unsigned count;
	unsigned suppressed;
};

/*
 * Returns true when a record may be emitted now; *suppressed (may be NULL)
 * receives the number dropped since the last allowed record.
 */
bool op_ratelimit_allow(struct op_ratelimit *rl, uint64_t now_ms,
	unsigned burst, uint64_t interval_ms, unsigned *suppressed);

#endif
