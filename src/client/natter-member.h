/* natter-member.h - a person in a room, with their channel status prefixes
 * ("@" operator, "+" voice, several with multi-prefix). GTK-free. */
#ifndef NATTER_MEMBER_H
#define NATTER_MEMBER_H

#include <glib-object.h>

G_BEGIN_DECLS

#define NATTER_TYPE_MEMBER (natter_member_get_type())
G_DECLARE_FINAL_TYPE(NatterMember, natter_member, NATTER, MEMBER, GObject)

NatterMember *natter_member_new(const char *nick, const char *prefixes);

const char *natter_member_get_nick(NatterMember *self);
void natter_member_set_nick(NatterMember *self, const char *nick);
/* Status prefixes, highest first ("@+"), or "". */
const char *natter_member_get_prefixes(NatterMember *self);
/* Adds or removes one prefix; @order lists all prefixes, highest first. */
void natter_member_set_prefix(NatterMember *self, char prefix, gboolean on,
			      const char *order);
/* Replaces all prefixes (highest first). */
void natter_member_set_prefixes(NatterMember *self, const char *prefixes);
/* The account they are logged in to (extended-join, account-notify, WHOX
 * %a), NULL when not logged in or not known. Property "account". */
const char *natter_member_get_account(NatterMember *self);
void natter_member_set_account(NatterMember *self, const char *account);
gboolean natter_member_get_away(NatterMember *self);
void natter_member_set_away(NatterMember *self, gboolean away);

G_END_DECLS

#endif
