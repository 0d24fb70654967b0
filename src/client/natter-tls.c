/* natter-tls.c - fingerprints and the known-hosts file (see natter-tls.h). */
#define G_LOG_DOMAIN "natter"

#include "natter-tls.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

char *natter_tls_fingerprint(GTlsCertificate *cert)
{
	g_autoptr(GByteArray) der = NULL;

	g_object_get(cert, "certificate", &der, NULL);
	if (der == NULL)
		return NULL;
	guint8 digest[32];
	gsize len = sizeof digest;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sum, der->data, der->len);
	g_checksum_get_digest(sum, digest, &len);
	GString *out = g_string_sized_new(96);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(out, "%s%02X", i > 0 ? ":" : "", digest[i]);
	return g_string_free(out, FALSE);
}

char *natter_tls_known_hosts_path(void)
{
	const char *env = g_getenv("NATTER_KNOWN_HOSTS");

	if (env != NULL && *env != '\0')
		return g_strdup(env);
	return g_build_filename(g_get_user_data_dir(), "natter", "known-hosts", NULL);
}

static char *host_key(const char *host, guint16 port)
{
	return g_strdup_printf("%s:%u", host, port);
}

char *natter_tls_lookup(const char *host, guint16 port)
{
	g_autofree char *path = natter_tls_known_hosts_path();
	g_autofree char *text = NULL;
	g_autofree char *key = host_key(host, port);

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		g_auto(GStrv) f = g_strsplit_set(g_strstrip(*l), " \t", 2);
		if (f[0] == NULL || f[0][0] == '#' || f[1] == NULL)
			continue;
		if (g_ascii_strcasecmp(f[0], key) == 0)
			return g_strdup(g_strstrip(f[1]));
	}
	return NULL;
}

gboolean natter_tls_remember(const char *host, guint16 port, const char *fingerprint,
			     GError **error)
{
	g_autofree char *path = natter_tls_known_hosts_path();
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *text = NULL;
	g_autofree char *key = host_key(host, port);
	g_autoptr(GString) out = g_string_new("# natter: TLS certificates trusted on first use (host:port SHA-256)\n");

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Could not create %s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
		for (char **l = lines; *l != NULL; l++) {
			g_autofree char *copy = g_strstrip(g_strdup(*l));
			if (*copy == '\0' || *copy == '#')
				continue;
			g_auto(GStrv) f = g_strsplit_set(copy, " \t", 2);
			if (g_ascii_strcasecmp(f[0], key) == 0)
				continue;
			g_string_append_printf(out, "%s\n", copy);
		}
	}
	g_string_append_printf(out, "%s %s\n", key, fingerprint);
	return g_file_set_contents_full(path, out->str, (gssize)out->len,
					G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
