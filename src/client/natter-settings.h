/* natter-settings.h - the last used server, port and name, remembered in a
 * key file at $XDG_CONFIG_HOME/natter/natter.ini. GTK-free. */
#ifndef NATTER_SETTINGS_H
#define NATTER_SETTINGS_H

#include <glib.h>

G_BEGIN_DECLS

#define NATTER_DEFAULT_HOST "127.0.0.1"
#define NATTER_DEFAULT_PORT 2048

typedef struct {
	char *host;
	guint16 port;
	char *nick; /* "" when never set */
} NatterSettings;

/* Loads the remembered values; missing ones get the defaults. */
NatterSettings *natter_settings_load(void);
/* Writes them back; FALSE with @error when the file cannot be written. */
gboolean natter_settings_save(const NatterSettings *settings, GError **error);
void natter_settings_free(NatterSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NatterSettings, natter_settings_free)

/* The key file's path (g_free). */
char *natter_settings_path(void);

G_END_DECLS

#endif
