/* SPDX-License-Identifier: MIT */
/*
 * The monitor's terminals (monitor/monitor-term.c) through the network
 * process's client over a real channel (platform/monchan.h): real shells
 * started by the monitor (a libuv loop in the serving thread reaps them),
 * their masters passed over the channel, exits as events, the cap, the
 * rate limit, and no shell left once the network process is gone; and
 * hostile term-open requests. Under wine the shell is cmd.exe on a
 * pseudo console, its output and input pipes passed as handles
 * (test_terminals_win).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _WIN32
#include <winsock2.h> /* before windows.h, as libuv has it */
#include <windows.h>

#include <io.h>
#else
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#endif

#include <sodium.h>
#include <uv.h>

#include "core/err.h"
#include "monitor/monitor-client.h"
#include "monitor/monitor.h"
#include "platform/monchan.h"
#include "store/state.h"
#include "term/term.h"
#include "th-fs.h"
#include "th-monitor.h"
#include "th.h"

static char root[256];
static uint64_t fake_ms = 1000;

static uint64_t
now_ms(void)
{
	return fake_ms;
}

/* The monitor's side with a loop: requests from the channel, events to
 * ev (the events channel), shells reaped on the loop. Ends when the
 * network process (the test) hangs up, and then hangs its shells up as
 * daemon-monitor.c does. */
struct loop_server {
	struct monitor *m;
	uv_loop_t loop;
	int fd;
	int ev; /* our end of the events pair */
	int refused;
};

static void
send_event(void *arg, const struct mon_buf *ev)
{
	struct loop_server *s = arg;

	(void)monchan_send(s->ev, ev->b, ev->len, NULL, 0, MONCHAN_SELF);
}

static void *
serve_loop(void *arg)
{
	struct loop_server *s = arg;

	if (serve_polled(s->m, &s->loop, s->fd) > 0)
		s->refused++;
	close(s->fd);
	monitor_terms_end(s->m); /* the network process is gone */
	uv_run(&s->loop, UV_RUN_DEFAULT); /* until every shell is reaped */
	return NULL;
}

static struct term_account shell_acct;

#ifndef _WIN32
/* nobody (with bash) as root, else ourselves. */
static bool
pick_shell_account(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *name = geteuid() == 0 ? "nobody" :
		pw != NULL ? pw->pw_name : "";

	return access("/bin/bash", X_OK) == 0 &&
		term_account_lookup(name, "/bin/bash", &shell_acct) == 0;
}
#endif

static struct monitor *
term_monitor(const char *sub, struct loop_server *s, const char *user,
	const char *shell, const char *record_dir, unsigned max_live)
{
	char dir[512], why[SFILE_WHY_LEN];
	struct monitor_opts o = { .otp_charset = OTP_SAFE32, .otp_len = 10,
		.now_ms = now_ms, .event = send_event, .arg = s,
		.loop = &s->loop };
	/* allow_root: under wine the test runs as an administrator. */
	struct monitor_term_conf tc = { .max_live = max_live,
#ifdef _WIN32
		.allow_root = true,
#endif
	};
	struct monitor *m = NULL;
	struct state *st = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	if (uv_loop_init(&s->loop) != 0 ||
		state_open(dir, "auto", &st, why) != 0 ||
		monitor_new(st, &o, &m) != 0)
		return NULL;
	monitor_child_started(m);
	snprintf(tc.user, sizeof(tc.user), "%s", user);
	snprintf(tc.shell, sizeof(tc.shell), "%s", shell);
	if (record_dir != NULL)
		snprintf(tc.record_dir, sizeof(tc.record_dir), "%s",
			record_dir);
	monitor_set_terminal(m, &tc);
	s->m = m;
	return m;
}

/* n more bytes read into buf (of cap, len before them): whether text
 * shows; the older half dropped once past half full, to read on. */
static bool
got_text(char *buf, size_t cap, size_t *len, size_t n, const char *text)
{
	*len += n;
	buf[*len] = '\0';
	if (strstr(buf, text) != NULL)
		return true;
	if (*len > cap / 2) {
		memmove(buf, buf + *len / 2, *len - *len / 2);
		*len -= *len / 2;
	}
	return false;
}

#ifndef _WIN32
/* Reads the pty until text shows (or 10 s). */
static bool
pty_wait(int master, const char *text)
{
	char buf[8192];
	size_t len = 0;

	for (int i = 0; i < 200; i++) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(master, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		if (got_text(buf, sizeof(buf), &len, (size_t)n, text))
			return true;
	}
	return false;
}

#endif

/* The next MON_EV_TERM_EXIT (within ms): 0 with handle and code. */
static int
next_exit(int ev, unsigned ms, uint32_t *handle, int32_t *code)
{
	uint8_t b[64];
	struct mon_rd rd;
	ssize_t n;
	int nfds;

	if ((n = monchan_recv(ev, b, sizeof(b), NULL, 0, &nfds, (int)ms)) <= 0)
		return -1;
	mon_rd_init(&rd, b, (size_t)n);
	if (mon_get_u8(&rd) != MON_EV_TERM_EXIT)
		return -1;
	*handle = mon_get_u32(&rd);
	*code = (int32_t)mon_get_u32(&rd);
	return mon_rd_done(&rd) ? 0 : -1;
}

/* term-open's answer, descriptors included. */
struct tshell {
	uint32_t handle;
	uint32_t pid;
	char tty[64];
	char user[64];
	char typescript[4352];
	char msg[256];
	int master;
	int record_fd;
};

static int
topen(int fd, const struct mon_term_open *q, struct tshell *out)
{
	struct mon_term_shell s;
	int r = monclient_term_open(fd, q, &s, &out->master, &out->record_fd);

	out->handle = s.handle;
	out->pid = s.pid;
	memcpy(out->tty, s.tty, sizeof(out->tty));
	memcpy(out->user, s.user, sizeof(out->user));
	memcpy(out->typescript, s.typescript, sizeof(out->typescript));
	memcpy(out->msg, s.msg, sizeof(out->msg));
	return r;
}

/* The helpers below: an assertion that fails returns from the helper
 * only, so their callers end on th_cur_failed where going on could
 * block or use descriptors never opened. */

/* The channels (requests sv, events ev) and the serving thread, hello
 * said. */
static void
start_server(struct loop_server *srv, int sv[2], int ev[2], pthread_t *t)
{
	struct mon_identity id;

	ASSERT_INT_EQ(monchan_pair(sv), 0);
	ASSERT_INT_EQ(monchan_pair(ev), 0);
	srv->fd = sv[0];
	srv->ev = ev[0];
	ASSERT_INT_EQ(pthread_create(t, NULL, serve_loop, srv), 0);
	ASSERT_INT_EQ(monclient_hello(sv[1], &id), 0);
}

/* The next event is shell's exit with code. */
static void
expect_exit(int ev, unsigned ms, const struct tshell *shell, int32_t code)
{
	uint32_t h;
	int32_t c;

	ASSERT_INT_EQ(next_exit(ev, ms, &h, &c), 0);
	ASSERT_INT_EQ(h, shell->handle);
	ASSERT_INT_EQ(c, code);
}

/* Two alive at most (max_live 2), with the reason: b and c open, d not. */
static void
open_capped(int fd, struct mon_term_open *q, struct tshell *b,
	struct tshell *c, struct tshell *d)
{
	q->terminal_id = 2;
	ASSERT_INT_EQ(topen(fd, q, b), 0);
	q->terminal_id = 3;
	ASSERT_INT_EQ(topen(fd, q, c), 0);
	q->terminal_id = 4;
	ASSERT_INT_EQ(topen(fd, q, d), OP_ERR_TOO_LARGE);
	ASSERT(d->master < 0 && d->record_fd < 0);
	ASSERT_STR_CONTAINS(d->msg, "Too many terminals");
}

/* The network process goes away (nothing refused till then): shell c
 * gone once the serving thread is done, and no event tells of it. */
static void
stop_server(struct loop_server *srv, int sv1, int ev[2], pthread_t t,
	struct tshell *c, bool (*gone)(uint32_t pid))
{
	uint32_t handle;
	int32_t code;

	ASSERT_INT_EQ(srv->refused, 0);
	close(sv1);
	pthread_join(t, NULL);
	ASSERT(gone(c->pid));
	ASSERT_INT_EQ(next_exit(ev[1], 100, &handle, &code), -1);
	close(c->master);
	close(c->record_fd);
	close(ev[0]);
	close(ev[1]);
	monitor_free(srv->m);
	ASSERT_INT_EQ(uv_loop_close(&srv->loop), 0);
}

#ifndef _WIN32
static pid_t
parent_of(uint32_t pid)
{
	char path[64];
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(f, "%*d %*s %*c %d", &ppid) != 1)
		ppid = -1;
	fclose(f);
	return (pid_t)ppid;
}

static bool
process_gone(uint32_t pid)
{
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void
test_terminals(void)
{
	static const char cmd_a[] = "echo \"mon-$(stty size)-$((6*7))\"; exit 3\r";
	static const char cmd_c[] = "trap '' HUP; sleep 300 & "
				    "echo job-$((5*5))\r";
	struct loop_server srv = { 0 };
	struct tshell a, b, c, d;
	struct mon_term_open q = { .terminal_id = 1, .session_tag = 42,
		.rows = 30, .cols = 100 };
	char ts[512];
	struct stat sb, sf;
	pthread_t t;
	int sv[2], ev[2];

	if (!pick_shell_account()) {
		printf("skip test_terminals: no bash or no account\n");
		return;
	}
	snprintf(ts, sizeof(ts), "%s/typescripts", root);
	ASSERT(term_monitor("t", &srv, shell_acct.name, "/bin/bash", ts, 2) !=
		NULL);
	start_server(&srv, sv, ev, &t);
	if (th_cur_failed)
		return;

	/* A shell as the configured account, its master ours, recorded. */
	ASSERT_INT_EQ(topen(sv[1], &q, &a), 0);
	ASSERT(a.handle != 0 && a.pid > 0 && a.master >= 0);
	ASSERT_STR_EQ(a.user, shell_acct.name);
	ASSERT(strncmp(a.tty, "/dev/pts/", 9) == 0);
	ASSERT_STR_CONTAINS(a.typescript, "/session-42-terminal-1-");
	ASSERT(a.record_fd >= 0);
	ASSERT_INT_EQ(stat(a.typescript, &sf), 0);
	ASSERT_INT_EQ(fstat(a.record_fd, &sb), 0);
	ASSERT(sb.st_ino == sf.st_ino && (sf.st_mode & 0777) == 0600);
	/* The monitor's child (here: this process). */
	ASSERT_INT_EQ(parent_of(a.pid), getpid());
	/* The size asked for, and an exit status as an event. */
	ASSERT(write(a.master, cmd_a, strlen(cmd_a)) == (ssize_t)strlen(cmd_a));
	ASSERT(pty_wait(a.master, "mon-30 100-42"));
	expect_exit(ev[1], 10000, &a, 3);
	close(a.master);
	close(a.record_fd);

	open_capped(sv[1], &q, &b, &c, &d);
	if (th_cur_failed)
		return;
	ASSERT_STR_EQ(d.user, shell_acct.name);
	ASSERT(pty_wait(b.master, "$"));
	/* term-hangup: SIGHUP, reported as 128 + 1 (once the network
	 * process closes its master too: bash waits in read(2) until the
	 * tty hangs up); a handle that is not (any more) ours is not found,
	 * which ends nothing. */
	ASSERT_INT_EQ(monclient_term_hangup(sv[1], b.handle), 0);
	close(b.master);
	expect_exit(ev[1], 10000, &b, 129);
	ASSERT_INT_EQ(monclient_term_hangup(sv[1], b.handle),
		OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(monclient_term_hangup(sv[1], 0x7777), OP_ERR_NOT_FOUND);
	close(b.record_fd);
	/* A shell that ignores SIGHUP, with a job: the network process
	 * goes away, both are gone once the monitor is done with them (the
	 * grace period's SIGKILL), and no event tells of it. */
	ASSERT(write(c.master, cmd_c, strlen(cmd_c)) == (ssize_t)strlen(cmd_c));
	ASSERT(pty_wait(c.master, "job-25"));
	stop_server(&srv, sv[1], ev, t, &c, process_gone);
}

#else
/* One overlapped read or write on the pipe behind fd, waiting up to ms:
 * the bytes moved, or -1. */
static long
pipe_io(int fd, bool wr, void *buf, DWORD len, DWORD ms)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov;
	DWORD n = 0;
	BOOL ok;

	memset(&ov, 0, sizeof(ov));
	if ((ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		return -1;
	ok = wr ? WriteFile(h, buf, len, NULL, &ov) :
		  ReadFile(h, buf, len, NULL, &ov);
	if (!ok && GetLastError() == ERROR_IO_PENDING &&
		WaitForSingleObject(ov.hEvent, ms) != WAIT_OBJECT_0)
		CancelIoEx(h, &ov);
	ok = (ok || GetLastError() == ERROR_IO_PENDING ||
		     GetLastError() == ERROR_OPERATION_ABORTED) &&
		GetOverlappedResult(h, &ov, &n, TRUE);
	CloseHandle(ov.hEvent);
	return ok ? (long)n : -1;
}

/* Reads the console's output until text shows (or 20 s). */
static bool
out_wait(int master, const char *text)
{
	char buf[8192];
	size_t len = 0;
	ULONGLONG end = GetTickCount64() + 20000;

	while (GetTickCount64() < end) {
		long n = pipe_io(master, false, buf + len,
			(DWORD)(sizeof(buf) - 1 - len), 500);

		if (n < 0)
			continue; /* nothing within 500 ms */
		if (got_text(buf, sizeof(buf), &len, (size_t)n, text))
			return true;
	}
	return false;
}

static bool
in_write(int input, const char *text)
{
	return pipe_io(input, true, (void *)text, (DWORD)strlen(text), 5000) ==
		(long)strlen(text);
}

static bool
process_gone(uint32_t pid)
{
	return th_process_gone(pid, 5000);
}

/*
 * cmd.exe on a pseudo console, started by the monitor as its own account
 * (the only one Windows can start yet): the output and input pipes come
 * over the channel as handles duplicated into this process and work; the
 * exit status as an event; the cap; a hangup (129); the network process
 * gone, the shell gone with it. Markers come from cmd's expansion of
 * %OPM% so the echo of the command line never matches them.
 */
static void
test_terminals_win(void)
{
	static const char cmd_exe[] = "C:\\windows\\system32\\cmd.exe";
	struct loop_server srv = { 0 };
	struct tshell a, b, c, d;
	struct mon_term_open q = { .terminal_id = 1, .session_tag = 42,
		.rows = 30, .cols = 100 };
	char name[128];
	DWORD nl = sizeof(name);
	pthread_t t;
	int sv[2], ev[2];

	ASSERT(GetUserNameA(name, &nl));
	ASSERT_INT_EQ(term_account_lookup(name, cmd_exe, &shell_acct), 0);
	ASSERT(SetEnvironmentVariableA("OPM", "mon42"));
	ASSERT(term_monitor("t", &srv, name, cmd_exe, NULL, 2) != NULL);
	start_server(&srv, sv, ev, &t);
	if (th_cur_failed)
		return;

	/* Its output (master) and input (the second descriptor). */
	ASSERT_INT_EQ(topen(sv[1], &q, &a), 0);
	ASSERT(a.handle != 0 && a.pid > 0 && a.master >= 0);
	ASSERT(a.record_fd >= 0);
	ASSERT_STR_EQ(a.user, name);
	ASSERT_STR_EQ(a.typescript, "");
	ASSERT(in_write(a.record_fd, "echo got-%OPM%\r"));
	ASSERT(out_wait(a.master, "got-mon42"));
	ASSERT(in_write(a.record_fd, "exit 3\r"));
	expect_exit(ev[1], 20000, &a, 3);
	close(a.master);
	close(a.record_fd);

	open_capped(sv[1], &q, &b, &c, &d);
	if (th_cur_failed)
		return;
	/* term-hangup: 129 as on Linux; then not found. */
	ASSERT(in_write(b.record_fd, "echo up-%OPM%\r"));
	ASSERT(out_wait(b.master, "up-mon42"));
	ASSERT_INT_EQ(monclient_term_hangup(sv[1], b.handle), 0);
	expect_exit(ev[1], 20000, &b, 129);
	ASSERT_INT_EQ(monclient_term_hangup(sv[1], b.handle),
		OP_ERR_NOT_FOUND);
	close(b.master);
	close(b.record_fd);
	/* The network process goes away: its shell goes too, no event. */
	ASSERT(in_write(c.record_fd, "echo job-%OPM%\r"));
	ASSERT(out_wait(c.master, "job-mon42"));
	stop_server(&srv, sv[1], ev, t, &c, process_gone);
}
#endif

/* The status of a reply monitor_serve made. */
static void
test_terminal_hostile(void)
{
	static const struct mon_term_open bad[] = {
		{ .terminal_id = -1, .rows = 24, .cols = 80 },
		{ .terminal_id = 1, .rows = 0, .cols = 80 },
		{ .terminal_id = 1, .rows = 24, .cols = 0 },
		{ .terminal_id = 1, .rows = TERM_MAX_DIM + 1, .cols = 80 },
		{ .terminal_id = 1, .rows = 24, .cols = 0xffffffffu },
	};
	struct loop_server srv = { 0 };
	struct monitor *m;
	struct mon_buf w = { .len = 0 };
	struct mon_term_open q = { .terminal_id = 1, .rows = 24, .cols = 80 };
	struct monitor_reply reply;
	char why[128];
	int refused = 0, config = 0;

	/* No user configured: every open is refused without a fork. */
	ASSERT((m = term_monitor("th", &srv, "", "", NULL, 4)) != NULL);
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_HELLO }, 1), 0);
	/* Malformed: short, trailing, a negative id, sizes out of range. */
	mon_put_u8(&w, MON_TERM_OPEN);
	mon_put_term_open(&w, &q);
	ASSERT_INT_EQ(serve_one(m, w.b, w.len - 1), OP_ERR_PROTO);
	w.b[w.len] = 0;
	ASSERT_INT_EQ(serve_one(m, w.b, w.len + 1), OP_ERR_PROTO);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mon_buf b = { .len = 0 };

		mon_put_u8(&b, MON_TERM_OPEN);
		mon_put_term_open(&b, &bad[i]);
		ASSERT_INT_EQ(serve_one(m, b.b, b.len), OP_ERR_PROTO);
	}
	ASSERT_INT_EQ(serve_one(m, (uint8_t[]){ MON_TERM_HANGUP, 0, 0, 1 }, 4),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(serve_one(m,
			      (uint8_t[]){ MON_TERM_HANGUP, 0, 0, 0, 1, 0 }, 6),
		OP_ERR_PROTO);
	/* Valid but not ours: not found, an answer. */
	ASSERT_INT_EQ(monitor_serve(m,
			      (uint8_t[]){ MON_TERM_HANGUP, 0, 0, 0, 1 }, 5,
			      &reply, why, sizeof(why)), 0);
	ASSERT_INT_EQ(reply_status(&reply), OP_ERR_NOT_FOUND);
	/* The rate limit: MONITOR_TERM_BURST opens, then MONITOR_TERM_PER_S
	 * a second, however they would end; a refusal says why. */
	for (int i = 0; i < MONITOR_TERM_BURST + 10; i++) {
		ASSERT_INT_EQ(monitor_serve(m, w.b, w.len, &reply, why,
				      sizeof(why)), 0);
		ASSERT_INT_EQ(reply.nfds, 0);
		refused += reply_status(&reply) == -EAGAIN;
		config += reply_status(&reply) == OP_ERR_CONFIG;
	}
	ASSERT_INT_EQ(config, MONITOR_TERM_BURST);
	ASSERT_INT_EQ(refused, 10);
	ASSERT(contains(reply.b, reply.len, "try again", 9));
	fake_ms += 1000;
	config = 0;
	for (int i = 0; i < 10; i++) {
		ASSERT_INT_EQ(monitor_serve(m, w.b, w.len, &reply, why,
				      sizeof(why)), 0);
		config += reply_status(&reply) == OP_ERR_CONFIG;
	}
	ASSERT_INT_EQ(config, MONITOR_TERM_PER_S);
	ASSERT(!contains(reply.b, reply.len, "policy.terminal.user", 20));
	monitor_free(m);
	uv_run(&srv.loop, UV_RUN_DEFAULT); /* Windows: the spawner's async */
	ASSERT_INT_EQ(uv_loop_close(&srv.loop), 0);
}

int
main(void)
{
	if (th_tempdir("monitor-term", root, sizeof(root)) != 0 ||
		sodium_init() < 0)
		return 1;
#ifdef _WIN32
	RUN(test_terminals_win);
#else
	RUN(test_terminals);
#endif
	RUN(test_terminal_hostile);
	th_rm_tree(root);
	return th_done();
}
