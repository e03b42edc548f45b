/* SPDX-License-Identifier: MIT */
/*
 * conf: defaults, good values of the real keys, table-driven bad input
 * (each with its message and LINE:COL), file-level checks, limits, dump
 * -> load round trips and the diagnostics API. Every type on a private
 * table: test-conf-types.c; the example file and the JSON Schema:
 * test-conf-schema.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf-internal.h"
#include "conf/conf.h"
#include "core/err.h"
#include "th.h"
#include "th-conf.h"

static void
test_defaults(void)
{
	struct conf *c = conf_new_default();

	ASSERT(c != NULL);
	ASSERT_STR_EQ(conf_source(c), CONF_SOURCE_DEFAULT);
	ASSERT_STR_EQ(conf_str(c, CONF_SERVER_RENDEZVOUS), "");
	ASSERT_INT_EQ(conf_int(c, CONF_SERVER_RENDEZVOUS), 0);
	ASSERT_STR_EQ(conf_str(c, CONF_SERVER_RELAY), "");
	ASSERT_STR_EQ(conf_str(c, CONF_SERVER_KEY), "");
	ASSERT_STR_EQ(conf_str(c, CONF_IDENTITY_ID), "auto");
	ASSERT_STR_EQ(conf_str(c, CONF_STATE_DIR),
		geteuid() == 0 ? "/var/lib/outpost" : "./.outpost-state");
	ASSERT(conf_bool(c, CONF_DIRECT_ACCESS_ENABLED));
	ASSERT_STR_EQ(conf_str(c, CONF_DIRECT_ACCESS_LISTEN),
		"127.0.0.1:21118");
	ASSERT_INT_EQ(conf_int(c, CONF_DIRECT_ACCESS_LISTEN), 21118);
	ASSERT_STR_EQ(conf_str(c, CONF_LOG_LEVEL), "info");
	ASSERT_INT_EQ(conf_enum(c, CONF_LOG_LEVEL), 3);
	ASSERT_STR_EQ(conf_str(c, CONF_LOG_TARGET), "auto");
	ASSERT_INT_EQ(conf_int(c, CONF_ACCESS_ONE_TIME_PASSWORD_LENGTH), 10);
	ASSERT_STR_EQ(conf_str(c, CONF_ACCESS_ONE_TIME_PASSWORD_CHARSET),
		"safe32");
	ASSERT_STR_EQ(conf_otp_alphabet(c),
		"23456789abcdefghijkmnpqrstuvwxyz");
	ASSERT_INT_EQ(strlen(conf_otp_alphabet(c)), 32);
	for (int k = 0; k < CONF_KEY_COUNT_; k++)
		ASSERT(!conf_is_set(c, (enum conf_key)k));
	/* Refcounting: the second unref frees (ASan checks). */
	ASSERT(conf_ref(c) == c);
	conf_unref(c);
	ASSERT_STR_EQ(conf_str(c, CONF_LOG_LEVEL), "info");
	conf_unref(c);
	conf_unref(NULL);
	ASSERT(conf_ref(NULL) == NULL);
}

static void
test_empty_documents(void)
{
	static const char *const docs[] = {
		"", "\n", "# only a comment\n", "---\n", "--- ~\n...\n",
		"~\n", "null\n", "{}\n", "server:\n",
		"server: ~\naccess:\n  one_time_password:\n",
		"\xef\xbb\xbflog: {}\n", /* UTF-8 BOM */
	};
	struct conf *c, *def = conf_new_default();
	struct conf_diags d;

	for (size_t i = 0; i < LEN(docs); i++) {
		int r = load(docs[i], &c, &d);

		if (r != 0) {
			print_diags(&d);
			TH_FAIL("doc %zu: %d", i, r);
		}
		ASSERT_INT_EQ(d.n, 0);
		ASSERT(same_values(c, def));
		ASSERT_STR_EQ(conf_source(c), "t.yaml");
		conf_unref(c);
		conf_diags_free(&d);
	}
	ASSERT_INT_EQ(conf_load_buffer("t", NULL, 0, &c, &d), 0);
	conf_unref(c);
	conf_unref(def);
}

static void
test_good_file(void)
{
	struct conf *c = NULL;
	struct conf_diags d;
	int r = conf_load_file(data_path("good.yaml"), &c, &d);

	if (r != 0)
		print_diags(&d);
	ASSERT_INT_EQ(r, 0);
	ASSERT_INT_EQ(d.n, 0);
	ASSERT_STR_EQ(conf_source(c), data_path("good.yaml"));
	ASSERT_STR_EQ(conf_str(c, CONF_SERVER_RENDEZVOUS),
		"hbbs.example.com:21116");
	ASSERT_INT_EQ(conf_int(c, CONF_SERVER_RENDEZVOUS), 21116);
	ASSERT_STR_EQ(conf_str(c, CONF_SERVER_RELAY), "[2001:db8::7]:4000");
	ASSERT_STR_EQ(conf_str(c, CONF_SERVER_KEY),
		"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=");
	ASSERT_STR_EQ(conf_str(c, CONF_IDENTITY_ID), "Office_PC-01");
	ASSERT_STR_EQ(conf_str(c, CONF_STATE_DIR), "/srv/outpost state");
	ASSERT(!conf_bool(c, CONF_DIRECT_ACCESS_ENABLED));
	ASSERT_STR_EQ(conf_str(c, CONF_DIRECT_ACCESS_ENABLED), "false");
	ASSERT_STR_EQ(conf_str(c, CONF_DIRECT_ACCESS_LISTEN), "[::]:21120");
	ASSERT_STR_EQ(conf_str(c, CONF_LOG_LEVEL), "debug");
	ASSERT_INT_EQ(conf_enum(c, CONF_LOG_LEVEL), 4);
	ASSERT_STR_EQ(conf_str(c, CONF_LOG_TARGET), "stderr");
	ASSERT_INT_EQ(conf_int(c, CONF_ACCESS_ONE_TIME_PASSWORD_LENGTH), 12);
	ASSERT_STR_EQ(conf_otp_alphabet(c), "0123456789");
	ASSERT_INT_EQ(conf_int(c, CONF_ACCESS_PERMANENT_PASSWORD_MIN_LENGTH),
		10);
	ASSERT_STR_EQ(conf_str(c, CONF_POLICY_TERMINAL_USER), "support");
	ASSERT_STR_EQ(conf_str(c, CONF_POLICY_TERMINAL_SHELL), "/bin/bash");
	ASSERT(conf_bool(c, CONF_POLICY_TERMINAL_RECORD));
	ASSERT_INT_EQ(conf_int(c, CONF_POLICY_TERMINAL_MAX_PER_SESSION), 2);
	for (int k = 0; k < CONF_KEY_COUNT_; k++)
		ASSERT(conf_is_set(c, (enum conf_key)k));
	conf_unref(c);
	conf_diags_free(&d);
}

/* Good values of the real keys: YAML -> canonical conf_str (+ conf_int). */
static const struct {
	const char *yaml;
	enum conf_key key;
	const char *want;
	int64_t num; /* checked for int, bool, enum and host:port keys */
} good_cases[] = {
	{ "server: {rendezvous: 10.0.0.1}", CONF_SERVER_RENDEZVOUS,
		"10.0.0.1:21116", 21116 },
	{ "server: {rendezvous: 'h.example:1'}", CONF_SERVER_RENDEZVOUS,
		"h.example:1", 1 },
	{ "server: {rendezvous: '[2001:db8::1]'}", CONF_SERVER_RENDEZVOUS,
		"[2001:db8::1]:21116", 21116 },
	{ "server: {rendezvous: ''}", CONF_SERVER_RENDEZVOUS, "", 0 },
	{ "server: {relay: 'relay-1.example.com.:65535'}", CONF_SERVER_RELAY,
		"relay-1.example.com.:65535", 65535 },
	{ "server: {relay: my_host}", CONF_SERVER_RELAY, "my_host:21117",
		21117 },
	{ "server: {key: AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA}",
		CONF_SERVER_KEY, "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA",
		0 },
	{ "identity: {id: auto}", CONF_IDENTITY_ID, "auto", 0 },
	{ "identity: {id: abcdef}", CONF_IDENTITY_ID, "abcdef", 0 },
	{ "identity: {id: a234567890123456}", CONF_IDENTITY_ID,
		"a234567890123456", 0 },
	{ "identity: {id: Z-_9zz}", CONF_IDENTITY_ID, "Z-_9zz", 0 },
	{ "state_dir: relative/dir", CONF_STATE_DIR, "relative/dir", 0 },
	{ "state_dir: \"/srv/donn\xc3\xa9""es\"", CONF_STATE_DIR,
		"/srv/donn\xc3\xa9""es", 0 },
	{ "state_dir: yes", CONF_STATE_DIR, "yes", 0 },
	{ "state_dir: 123", CONF_STATE_DIR, "123", 0 },
	{ "direct_access: {enabled: true}", CONF_DIRECT_ACCESS_ENABLED,
		"true", 1 },
	{ "direct_access: {enabled: False}", CONF_DIRECT_ACCESS_ENABLED,
		"false", 0 },
	{ "direct_access: {enabled: YES}", CONF_DIRECT_ACCESS_ENABLED,
		"true", 1 },
	{ "direct_access: {enabled: no}", CONF_DIRECT_ACCESS_ENABLED,
		"false", 0 },
	{ "direct_access: {enabled: On}", CONF_DIRECT_ACCESS_ENABLED,
		"true", 1 },
	{ "direct_access: {enabled: off}", CONF_DIRECT_ACCESS_ENABLED,
		"false", 0 },
	{ "direct_access: {enabled: 'yes'}", CONF_DIRECT_ACCESS_ENABLED,
		"true", 1 },
	{ "direct_access: {listen: '0.0.0.0:5000'}", CONF_DIRECT_ACCESS_LISTEN,
		"0.0.0.0:5000", 5000 },
	{ "direct_access: {listen: 127.0.0.1}", CONF_DIRECT_ACCESS_LISTEN,
		"127.0.0.1:21118", 21118 },
	{ "direct_access: {listen: '[::]'}", CONF_DIRECT_ACCESS_LISTEN,
		"[::]:21118", 21118 },
	{ "log: {level: error}", CONF_LOG_LEVEL, "error", 0 },
	{ "log: {level: Warning}", CONF_LOG_LEVEL, "warning", 1 },
	{ "log: {level: NOTICE}", CONF_LOG_LEVEL, "notice", 2 },
	{ "log: {target: journald}", CONF_LOG_TARGET, "journald", 1 },
	{ "log: {target: syslog}", CONF_LOG_TARGET, "syslog", 2 },
	{ "access: {one_time_password: {length: 6}}",
		CONF_ACCESS_ONE_TIME_PASSWORD_LENGTH, "6", 6 },
	{ "access: {one_time_password: {length: 32}}",
		CONF_ACCESS_ONE_TIME_PASSWORD_LENGTH, "32", 32 },
	{ "access: {one_time_password: {length: \"20\"}}",
		CONF_ACCESS_ONE_TIME_PASSWORD_LENGTH, "20", 20 },
	{ "display: {x11: ':0'}", CONF_DISPLAY_X11, ":0", 0 },
	{ "display: {x11: ':12.1'}", CONF_DISPLAY_X11, ":12.1", 0 },
	{ "display: {wayland: /run/user/1000/wayland-1}",
		CONF_DISPLAY_WAYLAND, "/run/user/1000/wayland-1", 0 },
	{ "display: {virtual: {size: 320x200}}", CONF_DISPLAY_VIRTUAL_SIZE,
		"320x200", 0 },
	{ "display: {virtual: {user: _xvfb}}", CONF_DISPLAY_VIRTUAL_USER,
		"_xvfb", 0 },
	{ "display: {audio_runtime_dir: /run/user/1000}",
		CONF_DISPLAY_AUDIO_RUNTIME_DIR, "/run/user/1000", 0 },
	{ "policy: {allow: {audio: yes}}", CONF_POLICY_ALLOW_AUDIO, "true",
		1 },
	{ "access: {one_time_password: {charset: alnum}}",
		CONF_ACCESS_ONE_TIME_PASSWORD_CHARSET, "alnum", 2 },
};

static void
test_good_values(void)
{
	for (size_t i = 0; i < LEN(good_cases); i++) {
		struct conf *c = NULL;
		struct conf_diags d;
		int r = load(good_cases[i].yaml, &c, &d);
		enum conf_key k = good_cases[i].key;
		int t = conf_key_type(k);

		if (r != 0) {
			print_diags(&d);
			TH_FAIL("case %zu: %s", i, good_cases[i].yaml);
		}
		ASSERT_STR_EQ(conf_str(c, k), good_cases[i].want);
		ASSERT(conf_is_set(c, k));
		if (t == CONF_T_BOOL)
			ASSERT_INT_EQ(conf_bool(c, k), good_cases[i].num);
		else if (t == CONF_T_ENUM)
			ASSERT_INT_EQ(conf_enum(c, k), good_cases[i].num);
		else if (t == CONF_T_INT || t == CONF_T_HOSTPORT)
			ASSERT_INT_EQ(conf_int(c, k), good_cases[i].num);
		conf_unref(c);
		conf_diags_free(&d);
	}
	/* The alnum alphabet has 62 characters. */
	{
		struct conf *c;
		struct conf_diags d;

		ASSERT_INT_EQ(load(good_cases[LEN(good_cases) - 1].yaml, &c,
				      &d),
			0);
		ASSERT_INT_EQ(strlen(conf_otp_alphabet(c)), 62);
		conf_unref(c);
	}
}

/*
 * Bad input for the real keys: the expected message substring and its
 * LINE:COL; n = the exact number of diags (0 = at least one).
 */
static const struct {
	const char *yaml;
	const char *sub;
	unsigned line, col;
	size_t n;
} bad_cases[] = {
	/* display values from the network's point of view: no remote X */
	{ "display:\n  x11: 'evil.example:0'\n",
		"must be a local X display like ':0'", 2, 8, 1 },
	{ "display:\n  x11: ':99999'\n", "must be a local X display", 2, 8,
		1 },
	{ "display:\n  x11: ':1.'\n", "must be a local X display", 2, 8, 1 },
	/* a bare name would depend on whose runtime directory */
	{ "display:\n  wayland: wayland-1\n",
		"must be the absolute path of a Wayland compositor's socket",
		2, 12, 1 },
	{ "display:\n  virtual:\n    size: 99999x10\n",
		"must be WIDTHxHEIGHT between 320x200", 3, 11, 1 },
	{ "display:\n  virtual:\n    size: 100x100\n",
		"must be WIDTHxHEIGHT between 320x200", 3, 11, 1 },
	{ "display:\n  virtual:\n    user: 'root;id'\n",
		"must be a user name", 3, 11, 1 },
	{ "policy:\n  terminal:\n    user: 'root;id'\n",
		"must be a user name", 3, 11, 1 },
	{ "policy:\n  terminal:\n    shell: bash\n",
		"absolute path of a program", 3, 12, 1 },
	{ "policy:\n  terminal:\n    shell: /bin/\n",
		"absolute path of a program", 3, 12, 1 },
	{ "policy:\n  terminal:\n    record_dir: /a/../b\n", "absolute", 3,
		17, 1 },
	{ "policy:\n  terminal:\n    max_per_session: 0\n",
		"policy.terminal.max_per_session", 3, 22, 1 },
	{ "video:\n  max_fps: 1000\n", "video.max_fps", 2, 12, 1 },
	/* unknown keys, did-you-mean on the full path and on the leaf */
	{ "server:\n  rendevous: x\n",
		"unknown key 'server.rendevous' (did you mean "
		"'server.rendezvous'?)", 2, 3, 1 },
	{ "sever:\n  relay: x\n", "did you mean 'server'?", 1, 1, 1 },
	{ "level: debug\n", "did you mean 'log.level'?", 1, 1, 1 },
	{ "server:\n  level: debug\n", "did you mean 'log.level'?", 2, 3, 1 },
	{ "Log:\n  level: debug\n", "did you mean 'log'?", 1, 1, 1 },
	{ "access:\n  one_time_pasword:\n    length: 8\n",
		"did you mean 'access.one_time_password'?", 2, 3, 1 },
	{ "zzzzzzzz: 1\n", "unknown key 'zzzzzzzz'", 1, 1, 1 },
	{ "log.level: debug\n", "dotted keys are not supported", 1, 1, 1 },
	{ "\"a\\x01\": 1\n", "unknown key 'a\\x01'", 1, 1, 1 },
	/* wrong node kinds */
	{ "log:\n  level:\n    x: 1\n",
		"'log.level' must be one of error|warning|notice|info|debug, "
		"got a mapping",
		3, 5, 1 },
	{ "state_dir: [a]\n", "'state_dir' must be a path, got a sequence",
		1, 12, 1 },
	{ "log: debug\n", "'log' is a section and must be a mapping", 1, 6,
		1 },
	{ "server: [a]\n", "got a sequence", 1, 9, 1 },
	{ "? [a]\n: b\n", "mapping keys must be plain words", 1, 3, 1 },
	{ "hello\n", "the top level must be a mapping", 1, 1, 1 },
	{ "- a\n", "the top level must be a mapping", 1, 1, 1 },
	/* null values */
	{ "log:\n  level:\n", "'log.level' has no value", 2, 9, 1 },
	{ "log:\n  level: ~\n", "'log.level' has no value", 2, 10, 1 },
	{ "server:\n  relay: null\n", "or write \"\"", 2, 10, 1 },
	/* booleans */
	{ "direct_access:\n  enabled: yes please\n",
		"'direct_access.enabled' must be a boolean (true/false, "
		"yes/no, on/off), got 'yes please'",
		2, 12, 1 },
	{ "direct_access:\n  enabled: y\n", "must be a boolean", 2, 12, 1 },
	{ "direct_access:\n  enabled: 1\n", "must be a boolean", 2, 12, 1 },
	/* ints */
	{ "access:\n  one_time_password:\n    length: 12x\n",
		"must be a decimal integer, got '12x'", 3, 13, 1 },
	{ "access:\n  one_time_password:\n    length: 33\n",
		"must be between 6 and 32, got 33", 3, 13, 1 },
	{ "access:\n  one_time_password:\n    length: 5\n",
		"must be between 6 and 32, got 5", 3, 13, 1 },
	{ "access:\n  one_time_password:\n    length: -7\n",
		"must be between 6 and 32, got -7", 3, 13, 1 },
	{ "access:\n  one_time_password:\n    length: 99999999999999999999\n",
		"must be between 6 and 32", 3, 13, 1 },
	{ "access:\n  one_time_password:\n    length: 10.0\n",
		"must be a decimal integer", 3, 13, 1 },
	{ "access:\n  one_time_password:\n    length: 010\n",
		"must be a decimal integer", 3, 13, 1 },
	{ "access:\n  one_time_password:\n    length: 0x10\n",
		"must be a decimal integer", 3, 13, 1 },
	{ "access:\n  one_time_password:\n    length: +8\n",
		"must be a decimal integer", 3, 13, 1 },
	/* enums */
	{ "log:\n  level: verbose\n",
		"must be one of error, warning, notice, info, debug; got "
		"'verbose'",
		2, 10, 1 },
	{ "log:\n  target: jounald\n", "(did you mean 'journald'?)", 2, 11,
		1 },
	{ "access:\n  one_time_password:\n    charset: safe33\n",
		"did you mean 'safe32'?", 3, 14, 1 },
	/* host:port */
	{ "server:\n  relay: h:0\n", "invalid port '0' (1-65535)", 2, 10, 1 },
	{ "server:\n  relay: h:65536\n", "invalid port '65536'", 2, 10, 1 },
	{ "server:\n  relay: 'h:'\n", "invalid port ''", 2, 10, 1 },
	{ "server:\n  relay: h:8x\n", "invalid port '8x'", 2, 10, 1 },
	{ "direct_access:\n  listen: ::1\n", "write it in brackets", 2, 11,
		1 },
	{ "direct_access:\n  listen: 2001:db8::1:80\n",
		"write it in brackets", 2, 11, 1 },
	{ "direct_access:\n  listen: ''\n",
		"'direct_access.listen' must not be empty", 2, 11, 1 },
	/* A listen address is numeric (conf_listen_parse): never resolved. */
	{ "direct_access:\n  listen: localhost:5\n",
		"must be a numeric address, got 'localhost:5': write "
		"127.0.0.1:5", 2, 11, 1 },
	{ "direct_access:\n  listen: 12345\n",
		"is a port without an address: write 127.0.0.1:12345", 2, 11,
		1 },
	{ "direct_access:\n  listen: 127.0.0.1:080\n", "no leading zero", 2,
		11, 1 },
	{ "server:\n  rendezvous: 'bad host'\n", "invalid host name", 2, 15,
		1 },
	{ "server:\n  rendezvous: -bad\n", "invalid host name", 2, 15, 1 },
	{ "server:\n  rendezvous: a..b\n", "invalid host name", 2, 15, 1 },
	{ "server:\n  rendezvous: '[::1'\n", "missing ']'", 2, 15, 1 },
	{ "server:\n  rendezvous: '[zz::1]:5'\n", "invalid IPv6 address",
		2, 15, 1 },
	{ "server:\n  rendezvous: '[::1]x'\n", "text after ']'", 2, 15, 1 },
	{ "server:\n  rendezvous: ':21116'\n", "missing the host", 2, 15, 1 },
	/* special validators */
	{ "server:\n  key: abc\n", "got 2 bytes", 2, 8, 1 },
	{ "server:\n  key: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"(32 bytes), got 33 bytes", 2, 8, 1 },
	{ "server:\n  key: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
		"got 31 bytes", 2, 8, 1 },
	{ "server:\n  key: \"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyB=\"\n",
		"not valid base64", 2, 8, 1 },
	{ "server:\n  key: \"!QIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\"\n",
		"invalid character at position 1", 2, 8, 1 },
	{ "identity:\n  id: abc12\n",
		"'identity.id' must be 'auto' or 6-16 characters [A-Za-z0-9_-] "
		"starting with a letter, got 'abc12'",
		2, 7, 1 },
	{ "identity:\n  id: a2345678901234567\n", "6-16 characters", 2, 7,
		1 },
	{ "identity:\n  id: 1abcdef\n", "starting with a letter", 2, 7, 1 },
	{ "identity:\n  id: abc.def\n", "6-16 characters", 2, 7, 1 },
	{ "identity:\n  id: ''\n", "must not be empty", 2, 7, 1 },
	/* strings and control characters */
	{ "state_dir: ''\n", "'state_dir' must not be empty", 1, 12, 1 },
	{ "state_dir: \"a\\tb\"\n", "must not contain control characters",
		1, 12, 1 },
	{ "state_dir: \"a\\0b\"\n", "must not contain control characters",
		1, 12, 1 },
	{ "state_dir: \"a\\u0085b\"\n", "control characters", 1, 12, 1 },
	{ "state_dir: \"a\\u2028b\"\n", "control characters", 1, 12, 1 },
	{ "state_dir: |\n  a\n  b\n", "control characters", 1, 12, 1 },
	/* duplicates: both positions */
	{ "log:\n  level: info\n  level: debug\n",
		"duplicate key 'log.level' (first set at 2:3)", 3, 3, 1 },
	{ "log: {level: info}\nlog: {target: auto}\n",
		"duplicate key 'log' (first set at 1:1)", 2, 1, 1 },
	{ "log: {level: info, level: debug}\n",
		"duplicate key 'log.level' (first set at 1:7)", 1, 20, 1 },
	/* refused YAML features */
	{ "log:\n  level: &l info\n", "YAML anchors (&l) are not supported",
		2, 10, 1 },
	{ "log: &x\n  level: info\naccess: *x\n", "YAML aliases are not "
		"supported", 3, 9, 2 },
	{ "log:\n  level: !!str info\n",
		"YAML tags (tag:yaml.org,2002:str) are not supported", 2, 10,
		1 },
	{ "log: !custom {}\n", "YAML tags (!custom)", 1, 6, 1 },
	{ "log: {}\n---\nlog: {}\n", "only one YAML document", 2, 1, 1 },
	/* malformed YAML: libyaml's own message and position */
	{ "log:\n  level: [info\n", "YAML syntax error: did not find "
		"expected ',' or ']'", 3, 1, 0 },
	{ "log:\n\tlevel: info\n", "found character that cannot start any "
		"token", 2, 1, 1 },
	{ "log:\n  level: \"info\n", "found unexpected end of stream", 3, 1,
		1 },
	{ "log:\n  level: info\n target: x\n", "did not find expected key",
		3, 2, 1 },
	{ "log:\n  level: \xff\n", "invalid leading UTF-8 octet (#FF)", 2,
		10, 1 },
	{ "log:\n  target: \xc3\x28\n", "invalid trailing UTF-8 octet", 2,
		12, 1 },
};

static void
test_bad_values(void)
{
	for (size_t i = 0; i < LEN(bad_cases); i++) {
		struct conf *c = (struct conf *)1;
		struct conf_diags d;
		int r = load(bad_cases[i].yaml, &c, &d);
		char where[64];
		long k = find_diag(&d, bad_cases[i].sub, bad_cases[i].line,
			bad_cases[i].col);

		if (r != OP_ERR_CONFIG || c != NULL || k < 0 ||
			(bad_cases[i].n != 0 && d.n != bad_cases[i].n) ||
			d.n == 0) {
			fprintf(stderr, "case %zu: %s", i, bad_cases[i].yaml);
			print_diags(&d);
			TH_FAIL("want %u:%u '%s' (n=%zu), r=%d",
				bad_cases[i].line, bad_cases[i].col,
				bad_cases[i].sub, bad_cases[i].n, r);
		}
		snprintf(where, sizeof(where), "t.yaml:%u:%u",
			bad_cases[i].line, bad_cases[i].col);
		ASSERT_STR_EQ(d.v[k].where, where);
		conf_diags_free(&d);
		ASSERT(d.v == NULL && d.n == 0);
	}
}
/* Every problem in one file is reported, in file order. */
static void
test_all_errors_collected(void)
{
	static const struct {
		unsigned line, col;
		const char *sub;
	} want[] = {
		{ 3, 3, "did you mean 'server.rendezvous'?" },
		{ 4, 10, "invalid port '99999'" },
		{ 5, 8, "got 2 bytes" },
		{ 7, 7, "'identity.id' must be 'auto'" },
		{ 9, 12, "got 'yes please'" },
		{ 10, 3, "duplicate key 'direct_access.enabled' (first set at "
			 "9:3)" },
		{ 12, 10, "got 'verbose'" },
		{ 14, 5, "got a mapping" },
		{ 17, 13, "got '12x'" },
		{ 18, 14, "did you mean 'safe32'?" },
		{ 19, 11, "'state_dir' has no value" },
	};
	const char *path = data_path("bad-multi.yaml");
	struct conf *c = NULL;
	struct conf_diags d;
	char where[1100];

	ASSERT_INT_EQ(conf_load_file(path, &c, &d), OP_ERR_CONFIG);
	ASSERT(c == NULL);
	if (d.n != LEN(want))
		print_diags(&d);
	ASSERT_INT_EQ(d.n, LEN(want));
	for (size_t i = 0; i < LEN(want); i++) {
		snprintf(where, sizeof(where), "%s:%u:%u", path, want[i].line,
			want[i].col);
		ASSERT_STR_EQ(d.v[i].where, where);
		ASSERT_STR_CONTAINS(d.v[i].msg, want[i].sub);
	}
	conf_diags_free(&d);
}

static void
test_file_errors(void)
{
	struct conf *c = NULL;
	struct conf_diags d;
	const char *p;
	char dir[600];

	/* Missing file: "FILE: message", no line. */
	ASSERT_INT_EQ(conf_load_file("/nonexistent/outpost.yaml", &c, &d),
		OP_ERR_CONFIG);
	ASSERT(c == NULL);
	ASSERT_INT_EQ(d.n, 1);
	ASSERT_STR_EQ(d.v[0].where, "/nonexistent/outpost.yaml");
	ASSERT_INT_EQ(d.v[0].line, 0);
	ASSERT_STR_CONTAINS(d.v[0].msg, "cannot open: No such file");
	conf_diags_free(&d);

	/* A directory (also what an unreadable path looks like to root). */
	ASSERT((p = tmp_path("")) != NULL);
	ASSERT_INT_EQ(conf_load_file(tmpdir, &c, &d), OP_ERR_CONFIG);
	ASSERT_INT_EQ(d.n, 1);
	ASSERT_STR_CONTAINS(d.v[0].msg, "not a regular file");
	conf_diags_free(&d);

	/* A FIFO is refused without blocking in open(). */
	p = tmp_path("fifo");
	ASSERT_INT_EQ(mkfifo(p, 0600), 0);
	ASSERT_INT_EQ(conf_load_file(p, &c, &d), OP_ERR_CONFIG);
	ASSERT_STR_CONTAINS(d.v[0].msg, "not a regular file");
	conf_diags_free(&d);
	unlink(p);

	/* Mode 000: root can still read it, so that case is skipped. */
	p = tmp_path("unreadable.yaml");
	ASSERT_INT_EQ(write_file(p, "log: {}\n", 8, 0), 0);
	if (geteuid() == 0) {
		printf("note: running as root, mode-000 file is readable; "
		       "unreadable-file case skipped (directory and FIFO "
		       "cases cover open/type errors)\n");
	} else {
		ASSERT_INT_EQ(conf_load_file(p, &c, &d), OP_ERR_CONFIG);
		ASSERT_INT_EQ(d.n, 1);
		ASSERT_STR_EQ(d.v[0].where, p);
		ASSERT_STR_CONTAINS(d.v[0].msg, "Permission denied");
		conf_diags_free(&d);
	}
	unlink(p);

	/* World-writable file: refused, and its YAML is still checked. */
	p = tmp_path("ww.yaml");
	ASSERT_INT_EQ(write_file(p, "log: {levle: x}\n", 16, 0666), 0);
	ASSERT_INT_EQ(conf_load_file(p, &c, &d), OP_ERR_CONFIG);
	ASSERT(c == NULL);
	ASSERT_INT_EQ(d.n, 2);
	ASSERT_STR_EQ(d.v[0].where, p);
	ASSERT_STR_CONTAINS(d.v[0].msg, "world-writable (mode 0666)");
	ASSERT_INT_EQ(d.v[1].line, 1);
	ASSERT_STR_CONTAINS(d.v[1].msg, "did you mean 'log.level'?");
	conf_diags_free(&d);
	ASSERT_INT_EQ(chmod(p, 0644), 0);
	ASSERT_INT_EQ(conf_load_file(p, &c, &d), OP_ERR_CONFIG);
	ASSERT_INT_EQ(d.n, 1);
	conf_diags_free(&d);
	unlink(p);

	/* A world-writable directory without the sticky bit: refused. */
	snprintf(dir, sizeof(dir), "%s", tmp_path("wwdir"));
	ASSERT_INT_EQ(mkdir(dir, 0700), 0);
	ASSERT_INT_EQ(chmod(dir, 0777), 0);
	p = tmp_path("wwdir/c.yaml");
	ASSERT_INT_EQ(write_file(p, "log: {}\n", 8, 0644), 0);
	ASSERT_INT_EQ(conf_load_file(p, &c, &d), OP_ERR_CONFIG);
	ASSERT_INT_EQ(d.n, 1);
	ASSERT_STR_CONTAINS(d.v[0].msg, "world-writable without the sticky "
					"bit");
	conf_diags_free(&d);
	/* With the sticky bit (like /tmp) it is accepted. */
	ASSERT_INT_EQ(chmod(dir, 01777), 0);
	ASSERT_INT_EQ(conf_load_file(p, &c, &d), 0);
	ASSERT_INT_EQ(d.n, 0);
	conf_unref(c);
	unlink(p);
	rmdir(dir);

	/* Larger than 1 MiB: refused before parsing. */
	{
		size_t n = CONF_MAX_FILE_SIZE + 1;
		char *big = malloc(n);

		ASSERT(big != NULL);
		memset(big, '#', n);
		p = tmp_path("big.yaml");
		ASSERT_INT_EQ(write_file(p, big, n, 0644), 0);
		ASSERT_INT_EQ(conf_load_file(p, &c, &d), OP_ERR_CONFIG);
		ASSERT_INT_EQ(d.n, 1);
		ASSERT_STR_CONTAINS(d.v[0].msg, "larger than the 1048576 byte");
		conf_diags_free(&d);
		ASSERT_INT_EQ(conf_load_buffer("b", big, n, &c, &d),
			OP_ERR_CONFIG);
		ASSERT_STR_EQ(d.v[0].where, "b");
		conf_diags_free(&d);
		/* Exactly 1 MiB of comment is fine. */
		ASSERT_INT_EQ(conf_load_buffer("b", big, n - 1, &c, &d), 0);
		conf_unref(c);
		unlink(p);
		free(big);
	}

	/* Non-UTF-8 from a file: libyaml's message and position. */
	ASSERT_INT_EQ(conf_load_file(data_path("not-utf8.yaml"), &c, &d),
		OP_ERR_CONFIG);
	ASSERT_INT_EQ(d.n, 1);
	ASSERT_INT_EQ(d.v[0].line, 3);
	ASSERT_INT_EQ(d.v[0].col, 12); /* the bad trailing byte */
	ASSERT_STR_CONTAINS(d.v[0].msg, "UTF-8");
	conf_diags_free(&d);

	/* diags may be NULL. */
	ASSERT_INT_EQ(conf_load_file("/nonexistent", &c, NULL),
		OP_ERR_CONFIG);
	ASSERT_INT_EQ(load("x: 1\n", &c, NULL), OP_ERR_CONFIG);
	ASSERT(c == NULL);
	rmdir(tmpdir);
}

static void
test_limits(void)
{
	struct conf *c = NULL;
	struct conf_diags d;
	char *s;
	size_t n;

	/* Billion laughs: refused at once, nothing expanded. */
	ASSERT_INT_EQ(conf_load_file(data_path("billion-laughs.yaml"), &c,
			      &d),
		OP_ERR_CONFIG);
	ASSERT(find_diag(&d, "anchors (&a)", 1, 4) >= 0);
	ASSERT(find_diag(&d, "aliases are not supported", 11, 10) >= 0);
	conf_diags_free(&d);

	/* Nesting: 33 levels is too deep, whatever the keys. */
	s = malloc(200);
	ASSERT(s != NULL);
	n = 0;
	for (int i = 0; i < 40; i++)
		s[n++] = '[';
	s[n] = '\0';
	ASSERT_INT_EQ(load(s, &c, &d), OP_ERR_CONFIG);
	ASSERT(find_diag(&d, "nesting deeper than 32 levels", 1, 33) >= 0);
	conf_diags_free(&d);
	n = 0;
	memcpy(s, "log:\n  level: ", 14);
	n = 14;
	for (int i = 0; i < 40; i++)
		s[n++] = '{';
	s[n] = '\0';
	ASSERT_INT_EQ(load(s, &c, &d), OP_ERR_CONFIG);
	ASSERT(find_diag(&d, "nesting deeper than 32 levels", 2, 40) >= 0);
	conf_diags_free(&d);
	/* 32 levels (the mapping + 31 sequences) still report normally. */
	memcpy(s, "a: ", 3);
	n = 3;
	for (int i = 0; i < 31; i++)
		s[n++] = '[';
	for (int i = 0; i < 31; i++)
		s[n++] = ']';
	s[n] = '\0';
	ASSERT_INT_EQ(load(s, &c, &d), OP_ERR_CONFIG);
	ASSERT_INT_EQ(d.n, 1);
	ASSERT_STR_CONTAINS(d.v[0].msg, "unknown key 'a'");
	conf_diags_free(&d);
	free(s);

	/* Many errors: capped, with a final note. */
	n = 300 * 16;
	s = malloc(n + 1);
	ASSERT(s != NULL);
	s[0] = '\0';
	for (int i = 0; i < 300; i++)
		snprintf(s + strlen(s), n + 1 - strlen(s), "k%05d: 1\n", i);
	ASSERT_INT_EQ(load(s, &c, &d), OP_ERR_CONFIG);
	ASSERT_INT_EQ(d.n, CONF_MAX_DIAGS);
	ASSERT_STR_CONTAINS(d.v[CONF_MAX_DIAGS - 2].msg, "unknown key");
	ASSERT_STR_CONTAINS(d.v[CONF_MAX_DIAGS - 1].msg, "too many errors");
	ASSERT_STR_EQ(d.v[CONF_MAX_DIAGS - 1].where, "t.yaml");
	conf_diags_free(&d);
	free(s);

	/* A very long key is reported, shortened, without suggestions
	 * (explicit "? key": YAML limits implicit keys to 1024 chars). */
	s = malloc(5000);
	ASSERT(s != NULL);
	memcpy(s, "? ", 2);
	memset(s + 2, 'k', 4988);
	memcpy(s + 4990, "\n: 1\n", 6);
	ASSERT_INT_EQ(load(s, &c, &d), OP_ERR_CONFIG);
	ASSERT_INT_EQ(d.n, 1);
	ASSERT_STR_CONTAINS(d.v[0].msg, "kkk...'");
	ASSERT(strlen(d.v[0].msg) < 100);
	conf_diags_free(&d);
	free(s);
}

static void
test_dump_roundtrip(void)
{
	struct conf *a = NULL, *b = NULL;
	struct conf_diags d;
	char *dump;
	int r;

	ASSERT_INT_EQ(conf_load_file(data_path("good.yaml"), &a, &d), 0);
	dump = dump_str(a);
	ASSERT(dump != NULL);
	ASSERT_STR_CONTAINS(dump, "server:\n  rendezvous: "
				  "\"hbbs.example.com:21116\"\n");
	ASSERT_STR_CONTAINS(dump, "access:\n  one_time_password:\n"
				  "    length: 12\n");
	ASSERT_STR_CONTAINS(dump, "  enabled: false\n");
	r = load(dump, &b, &d);
	if (r != 0)
		print_diags(&d);
	ASSERT_INT_EQ(r, 0);
	ASSERT(same_values(a, b));
	for (int k = 0; k < CONF_KEY_COUNT_; k++)
		ASSERT(conf_is_set(b, (enum conf_key)k));
	free(dump);
	conf_unref(a);
	conf_unref(b);

	/* Defaults too (every key present in the dump). */
	a = conf_new_default();
	dump = dump_str(a);
	ASSERT(dump != NULL);
	ASSERT_STR_EQ(missing_key(dump) ? missing_key(dump) : "", "");
	ASSERT_INT_EQ(load(dump, &b, &d), 0);
	ASSERT(same_values(a, b));
	free(dump);
	conf_unref(a);
	conf_unref(b);
}
static void
test_keys_api(void)
{
	enum conf_key k;

	ASSERT_INT_EQ(conf_key_lookup("log.level", &k), 0);
	ASSERT_INT_EQ(k, CONF_LOG_LEVEL);
	ASSERT_INT_EQ(conf_key_lookup("log", &k), OP_ERR_NOT_FOUND);
	ASSERT_INT_EQ(k, CONF_KEY_COUNT_);
	ASSERT_INT_EQ(conf_key_lookup("log.levelx", &k), OP_ERR_NOT_FOUND);
	ASSERT_STR_EQ(conf_key_name(CONF_ACCESS_ONE_TIME_PASSWORD_LENGTH),
		"access.one_time_password.length");
	ASSERT_INT_EQ(conf_key_type(CONF_SERVER_RELAY), CONF_T_HOSTPORT);
	ASSERT_INT_EQ(conf_key_type(CONF_KEY_COUNT_), -1);
	ASSERT(conf_key_name(CONF_KEY_COUNT_) == NULL);
	ASSERT(conf_key_doc(CONF_LOG_LEVEL) != NULL);
	for (int i = 0; i < CONF_KEY_COUNT_; i++) {
		ASSERT_INT_EQ(conf_key_lookup(conf_key_name((enum conf_key)i),
				      &k),
			0);
		ASSERT_INT_EQ(k, i);
	}
	conf_diags_free(NULL);
}

static void
test_diags_print(void)
{
	struct conf *c = NULL;
	struct conf_diags d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT(f != NULL);
	ASSERT_INT_EQ(load("log:\n  level: loud\nx: 1\n", &c, &d),
		OP_ERR_CONFIG);
	ASSERT_INT_EQ(conf_diags_print(&d, f), 0);
	fclose(f);
	ASSERT_STR_EQ(buf, "t.yaml:2:10: 'log.level' must be one of error, "
			   "warning, notice, info, debug; got 'loud'\n"
			   "t.yaml:3:1: unknown key 'x'\n");
	free(buf);
	conf_diags_free(&d);
}

int
main(void)
{
	RUN(test_defaults);
	RUN(test_empty_documents);
	RUN(test_good_file);
	RUN(test_good_values);
	RUN(test_bad_values);
	RUN(test_all_errors_collected);
	RUN(test_file_errors);
	RUN(test_limits);
	RUN(test_dump_roundtrip);
	RUN(test_keys_api);
	RUN(test_diags_print);
	return th_done();
}
