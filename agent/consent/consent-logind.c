/* SPDX-License-Identifier: MIT */
/*
 * Who sits at the machine: the active local graphical logind session,
 * its X display and X authority file, and the user's identity and groups.
 *
 * We read logind's state with sd-login, which reads the files logind
 * keeps in /run/systemd (the same data org.freedesktop.login1 serves on
 * the bus): no D-Bus round trip that could hang the caller, and no
 * process is ever spawned (field notes S13; RustDesk's loginctl/ps loops,
 * #6038 and #16312, are what we avoid). The environment of the user's own
 * processes (/proc/PID/environ) supplies XAUTHORITY, and DISPLAY for
 * wayland sessions (Xwayland). Without logind nobody is present.
 *
 * It must not guess: no session means OP_ERR_NOT_FOUND, and a present
 * user we cannot reach is OP_ERR_UNSUPPORTED, never "absent".
 */
#include "consent/consent.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "consent/consent-internal.h"
#include "core/err.h"
#include "core/log.h"

#define MAX_SESSIONS 64
#define ENVIRON_MAX (64 * 1024)
#define PROC_SCAN_MAX 4096
#define XAUTH_MAX sizeof(((struct consent_user *)0)->xauthority)

bool
consent__display_valid(const char *d)
{
	const char *p = d;

	if (p == NULL || *p++ != ':' || !isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0' && p - d < 16;
}

/* ":0" and ":0.0" name the same server. */
static bool
same_display(const char *a, const char *b)
{
	size_t la = strcspn(a, ".");
	size_t lb = strcspn(b, ".");

	return la == lb && memcmp(a, b, la) == 0;
}

static bool
xauth_valid(const char *x)
{
	if (x[0] != '/' || strlen(x) >= XAUTH_MAX)
		return false;
	for (const char *p = x; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int
consent__environ_get(const char *env, size_t len, const char *name,
	char *out, size_t out_size)
{
	size_t nl = strlen(name);
	size_t i = 0;

	while (i < len) {
		const char *e = env + i;
		const char *z = memchr(e, '\0', len - i);
		size_t el = z ? (size_t)(z - e) : len - i;

		if (el > nl && memcmp(e, name, nl) == 0 && e[nl] == '=') {
			size_t vl = el - nl - 1;

			if (vl + 1 > out_size)
				return OP_ERR_TOO_LARGE;
			memcpy(out, e + nl + 1, vl);
			out[vl] = '\0';
			return 0;
		}
		i += el + 1;
	}
	return OP_ERR_NOT_FOUND;
}

int
consent__pick_session(const struct consent__session *s, size_t n)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		if (s[i].klass == NULL || strcmp(s[i].klass, "user") != 0)
			continue;
		if (s[i].state == NULL || strcmp(s[i].state, "active") != 0)
			continue;
		if (s[i].remote || s[i].type == NULL)
			continue;
		if (strcmp(s[i].type, "x11") != 0 &&
			strcmp(s[i].type, "wayland") != 0)
			continue;
		if (s[i].seat_active)
			return (int)i;
		if (best < 0)
			best = (int)i;
	}
	return best;
}

/* The identity part of consent_user_from_uid; display may be "". */
static int
user_from_uid(uid_t uid, const char *display, const char *xauthority,
	struct consent_user *out)
{
	struct passwd pw;
	struct passwd *res = NULL;
	char *buf = NULL;
	gid_t *groups = NULL;
	size_t bsz = 16384;
	int ng = CONSENT_MAX_GROUPS;
	int r = OP_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((buf = malloc(bsz)) == NULL)
		return OP_ERR_NOMEM;
	r = getpwuid_r(uid, &pw, buf, bsz, &res);
	if (r != 0 || res == NULL) {
		r = r == 0 || r == ENOENT ? OP_ERR_NOT_FOUND : -r;
		goto out;
	}
	if ((groups = malloc((size_t)ng * sizeof(*groups))) == NULL) {
		r = OP_ERR_NOMEM;
		goto out;
	}
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ng) < 0) {
		/* More than we keep: ask again with room for all, keep the
		 * first CONSENT_MAX_GROUPS (fewer groups = less privilege). */
		gid_t *g2;

		if (ng <= 0)
			g2 = NULL;
		else
			g2 = realloc(groups, (size_t)ng * sizeof(*groups));
		if (g2 == NULL) {
			r = OP_ERR_NOMEM;
			goto out;
		}
		groups = g2;
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ng) < 0) {
			r = OP_ERR_INTERNAL;
			goto out;
		}
	}
	out->uid = pw.pw_uid;
	out->gid = pw.pw_gid;
	out->ngroups = ng < CONSENT_MAX_GROUPS ? ng : CONSENT_MAX_GROUPS;
	memcpy(out->groups, groups, (size_t)out->ngroups * sizeof(*groups));
	snprintf(out->name, sizeof(out->name), "%s", pw.pw_name);
	if (pw.pw_dir != NULL && pw.pw_dir[0] == '/' &&
		strlen(pw.pw_dir) < sizeof(out->home))
		snprintf(out->home, sizeof(out->home), "%s", pw.pw_dir);
	else
		snprintf(out->home, sizeof(out->home), "/");
	snprintf(out->display, sizeof(out->display), "%s", display);
	if (xauthority != NULL)
		snprintf(out->xauthority, sizeof(out->xauthority), "%s",
			xauthority);
	r = 0;
out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	free(groups);
	free(buf);
	return r;
}

int
consent_user_from_uid(uid_t uid, const char *display, const char *xauthority,
	struct consent_user *out)
{
	memset(out, 0, sizeof(*out));
	if (!consent__display_valid(display))
		return OP_ERR_CONFIG;
	if (xauthority != NULL && xauthority[0] != '\0' &&
		!xauth_valid(xauthority))
		return OP_ERR_CONFIG;
	return user_from_uid(uid, display, xauthority, out);
}

/* Reads /proc/PID/environ into buf (at most size bytes). */
static ssize_t
read_environ(int proc_fd, const char *pid, char *buf, size_t size)
{
	char path[64];
	ssize_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/environ", pid);
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	while ((size_t)got < size) {
		ssize_t n = read(fd, buf + got, size - (size_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	return got;
}

/*
 * Looks through uid's processes for the X display (when display is "")
 * and an XAUTHORITY that goes with it. Processes in session sid win over
 * the user's other processes (systemd --user services, for instance).
 * Processes we may not read are skipped.
 */
static void
scan_environ(uid_t uid, const char *sid, char display[64],
	char xauth[4096])
{
	bool want_display = display[0] == '\0';
	int best_d = 0; /* 0 none, 1 other process, 2 in session */
	int best_x = 0;
	char *env = NULL;
	DIR *dir = NULL;
	struct dirent *de;
	unsigned seen = 0;

	if ((env = malloc(ENVIRON_MAX)) == NULL ||
		(dir = opendir("/proc")) == NULL)
		goto out;
	while ((de = readdir(dir)) != NULL && seen < PROC_SCAN_MAX) {
		char val[4096];
		char d[64];
		char *psid = NULL;
		struct stat st;
		ssize_t n;
		int score;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, 0) != 0 ||
			st.st_uid != uid)
			continue;
		seen++;
		n = read_environ(dirfd(dir), de->d_name, env, ENVIRON_MAX);
		if (n <= 0)
			continue;
		score = 1;
		if (sd_pid_get_session((pid_t)atoi(de->d_name), &psid) >= 0 &&
			strcmp(psid, sid) == 0)
			score = 2;
		free(psid);
		if (consent__environ_get(env, (size_t)n, "DISPLAY", d,
			    sizeof(d)) != 0 ||
			!consent__display_valid(d))
			continue;
		if (want_display && score > best_d) {
			snprintf(display, 64, "%s", d);
			best_d = score;
			best_x = 0;
			xauth[0] = '\0';
		}
		if (!same_display(d, display) || score <= best_x)
			continue;
		if (consent__environ_get(env, (size_t)n, "XAUTHORITY", val,
			    sizeof(val)) == 0 &&
			xauth_valid(val)) {
			snprintf(xauth, 4096, "%s", val);
			best_x = score;
		}
	}
out:
	if (dir != NULL)
		closedir(dir);
	free(env);
}

#ifdef OP_CONSENT_TEST_HOOK
static int
find_user_test_hook(const char *display, struct consent_user *out)
{
	int r;

	log_warn("consent: test hook %s=%s is set: asking the current user "
		 "(uid %u) on that display instead of logind's user",
		CONSENT_TEST_DISPLAY_ENV, display, (unsigned)getuid());
	r = consent_user_from_uid(getuid(), display, getenv("XAUTHORITY"),
		out);
	if (r == 0)
		snprintf(out->session_id, sizeof(out->session_id), "test");
	return r;
}

/* As logind reports a Wayland session without Xwayland of user. */
static int
find_wayland_test_hook(const char *user, struct consent_user *out)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	log_warn("consent: test hook %s=%s is set: that user is taken as "
		 "logged in to a Wayland session without Xwayland",
		CONSENT_TEST_WAYLAND_ENV, user);
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 ||
		res == NULL || user_from_uid(pw.pw_uid, "", NULL, out) != 0)
		return OP_ERR_NOT_FOUND;
	snprintf(out->session_id, sizeof(out->session_id), "test");
	snprintf(out->session_type, sizeof(out->session_type), "wayland");
	return OP_ERR_UNSUPPORTED;
}
#endif

int
consent_find_user(struct consent_user *out)
{
	struct consent__session s[MAX_SESSIONS];
	char *seat[MAX_SESSIONS];
	char **ids = NULL;
	char display[64] = "";
	char *xauth = NULL;
	size_t n = 0;
	int count;
	int idx;
	int r = OP_ERR_NOT_FOUND;

	memset(out, 0, sizeof(*out));
	memset(s, 0, sizeof(s));
	memset(seat, 0, sizeof(seat));
#ifdef OP_CONSENT_TEST_HOOK
	{
		const char *td = getenv(CONSENT_TEST_DISPLAY_ENV);
		const char *tw = getenv(CONSENT_TEST_WAYLAND_ENV);

		if (td != NULL && td[0] != '\0')
			return find_user_test_hook(td, out);
		if (tw != NULL && tw[0] != '\0')
			return find_wayland_test_hook(tw, out);
	}
#endif
	count = sd_get_sessions(&ids);
	if (count <= 0 || ids == NULL)
		goto out; /* no logind, or nobody logged in */
	for (int i = 0; i < count && n < MAX_SESSIONS; i++) {
		struct consent__session *c = &s[n];
		char *type = NULL;
		char *klass = NULL;
		char *state = NULL;
		char *disp = NULL;

		c->id = ids[i];
		if (sd_session_get_uid(ids[i], &c->uid) < 0)
			continue;
		(void)sd_session_get_type(ids[i], &type);
		(void)sd_session_get_class(ids[i], &klass);
		(void)sd_session_get_state(ids[i], &state);
		(void)sd_session_get_display(ids[i], &disp);
		c->type = type;
		c->klass = klass;
		c->state = state;
		c->display = disp;
		c->remote = sd_session_is_remote(ids[i]) != 0;
		c->seat_active = sd_session_get_seat(ids[i], &seat[n]) >= 0 &&
			sd_session_is_active(ids[i]) > 0;
		n++;
	}
	idx = consent__pick_session(s, n);
	if (idx < 0)
		goto out;
	if ((xauth = calloc(1, 4096)) == NULL) {
		r = OP_ERR_NOMEM;
		goto out;
	}
	if (strcmp(s[idx].type, "x11") == 0 && s[idx].display != NULL &&
		consent__display_valid(s[idx].display))
		snprintf(display, sizeof(display), "%s", s[idx].display);
	scan_environ(s[idx].uid, s[idx].id, display, xauth);
	if (display[0] == '\0') {
		/* Present, but no X display to ask on. Who it is still tells
		 * the desktop provider whose Wayland compositor to share. */
		if (user_from_uid(s[idx].uid, "", NULL, out) != 0)
			memset(out, 0, sizeof(*out));
		r = OP_ERR_UNSUPPORTED;
	} else {
		r = consent_user_from_uid(s[idx].uid, display, xauth, out);
	}
	if (r == 0 || r == OP_ERR_UNSUPPORTED) {
		snprintf(out->session_id, sizeof(out->session_id), "%s",
			s[idx].id);
		snprintf(out->session_type, sizeof(out->session_type), "%s",
			s[idx].type);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free((char *)s[i].type);
		free((char *)s[i].klass);
		free((char *)s[i].state);
		free((char *)s[i].display);
		free(seat[i]);
	}
	if (ids != NULL)
		for (int i = 0; i < count; i++)
			free(ids[i]);
	free(ids);
	free(xauth);
	return r;
}
