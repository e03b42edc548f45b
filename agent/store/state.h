/* SPDX-License-Identifier: MIT */
/*
 * The host's persistent identity in the state directory (spec §2): the ID,
 * the device UUID hbbs binds the ID to, the Ed25519 key, the password salt
 * and h1 of the permanent password. Files are 0600 in a 0700 directory;
 * looser modes are refused with the command that fixes them. On Windows
 * the owner and a private DACL stand for the modes (securefile.h).
 *
 * Files: id, uuid, identity.key (base64 secret key), salt, password.h1
 * (base64 h1; absent = no permanent password).
 */
#ifndef OP_STORE_STATE_H
#define OP_STORE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "crypto/password.h"
#include "platform/securefile.h"

#define STATE_ID_MAX 16

struct state;

/*
 * Opens dir, creating it (0700) and any missing identity file on first
 * use. configured_id is identity.id from the config: "auto" (or NULL)
 * uses the stored random 9-digit ID, anything else (already validated)
 * overrides it. Returns 0 and *out, or a negative code with why filled.
 */
int state_open(const char *dir, const char *configured_id,
	struct state **out, char why[static SFILE_WHY_LEN]);
/*
 * A state that holds only the public half of an identity (for the
 * network process, which must not have the secrets): state_key()'s
 * secret key and state_h1() are empty, and the password and identity
 * calls below are refused. id: 1..STATE_ID_MAX chars. Returns 0 or
 * OP_ERR_NOMEM / OP_ERR_RANGE.
 */
int state_new_public(const char *dir, const char *id, bool custom_id,
	const char *uuid, const uint8_t pk[static IDENTITY_PK_LEN],
	const char *salt, struct state **out);

/* Wipes and frees. NULL is a no-op. */
void state_free(struct state *self);

const char *state_dir(const struct state *self);
const char *state_id(const struct state *self);
/* True when the ID comes from identity.id rather than the state dir. */
bool state_id_is_custom(const struct state *self);
const char *state_uuid(const struct state *self);
const struct identity_key *state_key(const struct state *self);
const char *state_salt(const struct state *self);
/* Copies h1 of the permanent password; false when none is set. */
bool state_h1(const struct state *self, uint8_t out[static PASSWORD_H1_LEN]);

/*
 * Sets the permanent password: a new salt and h1 are written (the old
 * hash becomes useless). The text must pass password_check_text.
 */
int state_set_password(struct state *self, const char *pw, size_t len,
	char why[static SFILE_WHY_LEN]);
int state_clear_password(struct state *self, char why[static SFILE_WHY_LEN]);

/* Re-reads password.h1 and salt (after `outpost password set` by another
 * process). Returns 0 or a negative code with why filled. */
int state_reload_password(struct state *self, char why[static SFILE_WHY_LEN]);

/*
 * For cloned machines: a new random ID, UUID and key. Refused with
 * OP_ERR_STATE when the ID is custom (edit identity.id instead).
 */
int state_reset_identity(struct state *self, char why[static SFILE_WHY_LEN]);

#endif
