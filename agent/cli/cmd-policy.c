/* SPDX-License-Identifier: MIT */
/*
 * `outpost policy explain`: runs the daemon's policy decision for a
 * hypothetical connection and prints the verdict, the rule that made it,
 * the consent outcome, the permissions and the limits. It loads the
 * configuration and builds the rules with the same glue as the daemon
 * (policy-conf.c), so what it prints is what the daemon would do.
 * Exit codes: 0 allow, 1 deny, 2 ask (allowed once the local user
 * clicks Allow), 64 usage, 78 configuration error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/policy-conf.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/netaddr.h"

#define EXIT_DENY 1
#define EXIT_ASK 2

static const char explain_usage[] =
	"usage: outpost [-c FILE] policy explain --peer ID --from ADDR\n"
	"         [--at TIME] [--user-present] [--kind KIND] [--name NAME]\n"
	"         [--encrypted | --plaintext] [--path direct-ip|rendezvous]\n"
	"         [--sessions N]\n"
	"\n"
	"Shows what the agent would decide for a connection from peer ID at\n"
	"address ADDR, the rule that decides, the consent it needs, and the\n"
	"permissions and limits of the session.\n"
	"  --at TIME        now (default), @EPOCH, 'YYYY-MM-DD HH:MM[:SS]' or\n"
	"                   'Mon 09:30' (wall times in "
	"policy.schedule_timezone)\n"
	"  --user-present   a user has an active graphical session\n"
	"  --kind KIND      desktop (default), file-transfer, terminal,\n"
	"                   port-forward, camera\n"
	"  --encrypted      the key exchange completed (default for "
	"rendezvous)\n"
	"  --plaintext      it did not (default for direct-ip)\n"
	"  --path PATH      rendezvous (default: punch, LAN or relay) or "
	"direct-ip\n"
	"  --sessions N     sessions already open (default 0)\n"
	"exit codes: 0 allow, 1 deny, 2 ask the local user, 64 usage,\n"
	"78 configuration error.\n";

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
	"Sat" };

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* --at: fills *tm (tm_wday, tm_hour, tm_min, tm_sec at least). */
static int
parse_at(const char *s, const char *tz, struct tm *tm)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, mo, d, h, mi, sec = 0, n = 0;
	char sep;

	memset(tm, 0, sizeof(*tm));
	if (s == NULL || strcmp(s, "now") == 0)
		return policy_conf_localtime(tz, time(NULL), tm);
	if (s[0] == '@') {
		char *end;
		long long v = strtoll(s + 1, &end, 10);

		if (s[1] == '\0' || *end != '\0')
			return OP_ERR_CONFIG;
		return policy_conf_localtime(tz, (time_t)v, tm);
	}
	for (int w = 0; w < 7; w++) {
		if (strncasecmp(s, wdays[w], 3) == 0 && s[3] == ' ') {
			if (sscanf(s + 4, "%2d:%2d%n", &h, &mi, &n) != 2 ||
				s[4 + n] != '\0' || h < 0 || h > 23 || mi < 0 ||
				mi > 59)
				return OP_ERR_CONFIG;
			tm->tm_wday = w;
			tm->tm_hour = h;
			tm->tm_min = mi;
			return 0;
		}
	}
	if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi,
		    &n) != 6 ||
		(sep != ' ' && sep != 'T'))
		return OP_ERR_CONFIG;
	if (s[n] == ':') {
		int m = 0;

		if (sscanf(s + n, ":%2d%n", &sec, &m) != 1 || m == 0)
			return OP_ERR_CONFIG;
		n += m;
	}
	if (s[n] != '\0')
		return OP_ERR_CONFIG;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
		d > mdays[mo - 1] + (mo == 2 && leap(y)) || h < 0 || h > 23 ||
		mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return OP_ERR_CONFIG;
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	tm->tm_wday = (int)(((days_from_civil(y, (unsigned)mo, (unsigned)d) %
				     7) + 11) % 7);
	return 0;
}

static int
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	memset(ss, 0, sizeof(*ss));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET, s,
		    &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s,
		    &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return OP_ERR_CONFIG;
}

static void
fmt_dur(uint64_t s, char *buf, size_t bufsz)
{
	if (s == 0)
		snprintf(buf, bufsz, "0");
	else if (s % 3600 == 0)
		snprintf(buf, bufsz, "%lluh", (unsigned long long)(s / 3600));
	else if (s >= 3600)
		snprintf(buf, bufsz, "%lluh%llum", (unsigned long long)(s / 3600),
			(unsigned long long)(s % 3600 / 60));
	else if (s % 60 == 0)
		snprintf(buf, bufsz, "%llum", (unsigned long long)(s / 60));
	else
		snprintf(buf, bufsz, "%llus", (unsigned long long)s);
}

static const char *const verify_names[] = { "the permanent password",
	"the one-time password", "the permanent or the one-time password" };

static void
print_decision(const struct policy_rules *r, const struct lockout_conf *lc,
	const struct policy_request *q, const struct policy_decision *d,
	const char *from, const char *tz)
{
	char perms[256], a[32], b[32], c[32];
	uint32_t off = POLICY_PERM_INFO_MASK & ~d->perms;

	printf("decision:    %s\n", policy_verdict_name(d->verdict));
	if (d->error != NULL)
		printf("sent:        \"%s\" (LoginResponse.error)\n", d->error);
	printf("rule:        %s\n", d->rule);
	printf("reason:      %s\n", d->reason);
	printf("request:     %s '%s' from %s via %s (%s), %s, %s %02d:%02d "
	       "(%s), %s, %u open session%s\n",
		q->stage == POLICY_STAGE_LOGIN ? "peer" : "connection",
		q->peer_id, from,
		q->path == POLICY_PATH_DIRECT_IP ? "direct IP" : "rendezvous",
		q->encrypted ? "encrypted" : "plaintext",
		policy_kind_name(q->kind), wdays[q->local.tm_wday % 7],
		q->local.tm_hour, q->local.tm_min, tz,
		q->user_present ? "user present" : "no user",
		q->active_sessions, q->active_sessions == 1 ? "" : "s");
	if (d->verdict == POLICY_DENY)
		return;
	printf("consent:     %s; %s\n", policy_auth_name(d->consent.auth),
		d->consent.reason);
	if (d->verdict == POLICY_ASK)
		printf("             the local user has %us to answer; no "
		       "answer is a denial\n",
			d->consent.timeout_s);
	if (d->consent.auth != POLICY_AUTH_CLICK)
		printf("passwords:   %s (access.verification)\n",
			verify_names[r->verification % 3]);
	policy_perms_format(d->perms, perms, sizeof(perms));
	printf("granted:     %s\n", perms);
	if (q->kind == POLICY_KIND_DESKTOP) {
		policy_perms_format(off, perms, sizeof(perms));
		printf("not granted: %s (sent as PermissionInfo "
		       "enabled=false)\n",
			perms);
	}
	if (r->allow & ~r->implemented) {
		policy_perms_format(r->allow & ~r->implemented, perms,
			sizeof(perms));
		printf("allowed, not implemented yet: %s\n", perms);
	}
	fmt_dur(d->max_duration_s, a, sizeof(a));
	fmt_dur(d->idle_timeout_s, b, sizeof(b));
	printf("limits:      at most %u sessions, duration %s, idle timeout "
	       "%s\n",
		r->max_sessions, d->max_duration_s ? a : "unlimited",
		d->idle_timeout_s ? b : "none");
	if (d->window_left_s != 0) {
		fmt_dur(d->window_left_s / 60 * 60, c, sizeof(c));
		printf("schedule:    the window closes in %s; the session "
		       "ends then\n",
			c);
	}
	fmt_dur(lc->window_ms / 1000, a, sizeof(a));
	fmt_dur(lc->duration_ms / 1000, b, sizeof(b));
	printf("lockout:     %u wrong passwords in %s lock the source, its "
	       "IPv6 /64 or the peer ID for %s;\n",
		lc->failures, a, b);
	if (lc->global_per_minute > 0)
		printf("             %u per minute from everyone lock all "
		       "logins for 1m;\n",
			lc->global_per_minute);
	printf("             the one-time password changes after %u\n",
		lc->otp_rotate_after);
}

static int
explain(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "at", required_argument, NULL, 'a' },
		{ "user-present", no_argument, NULL, 'u' },
		{ "kind", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "encrypted", no_argument, NULL, 'e' },
		{ "plaintext", no_argument, NULL, 'P' },
		{ "path", required_argument, NULL, 't' },
		{ "sessions", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct policy_request q = { .stage = POLICY_STAGE_LOGIN };
	const char *from = NULL, *at = NULL;
	struct sockaddr_storage ss;
	struct policy_rules *rules = NULL;
	struct policy_decision d;
	struct lockout_conf lc;
	struct conf *conf = NULL;
	int enc = -1, ch, r, rc;
	char why[512];

	if (cli_want_help(argc, argv, explain_usage))
		return EX_OK;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			q.peer_id = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		case 'u':
			q.user_present = true;
			break;
		case 'n':
			q.peer_name = optarg;
			break;
		case 'e':
			enc = 1;
			break;
		case 'P':
			enc = 0;
			break;
		case 'k': {
			int k;

			for (k = 0; k < POLICY_KIND_COUNT_; k++)
				if (strcmp(optarg, policy_kind_name(
							   (enum policy_kind)k)) ==
					0)
					break;
			if (k == POLICY_KIND_COUNT_) {
				fprintf(stderr, "outpost policy explain: "
						"unknown kind '%s'\n",
					optarg);
				return EX_USAGE;
			}
			q.kind = (enum policy_kind)k;
			break;
		}
		case 't':
			if (strcmp(optarg, "direct-ip") == 0) {
				q.path = POLICY_PATH_DIRECT_IP;
			} else if (strcmp(optarg, "rendezvous") == 0) {
				q.path = POLICY_PATH_RENDEZVOUS;
			} else {
				fprintf(stderr, "outpost policy explain: "
						"--path is direct-ip or "
						"rendezvous\n");
				return EX_USAGE;
			}
			break;
		case 's': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v > 100000) {
				fprintf(stderr, "outpost policy explain: bad "
						"--sessions\n");
				return EX_USAGE;
			}
			q.active_sessions = (unsigned)v;
			break;
		}
		default:
			return cli_getopt_error(argv, ch, "policy explain",
				explain_usage);
		}
	}
	if (optind != argc)
		return cli_usage_error("policy explain", explain_usage,
			"unexpected argument '%s'", argv[optind]);
	if (q.peer_id == NULL || from == NULL)
		return cli_usage_error("policy explain", explain_usage,
			"missing %s%s%s", q.peer_id == NULL ? "--peer ID" : "",
			q.peer_id == NULL && from == NULL ? " and " : "",
			from == NULL ? "--from ADDR" : "");
	if (parse_addr(from, &ss) != 0) {
		fprintf(stderr, "outpost policy explain: --from needs an IPv4 "
				"or IPv6 address, got '%s'\n",
			from);
		return EX_USAGE;
	}
	q.source = (const struct sockaddr *)&ss;
	q.encrypted = enc >= 0 ? enc == 1 : q.path == POLICY_PATH_RENDEZVOUS;
	if ((rc = cli_load_conf(cli, &conf)) != 0)
		return rc;
	if ((r = policy_conf_rules(conf, &rules, why, sizeof(why))) != 0) {
		fprintf(stderr, "%s: %s\n", conf_source(conf),
			r == OP_ERR_CONFIG ? why : op_strerror(r));
		rc = r == OP_ERR_NOMEM ? EX_OSERR : EX_CONFIG;
		goto out;
	}
	if (parse_at(at, policy_conf_timezone(conf), &q.local) != 0) {
		fprintf(stderr, "outpost policy explain: --at is now, @EPOCH, "
				"'YYYY-MM-DD HH:MM[:SS]' or 'Mon 09:30'\n");
		rc = EX_USAGE;
		goto out;
	}
	policy_conf_lockout(conf, &lc);
	policy_decide(rules, &q, &d);
	print_decision(rules, &lc, &q, &d, from, policy_conf_timezone(conf));
	rc = d.verdict == POLICY_ALLOW ? EX_OK :
		d.verdict == POLICY_ASK	     ? EXIT_ASK :
					       EXIT_DENY;
out:
	policy_rules_unref(rules);
	conf_unref(conf);
	return rc;
}

static const struct cli_cmd policy_cmds[] = {
	{ "explain", explain, "show the decision for a peer, time and kind" },
	{ NULL, NULL, NULL },
};

int
cmd_policy(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, policy_cmds, argc, argv, "policy");
}
