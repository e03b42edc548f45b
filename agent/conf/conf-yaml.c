/* SPDX-License-Identifier: MIT */
/*
 * The YAML walk: libyaml's event parser (not its document loader) drives a
 * recursive descent over the single document, matching mapping keys
 * against the key table by dotted path and handing scalars to the type
 * parsers in conf-types.c. Every problem becomes a diag with libyaml's
 * 1-based line and column; the walk goes on after semantic errors so an
 * admin sees all of them, and stops only at the nesting cap or after
 * CONF_MAX_DIAGS problems. A syntax error is found by a first pass and
 * reported alone (libyaml cannot resume, and what precedes it may be
 * misread because of it).
 *
 * Must not: expand aliases (they and anchors are refused, so billion-laughs
 * input costs nothing), recurse deeper than CONF_MAX_DEPTH, let a value
 * overwrite one that was declared earlier without reporting the duplicate,
 * or keep any event past the function that fetched it.
 */
#include "conf/conf.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf/conf-internal.h"
#include "core/err.h"

#define KEY_MAX 256 /* longer mapping keys are reported, not looked up */

struct seen {
	char *path;
	unsigned line;
	unsigned col;
};

struct walk {
	yaml_parser_t p;
	struct conf *c;
	struct conf_diagctx *d;
	const char *data;
	size_t len;
	struct seen *keys;      /* first position of each key, by index */
	struct seen *sections;  /* sections seen so far */
	size_t nsections;
	unsigned ndocs;
	bool stop;              /* no more events will be read */
};

static unsigned
line_of(yaml_mark_t m)
{
	return m.line < 0xfffffffeu ? (unsigned)m.line + 1 : 0xffffffffu;
}

static unsigned
col_of(yaml_mark_t m)
{
	return m.column < 0xfffffffeu ? (unsigned)m.column + 1 : 0xffffffffu;
}

static void
diag_at(struct walk *w, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
diag_at(struct walk *w, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf__vdiag(w->d, line_of(m), col_of(m), fmt, ap);
	va_end(ap);
	if (w->d->full || w->d->nomem)
		w->stop = true;
}

/*
 * libyaml's reader errors (bad UTF-8, control characters in the stream)
 * carry a byte offset instead of a mark; count lines and characters up to
 * it so the admin still gets LINE:COL.
 */
static void
reader_error(struct walk *w)
{
	size_t off = w->p.problem_offset < w->len ? w->p.problem_offset :
						    w->len;
	unsigned line = 1, col = 1;
	char val[16] = "";

	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)w->data[i];

		if (ch == '\n') {
			line++;
			col = 1;
		} else if ((ch & 0xc0) != 0x80) {
			col++;
		}
	}
	if (w->p.problem_value >= 0)
		snprintf(val, sizeof(val), " (#%X)",
			(unsigned)w->p.problem_value);
	conf__diag(w->d, line, col, "invalid input: %s%s",
		w->p.problem != NULL ? w->p.problem : "unreadable", val);
}

/* Whether the indentation of line (0-based) holds a tab: libyaml then
 * says only "found character that cannot start any token". */
static bool
tab_indented(const struct walk *w, size_t line)
{
	size_t i = 0;

	for (size_t l = 0; l < line && i < w->len; i++)
		if (w->data[i] == '\n')
			l++;
	for (; i < w->len && (w->data[i] == ' ' || w->data[i] == '\t'); i++)
		if (w->data[i] == '\t')
			return true;
	return false;
}

static void
syntax_error(struct walk *w)
{
	const yaml_parser_t *p = &w->p;
	const char *hint = "";

	/* libyaml's words for the two usual indentation mistakes. */
	if (tab_indented(w, p->problem_mark.line))
		hint = " (tabs are not allowed for indentation)";
	else if (p->problem != NULL &&
		(strcmp(p->problem, "did not find expected key") == 0 ||
			strcmp(p->problem, "mapping values are not allowed in "
					   "this context") == 0))
		hint = " (is this line indented like the keys it belongs "
		       "with?)";

	w->stop = true;
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		w->d->nomem = true;
		break;
	case YAML_READER_ERROR:
		reader_error(w);
		break;
	default:
		if (p->context != NULL)
			conf__diag(w->d, line_of(p->problem_mark),
				col_of(p->problem_mark),
				"YAML syntax error: %s%s (%s at line %u, "
				"column %u)",
				p->problem != NULL ? p->problem : "unknown",
				hint, p->context, line_of(p->context_mark),
				col_of(p->context_mark));
		else
			conf__diag(w->d, line_of(p->problem_mark),
				col_of(p->problem_mark),
				"YAML syntax error: %s%s",
				p->problem != NULL ? p->problem : "unknown",
				hint);
		break;
	}
}

/* Fetches the next event. On false there is no event to delete. */
static bool
next(struct walk *w, yaml_event_t *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (w->stop || w->d->full || w->d->nomem)
		return false;
	if (!yaml_parser_parse(&w->p, ev)) {
		syntax_error(w);
		return false;
	}
	return true;
}

static const char *
node_kind(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a sequence";
	case YAML_ALIAS_EVENT:
		return "an alias";
	default:
		return "a scalar";
	}
}

static bool
is_collection(const yaml_event_t *ev)
{
	return ev->type == YAML_MAPPING_START_EVENT ||
		ev->type == YAML_SEQUENCE_START_EVENT;
}

static bool
check_depth(struct walk *w, const yaml_event_t *ev, int depth)
{
	if (depth <= CONF_MAX_DEPTH)
		return true;
	diag_at(w, ev->start_mark, "nesting deeper than %d levels",
		CONF_MAX_DEPTH);
	w->stop = true;
	return false;
}

/* Reports anchors, aliases and tags on a node we are going to use. */
static void
check_props(struct walk *w, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	char ex[64];

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_ALIAS_EVENT:
		diag_at(w, ev->start_mark,
			"YAML aliases are not supported; write the value out");
		return;
	default:
		return;
	}
	if (anchor != NULL) {
		EXCERPT((const char *)anchor, ex);
		diag_at(w, ev->start_mark,
			"YAML anchors (&%s) are not supported", ex);
	}
	if (tag != NULL) {
		EXCERPT((const char *)tag, ex);
		diag_at(w, ev->start_mark,
			"YAML tags (%s) are not supported; remove the tag", ex);
	}
}

/* Consumes the rest of the node that ev starts (nothing for scalars). */
static void
skip_node(struct walk *w, const yaml_event_t *ev, int depth)
{
	int level = 1;
	yaml_event_t e;

	if (!is_collection(ev))
		return;
	if (!check_depth(w, ev, depth))
		return;
	while (level > 0 && next(w, &e)) {
		check_props(w, &e);
		if (is_collection(&e)) {
			level++;
			if (!check_depth(w, &e, depth + level - 1)) {
				yaml_event_delete(&e);
				return;
			}
		} else if (e.type == YAML_MAPPING_END_EVENT ||
			e.type == YAML_SEQUENCE_END_EVENT) {
			level--;
		}
		yaml_event_delete(&e);
	}
}

/* Fetches the value of a key in a mapping at depth and skips it. */
static void
skip_value(struct walk *w, int depth)
{
	yaml_event_t v;

	if (!next(w, &v))
		return;
	check_props(w, &v);
	skip_node(w, &v, depth + 1);
	yaml_event_delete(&v);
}

static bool
is_null(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *s = (const char *)ev->data.scalar.value;

	if (ev->type != YAML_SCALAR_EVENT ||
		ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strlen(nulls[i]) == ev->data.scalar.length &&
			strcmp(s, nulls[i]) == 0)
			return true;
	return false;
}

/*
 * True if the scalar has a C0 control character (NUL, TAB, newline...),
 * DEL, a C1 control (U+0080..U+009F, which terminals obey) or a Unicode
 * line/paragraph separator (U+2028/9, which YAML folds when re-read).
 * libyaml has already checked that the value is valid UTF-8.
 */
static bool
has_control(const yaml_event_t *ev)
{
	const yaml_char_t *s = ev->data.scalar.value;
	size_t n = ev->data.scalar.length;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return true;
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] <= 0x9f)
			return true;
		if (s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 &&
			(s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
			return true;
	}
	return false;
}

static const char *
type_word(const struct conf_keydef *kd)
{
	switch (kd->type) {
	case CONF_T_STRING:
		return "a string";
	case CONF_T_BOOL:
		return "a boolean";
	case CONF_T_INT:
		return "an integer";
	case CONF_T_ENUM:
		return "one of ";
	case CONF_T_DURATION:
		return "a duration";
	case CONF_T_HOSTPORT:
		return "host[:port]";
	case CONF_T_PATH:
		return "a path";
	case CONF_T_LIST:
		return "a list";
	}
	return "a value";
}

static void
parse_list(struct walk *w, const struct conf_keydef *kd,
	struct conf_value *out, int depth)
{
	size_t max = kd->max > 0 ? (size_t)kd->max : CONF_LIST_MAX;
	char msg[CONF_MSG_MAX];
	bool too_many = false;
	yaml_event_t it;

	while (next(w, &it)) {
		const char *s = it.type == YAML_SCALAR_EVENT ?
			(const char *)it.data.scalar.value :
			NULL;
		char **items;
		char *dup;

		if (it.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&it);
			return;
		}
		check_props(w, &it);
		if (it.type != YAML_SCALAR_EVENT) {
			if (it.type != YAML_ALIAS_EVENT)
				diag_at(w, it.start_mark, "'%s' items must be "
					"strings, got %s", kd->path,
					node_kind(&it));
			skip_node(w, &it, depth + 1);
		} else if (is_null(&it)) {
			diag_at(w, it.start_mark, "'%s' items must not be "
				"empty", kd->path);
		} else if (has_control(&it)) {
			diag_at(w, it.start_mark, "'%s' items must not "
				"contain control characters", kd->path);
		} else if (out->nitems >= max) {
			if (!too_many)
				diag_at(w, it.start_mark, "'%s' has more than "
					"%zu items", kd->path, max);
			too_many = true;
		} else if (conf__check_item(kd, s, msg, sizeof(msg)) != 0) {
			diag_at(w, it.start_mark, "'%s' %s", kd->path, msg);
		} else if ((dup = strdup(s)) == NULL ||
			(items = realloc(out->items, (out->nitems + 1) *
				 sizeof(*items))) == NULL) {
			free(dup);
			w->d->nomem = true;
		} else {
			out->items = items;
			out->items[out->nitems++] = dup;
		}
		yaml_event_delete(&it);
	}
}

/* The value of leaf key idx; its key event is at depth. */
static void
parse_leaf(struct walk *w, size_t idx, int depth)
{
	const struct conf_keydef *kd = &w->c->table->keys[idx];
	struct conf_value nv = { 0 };
	char msg[CONF_MSG_MAX];
	yaml_event_t v;
	int r;

	if (!next(w, &v))
		return;
	check_props(w, &v);
	if (v.type == YAML_ALIAS_EVENT) {
		/* reported by check_props */
	} else if (is_null(&v)) {
		diag_at(w, v.start_mark, "'%s' has no value; remove the line "
			"to use the default%s", kd->path,
			kd->type == CONF_T_LIST ? " or write []" :
			conf__empty_ok(kd)	? " or write \"\"" :
						  "");
	} else if (kd->type == CONF_T_LIST &&
		v.type == YAML_SEQUENCE_START_EVENT) {
		if (check_depth(w, &v, depth + 1)) {
			parse_list(w, kd, &nv, depth + 1);
			nv.set = true;
		}
	} else if (kd->type == CONF_T_LIST || v.type != YAML_SCALAR_EVENT) {
		diag_at(w, v.start_mark, "'%s' must be %s%s, got %s%s",
			kd->path, type_word(kd),
			kd->type == CONF_T_ENUM ? kd->choices : "",
			node_kind(&v),
			v.type == YAML_MAPPING_START_EVENT &&
					v.data.mapping_start.style ==
						YAML_BLOCK_MAPPING_STYLE ?
				" (is the next line indented too far?)" :
				"");
		skip_node(w, &v, depth + 1);
	} else if (has_control(&v)) {
		diag_at(w, v.start_mark, "'%s' must not contain control "
			"characters (newline, tab, NUL...)", kd->path);
	} else {
		r = conf__parse_scalar(kd, (const char *)v.data.scalar.value,
			&nv, msg, sizeof(msg));
		if (r == OP_ERR_NOMEM)
			w->d->nomem = true;
		else if (r != 0)
			diag_at(w, v.start_mark, "'%s' %s", kd->path, msg);
		else
			nv.set = true;
	}
	yaml_event_delete(&v);
	if (nv.set) {
		conf__value_clear(&w->c->v[idx]);
		w->c->v[idx] = nv;
	} else {
		conf__value_clear(&nv);
	}
}

/* Returns the seen-record for a section path, adding it if new (NULL if
 * out of memory; *fresh tells whether it was added). */
static struct seen *
section_seen(struct walk *w, const char *path, bool *fresh)
{
	struct seen *s;

	*fresh = false;
	for (size_t i = 0; i < w->nsections; i++)
		if (strcmp(w->sections[i].path, path) == 0)
			return &w->sections[i];
	s = realloc(w->sections, (w->nsections + 1) * sizeof(*s));
	if (s == NULL)
		return NULL;
	w->sections = s;
	s = &w->sections[w->nsections];
	if ((s->path = strdup(path)) == NULL)
		return NULL;
	w->nsections++;
	*fresh = true;
	return s;
}

static void walk_mapping(struct walk *w, const char *prefix, int depth);

/* A known section's value: a mapping, or null for an empty section. */
static void
parse_section(struct walk *w, const char *full, int depth)
{
	yaml_event_t v;

	if (!next(w, &v))
		return;
	check_props(w, &v);
	if (v.type == YAML_MAPPING_START_EVENT) {
		if (check_depth(w, &v, depth + 1))
			walk_mapping(w, full, depth + 1);
	} else if (v.type != YAML_ALIAS_EVENT && !is_null(&v)) {
		diag_at(w, v.start_mark, "'%s' is a section and must be a "
			"mapping of keys, got %s", full, node_kind(&v));
		skip_node(w, &v, depth + 1);
	}
	yaml_event_delete(&v);
}

static void
handle_key(struct walk *w, const char *prefix, const yaml_event_t *k,
	int depth)
{
	const char *key = (const char *)k->data.scalar.value;
	size_t kl = k->data.scalar.length, pl = strlen(prefix);
	const struct conf_table *t = w->c->table;
	char ex[64], sug[256];
	struct seen *first;
	char *full = NULL;
	bool fresh;
	long idx;

	check_props(w, k);
	conf__excerpt(key, kl, ex, sizeof(ex));
	if (has_control(k) || kl > KEY_MAX) {
		diag_at(w, k->start_mark, "unknown key '%s'", ex);
		skip_value(w, depth);
		return;
	}
	if ((full = malloc(pl + kl + 2)) == NULL) {
		w->d->nomem = true;
		return;
	}
	snprintf(full, pl + kl + 2, "%s%s%s", prefix, pl > 0 ? "." : "", key);
	idx = conf__find_key(t, full, strlen(full));
	if (memchr(key, '.', kl) != NULL &&
		(idx >= 0 || conf__is_section(t, full, strlen(full)))) {
		diag_at(w, k->start_mark, "dotted keys are not supported: "
			"write '%s' as nested mappings, one component per "
			"line", full);
		skip_value(w, depth);
	} else if (idx >= 0) {
		first = &w->keys[idx];
		if (first->line != 0)
			diag_at(w, k->start_mark, "duplicate key '%s' (first "
				"set at %u:%u)", full, first->line, first->col);
		else {
			first->line = line_of(k->start_mark);
			first->col = col_of(k->start_mark);
		}
		parse_leaf(w, (size_t)idx, depth);
	} else if (conf__is_section(t, full, strlen(full))) {
		if ((first = section_seen(w, full, &fresh)) == NULL) {
			w->d->nomem = true;
		} else if (!fresh) {
			diag_at(w, k->start_mark, "duplicate key '%s' (first "
				"set at %u:%u); merge the two sections", full,
				first->line, first->col);
		} else {
			first->line = line_of(k->start_mark);
			first->col = col_of(k->start_mark);
		}
		parse_section(w, full, depth);
	} else {
		const char *s = conf__suggest(t, full, sug, sizeof(sug));

		conf__excerpt(full, strlen(full), ex, sizeof(ex));
		if (s != NULL)
			diag_at(w, k->start_mark, "unknown key '%s' (did you "
				"mean '%s'?)", ex, s);
		else
			diag_at(w, k->start_mark, "unknown key '%s'", ex);
		skip_value(w, depth);
	}
	free(full);
}

/* The keys of a mapping whose start event was consumed; prefix is the
 * dotted path of the mapping ("" at the top). */
static void
walk_mapping(struct walk *w, const char *prefix, int depth)
{
	yaml_event_t k;

	while (next(w, &k)) {
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			diag_at(w, k.start_mark, "mapping keys must be plain "
				"words, got %s", node_kind(&k));
			skip_node(w, &k, depth + 1);
			skip_value(w, depth);
		} else {
			handle_key(w, prefix, &k, depth);
		}
		yaml_event_delete(&k);
	}
}

static void
walk_document(struct walk *w)
{
	yaml_event_t ev;

	if (!next(w, &ev))
		return;
	check_props(w, &ev);
	if (ev.type == YAML_MAPPING_START_EVENT) {
		walk_mapping(w, "", 1);
	} else if (ev.type != YAML_ALIAS_EVENT && !is_null(&ev)) {
		diag_at(w, ev.start_mark, "the top level must be a mapping "
			"of keys (like 'server:'), got %s", node_kind(&ev));
		skip_node(w, &ev, 1);
	}
	yaml_event_delete(&ev);
	if (next(w, &ev)) /* YAML_DOCUMENT_END_EVENT */
		yaml_event_delete(&ev);
}

/*
 * Reads every event once without looking at them: a syntax error is
 * reported alone, since what the walk would make of the lines before it
 * (a mis-indented key read as part of the value above, say) are errors
 * derived from it. Past CONF_MAX_DEPTH it stops looking: the walk
 * reports the nesting. Returns false when it reported an error (or ran
 * out of memory).
 */
static bool
syntax_ok(struct walk *w)
{
	yaml_event_t ev;
	bool end = false;
	int depth = 0;

	if (!yaml_parser_initialize(&w->p)) {
		w->d->nomem = true;
		return false;
	}
	yaml_parser_set_input_string(&w->p, (const unsigned char *)w->data,
		w->len);
	while (!end && next(w, &ev)) {
		if (ev.type == YAML_MAPPING_START_EVENT ||
			ev.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (ev.type == YAML_MAPPING_END_EVENT ||
			ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		end = ev.type == YAML_STREAM_END_EVENT ||
			depth > CONF_MAX_DEPTH;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&w->p);
	return end;
}

int
conf__yaml_parse(struct conf *c, struct conf_diagctx *d, const char *data,
	size_t len)
{
	struct walk w = { .c = c, .d = d, .data = data, .len = len };
	size_t before = d->count;
	yaml_event_t ev;

	if (data == NULL)
		w.data = data = "";
	if (!syntax_ok(&w))
		return d->nomem ? OP_ERR_NOMEM : OP_ERR_CONFIG;
	w.keys = calloc(c->table->n > 0 ? c->table->n : 1, sizeof(*w.keys));
	if (w.keys == NULL || !yaml_parser_initialize(&w.p)) {
		free(w.keys);
		return OP_ERR_NOMEM;
	}
	yaml_parser_set_input_string(&w.p, (const unsigned char *)data, len);
	while (next(&w, &ev)) {
		yaml_event_type_t type = ev.type;
		yaml_mark_t m = ev.start_mark;

		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
		if (type != YAML_DOCUMENT_START_EVENT)
			continue;
		if (w.ndocs++ > 0) {
			diag_at(&w, m, "only one YAML document is allowed "
				"(remove this '---' and what follows)");
			break;
		}
		walk_document(&w);
	}
	yaml_parser_delete(&w.p);
	for (size_t i = 0; i < w.nsections; i++)
		free(w.sections[i].path);
	free(w.sections);
	free(w.keys);
	if (d->nomem)
		return OP_ERR_NOMEM;
	return d->count > before ? OP_ERR_CONFIG : 0;
}
