/* SPDX-License-Identifier: MIT */
/*
 * Glue between the configuration and the pure policy module: fills a
 * struct policy_rules and a struct lockout_conf from a struct conf (the
 * policy module never includes conf/), and turns a clock reading into the
 * wall time of policy.schedule_timezone. Used by the daemon and by
 * `outpost policy explain`, so both decide with the same rules.
 */
#ifndef OP_CLI_POLICY_CONF_H
#define OP_CLI_POLICY_CONF_H

#include <stddef.h>
#include <time.h>

#include "policy/lockout.h"
#include "policy/policy.h"

struct conf;

/*
 * The features this build implements (POLICY_PERM_* bits): allowed but
 * unimplemented features are refused or not granted. Extend it as the
 * session features land (terminal, port forward, restart, block input). Recording happens on the client; granting it
 * needs nothing here.
 */
#define POLICY_CONF_IMPLEMENTED (POLICY_PERM_RECORDING | \
	POLICY_PERM_KEYBOARD | POLICY_PERM_CLIPBOARD | POLICY_PERM_FILE | \
	POLICY_PERM_TERMINAL | POLICY_PERM_AUDIO)

/* policy.allow.file_transfer as direction bits (0 = off). */
#define POLICY_CONF_FILE_DOWNLOAD 1
#define POLICY_CONF_FILE_UPLOAD 2
int policy_conf_file_dir(const struct conf *conf);

/* policy.allow.clipboard as direction bits (0 = off). */
#define POLICY_CONF_CLIP_TO_HOST 1
#define POLICY_CONF_CLIP_TO_CLIENT 2
int policy_conf_clipboard_dir(const struct conf *conf);

/*
 * Builds the rules for conf (one reference in *out, release with
 * policy_rules_unref). Returns 0, OP_ERR_NOMEM, or OP_ERR_CONFIG with why
 * ("KEY[i]: message") when an item conf accepted is refused by policy or
 * the time zone has no usable tzfile; *out is NULL then.
 */
int policy_conf_rules(const struct conf *conf, struct policy_rules **out,
	char *why, size_t whysz);

/* The brute-force limits of conf (security.lockout.*, otp_rotate_after). */
void policy_conf_lockout(const struct conf *conf, struct lockout_conf *out);

/* policy.schedule_timezone of conf (borrowed from conf). */
const char *policy_conf_timezone(const struct conf *conf);

/*
 * Checks that tz is "local", "UTC" or the name of a valid tzfile (TZif,
 * parsed whole) under $TZDIR or /usr/share/zoneinfo. Returns 0 or
 * OP_ERR_CONFIG with why.
 */
int policy_conf_check_tz(const char *tz, char *why, size_t whysz);

/*
 * The wall clock at t in tz ("local", "UTC" or a tz name) into *out.
 * Returns 0, OP_ERR_CONFIG (bad zone), OP_ERR_NOMEM or OP_ERR_RANGE. A
 * named zone comes from its parsed tzfile, cached (policy_conf_rules
 * reloads it), never from $TZ: the environment is not touched, so any
 * thread may call this.
 */
int policy_conf_localtime(const char *tz, time_t t, struct tm *out);

#endif
