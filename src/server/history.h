/* history.h - the message history: every room message, private message,
 * NOTICE, TOPIC change and (configurably) JOIN/PART/KICK is written to the
 * store in natterd.db by one writer thread of its own, which commits in
 * batches (up to [history] batch_max records, or whatever came in while the
 * previous commit ran, plus an optional commit window).
 *
 * "Acknowledged means stored": a logged message is given a sequence number
 * and every connection it is queued to is held (conn.c writes nothing to it)
 * until the writer has committed that number. So nobody, the sender's echo
 * included, sees a message that a crash of natterd could lose. With
 * synchronous=NORMAL a commit survives natterd being killed (the WAL is in
 * the kernel's page cache); synchronous=FULL also survives power loss.
 *
 * Reads are merged with the newest rows, which the loop keeps in memory
 * until the writer has moved them into the indexed table (history_internal.h
 * has a row's whole way). CHATHISTORY reads in a worker through a
 * history_view; the small look-ups (replay on join, markers, offline
 * delivery, TARGETS) run on the loop's read-only connection. */
#ifndef NATTERD_HISTORY_H
#define NATTERD_HISTORY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct channel;
struct client;
struct conn;
struct outmsg;

/* What a stored line is; message kinds sort before event kinds. Every
 * client gets message kinds; event kinds only a client with
 * draft/event-playback (CHATHISTORY), and never replay on join.
 *
 * HIST_MULTILINE is one draft/multiline message in one row, under the
 * batch's msgid: its line is ":source COMMAND target" and then, per line of
 * the message, "\n" + ' ' (a new line) or '+' (draft/multiline-concat) +
 * the text. It is sent back as a draft/multiline batch to clients with
 * draft/multiline and batch, else as its non-blank lines, the first with
 * the message's msgid and the others without one (see history_send_rows).
 *
 * HIST_QUIT and HIST_NICK ([history] store_joins, like JOIN/PART/KICK) are
 * one row per room the person was in, each under the one msgid the live
 * QUIT/NICK had (msgids are unique per target, not overall).
 * HIST_TAGMSG is a TAGMSG with client-only tags (+draft/react,
 * +draft/reply...), sent back only to clients with message-tags; one that
 * carries nothing but +typing is not kept. */
enum history_kind {
	HIST_PRIVMSG = 1,
	HIST_NOTICE = 2,
	HIST_MULTILINE = 3,
	HIST_TOPIC = 10,
	HIST_JOIN = 11,
	HIST_PART = 12,
	HIST_KICK = 13,
	HIST_QUIT = 14,
	HIST_NICK = 15,
	HIST_TAGMSG = 16,
};
#define HIST_LAST_MESSAGE_KIND HIST_MULTILINE

/* One stored line, as read back. */
struct history_row {
	int64_t id;
	int64_t time_ms;
	int kind;
	char msgid[24];
	char *sender;  /* identity of the sender */
	char *line;    /* ":source COMMAND params" without tags or CRLF */
	char *tags;    /* the sender's client-only tags, escaped; NULL if none */
};

/* Starts the writer (after db_open and with the event loop made). */
bool history_open(const char *data_dir, GError **error);
/* Commits what is queued and stops the writer. */
void history_close(void);
bool history_enabled(void);

/* Logs a relayed line. @m gets its msgid and time now, and its sequence
 * number, so that every connection it is queued to waits for the commit. */
void history_log_room(struct channel *ch, struct client *from, struct outmsg *m,
		      enum history_kind kind);
void history_log_private(struct client *from, struct client *to, struct outmsg *m,
			 enum history_kind kind);
/* Logs a QUIT or NICK of @from once in every room it is in (call it
 * before @from leaves them), when [history] store_joins. */
void history_log_rooms_of(struct client *from, struct outmsg *m, enum history_kind kind);
/* Logs a draft/multiline message of @from to room @ch or to @to (one of
 * them NULL) under @m's msgid and time: @texts (char *) and @concat
 * (gboolean, draft/multiline-concat) per line, sent with @command. */
void history_log_multiline(struct client *from, struct channel *ch, struct client *to,
			   struct outmsg *m, const char *command, GPtrArray *texts,
			   GArray *concat);

/* Hands the records logged in this loop turn to the writer at once (the
 * main loop calls it after each turn, before the flush pass). */
void history_submit(void);

/* True when record @seq is on disk (or history holds nothing back). */
bool history_committed(uint64_t seq);
/* True when every stored row is in the indexed table, none only in the
 * loop's memory and history_log (for benchmarks and tests). */
bool history_all_moved(void);

/* The identity history keys a person by: their account (case-folded) when
 * logged in, else "~" and their case-folded nick. */
char *history_identity(const struct client *c);
/* The identity of whoever @nick names: the client using it now, else the
 * account of that name, else the nick. */
char *history_peer_identity(const char *nick);
/* A private message to @nick, an account with nobody connected: stored,
 * and delivered at its next login. False when @nick is no such account. */
bool history_log_offline(struct client *from, const char *nick, struct outmsg *m);
/* The same for a draft/multiline message (see history_log_multiline). */
bool history_log_offline_multiline(struct client *from, const char *nick, struct outmsg *m,
				   const char *command, GPtrArray *texts, GArray *concat);
/* Sends @c (registered, logged in) the private messages kept for its
 * account while it was away, with their original time. */
void history_deliver_offline(struct client *c);
/* The key of the private conversation between identities @a and @b. */
char *history_private_key(const char *a, const char *b);

/* A point in a target's history: (time, id) of a msgid, or a timestamp. */
struct history_ref {
	bool all;      /* "*": no bound */
	int64_t time_ms;
	int64_t id;    /* the row's id for a msgid; -1/INT64_MAX for a timestamp */
};

enum history_dir { HIST_BEFORE, HIST_AFTER, HIST_LATEST };

/* Resolves "msgid=..." or "timestamp=..." (or "*" when @star_ok) within
 * @target. Returns false when malformed; @found false for an unknown msgid. */
bool history_parse_ref(const char *target, const char *s, bool star_ok,
		       struct history_ref *ref, bool *found);

/* A read of one target run in a worker (async.h's ASYNC_LOOKUP), so that
 * the loop never waits for a page of the file: history_view_new() (loop)
 * holds the target's rows that are still in memory, the worker resolves
 * references and queries through the view on its own read-only connection,
 * and history_view_free() (loop) lets go. The view's calls work as
 * history_parse_ref() and history_query() do. */
struct history_view;
struct history_view *history_view_new(const char *target);
void history_view_free(struct history_view *v);
bool history_view_parse_ref(struct history_view *v, const char *s, bool star_ok,
			    struct history_ref *ref, bool *found);
GPtrArray *history_view_query(struct history_view *v, const struct history_ref *lo,
			      const struct history_ref *hi, bool newest, int limit, int max_kind,
			      int64_t since_ms);

/* Up to @limit rows of @target strictly after @lo and strictly before @hi
 * (either may be "all"), kinds up to @max_kind, not before @since_ms;
 * the @limit newest when @newest, else the oldest. Rows come oldest first. */
GPtrArray *history_query(const char *target, const struct history_ref *lo,
			 const struct history_ref *hi, bool newest, int limit,
			 int max_kind, int64_t since_ms);
void history_row_free(struct history_row *row);

/* The newest time a message was stored for @target between @lo_ms and
 * @hi_ms (exclusive), or 0. */
int64_t history_latest_time(const char *target, int64_t lo_ms, int64_t hi_ms);
/* Private conversations of @identity with a message between @lo_ms and
 * @hi_ms: an array of g_strdup'd "<other identity> <time_ms>". */
GPtrArray *history_conversations(const char *identity, int64_t lo_ms, int64_t hi_ms,
				 int limit);

/* The row with @msgid (any target), or NULL. */
struct history_row *history_find_msgid(const char *msgid, char **target_out);
/* Removes @msgid from the store in the background. */
void history_redact(const char *msgid, struct outmsg *m);

/* Read markers: the time @owner last read @target (0 when never), and
 * setting it in the background. */
int64_t history_read_marker(const char *owner, const char *target);
void history_set_read_marker(const char *owner, const char *target, int64_t time_ms);

/* Formats @ms as an IRCv3 server-time value (YYYY-MM-DDThh:mm:ss.sssZ). */
void history_format_time(int64_t ms, char *out, size_t len);
/* Parses a server-time value; false when malformed. */
bool history_parse_time(const char *s, int64_t *ms);

/* Sends @rows to @to (inside whatever batch is open to it), with time and
 * msgid tags when @force_tags or as its capabilities ask: used for
 * CHATHISTORY and for replay on join. */
void history_send_rows(struct client *to, GPtrArray *rows, bool force_tags);

/* When @c joined @ch (wall-clock ms), 0 when not a member. */
int64_t history_joined_at(struct channel *ch, struct client *c);

/* Whether people see what was said in @ch before they joined ([history]
 * before_join, or the room's own history_before_join). */
bool history_room_before_join(const struct channel *ch);

/* Sends the last [history] replay_on_join lines of @ch to @c, when it did
 * not negotiate draft/chathistory. */
void history_replay_on_join(struct client *c, struct channel *ch);

#endif
