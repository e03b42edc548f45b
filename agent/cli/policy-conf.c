/* SPDX-License-Identifier: MIT */
/*
 * Fills the policy module's rules from the configuration (see
 * policy-conf.h), and converts clock readings to the schedule's time zone.
 *
 * Must not: decide anything itself (every decision is in agent/policy/),
 * fall back to a default when a value does not convert (that would fail
 * open: it returns an error instead), or touch the process environment:
 * a named zone is read from its tzfile (core/tzif.c), because setenv("TZ")
 * on the loop thread races with getaddrinfo() in libuv's thread pool.
 */
#include "cli/policy-conf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/err.h"
#include "core/time.h"
#include "core/tzif.h"

static const struct {
	enum conf_key key;
	uint32_t bit;
} allow_keys[] = {
	{ CONF_POLICY_ALLOW_KEYBOARD, POLICY_PERM_KEYBOARD },
	{ CONF_POLICY_ALLOW_AUDIO, POLICY_PERM_AUDIO },
	{ CONF_POLICY_ALLOW_TERMINAL, POLICY_PERM_TERMINAL },
	{ CONF_POLICY_ALLOW_PORT_FORWARD, POLICY_PERM_PORT_FORWARD },
	{ CONF_POLICY_ALLOW_RESTART, POLICY_PERM_RESTART },
	{ CONF_POLICY_ALLOW_BLOCK_INPUT, POLICY_PERM_BLOCK_INPUT },
	{ CONF_POLICY_ALLOW_RECORDING, POLICY_PERM_RECORDING },
};

static const struct {
	enum conf_key key;
	enum policy_list_id list;
} list_keys[] = {
	{ CONF_DIRECT_ACCESS_ALLOW_FROM, POLICY_LIST_DIRECT_ALLOW_FROM },
	{ CONF_POLICY_PEERS_ALLOW_FROM, POLICY_LIST_ALLOW_FROM },
	{ CONF_POLICY_PEERS_ALLOW_IDS, POLICY_LIST_ALLOW_IDS },
	{ CONF_POLICY_PEERS_DENY_IDS, POLICY_LIST_DENY_IDS },
	{ CONF_POLICY_SCHEDULE, POLICY_LIST_SCHEDULE },
};

static int zone_reload(const char *tz, char *why, size_t whysz);

int
policy_conf_file_dir(const struct conf *conf)
{
	/* off|download|upload|both|false|true */
	static const int dirs[] = {
		0,
		POLICY_CONF_FILE_DOWNLOAD,
		POLICY_CONF_FILE_UPLOAD,
		POLICY_CONF_FILE_DOWNLOAD | POLICY_CONF_FILE_UPLOAD,
		0,
		POLICY_CONF_FILE_DOWNLOAD | POLICY_CONF_FILE_UPLOAD,
	};
	int v = conf_enum(conf, CONF_POLICY_ALLOW_FILE_TRANSFER);

	return v >= 0 && v < 6 ? dirs[v] : 0;
}

int
policy_conf_clipboard_dir(const struct conf *conf)
{
	/* both|to_client|to_host|off|true|false */
	static const int dirs[] = {
		POLICY_CONF_CLIP_TO_HOST | POLICY_CONF_CLIP_TO_CLIENT,
		POLICY_CONF_CLIP_TO_CLIENT,
		POLICY_CONF_CLIP_TO_HOST,
		0,
		POLICY_CONF_CLIP_TO_HOST | POLICY_CONF_CLIP_TO_CLIENT,
		0,
	};
	int v = conf_enum(conf, CONF_POLICY_ALLOW_CLIPBOARD);

	return v >= 0 && v < (int)(sizeof(dirs) / sizeof(dirs[0])) ? dirs[v] :
								      0;
}

static uint32_t
u32(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The enum index of key, checked against the number of choices. */
static int
enum_of(const struct conf *conf, enum conf_key key, int n, int *out)
{
	int v = conf_enum(conf, key);

	if (v < 0 || v >= n)
		return OP_ERR_CONFIG;
	*out = v;
	return 0;
}

int
policy_conf_rules(const struct conf *conf, struct policy_rules **out,
	char *why, size_t whysz)
{
	struct policy_rules *r = NULL;
	char msg[POLICY_ERR_MAX], dummy[1];
	int approve, verify, present, absent, rc;

	*out = NULL;
	if (why == NULL || whysz == 0) {
		why = dummy;
		whysz = sizeof(dummy);
	}
	why[0] = '\0';
	if ((r = policy_rules_new()) == NULL)
		return OP_ERR_NOMEM;
	/* The enum orders in conf-keys.h match the policy enums. */
	if (enum_of(conf, CONF_ACCESS_APPROVE, 4, &approve) != 0 ||
		enum_of(conf, CONF_ACCESS_VERIFICATION, 3, &verify) != 0 ||
		enum_of(conf, CONF_POLICY_CONSENT_WHEN_USER_PRESENT, 3,
			&present) != 0 ||
		enum_of(conf, CONF_POLICY_CONSENT_WHEN_NO_USER, 2, &absent) != 0) {
		snprintf(why, whysz, "an access or consent value is invalid");
		rc = OP_ERR_CONFIG;
		goto out;
	}
	r->approve = (enum policy_approve)approve;
	r->verification = (enum policy_verification)verify;
	r->when_user_present = (enum policy_consent_rule)present;
	r->when_no_user = absent == 0 ? POLICY_CONSENT_ALLOW :
					POLICY_CONSENT_DENY;
	r->require_encryption = conf_bool(conf, CONF_SECURITY_REQUIRE_ENCRYPTION);
	r->direct_enabled = conf_bool(conf, CONF_DIRECT_ACCESS_ENABLED);
	r->consent_timeout_s = u32(conf_int(conf, CONF_POLICY_CONSENT_TIMEOUT));
	r->allow = 0;
	for (size_t i = 0; i < sizeof(allow_keys) / sizeof(allow_keys[0]); i++)
		if (conf_bool(conf, allow_keys[i].key))
			r->allow |= allow_keys[i].bit;
	if (policy_conf_clipboard_dir(conf) != 0)
		r->allow |= POLICY_PERM_CLIPBOARD;
	/* Without a root to show, file transfer is refused ("No permission
	 * of file transfer"), not offered empty. */
	if (policy_conf_file_dir(conf) != 0 &&
		conf_list_len(conf, CONF_POLICY_FILES_ROOTS) > 0)
		r->allow |= POLICY_PERM_FILE;
	r->implemented = POLICY_CONF_IMPLEMENTED;
	r->max_sessions = u32(conf_int(conf, CONF_POLICY_LIMITS_MAX_SESSIONS));
	r->max_duration_s = u32(conf_int(conf, CONF_POLICY_LIMITS_MAX_DURATION));
	r->idle_timeout_s = u32(conf_int(conf, CONF_POLICY_LIMITS_IDLE_TIMEOUT));
	for (size_t k = 0; k < sizeof(list_keys) / sizeof(list_keys[0]); k++) {
		enum conf_key key = list_keys[k].key;

		policy_rules_clear(r, list_keys[k].list);
		for (size_t i = 0; i < conf_list_len(conf, key); i++) {
			rc = policy_rules_add(r, list_keys[k].list,
				conf_list_at(conf, key, i), msg, sizeof(msg));
			if (rc != 0) {
				snprintf(why, whysz, "%s[%zu]: %s",
					conf_key_name(key), i,
					rc == OP_ERR_CONFIG ? msg :
							      op_strerror(rc));
				goto out;
			}
		}
	}
	/* Checks the zone and (re)loads the cached copy: a reload picks up
	 * a changed tzfile. */
	if ((rc = zone_reload(policy_conf_timezone(conf), why, whysz)) != 0)
		goto out;
	*out = r;
	r = NULL;
	rc = 0;
out:
	policy_rules_unref(r);
	return rc;
}

void
policy_conf_lockout(const struct conf *conf, struct lockout_conf *out)
{
	memset(out, 0, sizeof(*out));
	out->failures = u32(conf_int(conf, CONF_SECURITY_LOCKOUT_FAILURES));
	out->window_ms =
		(uint64_t)conf_int(conf, CONF_SECURITY_LOCKOUT_WINDOW) * 1000u;
	out->duration_ms =
		(uint64_t)conf_int(conf, CONF_SECURITY_LOCKOUT_DURATION) * 1000u;
	out->global_per_minute =
		u32(conf_int(conf, CONF_SECURITY_LOCKOUT_GLOBAL_PER_MINUTE));
	out->otp_rotate_after =
		u32(conf_int(conf, CONF_SECURITY_OTP_ROTATE_AFTER));
}

const char *
policy_conf_timezone(const struct conf *conf)
{
	return conf_str(conf, CONF_POLICY_SCHEDULE_TIMEZONE);
}

/*
 * The parsed zone of policy.schedule_timezone. Every connection needs its
 * wall clock, so the file is read once: again by policy_conf_rules() on
 * every (re)load, or on first use by a caller that names another zone.
 * The lock makes this safe from any thread; the zone itself is
 * immutable.
 */
static struct {
	pthread_mutex_t lock;
	char name[72];
	struct op_tzif *tz;
} zone_cache = { PTHREAD_MUTEX_INITIALIZER, "", NULL };

/* Reads and parses the tzfile of a checked zone name. */
static int
zone_load(const char *tz, struct op_tzif **out, char *why, size_t whysz)
{
	const char *dir = getenv("TZDIR");
	char path[4200];
	const char *what = "cannot be read";
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd = -1;
	int r = OP_ERR_CONFIG;

	*out = NULL;
	if (dir == NULL || dir[0] != '/' || strlen(dir) > 4000)
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, tz);
	/* Zone names are often symlinks inside zoneinfo: follow them, but
	 * never block on a FIFO or read more than a tzfile can be. */
#ifdef _WIN32
	/* No zoneinfo there unless TZDIR names a copy; no FIFOs either. */
	fd = open(path, O_RDONLY | O_BINARY);
#else
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
#endif
	if (fd < 0)
		what = "does not exist";
	else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		what = "is not a regular file";
	else if (st.st_size > OP_TZIF_MAX_FILE)
		what = "is too large for a time zone file";
	else if ((buf = malloc(OP_TZIF_MAX_FILE + 1)) == NULL)
		r = OP_ERR_NOMEM;
	else {
		ssize_t k;

		while (len <= OP_TZIF_MAX_FILE &&
			(k = read(fd, buf + len, OP_TZIF_MAX_FILE + 1 - len)) !=
				0) {
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				break;
			len += (size_t)k;
		}
		r = op_tzif_parse(buf, len, out);
		if (r == OP_ERR_UNSUPPORTED)
			what = "has leap seconds (use the zone without right/)";
		else if (r != 0)
			what = "is not a valid time zone file";
		if (r != 0 && r != OP_ERR_NOMEM)
			r = OP_ERR_CONFIG;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	if (r == OP_ERR_CONFIG)
		snprintf(why, whysz, "policy.schedule_timezone: %s %s", path,
			what);
	return r;
}

static bool
zone_name_ok(const char *tz)
{
	size_t n = strlen(tz);
	bool ok = n > 0 && n <= 64 && tz[0] != '/' && strstr(tz, "..") == NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = (tz[i] >= 'a' && tz[i] <= 'z') ||
			(tz[i] >= 'A' && tz[i] <= 'Z') ||
			(tz[i] >= '0' && tz[i] <= '9') ||
			strchr("_+-/", tz[i]) != NULL;
	return ok;
}

/* Loads tz into the cache, replacing what is there (reload: the file may
 * have changed). "local" and "UTC" need nothing. */
static int
zone_reload(const char *tz, char *why, size_t whysz)
{
	struct op_tzif *z = NULL;
	int r;

	if (strcmp(tz, "local") == 0 || strcmp(tz, "UTC") == 0)
		return 0;
	if ((r = policy_conf_check_tz(tz, why, whysz)) != 0 ||
		(r = zone_load(tz, &z, why, whysz)) != 0)
		return r;
	pthread_mutex_lock(&zone_cache.lock);
	op_tzif_free(zone_cache.tz);
	zone_cache.tz = z;
	snprintf(zone_cache.name, sizeof(zone_cache.name), "%s", tz);
	pthread_mutex_unlock(&zone_cache.lock);
	return 0;
}

int
policy_conf_check_tz(const char *tz, char *why, size_t whysz)
{
	struct op_tzif *z = NULL;
	char dummy[1];
	int r;

	if (why == NULL || whysz == 0) {
		why = dummy;
		whysz = sizeof(dummy);
	}
	if (strcmp(tz, "local") == 0 || strcmp(tz, "UTC") == 0)
		return 0;
	if (!zone_name_ok(tz)) {
		snprintf(why, whysz, "policy.schedule_timezone: not a time "
			"zone name");
		return OP_ERR_CONFIG;
	}
	r = zone_load(tz, &z, why, whysz);
	op_tzif_free(z);
	return r;
}

int
policy_conf_localtime(const char *tz, time_t t, struct tm *out)
{
	struct op_tzif *z = NULL;
	char why[256];
	int r;

	memset(out, 0, sizeof(*out));
	if (strcmp(tz, "UTC") == 0)
		return op_gmtime(&t, out) != NULL ? 0 : OP_ERR_RANGE;
	if (strcmp(tz, "local") == 0) {
		/* Reads /etc/localtime (or the TZ the service was started
		 * with); never writes the environment. */
		tzset();
		return op_localtime(&t, out) != NULL ? 0 : OP_ERR_RANGE;
	}
	pthread_mutex_lock(&zone_cache.lock);
	if (zone_cache.tz == NULL || strcmp(zone_cache.name, tz) != 0) {
		/* Another zone than the configured one (policy explain, a
		 * test): load it once. */
		if (!zone_name_ok(tz)) {
			r = OP_ERR_CONFIG;
			goto out;
		}
		if ((r = zone_load(tz, &z, why, sizeof(why))) != 0)
			goto out;
		op_tzif_free(zone_cache.tz);
		zone_cache.tz = z;
		snprintf(zone_cache.name, sizeof(zone_cache.name), "%s", tz);
	}
	r = op_tzif_localtime(zone_cache.tz, (int64_t)t, out);
out:
	pthread_mutex_unlock(&zone_cache.lock);
	return r;
}
