/* SPDX-License-Identifier: MIT */
/*
 * `audit list`, `audit show` and `audit export` over a read-only
 * connection (audit-verify.c opens it), and the --since/--until time
 * parser. The database may have been edited by anyone who could write it,
 * so every value is printed by its actual sqlite type: text for people is
 * sanitised (no terminal control bytes), JSON output escapes everything
 * and embeds stored JSON only after audit__json_is_value() accepted it,
 * and CSV cells that a spreadsheet would run as formulas get a leading
 * apostrophe. The session summary comes from AUDIT_SESSIONS_SQL, compiled
 * into this program, never from the view stored in the file.
 */
#include "audit/audit-internal.h"
#include "audit/audit-query.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/err.h"
#include "core/time.h"

#define LIST_COLS \
	"id, start_us, end_us, peer_id, peer_name, source, path, " \
	"encrypted, kind, outcome, auth_method, consent, permissions, " \
	"denied_reason, close_reason, bytes_in, bytes_out"
enum {
	C_ID, C_START, C_END, C_PEER, C_NAME, C_SOURCE, C_PATH, C_ENC,
	C_KIND, C_OUTCOME, C_AUTH, C_CONSENT, C_PERMS, C_DENIED, C_CLOSE,
	C_IN, C_OUT, C_COUNT
};
static const char *const list_names[C_COUNT] = { "id", "start_us",
	"end_us", "peer_id", "peer_name", "source", "path", "encrypted",
	"kind", "outcome", "auth_method", "consent", "permissions",
	"denied_reason", "close_reason", "bytes_in", "bytes_out" };

#define EVENT_COLS "id, time_us, session, type, fields, prev_hash, hash"

static int
flush_buf(struct audit_buf *b, FILE *out)
{
	int e = 0;

	errno = 0;
	if (b->failed)
		e = OP_ERR_NOMEM;
	else if (b->len > 0 && fwrite(b->p, 1, b->len, out) != b->len)
		e = errno != 0 ? -errno : -EIO;
	audit__buf_reset(b);
	return e;
}

static void
fmt_time(int64_t us, bool iso, char *out, size_t size)
{
	time_t t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	long frac = (long)(us - (int64_t)t * 1000000);
	struct tm tm;

	if ((iso ? op_gmtime(&t, &tm) : op_localtime(&t, &tm)) == NULL) {
		snprintf(out, size, "?");
		return;
	}
	if (iso)
		snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	else
		snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A column for people: sanitised text, "" for NULL. */
static const char *
col_disp(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	audit__sanitize(buf, size, t, t ? (size_t)sqlite3_column_bytes(st, i) :
					  0);
	return buf;
}

static void
col_time_disp(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
		fmt_time(sqlite3_column_int64(st, i), false, buf, size);
	else
		snprintf(buf, size, "%s",
			sqlite3_column_type(st, i) == SQLITE_NULL ? "-" : "?");
}

/* A column as a JSON value by its actual type. */
static void
col_json(struct audit_buf *b, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		audit__buf_printf(b, "%lld",
			(long long)sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, i);

		/* isfinite, but mingw's macro trips -Wfloat-conversion */
		if (fabs(d) <= DBL_MAX)
			audit__buf_printf(b, "%.17g", d);
		else
			audit__buf_puts(b, "null");
		break;
	}
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const char *t = (const char *)sqlite3_column_text(st, i);

		audit__buf_json_str(b, t != NULL ? t : "",
			(size_t)sqlite3_column_bytes(st, i));
		break;
	}
	default:
		audit__buf_puts(b, "null");
	}
}

/* Stored JSON text embedded as is when it is valid JSON, else a string. */
static void
col_json_embed(struct audit_buf *b, sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (sqlite3_column_type(st, i) == SQLITE_TEXT && t != NULL &&
		audit__json_is_value(t, n))
		audit__buf_put(b, t, n);
	else
		col_json(b, st, i);
}

static void
col_time_json(struct audit_buf *b, sqlite3_stmt *st, int i)
{
	char t[40];

	if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
		audit__buf_puts(b, "null");
		return;
	}
	fmt_time(sqlite3_column_int64(st, i), true, t, sizeof(t));
	audit__buf_printf(b, "\"%s\"", t);
}

static void
bind_filter(sqlite3_stmt *st, const struct audit_filter *f)
{
	if (f != NULL && f->has_since)
		sqlite3_bind_int64(st, 1, f->since_us);
	if (f != NULL && f->has_until)
		sqlite3_bind_int64(st, 2, f->until_us);
	if (f != NULL && f->peer != NULL)
		sqlite3_bind_text(st, 3, f->peer, -1, SQLITE_STATIC);
}

static void
session_json(struct audit_buf *b, sqlite3_stmt *st)
{
	audit__buf_puts(b, "{\"id\":");
	col_json(b, st, C_ID);
	audit__buf_puts(b, ",\"start\":");
	col_time_json(b, st, C_START);
	audit__buf_puts(b, ",\"end\":");
	col_time_json(b, st, C_END);
	for (int i = C_START; i < C_COUNT; i++) {
		audit__buf_printf(b, ",\"%s\":", list_names[i]);
		if (i == C_PERMS)
			col_json_embed(b, st, i);
		else if (i == C_ENC && sqlite3_column_type(st, i) ==
				SQLITE_INTEGER)
			audit__buf_puts(b, sqlite3_column_int64(st, i) ?
					"true" :
					"false");
		else
			col_json(b, st, i);
	}
	audit__buf_puts(b, "}");
}

static void
session_line(struct audit_buf *b, sqlite3_stmt *st)
{
	char start[32], end[32], peer[24], name[24], src[48], path[16],
		res[48], auth[24], close[48];
	const char *outcome = (const char *)sqlite3_column_text(st, C_OUTCOME);

	col_time_disp(st, C_START, start, sizeof(start));
	col_time_disp(st, C_END, end, sizeof(end));
	if (outcome != NULL && strcmp(outcome, "denied") == 0) {
		char d[40];

		snprintf(res, sizeof(res), "denied:%s",
			col_disp(st, C_DENIED, d, sizeof(d)));
	} else {
		col_disp(st, C_OUTCOME, res, sizeof(res));
		if (res[0] == '\0')
			snprintf(res, sizeof(res), "-");
	}
	audit__buf_printf(b, "%-7lld  %-19s  %-19s  %-12s  %-14s  %-21s  "
			     "%-12s  %-24s  %-18s  %s\n",
		(long long)sqlite3_column_int64(st, C_ID), start, end,
		col_disp(st, C_PEER, peer, sizeof(peer)),
		col_disp(st, C_NAME, name, sizeof(name)),
		col_disp(st, C_SOURCE, src, sizeof(src)),
		col_disp(st, C_PATH, path, sizeof(path)), res,
		col_disp(st, C_AUTH, auth, sizeof(auth)),
		col_disp(st, C_CLOSE, close, sizeof(close)));
}

int
audit_list_sessions(struct audit_reader *r, const struct audit_filter *f,
	bool json, FILE *out)
{
	sqlite3 *db = audit__reader_db(r);
	struct audit_buf b;
	sqlite3_stmt *st = NULL;
	unsigned n = 0;
	int rc, e = 0;

	rc = sqlite3_prepare_v2(db,
		"SELECT " LIST_COLS " FROM (" AUDIT_SESSIONS_SQL ") WHERE "
		"(?1 IS NULL OR end_us IS NULL OR end_us >= ?1) AND "
		"(?2 IS NULL OR start_us < ?2) AND "
		"(?3 IS NULL OR peer_id = ?3) ORDER BY id",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return audit__sqlite_err(rc);
	bind_filter(st, f);
	audit__buf_init(&b, 1u << 22);
	if (json)
		audit__buf_puts(&b, "[");
	else
		audit__buf_printf(&b, "%-7s  %-19s  %-19s  %-12s  %-14s  "
				      "%-21s  %-12s  %-24s  %-18s  %s\n",
			"SESSION", "START", "END", "PEER", "NAME", "SOURCE",
			"PATH", "RESULT", "AUTH", "CLOSE");
	while (e == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json) {
			audit__buf_puts(&b, n ? ",\n" : "\n");
			session_json(&b, st);
		} else {
			session_line(&b, st);
		}
		n++;
		e = flush_buf(&b, out);
	}
	if (json)
		audit__buf_puts(&b, n ? "\n]\n" : "]\n");
	if (e == 0)
		e = flush_buf(&b, out);
	audit__buf_free(&b);
	sqlite3_finalize(st);
	return e != 0 ? e : rc == SQLITE_DONE ? 0 : audit__sqlite_err(rc);
}

static void
event_json(struct audit_buf *b, sqlite3_stmt *st)
{
	audit__buf_puts(b, "{\"id\":");
	col_json(b, st, 0);
	audit__buf_puts(b, ",\"time\":");
	col_time_json(b, st, 1);
	audit__buf_puts(b, ",\"time_us\":");
	col_json(b, st, 1);
	audit__buf_puts(b, ",\"session\":");
	col_json(b, st, 2);
	audit__buf_puts(b, ",\"type\":");
	col_json(b, st, 3);
	audit__buf_puts(b, ",\"fields\":");
	col_json_embed(b, st, 4);
	audit__buf_puts(b, ",\"prev_hash\":");
	col_json(b, st, 5);
	audit__buf_puts(b, ",\"hash\":");
	col_json(b, st, 6);
	audit__buf_puts(b, "}");
}

/* One CSV cell: numbers plain, text quoted, formula starts defused. */
static void
csv_cell(struct audit_buf *b, sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	char *clean;

	if (sqlite3_column_type(st, i) == SQLITE_INTEGER) {
		audit__buf_printf(b, "%lld",
			(long long)sqlite3_column_int64(st, i));
		return;
	}
	if (t == NULL)
		return;
	if ((clean = malloc(n + 1)) == NULL) {
		b->failed = true;
		return;
	}
	audit__sanitize(clean, n + 1, t, n);
	audit__buf_put(b, "\"", 1);
	if (strchr("=+-@", clean[0]) != NULL && clean[0] != '\0')
		audit__buf_put(b, "'", 1);
	for (const char *p = clean; *p != '\0'; p++) {
		if (*p == '"')
			audit__buf_put(b, "\"", 1);
		audit__buf_put(b, p, 1);
	}
	audit__buf_put(b, "\"", 1);
	free(clean);
}

static void
event_csv(struct audit_buf *b, sqlite3_stmt *st)
{
	char t[40] = "";

	csv_cell(b, st, 0);
	if (sqlite3_column_type(st, 1) == SQLITE_INTEGER)
		fmt_time(sqlite3_column_int64(st, 1), true, t, sizeof(t));
	audit__buf_printf(b, ",%s,", t);
	for (int i = 1; i <= 6; i++) {
		csv_cell(b, st, i);
		audit__buf_puts(b, i < 6 ? "," : "\r\n");
	}
}

int
audit_export(struct audit_reader *r, const struct audit_filter *f,
	enum audit_export_format fmt, FILE *out)
{
	sqlite3 *db = audit__reader_db(r);
	struct audit_buf b;
	sqlite3_stmt *st = NULL;
	int rc, e = 0;

	rc = sqlite3_prepare_v2(db,
		"SELECT " EVENT_COLS " FROM events WHERE "
		"(?1 IS NULL OR time_us >= ?1) AND "
		"(?2 IS NULL OR time_us < ?2) AND "
		"(?3 IS NULL OR session IN (SELECT id FROM ("
		AUDIT_SESSIONS_SQL ") WHERE peer_id = ?3)) ORDER BY id",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return audit__sqlite_err(rc);
	bind_filter(st, f);
	audit__buf_init(&b, 1u << 22);
	if (fmt == AUDIT_EXPORT_CSV)
		audit__buf_puts(&b, "id,time,time_us,session,type,fields,"
				    "prev_hash,hash\r\n");
	while (e == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fmt == AUDIT_EXPORT_CSV) {
			event_csv(&b, st);
		} else {
			event_json(&b, st);
			audit__buf_puts(&b, "\n");
		}
		e = flush_buf(&b, out);
	}
	if (e == 0)
		e = flush_buf(&b, out);
	audit__buf_free(&b);
	sqlite3_finalize(st);
	return e != 0 ? e : rc == SQLITE_DONE ? 0 : audit__sqlite_err(rc);
}

static void
show_text(struct audit_buf *b, sqlite3_stmt *st)
{
	char v1[AUDIT_TEXT_MAX], v2[AUDIT_TEXT_MAX], v3[64], t1[32], t2[32];

	audit__buf_printf(b, "session %lld\n",
		(long long)sqlite3_column_int64(st, C_ID));
	audit__buf_printf(b, "  peer:         %s \"%s\"\n",
		col_disp(st, C_PEER, v1, sizeof(v1)),
		col_disp(st, C_NAME, v2, sizeof(v2)));
	audit__buf_printf(b, "  source:       %s via %s (%s)\n",
		col_disp(st, C_SOURCE, v1, sizeof(v1)),
		col_disp(st, C_PATH, v2, sizeof(v2)),
		sqlite3_column_int64(st, C_ENC) ? "encrypted" :
						  "not encrypted");
	audit__buf_printf(b, "  kind:         %s\n",
		col_disp(st, C_KIND, v1, sizeof(v1)));
	col_disp(st, C_OUTCOME, v1, sizeof(v1));
	if (strcmp(v1, "authorized") == 0)
		audit__buf_printf(b,
			"  outcome:      authorized (%s, consent %s)\n",
			col_disp(st, C_AUTH, v2, sizeof(v2)),
			col_disp(st, C_CONSENT, v3, sizeof(v3)));
	else if (strcmp(v1, "denied") == 0)
		audit__buf_printf(b, "  outcome:      denied: %s (tried %s)\n",
			col_disp(st, C_DENIED, v2, sizeof(v2)),
			col_disp(st, C_AUTH, v3, sizeof(v3)));
	else
		audit__buf_puts(b, "  outcome:      none recorded\n");
	audit__buf_printf(b, "  permissions:  %s\n",
		col_disp(st, C_PERMS, v1, sizeof(v1)));
	col_time_disp(st, C_START, t1, sizeof(t1));
	col_time_disp(st, C_END, t2, sizeof(t2));
	audit__buf_printf(b, "  start:        %s\n  end:          %s (%s)\n",
		t1, t2, col_disp(st, C_CLOSE, v1, sizeof(v1)));
	audit__buf_printf(b, "  bytes:        in %s, out %s\n",
		col_disp(st, C_IN, v1, sizeof(v1)),
		col_disp(st, C_OUT, v2, sizeof(v2)));
}

int
audit_show_session(struct audit_reader *r, int64_t session, bool json,
	FILE *out)
{
	sqlite3 *db = audit__reader_db(r);
	struct audit_buf b;
	sqlite3_stmt *st = NULL;
	unsigned n = 0;
	bool summary = false;
	int rc, e = 0;

	audit__buf_init(&b, 1u << 22);
	rc = sqlite3_prepare_v2(db,
		"SELECT " LIST_COLS " FROM (" AUDIT_SESSIONS_SQL
		") WHERE id = ?",
		-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, session);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			summary = true;
			if (json) {
				audit__buf_puts(&b, "{\"session\":");
				session_json(&b, st);
			} else {
				show_text(&b, st);
			}
			rc = SQLITE_DONE;
		} else if (json) {
			audit__buf_puts(&b, "{\"session\":null");
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		audit__buf_free(&b);
		return audit__sqlite_err(rc);
	}
	audit__buf_puts(&b, json ? ",\"events\":[" : "events:\n");
	rc = sqlite3_prepare_v2(db,
		"SELECT " EVENT_COLS
		" FROM events WHERE session = ? ORDER BY id",
		-1, &st, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_int64(st, 1, session);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char t[32], ty[AUDIT_TYPE_MAX + 1], *fl;
		size_t fn = (size_t)sqlite3_column_bytes(st, 4);

		if (json) {
			audit__buf_puts(&b, n ? ",\n" : "\n");
			event_json(&b, st);
		} else if ((fl = malloc(fn + 1)) != NULL) {
			col_time_disp(st, 1, t, sizeof(t));
			audit__buf_printf(&b, "  events#%-6lld %s  %-20s %s\n",
				(long long)sqlite3_column_int64(st, 0), t,
				col_disp(st, 3, ty, sizeof(ty)),
				col_disp(st, 4, fl, fn + 1));
			free(fl);
		}
		n++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	audit__buf_puts(&b, json ? "\n]}\n" : "");
	if (rc == SQLITE_DONE && !summary && n == 0)
		e = OP_ERR_NOT_FOUND;
	else if (rc != SQLITE_DONE)
		e = audit__sqlite_err(rc);
	else
		e = flush_buf(&b, out);
	audit__buf_free(&b);
	return e;
}

/* ---- --since / --until ---- */

/* Parses exactly n digits at *p; advances. */
static bool
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static int
parse_relative(const char *s, int64_t now_us, int64_t *out)
{
	int64_t total = 0;

	if (*s == '\0')
		return OP_ERR_RANGE;
	while (*s != '\0') {
		int64_t v = 0, unit;

		if (*s < '0' || *s > '9')
			return OP_ERR_RANGE;
		while (*s >= '0' && *s <= '9') {
			if (v > 100000000)
				return OP_ERR_RANGE;
			v = v * 10 + (*s++ - '0');
		}
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return OP_ERR_RANGE;
		}
		total += v * unit;
		if (total > (int64_t)200 * 365 * 86400)
			return OP_ERR_RANGE;
	}
	*out = now_us - total * 1000000;
	return 0;
}

int
audit_parse_time(const char *s, int64_t now_us, int64_t *out_us)
{
	struct tm tm = { 0 };
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	long frac = 0;
	bool zone = false;
	int sign = 1;
	time_t t;

	*out_us = 0;
	if (s == NULL)
		return OP_ERR_RANGE;
	if (strlen(s) < 10 || s[4] != '-')
		return parse_relative(s, now_us, out_us);
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
		*p++ != '-' || !digits(&p, 2, &d))
		return OP_ERR_RANGE;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return OP_ERR_RANGE;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return OP_ERR_RANGE;
			if (*p == '.' || *p == ',') {
				long scale = 100000;

				if (*++p < '0' || *p > '9')
					return OP_ERR_RANGE;
				for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
					frac += (*p - '0') * scale;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			zone = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			zone = true;
			if (!digits(&p, 2, &oh))
				return OP_ERR_RANGE;
			if (*p == ':')
				p++;
			if (*p != '\0' && !digits(&p, 2, &om))
				return OP_ERR_RANGE;
		}
	}
	if (*p != '\0' || y < 1970 || y > 9999 || mo < 1 || mo > 12 ||
		d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
		om > 59)
		return OP_ERR_RANGE;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = zone ? op_timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return OP_ERR_RANGE; /* e.g. February 30 */
	t -= sign * (oh * 3600 + om * 60);
	*out_us = (int64_t)t * 1000000 + frac;
	return 0;
}
