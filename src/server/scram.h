/* scram.h - the server side of SASL SCRAM-SHA-256 (RFC 5802, RFC 7677),
 * without channel binding. Pure functions and one small state struct, so
 * it is tested against the RFC's vectors without a server (tests/unit).
 *
 * The account keeps only salt, iteration count, StoredKey and ServerKey
 * (scram_derive()), never the password: a stolen data file does not let
 * anyone log in without first guessing each password. */
#ifndef NATTERD_SCRAM_H
#define NATTERD_SCRAM_H

#include <stdbool.h>
#include <stddef.h>

#define SCRAM_KEY_LEN 32   /* SHA-256 */
#define SCRAM_SALT_LEN 16  /* what natterd makes; any length is accepted */
#define SCRAM_SALT_MAX 64

struct scram_credentials {
	unsigned char salt[SCRAM_SALT_MAX];
	size_t salt_len;
	int iterations;
	unsigned char stored_key[SCRAM_KEY_LEN];
	unsigned char server_key[SCRAM_KEY_LEN];
};

/* Fills @out from a password (PBKDF2-HMAC-SHA-256, then the two keys).
 * Slow by design: call it on a worker thread. False if OpenSSL fails. */
bool scram_derive(const char *password, size_t password_len, const unsigned char *salt,
		  size_t salt_len, int iterations, struct scram_credentials *out);

enum scram_state { SCRAM_START, SCRAM_SENT_FIRST, SCRAM_DONE };

/* One exchange. Zero it to start; scram_clear() wipes and frees it. */
struct scram_session {
	enum scram_state state;
	char *username;         /* authcid, =2C and =3D decoded */
	char *client_first_bare;
	char *server_first;
	char *nonce;            /* client nonce + server nonce */
	char *gs2_header;       /* e.g. "n,," */
	struct scram_credentials cred;
};

/* Parses the client-first-message. On success the username is in
 * s->username; on failure returns false with a short reason in *@error. */
bool scram_client_first(struct scram_session *s, const char *msg, const char **error);

/* Makes the server-first-message (returned, caller frees) from the
 * account's credentials (or believable fake ones for an unknown account)
 * and @server_nonce (printable, no commas; random in real use). */
char *scram_server_first(struct scram_session *s, const struct scram_credentials *cred,
			 const char *server_nonce);

/* Checks the client-final-message. True when the proof is right, with the
 * server-final-message ("v=...") in *@server_final (caller frees). False
 * with a reason in *@error otherwise. The proof is compared in constant time. */
bool scram_client_final(struct scram_session *s, const char *msg, char **server_final,
			const char **error);

void scram_clear(struct scram_session *s);

#endif
