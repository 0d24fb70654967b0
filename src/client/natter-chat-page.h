/* natter-chat-page.h - the chat screen: the conversations sidebar (an
 * AdwLeaflet page with the primary menu) and the content (header bar with
 * the room and its topic, connection banner, the message view with the
 * input bar, and the member list in an AdwFlap). Narrow windows fold: the
 * sidebar and the messages take turns (a back button returns to the list)
 * and the member list slides over the messages instead of squeezing them. */
#ifndef NATTER_CHAT_PAGE_H
#define NATTER_CHAT_PAGE_H

#include <gtk/gtk.h>

#include "natter-input-bar.h"
#include "natter-member-list.h"
#include "natter-message-view.h"
#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_CHAT_PAGE (natter_chat_page_get_type())
G_DECLARE_FINAL_TYPE(NatterChatPage, natter_chat_page, NATTER, CHAT_PAGE, GtkBox)

void natter_chat_page_set_session(NatterChatPage *self, NatterSession *session);
void natter_chat_page_focus_input(NatterChatPage *self);
NatterInputBar *natter_chat_page_get_input_bar(NatterChatPage *self);
NatterMessageView *natter_chat_page_get_message_view(NatterChatPage *self);
NatterMemberList *natter_chat_page_get_member_list(NatterChatPage *self);
/* The menus of a member row (private chat, mention, WHOIS; for operators
 * op, voice, kick, ban) and of a conversation row (leave, close). Their
 * items are actions on the chat page: chat.private, chat.mention,
 * chat.whois, chat.op, chat.voice, chat.kick, chat.ban, chat.leave (each
 * takes a nick or a conversation name). */
GMenuModel *natter_chat_page_member_menu(NatterChatPage *self, NatterMember *member);
GMenuModel *natter_chat_page_conversation_menu(NatterChatPage *self, NatterConversation *conv);
/* Folded: show the messages, or the conversation list. */
void natter_chat_page_show_content(NatterChatPage *self);
void natter_chat_page_show_sidebar(NatterChatPage *self);
void natter_chat_page_set_primary_menu(NatterChatPage *self, GMenuModel *menu);
/* "#room — nick" (or "Natter"), for the window title; "title-changed" says when. */
char *natter_chat_page_dup_title(NatterChatPage *self);

G_END_DECLS

#endif
