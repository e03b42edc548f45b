/* SPDX-License-Identifier: MIT */
/* Clock helpers: monotonic for timeouts, wall clock for protocol fields. */
#ifndef OP_CORE_TIME_H
#define OP_CORE_TIME_H

#include <stdint.h>
#include <time.h>

/* Milliseconds from CLOCK_MONOTONIC (never jumps; for timeouts, rates). */
uint64_t op_now_ms(void);
/* Monotonic microseconds (for per-frame timings). */
uint64_t op_now_us(void);
/* Microseconds since the Unix epoch (for AddrMangle, audit stamps). */
uint64_t op_wall_us(void);

/* gmtime_r, localtime_r and timegm, which Windows' CRT spells
 * gmtime_s, localtime_s (arguments swapped) and _mkgmtime. */
static inline struct tm *
op_gmtime(const time_t *t, struct tm *out)
{
#ifdef _WIN32
	return gmtime_s(out, t) == 0 ? out : NULL;
#else
	return gmtime_r(t, out);
#endif
}

static inline struct tm *
op_localtime(const time_t *t, struct tm *out)
{
#ifdef _WIN32
	return localtime_s(out, t) == 0 ? out : NULL;
#else
	return localtime_r(t, out);
#endif
}

static inline time_t
op_timegm(struct tm *tm)
{
#ifdef _WIN32
	return _mkgmtime(tm);
#else
	return timegm(tm);
#endif
}

#endif
