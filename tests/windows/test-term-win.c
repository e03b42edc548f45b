/* SPDX-License-Identifier: MIT */
/*
 * Terminals on Windows under wine: cmd.exe on a real pseudo console
 * (ConPTY, through outpost-term-shim.exe beside this test) and a real
 * libuv loop, with the session side of the Linux test (th-term.h).
 * Commands and their output, input written and answered, the exit
 * status, resize (wine 8's ResizePseudoConsole is E_NOTIMPL: only the
 * answer and a working terminal afterwards are checked), hangup (the
 * shim, the shell and the cmd it started gone), the account checks (another account, none,
 * elevation), recording refused, the per-session cap and hostile ids,
 * sizes and input, the host closed with terminals open, and output
 * held back for a slow session.
 *
 * Markers come from cmd's own expansion (%M%) so the echo of the
 * command line never matches them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>
#include <zstd.h>

#include "core/err.h"
#include "th-fs.h"
#include "th-term.h"
#include "th.h"

#include <windows.h>
#include <tlhelp32.h>

static struct term_account self; /* the test's own account */

/* pid's descendants (the shim's: the shell and what it started), at
 * most cap of them; how many were found. */
static unsigned
descendants(uint32_t pid, uint32_t *out, unsigned cap)
{
	PROCESSENTRY32 pe;
	unsigned n = 0;
	bool more = true;

	while (more) {
		HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);

		more = false;
		if (snap == INVALID_HANDLE_VALUE)
			return n;
		pe.dwSize = sizeof(pe);
		for (BOOL ok = Process32First(snap, &pe); ok;
			ok = Process32Next(snap, &pe)) {
			bool known = pe.th32ParentProcessID == pid;
			bool dup = false;

			for (unsigned i = 0; i < n; i++) {
				known |= pe.th32ParentProcessID == out[i];
				dup |= pe.th32ProcessID == out[i];
			}
			if (known && !dup && n < cap) {
				out[n++] = pe.th32ProcessID;
				more = true;
			}
		}
		CloseHandle(snap);
	}
	return n;
}

static void
test_account(void)
{
	struct term_account a;

	tt_lookup_refusals();
	if (th_cur_failed)
		return;
	/* A shell PATH would resolve is refused. */
	ASSERT_INT_EQ(term_account_lookup(self.name, "cmd.exe", &a),
		OP_ERR_CONFIG);
	ASSERT_INT_EQ(term_account_lookup(self.name,
			      "C:\\windows\\system32\\cmd.exe", &a), 0);
	ASSERT_STR_EQ(a.shell, "C:\\windows\\system32\\cmd.exe");
	ASSERT_STR_CONTAINS(self.shell, "cmd.exe");
}

static void
test_echo_and_exit(void)
{
	struct tt c;
	struct term_stats st;
	struct term_host_cfg cfg = { .account = &self, .allow_root = true,
		.hangup_grace_ms = 300 };
	const char *set = "set M=42\r";
	const char *cmd = "echo hi-%M%\r";

	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	OPEN_OK(&c, 1);
	ASSERT(tt_slot(&c, 1)->pid > 0);
	ASSERT_STR_EQ(tt_slot(&c, 1)->tty, "conpty");
	ASSERT(strncmp(c.service_id, "ts_", 3) == 0 &&
		strlen(c.service_id) == 35);
	ASSERT_INT_EQ(tt_send(&c, 1, set), 0);
	ASSERT_INT_EQ(tt_send(&c, 1, cmd), 0);
	WAIT_TEXT(&c, 1, "hi-42", 15000);
	ASSERT_INT_EQ(tt_send(&c, 1, "exit 3\r"), 0);
	ASSERT(tt_wait(&c, tt_is_closed, 1, NULL, 15000));
	ASSERT_INT_EQ(tt_slot(&c, 1)->exit_code, 3);
	ASSERT_U64_EQ(tt_slot(&c, 1)->closed_in,
		strlen(set) + strlen(cmd) + 7);
	ASSERT(tt_slot(&c, 1)->closed_out >= 5);
	ASSERT(th_process_gone(tt_slot(&c, 1)->pid, 2000));
	term_host_stats(c.h, &st);
	ASSERT_INT_EQ(st.open, 0);
	ASSERT_INT_EQ(st.opened, 1);
	ASSERT_INT_EQ(term_host_write(c.h, 1, (const uint8_t *)"x", 1, false),
		OP_ERR_NOT_FOUND);
	ASSERT(tt_stop(&c));
}

static void
test_resize(void)
{
	struct tt c;
	struct term_host_cfg cfg = { .account = &self, .allow_root = true,
		.hangup_grace_ms = 300 };
	int r;

	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	OPEN_OK(&c, 1);
	ASSERT_INT_EQ(tt_send(&c, 1, "set M=5\r"), 0);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo before-%M%\r"), 0);
	WAIT_TEXT(&c, 1, "before-5", 15000);
	/* Reaches ResizePseudoConsole: 0 on Windows, wine's E_NOTIMPL. */
	r = term_host_resize(c.h, 1, 33, 101);
	if (r != 0)
		ASSERT_INT_EQ(r, OP_ERR_UNSUPPORTED);
	printf("test-term-win: ResizePseudoConsole: %s\n",
		r == 0 ? "done" : "not implemented (wine)");
	ASSERT_INT_EQ(tt_send(&c, 1, "echo after-%M%%M%\r"), 0);
	WAIT_TEXT(&c, 1, "after-55", 15000);
	ASSERT(!tt_slot(&c, 1)->closed);
	ASSERT(tt_stop(&c));
}

static void
test_hangup(void)
{
	struct tt c;
	struct term_host_cfg cfg = { .account = &self, .allow_root = true,
		.hangup_grace_ms = 300 };
	uint32_t pid;

	uint32_t kids[8];
	unsigned nkids;

	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	OPEN_OK(&c, 1);
	OPEN_OK(&c, 2);
	/* A second cmd in the foreground, as a job would be. */
	ASSERT_INT_EQ(tt_send(&c, 1, "set M=5\r"), 0);
	ASSERT_INT_EQ(tt_send(&c, 1, "cmd\r"), 0);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo up-%M%\r"), 0);
	WAIT_TEXT(&c, 1, "up-5", 15000);
	pid = tt_slot(&c, 1)->pid;
	nkids = descendants(pid, kids, 8);
	ASSERT(nkids >= 2); /* the shell and its cmd */
	ASSERT_INT_EQ(term_host_hangup(c.h, 1), 0);
	ASSERT_INT_EQ(term_host_hangup(c.h, 1), 0);
	ASSERT(tt_wait(&c, tt_is_closed, 1, NULL, 10000));
	ASSERT_INT_EQ(tt_slot(&c, 1)->exit_code, 129);
	ASSERT_INT_EQ(term_host_hangup(c.h, 1), OP_ERR_NOT_FOUND);
	ASSERT(th_process_gone(pid, 2000));
	for (unsigned i = 0; i < nkids; i++)
		ASSERT(th_process_gone(kids[i], 2000));
	/* The other terminal is untouched. */
	ASSERT_INT_EQ(tt_send(&c, 2, "set M=7\r"), 0);
	ASSERT_INT_EQ(tt_send(&c, 2, "echo still-%M%\r"), 0);
	WAIT_TEXT(&c, 2, "still-7", 15000);
	ASSERT(!tt_slot(&c, 2)->closed);
	ASSERT(tt_stop(&c));
}

static void
test_refusals(void)
{
	struct tt c;
	struct term_account other = self;
	struct term_host_cfg cfg = { .account = &other, .allow_root = true };
	TOKEN_ELEVATION e = { 0 };
	HANDLE tok;
	DWORD n;
	bool up;

	/* Never silently as ourselves when another account is configured. */
	snprintf(other.name, sizeof(other.name), "someone-else");
	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	ASSERT_INT_EQ(term_host_open(c.h, 1, 24, 80), OP_ERR_PERM);
	ASSERT_STR_CONTAINS(tt_slot(&c, 1)->open_msg, "'someone-else'");
	ASSERT_STR_CONTAINS(tt_slot(&c, 1)->open_msg, self.name);
	ASSERT(tt_stop(&c));
	/* No account configured. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.account_error = OP_ERR_CONFIG;
	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	ASSERT_INT_EQ(term_host_open(c.h, 1, 24, 80), OP_ERR_CONFIG);
	ASSERT_STR_CONTAINS(tt_slot(&c, 1)->open_msg, "No terminal user");
	ASSERT(tt_stop(&c));
	/* Recording fails closed. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.account = &self;
	cfg.allow_root = true;
	cfg.record_dir = "C:\\ProgramData\\Outpost-term-test";
	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	ASSERT_INT_EQ(term_host_open(c.h, 1, 24, 80), OP_ERR_UNSUPPORTED);
	ASSERT_STR_CONTAINS(tt_slot(&c, 1)->open_msg, "recording");
	ASSERT(tt_stop(&c));
	/* Elevated without allow_root: refused (wine's token is elevated
	 * or not by its configuration; both answers are checked). */
	ASSERT(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
	up = !GetTokenInformation(tok, TokenElevation, &e, sizeof(e), &n) ||
		e.TokenIsElevated != 0;
	CloseHandle(tok);
	memset(&cfg, 0, sizeof(cfg));
	cfg.account = &self;
	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	if (up) {
		ASSERT_INT_EQ(term_host_open(c.h, 1, 24, 80), OP_ERR_DENIED);
		ASSERT_STR_CONTAINS(tt_slot(&c, 1)->open_msg, "administrator");
	} else {
		OPEN_OK(&c, 1);
	}
	printf("test-term-win: elevated: %s\n", up ? "yes" : "no");
	ASSERT(tt_stop(&c));
}

static void
test_hostile(void)
{
	struct tt c;
	struct term_host_cfg cfg = { .account = &self, .allow_root = true,
		.max_terminals = 2, .input_max = 64 * 1024,
		.hangup_grace_ms = 300 };
	size_t zn = 0;
	uint32_t pid = 0;

	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	/* The Linux test's refusals (th-term.h). */
	tt_refusals(&c, &pid, &zn);
	if (th_cur_failed)
		return;
	/* Still a working terminal. */
	ASSERT_INT_EQ(tt_send(&c, 1, "set M=81\r"), 0);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo ok-%M%\r"), 0);
	WAIT_TEXT(&c, 1, "ok-81", 15000);
	ASSERT_INT_EQ(term_host_hangup(c.h, 1), 0);
	ASSERT(tt_wait(&c, tt_is_closed, 1, NULL, 10000));
	ASSERT(th_process_gone(pid, 2000));
	ASSERT(zn > 0);
	ASSERT(tt_stop(&c));
}

static void
test_host_close(void)
{
	struct tt c;
	struct term_host_cfg cfg = { .account = &self, .allow_root = true,
		.hangup_grace_ms = 300 };
	uint32_t pids[3];

	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	for (int id = 1; id <= 3; id++)
		OPEN_OK(&c, id);
	ASSERT_INT_EQ(tt_send(&c, 3, "set M=16\r"), 0);
	ASSERT_INT_EQ(tt_send(&c, 3, "echo i-%M%\r"), 0);
	WAIT_TEXT(&c, 3, "i-16", 15000);
	for (int id = 1; id <= 3; id++)
		pids[id - 1] = tt_slot(&c, id)->pid;
	c.closing = true;
	term_host_close(c.h, tt_on_host_done, &c);
	ASSERT(tt_wait(&c, tt_host_done, 0, NULL, 15000));
	c.h = NULL;
	ASSERT_INT_EQ(c.events_after_close, 0);
	for (int i = 0; i < 3; i++)
		ASSERT(th_process_gone(pids[i], 2000));
	ASSERT(tt_stop(&c));
}

/* Output faster than the session takes it: reading pauses, the send
 * queue stays within a chunk of its mark, and nothing is lost. */
static void
test_flood(void)
{
	struct tt c;
	struct term_host_cfg cfg = { .account = &self, .allow_root = true,
		.hangup_grace_ms = 300 };
	struct term_stats st;

	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	/* wine's conhost writes small pieces, slowly: a slower session
	 * still has to stop it. */
	c.rate = 64; /* per 5 ms: 12.8 KB/s */
	c.high = 4 * 1024;
	uv_timer_start(&c.drain, tt_on_drain, 5, 5);
	OPEN_OK(&c, 1);
	ASSERT_INT_EQ(tt_send(&c, 1, "set M=42\r"), 0);
	ASSERT_INT_EQ(tt_send(&c, 1,
			      "for /L %i in (1,1,4000) do @echo "
			      "line-%i-abcdefghijklmnopqrstuvwxyz0123456789\r"),
		0);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo end-%M%\r"), 0);
	WAIT_TEXT(&c, 1, "end-42", 120000);
	term_host_stats(c.h, &st);
	printf("test-term-win: flood: %llu bytes, %llu pauses, queue peak "
	       "%zu\n", (unsigned long long)st.bytes_out,
		(unsigned long long)st.pauses, c.max_queued);
	ASSERT(st.bytes_out > 4000 * 40);
	ASSERT(tt_has_text(&c, 1, "line-4000-abc"));
	ASSERT(st.pauses > 0);
	ASSERT(c.max_queued <= c.high + TERM_CHUNK + 1024);
	ASSERT_INT_EQ(tt_slot(&c, 1)->nerrors, 0);
	ASSERT_INT_EQ(tt_slot(&c, 1)->split_utf8, 0);
	ASSERT(tt_stop(&c));
}

int
main(void)
{
	char name[128];
	DWORD n = sizeof(name);

	if (!tt_init())
		return 1;
	if (!GetUserNameA(name, &n) ||
		term_account_lookup(name, NULL, &self) != 0) {
		fprintf(stderr, "test-term-win: cannot look up our account\n");
		return 1;
	}
	printf("test-term-win: shells run as %s: %s\n", self.name, self.shell);
	RUN(test_account);
	RUN(test_echo_and_exit);
	RUN(test_resize);
	RUN(test_hangup);
	RUN(test_refusals);
	RUN(test_hostile);
	RUN(test_host_close);
	RUN(test_flood);
	if (!tt_fini()) {
		fprintf(stderr, "test-term-win: handles left open\n");
		return 1;
	}
	return th_done();
}
