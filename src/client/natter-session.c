/* natter-session.c - one IRC session and the model it feeds (see natter-session.h
 * and, for how the parts fit, natter-session-private.h).
 *
 * This file: the GObject, the model helpers every part uses, connecting,
 * losing the connection and reconnecting with exponential backoff. The
 * transport is a NatterConnection (one per attempt), server lines go to
 * natter-inbound.c, typed input to natter-outbound.c. */
#define G_LOG_DOMAIN "natter"

#include "natter-session-private.h"
#include "natter-tls.h"

#include <string.h>

#include "irc_names.h"
#include "natter-input.h"

#define RECONNECT_MAX_S 60

G_DEFINE_FINAL_TYPE(NatterSession, natter_session, G_TYPE_OBJECT)
G_DEFINE_QUARK(natter-session-error-quark, natter_session_error)

enum { PROP_0, PROP_STATE, PROP_NICK, PROP_RECONNECT_REMAINING, PROP_ACTIVE, PROP_AWAY,
       PROP_LISTING, PROP_ACCOUNT, N_PROPS };
static GParamSpec *props[N_PROPS];

guint natter_session_signals[NATTER_N_SIGNALS];
#define signals natter_session_signals

static void start_attempt(NatterSession *self);
static gboolean fail_certificate(NatterSession *self);

/* ---------------------------------------------------------------- state */

void natter_session_set_state_(NatterSession *self, NatterSessionState state)
{
	if (self->state == state)
		return;
	g_debug("state %d -> %d", self->state, state);
	self->state = state;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

void natter_session_set_nick_(NatterSession *self, const char *nick)
{
	if (g_strcmp0(self->nick, nick) == 0)
		return;
	g_free(self->nick);
	self->nick = g_strdup(nick);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_NICK]);
}

gboolean natter_session_is_me_(NatterSession *self, const char *nick)
{
	return nick != NULL && self->nick != NULL && irc_casecmp(nick, self->nick) == 0;
}

void natter_session_set_away_(NatterSession *self, gboolean away)
{
	if (self->away == away)
		return;
	self->away = away;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_AWAY]);
	g_signal_emit(self, signals[NATTER_SIG_AWAY_CHANGED], 0);
}

void natter_session_set_listing_(NatterSession *self, gboolean listing)
{
	if (self->listing == listing)
		return;
	self->listing = listing;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_LISTING]);
}

/* Drops the connection: no callback of it will run any more. */
static void teardown(NatterSession *self)
{
	if (self->conn != NULL) {
		natter_connection_close(self->conn);
		g_clear_object(&self->conn);
	}
	g_hash_table_remove_all(self->caps);
	g_string_truncate(self->cap_ls, 0);
	g_clear_pointer(&self->whois, natter_whois_free);
	g_string_truncate(self->motd, 0);
	self->lusers_asked = FALSE;
	natter_session_set_listing_(self, FALSE);
	natter_history_reset_(self);
}

/* ---------------------------------------------------------------- writing */

void natter_session_send_line_(NatterSession *self, const char *line)
{
	g_return_if_fail(strpbrk(line, "\r\n") == NULL);
	if (strlen(line) + 2 > IRC_LINE_MAX) {
		g_warning("dropping an over-long line (%zu bytes)", strlen(line));
		return;
	}
	if (self->sink != NULL)
		self->sink(line, self->sink_data);
	else if (self->conn != NULL)
		natter_connection_send(self->conn, line);
}

void natter_session_send_command_(NatterSession *self, const char *command, int nparams, ...)
{
	struct irc_message msg = { .command = (char *)command };
	va_list ap;

	va_start(ap, nparams);
	for (int i = 0; i < nparams && i < IRC_MAX_PARAMS; i++)
		msg.params[msg.nparams++] = va_arg(ap, char *);
	va_end(ap);
	g_autoptr(GString) line = g_string_new(NULL);
	irc_message_format(line, &msg);
	natter_session_send_line_(self, line->str);
}

/* ---------------------------------------------------------------- model helpers */

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
NatterConversation *natter_session_ensure_conversation_(NatterSession *self,
							NatterConversationKind kind,
							const char *name, gboolean focus)
{
	NatterConversation *conv = natter_session_find_conversation(self, name);

	if (conv == NULL) {
		g_autoptr(NatterConversation) created = natter_conversation_new(kind, name);
		g_list_store_append(self->conversations, created);
		conv = created;
		g_signal_emit(self, signals[NATTER_SIG_CONVERSATION_OPENED], 0, conv, focus);
	} else if (focus) {
		g_signal_emit(self, signals[NATTER_SIG_CONVERSATION_OPENED], 0, conv, focus);
	}
	if (self->active == NULL)
		natter_session_set_active(self, conv);
	return conv;
}

void natter_session_remove_conversation_(NatterSession *self, NatterConversation *conv)
{
	guint index;

	if (!g_list_store_find(self->conversations, conv, &index))
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

void natter_session_add_message_(NatterSession *self, NatterConversation *conv,
				 NatterMessage *msg)
{
	natter_conversation_add_message(conv, msg);
	NatterMessageKind kind = natter_message_get_kind(msg);
	/* Only what people say counts as unread; events and errors do not. */
	if (conv != self->active && !natter_message_is_own(msg) &&
	    (kind == NATTER_MESSAGE_TEXT || kind == NATTER_MESSAGE_ACTION ||
	     kind == NATTER_MESSAGE_NOTICE))
		natter_conversation_set_unread(conv, natter_conversation_get_unread(conv) + 1);
	g_signal_emit(self, signals[NATTER_SIG_MESSAGE_ADDED], 0, conv, msg);
}

void natter_session_add_event_(NatterSession *self, NatterConversation *conv,
			       NatterMessageKind kind, const char *fmt, ...)
{
	va_list ap;

	if (conv == NULL)
		return;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autoptr(NatterMessage) msg = natter_message_new(kind, NULL, NULL, text, FALSE);
	natter_session_add_message_(self, conv, msg);
}

void natter_session_add_event_full_(NatterSession *self, NatterConversation *conv,
				    NatterMessageKind kind, NatterEventKind event,
				    const char *nick, const char *fmt, ...)
{
	va_list ap;

	if (conv == NULL)
		return;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autoptr(NatterMessage) msg = natter_message_new(kind, NULL, nick, text, FALSE);
	natter_message_set_event(msg, event);
	natter_session_add_message_(self, conv, msg);
}

NatterConversation *natter_session_fallback_conversation_(NatterSession *self)
{
	if (self->active != NULL)
		return self->active;
	NatterConversation *lobby = natter_session_find_conversation(self, NATTER_LOBBY);
	if (lobby != NULL)
		return lobby;
	return natter_session_ensure_conversation_(self, NATTER_CONVERSATION_ROOM, NATTER_LOBBY, FALSE);
}

/* ---------------------------------------------------------------- connecting */

void natter_session_fail_registration_(NatterSession *self, NatterSessionError code,
				       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (self->conn != NULL)
		natter_session_send_line_(self, "QUIT");
	teardown(self);
	natter_backoff_cancel(&self->backoff);
	natter_session_set_state_(self, NATTER_SESSION_DISCONNECTED);
	g_autoptr(GError) error = g_error_new_literal(NATTER_SESSION_ERROR, (gint)code, text);
	g_signal_emit(self, signals[NATTER_SIG_CONNECT_FAILED], 0, error);
}

static void on_backoff_tick(gpointer data)
{
	g_object_notify_by_pspec(G_OBJECT(data), props[PROP_RECONNECT_REMAINING]);
}

static void on_backoff_due(gpointer data)
{
	start_attempt(data);
}

static void schedule_reconnect(NatterSession *self)
{
	guint delay = natter_backoff_start(&self->backoff);

	g_debug("reconnecting in %u s", delay);
	natter_session_set_state_(self, NATTER_SESSION_RECONNECT_WAIT);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RECONNECT_REMAINING]);
}

void natter_session_connection_lost_(NatterSession *self, const char *reason)
{
	gboolean was_connected = self->state == NATTER_SESSION_CONNECTED;

	if (fail_certificate(self))
		return;

	g_debug("connection lost: %s", reason);
	teardown(self);
	if (self->user_quit) {
		natter_session_set_state_(self, NATTER_SESSION_DISCONNECTED);
		return;
	}
	if (!self->ever_registered) {
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_CLOSED,
						  "The server closed the connection: %s", reason);
		return;
	}
	if (reason != NULL && self->disconnect_reason == NULL)
		self->disconnect_reason = g_strdup(reason);
	if (was_connected) {
		natter_session_set_away_(self, FALSE);
		GListModel *model = G_LIST_MODEL(self->conversations);
		for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
			g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
			if (natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM) {
				natter_conversation_set_joined(c, FALSE);
				natter_conversation_clear_members(c);
			}
			natter_session_add_event_full_(self, c, NATTER_MESSAGE_ERROR,
						       NATTER_EVENT_CONNECTION, NULL,
						       "Disconnected: %s", reason);
		}
	}
	schedule_reconnect(self);
}

static void on_conn_connected(gpointer data)
{
	NatterSession *self = data;

	natter_session_set_state_(self, NATTER_SESSION_REGISTERING);
	self->nick_retry = 0;
	natter_session_send_line_(self, "CAP LS 302");
	natter_session_send_command_(self, "NICK", 1, self->wanted_nick);
	natter_session_send_command_(self, "USER", 4, self->wanted_nick, "0", "*", "natter user");
}

static void on_conn_line(char *line, gpointer data)
{
	natter_inbound_dispatch(data, line);
}

/* A certificate was refused: never retry by ourselves, say why. */
static gboolean fail_certificate(NatterSession *self)
{
	if (!self->tls_refused)
		return FALSE;
	g_autofree char *path = natter_tls_known_hosts_path();
	self->user_quit = FALSE;
	if (self->tls_known != NULL)
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_CERT_CHANGED,
			"The server at %s port %u shows a different certificate than before, so natter did not connect: "
			"someone may be pretending to be that server.\n"
			"Remembered: %s\nNow: %s\n"
			"If its owner really replaced the certificate, remove the line for %s:%u from %s.",
			self->host, self->port, self->tls_known, self->tls_seen, self->host, self->port, path);
	else
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_CERT_UNKNOWN,
			"The server at %s port %u has a certificate natter has not seen before. "
			"Its SHA-256 fingerprint is %s. Trust it only if it matches what the server's owner gave you.",
			self->host, self->port, self->tls_seen);
	return TRUE;
}

static void on_conn_lost(const GError *error, gpointer data)
{
	NatterSession *self = data;

	if (fail_certificate(self))
		return;

	if (self->ever_registered && !self->user_quit) {
		natter_session_connection_lost_(self, error->message);
		return;
	}
	if (self->user_quit) {
		teardown(self);
		natter_session_set_state_(self, NATTER_SESSION_DISCONNECTED);
		return;
	}
	if (error->code == NATTER_SESSION_ERROR_CLOSED)
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_CLOSED,
						  "The server at %s port %u closed the connection: %s",
						  self->host, self->port, error->message);
	else
		natter_session_fail_registration_(self, (NatterSessionError)error->code, "%s",
						  error->message);
}

static const NatterConnectionCallbacks conn_callbacks = {
	.connected = on_conn_connected,
	.line = on_conn_line,
	.lost = on_conn_lost,
};

void natter_session_registered_(NatterSession *self)
{
	if (self->conn != NULL)
		natter_connection_set_registered(self->conn);
}

/* TLS: every certificate comes here (there is no CA database), and only
 * the one remembered for this host and port is taken. */
static gboolean on_accept_certificate(GTlsConnection *conn, GTlsCertificate *cert,
				      GTlsCertificateFlags errors, gpointer data)
{
	NatterSession *self = data;

	(void)conn;
	(void)errors;
	g_free(self->tls_seen);
	self->tls_seen = natter_tls_fingerprint(cert);
	g_autofree char *known = natter_tls_lookup(self->host, self->port);
	if (known != NULL && self->tls_seen != NULL && g_ascii_strcasecmp(known, self->tls_seen) == 0)
		return TRUE;
	g_free(self->tls_known);
	self->tls_known = g_steal_pointer(&known);
	self->tls_refused = TRUE;
	return FALSE;
}

static GIOStream *tls_wrap(GIOStream *plain, const char *host, GError **error, gpointer data)
{
	NatterSession *self = data;
	g_autoptr(GSocketConnectable) id = g_network_address_new(host, self->port);
	g_autoptr(GError) local = NULL;

	GIOStream *tls = g_tls_client_connection_new(plain, id, &local);
	if (tls == NULL) {
		g_set_error(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_FAILED,
			    "%s (GIO's TLS support comes from the glib-networking package)", local->message);
		return NULL;
	}
	g_tls_connection_set_database(G_TLS_CONNECTION(tls), NULL);
	g_signal_connect_object(tls, "accept-certificate", G_CALLBACK(on_accept_certificate), self, 0);
	return tls;
}

static void start_attempt(NatterSession *self)
{
	teardown(self);
	g_clear_pointer(&self->disconnect_reason, g_free);
	self->tls_refused = FALSE;
	g_clear_pointer(&self->tls_seen, g_free);
	g_clear_pointer(&self->tls_known, g_free);
	natter_sasl_reset_(self);
	natter_session_set_state_(self, NATTER_SESSION_CONNECTING);
	self->conn = natter_connection_new(self->host, self->port, self->connect_timeout,
					   self->keepalive, &conn_callbacks, self);
	if (self->tls)
		natter_connection_set_wrap(self->conn, tls_wrap, self);
	natter_connection_start(self->conn);
}

gboolean natter_session_connect(NatterSession *self, const char *host, guint16 port,
				const char *nick, GError **error)
{
	g_return_val_if_fail(NATTER_IS_SESSION(self), FALSE);

	if (!natter_session_check_nick(nick, error))
		return FALSE;
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
	natter_backoff_cancel(&self->backoff);
	teardown(self);
	natter_session_set_active(self, NULL);
	g_list_store_remove_all(self->conversations);
	g_free(self->host);
	self->host = g_strdup(host);
	self->port = port;
	g_free(self->wanted_nick);
	self->wanted_nick = g_strdup(nick);
	natter_session_set_nick_(self, nick);
	self->ever_registered = FALSE;
	self->user_quit = FALSE;
	natter_backoff_reset(&self->backoff);
	natter_session_set_away_(self, FALSE);
	g_clear_pointer(&self->away_text, g_free);
	start_attempt(self);
	return TRUE;
}

void natter_session_disconnect(NatterSession *self, const char *reason)
{
	self->user_quit = TRUE;
	natter_backoff_cancel(&self->backoff);
	if (self->conn != NULL || self->sink != NULL) {
		/* Best effort: say goodbye without waiting for the queue. */
		g_autoptr(GString) line = g_string_new(NULL);
		struct irc_message msg = { .command = (char *)"QUIT" };
		msg.params[msg.nparams++] = (char *)(reason != NULL && *reason != '\0' ? reason : "Leaving");
		irc_message_format(line, &msg);
		if (self->sink != NULL)
			self->sink(line->str, self->sink_data);
		else
			natter_connection_send_now(self->conn, line->str);
	}
	teardown(self);
	natter_session_set_away_(self, FALSE);
	natter_session_set_state_(self, NATTER_SESSION_DISCONNECTED);
}

void natter_session_reconnect_now(NatterSession *self)
{
	if (self->state != NATTER_SESSION_RECONNECT_WAIT)
		return;
	natter_backoff_cancel(&self->backoff);
	start_attempt(self);
}

/* ---------------------------------------------------------------- names */

gboolean natter_session_check_nick(const char *nick, GError **error)
{
	g_autofree char *why = NULL;

	if (natter_input_check_nick(nick, &why))
		return TRUE;
	g_set_error_literal(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_NICK_INVALID, why);
	return FALSE;
}

/* ---------------------------------------------------------------- accessors */

NatterSessionState natter_session_get_state(NatterSession *self) { return self->state; }
const char *natter_session_get_nick(NatterSession *self) { return self->nick; }
const char *natter_session_get_host(NatterSession *self) { return self->host; }
guint16 natter_session_get_port(NatterSession *self) { return self->port; }
guint natter_session_get_reconnect_remaining(NatterSession *self) { return self->backoff.remaining; }
const char *natter_session_get_disconnect_reason(NatterSession *self) { return self->disconnect_reason; }
GListModel *natter_session_get_conversations(NatterSession *self) { return G_LIST_MODEL(self->conversations); }
NatterConversation *natter_session_get_active(NatterSession *self) { return self->active; }

void natter_session_set_tls(NatterSession *self, gboolean tls) { self->tls = tls; }
gboolean natter_session_get_tls(NatterSession *self) { return self->tls; }
const char *natter_session_get_peer_fingerprint(NatterSession *self) { return self->tls_seen; }
const char *natter_session_get_known_fingerprint(NatterSession *self) { return self->tls_known; }
const char *natter_session_get_account(NatterSession *self) { return self->account; }

void natter_session_set_password(NatterSession *self, const char *password, gboolean create)
{
	g_clear_pointer(&self->password, g_free);
	if (password != NULL && *password != '\0')
		self->password = g_strdup(password);
	self->create_account = create && self->password != NULL;
}

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
}

void natter_session_set_reconnect_base(NatterSession *self, guint seconds)
{
	self->backoff.base = MAX(seconds, 1u);
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
	return natter_session_ensure_conversation_(self, NATTER_CONVERSATION_PRIVATE, nick, TRUE);
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
		if (strncmp(folded_nick, folded_prefix, strlen(folded_prefix)) == 0 && !natter_session_is_me_(self, nick))
			g_ptr_array_add(out, g_strdup(nick));
	}
	return out;
}

gboolean natter_session_get_away(NatterSession *self) { return self->away; }
GListModel *natter_session_get_room_list(NatterSession *self) { return G_LIST_MODEL(self->rooms); }
GListModel *natter_session_get_server_info(NatterSession *self) { return G_LIST_MODEL(self->server_info); }
gboolean natter_session_get_listing(NatterSession *self) { return self->listing; }

void natter_session_set_autojoin(NatterSession *self, const char *const *rooms)
{
	g_strfreev(self->autojoin);
	self->autojoin = g_strdupv((char **)rooms);
}

gboolean natter_session_set_away(NatterSession *self, const char *text)
{
	if (self->state != NATTER_SESSION_CONNECTED)
		return FALSE;
	g_free(self->away_text);
	self->away_text = text != NULL && *text != '\0' ? g_strdup(text) : NULL;
	if (self->away_text != NULL)
		natter_session_send_command_(self, "AWAY", 1, self->away_text);
	else
		natter_session_send_line_(self, "AWAY");
	return TRUE;
}

gboolean natter_session_request_room_list(NatterSession *self)
{
	if (self->state != NATTER_SESSION_CONNECTED)
		return FALSE;
	g_list_store_remove_all(self->rooms);
	natter_session_set_listing_(self, TRUE);
	natter_session_send_line_(self, "LIST");
	return TRUE;
}

void natter_session_request_whois(NatterSession *self, const char *nick)
{
	if (self->state == NATTER_SESSION_CONNECTED && nick != NULL && *nick != '\0' &&
	    strpbrk(nick, " \r\n") == NULL) {
		g_free(self->whois_wanted);
		self->whois_wanted = g_strdup(nick);
		natter_session_send_command_(self, "WHOIS", 1, nick);
	}
}

void natter_session_set_line_sink(NatterSession *self, NatterSessionLineSink sink, gpointer data)
{
	self->sink = sink;
	self->sink_data = data;
}

void natter_session_feed(NatterSession *self, const char *line)
{
	g_autofree char *copy = g_strdup(line);
	natter_inbound_dispatch(self, copy);
}

/* ---------------------------------------------------------------- NatterWhois */

NatterWhois *natter_whois_new(const char *nick)
{
	NatterWhois *w = g_new0(NatterWhois, 1);
	w->nick = g_strdup(nick);
	w->idle = -1;
	return w;
}

NatterWhois *natter_whois_copy(const NatterWhois *w)
{
	NatterWhois *c = g_new0(NatterWhois, 1);
	*c = *w;
	c->nick = g_strdup(w->nick);
	c->user = g_strdup(w->user);
	c->host = g_strdup(w->host);
	c->realname = g_strdup(w->realname);
	c->server = g_strdup(w->server);
	c->rooms = g_strdupv(w->rooms);
	c->account = g_strdup(w->account);
	c->away = g_strdup(w->away);
	return c;
}

void natter_whois_free(NatterWhois *w)
{
	if (w == NULL)
		return;
	g_free(w->nick);
	g_free(w->user);
	g_free(w->host);
	g_free(w->realname);
	g_free(w->server);
	g_strfreev(w->rooms);
	g_free(w->account);
	g_free(w->away);
	g_free(w);
}

G_DEFINE_BOXED_TYPE(NatterWhois, natter_whois, natter_whois_copy, natter_whois_free)

/* ---------------------------------------------------------------- GObject */

static void natter_session_get_property(GObject *object, guint id, GValue *value,
					GParamSpec *pspec)
{
	NatterSession *self = NATTER_SESSION(object);

	switch (id) {
	case PROP_STATE: g_value_set_int(value, (gint)self->state); break;
	case PROP_NICK: g_value_set_string(value, self->nick); break;
	case PROP_RECONNECT_REMAINING: g_value_set_uint(value, self->backoff.remaining); break;
	case PROP_ACTIVE: g_value_set_object(value, self->active); break;
	case PROP_AWAY: g_value_set_boolean(value, self->away); break;
	case PROP_LISTING: g_value_set_boolean(value, self->listing); break;
	case PROP_ACCOUNT: g_value_set_string(value, self->account); break;
	default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void natter_session_dispose(GObject *object)
{
	NatterSession *self = NATTER_SESSION(object);

	natter_backoff_cancel(&self->backoff);
	teardown(self);
	g_clear_object(&self->active);
	/* No items-changed from here: widgets may be half gone already. */
	g_clear_object(&self->conversations);
	g_clear_object(&self->rooms);
	G_OBJECT_CLASS(natter_session_parent_class)->dispose(object);
}

static void natter_session_finalize(GObject *object)
{
	NatterSession *self = NATTER_SESSION(object);

	g_clear_object(&self->conversations);
	g_clear_object(&self->rooms);
	g_clear_object(&self->server_info);
	g_string_free(self->motd, TRUE);
	g_free(self->away_text);
	g_strfreev(self->autojoin);
	g_free(self->whois_wanted);
	g_string_free(self->cap_ls, TRUE);
	natter_sasl_reset_(self);
	g_free(self->login_mech);
	g_strfreev(self->mech_allowed);
	if (self->password != NULL)
		memset(self->password, 0, strlen(self->password));
	g_free(self->password);
	g_free(self->tls_seen);
	g_free(self->tls_known);
	g_hash_table_unref(self->caps);
	g_free(self->host);
	g_free(self->nick);
	g_free(self->wanted_nick);
	g_free(self->disconnect_reason);
	g_free(self->pending_focus);
	natter_history_free(self->history);
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
	props[PROP_AWAY] = g_param_spec_boolean("away", NULL, NULL, FALSE,
						G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_ACCOUNT] = g_param_spec_string("account", NULL, NULL, NULL,
						  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_LISTING] = g_param_spec_boolean("listing", NULL, NULL, FALSE,
						   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);

	/* (GError *error): connecting or registering failed; back to DISCONNECTED. */
	signals[NATTER_SIG_CONNECT_FAILED] = g_signal_new("connect-failed", G_TYPE_FROM_CLASS(klass),
						   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						   G_TYPE_NONE, 1, G_TYPE_ERROR);
	/* Registration finished (also after each reconnect). */
	signals[NATTER_SIG_REGISTERED] = g_signal_new("registered", G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
	/* (conversation, message): a line was added to a conversation. */
	signals[NATTER_SIG_MESSAGE_ADDED] = g_signal_new("message-added", G_TYPE_FROM_CLASS(klass),
						  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
						  2, NATTER_TYPE_CONVERSATION, NATTER_TYPE_MESSAGE);
	/* (conversation, focus): a conversation was opened; focus = the person
	 * asked for it (/join, @name), so show it. */
	signals[NATTER_SIG_CONVERSATION_OPENED] = g_signal_new("conversation-opened", G_TYPE_FROM_CLASS(klass),
							G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
							G_TYPE_NONE, 2, NATTER_TYPE_CONVERSATION,
							G_TYPE_BOOLEAN);
	/* (NatterWhois *whois): a WHOIS answer is complete (318), or 401 for it. */
	signals[NATTER_SIG_WHOIS] = g_signal_new("whois", G_TYPE_FROM_CLASS(klass),
						 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
						 1, NATTER_TYPE_WHOIS);
	/* gboolean (NatterWhois *whois): after "whois", before the answer is
	 * written into the conversation as lines. A window that shows it as a
	 * card returns TRUE, and the lines are left out; with no handler (or
	 * all FALSE) the 3xx answer is shown as text. */
	signals[NATTER_SIG_SHOW_WHOIS] = g_signal_new("show-whois", G_TYPE_FROM_CLASS(klass),
						      G_SIGNAL_RUN_LAST, 0,
						      g_signal_accumulator_true_handled, NULL, NULL,
						      G_TYPE_BOOLEAN, 1, NATTER_TYPE_WHOIS);
	/* The room list (natter_session_get_room_list()) is complete (323). */
	signals[NATTER_SIG_ROOM_LIST] = g_signal_new("room-list-done", G_TYPE_FROM_CLASS(klass),
						     G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						     G_TYPE_NONE, 0);
	/* Our own away state changed (305/306); see "away". */
	signals[NATTER_SIG_AWAY_CHANGED] = g_signal_new("away-changed", G_TYPE_FROM_CLASS(klass),
							G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
							G_TYPE_NONE, 0);
}

static void natter_session_init(NatterSession *self)
{
	self->connect_timeout = NATTER_SESSION_CONNECT_TIMEOUT_S;
	self->keepalive = NATTER_SESSION_KEEPALIVE_S;
	self->rooms = g_list_store_new(NATTER_TYPE_ROOM_INFO);
	self->motd = g_string_new(NULL);
	self->server_info = g_list_store_new(NATTER_TYPE_MESSAGE);
	self->cap_ls = g_string_new(NULL);
	self->caps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->history = natter_history_new();
	self->conversations = g_list_store_new(NATTER_TYPE_CONVERSATION);
	self->backoff.base = 1;
	self->backoff.max = RECONNECT_MAX_S;
	self->backoff.tick = on_backoff_tick;
	self->backoff.due = on_backoff_due;
	self->backoff.data = self;
	g_strlcpy(self->prefix_modes, "ov", sizeof(self->prefix_modes));
	g_strlcpy(self->prefix_chars, "@+", sizeof(self->prefix_chars));
}

NatterSession *natter_session_new(void)
{
	return g_object_new(NATTER_TYPE_SESSION, NULL);
}
