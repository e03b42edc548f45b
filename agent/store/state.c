/* SPDX-License-Identifier: MIT */
/*
 * State-directory identity store. Generates identity on first use from the
 * CSPRNG (never from the MAC, so cloned VMs do not collide), validates
 * every file it reads as untrusted input, and never logs secrets.
 */
#include "store/state.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"

#define UUID_LEN 32 /* hex of 16 random bytes, like a machine-id */

struct state {
	char *dir;
	char id[STATE_ID_MAX + 1];
	bool custom_id;
	char uuid[UUID_LEN + 1];
	struct identity_key key;
	char salt[PASSWORD_SALT_LEN + 1];
	bool has_h1;
	uint8_t h1[PASSWORD_H1_LEN];
	bool public_only; /* state_new_public: no key, no password */
};

static int
path_of(const struct state *s, const char *name, char *out, size_t n)
{
	if (snprintf(out, n, "%s" SFILE_SEP "%s", s->dir, name) >= (int)n)
		return -ENAMETOOLONG;
	return 0;
}

/* Reads a small text file, stripping one trailing newline. */
static int
read_text(const struct state *s, const char *name, char *out, size_t out_size,
	char why[static SFILE_WHY_LEN])
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	int r;

	if ((r = path_of(s, name, path, sizeof(path))) != 0)
		return r;
	if ((r = sfile_read_secret(path, out_size - 1 + 1, &buf, &len, why)) !=
		0)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len >= out_size || memchr(buf, '\0', len) != NULL) {
		snprintf(why, SFILE_WHY_LEN,
			"%s is corrupt (unexpected length or NUL byte); "
			"restore it from backup or run `outpost id --reset`",
			path);
		sfile_free_secret(buf, out_size);
		return OP_ERR_PROTO;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	sfile_free_secret(buf, out_size);
	return 0;
}

static int
write_text(const struct state *s, const char *name, const char *text,
	char why[static SFILE_WHY_LEN])
{
	char path[4096];
	char line[256];
	int r;
	int n;

	if ((r = path_of(s, name, path, sizeof(path))) != 0)
		return r;
	n = snprintf(line, sizeof(line), "%s\n", text);
	if (n < 0 || n >= (int)sizeof(line))
		return OP_ERR_INTERNAL;
	r = sfile_write_atomic(path, line, (size_t)n, 0600, why);
	sodium_memzero(line, sizeof(line));
	return r;
}

static bool
all_chars(const char *s, size_t len, const char *set)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (strchr(set, s[i]) == NULL)
			return false;
	return true;
}

static void
corrupt(char why[static SFILE_WHY_LEN], const struct state *s,
	const char *name, const char *what)
{
	snprintf(why, SFILE_WHY_LEN, "%s" SFILE_SEP "%s is corrupt (%s); %s",
		s->dir, name, what,
		strcmp(name, "salt") == 0 ?
			"set the password again with `outpost password set`" :
			"run `outpost id --reset` to make a new identity");
}

static void
gen_id(char out[static STATE_ID_MAX + 1])
{
	/* 9 digits, first non-zero: 100000000..999999999 */
	snprintf(out, STATE_ID_MAX + 1, "%u",
		100000000u + randombytes_uniform(900000000u));
}

static void
gen_uuid(char out[static UUID_LEN + 1])
{
	uint8_t raw[UUID_LEN / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, UUID_LEN + 1, raw, sizeof(raw));
}

/* Loads name or, when it does not exist, creates it with gen. */
static int
load_or_create_id(struct state *s, char why[static SFILE_WHY_LEN])
{
	int r = read_text(s, "id", s->id, sizeof(s->id), why);

	if (r == -ENOENT) {
		gen_id(s->id);
		return write_text(s, "id", s->id, why);
	}
	if (r == 0 && (strlen(s->id) != 9 ||
			      !all_chars(s->id, 9, "0123456789") ||
			      s->id[0] == '0')) {
		corrupt(why, s, "id", "not a 9-digit ID");
		return OP_ERR_PROTO;
	}
	return r;
}

static int
load_or_create_uuid(struct state *s, char why[static SFILE_WHY_LEN])
{
	int r = read_text(s, "uuid", s->uuid, sizeof(s->uuid), why);

	if (r == -ENOENT) {
		gen_uuid(s->uuid);
		return write_text(s, "uuid", s->uuid, why);
	}
	if (r == 0 && !all_chars(s->uuid, UUID_LEN, "0123456789abcdef")) {
		corrupt(why, s, "uuid", "not 32 hex digits");
		return OP_ERR_PROTO;
	}
	return r;
}

static int
write_key(struct state *s, char why[static SFILE_WHY_LEN])
{
	char b64[IDENTITY_SK_B64_LEN];
	int r;

	identity_encode(&s->key, b64);
	r = write_text(s, "identity.key", b64, why);
	sodium_memzero(b64, sizeof(b64));
	return r;
}

static int
load_or_create_key(struct state *s, char why[static SFILE_WHY_LEN])
{
	char b64[IDENTITY_SK_B64_LEN + 2];
	int r = read_text(s, "identity.key", b64, sizeof(b64), why);

	if (r == -ENOENT) {
		identity_generate(&s->key);
		return write_key(s, why);
	}
	if (r == 0 && identity_decode(b64, strlen(b64), &s->key) != 0) {
		corrupt(why, s, "identity.key", "not a valid Ed25519 key");
		r = OP_ERR_PROTO;
	}
	sodium_memzero(b64, sizeof(b64));
	return r;
}

int
state_reload_password(struct state *s, char why[static SFILE_WHY_LEN])
{
	char b64[64];
	size_t bin_len = 0;
	int r;

	if (s->public_only) {
		snprintf(why, SFILE_WHY_LEN, "the network process has no "
			"secrets: the monitor does this");
		return OP_ERR_STATE;
	}
	r = read_text(s, "salt", s->salt, sizeof(s->salt), why);
	if (r == -ENOENT) {
		password_gen_salt(s->salt);
		r = write_text(s, "salt", s->salt, why);
	} else if (r == 0 &&
		!all_chars(s->salt, PASSWORD_SALT_LEN,
			"23456789abcdefghijkmnpqrstuvwxyz")) {
		corrupt(why, s, "salt", "not 32 characters of the salt alphabet");
		r = OP_ERR_PROTO;
	}
	if (r != 0)
		return r;

	s->has_h1 = false;
	r = read_text(s, "password.h1", b64, sizeof(b64), why);
	if (r == -ENOENT) {
		why[0] = '\0';
		return 0;
	}
	if (r == 0 &&
		(sodium_base642bin(s->h1, sizeof(s->h1), b64, strlen(b64), NULL,
			 &bin_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
			bin_len != PASSWORD_H1_LEN)) {
		corrupt(why, s, "password.h1", "not a base64 SHA-256 digest");
		r = OP_ERR_PROTO;
	}
	if (r == 0)
		s->has_h1 = true;
	sodium_memzero(b64, sizeof(b64));
	return r;
}

int
state_open(const char *dir, const char *configured_id, struct state **out,
	char why[static SFILE_WHY_LEN])
{
	struct state *s;
	int r;

	*out = NULL;
	why[0] = '\0';
	if ((r = identity_crypto_init()) != 0) {
		snprintf(why, SFILE_WHY_LEN, "libsodium failed to initialise");
		return r;
	}
	if ((r = sfile_ensure_dir(dir, why)) != 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
		(s->dir = strdup(dir)) == NULL) {
		free(s);
		return OP_ERR_NOMEM;
	}
	if (configured_id != NULL && strcmp(configured_id, "auto") != 0) {
		if (strlen(configured_id) > STATE_ID_MAX) {
			snprintf(why, SFILE_WHY_LEN, "identity.id too long");
			r = OP_ERR_CONFIG;
			goto fail;
		}
		snprintf(s->id, sizeof(s->id), "%s", configured_id);
		s->custom_id = true;
	} else if ((r = load_or_create_id(s, why)) != 0) {
		goto fail;
	}
	if ((r = load_or_create_uuid(s, why)) != 0 ||
		(r = load_or_create_key(s, why)) != 0 ||
		(r = state_reload_password(s, why)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	state_free(s);
	return r;
}

int
state_new_public(const char *dir, const char *id, bool custom_id,
	const char *uuid, const uint8_t pk[static IDENTITY_PK_LEN],
	const char *salt, struct state **out)
{
	struct state *s;

	*out = NULL;
	if (id[0] == '\0' || strlen(id) > STATE_ID_MAX ||
		strlen(uuid) > UUID_LEN || strlen(salt) > PASSWORD_SALT_LEN)
		return OP_ERR_RANGE;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
		(s->dir = strdup(dir)) == NULL) {
		free(s);
		return OP_ERR_NOMEM;
	}
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->custom_id = custom_id;
	snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
	memcpy(s->key.pk, pk, IDENTITY_PK_LEN);
	snprintf(s->salt, sizeof(s->salt), "%s", salt);
	s->public_only = true;
	*out = s;
	return 0;
}

void
state_free(struct state *self)
{
	if (self == NULL)
		return;
	free(self->dir);
	sodium_memzero(self, sizeof(*self));
	free(self);
}

const char *
state_dir(const struct state *self)
{
	return self->dir;
}

const char *
state_id(const struct state *self)
{
	return self->id;
}

bool
state_id_is_custom(const struct state *self)
{
	return self->custom_id;
}

const char *
state_uuid(const struct state *self)
{
	return self->uuid;
}

const struct identity_key *
state_key(const struct state *self)
{
	return &self->key;
}

const char *
state_salt(const struct state *self)
{
	return self->salt;
}

bool
state_h1(const struct state *self, uint8_t out[static PASSWORD_H1_LEN])
{
	if (!self->has_h1)
		return false;
	memcpy(out, self->h1, PASSWORD_H1_LEN);
	return true;
}

int
state_set_password(struct state *self, const char *pw, size_t len,
	char why[static SFILE_WHY_LEN])
{
	char salt[PASSWORD_SALT_LEN + 1];
	uint8_t h1[PASSWORD_H1_LEN];
	char b64[64];
	int r;

	if (self->public_only) {
		snprintf(why, SFILE_WHY_LEN, "the network process has no "
			"secrets: the monitor does this");
		return OP_ERR_STATE;
	}
	why[0] = '\0';
	if ((r = password_check_text(pw, len)) != 0) {
		snprintf(why, SFILE_WHY_LEN,
			"the password must be 1-%d bytes of UTF-8 text without "
			"control characters",
			PASSWORD_MAX_LEN);
		return r;
	}
	/* A new salt on every change (S4): equal passwords never share h1. */
	password_gen_salt(salt);
	password_h1(pw, len, salt, h1);
	sodium_bin2base64(b64, sizeof(b64), h1, sizeof(h1),
		sodium_base64_VARIANT_ORIGINAL);
	/* Remove the old hash first: a crash between the two writes must not
	 * leave an h1 paired with the wrong salt that still verifies. */
	if ((r = state_clear_password(self, why)) == 0 &&
		(r = write_text(self, "salt", salt, why)) == 0 &&
		(r = write_text(self, "password.h1", b64, why)) == 0) {
		memcpy(self->salt, salt, sizeof(salt));
		memcpy(self->h1, h1, sizeof(h1));
		self->has_h1 = true;
	}
	sodium_memzero(h1, sizeof(h1));
	sodium_memzero(b64, sizeof(b64));
	return r;
}

int
state_clear_password(struct state *self, char why[static SFILE_WHY_LEN])
{
	char path[4096];
	int r;

	if (self->public_only) {
		snprintf(why, SFILE_WHY_LEN, "the network process has no "
			"secrets: the monitor does this");
		return OP_ERR_STATE;
	}
	why[0] = '\0';
	if ((r = path_of(self, "password.h1", path, sizeof(path))) != 0)
		return r;
	if ((r = sfile_remove(path, why)) != 0)
		return r;
	self->has_h1 = false;
	sodium_memzero(self->h1, sizeof(self->h1));
	return 0;
}

int
state_reset_identity(struct state *self, char why[static SFILE_WHY_LEN])
{
	int r;

	if (self->public_only) {
		snprintf(why, SFILE_WHY_LEN, "the network process has no "
			"secrets: the monitor does this");
		return OP_ERR_STATE;
	}
	why[0] = '\0';
	if (self->custom_id) {
		snprintf(why, SFILE_WHY_LEN,
			"the ID is set by identity.id in the config; change "
			"it there");
		return OP_ERR_STATE;
	}
	gen_id(self->id);
	gen_uuid(self->uuid);
	identity_wipe(&self->key);
	identity_generate(&self->key);
	if ((r = write_text(self, "id", self->id, why)) != 0 ||
		(r = write_text(self, "uuid", self->uuid, why)) != 0 ||
		(r = write_key(self, why)) != 0)
		return r;
	return 0;
}
