/* natter-message.h - one line in a conversation: something said, or an event
 * (join, part, topic change, server error). Immutable once made. GTK-free. */
#ifndef NATTER_MESSAGE_H
#define NATTER_MESSAGE_H

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
	NATTER_MESSAGE_TEXT,   /* PRIVMSG */
	NATTER_MESSAGE_ACTION, /* /me (CTCP ACTION) */
	NATTER_MESSAGE_NOTICE, /* NOTICE */
	NATTER_MESSAGE_EVENT,  /* join, part, quit, nick, topic: a quiet line */
	NATTER_MESSAGE_ERROR,  /* a server error, in plain words */
} NatterMessageKind;

#define NATTER_TYPE_MESSAGE (natter_message_get_type())
G_DECLARE_FINAL_TYPE(NatterMessage, natter_message, NATTER, MESSAGE, GObject)

/* @time NULL means now. @nick may be NULL for events and errors. */
NatterMessage *natter_message_new(NatterMessageKind kind, GDateTime *time,
				  const char *nick, const char *text, gboolean own);

NatterMessageKind natter_message_get_kind(NatterMessage *self);
GDateTime *natter_message_get_time(NatterMessage *self);
const char *natter_message_get_nick(NatterMessage *self);
const char *natter_message_get_text(NatterMessage *self);
/* TRUE for what this client's user said. */
gboolean natter_message_is_own(NatterMessage *self);

G_END_DECLS

#endif
