/* SPDX-License-Identifier: MIT */
/*
 * conf: every value type (string, bool, int, enum, duration, host:port,
 * path, list), good and bad, on a private key table through
 * conf-internal.h, since no real key uses some of them yet; and the
 * table checker.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/conf-internal.h"
#include "conf/conf.h"
#include "core/err.h"
#include "th.h"
#include "th-conf.h"
#include "th-conf-table.h"

static void
test_tables(void)
{
	char msg[256] = "";
	const struct conf_keydef bad[] = {
		{ .path = "a", CT_BOOL(), .dflt = "true", .doc = "x" },
		{ .path = "a.b", CT_BOOL(), .dflt = "true", .doc = "x" },
	};
	const struct conf_table badt = { bad, 2 };

	if (conf__table_check(&conf__main_table, msg, sizeof(msg)) != 0)
		TH_FAIL("main table: %s", msg);
	ASSERT_INT_EQ(conf__table_check(&ttable, msg, sizeof(msg)), 0);
	ASSERT_INT_EQ(conf__table_check(&badt, msg, sizeof(msg)), -1);
	ASSERT_STR_CONTAINS(msg, "is a key and a section");
	ASSERT_INT_EQ(conf__main_table.n, CONF_KEY_COUNT_);
}

/* Good values for every type, on the private table. */
static void
test_types_good(void)
{
	struct conf *c = NULL, *c2 = NULL;
	struct conf_diags d;
	char *dump;
	int r = tload("s: 'ab cd'\n"
		      "b: on\n"
		      "i: -5\n"
		      "e: BLUE\n"
		      "d:\n"
		      "  timeout: 1h30m\n"
		      "  hp: '[fe80::1]:8'\n"
		      "  opt: example.org\n"
		      "p: \"C:/x \\\"q\\\" \\\\ y\"\n"
		      "l:\n"
		      "  ids: [abcdef, auto]\n"
		      "  any:\n"
		      "    - \"yes\"\n"
		      "    - '~'\n"
		      "    - '123'\n"
		      "    - \"caf\xc3\xa9 # not a comment\"\n"
		      "  deep: {er: {key: x}}\n",
		&c, &d);

	if (r != 0)
		print_diags(&d);
	ASSERT_INT_EQ(r, 0);
	ASSERT_STR_EQ(conf_str(c, TS), "ab cd");
	ASSERT(conf_bool(c, TB));
	ASSERT_INT_EQ(conf_int(c, TI), -5);
	ASSERT_STR_EQ(conf_str(c, TE), "blue");
	ASSERT_INT_EQ(conf_enum(c, TE), 2);
	ASSERT_INT_EQ(conf_int(c, TD), 5400);
	ASSERT_STR_EQ(conf_str(c, TD), "1h30m");
	ASSERT_STR_EQ(conf_str(c, THP), "[fe80::1]:8");
	ASSERT_STR_EQ(conf_str(c, TOPT), "example.org:443");
	ASSERT_STR_EQ(conf_str(c, TP), "C:/x \"q\" \\ y");
	ASSERT_INT_EQ(conf_list_len(c, TIDS), 2);
	ASSERT_STR_EQ(conf_list_at(c, TIDS, 0), "abcdef");
	ASSERT_STR_EQ(conf_list_at(c, TIDS, 1), "auto");
	ASSERT(conf_list_at(c, TIDS, 2) == NULL);
	ASSERT_INT_EQ(conf_list_len(c, TANY), 4);
	ASSERT_STR_EQ(conf_list_at(c, TANY, 0), "yes");
	ASSERT_STR_EQ(conf_list_at(c, TANY, 1), "~");
	ASSERT_STR_EQ(conf_list_at(c, TANY, 3), "caf\xc3\xa9 # not a comment");
	ASSERT_STR_EQ(conf_str(c, TDEEP), "x");
	/* Wrong-type accessors give neutral values. */
	ASSERT(conf_str(c, TANY) == NULL);
	ASSERT_INT_EQ(conf_int(c, TS), 0);
	ASSERT(!conf_bool(c, TI));
	ASSERT_INT_EQ(conf_enum(c, TS), -1);
	ASSERT_INT_EQ(conf_list_len(c, TS), 0);
	ASSERT(conf_list_at(c, TS, 0) == NULL);
	ASSERT(conf_str(c, (enum conf_key)99) == NULL);
	/* Everything survives dump -> load. */
	dump = dump_str(c);
	ASSERT(dump != NULL);
	r = tload(dump, &c2, &d);
	if (r != 0) {
		fprintf(stderr, "%s", dump);
		print_diags(&d);
	}
	ASSERT_INT_EQ(r, 0);
	ASSERT(same_values(c, c2));
	free(dump);
	conf_unref(c);
	conf_unref(c2);

	/* Defaults of the private table, and duration spellings. */
	static const struct {
		const char *v;
		int64_t secs;
		const char *canon;
	} durs[] = {
		{ "1", 1, "1s" }, { "90", 90, "1m30s" }, { "30s", 30, "30s" },
		{ "10m", 600, "10m" }, { "2h", 7200, "2h" },
		{ "1d", 86400, "1d" }, { "7d", 604800, "7d" },
		{ "1d2h3m4s", 93784, "1d2h3m4s" }, { "'120'", 120, "2m" },
		{ "0m5s", 5, "5s" },
	};
	for (size_t i = 0; i < LEN(durs); i++) {
		char y[64];

		snprintf(y, sizeof(y), "d: {timeout: %s}\n", durs[i].v);
		ASSERT_INT_EQ(tload(y, &c, &d), 0);
		ASSERT_INT_EQ(conf_int(c, TD), durs[i].secs);
		ASSERT_STR_EQ(conf_str(c, TD), durs[i].canon);
		conf_unref(c);
	}
	ASSERT_INT_EQ(tload("", &c, &d), 0);
	ASSERT_INT_EQ(conf_int(c, TD), 30);
	ASSERT_INT_EQ(conf_list_len(c, TIDS), 2);
	ASSERT_STR_EQ(conf_list_at(c, TIDS, 1), "beta22");
	ASSERT_INT_EQ(conf_list_len(c, TANY), 0);
	ASSERT_STR_EQ(conf_str(c, TOPT), "");
	ASSERT_STR_EQ(conf_str(c, TB), "false");
	conf_unref(c);
	ASSERT_INT_EQ(tload("l: {ids: [], any: []}\n", &c, &d), 0);
	ASSERT_INT_EQ(conf_list_len(c, TIDS), 0);
	ASSERT(conf_is_set(c, TIDS));
	conf_unref(c);
}

static const struct {
	const char *yaml;
	const char *sub;
	unsigned line, col;
} tbad_cases[] = {
	{ "s: a\n", "'s' must be 2 to 8 bytes long, got 1", 1, 4 },
	{ "s: abcdefghi\n", "must be 2 to 8 bytes long, got 9", 1, 4 },
	{ "i: 101\n", "must be between -5 and 100, got 101", 1, 4 },
	{ "i: -9223372036854775809\n", "must be between -5 and 100", 1, 4 },
	{ "i: '-'\n", "must be a decimal integer", 1, 4 },
	{ "d: {timeout: 0}\n", "must be between 1s and 7d, got '0'", 1, 14 },
	{ "d: {timeout: 8d}\n", "must be between 1s and 7d, got '8d'", 1,
		14 },
	{ "d: {timeout: 10x}\n", "must be a duration", 1, 14 },
	{ "d: {timeout: 1m1h}\n", "must be a duration", 1, 14 },
	{ "d: {timeout: 1h1h}\n", "must be a duration", 1, 14 },
	{ "d: {timeout: 1.5h}\n", "must be a duration", 1, 14 },
	{ "d: {timeout: -1s}\n", "must be a duration", 1, 14 },
	{ "d: {timeout: s}\n", "must be a duration", 1, 14 },
	{ "d: {timeout: 99999999999999999999}\n", "must be between", 1, 14 },
	{ "d: {timeout: 999999999999999999d}\n", "must be between", 1, 14 },
	{ "d: {hp: example.org}\n", "'d.hp' needs a port (host:port)", 1, 9 },
	{ "l: {ids: abcdef}\n", "'l.ids' must be a list, got a scalar", 1,
		10 },
	{ "l: {ids: [abcdef, x]}\n", "'l.ids' must be 'auto' or 6-16", 1,
		19 },
	{ "l: {ids: [auto, auto, auto, auto, auto]}\n",
		"'l.ids' has more than 3 items", 1, 29 },
	{ "l: {any: [{a: 1}]}\n", "items must be strings, got a mapping", 1,
		11 },
	{ "l: {any: [[a]]}\n", "items must be strings, got a sequence", 1,
		11 },
	{ "l: {any: [a, ~]}\n", "items must not be empty", 1, 14 },
	{ "l: {any: [a, '']}\n", "items must be 1 to 4096 bytes long", 1,
		14 },
	{ "l: {any: [\"a\\nb\"]}\n", "items must not contain control", 1,
		11 },
	{ "l:\n  any:\n", "has no value; remove the line to use the default "
		"or write []", 2, 7 },
	{ "l: {any: &x [a]}\n", "anchors", 1, 10 },
	{ "l: {deep: {er: {kee: 1}}}\n",
		"did you mean 'l.deep.er.key'?", 1, 17 },
};

static void
test_types_bad(void)
{
	for (size_t i = 0; i < LEN(tbad_cases); i++) {
		struct conf *c = NULL;
		struct conf_diags d;
		int r = tload(tbad_cases[i].yaml, &c, &d);

		if (r != OP_ERR_CONFIG || d.n != 1 ||
			find_diag(&d, tbad_cases[i].sub, tbad_cases[i].line,
				tbad_cases[i].col) < 0) {
			fprintf(stderr, "case %zu: %s", i, tbad_cases[i].yaml);
			print_diags(&d);
			TH_FAIL("want %u:%u '%s'", tbad_cases[i].line,
				tbad_cases[i].col, tbad_cases[i].sub);
		}
		conf_diags_free(&d);
	}
}

static void
test_hostport_split(void)
{
	static const struct {
		const char *s;
		uint16_t dport;
		int r;
		const char *host;
		uint16_t port;
	} cases[] = {
		{ "example.com", 21116, 0, "example.com", 21116 },
		{ "example.com:1", 21116, 0, "example.com", 1 },
		{ "10.1.2.3:65535", 0, 0, "10.1.2.3", 65535 },
		{ "[::1]", 7, 0, "::1", 7 },
		{ "[2001:db8::1]:443", 0, 0, "2001:db8::1", 443 },
		{ "example.com", 0, OP_ERR_CONFIG, "", 0 },
		{ "::1", 7, OP_ERR_CONFIG, "", 0 },
		{ "[::1", 7, OP_ERR_CONFIG, "", 0 },
		{ "h:0", 7, OP_ERR_RANGE, "", 0 },
		{ "h:70000", 7, OP_ERR_RANGE, "", 0 },
		{ "h:00080", 7, 0, "h", 80 },
		{ "h:", 7, OP_ERR_RANGE, "", 0 },
		{ "", 7, OP_ERR_CONFIG, "", 0 },
		{ "a b", 7, OP_ERR_CONFIG, "", 0 },
		{ "[fe80::1%eth0]:1", 7, OP_ERR_CONFIG, "", 0 },
		{ "averyveryverylonghostname.example", 7, OP_ERR_TOO_LARGE, "",
			0 },
	};
	char host[16];
	uint16_t port;

	for (size_t i = 0; i < LEN(cases); i++) {
		port = 99;
		if (conf_hostport_split(cases[i].s, cases[i].dport, host,
			    sizeof(host), &port) != cases[i].r)
			TH_FAIL("case %zu '%s'", i, cases[i].s);
		ASSERT_STR_EQ(host, cases[i].host);
		ASSERT_INT_EQ(port, cases[i].port);
	}
}

int
main(void)
{
	RUN(test_tables);
	RUN(test_types_good);
	RUN(test_types_bad);
	RUN(test_hostport_split);
	return th_done();
}
