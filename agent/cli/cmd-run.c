/* SPDX-License-Identifier: MIT */
/* `outpost run`: the daemon in the foreground. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli/cli.h"
#include "cli/daemon.h"
#include "conf/conf.h"
#include "core/err.h"
#include "platform/sandbox.h"

/* A descriptor the monitor passed, made close-on-exec; -1 if none. */
static int
env_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 3 || v > 1024 ||
		fcntl((int)v, F_SETFD, FD_CLOEXEC) != 0)
		return -1;
	return (int)v;
}

/* The network process: it must not outlive its monitor, its own children
 * must not inherit the monitor's socket, and it serves the configuration
 * the monitor opens for it. */
static int
network_process(struct cli *cli, int fd, struct conf **conf)
{
	struct conf_diags diags = { 0 };
	const char *priv = getenv(DAEMON_PRIVATE_FD_ENV);
	char why[256];
	int priv_fd = -1, r;

	unsetenv(DAEMON_MONITOR_FD_ENV);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() == 1)
		return EX_SOFTWARE; /* the monitor is already gone */
	if (priv != NULL && (priv_fd = env_fd(priv)) < 0) {
		fprintf(stderr, "outpost run: %s=%s is not a descriptor\n",
			DAEMON_PRIVATE_FD_ENV, priv);
		return EX_USAGE;
	}
	daemon_private_set(priv_fd);
	unsetenv(DAEMON_PRIVATE_FD_ENV);
	if ((r = daemon_conf_from_monitor(fd, conf, &diags)) != 0) {
		for (size_t i = 0; i < diags.n; i++)
			fprintf(stderr, "%s: %s\n", diags.v[i].where,
				diags.v[i].msg);
		if (diags.n == 0)
			fprintf(stderr, "outpost run: configuration from the "
					"monitor: %s\n", op_strerror(r));
		conf_diags_free(&diags);
		return r == OP_ERR_CONFIG ? EX_CONFIG : EX_SOFTWARE;
	}
	conf_diags_free(&diags);
	/* Everything after this point comes from the monitor as descriptors:
	 * the process never needs to run a program or raise a privilege. */
	if ((r = sandbox_network_process(why, sizeof(why))) != 0) {
		fprintf(stderr, "outpost run: sandbox: %s\n", why);
		return EX_OSERR;
	}
	return daemon_run(cli, *conf, fd);
}

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	const char *mon;
	int rc, fd;

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
	if ((mon = getenv(DAEMON_MONITOR_FD_ENV)) == NULL) {
		if ((rc = cli_load_conf(cli, &conf)) != 0)
			return rc;
		rc = daemon_monitor_run(cli, conf);
	} else if ((fd = env_fd(mon)) < 0) {
		fprintf(stderr, "outpost run: %s=%s is not a descriptor\n",
			DAEMON_MONITOR_FD_ENV, mon);
		rc = EX_USAGE;
	} else {
		rc = network_process(cli, fd, &conf);
	}
	conf_unref(conf);
	return rc;
}
