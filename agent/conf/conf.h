/* SPDX-License-Identifier: MIT */
/*
 * Configuration: a YAML file (libyaml) is validated against the key list in
 * conf/conf-keys.h and turned into an immutable, refcounted snapshot. A
 * reload builds a new snapshot and swaps the pointer; holders of the old one
 * keep it alive with conf_ref() until they conf_unref() it. Snapshots are
 * never modified after a successful load, so they may be read from any
 * thread; conf_ref/conf_unref are atomic.
 *
 * File format (decided here, documented for admins in the example file):
 *  - Nested mappings; a key's dotted name is its path ("log.level" is
 *    `log:` then `level:` indented). Dotted keys written flat are refused.
 *  - Values are typed by the key, not by YAML's implicit resolution: a
 *    string key takes `yes` or `123` as text, and quoting an int or a bool
 *    ("10", "yes") is accepted.
 *  - Booleans (YAML 1.1 style, case-insensitive): true/false, yes/no,
 *    on/off. Nothing else ("y", "1", "yes please" are errors).
 *  - Ints are decimal with an optional '-': no '+', hex, '_' or leading 0.
 *  - Durations: plain seconds ("90") or number+unit groups, units s m h d
 *    ("30s", "10m", "2h", "1d", "1h30m").
 *  - `key:` / `key: ~` / `key: null` for a value is an error (remove the
 *    line to get the default); for a section it means an empty section.
 *  - Duplicate keys (and sections) are errors citing both positions.
 *  - Anchors, aliases and tags (`!!str`) are refused; one document only;
 *    at most 1 MiB and 32 levels of nesting; control characters (C0
 *    including NUL, TAB and newline, DEL, C1, U+2028/U+2029) are refused
 *    inside values and keys, so multi-line scalars are refused too.
 *  - conf_load_file also refuses a file that is not regular, a file that
 *    is world-writable, and a file whose directory is world-writable
 *    without the sticky bit (anyone could replace it). Ownership is not
 *    checked. On Windows: a file whose DACL, or its folder's, lets an
 *    account other than LocalSystem, Administrators or ours change or
 *    replace it, or that one of those does not own.
 * Every problem is collected (up to CONF_MAX_DIAGS) rather than stopping at
 * the first; a syntax error stops the parse because libyaml cannot resume.
 */
#ifndef OP_CONF_CONF_H
#define OP_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf-keys.h"

/* clang-format off */
#define CONF__ENUM_ENTRY(id, path, type, dflt, check, doc) CONF_##id,
/* clang-format on */

/* One constant per key, in conf-keys.h order. */
enum conf_key {
	CONF_KEYS(CONF__ENUM_ENTRY)
	CONF_KEY_COUNT_
};

/* Value types (see conf-keys.h for the accepted spellings). */
enum conf_type {
	CONF_T_STRING,
	CONF_T_BOOL,
	CONF_T_INT,
	CONF_T_ENUM,
	CONF_T_DURATION,
	CONF_T_HOSTPORT,
	CONF_T_PATH,
	CONF_T_LIST,
};

#define CONF_MAX_FILE_SIZE (1024 * 1024) /* bytes */
#define CONF_MAX_DEPTH 32                /* nested mappings/sequences */
#define CONF_MAX_DIAGS 100               /* then "too many errors" */
#define CONF_SOURCE_DEFAULT "(built-in defaults)"

struct conf;

/*
 * One problem. where is "FILE:LINE:COL" (1-based, from libyaml's marks;
 * COL counts characters, not bytes) or
 * "FILE" for file-level problems (missing, unreadable, unsafe mode); line
 * and col repeat the numbers (0 for file-level). msg has no trailing
 * newline and no control characters.
 */
struct conf_diag {
	char *where;
	char *msg;
	unsigned line;
	unsigned col;
};

struct conf_diags {
	struct conf_diag *v;
	size_t n;
};

/* Frees every diag and zeroes *self; NULL and an empty set are no-ops. */
void conf_diags_free(struct conf_diags *self);
/* Prints one "WHERE: MSG" line per diag to f (e.g. stderr for `config
 * check`). Returns 0 or -EIO. */
int conf_diags_print(const struct conf_diags *self, FILE *f);

/*
 * Loads and validates path. Returns 0 and a new snapshot (one reference,
 * release with conf_unref) in *out; on any problem returns OP_ERR_CONFIG,
 * leaves *out NULL and appends one diag per problem to diags (missing or
 * unreadable file, permissions, syntax, unknown keys, values). Returns
 * OP_ERR_NOMEM on allocation failure (diags then best effort). *out and
 * *diags are zeroed on entry, so diags must be empty or freed before;
 * diags may be NULL. The caller frees diags with conf_diags_free on every
 * path. conf_source() of the result is path.
 */
int conf_load_file(const char *path, struct conf **out,
	struct conf_diags *diags);

/*
 * The privilege-separated pair: the monitor opens and checks the file
 * (conf_open_file: the fd, or -1 with the problems in diags, which the
 * caller frees) and passes the descriptor; the network process, which
 * may not be able to reach the path, parses it with conf_load_fd (name
 * is the source; fd is read from its offset and always closed; no
 * permission checks: the opener made them).
 */
int conf_open_file(const char *path, struct conf_diags *diags);
int conf_load_fd(const char *name, int fd, struct conf **out,
	struct conf_diags *diags);

/* From now on, defaults that depend on the euid (state_dir) are the
 * system service's: the network process of a root monitor runs as an
 * account of its own but serves the root's configuration. */
void conf_use_system_defaults(void);
/* Whether defaults are the service's: conf_use_system_defaults was
 * called, or this process is root (LocalSystem on Windows). */
bool conf_system_defaults(void);

/*
 * Same for an in-memory document; name is used in diags and as the source
 * (e.g. "<stdin>"). data need not be NUL-terminated; len 0 (data may then
 * be NULL) gives all defaults. No permission checks.
 */
int conf_load_buffer(const char *name, const char *data, size_t len,
	struct conf **out, struct conf_diags *diags);

/* Returns a snapshot holding every default (source CONF_SOURCE_DEFAULT),
 * or NULL on allocation failure. Defaults depending on the euid (state_dir)
 * are resolved now. */
struct conf *conf_new_default(void);

/* Takes a reference and returns self; NULL passes through. */
struct conf *conf_ref(struct conf *self);
/* Drops a reference, freeing on the last; NULL is a no-op. */
void conf_unref(struct conf *self);

/* The path or name it was loaded from, or CONF_SOURCE_DEFAULT; borrowed,
 * valid while the snapshot is. */
const char *conf_source(const struct conf *self);

/*
 * Accessors. Values are borrowed and valid while the snapshot is; they
 * never fail for a key of the right type. A key of another type gives
 * NULL / 0 / false (a programming error, not a configuration error).
 *
 * conf_str: canonical text of any non-list key: strings and paths as
 * written, enums as spelled in the declaration, host:port always with the
 * port ("[::1]:21118"), ints "10", bools "true"/"false", durations
 * "1h30m"/"0s". An unset optional key is "". NULL for lists.
 */
const char *conf_str(const struct conf *self, enum conf_key key);
/* Ints, durations (in seconds), host:port (the port; 0 if empty). */
int64_t conf_int(const struct conf *self, enum conf_key key);
bool conf_bool(const struct conf *self, enum conf_key key);
/* Enums: index of the value in the declared list; -1 for other types. */
int conf_enum(const struct conf *self, enum conf_key key);
/* Lists: number of items and item i (NULL if out of range). */
size_t conf_list_len(const struct conf *self, enum conf_key key);
const char *conf_list_at(const struct conf *self, enum conf_key key,
	size_t i);
/* True if the key was written in the file (even if equal to the default). */
bool conf_is_set(const struct conf *self, enum conf_key key);

/* Key metadata: dotted path, type, doc. NULL / -1 for an invalid key. */
const char *conf_key_name(enum conf_key key);
int conf_key_type(enum conf_key key);
const char *conf_key_doc(enum conf_key key);
/* Finds a key by dotted path. Returns 0 or OP_ERR_NOT_FOUND. */
int conf_key_lookup(const char *path, enum conf_key *out);

/* The alphabet selected by access.one_time_password.charset (static). */
const char *conf_otp_alphabet(const struct conf *self);

/*
 * Writers. Each returns 0, or -errno if writing to f failed (ferror).
 * conf_write_dump: the effective configuration as nested YAML with every
 * key (defaults included); loading it gives an identical configuration.
 * conf_write_example: every key commented with its doc, type, bounds and
 * default; it loads without errors and gives the defaults. Keys whose
 * default is computed at run time (state_dir) are written commented out,
 * the others with their default value.
 * conf_write_schema: JSON Schema (draft 2020-12) of the file, with
 * additionalProperties false at every level. The loader is authoritative
 * and slightly more lenient (quoted ints/bools, case-insensitive enums).
 */
/* Writes s as a YAML double-quoted scalar (quotes, backslashes and control
 * characters escaped): safe for any value the loader accepts. */
void conf_write_yaml_string(FILE *f, const char *s);

int conf_write_dump(const struct conf *self, FILE *f);
int conf_write_example(FILE *f);
int conf_write_schema(FILE *f);

/* One command for the manual page: name (e.g. "config import FILE|-")
 * and a one-line summary. */
struct conf_man_cmd {
	const char *name;
	const char *summary;
};

/*
 * conf_write_man: the outpost(8) page in roff: synopsis, the ncmds
 * commands given, every configuration key with its doc, type and default
 * (from the same table as the example and the schema), signals, files,
 * exit codes. Returns 0, OP_ERR_NOMEM or -EIO. Implemented in conf-man.c.
 */
int conf_write_man(FILE *f, const struct conf_man_cmd *cmds, size_t ncmds);

/*
 * Splits "host", "host:port", "[v6addr]" or "[v6addr]:port" (IPv6 needs
 * brackets; zone ids are not supported). host gets the name or address
 * without brackets, NUL-terminated; default_port is used when no port is
 * given, and 0 means a port is required. Host names are letters, digits,
 * '-', '_' and '.' (no empty labels), at most 253 bytes. Returns 0,
 * OP_ERR_CONFIG for a malformed value, OP_ERR_RANGE for a bad port, or
 * OP_ERR_TOO_LARGE if host does not fit in hostsz. host and *port are
 * zeroed/emptied on entry (hostsz > 0).
 */
int conf_hostport_split(const char *s, uint16_t default_port, char *host,
	size_t hostsz, uint16_t *port);

/*
 * The one parser of listen addresses (direct_access.listen), for config
 * check, the schema's pattern and the listener alike: a numeric IPv4
 * address or a bracketed IPv6 address, with an optional port (1-65535, no
 * leading zero; default_port otherwise). Host names, "localhost"
 * included, are refused rather than resolved: what a name resolves to can
 * change between check and start. Returns 0 with the address text
 * (without brackets) in addr, OP_ERR_CONFIG with msg completing "'<key>'
 * ..." (e.g. the numeric address to write instead), or OP_ERR_TOO_LARGE.
 */
int conf_listen_parse(const char *s, uint16_t default_port, char *addr,
	size_t addrsz, uint16_t *port, char *msg, size_t msgsz);

#endif
