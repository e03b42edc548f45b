/* SPDX-License-Identifier: MIT */
/*
 * Windows access control for what the Unix build guards with modes and
 * uids (issue 16): the private DACL our state folder, secret files and
 * control pipe get, the check that an existing object has nothing wider,
 * and who counts as "us or root" at the other end of a pipe. Windows
 * only (winacl-win.c).
 *
 * Trusted accounts: LocalSystem (the service), the Administrators group
 * and the user this process runs as.
 */
#ifndef OP_PLATFORM_WINACL_H
#define OP_PLATFORM_WINACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

/*
 * A security descriptor (LocalFree it) with a protected DACL (nothing
 * inherited from the parent folder) granting full access to the trusted
 * accounts only. inherit: files and folders created inside get the same
 * (for a folder). read_users: the Users group may read too (what mode
 * 0644 means). 0 or OP_ERR_NOMEM / OP_ERR_INTERNAL.
 */
int winacl_private(bool inherit, bool read_users, PSECURITY_DESCRIPTOR *out);

/*
 * The object h is open on (with READ_CONTROL) is owned by a trusted
 * account and its DACL allows nothing to anyone else (a NULL DACL allows
 * everything). 0, or OP_ERR_PERM with the account named in why; another
 * negative code when the security cannot be read.
 */
int winacl_check_private(HANDLE h, char *why, size_t whylen);

/*
 * Like winacl_check_private, but others may read: nobody untrusted may
 * change or replace it (a file: write, delete, change its DACL or owner;
 * a folder, dir: delete entries, change its DACL or owner). What a
 * world-writable mode is on Unix.
 */
int winacl_check_writers(HANDLE h, bool dir, char *why, size_t whylen);

/* The process at the other end of a pipe runs as a trusted account
 * (a member of Administrators only when elevated: the group enabled). */
bool winacl_pid_trusted(DWORD pid);

/* The icacls command that gives path (a folder when dir) the private
 * DACL, for the messages that refuse a wider one. */
void winacl_fix_hint(const char *path, bool dir, char *out, size_t len);

/*
 * The file h is open on (with READ_CONTROL, its reparse point not
 * followed) is a regular file, not a link, that only trusted accounts
 * reach (winacl_check_private): 0 and its *size, or OP_ERR_PERM with
 * why naming path, what is wrong and the icacls fix; another negative
 * code when it cannot be read.
 */
int winacl_check_private_file(HANDLE h, const char *path, uint64_t *size,
	char *why, size_t whylen);

#define WINACL_PIPE_NAME_MAX 96

/*
 * A named pipe nobody else can get in between: one instance
 * (FILE_FLAG_FIRST_PIPE_INSTANCE: a squatter's pipe of the name makes it
 * fail), remote clients refused, the private DACL (winacl_private), and
 * a random name, \\.\pipe\outpost-<tag>-<pid>-<n>-<64 random bits>, for
 * the caller's CreateFileW of the other end. open_mode and pipe_mode as
 * for CreateNamedPipeW (the flags above are added). 0 with the server
 * end in *srv and the name in name, or a negative code.
 */
int winacl_pipe_new(const char *tag, DWORD open_mode, DWORD pipe_mode,
	DWORD buf_size, WCHAR name[static WINACL_PIPE_NAME_MAX], HANDLE *srv);

/* UTF-8 to a malloc'd UTF-16 string; NULL when not UTF-8 or no memory. */
WCHAR *winacl_wide(const char *s);

#endif
