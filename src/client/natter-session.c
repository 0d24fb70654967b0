/* natter-session.c - one IRC connection and the model it feeds (see natter-session.h).
 *
 * Reading: g_input_stream_read_async() into a per-connection buffer, split into
 * lines, parsed with the shared irc_message parser and dispatched through the
 * handler table below. Writing: lines queue in @outq and go out with one
 * write_all_async at a time. Every async callback carries the connection
 * generation it belongs to, so a late callback of a closed connection is
 * ignored instead of touching the new one. */
#define G_LOG_DOMAIN "natter"

#include "natter-session.h"

#include <string.h>

#include "irc_message.h"
#include "irc_names.h"
#include "natter-input.h"

/* A line longer than this (tags included) is dropped as garbage. */
#define MAX_INPUT_LINE (IRC_LINE_MAX + IRC_TAGS_MAX + 2)
#define RECONNECT_MAX_S 60
#define READ_CHUNK 4096

/* The capabilities we ask for when the server offers them. */
static const char *const wanted_caps[] = {
	"server-time", "echo-message", "multi-prefix", "message-tags", "away-notify", NULL,
};

struct _NatterSession {
	GObject parent_instance;

	char *host;
	guint16 port;
	char *nick;        /* our nick as the server knows it */
	char *wanted_nick; /* what the person chose */
	guint nick_retry;  /* alternatives tried while re-registering */
	NatterSessionState state;

	/* The connection. @generation changes whenever it is torn down. */
	GSocketClient *client;
	GSocketConnection *conn;
	GCancellable *cancel;
	guint generation;
	GByteArray *inbuf;
	gboolean discarding; /* inside an over-long line */
	GString *outq;
	gboolean writing;
	guint register_timeout_id;
	/* Liveness: the keep-alive timer checks these (monotonic µs). */
	guint keepalive_id;
	gint64 connected_at;
	gint64 last_rx;      /* last byte from the server; 0: none yet */
	gint64 ping_sent_at; /* our keep-alive PING is unanswered since; 0: none */

	gboolean ever_registered; /* this session reached 001: reconnect on loss */
	gboolean user_quit;
	char *disconnect_reason;

	GHashTable *caps; /* acknowledged capabilities */
	GString *cap_ls;  /* offered ones, collected over multi-line LS */
	char prefix_modes[16];
	char prefix_chars[16];

	GListStore *conversations;
	NatterConversation *active;
	char *pending_focus; /* a room we asked to join: show it once joined */

	guint connect_timeout; /* s: TCP connect, first line; registration 3x */
	guint keepalive;       /* s of silence before PING, and again before giving up */
	guint reconnect_base;
	guint reconnect_attempt;
	guint reconnect_remaining;
	guint reconnect_id;
};

G_DEFINE_FINAL_TYPE(NatterSession, natter_session, G_TYPE_OBJECT)
G_DEFINE_QUARK(natter-session-error-quark, natter_session_error)

enum { PROP_0, PROP_STATE, PROP_NICK, PROP_RECONNECT_REMAINING, PROP_ACTIVE, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIG_CONNECT_FAILED, SIG_REGISTERED, SIG_MESSAGE_ADDED, SIG_CONVERSATION_OPENED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* An async operation of one connection generation. */
typedef struct {
	NatterSession *self; /* strong */
	guint generation;
	guint8 buf[READ_CHUNK]; /* for a read */
	GBytes *wbytes;         /* for a write: what is being written */
} Op;

static Op *op_new(NatterSession *self)
{
	Op *op = g_new(Op, 1);
	op->self = g_object_ref(self);
	op->generation = self->generation;
	op->wbytes = NULL;
	return op;
}

static void op_free(Op *op)
{
	g_object_unref(op->self);
	if (op->wbytes != NULL)
		g_bytes_unref(op->wbytes);
	g_free(op);
}

static void start_attempt(NatterSession *self);
static void start_read(NatterSession *self);
static void kick_write(NatterSession *self);
static void connection_lost(NatterSession *self, const char *reason);

/* ---------------------------------------------------------------- state */

static void set_state(NatterSession *self, NatterSessionState state)
{
	if (self->state == state)
		return;
	g_debug("state %d -> %d", self->state, state);
	self->state = state;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

static void set_nick(NatterSession *self, const char *nick)
{
	if (g_strcmp0(self->nick, nick) == 0)
		return;
	g_free(self->nick);
	self->nick = g_strdup(nick);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_NICK]);
}

static gboolean is_me(NatterSession *self, const char *nick)
{
	return nick != NULL && self->nick != NULL && irc_casecmp(nick, self->nick) == 0;
}

/* Drops the connection: no callback of it will run any more. */
static void teardown(NatterSession *self)
{
	self->generation++;
	if (self->cancel != NULL) {
		g_cancellable_cancel(self->cancel);
		g_clear_object(&self->cancel);
	}
	if (self->conn != NULL) {
		g_socket_close(g_socket_connection_get_socket(self->conn), NULL);
		g_clear_object(&self->conn);
	}
	g_clear_handle_id(&self->register_timeout_id, g_source_remove);
	g_clear_handle_id(&self->keepalive_id, g_source_remove);
	self->last_rx = 0;
	self->ping_sent_at = 0;
	g_byte_array_set_size(self->inbuf, 0);
	self->discarding = FALSE;
	g_string_truncate(self->outq, 0);
	self->writing = FALSE;
	g_hash_table_remove_all(self->caps);
	g_string_truncate(self->cap_ls, 0);
}

/* ---------------------------------------------------------------- writing */

static void on_written(GObject *source, GAsyncResult *result, gpointer data)
{
	Op *op = data;
	NatterSession *self = op->self;
	gsize written = 0;
	g_autoptr(GError) error = NULL;
	gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result,
						       &written, &error);

	if (op->generation == self->generation) {
		self->writing = FALSE;
		if (!ok) {
			connection_lost(self, error->message);
		} else {
			g_string_erase(self->outq, 0, (gssize)written);
			kick_write(self); /* more may have been queued meanwhile */
		}
	}
	op_free(op);
}

static void kick_write(NatterSession *self)
{
	if (self->writing || self->conn == NULL || self->outq->len == 0)
		return;
	self->writing = TRUE;
	Op *op = op_new(self);
	/* The queue may grow while this write is in flight: write a copy. */
	op->wbytes = g_bytes_new(self->outq->str, self->outq->len);
	gsize len = 0;
	gconstpointer bytes = g_bytes_get_data(op->wbytes, &len);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(self->conn)),
					bytes, len, G_PRIORITY_DEFAULT, self->cancel, on_written, op);
}

/* Queues one raw line. It must hold no CR, LF or NUL and fit the limit. */
static void send_line(NatterSession *self, const char *line)
{
	gsize len = strlen(line);

	g_return_if_fail(strpbrk(line, "\r\n") == NULL);
	if (len + 2 > IRC_LINE_MAX) {
		g_warning("dropping an over-long line (%zu bytes)", len);
		return;
	}
	if (self->conn == NULL)
		return;
	g_debug(">> %s", line);
	g_string_append_len(self->outq, line, (gssize)len);
	g_string_append(self->outq, "\r\n");
	kick_write(self);
}

/* Sends COMMAND with parameters; the last may hold spaces. */
static void send_command(NatterSession *self, const char *command, int nparams, ...)
{
	struct irc_message msg = { .command = (char *)command };
	va_list ap;

	va_start(ap, nparams);
	for (int i = 0; i < nparams && i < IRC_MAX_PARAMS; i++)
		msg.params[msg.nparams++] = va_arg(ap, char *);
	va_end(ap);
	g_autoptr(GString) line = g_string_new(NULL);
	irc_message_format(line, &msg);
	send_line(self, line->str);
}

/* ---------------------------------------------------------------- model helpers */

static gboolean find_index(NatterSession *self, NatterConversation *conv, guint *index)
{
	return g_list_store_find(self->conversations, conv, index);
}

NatterConversation *natter_session_find_conversation(NatterSession *self, const char *name)
{
	GListModel *model = G_LIST_MODEL(self->conversations);
	guint n = g_list_model_get_n_items(model);

	for (guint i = 0; i < n; i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		if (irc_casecmp(natter_conversation_get_name(c), name) == 0)
			return c; /* the store keeps it alive */
	}
	return NULL;
}

/* Finds or creates a conversation; emits "conversation-opened" when created. */
static NatterConversation *ensure_conversation(NatterSession *self, NatterConversationKind kind,
					       const char *name, gboolean focus)
{
	NatterConversation *conv = natter_session_find_conversation(self, name);

	if (conv == NULL) {
		g_autoptr(NatterConversation) created = natter_conversation_new(kind, name);
		g_list_store_append(self->conversations, created);
		conv = created;
		g_signal_emit(self, signals[SIG_CONVERSATION_OPENED], 0, conv, focus);
	} else if (focus) {
		g_signal_emit(self, signals[SIG_CONVERSATION_OPENED], 0, conv, focus);
	}
	if (self->active == NULL)
		natter_session_set_active(self, conv);
	return conv;
}

static void remove_conversation(NatterSession *self, NatterConversation *conv)
{
	guint index;

	if (!find_index(self, conv, &index))
		return;
	g_object_ref(conv);
	g_list_store_remove(self->conversations, index);
	if (self->active == conv) {
		NatterConversation *next = natter_session_find_conversation(self, NATTER_LOBBY);
		if (next == NULL && g_list_model_get_n_items(G_LIST_MODEL(self->conversations)) > 0) {
			next = g_list_model_get_item(G_LIST_MODEL(self->conversations), 0);
			g_object_unref(next);
		}
		natter_session_set_active(self, next);
	}
	g_object_unref(conv);
}

static void add_message(NatterSession *self, NatterConversation *conv, NatterMessage *msg)
{
	natter_conversation_add_message(conv, msg);
	NatterMessageKind kind = natter_message_get_kind(msg);
	/* Only what people say counts as unread; events and errors do not. */
	if (conv != self->active && !natter_message_is_own(msg) &&
	    (kind == NATTER_MESSAGE_TEXT || kind == NATTER_MESSAGE_ACTION ||
	     kind == NATTER_MESSAGE_NOTICE))
		natter_conversation_set_unread(conv, natter_conversation_get_unread(conv) + 1);
	g_signal_emit(self, signals[SIG_MESSAGE_ADDED], 0, conv, msg);
}

static void add_event(NatterSession *self, NatterConversation *conv, NatterMessageKind kind,
		      const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void add_event(NatterSession *self, NatterConversation *conv, NatterMessageKind kind,
		      const char *fmt, ...)
{
	va_list ap;

	if (conv == NULL)
		return;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autoptr(NatterMessage) msg = natter_message_new(kind, NULL, NULL, text, FALSE);
	add_message(self, conv, msg);
}

/* Where server replies without a better place go. */
static NatterConversation *fallback_conversation(NatterSession *self)
{
	if (self->active != NULL)
		return self->active;
	NatterConversation *lobby = natter_session_find_conversation(self, NATTER_LOBBY);
	if (lobby != NULL)
		return lobby;
	return ensure_conversation(self, NATTER_CONVERSATION_ROOM, NATTER_LOBBY, FALSE);
}

/* ---------------------------------------------------------------- handlers */

typedef struct {
	struct irc_message *msg;
	char nick[IRC_NICK_MAX * 4 + 1]; /* the source's nick, "" for a server */
} Ctx;

#define P(i) (ctx->msg->nparams > (i) ? ctx->msg->params[(i)] : "")

static void fail_registration(NatterSession *self, NatterSessionError code,
			      const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void handle_welcome(NatterSession *self, Ctx *ctx)
{
	set_nick(self, P(0));
	g_clear_handle_id(&self->register_timeout_id, g_source_remove);
	gboolean again = self->ever_registered;
	self->ever_registered = TRUE;
	self->reconnect_attempt = 0;
	g_clear_pointer(&self->disconnect_reason, g_free);
	set_state(self, NATTER_SESSION_CONNECTED);

	/* Join the lobby, then rejoin every room we were in. */
	if (!again) {
		g_free(self->pending_focus);
		self->pending_focus = g_strdup(NATTER_LOBBY);
	}
	send_command(self, "JOIN", 1, NATTER_LOBBY);
	GListModel *model = G_LIST_MODEL(self->conversations);
	for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		if (natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM &&
		    irc_casecmp(natter_conversation_get_name(c), NATTER_LOBBY) != 0)
			send_command(self, "JOIN", 1, natter_conversation_get_name(c));
		if (again)
			add_event(self, c, NATTER_MESSAGE_EVENT, "Reconnected as %s", self->nick);
	}
	g_signal_emit(self, signals[SIG_REGISTERED], 0);
}

static void handle_isupport(NatterSession *self, Ctx *ctx)
{
	for (int i = 1; i < ctx->msg->nparams - 1; i++) {
		const char *p = ctx->msg->params[i];
		if (g_str_has_prefix(p, "PREFIX=(")) {
			const char *modes = p + 8;
			const char *close = strchr(modes, ')');
			if (close == NULL)
				continue;
			gsize n = MIN((gsize)(close - modes), sizeof(self->prefix_modes) - 1);
			if (strlen(close + 1) < n)
				continue;
			memcpy(self->prefix_modes, modes, n);
			self->prefix_modes[n] = '\0';
			memcpy(self->prefix_chars, close + 1, n);
			self->prefix_chars[n] = '\0';
		}
	}
}

static void handle_nick_error(NatterSession *self, Ctx *ctx, gboolean in_use)
{
	const char *bad = P(1);

	if (self->state == NATTER_SESSION_REGISTERING) {
		if (in_use && self->ever_registered && self->nick_retry < 5) {
			/* Re-registering after a loss: our old self may linger. */
			self->nick_retry++;
			g_autofree char *alt = g_strnfill(self->nick_retry, '_');
			g_autofree char *try = g_strconcat(self->wanted_nick, alt, NULL);
			if (strlen(try) > IRC_NICK_MAX)
				try[IRC_NICK_MAX] = '\0';
			send_command(self, "NICK", 1, try);
			return;
		}
		if (in_use)
			fail_registration(self, NATTER_SESSION_ERROR_NICK_IN_USE,
					  "The name “%s” is already in use. Please choose another name.", bad);
		else
			fail_registration(self, NATTER_SESSION_ERROR_NICK_INVALID,
					  "The server does not accept the name “%s”: %s", bad, P(2));
		return;
	}
	if (in_use)
		add_event(self, fallback_conversation(self), NATTER_MESSAGE_ERROR,
			  "The name “%s” is already in use; you are still %s.", bad, self->nick);
	else
		add_event(self, fallback_conversation(self), NATTER_MESSAGE_ERROR,
			  "The server does not accept the name “%s”: %s", bad, P(2));
}

static void handle_cap(NatterSession *self, Ctx *ctx)
{
	const char *sub = P(1);

	if (g_ascii_strcasecmp(sub, "LS") == 0) {
		gboolean more = ctx->msg->nparams > 3 && strcmp(P(2), "*") == 0;
		const char *list = more ? P(3) : P(2);
		if (self->cap_ls->len > 0)
			g_string_append_c(self->cap_ls, ' ');
		g_string_append(self->cap_ls, list);
		if (more || self->state != NATTER_SESSION_REGISTERING)
			return;
		g_auto(GStrv) offered = g_strsplit(self->cap_ls->str, " ", -1);
		g_autoptr(GString) req = g_string_new(NULL);
		for (int i = 0; offered[i] != NULL; i++) {
			char *eq = strchr(offered[i], '=');
			if (eq != NULL)
				*eq = '\0';
			if (g_strv_contains(wanted_caps, offered[i]) && !strstr(req->str, offered[i])) {
				if (req->len > 0)
					g_string_append_c(req, ' ');
				g_string_append(req, offered[i]);
			}
		}
		g_string_truncate(self->cap_ls, 0);
		if (req->len > 0)
			send_command(self, "CAP", 2, "REQ", req->str);
		else
			send_line(self, "CAP END");
	} else if (g_ascii_strcasecmp(sub, "ACK") == 0) {
		g_auto(GStrv) acked = g_strsplit(P(2), " ", -1);
		for (int i = 0; acked[i] != NULL; i++) {
			const char *cap = acked[i];
			if (*cap == '\0')
				continue;
			if (*cap == '-')
				g_hash_table_remove(self->caps, cap + 1);
			else
				g_hash_table_add(self->caps, g_strdup(cap));
		}
		if (self->state == NATTER_SESSION_REGISTERING)
			send_line(self, "CAP END");
	} else if (g_ascii_strcasecmp(sub, "NAK") == 0) {
		if (self->state == NATTER_SESSION_REGISTERING)
			send_line(self, "CAP END");
	}
}

static void handle_ping(NatterSession *self, Ctx *ctx)
{
	send_command(self, "PONG", 1, P(0));
}

/* ERROR: the server is closing the link; do not wait for it to do so. */
static void handle_error(NatterSession *self, Ctx *ctx)
{
	g_autofree char *reason = g_strdup(*P(0) != '\0' ? P(0) : "The server closed the connection");

	g_free(self->disconnect_reason);
	self->disconnect_reason = NULL;
	connection_lost(self, reason);
}

static void handle_join(NatterSession *self, Ctx *ctx)
{
	const char *chan = P(0);

	if (is_me(self, ctx->nick)) {
		gboolean focus = self->pending_focus != NULL &&
				 irc_casecmp(self->pending_focus, chan) == 0;
		if (focus)
			g_clear_pointer(&self->pending_focus, g_free);
		NatterConversation *conv = ensure_conversation(self, NATTER_CONVERSATION_ROOM,
							       chan, focus);
		natter_conversation_clear_members(conv);
		natter_conversation_set_joined(conv, TRUE);
		add_event(self, conv, NATTER_MESSAGE_EVENT, "You joined %s", chan);
		return;
	}
	NatterConversation *conv = natter_session_find_conversation(self, chan);
	if (conv == NULL)
		return;
	natter_conversation_add_member(conv, ctx->nick, "");
	add_event(self, conv, NATTER_MESSAGE_EVENT, "%s joined", ctx->nick);
}

static void handle_part(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(0));

	if (conv == NULL)
		return;
	if (is_me(self, ctx->nick)) {
		natter_conversation_set_joined(conv, FALSE);
		remove_conversation(self, conv);
		return;
	}
	natter_conversation_remove_member(conv, ctx->nick);
	if (ctx->msg->nparams > 1 && *P(1) != '\0')
		add_event(self, conv, NATTER_MESSAGE_EVENT, "%s left (%s)", ctx->nick, P(1));
	else
		add_event(self, conv, NATTER_MESSAGE_EVENT, "%s left", ctx->nick);
}

static void handle_kick(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(0));
	const char *victim = P(1);

	if (conv == NULL)
		return;
	if (is_me(self, victim)) {
		natter_conversation_set_joined(conv, FALSE);
		natter_conversation_clear_members(conv);
		add_event(self, conv, NATTER_MESSAGE_ERROR, "%s removed you from %s (%s)",
			  ctx->nick, P(0), P(2));
		return;
	}
	natter_conversation_remove_member(conv, victim);
	add_event(self, conv, NATTER_MESSAGE_EVENT, "%s removed %s (%s)", ctx->nick, victim, P(2));
}

static void handle_quit(NatterSession *self, Ctx *ctx)
{
	GListModel *model = G_LIST_MODEL(self->conversations);

	for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		gboolean there = natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM
					 ? natter_conversation_remove_member(c, ctx->nick)
					 : irc_casecmp(natter_conversation_get_name(c), ctx->nick) == 0;
		if (there)
			add_event(self, c, NATTER_MESSAGE_EVENT, "%s quit (%s)", ctx->nick, P(0));
	}
}

static void handle_nick(NatterSession *self, Ctx *ctx)
{
	const char *new_nick = P(0);
	gboolean me = is_me(self, ctx->nick);
	GListModel *model = G_LIST_MODEL(self->conversations);

	for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		if (natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM) {
			if (natter_conversation_rename_member(c, ctx->nick, new_nick)) {
				if (me)
					add_event(self, c, NATTER_MESSAGE_EVENT, "You are now known as %s", new_nick);
				else
					add_event(self, c, NATTER_MESSAGE_EVENT, "%s is now known as %s",
						  ctx->nick, new_nick);
			}
		} else if (irc_casecmp(natter_conversation_get_name(c), ctx->nick) == 0 &&
			   natter_session_find_conversation(self, new_nick) == NULL) {
			natter_conversation_set_name(c, new_nick);
			add_event(self, c, NATTER_MESSAGE_EVENT, "%s is now known as %s", ctx->nick, new_nick);
		}
	}
	if (me) {
		set_nick(self, new_nick);
		g_free(self->wanted_nick);
		self->wanted_nick = g_strdup(new_nick);
	}
}

static void handle_topic(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(0));

	if (conv == NULL)
		return;
	natter_conversation_set_topic(conv, P(1));
	if (*P(1) == '\0')
		add_event(self, conv, NATTER_MESSAGE_EVENT, "%s cleared the topic", ctx->nick);
	else
		add_event(self, conv, NATTER_MESSAGE_EVENT, "%s changed the topic to: %s",
			  ctx->nick, P(1));
}

static void handle_topic_reply(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(1));

	if (conv == NULL)
		return;
	natter_conversation_set_topic(conv, P(2));
	add_event(self, conv, NATTER_MESSAGE_EVENT, "Topic: %s", P(2));
}

static void handle_no_topic(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(1));

	if (conv != NULL)
		add_event(self, conv, NATTER_MESSAGE_EVENT, "%s has no topic", P(1));
}

static void handle_names(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(2));

	if (conv == NULL)
		return;
	g_auto(GStrv) names = g_strsplit(P(3), " ", -1);
	for (int i = 0; names[i] != NULL; i++) {
		const char *n = names[i];
		if (*n == '\0')
			continue;
		gsize np = strspn(n, self->prefix_chars);
		g_autofree char *prefixes = g_strndup(n, np);
		/* userhost-in-names style "nick!user@host" */
		g_autofree char *nick = g_strdup(n + np);
		char *bang = strchr(nick, '!');
		if (bang != NULL)
			*bang = '\0';
		NatterMember *m = natter_conversation_add_member(conv, nick, "");
		for (const char *c = prefixes; *c != '\0'; c++)
			natter_member_set_prefix(m, *c, TRUE, self->prefix_chars);
	}
	natter_conversation_resort_members(conv);
}

static void handle_mode(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(0));

	if (conv == NULL || ctx->msg->nparams < 2)
		return;
	gboolean on = TRUE;
	int arg = 2;
	for (const char *m = P(1); *m != '\0'; m++) {
		if (*m == '+' || *m == '-') {
			on = *m == '+';
			continue;
		}
		const char *pm = strchr(self->prefix_modes, *m);
		if (pm != NULL) {
			NatterMember *member = natter_conversation_find_member(conv, P(arg));
			if (member != NULL)
				natter_member_set_prefix(member, self->prefix_chars[pm - self->prefix_modes],
							 on, self->prefix_chars);
			arg++;
		} else if (strchr("beIkq", *m) != NULL || (*m == 'l' && on)) {
			arg++;
		}
	}
	natter_conversation_resort_members(conv);
	g_autoptr(GString) text = g_string_new(NULL);
	for (int i = 1; i < ctx->msg->nparams; i++)
		g_string_append_printf(text, "%s%s", i > 1 ? " " : "", ctx->msg->params[i]);
	add_event(self, conv, NATTER_MESSAGE_EVENT, "%s sets mode %s",
		  *ctx->nick != '\0' ? ctx->nick : "The server", text->str);
}

static void handle_away(NatterSession *self, Ctx *ctx)
{
	GListModel *model = G_LIST_MODEL(self->conversations);

	for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		NatterMember *m = natter_conversation_find_member(c, ctx->nick);
		if (m != NULL)
			natter_member_set_away(m, ctx->msg->nparams > 0);
	}
}

static void handle_privmsg(NatterSession *self, Ctx *ctx)
{
	const char *target = P(0);
	const char *text = P(1);
	gboolean notice = g_ascii_strcasecmp(ctx->msg->command, "NOTICE") == 0;
	NatterMessageKind kind = notice ? NATTER_MESSAGE_NOTICE : NATTER_MESSAGE_TEXT;
	g_autofree char *body = NULL;

	if (text[0] == '\x01') {
		/* CTCP: only ACTION is shown; VERSION gets a polite answer. */
		body = g_strdup(text + 1);
		char *end = strchr(body, '\x01');
		if (end != NULL)
			*end = '\0';
		if (g_str_has_prefix(body, "ACTION ")) {
			kind = NATTER_MESSAGE_ACTION;
			memmove(body, body + 7, strlen(body + 7) + 1);
		} else {
			if (!notice && g_ascii_strcasecmp(body, "VERSION") == 0 && *ctx->nick != '\0')
				send_command(self, "NOTICE", 2, ctx->nick, "\x01VERSION natter\x01");
			return;
		}
	} else {
		body = g_strdup(text);
	}

	gboolean own = is_me(self, ctx->nick);
	NatterConversation *conv;
	if (*ctx->nick == '\0') {
		/* From the server itself (no nick!user@host) */
		if (self->state != NATTER_SESSION_CONNECTED)
			return;
		conv = fallback_conversation(self);
	} else if (irc_is_channel(target)) {
		conv = natter_session_find_conversation(self, target);
		if (conv == NULL)
			return;
	} else if (own) {
		/* echo-message of our own private message */
		conv = ensure_conversation(self, NATTER_CONVERSATION_PRIVATE, target, FALSE);
	} else if (notice) {
		/* a private notice: show it in an open chat with them, else here */
		conv = natter_session_find_conversation(self, ctx->nick);
		if (conv == NULL)
			conv = fallback_conversation(self);
	} else {
		conv = ensure_conversation(self, NATTER_CONVERSATION_PRIVATE, ctx->nick, FALSE);
	}

	g_autoptr(GDateTime) time = NULL;
	const char *stamp = irc_message_tag(ctx->msg, "time");
	if (stamp != NULL)
		time = g_date_time_new_from_iso8601(stamp, NULL);
	g_autoptr(NatterMessage) msg = natter_message_new(kind, time,
							  *ctx->nick != '\0' ? ctx->nick : ctx->msg->source,
							  body, own);
	add_message(self, conv, msg);
}

/* Error numerics, in plain words. %s is the name the error is about. */
static const struct {
	const char *numeric;
	const char *text;
} error_texts[] = {
	{ "401", "There is no one called %s here." },
	{ "402", "There is no server called %s." },
	{ "403", "There is no room called %s." },
	{ "404", "You cannot send messages to %s right now." },
	{ "405", "You are in too many rooms to join %s." },
	{ "411", "The message had no recipient." },
	{ "412", "There was no text to send." },
	{ "417", "That line was too long for the server." },
	{ "421", "The server does not know the command /%s." },
	{ "442", "You are not in %s." },
	{ "461", "/%s needs more details." },
	{ "471", "%s is full." },
	{ "473", "%s is invite-only." },
	{ "474", "You are banned from %s." },
	{ "475", "%s needs a key to join." },
	{ "482", "You need to be a room operator in %s to do that." },
};

static void handle_numeric_error(NatterSession *self, Ctx *ctx)
{
	const char *about = ctx->msg->nparams > 2 ? P(1) : "";
	const char *server_text = ctx->msg->nparams > 1 ? P(ctx->msg->nparams - 1) : "";
	NatterConversation *conv = NULL;

	if (self->state != NATTER_SESSION_CONNECTED)
		return; /* registration errors are handled where they matter */
	if (*about != '\0')
		conv = natter_session_find_conversation(self, about);
	if (conv == NULL)
		conv = fallback_conversation(self);
	for (gsize i = 0; i < G_N_ELEMENTS(error_texts); i++) {
		if (strcmp(error_texts[i].numeric, ctx->msg->command) == 0) {
			g_autofree char *plain = NULL;
			if (strstr(error_texts[i].text, "%s") != NULL)
				plain = g_strdup_printf(error_texts[i].text, about);
			else
				plain = g_strdup(error_texts[i].text);
			add_event(self, conv, NATTER_MESSAGE_ERROR, "%s (%s)", plain, server_text);
			return;
		}
	}
	add_event(self, conv, NATTER_MESSAGE_ERROR, "The server says: %s%s%s", about,
		  *about != '\0' ? ": " : "", server_text);
}

/* Other replies worth showing (WHOIS, AWAY, LIST, ...): params after ours. */
static void handle_numeric_info(NatterSession *self, Ctx *ctx)
{
	if (self->state != NATTER_SESSION_CONNECTED || ctx->msg->nparams < 2)
		return;
	g_autoptr(GString) text = g_string_new(NULL);
	for (int i = 1; i < ctx->msg->nparams; i++)
		g_string_append_printf(text, "%s%s", i > 1 ? " " : "", ctx->msg->params[i]);
	add_event(self, fallback_conversation(self), NATTER_MESSAGE_EVENT, "%s", text->str);
}

typedef struct {
	const char *command;
	void (*handler)(NatterSession *self, Ctx *ctx);
	int min_params;
} Handler;

static void handle_433(NatterSession *self, Ctx *ctx) { handle_nick_error(self, ctx, TRUE); }
static void handle_432(NatterSession *self, Ctx *ctx) { handle_nick_error(self, ctx, FALSE); }
static void handle_ignore(NatterSession *self, Ctx *ctx) { (void)self; (void)ctx; }

static const Handler handlers[] = {
	{ "001", handle_welcome, 1 },
	{ "005", handle_isupport, 2 },
	{ "432", handle_432, 2 },
	{ "433", handle_433, 2 },
	{ "CAP", handle_cap, 2 },
	{ "PING", handle_ping, 0 },
	{ "ERROR", handle_error, 0 },
	{ "JOIN", handle_join, 1 },
	{ "PART", handle_part, 1 },
	{ "KICK", handle_kick, 2 },
	{ "QUIT", handle_quit, 0 },
	{ "NICK", handle_nick, 1 },
	{ "TOPIC", handle_topic, 1 },
	{ "331", handle_no_topic, 2 },
	{ "332", handle_topic_reply, 3 },
	{ "353", handle_names, 4 },
	{ "MODE", handle_mode, 1 },
	{ "AWAY", handle_away, 0 },
	{ "PRIVMSG", handle_privmsg, 2 },
	{ "NOTICE", handle_privmsg, 2 },
	/* registration chatter, MOTD, LUSERS, names end, topic time */
	{ "002", handle_ignore, 0 }, { "003", handle_ignore, 0 }, { "004", handle_ignore, 0 },
	{ "333", handle_ignore, 0 }, { "366", handle_ignore, 0 }, { "372", handle_ignore, 0 },
	{ "375", handle_ignore, 0 }, { "376", handle_ignore, 0 }, { "422", handle_ignore, 0 },
};

static void dispatch(NatterSession *self, char *line)
{
	struct irc_message msg;
	Ctx ctx = { .msg = &msg };

	g_debug("<< %s", line);
	if (irc_message_parse(&msg, line) != IRC_PARSE_OK)
		return;
	if (msg.source != NULL) {
		gsize n = strcspn(msg.source, "!@");
		n = MIN(n, sizeof(ctx.nick) - 1);
		memcpy(ctx.nick, msg.source, n);
		ctx.nick[n] = '\0';
		if (strchr(msg.source, '!') == NULL && strchr(msg.source, '.') != NULL)
			ctx.nick[0] = '\0'; /* a server name */
	}
	for (gsize i = 0; i < G_N_ELEMENTS(handlers); i++) {
		if (g_ascii_strcasecmp(handlers[i].command, msg.command) == 0) {
			if (msg.nparams >= handlers[i].min_params)
				handlers[i].handler(self, &ctx);
			return;
		}
	}
	if (g_ascii_isdigit(msg.command[0]) && strlen(msg.command) == 3) {
		if (msg.command[0] == '4' || msg.command[0] == '5')
			handle_numeric_error(self, &ctx);
		else if (msg.command[0] == '3')
			handle_numeric_info(self, &ctx);
	}
}

/* ---------------------------------------------------------------- reading */

static void process_input(NatterSession *self)
{
	guint gen = self->generation;
	gsize start = 0;

	for (;;) {
		guint8 *data = self->inbuf->data + start;
		gsize avail = self->inbuf->len - start;
		guint8 *nl = memchr(data, '\n', avail);
		if (nl == NULL)
			break;
		gsize len = (gsize)(nl - data);
		start += len + 1;
		if (self->discarding) {
			self->discarding = FALSE;
			continue;
		}
		if (len > 0 && data[len - 1] == '\r')
			len--;
		/* NUL cannot be part of a line; make the text valid UTF-8. */
		g_autofree char *line = g_utf8_make_valid((const char *)data,
							  (gssize)strnlen((const char *)data, len));
		dispatch(self, line);
		if (gen != self->generation)
			return; /* the handler closed the connection */
	}
	g_byte_array_remove_range(self->inbuf, 0, (guint)start);
	if (self->inbuf->len > MAX_INPUT_LINE) {
		g_warning("dropping an over-long line from the server");
		g_byte_array_set_size(self->inbuf, 0);
		self->discarding = TRUE;
	}
}

static void on_read(GObject *source, GAsyncResult *result, gpointer data)
{
	Op *op = data;
	NatterSession *self = op->self;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);

	if (op->generation != self->generation) {
		op_free(op);
		return;
	}
	if (n < 0) {
		connection_lost(self, error->message);
	} else if (n == 0) {
		connection_lost(self, self->disconnect_reason != NULL ? self->disconnect_reason
								      : "The server closed the connection");
	} else {
		/* Any byte shows the server is alive: the keep-alive starts over. */
		self->last_rx = g_get_monotonic_time();
		self->ping_sent_at = 0;
		g_byte_array_append(self->inbuf, op->buf, (guint)n);
		guint gen = self->generation;
		process_input(self);
		if (gen == self->generation)
			start_read(self);
	}
	op_free(op);
}

static void start_read(NatterSession *self)
{
	Op *op = op_new(self);

	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(self->conn)),
				  op->buf, sizeof(op->buf), G_PRIORITY_DEFAULT, self->cancel,
				  on_read, op);
}

/* ---------------------------------------------------------------- connecting */

static void fail_registration(NatterSession *self, NatterSessionError code,
			      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (self->conn != NULL)
		send_line(self, "QUIT");
	teardown(self);
	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	set_state(self, NATTER_SESSION_DISCONNECTED);
	g_autoptr(GError) error = g_error_new_literal(NATTER_SESSION_ERROR, (gint)code, text);
	g_signal_emit(self, signals[SIG_CONNECT_FAILED], 0, error);
}

static gboolean on_reconnect_tick(gpointer data)
{
	NatterSession *self = data;

	if (self->reconnect_remaining > 0)
		self->reconnect_remaining--;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RECONNECT_REMAINING]);
	if (self->reconnect_remaining > 0)
		return G_SOURCE_CONTINUE;
	self->reconnect_id = 0;
	start_attempt(self);
	return G_SOURCE_REMOVE;
}

static void schedule_reconnect(NatterSession *self)
{
	guint delay = self->reconnect_base;

	for (guint i = 0; i < self->reconnect_attempt && delay < RECONNECT_MAX_S; i++)
		delay *= 2;
	delay = MIN(delay, RECONNECT_MAX_S);
	self->reconnect_attempt++;
	self->reconnect_remaining = delay;
	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	self->reconnect_id = g_timeout_add_seconds(1, on_reconnect_tick, self);
	g_debug("reconnecting in %u s", delay);
	set_state(self, NATTER_SESSION_RECONNECT_WAIT);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RECONNECT_REMAINING]);
}

/* The connection (or an attempt) ended without the person asking. */
static void connection_lost(NatterSession *self, const char *reason)
{
	gboolean was_connected = self->state == NATTER_SESSION_CONNECTED;

	g_debug("connection lost: %s", reason);
	teardown(self);
	if (self->user_quit) {
		set_state(self, NATTER_SESSION_DISCONNECTED);
		return;
	}
	if (!self->ever_registered) {
		fail_registration(self, NATTER_SESSION_ERROR_CLOSED,
				  "The server closed the connection: %s", reason);
		return;
	}
	if (reason != NULL && self->disconnect_reason == NULL)
		self->disconnect_reason = g_strdup(reason);
	if (was_connected) {
		GListModel *model = G_LIST_MODEL(self->conversations);
		for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
			g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
			if (natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM) {
				natter_conversation_set_joined(c, FALSE);
				natter_conversation_clear_members(c);
			}
			add_event(self, c, NATTER_MESSAGE_ERROR, "Disconnected: %s", reason);
		}
	}
	schedule_reconnect(self);
}

/* The keep-alive: runs at the next moment something could be due and
 * decides from the timestamps, so traffic costs no timer work at all. */
static gboolean on_keepalive(gpointer data)
{
	NatterSession *self = data;
	gint64 now = g_get_monotonic_time();
	gint64 period = (gint64)self->keepalive * G_USEC_PER_SEC;
	gint64 due;

	self->keepalive_id = 0;
	if (self->state == NATTER_SESSION_REGISTERING && self->last_rx == 0) {
		/* Connected, but not one byte yet. */
		due = self->connected_at + (gint64)self->connect_timeout * G_USEC_PER_SEC;
		if (now >= due) {
			g_autofree char *text = g_strdup_printf(
				"The server at %s port %u accepted the connection but sent nothing within %u seconds. Is it a chat server?",
				self->host, self->port, self->connect_timeout);
			if (self->ever_registered)
				connection_lost(self, text);
			else
				fail_registration(self, NATTER_SESSION_ERROR_TIMEOUT, "%s", text);
			return G_SOURCE_REMOVE;
		}
	} else if (self->state != NATTER_SESSION_CONNECTED) {
		due = now + period; /* registering: the registration timeout rules */
	} else if (self->ping_sent_at == 0) {
		due = self->last_rx + period;
		if (now >= due) {
			send_command(self, "PING", 1, "natter-keepalive");
			self->ping_sent_at = now;
			due = now + period;
		}
	} else {
		due = self->ping_sent_at + period;
		if (now >= due) {
			g_autofree char *text = g_strdup_printf(
				"The server did not answer for %u seconds", self->keepalive * 2);
			connection_lost(self, text);
			return G_SOURCE_REMOVE;
		}
	}
	self->keepalive_id = g_timeout_add((guint)MAX((due - now + 999) / 1000, 1), on_keepalive, self);
	return G_SOURCE_REMOVE;
}

static gboolean on_register_timeout(gpointer data)
{
	NatterSession *self = data;

	self->register_timeout_id = 0;
	if (self->ever_registered)
		connection_lost(self, "The server did not answer in time");
	else
		fail_registration(self, NATTER_SESSION_ERROR_TIMEOUT,
				  "The server at %s:%u accepted the connection but did not answer in time.",
				  self->host, self->port);
	return G_SOURCE_REMOVE;
}

static void on_connected(GObject *source, GAsyncResult *result, gpointer data)
{
	Op *op = data;
	NatterSession *self = op->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn =
		g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, &error);

	if (op->generation != self->generation) {
		op_free(op);
		return;
	}
	if (conn == NULL) {
		NatterSessionError code = NATTER_SESSION_ERROR_FAILED;
		g_autofree char *text = NULL;
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
			code = NATTER_SESSION_ERROR_REFUSED;
			text = g_strdup_printf("Could not connect to %s port %u: no chat server is running there (connection refused).",
					       self->host, self->port);
		} else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
			code = NATTER_SESSION_ERROR_TIMEOUT;
			text = g_strdup_printf("Could not connect to %s port %u: no answer within %u seconds.",
					       self->host, self->port, self->connect_timeout);
		} else if (error->domain == G_RESOLVER_ERROR) {
			code = NATTER_SESSION_ERROR_RESOLVE;
			text = g_strdup_printf("The server name “%s” could not be found.", self->host);
		} else {
			text = g_strdup_printf("Could not connect to %s port %u: %s", self->host,
					       self->port, error->message);
		}
		g_debug("connect failed: %s", error->message);
		if (self->ever_registered && !self->user_quit) {
			teardown(self);
			g_free(self->disconnect_reason);
			self->disconnect_reason = g_steal_pointer(&text);
			schedule_reconnect(self);
		} else {
			fail_registration(self, code, "%s", text);
		}
		op_free(op);
		return;
	}

	self->conn = g_steal_pointer(&conn);
	GSocket *sock = g_socket_connection_get_socket(self->conn);
	/* GSocketClient gives the socket its connect timeout, and a GSocket
	 * applies its timeout to every later read and write: a quiet room then
	 * "timed out" every 10 s. Liveness is the keep-alive's job. */
	g_socket_set_timeout(sock, 0);
	g_socket_set_keepalive(sock, TRUE);
	set_state(self, NATTER_SESSION_REGISTERING);
	self->nick_retry = 0;
	self->connected_at = g_get_monotonic_time();
	self->last_rx = 0;
	self->ping_sent_at = 0;
	self->register_timeout_id = g_timeout_add_seconds(self->connect_timeout * 3,
							  on_register_timeout, self);
	self->keepalive_id = g_timeout_add(self->connect_timeout * 1000, on_keepalive, self);
	start_read(self);
	send_line(self, "CAP LS 302");
	send_command(self, "NICK", 1, self->wanted_nick);
	send_command(self, "USER", 4, self->wanted_nick, "0", "*", "natter user");
	op_free(op);
}

static void start_attempt(NatterSession *self)
{
	teardown(self);
	self->cancel = g_cancellable_new();
	g_clear_pointer(&self->disconnect_reason, g_free);
	set_state(self, NATTER_SESSION_CONNECTING);
	g_socket_client_connect_to_host_async(self->client, self->host, self->port, self->cancel,
					      on_connected, op_new(self));
}

gboolean natter_session_connect(NatterSession *self, const char *host, guint16 port,
				const char *nick, GError **error)
{
	g_return_val_if_fail(NATTER_IS_SESSION(self), FALSE);

	if (!irc_nick_is_valid(nick)) {
		g_set_error(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_NICK_INVALID,
			    "A name is 1–30 letters, digits or -[]\\`_^{|}, starting with a letter or one of []\\`_^{|}.");
		return FALSE;
	}
	if (host == NULL || *host == '\0' || strpbrk(host, " \r\n") != NULL) {
		g_set_error(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_RESOLVE,
			    "Type the name or address of the server.");
		return FALSE;
	}
	if (port == 0) {
		g_set_error(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_FAILED,
			    "The port must be a number from 1 to 65535.");
		return FALSE;
	}
	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	teardown(self);
	natter_session_set_active(self, NULL);
	g_list_store_remove_all(self->conversations);
	g_free(self->host);
	self->host = g_strdup(host);
	self->port = port;
	g_free(self->wanted_nick);
	self->wanted_nick = g_strdup(nick);
	set_nick(self, nick);
	self->ever_registered = FALSE;
	self->user_quit = FALSE;
	self->reconnect_attempt = 0;
	start_attempt(self);
	return TRUE;
}

void natter_session_disconnect(NatterSession *self, const char *reason)
{
	self->user_quit = TRUE;
	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	if (self->conn != NULL && !self->writing) {
		/* Best effort: say goodbye without waiting for the queue. */
		g_autoptr(GString) line = g_string_new(NULL);
		struct irc_message msg = { .command = (char *)"QUIT" };
		msg.params[msg.nparams++] = (char *)(reason != NULL && *reason != '\0' ? reason : "Leaving");
		irc_message_format(line, &msg);
		g_string_append(line, "\r\n");
		GSocket *sock = g_socket_connection_get_socket(self->conn);
		g_socket_set_blocking(sock, FALSE);
		g_socket_send(sock, line->str, line->len, NULL, NULL);
	}
	teardown(self);
	set_state(self, NATTER_SESSION_DISCONNECTED);
}

void natter_session_reconnect_now(NatterSession *self)
{
	if (self->state != NATTER_SESSION_RECONNECT_WAIT)
		return;
	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	start_attempt(self);
}

/* ---------------------------------------------------------------- input */

static void send_text(NatterSession *self, NatterConversation *conv, const char *target,
		      const char *text, gboolean action)
{
	gsize budget = natter_input_text_budget("PRIVMSG", target, self->nick);
	if (action)
		budget -= 9; /* \1ACTION ...\1 */
	g_auto(GStrv) pieces = natter_input_split(text, budget);
	gboolean echo = natter_session_has_cap(self, "echo-message");

	for (int i = 0; pieces[i] != NULL; i++) {
		if (action) {
			g_autofree char *ctcp = g_strdup_printf("\x01" "ACTION %s\x01", pieces[i]);
			send_command(self, "PRIVMSG", 2, target, ctcp);
		} else {
			send_command(self, "PRIVMSG", 2, target, pieces[i]);
		}
		if (!echo && conv != NULL) {
			g_autoptr(NatterMessage) msg = natter_message_new(
				action ? NATTER_MESSAGE_ACTION : NATTER_MESSAGE_TEXT, NULL,
				self->nick, pieces[i], TRUE);
			add_message(self, conv, msg);
		}
	}
}

static gboolean input_error(GError **error, NatterSessionError code, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
static gboolean input_error(GError **error, NatterSessionError code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, NATTER_SESSION_ERROR, (gint)code, text);
	return FALSE;
}

/* The room the person is looking at, or NULL with @error set. */
static NatterConversation *active_room(NatterSession *self, GError **error)
{
	if (self->active == NULL || natter_conversation_get_kind(self->active) != NATTER_CONVERSATION_ROOM) {
		input_error(error, NATTER_SESSION_ERROR_FAILED, "Open a room first.");
		return NULL;
	}
	return self->active;
}

gboolean natter_session_send_input(NatterSession *self, const char *text, GError **error)
{
	g_autoptr(NatterInput) in = natter_input_parse(text);
	NatterConversation *conv;

	if (in->kind == NATTER_INPUT_EMPTY)
		return TRUE;
	if (in->kind == NATTER_INPUT_INVALID)
		return input_error(error, NATTER_SESSION_ERROR_FAILED, "%s", in->error);
	if (self->state != NATTER_SESSION_CONNECTED)
		return input_error(error, NATTER_SESSION_ERROR_NOT_CONNECTED,
				   "Not connected. Your text is kept and can be sent once reconnected.");

	switch (in->kind) {
	case NATTER_INPUT_SAY:
	case NATTER_INPUT_ME:
		conv = self->active;
		if (conv == NULL)
			return input_error(error, NATTER_SESSION_ERROR_FAILED, "Open a conversation first.");
		if (!natter_conversation_get_joined(conv))
			return input_error(error, NATTER_SESSION_ERROR_FAILED, "You are not in %s.",
					   natter_conversation_get_name(conv));
		send_text(self, conv, natter_conversation_get_name(conv), in->text,
			  in->kind == NATTER_INPUT_ME);
		return TRUE;
	case NATTER_INPUT_MSG:
		if (irc_is_channel(in->target)) {
			conv = natter_session_find_conversation(self, in->target);
			if (conv != NULL)
				g_signal_emit(self, signals[SIG_CONVERSATION_OPENED], 0, conv, TRUE);
		} else {
			conv = natter_session_open_private(self, in->target);
		}
		if (in->text != NULL)
			send_text(self, conv, in->target, in->text, FALSE);
		return TRUE;
	case NATTER_INPUT_JOIN:
		conv = natter_session_find_conversation(self, in->target);
		if (conv != NULL && natter_conversation_get_joined(conv)) {
			g_signal_emit(self, signals[SIG_CONVERSATION_OPENED], 0, conv, TRUE);
			return TRUE;
		}
		g_free(self->pending_focus);
		self->pending_focus = g_strdup(in->target);
		send_command(self, "JOIN", 1, in->target);
		return TRUE;
	case NATTER_INPUT_PART:
		if (in->target == NULL && self->active != NULL &&
		    natter_conversation_get_kind(self->active) == NATTER_CONVERSATION_PRIVATE) {
			remove_conversation(self, self->active); /* closing a private chat */
			return TRUE;
		}
		if (in->target == NULL && (conv = active_room(self, error)) == NULL)
			return FALSE;
		send_command(self, "PART", 2,
			     in->target != NULL ? in->target : natter_conversation_get_name(conv),
			     in->text != NULL ? in->text : "Leaving");
		return TRUE;
	case NATTER_INPUT_NICK:
		send_command(self, "NICK", 1, in->target);
		return TRUE;
	case NATTER_INPUT_TOPIC:
		if ((conv = active_room(self, error)) == NULL)
			return FALSE;
		if (in->text == NULL)
			send_command(self, "TOPIC", 1, natter_conversation_get_name(conv));
		else
			send_command(self, "TOPIC", 2, natter_conversation_get_name(conv), in->text);
		return TRUE;
	case NATTER_INPUT_QUIT:
		natter_session_disconnect(self, in->text);
		return TRUE;
	case NATTER_INPUT_RAW: {
		g_autofree char *line = in->text != NULL ? g_strdup_printf("%s %s", in->target, in->text)
							 : g_strdup(in->target);
		if (strlen(line) + 2 > IRC_LINE_MAX)
			return input_error(error, NATTER_SESSION_ERROR_FAILED, "That command is too long.");
		send_line(self, line);
		return TRUE;
	}
	case NATTER_INPUT_EMPTY:
	case NATTER_INPUT_INVALID:
		break;
	}
	return TRUE;
}

/* ---------------------------------------------------------------- accessors */

NatterSessionState natter_session_get_state(NatterSession *self) { return self->state; }
const char *natter_session_get_nick(NatterSession *self) { return self->nick; }
const char *natter_session_get_host(NatterSession *self) { return self->host; }
guint16 natter_session_get_port(NatterSession *self) { return self->port; }
guint natter_session_get_reconnect_remaining(NatterSession *self) { return self->reconnect_remaining; }
const char *natter_session_get_disconnect_reason(NatterSession *self) { return self->disconnect_reason; }
GListModel *natter_session_get_conversations(NatterSession *self) { return G_LIST_MODEL(self->conversations); }
NatterConversation *natter_session_get_active(NatterSession *self) { return self->active; }

gboolean natter_session_has_cap(NatterSession *self, const char *cap)
{
	return g_hash_table_contains(self->caps, cap);
}

void natter_session_set_timeouts(NatterSession *self, guint connect_seconds,
				 guint keepalive_seconds)
{
	if (connect_seconds > 0)
		self->connect_timeout = connect_seconds;
	if (keepalive_seconds > 0)
		self->keepalive = keepalive_seconds;
	g_socket_client_set_timeout(self->client, self->connect_timeout);
}

void natter_session_set_reconnect_base(NatterSession *self, guint seconds)
{
	self->reconnect_base = MAX(seconds, 1u);
}

void natter_session_set_active(NatterSession *self, NatterConversation *conversation)
{
	if (conversation != NULL)
		natter_conversation_set_unread(conversation, 0);
	if (g_set_object(&self->active, conversation))
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ACTIVE]);
}

NatterConversation *natter_session_open_private(NatterSession *self, const char *nick)
{
	return ensure_conversation(self, NATTER_CONVERSATION_PRIVATE, nick, TRUE);
}

GPtrArray *natter_session_complete_nick(NatterSession *self, NatterConversation *conversation,
					const char *prefix)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	gsize plen = strlen(prefix);

	(void)self;
	if (conversation == NULL)
		return out;
	if (natter_conversation_get_kind(conversation) == NATTER_CONVERSATION_PRIVATE) {
		const char *name = natter_conversation_get_name(conversation);
		if (g_ascii_strncasecmp(name, prefix, plen) == 0)
			g_ptr_array_add(out, g_strdup(name));
		return out;
	}
	GListModel *members = natter_conversation_get_members(conversation);
	for (guint i = 0; i < g_list_model_get_n_items(members); i++) {
		g_autoptr(NatterMember) m = g_list_model_get_item(members, i);
		const char *nick = natter_member_get_nick(m);
		char folded_nick[IRC_NICK_MAX * 4 + 1], folded_prefix[IRC_NICK_MAX * 4 + 1];
		irc_casefold(folded_nick, sizeof(folded_nick), nick);
		irc_casefold(folded_prefix, sizeof(folded_prefix), prefix);
		if (strncmp(folded_nick, folded_prefix, strlen(folded_prefix)) == 0 && !is_me(self, nick))
			g_ptr_array_add(out, g_strdup(nick));
	}
	return out;
}

/* ---------------------------------------------------------------- GObject */

static void natter_session_get_property(GObject *object, guint id, GValue *value,
					GParamSpec *pspec)
{
	NatterSession *self = NATTER_SESSION(object);

	switch (id) {
	case PROP_STATE: g_value_set_int(value, (gint)self->state); break;
	case PROP_NICK: g_value_set_string(value, self->nick); break;
	case PROP_RECONNECT_REMAINING: g_value_set_uint(value, self->reconnect_remaining); break;
	case PROP_ACTIVE: g_value_set_object(value, self->active); break;
	default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void natter_session_dispose(GObject *object)
{
	NatterSession *self = NATTER_SESSION(object);

	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	teardown(self);
	g_clear_object(&self->active);
	g_clear_object(&self->client);
	if (self->conversations != NULL)
		g_list_store_remove_all(self->conversations);
	G_OBJECT_CLASS(natter_session_parent_class)->dispose(object);
}

static void natter_session_finalize(GObject *object)
{
	NatterSession *self = NATTER_SESSION(object);

	g_clear_object(&self->conversations);
	g_byte_array_unref(self->inbuf);
	g_string_free(self->outq, TRUE);
	g_string_free(self->cap_ls, TRUE);
	g_hash_table_unref(self->caps);
	g_free(self->host);
	g_free(self->nick);
	g_free(self->wanted_nick);
	g_free(self->disconnect_reason);
	g_free(self->pending_focus);
	G_OBJECT_CLASS(natter_session_parent_class)->finalize(object);
}

static void natter_session_class_init(NatterSessionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = natter_session_get_property;
	object_class->dispose = natter_session_dispose;
	object_class->finalize = natter_session_finalize;

	props[PROP_STATE] = g_param_spec_int("state", NULL, NULL, 0, NATTER_SESSION_RECONNECT_WAIT, 0,
					     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_NICK] = g_param_spec_string("nick", NULL, NULL, NULL,
					       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_RECONNECT_REMAINING] = g_param_spec_uint("reconnect-remaining", NULL, NULL, 0,
							    G_MAXUINT, 0,
							    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_ACTIVE] = g_param_spec_object("active", NULL, NULL, NATTER_TYPE_CONVERSATION,
						 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);

	/* (GError *error): connecting or registering failed; back to DISCONNECTED. */
	signals[SIG_CONNECT_FAILED] = g_signal_new("connect-failed", G_TYPE_FROM_CLASS(klass),
						   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						   G_TYPE_NONE, 1, G_TYPE_ERROR);
	/* Registration finished (also after each reconnect). */
	signals[SIG_REGISTERED] = g_signal_new("registered", G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
	/* (conversation, message): a line was added to a conversation. */
	signals[SIG_MESSAGE_ADDED] = g_signal_new("message-added", G_TYPE_FROM_CLASS(klass),
						  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
						  2, NATTER_TYPE_CONVERSATION, NATTER_TYPE_MESSAGE);
	/* (conversation, focus): a conversation was opened; focus = the person
	 * asked for it (/join, @name), so show it. */
	signals[SIG_CONVERSATION_OPENED] = g_signal_new("conversation-opened", G_TYPE_FROM_CLASS(klass),
							G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
							G_TYPE_NONE, 2, NATTER_TYPE_CONVERSATION,
							G_TYPE_BOOLEAN);
}

static void natter_session_init(NatterSession *self)
{
	self->client = g_socket_client_new();
	self->connect_timeout = NATTER_SESSION_CONNECT_TIMEOUT_S;
	self->keepalive = NATTER_SESSION_KEEPALIVE_S;
	g_socket_client_set_timeout(self->client, self->connect_timeout);
	self->inbuf = g_byte_array_new();
	self->outq = g_string_new(NULL);
	self->cap_ls = g_string_new(NULL);
	self->caps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->conversations = g_list_store_new(NATTER_TYPE_CONVERSATION);
	self->reconnect_base = 1;
	g_strlcpy(self->prefix_modes, "ov", sizeof(self->prefix_modes));
	g_strlcpy(self->prefix_chars, "@+", sizeof(self->prefix_chars));
}

NatterSession *natter_session_new(void)
{
	return g_object_new(NATTER_TYPE_SESSION, NULL);
}
