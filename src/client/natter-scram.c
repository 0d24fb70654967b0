/* natter-scram.c - SCRAM-SHA-256, client side (see natter-scram.h). */
#define G_LOG_DOMAIN "natter"

#include "natter-scram.h"

#include <string.h>
#include <sys/random.h>

#define SHA256_LEN 32
#define SCRAM_MAX_ITERATIONS 1000000 /* a server asking for more is not believed */

struct NatterScram {
	char *user;
	char *password;
	char *client_first;      /* "n,,n=user,r=nonce" */
	const char *client_bare; /* inside client_first: "n=user,r=nonce" */
	char *nonce;
	guint8 server_signature[SHA256_LEN];
	gboolean have_signature;
};

static void hmac(const guint8 *key, gsize key_len, const void *data, gsize len,
		 guint8 out[SHA256_LEN])
{
	g_autoptr(GHmac) h = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
	gsize n = SHA256_LEN;

	g_hmac_update(h, data, (gssize)len);
	g_hmac_get_digest(h, out, &n);
}

void natter_pbkdf2_sha256(const char *password, const guint8 *salt, gsize salt_len,
			  guint iterations, guint8 out[32])
{
	g_autofree guint8 *first = g_malloc(salt_len + 4);
	guint8 u[SHA256_LEN];

	memcpy(first, salt, salt_len);
	first[salt_len] = 0;
	first[salt_len + 1] = 0;
	first[salt_len + 2] = 0;
	first[salt_len + 3] = 1; /* INT(1): the first (only) block */
	hmac((const guint8 *)password, strlen(password), first, salt_len + 4, u);
	memcpy(out, u, SHA256_LEN);
	for (guint i = 1; i < iterations; i++) {
		hmac((const guint8 *)password, strlen(password), u, SHA256_LEN, u);
		for (int k = 0; k < SHA256_LEN; k++)
			out[k] ^= u[k];
	}
}

/* saslname: "=" and "," escaped (RFC 5802 5.1). */
static char *sasl_name(const char *user)
{
	GString *s = g_string_new(NULL);

	for (const char *p = user; *p; p++) {
		if (*p == '=')
			g_string_append(s, "=3D");
		else if (*p == ',')
			g_string_append(s, "=2C");
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

NatterScram *natter_scram_new(const char *user, const char *password, const char *nonce)
{
	NatterScram *s = g_new0(NatterScram, 1);

	s->user = g_strdup(user);
	s->password = g_strdup(password);
	if (nonce != NULL) {
		s->nonce = g_strdup(nonce);
	} else {
		guint8 raw[18];
		if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
			for (gsize i = 0; i < sizeof raw; i++)
				raw[i] = (guint8)g_random_int();
		s->nonce = g_base64_encode(raw, sizeof raw);
	}
	g_autofree char *name = sasl_name(user);
	s->client_first = g_strdup_printf("n,,n=%s,r=%s", name, s->nonce);
	s->client_bare = s->client_first + 3;
	return s;
}

void natter_scram_free(NatterScram *s)
{
	if (s == NULL)
		return;
	memset(s->password, 0, strlen(s->password));
	g_free(s->password);
	g_free(s->user);
	g_free(s->client_first);
	g_free(s->nonce);
	g_free(s);
}

const char *natter_scram_client_first(NatterScram *s)
{
	return s->client_first;
}

/* The value of attribute @key ("r", "s", "i", "v") in "a=..,b=..", or NULL. */
static char *attribute(const char *msg, char key)
{
	g_auto(GStrv) parts = g_strsplit(msg, ",", -1);

	for (char **p = parts; *p != NULL; p++)
		if ((*p)[0] == key && (*p)[1] == '=')
			return g_strdup(*p + 2);
	return NULL;
}

char *natter_scram_client_final(NatterScram *s, const char *server_first, GError **error)
{
	g_autofree char *nonce = attribute(server_first, 'r');
	g_autofree char *salt64 = attribute(server_first, 's');
	g_autofree char *iter_text = attribute(server_first, 'i');

	if (nonce == NULL || salt64 == NULL || iter_text == NULL ||
	    !g_str_has_prefix(nonce, s->nonce) || strlen(nonce) == strlen(s->nonce)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "the server's SCRAM challenge is not valid");
		return NULL;
	}
	char *end = NULL;
	guint64 iterations = g_ascii_strtoull(iter_text, &end, 10);
	if (*end != '\0' || iterations < 1 || iterations > SCRAM_MAX_ITERATIONS) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "the server asks for %s SCRAM iterations (1 to %d are accepted)", iter_text,
			    SCRAM_MAX_ITERATIONS);
		return NULL;
	}
	gsize salt_len = 0;
	g_autofree guint8 *salt = g_base64_decode(salt64, &salt_len);

	guint8 salted[SHA256_LEN], client_key[SHA256_LEN], stored_key[SHA256_LEN];
	guint8 signature[SHA256_LEN], proof[SHA256_LEN], server_key[SHA256_LEN];
	natter_pbkdf2_sha256(s->password, salt, salt_len, (guint)iterations, salted);
	hmac(salted, SHA256_LEN, "Client Key", 10, client_key);
	gsize n = SHA256_LEN;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sum, client_key, SHA256_LEN);
	g_checksum_get_digest(sum, stored_key, &n);

	g_autofree char *without_proof = g_strdup_printf("c=biws,r=%s", nonce);
	g_autofree char *auth = g_strdup_printf("%s,%s,%s", s->client_bare, server_first, without_proof);
	hmac(stored_key, SHA256_LEN, auth, strlen(auth), signature);
	for (int k = 0; k < SHA256_LEN; k++)
		proof[k] = client_key[k] ^ signature[k];
	hmac(salted, SHA256_LEN, "Server Key", 10, server_key);
	hmac(server_key, SHA256_LEN, auth, strlen(auth), s->server_signature);
	s->have_signature = TRUE;
	memset(salted, 0, sizeof salted);

	g_autofree char *proof64 = g_base64_encode(proof, SHA256_LEN);
	return g_strdup_printf("%s,p=%s", without_proof, proof64);
}

gboolean natter_scram_check_server_final(NatterScram *s, const char *server_final, GError **error)
{
	g_autofree char *v = attribute(server_final, 'v');
	gsize len = 0;
	g_autofree guint8 *sig = v != NULL ? g_base64_decode(v, &len) : NULL;

	if (!s->have_signature || sig == NULL || len != SHA256_LEN) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "the server's final SCRAM message is not valid");
		return FALSE;
	}
	guint8 diff = 0;
	for (int k = 0; k < SHA256_LEN; k++)
		diff |= sig[k] ^ s->server_signature[k];
	if (diff != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "the server could not prove it knows the password");
		return FALSE;
	}
	return TRUE;
}
