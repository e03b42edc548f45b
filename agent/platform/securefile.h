/* SPDX-License-Identifier: MIT */
/*
 * Permission-checked files for secrets and state (S3/S4/S15 in the field
 * notes): directories 0700, files 0600, owned by the running user, never
 * followed through symlinks, written atomically (temp + fsync + rename).
 * Failures carry a human sentence naming the file and the command that
 * fixes it, for the CLI and the log. On Windows (securefile-win.c) the
 * owner and the DACL stand for the owner and the mode: a protected DACL
 * for LocalSystem, Administrators and the running user.
 */
#ifndef OP_PLATFORM_SECUREFILE_H
#define OP_PLATFORM_SECUREFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SFILE_WHY_LEN 512

/* What state paths are joined with: the system's own separator, so the
 * paths in messages and fix commands read as they should. */
#ifdef _WIN32
#define SFILE_SEP "\\"
#else
#define SFILE_SEP "/"
#endif

/*
 * Creates dir with mode 0700 if it does not exist (parents must exist).
 * An existing dir must be a real directory owned by the running user with
 * no group/other access. Returns 0, OP_ERR_PERM (why says how to fix) or
 * a negative errno.
 */
int sfile_ensure_dir(const char *dir, char why[static SFILE_WHY_LEN]);

/*
 * Reads a whole secret file of at most max bytes into a fresh buffer
 * (*out, NUL-terminated for convenience; the caller wipes and frees it).
 * The file must be a regular file, not a symlink, owned by the running
 * user, with no group/other permission bits. Returns 0, -ENOENT,
 * OP_ERR_PERM, OP_ERR_TOO_LARGE or a negative errno; why is filled on
 * error.
 */
int sfile_read_secret(const char *path, size_t max, uint8_t **out,
	size_t *out_len, char why[static SFILE_WHY_LEN]);

/*
 * Replaces path atomically with data: a temp file created O_EXCL with
 * mode, written, fsynced, renamed over path, then the directory fsynced.
 * Returns 0 or a negative errno; nothing changes on error.
 */
int sfile_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, char why[static SFILE_WHY_LEN]);

/*
 * Removes the file path (not a directory); a missing file is not an
 * error. Returns 0 or a negative errno with why filled.
 */
int sfile_remove(const char *path, char why[static SFILE_WHY_LEN]);

/* Frees a buffer from sfile_read_secret after wiping len bytes. */
void sfile_free_secret(uint8_t *buf, size_t len);

#endif
