/* SPDX-License-Identifier: MIT */
/*
 * conf: the example file (config/outpost.example.yaml) loads to the
 * defaults and matches the key table, and the JSON Schema is well-formed
 * JSON.
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
test_example(void)
{
	struct conf *c = NULL, *def = conf_new_default();
	struct conf_diags d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	ASSERT(f != NULL);
	ASSERT_INT_EQ(conf_write_example(f), 0);
	fclose(f);
	r = conf_load_buffer("example", buf, len, &c, &d);
	if (r != 0)
		print_diags(&d);
	ASSERT_INT_EQ(r, 0);
	ASSERT(same_values(c, def));
	/* Every key appears with its doc, set or (the defaults computed at
	 * start-up or differing by system) commented. */
	ASSERT_STR_EQ(missing_key(buf) ? missing_key(buf) : "", "");
	for (int k = 0; k < CONF_KEY_COUNT_; k++) {
		ASSERT(conf_is_set(c, (enum conf_key)k) ==
			(k != CONF_STATE_DIR &&
				k != CONF_POLICY_TERMINAL_RECORD_DIR));
	}
	ASSERT_STR_CONTAINS(buf,
		"    #record_dir: \"/var/lib/outpost/typescripts\"\n");
	ASSERT_STR_CONTAINS(buf, "#state_dir: \"/var/lib/outpost\"\n");
	ASSERT_STR_CONTAINS(buf, "when running as root, else\n# "
				 "./.outpost-state");
	ASSERT_STR_CONTAINS(buf, "    # Type: integer 6..32. Default: 10.\n"
				 "    length: 10\n");
	/* Every line fits in 80 columns. */
	for (char *l = buf; *l != '\0';) {
		size_t n = strcspn(l, "\n");

		ASSERT(n <= 80);
		l += n + (l[n] == '\n');
	}
	free(buf);
	conf_unref(c);
	conf_unref(def);

	/* The private table's example, with lists and durations, loads. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	ASSERT(f != NULL);
	ASSERT_INT_EQ(conf__write_example(&ttable, f), 0);
	fclose(f);
	r = conf__load_buffer(&ttable, "example", buf, len, &c, &d);
	if (r != 0) {
		fprintf(stderr, "%s", buf);
		print_diags(&d);
	}
	ASSERT_INT_EQ(r, 0);
	ASSERT_STR_CONTAINS(buf, "  ids:\n    - \"alpha1\"\n");
	ASSERT_STR_CONTAINS(buf, "  any: []\n");
	ASSERT_STR_CONTAINS(buf, "  timeout: \"30s\"\n");
	def = conf__new_default(&ttable);
	ASSERT(same_values(c, def));
	conf_unref(def);
	conf_unref(c);
	free(buf);
}

/*
 * A small JSON syntax checker (RFC 8259 grammar, no semantic checks), so
 * the schema is at least well-formed JSON here; validating it against the
 * 2020-12 meta-schema is left to a Python test.
 */
struct js {
	const char *p;
	int depth;
};

static void
js_ws(struct js *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

static bool js_value(struct js *j);

static bool
js_string(struct js *j)
{
	if (*j->p++ != '"')
		return false;
	while (*j->p != '"') {
		unsigned char ch = (unsigned char)*j->p;

		if (ch < 0x20)
			return false;
		if (ch == '\\') {
			j->p++;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF",
						    j->p[i]) == NULL ||
						j->p[i] == '\0')
						return false;
				j->p += 4;
			} else if (*j->p == '\0' ||
				strchr("\"\\/bfnrt", *j->p) == NULL) {
				return false;
			}
		}
		j->p++;
	}
	j->p++;
	return true;
}

static bool
js_number(struct js *j)
{
	const char *s = j->p;

	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return false;
	return j->p > s;
}

static bool
js_word(struct js *j, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool
js_container(struct js *j, char close)
{
	bool object = close == '}';

	if (++j->depth > 64)
		return false;
	j->p++;
	js_ws(j);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		js_ws(j);
		if (object) {
			if (!js_string(j))
				return false;
			js_ws(j);
			if (*j->p++ != ':')
				return false;
		}
		if (!js_value(j))
			return false;
		js_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return false;
		j->depth--;
		return true;
	}
}

static bool
js_value(struct js *j)
{
	js_ws(j);
	switch (*j->p) {
	case '{':
		return js_container(j, '}');
	case '[':
		return js_container(j, ']');
	case '"':
		return js_string(j);
	case 't':
		return js_word(j, "true");
	case 'f':
		return js_word(j, "false");
	case 'n':
		return js_word(j, "null");
	default:
		return js_number(j);
	}
}

static bool
json_ok(const char *s)
{
	struct js j = { s, 0 };

	if (!js_value(&j))
		return false;
	js_ws(&j);
	return *j.p == '\0';
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_schema(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT(json_ok("{\"a\": [1, -2, true, null, \"x\\u0041\"]}"));
	ASSERT(!json_ok("{\"a\": [1,]}"));
	ASSERT(!json_ok("{\"a\": 1,}"));
	ASSERT(!json_ok("{\"a\" 1}"));
	ASSERT(f != NULL);
	ASSERT_INT_EQ(conf_write_schema(f), 0);
	fclose(f);
	if (!json_ok(buf))
		fprintf(stderr, "%s", buf);
	ASSERT(json_ok(buf));
	ASSERT_STR_CONTAINS(buf, "\"$schema\": \"https://json-schema.org/"
				 "draft/2020-12/schema\"");
	/* The top level plus server, identity, direct_access, log, access,
	 * access.one_time_password, access.permanent_password, security,
	 * security.lockout, policy, policy.consent, policy.allow,
	 * policy.files, policy.peers, policy.limits, display,
	 * display.virtual, video, audit, audit.forward. */
	ASSERT_INT_EQ(count(buf, "\"additionalProperties\": false"), 22);
	ASSERT_INT_EQ(count(buf, "\"description\""), CONF_KEY_COUNT_ + 1);
	ASSERT_STR_CONTAINS(buf, "\"length\": {\n"
				 "              \"type\": \"integer\",\n"
				 "              \"minimum\": 6,\n"
				 "              \"maximum\": 32,\n"
				 "              \"default\": 10,");
	ASSERT_STR_CONTAINS(buf, "\"enum\": [\"error\", \"warning\", "
				 "\"notice\", \"info\", \"debug\"]");
	free(buf);

	/* The private table's schema (lists, durations) is JSON too. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	ASSERT(f != NULL);
	ASSERT_INT_EQ(conf__write_schema(&ttable, f), 0);
	fclose(f);
	if (!json_ok(buf))
		fprintf(stderr, "%s", buf);
	ASSERT(json_ok(buf));
	ASSERT_STR_CONTAINS(buf, "\"default\": [\"alpha1\", \"beta22\"]");
	free(buf);
}

int
main(void)
{
	RUN(test_example);
	RUN(test_schema);
	return th_done();
}
