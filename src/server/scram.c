/* scram.c - SCRAM-SHA-256 server side (see scram.h), on OpenSSL's
 * PBKDF2, HMAC and SHA-256. */
#include "scram.h"

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static bool hmac(const unsigned char *key, size_t key_len, const void *data, size_t len,
		 unsigned char out[SCRAM_KEY_LEN])
{
	unsigned int out_len = SCRAM_KEY_LEN;

	return HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len) != NULL &&
	       out_len == SCRAM_KEY_LEN;
}

static bool sha256(const unsigned char *data, size_t len, unsigned char out[SCRAM_KEY_LEN])
{
	unsigned int out_len = SCRAM_KEY_LEN;

	return EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) == 1 &&
	       out_len == SCRAM_KEY_LEN;
}

bool scram_derive(const char *password, size_t password_len, const unsigned char *salt,
		  size_t salt_len, int iterations, struct scram_credentials *out)
{
	unsigned char salted[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	bool ok;

	if (salt_len > SCRAM_SALT_MAX || iterations < 1)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	out->iterations = iterations;
	ok = PKCS5_PBKDF2_HMAC(password, (int)password_len, salt, (int)salt_len, iterations,
			       EVP_sha256(), SCRAM_KEY_LEN, salted) == 1 &&
	     hmac(salted, sizeof(salted), "Client Key", 10, client_key) &&
	     hmac(salted, sizeof(salted), "Server Key", 10, out->server_key) &&
	     sha256(client_key, sizeof(client_key), out->stored_key);
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	return ok;
}

/* "a=value" at the start of @attr with the expected letter; NULL if not. */
static const char *attr_value(const char *attr, char letter)
{
	if (attr == NULL || attr[0] != letter || attr[1] != '=')
		return NULL;
	return attr + 2;
}

/* Decodes a saslname (=2C -> ',', =3D -> '='); NULL if malformed or empty. */
static char *decode_saslname(const char *in)
{
	GString *out = g_string_new(NULL);

	for (const char *p = in; *p != '\0'; p++) {
		if (*p == '=') {
			if (strncmp(p, "=2C", 3) == 0)
				g_string_append_c(out, ',');
			else if (strncmp(p, "=3D", 3) == 0)
				g_string_append_c(out, '=');
			else
				return (void)g_string_free(out, TRUE), NULL;
			p += 2;
		} else {
			g_string_append_c(out, *p);
		}
	}
	if (out->len == 0)
		return (void)g_string_free(out, TRUE), NULL;
	return g_string_free(out, FALSE);
}

static bool printable_nonce(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == ',')
			return false;
	return true;
}

bool scram_client_first(struct scram_session *s, const char *msg, const char **error)
{
	/* gs2-header = cbind-flag "," [authzid] "," ; then n=user,r=nonce[,ext] */
	const char *comma1, *comma2, *bare;
	g_auto(GStrv) attrs = NULL;
	const char *user, *nonce;

	*error = "malformed client-first-message";
	if (s->state != SCRAM_START)
		return false;
	if (msg[0] == 'p') {
		*error = "channel binding is not supported";
		return false;
	}
	if ((msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',')
		return false;
	comma1 = msg + 1;
	comma2 = strchr(comma1 + 1, ',');
	if (comma2 == NULL)
		return false;
	bare = comma2 + 1;
	attrs = g_strsplit(bare, ",", 3);
	if (attrs[0] != NULL && attrs[0][0] == 'm') {
		*error = "SCRAM extensions are not supported";
		return false;
	}
	user = attr_value(attrs[0], 'n');
	nonce = attrs[0] != NULL ? attr_value(attrs[1], 'r') : NULL;
	if (user == NULL || !printable_nonce(nonce))
		return false;
	s->username = decode_saslname(user);
	if (s->username == NULL)
		return false;
	/* An authzid other than the user itself is refused by the caller. */
	if (comma2 > comma1 + 1) {
		g_autofree char *authz = g_strndup(comma1 + 1, (gsize)(comma2 - comma1 - 1));
		g_autofree char *authz_name = NULL;
		if (strncmp(authz, "a=", 2) != 0 ||
		    (authz_name = decode_saslname(authz + 2)) == NULL ||
		    strcmp(authz_name, s->username) != 0) {
			*error = "authorization identity must be empty or the user itself";
			return false;
		}
	}
	s->gs2_header = g_strndup(msg, (gsize)(bare - msg));
	s->client_first_bare = g_strdup(bare);
	s->nonce = g_strdup(nonce);
	*error = NULL;
	return true;
}

char *scram_server_first(struct scram_session *s, const struct scram_credentials *cred,
			 const char *server_nonce)
{
	g_autofree char *salt = g_base64_encode(cred->salt, cred->salt_len);
	char *full_nonce = g_strconcat(s->nonce, server_nonce, NULL);

	g_free(s->nonce);
	s->nonce = full_nonce;
	s->cred = *cred;
	s->server_first = g_strdup_printf("r=%s,s=%s,i=%d", s->nonce, salt, cred->iterations);
	s->state = SCRAM_SENT_FIRST;
	return g_strdup(s->server_first);
}

bool scram_client_final(struct scram_session *s, const char *msg, char **server_final,
			const char **error)
{
	const char *proof_at = strstr(msg, ",p=");
	g_autofree char *without_proof = NULL;
	g_autofree char *expected_cbind = NULL;
	g_autofree char *auth_message = NULL;
	g_autofree unsigned char *proof = NULL;
	g_auto(GStrv) attrs = NULL;
	unsigned char signature[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	unsigned char check[SCRAM_KEY_LEN], server_sig[SCRAM_KEY_LEN];
	gsize proof_len = 0;
	bool ok;

	*server_final = NULL;
	*error = "malformed client-final-message";
	if (s->state != SCRAM_SENT_FIRST || proof_at == NULL)
		return false;
	s->state = SCRAM_DONE;
	without_proof = g_strndup(msg, (gsize)(proof_at - msg));
	attrs = g_strsplit(without_proof, ",", 3);
	expected_cbind = g_base64_encode((const guchar *)s->gs2_header, strlen(s->gs2_header));
	if (attr_value(attrs[0], 'c') == NULL || attrs[1] == NULL ||
	    attr_value(attrs[1], 'r') == NULL)
		return false;
	if (strcmp(attr_value(attrs[0], 'c'), expected_cbind) != 0) {
		*error = "channel binding data does not match";
		return false;
	}
	if (strcmp(attr_value(attrs[1], 'r'), s->nonce) != 0) {
		*error = "nonce does not match";
		return false;
	}
	if (strchr(proof_at + 3, ',') != NULL)
		return false;
	proof = g_base64_decode(proof_at + 3, &proof_len);
	if (proof_len != SCRAM_KEY_LEN)
		return false;
	auth_message = g_strdup_printf("%s,%s,%s", s->client_first_bare, s->server_first,
				       without_proof);
	/* ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage);
	 * the proof is right when H(ClientKey) == StoredKey. */
	if (!hmac(s->cred.stored_key, SCRAM_KEY_LEN, auth_message, strlen(auth_message),
		  signature))
		return false;
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++)
		client_key[i] = proof[i] ^ signature[i];
	ok = sha256(client_key, SCRAM_KEY_LEN, check) &&
	     CRYPTO_memcmp(check, s->cred.stored_key, SCRAM_KEY_LEN) == 0;
	OPENSSL_cleanse(client_key, sizeof(client_key));
	if (!ok) {
		*error = "wrong password";
		return false;
	}
	if (!hmac(s->cred.server_key, SCRAM_KEY_LEN, auth_message, strlen(auth_message),
		  server_sig))
		return false;
	{
		g_autofree char *v = g_base64_encode(server_sig, SCRAM_KEY_LEN);
		*server_final = g_strdup_printf("v=%s", v);
	}
	*error = NULL;
	return true;
}

void scram_clear(struct scram_session *s)
{
	g_free(s->username);
	g_free(s->client_first_bare);
	g_free(s->server_first);
	g_free(s->nonce);
	g_free(s->gs2_header);
	OPENSSL_cleanse(s, sizeof(*s));
}
