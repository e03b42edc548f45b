/* SPDX-License-Identifier: MIT */
/*
 * What the network process runs as (daemon-monitor.h): the account of
 * security.network_user and its private directory.
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
 * Unix only: the Windows network process has no account of its own yet.
 * The configuration and the proxy password: daemon-monitor-conf.c.
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

#include "cli/cli.h"
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
