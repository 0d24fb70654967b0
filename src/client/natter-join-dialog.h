/* natter-join-dialog.h - "Join a Room": the server's rooms (LIST) with
 * their topic and member count, busiest first, a search box that filters
 * by name or topic, and Join (Enter) for the selected room or for a new
 * "#name" typed in the box. */
#ifndef NATTER_JOIN_DIALOG_H
#define NATTER_JOIN_DIALOG_H

#include <adwaita.h>

#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_JOIN_DIALOG (natter_join_dialog_get_type())
G_DECLARE_FINAL_TYPE(NatterJoinDialog, natter_join_dialog, NATTER, JOIN_DIALOG, AdwWindow)

/* Asks the server for its rooms and shows them as they arrive. */
NatterJoinDialog *natter_join_dialog_new(GtkWindow *parent, NatterSession *session);
/* Types @text into the search box (for tests). */
void natter_join_dialog_set_query(NatterJoinDialog *self, const char *text);
/* The rooms shown (NatterRoomInfo), filtered and sorted. */
GListModel *natter_join_dialog_get_shown(NatterJoinDialog *self);
/* Joins the selected room (or a typed "#name"), as Enter and Join do;
 * closes the dialog and emits "done" with the room's name. */
void natter_join_dialog_join(NatterJoinDialog *self);

G_END_DECLS

#endif
