/* SPDX-License-Identifier: MIT */
/*
 * Commands answered by the running daemon over the control socket:
 * `outpost status [--json]` and `outpost reload`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "ctl/ctl.h"

#define CTL_TIMEOUT_MS 5000

/* Sends request to the daemon of the configured state dir. Prints why on
 * failure and returns a sysexits code. */
static int
ask_daemon(struct cli *cli, const char *request, char **answer)
{
	struct conf *conf = NULL;
	int rc;
	int r;

	*answer = NULL;
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	r = ctl_request(cli_state_dir(conf), request, CTL_TIMEOUT_MS, answer);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr,
			"outpost: the agent is not running (no control socket "
			"in %s)\n",
			cli_state_dir(conf));
		rc = EX_UNAVAILABLE;
	} else if (r == -EACCES) {
		fprintf(stderr, "outpost: permission denied on the control "
				"socket; run as the agent's user or root\n");
		rc = EX_NOPERM;
	} else if (r != 0) {
		fprintf(stderr, "outpost: control socket: %s\n",
			op_strerror(r));
		rc = EX_IOERR;
	}
	conf_unref(conf);
	return rc;
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	char *answer = NULL;
	int rc;

	if (cli_want_help(argc, argv,
		    "usage: outpost [-c FILE] status [--json]\n\n"
		    "Asks the running agent for its state (ID, server, "
		    "registration,\nlisteners, sessions). Exit 69 when it is "
		    "not running.\n"))
		return EX_OK;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") != 0)
			return cli_usage_error("status",
				"usage: outpost [-c FILE] status [--json]\n",
				argv[i][0] == '-' ? "unknown option '%s'" :
						    "unexpected argument '%s'",
				argv[i]);
	if ((rc = ask_daemon(cli, "status", &answer)) != 0)
		return rc;
	/* The answer is one JSON object; the plain form is the same fields
	 * one per line, which is enough for a human reading a terminal. */
	if (argc == 2) {
		fputs(answer, stdout);
	} else {
		for (char *p = answer; *p != '\0'; p++) {
			if (*p == '{' || *p == '}' || *p == '"')
				continue;
			putchar(*p == ',' && p[1] == '"' ? '\n' : *p);
		}
	}
	free(answer);
	return EX_OK;
}

int
cmd_reload(struct cli *cli, int argc, char **argv)
{
	char *answer = NULL;
	int rc;

	static const char usage[] =
		"usage: outpost [-c FILE] reload\n\n"
		"Makes the running agent re-read its configuration, password "
		"and identity.\nAn invalid file is reported and the running "
		"configuration kept (exit 78).\n";

	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "reload", usage) != 0)
		return EX_USAGE;
	if ((rc = ask_daemon(cli, "reload", &answer)) != 0)
		return rc;
	fputs(answer, stdout);
	rc = strstr(answer, "\"ok\":true") != NULL ? EX_OK : EX_CONFIG;
	free(answer);
	return rc;
}
