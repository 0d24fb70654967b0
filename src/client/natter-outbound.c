/* natter-outbound.c - what the person typed, turned into IRC lines
 * (see natter-session-private.h). Parsing and sanitising is natter-input.c;
 * this file decides what each command sends and where its text is shown.
 * Testable without a server: see natter_session_set_line_sink(). */
#define G_LOG_DOMAIN "natter"

#include "natter-session-private.h"

#include <string.h>

#include "irc_names.h"
#include "natter-input.h"

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
			natter_session_send_command_(self, "PRIVMSG", 2, target, ctcp);
		} else {
			natter_session_send_command_(self, "PRIVMSG", 2, target, pieces[i]);
		}
		if (!echo && conv != NULL) {
			g_autoptr(NatterMessage) msg = natter_message_new(
				action ? NATTER_MESSAGE_ACTION : NATTER_MESSAGE_TEXT, NULL,
				self->nick, pieces[i], TRUE);
			natter_session_add_message_(self, conv, msg);
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
				g_signal_emit(self, natter_session_signals[NATTER_SIG_CONVERSATION_OPENED], 0, conv, TRUE);
		} else {
			conv = natter_session_open_private(self, in->target);
		}
		if (in->text != NULL)
			send_text(self, conv, in->target, in->text, FALSE);
		return TRUE;
	case NATTER_INPUT_JOIN:
		conv = natter_session_find_conversation(self, in->target);
		if (conv != NULL && natter_conversation_get_joined(conv)) {
			g_signal_emit(self, natter_session_signals[NATTER_SIG_CONVERSATION_OPENED], 0, conv, TRUE);
			return TRUE;
		}
		g_free(self->pending_focus);
		self->pending_focus = g_strdup(in->target);
		natter_session_send_command_(self, "JOIN", 1, in->target);
		return TRUE;
	case NATTER_INPUT_PART:
		if (in->target == NULL && self->active != NULL &&
		    natter_conversation_get_kind(self->active) == NATTER_CONVERSATION_PRIVATE) {
			natter_session_remove_conversation_(self, self->active); /* closing a private chat */
			return TRUE;
		}
		if (in->target == NULL && (conv = active_room(self, error)) == NULL)
			return FALSE;
		natter_session_send_command_(self, "PART", 2,
			     in->target != NULL ? in->target : natter_conversation_get_name(conv),
			     in->text != NULL ? in->text : "Leaving");
		return TRUE;
	case NATTER_INPUT_NICK:
		natter_session_send_command_(self, "NICK", 1, in->target);
		return TRUE;
	case NATTER_INPUT_TOPIC:
		if ((conv = active_room(self, error)) == NULL)
			return FALSE;
		if (in->text == NULL)
			natter_session_send_command_(self, "TOPIC", 1, natter_conversation_get_name(conv));
		else
			natter_session_send_command_(self, "TOPIC", 2, natter_conversation_get_name(conv), in->text);
		return TRUE;
	case NATTER_INPUT_QUIT:
		natter_session_disconnect(self, in->text);
		return TRUE;
	case NATTER_INPUT_RAW: {
		g_autofree char *line = in->text != NULL && *in->text != '\0'
						? g_strdup_printf("%s %s", in->target, in->text)
							 : g_strdup(in->target);
		if (strlen(line) + 2 > IRC_LINE_MAX)
			return input_error(error, NATTER_SESSION_ERROR_FAILED, "That command is too long.");
		if (g_ascii_strcasecmp(in->target, "LUSERS") == 0)
			self->lusers_asked = TRUE; /* asked: show the answer here */
		natter_session_send_line_(self, line);
		return TRUE;
	}
	case NATTER_INPUT_AWAY:
		natter_session_set_away(self, in->text);
		return TRUE;
	case NATTER_INPUT_WHOIS:
		natter_session_request_whois(self, in->target);
		return TRUE;
	case NATTER_INPUT_LIST:
		if (in->text == NULL) {
			natter_session_request_room_list(self);
		} else {
			g_list_store_remove_all(self->rooms);
			natter_session_set_listing_(self, TRUE);
			natter_session_send_command_(self, "LIST", 1, in->text);
		}
		return TRUE;
	case NATTER_INPUT_EMPTY:
	case NATTER_INPUT_INVALID:
		break;
	}
	return TRUE;
}

