/* natter-scram.h - the client side of SASL SCRAM-SHA-256 (RFC 5802, RFC
 * 7677), on GLib's GHmac and GChecksum; PBKDF2-HMAC-SHA-256 written on GHmac.
 * No channel binding ("n,,"). Tested against RFC 7677's example in
 * tests/client/test-scram.c. */
#ifndef NATTER_SCRAM_H
#define NATTER_SCRAM_H

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct NatterScram NatterScram;

/* PBKDF2 with HMAC-SHA-256, one block: @out is 32 bytes. */
void natter_pbkdf2_sha256(const char *password, const guint8 *salt, gsize salt_len,
			  guint iterations, guint8 out[32]);

/* @nonce: the client nonce (printable, no comma), NULL for a random one. */
NatterScram *natter_scram_new(const char *user, const char *password, const char *nonce);
void natter_scram_free(NatterScram *scram);
/* "n,,n=user,r=nonce" */
const char *natter_scram_client_first(NatterScram *scram);
/* The client-final message for @server_first ("r=...,s=...,i=..."), or
 * NULL with @error when it is malformed or does not extend our nonce. */
char *natter_scram_client_final(NatterScram *scram, const char *server_first, GError **error);
/* TRUE when @server_final ("v=...") proves the server knows the password. */
gboolean natter_scram_check_server_final(NatterScram *scram, const char *server_final,
					 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NatterScram, natter_scram_free)

G_END_DECLS

#endif
