/* SPDX-License-Identifier: MIT */
/*
 * `outpost audit list|show|export|verify|forward`, and the glue that lets
 * the daemon open the audit trail with forwarding over net/ (the
 * audit_transport below: TCP, or TLS via mbedTLS, through the configured
 * proxy if any). The read commands open audit.db read-only and work
 * whether or not the agent runs; `forward` needs the writer lock, so it
 * runs only while the agent is stopped (the agent forwards by itself).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "audit/audit-query.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/time.h"
#include "net/connect.h"
#include "net/stream.h"
#include "store/state.h"

/* ---- The transport: one HTTP exchange over net/ ---- */

struct xchg {
	struct net_connect *nc;
	struct stream *s;
	struct net_connect_report rep;
	struct net_connect_opts opts;
	uint8_t *req;
	size_t req_len;
	char host[256];
	char ca[4096];
	bool tls;
	bool started;    /* stream_start was called (on_closed gets x) */
	bool closing;
	bool done;
	audit_http_read_fn on_read;
	audit_http_done_fn on_done;
	void *arg;
};

static void
x_free(struct xchg *x)
{
	free(x->req);
	free(x);
}

static void
x_finish(struct xchg *x, int status, const char *why)
{
	if (x->done)
		return;
	x->done = true;
	x->on_done(x->arg, status, why != NULL ? why : "");
}

static void
x_on_closed(void *arg)
{
	struct xchg *x = arg;

	x_finish(x, UV_ECANCELED, "cancelled");
	x_free(x);
}

/* Ends the exchange: the stream is closed, x freed from its callback. */
static void
x_close(struct xchg *x)
{
	if (x->closing)
		return;
	x->closing = true;
	stream_close(x->s, x_on_closed);
}

static void
x_on_read(struct stream *s, void *arg, const uint8_t *data, size_t len)
{
	struct xchg *x = arg;
	int r;

	(void)s;
	if (x->done)
		return;
	r = x->on_read(x->arg, data, len);
	if (r == OP_ERR_INCOMPLETE)
		return;
	x_finish(x, r, r != 0 ? "malformed answer from the server" : NULL);
	x_close(x);
}

static void
x_on_end(struct stream *s, void *arg, int status)
{
	struct xchg *x = arg;

	(void)s;
	x_finish(x, status != 0 ? status : UV_EOF,
		"the connection ended before the answer");
	x_close(x);
}

static void
x_begin(struct xchg *x)
{
	int r;

	x->started = true;
	if ((r = stream_start(x->s, x_on_read, x_on_end, x)) == 0)
		r = stream_write(x->s, x->req, x->req_len);
	if (r != 0) {
		x_finish(x, r, "sending the request failed");
		x_close(x);
	}
}

static void
x_on_tls(void *arg, int status)
{
	struct xchg *x = arg;

	if (status == 0 && !x->closing) {
		x_begin(x);
		return;
	}
	/* Failed, or cancelled while the handshake ran (then the stream is
	 * already closing and will not call us again). */
	x_finish(x, status != 0 ? status : UV_ECANCELED,
		stream_tls_error(x->s));
	if (!x->closing)
		stream_close(x->s, NULL);
	x_free(x);
}

static void
x_on_connected(void *arg, int status, struct stream *s)
{
	struct xchg *x = arg;
	struct stream_tls_opts to = { .hostname = x->host, .ca_file = x->ca };
	int r;

	x->nc = NULL;
	if (status != 0) {
		x_finish(x, status, x->rep.message);
		x_free(x);
		return;
	}
	if (!x->tls) {
		x->s = s;
		x_begin(x);
		return;
	}
	if ((r = stream_tls_new(s, &to, x_on_tls, x, &x->s)) != 0) {
		x_finish(x, r, r == OP_ERR_CONFIG ?
				"cannot read audit.forward.ca" :
				"TLS setup failed");
		x_free(x);
	}
}

static int
x_exchange(void *ctx, uv_loop_t *loop, const struct audit_http_req *req,
	audit_http_read_fn on_read, audit_http_done_fn on_done, void *arg,
	void **handle)
{
	struct xchg *x;
	int r;

	*handle = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL ||
		(x->req = malloc(req->len)) == NULL) {
		free(x);
		return OP_ERR_NOMEM;
	}
	memcpy(x->req, req->data, req->len);
	x->req_len = req->len;
	snprintf(x->host, sizeof(x->host), "%s", req->host);
	snprintf(x->ca, sizeof(x->ca), "%s", req->ca_file);
	x->tls = req->tls;
	x->on_read = on_read;
	x->on_done = on_done;
	x->arg = arg;
	x->opts.proxy = ctx;
	x->opts.report = &x->rep;
	r = net_connect_start(loop, x->host, req->port, &x->opts,
		x_on_connected, x, &x->nc);
	if (r != 0) {
		x_free(x);
		return r;
	}
	*handle = x;
	return 0;
}

static void
x_cancel(void *handle)
{
	struct xchg *x = handle;

	if (x->nc != NULL)
		net_connect_cancel(x->nc); /* x_on_connected follows */
	else if (x->started)
		x_close(x);
	else if (!x->closing) {
		x->closing = true; /* TLS handshake: x_on_tls follows */
		stream_close(x->s, NULL);
	}
}

static struct audit_transport net_transport = {
	.exchange = x_exchange,
	.cancel = x_cancel,
};

int
cli_audit_opts(const struct conf *conf, const struct state *st,
	const struct proxy_conf *proxy, struct audit_opts *o, char *why,
	size_t why_size)
{
	int r;

	if ((r = audit_opts_from_conf(conf, o, why, why_size)) != 0)
		return r;
	o->state_dir = state_dir(st);
	o->host_id = state_id(st);
	o->host_uuid = state_uuid(st);
	net_transport.ctx = (void *)proxy;
	o->transport = &net_transport;
	return 0;
}

int
cli_audit_open(uv_loop_t *loop, const struct conf *conf,
	const struct state *st, const struct proxy_conf *proxy,
	struct audit **out, char *why, size_t why_size)
{
	struct audit_opts o;
	int r;

	*out = NULL;
	if ((r = cli_audit_opts(conf, st, proxy, &o, why, why_size)) != 0)
		return r;
	return audit_open(loop, &o, out, why, why_size);
}

/* ---- Commands ---- */

static int
exit_code(int r)
{
	if (r == -EPIPE)
		return EX_IOERR; /* the reader left (| head): say nothing */
	if (r == -ENOENT)
		return EX_NOINPUT;
	if (r == -EACCES || r == -EPERM || r == OP_ERR_PERM)
		return EX_NOPERM;
	if (r == OP_ERR_PROTO)
		return EX_DATAERR;
	if (r == OP_ERR_NOMEM)
		return EX_OSERR;
	return EX_IOERR;
}

/* Loads the config and opens the trail read-only; prints why. With
 * missing_ok, a trail that does not exist yet is 0 with *out NULL. */
static int
open_reader(struct cli *cli, struct audit_reader **out, bool missing_ok)
{
	struct conf *conf = NULL;
	char why[600];
	int rc, r;

	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	r = audit_reader_open(cli_state_dir(conf), out, why, sizeof(why));
	conf_unref(conf);
	if (r == 0)
		return 0;
	fprintf(stderr, "outpost audit: %s\n", why);
	if (r == -ENOENT && missing_ok)
		return 0;
	if (r == -EACCES)
		fprintf(stderr, "outpost audit: run as root or as the agent's "
				"user\n");
	return exit_code(r);
}

static const struct option filter_opts[] = {
	{ "since", required_argument, NULL, 's' },
	{ "until", required_argument, NULL, 'u' },
	{ "peer", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, 'j' },
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	struct audit_filter f;
	bool json;
	const char *format;
};

/* Parses the options common to list and export; returns 0 or EX_USAGE
 * (after saying what is wrong). */
static int
parse_args(int argc, char **argv, bool allow_format, struct args *a,
	const char *cmd, const char *usage)
{
	int64_t now = (int64_t)op_wall_us();
	int ch;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", filter_opts, NULL)) != -1) {
		switch (ch) {
		case 's':
		case 'u':
			if (audit_parse_time(optarg, now, ch == 's' ?
					&a->f.since_us :
					&a->f.until_us) != 0) {
				fprintf(stderr,
					"outpost audit: bad time '%s' (use "
					"2026-11-24T10:00:00Z, \"2026-11-24 "
					"10:00\", 2026-11-24, or 30m, 1h, "
					"7d ago)\n",
					optarg);
				return EX_USAGE;
			}
			if (ch == 's')
				a->f.has_since = true;
			else
				a->f.has_until = true;
			break;
		case 'p':
			a->f.peer = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'f':
			if (!allow_format)
				return cli_usage_error(cmd, usage,
					"unknown option '--format'");
			a->format = optarg;
			break;
		default:
			return cli_getopt_error(argv, ch, cmd, usage);
		}
	}
	if (optind != argc)
		return cli_usage_error(cmd, usage, "unexpected argument '%s'",
			argv[optind]);
	return 0;
}

static const char list_usage[] =
	"usage: outpost [-c FILE] audit list [--since TIME] [--until TIME] "
	"[--peer ID] [--json]\n\n"
	"Lists the recorded sessions that overlap the time range. TIME is "
	"ISO 8601\n(2026-11-24T10:00:00Z; without a zone it is local time), "
	"\"2026-11-24 10:00\",\n2026-11-24, or a duration before now: 90s, "
	"30m, 1h, 7d, 2w.\n";

static int
cmd_audit_list(struct cli *cli, int argc, char **argv)
{
	struct audit_reader *r = NULL;
	struct args a;
	int rc, e;

	if (cli_want_help(argc, argv, list_usage))
		return EX_OK;
	if (parse_args(argc, argv, false, &a, "audit list", list_usage) != 0)
		return EX_USAGE;
	if ((rc = open_reader(cli, &r, true)) != 0)
		return rc;
	if (r == NULL) {
		/* Nothing recorded is an empty list, for scripts too. */
		if (a.json)
			puts("[]");
		return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	}
	e = audit_list_sessions(r, &a.f, a.json, stdout);
	audit_reader_free(r);
	if (e != 0) {
		if (e != -EPIPE)
			fprintf(stderr, "outpost audit list: %s\n",
				op_strerror(e));
		return exit_code(e);
	}
	return EX_OK;
}

static const char show_usage[] =
	"usage: outpost [-c FILE] audit show SESSION [--json]\n\n"
	"Shows one session and every event recorded for it.\n";

static int
cmd_audit_show(struct cli *cli, int argc, char **argv)
{
	struct audit_reader *r = NULL;
	const char *id = NULL;
	bool json = false;
	char *end = NULL;
	long long sid;
	int rc, e;

	if (cli_want_help(argc, argv, show_usage))
		return EX_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] == '-')
			return cli_usage_error("audit show", show_usage,
				"unknown option '%s'", argv[i]);
		else if (id == NULL)
			id = argv[i];
		else
			return cli_usage_error("audit show", show_usage,
				"unexpected argument '%s'", argv[i]);
	}
	if (id == NULL)
		return cli_usage_error("audit show", show_usage,
			"missing SESSION (a number from `outpost audit "
			"list`)");
	errno = 0;
	sid = strtoll(id, &end, 10);
	if (*id == '\0' || *end != '\0' || errno != 0 || sid <= 0)
		return cli_usage_error("audit show", show_usage,
			"SESSION is a positive number, not '%s'", id);
	if ((rc = open_reader(cli, &r, false)) != 0)
		return rc;
	e = audit_show_session(r, sid, json, stdout);
	audit_reader_free(r);
	if (e == OP_ERR_NOT_FOUND) {
		fprintf(stderr, "outpost audit show: no session %lld\n", sid);
		return EX_NOINPUT;
	}
	if (e != 0) {
		fprintf(stderr, "outpost audit show: %s\n", op_strerror(e));
		return exit_code(e);
	}
	return EX_OK;
}

static const char export_usage[] =
	"usage: outpost [-c FILE] audit export [--format jsonl|csv] "
	"[--since TIME]\n                                   [--until TIME] "
	"[--peer ID]\n\n"
	"Writes every event, with its prev_hash and hash, to stdout: one "
	"JSON object\nper line (default) or CSV with a header line.\n";

static int
cmd_audit_export(struct cli *cli, int argc, char **argv)
{
	enum audit_export_format fmt = AUDIT_EXPORT_JSONL;
	struct audit_reader *r = NULL;
	struct args a;
	int rc, e;

	if (cli_want_help(argc, argv, export_usage))
		return EX_OK;
	if (parse_args(argc, argv, true, &a, "audit export", export_usage) !=
		0)
		return EX_USAGE;
	if (a.json)
		return cli_usage_error("audit export", export_usage,
			"--json is not an export option (the default format, "
			"jsonl, is JSON)");
	if (a.format != NULL && strcmp(a.format, "jsonl") != 0 &&
		strcmp(a.format, "csv") != 0)
		return cli_usage_error("audit export", export_usage,
			"--format is jsonl or csv, not '%s'", a.format);
	if (a.format != NULL && strcmp(a.format, "csv") == 0)
		fmt = AUDIT_EXPORT_CSV;
	if ((rc = open_reader(cli, &r, false)) != 0)
		return rc;
	e = audit_export(r, &a.f, fmt, stdout);
	audit_reader_free(r);
	if (e == 0 && fflush(stdout) != 0)
		e = errno == EPIPE ? -EPIPE : -EIO;
	if (e != 0) {
		if (e != -EPIPE)
			fprintf(stderr, "outpost audit export: %s\n",
				op_strerror(e));
		return exit_code(e);
	}
	return EX_OK;
}

static const char verify_usage[] =
	"usage: outpost [-c FILE] audit verify\n\n"
	"Checks the hash chain of the audit trail. Exit 0 when it is intact; "
	"65 when a\nrow was edited or deleted (each problem is named on "
	"stdout). Compare the\nprinted head with the journal "
	"(OUTPOST_SEQ/OUTPOST_HASH) to detect rows cut\noff the end or a "
	"recomputed chain.\n";

static int
cmd_audit_verify(struct cli *cli, int argc, char **argv)
{
	struct audit_verify_result res;
	struct audit_reader *r = NULL;
	int rc, e;

	if (cli_want_help(argc, argv, verify_usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "audit verify", verify_usage) != 0)
		return EX_USAGE;
	if ((rc = open_reader(cli, &r, false)) != 0)
		return rc;
	e = audit_verify(r, stdout, &res);
	audit_reader_free(r);
	if (e != 0) {
		fprintf(stderr, "outpost audit verify: %s\n", op_strerror(e));
		return exit_code(e);
	}
	if (res.problems > 0) {
		printf("audit trail NOT intact: %llu problem%s in %llu rows; "
		       "first: %s\n",
			(unsigned long long)res.problems,
			res.problems == 1 ? "" : "s",
			(unsigned long long)res.rows, res.first_problem);
		return EX_DATAERR;
	}
	if (res.rows == 0)
		printf("audit trail intact: no records\n");
	else
		printf("audit trail intact: %llu rows, events#%lld-%lld, "
		       "head %s\n",
			(unsigned long long)res.rows, (long long)res.first_id,
			(long long)res.last_id, res.head_hash);
	return EX_OK;
}

struct fwd_run {
	struct audit *a;
	int status;
	uint64_t sent;
	struct audit_fwd_stats stats;
};

static void
on_fwd_closed(void *arg)
{
	(void)arg;
}

static void
on_flushed(void *arg, int status, uint64_t sent)
{
	struct fwd_run *fr = arg;

	fr->status = status;
	fr->sent = sent;
	audit_forward_stats(fr->a, &fr->stats);
	audit_close(fr->a, on_fwd_closed, NULL);
}

static const char forward_usage[] =
	"usage: outpost [-c FILE] audit forward\n\n"
	"Sends the queued connection records to audit.forward.url now, "
	"oldest first,\nand stops at the first failure (the records stay "
	"queued). Only while the\nagent is stopped; a running agent "
	"forwards by itself. Exit 0 when the queue\nis empty, 75 when the "
	"server could not take them.\n";

static int
cmd_audit_forward(struct cli *cli, int argc, char **argv)
{
	struct fwd_run fr = { .status = OP_ERR_INTERNAL };
	struct audit_opts o;
	struct state *st = NULL;
	struct conf *conf = NULL;
	uv_loop_t loop;
	char why[600] = "";
	int rc, r;

	if (cli_want_help(argc, argv, forward_usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "audit forward", forward_usage) != 0)
		return EX_USAGE;
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	if (!conf_bool(conf, CONF_AUDIT_FORWARD_ENABLED)) {
		fprintf(stderr, "outpost audit forward: audit.forward.enabled "
				"is not set\n");
		conf_unref(conf);
		return EX_CONFIG;
	}
	if ((rc = cli_open_state(conf, &st)) != 0) {
		conf_unref(conf);
		return rc;
	}
	uv_loop_init(&loop);
	r = cli_audit_opts(conf, st, NULL, &o, why, sizeof(why));
	if (r == 0) {
		/* Maintenance: no audit.open/close rows, no pruning. */
		o.quiet = true;
		o.max_age_s = o.max_size_bytes = 0;
		r = audit_open(&loop, &o, &fr.a, why, sizeof(why));
	}
	if (r == 0) {
		r = audit_forward_flush(fr.a, on_flushed, &fr);
		if (r != 0)
			audit_close(fr.a, on_fwd_closed, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&loop);
	state_free(st);
	conf_unref(conf);
	if (r != 0) {
		fprintf(stderr, "outpost audit forward: %s\n",
			why[0] ? why : op_strerror(r));
		return r == OP_ERR_STATE ? EX_TEMPFAIL : exit_code(r);
	}
	printf("%llu record%s sent\n", (unsigned long long)fr.sent,
		fr.sent == 1 ? "" : "s");
	if (fr.status != 0) {
		fprintf(stderr, "outpost audit forward: %s; the rest stays "
				"queued\n",
			fr.stats.last_error[0] ? fr.stats.last_error :
						 op_strerror(fr.status));
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

static const struct cli_cmd audit_cmds[] = {
	{ "list", cmd_audit_list, "list recorded sessions" },
	{ "show", cmd_audit_show, "show one session and its events" },
	{ "export", cmd_audit_export, "write every event as JSONL or CSV" },
	{ "verify", cmd_audit_verify, "check the hash chain (tampering)" },
	{ "forward", cmd_audit_forward,
		"send queued records to the API server now" },
	{ NULL, NULL, NULL },
};

int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, audit_cmds, argc, argv, "audit");
}
