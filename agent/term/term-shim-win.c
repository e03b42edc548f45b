/* SPDX-License-Identifier: MIT */
/*
 * outpost-term-shim.exe "<shell>": started by term-direct-win.c on a
 * pseudo console, it starts the shell with the console's CONIN$ and
 * CONOUT$ as its standard handles and exits with the shell's status.
 * Needed because wine attaches a process to a pseudo console without
 * giving it the console as standard handles; harmless on Windows. The
 * shell inherits the console and the job; nothing else is inheritable
 * here.
 */
#define UNICODE
#define _UNICODE
#include <windows.h>

#include <string.h>

/* The command line after our own name (quoted or not). */
static wchar_t *
after_argv0(wchar_t *s)
{
	if (*s == L'"') {
		s++;
		while (*s != L'\0' && *s != L'"')
			s++;
		if (*s == L'"')
			s++;
	} else {
		while (*s != L'\0' && *s != L' ' && *s != L'\t')
			s++;
	}
	while (*s == L' ' || *s == L'\t')
		s++;
	return s;
}

/* Ctrl-C and Ctrl-Break go to every process on the console: they are
 * the shell's to handle, never a reason for us to exit under it. A
 * handler rather than SetConsoleCtrlHandler(NULL, TRUE), whose "ignore"
 * the shell would inherit. */
static BOOL WINAPI
on_ctrl(DWORD type)
{
	return type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT;
}

static HANDLE
open_console(const wchar_t *name)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };

	return CreateFileW(name, GENERIC_READ | GENERIC_WRITE,
		FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0,
		NULL);
}

int
main(void)
{
	wchar_t *cmd = after_argv0(GetCommandLineW());
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	HANDLE in;
	HANDLE out;
	DWORD code = 255;

	if (*cmd == L'\0')
		return 254;
	(void)SetConsoleCtrlHandler(on_ctrl, TRUE);
	in = open_console(L"CONIN$");
	out = open_console(L"CONOUT$");
	if (in == INVALID_HANDLE_VALUE || out == INVALID_HANDLE_VALUE)
		return 253;
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = in;
	si.hStdOutput = out;
	si.hStdError = out;
	if (!CreateProcessW(NULL, cmd, NULL, NULL, TRUE,
		    CREATE_UNICODE_ENVIRONMENT, NULL, NULL, &si, &pi))
		return 252;
	CloseHandle(pi.hThread);
	CloseHandle(in);
	CloseHandle(out);
	(void)WaitForSingleObject(pi.hProcess, INFINITE);
	if (!GetExitCodeProcess(pi.hProcess, &code))
		code = 255;
	return (int)code;
}
