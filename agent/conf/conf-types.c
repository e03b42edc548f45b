/* SPDX-License-Identifier: MIT */
/*
 * Value parsing for every key type (string, bool, int, enum, duration,
 * host:port, path, list items), canonical formatting, runtime defaults and
 * the host:port splitter other modules reuse.
 *
 * Must not: trust that a value is short (every loop is bounded by the
 * value's length and every number is overflow-checked), use locale-
 * dependent <ctype.h> classification, or echo a value into a message
 * without conf__excerpt (which bounds and escapes it).
 */
#include "conf/conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf-internal.h"
#include "core/err.h"
#include "core/netaddr.h"
#include "core/text.h"

/* Defaults computed at run time, named "$NAME" in conf-keys.h. */
static const struct {
	const char *name;
	const char *root; /* conf__privileged(), or system defaults */
	const char *user; /* otherwise */
} runtime_defaults[] = {
#ifdef _WIN32
	/* The service's folder, which securefile-win.c protects. */
	{ "$STATE_DIR", "C:\\ProgramData\\Outpost", "./.outpost-state" },
	{ "$TYPESCRIPT_DIR", "C:\\ProgramData\\Outpost\\typescripts",
		"C:\\ProgramData\\Outpost\\typescripts" },
#else
	{ "$STATE_DIR", "/var/lib/outpost", "./.outpost-state" },
	{ "$TYPESCRIPT_DIR", "/var/lib/outpost/typescripts",
		"/var/lib/outpost/typescripts" },
#endif
};

static bool
eq_nocase_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (conf__to_lower(a[i]) != conf__to_lower(b[i]))
			return false;
	return true;
}

static bool
eq_nocase(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen && b[i] != '\0'; i++)
		if (conf__to_lower(a[i]) != conf__to_lower(b[i]))
			return false;
	return i == alen && b[i] == '\0';
}

const char *
conf__default_text(const struct conf_keydef *kd, bool for_root)
{
	if (kd->dflt[0] != '$')
		return kd->dflt;
	for (size_t i = 0; i < sizeof(runtime_defaults) /
			sizeof(runtime_defaults[0]); i++)
		if (strcmp(kd->dflt, runtime_defaults[i].name) == 0)
			return for_root ? runtime_defaults[i].root :
					  runtime_defaults[i].user;
	return kd->dflt;
}

bool
conf__default_is_runtime(const struct conf_keydef *kd)
{
	return kd->dflt[0] == '$';
}

void
conf__default_describe(const struct conf_keydef *kd, char *buf, size_t size)
{
	const char *root = conf__default_text(kd, true);
	const char *user = conf__default_text(kd, false);

	if (strcmp(root, user) == 0)
		snprintf(buf, size, "%s", root);
	else
		snprintf(buf, size, "%s when running as " CONF_PRIVILEGED_WHO
			", else %s", root, user);
}

bool
conf__empty_ok(const struct conf_keydef *kd)
{
	return (kd->type == CONF_T_STRING || kd->type == CONF_T_HOSTPORT ||
		       kd->type == CONF_T_PATH) &&
		kd->dflt[0] == '\0';
}

void
conf__excerpt(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t lim = 40, o = 0, i;

	if (bufsz == 0)
		return;
	for (i = 0; i < len && i < lim && o + 5 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(buf + o, bufsz - o, "\\x%02x", c);
			o += 4;
		} else {
			buf[o++] = (char)c;
		}
	}
	if (i < len) {
		/* Do not cut a UTF-8 sequence in half. */
		while (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0xc0)
			o--;
		if (o + 4 <= bufsz) {
			memcpy(buf + o, "...", 3);
			o += 3;
		}
	}
	buf[o < bufsz ? o : bufsz - 1] = '\0';
}

/* Decimal int64: optional '-', no leading zeros. 0, -1 (syntax) or -2
 * (overflow). */
static int
parse_i64(const char *s, int64_t *out)
{
	bool neg = s[0] == '-';
	const char *p = s + (neg ? 1 : 0);
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;

	*out = 0;
	if (!conf__is_digit(*p) || (p[0] == '0' && p[1] != '\0'))
		return -1;
	for (; *p != '\0'; p++) {
		unsigned d;

		if (!conf__is_digit(*p))
			return -1;
		d = (unsigned)(*p - '0');
		if (v > (lim - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

/* Seconds from "90" or unit groups ("1h30m", units d h m s, each at most
 * once, largest first). 0, -1 (syntax) or -2 (overflow). */
static int
parse_duration(const char *s, int64_t *out)
{
	static const char units[] = "dhms";
	static const int64_t mult[] = { 86400, 3600, 60, 1 };
	const char *p = s;
	int64_t total = 0;
	int last = -1;

	*out = 0;
	if (!conf__is_digit(*p))
		return -1;
	while (*p != '\0') {
		int64_t v = 0;
		const char *u;
		int k;

		if (!conf__is_digit(*p))
			return -1;
		for (; conf__is_digit(*p); p++) {
			if (v > (INT64_MAX - (*p - '0')) / 10)
				return -2;
			v = v * 10 + (*p - '0');
		}
		if (*p == '\0' && last < 0) {
			total = v; /* plain seconds */
			break;
		}
		if (*p == '\0' || (u = strchr(units, *p)) == NULL)
			return -1;
		k = (int)(u - units);
		if (k <= last)
			return -1;
		last = k;
		p++;
		if (v > INT64_MAX / mult[k] || total > INT64_MAX - v * mult[k])
			return -2;
		total += v * mult[k];
	}
	*out = total;
	return 0;
}

void
conf__fmt_duration(int64_t secs, char *buf, size_t bufsz)
{
	static const char units[] = "dhms";
	static const int64_t mult[] = { 86400, 3600, 60, 1 };
	size_t o = 0;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, bufsz, "%llds", (long long)secs);
		return;
	}
	for (int k = 0; k < 4 && o < bufsz; k++) {
		if (secs / mult[k] == 0)
			continue;
		int n = snprintf(buf + o, bufsz - o, "%lld%c",
			(long long)(secs / mult[k]), units[k]);

		if (n < 0)
			return;
		o += (size_t)n;
		secs %= mult[k];
	}
}

/* Checks a host name or IPv4 address: [A-Za-z0-9_-] labels joined by
 * '.', labels <= 63 bytes, total <= 253, an optional trailing '.'. */
static bool
valid_hostname(const char *h, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (conf__is_alpha(c) || conf__is_digit(c) || c == '_' ||
			(c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static int
hostport_parse(const char *s, uint16_t dport, char *host, size_t hostsz,
	uint16_t *port, bool *v6, char *msg, size_t msgsz)
{
	const char *h = s, *ps = NULL, *close;
	size_t hl;
	char ex[64];

	if (hostsz > 0)
		host[0] = '\0';
	*port = 0;
	*v6 = false;
	if (s[0] == '[') {
		char a[64];
		unsigned char bin[16];

		if ((close = strchr(s, ']')) == NULL) {
			snprintf(msg, msgsz, "is missing ']' after the IPv6 "
				"address");
			return OP_ERR_CONFIG;
		}
		h = s + 1;
		hl = (size_t)(close - h);
		if (hl == 0 || hl >= sizeof(a)) {
			snprintf(msg, msgsz, "has an invalid IPv6 address");
			return OP_ERR_CONFIG;
		}
		memcpy(a, h, hl);
		a[hl] = '\0';
		if (inet_pton(AF_INET6, a, bin) != 1) {
			EXCERPT(a, ex);
			snprintf(msg, msgsz, "has an invalid IPv6 address "
				"'%s'", ex);
			return OP_ERR_CONFIG;
		}
		*v6 = true;
		if (close[1] == ':') {
			ps = close + 2;
		} else if (close[1] != '\0') {
			snprintf(msg, msgsz, "must be [address]:port, found "
				"text after ']'");
			return OP_ERR_CONFIG;
		}
	} else {
		const char *colon = strchr(s, ':');

		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			snprintf(msg, msgsz, "looks like an IPv6 address; "
				"write it in brackets, e.g. [::1]:%u",
				dport != 0 ? dport : 21116u);
			return OP_ERR_CONFIG;
		}
		hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
		if (hl == 0) {
			snprintf(msg, msgsz, "is missing the host before ':'");
			return OP_ERR_CONFIG;
		}
		if (!valid_hostname(s, hl)) {
			conf__excerpt(s, hl, ex, sizeof(ex));
			snprintf(msg, msgsz, "has an invalid host name '%s' "
				"(letters, digits, '-', '_', '.')", ex);
			return OP_ERR_CONFIG;
		}
		if (colon != NULL)
			ps = colon + 1;
	}
	if (ps != NULL) {
		size_t n = strlen(ps);
		unsigned long v = 0;

		for (size_t i = 0; i < n && i < 6; i++) {
			if (!conf__is_digit(ps[i]))
				break;
			v = v * 10 + (unsigned long)(ps[i] - '0');
		}
		if (n == 0 || n > 5 || strspn(ps, "0123456789") != n ||
			v == 0 || v > 65535) {
			EXCERPT(ps, ex);
			snprintf(msg, msgsz, "has an invalid port '%s' "
				"(1-65535)", ex);
			return OP_ERR_RANGE;
		}
		*port = (uint16_t)v;
	} else if (dport == 0) {
		snprintf(msg, msgsz, "needs a port (host:port)");
		return OP_ERR_CONFIG;
	} else {
		*port = dport;
	}
	if (hl >= hostsz) {
		*port = 0;
		snprintf(msg, msgsz, "has a host name that is too long");
		return OP_ERR_TOO_LARGE;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	return 0;
}

int
conf_hostport_split(const char *s, uint16_t default_port, char *host,
	size_t hostsz, uint16_t *port)
{
	char msg[128];
	bool v6;

	return hostport_parse(s, default_port, host, hostsz, port, &v6, msg,
		sizeof(msg));
}

int
conf_listen_parse(const char *s, uint16_t default_port, char *addr,
	size_t addrsz, uint16_t *port, char *msg, size_t msgsz)
{
	unsigned char bin[16];
	const char *ps;
	char ex[64], pt[8] = "";
	bool v6;
	int r;

	r = hostport_parse(s, default_port, addr, addrsz, port, &v6, msg,
		msgsz);
	if (r != 0)
		return r == OP_ERR_TOO_LARGE ? r : OP_ERR_CONFIG;
	ps = strrchr(s, ']');
	ps = strchr(ps != NULL ? ps : s, ':');
	if (ps != NULL && ps[1] == '0') {
		EXCERPT(ps + 1, ex);
		snprintf(msg, msgsz, "has an invalid port '%s' (1-65535, no "
			"leading zero)", ex);
		goto bad;
	}
	if (v6 || inet_pton(AF_INET, addr, bin) == 1)
		return 0;
	EXCERPT(s, ex);
	if (ps != NULL)
		snprintf(pt, sizeof(pt), ":%u", *port);
	if (strspn(s, "0123456789") == strlen(s))
		snprintf(msg, msgsz, "is a port without an address: write "
			"127.0.0.1:%s (this host only) or 0.0.0.0:%s (every "
			"IPv4 interface)", ex, ex);
	else if (strcmp(addr, "localhost") == 0)
		snprintf(msg, msgsz, "must be a numeric address, got '%s': "
			"write 127.0.0.1%s (or [::1]%s for IPv6)", ex, pt, pt);
	else
		snprintf(msg, msgsz, "must be a numeric address, got '%s' "
			"(a listener binds an address of this host; names are "
			"not resolved): e.g. 127.0.0.1%s, 0.0.0.0%s (every "
			"IPv4 interface) or [::]%s", ex, pt, pt, pt);
bad:
	if (addrsz > 0)
		addr[0] = '\0';
	*port = 0;
	return OP_ERR_CONFIG;
}

static int
set_text(struct conf_value *out, const char *s)
{
	out->text = strdup(s);
	return out->text != NULL ? 0 : OP_ERR_NOMEM;
}

static int
parse_enum(const struct conf_keydef *kd, const char *s,
	struct conf_value *out, char *msg, size_t msgsz)
{
	const char *c = kd->choices, *best = NULL;
	size_t sl = strlen(s), bestd = SIZE_MAX, bestl = 0, o = 0;
	char list[256], ex[64];
	int64_t idx = 0;

	for (;;) {
		size_t cl = strcspn(c, "|");
		size_t d;

		if (cl == sl && eq_nocase_n(c, s, cl)) {
			if ((out->text = op_strndup(c, cl)) == NULL)
				return OP_ERR_NOMEM;
			out->num = idx;
			return 0;
		}
		d = conf__lev(s, sl, c, cl);
		if (d <= conf__lev_threshold(cl) && d < bestd) {
			bestd = d;
			best = c;
			bestl = cl;
		}
		if (c[cl] == '\0')
			break;
		c += cl + 1;
		idx++;
	}
	/* "a|b|c" -> "a, b, c" */
	for (c = kd->choices; *c != '\0' && o + 3 < sizeof(list); c++) {
		if (*c == '|') {
			list[o++] = ',';
			list[o++] = ' ';
		} else {
			list[o++] = *c;
		}
	}
	list[o] = '\0';
	EXCERPT(s, ex);
	if (best != NULL)
		snprintf(msg, msgsz, "must be one of %s; got '%s' (did you "
			"mean '%.*s'?)", list, ex, (int)bestl, best);
	else
		snprintf(msg, msgsz, "must be one of %s; got '%s'", list, ex);
	return OP_ERR_CONFIG;
}

static int
parse_bool(const char *s, struct conf_value *out, char *msg, size_t msgsz)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t n = strlen(s);
	char ex[64];

	for (int i = 0; i < 3; i++) {
		if (eq_nocase(s, n, yes[i])) {
			out->num = 1;
			return set_text(out, "true");
		}
		if (eq_nocase(s, n, no[i])) {
			out->num = 0;
			return set_text(out, "false");
		}
	}
	EXCERPT(s, ex);
	snprintf(msg, msgsz, "must be a boolean (true/false, yes/no, "
		"on/off), got '%s'", ex);
	return OP_ERR_CONFIG;
}

static int
parse_int(const struct conf_keydef *kd, const char *s,
	struct conf_value *out, char *msg, size_t msgsz)
{
	char ex[64], t[32];
	int64_t v;
	int r = parse_i64(s, &v);

	EXCERPT(s, ex);
	if (r == -1) {
		snprintf(msg, msgsz, "must be a decimal integer, got '%s'",
			ex);
		return OP_ERR_CONFIG;
	}
	if (r < 0 || v < kd->min || v > kd->max) {
		snprintf(msg, msgsz, "must be between %lld and %lld, got %s",
			(long long)kd->min, (long long)kd->max, ex);
		return OP_ERR_CONFIG;
	}
	snprintf(t, sizeof(t), "%lld", (long long)v);
	out->num = v;
	return set_text(out, t);
}

static int
parse_dur(const struct conf_keydef *kd, const char *s,
	struct conf_value *out, char *msg, size_t msgsz)
{
	char ex[64], t[64], lo[64], hi[64];
	int64_t v;
	int r = parse_duration(s, &v);

	EXCERPT(s, ex);
	if (r == -1) {
		snprintf(msg, msgsz, "must be a duration (seconds, or e.g. "
			"30s, 10m, 2h, 1d, 1h30m), got '%s'", ex);
		return OP_ERR_CONFIG;
	}
	if (r < 0 || v < kd->min || v > kd->max) {
		conf__fmt_duration(kd->min, lo, sizeof(lo));
		conf__fmt_duration(kd->max, hi, sizeof(hi));
		snprintf(msg, msgsz, "must be between %s and %s, got '%s'",
			lo, hi, ex);
		return OP_ERR_CONFIG;
	}
	conf__fmt_duration(v, t, sizeof(t));
	out->num = v;
	return set_text(out, t);
}

static int
parse_hostport(const struct conf_keydef *kd, const char *s,
	struct conf_value *out, char *msg, size_t msgsz)
{
	char host[256], t[300];
	uint16_t port;
	bool v6;

	if (hostport_parse(s, (uint16_t)kd->min, host, sizeof(host), &port,
		    &v6, msg, msgsz) != 0)
		return OP_ERR_CONFIG;
	snprintf(t, sizeof(t), v6 ? "[%s]:%u" : "%s:%u", host, port);
	out->num = port;
	return set_text(out, t);
}

static int
check_length(const struct conf_keydef *kd, size_t n, char *msg,
	size_t msgsz)
{
	size_t lo = kd->min > 0 ? (size_t)kd->min : 1;
	size_t hi = kd->max > 0 ? (size_t)kd->max : CONF_STR_MAX;

	/* Empty is allowed only when conf__empty_ok, handled earlier. */
	if (n == 0) {
		snprintf(msg, msgsz, "must not be empty");
		return OP_ERR_CONFIG;
	}
	if (n < lo || n > hi) {
		snprintf(msg, msgsz, "must be %zu to %zu bytes long, got %zu",
			lo, hi, n);
		return OP_ERR_CONFIG;
	}
	return 0;
}

int
conf__parse_scalar(const struct conf_keydef *kd, const char *s,
	struct conf_value *out, char *msg, size_t msgsz)
{
	int r;

	msg[0] = '\0';
	if (s[0] == '\0' && conf__empty_ok(kd))
		return set_text(out, "");
	if (s[0] == '\0') {
		snprintf(msg, msgsz, "must not be empty");
		return OP_ERR_CONFIG;
	}
	switch (kd->type) {
	case CONF_T_STRING:
	case CONF_T_PATH:
		r = check_length(kd, strlen(s), msg, msgsz);
		break;
	case CONF_T_BOOL:
		return parse_bool(s, out, msg, msgsz);
	case CONF_T_INT:
		return parse_int(kd, s, out, msg, msgsz);
	case CONF_T_ENUM:
		return parse_enum(kd, s, out, msg, msgsz);
	case CONF_T_DURATION:
		return parse_dur(kd, s, out, msg, msgsz);
	case CONF_T_HOSTPORT:
		r = parse_hostport(kd, s, out, msg, msgsz);
		if (r == 0 && kd->check != NULL &&
			kd->check->fn(s, msg, msgsz) != 0) {
			free(out->text);
			out->text = NULL;
			return OP_ERR_CONFIG;
		}
		return r;
	case CONF_T_LIST:
	default:
		snprintf(msg, msgsz, "is not a scalar key");
		return OP_ERR_INTERNAL;
	}
	if (r != 0)
		return r;
	if (kd->check != NULL && kd->check->fn(s, msg, msgsz) != 0)
		return OP_ERR_CONFIG;
	return set_text(out, s);
}

int
conf__check_item(const struct conf_keydef *kd, const char *s, char *msg,
	size_t msgsz)
{
	size_t n = strlen(s);

	msg[0] = '\0';
	if (n == 0 || n > CONF_STR_MAX) {
		snprintf(msg, msgsz, "items must be 1 to %d bytes long",
			CONF_STR_MAX);
		return OP_ERR_CONFIG;
	}
	if (kd->check != NULL && kd->check->fn(s, msg, msgsz) != 0)
		return OP_ERR_CONFIG;
	return 0;
}

int
conf__parse_list_default(const struct conf_keydef *kd, const char *s,
	struct conf_value *v, char *msg, size_t msgsz)
{
	while (*s != '\0') {
		size_t n = strcspn(s, "\n");
		char *item = op_strndup(s, n), **items;
		int r;

		if (item == NULL)
			return OP_ERR_NOMEM;
		if ((r = conf__check_item(kd, item, msg, msgsz)) != 0) {
			free(item);
			return r;
		}
		items = realloc(v->items, (v->nitems + 1) * sizeof(*items));
		if (items == NULL) {
			free(item);
			return OP_ERR_NOMEM;
		}
		v->items = items;
		v->items[v->nitems++] = item;
		s += n;
		if (*s == '\n')
			s++;
	}
	return 0;
}

void
conf__fmt_type(const struct conf_keydef *kd, char *buf, size_t bufsz)
{
	char lo[64], hi[64];

	switch (kd->type) {
	case CONF_T_STRING:
		snprintf(buf, bufsz, "string");
		break;
	case CONF_T_BOOL:
		snprintf(buf, bufsz, "boolean (true/false, yes/no, on/off)");
		break;
	case CONF_T_INT:
		snprintf(buf, bufsz, "integer %lld..%lld", (long long)kd->min,
			(long long)kd->max);
		break;
	case CONF_T_ENUM:
		snprintf(buf, bufsz, "one of %s", kd->choices);
		break;
	case CONF_T_DURATION:
		conf__fmt_duration(kd->min, lo, sizeof(lo));
		conf__fmt_duration(kd->max, hi, sizeof(hi));
		snprintf(buf, bufsz, "duration %s..%s (seconds, or e.g. 30s, "
			"10m, 2h, 1d)", lo, hi);
		break;
	case CONF_T_HOSTPORT:
		if (kd->min != 0)
			snprintf(buf, bufsz, "host[:port], default port %lld",
				(long long)kd->min);
		else
			snprintf(buf, bufsz, "host:port");
		break;
	case CONF_T_PATH:
		snprintf(buf, bufsz, "path");
		break;
	case CONF_T_LIST:
		snprintf(buf, bufsz, "list of strings (at most %lld)",
			(long long)(kd->max > 0 ? kd->max : CONF_LIST_MAX));
		break;
	}
}

