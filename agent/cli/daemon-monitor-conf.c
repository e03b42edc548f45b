/* SPDX-License-Identifier: MIT */
/*
 * What the monitor reads for the network process (daemon-monitor.h).
 *
 * The configuration: the monitor opens and checks the file (it may sit
 * in a directory only root can search) and passes the open descriptor
 * (config request), at start and at each reload.
 *
 * The proxy password (server.proxy_password_file, 0600 and root's) is
 * read here and handed over: the network process needs it to talk to the
 * proxy, but cannot open the file.
 */
#include "cli/daemon.h"
#include "cli/daemon-monitor.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/proxy-password.h"
#include "conf/conf.h"
#include "core/err.h"

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

	mon_put_u8(out, conf_system_defaults());
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
