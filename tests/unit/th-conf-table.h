/* SPDX-License-Identifier: MIT */
/*
 * A private conf key table with one key of every type, for the tests of
 * types no real key uses yet (test-conf-types.c) and of the example and
 * schema writers (test-conf-schema.c). Header-only.
 */
#ifndef OP_TESTS_TH_CONF_TABLE_H
#define OP_TESTS_TH_CONF_TABLE_H

#include <string.h>

#include "conf/conf-internal.h"
#include "th-conf.h"

/* ---- a private table with every type ---------------------------------- */

static const struct conf_keydef tkeys[] = {
	{ .path = "s", CT_STRING(2, 8), .dflt = "ab", .doc = "string" },
	{ .path = "b", CT_BOOL(), .dflt = "off", .doc = "bool" },
	{ .path = "i", CT_INT(-5, 100), .dflt = "0", .doc = "int" },
	{ .path = "e", CT_ENUM("red|green|blue"), .dflt = "green",
		.doc = "enum" },
	{ .path = "d.timeout", CT_DURATION(1, 604800), .dflt = "30s",
		.doc = "duration" },
	{ .path = "d.hp", CT_HOSTPORT(0), .dflt = "[::1]:80",
		.doc = "hostport, port required" },
	{ .path = "d.opt", CT_HOSTPORT(443), .dflt = "", .doc = "optional" },
	{ .path = "p", CT_PATH(), .dflt = "/tmp/x", .doc = "path" },
	{ .path = "l.ids", CT_LIST(3), .dflt = "alpha1\nbeta22",
		.check = &conf__check_id, .doc = "list of IDs" },
	{ .path = "l.any", CT_LIST(0), .dflt = "", .doc = "list" },
	{ .path = "l.deep.er.key", CT_STRING(0, 0), .dflt = "",
		.doc = "nested" },
};
static const struct conf_table ttable = { tkeys, LEN(tkeys) };
/* Keys of the private table. */
#define TS ((enum conf_key)0)
#define TB ((enum conf_key)1)
#define TI ((enum conf_key)2)
#define TE ((enum conf_key)3)
#define TD ((enum conf_key)4)
#define THP ((enum conf_key)5)
#define TOPT ((enum conf_key)6)
#define TP ((enum conf_key)7)
#define TIDS ((enum conf_key)8)
#define TANY ((enum conf_key)9)
#define TDEEP ((enum conf_key)10)

static inline int
tload(const char *yaml, struct conf **c, struct conf_diags *d)
{
	return conf__load_buffer(&ttable, "t.yaml", yaml, strlen(yaml), c, d);
}

#endif
