/* natter-message-view.h - the lines of one conversation: timestamps, nick
 * colours, own lines set apart, events as quiet lines, clickable URLs.
 * Follows the newest line unless the person scrolled up. */
#ifndef NATTER_MESSAGE_VIEW_H
#define NATTER_MESSAGE_VIEW_H

#include <gtk/gtk.h>

#include "natter-conversation.h"

G_BEGIN_DECLS

#define NATTER_TYPE_MESSAGE_VIEW (natter_message_view_get_type())
G_DECLARE_FINAL_TYPE(NatterMessageView, natter_message_view, NATTER, MESSAGE_VIEW, GtkBox)

void natter_message_view_set_conversation(NatterMessageView *self, NatterConversation *conv);

/* The plain text of a row, also its accessible name: "12:34 bob: hi". */
char *natter_message_view_plain_text(NatterMessage *msg);
/* Pango markup for a row, with URLs as links. */
char *natter_message_view_markup(NatterMessage *msg);

G_END_DECLS

#endif
