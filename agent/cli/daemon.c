/* SPDX-License-Identifier: MIT */
/*
 * Daemon lifecycle: start-up (state, policy, the monitor's audit trail,
 * control socket, network; refused when nothing could reach the agent), the control
 * requests, signals and shutdown. SIGHUP and `outpost reload` re-read the
 * config (swapped atomically; an invalid file keeps the running one), the
 * password and the identity.
 */
#include "cli/daemon.h"
#include "cli/daemon-internal.h"
#include "cli/daemon-chan.h"
#include "cli/policy-conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/memfile.h"
#include "core/log.h"
#include "core/time.h"
#include "audit/audit.h"
#include "ctl/ctl.h"
#include "crypto/password.h"
#include "monitor/monitor-client.h"
#include "store/state.h"


void
daemon_apply_log_conf(const struct conf *conf)
{
	enum op_log_level level = OP_LOG_INFO;
	enum op_log_target target = OP_LOG_AUTO;

	/* Both were validated by conf; the defaults only guard a bug. */
	(void)op_log_level_parse(conf_str(conf, CONF_LOG_LEVEL), &level);
	(void)op_log_target_parse(conf_str(conf, CONF_LOG_TARGET), &target);
	op_log_init("outpost", level, target);
}

bool
daemon_stdout_is_journal(void)
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
	int r;

	printf("outpost %s started (config: %s)\n", OP_VERSION,
		conf_source(d->conf));
	printf("  ID:                 %s\n", state_id(d->state));
	fflush(stdout);
	/* Only the monitor knows it: it prints the line while we wait. */
	if ((r = monclient_print_otp(d->mon_fd)) != 0)
		log_error_r(r, "monitor: print-otp");
	printf("  permanent password: %s\n",
		d->has_password ? "set" : "not set (outpost password set)");
	printf("  state directory:    %s\n", state_dir(d->state));
	/* What runs, not what is configured: printed after the network
	 * started, so a listener that failed is not announced. */
	if (rdv[0] == '\0')
		printf("  rendezvous server:  not configured\n");
	else
		printf("  rendezvous server:  %s%s\n", rdv,
			d->net.rdv != NULL ? "" :
					     " (NOT started: see the log)");
	if (d->net.direct != NULL)
		printf("  direct IP access:   %s (plaintext by protocol, keep it "
		       "on loopback or a trusted network)\n",
			conf_str(d->conf, CONF_DIRECT_ACCESS_LISTEN));
	else if (conf_bool(d->conf, CONF_DIRECT_ACCESS_ENABLED))
		printf("  direct IP access:   FAILED on %s: %s\n",
			conf_str(d->conf, CONF_DIRECT_ACCESS_LISTEN),
			d->net.direct_error);
	else
		printf("  direct IP access:   off\n");
#ifdef _WIN32
	static const char stop[] = "Ctrl-C or the service's stop";

	printf("  screen:             this session's desktop (DXGI, else "
	       "GDI); the service runs this in the console session\n");
#else
	static const char stop[] = "Ctrl-C or SIGTERM";

	printf("  screen:             %s\n",
		conf_str(d->conf, CONF_DISPLAY_X11)[0] != '\0' ?
			conf_str(d->conf, CONF_DISPLAY_X11) :
		conf_str(d->conf, CONF_DISPLAY_WAYLAND)[0] != '\0' ?
			conf_str(d->conf, CONF_DISPLAY_WAYLAND) :
		conf_enum(d->conf, CONF_DISPLAY_VIRTUAL_MODE) == 0 ?
			"the logged-in user's desktop (X11 or wlroots), else "
			"a virtual display (Xvfb) on demand" :
			"the logged-in user's desktop (X11 or wlroots)");
#endif
	printf("File transfer, terminals and audio: %s, %s, %s "
	       "(policy.allow). Stop it with %s.\n",
		policy_conf_file_dir(d->conf) != 0 ? "allowed" : "off",
		conf_bool(d->conf, CONF_POLICY_ALLOW_TERMINAL) ? "allowed" :
								 "off",
		conf_bool(d->conf, CONF_POLICY_ALLOW_AUDIO) ? "allowed" :
							      "off",
		stop);
	fflush(stdout);
}

static void
stop(struct daemon *d)
{
	daemon_notify(d, MON_NOTIFY_STOPPING);
	uv_stop(&d->loop);
}

static void
on_stop_signal(uv_signal_t *h, int signum)
{
	log_notice("signal %d: stopping", signum);
	stop(h->data);
}

/* Withdraws from open sessions what the new config no longer allows. */
static void
restrict_sessions(struct daemon *d)
{
	int dir = policy_conf_clipboard_dir(d->conf);
	bool kb = conf_bool(d->conf, CONF_POLICY_ALLOW_KEYBOARD);
	bool term = conf_bool(d->conf, CONF_POLICY_ALLOW_TERMINAL);
	bool audio = conf_bool(d->conf, CONF_POLICY_ALLOW_AUDIO);

	for (size_t i = 0; i < d->net.live_cap; i++) {
		if (d->net.live[i] == NULL)
			continue;
		session_restrict(d->net.live[i], kb,
			dir & POLICY_CONF_CLIP_TO_HOST,
			dir & POLICY_CONF_CLIP_TO_CLIENT, audio);
		/* Open terminals end when terminals are no longer allowed
		 * (a changed account or shell applies to new ones only). */
		if (!term)
			session_withdraw_terminal(d->net.live[i]);
	}
}

static bool
same_identity(const struct state *a, const struct state *b)
{
	return strcmp(state_id(a), state_id(b)) == 0 &&
		strcmp(state_uuid(a), state_uuid(b)) == 0 &&
		memcmp(state_key(a)->pk, state_key(b)->pk,
			sizeof(state_key(a)->pk)) == 0;
}

/*
 * Picks up an identity changed on disk (`outpost id --reset --force`) or
 * by identity.id, so that `outpost id` and `status` agree: registration
 * restarts with the new ID, UUID and key. The state directory stays the
 * one the agent started with.
 */
static void
reload_identity(struct daemon *d)
{
	struct state *fresh = NULL, **v;
	int r;

	if ((r = daemon_secrets_reload_identity(d, &fresh)) != 0) {
		log_error("reload: identity: %s; keeping ID %s",
			op_strerror(r), state_id(d->state));
		return;
	}
	if (same_identity(fresh, d->state) ||
		(v = realloc(d->retired, (d->nretired + 1) * sizeof(*v))) ==
			NULL) {
		state_free(fresh);
		return;
	}
	log_notice("reload: new identity: ID %s (was %s)", state_id(fresh),
		state_id(d->state));
	daemon_net_stop(d);
	d->retired = v;
	d->retired[d->nretired++] = d->state;
	d->state = fresh;
	/* The monitor's trail took the new ID at reload-identity. */
	daemon_net_start(d);
}

/* The monitor re-reads what it takes from the config. */
static void
monitor_reload_config(struct daemon *d)
{
	int r = monclient_reload_config(d->mon_fd);

	if (r != 0) {
		log_error_r(r, "monitor: reload-config");
		daemon_monitor_failed(d, r, "reload-config");
	}
}

/*
 * Re-reads the config, the password files and the identity and swaps
 * them in; an invalid config keeps the running one. errors (may be NULL) receives the
 * diagnostics as a JSON array for the control socket.
 */
static bool
daemon_reload(struct daemon *d, FILE *errors)
{
	struct conf_diags diags = { 0 };
	struct conf *fresh = NULL;
	bool ok;
	int r;

	daemon_notify(d, MON_NOTIFY_RELOADING);
	/* The monitor opens the file: it may sit where we cannot look. */
	if (d->mon_fd >= 0) {
		r = daemon_conf_from_monitor(d->mon_fd, &fresh, &diags);
		daemon_monitor_failed(d, r, "config");
	} else {
		r = cli_load_conf_quiet(d->cli, &fresh, &diags);
	}
	ok = r == 0;
	if (!ok) {
		for (size_t i = 0; i < diags.n; i++)
			log_error("reload: %s: %s", diags.v[i].where,
				diags.v[i].msg);
		log_error("reload: %s is invalid; keeping the running "
			  "configuration",
			d->cli->config_path);
		if (errors != NULL) {
			for (size_t i = 0; i < diags.n; i++) {
				char line[1024];

				snprintf(line, sizeof(line), "%s: %s",
					diags.v[i].where, diags.v[i].msg);
				fputs(i ? "," : "", errors);
				op_json_cstr(errors, line);
			}
		}
	} else if (daemon_policy_load(d, fresh) != 0) {
		ok = false;
		conf_unref(fresh);
		log_error("reload: the access policy in %s is unusable; keeping "
			  "the running configuration",
			d->cli->config_path);
	} else {
		char nowayin[768];

		/* New sessions get the new policy; open ones keep theirs,
		 * except that input and clipboard can be withdrawn live. */
		/* The monitor first: the proxy password and the terminals
		 * come from its reading of the same file. */
		monitor_reload_config(d);
		daemon_net_stop(d);
		conf_unref(d->conf);
		d->conf = fresh;
		daemon_apply_log_conf(d->conf);
		daemon_net_start(d);
		restrict_sessions(d);
		log_notice("reload: configuration from %s applied",
			conf_source(d->conf));
		/* Not fatal here: open sessions go on, and the next reload
		 * can fix it. */
		if (!daemon_net_way_in(d, nowayin, sizeof(nowayin)))
			log_error("reload: %s", nowayin);
	}
	conf_diags_free(&diags);
	if (d->audit != NULL)
		(void)audit_config_reload(d->audit, d->cli->config_path, ok,
			ok ? "applied" : "invalid; the running configuration "
					 "was kept",
			NULL, NULL);
	/* A password changed by `outpost password set` takes effect now;
	 * the monitor reads its part of the config. */
	(void)daemon_load_creds(d);
	if (!ok)
		monitor_reload_config(d);
	reload_identity(d);
	daemon_notify(d, MON_NOTIFY_READY);
	return ok;
}

#ifndef _WIN32
static void
on_reload_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	daemon_reload(h->data, NULL);
}
#endif

void
daemon_signalled(struct daemon *d, bool stopping)
{
	if (stopping) {
		log_notice("the monitor says stop");
		stop(d);
	} else {
		daemon_reload(d, NULL);
	}
}

static void
on_watchdog(uv_timer_t *t)
{
	daemon_notify(t->data, MON_NOTIFY_WATCHDOG);
}

/* The monitor's watchdog interval (WATCHDOG_USEC for WATCHDOG_PID, the
 * monitor): the network process's loop is what must keep answering. */
static uint64_t
watchdog_usec(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (us == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)uv_os_getppid())
		return 0;
	v = strtoull(us, &end, 10);
	return *end == '\0' ? (uint64_t)v : 0;
}

/* What the kernel says of us (the filter, not our intention). */
static bool
seccomp_on(void)
{
	bool on = false;
#ifdef __linux__
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Seccomp:", 8) == 0)
			on = strtol(line + 8, NULL, 10) == 2; /* filter mode */
	if (f != NULL)
		fclose(f);
#endif
	return on;
}

static void
write_status(struct daemon *d, FILE *f)
{
	fputs("{\"running\":true,\"id\":", f);
	op_json_cstr(f, state_id(d->state));
	fputs(",\"version\":", f);
	op_json_cstr(f, OP_VERSION);
	/* The service's main PID: the monitor's. */
	fprintf(f, ",\"pid\":%ld,\"uptime_s\":%llu", (long)uv_os_getppid(),
		(unsigned long long)((op_now_ms() - d->started_ms) / 1000));
	fputs(",\"config\":", f);
	op_json_cstr(f, conf_source(d->conf));
	/* "server" and the rest of the network: daemon_net_status. */
	fprintf(f, ",\"permanent_password\":%s",
		d->has_password ? "true" : "false");
	/* Privilege separation: who holds the secrets, and how often the
	 * network process was started (restarts after a crash). */
	fprintf(f, ",\"monitor\":{\"network_pid\":%ld,"
		   "\"network_starts\":%u,",
		(long)uv_os_getpid(), d->generation);
#ifndef _WIN32
	fprintf(f, "\"network_uid\":%lu,", (unsigned long)getuid());
#endif
	fprintf(f, "\"seccomp\":%s}", seccomp_on() ? "true" : "false");
	daemon_net_status(d, f);
	daemon_desktop_status(d, f);
	audit_status_json(d->audit, f);
#ifdef _WIN32
	/* Issue 16: what the Windows daemon does not do yet. */
	fputs(",\"not_implemented\":[\"consent-prompt\",\"restricted-token\","
	      "\"user-session-helper\"]}", f);
#else
	/* wlroots compositors are served; GNOME/KDE need the portal. */
	fputs(",\"not_implemented\":[\"wayland-portal-capture\"]}", f);
#endif
}

static void
on_ctl_request(void *arg, const char *request, char *out, size_t out_size)
{
	struct daemon *d = arg;
	struct op_memfile mf;
	FILE *f = op_memfile_open(&mf);

	if (f == NULL) {
		snprintf(out, out_size, "{\"error\":\"out of memory\"}");
		return;
	}
	if (strcmp(request, "status") == 0) {
		write_status(d, f);
	} else if (strcmp(request, "reload") == 0) {
		bool ok;

		fputs("{\"errors\":[", f);
		ok = daemon_reload(d, f);
		fprintf(f, "],\"ok\":%s}", ok ? "true" : "false");
	} else if (strcmp(request, "password-changed") == 0) {
		int r = daemon_load_creds(d);

		if (r == 0)
			log_notice("permanent password reloaded");
		fprintf(f, "{\"ok\":%s}", r == 0 ? "true" : "false");
	} else {
		fputs("{\"error\":", f);
		op_json_cstr(f, "unknown request");
		fputs("}", f);
	}
	if (op_memfile_copy(&mf, out, out_size) != 0)
		snprintf(out, out_size, "{\"error\":\"out of memory\"}");
}

static void
audit_restarted(struct daemon *d)
{
	char fields[160];

	snprintf(fields, sizeof(fields),
		"{\"network_starts\":%u,\"previous\":\"%s\"}",
		d->generation, d->previous);
	log_warn("the network process before this one was %s",
		d->previous);
	(void)audit_event(d->audit, 0, "agent.restarted", fields, NULL, NULL);
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
daemon_run(struct cli *cli, struct conf *conf, int monitor_fd)
{
	struct daemon d = { .cli = cli, .conf = conf_ref(conf), .ev_fd = -1 };
	int rc = EX_SOFTWARE;
	int r;

	daemon_apply_log_conf(d.conf);
	if (daemon_secrets_init(&d, monitor_fd, &d.state) != 0) {
		rc = EX_SOFTWARE;
		goto out_conf;
	}
	if (daemon_policy_load(&d, d.conf) != 0) {
		rc = EX_CONFIG;
		goto out_state;
	}
	if ((r = uv_loop_init(&d.loop)) != 0) {
		log_error("event loop: %s", uv_strerror(r));
		rc = EX_OSERR;
		goto out_state;
	}
	if ((r = daemon_events_start(&d)) != 0 ||
		(r = daemon_terms_init(&d)) != 0) {
		log_error_r(r, "monitor: events");
		rc = EX_SOFTWARE;
		goto out_loop;
	}
	/* Windows has Ctrl-C alone: the monitor stops and reloads us with
	 * events (MON_EV_STOP, MON_EV_RELOAD). */
	if ((r = start_signal(&d, &d.sig_int, on_stop_signal, SIGINT)) != 0
#ifndef _WIN32
		|| (r = start_signal(&d, &d.sig_term, on_stop_signal,
			    SIGTERM)) != 0 ||
		(r = start_signal(&d, &d.sig_hup, on_reload_signal, SIGHUP)) !=
			0
#endif
	) {
		log_error("signals: %s", uv_strerror(r));
		rc = EX_OSERR;
		goto out_loop;
	}
	/* The audit trail (the monitor's) must be reachable before anything
	 * can connect: no session may happen off the record (S17). */
	if (daemon_audit_open(&d) != 0) {
		rc = EX_CANTCREAT;
		goto out_loop;
	}
	/* A network process that died is evidence (a crash may be an
	 * attack): the trail says so. */
	if (d.previous[0] != '\0')
		audit_restarted(&d);
	{
		int fd;

#ifdef _WIN32
		/* A named pipe with the private DACL (ctl-win.c). */
		(void)fd;
		r = ctl_server_start_pipe(&d.loop, state_dir(d.state),
			on_ctl_request, &d, &d.ctl);
#else
		/* The monitor makes the socket in the state directory. */
		if ((r = monclient_ctl_listen(d.mon_fd, &fd)) == 0)
			r = ctl_server_start_fd(&d.loop, state_dir(d.state), fd,
				on_ctl_request, &d, &d.ctl);
#endif
	}
	if (r != 0) {
		log_error_r(r, "control socket in %s", state_dir(d.state));
		rc = EX_CANTCREAT;
		goto out_loop;
	}
	{
		uint64_t wd_usec = 0;

		uv_timer_init(&d.loop, &d.watchdog);
		d.watchdog.data = &d;
		if ((wd_usec = watchdog_usec()) > 0)
			uv_timer_start(&d.watchdog, on_watchdog, wd_usec / 2000,
				wd_usec / 2000);
	}
	d.started_ms = op_now_ms();
	if (uv_os_gethostname(d.hostname, &(size_t){ sizeof(d.hostname) }) !=
		0)
		snprintf(d.hostname, sizeof(d.hostname), "%s", "localhost");
	daemon_desktop_init(&d);
	if (daemon_consent_init(&d) != 0) {
		log_error("out of memory");
		goto out_loop;
	}
	daemon_net_start(&d);
	{
		char why[768];

		/* Running with no way in would look healthy and help nobody;
		 * under systemd the failure shows in `systemctl status`. */
		if (!daemon_net_way_in(&d, why, sizeof(why))) {
			log_error("%s", why);
			rc = EX_UNAVAILABLE;
			goto out_loop;
		}
	}
	print_banner(&d);
	log_notice("running as ID %s", state_id(d.state));
	/* Config and keys are loaded: only now is the service ready. */
	daemon_notify(&d, MON_NOTIFY_READY);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	rc = EX_OK;
out_loop:
	/* SIGTERM: every session is told why and closed; the loop then runs
	 * until their connections are flushed (the streams bound that to a
	 * few seconds), before the remaining handles are closed. */
	daemon_net_close_sessions(&d, "The remote host is shutting down");
	daemon_consent_stop(&d);
	daemon_net_stop(&d);
	daemon_desktop_stop(&d);
	ctl_server_stop(d.ctl);
	d.ctl = NULL;
	uv_signal_stop(&d.sig_int);
	uv_unref((uv_handle_t *)&d.sig_int);
#ifndef _WIN32
	uv_signal_stop(&d.sig_term);
	uv_signal_stop(&d.sig_hup);
	uv_unref((uv_handle_t *)&d.sig_term);
	uv_unref((uv_handle_t *)&d.sig_hup);
#endif
	uv_timer_stop(&d.watchdog);
	uv_unref((uv_handle_t *)&d.watchdog);
	uv_run(&d.loop, UV_RUN_DEFAULT); /* sessions close, recording it */
	if (d.audit != NULL)
		audit_close(d.audit, NULL, NULL); /* the monitor's stays open */
	d.audit = NULL;
	uv_run(&d.loop, UV_RUN_DEFAULT);
	daemon_audit_free(&d);
	daemon_chan_stop(d.ev_chan);
	d.ev_chan = NULL;
	log_notice("stopped");
	uv_walk(&d.loop, close_walk_cb, NULL);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	uv_loop_close(&d.loop);
	if (d.ev_fd >= 0)
		close(d.ev_fd);
	daemon_terms_free(&d);
	free(d.net.live);
out_state:
	daemon_policy_free(&d);
	sodium_memzero(&d.creds, sizeof(d.creds));
	state_free(d.state);
	for (size_t i = 0; i < d.nretired; i++)
		state_free(d.retired[i]);
	free(d.retired);
out_conf:
	conf_unref(d.conf);
	return rc;
}
