/* SPDX-License-Identifier: MIT */
/*
 * The brute-force limiter of lockout.h: a fixed-size table of failure
 * counters keyed by (scope, key), indexed by a SipHash-keyed chained hash
 * and ordered by last failure for eviction.
 *
 * Must not: allocate after lockout_new (a spray of sources must not grow
 * memory), let a peer choose hash collisions (the hash is keyed), trust
 * that time moves forward (a smaller now_ms restarts a window instead of
 * underflowing), or overflow "now + duration" (saturating arithmetic).
 */
#include "policy/lockout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/netaddr.h"
#include "policy/policy-internal.h"

#define NIL UINT32_MAX
#define EVICT_SCAN 8 /* entries looked at from the LRU end */
#define CAPACITY_MAX (1u << 24)

struct entry {
	uint64_t hash;
	uint64_t window_start;
	uint64_t locked_until;
	uint32_t count;
	uint32_t hnext;        /* hash chain, or free list */
	uint32_t lprev, lnext; /* LRU: prev is more recent */
	uint8_t scope;         /* enum lockout_scope; NONE = free */
	uint8_t keylen;
	uint8_t key[LOCKOUT_KEY_MAX];
};

struct lockout {
	struct lockout_conf conf;
	uint64_t k0, k1;
	struct entry *e;
	uint32_t *buckets;
	uint32_t cap, used, nbuckets;
	uint32_t fresh;        /* entries never used yet start here */
	uint32_t free_head;
	uint32_t lru_head, lru_tail;
	uint64_t global_start;
	uint64_t global_until;
	uint32_t global_count;
	uint32_t otp_fails;
};

/* ---- SipHash-2-4 (Aumasson & Bernstein), for the hash index ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                         \
	do {                                                             \
		v0 += v1;                                                \
		v1 = ROTL(v1, 13);                                       \
		v1 ^= v0;                                                \
		v0 = ROTL(v0, 32);                                       \
		v2 += v3;                                                \
		v3 = ROTL(v3, 16);                                       \
		v3 ^= v2;                                                \
		v0 += v3;                                                \
		v3 = ROTL(v3, 21);                                       \
		v3 ^= v0;                                                \
		v2 += v1;                                                \
		v1 = ROTL(v1, 17);                                       \
		v1 ^= v2;                                                \
		v2 = ROTL(v2, 32);                                       \
	} while (0)

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t
policy__siphash(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)len << 56;
	size_t end = len - len % 8;

	for (size_t i = 0; i < end; i += 8) {
		uint64_t m = le64(in + i);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < len % 8; j++)
		b |= (uint64_t)in[end + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- Keys ---- */

struct key {
	uint8_t scope;
	uint8_t len;
	uint8_t b[LOCKOUT_KEY_MAX];
	uint64_t hash;
};

static void
key_hash(const struct lockout *self, struct key *k)
{
	uint8_t buf[1 + LOCKOUT_KEY_MAX];

	buf[0] = k->scope;
	memcpy(buf + 1, k->b, k->len);
	k->hash = policy__siphash(self->k0, self->k1, buf, 1u + k->len);
}

/* The keys of one attempt: source, its /64, the peer ID. */
static unsigned
keys_of(const struct lockout *self, const struct sockaddr *src,
	const char *peer_id, struct key k[3])
{
	uint8_t fam, a[16];
	unsigned n = 0;

	if (policy__addr_of(src, &fam, a) == 0) {
		k[n].scope = LOCKOUT_SOURCE;
		k[n].len = (uint8_t)(1 + (fam == 4 ? 4 : 16));
		k[n].b[0] = fam;
		memcpy(k[n].b + 1, a, fam == 4 ? 4u : 16u);
		n++;
		if (fam == 6) {
			k[n].scope = LOCKOUT_PREFIX64;
			k[n].len = 8;
			memcpy(k[n].b, a, 8);
			n++;
		}
	}
	if (peer_id != NULL && peer_id[0] != '\0') {
		size_t len = strnlen(peer_id, LOCKOUT_KEY_MAX);

		k[n].scope = LOCKOUT_PEER_ID;
		k[n].len = (uint8_t)len;
		for (size_t i = 0; i < len; i++) {
			char c = peer_id[i];

			k[n].b[i] = (uint8_t)(c >= 'A' && c <= 'Z' ?
					c - 'A' + 'a' :
					c);
		}
		n++;
	}
	for (unsigned i = 0; i < n; i++)
		key_hash(self, &k[i]);
	return n;
}

static void
key_text(const struct entry *e, char *buf, size_t bufsz)
{
	char a[INET6_ADDRSTRLEN];
	uint8_t b[16] = { 0 };

	switch (e->scope) {
	case LOCKOUT_SOURCE:
		memcpy(b, e->key + 1, e->key[0] == 4 ? 4u : 16u);
		if (inet_ntop(e->key[0] == 4 ? AF_INET : AF_INET6, b, a,
			    sizeof(a)) == NULL)
			snprintf(a, sizeof(a), "?");
		snprintf(buf, bufsz, "%s", a);
		break;
	case LOCKOUT_PREFIX64:
		memcpy(b, e->key, 8);
		if (inet_ntop(AF_INET6, b, a, sizeof(a)) == NULL)
			snprintf(a, sizeof(a), "?");
		snprintf(buf, bufsz, "%s/64", a);
		break;
	case LOCKOUT_PEER_ID: {
		char id[LOCKOUT_KEY_MAX + 1];

		memcpy(id, e->key, e->keylen);
		id[e->keylen] = '\0';
		snprintf(buf, bufsz, "id ");
		policy__excerpt(id, buf + 3, bufsz - 3);
		break;
	}
	default:
		snprintf(buf, bufsz, "all logins");
	}
}

static const char *
scope_error(enum lockout_scope s)
{
	switch (s) {
	case LOCKOUT_PREFIX64:
		return LOCKOUT_MSG_LOCKED_V6;
	case LOCKOUT_GLOBAL:
		return LOCKOUT_MSG_GLOBAL;
	default:
		return LOCKOUT_MSG_LOCKED;
	}
}

const char *
lockout_scope_name(enum lockout_scope s)
{
	switch (s) {
	case LOCKOUT_NONE:
		return "none";
	case LOCKOUT_SOURCE:
		return "source";
	case LOCKOUT_PREFIX64:
		return "ipv6-prefix";
	case LOCKOUT_PEER_ID:
		return "peer-id";
	case LOCKOUT_GLOBAL:
		return "global";
	}
	return "?";
}

/* ---- Table ---- */

struct lockout *
lockout_new(const struct lockout_conf *conf, size_t capacity,
	const uint8_t seed[static 16])
{
	struct lockout *self;
	uint32_t nb = 16;

	if (capacity < 16)
		capacity = 16;
	if (capacity > CAPACITY_MAX)
		capacity = CAPACITY_MAX;
	while (nb < capacity)
		nb <<= 1;
	if ((self = calloc(1, sizeof(*self))) == NULL)
		return NULL;
	self->e = calloc(capacity, sizeof(*self->e));
	self->buckets = malloc(nb * sizeof(*self->buckets));
	if (self->e == NULL || self->buckets == NULL) {
		lockout_free(self);
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		self->buckets[i] = NIL;
	self->cap = (uint32_t)capacity;
	self->nbuckets = nb;
	self->free_head = self->lru_head = self->lru_tail = NIL;
	self->k0 = le64(seed);
	self->k1 = le64(seed + 8);
	lockout_set_conf(self, conf);
	return self;
}

void
lockout_free(struct lockout *self)
{
	if (self == NULL)
		return;
	free(self->e);
	free(self->buckets);
	free(self);
}

void
lockout_set_conf(struct lockout *self, const struct lockout_conf *conf)
{
	self->conf = *conf;
	if (self->conf.failures == 0)
		self->conf.failures = 1;
	if (self->conf.window_ms == 0)
		self->conf.window_ms = 1;
}

size_t
lockout_count(const struct lockout *self)
{
	return self->used;
}

size_t
lockout_capacity(const struct lockout *self)
{
	return self->cap;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint32_t
find(const struct lockout *self, const struct key *k)
{
	uint32_t i = self->buckets[k->hash & (self->nbuckets - 1)];

	for (; i != NIL; i = self->e[i].hnext) {
		const struct entry *e = &self->e[i];

		if (e->hash == k->hash && e->scope == k->scope &&
			e->keylen == k->len && memcmp(e->key, k->b, k->len) == 0)
			return i;
	}
	return NIL;
}

static void
lru_unlink(struct lockout *self, uint32_t i)
{
	struct entry *e = &self->e[i];

	if (e->lprev != NIL)
		self->e[e->lprev].lnext = e->lnext;
	else
		self->lru_head = e->lnext;
	if (e->lnext != NIL)
		self->e[e->lnext].lprev = e->lprev;
	else
		self->lru_tail = e->lprev;
	e->lprev = e->lnext = NIL;
}

static void
lru_push_head(struct lockout *self, uint32_t i)
{
	struct entry *e = &self->e[i];

	e->lprev = NIL;
	e->lnext = self->lru_head;
	if (self->lru_head != NIL)
		self->e[self->lru_head].lprev = i;
	self->lru_head = i;
	if (self->lru_tail == NIL)
		self->lru_tail = i;
}

/* Removes entry i from its hash chain and the LRU list; frees it. */
static void
drop(struct lockout *self, uint32_t i)
{
	struct entry *e = &self->e[i];
	uint32_t *pp = &self->buckets[e->hash & (self->nbuckets - 1)];

	while (*pp != NIL && *pp != i)
		pp = &self->e[*pp].hnext;
	if (*pp == i)
		*pp = e->hnext;
	lru_unlink(self, i);
	memset(e, 0, sizeof(*e));
	e->hnext = self->free_head;
	e->lprev = e->lnext = NIL;
	self->free_head = i;
	self->used--;
}

/* A slot for a new key: a free one, a fresh one, or the least recently
 * failed key that is not locked (else the least recent one). */
static uint32_t
take_slot(struct lockout *self, uint64_t now)
{
	uint32_t i = self->lru_tail;

	if (self->free_head == NIL && self->fresh < self->cap) {
		i = self->fresh++;
		self->e[i].hnext = self->free_head;
		self->free_head = i;
	}
	if (self->free_head == NIL) {
		for (uint32_t j = self->lru_tail, n = 0;
			j != NIL && n < EVICT_SCAN; j = self->e[j].lprev, n++) {
			if (self->e[j].locked_until <= now) {
				i = j;
				break;
			}
		}
		drop(self, i);
	}
	i = self->free_head;
	self->free_head = self->e[i].hnext;
	self->used++;
	return i;
}

static uint32_t
find_or_add(struct lockout *self, const struct key *k, uint64_t now)
{
	uint32_t i = find(self, k), b;
	struct entry *e;

	if (i != NIL) {
		lru_unlink(self, i);
		lru_push_head(self, i);
		return i;
	}
	i = take_slot(self, now);
	e = &self->e[i];
	memset(e, 0, sizeof(*e));
	e->scope = k->scope;
	e->keylen = k->len;
	memcpy(e->key, k->b, k->len);
	e->hash = k->hash;
	e->window_start = now;
	b = (uint32_t)(k->hash & (self->nbuckets - 1));
	e->hnext = self->buckets[b];
	self->buckets[b] = i;
	e->lprev = e->lnext = NIL;
	lru_push_head(self, i);
	return i;
}

static void
hit_fill(struct lockout_hit *h, const struct entry *e,
	enum lockout_scope scope, uint64_t until)
{
	memset(h, 0, sizeof(*h));
	h->scope = scope;
	h->until_ms = until;
	h->error = scope_error(scope);
	if (e != NULL)
		key_text(e, h->key, sizeof(h->key));
	else
		snprintf(h->key, sizeof(h->key), "all logins");
}

bool
lockout_check(const struct lockout *self, const struct sockaddr *src,
	const char *peer_id, uint64_t now_ms, struct lockout_hit *hit)
{
	struct key k[3];
	unsigned n = keys_of(self, src, peer_id, k);
	const struct entry *best = NULL;
	uint64_t until = 0;
	enum lockout_scope scope = LOCKOUT_NONE;

	if (hit != NULL)
		memset(hit, 0, sizeof(*hit));
	if (self->global_until > now_ms) {
		until = self->global_until;
		scope = LOCKOUT_GLOBAL;
	}
	for (unsigned j = 0; j < n; j++) {
		uint32_t i = find(self, &k[j]);

		if (i != NIL && self->e[i].locked_until > now_ms &&
			self->e[i].locked_until > until) {
			best = &self->e[i];
			until = best->locked_until;
			scope = (enum lockout_scope)best->scope;
		}
	}
	if (scope == LOCKOUT_NONE)
		return false;
	if (hit != NULL)
		hit_fill(hit, best, scope, until);
	return true;
}

static void
result_add(struct lockout_result *out, const struct entry *e,
	enum lockout_scope scope, uint64_t until)
{
	if (out->nlocked < sizeof(out->locked) / sizeof(out->locked[0]))
		hit_fill(&out->locked[out->nlocked++], e, scope, until);
}

void
lockout_fail(struct lockout *self, const struct sockaddr *src,
	const char *peer_id, uint64_t now_ms, struct lockout_result *out)
{
	const struct lockout_conf *c = &self->conf;
	struct key k[3];
	unsigned n = keys_of(self, src, peer_id, k);

	memset(out, 0, sizeof(*out));
	if (c->global_per_minute > 0) {
		if (now_ms < self->global_start ||
			now_ms - self->global_start >= LOCKOUT_GLOBAL_MS) {
			self->global_start = now_ms;
			self->global_count = 0;
		}
		if (self->global_count < UINT32_MAX)
			self->global_count++;
		if (self->global_count >= c->global_per_minute &&
			self->global_until <= now_ms) {
			self->global_until = sat_add(now_ms, LOCKOUT_GLOBAL_MS);
			result_add(out, NULL, LOCKOUT_GLOBAL,
				self->global_until);
		}
	}
	if (c->otp_rotate_after > 0 &&
		++self->otp_fails >= c->otp_rotate_after) {
		out->rotate_otp = true;
		self->otp_fails = 0;
	}
	for (unsigned j = 0; j < n; j++) {
		struct entry *e = &self->e[find_or_add(self, &k[j], now_ms)];

		if (now_ms < e->window_start ||
			now_ms - e->window_start >= c->window_ms) {
			e->window_start = now_ms;
			e->count = 0;
		}
		if (e->count < UINT32_MAX)
			e->count++;
		if (e->count > out->worst)
			out->worst = e->count;
		if (e->count >= c->failures && e->locked_until <= now_ms) {
			e->locked_until = sat_add(now_ms, c->duration_ms);
			result_add(out, e, (enum lockout_scope)e->scope,
				e->locked_until);
		}
	}
}

void
lockout_success(struct lockout *self, const struct sockaddr *src,
	const char *peer_id)
{
	struct key k[3];
	unsigned n = keys_of(self, src, peer_id, k);

	for (unsigned j = 0; j < n; j++) {
		uint32_t i = find(self, &k[j]);

		if (i != NIL)
			drop(self, i);
	}
}
