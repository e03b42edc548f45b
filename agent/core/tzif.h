/* SPDX-License-Identifier: MIT */
/*
 * Time zones without the process environment: a parser for TZif files
 * (RFC 8536, versions 1 to 4, as zic writes them under
 * /usr/share/zoneinfo) and for the POSIX TZ string in their footer, and
 * the conversion of a UTC instant to the zone's wall clock.
 *
 * Why: glibc applies a named zone only through $TZ + tzset(), and
 * setenv() on the loop thread races with getaddrinfo() in libuv's thread
 * pool (glibc has no localtime_rz). A parsed zone is immutable, so any
 * thread may use it. The file is input: every count and offset is
 * checked against the buffer and the RFC's ranges before use.
 */
#ifndef OP_CORE_TZIF_H
#define OP_CORE_TZIF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Larger files are refused (the biggest zone in tzdata is ~4 KiB). */
#define OP_TZIF_MAX_FILE (64 * 1024)

struct op_tzif;

/*
 * Parses a whole TZif file from buf[0..len). Version 1 files use their
 * 32-bit data; later versions their 64-bit data and footer. Returns 0 and
 * *out (free with op_tzif_free), OP_ERR_TOO_LARGE (len above
 * OP_TZIF_MAX_FILE), OP_ERR_UNSUPPORTED (leap-second zones, "right/..."),
 * OP_ERR_NOMEM, or OP_ERR_PROTO when anything is malformed: magic,
 * version, counts, truncation, bytes after the footer, unsorted
 * transitions, an index, offset, flag or designation out of range, or a
 * footer that is not a valid POSIX TZ string. *out is NULL on failure.
 */
int op_tzif_parse(const uint8_t *buf, size_t len, struct op_tzif **out);

/*
 * A zone from a POSIX TZ string alone ("CET-1CEST,M3.5.0,M10.5.0/3",
 * "<+0330>-3:30", "EST5EDT"), with RFC 8536's extensions (rule times
 * from -167 to 167 hours). Same returns as op_tzif_parse.
 */
int op_tzif_parse_posix(const char *s, size_t len, struct op_tzif **out);

void op_tzif_free(struct op_tzif *tz);

/*
 * The wall clock of tz at t (seconds since the epoch, UTC) into *out, as
 * localtime_r would fill it (tm_isdst, tm_gmtoff; tm_zone is NULL).
 * Returns 0 or OP_ERR_RANGE (the result does not fit a struct tm). Pure;
 * any thread may call it on the same tz.
 */
int op_tzif_localtime(const struct op_tzif *tz, int64_t t, struct tm *out);

#endif
