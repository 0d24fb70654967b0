/* natter-conversation-list.h - the sidebar: every open conversation with its
 * unread count; selecting one makes it the session's active conversation,
 * activating one (Enter, click) also emits "conversation-activated". */
#ifndef NATTER_CONVERSATION_LIST_H
#define NATTER_CONVERSATION_LIST_H

#include <gtk/gtk.h>

#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_CONVERSATION_LIST (natter_conversation_list_get_type())
G_DECLARE_FINAL_TYPE(NatterConversationList, natter_conversation_list, NATTER, CONVERSATION_LIST, GtkBox)

void natter_conversation_list_set_session(NatterConversationList *self, NatterSession *session);
/* Puts the keyboard focus on the selected row. */
void natter_conversation_list_focus(NatterConversationList *self);

G_END_DECLS

#endif
