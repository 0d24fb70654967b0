/* natter-history.c - CHATHISTORY, batches, read markers and redaction in the
 * session core (see natter-history.h). No GTK.
 *
 * Per conversation a ConvHistory (attached to the conversation object, so it
 * follows a private chat through a rename) keeps the msgids shown, the
 * newest and oldest of them, and whether a request is out. Lines inside a
 * "chathistory" batch are collected, then merged into the conversation at
 * the batch's end: duplicates dropped, each run inserted at its place by
 * server time in one change. */
#define G_LOG_DOMAIN "natter"

#include "natter-history.h"

#include <string.h>

#include "irc_names.h"
#include "natter-session-private.h"

/* REQ_AFTER_TIME: the gap after a reconnect asked by the time of the
 * newest line, because its msgid is no longer known to the server
 * (retention or redaction removed it). */
typedef enum { REQ_NONE, REQ_LATEST, REQ_AFTER, REQ_AFTER_TIME, REQ_BEFORE } RequestKind;

typedef struct {
	GHashTable *ids;    /* msgids in the conversation */
	char *newest_id;
	gint64 newest_ms;
	char *oldest_id;
	gint64 oldest_ms;
	RequestKind pending; /* a CHATHISTORY request is out */
	gboolean requested; /* asked at least once */
	gboolean complete;  /* nothing older on the server */
	gint64 read_ms;     /* read marker, 0 when unknown */
	gint64 mark_sent_ms; /* the marker we last sent */
	gint64 mark_sent_at; /* when (monotonic us) */
	guint mark_timer;    /* a later MARKREAD is due */
} ConvHistory;

/* At most one MARKREAD per conversation in this time, so reading a busy
 * room never runs into the server's flood limit; the last one is sent
 * when the time is up. */
#define MARK_READ_INTERVAL_US (2 * G_USEC_PER_SEC)

typedef struct {
	char *type;   /* "chathistory", "draft/chathistory-targets", ... */
	char *target; /* chathistory: the conversation */
	GPtrArray *messages; /* NatterMessage collected */
	guint lines;  /* lines received (before de-duplication) */
} Batch;

struct _NatterHistory {
	guint limit;
	GHashTable *batches; /* ref -> Batch (ours only) */
};

#define CONV_KEY "natter-history"

static void conv_history_free(gpointer data)
{
	ConvHistory *st = data;
	g_hash_table_unref(st->ids);
	g_free(st->newest_id);
	g_free(st->oldest_id);
	g_free(st);
}

static ConvHistory *conv_history(NatterConversation *conv)
{
	ConvHistory *st = g_object_get_data(G_OBJECT(conv), CONV_KEY);
	if (st == NULL) {
		st = g_new0(ConvHistory, 1);
		st->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_object_set_data_full(G_OBJECT(conv), CONV_KEY, st, conv_history_free);
	}
	return st;
}

static void batch_free(gpointer data)
{
	Batch *b = data;
	g_free(b->type);
	g_free(b->target);
	g_ptr_array_unref(b->messages);
	g_free(b);
}

NatterHistory *natter_history_new(void)
{
	NatterHistory *h = g_new0(NatterHistory, 1);
	h->limit = NATTER_HISTORY_PAGE;
	h->batches = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, batch_free);
	return h;
}

void natter_history_free(NatterHistory *h)
{
	if (h == NULL)
		return;
	g_hash_table_unref(h->batches);
	g_free(h);
}

/* A new connection: batches of the old one will never end. */
void natter_history_reset_(NatterSession *self)
{
	GListModel *model = G_LIST_MODEL(self->conversations);

	g_hash_table_remove_all(self->history->batches);
	for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		ConvHistory *st = conv_history(c);
		st->pending = REQ_NONE;
		/* a MARKREAD waiting for its turn goes with the connection */
		if (st->mark_timer != 0) {
			g_source_remove(st->mark_timer);
			st->mark_timer = 0;
		}
	}
}

static gint64 time_ms(GDateTime *t)
{
	return g_date_time_to_unix(t) * 1000 + g_date_time_get_microsecond(t) / 1000;
}

static char *format_ms(gint64 ms)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(ms / 1000);
	g_autofree char *base = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
	return g_strdup_printf("%s.%03dZ", base, (int)(ms % 1000));
}

static gboolean has_history(NatterSession *self)
{
	return natter_session_has_cap(self, "draft/chathistory") &&
	       natter_session_has_cap(self, "batch");
}

void natter_history_isupport_(NatterSession *self, const char *token)
{
	if (g_str_has_prefix(token, "CHATHISTORY=")) {
		guint64 n = g_ascii_strtoull(token + 12, NULL, 10);
		/* 0 means no limit */
		self->history->limit = n > 0 && n < NATTER_HISTORY_PAGE ? (guint)n : NATTER_HISTORY_PAGE;
	}
}

static void send_request(NatterSession *self, NatterConversation *conv, RequestKind kind)
{
	ConvHistory *st = conv_history(conv);
	const char *name = natter_conversation_get_name(conv);
	g_autofree char *limit = g_strdup_printf("%u", self->history->limit);

	st->pending = kind;
	st->requested = TRUE;
	if (kind == REQ_LATEST) {
		natter_session_send_command_(self, "CHATHISTORY", 4, "LATEST", name, "*", limit);
	} else if (kind == REQ_AFTER_TIME) {
		/* A millisecond before the newest line: AFTER a timestamp is
		 * exclusive, and others may have spoken in that same
		 * millisecond; what is already shown is dropped by msgid. */
		g_autofree char *when = format_ms(st->newest_ms > 0 ? st->newest_ms - 1 : 0);
		g_autofree char *ref = g_strdup_printf("timestamp=%s", when);
		natter_session_send_command_(self, "CHATHISTORY", 4, "AFTER", name, ref, limit);
	} else {
		g_autofree char *ref = g_strdup_printf("msgid=%s",
						       kind == REQ_AFTER ? st->newest_id : st->oldest_id);
		natter_session_send_command_(self, "CHATHISTORY", 4,
					     kind == REQ_AFTER ? "AFTER" : "BEFORE", name, ref, limit);
	}
}

/* Joined @conv (or found a private one): its recent lines, or the gap. */
void natter_history_joined_(NatterSession *self, NatterConversation *conv)
{
	ConvHistory *st = conv_history(conv);

	if (!has_history(self) || st->pending != REQ_NONE)
		return;
	send_request(self, conv, st->newest_id != NULL ? REQ_AFTER : REQ_LATEST);
}

/* Registered: which private conversations does the server remember? */
void natter_history_registered_(NatterSession *self)
{
	if (!has_history(self))
		return;
	gint64 now_ms = g_get_real_time() / 1000 + 60 * 1000;
	g_autofree char *to = format_ms(now_ms);
	g_autofree char *upto = g_strdup_printf("timestamp=%s", to);
	g_autofree char *limit = g_strdup_printf("%u", self->history->limit);
	natter_session_send_command_(self, "CHATHISTORY", 4, "TARGETS",
				     "timestamp=1970-01-01T00:00:00.000Z", upto, limit);
}

gboolean natter_session_load_older(NatterSession *self, NatterConversation *conv)
{
	g_return_val_if_fail(NATTER_IS_SESSION(self), FALSE);
	ConvHistory *st = conv_history(conv);

	if (!has_history(self) || self->state != NATTER_SESSION_CONNECTED ||
	    st->pending != REQ_NONE || st->complete || st->oldest_id == NULL)
		return FALSE;
	send_request(self, conv, REQ_BEFORE);
	return TRUE;
}

gboolean natter_session_history_loading(NatterSession *self, NatterConversation *conv)
{
	(void)self;
	return conv_history(conv)->pending != REQ_NONE;
}

gboolean natter_session_history_complete(NatterSession *self, NatterConversation *conv)
{
	(void)self;
	return conv_history(conv)->complete;
}

/* Remembers @msg's msgid; FALSE when @conv already shows it. */
static gboolean note(ConvHistory *st, NatterMessage *msg)
{
	const char *id = natter_message_get_msgid(msg);

	if (id == NULL)
		return TRUE;
	if (g_hash_table_contains(st->ids, id))
		return FALSE;
	g_hash_table_add(st->ids, g_strdup(id));
	gint64 ms = time_ms(natter_message_get_time(msg));
	if (st->newest_id == NULL || ms >= st->newest_ms) {
		g_free(st->newest_id);
		st->newest_id = g_strdup(id);
		st->newest_ms = ms;
	}
	if (st->oldest_id == NULL || ms < st->oldest_ms) {
		g_free(st->oldest_id);
		st->oldest_id = g_strdup(id);
		st->oldest_ms = ms;
	}
	return TRUE;
}

static gboolean counts_as_unread(NatterMessage *m)
{
	NatterMessageKind k = natter_message_get_kind(m);
	return !natter_message_is_own(m) &&
	       (k == NATTER_MESSAGE_TEXT || k == NATTER_MESSAGE_ACTION || k == NATTER_MESSAGE_NOTICE);
}

gboolean natter_history_note_live_(NatterSession *self, NatterConversation *conv, NatterMessage *msg)
{
	ConvHistory *st = conv_history(conv);

	if (!note(st, msg))
		return FALSE;
	/* A private chat that opens by a message: what was said before it. */
	if (!st->requested && natter_conversation_get_kind(conv) == NATTER_CONVERSATION_PRIVATE &&
	    has_history(self) && natter_message_get_msgid(msg) != NULL)
		natter_history_joined_(self, conv);
	return TRUE;
}

/* Unread = what others said after the read marker (not while on screen). */
static void recount_unread(NatterSession *self, NatterConversation *conv)
{
	ConvHistory *st = conv_history(conv);
	GListModel *msgs = natter_conversation_get_messages(conv);
	guint unread = 0;

	if (st->read_ms == 0 || conv == self->active)
		return;
	for (guint i = g_list_model_get_n_items(msgs); i > 0; i--) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i - 1);
		if (time_ms(natter_message_get_time(m)) <= st->read_ms)
			break;
		if (counts_as_unread(m))
			unread++;
	}
	natter_conversation_set_unread(conv, unread);
}

/* Inserts @msgs (oldest first) into @conv by time, each run in one change.
 * Lines with the same time (to the millisecond) as lines already there go
 * after them, or before them when @older (a BEFORE page). */
static void merge(NatterSession *self, NatterConversation *conv, GPtrArray *msgs, gboolean older)
{
	ConvHistory *st = conv_history(conv);
	g_autoptr(GPtrArray) fresh = g_ptr_array_new();
	GListModel *model = natter_conversation_get_messages(conv);

	for (guint i = 0; i < msgs->len; i++)
		if (note(st, msgs->pdata[i]))
			g_ptr_array_add(fresh, msgs->pdata[i]);
	guint i = 0;
	while (i < fresh->len) {
		gint64 t = time_ms(natter_message_get_time(fresh->pdata[i]));
		guint pos = g_list_model_get_n_items(model);
		gint64 next = G_MAXINT64; /* the time of the line at pos */
		while (pos > 0) {
			g_autoptr(NatterMessage) m = g_list_model_get_item(model, pos - 1);
			gint64 mt = time_ms(natter_message_get_time(m));
			if (older ? mt < t : mt <= t)
				break;
			next = mt;
			pos--;
		}
		guint run = 1;
		while (i + run < fresh->len &&
		       (older ? time_ms(natter_message_get_time(fresh->pdata[i + run])) <= next
			      : time_ms(natter_message_get_time(fresh->pdata[i + run])) < next))
			run++;
		natter_conversation_insert_messages(conv, pos, (NatterMessage **)fresh->pdata + i, run);
		i += run;
	}
	if (fresh->len > 0)
		recount_unread(self, conv);
}

/* ---------------------------------------------------------------- history lines → messages */

static const char *tag(struct irc_message *msg, const char *key)
{
	return irc_message_tag(msg, key);
}

#define P(i) (msg->nparams > (i) ? msg->params[(i)] : "")

/* A line from a chathistory batch as a message, or NULL to skip it. */
static NatterMessage *history_message(NatterSession *self, struct irc_message *msg, const char *nick)
{
	const char *cmd = msg->command;
	g_autoptr(GDateTime) time = NULL;
	const char *stamp = tag(msg, "time");
	NatterMessage *m = NULL;

	if (stamp != NULL)
		time = g_date_time_new_from_iso8601(stamp, NULL);
	if (time == NULL)
		return NULL; /* history without a time cannot be placed */
	if (g_ascii_strcasecmp(cmd, "PRIVMSG") == 0 || g_ascii_strcasecmp(cmd, "NOTICE") == 0) {
		const char *text = P(1);
		NatterMessageKind kind = g_ascii_strcasecmp(cmd, "NOTICE") == 0 ? NATTER_MESSAGE_NOTICE
										 : NATTER_MESSAGE_TEXT;
		g_autofree char *body = NULL;
		if (text[0] == '\x01') {
			if (g_ascii_strncasecmp(text + 1, "ACTION ", 7) != 0)
				return NULL; /* an old CTCP request: nothing to show */
			body = g_strndup(text + 8, strcspn(text + 8, "\x01"));
			kind = NATTER_MESSAGE_ACTION;
		} else {
			body = g_strdup(text);
		}
		gboolean own = natter_session_is_me_(self, nick);
		m = natter_message_new(kind, time, *nick != '\0' ? nick : msg->source, body, own);
		if (!own && natter_inbound_mentions(body, self->nick))
			natter_message_set_mention(m, TRUE);
	} else if (g_ascii_strcasecmp(cmd, "JOIN") == 0) {
		if (natter_session_is_me_(self, nick))
			return NULL; /* our own joins: the live "You joined" says it */
		g_autofree char *text = g_strdup_printf("%s joined", nick);
		m = natter_message_new(NATTER_MESSAGE_EVENT, time, nick, text, FALSE);
		natter_message_set_event(m, NATTER_EVENT_JOIN);
	} else if (g_ascii_strcasecmp(cmd, "PART") == 0) {
		g_autofree char *text = *P(1) != '\0' ? g_strdup_printf("%s left (%s)", nick, P(1))
						      : g_strdup_printf("%s left", nick);
		m = natter_message_new(NATTER_MESSAGE_EVENT, time, nick, text, FALSE);
		natter_message_set_event(m, NATTER_EVENT_PART);
	} else if (g_ascii_strcasecmp(cmd, "QUIT") == 0) {
		g_autofree char *text = g_strdup_printf("%s quit (%s)", nick, P(0));
		m = natter_message_new(NATTER_MESSAGE_EVENT, time, nick, text, FALSE);
		natter_message_set_event(m, NATTER_EVENT_QUIT);
	} else if (g_ascii_strcasecmp(cmd, "KICK") == 0) {
		g_autofree char *text = g_strdup_printf("%s removed %s (%s)", nick, P(1), P(2));
		m = natter_message_new(NATTER_MESSAGE_EVENT, time, P(1), text, FALSE);
		natter_message_set_event(m, NATTER_EVENT_KICK);
	} else if (g_ascii_strcasecmp(cmd, "TOPIC") == 0) {
		g_autofree char *text = *P(1) != '\0'
						? g_strdup_printf("%s changed the topic to: %s", nick, P(1))
						: g_strdup_printf("%s cleared the topic", nick);
		m = natter_message_new(NATTER_MESSAGE_EVENT, time, nick, text, FALSE);
		natter_message_set_event(m, NATTER_EVENT_TOPIC);
	} else if (g_ascii_strcasecmp(cmd, "NICK") == 0) {
		g_autofree char *text = g_strdup_printf("%s is now known as %s", nick, P(0));
		m = natter_message_new(NATTER_MESSAGE_EVENT, time, P(0), text, FALSE);
		natter_message_set_event(m, NATTER_EVENT_NICK);
	} else {
		return NULL;
	}
	const char *id = tag(msg, "msgid");
	if (id != NULL)
		natter_message_set_msgid(m, id);
	return m;
}

/* The conversation a chathistory batch is about. */
static NatterConversation *batch_conversation(NatterSession *self, Batch *b)
{
	if (b->target == NULL || *b->target == '\0')
		return NULL;
	NatterConversation *conv = natter_session_find_conversation(self, b->target);
	if (conv == NULL && !irc_is_channel(b->target))
		conv = natter_session_ensure_conversation_(self, NATTER_CONVERSATION_PRIVATE,
							   b->target, FALSE);
	return conv;
}

static void batch_end(NatterSession *self, Batch *b)
{
	if (strcmp(b->type, "chathistory") != 0)
		return;
	NatterConversation *conv = batch_conversation(self, b);
	if (conv == NULL)
		return;
	ConvHistory *st = conv_history(conv);
	RequestKind was = st->pending;
	st->pending = REQ_NONE;
	merge(self, conv, b->messages, was == REQ_BEFORE);
	/* A private chat's read marker is not sent on its own (a room's comes
	 * after JOIN): ask for it once its lines are here. */
	if (was == REQ_LATEST && natter_conversation_get_kind(conv) == NATTER_CONVERSATION_PRIVATE &&
	    natter_session_has_cap(self, "draft/read-marker"))
		natter_session_send_command_(self, "MARKREAD", 1, natter_conversation_get_name(conv));
	/* The server's order decides between lines of the same millisecond:
	 * a page's first line is the oldest known, its last the newest. */
	for (guint i = 0; i < b->messages->len && was != REQ_AFTER && was != REQ_AFTER_TIME; i++) {
		NatterMessage *m = b->messages->pdata[i];
		if (natter_message_get_msgid(m) == NULL)
			continue;
		if (time_ms(natter_message_get_time(m)) <= st->oldest_ms) {
			g_free(st->oldest_id);
			st->oldest_id = g_strdup(natter_message_get_msgid(m));
			st->oldest_ms = time_ms(natter_message_get_time(m));
		}
		break;
	}
	for (guint i = b->messages->len; i > 0 && was != REQ_BEFORE; i--) {
		NatterMessage *m = b->messages->pdata[i - 1];
		if (natter_message_get_msgid(m) == NULL)
			continue;
		if (time_ms(natter_message_get_time(m)) >= st->newest_ms) {
			g_free(st->newest_id);
			st->newest_id = g_strdup(natter_message_get_msgid(m));
			st->newest_ms = time_ms(natter_message_get_time(m));
		}
		break;
	}
	if ((was == REQ_LATEST || was == REQ_BEFORE) && b->lines < self->history->limit)
		st->complete = TRUE;
	/* A long gap: page on until it is closed. */
	if ((was == REQ_AFTER || was == REQ_AFTER_TIME) && b->lines >= self->history->limit &&
	    b->messages->len > 0)
		send_request(self, conv, REQ_AFTER);
	/* Nothing after the newest line we have: either nothing was said, or
	 * the server no longer knows that msgid (retention, redaction) and
	 * answers an unknown reference with an empty batch. Ask once more by
	 * its time; what is already shown is dropped by msgid. */
	else if (was == REQ_AFTER && b->lines == 0 && st->newest_ms > 0)
		send_request(self, conv, REQ_AFTER_TIME);
}

static void handle_batch(NatterSession *self, struct irc_message *msg)
{
	const char *ref = P(0);

	if (ref[0] == '+' && msg->nparams >= 2) {
		const char *type = P(1);
		if (strcmp(type, "chathistory") != 0 && strcmp(type, "draft/chathistory-targets") != 0)
			return;
		Batch *b = g_new0(Batch, 1);
		b->type = g_strdup(type);
		b->target = g_strdup(P(2));
		b->messages = g_ptr_array_new_with_free_func(g_object_unref);
		g_hash_table_replace(self->history->batches, g_strdup(ref + 1), b);
	} else if (ref[0] == '-') {
		gpointer key, value;
		if (!g_hash_table_steal_extended(self->history->batches, ref + 1, &key, &value))
			return;
		g_free(key);
		Batch *b = value;
		batch_end(self, b);
		batch_free(b);
	}
}

/* CHATHISTORY TARGETS name time: a conversation the server remembers. */
static void handle_target(NatterSession *self, struct irc_message *msg)
{
	const char *name = P(1);

	if (g_ascii_strcasecmp(P(0), "TARGETS") != 0 || *name == '\0' || irc_is_channel(name) ||
	    natter_session_is_me_(self, name))
		return;
	NatterConversation *conv = natter_session_ensure_conversation_(self, NATTER_CONVERSATION_PRIVATE,
								       name, FALSE);
	natter_history_joined_(self, conv);
}

/* MARKREAD target timestamp=...|* */
static void handle_markread(NatterSession *self, struct irc_message *msg)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(0));
	const char *ref = P(1);

	if (conv == NULL || !g_str_has_prefix(ref, "timestamp="))
		return;
	g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(ref + 10, NULL);
	if (t == NULL)
		return;
	ConvHistory *st = conv_history(conv);
	gint64 ms = time_ms(t);
	if (ms <= st->read_ms)
		return;
	st->read_ms = ms;
	if (conv == self->active)
		return;
	recount_unread(self, conv);
	/* read elsewhere: nothing unread here either */
	if (natter_conversation_get_unread(conv) > 0) {
		GListModel *msgs = natter_conversation_get_messages(conv);
		guint n = g_list_model_get_n_items(msgs);
		g_autoptr(NatterMessage) last = n > 0 ? g_list_model_get_item(msgs, n - 1) : NULL;
		if (last != NULL && time_ms(natter_message_get_time(last)) <= ms)
			natter_conversation_set_unread(conv, 0);
	}
}

/* :nick REDACT target msgid [:reason] */
static void handle_redact(NatterSession *self, struct irc_message *msg, const char *nick)
{
	const char *target = P(0);
	const char *id = P(1);
	NatterConversation *conv;

	if (irc_is_channel(target) || natter_session_is_me_(self, nick))
		conv = natter_session_find_conversation(self, target);
	else
		conv = natter_session_find_conversation(self, nick);
	if (conv == NULL || *id == '\0')
		return;
	GListModel *msgs = natter_conversation_get_messages(conv);
	for (guint i = g_list_model_get_n_items(msgs); i > 0; i--) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i - 1);
		if (g_strcmp0(natter_message_get_msgid(m), id) == 0) {
			natter_conversation_remove_message(conv, i - 1);
			break;
		}
	}
}

/* Whether a pending request of @kind was sent as CHATHISTORY @sub. */
static gboolean request_is(RequestKind kind, const char *sub)
{
	switch (kind) {
	case REQ_LATEST:
		return g_ascii_strcasecmp(sub, "LATEST") == 0;
	case REQ_AFTER:
	case REQ_AFTER_TIME:
		return g_ascii_strcasecmp(sub, "AFTER") == 0;
	case REQ_BEFORE:
		return g_ascii_strcasecmp(sub, "BEFORE") == 0;
	case REQ_NONE:
		break;
	}
	return FALSE;
}

static void handle_fail(NatterSession *self, struct irc_message *msg)
{
	const char *what = P(0);
	GListModel *model = G_LIST_MODEL(self->conversations);

	if (g_ascii_strcasecmp(what, "CHATHISTORY") == 0) {
		/* FAIL CHATHISTORY code subcommand [target] :text. A server that
		 * refuses an unknown msgid (rather than answering with an empty
		 * batch): ask for the gap by time instead. */
		const char *code = P(1);
		gboolean by_time = g_ascii_strcasecmp(P(2), "AFTER") == 0 &&
				   (strstr(code, "MSGID") != NULL || strstr(code, "MSGREF") != NULL ||
				    g_ascii_strcasecmp(code, "INVALID_PARAMS") == 0);
		const char *target = msg->nparams > 4 ? P(3) : NULL;
		NatterConversation *failed =
			target != NULL ? natter_session_find_conversation(self, target) : NULL;
		for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
			g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
			ConvHistory *st = conv_history(c);
			/* Only the conversation it names, or (unnamed) those whose
			 * request was this subcommand. */
			if (st->pending == REQ_NONE || (failed != NULL && c != failed) ||
			    (failed == NULL && !request_is(st->pending, P(2))))
				continue;
			if (by_time && st->pending == REQ_AFTER && st->newest_ms > 0) {
				send_request(self, c, REQ_AFTER_TIME);
				continue;
			}
			/* The request failed: nothing more to ask for now; only a
			 * refused LATEST or BEFORE means nothing older. */
			if (st->pending == REQ_LATEST || st->pending == REQ_BEFORE)
				st->complete = TRUE;
			st->pending = REQ_NONE;
		}
	} else if (g_ascii_strcasecmp(what, "REDACT") == 0) {
		NatterConversation *conv = natter_session_find_conversation(self, P(2));
		const char *code = P(1);
		natter_session_add_event_(self, conv != NULL ? conv : natter_session_fallback_conversation_(self),
					  NATTER_MESSAGE_ERROR, "%s",
					  strcmp(code, "REDACT_FORBIDDEN") == 0
						  ? "You can only delete your own messages."
					  : strcmp(code, "UNKNOWN_MSGID") == 0
						  ? "That message is no longer kept by the server."
						  : "The message could not be deleted.");
	}
}

gboolean natter_history_dispatch_(NatterSession *self, struct irc_message *msg, const char *nick)
{
	const char *cmd = msg->command;
	const char *ref = tag(msg, "batch");

	if (ref != NULL) {
		Batch *b = g_hash_table_lookup(self->history->batches, ref);
		if (b != NULL) {
			b->lines++;
			if (strcmp(b->type, "chathistory") == 0) {
				NatterMessage *m = history_message(self, msg, nick);
				if (m != NULL)
					g_ptr_array_add(b->messages, m);
			} else if (g_ascii_strcasecmp(cmd, "CHATHISTORY") == 0) {
				handle_target(self, msg);
			}
			return TRUE;
		}
	}
	if (g_ascii_strcasecmp(cmd, "BATCH") == 0) {
		handle_batch(self, msg);
		return TRUE;
	}
	if (g_ascii_strcasecmp(cmd, "CHATHISTORY") == 0) {
		handle_target(self, msg);
		return TRUE;
	}
	if (g_ascii_strcasecmp(cmd, "MARKREAD") == 0) {
		handle_markread(self, msg);
		return TRUE;
	}
	if (g_ascii_strcasecmp(cmd, "REDACT") == 0) {
		handle_redact(self, msg, nick);
		return TRUE;
	}
	if (g_ascii_strcasecmp(cmd, "FAIL") == 0 &&
	    (g_ascii_strcasecmp(P(0), "CHATHISTORY") == 0 || g_ascii_strcasecmp(P(0), "REDACT") == 0 ||
	     g_ascii_strcasecmp(P(0), "MARKREAD") == 0)) {
		handle_fail(self, msg);
		return TRUE;
	}
	return FALSE;
}

/* ---------------------------------------------------------------- read markers, redaction */

GDateTime *natter_session_get_read_marker(NatterSession *self, NatterConversation *conv)
{
	(void)self;
	ConvHistory *st = conv_history(conv);
	if (st->read_ms == 0)
		return NULL;
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(st->read_ms / 1000);
	GDateTime *t = g_date_time_add(utc, (st->read_ms % 1000) * 1000);
	GDateTime *local = g_date_time_to_local(t);
	g_date_time_unref(t);
	/* the caller does not own it: keep one per conversation */
	g_object_set_data_full(G_OBJECT(conv), CONV_KEY "-marker", local,
			       (GDestroyNotify)g_date_time_unref);
	return local;
}

static void send_mark(NatterSession *self, NatterConversation *conv, ConvHistory *st)
{
	g_autofree char *when = format_ms(st->read_ms);
	g_autofree char *ref = g_strdup_printf("timestamp=%s", when);
	st->mark_sent_ms = st->read_ms;
	st->mark_sent_at = g_get_monotonic_time();
	natter_session_send_command_(self, "MARKREAD", 2, natter_conversation_get_name(conv), ref);
}

typedef struct {
	GWeakRef session;
	NatterConversation *conv;
} MarkLater;

static void mark_later_free(gpointer data)
{
	MarkLater *ml = data;
	g_weak_ref_clear(&ml->session);
	g_object_unref(ml->conv);
	g_free(ml);
}

static gboolean mark_later(gpointer data)
{
	MarkLater *ml = data;
	g_autoptr(NatterSession) self = g_weak_ref_get(&ml->session);
	ConvHistory *st = conv_history(ml->conv);

	st->mark_timer = 0;
	if (self != NULL && self->state == NATTER_SESSION_CONNECTED && st->read_ms > st->mark_sent_ms)
		send_mark(self, ml->conv, st);
	return G_SOURCE_REMOVE;
}

gboolean natter_session_mark_read(NatterSession *self, NatterConversation *conv)
{
	g_return_val_if_fail(NATTER_IS_SESSION(self), FALSE);
	ConvHistory *st = conv_history(conv);
	GListModel *msgs = natter_conversation_get_messages(conv);
	guint n = g_list_model_get_n_items(msgs);

	if (!natter_session_has_cap(self, "draft/read-marker") ||
	    self->state != NATTER_SESSION_CONNECTED || n == 0)
		return FALSE;
	if (natter_conversation_get_kind(conv) == NATTER_CONVERSATION_ROOM &&
	    !natter_conversation_get_joined(conv))
		return FALSE;
	/* the newest line the server knows of (one with a msgid) */
	gint64 ms = st->newest_id != NULL ? st->newest_ms : 0;
	if (ms <= st->read_ms)
		return FALSE;
	st->read_ms = ms;
	gint64 since = g_get_monotonic_time() - st->mark_sent_at;
	if (st->mark_sent_at == 0 || since >= MARK_READ_INTERVAL_US) {
		send_mark(self, conv, st);
	} else if (st->mark_timer == 0) {
		MarkLater *ml = g_new0(MarkLater, 1);
		g_weak_ref_init(&ml->session, self);
		ml->conv = g_object_ref(conv);
		st->mark_timer = g_timeout_add_full(G_PRIORITY_DEFAULT,
						    (guint)((MARK_READ_INTERVAL_US - since) / 1000) + 1,
						    mark_later, ml, mark_later_free);
	}
	return TRUE;
}

gboolean natter_session_can_redact(NatterSession *self, NatterMessage *msg)
{
	return natter_session_has_cap(self, "draft/message-redaction") &&
	       self->state == NATTER_SESSION_CONNECTED && natter_message_is_own(msg) &&
	       natter_message_get_msgid(msg) != NULL;
}

gboolean natter_session_redact(NatterSession *self, NatterConversation *conv, NatterMessage *msg)
{
	g_return_val_if_fail(NATTER_IS_SESSION(self), FALSE);
	if (!natter_session_can_redact(self, msg))
		return FALSE;
	natter_session_send_command_(self, "REDACT", 2, natter_conversation_get_name(conv),
				     natter_message_get_msgid(msg));
	return TRUE;
}
