/* SPDX-License-Identifier: MIT */
/*
 * The outpost command line: one file per command family (tmux/wireguard
 * model), registered in main.c's table. Every command returns a
 * sysexits(3) code; 78 (EX_CONFIG) for configuration errors.
 */
#ifndef OP_CLI_CLI_H
#define OP_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>
#ifdef _WIN32
/* mingw has no sysexits.h: the values of sysexits(3), which scripts and
 * the README's table rely on. */
#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_OSERR 71
#define EX_CANTCREAT 73
#define EX_IOERR 74
#define EX_TEMPFAIL 75
#define EX_NOPERM 77
#define EX_CONFIG 78
/* Where the service will look (ProgramData\Outpost, as securefile-win.c
 * protects it); until the service lands it is only the -c default. */
#define CLI_DEFAULT_CONFIG "C:\\ProgramData\\Outpost\\outpost.yaml"
#else
#include <sysexits.h>

#define CLI_DEFAULT_CONFIG "/etc/outpost/outpost.yaml"
#endif

struct conf;
struct conf_diags;
struct state;

struct cli {
	const char *config_path; /* -c FILE, or the default path */
	bool config_explicit;    /* -c was given: the file must exist */
	char **argv;             /* as main got it (the monitor re-runs it) */
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *summary;
};

/*
 * Loads the config named by cli (or the built-in defaults when no -c was
 * given and the default file does not exist). On error prints every
 * diagnostic as FILE:LINE:COL: message to stderr and returns EX_CONFIG;
 * otherwise 0 and *out (caller unrefs).
 */
int cli_load_conf(struct cli *cli, struct conf **out);
/* The same without printing: returns 0 or an OP_ERR_* code with diags
 * filled (caller frees them). */
int cli_load_conf_quiet(const struct cli *cli, struct conf **out,
	struct conf_diags *diags);

/* Opens the state directory the config names, creating identity on first
 * use. Prints the reason and returns a sysexits code on failure. */
int cli_open_state(const struct conf *conf, struct state **out);

/* The effective state directory for conf. */
const char *cli_state_dir(const struct conf *conf);

/* True when argv[1] is -h or --help; prints usage then. */
bool cli_want_help(int argc, char **argv, const char *usage);

/* Prints "outpost CMD: MESSAGE" and usage to stderr; returns EX_USAGE. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* For commands that take no arguments: 0, or names the first one with
 * cli_usage_error and returns EX_USAGE. */
int cli_no_args(int argc, char **argv, const char *cmd, const char *usage);

/* After getopt_long with an optstring starting with ':' and opterr 0
 * returned ch ('?' or ':'): says which option is wrong; EX_USAGE. */
int cli_getopt_error(char **argv, int ch, const char *cmd, const char *usage);

/* For commands that take exactly one operand (what is set in *out): "-"
 * counts as one, "--" ends the options, anything else starting with '-'
 * is an unknown option. Returns 0 or EX_USAGE (after printing why). */
int cli_one_operand(int argc, char **argv, const char *cmd,
	const char *usage, const char **out);

/*
 * For `config check` and `config dump`, which admins type with the file
 * after the subcommand: accepts nothing, FILE, -c FILE or --config FILE
 * (and repeats of the same file); anything else is a usage error. A file
 * given here must exist, as with the global -c; a different file from the
 * global -c is refused. Returns 0 or EX_USAGE (after printing why).
 */
int cli_config_operand(struct cli *cli, int argc, char **argv,
	const char *cmd, const char *usage);

/* Dispatches argv[1] among cmds (for command families such as
 * `password set|clear`); prints usage on unknown subcommands. */
int cli_dispatch(struct cli *cli, const struct cli_cmd *cmds, int argc,
	char **argv, const char *family);

int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_id(struct cli *cli, int argc, char **argv);
int cmd_password(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_reload(struct cli *cli, int argc, char **argv);
int cmd_enroll(struct cli *cli, int argc, char **argv);
/* `outpost doctor [--json] [-v]` (cmd-doctor.c, doctor-*.c). */
int cmd_doctor(struct cli *cli, int argc, char **argv);
/* `outpost policy explain ...` (cmd-policy.c, policy-conf.c). */
int cmd_policy(struct cli *cli, int argc, char **argv);
/* `outpost audit list|show|export|verify|forward` (cmd-audit.c). */
int cmd_audit(struct cli *cli, int argc, char **argv);

struct audit;
struct audit_opts;
struct proxy_conf;
struct uv_loop_s;

/*
 * The audit trail for the daemon's monitor (cmd-audit.c): audit_opts from the
 * config's audit.* keys, the state's ID and UUID, and a transport that
 * forwards over net/ (TCP or TLS, through proxy when not NULL; proxy must
 * outlive the trail). cli_audit_open also opens it (audit_open).
 * Return 0 or an error with why filled.
 */
int cli_audit_opts(const struct conf *conf, const struct state *st,
	const struct proxy_conf *proxy, struct audit_opts *o, char *why,
	size_t why_size);
int cli_audit_open(struct uv_loop_s *loop, const struct conf *conf,
	const struct state *st, const struct proxy_conf *proxy,
	struct audit **out, char *why, size_t why_size);

/* `config import` and `config import-rustdesk` (cmd-import.c). */
int cmd_config_import(struct cli *cli, int argc, char **argv);
int cmd_config_import_rustdesk(struct cli *cli, int argc, char **argv);

/* `outpost consent-prompt` (internal, hidden; cmd-consent.c): the consent
 * window the agent runs as the desktop user. */
int cmd_consent_prompt(struct cli *cli, int argc, char **argv);

/* main.c's command table, NULL-terminated (for the manual page). */
extern const struct cli_cmd *const cli_command_table;

#endif
