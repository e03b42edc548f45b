/* SPDX-License-Identifier: MIT */
/* `outpost run`: the daemon in the foreground. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef _WIN32
#include <io.h>
#include <winsock2.h>
#include <windows.h>
#else
#include <sys/prctl.h>
#endif

#include <uv.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "platform/monchan.h"
#ifdef _WIN32
#include "platform/winsvc.h"
#else
#include "platform/sandbox.h"
#endif

/* A descriptor the monitor passed, made close-on-exec; -1 if none. */
static int
env_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 3 || v > 1024)
		return -1;
#ifdef _WIN32
	/* A CRT descriptor the monitor handed over (daemon-monitor-win.c):
	 * kept from the programs this process starts. */
	if (!monchan_is_end((int)v) ||
		!SetHandleInformation((HANDLE)_get_osfhandle((int)v),
			HANDLE_FLAG_INHERIT, 0))
		return -1;
#else
	if (fcntl((int)v, F_SETFD, FD_CLOEXEC) != 0)
		return -1;
#endif
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

	(void)uv_os_unsetenv(DAEMON_MONITOR_FD_ENV);
#ifndef _WIN32
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() == 1)
		return EX_SOFTWARE; /* the monitor is already gone */
#endif
	/* On Windows a monitor that dies closes the channel: the next
	 * request or the events watch fails, and this process stops. */
	if (priv != NULL && (priv_fd = env_fd(priv)) < 0) {
		fprintf(stderr, "outpost run: %s=%s is not a descriptor\n",
			DAEMON_PRIVATE_FD_ENV, priv);
		return EX_USAGE;
	}
	daemon_private_set(priv_fd);
	(void)uv_os_unsetenv(DAEMON_PRIVATE_FD_ENV);
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
#ifdef _WIN32
	/* No restricted token yet: it runs as the monitor's account. */
	(void)why;
#else
	/* Everything after this point comes from the monitor as descriptors:
	 * the process never needs to run a program or raise a privilege. */
	if ((r = sandbox_network_process(why, sizeof(why))) != 0) {
		fprintf(stderr, "outpost run: sandbox: %s\n", why);
		return EX_OSERR;
	}
#endif
	return daemon_run(cli, *conf, fd);
}

#ifdef _WIN32
struct service_run {
	struct cli *cli;
	struct conf *conf;
};

static int
service_main(void *arg)
{
	struct service_run *sr = arg;

	return daemon_monitor_run(sr->cli, sr->conf);
}

static void
service_stop(void *arg)
{
	(void)arg;
	daemon_monitor_service_stop();
}

static void
service_session(void *arg, unsigned event, unsigned session)
{
	(void)arg, (void)session;
	if (event == WTS_CONSOLE_CONNECT || event == WTS_SESSION_LOGON)
		daemon_monitor_service_session();
}

/* Under the SCM (the MSI's service "outpost") or in a console. */
static int
run_monitor(struct cli *cli, struct conf *conf)
{
	struct service_run sr = { cli, conf };
	struct winsvc_ops ops = { .main = service_main, .stop = service_stop,
		.session_change = service_session, .arg = &sr };
	int r;

	daemon_monitor_as_service(true);
	if ((r = winsvc_run("outpost", &ops)) != OP_ERR_STATE)
		return r == 0 ? EX_OK : EX_SOFTWARE;
	daemon_monitor_as_service(false);
	return daemon_monitor_run(cli, conf);
}
#else
static int
run_monitor(struct cli *cli, struct conf *conf)
{
	return daemon_monitor_run(cli, conf);
}
#endif

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	const char *mon;
	int rc, fd;

	static const char usage[] =
		"usage: outpost [-c FILE] run\n\n"
		"Runs the agent in the foreground until SIGINT or SIGTERM\n"
		"(Windows: Ctrl-C, or the service's stop). SIGHUP reloads the\n"
		"configuration. Exits 69 at start-up when "
		"there is\nno way in: neither a rendezvous server nor a "
		"direct-IP listener.\n";

	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "run", usage) != 0)
		return EX_USAGE;
#ifndef _WIN32
	/* The daemon will hold the identity key, the password hash, the
	 * one-time password and session keys: no core dump may carry them,
	 * and no process of the same user may ptrace or read its memory. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		perror("outpost: PR_SET_DUMPABLE");
		return EX_OSERR;
	}
#endif
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
		rc = run_monitor(cli, conf);
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
