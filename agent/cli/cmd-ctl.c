/* SPDX-License-Identifier: MIT */
/*
 * Commands answered by the running daemon over the control socket:
 * `outpost status [--json]` and `outpost reload`. The daemon answers JSON;
 * --json passes it through for scripts, and the plain form is a table for
 * people (like `systemctl status`) of the fields they look at; --json has
 * every field.
 *
 * Must not: print the answer's text to a terminal unescaped (a config path
 * or an error message could hold control characters).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-json.h"
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

/* ---- The table ---- */

/* s for a terminal: control characters (C0, DEL, C1) become '?'. */
static const char *
safe(const char *s, char *buf, size_t n)
{
	size_t o = 0;

	if (s == NULL)
		s = "";
	for (; *s != '\0' && o + 1 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == 0xc2 && (unsigned char)s[1] >= 0x80 &&
			(unsigned char)s[1] <= 0x9f) {
			s++;
			c = '?';
		}
		buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* One "      label: text" line; a NULL label continues the previous. */
static void
row(const char *label, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
row(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%12s%c ", label != NULL ? label : "", label != NULL ? ':' : ' ');
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void
fmt_duration(double s, char *buf, size_t n)
{
	unsigned long long v = s > 0 ? (unsigned long long)s : 0;

	if (v >= 86400)
		snprintf(buf, n, "%llud %lluh", v / 86400, v % 86400 / 3600);
	else if (v >= 3600)
		snprintf(buf, n, "%lluh %02llum", v / 3600, v % 3600 / 60);
	else if (v >= 60)
		snprintf(buf, n, "%llum %02llus", v / 60, v % 60);
	else
		snprintf(buf, n, "%llus", v);
}

static void
print_rendezvous(const struct cj_doc *j)
{
	const char *server = cj_str(cj_get(j, NULL, "server"));
	const char *addr = cj_str(cj_get(j, NULL, "server_address"));
	const char *result = cj_str(cj_get(j, NULL, "registration_result"));
	const char *advice = cj_str(cj_get(j, NULL, "registration_advice"));
	const char *mode = cj_str(cj_get(j, NULL, "registration_mode"));
	double age = cj_num(cj_get(j, NULL, "last_ack_age_ms"), -1);
	double fails = cj_num(cj_get(j, NULL, "registration_failures"), 0);
	char a[300], b[300], c[600];

	if (server == NULL) {
		row("rendezvous", "not configured (reachable by direct IP "
				  "only)");
		return;
	}
	/* The resolved address, when it says more than the name. */
	if (addr != NULL && strcmp(addr, server) != 0)
		snprintf(b, sizeof(b), " (%s)", safe(addr, c, sizeof(c)));
	else
		b[0] = '\0';
	if (cj_true(cj_get(j, NULL, "registered")))
		row("rendezvous", "%s%s: registered, last answer %.1f s ago "
				  "(%s)",
			safe(server, a, sizeof(a)), b, age / 1000.0,
			mode != NULL ? mode : "udp");
	else
		row("rendezvous", "%s%s: NOT registered%s%s%s",
			safe(server, a, sizeof(a)), b,
			result != NULL ? " (" : "",
			result != NULL ? result : "",
			result != NULL ? ")" : "");
	if (!cj_true(cj_get(j, NULL, "registered")) && fails > 0)
		row(NULL, "%.0f attempt%s unanswered; `outpost doctor` checks "
			  "the way there",
			fails, fails == 1 ? "" : "s");
	if (advice != NULL)
		row(NULL, "%s", safe(advice, c, sizeof(c)));
	if (cj_get(j, NULL, "nat_type") != NULL)
		row("NAT", "%s", safe(cj_str(cj_get(j, NULL, "nat_type")), c,
					 sizeof(c)));
}

static void
print_direct(const struct cj_doc *j)
{
	const struct cj_node *da = cj_get(j, NULL, "direct_access");
	const char *err = cj_str(cj_get(j, da, "error"));
	char a[300];

	if (err != NULL)
		row("direct IP", "FAILED: %s", safe(err, a, sizeof(a)));
	else if (da != NULL && da->type == CJ_OBJ)
		row("direct IP", "%s (plaintext by protocol)",
			safe(cj_str(cj_get(j, da, "listen")), a, sizeof(a)));
	else
		row("direct IP", "off");
}

/* "x11 (available), wlr, virtual, mutter, portal (not built)" */
static void
print_backends(const struct cj_doc *j, const struct cj_node *dp)
{
	char line[300] = "", a[64];
	size_t len = 0;

	for (size_t i = 0; len < sizeof(line); i++) {
		const struct cj_node *b = cj_at(j, cj_get(j, dp, "backends"), i);

		if (b == NULL)
			break;
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s%s",
			i > 0 ? ", " : "",
			safe(cj_str(cj_get(j, b, "name")), a, sizeof(a)),
			!cj_true(cj_get(j, b, "built")) ? " (not built)" :
			cj_true(cj_get(j, b, "available")) ? " (available)" :
							     "");
	}
	if (line[0] != '\0')
		row(NULL, "backends: %s", line);
}

static void
print_display(const struct cj_doc *j)
{
	const struct cj_node *dp = cj_get(j, NULL, "display");
	const struct cj_node *vd = cj_get(j, dp, "virtual");
	const struct cj_node *streams;
	const char *name = cj_str(cj_get(j, dp, "name"));
	const char *err = cj_str(cj_get(j, dp, "error"));
	char a[300], b[300], c[64];

	if (dp == NULL)
		return;
	if (name != NULL)
		row("display", "%s (%s, %s), %s, %.0f session%s",
			safe(name, a, sizeof(a)),
			safe(cj_str(cj_get(j, dp, "backend")), c, sizeof(c)),
			safe(cj_str(cj_get(j, dp, "source")), b, sizeof(b)),
			cj_true(cj_get(j, dp, "open")) ? "open" : "lost",
			cj_num(cj_get(j, dp, "users"), 0),
			cj_num(cj_get(j, dp, "users"), 0) == 1 ? "" : "s");
	else
		row("display", "none open (looked for when a session starts)");
	if (vd != NULL && vd->type == CJ_OBJ)
		row(NULL, "virtual display %s (X server pid %.0f, session pid "
			  "%.0f)",
			safe(cj_str(cj_get(j, vd, "display")), a, sizeof(a)),
			cj_num(cj_get(j, vd, "pid"), 0),
			cj_num(cj_get(j, vd, "session_pid"), 0));
	if (err != NULL)
		row(NULL, "last error: %s", safe(err, a, sizeof(a)));
	print_backends(j, dp);
	for (size_t i = 0;; i++) {
		const struct cj_node *s = cj_at(j, cj_get(j, dp, "sessions"), i);

		if (s == NULL)
			break;
		row(NULL, "session %.0f on %s", cj_num(cj_get(j, s, "session"),
			0), safe(cj_str(cj_get(j, s, "backend")), a, sizeof(a)));
	}
	streams = cj_get(j, cj_get(j, NULL, "video"), "streams");
	for (size_t i = 0;; i++) {
		const struct cj_node *s = cj_at(j, streams, i);

		if (s == NULL)
			break;
		row(i == 0 ? "video" : NULL,
			"session %.0f display %.0f: %s %.0fx%.0f, %.0f fps, "
			"%.0f kbit/s, %.0f frames, latency p95 %.0f ms",
			cj_num(cj_get(j, s, "session"), 0),
			cj_num(cj_get(j, s, "display"), 0),
			safe(cj_str(cj_get(j, s, "codec")), a, sizeof(a)),
			cj_num(cj_get(j, s, "width"), 0),
			cj_num(cj_get(j, s, "height"), 0),
			cj_num(cj_get(j, s, "fps_target"), 0),
			cj_num(cj_get(j, s, "kbps_target"), 0),
			cj_num(cj_get(j, s, "frames"), 0),
			cj_num(cj_get(j, s, "latency_ms_p95"), 0));
	}
}

static int
print_table(const char *answer)
{
	struct cj_doc j;
	const struct cj_node *in, *ni;
	char a[300], b[64];
	int r;

	if ((r = cj_parse(answer, &j)) != 0 || j.v[0].type != CJ_OBJ) {
		cj_free(&j);
		fprintf(stderr, "outpost status: the agent's answer is not a "
				"JSON object (%s); try --json\n",
			op_strerror(r != 0 ? r : OP_ERR_PROTO));
		return EX_SOFTWARE;
	}
	fmt_duration(cj_num(cj_get(&j, NULL, "uptime_s"), 0), b, sizeof(b));
	printf("outpost %s: running (pid %.0f, up %s)\n",
		safe(cj_str(cj_get(&j, NULL, "version")), a, sizeof(a)),
		cj_num(cj_get(&j, NULL, "pid"), 0), b);
	row("ID", "%s", safe(cj_str(cj_get(&j, NULL, "id")), a, sizeof(a)));
	row("config", "%s",
		safe(cj_str(cj_get(&j, NULL, "config")), a, sizeof(a)));
	print_rendezvous(&j);
	if (cj_str(cj_get(&j, NULL, "proxy")) != NULL)
		row("proxy", "%s",
			safe(cj_str(cj_get(&j, NULL, "proxy")), a, sizeof(a)));
	print_direct(&j);
	row("password", "%s",
		cj_true(cj_get(&j, NULL, "permanent_password")) ?
			"permanent password set" :
			"no permanent password (one-time password only)");
	row("sessions", "%.0f open, %.0f since start",
		cj_num(cj_get(&j, NULL, "sessions"), 0),
		cj_num(cj_get(&j, NULL, "sessions_total"), 0));
	if ((in = cj_get(&j, NULL, "incoming")) != NULL)
		row(NULL, "incoming via the servers: %.0f started, %.0f "
			  "connected, %.0f failed",
			cj_num(cj_get(&j, in, "started"), 0),
			cj_num(cj_get(&j, in, "connected"), 0),
			cj_num(cj_get(&j, in, "failed"), 0));
	print_display(&j);
	ni = cj_get(&j, NULL, "not_implemented");
	for (size_t i = 0; cj_at(&j, ni, i) != NULL; i++)
		printf("%s%s", i == 0 ? "not yet: " : ", ",
			safe(cj_str(cj_at(&j, ni, i)), a, sizeof(a)));
	if (cj_at(&j, ni, 0) != NULL)
		putchar('\n');
	cj_free(&j);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* ---- Commands ---- */

static const char status_usage[] =
	"usage: outpost [-c FILE] status [--json]\n\n"
	"Asks the running agent for its state (ID, server, registration,\n"
	"listeners, sessions, display) and prints it as a table, or with\n"
	"--json as one JSON object (config/schema/status.schema.json); when\n"
	"the agent is not running that is {\"running\":false}. Exit 69 when "
	"it is not\nrunning.\n";

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	char *answer = NULL;
	bool json = false;
	int rc;

	if (cli_want_help(argc, argv, status_usage))
		return EX_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			return cli_usage_error("status", status_usage,
				argv[i][0] == '-' ? "unknown option '%s'" :
						    "unexpected argument '%s'",
				argv[i]);
		json = true;
	}
	if ((rc = ask_daemon(cli, "status", &answer)) != 0) {
		/* A script parsing stdout still gets JSON. */
		if (json && rc == EX_UNAVAILABLE)
			puts("{\"running\":false}");
		return rc;
	}
	if (json) {
		fputs(answer, stdout);
		if (answer[0] == '\0' || answer[strlen(answer) - 1] != '\n')
			putchar('\n');
		rc = fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	} else {
		rc = print_table(answer);
	}
	free(answer);
	return rc;
}

int
cmd_reload(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: outpost [-c FILE] reload\n\n"
		"Makes the running agent re-read its configuration, password "
		"and identity.\nAn invalid file is reported and the running "
		"configuration kept (exit 78).\n";
	struct cj_doc j = { 0 };
	const struct cj_node *errs;
	char *answer = NULL;
	char a[1100];
	int rc;

	if (cli_want_help(argc, argv, usage))
		return EX_OK;
	if (cli_no_args(argc, argv, "reload", usage) != 0)
		return EX_USAGE;
	if ((rc = ask_daemon(cli, "reload", &answer)) != 0)
		return rc;
	if (cj_parse(answer, &j) != 0) {
		fprintf(stderr, "outpost reload: unexpected answer from the "
				"agent\n");
		rc = EX_SOFTWARE;
	} else if (cj_true(cj_get(&j, NULL, "ok"))) {
		printf("The running agent reloaded its configuration, "
		       "password and identity.\n");
		rc = EX_OK;
	} else {
		errs = cj_get(&j, NULL, "errors");
		for (size_t i = 0; cj_at(&j, errs, i) != NULL; i++)
			fprintf(stderr, "%s\n",
				safe(cj_str(cj_at(&j, errs, i)), a,
					sizeof(a)));
		fprintf(stderr, "outpost reload: the agent kept its running "
				"configuration (its log says why)\n");
		rc = EX_CONFIG;
	}
	cj_free(&j);
	free(answer);
	return rc;
}
