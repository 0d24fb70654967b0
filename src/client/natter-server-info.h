/* natter-server-info.h - the server view: which server this window talks
 * to, how (TLS, account), and what it says about itself after connecting
 * (its LUSERS statistics), kept out of the rooms. Opened from the main
 * menu (Server Information). */
#ifndef NATTER_SERVER_INFO_H
#define NATTER_SERVER_INFO_H

#include <adwaita.h>

#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_SERVER_INFO (natter_server_info_get_type())
G_DECLARE_FINAL_TYPE(NatterServerInfo, natter_server_info, NATTER, SERVER_INFO, AdwWindow)

NatterServerInfo *natter_server_info_new(GtkWindow *parent, NatterSession *session);

G_END_DECLS

#endif
