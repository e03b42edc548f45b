/* SPDX-License-Identifier: MIT */
/*
 * The policy parsers and matchers, table-driven: CIDR networks (v4, v6,
 * /0, /32, /128, IPv4-mapped, malformed), ID globs, schedule windows
 * (weekday ranges, wrapping ranges, overnight windows).
 */
#include <stdlib.h>
#include <string.h>

#include "core/netaddr.h"
#include "core/err.h"
#include "policy/policy.h"
#include "th.h"
#include "th-net.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))


static void
test_cidr_parse(void)
{
	static const struct {
		const char *s;
		int ok, family, prefix;
	} t[] = {
		{ "10.0.0.0/8", 1, 4, 8 },
		{ "10.1.2.3", 1, 4, 32 },
		{ "10.1.2.3/32", 1, 4, 32 },
		{ "0.0.0.0/0", 1, 4, 0 },
		{ "::/0", 1, 6, 0 },
		{ "::1/128", 1, 6, 128 },
		{ "::1", 1, 6, 128 },
		{ "fd00::/8", 1, 6, 8 },
		{ "2001:db8::/32", 1, 6, 32 },
		{ "::ffff:10.0.0.0/104", 1, 4, 8 }, /* mapped: stored as v4 */
		{ "10.0.0.1/8", 0, 0, 0 },          /* host bits set */
		{ "fd00::1/8", 0, 0, 0 },
		{ "10.0.0.0/33", 0, 0, 0 },
		{ "::/129", 0, 0, 0 },
		{ "10.0.0.0/08", 0, 0, 0 },
		{ "10.0.0.0/", 0, 0, 0 },
		{ "10.0.0.0/8/8", 0, 0, 0 },
		{ "10.0.0/8", 0, 0, 0 },
		{ "010.0.0.0/8", 0, 0, 0 },
		{ "256.0.0.0/8", 0, 0, 0 },
		{ "10.0.0.0/-1", 0, 0, 0 },
		{ "10.0.0.0/+8", 0, 0, 0 },
		{ " 10.0.0.0/8", 0, 0, 0 },
		{ "fe80::1%eth0", 0, 0, 0 },
		{ "1::2::3", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ "localhost", 0, 0, 0 },
		{ "10.0.0.0/1000", 0, 0, 0 },
	};
	char err[POLICY_ERR_MAX];

	for (size_t i = 0; i < N(t); i++) {
		struct policy_cidr c;
		int r = policy_cidr_parse(t[i].s, &c, err, sizeof(err));

		if ((r == 0) != (t[i].ok != 0))
			TH_FAIL("cidr '%s': r=%d err=%s", t[i].s, r, err);
		if (r == 0 && (c.family != t[i].family ||
				      c.prefix != t[i].prefix))
			TH_FAIL("cidr '%s': family %d prefix %d", t[i].s,
				c.family, c.prefix);
		if (r != 0 && err[0] == '\0')
			TH_FAIL("cidr '%s': no message", t[i].s);
	}
	ASSERT_INT_EQ(policy_cidr_parse("10.0.0.1/8", &(struct policy_cidr){ 0 },
			      err, sizeof(err)),
		OP_ERR_CONFIG);
	ASSERT_STR_CONTAINS(err, "did you mean 10.0.0.0/8?");
}

static void
test_cidr_match(void)
{
	static const struct {
		const char *cidr, *addr;
		bool match;
	} t[] = {
		{ "10.0.0.0/8", "10.255.1.2", true },
		{ "10.0.0.0/8", "11.0.0.1", false },
		{ "10.0.0.0/8", "::ffff:10.1.2.3", true }, /* dual stack */
		{ "10.1.2.3/32", "10.1.2.3", true },
		{ "10.1.2.3/32", "10.1.2.4", false },
		{ "0.0.0.0/0", "192.0.2.1", true },
		{ "0.0.0.0/0", "2001:db8::1", false }, /* families apart */
		{ "::/0", "2001:db8::1", true },
		{ "::/0", "192.0.2.1", false },
		{ "::/0", "::ffff:192.0.2.1", false }, /* mapped is IPv4 */
		{ "::1/128", "::1", true },
		{ "::1/128", "::2", false },
		{ "127.0.0.0/8", "127.0.0.53", true },
		{ "192.168.0.0/23", "192.168.1.255", true },
		{ "192.168.0.0/23", "192.168.2.0", false },
		{ "2001:db8:1::/48", "2001:db8:1:ffff::1", true },
		{ "2001:db8:1::/48", "2001:db8:2::1", false },
		{ "2001:db8::/33", "2001:db8:7fff::1", true },
		{ "2001:db8::/33", "2001:db8:8000::1", false },
		{ "::ffff:10.0.0.0/104", "10.9.9.9", true },
	};
	struct sockaddr_storage ss;

	for (size_t i = 0; i < N(t); i++) {
		struct policy_cidr c;

		ASSERT_INT_EQ(policy_cidr_parse(t[i].cidr, &c, NULL, 0), 0);
		if (policy_cidr_match(&c, th_addr(t[i].addr, &ss)) != t[i].match)
			TH_FAIL("%s in %s: expected %d", t[i].addr, t[i].cidr,
				t[i].match);
	}
	{
		struct policy_cidr c;

		ASSERT_INT_EQ(policy_cidr_parse("0.0.0.0/0", &c, NULL, 0), 0);
		ASSERT(!policy_cidr_match(&c, NULL));
	}
}

static void
test_glob(void)
{
	static const struct {
		const char *p, *s;
		bool match;
	} t[] = {
		{ "*", "", true },
		{ "*", "123456789", true },
		{ "123*", "123456789", true },
		{ "123*", "12", false },
		{ "*789", "123456789", true },
		{ "1?3", "123", true },
		{ "1?3", "13", false },
		{ "evil*", "EVIL-corp", true }, /* case-insensitive */
		{ "EVIL*", "evil", true },
		{ "a*b*c", "axxbyyc", true },
		{ "a*b*c", "axxbyy", false },
		{ "*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
		{ "??", "a", false },
		{ "abc", "abcd", false },
		{ "abc*", "abc", true },
		{ "**", "x", true },
		{ "a@b", "a@b", true },
	};
	static const struct {
		const char *p;
		int ok;
	} chk[] = {
		{ "123456789", 1 }, { "12*", 1 }, { "?", 1 }, { "a@srv*", 1 },
		{ "", 0 }, { "a b", 0 }, { "[abc]", 0 }, { "a\\*", 0 },
		{ "caf\xc3\xa9", 0 }, { "tab\there", 0 },
	};
	char long_pat[300];

	for (size_t i = 0; i < N(t); i++)
		if (policy_glob_match(t[i].p, t[i].s) != t[i].match)
			TH_FAIL("glob '%s' vs '%s': expected %d", t[i].p,
				t[i].s, t[i].match);
	for (size_t i = 0; i < N(chk); i++)
		if ((policy_glob_check(chk[i].p, NULL, 0) == 0) !=
			(chk[i].ok != 0))
			TH_FAIL("glob check '%s'", chk[i].p);
	memset(long_pat, 'a', sizeof(long_pat) - 1);
	long_pat[sizeof(long_pat) - 1] = '\0';
	ASSERT(policy_glob_check(long_pat, NULL, 0) != 0);
	ASSERT(!policy_glob_match("*", long_pat)); /* over POLICY_ID_MAX */
	long_pat[255] = '\0';
	ASSERT_INT_EQ(policy_glob_check(long_pat, NULL, 0), 0);
	/* RustDesk's ID rule: the whole ID or the part before '@'. */
	ASSERT(policy_id_match("123456789", "123456789@hbbs.example"));
	ASSERT(policy_id_match("123*@hbbs.example", "123456789@hbbs.example"));
	ASSERT(!policy_id_match("123*@other", "123456789@hbbs.example"));
	ASSERT(!policy_id_match("hbbs*", "123@hbbs.example"));
	ASSERT(policy_id_match("*", ""));
}

static void
test_window_parse(void)
{
	static const struct {
		const char *s;
		int ok;
		unsigned days, start, end;
	} t[] = {
		{ "Mon-Fri 08:00-18:00", 1, 0x3e, 480, 1080 },
		{ "Sat 10:00-12:00", 1, 0x40, 600, 720 },
		{ "sat,SUN", 1, 0x41, 0, 1440 },
		{ "Mon,Wed,Fri 9:00-17:30", 1, 0x2a, 540, 1050 },
		{ "Fri-Mon", 1, 0x63, 0, 1440 },       /* wraps */
		{ "Mon-Fri 22:00-06:00", 1, 0x3e, 1320, 360 },
		{ "22:00-06:00", 1, 0x7f, 1320, 360 },
		{ "Mon 18:00-24:00", 1, 0x02, 1080, 1440 },
		{ "Mon 18:00-00:00", 1, 0x02, 1080, 1440 },
		{ "Mon 00:00-24:00", 1, 0x02, 0, 1440 },
		{ "*", 1, 0x7f, 0, 1440 },
		{ "  *  ", 1, 0x7f, 0, 1440 },
		{ "Sun-Sat", 1, 0x7f, 0, 1440 },
		{ "Mon-Mon 01:00-02:00", 1, 0x02, 60, 120 },
		{ " Tue  07:00-08:00 ", 1, 0x04, 420, 480 },
		{ "Mon-Fry 08:00-18:00", 0, 0, 0, 0 },
		{ "Monday 08:00-18:00", 0, 0, 0, 0 },
		{ "Mon 08:00", 0, 0, 0, 0 },
		{ "Mon 08:00-08:00", 0, 0, 0, 0 },
		{ "Mon 24:00-02:00", 0, 0, 0, 0 },
		{ "Mon 08:60-09:00", 0, 0, 0, 0 },
		{ "Mon 25:00-26:00", 0, 0, 0, 0 },
		{ "Mon 24:01-02:00", 0, 0, 0, 0 },
		{ "Mon 8-18", 0, 0, 0, 0 },
		{ "Mon,", 0, 0, 0, 0 },
		{ "Mon-", 0, 0, 0, 0 },
		{ "* Mon", 0, 0, 0, 0 },
		{ "Mon 08:00-18:00 x", 0, 0, 0, 0 },
		{ "Mon08:00-18:00", 0, 0, 0, 0 },
		{ "", 0, 0, 0, 0 },
		{ "   ", 0, 0, 0, 0 },
		{ "00:00-00:00", 0, 0, 0, 0 },
		{ "Mon 123:00-124:00", 0, 0, 0, 0 },
	};
	char err[POLICY_ERR_MAX];

	for (size_t i = 0; i < N(t); i++) {
		struct policy_window w;
		int r = policy_window_parse(t[i].s, &w, err, sizeof(err));

		if ((r == 0) != (t[i].ok != 0))
			TH_FAIL("window '%s': r=%d %s", t[i].s, r, err);
		if (r == 0 && (w.days != t[i].days || w.start != t[i].start ||
				      w.end != t[i].end))
			TH_FAIL("window '%s': days %#x %u-%u", t[i].s, w.days,
				w.start, w.end);
	}
}

static void
test_window_match(void)
{
	/* wday: 0 Sun .. 6 Sat; minute of the day. */
	static const struct {
		const char *w;
		int wday, minute;
		bool match;
	} t[] = {
		{ "Mon-Fri 08:00-18:00", 1, 480, true },
		{ "Mon-Fri 08:00-18:00", 1, 479, false },
		{ "Mon-Fri 08:00-18:00", 5, 1079, true },
		{ "Mon-Fri 08:00-18:00", 5, 1080, false }, /* end excluded */
		{ "Mon-Fri 08:00-18:00", 6, 600, false },
		/* Overnight: the night belongs to the day it starts on. */
		{ "Mon-Fri 22:00-06:00", 1, 1320, true },  /* Mon 22:00 */
		{ "Mon-Fri 22:00-06:00", 2, 300, true },   /* Tue 05:00 */
		{ "Mon-Fri 22:00-06:00", 6, 300, true },   /* Sat 05:00 */
		{ "Mon-Fri 22:00-06:00", 1, 300, false },  /* Mon 05:00 */
		{ "Mon-Fri 22:00-06:00", 6, 1320, false }, /* Sat 22:00 */
		{ "Mon-Fri 22:00-06:00", 3, 720, false },  /* noon */
		{ "Sat 22:00-02:00", 0, 60, true },        /* wraps Sat->Sun */
		{ "Sat,Sun", 0, 0, true },
		{ "Sat,Sun", 1, 0, false },
		{ "*", 3, 1439, true },
		{ "Mon 18:00-24:00", 1, 1439, true },
		{ "Mon 18:00-24:00", 2, 0, false },
	};

	for (size_t i = 0; i < N(t); i++) {
		struct policy_window w;

		ASSERT_INT_EQ(policy_window_parse(t[i].w, &w, NULL, 0), 0);
		if (policy_window_match(&w, t[i].wday, t[i].minute) !=
			t[i].match)
			TH_FAIL("'%s' at day %d minute %d: expected %d",
				t[i].w, t[i].wday, t[i].minute, t[i].match);
	}
}

int
main(void)
{
	RUN(test_cidr_parse);
	RUN(test_cidr_match);
	RUN(test_glob);
	RUN(test_window_parse);
	RUN(test_window_match);
	return th_done();
}
