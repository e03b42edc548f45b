/* SPDX-License-Identifier: MIT */
/*
 * Bounded byte buffer. This and wire/codec.c are the only places that do
 * pointer arithmetic on raw peer bytes, so every bound is checked here with
 * overflow-safe comparisons; callers never index into peer data themselves.
 */
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"

struct opbuf {
	uint8_t *d;
	size_t off;   /* start of unconsumed data */
	size_t size;  /* end of data */
	size_t alloc; /* allocated bytes */
	size_t max_size;
};

struct opbuf *
opbuf_new(size_t max_size)
{
	struct opbuf *b = calloc(1, sizeof(*b));

	if (b != NULL)
		b->max_size = max_size;
	return b;
}

void
opbuf_free(struct opbuf *self)
{
	if (self == NULL)
		return;
	if (self->d != NULL)
		sodium_memzero(self->d, self->alloc);
	free(self->d);
	free(self);
}

size_t
opbuf_len(const struct opbuf *self)
{
	return self->size - self->off;
}

size_t
opbuf_max_size(const struct opbuf *self)
{
	return self->max_size;
}

const uint8_t *
opbuf_ptr(const struct opbuf *self)
{
	return self->d == NULL ? (const uint8_t *)"" : self->d + self->off;
}

int
opbuf_reserve(struct opbuf *self, size_t len, uint8_t **dst)
{
	size_t have = opbuf_len(self);
	size_t need;
	uint8_t *nd;

	*dst = NULL;
	if (len == 0 && self->d == NULL)
		return 0; /* nothing to write; avoid NULL + 0 (UB) */
	if (len > self->max_size || have > self->max_size - len)
		return OP_ERR_TOO_LARGE;
	/* Slide unconsumed data to the front before growing. */
	if (self->off > 0 && self->size + len > self->alloc) {
		memmove(self->d, self->d + self->off, have);
		sodium_memzero(self->d + have, self->size - have);
		self->off = 0;
		self->size = have;
	}
	need = self->size + len;
	if (need > self->alloc) {
		size_t n = self->alloc < 256 ? 256 : self->alloc;

		while (n < need)
			n = n > SIZE_MAX / 2 ? need : n * 2;
		if (n > self->max_size)
			n = self->max_size;
		/* Growing through a copy, so the old block can be wiped. */
		nd = malloc(n);
		if (nd == NULL)
			return OP_ERR_NOMEM;
		if (self->d != NULL) {
			memcpy(nd, self->d, self->size);
			sodium_memzero(self->d, self->alloc);
			free(self->d);
		}
		self->d = nd;
		self->alloc = n;
	}
	*dst = self->d + self->size;
	return 0;
}

void
opbuf_commit(struct opbuf *self, size_t len)
{
	if (len > self->alloc - self->size)
		abort(); /* caller wrote past its reservation: a bug */
	self->size += len;
}

int
opbuf_put(struct opbuf *self, const void *data, size_t len)
{
	uint8_t *dst;
	int r;

	if (len == 0)
		return 0;
	if ((r = opbuf_reserve(self, len, &dst)) != 0)
		return r;
	memcpy(dst, data, len);
	opbuf_commit(self, len);
	return 0;
}

int
opbuf_put_u8(struct opbuf *self, uint8_t v)
{
	return opbuf_put(self, &v, 1);
}

int
opbuf_consume(struct opbuf *self, size_t len)
{
	if (len > opbuf_len(self))
		return OP_ERR_INCOMPLETE;
	self->off += len;
	if (self->off == self->size)
		self->off = self->size = 0;
	return 0;
}

int
opbuf_get(struct opbuf *self, void *out, size_t len)
{
	if (len > opbuf_len(self))
		return OP_ERR_INCOMPLETE;
	if (len > 0)
		memcpy(out, self->d + self->off, len);
	return opbuf_consume(self, len);
}

int
opbuf_get_u8(struct opbuf *self, uint8_t *out)
{
	*out = 0;
	return opbuf_get(self, out, 1);
}

int
opbuf_get_u16le(struct opbuf *self, uint16_t *out)
{
	uint8_t b[2];
	int r;

	*out = 0;
	if ((r = opbuf_get(self, b, sizeof(b))) != 0)
		return r;
	*out = (uint16_t)(b[0] | (unsigned)b[1] << 8);
	return 0;
}

int
opbuf_get_u32le(struct opbuf *self, uint32_t *out)
{
	uint8_t b[4];
	int r;

	*out = 0;
	if ((r = opbuf_get(self, b, sizeof(b))) != 0)
		return r;
	*out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		(uint32_t)b[3] << 24;
	return 0;
}

void
opbuf_reset(struct opbuf *self)
{
	if (self->d != NULL)
		sodium_memzero(self->d, self->alloc);
	self->off = self->size = 0;
}
