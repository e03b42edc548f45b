/* SPDX-License-Identifier: MIT */
/*
 * op_strerror on each system: the project's own codes, classic errnos,
 * the socket errnos (which mingw's C runtime calls "Unknown error": the
 * Windows build names them itself), and codes it does not know.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "th.h"

static void
test_own_codes(void)
{
	ASSERT_STR_EQ(op_strerror(0), "success");
	ASSERT_STR_EQ(op_strerror(OP_ERR_NOT_FOUND), "not found");
	ASSERT_STR_EQ(op_strerror(OP_ERR_LAST_ + 1), "went away");
	ASSERT_STR_EQ(op_strerror(OP_ERR_LAST_), "unknown error");
	ASSERT_STR_EQ(op_strerror(5), "unknown error");
}

static void
test_errnos(void)
{
	const int known[] = { ENOENT, EACCES, EPIPE, ECONNRESET, ECONNREFUSED,
		ETIMEDOUT, EMSGSIZE, EPROTO, EADDRINUSE, ENOTCONN };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const char *t = op_strerror(-known[i]);

		ASSERT(t != NULL && t[0] != '\0');
		if (strstr(t, "nknown") != NULL)
			TH_FAIL("errno %d: %s", known[i], t);
	}
	ASSERT_STR_CONTAINS(op_strerror(-ECONNRESET), "reset");
	ASSERT_STR_CONTAINS(op_strerror(-ETIMEDOUT), "timed out");
}

int
main(void)
{
	RUN(test_own_codes);
	RUN(test_errnos);
	return th_done();
}
