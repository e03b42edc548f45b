/* SPDX-License-Identifier: MIT */
/*
 * Log sink selection and formatting. Must not allocate on the heap or log
 * from signal handlers (callers set flags there instead).
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log-sink.h"

static const char *log_ident = "outpost";
static enum op_log_level log_level = OP_LOG_INFO;
static enum op_log_target log_target = OP_LOG_STDERR;

static const char *const level_names[] = {
	[OP_LOG_ERROR] = "error",
	[OP_LOG_WARNING] = "warning",
	[OP_LOG_NOTICE] = "notice",
	[OP_LOG_INFO] = "info",
	[OP_LOG_DEBUG] = "debug",
};

void
op_log_init(const char *ident, enum op_log_level level,
	enum op_log_target target)
{
	if (ident != NULL)
		log_ident = ident;
	log_level = level;
	if (target == OP_LOG_AUTO)
		target = getenv("JOURNAL_STREAM") != NULL ? OP_LOG_JOURNALD :
							   OP_LOG_STDERR;
	log_target = op_log__sink_open(log_ident, target);
}

int
op_log_file(const char *path)
{
	return op_log__file_open(path);
}

int
op_log_level_parse(const char *s, enum op_log_level *out)
{
	for (int i = OP_LOG_ERROR; i <= OP_LOG_DEBUG; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum op_log_level)i;
			return 0;
		}
	}
	return OP_ERR_CONFIG;
}

int
op_log_target_parse(const char *s, enum op_log_target *out)
{
	static const char *const names[] = { "auto", "journald", "syslog",
		"stderr" };
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum op_log_target)i;
			return 0;
		}
	}
	return OP_ERR_CONFIG;
}

bool
op_log_enabled(enum op_log_level level)
{
	return level <= log_level;
}

void
op_log(enum op_log_level level, const char *func, int r, const char *fmt,
	...)
{
	char msg[1024];
	va_list ap;
	int n;

	if (!op_log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (r != 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
			op_strerror(r));

	op_log__file_write(level, log_ident, level_names[level], msg);
	if (log_target != OP_LOG_STDERR &&
		op_log__sink_write(log_target, level, log_ident, func, r, msg))
		return;
	if (log_level >= OP_LOG_DEBUG)
		fprintf(stderr, "%s: %s: %s: %s\n", log_ident,
			level_names[level], func, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_names[level],
			msg);
}

void
op_log_record(enum op_log_level level, const char *func, const char *msg)
{
	op_log__file_write(level, log_ident, level_names[level], msg);
	if (log_target != OP_LOG_STDERR)
		(void)op_log__sink_write(log_target, level, log_ident, func, 0,
			msg);
}

bool
op_ratelimit_allow(struct op_ratelimit *rl, uint64_t now_ms, unsigned burst,
	uint64_t interval_ms, unsigned *suppressed)
{
	if (suppressed != NULL)
		*suppressed = 0;
	if (now_ms - rl->window_start_ms >= interval_ms ||
		rl->window_start_ms == 0) {
		rl->window_start_ms = now_ms == 0 ? 1 : now_ms;
		rl->count = 0;
	}
	if (rl->count >= burst) {
		rl->suppressed++;
		return false;
	}
	rl->count++;
	if (suppressed != NULL)
		*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
