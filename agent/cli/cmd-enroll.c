/* SPDX-License-Identifier: MIT */
/*
 * `outpost enroll`: one line of JSON for inventory tools (Ansible facts,
 * a CMDB import): {"id","hostname","version","registered"}. Works with or
 * without the agent running: the ID comes from the state directory
 * (created on first use, as `outpost id` does), "registered" from the
 * running agent's status and false when none runs.
 *
 * Must not: print anything but that one line on stdout, or fail because
 * the agent is not running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/json.h"
#include "ctl/ctl.h"
#include "store/state.h"

#define ENROLL_CTL_TIMEOUT_MS 2000

static const char enroll_usage[] =
	"usage: outpost [-c FILE] enroll\n"
	"\n"
	"Creates this host's identity (ID, UUID and key in the state "
	"directory)\nif it does not exist yet, as `outpost id` does, and "
	"prints one line of\nJSON for inventory tools:\n"
	"  {\"id\":\"123456789\",\"hostname\":\"web-01\","
	"\"version\":\"" OP_VERSION "\",\"registered\":false}\n"
	"registered is true when the running agent is registered with the\n"
	"rendezvous server, false when it is not or the agent is not "
	"running.\n";

/* Asks the running agent, if any, whether it is registered. */
static bool
agent_registered(const char *state_dir)
{
	char *answer = NULL;
	bool yes = false;

	if (ctl_request(state_dir, "status", ENROLL_CTL_TIMEOUT_MS, &answer) ==
		0)
		yes = strstr(answer, "\"registered\":true") != NULL;
	free(answer);
	return yes;
}

int
cmd_enroll(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	struct state *st = NULL;
	char host[256];
	size_t hlen = sizeof(host);
	int rc;

	if (cli_want_help(argc, argv, enroll_usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "enroll", enroll_usage) != 0)
		return EX_USAGE;
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	if ((rc = cli_open_state(conf, &st)) != 0)
		goto out;
	if (uv_os_gethostname(host, &hlen) != 0)
		host[0] = '\0';
	fputs("{\"id\":", stdout);
	op_json_cstr(stdout, state_id(st));
	fputs(",\"hostname\":", stdout);
	op_json_cstr(stdout, host);
	fputs(",\"version\":", stdout);
	op_json_cstr(stdout, OP_VERSION);
	printf(",\"registered\":%s}\n",
		agent_registered(state_dir(st)) ? "true" : "false");
	rc = fflush(stdout) == 0 ? EX_OK : EX_IOERR;
out:
	state_free(st);
	conf_unref(conf);
	return rc;
}
