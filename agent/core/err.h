/* SPDX-License-Identifier: MIT */
/*
 * The one error table. Fallible functions return 0 on success and a negative
 * value on failure: either a negated errno / libuv code (-1 .. -4095), passed
 * through unchanged, or one of the OP_ERR_* codes below (from -20000).
 */
#ifndef OP_CORE_ERR_H
#define OP_CORE_ERR_H

enum op_err {
	OP_ERR_INCOMPLETE = -20000, /* need more input bytes */
	OP_ERR_PROTO = -20001,      /* malformed peer input */
	OP_ERR_TOO_LARGE = -20002,  /* input exceeds the allowed size */
	OP_ERR_AUTH = -20003,       /* authentication failed */
	OP_ERR_DENIED = -20004,     /* refused by policy */
	OP_ERR_CRYPTO = -20005,     /* a cryptographic operation failed */
	OP_ERR_INTERNAL = -20006,   /* a bug: broken invariant */
	OP_ERR_CONFIG = -20007,     /* invalid configuration */
	OP_ERR_PERM = -20008,       /* unsafe file permissions */
	OP_ERR_NOMEM = -20009,      /* allocation failed */
	OP_ERR_NOT_FOUND = -20010,  /* no such item */
	OP_ERR_STATE = -20011,      /* operation invalid in this state */
	OP_ERR_UNSUPPORTED = -20012, /* not implemented / not supported */
	OP_ERR_RANGE = -20013,      /* value out of range */
	OP_ERR_GONE = -20014,       /* the server or device went away */
	OP_ERR_LAST_ = -20015
};

/* Returns a static description of any error code (OP_ERR_*, -errno). */
const char *op_strerror(int r);

/* Windows only (err-win.c): a Win32 error code (GetLastError) as the
 * negative errno it corresponds to, -EIO when none does. */
int op_err_from_win32(unsigned long code);

#endif
