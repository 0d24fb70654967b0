/* natter-message-view.h - the lines of one conversation: timestamps, nick
 * colours, own lines set apart, events as quiet lines, clickable URLs.
 * A GtkListView: only the visible lines have widgets. Follows the newest
 * line unless the person scrolled up; then a "New messages" button offers
 * the way back down. */
#ifndef NATTER_MESSAGE_VIEW_H
#define NATTER_MESSAGE_VIEW_H

#include <gtk/gtk.h>

#include "natter-conversation.h"
#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_MESSAGE_VIEW (natter_message_view_get_type())
G_DECLARE_FINAL_TYPE(NatterMessageView, natter_message_view, NATTER, MESSAGE_VIEW, GtkBox)

/* Shows @conv's lines, scrolled to the newest. */
void natter_message_view_set_conversation(NatterMessageView *self, NatterConversation *conv);
/* The lines shown (NatterMessage; runs of joins/parts/quits as one). */
GListModel *natter_message_view_get_shown(NatterMessageView *self);
/* Goes to the newest line and follows new ones again. */
void natter_message_view_scroll_to_end(NatterMessageView *self);
/* Scrolls by @pages screens (negative: back in time), as Page Up/Down. */
void natter_message_view_scroll_page(NatterMessageView *self, int pages);

/* History (natter-history.h): scrolled near the top, the view asks
 * @session for the page before (the rows in view stay where they are);
 * at the bottom of a focused window it marks the conversation read
 * (MARKREAD); a right click on your own line offers Delete Message. */
void natter_message_view_set_session(NatterMessageView *self, NatterSession *session);
/* When the newest line is in view and the window is focused: everything
 * shown counts as read (the "Unread messages" separator then moves to the
 * next line that arrives unread) and the read marker is sent (MARKREAD, at
 * most one per 2 s). FALSE when nothing was read (unfocused, scrolled up). */
gboolean natter_message_view_mark_read(NatterMessageView *self);
/* Opens the row menu for @msg at (@x, @y) in the view; FALSE when it has no entries. */
gboolean natter_message_view_popup_menu(NatterMessageView *self, NatterMessage *msg, double x, double y);

/* The plain text of a row, also its accessible name: "12:34 bob: hi". */
char *natter_message_view_plain_text(NatterMessage *msg);
/* The colour of @nick's name ("#rrggbb"), from the light or the dark
 * palette as the style is now. */
const char *natter_message_view_nick_colour(const char *nick);
/* Pango markup for a row, with URLs as links. */
char *natter_message_view_markup(NatterMessage *msg);

G_END_DECLS

#endif
