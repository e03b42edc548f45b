/* SPDX-License-Identifier: MIT */
/* `outpost id [--reset]`: works with or without the service running. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "store/state.h"

static const char id_usage[] =
	"usage: outpost [-c FILE] id [--reset]\n"
	"\n"
	"Prints this host's ID, creating the identity on first use.\n"
	"  --reset  make a new random ID, device UUID and key (for cloned\n"
	"           machines; the old ID stops working)\n";

int
cmd_id(struct cli *cli, int argc, char **argv)
{
	struct conf *conf = NULL;
	struct state *st = NULL;
	char why[SFILE_WHY_LEN];
	bool reset = false;
	int rc;

	if (cli_want_help(argc, argv, id_usage))
		return EX_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reset") == 0) {
			reset = true;
		} else {
			return cli_usage_error("id", id_usage,
				argv[i][0] == '-' ? "unknown option '%s'" :
						    "unexpected argument '%s'",
				argv[i]);
		}
	}
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	if ((rc = cli_open_state(conf, &st)) != 0)
		goto out;
	if (reset) {
		int r = state_reset_identity(st, why);

		if (r != 0) {
			fprintf(stderr, "outpost id: %s\n",
				why[0] ? why : op_strerror(r));
			rc = r == OP_ERR_STATE ? EX_CONFIG : EX_IOERR;
			goto out;
		}
	}
	printf("%s\n", state_id(st));
	rc = EX_OK;
out:
	state_free(st);
	conf_unref(conf);
	return rc;
}
