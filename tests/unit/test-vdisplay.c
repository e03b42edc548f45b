/* SPDX-License-Identifier: MIT */
/*
 * The display module with a real Xvfb on a uv loop: start, the session
 * command's environment, cookie enforcement (xcb with and without the
 * Xauthority file), stop (processes gone, files gone), a killed server
 * (lost), hostile -displayfd output from stand-in servers, bad configs,
 * and the pure helpers (displayfd parser, Xauthority bytes, xorg.conf).
 * As root the display runs as "outpost-display"; the non-root path is tested
 * in a child that drops to nobody itself. With the Xorg dummy driver
 * installed, the XORG_DUMMY backend is started for real too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>
#include <xcb/xcb.h>

#include "core/err.h"
#include "display/vdisplay-internal.h"
#include "display/vdisplay.h"
#include "th.h"

#define NOBODY_UID 65534
#define DISPLAY_USER "outpost-display"

static char tmpdir[64];
static char shared[128]; /* 01777: the session (maybe nobody) writes here */

struct res {
	int ready_calls;
	int status;
	int lost_calls;
};

static void
on_ready(void *arg, struct vdisplay *v, int status)
{
	struct res *r = arg;

	(void)v;
	r->ready_calls++;
	r->status = status;
}

static void
on_lost(void *arg, struct vdisplay *v)
{
	struct res *r = arg;

	(void)v;
	r->lost_calls++;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop until *flag becomes non-zero or ms pass. */
static void
run_until(uv_loop_t *loop, const int *flag, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (*flag == 0 && now_ms() < end) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(5000);
	}
}

static bool
gone(int pid)
{
	return pid > 0 && kill(pid, 0) == -1 && errno == ESRCH;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static long
proc_uid(int pid)
{
	char path[64], line[256];
	FILE *f;
	long uid = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Uid:", 4) == 0)
			uid = strtol(line + 4, NULL, 10);
	fclose(f);
	return uid;
}

/* Connects with XAUTHORITY=xauth; returns the root size or 0. */
static int
xcb_root_size(const char *name, const char *xauth, unsigned *w,
	unsigned *h)
{
	xcb_connection_t *c;
	const xcb_setup_t *setup;
	xcb_screen_t *s;
	int err;

	setenv("XAUTHORITY", xauth, 1);
	c = xcb_connect(name, NULL);
	unsetenv("XAUTHORITY");
	err = xcb_connection_has_error(c);
	if (err == 0) {
		setup = xcb_get_setup(c);
		s = xcb_setup_roots_iterator(setup).data;
		*w = s->width_in_pixels;
		*h = s->height_in_pixels;
	}
	xcb_disconnect(c);
	return err;
}

static void
test_parse(void)
{
	unsigned n = 7;

	ASSERT_INT_EQ(vdisplay__parse_displayfd("12\n", 3, &n), 0);
	ASSERT_INT_EQ(n, 12);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("0\n", 2, &n), 0);
	ASSERT_INT_EQ(n, 0);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("65535\n", 6, &n), 0);
	ASSERT_INT_EQ(n, 65535);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("", 0, &n),
		OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("12", 2, &n),
		OP_ERR_INCOMPLETE);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("65536\n", 6, &n),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("123456", 6, &n),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("\n", 1, &n), OP_ERR_PROTO);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("01\n", 3, &n),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("1\n2", 3, &n),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("x1\n", 3, &n),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("-1\n", 3, &n),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(vdisplay__parse_displayfd("1 \n", 3, &n),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(n, 0);
}

static void
test_xauth_bytes(void)
{
	static const uint8_t cookie[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 13, 14, 15, 16 };
	static const uint8_t want[] = {
		/* FamilyLocal, "host", "", name, cookie */
		0x01, 0x00, 0, 4, 'h', 'o', 's', 't', 0, 0, 0, 18, 'M', 'I',
		'T', '-', 'M', 'A', 'G', 'I', 'C', '-', 'C', 'O', 'O', 'K',
		'I', 'E', '-', '1', 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 13, 14, 15, 16,
		/* FamilyWild, "", "", name, cookie */
		0xff, 0xff, 0, 0, 0, 0, 0, 18, 'M', 'I', 'T', '-', 'M', 'A',
		'G', 'I', 'C', '-', 'C', 'O', 'O', 'K', 'I', 'E', '-', '1', 0,
		16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
	};
	uint8_t got[256];
	char path[192];
	struct stat st;
	int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	int fd;
	ssize_t n;

	ASSERT(dfd >= 0);
	ASSERT_INT_EQ(vdisplay__xauth_write(dfd, "xa", cookie, "host",
			      (uid_t)-1, 0),
		0);
	/* O_EXCL: never reuse an existing file. */
	ASSERT_INT_EQ(vdisplay__xauth_write(dfd, "xa", cookie, "host",
			      (uid_t)-1, 0),
		-EEXIST);
	/* O_NOFOLLOW: never write through a symlink. */
	ASSERT_INT_EQ(symlinkat("/tmp/vd-should-not-exist", dfd, "link"), 0);
	ASSERT(vdisplay__xauth_write(dfd, "link", cookie, "host", (uid_t)-1,
		       0) < 0);
	unlinkat(dfd, "link", 0);
	snprintf(path, sizeof(path), "%s/xa", tmpdir);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, 0600);
	fd = open(path, O_RDONLY);
	ASSERT(fd >= 0);
	n = read(fd, got, sizeof(got));
	close(fd);
	unlink(path);
	close(dfd);
	ASSERT_INT_EQ(n, sizeof(want));
	ASSERT_MEM_EQ(got, want, sizeof(want));
}

static void
test_xorg_conf(void)
{
	char buf[2048];
	int n = vdisplay__xorg_conf(buf, sizeof(buf), 1280, 800);

	ASSERT(n > 0);
	ASSERT_INT_EQ(strlen(buf), n);
	ASSERT_STR_CONTAINS(buf, "Driver \"dummy\"");
	ASSERT_STR_CONTAINS(buf, "Modeline \"1280x800\" 71.712 1280 1328 "
				 "1360 1440 800 803 809 830");
	ASSERT_STR_CONTAINS(buf, "Virtual 1280 800");
	ASSERT_STR_CONTAINS(buf, "Modes \"1280x800\"");
	ASSERT_STR_CONTAINS(buf, "\"AutoAddDevices\" \"false\"");
	/* 8192x8192: the clock is capped for the dummy driver's limit. */
	n = vdisplay__xorg_conf(buf, sizeof(buf), 8192, 8192);
	ASSERT(n > 0);
	ASSERT_STR_CONTAINS(buf, "Modeline \"8192x8192\" 290.000 8192");
	ASSERT_STR_CONTAINS(buf, "VideoRam 263168");
	ASSERT_STR_CONTAINS(buf, "Option \"ReducedBlanking\" \"true\"");
	/* 320x200: raised to the driver's minimum clock. */
	n = vdisplay__xorg_conf(buf, sizeof(buf), 320, 200);
	ASSERT(n > 0);
	ASSERT_STR_CONTAINS(buf, "Modeline \"320x200\" 12.000 320");
	ASSERT_INT_EQ(vdisplay__xorg_conf(buf, 100, 1280, 800),
		OP_ERR_TOO_LARGE);
}

static void
conf_init(struct vdisplay_conf *c, const char *rundir)
{
	memset(c, 0, sizeof(*c));
	c->backend = VDISPLAY_XVFB;
	c->width = 1280;
	c->height = 800;
	c->user = "";
	c->command = "";
	c->runtime_dir = rundir;
	c->server_path = "";
}

static void
test_bad_conf(void)
{
	uv_loop_t loop;
	struct vdisplay_conf c;
	struct vdisplay *v = (struct vdisplay *)&loop;
	struct res res = { 0 };
	char err[256];
	char rundir[192];

	snprintf(rundir, sizeof(rundir), "%s/rt-bad", tmpdir);
	uv_loop_init(&loop);
	conf_init(&c, rundir);
	c.width = c.height = 0;
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		OP_ERR_RANGE);
	ASSERT(v == NULL);
	ASSERT_STR_CONTAINS(err, "out of range");
	c.width = 99999;
	c.height = 10;
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		OP_ERR_RANGE);
	c.width = 8193;
	c.height = 800;
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		OP_ERR_RANGE);
	c.width = 1280;
	c.runtime_dir = "relative/dir";
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		OP_ERR_CONFIG);
	c.runtime_dir = rundir;
	if (geteuid() == 0) {
		c.user = "no-such-user-vdtest";
		ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost,
				      &res, &v, err, sizeof(err)),
			OP_ERR_NOT_FOUND);
		ASSERT_STR_CONTAINS(err, "no such user");
		c.user = "root";
		ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost,
				      &res, &v, err, sizeof(err)),
			OP_ERR_CONFIG);
		ASSERT_STR_CONTAINS(err, "refusing to run the virtual "
					 "display as root");
	}
	c.user = "";
	/* A bogus server: a clean error, nothing left behind. */
	c.server_path = "/nonexistent/Xvfb";
	{
		int r = vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			err, sizeof(err));

		if (r == 0) {
			run_until(&loop, &res.ready_calls, 5000);
			ASSERT_INT_EQ(res.ready_calls, 1);
			ASSERT(res.status < 0);
			vdisplay_stop(v);
		} else {
			ASSERT(v == NULL);
			ASSERT_INT_EQ(r, UV_ENOENT);
			ASSERT_STR_CONTAINS(err, "/nonexistent/Xvfb");
		}
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	ASSERT_INT_EQ(res.lost_calls, 0);
	ASSERT_INT_EQ(count_entries(rundir), 0);
}

/* A stand-in "X server": a script that misbehaves on the pipe. */
static void
bad_server(const char *script, int want, const char *want_err)
{
	uv_loop_t loop;
	struct vdisplay_conf c;
	struct vdisplay *v = NULL;
	struct res res = { 0 };
	char err[256], path[192], rundir[192];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/bin/server", tmpdir);
	snprintf(rundir, sizeof(rundir), "%s/rt-script", tmpdir);
	unlink(path);
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fprintf(f, "#!/bin/sh\n%s\n", script);
	fclose(f);
	chmod(path, 0755);
	uv_loop_init(&loop);
	conf_init(&c, rundir);
	c.server_path = path;
	c.command = "exit 0";
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		0);
	pid = vdisplay_server_pid(v);
	ASSERT(pid > 0);
	run_until(&loop, &res.ready_calls, 5000);
	ASSERT_INT_EQ(res.ready_calls, 1);
	ASSERT_INT_EQ(res.status, want);
	ASSERT_STR_CONTAINS(vdisplay_error(v), want_err);
	ASSERT_STR_EQ(vdisplay_name(v), "");
	ASSERT_INT_EQ(vdisplay_session_pid(v), 0);
	vdisplay_stop(v);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	ASSERT_INT_EQ(res.ready_calls, 1);
	ASSERT_INT_EQ(res.lost_calls, 0);
	ASSERT(gone(pid));
	ASSERT_INT_EQ(count_entries(rundir), 0);
}

static void
test_bad_servers(void)
{
	unsigned saved = vdisplay__start_timeout_ms;

	vdisplay__start_timeout_ms = 700;
	bad_server("printf 'x1\\n' >&3; exec sleep 60", OP_ERR_PROTO,
		"invalid display number");
	bad_server("printf '1234567890123456789' >&3; exec sleep 60",
		OP_ERR_PROTO, "invalid display number");
	bad_server("printf '99999\\n' >&3; exec sleep 60", OP_ERR_PROTO,
		"invalid display number");
	bad_server("exec sleep 60", -ETIMEDOUT, "did not report");
	bad_server("exec 3>&-; exec sleep 60", -ETIMEDOUT, "did not report");
	bad_server("exit 3", OP_ERR_GONE, "status 3");
	vdisplay__start_timeout_ms = saved;
}

/*
 * The whole life of a display. expect_uid: who the server, the session
 * and the Xauthority file must belong to.
 */
static void
full_run(const char *user, long expect_uid, const char *tag)
{
	uv_loop_t loop;
	struct vdisplay_conf c;
	struct vdisplay *v = NULL;
	struct res res = { 0 };
	char err[256], rundir[192], outfile[192], cmd[512], want[512];
	char got[512] = "", xauth[256], name[16];
	struct stat st;
	unsigned w = 0, h = 0;
	int spid, xpid, fd;
	uint64_t end;
	ssize_t n = 0;

	snprintf(rundir, sizeof(rundir), "%s/rt-%s", shared, tag);
	snprintf(outfile, sizeof(outfile), "%s/out-%s", shared, tag);
	snprintf(cmd, sizeof(cmd),
		"echo \"$DISPLAY $XAUTHORITY\" > %s; sleep 30", outfile);
	uv_loop_init(&loop);
	conf_init(&c, rundir);
	c.user = user;
	c.command = cmd;
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		0);
	ASSERT_STR_EQ(vdisplay_name(v), "");
	run_until(&loop, &res.ready_calls, 15000);
	ASSERT_INT_EQ(res.ready_calls, 1);
	ASSERT_INT_EQ(res.status, 0);
	snprintf(name, sizeof(name), "%s", vdisplay_name(v));
	snprintf(xauth, sizeof(xauth), "%s", vdisplay_xauthority(v));
	ASSERT(name[0] == ':');
	xpid = vdisplay_server_pid(v);
	spid = vdisplay_session_pid(v);
	ASSERT(xpid > 0);
	ASSERT(spid > 0);
	ASSERT_INT_EQ(proc_uid(xpid), expect_uid);
	ASSERT_INT_EQ(stat(xauth, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, 0600);
	ASSERT_INT_EQ(st.st_uid, expect_uid);
	ASSERT_INT_EQ(stat(rundir, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, geteuid() == 0 ? 0711 : 0700);

	/* The session command's view: DISPLAY and XAUTHORITY. */
	end = now_ms() + 5000;
	while (now_ms() < end) {
		uv_run(&loop, UV_RUN_NOWAIT);
		fd = open(outfile, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, got, sizeof(got) - 1);
			close(fd);
			if (n > 0 && got[n - 1] == '\n')
				break;
		}
		usleep(10000);
	}
	ASSERT(n > 0);
	got[n] = '\0';
	snprintf(want, sizeof(want), "%s %s\n", name, xauth);
	ASSERT_STR_EQ(got, want);
	ASSERT_INT_EQ(proc_uid(spid), expect_uid);

	/* The cookie opens the display; no cookie, no display. */
	ASSERT_INT_EQ(xcb_root_size(name, xauth, &w, &h), 0);
	ASSERT_INT_EQ(w, 1280);
	ASSERT_INT_EQ(h, 800);
	ASSERT(xcb_root_size(name, "/dev/null", &w, &h) != 0);

	vdisplay_stop(v);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	ASSERT(gone(xpid));
	ASSERT(gone(spid));
	ASSERT_INT_EQ(stat(xauth, &st), -1);
	ASSERT_INT_EQ(errno, ENOENT);
	ASSERT_INT_EQ(count_entries(rundir), 0);
	ASSERT_INT_EQ(res.lost_calls, 0);
	unlink(outfile);
}

/* The dedicated account the default runs as (sysusers.d; install-deps.sh
 * creates it on a test machine). */
static long
display_uid(void)
{
	struct passwd *pw = getpwnam(DISPLAY_USER);

	if (pw == NULL) {
		printf("no account %s: run packaging/install-deps.sh as root "
		       "(or systemd-sysusers service/systemd/outpost.sysusers)\n",
			DISPLAY_USER);
		return -1;
	}
	return (long)pw->pw_uid;
}

static void
test_full(void)
{
	if (geteuid() == 0) {
		long uid = display_uid();

		ASSERT(uid > 0);
		ASSERT(uid != NOBODY_UID);
		full_run("", uid, DISPLAY_USER);
	} else {
		full_run("someone-else", (long)geteuid(), "self");
	}
}

/* As root, the non-root code path in a child that is nobody itself. */
static void
test_full_unprivileged(void)
{
	pid_t pid;
	int st = 0;

	if (geteuid() != 0)
		return;
	fflush(NULL);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(NOBODY_UID) < 0 ||
			setuid(NOBODY_UID) < 0)
			_exit(2);
		th_cur_failed = 0;
		full_run("root", NOBODY_UID, "self");
		fflush(NULL);
		_exit(th_cur_failed ? 1 : 0);
	}
	ASSERT_INT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT(WIFEXITED(st));
	ASSERT_INT_EQ(WEXITSTATUS(st), 0);
}

static void
test_lost(void)
{
	uv_loop_t loop;
	struct vdisplay_conf c;
	struct vdisplay *v = NULL;
	struct res res = { 0 };
	char err[256], rundir[192], xauth[256];
	struct stat st;
	int xpid;

	snprintf(rundir, sizeof(rundir), "%s/rt-lost", shared);
	uv_loop_init(&loop);
	conf_init(&c, rundir);
	c.width = 640;
	c.height = 480;
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		0);
	run_until(&loop, &res.ready_calls, 15000);
	ASSERT_INT_EQ(res.status, 0);
	ASSERT_INT_EQ(vdisplay_session_pid(v), 0);
	xpid = vdisplay_server_pid(v);
	snprintf(xauth, sizeof(xauth), "%s", vdisplay_xauthority(v));
	ASSERT(xpid > 0);
	ASSERT_INT_EQ(kill(xpid, SIGKILL), 0);
	run_until(&loop, &res.lost_calls, 5000);
	ASSERT_INT_EQ(res.lost_calls, 1);
	ASSERT_STR_CONTAINS(vdisplay_error(v), "signal 9");
	ASSERT_INT_EQ(vdisplay_server_pid(v), 0);
	vdisplay_stop(v);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	ASSERT_INT_EQ(res.lost_calls, 1);
	ASSERT_INT_EQ(stat(xauth, &st), -1);
	ASSERT(gone(xpid));
}

/* Stopping before the server is ready: no callback at all. */
static void
test_stop_early(void)
{
	uv_loop_t loop;
	struct vdisplay_conf c;
	struct vdisplay *v = NULL;
	struct res res = { 0 };
	char err[256], rundir[192];
	int xpid;

	snprintf(rundir, sizeof(rundir), "%s/rt-early", shared);
	uv_loop_init(&loop);
	conf_init(&c, rundir);
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		0);
	xpid = vdisplay_server_pid(v);
	vdisplay_stop(v);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	ASSERT_INT_EQ(res.ready_calls, 0);
	ASSERT_INT_EQ(res.lost_calls, 0);
	ASSERT(gone(xpid));
	ASSERT_INT_EQ(count_entries(rundir), 0);
}

static void
test_xorg_dummy(void)
{
	uv_loop_t loop;
	struct vdisplay_conf c;
	struct vdisplay *v = NULL;
	struct res res = { 0 };
	char err[256], rundir[192], name[16], xauth[256];
	unsigned w = 0, h = 0, w2 = 0, h2 = 0;
	int xpid, with, without;
	long uid;

	if (access("/usr/lib/xorg/modules/drivers/dummy_drv.so", R_OK) != 0) {
		printf("SKIP test_xorg_dummy: no Xorg dummy driver\n");
		return;
	}
	snprintf(rundir, sizeof(rundir), "%s/rt-xorg", shared);
	uv_loop_init(&loop);
	conf_init(&c, rundir);
	c.backend = VDISPLAY_XORG_DUMMY;
	c.width = 1024;
	c.height = 768;
	ASSERT_INT_EQ(vdisplay_start(&loop, &c, on_ready, on_lost, &res, &v,
			      err, sizeof(err)),
		0);
	run_until(&loop, &res.ready_calls, 15000);
	ASSERT_INT_EQ(res.ready_calls, 1);
	ASSERT_INT_EQ(res.status, 0);
	xpid = vdisplay_server_pid(v);
	snprintf(name, sizeof(name), "%s", vdisplay_name(v));
	snprintf(xauth, sizeof(xauth), "%s", vdisplay_xauthority(v));
	uid = proc_uid(xpid);
	with = xcb_root_size(name, xauth, &w, &h);
	without = xcb_root_size(name, "/dev/null", &w2, &h2);
	/* Stop first, so a failed assertion leaves no server behind. */
	vdisplay_stop(v);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_INT_EQ(uv_loop_close(&loop), 0);
	if (geteuid() == 0)
		ASSERT_INT_EQ(uid, display_uid());
	ASSERT_INT_EQ(with, 0);
	ASSERT_INT_EQ(w, 1024);
	ASSERT_INT_EQ(h, 768);
	ASSERT(without != 0);
	ASSERT(gone(xpid));
	ASSERT_INT_EQ(count_entries(rundir), 0);
}

static void
rm_tree(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int
main(void)
{
	char bin[160];

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vdtest-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0755) < 0)
		return 1;
	snprintf(shared, sizeof(shared), "%s/shared", tmpdir);
	snprintf(bin, sizeof(bin), "%s/bin", tmpdir);
	if (mkdir(shared, 0755) < 0 || chmod(shared, 01777) < 0 ||
		mkdir(bin, 0755) < 0)
		return 1;
	RUN(test_parse);
	RUN(test_xauth_bytes);
	RUN(test_xorg_conf);
	RUN(test_bad_conf);
	RUN(test_bad_servers);
	RUN(test_stop_early);
	RUN(test_full);
	RUN(test_full_unprivileged);
	RUN(test_lost);
	RUN(test_xorg_dummy);
	rm_tree(tmpdir);
	return th_done();
}
