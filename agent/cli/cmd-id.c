/* SPDX-License-Identifier: MIT */
/*
 * `outpost id [--reset [--force]]`: works with or without the service
 * running. A reset under a running agent would leave it registered with
 * the old ID while `outpost id` prints the new one, so it is refused
 * unless --force, which then makes the agent reload the new identity and
 * checks that it did.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-json.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "ctl/ctl.h"
#include "store/state.h"

#define ID_CTL_TIMEOUT_MS 5000

static const char id_usage[] =
	"usage: outpost [-c FILE] id [--reset [--force]]\n"
	"\n"
	"Prints this host's ID, creating the identity on first use.\n"
	"  --reset  make a new random ID, device UUID and key (for cloned\n"
	"           machines; the old ID stops working). Refused (exit 75)\n"
	"           while the agent runs, unless:\n"
	"  --force  reset anyway and make the running agent reload the new\n"
	"           identity (its open sessions go on)\n";

/* The running agent's ID into id (and pid), from its status. Returns 0,
 * -ENOENT when no agent runs, or another negative code. */
static int
agent_id(const char *dir, char *id, size_t idsz, long *pid)
{
	struct cj_doc j = { 0 };
	char *ans = NULL;
	int r;

	id[0] = '\0';
	*pid = 0;
	r = ctl_request(dir, "status", ID_CTL_TIMEOUT_MS, &ans);
	if (r == -ECONNREFUSED)
		r = -ENOENT;
	if (r == 0 && (r = cj_parse(ans, &j)) == 0) {
		snprintf(id, idsz, "%s",
			cj_str(cj_get(&j, NULL, "id")) != NULL ?
				cj_str(cj_get(&j, NULL, "id")) :
				"?");
		*pid = (long)cj_num(cj_get(&j, NULL, "pid"), 0);
	}
	cj_free(&j);
	free(ans);
	return r;
}

/* Makes the running agent reload, then checks it reports new_id. */
static int
agent_take(const char *dir, const char *new_id)
{
	char *ans = NULL;
	char id[64];
	long pid;
	int r;

	r = ctl_request(dir, "reload", ID_CTL_TIMEOUT_MS, &ans);
	free(ans);
	if (r == 0)
		r = agent_id(dir, id, sizeof(id), &pid);
	if (r == 0 && strcmp(id, new_id) == 0) {
		fprintf(stderr, "the running agent (pid %ld) reloaded: it "
				"registers as %s now\n",
			pid, new_id);
		return EX_OK;
	}
	fprintf(stderr, "outpost id: the running agent %s%s; restart it "
			"(systemctl restart outpost) so that it uses %s\n",
		r == 0 ? "still reports ID " : "did not answer: ",
		r == 0 ? id : op_strerror(r), new_id);
	return EX_TEMPFAIL;
}

int
cmd_id(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	struct state *st = NULL;
	char why[SFILE_WHY_LEN];
	char running[64];
	bool reset = false, force = false;
	long pid;
	int rc, r, ar;

	if (cli_want_help(argc, argv, id_usage))
		return EX_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reset") == 0)
			reset = true;
		else if (strcmp(argv[i], "--force") == 0)
			force = true;
		else
			return cli_usage_error("id", id_usage,
				argv[i][0] == '-' ? "unknown option '%s'" :
						    "unexpected argument '%s'",
				argv[i]);
	}
	if (force && !reset)
		return cli_usage_error("id", id_usage,
			"--force goes with --reset");
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	if ((rc = cli_open_state(conf, &st)) != 0)
		goto out;
	if (!reset) {
		printf("%s\n", state_id(st));
		rc = EX_OK;
		goto out;
	}
	/* A custom ID cannot be reset at all: state_reset_identity says so
	 * whether or not the agent runs. */
	ar = state_id_is_custom(st) ? -ENOENT :
		agent_id(state_dir(st), running, sizeof(running), &pid);
	if (ar != -ENOENT && !force) {
		if (ar == 0)
			fprintf(stderr, "outpost id: the agent is running (pid "
					"%ld) as ID %s; a reset would leave it "
					"registered with the old ID.\n",
				pid, running);
		else
			fprintf(stderr, "outpost id: cannot tell whether the "
					"agent runs (%s).\n",
				op_strerror(ar));
		fprintf(stderr, "Stop it first (systemctl stop outpost), or "
				"use --reset --force to reset and make it "
				"reload the new identity.\n");
		rc = EX_TEMPFAIL;
		goto out;
	}
	if ((r = state_reset_identity(st, why)) != 0) {
		fprintf(stderr, "outpost id: %s\n",
			why[0] ? why : op_strerror(r));
		rc = r == OP_ERR_STATE ? EX_CONFIG : EX_IOERR;
		goto out;
	}
	printf("%s\n", state_id(st));
	fflush(stdout);
	if (ar == 0) {
		rc = agent_take(state_dir(st), state_id(st));
	} else if (ar != -ENOENT) {
		fprintf(stderr, "outpost id: could not ask the agent (%s); if "
				"it runs, restart it\n",
			op_strerror(ar));
		rc = EX_TEMPFAIL;
	} else {
		rc = EX_OK;
	}
out:
	state_free(st);
	conf_unref(conf);
	return rc;
}
