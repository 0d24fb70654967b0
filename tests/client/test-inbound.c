/* test-inbound.c - the session's inbound and outbound halves without a
 * server: canned server lines go in through natter_session_feed(), the lines
 * the session would send are caught with natter_session_set_line_sink(). */
#include <string.h>

#include "irc_names.h"
#include "natter-session.h"

typedef struct {
	NatterSession *s;
	GPtrArray *sent; /* lines the session sent */
} Fixture;

static void sink(const char *line, gpointer data)
{
	Fixture *f = data;
	g_ptr_array_add(f->sent, g_strdup(line));
}

static void setup(Fixture *f, gconstpointer data)
{
	(void)data;
	f->s = natter_session_new();
	f->sent = g_ptr_array_new_with_free_func(g_free);
	natter_session_set_line_sink(f->s, sink, f);
}

static void teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	g_clear_object(&f->s);
	g_ptr_array_unref(f->sent);
}

static void feed(Fixture *f, const char *line)
{
	natter_session_feed(f->s, line);
}

/* The last line sent, and forget everything sent so far. */
static char *last_sent(Fixture *f)
{
	g_assert_cmpuint(f->sent->len, >, 0);
	char *line = g_strdup(g_ptr_array_index(f->sent, f->sent->len - 1));
	g_ptr_array_set_size(f->sent, 0);
	return line;
}

static gboolean was_sent(Fixture *f, const char *line)
{
	for (guint i = 0; i < f->sent->len; i++)
		if (strcmp(g_ptr_array_index(f->sent, i), line) == 0)
			return TRUE;
	return FALSE;
}

static void input(Fixture *f, const char *text)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(natter_session_send_input(f->s, text, &error));
	g_assert_no_error(error);
}

static NatterMessage *last_message(Fixture *f, const char *conv)
{
	NatterConversation *c = natter_session_find_conversation(f->s, conv);
	g_assert_nonnull(c);
	GListModel *msgs = natter_conversation_get_messages(c);
	guint n = g_list_model_get_n_items(msgs);
	g_assert_cmpuint(n, >, 0);
	NatterMessage *m = g_list_model_get_item(msgs, n - 1);
	g_object_unref(m); /* the conversation keeps it */
	return m;
}

/* Registered as "me" and in #lobby with alice (@), bob (+) and carol. */
static void welcome(Fixture *f)
{
	feed(f, ":irc.test 001 me :Welcome to the test network");
	g_assert_cmpint(natter_session_get_state(f->s), ==, NATTER_SESSION_CONNECTED);
	g_assert_true(was_sent(f, "JOIN #lobby"));
	feed(f, ":irc.test 005 me PREFIX=(ov)@+ CHANTYPES=# :are supported by this server");
	feed(f, ":me!u@h JOIN #lobby");
	feed(f, ":irc.test 353 me = #lobby :me @alice +bob carol");
	feed(f, ":irc.test 366 me #lobby :End of /NAMES list.");
	g_ptr_array_set_size(f->sent, 0);
}

static const char *member_at(NatterConversation *c, guint i)
{
	g_autoptr(NatterMember) m = g_list_model_get_item(natter_conversation_get_members(c), i);
	return m != NULL ? natter_member_get_nick(m) : NULL;
}

/* NAMES fills the member list in order: operators, voiced, then by name. */
static void test_names_order(Fixture *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	GListModel *members = natter_conversation_get_members(lobby);
	g_assert_cmpuint(g_list_model_get_n_items(members), ==, 4);
	g_assert_cmpstr(member_at(lobby, 0), ==, "alice");
	g_assert_cmpstr(member_at(lobby, 1), ==, "bob");
	g_assert_cmpstr(member_at(lobby, 2), ==, "carol");
	g_assert_cmpstr(member_at(lobby, 3), ==, "me");
	/* found case-insensitively, IRC rules ([ ] are { } in another case) */
	g_assert_nonnull(natter_conversation_find_member(lobby, "ALICE"));
	feed(f, ":dave[x]!u@h JOIN #lobby");
	g_assert_nonnull(natter_conversation_find_member(lobby, "DAVE{X}"));

	/* MODE moves people to their place */
	feed(f, ":alice!u@h MODE #lobby +o carol");
	g_assert_cmpstr(member_at(lobby, 0), ==, "alice");
	g_assert_cmpstr(member_at(lobby, 1), ==, "carol");
	g_assert_cmpstr(natter_member_get_prefixes(natter_conversation_find_member(lobby, "carol")), ==, "@");
	feed(f, ":alice!u@h MODE #lobby -o+v alice alice");
	g_assert_cmpstr(member_at(lobby, 0), ==, "carol");
	g_assert_cmpstr(member_at(lobby, 1), ==, "alice");
	g_assert_cmpstr(member_at(lobby, 2), ==, "bob");
	g_assert_true(strstr(natter_message_get_text(last_message(f, "#lobby")), "alice sets mode -o+v") != NULL);

	/* NICK renames and keeps the order; QUIT removes, with an event that says who */
	feed(f, ":bob!u@h NICK :aaron");
	g_assert_null(natter_conversation_find_member(lobby, "bob"));
	g_assert_cmpstr(member_at(lobby, 1), ==, "aaron");
	g_assert_cmpint(natter_message_get_event(last_message(f, "#lobby")), ==, NATTER_EVENT_NICK);
	feed(f, ":aaron!u@h QUIT :Quit: gone");
	g_assert_null(natter_conversation_find_member(lobby, "aaron"));
	NatterMessage *quit = last_message(f, "#lobby");
	g_assert_cmpint(natter_message_get_kind(quit), ==, NATTER_MESSAGE_EVENT);
	g_assert_cmpint(natter_message_get_event(quit), ==, NATTER_EVENT_QUIT);
	g_assert_cmpstr(natter_message_get_nick(quit), ==, "aaron");
	g_assert_cmpuint(g_list_model_get_n_items(natter_conversation_get_members(lobby)), ==, 4);
}

static void count_changes(GListModel *m, guint pos, guint removed, guint added, guint *n)
{
	(void)m; (void)pos; (void)removed; (void)added;
	(*n)++;
}

/* A big NAMES reply: sorted, indexed, one change notification per line. */
static void test_names_big(Fixture *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	feed(f, ":me!u@h JOIN #big");
	NatterConversation *big = natter_session_find_conversation(f->s, "#big");
	GListModel *members = natter_conversation_get_members(big);
	guint changes = 0;
	g_signal_connect(members, "items-changed", G_CALLBACK(count_changes), &changes);
	guint lines = 0;
	for (guint i = 0; i < 3000;) {
		g_autoptr(GString) line = g_string_new(":irc.test 353 me = #big :");
		for (guint k = 0; k < 40 && i < 3000; k++, i++)
			g_string_append_printf(line, "%sn%u ", i % 97 == 0 ? "@" : "", (i * 7919u) % 3000u);
		feed(f, line->str);
		lines++;
	}
	g_assert_cmpuint(g_list_model_get_n_items(members), ==, 3000);
	g_assert_cmpuint(changes, ==, lines);
	/* in order, and every one findable */
	for (guint i = 0; i + 1 < 3000; i++) {
		g_autoptr(NatterMember) a = g_list_model_get_item(members, i);
		g_autoptr(NatterMember) b = g_list_model_get_item(members, i + 1);
		gboolean aop = *natter_member_get_prefixes(a) == '@';
		gboolean bop = *natter_member_get_prefixes(b) == '@';
		g_assert_true(aop > bop || (aop == bop && irc_casecmp(natter_member_get_nick(a),
								      natter_member_get_nick(b)) < 0));
		g_assert_true(natter_conversation_find_member(big, natter_member_get_nick(a)) == a);
	}
	/* a NAMES again (e.g. /names) changes nothing but prefixes */
	feed(f, ":irc.test 353 me = #big :@n1 n0 n2");
	g_assert_cmpuint(g_list_model_get_n_items(members), ==, 3000);
	g_assert_cmpstr(natter_member_get_prefixes(natter_conversation_find_member(big, "n1")), ==, "@");
	for (guint q = 0; q < 3000; q += 3) {
		g_autofree char *line = g_strdup_printf(":n%u!u@h QUIT :bye", q);
		feed(f, line);
	}
	g_assert_cmpuint(g_list_model_get_n_items(members), ==, 2000);
	g_assert_null(natter_conversation_find_member(big, "n0"));
	g_assert_nonnull(natter_conversation_find_member(big, "n1"));
}

/* Typed input becomes the right lines. */
static void test_outbound(Fixture *f, gconstpointer data)
{
	(void)data;
	g_autofree char *l = NULL;
	welcome(f);
	input(f, "hello there");
	g_assert_cmpstr((l = last_sent(f)), ==, "PRIVMSG #lobby :hello there");
	g_free(l);
	input(f, "/me waves");
	g_assert_cmpstr((l = last_sent(f)), ==, "PRIVMSG #lobby :\001ACTION waves\001");
	g_free(l);
	input(f, "@carol psst");
	g_assert_cmpstr((l = last_sent(f)), ==, "PRIVMSG carol psst");
	g_free(l);
	input(f, "/join dev");
	g_assert_cmpstr((l = last_sent(f)), ==, "JOIN #dev");
	g_free(l);
	input(f, "/away gone for lunch, back at two");
	g_assert_cmpstr((l = last_sent(f)), ==, "AWAY :gone for lunch, back at two");
	g_free(l);
	input(f, "/away");
	g_assert_cmpstr((l = last_sent(f)), ==, "AWAY");
	g_free(l);
	input(f, "/whois alice");
	g_assert_cmpstr((l = last_sent(f)), ==, "WHOIS alice");
	g_free(l);
	input(f, "/list");
	g_assert_cmpstr((l = last_sent(f)), ==, "LIST");
	g_free(l);
	input(f, "/mode #lobby +m");
	g_assert_cmpstr((l = last_sent(f)), ==, "MODE #lobby +m");
	g_free(l);
	input(f, "/topic new topic here");
	g_assert_cmpstr((l = last_sent(f)), ==, "TOPIC #lobby :new topic here");
	g_free(l);
	input(f, "/quit see you");
	g_assert_cmpstr((l = last_sent(f)), ==, "QUIT :see you");
	g_assert_cmpint(natter_session_get_state(f->s), ==, NATTER_SESSION_DISCONNECTED);
}

/* The server's PING is answered; ERROR ends the connection at once. */
static void test_ping_error(Fixture *f, gconstpointer data)
{
	(void)data;
	g_autofree char *l = NULL;
	welcome(f);
	feed(f, "PING :irc.test");
	g_assert_cmpstr((l = last_sent(f)), ==, "PONG irc.test");
	feed(f, "ERROR :Closing Link: me (Ping timeout)");
	g_assert_cmpint(natter_session_get_state(f->s), ==, NATTER_SESSION_RECONNECT_WAIT);
	g_assert_nonnull(strstr(natter_session_get_disconnect_reason(f->s), "Ping timeout"));
	NatterMessage *m = last_message(f, "#lobby");
	g_assert_cmpint(natter_message_get_event(m), ==, NATTER_EVENT_CONNECTION);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/inbound/names-order", test_names_order);
	ADD("/inbound/names-big", test_names_big);
	ADD("/inbound/ping-error", test_ping_error);
	ADD("/outbound/commands", test_outbound);
	return g_test_run();
}
