/* SPDX-License-Identifier: MIT */
/*
 * Output generated from the key table: the effective configuration as YAML
 * (`config dump`, must re-load to the same values), the commented example
 * file and the JSON Schema. All three walk the dotted paths as a tree, in
 * the order keys first appear in conf-keys.h.
 *
 * Must not: write a value in a form the loader would read differently
 * (strings are always double-quoted and escaped, so `yes`, `~` or `123`
 * stay strings), or write anything that is not valid UTF-8.
 */
#include "conf/conf.h"
#include "core/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf-internal.h"
#include "core/err.h"

struct wctx;

/* Tree walk callbacks; first is true for the first entry of a level. */
struct tree_ops {
	void (*section)(struct wctx *w, const char *name, size_t nlen,
		int indent, bool first, bool open);
	void (*leaf)(struct wctx *w, size_t idx, const char *name,
		int indent, bool first);
};

struct wctx {
	const struct conf_table *t;
	const struct conf *c; /* values to write (defaults for example) */
	FILE *f;
};

static void
indent_to(FILE *f, int indent)
{
	for (int i = 0; i < indent; i++)
		fputs("  ", f);
}

/* Visits the keys under prefix (plen bytes) as a tree. */
static void
walk_tree(struct wctx *w, const struct tree_ops *ops, const char *prefix,
	size_t plen, int indent)
{
	bool first = true;

	for (size_t i = 0; i < w->t->n; i++) {
		const char *p = w->t->keys[i].path;
		size_t start = plen > 0 ? plen + 1 : 0, clen;
		bool dup = false;

		if (plen > 0 && (strncmp(p, prefix, plen) != 0 ||
					p[plen] != '.'))
			continue;
		clen = strcspn(p + start, ".");
		/* Already visited through an earlier key? */
		for (size_t j = 0; j < i && !dup; j++) {
			const char *q = w->t->keys[j].path;

			dup = strncmp(q, p, start + clen) == 0 &&
				(q[start + clen] == '.' ||
					q[start + clen] == '\0');
		}
		if (dup)
			continue;
		if (p[start + clen] == '\0') {
			ops->leaf(w, i, p + start, indent, first);
		} else {
			ops->section(w, p + start, clen, indent, first, true);
			walk_tree(w, ops, p, start + clen, indent + 1);
			ops->section(w, p + start, clen, indent, first, false);
		}
		first = false;
	}
}

/* A YAML double-quoted scalar. Values never hold control characters (the
 * loader refuses them), but escape them anyway for table defaults. */
void
conf_write_yaml_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

#define JSTR(f, s) op_json_cstr((f), (s))

/* Writes the value of key idx of c after "name:" (with the space). */
static void
yaml_value(struct wctx *w, size_t idx, int indent)
{
	const struct conf_keydef *kd = &w->t->keys[idx];
	const struct conf_value *v = &w->c->v[idx];

	switch (kd->type) {
	case CONF_T_INT:
	case CONF_T_BOOL:
		fprintf(w->f, " %s\n", v->text);
		break;
	case CONF_T_LIST:
		if (v->nitems == 0) {
			fputs(" []\n", w->f);
			break;
		}
		fputc('\n', w->f);
		for (size_t i = 0; i < v->nitems; i++) {
			indent_to(w->f, indent + 1);
			fputs("- ", w->f);
			conf_write_yaml_string(w->f, v->items[i]);
			fputc('\n', w->f);
		}
		break;
	default:
		fputc(' ', w->f);
		conf_write_yaml_string(w->f, v->text);
		fputc('\n', w->f);
		break;
	}
}

static void
dump_section(struct wctx *w, const char *name, size_t nlen, int indent,
	bool first, bool open)
{
	(void)first;
	if (!open)
		return;
	indent_to(w->f, indent);
	fprintf(w->f, "%.*s:\n", (int)nlen, name);
}

static void
dump_leaf(struct wctx *w, size_t idx, const char *name, int indent,
	bool first)
{
	(void)first;
	indent_to(w->f, indent);
	fprintf(w->f, "%s:", name);
	yaml_value(w, idx, indent);
}

/* A comment line must not be broken by a control character. */
static void
comment_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

int
conf_write_dump(const struct conf *self, FILE *f)
{
	static const struct tree_ops ops = { dump_section, dump_leaf };
	struct wctx w = { self->table, self, f };

	fputs("# Effective configuration, loaded from ", f);
	comment_text(f, self->source);
	fputs("\n# (every key, defaults included)\n", f);
	walk_tree(&w, &ops, "", 0, 0);
	return ferror(f) ? -EIO : 0;
}

/* Writes text as "# " comment lines wrapped at 78 columns. */
static void
comment_wrapped(FILE *f, int indent, const char *text)
{
	const char *s = text;
	int width = 78 - 2 * indent - 2;

	while (*s != '\0') {
		int n = (int)strlen(s), cut = n;

		if (n > width) {
			cut = width;
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;
		}
		indent_to(f, indent);
		fprintf(f, "# %.*s\n", cut, s);
		s += cut;
		while (*s == ' ')
			s++;
	}
}

static void
example_section(struct wctx *w, const char *name, size_t nlen, int indent,
	bool first, bool open)
{
	if (!open)
		return;
	if (!first || indent == 0)
		fputc('\n', w->f);
	indent_to(w->f, indent);
	fprintf(w->f, "%.*s:\n", (int)nlen, name);
}

static void
example_leaf(struct wctx *w, size_t idx, const char *name, int indent,
	bool first)
{
	const struct conf_keydef *kd = &w->t->keys[idx];
	char type[160], line[600];

	if (!first || indent == 0)
		fputc('\n', w->f);
	comment_wrapped(w->f, indent, kd->doc);
	conf__fmt_type(kd, type, sizeof(type));
	if (conf__default_is_runtime(kd)) {
		char dflt[300];

		conf__default_describe(kd, dflt, sizeof(dflt));
		snprintf(line, sizeof(line), "Type: %s. Default: %s (computed "
			"at start-up or differing by system, so left commented "
			"out here).", type, dflt);
		comment_wrapped(w->f, indent, line);
		indent_to(w->f, indent);
		fprintf(w->f, "#%s: ", name);
		conf_write_yaml_string(w->f, conf__default_text(kd, true));
		fputc('\n', w->f);
		return;
	}
	if (conf__empty_ok(kd))
		snprintf(line, sizeof(line), "Type: %s. Default: empty (not "
			"set).", type);
	else if (kd->type == CONF_T_LIST)
		snprintf(line, sizeof(line), "Type: %s. Default: %s.", type,
			w->c->v[idx].nitems > 0 ? "as below" : "empty");
	else
		snprintf(line, sizeof(line), "Type: %s. Default: %s.", type,
			w->c->v[idx].text);
	comment_wrapped(w->f, indent, line);
	indent_to(w->f, indent);
	fprintf(w->f, "%s:", name);
	yaml_value(w, idx, indent);
}

int
conf__write_example(const struct conf_table *t, FILE *f)
{
	static const struct tree_ops ops = { example_section, example_leaf };
	struct conf *c = conf__new_default(t);
	struct wctx w = { t, c, f };

	if (c == NULL)
		return OP_ERR_NOMEM;
	fputs("# Outpost configuration: every key with its default value.\n"
	      "#\n"
	      "# Keys are nested mappings: log.level is 'level:' indented "
	      "under 'log:'.\n"
	      "# Remove a line to get the built-in default again. "
	      "Booleans: true/false,\n"
	      "# yes/no, on/off. Durations: seconds, or 30s, 10m, 2h, 1d, "
	      "1h30m. Anchors,\n"
	      "# aliases and tags are refused, as is a world-writable "
	      "file. Check a file\n"
	      "# with `outpost config check`, see the effective values "
	      "with\n"
	      "# `outpost config dump`.\n"
	      "#\n"
	      "# Generated from agent/conf/conf-keys.h; do not edit by "
	      "hand.\n",
		f);
	walk_tree(&w, &ops, "", 0, 0);
	conf_unref(c);
	return ferror(f) ? -EIO : 0;
}

int
conf_write_example(FILE *f)
{
	return conf__write_example(&conf__main_table, f);
}

static const char bool_pattern[] =
	"^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|"
	"[Oo][Nn]|[Oo][Ff][Ff])$";
static const char duration_pattern[] =
	"^([0-9]+|[0-9]+d([0-9]+h)?([0-9]+m)?([0-9]+s)?|"
	"[0-9]+h([0-9]+m)?([0-9]+s)?|[0-9]+m([0-9]+s)?|[0-9]+s)$";
static const char hostport_pattern[] =
	"^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+)(:[0-9]{1,5})?$";
static const char hostport_req_pattern[] =
	"^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$";

static void
json_pattern(FILE *f, const char *pattern, bool empty_ok)
{
	size_t n = strlen(pattern);
	char *p = malloc(n + 4);

	if (p == NULL) {
		fputs("\"\"", f); /* ferror stays clear; best effort */
		return;
	}
	snprintf(p, n + 4, "%s%s", empty_ok ? "^$|" : "", pattern);
	op_json_str(f, p, strlen(p));
	free(p);
}

static void
schema_leaf_body(struct wctx *w, size_t idx, const char *pad)
{
	const struct conf_keydef *kd = &w->t->keys[idx];
	const struct conf_value *v = &w->c->v[idx];
	const char *pattern = kd->check != NULL ? kd->check->pattern : NULL;
	bool empty = conf__empty_ok(kd);
	FILE *f = w->f;

	switch (kd->type) {
	case CONF_T_STRING:
	case CONF_T_PATH:
		fprintf(f, "%s\"type\": \"string\",\n", pad);
		fprintf(f, "%s\"minLength\": %d,\n", pad,
			empty ? 0 : kd->min > 0 ? (int)kd->min : 1);
		fprintf(f, "%s\"maxLength\": %lld,\n", pad,
			(long long)(kd->max > 0 ? kd->max : CONF_STR_MAX));
		if (pattern != NULL) {
			fprintf(f, "%s\"pattern\": ", pad);
			json_pattern(f, pattern, empty);
			fputs(",\n", f);
		}
		break;
	case CONF_T_BOOL:
		fprintf(f, "%s\"anyOf\": [{\"type\": \"boolean\"}, "
			"{\"type\": \"string\", \"pattern\": ", pad);
		JSTR(f, bool_pattern);
		fputs("}],\n", f);
		break;
	case CONF_T_INT:
		fprintf(f, "%s\"type\": \"integer\",\n%s\"minimum\": %lld,\n"
			"%s\"maximum\": %lld,\n", pad, pad, (long long)kd->min,
			pad, (long long)kd->max);
		break;
	case CONF_T_ENUM:
		fprintf(f, "%s\"type\": \"string\",\n%s\"enum\": [", pad, pad);
		for (const char *c = kd->choices;;) {
			size_t cl = strcspn(c, "|");

			op_json_str(f, c, cl);
			if (c[cl] == '\0')
				break;
			fputs(", ", f);
			c += cl + 1;
		}
		fputs("],\n", f);
		break;
	case CONF_T_DURATION:
		fprintf(f, "%s\"anyOf\": [{\"type\": \"integer\", \"minimum\": "
			"%lld, \"maximum\": %lld}, {\"type\": \"string\", "
			"\"pattern\": ", pad, (long long)kd->min,
			(long long)kd->max);
		JSTR(f, duration_pattern);
		fputs("}],\n", f);
		break;
	case CONF_T_HOSTPORT:
		fprintf(f, "%s\"type\": \"string\",\n%s\"pattern\": ", pad,
			pad);
		/* A check narrows host:port (a listen address): its pattern
		 * replaces the generic one. */
		json_pattern(f, pattern != NULL ? pattern :
				kd->min != 0    ? hostport_pattern :
						  hostport_req_pattern,
			empty);
		fputs(",\n", f);
		break;
	case CONF_T_LIST:
		fprintf(f, "%s\"type\": \"array\",\n%s\"maxItems\": %lld,\n"
			"%s\"items\": {\"type\": \"string\", \"minLength\": 1, "
			"\"maxLength\": %d", pad, pad,
			(long long)(kd->max > 0 ? kd->max : CONF_LIST_MAX), pad,
			CONF_STR_MAX);
		if (pattern != NULL) {
			fputs(", \"pattern\": ", f);
			json_pattern(f, pattern, false);
		}
		fputs("},\n", f);
		break;
	}
	/* The default, typed as the schema expects it. */
	if (conf__default_is_runtime(kd))
		return;
	fprintf(f, "%s\"default\": ", pad);
	switch (kd->type) {
	case CONF_T_INT:
	case CONF_T_BOOL:
		fputs(v->text, f);
		break;
	case CONF_T_LIST:
		fputc('[', f);
		for (size_t i = 0; i < v->nitems; i++) {
			if (i > 0)
				fputs(", ", f);
			JSTR(f, v->items[i]);
		}
		fputc(']', f);
		break;
	default:
		JSTR(f, v->text);
		break;
	}
	fputs(",\n", f);
}

static void
schema_section(struct wctx *w, const char *name, size_t nlen, int indent,
	bool first, bool open)
{
	FILE *f = w->f;
	int pad = 2 * (2 * indent + 2);

	if (open) {
		fprintf(f, "%s%*s", first ? "" : ",\n", pad, "");
		op_json_str(f, name, nlen);
		fprintf(f, ": {\n%*s\"type\": [\"object\", \"null\"],\n"
			"%*s\"additionalProperties\": false,\n"
			"%*s\"properties\": {\n", pad + 2, "", pad + 2, "",
			pad + 2, "");
	} else {
		fprintf(f, "\n%*s}\n%*s}", pad + 2, "", pad, "");
	}
}

static void
schema_leaf(struct wctx *w, size_t idx, const char *name, int indent,
	bool first)
{
	const struct conf_keydef *kd = &w->t->keys[idx];
	int pad = 2 * (2 * indent + 2);
	char padstr[160], line[600];
	FILE *f = w->f;

	snprintf(padstr, sizeof(padstr), "%*s", pad + 2, "");
	fprintf(f, "%s%*s", first ? "" : ",\n", pad, "");
	JSTR(f, name);
	fputs(": {\n", f);
	schema_leaf_body(w, idx, padstr);
	if (conf__default_is_runtime(kd)) {
		char dflt[300];

		conf__default_describe(kd, dflt, sizeof(dflt));
		snprintf(line, sizeof(line), "%s Default: %s.", kd->doc, dflt);
	} else
		snprintf(line, sizeof(line), "%s", kd->doc);
	fprintf(f, "%s\"description\": ", padstr);
	JSTR(f, line);
	fprintf(f, "\n%*s}", pad, "");
}

int
conf__write_schema(const struct conf_table *t, FILE *f)
{
	static const struct tree_ops ops = { schema_section, schema_leaf };
	struct conf *c = conf__new_default(t);
	struct wctx w = { t, c, f };

	if (c == NULL)
		return OP_ERR_NOMEM;
	fputs("{\n"
	      "  \"$schema\": \"https://json-schema.org/draft/2020-12/"
	      "schema\",\n"
	      "  \"title\": \"Outpost configuration\",\n"
	      "  \"description\": \"Generated from agent/conf/conf-keys.h; "
	      "do not edit by hand. The agent's loader is authoritative "
	      "(it also accepts quoted numbers and booleans, and enum "
	      "values in any case).\",\n"
	      "  \"type\": [\"object\", \"null\"],\n"
	      "  \"additionalProperties\": false,\n"
	      "  \"properties\": {\n",
		f);
	walk_tree(&w, &ops, "", 0, 0);
	fputs("\n  }\n}\n", f);
	conf_unref(c);
	return ferror(f) ? -EIO : 0;
}

int
conf_write_schema(FILE *f)
{
	return conf__write_schema(&conf__main_table, f);
}
