/* SPDX-License-Identifier: MIT */
/* Clock helpers: monotonic for timeouts, wall clock for protocol fields. */
#ifndef OP_CORE_TIME_H
#define OP_CORE_TIME_H

#include <stdint.h>

/* Milliseconds from CLOCK_MONOTONIC (never jumps; for timeouts, rates). */
uint64_t op_now_ms(void);
/* Monotonic microseconds (for per-frame timings). */
uint64_t op_now_us(void);
/* Microseconds since the Unix epoch (for AddrMangle, audit stamps). */
uint64_t op_wall_us(void);

#endif
