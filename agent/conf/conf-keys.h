/* SPDX-License-Identifier: MIT */
/*
 * Every configuration key, declared once. This list feeds enum conf_key,
 * the validator, `config dump`, config/outpost.example.yaml and
 * config/schema/outpost.schema.json.
 *
 * One entry per key:
 *
 *	X(ID, "dotted.path", TYPE, "default", check, "doc")
 *
 * ID       the path upper-cased with '.' -> '_'; becomes the enum
 *          conf_key constant CONF_<ID> (test-conf checks the spelling).
 * path     lower-case [a-z0-9_] components joined by '.'; each component
 *          but the last is a YAML mapping ("section"). A path may not be
 *          both a key and a section (test-conf checks the table).
 * TYPE     one of (bounds are inclusive):
 *            CT_STRING(minlen, maxlen)  maxlen 0 = 4096 bytes
 *            CT_BOOL()                  true/false, yes/no, on/off
 *            CT_INT(min, max)           decimal int64
 *            CT_ENUM("a|b|c")           case-insensitive, stored as given
 *                                       in the list; conf_enum() = index
 *            CT_DURATION(min, max)      seconds; "90", "30s", "10m", "2h",
 *                                       "1d", "1h30m"
 *            CT_HOSTPORT(default_port)  host[:port], [v6][:port]; 0 =
 *                                       the port is required
 *            CT_PATH()                  1..4095 bytes
 *            CT_LIST(max_items)         YAML sequence of strings; 0 =
 *                                       1024 items; check runs per item
 * default  the value as an admin would write it in YAML, parsed by the
 *          same code as the file (a bad default fails test-conf). An
 *          empty default also means "empty is a valid value" (= not
 *          configured) for string, host:port and path keys. Lists
 *          separate items with '\n'. "$NAME" is a default computed at
 *          run time (table in conf-types.c, e.g. depends on the euid).
 * check    NULL or &conf__check_<name>: an extra per-value (per-item for
 *          lists) rule, declared in conf-internal.h, defined in
 *          conf-types.c; it may carry a JSON Schema pattern.
 * doc      one or more sentences for the example file and the schema.
 *
 * Adding a key: add one X(...) entry here (in the section it belongs to;
 * output groups keys by section in first-appearance order), then use
 * conf_*(c, CONF_<ID>). Regenerate config/outpost.example.yaml and the
 * schema with `outpost config example|schema`.
 */
#ifndef OP_CONF_CONF_KEYS_H
#define OP_CONF_CONF_KEYS_H

/* clang-format off */
#define CONF_KEYS(X)							\
X(SERVER_RENDEZVOUS, "server.rendezvous", CT_HOSTPORT(21116), "", NULL,	\
	"ID/rendezvous server (hbbs) as host[:port]. Empty means not "	\
	"configured: the agent then only accepts direct connections.")	\
X(SERVER_RELAY, "server.relay", CT_HOSTPORT(21117), "", NULL,		\
	"Relay server (hbbr) as host[:port]. Empty means the relay "	\
	"that the rendezvous server announces.")			\
X(SERVER_KEY, "server.key", CT_STRING(0, 0), "", &conf__check_b64key,	\
	"Public key of the rendezvous server: the base64 Ed25519 key "	\
	"from hbbs' id_ed25519.pub (32 bytes). Empty means the server "	\
	"is not authenticated.")					\
X(SERVER_PROXY, "server.proxy", CT_STRING(0, 1023), "", NULL,		\
	"Proxy for the TCP connections to the servers, as "		\
	"scheme://[user@]host[:port] with scheme http (CONNECT), "	\
	"https (CONNECT inside TLS to the proxy) or socks5; default "	\
	"ports 8080, 443, 1080. A password in the URL is refused: use "	\
	"server.proxy_password_file. With a proxy the agent registers "	\
	"over TCP, which OSS hbbs does not accept (it takes UDP "	\
	"registration only). Empty means no proxy.")			\
X(SERVER_PROXY_PASSWORD_FILE, "server.proxy_password_file", CT_PATH(),	\
	"", NULL,							\
	"File holding the proxy password (one line, 1-255 bytes), "	\
	"owned by the agent's user with mode 0600. Empty means no "	\
	"password.")							\
X(SERVER_PROXY_CA, "server.proxy_ca", CT_PATH(), "", NULL,		\
	"PEM file with the CA certificates that may sign an https "	\
	"proxy's certificate. Empty means the system store "		\
	"(/etc/ssl/certs/ca-certificates.crt).")			\
X(IDENTITY_ID, "identity.id", CT_STRING(0, 0), "auto",			\
	&conf__check_id,						\
	"The ID peers dial: 'auto' (a random 9-digit ID made on first "	\
	"start and kept in state_dir) or a custom ID of 6-16 "		\
	"characters [A-Za-z0-9_-] starting with a letter.")		\
X(STATE_DIR, "state_dir", CT_PATH(), "$STATE_DIR", NULL,		\
	"Directory for the identity key, the assigned ID and other "	\
	"state.")							\
X(DIRECT_ACCESS_ENABLED, "direct_access.enabled", CT_BOOL(), "true",	\
	NULL, "Accept direct TCP connections on direct_access.listen.")	\
X(DIRECT_ACCESS_LISTEN, "direct_access.listen", CT_HOSTPORT(21118),	\
	"127.0.0.1:21118", NULL,					\
	"Address for direct connections as host:port ([v6]:port for "	\
	"IPv6).")							\
X(LOG_LEVEL, "log.level", CT_ENUM("error|warning|notice|info|debug"),	\
	"info", NULL, "Least severe level that is logged.")		\
X(LOG_TARGET, "log.target", CT_ENUM("auto|journald|syslog|stderr"),	\
	"auto", NULL, "Where logs go; auto = journald when started by "	\
	"systemd, else stderr.")					\
X(ACCESS_ONE_TIME_PASSWORD_LENGTH, "access.one_time_password.length",	\
	CT_INT(6, 32), "10", NULL,					\
	"Length of the one-time password. The default of 10 safe32 "	\
	"characters (5 bits each) gives 50 bits; keep it at 40 bits "	\
	"or more (digits carry 3.3 bits, alnum 5.95 bits per "		\
	"character).")							\
X(ACCESS_ONE_TIME_PASSWORD_CHARSET, "access.one_time_password.charset",	\
	CT_ENUM("safe32|digits|alnum"), "safe32", NULL,			\
	"Alphabet of the one-time password: safe32 = "			\
	"23456789abcdefghijkmnpqrstuvwxyz (no look-alikes), "		\
	"digits = 0-9, alnum = A-Za-z0-9.")
/* clang-format on */

#endif
