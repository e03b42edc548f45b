/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the time zone parsers (core/tzif.c): a byte 0 with the low bit
 * clear gives the rest to op_tzif_parse as a TZif file, with it set to
 * op_tzif_parse_posix as a TZ string. A zone that parses is then asked
 * for the wall clock at fixed instants and at one taken from the input.
 * Beyond "no crash", the contracts: only the documented results, no
 * zone on failure, offsets within +-26 hours, a struct tm in range.
 */
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/tzif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
probe(const struct op_tzif *tz, int64_t t)
{
	struct tm tm;
	int r = op_tzif_localtime(tz, t, &tm);

	if (r == OP_ERR_RANGE)
		return;
	if (r != 0 || tm.tm_gmtoff < -93600 || tm.tm_gmtoff > 93600 ||
		tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
		tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60 ||
		tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_yday < 0 ||
		tm.tm_yday > 365 || (tm.tm_isdst != 0 && tm.tm_isdst != 1))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t at[] = { INT64_MIN, -4000000000, -1, 0,
		1743296400, 4118126400, 253402300799, INT64_MAX };
	struct op_tzif *tz = NULL;
	int64_t t = 0;
	int r;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		r = op_tzif_parse_posix((const char *)data + 1, size - 1, &tz);
	else
		r = op_tzif_parse(data + 1, size - 1, &tz);
	if (r != 0) {
		if (tz != NULL || (r != OP_ERR_PROTO && r != OP_ERR_TOO_LARGE &&
					  r != OP_ERR_UNSUPPORTED &&
					  r != OP_ERR_NOMEM))
			__builtin_trap();
		return 0;
	}
	if (tz == NULL)
		__builtin_trap();
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		probe(tz, at[i]);
	memcpy(&t, data + (size >= 9 ? size - 8 : 0), size >= 9 ? 8 : 0);
	probe(tz, t);
	op_tzif_free(tz);
	return 0;
}
