/* SPDX-License-Identifier: MIT */
/* Budgeted unpack, string checks, limits and pack/unpack round trips. */
#include <stdlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "th.h"
#include "wire/codec.h"
#include "wire/msg.h"

/* Unframes the single frame in b and returns its payload. */
static const uint8_t *
unframe(struct opbuf *b, size_t *len)
{
	size_t hl;

	*len = 0;
	if (codec_decode(opbuf_ptr(b), opbuf_len(b), CODEC_MAX_PAYLOAD, &hl,
		len) != 0 || hl + *len != opbuf_len(b))
		return NULL;
	return opbuf_ptr(b) + hl;
}

static void
test_login_request_round_trip(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginRequest lr = HBB__LOGIN_REQUEST__INIT;
	Hbb__OptionMessage opt = HBB__OPTION_MESSAGE__INIT;
	Hbb__FileTransfer ft = HBB__FILE_TRANSFER__INIT;
	uint8_t pw[32];
	struct opbuf *b = opbuf_new(4096);
	Hbb__Message *u = NULL;
	const uint8_t *p;
	size_t n;

	for (size_t i = 0; i < sizeof(pw); i++)
		pw[i] = (uint8_t)(i * 7);
	opt.image_quality = HBB__IMAGE_QUALITY__Balanced;
	opt.custom_image_quality = 50 << 8;
	lr.username = "123456789";
	lr.password.data = pw;
	lr.password.len = sizeof(pw);
	lr.my_id = "987654321";
	lr.my_name = "technician \xc3\xa9";
	lr.option = &opt;
	lr.session_id = 0x1122334455667788ULL;
	lr.version = "1.4.9";
	lr.my_platform = "Linux";
	ft.dir = "/tmp";
	ft.show_hidden = 1;
	lr.union_case = HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER;
	lr.file_transfer = &ft;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_REQUEST;
	m.login_request = &lr;

	ASSERT_INT_EQ(wire_msg_put_framed(b, &m), 0);
	ASSERT((p = unframe(b, &n)) != NULL);
	ASSERT_INT_EQ(wire_msg_unpack(p, n, WIRE_BUDGET_FOR(n), &u), 0);
	ASSERT(u != NULL);
	ASSERT_INT_EQ(u->union_case, HBB__MESSAGE__UNION_LOGIN_REQUEST);
	ASSERT_STR_EQ(u->login_request->username, "123456789");
	ASSERT_INT_EQ(u->login_request->password.len, 32);
	ASSERT_MEM_EQ(u->login_request->password.data, pw, 32);
	ASSERT_STR_EQ(u->login_request->my_id, "987654321");
	ASSERT_STR_EQ(u->login_request->my_name, "technician \xc3\xa9");
	ASSERT_INT_EQ(u->login_request->option->image_quality,
		HBB__IMAGE_QUALITY__Balanced);
	ASSERT_INT_EQ(u->login_request->option->custom_image_quality,
		50 << 8);
	ASSERT_U64_EQ(u->login_request->session_id, 0x1122334455667788ULL);
	ASSERT_STR_EQ(u->login_request->version, "1.4.9");
	ASSERT_INT_EQ(u->login_request->union_case,
		HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER);
	ASSERT_STR_EQ(u->login_request->file_transfer->dir, "/tmp");
	ASSERT_INT_EQ(u->login_request->file_transfer->show_hidden, 1);
	wire_msg_free(u);

	/* Unframed variant: same bytes as the frame's payload. */
	{
		struct opbuf *c = opbuf_new(4096);

		ASSERT_INT_EQ(wire_msg_put(c, &m), 0);
		ASSERT_INT_EQ(opbuf_len(c), n);
		ASSERT_MEM_EQ(opbuf_ptr(c), p, n);
		opbuf_free(c);
	}
	opbuf_free(b);
	wire_msg_free(NULL);
}

static void
test_register_pk_round_trip(void)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPk rp = HBB__REGISTER_PK__INIT;
	uint8_t pk[32];
	uint8_t uuid[] = "0123456789abcdef0123456789abcdef";
	uint8_t dgram[256];
	uint8_t tiny[8];
	struct opbuf *b = opbuf_new(512);
	Hbb__RendezvousMessage *u = NULL;
	const uint8_t *p;
	size_t n;
	size_t fn;

	memset(pk, 0x42, sizeof(pk));
	rp.id = "123456789";
	rp.uuid.data = uuid;
	rp.uuid.len = 32;
	rp.pk.data = pk;
	rp.pk.len = sizeof(pk);
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK;
	m.register_pk = &rp;

	ASSERT_INT_EQ(wire_rdv_pack(&m, dgram, sizeof(dgram), &n), 0);
	ASSERT(n > 64 && n < 128);
	ASSERT_INT_EQ(wire_rdv_pack(&m, tiny, sizeof(tiny), &fn),
		OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(fn, 0);
	ASSERT_INT_EQ(wire_rdv_put_framed(b, &m), 0);
	ASSERT((p = unframe(b, &fn)) != NULL);
	ASSERT_INT_EQ(fn, n);
	ASSERT_MEM_EQ(p, dgram, n);

	ASSERT_INT_EQ(wire_rdv_unpack(dgram, n, WIRE_BUDGET_FOR(n), &u), 0);
	ASSERT_INT_EQ(u->union_case,
		HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK);
	ASSERT_STR_EQ(u->register_pk->id, "123456789");
	ASSERT_INT_EQ(u->register_pk->uuid.len, 32);
	ASSERT_MEM_EQ(u->register_pk->uuid.data, uuid, 32);
	ASSERT_INT_EQ(u->register_pk->pk.len, 32);
	ASSERT_MEM_EQ(u->register_pk->pk.data, pk, 32);
	ASSERT_INT_EQ(wire_rdv_check(u), 0);
	wire_rdv_free(u);
	opbuf_free(b);
}

/*
 * Known encodings, produced independently with python3-protobuf from the
 * same .proto files; they pin field numbers and the sint32 zig-zag.
 */
static void
test_known_encodings(void)
{
	/* Message{login_request{username:"123"}} */
	static const uint8_t lr[] = { 0x3a, 0x05, 0x0a, 0x03, '1', '2', '3' };
	/* RendezvousMessage{relay_response{id:"a"}} (oneof id = 4) */
	static const uint8_t rr[] = { 0x9a, 0x01, 0x03, 0x22, 0x01, 'a' };
	/* Message{mouse_event{x:-1, y:2}}: sint32 -1 -> 1, 2 -> 4 */
	static const uint8_t me[] = { 0x52, 0x04, 0x10, 0x01, 0x18, 0x04 };
	Hbb__Message *m = NULL;
	Hbb__RendezvousMessage *r = NULL;

	ASSERT_INT_EQ(wire_msg_unpack(lr, sizeof(lr), 4096, &m), 0);
	ASSERT_STR_EQ(m->login_request->username, "123");
	wire_msg_free(m);
	ASSERT_INT_EQ(wire_rdv_unpack(rr, sizeof(rr), 4096, &r), 0);
	ASSERT_INT_EQ(r->relay_response->union_case,
		HBB__RELAY_RESPONSE__UNION_ID);
	ASSERT_STR_EQ(r->relay_response->id, "a");
	wire_rdv_free(r);
	ASSERT_INT_EQ(wire_msg_unpack(me, sizeof(me), 4096, &m), 0);
	ASSERT_INT_EQ(m->mouse_event->x, -1);
	ASSERT_INT_EQ(m->mouse_event->y, 2);
	wire_msg_free(m);
}

static void
test_empty_message(void)
{
	Hbb__Message *m = NULL;

	/* The handshake's "empty Message" (protocol reference 17.12). */
	ASSERT_INT_EQ(wire_msg_unpack(NULL, 0, 4096, &m), 0);
	ASSERT_INT_EQ(m->union_case, HBB__MESSAGE__UNION__NOT_SET);
	wire_msg_free(m);
	m = (Hbb__Message *)1;
	ASSERT_INT_EQ(wire_msg_unpack(NULL, 3, 4096, &m), OP_ERR_PROTO);
	ASSERT(m == NULL);
	/* Even an empty message needs its struct: a zero budget refuses. */
	ASSERT_INT_EQ(wire_msg_unpack(NULL, 0, 0, &m), OP_ERR_TOO_LARGE);
}

/* Misc{capture_displays{add: count x 1}}, serialized into b. */
static void
make_capture_displays(struct opbuf *b, size_t count)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__CaptureDisplays cd = HBB__CAPTURE_DISPLAYS__INIT;
	int32_t *v = calloc(count, sizeof(*v));

	for (size_t i = 0; i < count; i++)
		v[i] = 1;
	cd.n_add = count;
	cd.add = v;
	misc.union_case = HBB__MISC__UNION_CAPTURE_DISPLAYS;
	misc.capture_displays = &cd;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	(void)wire_msg_put(b, &m);
	free(v);
}

static void
test_budget(void)
{
	struct opbuf *b = opbuf_new(1 << 20);
	Hbb__Message *m = NULL;
	size_t n;

	/* 60000 packed one-byte int32s: ~60 KB on the wire, 240 KB
	 * decoded. */
	make_capture_displays(b, 60000);
	n = opbuf_len(b);
	ASSERT(n > 60000 && n < 60020);
	ASSERT_INT_EQ(wire_msg_unpack(opbuf_ptr(b), n, 32 * 1024, &m),
		OP_ERR_TOO_LARGE);
	ASSERT(m == NULL);
	ASSERT_INT_EQ(wire_msg_unpack(opbuf_ptr(b), n, 240000, &m),
		OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(wire_msg_unpack(opbuf_ptr(b), n, WIRE_BUDGET_PEER(n),
		&m), 0);
	ASSERT_INT_EQ(m->misc->capture_displays->n_add, 60000);
	ASSERT_INT_EQ(m->misc->capture_displays->add[59999], 1);
	wire_msg_free(m);
	/* Over 65536 elements in one field: refused whatever the budget. */
	opbuf_reset(b);
	make_capture_displays(b, 70000);
	n = opbuf_len(b);
	ASSERT_INT_EQ(wire_msg_unpack(opbuf_ptr(b), n, WIRE_BUDGET_FOR(n),
		&m), OP_ERR_TOO_LARGE);
	ASSERT(m == NULL);
	opbuf_free(b);
}

/* MultiClipboards{clipboards: {} x count} (issue 11 item 12: one 8 MiB
 * frame of these took a session from 23 to 604 MB). */
static uint8_t *
make_empty_clipboards(size_t count, size_t *len)
{
	size_t inner = 2 * count, n = 0;
	uint8_t *buf = malloc(inner + 16);

	if (buf == NULL)
		abort();
	buf[n++] = 0xE2; /* field 28, wire type 2 */
	buf[n++] = 0x01;
	do {
		uint8_t c = (uint8_t)(inner & 0x7F);

		inner >>= 7;
		buf[n++] = (uint8_t)(c | (inner ? 0x80 : 0));
	} while (inner);
	for (size_t i = 0; i < count; i++) {
		buf[n++] = 0x0A; /* field 1, wire type 2 */
		buf[n++] = 0x00;
	}
	*len = n;
	return buf;
}

static void
test_repeated_caps(void)
{
	Hbb__Message *m = NULL;
	size_t n;
	uint8_t *buf = make_empty_clipboards(32, &n);

	ASSERT_INT_EQ(wire_msg_unpack(buf, n, WIRE_BUDGET_PEER(n), &m), 0);
	ASSERT_INT_EQ(m->multi_clipboards->n_clipboards, 32);
	wire_msg_free(m);
	free(buf);
	buf = make_empty_clipboards(33, &n);
	ASSERT_INT_EQ(wire_msg_unpack(buf, n, WIRE_BUDGET_FOR(n), &m),
		OP_ERR_TOO_LARGE);
	free(buf);
	/* The reported 8 MiB frame: refused by the scan, before protobuf-c
	 * allocates anything. */
	buf = make_empty_clipboards(4 << 20, &n);
	ASSERT(n > 8000000);
	ASSERT_INT_EQ(wire_msg_unpack(buf, n, WIRE_BUDGET_PEER(n), &m),
		OP_ERR_TOO_LARGE);
	ASSERT(m == NULL);
	free(buf);
	/* The peer budget stays proportional: 16x + 64 KiB. */
	ASSERT_INT_EQ(WIRE_BUDGET_PEER(8u << 20), (8u << 20) * 16 + 65536);
	ASSERT_INT_EQ(WIRE_BUDGET_PEER(100), WIRE_BUDGET_FOR(100));
}

/*
 * The worst amplification our schema allows: repeated sub-messages that
 * are empty on the wire (2 bytes each) but a whole struct decoded.
 * WIRE_BUDGET_FOR must still cover it.
 */
static void
test_budget_worst_case(void)
{
	/* Message{peer_info{displays: {} x 20000}} */
	size_t count = 20000;
	size_t inner = 2 * count;
	uint8_t *buf = malloc(inner + 16);
	size_t n = 0;
	Hbb__Message *m = NULL;

	ASSERT(buf != NULL);
	buf[n++] = 0xCA; /* field 25, wire type 2 */
	buf[n++] = 0x01;
	buf[n++] = (uint8_t)(0x80 | (inner & 0x7F));
	buf[n++] = (uint8_t)(0x80 | ((inner >> 7) & 0x7F));
	buf[n++] = (uint8_t)(inner >> 14);
	for (size_t i = 0; i < count; i++) {
		buf[n++] = 0x22; /* field 4, wire type 2 */
		buf[n++] = 0x00;
	}
	ASSERT_INT_EQ(wire_msg_unpack(buf, n, n * 8, &m), OP_ERR_TOO_LARGE);
	ASSERT_INT_EQ(wire_msg_unpack(buf, n, WIRE_BUDGET_FOR(n), &m), 0);
	ASSERT_INT_EQ(m->peer_info->n_displays, count);
	ASSERT(m->peer_info->displays[count - 1] != NULL);
	wire_msg_free(m);
	free(buf);
}

static void
test_garbage(void)
{
	static const uint8_t g1[] = { 0xFF, 0xFF, 0xFF };
	/* field 7 claims 100 bytes, has 2 */
	static const uint8_t g2[] = { 0x3a, 0x64, 0x0a, 0x00 };
	/* wire type 7 */
	static const uint8_t g3[] = { 0x3f, 0x00 };
	/* field number 0 */
	static const uint8_t g4[] = { 0x02, 0x00 };
	/* 11-byte varint */
	static const uint8_t g5[] = { 0x28, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };
	/* group start */
	static const uint8_t g6[] = { 0x0b, 0x0c };
	/* Hash.salt / PunchHole.socket_addr with the wrong wire type */
	static const uint8_t g7[] = { 0x4a, 0x02, 0x08, 0x01 };
	static const struct {
		const uint8_t *p;
		size_t n;
	} g[] = {
		{ g1, sizeof(g1) },
		{ g2, sizeof(g2) },
		{ g3, sizeof(g3) },
		{ g4, sizeof(g4) },
		{ g5, sizeof(g5) },
		{ g6, sizeof(g6) },
		{ g7, sizeof(g7) },
	};
	Hbb__Message *m = NULL;
	Hbb__RendezvousMessage *r = NULL;

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		ASSERT_INT_EQ(wire_msg_unpack(g[i].p, g[i].n, 1 << 20, &m),
			OP_ERR_PROTO);
		ASSERT(m == NULL);
		ASSERT_INT_EQ(wire_rdv_unpack(g[i].p, g[i].n, 1 << 20, &r),
			OP_ERR_PROTO);
		ASSERT(r == NULL);
	}
}

static void
test_strings(void)
{
	/* Message{hash{salt:<s>}} with a 4-byte salt */
	uint8_t b[] = { 0x4a, 0x06, 0x0a, 0x04, 'a', 'b', 'c', 'd' };
	static const uint8_t bad[][4] = {
		{ 'a', 0x00, 'c', 'd' },    /* NUL */
		{ 'a', 0xC0, 0x80, 'd' },   /* overlong NUL */
		{ 0xED, 0xA0, 0x80, 'd' },  /* surrogate */
		{ 0xF4, 0x90, 0x80, 0x80 }, /* > U+10FFFF */
		{ 'a', 'b', 'c', 0xE2 },    /* truncated */
		{ 0x80, 'b', 'c', 'd' },    /* lone continuation */
		{ 0xFF, 'b', 'c', 'd' },
	};
	static const uint8_t good[][4] = {
		{ 0xF0, 0x9F, 0x98, 0x80 }, /* U+1F600 */
		{ 0xE2, 0x82, 0xAC, 'x' },  /* euro sign */
		{ 0xC3, 0xA9, 0x7F, 'x' },
	};
	Hbb__Message *m = NULL;

	ASSERT_INT_EQ(wire_msg_unpack(b, sizeof(b), 4096, &m), 0);
	ASSERT_STR_EQ(m->hash->salt, "abcd");
	wire_msg_free(m);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b + 4, bad[i], 4);
		ASSERT_INT_EQ(wire_msg_unpack(b, sizeof(b), 4096, &m),
			OP_ERR_PROTO);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memcpy(b + 4, good[i], 4);
		ASSERT_INT_EQ(wire_msg_unpack(b, sizeof(b), 4096, &m), 0);
		ASSERT_INT_EQ(strlen(m->hash->salt), 4);
		wire_msg_free(m);
	}
	/* Bytes fields may hold anything, NULs included:
	 * Message{signed_id{id: 00 FF}} */
	{
		static const uint8_t s[] = { 0x1a, 0x04, 0x0a, 0x02, 0x00,
			0xFF };

		ASSERT_INT_EQ(wire_msg_unpack(s, sizeof(s), 4096, &m), 0);
		ASSERT_INT_EQ(m->signed_id->id.len, 2);
		wire_msg_free(m);
	}
}

static void
test_repeated_singular(void)
{
	/* Message{peer_info{resolutions{} resolutions{}}}: refused. */
	static const uint8_t dup[] = { 0xCA, 0x01, 0x04, 0x5A, 0x00, 0x5A,
		0x00 };
	/* Message{peer_info{resolutions{}} + displays{} x 2}: fine. */
	static const uint8_t rep[] = { 0xCA, 0x01, 0x06, 0x5A, 0x00, 0x22,
		0x00, 0x22, 0x00 };
	/* Message{hash{} hash{salt:"x"}}: a oneof member twice is replaced
	 * by protobuf-c, not merged, so it is allowed (last one wins). */
	static const uint8_t one[] = { 0x4A, 0x00, 0x4A, 0x03, 0x0A, 0x01,
		'x' };
	/* RendezvousMessage{punch_hole{control_permissions{} x 2}} */
	static const uint8_t rdup[] = { 0x4A, 0x04, 0x42, 0x00, 0x42, 0x00 };
	Hbb__Message *m = NULL;
	Hbb__RendezvousMessage *r = NULL;

	ASSERT_INT_EQ(wire_msg_unpack(dup, sizeof(dup), 1 << 20, &m),
		OP_ERR_PROTO);
	ASSERT_INT_EQ(wire_msg_unpack(rep, sizeof(rep), 1 << 20, &m), 0);
	ASSERT_INT_EQ(m->peer_info->n_displays, 2);
	wire_msg_free(m);
	ASSERT_INT_EQ(wire_msg_unpack(one, sizeof(one), 1 << 20, &m), 0);
	ASSERT_STR_EQ(m->hash->salt, "x");
	wire_msg_free(m);
	ASSERT_INT_EQ(wire_rdv_unpack(rdup, sizeof(rdup), 1 << 20, &r),
		OP_ERR_PROTO);
	ASSERT(r == NULL);
}

static void
test_limits(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__KeyEvent ke = HBB__KEY_EVENT__INIT;
	Hbb__ControlKey mods[3] = { HBB__CONTROL_KEY__Shift,
		HBB__CONTROL_KEY__Control, HBB__CONTROL_KEY__Alt };
	struct wire_limits lim = {
		.max_string = 8,
		.max_bytes = 8,
		.max_repeated = 3,
		.known_enums = true,
	};

	ke.union_case = HBB__KEY_EVENT__UNION_SEQ;
	ke.seq = "12345678";
	ke.n_modifiers = 3;
	ke.modifiers = mods;
	m.union_case = HBB__MESSAGE__UNION_KEY_EVENT;
	m.key_event = &ke;
	ASSERT_INT_EQ(wire_check_limits(&m.base, &lim), 0);
	ke.seq = "123456789";
	ASSERT_INT_EQ(wire_check_limits(&m.base, &lim), OP_ERR_PROTO);
	ke.seq = "";
	lim.max_repeated = 2;
	ASSERT_INT_EQ(wire_check_limits(&m.base, &lim), OP_ERR_PROTO);
	lim.max_repeated = 3;
	mods[1] = (Hbb__ControlKey)999;
	ASSERT_INT_EQ(wire_check_limits(&m.base, &lim), OP_ERR_PROTO);
	lim.known_enums = false;
	ASSERT_INT_EQ(wire_check_limits(&m.base, &lim), 0);
	/* The inactive oneof member is not looked at. */
	lim.known_enums = true;
	mods[1] = HBB__CONTROL_KEY__Meta;
	ke.union_case = HBB__KEY_EVENT__UNION_CONTROL_KEY;
	ke.control_key = HBB__CONTROL_KEY__LockScreen;
	ASSERT_INT_EQ(wire_check_limits(&m.base, &lim), 0);
	ke.control_key = (Hbb__ControlKey)80;
	ASSERT_INT_EQ(wire_check_limits(&m.base, &lim), OP_ERR_PROTO);
}

static void
test_rdv_check(void)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PunchHole ph = HBB__PUNCH_HOLE__INIT;
	uint8_t addr[32] = { 1 };
	char big[WIRE_RDV_MAX_STRING + 2];

	ASSERT_INT_EQ(wire_rdv_check(&m), OP_ERR_PROTO); /* no case */
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE;
	m.punch_hole = &ph;
	ph.socket_addr.data = addr;
	ph.socket_addr.len = 18;
	ph.relay_server = "relay.example.org:21117";
	ASSERT_INT_EQ(wire_rdv_check(&m), 0);
	ph.socket_addr.len = 19;
	ASSERT_INT_EQ(wire_rdv_check(&m), OP_ERR_PROTO);
	ph.socket_addr.len = 6;
	ph.socket_addr_v6.data = addr;
	ph.socket_addr_v6.len = 32;
	ASSERT_INT_EQ(wire_rdv_check(&m), OP_ERR_PROTO);
	ph.socket_addr_v6.len = 0;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ph.relay_server = big;
	ASSERT_INT_EQ(wire_rdv_check(&m), OP_ERR_PROTO);
	big[WIRE_RDV_MAX_STRING] = '\0';
	ASSERT_INT_EQ(wire_rdv_check(&m), 0);
}

int
main(void)
{
	RUN(test_login_request_round_trip);
	RUN(test_register_pk_round_trip);
	RUN(test_known_encodings);
	RUN(test_empty_message);
	RUN(test_budget);
	RUN(test_budget_worst_case);
	RUN(test_repeated_caps);
	RUN(test_garbage);
	RUN(test_strings);
	RUN(test_repeated_singular);
	RUN(test_limits);
	RUN(test_rdv_check);
	return th_done();
}
