/* SPDX-License-Identifier: MIT */
/*
 * What the network process runs as (daemon-monitor.h): the account of
 * security.network_user, its private directory and its configuration.
 *
 * The private directory is <state>/net, owned by that account and group
 * root, 0770 (the monitor writes the X cookie copy into it).
 * The state directory around it stays root's and 0700, so the network
 * process cannot reach it by path: it gets the directory as a
 * descriptor (DAEMON_PRIVATE_FD_ENV) and names files through
 * /proc/self/fd/N, which resolves without searching the parents. Only
 * what the network process keeps for itself lives there: the X cookie
 * copy the monitor writes for it and the portals' restore tokens.
 *
 * The proxy password (server.proxy_password_file, 0600 and root's) is
 * read here and handed over: the network process needs it to talk to the
 * proxy, but cannot open the file.
 *
 * The configuration comes the same way: the monitor opens and checks the
 * file (it may sit in a directory only root can search) and passes the
 * open descriptor (config request), at start and at each reload.
 */
#include "cli/daemon.h"
#include "cli/daemon-monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/proxy-password.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "store/state.h"

int
daemon_monitor_net_account(struct mon_proc *p)
{
	const char *name = conf_str(p->conf, CONF_SECURITY_NETWORK_USER);
	struct passwd pw, *res = NULL;
	char buf[4096];
	int r;

	p->drop = false;
	if (geteuid() != 0)
		return 0; /* already unprivileged: nothing to drop */
	if (strcmp(name, "root") == 0) {
		log_warn("security.network_user is root: the process that "
			 "parses network input runs as root, with every "
			 "capability the service has");
		return 0;
	}
	r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (res == NULL) {
		log_error("security.network_user: %s%s%s (the packages create "
			  "it with systemd-sysusers; root runs without the "
			  "split, which is not recommended)",
			r != 0 ? "cannot look up " : "no account ", name,
			r != 0 ? strerror(r) : "");
		return EX_CONFIG;
	}
	if (pw.pw_uid == 0 || pw.pw_gid == 0) {
		log_error("security.network_user: %s has uid or gid 0", name);
		return EX_CONFIG;
	}
	p->drop = true;
	p->net_uid = pw.pw_uid;
	p->net_gid = pw.pw_gid;
	return 0;
}

int
daemon_monitor_net_dir(struct mon_proc *p, const char *state)
{
	/* Group root, 0770, when it is another account's: the monitor writes
	 * the cookie copy into it, and the unit leaves root no
	 * CAP_DAC_OVERRIDE to write into a directory that is not its own. */
	uid_t uid = p->drop ? p->net_uid : geteuid();
	gid_t gid = p->drop ? 0 : getegid();
	mode_t mode = p->drop ? 0770 : 0700;
	int sfd, fd = -1;
	struct stat st;

	if ((sfd = open(state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				       O_CLOEXEC)) < 0)
		goto fail;
	if (mkdirat(sfd, DAEMON_PRIVATE_DIR, 0700) != 0 && errno != EEXIST)
		goto fail;
	fd = openat(sfd, DAEMON_PRIVATE_DIR, O_RDONLY | O_DIRECTORY |
						    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		goto fail;
	/* Made ours first: without CAP_FOWNER only the owner may chmod. */
	if ((st.st_uid != uid || st.st_gid != gid ||
		    (st.st_mode & 07777) != mode) &&
		(fchown(fd, geteuid(), getegid()) != 0 ||
			fchmod(fd, mode) != 0 || fchown(fd, uid, gid) != 0))
		goto fail;
	close(sfd);
	p->net_dir = fd;
	return 0;
fail:
	log_error("monitor: the network process's directory %s/%s: %s", state,
		DAEMON_PRIVATE_DIR, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	return EX_CANTCREAT;
}

/* config: the file as `outpost run` was told (or the defaults when the
 * default path does not exist), opened and checked here. Its problems go
 * back a line each, "where<TAB>what" (values and keys carry no control
 * characters: the loader refuses them). */
int
daemon_monitor_config(struct mon_proc *p, struct mon_buf *out, int *fd)
{
	const struct cli *cli = p->cli;
	struct conf_diags diags = { 0 };
	char text[2048];
	size_t n = 0;
	struct stat st;

	mon_put_u8(out, geteuid() == 0);
	if (!cli->config_explicit && stat(cli->config_path, &st) != 0 &&
		errno == ENOENT) {
		mon_put_str(out, "");
		mon_put_str(out, "");
		return 0;
	}
	mon_put_str(out, cli->config_path);
	if ((*fd = conf_open_file(cli->config_path, &diags)) >= 0) {
		conf_diags_free(&diags);
		mon_put_str(out, "");
		return 0;
	}
	text[0] = '\0';
	for (size_t i = 0; i < diags.n && n < sizeof(text) - 1; i++) {
		int k = snprintf(text + n, sizeof(text) - n, "%s%s\t%s",
			i > 0 ? "\n" : "", diags.v[i].where, diags.v[i].msg);

		if (k < 0 || (size_t)k >= sizeof(text) - n)
			break;
		n += (size_t)k;
	}
	conf_diags_free(&diags);
	mon_put_str(out, text);
	return OP_ERR_CONFIG;
}

int
daemon_monitor_proxy_password(struct mon_proc *p, struct mon_buf *out)
{
	const char *file = conf_str(p->conf, CONF_SERVER_PROXY_PASSWORD_FILE);
	char why[SFILE_WHY_LEN];
	struct proxy_conf pc;
	int r;

	memset(&pc, 0, sizeof(pc));
	if (file[0] == '\0') {
		mon_put_str(out, "server.proxy_password_file is not set");
		return OP_ERR_NOT_FOUND;
	}
	r = proxy_load_password(&pc, file, why);
	mon_put_str(out, r == 0 ? pc.password : why);
	sodium_memzero(&pc, sizeof(pc));
	return r;
}
