/* accounts.h - accounts: the store and the model.
 *
 * Every account is held in memory, loaded from the data file at start
 * (accounts are small: a name, an argon2id hash, SCRAM keys and a few
 * certificate fingerprints), so a login or a nick check never waits for
 * the disk on the loop. Every change is made here first and then written
 * through the db.c writer thread, in order.
 *
 * An account owns the nickname equal to its name (rfc1459 case-folded).
 * Password work (argon2id, PBKDF2) is slow by design: the *_secrets and
 * *_check functions are for worker threads only. */
#ifndef NATTERD_ACCOUNTS_H
#define NATTERD_ACCOUNTS_H

#include <glib.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>

#include "irc_names.h"
#include "scram.h"

struct client;

struct account {
	char *name;                      /* as registered; also its owned nick */
	char folded[IRC_NICK_MAX + 1];   /* case-folded key */
	char *password_hash;             /* argon2id, libsodium's string form */
	struct scram_credentials scram;
	GPtrArray *certfps;              /* lower-case hex SHA-256 (char *) */
	int64_t created;                 /* wall-clock seconds */
	GPtrArray *sessions;             /* struct client * logged in now */
};

/* What a password turns into, made on a worker thread. */
struct account_secrets {
	char hash[crypto_pwhash_STRBYTES];
	struct scram_credentials scram;
	bool ok;                         /* false: out of memory or OpenSSL failed */
};

/* The hashing cost, copied from the config on the loop for a worker job. */
struct account_cost {
	unsigned long long ops;
	size_t mem_bytes;
	int scram_iterations;
};

/* Loads every account (start-up, loop thread, before clients connect). */
void accounts_init(void);
void accounts_shutdown(void);

struct account *account_find(const char *name);
struct account *account_find_certfp(const char *fingerprint);
unsigned account_count(void);
/* The cost the config asks for now. */
void account_cost_current(struct account_cost *cost);

/* Worker thread: argon2id hash and SCRAM keys for @password. */
void account_derive_secrets(const char *password, const struct account_cost *cost,
			    struct account_secrets *out);
/* Worker thread: true when @password matches @hash (constant time inside
 * libsodium). A NULL @hash (no such account) still costs one argon2id
 * computation at @cost, the configured cost of real hashes, so timing does
 * not tell which accounts exist. */
bool account_check_password(const char *hash, const char *password,
			    const struct account_cost *cost);

/* Loop thread, written through: */
struct account *account_create(const char *name, const struct account_secrets *secrets);
void account_set_secrets(struct account *a, const struct account_secrets *secrets);
/* Forgets @a (its sessions must have been logged out). */
void account_drop(struct account *a);
/* False when the fingerprint belongs to an account already (this or another). */
bool account_add_certfp(struct account *a, const char *fingerprint);
bool account_remove_certfp(struct account *a, const char *fingerprint);

/* Believable SCRAM parameters for a name with no account, the same each
 * time for the same name, so SCRAM does not tell which accounts exist. */
void account_fake_scram(const char *name, struct scram_credentials *out);

/* True for a SHA-256 fingerprint in hex (colons allowed); writes it
 * normalised (64 lower-case hex digits, no colons) into @out[65]. On false,
 * @out is left as it was. */
bool account_normalise_certfp(const char *in, char out[65]);

#endif
