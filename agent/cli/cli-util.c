/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the commands: loading the config with diagnostics,
 * opening the state directory, help handling, argument checks, subcommand
 * dispatch. Every command refuses arguments it does not know (exit 64):
 * an ignored typo would make it act on something the admin did not ask.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "store/state.h"

int
cli_load_conf_quiet(const struct cli *cli, struct conf **out,
	struct conf_diags *diags)
{
	struct stat st;

	*out = NULL;
	if (!cli->config_explicit && stat(cli->config_path, &st) != 0 &&
		errno == ENOENT) {
		if ((*out = conf_new_default()) == NULL)
			return OP_ERR_NOMEM;
		return 0;
	}
	return conf_load_file(cli->config_path, out, diags);
}

int
cli_load_conf(struct cli *cli, struct conf **out)
{
	struct conf_diags diags = { 0 };
	int r;

	r = cli_load_conf_quiet(cli, out, &diags);
	if (r == OP_ERR_NOMEM)
		return EX_OSERR;
	if (r != 0) {
		for (size_t i = 0; i < diags.n; i++)
			fprintf(stderr, "%s: %s\n", diags.v[i].where,
				diags.v[i].msg);
		if (diags.n == 0)
			fprintf(stderr, "%s: %s\n", cli->config_path,
				op_strerror(r));
		conf_diags_free(&diags);
		return EX_CONFIG;
	}
	conf_diags_free(&diags);
	return 0;
}

const char *
cli_state_dir(const struct conf *conf)
{
	return conf_str(conf, CONF_STATE_DIR);
}

int
cli_open_state(const struct conf *conf, struct state **out)
{
	char why[SFILE_WHY_LEN];
	int r;

	r = state_open(cli_state_dir(conf), conf_str(conf, CONF_IDENTITY_ID),
		out, why);
	if (r == 0)
		return 0;
	fprintf(stderr, "outpost: %s\n", why[0] ? why : op_strerror(r));
	if (r == OP_ERR_PERM || r == -EACCES || r == -EPERM)
		return EX_NOPERM;
	if (r == OP_ERR_PROTO)
		return EX_DATAERR;
	if (r == -ENOENT || r == -ENOTDIR)
		return EX_CANTCREAT;
	return EX_IOERR;
}

bool
cli_want_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
			strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return true;
		}
	}
	return false;
}

int
cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "outpost %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return EX_USAGE;
}

static int
unexpected(const char *arg, const char *cmd, const char *usage)
{
	if (arg[0] == '-' && arg[1] != '\0')
		return cli_usage_error(cmd, usage, "unknown option '%s'", arg);
	return cli_usage_error(cmd, usage, "unexpected argument '%s'", arg);
}

int
cli_no_args(int argc, char **argv, const char *cmd, const char *usage)
{
	return argc > 1 ? unexpected(argv[1], cmd, usage) : 0;
}

int
cli_getopt_error(char **argv, int ch, const char *cmd, const char *usage)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (ch == ':')
		return cli_usage_error(cmd, usage, "%s needs a value", arg);
	if (optopt != 0 && arg[0] == '-' && arg[1] != '-')
		return cli_usage_error(cmd, usage, "unknown option '-%c'",
			optopt);
	return cli_usage_error(cmd, usage, "unknown option '%s'", arg);
}

int
cli_one_operand(int argc, char **argv, const char *cmd, const char *usage,
	const char **out)
{
	bool options = true;

	*out = NULL;
	for (int i = 1; i < argc; i++) {
		if (options && strcmp(argv[i], "--") == 0) {
			options = false;
			continue;
		}
		if (options && argv[i][0] == '-' && argv[i][1] != '\0')
			return unexpected(argv[i], cmd, usage);
		if (*out != NULL)
			return unexpected(argv[i], cmd, usage);
		*out = argv[i];
	}
	if (*out == NULL)
		return cli_usage_error(cmd, usage, "missing operand");
	return 0;
}

int
cli_config_operand(struct cli *cli, int argc, char **argv, const char *cmd,
	const char *usage)
{
	const char *file = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *f;

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc)
				return cli_usage_error(cmd, usage,
					"%s needs a file name", a);
			f = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			f = a + 9;
		} else if (a[0] == '-' && a[1] != '\0') {
			return unexpected(a, cmd, usage);
		} else {
			f = a;
		}
		if (f[0] == '\0')
			return cli_usage_error(cmd, usage,
				"empty configuration file name");
		if (file != NULL && strcmp(file, f) != 0)
			return cli_usage_error(cmd, usage,
				"two configuration files given: '%s' and '%s'",
				file, f);
		file = f;
	}
	if (file == NULL)
		return 0;
	if (cli->config_explicit && strcmp(cli->config_path, file) != 0)
		return cli_usage_error(cmd, usage,
			"two configuration files given: -c '%s' and '%s'",
			cli->config_path, file);
	cli->config_path = file;
	cli->config_explicit = true;
	return 0;
}

int
cli_dispatch(struct cli *cli, const struct cli_cmd *cmds, int argc,
	char **argv, const char *family)
{
	const struct cli_cmd *c;
	FILE *f = stderr;
	int rc = EX_USAGE;

	if (argc >= 2) {
		for (c = cmds; c->name != NULL; c++)
			if (strcmp(argv[1], c->name) == 0)
				return c->fn(cli, argc - 1, argv + 1);
		if (strcmp(argv[1], "-h") == 0 ||
			strcmp(argv[1], "--help") == 0) {
			f = stdout;
			rc = EX_OK;
		} else {
			fprintf(stderr, "outpost %s: unknown subcommand '%s'\n",
				family, argv[1]);
		}
	}
	fprintf(f, "usage: outpost [-c FILE] %s SUBCOMMAND\n\nsubcommands:\n",
		family);
	for (c = cmds; c->name != NULL; c++)
		fprintf(f, "  %-10s  %s\n", c->name, c->summary);
	return rc;
}
