/* natter-conversation.h - a room or a private conversation: its messages,
 * its members (rooms only), topic and unread count. GTK-free.
 *
 * Properties "name", "topic", "unread" and "joined" notify, so widgets can
 * bind to them. */
#ifndef NATTER_CONVERSATION_H
#define NATTER_CONVERSATION_H

#include <gio/gio.h>

#include "natter-member.h"
#include "natter-message.h"

G_BEGIN_DECLS

typedef enum {
	NATTER_CONVERSATION_ROOM,    /* a channel: #name */
	NATTER_CONVERSATION_PRIVATE, /* private messages with one person */
} NatterConversationKind;

#define NATTER_TYPE_CONVERSATION (natter_conversation_get_type())
G_DECLARE_FINAL_TYPE(NatterConversation, natter_conversation, NATTER, CONVERSATION, GObject)

NatterConversation *natter_conversation_new(NatterConversationKind kind, const char *name);

NatterConversationKind natter_conversation_get_kind(NatterConversation *self);
const char *natter_conversation_get_name(NatterConversation *self);
void natter_conversation_set_name(NatterConversation *self, const char *name);
const char *natter_conversation_get_topic(NatterConversation *self);
void natter_conversation_set_topic(NatterConversation *self, const char *topic);
guint natter_conversation_get_unread(NatterConversation *self);
void natter_conversation_set_unread(NatterConversation *self, guint unread);
/* For rooms: TRUE while we are in it (FALSE after a disconnect until rejoined). */
gboolean natter_conversation_get_joined(NatterConversation *self);
void natter_conversation_set_joined(NatterConversation *self, gboolean joined);

/* A GListModel of NatterMessage, oldest first. */
GListModel *natter_conversation_get_messages(NatterConversation *self);
void natter_conversation_add_message(NatterConversation *self, NatterMessage *message);
/* History: inserts @n messages (already oldest first) at @position in one
 * change, so a view keeps its place; removes the one at @position. */
void natter_conversation_insert_messages(NatterConversation *self, guint position,
					 NatterMessage **messages, guint n);
void natter_conversation_remove_message(NatterConversation *self, guint position);
/* Convenience: adds an event or error line. */
void natter_conversation_add_event(NatterConversation *self, NatterMessageKind kind,
				   const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* A GListModel of NatterMember, kept sorted: highest status first
 * (~ & @ % +), then by name (IRC case rules); a view needs no sort model.
 * Finding a member is a hash lookup, adding or removing one a binary
 * search (natter-member-store.c), so a 10,000-member room stays fast. */
GListModel *natter_conversation_get_members(NatterConversation *self);
NatterMember *natter_conversation_find_member(NatterConversation *self, const char *nick);
/* Adds @nick (or updates its prefixes when already there). */
NatterMember *natter_conversation_add_member(NatterConversation *self, const char *nick,
					     const char *prefixes);
/* Adds many at once (a NAMES line): new NatterMember objects; one merge
 * and one items-changed. */
void natter_conversation_add_members(NatterConversation *self, GPtrArray *members);
/* Sets or clears one status prefix of @nick and keeps the order. */
gboolean natter_conversation_set_member_prefix(NatterConversation *self, const char *nick,
					       char prefix, gboolean on, const char *order);
gboolean natter_conversation_remove_member(NatterConversation *self, const char *nick);
gboolean natter_conversation_rename_member(NatterConversation *self, const char *old_nick,
					   const char *new_nick);
/* Re-sorts everything (only needed after changing prefixes on a member
 * directly; natter_conversation_set_member_prefix() keeps the order). */
void natter_conversation_resort_members(NatterConversation *self);
void natter_conversation_clear_members(NatterConversation *self);

G_END_DECLS

#endif
