/* SPDX-License-Identifier: MIT */
/* `outpost run`: the daemon in the foreground. */
#include <sys/prctl.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "conf/conf.h"

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	int rc;

	static const char usage[] =
		"usage: outpost [-c FILE] run\n\n"
		"Runs the agent in the foreground until SIGINT or SIGTERM.\n"
		"SIGHUP reloads the configuration. Exits 69 at start-up when "
		"there is\nno way in: neither a rendezvous server nor a "
		"direct-IP listener.\n";

	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "run", usage) != 0)
		return EX_USAGE;
	/* The daemon will hold the identity key, the password hash, the
	 * one-time password and session keys: no core dump may carry them,
	 * and no process of the same user may ptrace or read its memory. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		perror("outpost: PR_SET_DUMPABLE");
		return EX_OSERR;
	}
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	rc = daemon_run(cli, conf);
	conf_unref(conf);
	return rc;
}
