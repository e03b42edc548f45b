/* SPDX-License-Identifier: MIT */
/*
 * Consent module without an X server: sanitizing peer text, the stdin
 * request format, logind session choice, the environ parser, the "nobody
 * logged in" path, and consent_ask's process handling with stand-in
 * prompt scripts (allow, deny, timeout, garbage, crash, cancel, the
 * request and environment the child sees, and the privilege drop when
 * run as root).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "consent/consent-internal.h"
#include "consent/consent-prompt.h"
#include "consent/consent.h"
#include "core/err.h"
#include "th.h"

static char tmpdir[64];
static mode_t script_mode = 0755;

static void
test_sanitize(void)
{
	char out[64];
	char big[1000];

	consent_sanitize(out, sizeof(out), "Alice", 10);
	ASSERT_STR_EQ(out, "Alice");
	consent_sanitize(out, sizeof(out), NULL, 10);
	ASSERT_STR_EQ(out, "");
	consent_sanitize(out, sizeof(out), "a\nb\tc\x1b[31m\x7f", 30);
	ASSERT_STR_EQ(out, "a?b?c?[31m?");
	/* C1 NEL, right-to-left override, zero-width space, BOM. */
	consent_sanitize(out, sizeof(out),
		"x\xc2\x85y\xe2\x80\xaez\xe2\x80\x8bw\xef\xbb\xbf", 30);
	ASSERT_STR_EQ(out, "x?y?z?w?");
	/* Invalid: stray byte, overlong, surrogate, truncated. */
	consent_sanitize(out, sizeof(out),
		"\xff-\xc0\xaf-\xed\xa0\x80-\xe2\x82", 30);
	/* One "?" per invalid byte. */
	ASSERT_STR_EQ(out, "?-?" "?-?" "?" "?-?" "?");
	consent_sanitize(out, sizeof(out), "J\xc3\xbcrgen \xe6\x97\xa5", 30);
	ASSERT_STR_EQ(out, "J\xc3\xbcrgen \xe6\x97\xa5");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ASSERT_INT_EQ(consent_sanitize(out, sizeof(out), big, 10), 10);
	ASSERT_STR_EQ(out, "aaaaaaa...");
	consent_sanitize(out, sizeof(out), "0123456789", 10);
	ASSERT_STR_EQ(out, "0123456789");
	/* The destination, not max_chars, is the limit. */
	ASSERT_INT_EQ(consent_sanitize(out, 8, big, 100), 7);
	ASSERT_STR_EQ(out, "aaaa...");
	ASSERT_INT_EQ(consent_sanitize(out, 0, big, 100), 0);
}

static void
test_request_roundtrip(void)
{
	struct consent_request req = {
		.peer_id = "123456789",
		.peer_name = "x\npeer_id=666\r\nkind=root",
		.source = "203.0.113.5:41234",
		.kind = "desktop",
		.permissions = "keyboard, clipboard",
	};
	struct consent_prompt p;
	char buf[CONSENT_REQUEST_MAX];
	size_t n = consent__request_encode(&req, buf, sizeof(buf));

	ASSERT(n > 0);
	memset(&p, 0, sizeof(p));
	ASSERT_INT_EQ(consent_prompt_parse(&p, buf, n), 0);
	ASSERT_STR_EQ(p.peer_id, "123456789");
	ASSERT_STR_EQ(p.peer_name, "x?peer_id=666??kind=root");
	ASSERT_STR_EQ(p.source, "203.0.113.5:41234");
	ASSERT_STR_EQ(p.kind, "desktop");
	ASSERT_STR_EQ(p.permissions, "keyboard, clipboard");
	/* Every field at its maximum still fits the pipe page. */
	{
		char big[4000];

		memset(big, 'z', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		req.peer_id = req.peer_name = req.source = req.kind =
			req.permissions = big;
		n = consent__request_encode(&req, buf, sizeof(buf));
		ASSERT(n > 0 && n < 4096);
		ASSERT_INT_EQ(consent__request_encode(&req, buf, 100), 0);
	}
}

static void
test_prompt_parse(void)
{
	struct consent_prompt p;
	char big[CONSENT_REQUEST_MAX + 2];

	memset(&p, 0, sizeof(p));
	ASSERT_INT_EQ(consent_prompt_parse(&p, "\n\nfoo=bar\nkind=x\n", 17),
		0);
	ASSERT_STR_EQ(p.kind, "x");
	ASSERT_INT_EQ(consent_prompt_parse(&p, "no equals\n", 10),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(consent_prompt_parse(&p, "kind=a\0b\n", 9),
		OP_ERR_PROTO);
	memset(big, 'a', sizeof(big));
	ASSERT_INT_EQ(consent_prompt_parse(&p, big, sizeof(big)),
		OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(consent_prompt_set(&p, "nope", "x"), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(consent_prompt_set(&p, "peer_name", "\x01"), 0);
	ASSERT_STR_EQ(p.peer_name, "?");
}

static void
test_environ(void)
{
	static const char env[] = "PATH=/bin\0DISPLAY=:1\0XAUTHORITY=/x/y\0"
				  "DISPLAYX=no\0EMPTY=\0";
	char out[16];

	ASSERT_INT_EQ(consent__environ_get(env, sizeof(env), "DISPLAY", out,
			      sizeof(out)),
		0);
	ASSERT_STR_EQ(out, ":1");
	ASSERT_INT_EQ(consent__environ_get(env, sizeof(env), "XAUTHORITY",
			      out, sizeof(out)),
		0);
	ASSERT_STR_EQ(out, "/x/y");
	ASSERT_INT_EQ(consent__environ_get(env, sizeof(env), "HOME", out,
			      sizeof(out)),
		OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(consent__environ_get(env, sizeof(env), "PATH", out, 3),
		OP_ERR_TOO_LARGE);
	/* An image cut mid-entry (no final NUL) is still safe. */
	ASSERT_INT_EQ(consent__environ_get("DISPLAY=:7", 10, "DISPLAY", out,
			      sizeof(out)),
		0);
	ASSERT_STR_EQ(out, ":7");
	ASSERT_INT_EQ(consent__environ_get(env, 0, "PATH", out, sizeof(out)),
		OP_ERR_NOT_FOUND);
}

static void
test_display_valid(void)
{
	ASSERT(consent__display_valid(":0"));
	ASSERT(consent__display_valid(":10.1"));
	ASSERT(!consent__display_valid(NULL));
	ASSERT(!consent__display_valid(""));
	ASSERT(!consent__display_valid(":"));
	ASSERT(!consent__display_valid("localhost:10.0"));
	ASSERT(!consent__display_valid("host/unix:0"));
	ASSERT(!consent__display_valid(":0."));
	ASSERT(!consent__display_valid(":0 "));
	ASSERT(!consent__display_valid(":1x"));
	ASSERT(!consent__display_valid(":12345678901234567"));
}

static void
test_pick_session(void)
{
	const struct consent__session s[] = {
		{ "1", 1000, "tty", "user", "active", false, true, NULL },
		{ "2", 1001, "x11", "greeter", "active", false, true, ":0" },
		{ "3", 1002, "x11", "user", "online", false, false, ":1" },
		{ "4", 1003, "x11", "user", "active", true, false, ":2" },
		{ "5", 1004, "wayland", "user", "active", false, false, NULL },
		{ "6", 1005, "x11", "user", "active", false, true, ":3" },
		{ "7", 1006, NULL, NULL, NULL, false, true, NULL },
	};

	ASSERT_INT_EQ(consent__pick_session(s, 7), 5); /* seat's active */
	ASSERT_INT_EQ(consent__pick_session(s, 5), 4); /* local wayland */
	ASSERT_INT_EQ(consent__pick_session(s, 4), -1);
	ASSERT_INT_EQ(consent__pick_session(s, 0), -1);
	ASSERT_INT_EQ(consent__pick_session(&s[6], 1), -1);
}

static bool
logind_has_sessions(void)
{
	DIR *d = opendir("/run/systemd/sessions");
	struct dirent *de;
	bool any = false;

	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			any = true;
	closedir(d);
	return any;
}

static void
test_find_user(void)
{
	struct consent_user u;
	int r;

	unsetenv(CONSENT_TEST_DISPLAY_ENV);
	memset(&u, 0xa5, sizeof(u));
	r = consent_find_user(&u);
	if (!logind_has_sessions()) {
		/* No logind, or nobody logged in: nobody is present. */
		ASSERT_INT_EQ(r, OP_ERR_NOT_FOUND);
		ASSERT_INT_EQ(u.uid, 0);
		ASSERT_STR_EQ(u.display, "");
	} else {
		ASSERT(r == 0 || r == OP_ERR_NOT_FOUND ||
			r == OP_ERR_UNSUPPORTED);
	}
	/* The test hook (compiled in with the test suite). */
	setenv(CONSENT_TEST_DISPLAY_ENV, ":99", 1);
	unsetenv("XAUTHORITY");
	ASSERT_INT_EQ(consent_find_user(&u), 0);
	ASSERT_INT_EQ(u.uid, getuid());
	ASSERT_INT_EQ(u.gid, getgid());
	ASSERT_STR_EQ(u.display, ":99");
	ASSERT_STR_EQ(u.session_id, "test");
	ASSERT_STR_EQ(u.xauthority, "");
	setenv(CONSENT_TEST_DISPLAY_ENV, "evil.example:0", 1);
	ASSERT_INT_EQ(consent_find_user(&u), OP_ERR_CONFIG);
	unsetenv(CONSENT_TEST_DISPLAY_ENV);
}

static void
test_user_from_uid(void)
{
	struct consent_user u;

	ASSERT_INT_EQ(consent_user_from_uid(0, ":0", "/root/.Xauthority", &u),
		0);
	ASSERT_STR_EQ(u.name, "root");
	ASSERT_INT_EQ(u.gid, 0);
	ASSERT(u.ngroups >= 1);
	ASSERT_STR_EQ(u.xauthority, "/root/.Xauthority");
	ASSERT_INT_EQ(consent_user_from_uid(3999999999U, ":0", NULL, &u),
		OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(consent_user_from_uid(0, "remote:0", NULL, &u),
		OP_ERR_CONFIG);
	ASSERT_INT_EQ(consent_user_from_uid(0, ":0", "rel/xauth", &u),
		OP_ERR_CONFIG);
	ASSERT_INT_EQ(consent_user_from_uid(0, ":0", "/a\nb", &u),
		OP_ERR_CONFIG);
	ASSERT_STR_EQ(u.name, ""); /* zeroed on error */
}

/* ---- consent_ask with stand-in prompt scripts ---- */

struct outcome {
	int calls;
	enum consent_result r;
	char detail[400];
	struct consent *c;
};

static void
on_done(void *arg, enum consent_result r, const char *detail)
{
	struct outcome *o = arg;

	o->calls++;
	o->r = r;
	snprintf(o->detail, sizeof(o->detail), "%s", detail);
}

static void
write_script(const char *name, const char *body, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, script_mode);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
on_cancel_timer(uv_timer_t *t)
{
	struct outcome *o = t->data;

	consent_cancel(o->c);
	uv_close((uv_handle_t *)t, NULL);
}

/*
 * Runs one consent_ask against a script and the loop until every handle
 * is closed (child reaped, memory freed). cancel_ms > 0 cancels then.
 */
static int
ask_script(const char *body, unsigned timeout_ms, unsigned cancel_ms,
	const struct consent_user *as, struct outcome *o)
{
	static int seq;
	char name[32];
	char path[128];
	struct consent_user u;
	struct consent_request req = {
		.peer_id = "123456789",
		.peer_name = "Tech\nnewline",
		.source = "192.0.2.1:5000",
		.kind = "desktop",
		.permissions = "keyboard",
		.timeout_ms = timeout_ms,
	};
	uv_loop_t loop;
	uv_timer_t t;
	int r;

	memset(o, 0, sizeof(*o));
	snprintf(name, sizeof(name), "prompt%d", seq++);
	write_script(name, body, path, sizeof(path));
	if (as != NULL)
		u = *as;
	else if (consent_user_from_uid(getuid(), ":99", NULL, &u) != 0)
		return -1;
	uv_loop_init(&loop);
	r = consent_ask(&loop, path, &u, &req, on_done, o, &o->c);
	if (r == 0 && cancel_ms > 0) {
		uv_timer_init(&loop, &t);
		t.data = o;
		uv_timer_start(&t, on_cancel_timer, cancel_ms, 0);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		return -2; /* a handle was left open */
	return r;
}

static void
test_ask_answers(void)
{
	struct outcome o;

	ASSERT_INT_EQ(ask_script("cat >/dev/null; echo allow", 5000, 0, NULL,
			      &o),
		0);
	ASSERT_INT_EQ(o.calls, 1);
	ASSERT_INT_EQ(o.r, CONSENT_ALLOW);
	ASSERT_STR_CONTAINS(o.detail, "allowed by");
	ASSERT_INT_EQ(ask_script("echo deny", 5000, 0, NULL, &o), 0);
	ASSERT_INT_EQ(o.r, CONSENT_DENY);
	ASSERT_INT_EQ(ask_script("echo timeout", 5000, 0, NULL, &o), 0);
	ASSERT_INT_EQ(o.r, CONSENT_TIMEOUT);
	/* Anything but the exact words fails closed. */
	ASSERT_INT_EQ(ask_script("echo ALLOW", 5000, 0, NULL, &o), 0);
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
	ASSERT_INT_EQ(ask_script("echo 'allow '", 5000, 0, NULL, &o), 0);
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
	ASSERT_INT_EQ(ask_script("printf allow", 5000, 0, NULL, &o), 0);
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
	ASSERT_INT_EQ(ask_script("head -c 100000 /dev/zero; echo allow", 5000,
			      0, NULL, &o),
		0);
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
	ASSERT_INT_EQ(o.calls, 1);
	ASSERT_INT_EQ(ask_script("echo 'cannot open display' >&2; exit 69",
			      5000, 0, NULL, &o),
		0);
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
	ASSERT_STR_CONTAINS(o.detail, "could not open display :99");
	ASSERT_STR_CONTAINS(o.detail, "cannot open display");
	ASSERT_INT_EQ(ask_script("kill -9 $$", 5000, 0, NULL, &o), 0);
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
	ASSERT_STR_CONTAINS(o.detail, "signal 9");
	ASSERT_INT_EQ(ask_script("exit 0", 5000, 0, NULL, &o), 0);
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
}

static void
test_ask_timeout(void)
{
	struct outcome o;
	uint64_t t0 = mono_ms();

	/* Silence: the daemon's timer (1 s + 2 s grace) denies and kills. */
	ASSERT_INT_EQ(ask_script("exec sleep 30", 1000, 0, NULL, &o), 0);
	ASSERT_INT_EQ(o.calls, 1);
	ASSERT_INT_EQ(o.r, CONSENT_TIMEOUT);
	ASSERT(mono_ms() - t0 < 6000);
	/* It answered but never exits: still decided, then killed. */
	t0 = mono_ms();
	ASSERT_INT_EQ(ask_script("echo deny; exec sleep 30", 1000, 0, NULL,
			      &o),
		0);
	ASSERT_INT_EQ(o.r, CONSENT_DENY);
	ASSERT(mono_ms() - t0 < 6000);
}

static void
test_ask_cancel(void)
{
	struct outcome o;

	ASSERT_INT_EQ(ask_script("exec sleep 30", 20000, 100, NULL, &o), 0);
	ASSERT_INT_EQ(o.calls, 1);
	ASSERT_INT_EQ(o.r, CONSENT_CANCELLED);
}

/* What the child receives: argv, stdin, a bare environment, no fds. */
static void
test_ask_child_view(void)
{
	struct outcome o;
	char body[1024];
	char path[160];
	char buf[2048];
	FILE *f;
	size_t n;
	int canary;

	setenv("OP_CANARY_SECRET", "leak", 1);
	canary = dup2(open("/dev/null", O_RDONLY), 77); /* no CLOEXEC */
	ASSERT(canary == 77);
	snprintf(body, sizeof(body),
		"cat > %s/req; echo \"$@\" > %s/args; env > %s/env; "
		"ls /proc/$$/fd > %s/fds; echo deny",
		tmpdir, tmpdir, tmpdir, tmpdir);
	ASSERT_INT_EQ(ask_script(body, 7000, 0, NULL, &o), 0);
	close(canary);
	ASSERT_INT_EQ(o.r, CONSENT_DENY);

	snprintf(path, sizeof(path), "%s/req", tmpdir);
	ASSERT((f = fopen(path, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ASSERT_STR_EQ(buf, "peer_id=123456789\npeer_name=Tech?newline\n"
			   "source=192.0.2.1:5000\nkind=desktop\n"
			   "permissions=keyboard\n");
	snprintf(path, sizeof(path), "%s/args", tmpdir);
	ASSERT((f = fopen(path, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ASSERT_STR_EQ(buf, "consent-prompt --stdin --timeout=7\n");
	snprintf(path, sizeof(path), "%s/env", tmpdir);
	ASSERT((f = fopen(path, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ASSERT_STR_CONTAINS(buf, "DISPLAY=:99\n");
	ASSERT_STR_CONTAINS(buf, "PATH=/usr/bin:/bin\n");
	ASSERT_STR_CONTAINS(buf, "HOME=/");
	ASSERT_STR_CONTAINS(buf, "LANG=");
	ASSERT(strstr(buf, "OP_CANARY") == NULL);
	ASSERT(strstr(buf, "XAUTHORITY") == NULL);
	snprintf(path, sizeof(path), "%s/fds", tmpdir);
	ASSERT((f = fopen(path, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ASSERT(strstr(buf, "77\n") == NULL);
	unsetenv("OP_CANARY_SECRET");
}

/* As root: the prompt runs as nobody, with nobody's groups only, no new
 * privileges and no capabilities. The script answers deny only then. */
static void
test_ask_privilege_drop(void)
{
	struct outcome o;
	struct consent_user u;
	struct passwd *pw = getpwnam("nobody");

	if (geteuid() != 0 || pw == NULL) {
		fprintf(stderr, "SKIP test_ask_privilege_drop (needs root and "
				"user nobody)\n");
		return;
	}
	ASSERT_INT_EQ(consent_user_from_uid(pw->pw_uid, ":99", NULL, &u), 0);
	ASSERT_INT_EQ(ask_script(
			      "s=/proc/self/status; "
			      "[ \"$(id -u)\" = \"$(id -ru nobody)\" ] && "
			      "[ \"$(id -G)\" = \"$(id -G nobody)\" ] && "
			      "grep -q '^NoNewPrivs:.1' $s && "
			      "grep -q '^CapEff:.0000000000000000' $s && "
			      "echo deny || echo wrong",
			      5000, 0, &u, &o),
		0);
	ASSERT_STR_EQ(consent_result_name(o.r), "deny");
	/* Privileges are gone before execve: a root-only program fails. */
	script_mode = 0700;
	ASSERT_INT_EQ(ask_script("echo allow", 5000, 0, &u, &o), 0);
	script_mode = 0755;
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
	ASSERT_STR_CONTAINS(o.detail, "could not execute");
	ASSERT_STR_CONTAINS(o.detail, "execve failed, errno 13");
}

static void
test_ask_bad_args(void)
{
	struct consent_user u;
	struct consent_request req = { .timeout_ms = 1000 };
	struct consent *c = (struct consent *)&u;
	uv_loop_t loop;
	struct outcome o = { 0 };

	uv_loop_init(&loop);
	ASSERT_INT_EQ(consent_user_from_uid(getuid(), ":99", NULL, &u), 0);
	ASSERT_INT_EQ(consent_ask(&loop, "relative/outpost", &u, &req,
			      on_done, &o, &c),
		OP_ERR_CONFIG);
	ASSERT(c == NULL);
	ASSERT_INT_EQ(consent_ask(&loop, "/bin/true", &u, &req, NULL, &o, &c),
		OP_ERR_CONFIG);
	req.timeout_ms = 700000;
	ASSERT_INT_EQ(consent_ask(&loop, "/bin/true", &u, &req, on_done, &o,
			      &c),
		OP_ERR_RANGE);
	req.timeout_ms = 1000;
	strcpy(u.display, "host:0");
	ASSERT_INT_EQ(consent_ask(&loop, "/bin/true", &u, &req, on_done, &o,
			      &c),
		OP_ERR_CONFIG);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	ASSERT_INT_EQ(o.calls, 0);
	/* A missing program: an error, reported once. */
	ASSERT_INT_EQ(consent_user_from_uid(getuid(), ":99", NULL, &u), 0);
	uv_loop_init(&loop);
	ASSERT_INT_EQ(consent_ask(&loop, "/nonexistent/outpost", &u, &req,
			      on_done, &o, &c),
		0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	ASSERT_INT_EQ(o.calls, 1);
	ASSERT_INT_EQ(o.r, CONSENT_ERROR);
	ASSERT_STR_CONTAINS(o.detail, "could not execute");
}

static void
rm_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char p[160];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

/* Both windows' buttons: where they are, and what makes a click. */
static void
test_buttons(void)
{
	enum consent_button p = CONSENT_BUTTON_NONE;
	int ay = CONSENT_BTN_Y + CONSENT_BTN_H / 2;
	int ax = CONSENT_BTN_ALLOW_X + CONSENT_BTN_W / 2;
	int dx = CONSENT_BTN_DENY_X + CONSENT_BTN_W / 2;

	ASSERT_INT_EQ(consent_prompt_hit(ax, ay), CONSENT_BUTTON_ALLOW);
	ASSERT_INT_EQ(consent_prompt_hit(dx, ay), CONSENT_BUTTON_DENY);
	ASSERT_INT_EQ(consent_prompt_hit(CONSENT_BTN_ALLOW_X - 1, ay),
		CONSENT_BUTTON_NONE);
	ASSERT_INT_EQ(consent_prompt_hit(ax, CONSENT_BTN_Y + CONSENT_BTN_H),
		CONSENT_BUTTON_NONE);
	ASSERT_INT_EQ(consent_prompt_hit(-5, -5), CONSENT_BUTTON_NONE);
	/* press and release on Allow: a click */
	ASSERT_INT_EQ(consent_prompt_click(&p, CONSENT_BUTTON_ALLOW, true),
		CONSENT_BUTTON_NONE);
	ASSERT_INT_EQ(consent_prompt_click(&p, CONSENT_BUTTON_ALLOW, false),
		CONSENT_BUTTON_ALLOW);
	/* a release alone, or after a press elsewhere, clicks nothing */
	ASSERT_INT_EQ(consent_prompt_click(&p, CONSENT_BUTTON_ALLOW, false),
		CONSENT_BUTTON_NONE);
	(void)consent_prompt_click(&p, CONSENT_BUTTON_DENY, true);
	ASSERT_INT_EQ(consent_prompt_click(&p, CONSENT_BUTTON_ALLOW, false),
		CONSENT_BUTTON_NONE);
	/* a press dragged off the button and released outside: nothing,
	 * and the next release is no click either */
	(void)consent_prompt_click(&p, CONSENT_BUTTON_ALLOW, true);
	ASSERT_INT_EQ(consent_prompt_click(&p, CONSENT_BUTTON_NONE, false),
		CONSENT_BUTTON_NONE);
	ASSERT_INT_EQ(consent_prompt_click(&p, CONSENT_BUTTON_ALLOW, false),
		CONSENT_BUTTON_NONE);
	(void)consent_prompt_click(&p, CONSENT_BUTTON_DENY, true);
	ASSERT_INT_EQ(consent_prompt_click(&p, CONSENT_BUTTON_DENY, false),
		CONSENT_BUTTON_DENY);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/op-consent-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0755) != 0) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_sanitize);
	RUN(test_request_roundtrip);
	RUN(test_prompt_parse);
	RUN(test_environ);
	RUN(test_display_valid);
	RUN(test_pick_session);
	RUN(test_find_user);
	RUN(test_user_from_uid);
	RUN(test_ask_answers);
	RUN(test_ask_timeout);
	RUN(test_ask_cancel);
	RUN(test_ask_child_view);
	RUN(test_ask_privilege_drop);
	RUN(test_ask_bad_args);
	RUN(test_buttons);
	rm_tmpdir();
	return th_done();
}
