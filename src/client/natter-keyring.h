/* natter-keyring.h - account passwords in the desktop keyring (libsecret:
 * GNOME Keyring, KWallet's Secret Service, ...), never in natter.ini.
 * One secret per server, port and account, in the schema
 * "org.natter.Natter.Account". GTK-free.
 *
 * Where no keyring runs (no Secret Service on the session bus), storing
 * fails with an error that says so and natter asks for the password again
 * next time. The GUI tests start gnome-keyring-daemon in their own D-Bus
 * session (tests/client/with-xvfb.sh). */
#ifndef NATTER_KEYRING_H
#define NATTER_KEYRING_H

#include <glib.h>

G_BEGIN_DECLS

gboolean natter_keyring_store(const char *host, guint16 port, const char *account,
			      const char *password, GError **error);
/* The saved password, or NULL (none, or no keyring: then @error says why). */
char *natter_keyring_lookup(const char *host, guint16 port, const char *account, GError **error);
gboolean natter_keyring_clear(const char *host, guint16 port, const char *account, GError **error);
/* Frees a password from natter_keyring_lookup() (wiped first). */
void natter_keyring_free(char *password);

G_END_DECLS

#endif
