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

/* What an EVENT (or ERROR) line is about, so a view can collapse runs of
 * joins/parts/quits or style a WHOIS card; NONE for what people say. For
 * JOIN, PART, QUIT, KICK, NICK and AWAY the message's nick is who did it. */
typedef enum {
	NATTER_EVENT_NONE,
	NATTER_EVENT_JOIN,
	NATTER_EVENT_PART,
	NATTER_EVENT_QUIT,
	NATTER_EVENT_KICK,
	NATTER_EVENT_NICK,
	NATTER_EVENT_TOPIC,
	NATTER_EVENT_MODE,
	NATTER_EVENT_AWAY,       /* our own away state (305/306) or someone's (301) */
	NATTER_EVENT_MOTD,       /* the message of the day, one event per MOTD */
	NATTER_EVENT_NAMES,      /* who is in a room */
	NATTER_EVENT_WHOIS,      /* a WHOIS answer */
	NATTER_EVENT_LIST,       /* the room list finished */
	NATTER_EVENT_CONNECTION, /* disconnected, reconnected */
	NATTER_EVENT_CTCP,       /* a CTCP request answered or a reply shown */
	NATTER_EVENT_INFO,       /* another server reply, in words */
} NatterEventKind;

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

/* Set by the session before the message is added, then fixed. */
NatterEventKind natter_message_get_event(NatterMessage *self);
void natter_message_set_event(NatterMessage *self, NatterEventKind event);
/* TRUE when someone else's message names you as a word (for a highlight
 * and a notification). */
gboolean natter_message_get_mention(NatterMessage *self);
void natter_message_set_mention(NatterMessage *self, gboolean mention);
/* The server's msgid (IRCv3 message-ids), NULL when it sent none: history
 * is de-duplicated and redacted by it. Set before the message is added. */
const char *natter_message_get_msgid(NatterMessage *self);
void natter_message_set_msgid(NatterMessage *self, const char *msgid);

G_END_DECLS

#endif
