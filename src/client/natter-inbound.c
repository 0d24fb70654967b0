/* natter-inbound.c - what the server sends, turned into the model
 * (see natter-session-private.h): one handler per command or numeric in the
 * table at the end, replies in plain words, never a raw parameter dump.
 * Testable without a server: natter_session_feed() hands in a canned line. */
#define G_LOG_DOMAIN "natter"

#include "natter-session-private.h"

#include <string.h>

#include "irc_names.h"

/* The capabilities we ask for when the server offers them. */
static const char *const wanted_caps[] = {
	"server-time", "echo-message", "multi-prefix", "message-tags", "away-notify", NULL,
};


typedef struct {
	struct irc_message *msg;
	char nick[IRC_NICK_MAX * 4 + 1]; /* the source's nick, "" for a server */
} Ctx;

#define P(i) (ctx->msg->nparams > (i) ? ctx->msg->params[(i)] : "")

static void handle_welcome(NatterSession *self, Ctx *ctx)
{
	natter_session_set_nick_(self, P(0));
	natter_session_registered_(self);
	gboolean again = self->ever_registered;
	self->ever_registered = TRUE;
	self->reconnect_attempt = 0;
	g_clear_pointer(&self->disconnect_reason, g_free);
	natter_session_set_state_(self, NATTER_SESSION_CONNECTED);

	/* Join the lobby, then rejoin every room we were in. */
	if (!again) {
		g_free(self->pending_focus);
		self->pending_focus = g_strdup(NATTER_LOBBY);
	}
	natter_session_send_command_(self, "JOIN", 1, NATTER_LOBBY);
	GListModel *model = G_LIST_MODEL(self->conversations);
	for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		if (natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM &&
		    irc_casecmp(natter_conversation_get_name(c), NATTER_LOBBY) != 0)
			natter_session_send_command_(self, "JOIN", 1, natter_conversation_get_name(c));
		if (again)
			natter_session_add_event_full_(self, c, NATTER_MESSAGE_EVENT, NATTER_EVENT_CONNECTION, NULL,
				       "Reconnected as %s", self->nick);
	}
	g_signal_emit(self, natter_session_signals[NATTER_SIG_REGISTERED], 0);
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
			natter_session_send_command_(self, "NICK", 1, try);
			return;
		}
		if (in_use)
			natter_session_fail_registration_(self, NATTER_SESSION_ERROR_NICK_IN_USE,
					  "The name “%s” is already in use. Please choose another name.", bad);
		else
			natter_session_fail_registration_(self, NATTER_SESSION_ERROR_NICK_INVALID,
					  "The server does not accept the name “%s”: %s", bad, P(2));
		return;
	}
	if (in_use)
		natter_session_add_event_(self, natter_session_fallback_conversation_(self), NATTER_MESSAGE_ERROR,
			  "The name “%s” is already in use; you are still %s.", bad, self->nick);
	else
		natter_session_add_event_(self, natter_session_fallback_conversation_(self), NATTER_MESSAGE_ERROR,
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
			natter_session_send_command_(self, "CAP", 2, "REQ", req->str);
		else
			natter_session_send_line_(self, "CAP END");
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
			natter_session_send_line_(self, "CAP END");
	} else if (g_ascii_strcasecmp(sub, "NAK") == 0) {
		if (self->state == NATTER_SESSION_REGISTERING)
			natter_session_send_line_(self, "CAP END");
	}
}

static void handle_ping(NatterSession *self, Ctx *ctx)
{
	natter_session_send_command_(self, "PONG", 1, P(0));
}

/* ERROR: the server is closing the link; do not wait for it to do so. */
static void handle_error(NatterSession *self, Ctx *ctx)
{
	g_autofree char *reason = g_strdup(*P(0) != '\0' ? P(0) : "The server closed the connection");

	g_clear_pointer(&self->disconnect_reason, g_free);
	if (self->ever_registered)
		natter_session_connection_lost_(self, reason);
	else
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_CLOSED,
						  "The server at %s port %u refused the connection: %s",
						  self->host, self->port, reason);
}

static void handle_join(NatterSession *self, Ctx *ctx)
{
	const char *chan = P(0);

	if (natter_session_is_me_(self, ctx->nick)) {
		gboolean focus = self->pending_focus != NULL &&
				 irc_casecmp(self->pending_focus, chan) == 0;
		if (focus)
			g_clear_pointer(&self->pending_focus, g_free);
		NatterConversation *conv = natter_session_ensure_conversation_(self, NATTER_CONVERSATION_ROOM,
							       chan, focus);
		natter_conversation_clear_members(conv);
		natter_conversation_set_joined(conv, TRUE);
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_JOIN, self->nick,
				       "You joined %s", chan);
		return;
	}
	NatterConversation *conv = natter_session_find_conversation(self, chan);
	if (conv == NULL)
		return;
	natter_conversation_add_member(conv, ctx->nick, "");
	natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_JOIN, ctx->nick,
				       "%s joined", ctx->nick);
}

static void handle_part(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(0));

	if (conv == NULL)
		return;
	if (natter_session_is_me_(self, ctx->nick)) {
		natter_conversation_set_joined(conv, FALSE);
		natter_session_remove_conversation_(self, conv);
		return;
	}
	natter_conversation_remove_member(conv, ctx->nick);
	if (ctx->msg->nparams > 1 && *P(1) != '\0')
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_PART, ctx->nick,
				       "%s left (%s)", ctx->nick, P(1));
	else
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_PART, ctx->nick,
				       "%s left", ctx->nick);
}

static void handle_kick(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(0));
	const char *victim = P(1);

	if (conv == NULL)
		return;
	if (natter_session_is_me_(self, victim)) {
		natter_conversation_set_joined(conv, FALSE);
		natter_conversation_clear_members(conv);
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_ERROR, NATTER_EVENT_KICK, victim,
				       "%s removed you from %s (%s)",
			  ctx->nick, P(0), P(2));
		return;
	}
	natter_conversation_remove_member(conv, victim);
	natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_KICK, victim,
				       "%s removed %s (%s)", ctx->nick, victim, P(2));
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
			natter_session_add_event_full_(self, c, NATTER_MESSAGE_EVENT, NATTER_EVENT_QUIT, ctx->nick,
				       "%s quit (%s)", ctx->nick, P(0));
	}
}

static void handle_nick(NatterSession *self, Ctx *ctx)
{
	const char *new_nick = P(0);
	gboolean me = natter_session_is_me_(self, ctx->nick);
	GListModel *model = G_LIST_MODEL(self->conversations);

	for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		if (natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM) {
			if (natter_conversation_rename_member(c, ctx->nick, new_nick)) {
				if (me)
					natter_session_add_event_full_(self, c, NATTER_MESSAGE_EVENT, NATTER_EVENT_NICK, new_nick,
				       "You are now known as %s", new_nick);
				else
					natter_session_add_event_full_(self, c, NATTER_MESSAGE_EVENT, NATTER_EVENT_NICK, new_nick,
				       "%s is now known as %s",
						  ctx->nick, new_nick);
			}
		} else if (irc_casecmp(natter_conversation_get_name(c), ctx->nick) == 0 &&
			   natter_session_find_conversation(self, new_nick) == NULL) {
			natter_conversation_set_name(c, new_nick);
			natter_session_add_event_full_(self, c, NATTER_MESSAGE_EVENT, NATTER_EVENT_NICK, new_nick,
				       "%s is now known as %s", ctx->nick, new_nick);
		}
	}
	if (me) {
		natter_session_set_nick_(self, new_nick);
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
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_TOPIC, ctx->nick,
				       "%s cleared the topic", ctx->nick);
	else
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_TOPIC, ctx->nick,
				       "%s changed the topic to: %s",
			  ctx->nick, P(1));
}

static void handle_topic_reply(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(1));

	if (conv == NULL)
		return;
	natter_conversation_set_topic(conv, P(2));
	natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_TOPIC, NULL,
				       "Topic: %s", P(2));
}

static void handle_no_topic(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(1));

	if (conv != NULL)
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_TOPIC, NULL,
				       "%s has no topic", P(1));
}

static void handle_names(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(2));

	if (conv == NULL)
		return;
	g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func(g_object_unref);
	const char *p = P(3);
	while (*p != '\0') {
		gsize len = strcspn(p, " ");
		if (len > 0) {
			gsize np = strspn(p, self->prefix_chars);
			np = MIN(np, len);
			/* userhost-in-names style "nick!user@host" */
			gsize nl = strcspn(p + np, " !");
			nl = MIN(nl, len - np);
			if (nl > 0) {
				g_autofree char *nick = g_strndup(p + np, nl);
				NatterMember *m = natter_member_new(nick, NULL);
				for (gsize i = 0; i < np; i++)
					natter_member_set_prefix(m, p[i], TRUE, self->prefix_chars);
				g_ptr_array_add(batch, m);
			}
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	natter_conversation_add_members(conv, batch);
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
			natter_conversation_set_member_prefix(conv, P(arg),
							      self->prefix_chars[pm - self->prefix_modes],
							      on, self->prefix_chars);
			arg++;
		} else if (strchr("beIkq", *m) != NULL || (*m == 'l' && on)) {
			arg++;
		}
	}
	g_autoptr(GString) text = g_string_new(NULL);
	for (int i = 1; i < ctx->msg->nparams; i++)
		g_string_append_printf(text, "%s%s", i > 1 ? " " : "", ctx->msg->params[i]);
	natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_MODE, NULL,
				       "%s sets mode %s",
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
				natter_session_send_command_(self, "NOTICE", 2, ctx->nick, "\x01VERSION natter\x01");
			return;
		}
	} else {
		body = g_strdup(text);
	}

	gboolean own = natter_session_is_me_(self, ctx->nick);
	NatterConversation *conv;
	if (*ctx->nick == '\0') {
		/* From the server itself (no nick!user@host) */
		if (self->state != NATTER_SESSION_CONNECTED)
			return;
		conv = natter_session_fallback_conversation_(self);
	} else if (irc_is_channel(target)) {
		conv = natter_session_find_conversation(self, target);
		if (conv == NULL)
			return;
	} else if (own) {
		/* echo-message of our own private message */
		conv = natter_session_ensure_conversation_(self, NATTER_CONVERSATION_PRIVATE, target, FALSE);
	} else if (notice) {
		/* a private notice: show it in an open chat with them, else here */
		conv = natter_session_find_conversation(self, ctx->nick);
		if (conv == NULL)
			conv = natter_session_fallback_conversation_(self);
	} else {
		conv = natter_session_ensure_conversation_(self, NATTER_CONVERSATION_PRIVATE, ctx->nick, FALSE);
	}

	g_autoptr(GDateTime) time = NULL;
	const char *stamp = irc_message_tag(ctx->msg, "time");
	if (stamp != NULL)
		time = g_date_time_new_from_iso8601(stamp, NULL);
	g_autoptr(NatterMessage) msg = natter_message_new(kind, time,
							  *ctx->nick != '\0' ? ctx->nick : ctx->msg->source,
							  body, own);
	natter_session_add_message_(self, conv, msg);
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
		conv = natter_session_fallback_conversation_(self);
	for (gsize i = 0; i < G_N_ELEMENTS(error_texts); i++) {
		if (strcmp(error_texts[i].numeric, ctx->msg->command) == 0) {
			g_autofree char *plain = NULL;
			if (strstr(error_texts[i].text, "%s") != NULL)
				plain = g_strdup_printf(error_texts[i].text, about);
			else
				plain = g_strdup(error_texts[i].text);
			natter_session_add_event_(self, conv, NATTER_MESSAGE_ERROR, "%s (%s)", plain, server_text);
			return;
		}
	}
	natter_session_add_event_(self, conv, NATTER_MESSAGE_ERROR, "The server says: %s%s%s", about,
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
	natter_session_add_event_(self, natter_session_fallback_conversation_(self), NATTER_MESSAGE_EVENT, "%s", text->str);
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

void natter_inbound_dispatch(NatterSession *self, char *line)
{
	struct irc_message msg;
	Ctx ctx = { .msg = &msg };

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

