/* natter-chat-page.h - the chat screen: connection banner, header (room and
 * topic), the conversations sidebar, the message view with the input bar,
 * and the member list. Below ~640 px wide the two side panels collapse
 * behind the header's toggle buttons. */
#ifndef NATTER_CHAT_PAGE_H
#define NATTER_CHAT_PAGE_H

#include <gtk/gtk.h>

#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_CHAT_PAGE (natter_chat_page_get_type())
G_DECLARE_FINAL_TYPE(NatterChatPage, natter_chat_page, NATTER, CHAT_PAGE, GtkBox)

void natter_chat_page_set_session(NatterChatPage *self, NatterSession *session);
void natter_chat_page_focus_input(NatterChatPage *self);
/* The window's width changed: collapse or restore the side panels. */
void natter_chat_page_set_width(NatterChatPage *self, int width);

G_END_DECLS

#endif
