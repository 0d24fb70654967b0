/* send.h - putting lines on clients' output queues.
 *
 * Replies to one client are formatted for that client. A message relayed to
 * many (a room message, a QUIT, a NICK change) is an outmsg: its body is
 * formatted once, and its wire form once per tag variant (with or without
 * server-time / message-tags), then the same bytes are queued to everyone. */
#ifndef NATTERD_SEND_H
#define NATTERD_SEND_H

#include <glib.h>
#include <stdbool.h>

#include "irc_message.h"

struct client;
struct channel;

/* Queues one line (CRLF added) to @to. */
void send_line(struct client *to, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Queues a numeric from numerics.h: ":server NNN nick " + the rest of @fmt. */
void send_numeric(struct client *to, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* FAIL <command> <code> :<description> (IRCv3 standard replies). */
void send_fail(struct client *to, const char *command, const char *code, const char *text);

#define OUTMSG_VARIANTS 4

struct outmsg {
	/* ":source COMMAND params\r\n" without tags: the wire form for clients
	 * with no tag capability, so the common case allocates nothing. */
	char body[IRC_LINE_MAX + 1];
	size_t body_len;          /* including the CRLF */
	GString *client_tags;     /* the sender's +tags, escaped; NULL if none */
	char msgid[24];
	char time[32];
	GString *wire[OUTMSG_VARIANTS]; /* tagged variants, built on first use */
};

/* Starts a relayed message. Client-only tags of @origin (may be NULL) are
 * carried to recipients that negotiated message-tags. */
void outmsg_init(struct outmsg *m, const struct irc_message *origin);
void outmsg_printf(struct outmsg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The hot-path body ":@source @command @target :@text" (no :text when
 * @text is NULL), built by copying, without printf. */
void outmsg_compose(struct outmsg *m, const char *source, const char *command,
		    const char *target, const char *text);
void outmsg_clear(struct outmsg *m);

/* Queues @m to one client. */
void outmsg_send(struct outmsg *m, struct client *to);

/* Queues @m to every member of @ch except @skip (may be NULL) that has all
 * capabilities in @need_caps (0 for everyone). */
void outmsg_to_channel(struct outmsg *m, struct channel *ch, struct client *skip,
		       unsigned need_caps);

/* Queues @m once to every client sharing a channel with @c (and to @c itself
 * when @self), filtered by @need_caps like outmsg_to_channel. */
void outmsg_to_neighbours(struct outmsg *m, struct client *c, bool self, unsigned need_caps);

#endif
