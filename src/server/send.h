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
#include <stdint.h>

#include "irc_message.h"

struct client;
struct channel;

/* Queues one line (CRLF added) to @to. */
void send_line(struct client *to, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Queues a numeric from numerics.h: ":server NNN nick " + the rest of @fmt. */
void send_numeric(struct client *to, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Queues a numeric whose last parameter is a list: @fmt ends in "%s" (the
 * list) and may have one "%s" before it, filled with @arg. The @items are
 * joined with @sep and split over as many lines as the 512-byte limit needs,
 * never cutting an item (MONITOR, ISON, WHOIS channels). Nothing is sent
 * for an empty list. */
void send_numeric_list(struct client *to, const char *fmt, const char *arg, GPtrArray *items,
		       char sep);

/* Queues a preformatted line (CRLF included, tags allowed) to @to, inside
 * its open batch or labeled response like every other line. */
void send_raw(struct client *to, const char *data, size_t len);

/* FAIL <command> <code> :<description> (IRCv3 standard replies). */
void send_fail(struct client *to, const char *command, const char *code, const char *text);

/* server-time x message-tags x account-tag */
#define OUTMSG_VARIANTS 8

/* A composed message: what every recipient's wire form is built from, and
 * what history stores. Its msgid and server time are fixed when it is
 * composed (outmsg_init), whatever the recipients' capabilities, so every
 * copy of one message (live, echoed, replayed) carries the same id and time.
 *
 * The structured view (source, command, params) borrows strings: from the
 * caller for outmsg_compose(), from @parsed for outmsg_printf(). It is valid
 * until outmsg_clear() and while the caller's strings live. */
struct outmsg {
	uint64_t msgid_seq;       /* the msgid's number, assigned at compose;
				   * set to 0 for a line sent without one */
	int64_t time_us;          /* wall clock at compose (server-time) */
	const char *source;       /* nick!user@host or the server name */
	const char *command;
	const char *params[IRC_MAX_PARAMS];
	int nparams;
	GString *client_tags;     /* the sender's +tags, escaped; NULL if none */
	const char *account;      /* the sender's account (account-tag), or NULL */

	/* ":source COMMAND params\r\n" without tags: the wire form for clients
	 * with no tag capability, so the common case allocates nothing. */
	char body[IRC_LINE_MAX + 1];
	size_t body_len;          /* including the CRLF */
	char msgid[24];           /* text of msgid_seq, made on first use */
	char time[32];            /* ISO 8601 text of time_us, made on first use */
	char parsed[IRC_LINE_MAX + 1]; /* outmsg_printf's body, split for params */
	uint64_t hist_seq;        /* history record; recipients wait for its commit */
	GString *wire[OUTMSG_VARIANTS]; /* tagged variants, built on first use */
};

/* Starts a relayed message, assigning its msgid and time. Client-only tags
 * of @origin (may be NULL) are carried to recipients that negotiated
 * message-tags. */
void outmsg_init(struct outmsg *m, const struct irc_message *origin);
/* Adds a tag for recipients with message-tags (e.g. "bot"); @value may be NULL. */
void outmsg_add_tag(struct outmsg *m, const char *key, const char *value);
/* The msgid and the "2026-01-02T03:04:05.678Z" time of @m. */
const char *outmsg_msgid(struct outmsg *m);
const char *outmsg_time(struct outmsg *m);
void outmsg_printf(struct outmsg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The hot-path body ":@source @command @target :@text" (no :text when
 * @text is NULL), built by copying, without printf. */
void outmsg_compose(struct outmsg *m, const char *source, const char *command,
		    const char *target, const char *text);
void outmsg_clear(struct outmsg *m);
/* Marks @m as sent by @c: recipients with account-tag see its account. */
void outmsg_from(struct outmsg *m, const struct client *c);
/* Formats @ms since the epoch as an IRCv3 server-time value. */
void send_format_time(int64_t ms, char *out, size_t len);

/* Queues @m to one client. */
void outmsg_send(struct outmsg *m, struct client *to);

/* Queues @m to every member of @ch except @skip (may be NULL) that has all
 * capabilities in @need_caps (0 for everyone). */
void outmsg_to_channel(struct outmsg *m, struct channel *ch, struct client *skip,
		       unsigned need_caps);

/* Queues @m once to every client sharing a channel with @c (and to @c itself
 * when @self), filtered by @need_caps like outmsg_to_channel. */
void outmsg_to_neighbours(struct outmsg *m, struct client *c, bool self, unsigned need_caps);

/* Right after outmsg_to_neighbours(): also to the clients MONITORing @c
 * that negotiated extended-monitor (and @need_caps), once each (IRCv3
 * extended-monitor: away, setname, chghost... as if sharing a room). */
void outmsg_to_watchers(struct outmsg *m, struct client *c, unsigned need_caps);

/* --- batches (IRCv3 batch) ------------------------------------------------
 *
 * send_batch_begin() opens a batch to one client: it sends
 * "BATCH +id type params" and, until the matching send_batch_end(), every
 * line queued to that client carries @batch=id (the innermost open batch's
 * id, so batches nest). To a client without the batch capability nothing
 * extra is sent and lines go untagged, so callers need no check.
 * chathistory, multiline and labeled-response use this. */

/* @params may be NULL; it is appended after the type as given. */
void send_batch_begin(struct client *to, const char *type, const char *params);
/* The same with @tags ("@time=...;msgid=... " or "") on the opening line and
 * @source instead of the server's name (a replayed draft/multiline batch). */
void send_batch_begin_from(struct client *to, const char *tags, const char *source,
			   const char *type, const char *params);
void send_batch_end(struct client *to);

/* --- labeled responses (IRCv3 labeled-response) ----------------------------
 *
 * command_dispatch() brackets each labeled command of a client that
 * negotiated labeled-response with send_label_begin()/send_label_end():
 * no reply gives "ACK", one line carries @label, several are wrapped in a
 * "labeled-response" batch (only the first is labeled without batch).
 * Work that answers later (a worker thread) takes the label with
 * send_label_take() before the handler returns and, when its result is
 * back, wraps its replies in send_label_begin(c, label) ... send_label_end(c). */
void send_label_begin(struct client *c, const char *label);
void send_label_end(struct client *c);
/* The pending label (caller frees), or NULL when none or when a reply has
 * already gone out; send_label_end() then does nothing for this command. */
char *send_label_take(struct client *c);

/* Frees @c's batch and label state (at client exit). */
void send_state_free(struct client *c);

#endif
