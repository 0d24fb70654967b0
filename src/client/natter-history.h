/* natter-history.h - what the server remembers, in the client (no GTK).
 *
 * With draft/chathistory (and batch, server-time, message-tags) a room's
 * recent lines load when it is joined (CHATHISTORY LATEST), the lines missed
 * while disconnected when it is rejoined (AFTER the newest msgid seen, page
 * after page until the gap is closed), and older pages on request (BEFORE
 * the oldest msgid): natter_session_load_older(). After registering,
 * CHATHISTORY TARGETS finds the private conversations the server remembers
 * and each gets its LATEST page. Every line is kept once: messages are
 * de-duplicated by msgid and inserted by their server time, so they show in
 * order whether they came live or from history.
 *
 * draft/read-marker: the server's MARKREAD sets a conversation's read
 * marker (the "Unread messages" line and, after a restart, the unread
 * count); natter_session_mark_read() moves it. draft/message-redaction:
 * natter_session_redact() removes one of your messages everywhere, and a
 * REDACT from the server removes the line it names. */
#ifndef NATTER_HISTORY_H
#define NATTER_HISTORY_H

#include "natter-session.h"

G_BEGIN_DECLS

/* Lines asked for per CHATHISTORY request (lowered to the server's
 * CHATHISTORY= limit when that is smaller). */
#define NATTER_HISTORY_PAGE 100

/* Asks for the page before the oldest line of @conv. FALSE when it cannot
 * (no draft/chathistory, a request is already out, nothing older, or no
 * line with a msgid yet). The lines arrive as one insertion at the top of
 * the conversation's messages, so a view can keep its scroll position. */
gboolean natter_session_load_older(NatterSession *self, NatterConversation *conv);
/* TRUE while a CHATHISTORY request for @conv is out. */
gboolean natter_session_history_loading(NatterSession *self, NatterConversation *conv);
/* TRUE when the server said there is nothing older than what @conv shows. */
gboolean natter_session_history_complete(NatterSession *self, NatterConversation *conv);

/* The read marker of @conv (draft/read-marker): the time up to which the
 * account has read it (local time), or NULL when unknown. Owned by @conv and
 * valid until the next call for it; copy it to keep it. When it moves, the
 * conversation's "unread" is recounted from it (conversations not shown). */
GDateTime *natter_session_get_read_marker(NatterSession *self, NatterConversation *conv);
/* Marks @conv read up to its newest line (sends MARKREAD when that moves
 * the marker forwards). FALSE when there is nothing to send. */
gboolean natter_session_mark_read(NatterSession *self, NatterConversation *conv);

/* TRUE when @msg can be deleted by us: our own, with a msgid, and the
 * server has draft/message-redaction. */
gboolean natter_session_can_redact(NatterSession *self, NatterMessage *msg);
/* Sends REDACT for @msg in @conv; the line goes when the server relays the
 * REDACT back (a FAIL REDACT is explained in the conversation). */
gboolean natter_session_redact(NatterSession *self, NatterConversation *conv, NatterMessage *msg);

G_END_DECLS

#endif
