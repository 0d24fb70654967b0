/* natter-member-list.h - the people in the shown room, operators (@) and
 * voiced (+) first. */
#ifndef NATTER_MEMBER_LIST_H
#define NATTER_MEMBER_LIST_H

#include <gtk/gtk.h>

#include "natter-conversation.h"

G_BEGIN_DECLS

#define NATTER_TYPE_MEMBER_LIST (natter_member_list_get_type())
G_DECLARE_FINAL_TYPE(NatterMemberList, natter_member_list, NATTER, MEMBER_LIST, GtkBox)

void natter_member_list_set_conversation(NatterMemberList *self, NatterConversation *conv);

G_END_DECLS

#endif
