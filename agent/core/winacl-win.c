/* SPDX-License-Identifier: MIT */
#define _CRT_RAND_S /* rand_s: RtlGenRandom */
#include "core/winacl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aclapi.h>
#include <sddl.h>

#include "core/err.h"

enum { T_SYSTEM, T_ADMINS, T_SELF, T_COUNT };

/* The trusted SIDs (malloc'd once, never freed). */
static PSID trusted[T_COUNT];
static INIT_ONCE trusted_once = INIT_ONCE_STATIC_INIT;

static PSID
well_known(WELL_KNOWN_SID_TYPE t)
{
	DWORD n = SECURITY_MAX_SID_SIZE;
	PSID s = malloc(n);

	if (s != NULL && !CreateWellKnownSid(t, NULL, s, &n)) {
		free(s);
		s = NULL;
	}
	return s;
}

/* The user a token runs as, malloc'd. */
static PSID
token_user(HANDLE tok)
{
	union {
		TOKEN_USER u;
		char buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	} tu;
	DWORD n = 0, len;
	PSID s;

	if (!GetTokenInformation(tok, TokenUser, &tu, sizeof(tu), &n))
		return NULL;
	len = GetLengthSid(tu.u.User.Sid);
	if ((s = malloc(len)) != NULL && !CopySid(len, s, tu.u.User.Sid)) {
		free(s);
		s = NULL;
	}
	return s;
}

static BOOL CALLBACK
init_trusted(PINIT_ONCE once, PVOID arg, PVOID *ctx)
{
	HANDLE tok;

	(void)once;
	(void)arg;
	(void)ctx;
	trusted[T_SYSTEM] = well_known(WinLocalSystemSid);
	trusted[T_ADMINS] = well_known(WinBuiltinAdministratorsSid);
	if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		trusted[T_SELF] = token_user(tok);
		CloseHandle(tok);
	}
	return TRUE;
}

static bool
have_trusted(void)
{
	InitOnceExecuteOnce(&trusted_once, init_trusted, NULL, NULL);
	return trusted[T_SYSTEM] != NULL && trusted[T_ADMINS] != NULL &&
		trusted[T_SELF] != NULL;
}

static bool
is_trusted(PSID s)
{
	for (int i = 0; i < T_COUNT; i++)
		if (trusted[i] != NULL && EqualSid(s, trusted[i]))
			return true;
	return false;
}

int
winacl_private(bool inherit, bool read_users, PSECURITY_DESCRIPTOR *out)
{
	const char *in = inherit ? "OICI" : "";
	LPWSTR self = NULL;
	WCHAR sddl[512];
	BOOL ok;

	*out = NULL;
	if (!have_trusted() || !ConvertSidToStringSidW(trusted[T_SELF], &self))
		return OP_ERR_INTERNAL;
	/* D:P = a protected DACL; FA = all file access; SY LocalSystem, BA
	 * Administrators, BU Users (FR: read). */
	_snwprintf(sddl, sizeof(sddl) / sizeof(sddl[0]),
		L"D:P(A;%hs;FA;;;SY)(A;%hs;FA;;;BA)(A;%hs;FA;;;%ls)%ls", in, in,
		in, self, read_users ? L"(A;;FR;;;BU)" : L"");
	sddl[sizeof(sddl) / sizeof(sddl[0]) - 1] = 0;
	LocalFree(self);
	ok = ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl,
		SDDL_REVISION_1, out, NULL);
	return ok ? 0 : OP_ERR_NOMEM;
}

int
winacl_pipe_new(const char *tag, DWORD open_mode, DWORD pipe_mode,
	DWORD buf_size, WCHAR name[static WINACL_PIPE_NAME_MAX], HANDLE *srv)
{
	static volatile LONG seq;
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	unsigned rnd[2] = { 0, 0 };
	int r;

	*srv = INVALID_HANDLE_VALUE;
	if (rand_s(&rnd[0]) != 0 || rand_s(&rnd[1]) != 0)
		return OP_ERR_INTERNAL;
	if (_snwprintf(name, WINACL_PIPE_NAME_MAX,
		    L"\\\\.\\pipe\\outpost-%hs-%lu-%lu-%08x%08x", tag,
		    (unsigned long)GetCurrentProcessId(),
		    (unsigned long)InterlockedIncrement(&seq), rnd[0],
		    rnd[1]) < 0)
		return OP_ERR_RANGE;
	name[WINACL_PIPE_NAME_MAX - 1] = L'\0';
	if ((r = winacl_private(false, false, &sa.lpSecurityDescriptor)) != 0)
		return r;
	*srv = CreateNamedPipeW(name, open_mode | FILE_FLAG_FIRST_PIPE_INSTANCE,
		pipe_mode | PIPE_REJECT_REMOTE_CLIENTS, 1, buf_size, buf_size,
		0, &sa);
	LocalFree(sa.lpSecurityDescriptor);
	if (*srv == INVALID_HANDLE_VALUE)
		return op_err_from_win32(GetLastError());
	return 0;
}

/* "DOMAIN\name (S-1-...)" or the SID alone. */
static void
describe(PSID s, char *out, size_t len)
{
	WCHAR name[128], dom[128];
	char n8[384], d8[384];
	DWORD nn = 128, nd = 128;
	SID_NAME_USE use;
	LPSTR str = NULL;

	if (s == NULL || !ConvertSidToStringSidA(s, &str))
		str = NULL;
	/* Account names may be localised: UTF-8, not the C locale. */
	if (s != NULL && LookupAccountSidW(NULL, s, name, &nn, dom, &nd, &use) &&
		WideCharToMultiByte(CP_UTF8, 0, name, -1, n8, sizeof(n8), NULL,
			NULL) > 0 &&
		WideCharToMultiByte(CP_UTF8, 0, dom, -1, d8, sizeof(d8), NULL,
			NULL) > 0)
		snprintf(out, len, "%s%s%s (%s)", d8, d8[0] ? "\\" : "", n8,
			str != NULL ? str : "?");
	else
		snprintf(out, len, "%s", str != NULL ? str : "an unknown SID");
	if (str != NULL)
		LocalFree(str);
}

/* Owner trusted, and no allow ACE grants any of mask (after mapping
 * generic rights) to an untrusted account. */
static int
check(HANDLE h, DWORD mask, char *why, size_t whylen)
{
	static GENERIC_MAPPING files = { FILE_GENERIC_READ, FILE_GENERIC_WRITE,
		FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS };
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL;
	PACL dacl = NULL;
	char who[256];
	DWORD e;
	int r = 0;

	if (!have_trusted())
		return OP_ERR_INTERNAL;
	e = GetSecurityInfo(h, SE_FILE_OBJECT,
		OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
		NULL, &dacl, NULL, &sd);
	if (e != ERROR_SUCCESS) {
		snprintf(why, whylen, "cannot read its security (error %lu)",
			(unsigned long)e);
		return OP_ERR_PERM;
	}
	if (owner == NULL || !is_trusted(owner)) {
		/* An owner may always rewrite the DACL. */
		describe(owner, who, sizeof(who));
		snprintf(why, whylen, "it is owned by %s", who);
		r = OP_ERR_PERM;
	} else if (dacl == NULL) {
		snprintf(why, whylen, "it has no DACL: everyone has access");
		r = OP_ERR_PERM;
	}
	for (DWORD i = 0; r == 0 && i < dacl->AceCount; i++) {
		ACCESS_ALLOWED_ACE *a;
		DWORD m;
		PSID s;

		if (!GetAce(dacl, i, (void **)&a)) {
			r = OP_ERR_PERM;
			snprintf(why, whylen, "its DACL cannot be read");
			break;
		}
		/* Only allow ACEs that apply to this object matter: deny
		 * ACEs narrow, inherit-only ones are for children. */
		if (a->Header.AceType != ACCESS_ALLOWED_ACE_TYPE ||
			(a->Header.AceFlags & INHERIT_ONLY_ACE))
			continue;
		m = a->Mask;
		MapGenericMask(&m, &files);
		s = (PSID)&a->SidStart;
		if ((m & mask) == 0 || is_trusted(s))
			continue;
		describe(s, who, sizeof(who));
		snprintf(why, whylen, "its DACL lets %s %s", who,
			mask == ~(DWORD)0 ? "in" : "change or replace it");
		r = OP_ERR_PERM;
	}
	LocalFree(sd);
	return r;
}

int
winacl_check_private(HANDLE h, char *why, size_t whylen)
{
	return check(h, ~(DWORD)0, why, whylen);
}

int
winacl_check_writers(HANDLE h, bool dir, char *why, size_t whylen)
{
	/* A file: its data, its security, deleting it. A folder: deleting
	 * entries (what replacing a file takes), its security; adding
	 * entries is not enough to replace ours (ProgramData lets every
	 * user add files and folders). */
	DWORD mask = WRITE_DAC | WRITE_OWNER |
		(dir ? FILE_DELETE_CHILD
		     : FILE_WRITE_DATA | FILE_APPEND_DATA | DELETE);

	return check(h, mask, why, whylen);
}

/* Administrators, enabled in the token (an elevated process). */
static bool
token_admin(HANDLE tok)
{
	DWORD n = 0;
	TOKEN_GROUPS *g;
	bool yes = false;

	GetTokenInformation(tok, TokenGroups, NULL, 0, &n);
	if (n == 0 || n > (1u << 20) || (g = malloc(n)) == NULL)
		return false;
	if (GetTokenInformation(tok, TokenGroups, g, n, &n))
		for (DWORD i = 0; i < g->GroupCount && !yes; i++)
			yes = (g->Groups[i].Attributes & SE_GROUP_ENABLED) &&
				EqualSid(g->Groups[i].Sid, trusted[T_ADMINS]);
	free(g);
	return yes;
}

bool
winacl_pid_trusted(DWORD pid)
{
	HANDLE proc, tok;
	PSID user;
	bool yes = false;

	if (!have_trusted())
		return false;
	if ((proc = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
		     pid)) == NULL)
		return false;
	if (OpenProcessToken(proc, TOKEN_QUERY, &tok)) {
		if ((user = token_user(tok)) != NULL) {
			yes = EqualSid(user, trusted[T_SELF]) ||
				EqualSid(user, trusted[T_SYSTEM]) ||
				token_admin(tok);
			free(user);
		}
		CloseHandle(tok);
	}
	CloseHandle(proc);
	return yes;
}

WCHAR *
winacl_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1,
		NULL, 0);
	WCHAR *w;

	if (n <= 0 || (w = malloc((size_t)n * sizeof(WCHAR))) == NULL)
		return NULL;
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
	return w;
}

void
winacl_fix_hint(const char *path, bool dir, char *out, size_t len)
{
	const char *inh = dir ? "(OI)(CI)" : "";

	snprintf(out, len,
		"icacls \"%s\" /inheritance:r /grant:r *S-1-5-18:%sF "
		"*S-1-5-32-544:%sF",
		path, inh, inh);
}

int
winacl_check_private_file(HANDLE h, const char *path, uint64_t *size,
	char *why, size_t whylen)
{
	BY_HANDLE_FILE_INFORMATION fi;
	char acl_why[320], fix[512];
	int r;

	*size = 0;
	if (!GetFileInformationByHandle(h, &fi)) {
		r = op_err_from_win32(GetLastError());
		snprintf(why, whylen, "cannot stat %s (error %lu)", path,
			(unsigned long)GetLastError());
		return r;
	}
	if (fi.dwFileAttributes &
		(FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) {
		snprintf(why, whylen,
			"%s is not a regular file (links are not followed)",
			path);
		return OP_ERR_PERM;
	}
	if ((r = winacl_check_private(h, acl_why, sizeof(acl_why))) != 0) {
		winacl_fix_hint(path, false, fix, sizeof(fix));
		snprintf(why, whylen,
			"refusing %s: %s, who could read or change it; fix "
			"with: %s",
			path, acl_why, fix);
		return r;
	}
	*size = ((uint64_t)fi.nFileSizeHigh << 32) | fi.nFileSizeLow;
	return 0;
}
