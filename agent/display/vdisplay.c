/* SPDX-License-Identifier: MIT */
/*
 * Runs a private X server (Xvfb, or Xorg with the dummy driver) and an
 * optional session command in it, both started with uv_spawn (argv arrays,
 * no shell for the server) as an unprivileged user when we are root.
 *
 * Files: each display gets its own directory <runtime_dir>/vd-<hex>,
 * owned by the run user, mode 0700, holding the Xauthority file (and for
 * Xorg its config and log: Xorg renames its old log, so it needs a
 * directory it may write). When we are root, runtime_dir itself stays
 * root-owned with mode 0711: the user can reach its own subdirectory but
 * cannot list or rename anything in runtime_dir, so the names we later
 * unlink as root are ours. This matters for more than tidiness: an X
 * server that cannot read its -auth file accepts every local client, so
 * before spawning we also check that every directory on the way is
 * searchable by the user.
 *
 * The display number arrives on a pipe (-displayfd 3); at most 16 bytes
 * are read and they must be digits and '\n'. Nothing is polled: exits
 * are libuv exit callbacks, the start is bounded by a 15 s timer.
 *
 * Not done here: deciding when to start or stop (the owner does), and
 * restarting a session command that exited.
 */
#include "display/vdisplay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/err.h"
#include "core/log.h"
#include "display/vdisplay-internal.h"

#define KILL_MS 3000
#define ERR_MAX 256
#define XAUTH_NAME "Xauthority"
#define XORG_CONF_NAME "xorg.conf"
#define XORG_LOG_NAME "xorg.log"
#define X11_UNIX_DIR "/tmp/.X11-unix"
#define CLEAN_PATH "/usr/local/bin:/usr/bin:/bin"
#define XORG_DIRECT "/usr/lib/xorg/Xorg"
#define ENV_MAX 10

unsigned vdisplay__start_timeout_ms = 15000;

enum vd_state {
	VD_STARTING,
	VD_READY,
	VD_FAILED,
};

struct vdisplay {
	uv_loop_t *loop;
	vdisplay_ready_fn ready;
	vdisplay_lost_fn lost;
	void *arg;
	enum vd_state state;
	bool stopping;
	bool finishing;
	bool server_running;
	bool session_running;
	bool pipe_open;
	int handles; /* initialised handles not yet closed */

	uv_process_t server;
	uv_process_t session;
	uv_pipe_t fdpipe;
	uv_timer_t start_timer;
	uv_timer_t kill_timer;
	char rbuf[VDISPLAY_DISPLAYFD_MAX];
	size_t rlen;

	int rundir_fd;
	int inst_fd;
	char inst_name[32];
	bool xorg;
	char *command;
	char *env[ENV_MAX];
	char home[PATH_MAX];
	uid_t uid;
	gid_t gid;
	bool setid;

	char name[16];
	char xauth[PATH_MAX];
	char error[ERR_MAX];
};

static void
set_error(struct vdisplay *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
set_error(struct vdisplay *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->error, sizeof(v->error), fmt, ap);
	va_end(ap);
}

static void
on_close(uv_handle_t *h)
{
	struct vdisplay *v = h->data;
	int i;

	if (--v->handles > 0 || !v->finishing)
		return;
	for (i = 0; i < ENV_MAX; i++)
		free(v->env[i]);
	free(v->command);
	free(v);
}

static void
close_handle(struct vdisplay *v, uv_handle_t *h)
{
	(void)v;
	if (!uv_is_closing(h))
		uv_close(h, on_close);
}

static void
close_pipe(struct vdisplay *v)
{
	if (!v->pipe_open)
		return;
	v->pipe_open = false;
	uv_read_stop((uv_stream_t *)&v->fdpipe);
	close_handle(v, (uv_handle_t *)&v->fdpipe);
}

/* Removes only the names we created; unlinkat never follows a link. */
static void
remove_files(struct vdisplay *v)
{
	static const char *const names[] = { XAUTH_NAME, XORG_CONF_NAME,
		XORG_LOG_NAME, XORG_LOG_NAME ".old" };
	size_t i;

	if (v->inst_fd >= 0) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			unlinkat(v->inst_fd, names[i], 0);
		close(v->inst_fd);
		v->inst_fd = -1;
	}
	if (v->rundir_fd >= 0) {
		if (v->inst_name[0] != '\0' &&
			unlinkat(v->rundir_fd, v->inst_name, AT_REMOVEDIR) <
				0 &&
			errno != ENOENT)
			log_warn_r(-errno, "remove %s", v->inst_name);
		close(v->rundir_fd);
		v->rundir_fd = -1;
	}
}

/* Frees v once both processes are reaped: every handle is closed first. */
static void
maybe_finish(struct vdisplay *v)
{
	if (!v->stopping || v->finishing || v->server_running ||
		v->session_running)
		return;
	v->finishing = true;
	remove_files(v);
	close_pipe(v);
	close_handle(v, (uv_handle_t *)&v->start_timer);
	close_handle(v, (uv_handle_t *)&v->kill_timer);
}

/* The session runs in its own process group (setsid): signal all of it,
 * but only while its leader is unreaped, so the id cannot be reused. */
static void
signal_session(struct vdisplay *v, int sig)
{
	if (v->session_running && kill(-v->session.pid, sig) < 0)
		uv_process_kill(&v->session, sig);
}

static void
fail_start(struct vdisplay *v, int r)
{
	if (v->state != VD_STARTING)
		return;
	v->state = VD_FAILED;
	uv_timer_stop(&v->start_timer);
	close_pipe(v);
	if (v->server_running)
		uv_process_kill(&v->server, SIGKILL);
	if (!v->stopping)
		v->ready(v->arg, v, r);
}

static void
on_session_exit(uv_process_t *p, int64_t status, int sig)
{
	struct vdisplay *v = p->data;

	v->session_running = false;
	if (!v->stopping)
		log_info("display %s: session command exited (status %lld, "
			 "signal %d)",
			v->name, (long long)status, sig);
	close_handle(v, (uv_handle_t *)p);
	maybe_finish(v);
}

static void
on_server_exit(uv_process_t *p, int64_t status, int sig)
{
	struct vdisplay *v = p->data;

	v->server_running = false;
	close_handle(v, (uv_handle_t *)p);
	if (v->state == VD_STARTING) {
		set_error(v, "X server exited before it was ready (status "
			     "%lld, signal %d)",
			(long long)status, sig);
		fail_start(v, OP_ERR_GONE);
	} else if (v->state == VD_READY && !v->stopping) {
		set_error(v, "X server on %s exited (status %lld, signal %d)",
			v->name, (long long)status, sig);
		log_warn("%s", v->error);
		v->lost(v->arg, v);
	}
	maybe_finish(v);
}

static void
spawn_session(struct vdisplay *v)
{
	uv_process_options_t o;
	uv_stdio_container_t stdio[3];
	char disp[32];
	char *args[] = { "sh", "-c", v->command, NULL };
	int i, r;

	/* DISPLAY is the one variable that is known only now. */
	snprintf(disp, sizeof(disp), "DISPLAY=%s", v->name);
	for (i = 0; i < ENV_MAX - 1 && v->env[i] != NULL; i++)
		;
	v->env[i] = strdup(disp);
	if (v->env[i] == NULL) {
		log_error("display %s: no memory for the session", v->name);
		return;
	}
	memset(&o, 0, sizeof(o));
	for (i = 0; i < 3; i++)
		stdio[i].flags = UV_IGNORE;
	o.exit_cb = on_session_exit;
	o.file = "/bin/sh";
	o.args = args;
	o.env = v->env;
	o.cwd = v->home;
	o.stdio = stdio;
	o.stdio_count = 3;
	/* Its own process group, so stop reaches its children too. */
	o.flags = UV_PROCESS_DETACHED;
	if (v->setid) {
		o.flags |= UV_PROCESS_SETUID | UV_PROCESS_SETGID;
		o.uid = v->uid;
		o.gid = v->gid;
	}
	r = uv_spawn(v->loop, &v->session, &o);
	v->handles++; /* uv_spawn initialises the handle even on failure */
	v->session.data = v;
	if (r < 0) {
		log_error_r(r, "display %s: start the session command",
			v->name);
		close_handle(v, (uv_handle_t *)&v->session);
		return;
	}
	v->session_running = true;
	log_info("display %s: session command started (pid %d)", v->name,
		v->session.pid);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct vdisplay *v = h->data;

	(void)hint;
	buf->base = v->rbuf + v->rlen;
	buf->len = sizeof(v->rbuf) - v->rlen;
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct vdisplay *v = s->data;
	unsigned num = 0;
	int r;

	(void)buf;
	if (nread == 0)
		return;
	if (nread < 0) {
		/* EOF without a number: the exit callback (or the timer)
		 * reports it, with a better reason than we have here. */
		close_pipe(v);
		return;
	}
	v->rlen += (size_t)nread;
	r = vdisplay__parse_displayfd(v->rbuf, v->rlen, &num);
	if (r == OP_ERR_INCOMPLETE)
		return;
	if (r != 0) {
		set_error(v, "X server wrote an invalid display number");
		fail_start(v, r);
		return;
	}
	close_pipe(v);
	uv_timer_stop(&v->start_timer);
	snprintf(v->name, sizeof(v->name), ":%u", num);
	v->state = VD_READY;
	log_info("virtual display %s ready (pid %d)", v->name,
		v->server.pid);
	if (v->command != NULL)
		spawn_session(v);
	v->ready(v->arg, v, 0);
}

static void
on_start_timeout(uv_timer_t *t)
{
	struct vdisplay *v = t->data;

	set_error(v, "X server did not report a display within %u ms",
		vdisplay__start_timeout_ms);
	fail_start(v, -ETIMEDOUT);
}

static void
on_kill_timeout(uv_timer_t *t)
{
	struct vdisplay *v = t->data;

	if (v->server_running)
		uv_process_kill(&v->server, SIGKILL);
	signal_session(v, SIGKILL);
}

int
vdisplay__parse_displayfd(const char *buf, size_t n, unsigned *num)
{
	unsigned long val = 0;
	size_t i;

	*num = 0;
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			break;
		if (buf[i] < '0' || buf[i] > '9' || i >= 5 ||
			(i == 1 && buf[0] == '0'))
			return OP_ERR_PROTO;
		val = val * 10 + (unsigned long)(buf[i] - '0');
	}
	if (i == n)
		return OP_ERR_INCOMPLETE;
	if (i == 0 || i + 1 != n || val > VDISPLAY_MAX_NUMBER)
		return OP_ERR_PROTO;
	*num = (unsigned)val;
	return 0;
}

/* Who the processes run as, and the session's HOME, USER... */
static int
resolve_user(struct vdisplay *v, const char *user, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	const char *name = user == NULL || user[0] == '\0' ?
		"outpost-display" :
		user;
	bool root = geteuid() == 0;
	struct stat st;
	int r;

	if (root)
		r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	else
		r = getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res);
	if (r != 0 || res == NULL) {
		snprintf(err, errlen, "no such user: %s%s",
			root ? name : "(current user)",
			root && strcmp(name, "outpost-display") == 0 ?
				" (the packages create it; from a build tree "
				"run: systemd-sysusers service/systemd/"
				"outpost.sysusers)" :
				"");
		return r != 0 ? -r : OP_ERR_NOT_FOUND;
	}
	if (root && pw.pw_uid == 0) {
		snprintf(err, errlen,
			"refusing to run the virtual display as root (user "
			"%s)",
			name);
		return OP_ERR_CONFIG;
	}
	if (!root && user != NULL && user[0] != '\0' &&
		strcmp(user, pw.pw_name) != 0)
		log_notice("not root: the virtual display runs as %s, not %s",
			pw.pw_name, user);
	v->setid = root;
	v->uid = pw.pw_uid;
	v->gid = pw.pw_gid;
	if (pw.pw_dir != NULL && pw.pw_dir[0] == '/' &&
		strlen(pw.pw_dir) < sizeof(v->home) && stat(pw.pw_dir, &st) == 0 &&
		S_ISDIR(st.st_mode))
		snprintf(v->home, sizeof(v->home), "%s", pw.pw_dir);
	else
		snprintf(v->home, sizeof(v->home), "/");
	if (asprintf(&v->env[0], "PATH=%s", CLEAN_PATH) < 0 ||
		asprintf(&v->env[1], "HOME=%s", v->home) < 0 ||
		asprintf(&v->env[2], "USER=%s", pw.pw_name) < 0 ||
		asprintf(&v->env[3], "LOGNAME=%s", pw.pw_name) < 0 ||
		asprintf(&v->env[4], "SHELL=%s", vdisplay__usable_shell(pw.pw_shell)) <
			0 ||
		asprintf(&v->env[5], "LANG=C.UTF-8") < 0 ||
		asprintf(&v->env[6], "XAUTHORITY=%s", v->xauth) < 0) {
		snprintf(err, errlen, "out of memory");
		return OP_ERR_NOMEM;
	}
	return 0;
}

static int
open_rundir(struct vdisplay *v, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	bool root = geteuid() == 0;
	/* Root: 0711 lets the user reach its own subdirectory, nothing
	 * more. Otherwise everything belongs to us: 0700. */
	mode_t mode = root ? 0711 : 0700;
	bool created = false;

	if (dir == NULL || dir[0] != '/' || strlen(dir) > PATH_MAX - 64) {
		snprintf(err, errlen, "runtime_dir must be an absolute path");
		return OP_ERR_CONFIG;
	}
	if (mkdir(dir, mode) == 0)
		created = true;
	else if (errno != EEXIST) {
		snprintf(err, errlen, "create %s: %s", dir, strerror(errno));
		return -errno;
	}
	v->rundir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	if (v->rundir_fd < 0 || fstat(v->rundir_fd, &st) < 0) {
		snprintf(err, errlen, "open %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (created && fchmod(v->rundir_fd, mode) < 0) {
		snprintf(err, errlen, "chmod %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		snprintf(err, errlen,
			"%s must be owned by us and not group/world writable",
			dir);
		return OP_ERR_PERM;
	}
	if (root)
		return vdisplay__check_path_searchable(dir, v->uid, v->gid, err, errlen);
	return 0;
}

/* The per-display directory and its files, owned by the run user. */
static int
make_files(struct vdisplay *v, const struct vdisplay_conf *conf,
	const char *dir, char *err, size_t errlen)
{
	uint8_t rnd[8], cookie[VDISPLAY_COOKIE_LEN];
	char host[256];
	char text[2048];
	uid_t cu = v->setid ? v->uid : (uid_t)-1;
	int r, n, fd;

	randombytes_buf(rnd, sizeof(rnd));
	snprintf(v->inst_name, sizeof(v->inst_name), "vd-");
	sodium_bin2hex(v->inst_name + 3, sizeof(v->inst_name) - 3, rnd,
		sizeof(rnd));
	if (mkdirat(v->rundir_fd, v->inst_name, 0700) < 0) {
		r = -errno;
		v->inst_name[0] = '\0';
		snprintf(err, errlen, "create a directory in %s: %s", dir,
			strerror(-r));
		return r;
	}
	v->inst_fd = openat(v->rundir_fd, v->inst_name,
		O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (v->inst_fd < 0 || fchmod(v->inst_fd, 0700) < 0) {
		r = -errno;
		snprintf(err, errlen, "open %s/%s: %s", dir, v->inst_name,
			strerror(-r));
		return r;
	}
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	randombytes_buf(cookie, sizeof(cookie));
	r = vdisplay__xauth_write(v->inst_fd, XAUTH_NAME, cookie, host, cu,
		v->gid);
	sodium_memzero(cookie, sizeof(cookie));
	if (r < 0) {
		snprintf(err, errlen, "write the Xauthority file: %s",
			op_strerror(r));
		return r;
	}
	if (conf->backend == VDISPLAY_XORG_DUMMY) {
		n = vdisplay__xorg_conf(text, sizeof(text), conf->width,
			conf->height);
		if (n < 0)
			return n;
		fd = openat(v->inst_fd, XORG_CONF_NAME,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);
		if (fd < 0 || (cu != (uid_t)-1 && fchown(fd, cu, v->gid) < 0) ||
			write(fd, text, (size_t)n) != n) {
			r = -errno;
			if (fd >= 0)
				close(fd);
			snprintf(err, errlen, "write %s: %s", XORG_CONF_NAME,
				strerror(-r));
			return r;
		}
		close(fd);
	}
	/* Last, so the user gets the directory only once it is complete. */
	if (cu != (uid_t)-1 && fchown(v->inst_fd, cu, v->gid) < 0) {
		r = -errno;
		snprintf(err, errlen, "chown %s: %s", v->inst_name,
			strerror(-r));
		return r;
	}
	return 0;
}

/* A non-root X server cannot create the socket directory itself. */
static void
ensure_x11_unix(void)
{
	struct stat st;

	if (lstat(X11_UNIX_DIR, &st) == 0)
		return;
	if (mkdir(X11_UNIX_DIR, 01777) < 0 || chmod(X11_UNIX_DIR, 01777) < 0)
		log_warn_r(-errno, "create %s", X11_UNIX_DIR);
}

static int
spawn_server(struct vdisplay *v, const struct vdisplay_conf *conf,
	const char *dir, int wfd, char *err, size_t errlen)
{
	uv_process_options_t o;
	uv_stdio_container_t stdio[4];
	char geom[48], xconf[PATH_MAX], xlog[PATH_MAX];
	const char *path = conf->server_path;
	char *xvfb[] = { "Xvfb", "-displayfd", "3", "-nolisten", "tcp",
		"-noreset", "-auth", v->xauth, "-screen", "0", geom, NULL };
	char *xorg[] = { "Xorg", "-noreset", "-nolisten", "tcp",
		"-displayfd", "3", "-auth", v->xauth, "-config", xconf,
		"-logfile", xlog, NULL };
	char *env[ENV_MAX];
	int i, r;

	snprintf(geom, sizeof(geom), "%ux%ux24", conf->width, conf->height);
	snprintf(xconf, sizeof(xconf), "%s/%s/%s", dir, v->inst_name,
		XORG_CONF_NAME);
	snprintf(xlog, sizeof(xlog), "%s/%s/%s", dir, v->inst_name,
		XORG_LOG_NAME);
	if (path == NULL || path[0] == '\0') {
		/* Debian's /usr/bin/Xorg is a shell wrapper; skip it. */
		if (v->xorg)
			path = access(XORG_DIRECT, X_OK) == 0 ? XORG_DIRECT :
								 "Xorg";
		else
			path = "Xvfb";
	}
	/* The server gets the clean environment minus XAUTHORITY. */
	for (i = 0; i < 6; i++)
		env[i] = v->env[i];
	env[i] = NULL;
	memset(&o, 0, sizeof(o));
	for (i = 0; i < 3; i++)
		stdio[i].flags = UV_IGNORE;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = wfd;
	o.exit_cb = on_server_exit;
	o.file = path;
	o.args = v->xorg ? xorg : xvfb;
	o.env = env;
	o.cwd = "/";
	o.stdio = stdio;
	o.stdio_count = 4;
	if (v->setid) {
		o.flags = UV_PROCESS_SETUID | UV_PROCESS_SETGID;
		o.uid = v->uid;
		o.gid = v->gid;
	}
	r = uv_spawn(v->loop, &v->server, &o);
	v->handles++;
	v->server.data = v;
	if (r < 0) {
		snprintf(err, errlen, "start %s: %s", path, uv_strerror(r));
		close_handle(v, (uv_handle_t *)&v->server);
		return r;
	}
	v->server_running = true;
	return 0;
}

int
vdisplay_start(uv_loop_t *loop, const struct vdisplay_conf *conf,
	vdisplay_ready_fn ready, vdisplay_lost_fn lost, void *arg,
	struct vdisplay **out, char *err, size_t errlen)
{
	struct vdisplay *v = NULL;
	uv_file fds[2] = { -1, -1 };
	char scratch[ERR_MAX];
	int r = OP_ERR_INTERNAL;

	*out = NULL;
	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = '\0';
	if (conf->width < 320 || conf->width > 8192 || conf->height < 200 ||
		conf->height > 8192) {
		snprintf(err, errlen, "display size %ux%u out of range",
			conf->width, conf->height);
		return OP_ERR_RANGE;
	}
	if (conf->backend != VDISPLAY_XVFB &&
		conf->backend != VDISPLAY_XORG_DUMMY) {
		snprintf(err, errlen, "unknown display backend");
		return OP_ERR_CONFIG;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return OP_ERR_NOMEM;
	v->loop = loop;
	v->ready = ready;
	v->lost = lost;
	v->arg = arg;
	v->rundir_fd = v->inst_fd = -1;
	v->xorg = conf->backend == VDISPLAY_XORG_DUMMY;
	if (conf->command != NULL && conf->command[0] != '\0' &&
		(v->command = strdup(conf->command)) == NULL) {
		r = OP_ERR_NOMEM;
		goto fail;
	}
	if (sodium_init() < 0) {
		r = OP_ERR_INTERNAL;
		goto fail;
	}
	/* XAUTHORITY (env[6]) is set again once the directory exists. */
	if ((r = resolve_user(v, conf->user, err, errlen)) != 0 ||
		(r = open_rundir(v, conf->runtime_dir, err, errlen)) != 0 ||
		(r = make_files(v, conf, conf->runtime_dir, err, errlen)) != 0)
		goto fail;
	snprintf(v->xauth, sizeof(v->xauth), "%s/%s/%s", conf->runtime_dir,
		v->inst_name, XAUTH_NAME);
	free(v->env[6]);
	if (asprintf(&v->env[6], "XAUTHORITY=%s", v->xauth) < 0) {
		v->env[6] = NULL;
		r = OP_ERR_NOMEM;
		goto fail;
	}
	ensure_x11_unix();

	if ((r = uv_pipe(fds, 0, 0)) != 0) {
		snprintf(err, errlen, "pipe: %s", uv_strerror(r));
		goto fail;
	}
	uv_timer_init(loop, &v->start_timer);
	uv_timer_init(loop, &v->kill_timer);
	uv_pipe_init(loop, &v->fdpipe, 0);
	v->handles += 3;
	v->pipe_open = true;
	v->start_timer.data = v->kill_timer.data = v->fdpipe.data = v;
	if ((r = uv_pipe_open(&v->fdpipe, fds[0])) != 0) {
		snprintf(err, errlen, "pipe: %s", uv_strerror(r));
		goto fail_loop;
	}
	fds[0] = -1;
	r = spawn_server(v, conf, conf->runtime_dir, fds[1], err, errlen);
	close(fds[1]);
	fds[1] = -1;
	if (r != 0)
		goto fail_loop;
	if ((r = uv_read_start((uv_stream_t *)&v->fdpipe, on_alloc,
		     on_read)) != 0 ||
		(r = uv_timer_start(&v->start_timer, on_start_timeout,
			 vdisplay__start_timeout_ms, 0)) != 0) {
		snprintf(err, errlen, "watch the X server: %s",
			uv_strerror(r));
		uv_process_kill(&v->server, SIGKILL);
		goto fail_loop;
	}
	*out = v;
	return 0;

fail_loop:
	/* Handles exist: tear down through the normal stop path, with no
	 * callback (the caller sees the error instead). */
	if (fds[0] >= 0)
		close(fds[0]);
	v->state = VD_FAILED;
	v->stopping = true;
	maybe_finish(v);
	return r;
fail:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	remove_files(v);
	for (int i = 0; i < ENV_MAX; i++)
		free(v->env[i]);
	free(v->command);
	free(v);
	return r;
}

const char *
vdisplay_name(const struct vdisplay *v)
{
	return v->state == VD_READY ? v->name : "";
}

const char *
vdisplay_xauthority(const struct vdisplay *v)
{
	return v->xauth;
}

uid_t
vdisplay_xauthority_owner(const struct vdisplay *v)
{
	return v->setid ? v->uid : geteuid();
}

const char *
vdisplay_error(const struct vdisplay *v)
{
	return v->error;
}

int
vdisplay_server_pid(const struct vdisplay *v)
{
	return v->server_running ? v->server.pid : 0;
}

int
vdisplay_session_pid(const struct vdisplay *v)
{
	return v->session_running ? v->session.pid : 0;
}

void
vdisplay_stop(struct vdisplay *v)
{
	if (v == NULL || v->stopping)
		return;
	v->stopping = true;
	uv_timer_stop(&v->start_timer);
	close_pipe(v);
	if (v->server_running)
		uv_process_kill(&v->server, SIGTERM);
	signal_session(v, SIGTERM);
	if (v->server_running || v->session_running)
		uv_timer_start(&v->kill_timer, on_kill_timeout, KILL_MS, 0);
	maybe_finish(v);
}
