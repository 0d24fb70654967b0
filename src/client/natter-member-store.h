/* natter-member-store.h - a room's members as a sorted GListModel with a nick
 * index, for big rooms (issue 7): find is a hash lookup on the case-folded
 * nick, add/remove a binary search plus one memmove, and a NAMES line is
 * merged in one pass with one items-changed. Order: highest status first
 * (~ & @ % +), then by nick (IRC case rules), so a view needs no sort model.
 * Used through natter-conversation.h; GTK-free. */
#ifndef NATTER_MEMBER_STORE_H
#define NATTER_MEMBER_STORE_H

#include <gio/gio.h>

#include "natter-member.h"

G_BEGIN_DECLS

#define NATTER_TYPE_MEMBER_STORE (natter_member_store_get_type())
G_DECLARE_FINAL_TYPE(NatterMemberStore, natter_member_store, NATTER, MEMBER_STORE, GObject)

NatterMemberStore *natter_member_store_new(void);
NatterMember *natter_member_store_find(NatterMemberStore *self, const char *nick);
/* Adds @nick, or when there sets its prefixes (unless @prefixes is NULL). */
NatterMember *natter_member_store_add(NatterMemberStore *self, const char *nick,
				      const char *prefixes);
/* Adds many at once (a NAMES line): @members are new NatterMember objects;
 * a nick already there gets the new prefixes instead. */
void natter_member_store_add_many(NatterMemberStore *self, GPtrArray *members);
gboolean natter_member_store_remove(NatterMemberStore *self, const char *nick);
gboolean natter_member_store_rename(NatterMemberStore *self, const char *old_nick,
				    const char *new_nick);
/* Sets or clears one status prefix and moves the member to its place. */
gboolean natter_member_store_set_prefix(NatterMemberStore *self, const char *nick, char prefix,
					gboolean on, const char *order);
/* Sorts everything again (after prefixes were changed on members directly). */
void natter_member_store_resort(NatterMemberStore *self);
void natter_member_store_clear(NatterMemberStore *self);

G_END_DECLS

#endif
