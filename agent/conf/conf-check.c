/* SPDX-License-Identifier: MIT */
/*
 * Rules beyond a value's type: the per-key check hooks named in
 * conf-keys.h (custom ID, hbbs public key, policy CIDRs, ID globs,
 * schedule windows and time zone), did-you-mean suggestions for
 * unknown keys (Levenshtein distance), and the key table's self-check that
 * test-conf runs so a bad declaration fails a test, not an admin.
 *
 * Must not: compare unbounded strings (suggestions stop at CONF_LEV_MAX
 * bytes, so a hostile key costs O(1)), or echo a value into a message
 * without conf__excerpt.
 */
#include "conf/conf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/conf-internal.h"
#include "core/err.h"
#include "core/netaddr.h"

size_t
conf__lev(const char *a, size_t al, const char *b, size_t bl)
{
	size_t prev[CONF_LEV_MAX + 1], cur[CONF_LEV_MAX + 1];

	if (al > CONF_LEV_MAX || bl > CONF_LEV_MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= bl; j++)
		prev[j] = j;
	for (size_t i = 1; i <= al; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= bl; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			bool differ = conf__to_lower(a[i - 1]) !=
				conf__to_lower(b[j - 1]);
			size_t sub = prev[j - 1] + (differ ? 1u : 0u);

			cur[j] = del < ins ? del : ins;
			if (sub < cur[j])
				cur[j] = sub;
		}
		memcpy(prev, cur, (bl + 1) * sizeof(prev[0]));
	}
	return prev[bl];
}

size_t
conf__lev_threshold(size_t n)
{
	return n <= 3 ? 1 : n <= 6 ? 2 : 3;
}

static const char *
last_component(const char *p, size_t len)
{
	for (size_t i = len; i > 0; i--)
		if (p[i - 1] == '.')
			return p + i;
	return p;
}

/* The distance if it is within the typo threshold for a, else SIZE_MAX;
 * the length difference is a lower bound, which skips most pairs. */
static size_t
lev_within(const char *a, size_t al, const char *b, size_t bl)
{
	size_t thr = conf__lev_threshold(al), d;

	if ((al > bl ? al - bl : bl - al) > thr)
		return SIZE_MAX;
	d = conf__lev(a, al, b, bl);
	return d <= thr ? d : SIZE_MAX;
}

const char *
conf__suggest(const struct conf_table *t, const char *full, char *buf,
	size_t bufsz)
{
	size_t fl = strlen(full), best = SIZE_MAX, best_df = SIZE_MAX;
	const char *leaf = last_component(full, fl);
	size_t ll = fl - (size_t)(leaf - full);
	const char *bp = NULL;
	size_t bl = 0;

	if (fl > CONF_LEV_MAX || bufsz == 0)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const char *p = t->keys[i].path;
		size_t pl = strlen(p);

		/* The key itself, then each section above it. */
		for (size_t cl = pl; cl > 0; cl--) {
			if (cl != pl && p[cl] != '.')
				continue;
			const char *cleaf = last_component(p, cl);
			size_t df = lev_within(full, fl, p, cl);
			size_t dl = lev_within(leaf, ll, cleaf,
				cl - (size_t)(cleaf - p));
			size_t d = df < dl ? df : dl;

			if (d == SIZE_MAX)
				continue;
			if (d < best || (d == best && df < best_df)) {
				best = d;
				best_df = df;
				bp = p;
				bl = cl;
			}
		}
	}
	if (bp == NULL || bl >= bufsz)
		return NULL;
	memcpy(buf, bp, bl);
	buf[bl] = '\0';
	return buf;
}

static int
check_id(const char *s, char *msg, size_t msgsz)
{
	size_t n = strlen(s);
	char ex[64];
	bool ok = n >= 6 && n <= 16 && conf__is_alpha(s[0]);

	if (strcmp(s, "auto") == 0)
		return 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = conf__is_alpha(s[i]) || conf__is_digit(s[i]) ||
			s[i] == '_' || s[i] == '-';
	if (ok)
		return 0;
	EXCERPT(s, ex);
	snprintf(msg, msgsz, "must be 'auto' or 6-16 characters "
		"[A-Za-z0-9_-] starting with a letter, got '%s'", ex);
	return -1;
}

const struct conf_check conf__check_id = {
	.fn = check_id,
	.pattern = "^(auto|[A-Za-z][A-Za-z0-9_-]{5,15})$",
};

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (conf__is_digit(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * hbbs writes its public key as standard base64 with padding (44
 * characters for 32 bytes). We accept it without the padding too, but
 * refuse anything that does not decode to exactly 32 bytes, including
 * non-zero trailing bits, so one key has one spelling.
 */
static int
check_b64key(const char *s, char *msg, size_t msgsz)
{
	size_t n = strlen(s), pad = 0, bytes;
	int last = 0;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	for (size_t i = 0; i < n; i++) {
		if ((last = b64_value(s[i])) < 0) {
			snprintf(msg, msgsz, "is not base64: invalid "
				"character at position %zu", i + 1);
			return -1;
		}
	}
	if (n % 4 == 1 || (pad > 0 && (n + pad) % 4 != 0) ||
		(n % 4 == 2 && (last & 0x0f) != 0) ||
		(n % 4 == 3 && (last & 0x03) != 0)) {
		snprintf(msg, msgsz, "is not valid base64 (bad length, "
			"padding or trailing bits)");
		return -1;
	}
	bytes = n / 4 * 3 + (n % 4 == 2 ? 1 : n % 4 == 3 ? 2 : 0);
	if (bytes != 32) {
		snprintf(msg, msgsz, "must be the base64 Ed25519 public key "
			"of hbbs (32 bytes), got %zu bytes", bytes);
		return -1;
	}
	return 0;
}

const struct conf_check conf__check_b64key = {
	.fn = check_b64key,
	.pattern = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=?$",
};

/* display.x11: a local display ":N" or ":N.S" (N < 10000). Remote
 * displays (host:N) are refused: capture over TCP would leak the screen. */
static int
check_x11_display(const char *s, char *msg, size_t msgsz)
{
	const char *p = s;
	char ex[64];
	int digits = 0;

	if (*p == '\0')
		return 0;
	if (*p++ != ':')
		goto bad;
	while (conf__is_digit(*p) && digits < 5) {
		p++;
		digits++;
	}
	if (digits == 0 || digits > 4)
		goto bad;
	if (*p == '.') {
		p++;
		if (!conf__is_digit(*p))
			goto bad;
		while (conf__is_digit(*p))
			p++;
	}
	if (*p == '\0' && p - s <= 10)
		return 0;
bad:
	EXCERPT(s, ex);
	snprintf(msg, msgsz, "must be a local X display like ':0' or ':1.0' "
		"(or empty), got '%s'", ex);
	return -1;
}

const struct conf_check conf__check_x11_display = {
	.fn = check_x11_display,
	.pattern = "^(|:[0-9]{1,4}(\\.[0-9]{1,4})?)$",
};

/* display.virtual.size: "WxH", 320..8192 x 200..8192. */
static int
check_size(const char *s, char *msg, size_t msgsz)
{
	unsigned long w = 0, h = 0;
	const char *p = s;
	char ex[64];
	int n = 0;

	while (conf__is_digit(*p) && n++ < 5)
		w = w * 10 + (unsigned long)(*p++ - '0');
	if (n == 0 || n > 4 || *p++ != 'x')
		goto bad;
	n = 0;
	while (conf__is_digit(*p) && n++ < 5)
		h = h * 10 + (unsigned long)(*p++ - '0');
	if (n == 0 || n > 4 || *p != '\0')
		goto bad;
	if (w >= 320 && w <= 8192 && h >= 200 && h <= 8192)
		return 0;
bad:
	EXCERPT(s, ex);
	snprintf(msg, msgsz, "must be WIDTHxHEIGHT between 320x200 and "
		"8192x8192, got '%s'", ex);
	return -1;
}

const struct conf_check conf__check_size = {
	.fn = check_size,
	.pattern = "^[0-9]{3,4}x[0-9]{3,4}$",
};

/* A POSIX user name (as useradd accepts), for display.virtual.user. */
static int
check_username(const char *s, char *msg, size_t msgsz)
{
	size_t n = strlen(s);
	bool ok = n >= 1 && n <= 32 && (conf__is_alpha(s[0]) || s[0] == '_');
	char ex[64];

	for (size_t i = 1; ok && i < n; i++)
		ok = conf__is_alpha(s[i]) || conf__is_digit(s[i]) ||
			s[i] == '_' || s[i] == '-' ||
			(s[i] == '$' && i == n - 1);
	if (ok)
		return 0;
	EXCERPT(s, ex);
	snprintf(msg, msgsz, "must be a user name ([a-z_][a-z0-9_-]*, at "
		"most 32 characters), got '%s'", ex);
	return -1;
}

const struct conf_check conf__check_username = {
	.fn = check_username,
	.pattern = "^[A-Za-z_][A-Za-z0-9_-]{0,30}[$]?$",
};

#ifdef _WIN32
static bool
is_sep(char c)
{
	return c == '\\' || c == '/';
}

/* "X:\dir[\...]" (either separator): a drive letter, then at least one
 * component, none "." or "..", no control characters and none of the
 * characters Windows forbids in names. Not a drive's root, not a UNC or
 * device path (\\server\share, \\?\...). */
static bool
abs_path_clean(const char *s)
{
	size_t n = strlen(s);
	bool ok = n >= 4 && n <= 4095 &&
		((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) &&
		s[1] == ':' && is_sep(s[2]);

	for (size_t i = 2; ok && i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
			strchr("<>:\"|?*", s[i]) != NULL)
			ok = false;
		if (is_sep(s[i]) && s[i + 1] == '.' &&
			(is_sep(s[i + 2]) || s[i + 2] == '\0' ||
				(s[i + 2] == '.' &&
					(is_sep(s[i + 3]) || s[i + 3] == '\0'))))
			ok = false;
	}
	return ok && strspn(s + 2, "\\/") < n - 2;
}

#define LAST_IS_SEP(s, n) is_sep((s)[(n) - 1])
#else
/* Absolute, no "." or ".." component, no control characters, not "/". */
static bool
abs_path_clean(const char *s)
{
	size_t n = strlen(s);
	bool ok = n >= 2 && n <= 4095 && s[0] == '/';

	for (size_t i = 0; ok && i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			ok = false;
		if (s[i] == '/' && s[i + 1] == '.' &&
			(s[i + 2] == '/' || s[i + 2] == '\0' ||
				(s[i + 2] == '.' &&
					(s[i + 3] == '/' || s[i + 3] == '\0'))))
			ok = false;
	}
	return ok;
}

#define LAST_IS_SEP(s, n) ((s)[(n) - 1] == '/')
#endif

/* policy.files.roots: the root "/" itself is refused (everything). */
static int
check_abs_dir(const char *s, char *msg, size_t msgsz)
{
	char ex[64];

	if (abs_path_clean(s))
		return 0;
	EXCERPT(s, ex);
#ifdef _WIN32
	snprintf(msg, msgsz, "must be an absolute directory like "
		"C:\\Shares\\Support (not a drive's root, not a network path) "
		"without . or .. components, got '%s'", ex);
#else
	snprintf(msg, msgsz, "must be an absolute directory other than / "
		"without . or .. components, got '%s'", ex);
#endif
	return -1;
}

const struct conf_check conf__check_abs_dir = {
	.fn = check_abs_dir,
	.pattern = "^/[^\\x00-\\x1f]+$",
};

/* display.wayland: the compositor's socket, named by its absolute
 * path (a bare "wayland-1" would depend on whose XDG_RUNTIME_DIR). */
static int
check_wayland_socket(const char *s, char *msg, size_t msgsz)
{
	char ex[64];
	size_t n = strlen(s);

	if (n == 0 || (abs_path_clean(s) && s[n - 1] != '/'))
		return 0;
	EXCERPT(s, ex);
	snprintf(msg, msgsz, "must be the absolute path of a Wayland "
		"compositor's socket like /run/user/1000/wayland-1 (or "
		"empty), got '%s'", ex);
	return -1;
}

const struct conf_check conf__check_wayland_socket = {
	.fn = check_wayland_socket,
	.pattern = "^/[^\\x00-\\x1f]+$",
};

/* policy.terminal.shell: a program, named by its absolute path. */
static int
check_abs_file(const char *s, char *msg, size_t msgsz)
{
	char ex[64];
	size_t n = strlen(s);

	if (abs_path_clean(s) && !LAST_IS_SEP(s, n))
		return 0;
	EXCERPT(s, ex);
	snprintf(msg, msgsz, "must be the absolute path of a program, without "
		". or .. components, got '%s'", ex);
	return -1;
}

const struct conf_check conf__check_abs_file = {
	.fn = check_abs_file,
	.pattern = "^/[^\\x00-\\x1f]*[^/\\x00-\\x1f]$",
};

/*
 * Policy list items (CIDRs, ID globs, schedule windows) and the schedule
 * time zone. The grammars are the ones agent/policy/policy-match.c parses
 * (conf cannot include policy: both are L1); fuzz-policy-* checks that
 * both accept exactly the same strings, so `config check` reports every
 * item the daemon would refuse, at its FILE:LINE:COL.
 */
static int
check_cidr(const char *s, char *msg, size_t msgsz)
{
	const char *slash = strchr(s, '/'), *p;
	size_t n = strlen(s), al = slash != NULL ? (size_t)(slash - s) : n;
	unsigned char bin[16];
	char a[65], ex[64];
	int max, prefix = 0;
	bool v6;

	EXCERPT(s, ex);
	if (n > 64) {
		snprintf(msg, msgsz, "must be a network like 10.0.0.0/8 or "
			"fd00::/8 (at most 64 bytes), got '%s'", ex);
		return -1;
	}
	memcpy(a, s, al);
	a[al] = '\0';
	v6 = strchr(a, ':') != NULL;
	max = v6 ? 128 : 32;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, a, bin) != 1) {
		snprintf(msg, msgsz, "has an invalid IPv%d address in '%s'",
			v6 ? 6 : 4, ex);
		return -1;
	}
	if (slash == NULL) {
		prefix = max;
	} else {
		p = slash + 1;
		if (!conf__is_digit(p[0]) || (p[0] == '0' && p[1] != '\0') ||
			strlen(p) > 3 || strspn(p, "0123456789") != strlen(p) ||
			(prefix = atoi(p)) > max) {
			snprintf(msg, msgsz, "has an invalid prefix length in "
				"'%s' (0-%d)", ex, max);
			return -1;
		}
	}
	for (int bit = prefix; bit < max; bit++) {
		if (bin[bit / 8] & (0x80u >> (bit % 8))) {
			for (int b = prefix; b < max; b++)
				bin[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
			if (inet_ntop(v6 ? AF_INET6 : AF_INET, bin, a,
				    sizeof(a)) == NULL)
				snprintf(a, sizeof(a), "?");
			snprintf(msg, msgsz, "has address bits set after the "
				"/%d prefix in '%s' (did you mean %s/%d?)",
				prefix, ex, a, prefix);
			return -1;
		}
	}
	return 0;
}

static int
check_listen(const char *s, char *msg, size_t msgsz)
{
	char addr[256];
	uint16_t port;

	return conf_listen_parse(s, 1, addr, sizeof(addr), &port, msg,
		       msgsz) == 0 ? 0 : -1;
}

/* The pattern is conf_listen_parse's grammar: exact for IPv4 and the
 * port, only the characters for IPv6 (inet_pton decides). */
#define LISTEN_V4_OCTET "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
const struct conf_check conf__check_listen = {
	.fn = check_listen,
	.pattern = "^(" LISTEN_V4_OCTET "(\\." LISTEN_V4_OCTET "){3}|"
		   "\\[[0-9A-Fa-f:.]+\\])(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|"
		   "6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|"
		   "6553[0-5]))?$",
};

const struct conf_check conf__check_cidr = {
	.fn = check_cidr,
	.pattern = "^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$",
};

static int
check_glob(const char *s, char *msg, size_t msgsz)
{
	size_t n = strlen(s);
	char ex[64];

	EXCERPT(s, ex);
	if (n > 255) {
		snprintf(msg, msgsz, "must be an ID pattern of 1-255 bytes");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '[' || c == ']' ||
			c == '\\') {
			snprintf(msg, msgsz, "must be an ID with the wildcards "
				"'*' and '?' only (printable ASCII, no spaces, "
				"[ ] or \\), got '%s'", ex);
			return -1;
		}
	}
	return 0;
}

const struct conf_check conf__check_glob = {
	.fn = check_glob,
	.pattern = "^[!-Z^-~]{1,255}$",
};

/* A day name (3 letters not followed by a letter) at s, or -1. */
static int
window_day(const char *s)
{
	static const char days[] = "sunmontuewedthufrisat";

	for (int d = 0; d < 7; d++)
		if (conf__to_lower(s[0]) == days[3 * d] &&
			conf__to_lower(s[1]) == days[3 * d + 1] &&
			conf__to_lower(s[2]) == days[3 * d + 2] &&
			!conf__is_alpha(s[3]))
			return d;
	return -1;
}

/* [H]H:MM, 00:00..24:00, advancing *p; -1 if malformed. */
static int
window_time(const char **p)
{
	const char *s = *p;
	int h = 0, k = 0, m;

	while (k < 2 && conf__is_digit(s[k]))
		h = h * 10 + (s[k++] - '0');
	if (k == 0 || s[k] != ':' || !conf__is_digit(s[k + 1]) ||
		!conf__is_digit(s[k + 2]))
		return -1;
	m = (s[k + 1] - '0') * 10 + (s[k + 2] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*p = s + k + 3;
	return h * 60 + m;
}

static int
check_window(const char *s, char *msg, size_t msgsz)
{
	const char *p = s + strspn(s, " ");
	int start, end;
	char ex[64];

	EXCERPT(s, ex);
	if (strlen(s) > 64)
		goto bad;
	if (*p == '*') {
		p++;
		if (p[strspn(p, " ")] != '\0')
			goto bad;
		return 0;
	}
	if (!conf__is_digit(*p)) {
		do {
			if (window_day(p) < 0)
				goto bad;
			p += 3;
			if (*p == '-' && !conf__is_digit(p[1])) {
				if (window_day(p + 1) < 0)
					goto bad;
				p += 4;
			}
		} while (*p == ',' && p++);
		if (p[strspn(p, " ")] == '\0')
			return 0;
		if (*p != ' ')
			goto bad;
		p += strspn(p, " ");
	}
	if ((start = window_time(&p)) < 0 || *p++ != '-' ||
		(end = window_time(&p)) < 0 || p[strspn(p, " ")] != '\0' ||
		start == 1440 || start == end || (start == 0 && end == 0))
		goto bad;
	return 0;
bad:
	snprintf(msg, msgsz, "must be a window like 'Mon-Fri 08:00-18:00', "
		"'Sat 10:00-12:00', 'Sat,Sun', '22:00-06:00' or '*' (days Mon "
		"Tue Wed Thu Fri Sat Sun, times 00:00-24:00, at most 64 bytes), "
		"got '%s'", ex);
	return -1;
}

/* The same as ECMA-262: case-insensitive day names spelled out. */
#define CONF__DAY "(?:[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]" \
	"|[Ff][Rr][Ii]|[Ss][Aa][Tt]|[Ss][Uu][Nn])"
#define CONF__DAYS CONF__DAY "(?:-" CONF__DAY ")?(?:," CONF__DAY "(?:-" \
	CONF__DAY ")?)*"
#define CONF__TIME "[0-9]{1,2}:[0-5][0-9]"

const struct conf_check conf__check_window = {
	.fn = check_window,
	.pattern = "^ *(?:\\*|" CONF__DAYS "(?: +" CONF__TIME "-" CONF__TIME
		")?|" CONF__TIME "-" CONF__TIME ") *$",
};

/*
 * "local", "UTC" or an IANA name whose tzfile exists under $TZDIR (else
 * /usr/share/zoneinfo): glibc would silently use UTC for a misspelt
 * zone, and a schedule in the wrong zone fails open or closed by hours.
 */
static int
check_tz(const char *s, char *msg, size_t msgsz)
{
	const char *dir = getenv("TZDIR");
	size_t n = strlen(s);
	char path[4200], ex[64];
	struct stat st;
	bool ok = n <= 64 && s[0] != '/' && s[n - 1] != '/';

	if (strcmp(s, "local") == 0 || strcmp(s, "UTC") == 0)
		return 0;
	EXCERPT(s, ex);
	for (size_t i = 0; ok && i < n; i++)
		ok = conf__is_alpha(s[i]) || conf__is_digit(s[i]) ||
			strchr("_+-", s[i]) != NULL ||
			(s[i] == '/' && s[i + 1] != '/');
	if (!ok) {
		snprintf(msg, msgsz, "must be 'local', 'UTC' or a time zone "
			"name like Europe/Berlin, got '%s'", ex);
		return -1;
	}
	if (dir == NULL || dir[0] != '/' || strlen(dir) > 4000)
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, s);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msgsz, "names no time zone in %s (is tzdata "
			"installed?), got '%s'", dir, ex);
		return -1;
	}
	return 0;
}

const struct conf_check conf__check_tz = {
	.fn = check_tz,
	.pattern = "^(local|UTC|[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*)$",
};

static bool
valid_path_syntax(const char *p)
{
	bool start = true;

	for (; *p != '\0'; p++) {
		if (*p == '.') {
			if (start)
				return false;
			start = true;
		} else if ((*p >= 'a' && *p <= 'z') || conf__is_digit(*p) ||
			*p == '_') {
			start = false;
		} else {
			return false;
		}
	}
	return !start;
}

/* Whether id is path upper-cased with '.' -> '_' ("log.level" ->
 * LOG_LEVEL), the spelling rule for enum conf_key constants. */
static bool
id_matches(const char *id, const char *path)
{
	for (; *path != '\0'; path++, id++) {
		char want = *path == '.' ? '_' : *path;

		if (want >= 'a' && want <= 'z')
			want = (char)(want - 'a' + 'A');
		if (*id != want)
			return false;
	}
	return *id == '\0';
}

int
conf__table_check(const struct conf_table *t, char *msg, size_t msgsz)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct conf_keydef *kd = &t->keys[i];
		size_t pl;

		if (kd->path == NULL || !valid_path_syntax(kd->path)) {
			snprintf(msg, msgsz, "key %zu: bad path", i);
			return -1;
		}
		pl = strlen(kd->path);
		if (kd->id != NULL && !id_matches(kd->id, kd->path)) {
			snprintf(msg, msgsz, "%s: ID must be the upper-cased "
				"path", kd->path);
			return -1;
		}
		if (kd->dflt == NULL || kd->doc == NULL || kd->doc[0] == '\0') {
			snprintf(msg, msgsz, "%s: missing default or doc",
				kd->path);
			return -1;
		}
		if (conf__default_is_runtime(kd) &&
			strcmp(conf__default_text(kd, true), kd->dflt) == 0) {
			snprintf(msg, msgsz, "%s: unknown runtime default %s",
				kd->path, kd->dflt);
			return -1;
		}
		if ((kd->type == CONF_T_ENUM) !=
			(kd->choices != NULL && kd->choices[0] != '\0')) {
			snprintf(msg, msgsz, "%s: choices only for enums",
				kd->path);
			return -1;
		}
		if ((kd->type == CONF_T_INT || kd->type == CONF_T_DURATION) &&
			kd->min > kd->max) {
			snprintf(msg, msgsz, "%s: min > max", kd->path);
			return -1;
		}
		if (kd->type == CONF_T_DURATION && kd->min < 0) {
			snprintf(msg, msgsz, "%s: negative duration", kd->path);
			return -1;
		}
		if (kd->type == CONF_T_HOSTPORT &&
			(kd->min < 0 || kd->min > 65535)) {
			snprintf(msg, msgsz, "%s: bad default port", kd->path);
			return -1;
		}
		for (size_t j = 0; j < t->n; j++) {
			const char *q = t->keys[j].path;

			if (j == i || q == NULL)
				continue;
			if (strcmp(q, kd->path) == 0) {
				snprintf(msg, msgsz, "%s: declared twice",
					kd->path);
				return -1;
			}
			if (strncmp(q, kd->path, pl) == 0 && q[pl] == '.') {
				snprintf(msg, msgsz, "%s is a key and a "
					"section (%s)", kd->path, q);
				return -1;
			}
		}
	}
	return 0;
}
