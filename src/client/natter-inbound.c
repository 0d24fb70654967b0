/* natter-inbound.c - what the server sends, turned into the model
 * (see natter-session-private.h): one handler per command or numeric in the
 * table at the end, replies in plain words, never a raw parameter dump.
 * Testable without a server: natter_session_feed() hands in a canned line. */
#define G_LOG_DOMAIN "natter"

#include "natter-session-private.h"

#include <string.h>

#include "irc_names.h"
#include "version.h"

/* The capabilities we ask for when the server offers them. */
static const char *const wanted_caps[] = {
	"server-time", "echo-message", "multi-prefix", "message-tags", "away-notify",
	/* history (natter-history.c) */
	"batch", "draft/chathistory", "draft/event-playback", "draft/read-marker",
	"draft/message-redaction",
	NULL,
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
	natter_backoff_reset(&self->backoff);
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
	/* Away before the connection was lost: away again. */
	if (again && self->away_text != NULL)
		natter_session_send_command_(self, "AWAY", 1, self->away_text);
	natter_history_registered_(self);
	g_signal_emit(self, natter_session_signals[NATTER_SIG_REGISTERED], 0);
	/* First time: the rooms of the last run (a reconnect has them open);
	 * after the signal, whose handlers may set them. */
	for (char **r = self->autojoin; !again && r != NULL && *r != NULL; r++)
		if (irc_casecmp(*r, NATTER_LOBBY) != 0 &&
		    natter_session_find_conversation(self, *r) == NULL)
			natter_session_send_command_(self, "JOIN", 1, *r);
}

static void handle_isupport(NatterSession *self, Ctx *ctx)
{
	for (int i = 1; i < ctx->msg->nparams - 1; i++) {
		const char *p = ctx->msg->params[i];
		natter_history_isupport_(self, p);
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
			gboolean account_cap = natter_sasl_wants_cap_(self, offered[i], eq != NULL ? eq + 1 : NULL);
			if ((account_cap || g_strv_contains(wanted_caps, offered[i])) &&
			    !strstr(req->str, offered[i])) {
				if (req->len > 0)
					g_string_append_c(req, ' ');
				g_string_append(req, offered[i]);
			}
		}
		g_string_truncate(self->cap_ls, 0);
		if (req->len > 0)
			natter_session_send_command_(self, "CAP", 2, "REQ", req->str);
		else
			natter_sasl_cap_done_(self);
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
			natter_sasl_cap_done_(self);
	} else if (g_ascii_strcasecmp(sub, "NAK") == 0) {
		if (self->state == NATTER_SESSION_REGISTERING)
			natter_sasl_cap_done_(self);
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
		/* our own: never folded into "bob and alice joined" with
		 * others' joins (natter-event-groups.c) */
		g_autofree char *joined = g_strdup_printf("You joined %s", chan);
		g_autoptr(NatterMessage) m = natter_message_new(NATTER_MESSAGE_EVENT, NULL, self->nick, joined, TRUE);
		natter_message_set_event(m, NATTER_EVENT_JOIN);
		natter_session_add_message_(self, conv, m);
		natter_history_joined_(self, conv);
		natter_sasl_joined_(self, chan);
		return;
	}
	NatterConversation *conv = natter_session_find_conversation(self, chan);
	if (conv == NULL)
		return;
	natter_conversation_add_member(conv, ctx->nick, "");
	natter_sasl_joined_member_(self, ctx->nick, ctx->msg);
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

/* ---------------------------------------------------------------- messages, CTCP */

static gboolean is_nick_char(char c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("-[]\\`_^{|}", c) != NULL);
}

gboolean natter_inbound_mentions(const char *text, const char *nick)
{
	gsize nlen = nick != NULL ? strlen(nick) : 0;
	gsize tlen = strlen(text);

	if (nlen == 0 || tlen < nlen)
		return FALSE;
	g_autofree char *ft = g_malloc(tlen + 1);
	g_autofree char *fn = g_malloc(nlen + 1);
	irc_casefold(ft, tlen + 1, text);
	irc_casefold(fn, nlen + 1, nick);
	for (const char *at = strstr(ft, fn); at != NULL; at = strstr(at + 1, fn)) {
		gboolean start_ok = at == ft || !is_nick_char(at[-1]);
		gboolean end_ok = !is_nick_char(at[nlen]);
		if (start_ok && end_ok)
			return TRUE;
	}
	return FALSE;
}

/* Answers a CTCP request (PING, VERSION, TIME, CLIENTINFO) with a NOTICE; at
 * most one answer a second, so a CTCP flood cannot make us flood. */
static void answer_ctcp(NatterSession *self, Ctx *ctx, const char *verb, const char *arg)
{
	g_autofree char *reply = NULL;

	if (g_ascii_strcasecmp(verb, "VERSION") == 0) {
		reply = g_strdup_printf("VERSION natter %s (GTK 4, GLib %u.%u)", NATTER_VERSION,
					glib_major_version, glib_minor_version);
	} else if (g_ascii_strcasecmp(verb, "PING") == 0) {
		reply = arg != NULL ? g_strdup_printf("PING %s", arg) : g_strdup("PING");
	} else if (g_ascii_strcasecmp(verb, "TIME") == 0) {
		g_autoptr(GDateTime) now = g_date_time_new_now_local();
		g_autofree char *when = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S %z");
		reply = g_strdup_printf("TIME %s", when);
	} else if (g_ascii_strcasecmp(verb, "CLIENTINFO") == 0) {
		reply = g_strdup("CLIENTINFO ACTION CLIENTINFO PING TIME VERSION");
	}
	/* A flood of requests gets neither answers nor lines on screen. */
	gint64 now = g_get_monotonic_time();
	if (self->last_ctcp != 0 && now - self->last_ctcp < G_USEC_PER_SEC)
		return;
	self->last_ctcp = now;
	NatterConversation *conv = natter_session_find_conversation(self, ctx->nick);
	if (conv == NULL)
		conv = natter_session_fallback_conversation_(self);
	if (reply == NULL) {
		g_autofree char *upper = g_ascii_strup(verb, -1);
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_CTCP,
					       ctx->nick, "%s sent a CTCP %s request, which natter does not answer",
					       ctx->nick, upper);
		return;
	}
	g_autofree char *wire = g_strdup_printf("\001%s\001", reply);
	natter_session_send_command_(self, "NOTICE", 2, ctx->nick, wire);
	g_autofree char *upper = g_ascii_strup(verb, -1);
	natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_CTCP, ctx->nick,
				       "%s asked for your %s; answered", ctx->nick, upper);
}

static void handle_privmsg(NatterSession *self, Ctx *ctx)
{
	const char *target = P(0);
	const char *text = P(1);
	gboolean notice = g_ascii_strcasecmp(ctx->msg->command, "NOTICE") == 0;
	NatterMessageKind kind = notice ? NATTER_MESSAGE_NOTICE : NATTER_MESSAGE_TEXT;
	g_autofree char *body = NULL;

	if (text[0] == '\x01') {
		/* CTCP: ACTION is shown; requests are answered; replies shown as events. */
		body = g_strdup(text + 1);
		char *end = strchr(body, '\x01');
		if (end != NULL)
			*end = '\0';
		if (g_ascii_strncasecmp(body, "ACTION ", 7) == 0) {
			kind = NATTER_MESSAGE_ACTION;
			memmove(body, body + 7, strlen(body + 7) + 1);
		} else {
			if (*ctx->nick == '\0' || natter_session_is_me_(self, ctx->nick) || *body == '\0')
				return;
			char *space = strchr(body, ' ');
			const char *arg = NULL;
			if (space != NULL) {
				*space = '\0';
				arg = space + 1;
			}
			if (!notice) {
				answer_ctcp(self, ctx, body, arg);
			} else {
				NatterConversation *conv = natter_session_find_conversation(self, ctx->nick);
				if (conv == NULL)
					conv = natter_session_fallback_conversation_(self);
				g_autofree char *upper = g_ascii_strup(body, -1);
				natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT,
							       NATTER_EVENT_CTCP, ctx->nick,
							       "%s's %s: %s", ctx->nick, upper,
							       arg != NULL ? arg : "");
			}
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
	if (!own && *ctx->nick != '\0' && natter_inbound_mentions(body, self->nick))
		natter_message_set_mention(msg, TRUE);
	natter_message_set_msgid(msg, irc_message_tag(ctx->msg, "msgid"));
	if (!natter_history_note_live_(self, conv, msg))
		return; /* already shown (it came with history) */
	natter_session_add_message_(self, conv, msg);
}

/* ---------------------------------------------------------------- away, WHOIS, LIST, MOTD, NAMES */

static void handle_unaway(NatterSession *self, Ctx *ctx)
{
	(void)ctx;
	natter_session_set_away_(self, FALSE);
	natter_session_add_event_full_(self, natter_session_fallback_conversation_(self),
				       NATTER_MESSAGE_EVENT, NATTER_EVENT_AWAY, self->nick,
				       "You are back (no longer marked as away)");
}

static void handle_nowaway(NatterSession *self, Ctx *ctx)
{
	(void)ctx;
	natter_session_set_away_(self, TRUE);
	if (self->away_text != NULL)
		natter_session_add_event_full_(self, natter_session_fallback_conversation_(self),
					       NATTER_MESSAGE_EVENT, NATTER_EVENT_AWAY, self->nick,
					       "You are marked as away: %s", self->away_text);
	else
		natter_session_add_event_full_(self, natter_session_fallback_conversation_(self),
					       NATTER_MESSAGE_EVENT, NATTER_EVENT_AWAY, self->nick,
					       "You are marked as away");
}

/* The WHOIS being collected for @nick (a new one when it is another nick). */
static NatterWhois *whois_for(NatterSession *self, const char *nick)
{
	if (self->whois != NULL && irc_casecmp(self->whois->nick, nick) != 0)
		g_clear_pointer(&self->whois, natter_whois_free);
	if (self->whois == NULL) {
		self->whois = natter_whois_new(nick);
		self->whois->rooms = g_new0(char *, 1);
		self->whois->found = TRUE;
	}
	return self->whois;
}

static void handle_301(NatterSession *self, Ctx *ctx)
{
	if (self->whois != NULL && irc_casecmp(self->whois->nick, P(1)) == 0) {
		g_free(self->whois->away);
		self->whois->away = g_strdup(P(2));
		return;
	}
	/* the answer to a message to someone away */
	NatterConversation *conv = natter_session_find_conversation(self, P(1));
	if (conv == NULL)
		conv = natter_session_fallback_conversation_(self);
	natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_AWAY, P(1),
				       "%s is away: %s", P(1), P(2));
}

static void handle_whois_user(NatterSession *self, Ctx *ctx) /* 311 me nick user host * :real */
{
	NatterWhois *w = whois_for(self, P(1));
	g_free(w->user);
	w->user = g_strdup(P(2));
	g_free(w->host);
	w->host = g_strdup(P(3));
	g_free(w->realname);
	w->realname = g_strdup(P(ctx->msg->nparams - 1));
}

static void handle_whois_server(NatterSession *self, Ctx *ctx) /* 312 me nick server :info */
{
	NatterWhois *w = whois_for(self, P(1));
	g_free(w->server);
	w->server = g_strdup(P(2));
}

static void handle_whois_oper(NatterSession *self, Ctx *ctx) /* 313 */
{
	whois_for(self, P(1))->operator = TRUE;
}

static void handle_whois_idle(NatterSession *self, Ctx *ctx) /* 317 me nick idle signon :... */
{
	NatterWhois *w = whois_for(self, P(1));
	w->idle = g_ascii_strtoll(P(2), NULL, 10);
	if (ctx->msg->nparams > 4)
		w->signon = g_ascii_strtoll(P(3), NULL, 10);
}

static void handle_whois_rooms(NatterSession *self, Ctx *ctx) /* 319 me nick :@#a +#b */
{
	NatterWhois *w = whois_for(self, P(1));
	GPtrArray *rooms = g_ptr_array_new();
	for (int i = 0; w->rooms[i] != NULL; i++)
		g_ptr_array_add(rooms, w->rooms[i]); /* moved */
	g_auto(GStrv) more = g_strsplit(P(2), " ", -1);
	for (int i = 0; more[i] != NULL; i++)
		if (*more[i] != '\0')
			g_ptr_array_add(rooms, g_strdup(more[i]));
	g_ptr_array_add(rooms, NULL);
	g_free(w->rooms); /* the array only; its strings moved */
	w->rooms = (char **)g_ptr_array_free(rooms, FALSE);
}

static void handle_whois_account(NatterSession *self, Ctx *ctx) /* 330 me nick account :... */
{
	NatterWhois *w = whois_for(self, P(1));
	g_free(w->account);
	w->account = g_strdup(P(2));
}

static char *format_duration(gint64 s)
{
	if (s < 60)
		return g_strdup_printf("%" G_GINT64_FORMAT " seconds", s);
	if (s < 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " minutes", s / 60);
	if (s < 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min", s / 3600, s / 60 % 60);
	return g_strdup_printf("%" G_GINT64_FORMAT " days", s / 86400);
}

static char *format_date(gint64 unix_time)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(unix_time);
	return t != NULL ? g_date_time_format(t, "%e %B %Y, %H:%M") : g_strdup("?");
}

static void handle_whois_end(NatterSession *self, Ctx *ctx) /* 318 */
{
	NatterWhois *w = self->whois;

	if (w == NULL || irc_casecmp(w->nick, P(1)) != 0)
		return; /* nothing collected (e.g. after 401) */
	self->whois = NULL;
	g_clear_pointer(&self->whois_wanted, g_free);
	g_signal_emit(self, natter_session_signals[NATTER_SIG_WHOIS], 0, w);
	gboolean shown = FALSE;
	g_signal_emit(self, natter_session_signals[NATTER_SIG_SHOW_WHOIS], 0, w, &shown);
	if (shown) {
		natter_whois_free(w);
		return;
	}
	NatterConversation *conv = natter_session_fallback_conversation_(self);
	natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_WHOIS, w->nick,
				       "%s%s%s%s — %s@%s", w->nick,
				       w->realname != NULL && *w->realname != '\0' ? " (" : "",
				       w->realname != NULL ? w->realname : "",
				       w->realname != NULL && *w->realname != '\0' ? ")" : "",
				       w->user != NULL ? w->user : "?", w->host != NULL ? w->host : "?");
	if (w->rooms[0] != NULL) {
		g_autofree char *rooms = g_strjoinv(", ", w->rooms);
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_WHOIS,
					       w->nick, "%s is in %s", w->nick, rooms);
	}
	if (w->account != NULL)
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_WHOIS,
					       w->nick, "%s is logged in as %s", w->nick, w->account);
	if (w->operator)
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_WHOIS,
					       w->nick, "%s is a server operator", w->nick);
	if (w->away != NULL)
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_WHOIS,
					       w->nick, "%s is away: %s", w->nick, w->away);
	if (w->idle >= 0 || w->signon > 0) {
		g_autofree char *idle = w->idle >= 0 ? format_duration(w->idle) : NULL;
		g_autofree char *since = w->signon > 0 ? format_date(w->signon) : NULL;
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_WHOIS,
					       w->nick, "%s%s%s%s%s", idle != NULL ? "Idle for " : "",
					       idle != NULL ? idle : "",
					       idle != NULL && since != NULL ? "; " : "",
					       since != NULL ? "signed on " : "", since != NULL ? since : "");
	}
	natter_whois_free(w);
}

static void handle_list_start(NatterSession *self, Ctx *ctx) /* 321 */
{
	(void)ctx;
	if (!self->listing)
		g_list_store_remove_all(self->rooms);
	natter_session_set_listing_(self, TRUE);
}

static void handle_list_item(NatterSession *self, Ctx *ctx) /* 322 me #room count :topic */
{
	if (!self->listing) {
		g_list_store_remove_all(self->rooms);
		natter_session_set_listing_(self, TRUE);
	}
	g_autoptr(NatterRoomInfo) info = natter_room_info_new(P(1), (guint)g_ascii_strtoull(P(2), NULL, 10),
							     ctx->msg->nparams > 3 ? P(3) : "");
	g_list_store_append(self->rooms, info);
}

static void handle_list_end(NatterSession *self, Ctx *ctx) /* 323 */
{
	(void)ctx;
	guint n = g_list_model_get_n_items(G_LIST_MODEL(self->rooms));
	natter_session_set_listing_(self, FALSE);
	natter_session_add_event_full_(self, natter_session_fallback_conversation_(self),
				       NATTER_MESSAGE_EVENT, NATTER_EVENT_LIST, NULL,
				       n == 1 ? "The server has %u room" : "The server has %u rooms", n);
	g_signal_emit(self, natter_session_signals[NATTER_SIG_ROOM_LIST], 0);
}

static void handle_motd_start(NatterSession *self, Ctx *ctx) /* 375 */
{
	(void)ctx;
	g_string_truncate(self->motd, 0);
}

static void handle_motd_line(NatterSession *self, Ctx *ctx) /* 372 me :- text */
{
	const char *line = P(ctx->msg->nparams - 1);
	if (g_str_has_prefix(line, "- "))
		line += 2;
	else if (strcmp(line, "-") == 0)
		line = "";
	if (self->motd->len > 0)
		g_string_append_c(self->motd, '\n');
	g_string_append(self->motd, line);
}

static void handle_motd_end(NatterSession *self, Ctx *ctx) /* 376 */
{
	(void)ctx;
	if (self->motd->len == 0)
		return;
	natter_session_add_event_full_(self, natter_session_fallback_conversation_(self),
				       NATTER_MESSAGE_EVENT, NATTER_EVENT_MOTD, NULL,
				       "Message of the day:\n%s", self->motd->str);
	g_string_truncate(self->motd, 0);
}

/* 366: who is in the room, in words. */
static void handle_names_end(NatterSession *self, Ctx *ctx)
{
	NatterConversation *conv = natter_session_find_conversation(self, P(1));
	if (conv == NULL)
		return;
	GListModel *members = natter_conversation_get_members(conv);
	guint n = g_list_model_get_n_items(members);
	if (n == 0)
		return;
	g_autoptr(GString) names = g_string_new(NULL);
	guint shown = MIN(n, 25u);
	for (guint i = 0; i < shown; i++) {
		g_autoptr(NatterMember) m = g_list_model_get_item(members, i);
		g_string_append_printf(names, "%s%s%s", i > 0 ? ", " : "",
				       natter_member_get_prefixes(m), natter_member_get_nick(m));
	}
	if (n == 1)
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_NAMES,
					       NULL, "Only you are in %s", P(1));
	else if (shown < n)
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_NAMES,
					       NULL, "%u people are in %s: %s and %u more", n, P(1),
					       names->str, n - shown);
	else
		natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_NAMES,
					       NULL, "%u people are in %s: %s", n, P(1), names->str);
}

/* ---------------------------------------------------------------- numerics in words */

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
	{ "406", "No one called %s was here recently." },
	{ "411", "The message had no recipient." },
	{ "412", "There was no text to send." },
	{ "417", "That line was too long for the server." },
	{ "421", "The server does not know the command /%s." },
	{ "431", "Give a name." },
	{ "441", "%s is not in that room." },
	{ "442", "You are not in %s." },
	{ "443", "%s is already in that room." },
	{ "451", "Sign in first." },
	{ "461", "/%s needs more details." },
	{ "462", "You are already signed in." },
	{ "464", "The password is not right." },
	{ "465", "You are banned from this server." },
	{ "467", "%s already has a key." },
	{ "471", "%s is full." },
	{ "472", "The server does not know the mode %s." },
	{ "473", "%s is invite-only." },
	{ "474", "You are banned from %s." },
	{ "475", "%s needs a key to join." },
	{ "476", "“%s” is not a valid room name." },
	{ "477", "%s needs you to be logged in to an account." },
	{ "481", "Only server operators can do that." },
	{ "482", "You need to be a room operator in %s to do that." },
	{ "491", "This server has no operator access for you." },
	{ "501", "The server does not know that user mode." },
	{ "502", "You can only change your own modes." },
};

static void handle_numeric_error(NatterSession *self, Ctx *ctx)
{
	const char *about = ctx->msg->nparams > 2 ? P(1) : "";
	const char *server_text = ctx->msg->nparams > 1 ? P(ctx->msg->nparams - 1) : "";
	NatterConversation *conv = NULL;

	if (self->state != NATTER_SESSION_CONNECTED)
		return; /* registration errors are handled where they matter */
	if (strcmp(ctx->msg->command, "401") == 0 && self->whois_wanted != NULL &&
	    irc_casecmp(self->whois_wanted, about) == 0) {
		/* the WHOIS card: no one by that name */
		g_autoptr(NatterWhois) w = natter_whois_new(about);
		w->rooms = g_new0(char *, 1);
		w->found = FALSE;
		g_clear_pointer(&self->whois_wanted, g_free);
		g_signal_emit(self, natter_session_signals[NATTER_SIG_WHOIS], 0, w);
		gboolean shown = FALSE;
		g_signal_emit(self, natter_session_signals[NATTER_SIG_SHOW_WHOIS], 0, w, &shown);
		if (shown)
			return; /* the card says it; not also a line */
	}
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
	if (*about != '\0')
		natter_session_add_event_(self, conv, NATTER_MESSAGE_ERROR, "%s: %s", about, server_text);
	else
		natter_session_add_event_(self, conv, NATTER_MESSAGE_ERROR, "%s", server_text);
}

static void info(NatterSession *self, NatterConversation *conv, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
static void info(NatterSession *self, NatterConversation *conv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (conv == NULL)
		conv = natter_session_fallback_conversation_(self);
	natter_session_add_event_full_(self, conv, NATTER_MESSAGE_EVENT, NATTER_EVENT_INFO, NULL,
				       "%s", text);
}

/* Server statistics (LUSERS, sent after 001 and for /lusers): kept for
 * the server view; in the conversation only when the person asked. */
static void server_info(NatterSession *self, Ctx *ctx, const char *count, const char *text)
{
	g_autofree char *line = count != NULL ? g_strdup_printf("%s %s", count, text) : g_strdup(text);
	g_autoptr(NatterMessage) m = natter_message_new(NATTER_MESSAGE_EVENT, NULL, NULL, line, FALSE);

	natter_message_set_event(m, NATTER_EVENT_INFO);
	if (strcmp(ctx->msg->command, "251") == 0) /* the first of a new answer */
		g_list_store_remove_all(self->server_info);
	g_list_store_append(self->server_info, m);
	if (self->lusers_asked)
		info(self, NULL, "%s", line);
	if (strcmp(ctx->msg->command, "266") == 0)
		self->lusers_asked = FALSE; /* the last of the answer */
}

/* Other replies, in words: the known ones by their parameters, any other
 * by its human text (the last parameter) only, never a parameter dump. */
static void handle_numeric_info(NatterSession *self, Ctx *ctx)
{
	const char *cmd = ctx->msg->command;
	int n = ctx->msg->nparams;
	const char *last = n > 1 ? P(n - 1) : "";

	if (self->state != NATTER_SESSION_CONNECTED || n < 2)
		return;
	if (strcmp(cmd, "221") == 0) {
		info(self, NULL, "Your modes: %s", P(1));
	} else if (strcmp(cmd, "324") == 0) {
		g_autoptr(GString) modes = g_string_new(NULL);
		for (int i = 2; i < n; i++)
			g_string_append_printf(modes, "%s%s", i > 2 ? " " : "", ctx->msg->params[i]);
		info(self, natter_session_find_conversation(self, P(1)), "Modes of %s: %s", P(1), modes->str);
	} else if (strcmp(cmd, "329") == 0) {
		g_autofree char *when = format_date(g_ascii_strtoll(P(2), NULL, 10));
		info(self, natter_session_find_conversation(self, P(1)), "%s was created on %s", P(1), when);
	} else if (strcmp(cmd, "333") == 0) {
		g_autofree char *when = format_date(g_ascii_strtoll(P(3), NULL, 10));
		g_autofree char *who = g_strndup(P(2), strcspn(P(2), "!"));
		NatterConversation *conv = natter_session_find_conversation(self, P(1));
		if (conv != NULL)
			info(self, conv, "Topic set by %s on %s", who, when);
	} else if (strcmp(cmd, "250") == 0 || strcmp(cmd, "251") == 0 || strcmp(cmd, "252") == 0 ||
		   strcmp(cmd, "253") == 0 || strcmp(cmd, "254") == 0 || strcmp(cmd, "255") == 0 ||
		   strcmp(cmd, "265") == 0 || strcmp(cmd, "266") == 0) {
		/* LUSERS counts: the number is a parameter of its own */
		gboolean counted = (strcmp(cmd, "252") == 0 || strcmp(cmd, "253") == 0 ||
				    strcmp(cmd, "254") == 0) && n >= 3;
		server_info(self, ctx, counted ? P(1) : NULL, last);
	} else if (strcmp(cmd, "341") == 0) {
		info(self, NULL, "You invited %s to %s", P(1), P(2));
	} else if (strcmp(cmd, "352") == 0 && n >= 8) {
		/* WHO: me #room user host server nick flags :hops real */
		const char *real = strchr(P(7), ' ');
		info(self, NULL, "%s (%s@%s) in %s%s%s", P(5), P(2), P(3), P(1),
		     real != NULL ? ": " : "", real != NULL ? real + 1 : "");
	} else if (strcmp(cmd, "367") == 0) {
		info(self, natter_session_find_conversation(self, P(1)), "Banned in %s: %s", P(1), P(2));
	} else if (strcmp(cmd, "314") == 0 && n >= 6) {
		info(self, NULL, "%s was %s@%s (%s)", P(1), P(2), P(3), last);
	} else if (strcmp(cmd, "381") == 0) {
		info(self, NULL, "You are now a server operator");
	} else if (strcmp(cmd, "391") == 0) {
		info(self, NULL, "Time at %s: %s", P(1), last);
	} else if (strcmp(cmd, "315") == 0 || strcmp(cmd, "368") == 0 || strcmp(cmd, "369") == 0 ||
		   strcmp(cmd, "374") == 0 || strcmp(cmd, "347") == 0 || strcmp(cmd, "349") == 0) {
		/* ends of lists: nothing to say */
	} else if (n >= 2) {
		info(self, NULL, "%s", last);
	}
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
	{ "366", handle_names_end, 2 },
	{ "MODE", handle_mode, 1 },
	{ "AWAY", handle_away, 0 },
	{ "PRIVMSG", handle_privmsg, 2 },
	{ "NOTICE", handle_privmsg, 2 },
	{ "301", handle_301, 3 },
	{ "305", handle_unaway, 0 },
	{ "306", handle_nowaway, 0 },
	{ "311", handle_whois_user, 5 },
	{ "312", handle_whois_server, 3 },
	{ "313", handle_whois_oper, 2 },
	{ "317", handle_whois_idle, 3 },
	{ "318", handle_whois_end, 2 },
	{ "319", handle_whois_rooms, 3 },
	{ "330", handle_whois_account, 3 },
	{ "321", handle_list_start, 0 },
	{ "322", handle_list_item, 3 },
	{ "323", handle_list_end, 0 },
	{ "375", handle_motd_start, 0 },
	{ "372", handle_motd_line, 1 },
	{ "376", handle_motd_end, 0 },
	/* registration chatter, no MOTD, secure connection (in WHOIS) */
	{ "002", handle_ignore, 0 }, { "003", handle_ignore, 0 }, { "004", handle_ignore, 0 },
	{ "422", handle_ignore, 0 }, { "671", handle_ignore, 0 }, { "320", handle_ignore, 0 },
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
	if (natter_sasl_dispatch_(self, &msg))
		return;
	if (natter_history_dispatch_(self, &msg, ctx.nick))
		return;
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
		else if (msg.command[0] == '3' || msg.command[0] == '2')
			handle_numeric_info(self, &ctx);
	}
}

