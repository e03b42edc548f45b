/* SPDX-License-Identifier: MIT */
/*
 * What the audit tests of every system share (test-audit*.c here,
 * tests/windows/test-audit-win.c): their trail options and the reader
 * calls whose output they capture. Portable: no POSIX calls.
 */
#ifndef OP_TESTS_TH_AUDIT_H
#define OP_TESTS_TH_AUDIT_H

#include <stdio.h>
#include <string.h>

#include "audit/audit-query.h"
#include "audit/audit.h"

/* A quiet-mirror trail in dir for a made-up host. */
static inline void
th_audit_opts(struct audit_opts *o, const char *dir)
{
	memset(o, 0, sizeof(*o));
	o->state_dir = dir;
	o->host_id = "123456789";
	o->host_uuid = "0123456789abcdef0123456789abcdef";
	o->mirror = AUDIT_MIRROR_NONE;
}

enum th_audit_read {
	TH_AUDIT_LIST,      /* sessions, for people */
	TH_AUDIT_LIST_JSON, /* sessions, JSON */
	TH_AUDIT_SHOW,      /* one session (arg), for people */
	TH_AUDIT_JSONL,     /* export, JSON lines */
	TH_AUDIT_CSV,       /* export, CSV */
};

/* Opens the trail in dir for reading and writes what asks for to f;
 * the reader's result. */
static inline int
th_audit_read(const char *dir, enum th_audit_read what, int64_t arg,
	FILE *f)
{
	struct audit_reader *r = NULL;
	int e = audit_reader_open(dir, &r, NULL, 0);

	if (e == 0 && what == TH_AUDIT_LIST)
		e = audit_list_sessions(r, NULL, false, f);
	else if (e == 0 && what == TH_AUDIT_LIST_JSON)
		e = audit_list_sessions(r, NULL, true, f);
	else if (e == 0 && what == TH_AUDIT_SHOW)
		e = audit_show_session(r, arg, false, f);
	else if (e == 0 && what == TH_AUDIT_JSONL)
		e = audit_export(r, NULL, AUDIT_EXPORT_JSONL, f);
	else if (e == 0 && what == TH_AUDIT_CSV)
		e = audit_export(r, NULL, AUDIT_EXPORT_CSV, f);
	audit_reader_free(r);
	return e;
}

#endif
