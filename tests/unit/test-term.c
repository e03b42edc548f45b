/* SPDX-License-Identifier: MIT */
/*
 * Terminals on real ptys and a real libuv loop: commands and their output,
 * resize seen by `stty size` and SIGWINCH, Ctrl-C, exit codes, hangup
 * (and SIGKILL for a shell that ignores it), 100 MB of output with a slow
 * consumer and bounded RSS, the account checks (none, unknown, root), the
 * child's view as a non-root user (ids, environment, fds, session),
 * typescripts, hostile input, and the pure helpers.
 *
 * Run as root, shells run as `nobody` with /bin/bash; otherwise as the
 * current user. Markers are computed by the shell ($((6*7))) so the
 * terminal's echo of the command line never matches them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>
#include <zstd.h>

#include "core/err.h"
#include "th.h"
#include "th-term.h"

static struct term_account user_acct; /* the test's shell user */
static bool have_acct;

static void
test_pure(void)
{
	const uint8_t euro[] = { 'a', 0xe2, 0x82, 0xac };
	uint8_t big[4096];
	uint8_t z[8192];
	uint8_t *out = NULL;
	size_t out_len = 0;
	size_t n;
	ZSTD_CCtx *cc = ZSTD_createCCtx();

	ASSERT(cc != NULL && term__pack_setup(cc) == 0);
	ASSERT_INT_EQ(term__utf8_split(euro, 4), 4);
	ASSERT_INT_EQ(term__utf8_split(euro, 3), 1);
	ASSERT_INT_EQ(term__utf8_split(euro, 2), 1);
	ASSERT_INT_EQ(term__utf8_split((const uint8_t *)"\xf0\x9f\x98", 3), 0);
	ASSERT_INT_EQ(term__utf8_split((const uint8_t *)"\xf0\x9f\x98\x80", 4),
		4);
	/* Not UTF-8: nothing to wait for. */
	ASSERT_INT_EQ(term__utf8_split((const uint8_t *)"\x80\x81\x82", 3), 3);
	ASSERT_INT_EQ(term__utf8_split((const uint8_t *)"x\xff", 2), 2);
	ASSERT_INT_EQ(term__utf8_split(euro, 0), 0);

	ASSERT_INT_EQ(term__exit_code(3 << 8), 3);
	ASSERT_INT_EQ(term__exit_code(SIGKILL), 137);
	ASSERT(term__dim_ok(1, 1) && term__dim_ok(TERM_MAX_DIM, TERM_MAX_DIM));
	ASSERT(!term__dim_ok(0, 80) && !term__dim_ok(24, TERM_MAX_DIM + 1));

	/* RustDesk's rule: above 512 bytes, and only when smaller. */
	memset(big, 'y', sizeof(big));
	ASSERT_INT_EQ(term__pack(cc, big, 512, z, sizeof(z)), 0);
	n = term__pack(cc, big, sizeof(big), z, sizeof(z));
	ASSERT(n > 0 && n < 100);
	ASSERT_INT_EQ(term__unpack(z, n, sizeof(big), &out, &out_len), 0);
	ASSERT_INT_EQ(out_len, sizeof(big));
	ASSERT_MEM_EQ(out, big, sizeof(big));
	free(out);
	ASSERT_INT_EQ(term__unpack(z, n, 100, &out, &out_len),
		OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(term__unpack((const uint8_t *)"garbage", 7, 100, &out,
			      &out_len), OP_ERR_PROTO);
	ASSERT(out == NULL);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7919 >> 3 ^ i);
	ASSERT_INT_EQ(term__pack(NULL, big, sizeof(big), z, sizeof(z)), 0);
	ZSTD_freeCCtx(cc);
}

static void
test_account(void)
{
	struct term_account a;

	tt_lookup_refusals();
	if (th_cur_failed)
		return;
	ASSERT_INT_EQ(term_account_lookup("root", "bash", &a), OP_ERR_CONFIG);
	ASSERT_INT_EQ(term_account_lookup("root", NULL, &a), 0);
	ASSERT_INT_EQ(a.uid, 0);
	ASSERT(a.shell[0] == '/' && a.home[0] == '/' && a.ngroups >= 1);
	ASSERT_INT_EQ(term__may_switch(&a, false), OP_ERR_DENIED);
	if (geteuid() == 0)
		ASSERT_INT_EQ(term__may_switch(&a, true), 0);
	ASSERT_INT_EQ(term__may_switch(&user_acct, false), 0);
}

static void
test_echo_and_exit(void)
{
	struct tt c;
	struct term_stats st;
	const char *cmd = "echo hi-$((6*7))\r";
	pid_t other;
	int ws = 0;

	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	/* An unrelated child of the daemon: terminals must not reap it. */
	if ((other = fork()) == 0) {
		usleep(200000);
		_exit(5);
	}
	OPEN_OK(&c, 1);
	ASSERT(tt_slot(&c, 1)->pid > 0);
	ASSERT(strncmp(tt_slot(&c, 1)->tty, "/dev/pts/", 9) == 0);
	ASSERT(strncmp(c.service_id, "ts_", 3) == 0 &&
		strlen(c.service_id) == 35);
	ASSERT_INT_EQ(tt_send(&c, 1, cmd), 0);
	WAIT_TEXT(&c, 1, "hi-42", 10000);
	ASSERT_INT_EQ(tt_send(&c, 1, "exit 3\r"), 0);
	ASSERT(tt_wait(&c, tt_is_closed, 1, NULL, 10000));
	ASSERT_INT_EQ(tt_slot(&c, 1)->exit_code, 3);
	ASSERT_U64_EQ(tt_slot(&c, 1)->closed_in, strlen(cmd) + 7);
	ASSERT(tt_slot(&c, 1)->closed_out >= 5);
	ASSERT_INT_EQ(waitpid(other, &ws, 0), other);
	ASSERT(WIFEXITED(ws) && WEXITSTATUS(ws) == 5);
	/* The id is free again once closed. */
	term_host_stats(c.h, &st);
	ASSERT_INT_EQ(st.open, 0);
	ASSERT_INT_EQ(st.opened, 1);
	ASSERT_U64_EQ(st.bytes_in, strlen(cmd) + 7);
	ASSERT_INT_EQ(term_host_write(c.h, 1, (const uint8_t *)"x", 1, false),
		OP_ERR_NOT_FOUND);
	ASSERT(tt_stop(&c));
}

static void
test_resize_and_winch(void)
{
	struct tt c;

	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	OPEN_OK(&c, 1);
	ASSERT_INT_EQ(tt_send(&c, 1, "stty size; echo sz-$((1+1))\r"), 0);
	WAIT_TEXT(&c, 1, "sz-2", 10000);
	ASSERT(tt_has_text(&c, 1, "24 80"));
	ASSERT_INT_EQ(term_host_resize(c.h, 1, 33, 101), 0);
	ASSERT_INT_EQ(tt_send(&c, 1, "stty size\r"), 0);
	WAIT_TEXT(&c, 1, "33 101", 10000);
	/* A foreground job sees SIGWINCH. */
	ASSERT_INT_EQ(tt_send(&c, 1,
			      "sh -c 'trap \"echo winch-\\$((1+1)); exit 0\" "
			      "WINCH; echo armed-$((2+2)); "
			      "while :; do sleep 0.05; done'\r"), 0);
	WAIT_TEXT(&c, 1, "armed-4", 10000);
	ASSERT_INT_EQ(term_host_resize(c.h, 1, 40, 120), 0);
	WAIT_TEXT(&c, 1, "winch-2", 10000);
	ASSERT(tt_stop(&c));
}

static void
test_ctrl_c(void)
{
	struct tt c;
	uint64_t t0;

	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	OPEN_OK(&c, 1);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo go-$((3+4)); sleep 100\r"), 0);
	WAIT_TEXT(&c, 1, "go-7", 10000);
	t0 = tt_now_ms();
	tt_wait(&c, tt_is_closed, 1, NULL, 200); /* let sleep start */
	ASSERT_INT_EQ(tt_send(&c, 1, "\x03"), 0);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo back-$((5+5))\r"), 0);
	WAIT_TEXT(&c, 1, "back-10", 10000);
	ASSERT(tt_now_ms() - t0 < 10000);
	ASSERT(!tt_slot(&c, 1)->closed);
	ASSERT(tt_stop(&c));
}

static void
test_hangup(void)
{
	struct tt c;
	uint64_t t0;
	uint32_t pid;

	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	OPEN_OK(&c, 1);
	OPEN_OK(&c, 2);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo up-$((2+3))\r"), 0);
	WAIT_TEXT(&c, 1, "up-5", 10000);
	/* bash dies of the SIGHUP: 128 + 1. */
	ASSERT_INT_EQ(term_host_hangup(c.h, 1), 0);
	ASSERT_INT_EQ(term_host_hangup(c.h, 1), 0);
	ASSERT(tt_wait(&c, tt_is_closed, 1, NULL, 5000));
	ASSERT_INT_EQ(tt_slot(&c, 1)->exit_code, 129);
	ASSERT_INT_EQ(term_host_hangup(c.h, 1), OP_ERR_NOT_FOUND);
	/* A process that ignores SIGHUP is killed after the grace time. */
	ASSERT_INT_EQ(tt_send(&c, 2, "trap '' HUP; echo ig-$((1+2)); "
				     "exec sleep 100\r"), 0);
	WAIT_TEXT(&c, 2, "ig-3", 10000);
	tt_wait(&c, tt_is_closed, 2, NULL, 200); /* the exec */
	pid = tt_slot(&c, 2)->pid;
	t0 = tt_now_ms();
	ASSERT_INT_EQ(term_host_hangup(c.h, 2), 0);
	ASSERT(tt_wait(&c, tt_is_closed, 2, NULL, 5000));
	ASSERT_INT_EQ(tt_slot(&c, 2)->exit_code, 128 + SIGKILL);
	ASSERT(tt_slot(&c, 2)->closed_ms - t0 >= 250);
	ASSERT(kill((pid_t)pid, 0) != 0 && errno == ESRCH);
	ASSERT(tt_stop(&c));
}

/* Nothing of the terminal's session outlives it. */
static bool
session_gone(struct tt *c, int32_t sid, const char *text)
{
	(void)c;
	(void)text;
	return term__signal_session((pid_t)sid, 0) == 0;
}

static void
test_hangup_jobs(void)
{
	struct tt c;

	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	/* A foreground job just being started when the close comes (the
	 * race that let it survive), and one well under way. */
	for (int id = 1; id <= 6; id++) {
		uint32_t pid;

		OPEN_OK(&c, id);
		pid = tt_slot(&c, id)->pid;
		if (id % 2 == 0) {
			ASSERT_INT_EQ(tt_send(&c, id, "sleep 31\r"), 0);
			tt_wait(&c, tt_is_closed, id, NULL, 50 * (unsigned)id);
		} else {
			ASSERT_INT_EQ(tt_send(&c, id, "echo j-$((2*5)); "
						      "sleep 32 & sleep 33\r"),
				0);
			WAIT_TEXT(&c, id, "j-10", 10000);
		}
		ASSERT_INT_EQ(term_host_hangup(c.h, id), 0);
		ASSERT(tt_wait(&c, tt_is_closed, id, NULL, 5000));
		if (!tt_wait(&c, session_gone, (int32_t)pid, NULL, 2000))
			TH_FAIL("terminal %d: %d processes of session %u "
				"survived", id,
				term__signal_session((pid_t)pid, 0),
				(unsigned)pid);
	}
	ASSERT(tt_stop(&c));
}

/* 100 MB of base64 (no newlines: the tty adds nothing) and a marker. */
#define FLOOD_CMD                                                        \
	"head -c 75000000 /dev/urandom | base64 -w0; echo; "             \
	"echo end-$((40+2))\r"
#define FLOOD_BYTES 100000000ull

static void
flood(bool slow, double *mb_s, long *rss_growth_kb, uint64_t *pauses,
	size_t *max_queued)
{
	struct tt c;
	struct term_stats st;
	struct tt_term *s;
	long rss0;
	uint64_t t0;

	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	c.rate = slow ? 50 * 1024 : 64u << 20; /* per 5 ms: 10 MB/s */
	c.high = 1u << 20;
	uv_timer_start(&c.drain, tt_on_drain, 5, 5);
	OPEN_OK(&c, 1);
	s = tt_slot(&c, 1);
	rss0 = tt_rss_kb();
	c.rss_max_kb = rss0;
	t0 = tt_now_ms();
	ASSERT_INT_EQ(tt_send(&c, 1, FLOOD_CMD), 0);
	WAIT_TEXT(&c, 1, "end-42", 120000);
	*mb_s = (double)s->total / 1e6 / ((double)(tt_now_ms() - t0) / 1000.0);
	*rss_growth_kb = c.rss_max_kb - rss0;
	term_host_stats(c.h, &st);
	*pauses = st.pauses;
	*max_queued = c.max_queued;
	ASSERT(s->total >= FLOOD_BYTES);
	ASSERT(st.bytes_out >= FLOOD_BYTES);
	ASSERT(s->compressed > 0 && st.wire_out < st.bytes_out);
	ASSERT_INT_EQ(s->nerrors, 0);
	ASSERT_INT_EQ(s->split_utf8, 0);
	ASSERT(tt_stop(&c));
}

static void
test_flood(void)
{
	double fast_mb_s = 0;
	double slow_mb_s = 0;
	long fast_kb = 0;
	long slow_kb = 0;
	uint64_t fast_pauses = 0;
	uint64_t slow_pauses = 0;
	size_t fast_q = 0;
	size_t slow_q = 0;

	flood(false, &fast_mb_s, &fast_kb, &fast_pauses, &fast_q);
	if (th_cur_failed)
		return;
	flood(true, &slow_mb_s, &slow_kb, &slow_pauses, &slow_q);
	if (th_cur_failed)
		return;
	printf("flood 100 MB, fast consumer: %.1f MB/s, RSS +%ld KiB, "
	       "%llu pauses\n", fast_mb_s, fast_kb,
		(unsigned long long)fast_pauses);
	printf("flood 100 MB, consumer at 10 MB/s: %.1f MB/s, RSS +%ld KiB, "
	       "%llu pauses, send queue peak %zu KiB\n", slow_mb_s, slow_kb,
		(unsigned long long)slow_pauses, slow_q / 1024);
	/* The slow consumer really held the output back... */
	ASSERT(slow_pauses > 10);
	/* ...which never queued much beyond the high-water mark (one
	 * chunk) nor grew memory (generous: sanitizer builds). */
	ASSERT(slow_q <= (1u << 20) + TERM_CHUNK + 1024);
	ASSERT(slow_kb < 32 * 1024);
	ASSERT(fast_kb < 32 * 1024);
}

static void
test_no_user(void)
{
	struct tt c;
	struct term_host_cfg cfg = { .account_error = OP_ERR_CONFIG };

	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	ASSERT_INT_EQ(term_host_open(c.h, 1, 24, 80), OP_ERR_CONFIG);
	ASSERT(tt_slot(&c, 1)->opened && !tt_slot(&c, 1)->open_ok);
	ASSERT_STR_CONTAINS(tt_slot(&c, 1)->open_msg, "policy.terminal.user");
	ASSERT(tt_stop(&c));

	cfg = (struct term_host_cfg){ .account_error = OP_ERR_NOT_FOUND,
		.user = "ghost" };
	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	ASSERT_INT_EQ(term_host_open(c.h, 1, 24, 80), OP_ERR_NOT_FOUND);
	ASSERT_STR_CONTAINS(tt_slot(&c, 1)->open_msg,
		"'ghost' does not exist");
	ASSERT(tt_stop(&c));
}

static void
test_root(void)
{
	struct tt c;
	struct term_account root;
	struct term_host_cfg cfg = { .allow_root = true, .account = &root };

	ASSERT_INT_EQ(term_account_lookup("root", "/bin/bash", &root), 0);
	ASSERT_INT_EQ(tt_start(&c, &root, NULL), 0);
	ASSERT_INT_EQ(term_host_open(c.h, 1, 24, 80), OP_ERR_DENIED);
	ASSERT(!tt_slot(&c, 1)->open_ok);
	ASSERT_STR_CONTAINS(tt_slot(&c, 1)->open_msg, "root");
	ASSERT(tt_stop(&c));
	if (geteuid() != 0) {
		printf("root terminal: skipped (not running as root)\n");
		return;
	}
	ASSERT_INT_EQ(tt_start(&c, &root, &cfg), 0);
	OPEN_OK(&c, 1);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo uid-$(id -u)-$((1+1))\r"), 0);
	WAIT_TEXT(&c, 1, "uid-0-2", 10000);
	ASSERT(tt_stop(&c));
}

static void
test_child_view(void)
{
	struct tt c;
	char want[256];
	struct passwd *pw = getpwuid(user_acct.uid);
	int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC */

	ASSERT(pw != NULL && leak >= 0);
	setenv("OUTPOST_LEAK_TEST", "leaked", 1);
	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	OPEN_OK(&c, 1);
	ASSERT_INT_EQ(tt_send(&c, 1,
			      "echo \"v:u=$(id -u) g=$(id -g) h=$HOME "
			      "n=$USER/$LOGNAME s=$SHELL t=$TERM l=$LANG "
			      "z=$0 m=$(umask) "
			      "k=${OUTPOST_LEAK_TEST:-none}\"\r"),
		0);
	snprintf(want, sizeof(want),
		"v:u=%u g=%u h=%s n=%s/%s s=/bin/bash t=xterm-256color "
		"l=C.UTF-8 z=-bash m=0022 k=none", (unsigned)user_acct.uid,
		(unsigned)user_acct.gid, user_acct.home, user_acct.name,
		user_acct.name);
	WAIT_TEXT(&c, 1, want, 10000);
	/* Its own session, the pty as controlling tty, and no fd of ours
	 * (a plain open(2) of the daemon's is not inherited): ls sees
	 * 0 and 2 (the tty), 1 (the pipe) and 3 (its directory). */
	ASSERT_INT_EQ(tt_send(&c, 1,
			      "echo \"w:sid=$(( $(cut -d' ' -f6 /proc/$$/stat) "
			      "- $$ )) tty=$(tty) nfd=$(ls /proc/self/fd | "
			      "wc -l)\"\r"), 0);
	snprintf(want, sizeof(want), "w:sid=0 tty=%s nfd=4",
		tt_slot(&c, 1)->tty);
	WAIT_TEXT(&c, 1, want, 10000);
	/* The supplementary groups are the user's, not the daemon's. */
	ASSERT_INT_EQ(tt_send(&c, 1, "echo gr-$(id -G | wc -w)-$((0))\r"), 0);
	snprintf(want, sizeof(want), "gr-%d-0", user_acct.ngroups);
	WAIT_TEXT(&c, 1, want, 10000);
	/* As root we hand the tty to the user, as sshd does. */
	if (geteuid() == 0) {
		ASSERT_INT_EQ(tt_send(&c, 1, "echo \"o:$(stat -c '%U %G %a' "
					     "$(tty))-$((1))\"\r"), 0);
		snprintf(want, sizeof(want), "o:%s tty 620-1", user_acct.name);
		WAIT_TEXT(&c, 1, want, 10000);
	}
	unsetenv("OUTPOST_LEAK_TEST");
	close(leak);
	ASSERT(tt_stop(&c));
}

static void
test_record(void)
{
	struct tt c;
	char dir[] = "/tmp/test-term-rec-XXXXXX";
	char buf[4096];
	struct term_host_cfg cfg = { .account = &user_acct,
		.hangup_grace_ms = 300, .record_tag = 77 };
	struct stat sb;
	int fd;
	ssize_t n;

	ASSERT(mkdtemp(dir) != NULL);
	cfg.record_dir = dir;
	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	OPEN_OK(&c, 1);
	/* A new 0600 file named after the session and the terminal. */
	ASSERT_STR_CONTAINS(c.typescript, "/session-77-terminal-1-");
	ASSERT(strncmp(c.typescript, dir, strlen(dir)) == 0);
	ASSERT_INT_EQ(stat(c.typescript, &sb), 0);
	ASSERT_INT_EQ(sb.st_mode & 0777, 0600);
	ASSERT_INT_EQ(tt_send(&c, 1, "echo rec-$((2+3)); exit 4\r"), 0);
	ASSERT(tt_wait(&c, tt_is_closed, 1, NULL, 10000));
	ASSERT_INT_EQ(tt_slot(&c, 1)->exit_code, 4);
	ASSERT((fd = open(c.typescript, O_RDONLY)) >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT(n > 0);
	buf[n] = '\0';
	ASSERT(strncmp(buf, "Script started on ", 18) == 0);
	ASSERT_STR_CONTAINS(buf, "TERM=\"xterm-256color\"");
	ASSERT_STR_CONTAINS(buf, "rec-5");
	ASSERT_STR_CONTAINS(buf, "Script done on ");
	ASSERT_STR_CONTAINS(buf, "COMMAND_EXIT_CODE=\"4\"");
	unlink(c.typescript);
	ASSERT(tt_stop(&c));
	/* No typescript, no terminal: the directory cannot be made. */
	snprintf(buf, sizeof(buf), "%s/file", dir);
	ASSERT((fd = open(buf, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	snprintf(buf, sizeof(buf), "%s/file/sub", dir);
	cfg.record_dir = buf;
	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	ASSERT_INT_EQ(term_host_open(c.h, 2, 24, 80), -ENOTDIR);
	ASSERT(!tt_slot(&c, 2)->open_ok);
	ASSERT_STR_CONTAINS(tt_slot(&c, 2)->open_msg, "recording");
	ASSERT(tt_stop(&c));
	snprintf(buf, sizeof(buf), "%s/file", dir);
	unlink(buf);
	rmdir(dir);
}

static void
test_exec_fails(void)
{
	struct tt c;
	struct term_account bad = user_acct;

	snprintf(bad.shell, sizeof(bad.shell), "/nonexistent/shell");
	ASSERT_INT_EQ(tt_start(&c, &bad, NULL), 0);
	OPEN_OK(&c, 1);
	ASSERT(tt_wait(&c, tt_is_closed, 1, NULL, 10000));
	ASSERT_INT_EQ(tt_slot(&c, 1)->exit_code, 127);
	ASSERT(tt_has_text(&c, 1, "execve failed"));
	ASSERT(tt_stop(&c));
}

static void
test_utf8_chunks(void)
{
	struct tt c;

	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	OPEN_OK(&c, 1);
	/* The euro sign's first two bytes, a pause, then the third. */
	ASSERT_INT_EQ(tt_send(&c, 1, "printf 'x\\342\\202'; sleep 0.3; "
				     "printf '\\254-ok-%d\\n' $((1+1))\r"), 0);
	WAIT_TEXT(&c, 1, "x\xe2\x82\xac-ok-2", 10000);
	ASSERT_INT_EQ(tt_slot(&c, 1)->split_utf8, 0);
	ASSERT(tt_stop(&c));
}

static void
test_hostile(void)
{
	struct tt c;
	struct term_stats st;
	struct term_host_cfg cfg = { .account = &user_acct, .max_terminals = 2,
		.input_max = 64 * 1024, .hangup_grace_ms = 300 };
	uint8_t chunk[16384];
	size_t zn = 0;
	uint32_t pid = 0;
	int r = 0;

	ASSERT_INT_EQ(tt_start(&c, NULL, &cfg), 0);
	tt_refusals(&c, &pid, &zn);
	if (th_cur_failed)
		return;
	/* A terminal that does not read its input: the queue is bounded. */
	ASSERT_INT_EQ(tt_send(&c, 1, "stty raw -echo; echo raw-$((9*9)); "
				     "sleep 30\r"), 0);
	WAIT_TEXT(&c, 1, "raw-81", 10000);
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 1000 && r == 0; i++)
		r = term_host_write(c.h, 1, chunk, sizeof(chunk), false);
	ASSERT_INT_EQ(r, OP_ERR_TOO_LARGE);
	term_host_stats(c.h, &st);
	ASSERT(st.input_dropped >= zn + sizeof(chunk));
	ASSERT_INT_EQ(term_host_hangup(c.h, 1), 0);
	ASSERT(tt_wait(&c, tt_is_closed, 1, NULL, 5000));
	ASSERT(tt_wait(&c, session_gone, (int32_t)pid, NULL, 2000));
	ASSERT(tt_stop(&c));
}

static void
test_host_close(void)
{
	struct tt c;
	uint32_t pids[3];

	ASSERT_INT_EQ(tt_start(&c, &user_acct, NULL), 0);
	for (int id = 1; id <= 3; id++)
		OPEN_OK(&c, id);
	ASSERT_INT_EQ(tt_send(&c, 3, "trap '' HUP; echo i-$((4*4)); "
				     "exec sleep 100\r"), 0);
	WAIT_TEXT(&c, 3, "i-16", 10000);
	ASSERT_INT_EQ(tt_send(&c, 2, "yes\r"), 0); /* busy output */
	tt_wait(&c, tt_is_closed, 3, NULL, 200);
	for (int id = 1; id <= 3; id++)
		pids[id - 1] = tt_slot(&c, id)->pid;
	c.closing = true;
	term_host_close(c.h, tt_on_host_done, &c);
	ASSERT(tt_wait(&c, tt_host_done, 0, NULL, 10000));
	c.h = NULL;
	ASSERT_INT_EQ(c.events_after_close, 0);
	for (int i = 0; i < 3; i++)
		ASSERT(kill((pid_t)pids[i], 0) != 0 && errno == ESRCH);
	ASSERT(tt_stop(&c));
}

/* Shells run as nobody when we are root (never as root by accident),
 * else as ourselves. */
static int
pick_account(void)
{
	struct passwd *pw;

	if (access("/bin/bash", X_OK) != 0) {
		printf("test-term: skipped: no /bin/bash\n");
		return 1;
	}
	if (geteuid() == 0) {
		if (term_account_lookup("nobody", "/bin/bash",
			    &user_acct) != 0) {
			printf("test-term: skipped: no user 'nobody'\n");
			return 1;
		}
	} else if ((pw = getpwuid(geteuid())) == NULL ||
		term_account_lookup(pw->pw_name, "/bin/bash",
			&user_acct) != 0) {
		printf("test-term: skipped: cannot look up the current user\n");
		return 1;
	}
	printf("test-term: shells run as %s (uid %u)\n", user_acct.name,
		(unsigned)user_acct.uid);
	have_acct = true;
	return 0;
}

/* TEST_TERM_ONLY=name runs one test (debugging). */
static bool
want(const char *name)
{
	const char *only = getenv("TEST_TERM_ONLY");

	return only == NULL || only[0] == '\0' || strstr(name, only) != NULL;
}

#define RUN_IF(fn)                                                       \
	do {                                                             \
		if (want(#fn))                                           \
			RUN(fn);                                         \
	} while (0)

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!tt_init())
		return 1;
	RUN_IF(test_pure);
	if (pick_account() == 0) {
		RUN_IF(test_account);
		RUN_IF(test_echo_and_exit);
		RUN_IF(test_resize_and_winch);
		RUN_IF(test_ctrl_c);
		RUN_IF(test_hangup);
		RUN_IF(test_hangup_jobs);
		RUN_IF(test_no_user);
		RUN_IF(test_root);
		RUN_IF(test_child_view);
		RUN_IF(test_record);
		RUN_IF(test_exec_fails);
		RUN_IF(test_utf8_chunks);
		RUN_IF(test_hostile);
		RUN_IF(test_host_close);
		RUN_IF(test_flood);
	}
	if (!tt_fini()) {
		fprintf(stderr, "test-term: handles left open\n");
		return 1;
	}
	return th_done();
}
