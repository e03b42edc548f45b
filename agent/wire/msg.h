/* SPDX-License-Identifier: MIT */
/*
 * Budgeted protobuf unpack and framed pack for RustDesk's two envelopes,
 * Message (host <-> client) and RendezvousMessage (host <-> hbbs/hbbr).
 *
 * Code above wire/ may use the generated Hbb__* types, but only ever obtains
 * received ones from wire_msg_unpack / wire_rdv_unpack, and frees them with
 * wire_msg_free / wire_rdv_free (never with protobuf-c's own functions or
 * free()). Unpacking is bounded: every allocation protobuf-c makes for one
 * message, plus a fixed per-allocation overhead, is charged to a byte
 * budget and refused once it is spent. Before protobuf-c sees the bytes,
 * every string field (at any depth) is checked to be valid UTF-8 without
 * NUL bytes (RustDesk's decoder refuses invalid UTF-8, and a C string must
 * not be silently truncated), and a singular sub-message field that occurs
 * twice is refused (protobuf-c would merge the copies at a cost quadratic
 * in the input; stock encoders never send that).
 *
 * Pure: no I/O, no global state; safe to call from any thread.
 */
#ifndef OP_WIRE_MSG_H
#define OP_WIRE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "message.pb-c.h"
#include "rendezvous.pb-c.h"

struct opbuf;

/*
 * Bytes charged per allocation on top of its size (malloc's bookkeeping),
 * so that many tiny allocations cannot dodge the budget.
 */
#define WIRE_ALLOC_OVERHEAD 16

/*
 * A budget that every message of len bytes that wire_*_unpack can accept
 * fits in. The worst case is a repeated field of empty sub-messages: 2
 * bytes on the wire, a whole struct (up to 72 bytes), the array slot and
 * protobuf-c's per-field scan bookkeeping decoded, about 75x measured. The
 * fuzz targets check this bound. Callers that want to accept less (e.g.
 * before authentication) pass a smaller figure.
 */
#define WIRE_BUDGET_FOR(len) ((size_t)(len) * 128 + 4096)

/*
 * The budget a host gives a client's messages: 16 times the size plus
 * 64 KiB, enough for the densest legitimate one (a file list of short
 * names decodes to about 7 times its size), so an 8 MiB frame cannot
 * cost a gigabyte. Never more than WIRE_BUDGET_FOR.
 */
#define WIRE_BUDGET_PEER(len)                                          \
	((size_t)(len) * 16 + 65536 < WIRE_BUDGET_FOR(len) ?           \
			(size_t)(len) * 16 + 65536 :                   \
			WIRE_BUDGET_FOR(len))

/*
 * Unpacks one serialized Message from buf[0..len) (a whole frame payload,
 * after decryption). budget is the most bytes protobuf-c may allocate for
 * it, bookkeeping included (see WIRE_ALLOC_OVERHEAD, WIRE_BUDGET_FOR).
 * Returns 0 and a message in *out that the caller owns and releases with
 * wire_msg_free; OP_ERR_PROTO for malformed input (bad wire format, a
 * string that is not NUL-free UTF-8, a singular sub-message sent twice);
 * OP_ERR_TOO_LARGE when the budget is exhausted or a repeated field has
 * more than 65536 elements (MultiClipboards: 32); OP_ERR_NOMEM when malloc
 * fails. *out is NULL on entry and on every failure. buf may be NULL only
 * when len is 0 (an empty Message).
 */
int wire_msg_unpack(const uint8_t *buf, size_t len, size_t budget,
	Hbb__Message **out);

/*
 * The proto field name of m's kind, for logs and audit: "key_event",
 * "misc.option" (a Misc names its own variant), "empty" for a Message
 * with no union set, "unknown" for a case this build has no name for.
 * Returns buf (always NUL-terminated when n > 0).
 */
const char *wire_msg_kind_name(const Hbb__Message *m, char *buf, size_t n);
/* Frees a Message from wire_msg_unpack. NULL is a no-op. */
void wire_msg_free(Hbb__Message *m);

/* Same as wire_msg_unpack, for a RendezvousMessage (a UDP datagram or a
 * TCP frame payload from hbbs/hbbr). */
int wire_rdv_unpack(const uint8_t *buf, size_t len, size_t budget,
	Hbb__RendezvousMessage **out);
/* Frees a RendezvousMessage from wire_rdv_unpack. NULL is a no-op. */
void wire_rdv_free(Hbb__RendezvousMessage *m);

/*
 * Serializes m and appends it to out as one BytesCodec frame (shortest
 * header + payload), all or nothing. m may be a message built on the stack
 * with the generated *__INIT macros. Returns 0, OP_ERR_TOO_LARGE (does not
 * fit in out's max_size or in a frame) or OP_ERR_NOMEM; out is unchanged
 * on failure.
 */
int wire_msg_put_framed(struct opbuf *out, const Hbb__Message *m);
int wire_rdv_put_framed(struct opbuf *out, const Hbb__RendezvousMessage *m);

/*
 * Serializes m and appends it to out without a frame header (the input to
 * the encryption layer, which frames the ciphertext). Same returns as
 * wire_msg_put_framed.
 */
int wire_msg_put(struct opbuf *out, const Hbb__Message *m);

/*
 * Serializes m into buf[0..cap) for a UDP datagram (no header). On success
 * returns 0 and the serialized length in *len; returns OP_ERR_TOO_LARGE if
 * it does not fit in cap bytes (buf untouched). *len is zeroed on entry.
 */
int wire_rdv_pack(const Hbb__RendezvousMessage *m, uint8_t *buf, size_t cap,
	size_t *len);

/* Bounds for wire_check_limits. A zero field means "no values allowed"
 * (strings/bytes must be empty, repeated fields must be empty). */
struct wire_limits {
	size_t max_string;   /* bytes in any one string field */
	size_t max_bytes;    /* bytes in any one bytes field */
	size_t max_repeated; /* elements in any one repeated field */
	bool known_enums;    /* refuse enum values our .proto does not declare */
};

/*
 * Walks m and every sub-message it holds (only the active member of each
 * oneof) and checks every string, bytes and repeated field against lim,
 * and, if lim->known_enums, every enum value against its declaration.
 * Returns 0 or OP_ERR_PROTO.
 */
int wire_check_limits(const ProtobufCMessage *m, const struct wire_limits *lim);

/* Longest socket_addr / socket_addr_v6 / local_addr: the AddrMangle IPv6
 * form. */
#define WIRE_RDV_MAX_ADDR 18
/* Longest string field we accept from hbbs/hbbr (ids, relay_server,
 * version, licence_key, tokens). */
#define WIRE_RDV_MAX_STRING 1024
/* Longest bytes field other than addresses (pk = 64-byte signature + IdPk,
 * uuid, keys). */
#define WIRE_RDV_MAX_BYTES 1024
/* Most elements in a repeated field (rendezvous_servers, peers, keys). */
#define WIRE_RDV_MAX_REPEATED 64

/*
 * Sanity check for a received RendezvousMessage: a oneof case is set, every
 * string/bytes/repeated field is within the WIRE_RDV_MAX_* bounds above,
 * and every address field is at most WIRE_RDV_MAX_ADDR bytes. Enum values
 * are not checked (newer servers may add some).
 * Returns 0 or OP_ERR_PROTO.
 */
int wire_rdv_check(const Hbb__RendezvousMessage *m);

#endif
