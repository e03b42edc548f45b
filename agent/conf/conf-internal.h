/* SPDX-License-Identifier: MIT */
/*
 * Private to agent/conf/ (and its unit test and fuzz target): the key
 * table behind conf-keys.h, the snapshot layout, the per-type parsers and
 * the diag collector. Every entry point takes the key table as a
 * parameter so test-conf can exercise types no real key uses yet.
 */
#ifndef OP_CONF_CONF_INTERNAL_H
#define OP_CONF_CONF_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"

#define CONF_STR_MAX 4096   /* default max length of a string value */
#define CONF_PATH_MAX 4095  /* max length of a path value */
#define CONF_LIST_MAX 1024  /* default max items in a list */
#define CONF_MSG_MAX 512    /* max length of one diag message */

/*
 * An extra rule for one value (one item of a list). fn returns 0, or -1
 * with a message that completes "'<key>' ..." in msg (e.g. "must be ...,
 * got '...'"). pattern, if not NULL, is an ECMA-262 regular expression for
 * the JSON Schema that accepts the same strings (empty excluded).
 */
struct conf_check {
	int (*fn)(const char *value, char *msg, size_t msgsz);
	const char *pattern;
};

extern const struct conf_check conf__check_id;
extern const struct conf_check conf__check_b64key;
/* Display and virtual-display values. */
extern const struct conf_check conf__check_x11_display;
/* display.wayland: empty or an absolute socket path. */
extern const struct conf_check conf__check_wayland_socket;
extern const struct conf_check conf__check_size;
extern const struct conf_check conf__check_username;
/* An absolute directory path (not checked to exist: that is at use). */
extern const struct conf_check conf__check_abs_dir;
/* An absolute path of a file (a program), same rules. */
extern const struct conf_check conf__check_abs_file;
/* direct_access.listen: conf_listen_parse. */
extern const struct conf_check conf__check_listen;
/* Policy items (grammars of agent/policy/policy-match.c). */
extern const struct conf_check conf__check_cidr;
extern const struct conf_check conf__check_glob;
extern const struct conf_check conf__check_window;
extern const struct conf_check conf__check_tz;

struct conf_keydef {
	const char *path;
	const char *id;  /* the X-macro ID, for the table self-check */
	enum conf_type type;
	int64_t min;     /* int/duration: bounds; string: min length;
			    hostport: default port */
	int64_t max;     /* int/duration: bounds; string: max length (0 =
			    CONF_STR_MAX); list: max items (0 =
			    CONF_LIST_MAX) */
	const char *choices;  /* enum: "a|b|c" */
	const char *dflt;
	const struct conf_check *check;
	const char *doc;
};

/* Type specifications used in conf-keys.h. */
#define CT_STRING(lo, hi) .type = CONF_T_STRING, .min = (lo), .max = (hi)
#define CT_BOOL() .type = CONF_T_BOOL
#define CT_INT(lo, hi) .type = CONF_T_INT, .min = (lo), .max = (hi)
#define CT_ENUM(c) .type = CONF_T_ENUM, .choices = (c)
#define CT_DURATION(lo, hi) .type = CONF_T_DURATION, .min = (lo), .max = (hi)
#define CT_HOSTPORT(port) .type = CONF_T_HOSTPORT, .min = (port)
#define CT_PATH() .type = CONF_T_PATH, .min = 0, .max = CONF_PATH_MAX
#define CT_LIST(n) .type = CONF_T_LIST, .max = (n)

struct conf_table {
	const struct conf_keydef *keys;
	size_t n;
};

/* The table generated from conf-keys.h. */
extern const struct conf_table conf__main_table;

struct conf_value {
	char *text;      /* canonical text; NULL for lists */
	int64_t num;     /* int/duration/port value, bool 0/1, enum index */
	char **items;    /* lists */
	size_t nitems;
	bool set;        /* written in the file */
};

struct conf {
	atomic_uint refs;
	const struct conf_table *table;
	char *source;
	struct conf_value *v; /* table->n entries */
};

/* Collects diags for one load. */
struct conf_diagctx {
	const char *name;
	struct conf_diags *out; /* may be NULL */
	size_t count;           /* problems seen (stops at CONF_MAX_DIAGS) */
	bool nomem;
	bool full;              /* CONF_MAX_DIAGS reached: stop */
};

/* Appends "name:line:col: msg" (line 0 = file-level "name: msg"). */
void conf__diag(struct conf_diagctx *d, unsigned line, unsigned col,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void conf__vdiag(struct conf_diagctx *d, unsigned line, unsigned col,
	const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* Snapshot with every value empty (not even defaults), or NULL. */
struct conf *conf__alloc(const struct conf_table *t, const char *source);
/* Fills every value not set from the file with its default. Returns 0,
 * OP_ERR_NOMEM, or OP_ERR_INTERNAL if a default does not parse (msg set). */
int conf__fill_defaults(struct conf *c, char *msg, size_t msgsz);
/* Per system (conf-file-unix.c, conf-file-win.c): opens a configuration
 * file for conf_load_file and checks it: a regular file within the size
 * cap (else a diag and -1), and on Unix not replaceable by others (a
 * world-writable file or directory adds a refusing diag, but the fd is
 * still returned so every problem is reported at once). */
int conf__open_checked(struct conf_diagctx *d, const char *path);
/* Whether the defaults are a system service's (root on Unix, LocalSystem
 * on Windows); CONF_PRIVILEGED_WHO says who in the generated docs. */
bool conf__privileged(void);
#ifdef _WIN32
#define CONF_PRIVILEGED_WHO "LocalSystem (the service)"
#else
#define CONF_PRIVILEGED_WHO "root"
#endif
/* Frees the contents of one value. */
void conf__value_clear(struct conf_value *v);

/* The default as written for key kd: the runtime value for "$NAME"
 * defaults (for_root selects the euid-0 variant), else kd->dflt. */
const char *conf__default_text(const struct conf_keydef *kd, bool for_root);
/* Whether kd's default is computed at run time ("$NAME"). */
bool conf__default_is_runtime(const struct conf_keydef *kd);
/* A runtime default for the docs: "X when running as <root>, else Y", or
 * "X" when both are the same (a default that differs by system only). */
void conf__default_describe(const struct conf_keydef *kd, char *buf,
	size_t size);
/* Whether an empty value is allowed for kd (string/hostport/path with an
 * empty default). */
bool conf__empty_ok(const struct conf_keydef *kd);

/*
 * Parses one scalar for a non-list key into *out (text + num). s is
 * NUL-terminated and free of control characters. Returns 0, OP_ERR_CONFIG
 * with msg completing "'<key>' ..." or OP_ERR_NOMEM.
 */
int conf__parse_scalar(const struct conf_keydef *kd, const char *s,
	struct conf_value *out, char *msg, size_t msgsz);
/* Validates one list item (length, check hook). Same returns. */
int conf__check_item(const struct conf_keydef *kd, const char *s, char *msg,
	size_t msgsz);
/* Splits a list default ('\n'-separated) into v->items. */
int conf__parse_list_default(const struct conf_keydef *kd, const char *s,
	struct conf_value *v, char *msg, size_t msgsz);

/* Formats seconds as "1h30m" / "0s" into buf. */
void conf__fmt_duration(int64_t secs, char *buf, size_t bufsz);
/* Short human description of kd's type and bounds, e.g. "integer 6..32". */
void conf__fmt_type(const struct conf_keydef *kd, char *buf, size_t bufsz);

/* Copies s into buf as a short, printable excerpt for messages. */
void conf__excerpt(const char *s, size_t len, char *buf, size_t bufsz);
#define EXCERPT(s, b) conf__excerpt((s), strlen(s), (b), sizeof(b))

/* Locale-independent ASCII classification. */
static inline bool
conf__is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
conf__is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline char
conf__to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

#define CONF_LEV_MAX 64 /* longest string compared for suggestions */

/* Case-insensitive Levenshtein distance; (size_t)-1 if a length exceeds
 * CONF_LEV_MAX. */
size_t conf__lev(const char *a, size_t al, const char *b, size_t bl);
/* How many edits still count as a typo of a string of length n. */
size_t conf__lev_threshold(size_t n);

/*
 * Finds the key or section closest to an unknown key (Levenshtein on the
 * full dotted path and on the last component, within a typo threshold).
 * Returns buf holding its dotted path, or NULL if nothing is close.
 */
const char *conf__suggest(const struct conf_table *t, const char *full,
	char *buf, size_t bufsz);

/* Index of the key with exactly this path, or -1. */
long conf__find_key(const struct conf_table *t, const char *path,
	size_t len);
/* True if path (len bytes) is a section: a proper prefix of a key path
 * followed by '.'. */
bool conf__is_section(const struct conf_table *t, const char *path,
	size_t len);

/* Checks the table's spelling rules; returns 0 or -1 with msg. */
int conf__table_check(const struct conf_table *t, char *msg, size_t msgsz);

/* Load/write against any table (the public functions use the main one). */
int conf__load_buffer(const struct conf_table *t, const char *name,
	const char *data, size_t len, struct conf **out,
	struct conf_diags *diags);
/* Walks the YAML document into c, reporting to d. Returns 0 if no problem
 * was found, OP_ERR_CONFIG, or OP_ERR_NOMEM. */
int conf__yaml_parse(struct conf *c, struct conf_diagctx *d, const char *data,
	size_t len);
struct conf *conf__new_default(const struct conf_table *t);
int conf__write_example(const struct conf_table *t, FILE *f);
int conf__write_schema(const struct conf_table *t, FILE *f);

#endif
