/* natter-keyring.c - passwords in the desktop keyring (see natter-keyring.h). */
#define G_LOG_DOMAIN "natter"

#include "natter-keyring.h"

#include <libsecret/secret.h>

static const SecretSchema *schema(void)
{
	static const SecretSchema s = {
		"org.natter.Natter.Account", SECRET_SCHEMA_NONE,
		{
			{ "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
			{ "port", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
			{ "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
			{ NULL, 0 },
		},
		0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	};
	return &s;
}

/* The account name as the server compares it: case does not matter. */
static char *fold(const char *account)
{
	return g_ascii_strdown(account, -1);
}

gboolean natter_keyring_store(const char *host, guint16 port, const char *account,
			      const char *password, GError **error)
{
	g_autofree char *label = g_strdup_printf("natter: %s on %s port %u", account, host, port);
	g_autofree char *name = fold(account);

	return secret_password_store_sync(schema(), SECRET_COLLECTION_DEFAULT, label, password, NULL,
					  error, "server", host, "port", (int)port, "account", name,
					  NULL);
}

char *natter_keyring_lookup(const char *host, guint16 port, const char *account, GError **error)
{
	g_autofree char *name = fold(account);

	return secret_password_lookup_nonpageable_sync(schema(), NULL, error, "server", host, "port",
							(int)port, "account", name, NULL);
}

gboolean natter_keyring_clear(const char *host, guint16 port, const char *account, GError **error)
{
	g_autofree char *name = fold(account);

	return secret_password_clear_sync(schema(), NULL, error, "server", host, "port", (int)port,
					  "account", name, NULL);
}

void natter_keyring_free(char *password)
{
	if (password != NULL)
		secret_password_free(password);
}
