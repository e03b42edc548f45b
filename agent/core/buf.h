/* SPDX-License-Identifier: MIT */
/*
 * opbuf: a bounded, growable byte buffer for untrusted input and output
 * (the OpenSSH sshbuf model). Every buffer has a hard max_size fixed at
 * creation; no operation lets it grow past that. Data is appended at the
 * end and consumed from the front. Getters consume-or-fail: on failure the
 * buffer and the out-parameter are unchanged (out-params are zeroed first).
 * Not thread-safe; used on the loop thread or by one worker at a time.
 */
#ifndef OP_CORE_BUF_H
#define OP_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct opbuf;

/* Returns a new empty buffer that will never hold more than max_size
 * bytes, or NULL on allocation failure. */
struct opbuf *opbuf_new(size_t max_size);
/* Frees the buffer, wiping its storage. NULL is a no-op. */
void opbuf_free(struct opbuf *self);

size_t opbuf_len(const struct opbuf *self);
size_t opbuf_max_size(const struct opbuf *self);
/* Borrowed pointer to the unconsumed bytes, valid until the next
 * modifying call. */
const uint8_t *opbuf_ptr(const struct opbuf *self);

/* Appends len bytes. Returns 0, OP_ERR_TOO_LARGE or OP_ERR_NOMEM. */
int opbuf_put(struct opbuf *self, const void *data, size_t len);
int opbuf_put_u8(struct opbuf *self, uint8_t v);
/*
 * Reserves len writable bytes at the end and returns them in *dst; the
 * caller writes up to len bytes and then calls opbuf_commit with how many
 * it wrote (e.g. a socket read). Returns 0, OP_ERR_TOO_LARGE or
 * OP_ERR_NOMEM.
 */
int opbuf_reserve(struct opbuf *self, size_t len, uint8_t **dst);
void opbuf_commit(struct opbuf *self, size_t len);

/* Drops len bytes from the front. Returns 0 or OP_ERR_INCOMPLETE. */
int opbuf_consume(struct opbuf *self, size_t len);
/* Copies len bytes out of the front and consumes them. */
int opbuf_get(struct opbuf *self, void *out, size_t len);
int opbuf_get_u8(struct opbuf *self, uint8_t *out);
int opbuf_get_u16le(struct opbuf *self, uint16_t *out);
int opbuf_get_u32le(struct opbuf *self, uint32_t *out);
/* Empties the buffer (wiping it) without freeing storage. */
void opbuf_reset(struct opbuf *self);

#endif
