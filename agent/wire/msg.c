/* SPDX-License-Identifier: MIT */
/*
 * Unpacking and packing of the two RustDesk envelopes (Message and
 * RendezvousMessage) with protobuf-c, hardened for untrusted input:
 *
 *  1. A pre-scan walks the wire format against the message descriptors and
 *     refuses any string field that is not valid UTF-8 or contains a NUL
 *     byte (RustDesk's prost decoder refuses invalid UTF-8 too; a NUL would
 *     make the C string protobuf-c hands us shorter than what was sent).
 *     It also refuses a singular (non-oneof) sub-message field that occurs
 *     more than once: protobuf-c merges such occurrences by re-copying
 *     their repeated fields, which costs allocations quadratic in the input
 *     (60 KB of input asked for 800 MB in total). Stock encoders never
 *     emit a singular field twice.
 *  2. protobuf-c then unpacks through an allocator that charges every
 *     allocation, plus WIRE_ALLOC_OVERHEAD, to a per-message byte budget,
 *     so a small frame cannot make us allocate without bound (repeated
 *     fields of empty sub-messages cost far more decoded than on the wire).
 *  3. wire_check_limits / wire_rdv_check then bound what a caller sees.
 *
 * This file must not do I/O, keep state between calls, or hand out
 * messages that were not allocated by its allocator: everything it returns
 * is freed by wire_msg_free / wire_rdv_free.
 */
#include "wire/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "wire/codec.h"

/* Deeper than any path in our .proto files (which have no cycles). */
#define SCAN_MAX_DEPTH 32
/* Most elements of one repeated field in one message: each element is a
 * separate allocation, so without a cap a frame of two-byte empty
 * sub-messages decodes to ~40 times its size. */
#define SCAN_MAX_REPEATED 65536
/* MultiClipboards: a client sends one entry per format it has. */
#define SCAN_MAX_CLIPBOARDS 32

struct budget {
	size_t left;
	bool exhausted;
	bool nomem;
};

static void *
budget_alloc(void *ctx, size_t size)
{
	struct budget *b = ctx;
	void *p;

	if (size > b->left || b->left - size < WIRE_ALLOC_OVERHEAD) {
		b->exhausted = true;
		return NULL;
	}
	if ((p = malloc(size > 0 ? size : 1)) == NULL) {
		b->nomem = true;
		return NULL;
	}
	b->left -= size + WIRE_ALLOC_OVERHEAD;
	return p;
}

static void
budget_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void *
refuse_alloc(void *ctx, size_t size)
{
	(void)ctx;
	(void)size;
	return NULL;
}

/* What free_unpacked gets: the same free as budget_alloc's memory. */
static ProtobufCAllocator free_allocator = {
	.alloc = refuse_alloc,
	.free = budget_free,
	.allocator_data = NULL,
};

/*
 * Strict UTF-8 as Rust's str::from_utf8 defines it (no overlong forms, no
 * surrogates, nothing above U+10FFFF), additionally refusing U+0000.
 */
static bool
utf8_ok(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint8_t lo = 0x80;
		uint8_t hi = 0xBF;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3;
		else
			return false;
		/* The second byte's range excludes overlongs and
		 * surrogates. */
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		else if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (len - i - 1 < n)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += n + 1;
	}
	return true;
}

/* Reads a varint of at most 10 bytes at p[*pos..len). */
static int
scan_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;

		if (*pos >= len)
			return OP_ERR_PROTO;
		b = p[(*pos)++];
		r |= (uint64_t)(b & 0x7F) << (7 * i);
		if ((b & 0x80) == 0) {
			*v = r;
			return 0;
		}
	}
	return OP_ERR_PROTO;
}

/*
 * True for the second occurrence of a singular, non-oneof sub-message
 * field f of desc; seen tracks the first 64 fields by index (our messages
 * have fewer, so the others are not tracked).
 */
static bool
scan_repeated_singular(const ProtobufCMessageDescriptor *desc,
	const ProtobufCFieldDescriptor *f, uint64_t *seen)
{
	size_t idx = (size_t)(f - desc->fields);
	uint64_t bit;

	if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
		f->label == PROTOBUF_C_LABEL_REPEATED ||
		(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 || idx >= 64)
		return false;
	bit = (uint64_t)1 << idx;
	if (*seen & bit)
		return true;
	*seen |= bit;
	return false;
}

static uint32_t
repeated_cap(const ProtobufCMessageDescriptor *desc,
	const ProtobufCFieldDescriptor *f)
{
	if (desc == &hbb__multi_clipboards__descriptor)
		return SCAN_MAX_CLIPBOARDS;
	(void)f;
	return SCAN_MAX_REPEATED;
}

/* Counts one occurrence of repeated field f (n payload bytes when packed:
 * an upper bound of its elements); false when over the cap. */
static bool
scan_count_repeated(const ProtobufCMessageDescriptor *desc,
	const ProtobufCFieldDescriptor *f, bool packed, uint64_t n,
	uint32_t *counts)
{
	size_t idx = (size_t)(f - desc->fields);
	uint64_t c;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || idx >= 64)
		return true;
	c = (uint64_t)counts[idx] + (packed ? n : 1);
	if (c > repeated_cap(desc, f))
		return false;
	counts[idx] = (uint32_t)c;
	return true;
}

/*
 * Walks one serialized message of type desc, checking the strings of the
 * fields desc declares, refusing repeated singular sub-messages, capping
 * the elements of repeated fields and recursing into declared
 * sub-messages. Unknown fields are skipped
 * (protobuf-c keeps them as opaque bytes). Anything malformed is
 * OP_ERR_PROTO; protobuf-c would refuse it as well.
 */
static int
scan_wire(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
	size_t len, unsigned depth)
{
	size_t pos = 0;
	uint64_t seen = 0;
	uint32_t counts[64] = { 0 };
	const ProtobufCFieldDescriptor *f;
	uint64_t tag;
	uint64_t n;
	int r;

	if (depth > SCAN_MAX_DEPTH)
		return OP_ERR_PROTO;
	while (pos < len) {
		if ((r = scan_varint(p, len, &pos, &tag)) != 0)
			return r;
		if (tag >> 3 == 0 || tag >> 3 > UINT32_MAX)
			return OP_ERR_PROTO;
		f = protobuf_c_message_descriptor_get_field(desc,
			(unsigned)(tag >> 3));
		if (f != NULL && (tag & 7) != 2 &&
			!scan_count_repeated(desc, f, false, 1, counts))
			return OP_ERR_TOO_LARGE;
		switch (tag & 7) {
		case 0: /* varint */
			if ((r = scan_varint(p, len, &pos, &n)) != 0)
				return r;
			break;
		case 1: /* 64-bit */
			if (len - pos < 8)
				return OP_ERR_PROTO;
			pos += 8;
			break;
		case 5: /* 32-bit */
			if (len - pos < 4)
				return OP_ERR_PROTO;
			pos += 4;
			break;
		case 2: /* length-delimited */
			if ((r = scan_varint(p, len, &pos, &n)) != 0)
				return r;
			if (n > len - pos)
				return OP_ERR_PROTO;
			if (f == NULL) {
				pos += (size_t)n;
				break;
			}
			if (!scan_count_repeated(desc, f,
				    f->type != PROTOBUF_C_TYPE_MESSAGE &&
					    f->type != PROTOBUF_C_TYPE_STRING &&
					    f->type != PROTOBUF_C_TYPE_BYTES,
				    n, counts))
				return OP_ERR_TOO_LARGE;
			if (f->type == PROTOBUF_C_TYPE_STRING &&
				!utf8_ok(p + pos, (size_t)n))
				return OP_ERR_PROTO;
			if (scan_repeated_singular(desc, f, &seen))
				return OP_ERR_PROTO;
			if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
				(r = scan_wire(f->descriptor, p + pos,
					(size_t)n, depth + 1)) != 0)
				return r;
			pos += (size_t)n;
			break;
		default: /* groups (3, 4) and invalid types (6, 7) */
			return OP_ERR_PROTO;
		}
	}
	return 0;
}

static int
unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
	size_t len, size_t budget, ProtobufCMessage **out)
{
	struct budget b = { .left = budget };
	ProtobufCAllocator a = {
		.alloc = budget_alloc,
		.free = budget_free,
		.allocator_data = &b,
	};
	static const uint8_t empty[1];
	ProtobufCMessage *m;
	int r;

	*out = NULL;
	if (buf == NULL) {
		if (len > 0)
			return OP_ERR_PROTO;
		buf = empty;
	}
	if ((r = scan_wire(desc, buf, len, 0)) != 0)
		return r;
	m = protobuf_c_message_unpack(desc, &a, len, buf);
	if (m == NULL) {
		if (b.nomem)
			return OP_ERR_NOMEM;
		return b.exhausted ? OP_ERR_TOO_LARGE : OP_ERR_PROTO;
	}
	*out = m;
	return 0;
}

int
wire_msg_unpack(const uint8_t *buf, size_t len, size_t budget,
	Hbb__Message **out)
{
	ProtobufCMessage *m;
	int r;

	*out = NULL;
	if ((r = unpack(&hbb__message__descriptor, buf, len, budget, &m)) != 0)
		return r;
	*out = (Hbb__Message *)m;
	return 0;
}

static const char *
field_name(const ProtobufCMessageDescriptor *d, unsigned number)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(d, number);

	return f != NULL ? f->name : "unknown";
}

const char *
wire_msg_kind_name(const Hbb__Message *m, char *buf, size_t n)
{
	const char *top;

	if (n == 0)
		return buf;
	if (m == NULL || m->union_case == HBB__MESSAGE__UNION__NOT_SET) {
		snprintf(buf, n, "empty");
		return buf;
	}
	top = field_name(&hbb__message__descriptor, (unsigned)m->union_case);
	if (m->union_case == HBB__MESSAGE__UNION_MISC && m->misc != NULL &&
		m->misc->union_case != HBB__MISC__UNION__NOT_SET)
		snprintf(buf, n, "%s.%s", top,
			field_name(&hbb__misc__descriptor,
				(unsigned)m->misc->union_case));
	else
		snprintf(buf, n, "%s", top);
	return buf;
}

void
wire_msg_free(Hbb__Message *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(&m->base, &free_allocator);
}

int
wire_rdv_unpack(const uint8_t *buf, size_t len, size_t budget,
	Hbb__RendezvousMessage **out)
{
	ProtobufCMessage *m;
	int r;

	*out = NULL;
	if ((r = unpack(&hbb__rendezvous_message__descriptor, buf, len, budget,
		&m)) != 0)
		return r;
	*out = (Hbb__RendezvousMessage *)m;
	return 0;
}

void
wire_rdv_free(Hbb__RendezvousMessage *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(&m->base, &free_allocator);
}

/* Appends m, optionally framed, all or nothing. */
static int
put_packed(struct opbuf *out, const ProtobufCMessage *m, bool framed)
{
	uint8_t hdr[CODEC_MAX_HEADER] = { 0 };
	uint8_t *dst = NULL;
	size_t n = protobuf_c_message_get_packed_size(m);
	size_t hl = 0;
	int r;

	if (framed && (hl = codec_header(n, hdr)) == 0)
		return OP_ERR_TOO_LARGE;
	if (n > SIZE_MAX - hl)
		return OP_ERR_TOO_LARGE;
	/* An empty unframed Message: nothing to append (and no reservation
	 * of zero bytes, which opbuf does not need to support). */
	if (hl + n == 0)
		return 0;
	if ((r = opbuf_reserve(out, hl + n, &dst)) != 0)
		return r;
	memcpy(dst, hdr, hl);
	/* Not committed on a mismatch, so out stays unchanged. */
	if (protobuf_c_message_pack(m, dst + hl) != n)
		return OP_ERR_INTERNAL;
	opbuf_commit(out, hl + n);
	return 0;
}

int
wire_msg_put_framed(struct opbuf *out, const Hbb__Message *m)
{
	return put_packed(out, &m->base, true);
}

int
wire_rdv_put_framed(struct opbuf *out, const Hbb__RendezvousMessage *m)
{
	return put_packed(out, &m->base, true);
}

int
wire_msg_put(struct opbuf *out, const Hbb__Message *m)
{
	return put_packed(out, &m->base, false);
}

int
wire_rdv_pack(const Hbb__RendezvousMessage *m, uint8_t *buf, size_t cap,
	size_t *len)
{
	size_t n = hbb__rendezvous_message__get_packed_size(m);

	*len = 0;
	if (n > cap)
		return OP_ERR_TOO_LARGE;
	if (hbb__rendezvous_message__pack(m, buf) != n)
		return OP_ERR_INTERNAL;
	*len = n;
	return 0;
}

static int check_message(const ProtobufCMessage *m,
	const struct wire_limits *lim, unsigned depth);

/* Checks one value of field f stored at p (an element for repeated). */
static int
check_value(const ProtobufCFieldDescriptor *f, const void *p,
	const struct wire_limits *lim, unsigned depth)
{
	const char *s;
	const ProtobufCMessage *sub;
	ProtobufCBinaryData bd;
	int e;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		memcpy(&s, p, sizeof(s));
		if (s != NULL && strnlen(s, lim->max_string + 1) >
			lim->max_string)
			return OP_ERR_PROTO;
		return 0;
	case PROTOBUF_C_TYPE_BYTES:
		memcpy(&bd, p, sizeof(bd));
		return bd.len > lim->max_bytes ? OP_ERR_PROTO : 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		memcpy(&sub, p, sizeof(sub));
		return sub == NULL ? 0 : check_message(sub, lim, depth + 1);
	case PROTOBUF_C_TYPE_ENUM:
		if (!lim->known_enums)
			return 0;
		memcpy(&e, p, sizeof(e));
		return protobuf_c_enum_descriptor_get_value(f->descriptor,
			e) == NULL ? OP_ERR_PROTO : 0;
	default:
		return 0;
	}
}

static size_t
elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	default:
		return 0; /* scalars: nothing to check */
	}
}

static int
check_message(const ProtobufCMessage *m, const struct wire_limits *lim,
	unsigned depth)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	const uint8_t *base = (const uint8_t *)m;
	int r;

	if (depth > SCAN_MAX_DEPTH)
		return OP_ERR_PROTO;
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		const uint8_t *arr;
		uint32_t which;
		size_t n;
		size_t es;

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* Only the active member of a oneof is valid. */
			memcpy(&which, base + f->quantifier_offset,
				sizeof(which));
			if (which != f->id)
				continue;
		}
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			if ((r = check_value(f, base + f->offset, lim,
				depth)) != 0)
				return r;
			continue;
		}
		memcpy(&n, base + f->quantifier_offset, sizeof(n));
		if (n > lim->max_repeated)
			return OP_ERR_PROTO;
		if (n == 0 || (es = elem_size(f)) == 0)
			continue;
		memcpy(&arr, base + f->offset, sizeof(arr));
		if (arr == NULL)
			return OP_ERR_PROTO;
		for (size_t k = 0; k < n; k++)
			if ((r = check_value(f, arr + k * es, lim,
				depth)) != 0)
				return r;
	}
	return 0;
}

int
wire_check_limits(const ProtobufCMessage *m, const struct wire_limits *lim)
{
	return check_message(m, lim, 0);
}

static bool
addr_ok(const ProtobufCBinaryData *a)
{
	return a->len <= WIRE_RDV_MAX_ADDR;
}

int
wire_rdv_check(const Hbb__RendezvousMessage *m)
{
	static const struct wire_limits lim = {
		.max_string = WIRE_RDV_MAX_STRING,
		.max_bytes = WIRE_RDV_MAX_BYTES,
		.max_repeated = WIRE_RDV_MAX_REPEATED,
		.known_enums = false,
	};
	bool ok = true;
	int r;

	if (m->union_case == HBB__RENDEZVOUS_MESSAGE__UNION__NOT_SET)
		return OP_ERR_PROTO;
	if ((r = wire_check_limits(&m->base, &lim)) != 0)
		return r;
	/* Sub-message pointers of the active case are never NULL after
	 * unpack, but a hand-built message may have them unset. */
	switch (m->union_case) {
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_REQUEST:
		ok = m->punch_hole_request != NULL &&
			addr_ok(&m->punch_hole_request->socket_addr_v6);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE:
		ok = m->punch_hole != NULL &&
			addr_ok(&m->punch_hole->socket_addr) &&
			addr_ok(&m->punch_hole->socket_addr_v6);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_SENT:
		ok = m->punch_hole_sent != NULL &&
			addr_ok(&m->punch_hole_sent->socket_addr) &&
			addr_ok(&m->punch_hole_sent->socket_addr_v6);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_RESPONSE:
		ok = m->punch_hole_response != NULL &&
			addr_ok(&m->punch_hole_response->socket_addr) &&
			addr_ok(&m->punch_hole_response->socket_addr_v6);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_FETCH_LOCAL_ADDR:
		ok = m->fetch_local_addr != NULL &&
			addr_ok(&m->fetch_local_addr->socket_addr) &&
			addr_ok(&m->fetch_local_addr->socket_addr_v6);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_LOCAL_ADDR:
		ok = m->local_addr != NULL &&
			addr_ok(&m->local_addr->socket_addr) &&
			addr_ok(&m->local_addr->local_addr) &&
			addr_ok(&m->local_addr->socket_addr_v6);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY:
		ok = m->request_relay != NULL &&
			addr_ok(&m->request_relay->socket_addr);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_RELAY_RESPONSE:
		ok = m->relay_response != NULL &&
			addr_ok(&m->relay_response->socket_addr) &&
			addr_ok(&m->relay_response->socket_addr_v6);
		break;
	default:
		break;
	}
	return ok ? 0 : OP_ERR_PROTO;
}
