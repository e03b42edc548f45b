/* SPDX-License-Identifier: MIT */
/*
 * platform/winspawn.h under wine: command lines that CommandLineToArgvW
 * reads back into the same arguments (spaces, quotes, backslashes,
 * empty ones, non-ASCII), one that does not fit, and a child started in
 * our own session that finds its C runtime descriptor 3 (a pipe of
 * ours, passed in lpReserved2's table) and its exit code comes back;
 * one started with drop_privileges has SeChangeNotifyPrivilege only.
 * A session other than our own needs LocalSystem: not tested here.
 */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <shellapi.h>

#include "core/err.h"
#include "platform/winspawn.h"
#include "th.h"

static void
roundtrip(char *const *argv)
{
	wchar_t line[4096];
	wchar_t **back;
	int n = 0, want = 0;

	while (argv[want] != NULL)
		want++;
	ASSERT(winspawn_cmdline(argv, line, 4096) > 0);
	back = CommandLineToArgvW(line, &n);
	ASSERT(back != NULL);
	ASSERT_INT_EQ(n, want);
	for (int i = 0; i < n && i < want; i++) {
		char u[1024];

		ASSERT(WideCharToMultiByte(CP_UTF8, 0, back[i], -1, u,
			       sizeof(u), NULL, NULL) > 0);
		ASSERT_STR_EQ(u, argv[i]);
	}
	LocalFree(back);
}

static void
test_cmdline(void)
{
	char *plain[] = { "C:\\Program Files\\Outpost\\outpost.exe", "-c",
		"C:\\ProgramData\\Outpost\\outpost.yaml", "run", NULL };
	char *quotes[] = { "x.exe", "a\"b", "\"", "say \"hi\"", NULL };
	char *slashes[] = { "x.exe", "trailing\\", "C:\\dir with space\\",
		"\\\\\"", "a\\\\b", "\\", NULL };
	char *empty[] = { "x.exe", "", "tab\there", "new\nline", NULL };
	char *utf8[] = { "x.exe", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac", NULL };

	roundtrip(plain);
	roundtrip(quotes);
	roundtrip(slashes);
	roundtrip(empty);
	roundtrip(utf8);
}

static void
test_cmdline_bounds(void)
{
	char *argv[] = { "x.exe", "0123456789", NULL };
	char *bad[] = { "x.exe", "\xff\xfe", NULL };
	wchar_t line[8];

	ASSERT_INT_EQ(winspawn_cmdline(argv, line, 8), -1);
	ASSERT_INT_EQ(winspawn_cmdline(bad, line, 8), -1);
	ASSERT_INT_EQ(winspawn_cmdline(argv, line, 0), -1);
}

static char self[MAX_PATH];

static void
test_child_fd3(void)
{
	char *argv[] = { (char *)self, "child", "with space", NULL };
	struct winspawn ws = {
		.exe = self,
		.argv = argv,
		.session = winspawn_own_session(),
		.fds = { 0, 1, 2, -1 },
		.nfds = 4,
	};
	int fds[2];
	void *proc = NULL;
	int pid = 0;
	DWORD code = 0;
	char buf[64];
	int n;

	ASSERT(winspawn_own_session() != 0xFFFFFFFFul);
	ASSERT_INT_EQ(_pipe(fds, 256, _O_BINARY), 0);
	ws.fds[3] = fds[1];
	ASSERT_INT_EQ(winspawn_start(&ws, &proc, &pid), 0);
	_close(fds[1]); /* the child holds its copy */
	ASSERT(proc != NULL && pid > 0);
	n = _read(fds[0], buf, sizeof(buf) - 1);
	ASSERT(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	ASSERT_STR_EQ(buf, "fd3 with space");
	ASSERT_INT_EQ(WaitForSingleObject(proc, 30000), WAIT_OBJECT_0);
	ASSERT(GetExitCodeProcess(proc, &code));
	ASSERT_INT_EQ(code, 7);
	CloseHandle(proc);
	_close(fds[0]);
}

static DWORD
privilege_count(void)
{
	HANDLE t;
	DWORD n = 0;
	TOKEN_PRIVILEGES *tp;
	DWORD count = 0;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
		return 0;
	(void)GetTokenInformation(t, TokenPrivileges, NULL, 0, &n);
	if ((tp = malloc(n)) != NULL &&
		GetTokenInformation(t, TokenPrivileges, tp, n, &n))
		count = tp->PrivilegeCount;
	free(tp);
	CloseHandle(t);
	return count;
}

/* The child reports its privileges on fd 3: only SeChangeNotify left. */
static void
test_drop_privileges(void)
{
	char *argv[] = { self, "privs", NULL };
	struct winspawn ws = {
		.exe = self,
		.argv = argv,
		.session = winspawn_own_session(),
		.drop_privileges = true,
		.fds = { 0, 1, 2, -1 },
		.nfds = 4,
	};
	int fds[2];
	void *proc = NULL;
	int pid = 0;
	char buf[128];
	int n;

	ASSERT(privilege_count() > 1); /* wine's token, as an admin's */
	ASSERT_INT_EQ(_pipe(fds, 256, _O_BINARY), 0);
	ws.fds[3] = fds[1];
	ASSERT_INT_EQ(winspawn_start(&ws, &proc, &pid), 0);
	_close(fds[1]);
	n = _read(fds[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	ASSERT_STR_EQ(buf, "1 SeChangeNotifyPrivilege");
	ASSERT_INT_EQ(WaitForSingleObject(proc, 30000), WAIT_OBJECT_0);
	CloseHandle(proc);
	_close(fds[0]);
}

static void
test_bad_exe(void)
{
	char *argv[] = { "x.exe", NULL };
	struct winspawn ws = { .exe = "C:\\no\\such\\file.exe", .argv = argv,
		.session = winspawn_own_session(), .nfds = 0 };
	void *proc = (void *)1;
	int pid = 1;

	ASSERT_INT_EQ(winspawn_start(&ws, &proc, &pid), OP_ERR_INTERNAL);
	ASSERT(proc == NULL && pid == 0);
	ws.nfds = WINSPAWN_MAX_FDS + 1;
	ASSERT_INT_EQ(winspawn_start(&ws, &proc, &pid), OP_ERR_CONFIG);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0) {
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "fd3 %s", argv[2]);

		return _write(3, msg, (unsigned)n) == n ? 7 : 1;
	}
	if (argc == 2 && strcmp(argv[1], "privs") == 0) {
		char msg[128], name[64];
		DWORD len = sizeof(name), tn = 0;
		TOKEN_PRIVILEGES *tp;
		HANDLE t;
		int n;

		if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
			return 1;
		(void)GetTokenInformation(t, TokenPrivileges, NULL, 0, &tn);
		if ((tp = malloc(tn)) == NULL ||
			!GetTokenInformation(t, TokenPrivileges, tp, tn, &tn) ||
			tp->PrivilegeCount < 1 ||
			!LookupPrivilegeNameA(NULL, &tp->Privileges[0].Luid,
				name, &len))
			return 1;
		n = snprintf(msg, sizeof(msg), "%lu %s",
			(unsigned long)tp->PrivilegeCount, name);
		return _write(3, msg, (unsigned)n) == n ? 0 : 1;
	}
	RUN(test_cmdline);
	RUN(test_cmdline_bounds);
	if (GetModuleFileNameA(NULL, self, sizeof(self)) == 0)
		return 1;
	RUN(test_child_fd3);
	RUN(test_drop_privileges);
	RUN(test_bad_exe);
	return th_done();
}
