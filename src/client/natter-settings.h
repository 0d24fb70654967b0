/* natter-settings.h - the last used server, port and name, remembered in a
 * key file at $XDG_CONFIG_HOME/natter/natter.ini. GTK-free.
 *
 * Several windows (natter processes) on one machine each keep their own
 * name: the file remembers the recent names, newest first, and each running
 * natter notes the name it uses in $XDG_RUNTIME_DIR/natter/in-use-PID
 * (written by natter_settings_save(), ignored and removed once that process
 * is gone). natter_settings_load() offers the newest recent name that no
 * other running natter uses, so a second window does not open pre-filled
 * with the first one's name. */
#ifndef NATTER_SETTINGS_H
#define NATTER_SETTINGS_H

#include <glib.h>

G_BEGIN_DECLS

#define NATTER_DEFAULT_HOST "127.0.0.1"
#define NATTER_DEFAULT_PORT 6697 /* natterd's TLS port: TLS by default */

typedef struct {
	char *host;
	guint16 port;
	char *nick; /* "" when never set, or when every recent name is in use */
	gboolean tls; /* "tls" in the file; when missing, TRUE for port 6697 */
} NatterSettings;

/* Loads the remembered values; missing ones get the defaults. @nick is the
 * newest remembered name that no other running natter uses. */
NatterSettings *natter_settings_load(void);
/* Writes them back (@nick becomes the newest recent name) and notes @nick
 * as this process's name in use; FALSE with @error when the file cannot be
 * written. */
gboolean natter_settings_save(const NatterSettings *settings, GError **error);
void natter_settings_free(NatterSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NatterSettings, natter_settings_free)

/* The rooms (besides #lobby) that @nick was in when natter last ran, so a
 * restart rejoins them and their history comes back (g_strfreev; empty,
 * never NULL). Kept per name in the [rooms] group of the key file. */
char **natter_settings_load_rooms(const char *nick);
/* Remembers @rooms (NULL-terminated) as the rooms @nick is in. */
gboolean natter_settings_save_rooms(const char *nick, const char *const *rooms, GError **error);

/* The key file's path (g_free). */
char *natter_settings_path(void);
/* The names other running natter processes use (for tests and the connect
 * screen); stale entries of finished processes are removed. */
GPtrArray *natter_settings_names_in_use(void);

G_END_DECLS

#endif
