/* SPDX-License-Identifier: MIT */
/* Error-code text. Must stay a pure table lookup: no allocation, no state. */
#include "core/err.h"

#include <string.h>

static const char *const op_err_text[] = {
	[0] = "incomplete input",
	[1] = "malformed input",
	[2] = "input too large",
	[3] = "authentication failed",
	[4] = "denied by policy",
	[5] = "cryptographic failure",
	[6] = "internal error",
	[7] = "invalid configuration",
	[8] = "unsafe file permissions",
	[9] = "out of memory",
	[10] = "not found",
	[11] = "invalid state",
	[12] = "not supported",
	[13] = "value out of range",
	[14] = "went away",
};
_Static_assert(sizeof(op_err_text) / sizeof(op_err_text[0]) ==
		(unsigned)(OP_ERR_INCOMPLETE - OP_ERR_LAST_),
	"op_err_text must cover every OP_ERR_* code");

const char *
op_strerror(int r)
{
	if (r == 0)
		return "success";
	if (r <= OP_ERR_INCOMPLETE && r > OP_ERR_LAST_)
		return op_err_text[OP_ERR_INCOMPLETE - r];
	if (r < 0 && r > -4096)
		return strerror(-r);
	return "unknown error";
}
