/* SPDX-License-Identifier: MIT */
/* Error-code text. Must stay a pure table lookup: no allocation, no state. */
#include "core/err.h"

#include <errno.h>
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

#ifdef _WIN32
/* The POSIX errnos mingw defines (100 and up) that the C runtime's
 * strerror does not know: it says "Unknown error" for them. */
static const char *
posix_text(int e)
{
	switch (e) {
	case ECONNRESET:
		return "Connection reset by peer";
	case ECONNREFUSED:
		return "Connection refused";
	case ECONNABORTED:
		return "Software caused connection abort";
	case ETIMEDOUT:
		return "Connection timed out";
	case ENOTCONN:
		return "Transport endpoint is not connected";
	case EADDRINUSE:
		return "Address already in use";
	case EMSGSIZE:
		return "Message too long";
	case EPROTO:
		return "Protocol error";
	case EWOULDBLOCK:
		return "Operation would block";
	case EINPROGRESS:
		return "Operation now in progress";
	case ENETUNREACH:
		return "Network is unreachable";
	case EHOSTUNREACH:
		return "No route to host";
	case ENOBUFS:
		return "No buffer space available";
	case ENOTSUP:
		return "Operation not supported";
	case ECANCELED:
		return "Operation canceled";
	case EOVERFLOW:
		return "Value too large for defined data type";
	default:
		return NULL;
	}
}
#endif

const char *
op_strerror(int r)
{
	if (r == 0)
		return "success";
	if (r <= OP_ERR_INCOMPLETE && r > OP_ERR_LAST_)
		return op_err_text[OP_ERR_INCOMPLETE - r];
#ifdef _WIN32
	if (r < 0 && posix_text(-r) != NULL)
		return posix_text(-r);
#endif
	if (r < 0 && r > -4096)
		return strerror(-r);
	return "unknown error";
}
