/* SPDX-License-Identifier: MIT */
/*
 * Daemon lifecycle. At this stage the agent has an identity and a
 * one-time password but no network service yet: it says so on start and
 * idles on the loop (no timers, no polling) until it is stopped.
 * SIGHUP re-reads the config and swaps it atomically, keeping the old one
 * when the new file is invalid.
 */
#include "cli/daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/password.h"
#include "store/state.h"

struct daemon {
	uv_loop_t loop;
	struct cli *cli;
	struct conf *conf;
	struct state *state;
	char otp[OTP_MAX_LEN + 1];
	uv_signal_t sig_int;
	uv_signal_t sig_term;
	uv_signal_t sig_hup;
};

static void
apply_log_conf(const struct conf *conf)
{
	enum op_log_level level = OP_LOG_INFO;
	enum op_log_target target = OP_LOG_AUTO;

	/* Both were validated by conf; the defaults only guard a bug. */
	(void)op_log_level_parse(conf_str(conf, CONF_LOG_LEVEL), &level);
	(void)op_log_target_parse(conf_str(conf, CONF_LOG_TARGET), &target);
	op_log_init("outpost", level, target);
}

static int
new_otp(struct daemon *d)
{
	enum otp_charset cs = OTP_SAFE32;

	(void)otp_charset_parse(
		conf_str(d->conf, CONF_ACCESS_ONE_TIME_PASSWORD_CHARSET), &cs);
	return password_gen_otp(cs,
		(size_t)conf_int(d->conf, CONF_ACCESS_ONE_TIME_PASSWORD_LENGTH),
		d->otp, sizeof(d->otp));
}

/* True when stdout is the journal: then the one-time password must not
 * be printed there (it would be stored in the log). */
static bool
stdout_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%lu:%lu", &dev, &ino) != 2)
		return false;
	if (fstat(STDOUT_FILENO, &st) != 0)
		return false;
	return (unsigned long)st.st_dev == dev && (unsigned long)st.st_ino == ino;
}

static void
print_banner(const struct daemon *d)
{
	const char *rdv = conf_str(d->conf, CONF_SERVER_RENDEZVOUS);

	printf("outpost %s started (config: %s)\n", OP_VERSION,
		conf_source(d->conf));
	printf("  ID:                 %s\n", state_id(d->state));
	if (stdout_is_journal())
		printf("  one-time password:  (not printed to the journal)\n");
	else
		printf("  one-time password:  %s\n", d->otp);
	printf("  permanent password: %s\n",
		state_h1(d->state, (uint8_t[PASSWORD_H1_LEN]){ 0 }) ?
			"set" :
			"not set (outpost password set)");
	printf("  state directory:    %s\n", state_dir(d->state));
	printf("  rendezvous server:  %s\n",
		rdv[0] != '\0' ? rdv : "not configured");
	if (conf_bool(d->conf, CONF_DIRECT_ACCESS_ENABLED))
		printf("  direct IP access:   %s (configured; plaintext by "
		       "protocol, keep it on loopback or a trusted network)\n",
			conf_str(d->conf, CONF_DIRECT_ACCESS_LISTEN));
	printf("Not implemented yet in this version: rendezvous registration, "
	       "the direct-IP listener, sessions, screen capture, input, "
	       "audit.\nThe agent has its identity and waits; it accepts no "
	       "connections. Stop it with Ctrl-C or SIGTERM.\n");
	fflush(stdout);
}

static void
on_stop_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	log_notice("signal %d: stopping", signum);
	sd_notify(0, "STOPPING=1");
	uv_stop(&d->loop);
}

static void
on_reload_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	struct conf *fresh = NULL;

	(void)signum;
	sd_notify(0, "RELOADING=1");
	if (cli_load_conf(d->cli, &fresh) != 0) {
		log_error("reload: %s is invalid (errors above); keeping the "
			  "running configuration",
			d->cli->config_path);
	} else {
		conf_unref(d->conf);
		d->conf = fresh;
		apply_log_conf(d->conf);
		log_notice("reload: configuration from %s applied",
			conf_source(d->conf));
	}
	sd_notify(0, "READY=1");
}

static int
start_signal(struct daemon *d, uv_signal_t *h, uv_signal_cb cb, int signum)
{
	int r;

	if ((r = uv_signal_init(&d->loop, h)) != 0)
		return r;
	h->data = d;
	return uv_signal_start(h, cb, signum);
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int
daemon_run(struct cli *cli, struct conf *conf)
{
	struct daemon d = { .cli = cli, .conf = conf_ref(conf) };
	int rc = EX_SOFTWARE;
	int r;

	apply_log_conf(d.conf);
	if ((rc = cli_open_state(d.conf, &d.state)) != 0)
		goto out_conf;
	if ((r = new_otp(&d)) != 0) {
		log_error_r(r, "one-time password");
		rc = EX_CONFIG;
		goto out_state;
	}
	if ((r = uv_loop_init(&d.loop)) != 0) {
		log_error("event loop: %s", uv_strerror(r));
		rc = EX_OSERR;
		goto out_state;
	}
	if ((r = start_signal(&d, &d.sig_int, on_stop_signal, SIGINT)) != 0 ||
		(r = start_signal(&d, &d.sig_term, on_stop_signal, SIGTERM)) !=
			0 ||
		(r = start_signal(&d, &d.sig_hup, on_reload_signal, SIGHUP)) !=
			0) {
		log_error("signals: %s", uv_strerror(r));
		rc = EX_OSERR;
		goto out_loop;
	}
	print_banner(&d);
	log_notice("running as ID %s", state_id(d.state));
	sd_notify(0, "READY=1");
	uv_run(&d.loop, UV_RUN_DEFAULT);
	log_notice("stopped");
	rc = EX_OK;
out_loop:
	uv_walk(&d.loop, close_walk_cb, NULL);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	uv_loop_close(&d.loop);
out_state:
	sodium_memzero(d.otp, sizeof(d.otp));
	state_free(d.state);
out_conf:
	conf_unref(d.conf);
	return rc;
}
