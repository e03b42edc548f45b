/* SPDX-License-Identifier: MIT */
/*
 * The cross-built libraries that no ported module uses yet (zstd,
 * sqlite3) and mbedtls' hashing, linked statically and run under wine:
 * known answers, so a broken build of one of them fails here first.
 */
#include <string.h>

#include <mbedtls/sha256.h>
#include <sqlite3.h>
#include <zstd.h>

#include "th.h"

static void
test_zstd_roundtrip(void)
{
	static uint8_t src[100000], z[110000], back[100000];
	size_t n, m;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i % 251 < 200 ? 'a' : i);
	n = ZSTD_compress(z, sizeof(z), src, sizeof(src), 3);
	ASSERT(!ZSTD_isError(n));
	ASSERT(n < sizeof(src) / 10);
	m = ZSTD_decompress(back, sizeof(back), z, n);
	ASSERT(!ZSTD_isError(m));
	ASSERT_INT_EQ(m, sizeof(src));
	ASSERT_MEM_EQ(back, src, m);
}

static void
test_sqlite_query(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	ASSERT_INT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
	ASSERT_INT_EQ(sqlite3_exec(db,
			      "create table t(k integer primary key, v text);"
			      "insert into t(v) values('x'),('yy'),('zzz');",
			      NULL, NULL, NULL),
		SQLITE_OK);
	ASSERT_INT_EQ(sqlite3_prepare_v2(db,
			      "select count(*), sum(length(v)) from t", -1,
			      &st, NULL),
		SQLITE_OK);
	ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
	ASSERT_INT_EQ(sqlite3_column_int(st, 0), 3);
	ASSERT_INT_EQ(sqlite3_column_int(st, 1), 6);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* FIPS 180-2's "abc". */
static void
test_mbedtls_sha256(void)
{
	static const uint8_t want[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01,
		0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10,
		0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	uint8_t got[32];

	ASSERT_INT_EQ(mbedtls_sha256_ret((const uint8_t *)"abc", 3, got, 0), 0);
	ASSERT_MEM_EQ(got, want, sizeof(want));
}

int
main(void)
{
	RUN(test_zstd_roundtrip);
	RUN(test_sqlite_query);
	RUN(test_mbedtls_sha256);
	return th_done();
}
