/* SPDX-License-Identifier: MIT */
/* Starting a process in another session (winspawn.h). */
#include "platform/winspawn.h"

#include <io.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <userenv.h>
#include <wtsapi32.h>

#include "core/err.h"

/* The C runtime's flags in the lpReserved2 table (what msvcrt's
 * ioinfo keeps per descriptor). */
#define CRT_FOPEN 0x01
#define CRT_FPIPE 0x08
#define CRT_FDEV 0x40

unsigned long
winspawn_own_session(void)
{
	DWORD sid;

	return ProcessIdToSessionId(GetCurrentProcessId(), &sid) ? sid :
								  0xFFFFFFFFu;
}

unsigned long
winspawn_console_session(void)
{
	return WTSGetActiveConsoleSessionId();
}

/* Appends one argument quoted as CommandLineToArgvW reads it back. */
static int
quote_arg(const wchar_t *a, wchar_t *out, int at, int size)
{
#define PUT(c)                                                           \
	do {                                                             \
		if (at >= size - 1)                                      \
			return -1;                                       \
		out[at++] = (c);                                         \
	} while (0)
	bool plain = a[0] != L'\0' && wcspbrk(a, L" \t\n\v\"") == NULL;

	if (plain) {
		for (; *a; a++)
			PUT(*a);
		return at;
	}
	PUT(L'"');
	for (;; a++) {
		int bs = 0;

		while (*a == L'\\') {
			a++;
			bs++;
		}
		if (*a == L'\0') { /* double them: the closing quote follows */
			for (int i = 0; i < bs * 2; i++)
				PUT(L'\\');
			break;
		}
		if (*a == L'"') {
			for (int i = 0; i < bs * 2 + 1; i++)
				PUT(L'\\');
		} else {
			for (int i = 0; i < bs; i++)
				PUT(L'\\');
		}
		PUT(*a);
	}
	PUT(L'"');
	return at;
#undef PUT
}

int
winspawn_cmdline(char *const *argv, wchar_t *out, int size)
{
	int at = 0;

	if (size < 1)
		return -1;
	for (int i = 0; argv[i] != NULL; i++) {
		wchar_t w[1024];

		if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, argv[i],
			    -1, w, (int)(sizeof(w) / sizeof(w[0]))) <= 0)
			return -1;
		if (i > 0) {
			if (at >= size - 1)
				return -1;
			out[at++] = L' ';
		}
		if ((at = quote_arg(w, out, at, size)) < 0)
			return -1;
	}
	out[at] = L'\0';
	return at;
}

/* Our token, copied and moved to session (SeTcbPrivilege). */
static int
session_token(DWORD session, HANDLE *out)
{
	HANDLE own, dup;
	DWORD sid = session;

	*out = NULL;
	if (!OpenProcessToken(GetCurrentProcess(),
		    TOKEN_DUPLICATE | TOKEN_QUERY, &own))
		return OP_ERR_INTERNAL;
	if (!DuplicateTokenEx(own, MAXIMUM_ALLOWED, NULL, SecurityIdentification,
		    TokenPrimary, &dup)) {
		CloseHandle(own);
		return OP_ERR_INTERNAL;
	}
	CloseHandle(own);
	if (!SetTokenInformation(dup, TokenSessionId, &sid, sizeof(sid))) {
		CloseHandle(dup);
		return OP_ERR_DENIED;
	}
	*out = dup;
	return 0;
}

/* base without its privileges (winspawn.drop_privileges). */
static int
drop_privileges(HANDLE base, HANDLE *out)
{
	TOKEN_PRIVILEGES *tp = NULL;
	LUID_AND_ATTRIBUTES *del = NULL;
	LUID keep;
	DWORD n = 0, ndel = 0;
	int r = OP_ERR_INTERNAL;

	*out = NULL;
	if (!LookupPrivilegeValueW(NULL, L"SeChangeNotifyPrivilege", &keep))
		return r;
	(void)GetTokenInformation(base, TokenPrivileges, NULL, 0, &n);
	if (n == 0 || (tp = malloc(n)) == NULL ||
		!GetTokenInformation(base, TokenPrivileges, tp, n, &n) ||
		(del = calloc(tp->PrivilegeCount + 1, sizeof(*del))) == NULL)
		goto out;
	for (DWORD i = 0; i < tp->PrivilegeCount; i++) {
		LUID l = tp->Privileges[i].Luid;

		if (l.LowPart != keep.LowPart || l.HighPart != keep.HighPart)
			del[ndel++] = tp->Privileges[i];
	}
	if (CreateRestrictedToken(base, 0, 0, NULL, ndel, del, 0, NULL, out))
		r = 0;
out:
	free(del);
	free(tp);
	return r;
}

static BYTE
crt_flags(HANDLE h)
{
	switch (GetFileType(h)) {
	case FILE_TYPE_PIPE:
		return CRT_FOPEN | CRT_FPIPE;
	case FILE_TYPE_CHAR:
		return CRT_FOPEN | CRT_FDEV;
	default:
		return CRT_FOPEN;
	}
}

int
winspawn_start(const struct winspawn *s, void **proc, int *pid)
{
	wchar_t exe[MAX_PATH + 1];
	wchar_t *cmd = NULL;
	wchar_t desktop[] = L"winsta0\\default";
	HANDLE inherit[WINSPAWN_MAX_FDS];
	HANDLE token = NULL, base = NULL;
	void *env = NULL;
	/* No console of ours (a service): none for the child either. */
	DWORD flags = EXTENDED_STARTUPINFO_PRESENT |
		(GetConsoleWindow() == NULL ? CREATE_NO_WINDOW : 0);
	int ninherit = 0;
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	SIZE_T attr_size = 0;
	BYTE *table = NULL;
	size_t table_len;
	BOOL ok;
	int r = OP_ERR_INTERNAL;

	*proc = NULL;
	*pid = 0;
	memset(&si, 0, sizeof(si));
	if (s->nfds < 0 || s->nfds > WINSPAWN_MAX_FDS ||
		MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s->exe, -1,
			exe, MAX_PATH + 1) <= 0)
		return OP_ERR_CONFIG;
	if ((cmd = malloc(32768 * sizeof(wchar_t))) == NULL)
		return OP_ERR_NOMEM;
	if (winspawn_cmdline(s->argv, cmd, 32768) < 0) {
		free(cmd);
		return OP_ERR_CONFIG;
	}
	/* int count, count flag bytes, count handles: unaligned. */
	table_len = sizeof(int) + (size_t)s->nfds * (1 + sizeof(HANDLE));
	if ((table = calloc(1, table_len)) == NULL)
		goto out;
	memcpy(table, &s->nfds, sizeof(int));
	for (int i = 0; i < s->nfds; i++) {
		HANDLE h = INVALID_HANDLE_VALUE, dup;
		BYTE f = 0;

		if (s->fds[i] >= 0 &&
			(h = (HANDLE)_get_osfhandle(s->fds[i])) !=
				INVALID_HANDLE_VALUE &&
			DuplicateHandle(GetCurrentProcess(), h,
				GetCurrentProcess(), &dup, 0, TRUE,
				DUPLICATE_SAME_ACCESS)) {
			f = crt_flags(dup);
			inherit[ninherit++] = dup;
			h = dup;
		} else {
			h = INVALID_HANDLE_VALUE;
		}
		table[sizeof(int) + (size_t)i] = f;
		memcpy(table + sizeof(int) + (size_t)s->nfds +
				(size_t)i * sizeof(HANDLE),
			&h, sizeof(HANDLE));
		if (i < 3)
			(&si.StartupInfo.hStdInput)[i] = h;
	}
	si.StartupInfo.cb = sizeof(si);
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.lpDesktop = desktop;
	si.StartupInfo.cbReserved2 = (WORD)table_len;
	si.StartupInfo.lpReserved2 = table;
	InitializeProcThreadAttributeList(NULL, 1, 0, &attr_size);
	if ((si.lpAttributeList = malloc(attr_size)) == NULL ||
		!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0,
			&attr_size)) {
		free(si.lpAttributeList);
		si.lpAttributeList = NULL;
		goto out;
	}
	if (ninherit > 0 &&
		!UpdateProcThreadAttribute(si.lpAttributeList, 0,
			PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit,
			(SIZE_T)ninherit * sizeof(HANDLE), NULL, NULL))
		goto out;
	if (s->token != NULL) {
		if (CreateEnvironmentBlock(&env, s->token, FALSE))
			flags |= CREATE_UNICODE_ENVIRONMENT;
		else
			env = NULL;
		flags |= CREATE_NO_WINDOW; /* another user's session */
	} else if (s->session != winspawn_own_session()) {
		if ((r = session_token((DWORD)s->session, &base)) != 0)
			goto out;
		flags |= CREATE_NO_WINDOW;
	} else if (s->drop_privileges &&
		!OpenProcessToken(GetCurrentProcess(),
			TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY,
			&base)) {
		goto out;
	}
	if (s->drop_privileges &&
		(r = drop_privileges(s->token != NULL ? s->token : base,
			 &token)) != 0)
		goto out;
	if (token == NULL) { /* ours, or moved: the same handle */
		token = base;
		base = NULL;
	}
	r = OP_ERR_INTERNAL;
	if (s->token != NULL || token != NULL)
		ok = CreateProcessAsUserW(token != NULL ? token : s->token,
			exe, cmd, NULL, NULL, ninherit > 0, flags, env, NULL,
			&si.StartupInfo, &pi);
	else
		ok = CreateProcessW(exe, cmd, NULL, NULL, ninherit > 0, flags,
			NULL, NULL, &si.StartupInfo, &pi);
	if (ok) {
		CloseHandle(pi.hThread);
		*proc = pi.hProcess;
		*pid = (int)pi.dwProcessId;
		r = 0;
	}
out:
	if (si.lpAttributeList != NULL) {
		DeleteProcThreadAttributeList(si.lpAttributeList);
		free(si.lpAttributeList);
	}
	for (int i = 0; i < ninherit; i++)
		CloseHandle(inherit[i]);
	if (token != NULL)
		CloseHandle(token);
	if (base != NULL)
		CloseHandle(base);
	if (env != NULL)
		DestroyEnvironmentBlock(env);
	free(table);
	free(cmd);
	return r;
}
