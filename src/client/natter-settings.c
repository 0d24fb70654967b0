/* natter-settings.c - remembered connect-screen values (see natter-settings.h). */
#include "natter-settings.h"

#include <glib/gstdio.h>

#define GROUP "connect"

char *natter_settings_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "natter", "natter.ini", NULL);
}

NatterSettings *natter_settings_load(void)
{
	NatterSettings *s = g_new0(NatterSettings, 1);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = natter_settings_path();

	s->port = NATTER_DEFAULT_PORT;
	if (g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL)) {
		s->host = g_key_file_get_string(kf, GROUP, "server", NULL);
		s->nick = g_key_file_get_string(kf, GROUP, "nick", NULL);
		gint port = g_key_file_get_integer(kf, GROUP, "port", NULL);
		if (port > 0 && port <= 65535)
			s->port = (guint16)port;
	}
	if (s->host == NULL || *s->host == '\0') {
		g_free(s->host);
		s->host = g_strdup(NATTER_DEFAULT_HOST);
	}
	if (s->nick == NULL)
		s->nick = g_strdup("");
	return s;
}

gboolean natter_settings_save(const NatterSettings *s, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = natter_settings_path();
	g_autofree char *dir = g_path_get_dirname(path);

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Cannot create %s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	g_key_file_set_string(kf, GROUP, "server", s->host != NULL ? s->host : NATTER_DEFAULT_HOST);
	g_key_file_set_integer(kf, GROUP, "port", s->port);
	g_key_file_set_string(kf, GROUP, "nick", s->nick != NULL ? s->nick : "");
	return g_key_file_save_to_file(kf, path, error);
}

void natter_settings_free(NatterSettings *s)
{
	if (s == NULL)
		return;
	g_free(s->host);
	g_free(s->nick);
	g_free(s);
}
