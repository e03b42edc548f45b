/* SPDX-License-Identifier: MIT */
/*
 * The rules object: defaults, reference counting, list items (parsed with
 * policy-match.c and, for the schedule, compiled into a minute-of-the-week
 * bitmap), and the names used in messages.
 *
 * Must not: accept an item its parser refuses, or let a list grow without
 * bound (4096 items per list; conf allows far fewer).
 */
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "policy/policy-internal.h"

#define WEEK_MINUTES (7 * 1440)

static const char *const list_names[] = {
	[POLICY_LIST_DIRECT_ALLOW_FROM] = "direct_access.allow_from",
	[POLICY_LIST_ALLOW_FROM] = "policy.peers.allow_from",
	[POLICY_LIST_ALLOW_IDS] = "policy.peers.allow_ids",
	[POLICY_LIST_DENY_IDS] = "policy.peers.deny_ids",
	[POLICY_LIST_SCHEDULE] = "policy.schedule",
};

const char *
policy_list_name(enum policy_list_id id)
{
	if ((unsigned)id >= sizeof(list_names) / sizeof(list_names[0]))
		return "?";
	return list_names[id];
}

static struct policy_list *
list_of(struct policy_rules *r, enum policy_list_id id)
{
	switch (id) {
	case POLICY_LIST_DIRECT_ALLOW_FROM:
		return &r->direct_allow_from;
	case POLICY_LIST_ALLOW_FROM:
		return &r->allow_from;
	case POLICY_LIST_ALLOW_IDS:
		return &r->allow_ids;
	case POLICY_LIST_DENY_IDS:
		return &r->deny_ids;
	case POLICY_LIST_SCHEDULE:
		return &r->schedule;
	}
	return NULL;
}

static void
list_clear(struct policy_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
week_set(uint8_t *week, unsigned from, unsigned to)
{
	for (unsigned m = from; m < to; m++) {
		unsigned b = m % WEEK_MINUTES;

		week[b / 8] |= (uint8_t)(1u << (b % 8));
	}
}

bool
policy__week_get(const uint8_t *week, unsigned m)
{
	m %= WEEK_MINUTES;
	return (week[m / 8] >> (m % 8)) & 1u;
}

/* Adds window w to the minute-of-the-week bitmap. */
static void
week_add(uint8_t *week, const struct policy_window *w)
{
	for (unsigned d = 0; d < 7; d++) {
		unsigned base = d * 1440;

		if (!(w->days & (1u << d)))
			continue;
		if (w->start < w->end) {
			week_set(week, base + w->start, base + w->end);
		} else {
			week_set(week, base + w->start, base + 1440);
			week_set(week, base + 1440, base + 1440 + w->end);
		}
	}
}

struct policy_rules *
policy_rules_new(void)
{
	struct policy_rules *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	atomic_init(&r->refs, 1);
	r->approve = POLICY_APPROVE_PASSWORD;
	r->verification = POLICY_VERIFY_BOTH;
	r->require_encryption = true;
	r->direct_enabled = true;
	r->when_user_present = POLICY_CONSENT_ASK;
	r->when_no_user = POLICY_CONSENT_ALLOW;
	r->consent_timeout_s = 30;
	r->allow = POLICY_PERM_KEYBOARD | POLICY_PERM_CLIPBOARD |
		POLICY_PERM_RECORDING;
	r->implemented = POLICY_PERM_ALL;
	r->max_sessions = 4;
	r->max_duration_s = 0;
	r->idle_timeout_s = 30 * 60;
	if (policy_rules_add(r, POLICY_LIST_DIRECT_ALLOW_FROM, "127.0.0.0/8",
		    NULL, 0) != 0 ||
		policy_rules_add(r, POLICY_LIST_DIRECT_ALLOW_FROM, "::1/128",
			NULL, 0) != 0) {
		policy_rules_unref(r);
		return NULL;
	}
	return r;
}

struct policy_rules *
policy_rules_ref(struct policy_rules *self)
{
	if (self != NULL)
		atomic_fetch_add(&self->refs, 1);
	return self;
}

void
policy_rules_unref(struct policy_rules *self)
{
	if (self == NULL || atomic_fetch_sub(&self->refs, 1) != 1)
		return;
	list_clear(&self->direct_allow_from);
	list_clear(&self->allow_from);
	list_clear(&self->allow_ids);
	list_clear(&self->deny_ids);
	list_clear(&self->schedule);
	free(self);
}

void
policy_rules_clear(struct policy_rules *self, enum policy_list_id id)
{
	struct policy_list *l = list_of(self, id);

	if (l == NULL)
		return;
	list_clear(l);
	if (id == POLICY_LIST_SCHEDULE)
		memset(self->week, 0, sizeof(self->week));
}

int
policy_rules_add(struct policy_rules *self, enum policy_list_id id,
	const char *text, char *err, size_t errsz)
{
	struct policy_list *l = list_of(self, id);
	struct policy_item it = { 0 }, *v;
	int r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (l == NULL)
		return OP_ERR_INTERNAL;
	switch (id) {
	case POLICY_LIST_DIRECT_ALLOW_FROM:
	case POLICY_LIST_ALLOW_FROM:
		r = policy_cidr_parse(text, &it.u.cidr, err, errsz);
		break;
	case POLICY_LIST_ALLOW_IDS:
	case POLICY_LIST_DENY_IDS:
		r = policy_glob_check(text, err, errsz);
		break;
	case POLICY_LIST_SCHEDULE:
		r = policy_window_parse(text, &it.u.window, err, errsz);
		break;
	default:
		return OP_ERR_INTERNAL;
	}
	if (r != 0)
		return r;
	if (l->n >= 4096)
		return OP_ERR_TOO_LARGE;
	if ((it.text = strdup(text)) == NULL)
		return OP_ERR_NOMEM;
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(it.text);
		return OP_ERR_NOMEM;
	}
	if (id == POLICY_LIST_ALLOW_IDS || id == POLICY_LIST_DENY_IDS)
		for (char *c = it.text; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	if (id == POLICY_LIST_SCHEDULE)
		week_add(self->week, &it.u.window);
	l->v = v;
	l->v[l->n++] = it;
	return 0;
}

/* ---- Names ---- */

const char *
policy_verdict_name(enum policy_verdict v)
{
	switch (v) {
	case POLICY_DENY:
		return "deny";
	case POLICY_ALLOW:
		return "allow";
	case POLICY_ASK:
		return "ask";
	}
	return "?";
}

static const char *const kind_names[POLICY_KIND_COUNT_] = {
	[POLICY_KIND_DESKTOP] = "desktop",
	[POLICY_KIND_FILE_TRANSFER] = "file-transfer",
	[POLICY_KIND_TERMINAL] = "terminal",
	[POLICY_KIND_PORT_FORWARD] = "port-forward",
	[POLICY_KIND_CAMERA] = "camera",
};

const char *
policy_kind_name(enum policy_kind k)
{
	return (unsigned)k < POLICY_KIND_COUNT_ ? kind_names[k] : "?";
}

const char *
policy_auth_name(enum policy_auth a)
{
	switch (a) {
	case POLICY_AUTH_NONE:
		return "none";
	case POLICY_AUTH_PASSWORD:
		return "password";
	case POLICY_AUTH_CLICK:
		return "click";
	case POLICY_AUTH_PASSWORD_OR_CLICK:
		return "password-or-click";
	case POLICY_AUTH_PASSWORD_AND_CLICK:
		return "password-and-click";
	}
	return "?";
}

static const struct {
	uint32_t bit;
	const char *name;
} perm_names[] = {
	{ POLICY_PERM_KEYBOARD, "keyboard" },
	{ POLICY_PERM_CLIPBOARD, "clipboard" },
	{ POLICY_PERM_AUDIO, "audio" },
	{ POLICY_PERM_FILE, "file" },
	{ POLICY_PERM_RESTART, "restart" },
	{ POLICY_PERM_RECORDING, "recording" },
	{ POLICY_PERM_BLOCK_INPUT, "block-input" },
	{ POLICY_PERM_PRIVACY_MODE, "privacy-mode" },
	{ POLICY_PERM_TERMINAL, "terminal" },
	{ POLICY_PERM_PORT_FORWARD, "port-forward" },
	{ POLICY_PERM_CAMERA, "camera" },
};

const char *
policy_perm_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(perm_names) / sizeof(perm_names[0]); i++)
		if (perm_names[i].bit == bit)
			return perm_names[i].name;
	return NULL;
}

void
policy_perms_format(uint32_t perms, char *buf, size_t bufsz)
{
	size_t o = 0;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(perm_names) / sizeof(perm_names[0]);
		i++) {
		int n;

		if (!(perms & perm_names[i].bit))
			continue;
		n = snprintf(buf + o, bufsz - o, "%s%s", o > 0 ? " " : "",
			perm_names[i].name);
		if (n < 0 || (size_t)n >= bufsz - o)
			return;
		o += (size_t)n;
	}
	if (o == 0)
		snprintf(buf, bufsz, "-");
}
