/* SPDX-License-Identifier: MIT */
/*
 * Reading the audit trail: list, show, export and verify, for `outpost
 * audit ...`. The database is opened read-only (the daemon may be writing
 * at the same time, or not running at all) and treated as untrusted: it
 * may have been edited by anyone who could write the file, which is what
 * verify is for. Every value is type-checked, text is escaped on output
 * (terminal control bytes, invalid UTF-8, CSV formulas), and the queries
 * never use views, triggers or functions defined in the file.
 */
#ifndef OP_AUDIT_AUDIT_QUERY_H
#define OP_AUDIT_AUDIT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct audit_reader;

/*
 * Opens <state_dir>/audit.db read-only. Returns 0 and *out, -ENOENT (no
 * trail yet), -EACCES, OP_ERR_PROTO (not an audit database) or another
 * negative code; why (may be NULL) gets a sentence.
 */
int audit_reader_open(const char *state_dir, struct audit_reader **out,
	char *why, size_t why_size);
/* NULL is a no-op. */
void audit_reader_free(struct audit_reader *self);

/* Filters for list and export; zero-initialise. */
struct audit_filter {
	bool has_since;
	bool has_until;
	int64_t since_us; /* records/sessions at or after */
	int64_t until_us; /* before */
	const char *peer; /* exact peer ID; NULL = any */
};

/*
 * Sessions (from the session.* events), oldest first: a table for people,
 * or with json a JSON array of objects. Returns 0 or a negative code.
 */
int audit_list_sessions(struct audit_reader *self,
	const struct audit_filter *f, bool json, FILE *out);

/* One session and all its events. Returns 0, OP_ERR_NOT_FOUND or an
 * error. */
int audit_show_session(struct audit_reader *self, int64_t session,
	bool json, FILE *out);

enum audit_export_format {
	AUDIT_EXPORT_JSONL, /* one JSON object per event */
	AUDIT_EXPORT_CSV,   /* RFC 4180 with a header line */
};

/* Every event (filtered by time; peer filters sessions' events), with
 * prev_hash and hash so the export can be verified elsewhere. */
int audit_export(struct audit_reader *self, const struct audit_filter *f,
	enum audit_export_format fmt, FILE *out);

struct audit_verify_result {
	uint64_t rows;       /* rows read */
	uint64_t problems;   /* 0 = intact */
	int64_t first_id;    /* lowest row id, 0 if none */
	int64_t last_id;     /* the head */
	char head_hash[65];  /* "" if none */
	char first_problem[160];
	/* audit.discontinuity records (each also counted in problems):
	 * records the writer could not write, or a tail changed under it. */
	uint64_t discontinuities;
	uint64_t lost;       /* records they say were lost */
};

/*
 * Walks the chain and writes one line per problem to report (at most 50,
 * then a count): "row events#17: hash mismatch (edited)", "rows 12-13
 * missing (deleted)", "events#40: 3 records lost between ... and ...
 * (database is locked)" (an audit.discontinuity: a hash chain of what
 * was written cannot show what never was, so the writer says so), ....
 * Also runs sqlite's quick_check. Returns 0 with
 * *res filled (res->problems says whether the trail is intact), or a
 * negative code when the file cannot be read at all.
 */
int audit_verify(struct audit_reader *self, FILE *report,
	struct audit_verify_result *res);

/*
 * Parses a time for --since/--until: ISO 8601 ("2026-11-24T10:00:00Z",
 * with an optional fraction and a Z or ±hh:mm offset; without one it is
 * local time), "2026-11-24 10:00[:ss]", "2026-11-24", or a duration
 * before now_us ("90s", "30m", "1h", "7d", "2w", "1h30m"). Returns 0 and
 * *out_us (microseconds since the epoch) or OP_ERR_RANGE.
 */
int audit_parse_time(const char *s, int64_t now_us, int64_t *out_us);

#endif
