/* SPDX-License-Identifier: MIT */
/*
 * The policy's three small languages: CIDR networks, ID globs and
 * schedule windows, each with a parser (configuration text) and a
 * matcher (per connection). The same grammars are checked, more briefly,
 * by conf/conf-check.c so `outpost config check` reports bad items with
 * their FILE:LINE:COL; the fuzz targets tests/fuzz/fuzz-policy-*.c check
 * that both accept exactly the same strings.
 *
 * Must not: read past a bounded length (every input is measured with
 * strnlen against its maximum first), use locale-dependent <ctype.h>, or
 * copy more than a short, escaped excerpt of hostile text into a message.
 */
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/netaddr.h"
#include "core/text.h"
#include "policy/policy-internal.h"

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void
policy__excerpt(const char *s, char *buf, size_t bufsz)
{
	op_excerpt(s, strlen(s), 40, buf, bufsz);
}

void
policy__splice(char *buf, size_t bufsz, const char *msg, const char *value)
{
	const char *at = strstr(msg, "%s");

	if (bufsz == 0)
		return;
	if (at == NULL)
		snprintf(buf, bufsz, "%s", msg);
	else
		snprintf(buf, bufsz, "%.*s%s%s", (int)(at - msg), msg, value,
			at + 2);
}

/* msg has one %s, which gets an excerpt of s. */
static int
fail(char *err, size_t errsz, const char *msg, const char *s)
{
	char ex[200];

	if (err != NULL && errsz > 0) {
		policy__excerpt(s, ex, sizeof(ex));
		policy__splice(err, errsz, msg, ex);
	}
	return OP_ERR_CONFIG;
}

/* ---- CIDR ---- */

/* Decimal 0..max without sign or leading zeros; -1 if malformed. */
static int
parse_prefix(const char *s, int max)
{
	int v = 0;

	if (!is_digit(s[0]) || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (!is_digit(s[i]) || i >= 3)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

int
policy_cidr_parse(const char *s, struct policy_cidr *out, char *err,
	size_t errsz)
{
	char a[POLICY_CIDR_MAX + 1], suggestion[64];
	const char *slash;
	size_t n = strnlen(s, POLICY_CIDR_MAX + 1), al;
	int max, prefix;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n > POLICY_CIDR_MAX)
		return fail(err, errsz, "must be a network like 10.0.0.0/8 "
			"or fd00::/8 (at most 64 bytes), got '%s'", s);
	slash = memchr(s, '/', n);
	al = slash != NULL ? (size_t)(slash - s) : n;
	memcpy(a, s, al);
	a[al] = '\0';
	if (memchr(a, ':', al) != NULL) {
		out->family = 6;
		max = 128;
		if (inet_pton(AF_INET6, a, out->addr) != 1)
			return fail(err, errsz, "has an invalid IPv6 address "
				"in '%s'", s);
	} else {
		out->family = 4;
		max = 32;
		if (inet_pton(AF_INET, a, out->addr) != 1)
			return fail(err, errsz, "has an invalid IPv4 address "
				"in '%s' (want a.b.c.d/n)", s);
	}
	prefix = slash != NULL ? parse_prefix(slash + 1, max) : max;
	if (prefix < 0) {
		memset(out, 0, sizeof(*out));
		return fail(err, errsz, max == 32 ?
			"has an invalid prefix length in '%s' (0-32)" :
			"has an invalid prefix length in '%s' (0-128)", s);
	}
	out->prefix = (uint8_t)prefix;
	for (int bit = prefix; bit < max; bit++) {
		if (out->addr[bit / 8] & (0x80u >> (bit % 8))) {
			struct policy_cidr fix = *out;

			for (int b = prefix; b < max; b++)
				fix.addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			policy_cidr_format(&fix, suggestion,
				sizeof(suggestion));
			memset(out, 0, sizeof(*out));
			if (err != NULL && errsz > 0) {
				char ex[200];

				policy__excerpt(s, ex, sizeof(ex));
				snprintf(err, errsz, "has address bits set "
					"after the prefix in '%s' (did you "
					"mean %s?)", ex, suggestion);
			}
			return OP_ERR_CONFIG;
		}
	}
	/* ::ffff:a.b.c.d/96+n is the IPv4 network a.b.c.d/n. */
	if (out->family == 6 && prefix >= 96 &&
		memcmp(out->addr, v4mapped, 12) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = 4;
		out->prefix = (uint8_t)(prefix - 96);
	}
	return 0;
}

void
policy_cidr_format(const struct policy_cidr *c, char *buf, size_t bufsz)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a,
		    sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, bufsz, "%s/%u", a, c->prefix);
}

int
policy__addr_of(const struct sockaddr *sa, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = 0;
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof(sin));
		memcpy(addr, &sin.sin_addr, 4);
		*family = 4;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof(sin6));
		if (memcmp(&sin6.sin6_addr, v4mapped, 12) == 0) {
			memcpy(addr, (const uint8_t *)&sin6.sin6_addr + 12, 4);
			*family = 4;
		} else {
			memcpy(addr, &sin6.sin6_addr, 16);
			*family = 6;
		}
		return 0;
	}
	return -1;
}

bool
policy_cidr_match(const struct policy_cidr *c, const struct sockaddr *sa)
{
	uint8_t family, addr[16];
	unsigned full, rest;

	if (policy__addr_of(sa, &family, addr) != 0 || family != c->family)
		return false;
	full = c->prefix / 8u;
	rest = c->prefix % 8u;
	if (memcmp(addr, c->addr, full) != 0)
		return false;
	if (rest != 0) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));

		if ((addr[full] & mask) != (c->addr[full] & mask))
			return false;
	}
	return true;
}

/* ---- Globs ---- */

int
policy_glob_check(const char *p, char *err, size_t errsz)
{
	size_t n = strnlen(p, POLICY_ID_MAX + 1);

	if (n == 0 || n > POLICY_ID_MAX)
		return fail(err, errsz, "must be an ID pattern of 1-255 "
			"bytes, got '%s'", p);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f)
			return fail(err, errsz, "must be printable ASCII "
				"without spaces (an ID with '*' and '?'), got "
				"'%s'", p);
		if (c == '[' || c == ']' || c == '\\')
			return fail(err, errsz, "may only use the wildcards "
				"'*' and '?' (no [classes] or \\ escapes), "
				"got '%s'", p);
	}
	return 0;
}

bool
policy_glob_match(const char *p, const char *s)
{
	size_t pn = strnlen(p, POLICY_ID_MAX + 1);
	size_t sn = strnlen(s, POLICY_ID_MAX + 1);
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	if (pn > POLICY_ID_MAX || sn > POLICY_ID_MAX)
		return false;
	/* Greedy with one backtrack point: the last '*' seen. Linear
	 * passes, at most pn * sn steps, no recursion. */
	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && (p[pi] == '?' ||
			lower(p[pi]) == lower(s[si]))) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

bool
policy_id_match(const char *pattern, const char *my_id)
{
	char head[POLICY_ID_MAX + 1];
	size_t n = strnlen(my_id, POLICY_ID_MAX + 1);
	const char *at;

	if (n > POLICY_ID_MAX)
		return false;
	if (policy_glob_match(pattern, my_id))
		return true;
	if ((at = memchr(my_id, '@', n)) == NULL)
		return false;
	memcpy(head, my_id, (size_t)(at - my_id));
	head[at - my_id] = '\0';
	return policy_glob_match(pattern, head);
}

/* ---- Schedule windows ---- */

static const char day_names[7][4] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat" };

/* A day name at s (3 letters, not followed by a letter); -1 if none. */
static int
parse_day(const char *s)
{
	for (int d = 0; d < 7; d++)
		if (lower(s[0]) == day_names[d][0] &&
			lower(s[1]) == day_names[d][1] &&
			lower(s[2]) == day_names[d][2] &&
			!((s[3] >= 'a' && s[3] <= 'z') ||
				(s[3] >= 'A' && s[3] <= 'Z')))
			return d;
	return -1;
}

/* H:MM or HH:MM at *p, 00:00..24:00; advances *p. -1 if malformed. */
static int
parse_hhmm(const char **p)
{
	const char *s = *p;
	int h, m;

	if (!is_digit(s[0]))
		return -1;
	h = s[0] - '0';
	s++;
	if (is_digit(s[0])) {
		h = h * 10 + (s[0] - '0');
		s++;
	}
	if (s[0] != ':' || !is_digit(s[1]) || !is_digit(s[2]))
		return -1;
	m = (s[1] - '0') * 10 + (s[2] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*p = s + 3;
	return h * 60 + m;
}

#define WINDOW_SYNTAX "must be a window like 'Mon-Fri 08:00-18:00', " \
	"'Sat 10:00-12:00', 'Sat,Sun' or '*'"

int
policy_window_parse(const char *s, struct policy_window *out, char *err,
	size_t errsz)
{
	size_t n = strnlen(s, POLICY_WINDOW_MAX + 1);
	const char *p = s;
	uint8_t days = 0;
	int start, end;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n > POLICY_WINDOW_MAX)
		return fail(err, errsz, WINDOW_SYNTAX " (at most 64 bytes), "
			"got '%s'", s);
	while (*p == ' ')
		p++;
	if (p[0] == '*') {
		for (p++; *p == ' '; p++)
			;
		if (*p != '\0')
			return fail(err, errsz, WINDOW_SYNTAX "; '*' stands "
				"alone, got '%s'", s);
		out->days = 0x7f;
		out->end = 1440;
		return 0;
	}
	if (!is_digit(*p)) {
		for (;;) {
			int a = parse_day(p), b;

			if (a < 0)
				return fail(err, errsz, WINDOW_SYNTAX "; days "
					"are Mon Tue Wed Thu Fri Sat Sun, got "
					"'%s'", s);
			p += 3;
			b = a;
			if (*p == '-' && !is_digit(p[1])) {
				if ((b = parse_day(p + 1)) < 0)
					return fail(err, errsz, WINDOW_SYNTAX
						"; bad day range in '%s'", s);
				p += 4;
			}
			/* Ranges may wrap: Fri-Mon is Fri Sat Sun Mon. */
			for (int d = a;; d = (d + 1) % 7) {
				days |= (uint8_t)(1u << d);
				if (d == b)
					break;
			}
			if (*p != ',')
				break;
			p++;
		}
		if (*p == '\0' || (*p == ' ' && p[strspn(p, " ")] == '\0')) {
			out->days = days;
			out->end = 1440;
			return 0;
		}
		if (*p != ' ')
			return fail(err, errsz, WINDOW_SYNTAX "; unexpected "
				"text after the days in '%s'", s);
		while (*p == ' ')
			p++;
	} else {
		days = 0x7f;
	}
	if ((start = parse_hhmm(&p)) < 0 || *p != '-' ||
		(p++, end = parse_hhmm(&p)) < 0)
		return fail(err, errsz, WINDOW_SYNTAX "; times are HH:MM-HH:MM "
			"from 00:00 to 24:00, got '%s'", s);
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return fail(err, errsz, WINDOW_SYNTAX "; unexpected text after "
			"the times in '%s'", s);
	if (start == 1440)
		return fail(err, errsz, WINDOW_SYNTAX "; a window cannot start "
			"at 24:00, got '%s'", s);
	if (start == end || (end == 0 && start == 0))
		return fail(err, errsz, WINDOW_SYNTAX "; an empty window "
			"(start = end), got '%s'", s);
	out->days = days;
	out->start = (uint16_t)start;
	out->end = (uint16_t)(end == 0 ? 1440 : end);
	return 0;
}

bool
policy_window_match(const struct policy_window *w, int wday, int minute)
{
	int prev;

	if (wday < 0 || wday > 6 || minute < 0 || minute >= 1440)
		return false;
	prev = (wday + 6) % 7;
	if (w->start < w->end)
		return (w->days & (1u << wday)) && minute >= w->start &&
			minute < w->end;
	/* Overnight: the evening part belongs to the listed day, the
	 * morning part to the day after it. */
	return ((w->days & (1u << wday)) && minute >= w->start) ||
		((w->days & (1u << prev)) && minute < w->end);
}
