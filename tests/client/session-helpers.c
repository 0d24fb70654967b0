/* session-helpers.c - NatterSession fixtures and queries shared by the
 * client tests (see session-helpers.h). */
#include "session-helpers.h"

#include <string.h>

#include "natterd-harness.h"

static void sink(const char *line, gpointer data)
{
	CannedSession *f = data;

	g_ptr_array_add(f->sent, g_strdup(line));
}

void canned_setup(CannedSession *f, gconstpointer data)
{
	(void)data;
	f->s = natter_session_new();
	f->sent = g_ptr_array_new_with_free_func(g_free);
	natter_session_set_line_sink(f->s, sink, f);
}

void canned_teardown(CannedSession *f, gconstpointer data)
{
	(void)data;
	g_clear_object(&f->s);
	g_ptr_array_unref(f->sent);
}

void canned_feed(CannedSession *f, const char *line)
{
	natter_session_feed(f->s, line);
}

gboolean canned_was_sent(CannedSession *f, const char *line)
{
	for (guint i = 0; i < f->sent->len; i++)
		if (strcmp(g_ptr_array_index(f->sent, i), line) == 0)
			return TRUE;
	return FALSE;
}

static void on_failed(NatterSession *s, GError *error, GError **failed)
{
	(void)s;
	g_clear_error(failed);
	*failed = g_error_copy(error);
}

void test_track_failure(NatterSession *s, GError **failed)
{
	g_signal_connect(s, "connect-failed", G_CALLBACK(on_failed), failed);
}

void test_session_connect(NatterSession *s, guint16 port, const char *nick, GError **failed,
			  gboolean wait_lobby)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(natter_session_connect(s, "127.0.0.1", port, nick, &error));
	g_assert_no_error(error);
	TEST_WAIT(natter_session_get_state(s) == NATTER_SESSION_CONNECTED || *failed != NULL);
	g_assert_no_error(*failed);
	if (wait_lobby)
		TEST_WAIT(test_in_room(s, "#lobby"));
}

gboolean test_in_room(NatterSession *s, const char *room)
{
	NatterConversation *c = natter_session_find_conversation(s, room);

	return c != NULL && natter_conversation_get_joined(c);
}

gboolean test_has_member(NatterSession *s, const char *room, const char *nick)
{
	NatterConversation *c = natter_session_find_conversation(s, room);

	return c != NULL && natter_conversation_find_member(c, nick) != NULL;
}

static NatterMessage *find_in(NatterConversation *c, const char *nick, const char *text)
{
	GListModel *msgs = natter_conversation_get_messages(c);

	for (guint i = 0; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		if ((nick == NULL || g_strcmp0(natter_message_get_nick(m), nick) == 0) &&
		    strstr(natter_message_get_text(m), text) != NULL)
			return m; /* still held by the conversation */
	}
	return NULL;
}

NatterMessage *test_find_message(NatterSession *s, const char *conv, const char *nick,
				 const char *text)
{
	GListModel *convs;

	if (conv != NULL) {
		NatterConversation *c = natter_session_find_conversation(s, conv);
		return c != NULL ? find_in(c, nick, text) : NULL;
	}
	convs = natter_session_get_conversations(s);
	for (guint i = 0; i < g_list_model_get_n_items(convs); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(convs, i);
		NatterMessage *m = find_in(c, nick, text);
		if (m != NULL)
			return m;
	}
	return NULL;
}

gboolean test_has_text(NatterSession *s, const char *conv, const char *text)
{
	return test_find_message(s, conv, NULL, text) != NULL;
}
