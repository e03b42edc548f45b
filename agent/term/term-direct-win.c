/* SPDX-License-Identifier: MIT */
/*
 * term_direct on Windows: each shell on a pseudo console (ConPTY).
 *
 * CreatePseudoConsole gets the client ends of two named pipes; the
 * server ends (overlapped, for libuv) become the terminal's master and
 * input. The shell does not start directly: wine attaches a process to
 * a pseudo console without making CONIN$/CONOUT$ its standard handles
 * (it passes ours on), so outpost-term-shim.exe, started on the pseudo
 * console, opens them and starts the shell with them. All of it runs in
 * a job object: a hangup terminates the job (every process of the
 * terminal, as the tty's hangup does), and so does the shell's exit, for
 * what it left behind.
 *
 * The exit is seen through RegisterWaitForSingleObject on the shim (which
 * exits with the shell's status), handed to the loop with a uv_async.
 * ClosePseudoConsole waits for conhost, which may wait for us to read its
 * last output: it runs on libuv's thread pool, never on the loop.
 *
 * Not done yet: shells as another account (CreateProcessAsUser; any
 * account but the service's own is refused), typescripts (refused, so
 * recording still fails closed), a grace period before the kill.
 */
#define UNICODE
#define _UNICODE
#include "term/term-internal.h" /* uv.h: winsock2.h before windows.h */

#include <windows.h>

#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/err.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/winacl.h"

/* ConPTY (Windows 10 1809), which the headers hide below that target. */
#ifndef PSEUDOCONSOLE_INHERIT_CURSOR
typedef void *HPCON;
HRESULT WINAPI CreatePseudoConsole(COORD size, HANDLE in, HANDLE out,
	DWORD flags, HPCON *pc);
HRESULT WINAPI ResizePseudoConsole(HPCON pc, COORD size);
void WINAPI ClosePseudoConsole(HPCON pc);
#endif
#ifndef PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE
#define PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE 0x00020016
#endif

/* The exit status reported for a hung-up shell: what Linux reports for
 * bash killed by SIGHUP, so the audit trail reads the same. */
#define HANGUP_EXIT 129
#define SHIM_NAME L"outpost-term-shim.exe"
#define PIPE_BUF_SIZE (64 * 1024)

struct proc {
	struct term__proc b;  /* first: the registry's part */
	struct term_direct *d;
	HANDLE process;       /* the shim */
	HANDLE job;
	HPCON pcon;
	HANDLE wait;          /* RegisterWaitForSingleObject's */
	volatile LONG exited; /* set by the wait's thread */
	uv_work_t work;       /* ClosePseudoConsole, off the loop */
};

struct term_direct {
	uv_loop_t *loop;
	uv_async_t async; /* a shim exited */
	struct term__procs ps;
	unsigned dying; /* exited, the pseudo console still closing */
	bool closing;
};

/* ---- accounts ---- */

static int
to_wide(const char *s, wchar_t *out, size_t cap)
{
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out,
		    (int)cap) <= 0)
		return OP_ERR_RANGE;
	return 0;
}

static int
to_utf8(const wchar_t *s, char *out, size_t cap)
{
	if (WideCharToMultiByte(CP_UTF8, 0, s, -1, out, (int)cap, NULL,
		    NULL) <= 0)
		return OP_ERR_RANGE;
	return 0;
}

/* The account this process runs as (GetUserName: "SYSTEM" for a
 * LocalSystem service). */
static int
own_account(char *out, size_t cap)
{
	wchar_t name[257];
	DWORD n = 257;

	if (!GetUserNameW(name, &n))
		return op_err_from_win32(GetLastError());
	return to_utf8(name, out, cap);
}

int
term_account_lookup(const char *name, const char *shell,
	struct term_account *out)
{
	wchar_t wname[128];
	wchar_t dir[MAX_PATH];
	unsigned char sid[SECURITY_MAX_SID_SIZE];
	wchar_t domain[256];
	DWORD sid_len = sizeof(sid);
	DWORD dom_len = 256;
	SID_NAME_USE use;
	DWORD n;

	memset(out, 0, sizeof(*out));
	if (name == NULL || name[0] == '\0')
		return OP_ERR_CONFIG;
	/* No account has such a name. */
	if (strlen(name) >= sizeof(out->name) ||
		to_wide(name, wname, 128) != 0)
		return OP_ERR_NOT_FOUND;
	if (!LookupAccountNameW(NULL, wname, sid, &sid_len, domain, &dom_len,
		    &use))
		return GetLastError() == ERROR_NONE_MAPPED ?
			OP_ERR_NOT_FOUND :
			op_err_from_win32(GetLastError());
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (shell != NULL && shell[0] != '\0') {
		/* "C:\..." or "\\server\share\...": never a relative name
		 * that PATH would resolve. */
		bool abs = (((shell[0] | 0x20) >= 'a' &&
				    (shell[0] | 0x20) <= 'z') &&
			       shell[1] == ':' &&
			       (shell[2] == '\\' || shell[2] == '/')) ||
			(shell[0] == '\\' && shell[1] == '\\');

		if (!abs)
			return OP_ERR_CONFIG;
		if (strlen(shell) >= sizeof(out->shell))
			return OP_ERR_RANGE;
		snprintf(out->shell, sizeof(out->shell), "%s", shell);
	} else {
		n = GetSystemDirectoryW(dir, MAX_PATH);
		if (n == 0 || n + 9 > MAX_PATH)
			return op_err_from_win32(GetLastError());
		wcscat(dir, L"\\cmd.exe");
		if (to_utf8(dir, out->shell, sizeof(out->shell)) != 0)
			return OP_ERR_RANGE;
	}
	n = GetEnvironmentVariableW(L"USERPROFILE", dir, MAX_PATH);
	if (n > 0 && n < MAX_PATH)
		(void)to_utf8(dir, out->home, sizeof(out->home));
	return 0;
}

/* Elevated (an administrator's full token, or LocalSystem): the
 * Windows form of root. */
static bool
elevated(void)
{
	TOKEN_ELEVATION e = { 0 };
	HANDLE tok;
	DWORD n = 0;
	BOOL ok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return true; /* unknown: treated as the riskier case */
	ok = GetTokenInformation(tok, TokenElevation, &e, sizeof(e), &n);
	CloseHandle(tok);
	return !ok || e.TokenIsElevated != 0;
}

/* Why who's account cannot have a terminal: 0, or an error and the
 * text the client is shown. */
static int
refusal(const struct term_who *who, char *msg, size_t cap)
{
	char self[128];
	int r = term__account_refusal(who, msg, cap);

	if (r != 0)
		return r;
	if ((r = own_account(self, sizeof(self))) != 0) {
		snprintf(msg, cap, "The agent's own account is unknown: %s",
			op_strerror(r));
		return r;
	}
	/* CreateProcessAsUser is not done yet: never run as ourselves
	 * while another account was asked for. */
	if (_stricmp(self, who->account->name) != 0) {
		snprintf(msg, cap, "On Windows the agent cannot start a shell "
				   "as '%s' yet, only as its own account '%s'",
			who->account->name, self);
		return OP_ERR_PERM;
	}
	if (!who->allow_root && elevated()) {
		snprintf(msg, cap, "Refusing an administrator terminal: the "
				   "agent runs elevated and root terminals are "
				   "not allowed");
		return OP_ERR_DENIED;
	}
	return 0;
}

int
term_record_open(const char *dir, int64_t tag, int32_t id, char *path,
	size_t path_size, int *fd)
{
	(void)dir;
	(void)tag;
	(void)id;
	if (path_size > 0)
		path[0] = '\0';
	*fd = -1;
	return OP_ERR_UNSUPPORTED;
}

/* ---- the loop side ---- */

static void on_async(uv_async_t *a);

int
term_direct_new(uv_loop_t *loop, unsigned hangup_grace_ms,
	struct term_direct **out)
{
	struct term_direct *d;
	int r;

	(void)hangup_grace_ms; /* the job is terminated at once */
	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return OP_ERR_NOMEM;
	d->loop = loop;
	term__procs_init(&d->ps);
	if ((r = uv_async_init(loop, &d->async, on_async)) != 0) {
		free(d);
		return r;
	}
	d->async.data = d;
	uv_unref((uv_handle_t *)&d->async); /* ref'd while shells live */
	*out = d;
	return 0;
}

static void
on_async_closed(uv_handle_t *hd)
{
	free(hd->data);
}

static void
maybe_free(struct term_direct *d)
{
	if (d->closing && d->ps.live == 0 && d->dying == 0 &&
		!uv_is_closing((uv_handle_t *)&d->async))
		uv_close((uv_handle_t *)&d->async, on_async_closed);
}

static void
set_ref(struct term_direct *d)
{
	if (d->ps.live > 0)
		uv_ref((uv_handle_t *)&d->async);
	else
		uv_unref((uv_handle_t *)&d->async);
}

static void CALLBACK
on_process_exit(void *arg, BOOLEAN timed_out)
{
	struct proc *p = arg;

	(void)timed_out;
	InterlockedExchange(&p->exited, 1);
	uv_async_send(&p->d->async);
}

static void
close_pcon_work(uv_work_t *w)
{
	struct proc *p = w->data;

	ClosePseudoConsole(p->pcon);
}

static void
close_pcon_done(uv_work_t *w, int status)
{
	struct proc *p = w->data;
	struct term_direct *d = p->d;

	(void)status;
	CloseHandle(p->job); /* kill-on-close: whatever is left */
	free(p);
	d->dying--;
	maybe_free(d);
}

/* The shim exited: report, end what it left, close the console. */
static void
reap(struct proc *p)
{
	struct term_direct *d = p->d;
	DWORD code = 255;
	term_exit_fn fn = term__procs_remove(&d->ps, &p->b);

	(void)UnregisterWaitEx(p->wait, INVALID_HANDLE_VALUE);
	if (!GetExitCodeProcess(p->process, &code))
		code = 255;
	CloseHandle(p->process);
	(void)TerminateJobObject(p->job, HANGUP_EXIT);
	d->dying++;
	set_ref(d);
	if (fn != NULL)
		fn(p->b.arg, p->b.handle, (int32_t)code);
	p->work.data = p;
	if (uv_queue_work(d->loop, &p->work, close_pcon_work,
		    close_pcon_done) != 0) {
		ClosePseudoConsole(p->pcon); /* may block: the rare case */
		close_pcon_done(&p->work, 0);
	}
}

static void
on_async(uv_async_t *a)
{
	struct term_direct *d = a->data;
	struct term__proc *p;
	struct term__proc *next;

	for (p = TAILQ_FIRST(&d->ps.list); p != NULL; p = next) {
		next = TAILQ_NEXT(p, link);
		if (InterlockedCompareExchange(&((struct proc *)p)->exited, 0,
			    0) != 0)
			reap((struct proc *)p);
	}
}

/* The shim's exit is reported as usual, with this status. */
static void
hangup(struct term__proc *p)
{
	(void)TerminateJobObject(((struct proc *)p)->job, HANGUP_EXIT);
}

int
term_direct_hangup(struct term_direct *d, uint32_t handle, bool forget)
{
	struct term__proc *p = term__procs_find(&d->ps, handle, forget);

	if (p == NULL)
		return OP_ERR_NOT_FOUND;
	hangup(p);
	return 0;
}

unsigned
term_direct_live(const struct term_direct *d)
{
	return d->ps.live;
}

void
term_direct_close(struct term_direct *d)
{
	if (d == NULL || d->closing)
		return;
	d->closing = true;
	term__procs_forget_all(&d->ps, hangup);
	maybe_free(d);
}

int
term__conpty_resize(void *pcon, uint16_t rows, uint16_t cols)
{
	HRESULT hr = ResizePseudoConsole((HPCON)pcon,
		(COORD){ .X = (SHORT)cols, .Y = (SHORT)rows });

	if (FAILED(hr)) {
		log_debug("ResizePseudoConsole: 0x%08lx", (unsigned long)hr);
		/* wine 8 answers E_NOTIMPL */
		return hr == E_NOTIMPL ? OP_ERR_UNSUPPORTED : OP_ERR_INTERNAL;
	}
	return 0;
}

/* ---- starting a shell ---- */

/* A pipe for ConPTY: our end overlapped (libuv's), conhost's end
 * synchronous; a random name, a single instance and the private DACL,
 * so nobody else gets in between. inbound: we read. Returns 0 or an
 * error; *ours is a CRT fd. */
static int
make_pipe(bool inbound, int *ours, HANDLE *theirs)
{
	wchar_t name[WINACL_PIPE_NAME_MAX];
	HANDLE srv;
	int fd;
	int r;

	*ours = -1;
	*theirs = INVALID_HANDLE_VALUE;
	r = winacl_pipe_new("term",
		(inbound ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) |
			FILE_FLAG_OVERLAPPED,
		PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, PIPE_BUF_SIZE,
		name, &srv);
	if (r != 0)
		return r;
	*theirs = CreateFileW(name, inbound ? GENERIC_WRITE : GENERIC_READ, 0,
		NULL, OPEN_EXISTING, 0, NULL);
	if (*theirs == INVALID_HANDLE_VALUE) {
		r = op_err_from_win32(GetLastError());
		CloseHandle(srv);
		return r;
	}
	if ((fd = _open_osfhandle((intptr_t)srv, 0)) < 0) {
		CloseHandle(srv);
		CloseHandle(*theirs);
		*theirs = INVALID_HANDLE_VALUE;
		return OP_ERR_NOMEM;
	}
	*ours = fd;
	return 0;
}

/* "<dir of this program>\outpost-term-shim.exe" "<shell>" */
static int
command_line(const char *shell, wchar_t *out, size_t cap)
{
	wchar_t exe[MAX_PATH];
	wchar_t wshell[256];
	wchar_t *slash;
	DWORD n = GetModuleFileNameW(NULL, exe, MAX_PATH);

	if (n == 0 || n >= MAX_PATH)
		return OP_ERR_RANGE;
	if ((slash = wcsrchr(exe, L'\\')) == NULL)
		return OP_ERR_INTERNAL;
	slash[1] = L'\0';
	if (to_wide(shell, wshell, 256) != 0 || wcschr(wshell, L'"'))
		return OP_ERR_RANGE;
	if (_snwprintf(out, cap, L"\"%ls" SHIM_NAME L"\" \"%ls\"", exe,
		    wshell) < 0)
		return OP_ERR_RANGE;
	out[cap - 1] = L'\0';
	return 0;
}

/* The shim, suspended in a new kill-on-close job, then resumed. */
static int
start(const struct term_account *a, struct proc *p, char *msg, size_t cap)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	SIZE_T asz = 0;
	wchar_t cmd[2 * MAX_PATH + 300];
	wchar_t home[MAX_PATH];
	bool has_home = false;
	int r;

	if ((r = command_line(a->shell, cmd, sizeof(cmd) / sizeof(cmd[0]))) !=
		0) {
		snprintf(msg, cap, "The shell path is not usable: %s",
			a->shell);
		return r;
	}
	if (a->home[0] != '\0' && to_wide(a->home, home, MAX_PATH) == 0) {
		DWORD at = GetFileAttributesW(home);

		has_home = at != INVALID_FILE_ATTRIBUTES &&
			(at & FILE_ATTRIBUTE_DIRECTORY);
	}
	if ((p->job = CreateJobObjectW(NULL, NULL)) == NULL)
		goto fail_win;
	memset(&lim, 0, sizeof(lim));
	lim.BasicLimitInformation.LimitFlags =
		JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (!SetInformationJobObject(p->job, JobObjectExtendedLimitInformation,
		    &lim, sizeof(lim)))
		goto fail_win;
	memset(&si, 0, sizeof(si));
	si.StartupInfo.cb = sizeof(si);
	/* No standard handles of ours (the shim opens the console's). */
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	(void)InitializeProcThreadAttributeList(NULL, 1, 0, &asz);
	if ((si.lpAttributeList = malloc(asz)) == NULL) {
		snprintf(msg, cap, "Out of memory");
		return OP_ERR_NOMEM;
	}
	if (!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0,
		    &asz)) {
		free(si.lpAttributeList);
		goto fail_win;
	}
	if (!UpdateProcThreadAttribute(si.lpAttributeList, 0,
		    PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE, p->pcon,
		    sizeof(p->pcon), NULL, NULL) ||
		!CreateProcessW(NULL, cmd, NULL, NULL, FALSE,
			EXTENDED_STARTUPINFO_PRESENT | CREATE_SUSPENDED |
				CREATE_UNICODE_ENVIRONMENT,
			NULL, has_home ? home : NULL, &si.StartupInfo, &pi)) {
		r = op_err_from_win32(GetLastError());
		DeleteProcThreadAttributeList(si.lpAttributeList);
		free(si.lpAttributeList);
		if (r == -ENOENT)
			snprintf(msg, cap, "Could not start %s: "
					   "outpost-term-shim.exe is missing "
					   "beside the agent", a->shell);
		else
			snprintf(msg, cap, "Could not start %s: %s", a->shell,
				op_strerror(r));
		return r;
	}
	DeleteProcThreadAttributeList(si.lpAttributeList);
	free(si.lpAttributeList);
	p->process = pi.hProcess;
	if (!AssignProcessToJobObject(p->job, pi.hProcess) ||
		ResumeThread(pi.hThread) == (DWORD)-1) {
		r = op_err_from_win32(GetLastError());
		(void)TerminateProcess(pi.hProcess, 255);
		CloseHandle(pi.hThread);
		snprintf(msg, cap, "Could not start a shell in a job: %s",
			op_strerror(r));
		return r;
	}
	CloseHandle(pi.hThread);
	return 0;
fail_win:
	r = op_err_from_win32(GetLastError());
	snprintf(msg, cap, "Could not set up the shell's job: %s",
		op_strerror(r));
	return r;
}

static void
discard(struct proc *p)
{
	if (p->process != NULL) {
		(void)TerminateProcess(p->process, 255);
		(void)WaitForSingleObject(p->process, 5000);
		CloseHandle(p->process);
	}
	if (p->pcon != NULL)
		ClosePseudoConsole(p->pcon);
	if (p->job != NULL)
		CloseHandle(p->job);
	free(p);
}

int
term_direct_open(struct term_direct *d, const struct term_who *who,
	const struct term_open_req *req, term_exit_fn on_exit, void *arg,
	struct term_shell *out, char *msg, size_t msg_size)
{
	const struct term_account *a = who->account;
	HANDLE in_theirs = INVALID_HANDLE_VALUE;
	HANDLE out_theirs = INVALID_HANDLE_VALUE;
	struct proc *p;
	HRESULT hr;
	int r;

	term__shell_init(out, who, msg);
	if (d->closing)
		return OP_ERR_STATE;
	if ((r = refusal(who, msg, msg_size)) != 0)
		return r;
	if (who->record_dir != NULL) {
		/* Recording fails closed: no terminal it cannot record. */
		snprintf(msg, msg_size, "The session recording could not be "
					"started (not supported on Windows yet)");
		return OP_ERR_UNSUPPORTED;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(msg, msg_size, "Out of memory");
		return OP_ERR_NOMEM;
	}
	p->d = d;
	if ((r = make_pipe(true, &out->master, &out_theirs)) != 0 ||
		(r = make_pipe(false, &out->input, &in_theirs)) != 0) {
		snprintf(msg, msg_size, "Could not create the console's pipes: "
					"%s", op_strerror(r));
		goto fail;
	}
	hr = CreatePseudoConsole((COORD){ .X = (SHORT)req->cols,
					 .Y = (SHORT)req->rows },
		in_theirs, out_theirs, 0, &p->pcon);
	CloseHandle(in_theirs); /* conhost has its own */
	CloseHandle(out_theirs);
	in_theirs = out_theirs = INVALID_HANDLE_VALUE;
	if (FAILED(hr)) {
		p->pcon = NULL;
		r = OP_ERR_UNSUPPORTED;
		snprintf(msg, msg_size, "Could not create a pseudo console "
					"(0x%08lx)", (unsigned long)hr);
		goto fail;
	}
	if ((r = start(a, p, msg, msg_size)) != 0)
		goto fail;
	if (!RegisterWaitForSingleObject(&p->wait, p->process,
		    on_process_exit, p, INFINITE,
		    WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD)) {
		DWORD e = GetLastError();

		r = op_err_from_win32(e);
		snprintf(msg, msg_size, "Could not watch the shell: %s "
					"(error %lu)",
			op_strerror(r), (unsigned long)e);
		goto fail;
	}
	term__procs_add(&d->ps, &p->b, on_exit, arg);
	set_ref(d);
	out->handle = p->b.handle;
	out->pid = (uint32_t)GetProcessId(p->process);
	out->pcon = p->pcon;
	snprintf(out->tty, sizeof(out->tty), "conpty");
	log_info("terminal %d: %s as %s on a pseudo console (pid %lu)",
		req->terminal_id, a->shell, a->name,
		(unsigned long)out->pid);
	return 0;
fail:
	if (in_theirs != INVALID_HANDLE_VALUE)
		CloseHandle(in_theirs);
	if (out_theirs != INVALID_HANDLE_VALUE)
		CloseHandle(out_theirs);
	if (out->master >= 0)
		_close(out->master);
	if (out->input >= 0)
		_close(out->input);
	out->master = -1;
	out->input = -1;
	discard(p);
	return r;
}
