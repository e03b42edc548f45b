/* SPDX-License-Identifier: MIT */
/* `outpost run`: the daemon in the foreground. */
#include <sys/prctl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

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
#ifdef __GLIBC__
	/* Streams allocate and free 128 KiB blocks and frames all the time.
	 * With glibc's defaults each one is either its own mapping or is
	 * trimmed off the heap when freed, so every block costs 32 fresh
	 * page faults (a third of a file download's CPU). A fixed 1 MiB
	 * mapping threshold (video/venc-mem.c relies on it too) and a 4 MiB
	 * trim threshold keep a few MiB of free heap for reuse instead. */
	(void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 4 << 20);
#endif
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	rc = daemon_run(cli, conf);
	conf_unref(conf);
	return rc;
}
