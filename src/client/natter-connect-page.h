/* natter-connect-page.h - the first screen: server, port, username, Connect.
 * Checks the name before sending, shows progress (spinner + Cancel) and each
 * kind of failure in plain words, and offers another name when it is taken. */
#ifndef NATTER_CONNECT_PAGE_H
#define NATTER_CONNECT_PAGE_H

#include <gtk/gtk.h>

#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_CONNECT_PAGE (natter_connect_page_get_type())
G_DECLARE_FINAL_TYPE(NatterConnectPage, natter_connect_page, NATTER, CONNECT_PAGE, GtkBox)

NatterConnectPage *natter_connect_page_new(void);
void natter_connect_page_set_session(NatterConnectPage *self, NatterSession *session);
/* Fills the fields (NULL/0 leaves one as it is). */
void natter_connect_page_fill(NatterConnectPage *self, const char *host, guint16 port,
			      const char *nick);
/* Validates the fields and starts connecting, as the Connect button does. */
void natter_connect_page_connect(NatterConnectPage *self);
/* Ticks (or clears) "Use a secure connection (TLS)" without moving the port. */
void natter_connect_page_set_tls(NatterConnectPage *self, gboolean tls);
/* Puts the keyboard focus where the person should type. */
void natter_connect_page_focus(NatterConnectPage *self);

G_END_DECLS

#endif
