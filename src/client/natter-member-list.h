/* natter-member-list.h - the people in the shown room, operators (@) and
 * voiced (+) first (the member store keeps that order): a GtkListView, so
 * only the visible rows have widgets, fed through a NatterCoalescedModel so
 * a burst of changes (a big NAMES reply) binds the rows once. Emits "member-activated" (NatterMember) on
 * Enter or double click, and "member-menu" (NatterMember, row widget) on a
 * right click, the Menu key or Shift+F10. */
#ifndef NATTER_MEMBER_LIST_H
#define NATTER_MEMBER_LIST_H

#include <gtk/gtk.h>

#include "natter-conversation.h"

G_BEGIN_DECLS

#define NATTER_TYPE_MEMBER_LIST (natter_member_list_get_type())
G_DECLARE_FINAL_TYPE(NatterMemberList, natter_member_list, NATTER, MEMBER_LIST, GtkBox)

void natter_member_list_set_conversation(NatterMemberList *self, NatterConversation *conv);
/* The members as shown (sorted), and the one selected (or NULL). */
GListModel *natter_member_list_get_model(NatterMemberList *self);
NatterMember *natter_member_list_get_selected(NatterMemberList *self);

G_END_DECLS

#endif
