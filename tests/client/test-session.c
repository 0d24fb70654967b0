/* test-session.c - the GTK-free session core against the real natterd on a
 * free loopback port, with raw socket clients as the other people. */
#include <string.h>

#include "irc_names.h"
#include "natter-session.h"
#include "natterd-harness.h"
#include "session-helpers.h"

typedef struct {
	TestServer *server;
	NatterSession *session;
	GError *failed; /* from "connect-failed" */
	guint opened;   /* "conversation-opened" with focus */
	guint added;    /* "message-added" */
} Fixture;

static void on_opened(NatterSession *s, NatterConversation *c, gboolean focus, Fixture *f)
{
	if (focus) {
		f->opened++;
		natter_session_set_active(s, c); /* what the window does */
	}
}

static void on_added(NatterSession *s, NatterConversation *c, NatterMessage *m, Fixture *f)
{
	(void)s; (void)c; (void)m;
	f->added++;
}

static void setup(Fixture *f, gconstpointer data)
{
	(void)data;
	f->server = test_server_start();
	f->session = natter_session_new();
	test_track_failure(f->session, &f->failed);
	g_signal_connect(f->session, "conversation-opened", G_CALLBACK(on_opened), f);
	g_signal_connect(f->session, "message-added", G_CALLBACK(on_added), f);
}

static void teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	g_clear_object(&f->session);
	g_clear_error(&f->failed);
	test_server_free(f->server);
	test_pump(0);
}

static void connect_as(Fixture *f, const char *nick)
{
	test_session_connect(f->session, f->server->port, nick, &f->failed, TRUE);
}

static void say(Fixture *f, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(natter_session_send_input(f->session, text, &error));
	g_assert_no_error(error);
}

/* Connect, register (CAP + NICK/USER), join #lobby and show it. */
static void test_connect(Fixture *f, gconstpointer data)
{
	(void)data;
	connect_as(f, "alice");
	g_assert_cmpstr(natter_session_get_nick(f->session), ==, "alice");
	NatterConversation *lobby = natter_session_get_active(f->session);
	g_assert_nonnull(lobby);
	g_assert_cmpstr(natter_conversation_get_name(lobby), ==, "#lobby");
	g_assert_cmpint(natter_conversation_get_kind(lobby), ==, NATTER_CONVERSATION_ROOM);
	TEST_WAIT(test_has_member(f->session, "#lobby", "alice"));
	g_test_message("caps: server-time=%d echo-message=%d multi-prefix=%d",
		       natter_session_has_cap(f->session, "server-time"),
		       natter_session_has_cap(f->session, "echo-message"),
		       natter_session_has_cap(f->session, "multi-prefix"));
}

/* Room messages both ways, and the member list following joins and parts. */
static void test_room_messages(Fixture *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	connect_as(f, "alice");
	g_free(raw_expect(bob, "JOIN"));
	TEST_WAIT(test_has_member(f->session, "#lobby", "bob"));

	say(f, "hello room");
	g_autofree char *got = raw_expect(bob, "PRIVMSG #lobby");
	g_assert_nonnull(strstr(got, ":alice!"));
	g_assert_true(g_str_has_suffix(got, " :hello room") || g_str_has_suffix(got, " hello room"));
	TEST_WAIT(test_find_message(f->session, "#lobby", "alice", "hello room") != NULL);
	NatterMessage *own = test_find_message(f->session, "#lobby", "alice", "hello room");
	g_assert_true(natter_message_is_own(own));

	raw_send(bob, "PRIVMSG #lobby :hi alice, welcome");
	TEST_WAIT(test_find_message(f->session, "#lobby", "bob", "hi alice, welcome") != NULL);
	NatterMessage *theirs = test_find_message(f->session, "#lobby", "bob", "hi alice");
	g_assert_false(natter_message_is_own(theirs));
	g_assert_cmpint(natter_message_get_kind(theirs), ==, NATTER_MESSAGE_TEXT);

	/* /me both ways */
	say(f, "/me waves");
	g_free(raw_expect(bob, "\x01" "ACTION waves\x01"));
	raw_send(bob, "PRIVMSG #lobby :\x01" "ACTION nods\x01");
	TEST_WAIT(test_find_message(f->session, "#lobby", "bob", "nods") != NULL);

	raw_send(bob, "PART #lobby :lunch");
	TEST_WAIT(!test_has_member(f->session, "#lobby", "bob"));
	raw_close(bob);
}

/* @name text opens a private conversation; replies arrive there. */
static void test_private_messages(Fixture *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = raw_connect(f->server->port, "bob");
	connect_as(f, "alice");

	say(f, "@bob secret plan");
	g_autofree char *got = raw_expect(bob, "PRIVMSG bob");
	g_assert_nonnull(strstr(got, "secret plan"));
	NatterConversation *pm = natter_session_find_conversation(f->session, "bob");
	g_assert_nonnull(pm);
	g_assert_cmpint(natter_conversation_get_kind(pm), ==, NATTER_CONVERSATION_PRIVATE);
	g_assert_true(natter_session_get_active(f->session) == pm);
	TEST_WAIT(test_find_message(f->session, "bob", "alice", "secret plan") != NULL);

	/* A reply while the lobby is on screen counts as unread. */
	natter_session_set_active(f->session, natter_session_find_conversation(f->session, "#lobby"));
	raw_send(bob, "PRIVMSG alice :got it");
	TEST_WAIT(test_find_message(f->session, "bob", "bob", "got it") != NULL);
	g_assert_cmpuint(natter_conversation_get_unread(pm), ==, 1);

	/* A new person writing first opens a conversation too. */
	RawClient *carol = raw_connect(f->server->port, "carol");
	raw_send(carol, "PRIVMSG alice :hello from carol");
	TEST_WAIT(test_find_message(f->session, "carol", "carol", "hello from carol") != NULL);
	g_assert_cmpint(natter_conversation_get_kind(natter_session_find_conversation(f->session, "carol")),
			==, NATTER_CONVERSATION_PRIVATE);

	/* Nobody called that: the server's error, in plain words. */
	say(f, "@nobody9 are you there?");
	TEST_WAIT(test_has_text(f->session, "nobody9", "There is no one called nobody9"));
	raw_close(carol);
	raw_close(bob);
}

/* A taken name fails registration with a clear error; another name works. */
static void test_nick_in_use(Fixture *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = raw_connect(f->server->port, "bob");
	g_autoptr(GError) error = NULL;

	g_assert_true(natter_session_connect(f->session, "127.0.0.1", f->server->port, "BOB", &error));
	TEST_WAIT(f->failed != NULL);
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_NICK_IN_USE);
	g_assert_nonnull(strstr(f->failed->message, "already in use"));
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);
	g_clear_error(&f->failed);

	/* An invalid name is refused before anything is sent. */
	g_assert_false(natter_session_connect(f->session, "127.0.0.1", f->server->port, "9 lives", &error));
	g_assert_error(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_NICK_INVALID);

	connect_as(f, "bob2");
	g_assert_cmpstr(natter_session_get_nick(f->session), ==, "bob2");
	raw_close(bob);
}

/* Nothing listening: a clear "connection refused". */
static void test_refused(Fixture *f, gconstpointer data)
{
	(void)data;
	guint16 port = f->server->port;
	test_server_stop(f->server);
	g_assert_true(natter_session_connect(f->session, "127.0.0.1", port, "alice", NULL));
	TEST_WAIT(f->failed != NULL);
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_REFUSED);
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);
	test_server_restart(f->server);
}

/* The server goes away and comes back: reconnect, same nick, rooms rejoined. */
static void test_reconnect(Fixture *f, gconstpointer data)
{
	(void)data;
	g_autoptr(GError) error = NULL;

	connect_as(f, "alice");
	say(f, "/join #side");
	TEST_WAIT(test_in_room(f->session, "#side"));
	g_assert_cmpstr(natter_conversation_get_name(natter_session_get_active(f->session)), ==, "#side");

	test_server_stop(f->server);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_RECONNECT_WAIT);
	g_assert_false(test_in_room(f->session, "#lobby"));
	g_assert_cmpuint(natter_session_get_reconnect_remaining(f->session), >=, 1);
	/* Typed text is refused (and so kept by the window), not lost silently. */
	g_assert_false(natter_session_send_input(f->session, "are you there?", &error));
	g_assert_error(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_NOT_CONNECTED);

	test_server_restart(f->server);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_CONNECTED);
	TEST_WAIT(test_in_room(f->session, "#lobby") && test_in_room(f->session, "#side"));
	g_assert_cmpstr(natter_session_get_nick(f->session), ==, "alice");

	/* Another person sees alice back in #side and can talk to her. */
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #side");
	g_autofree char *names = raw_expect(bob, " 353 ");
	g_assert_nonnull(strstr(names, "alice"));
	raw_send(bob, "PRIVMSG #side :welcome back");
	TEST_WAIT(test_find_message(f->session, "#side", "bob", "welcome back") != NULL);
	say(f, "thanks");
	g_free(raw_expect(bob, "PRIVMSG #side"));
	raw_close(bob);
}

/* CR/LF in typed text never becomes a second command. */
static void test_injection(Fixture *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	connect_as(f, "alice");
	g_free(raw_expect(bob, "JOIN"));

	say(f, "hello\r\nQUIT :pwned");
	say(f, "/topic x\r\nPRIVMSG #lobby :injected");
	say(f, "@bob hi\nNICK mallory");
	say(f, "/whois bob\r\nPRIVMSG bob :also injected");
	say(f, "marker");

	/* bob sees exactly the two messages, each on one line, then the marker. */
	g_autofree char *l1 = raw_expect(bob, "PRIVMSG");
	g_assert_nonnull(strstr(l1, "PRIVMSG #lobby :hello  QUIT :pwned"));
	g_autofree char *l2 = raw_expect(bob, "PRIVMSG");
	g_assert_nonnull(strstr(l2, "PRIVMSG bob :hi NICK mallory"));
	g_autofree char *l3 = raw_expect(bob, "marker");
	g_assert_null(strstr(l3, "injected"));
	g_assert_null(strstr(bob->buf->str, "injected"));
	g_assert_cmpstr(natter_session_get_nick(f->session), ==, "alice");
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_CONNECTED);
	raw_close(bob);
}

/* Long input is split at UTF-8 boundaries; every relayed line fits 512 bytes. */
static void test_long_message(Fixture *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	connect_as(f, "alice");

	g_autoptr(GString) text = g_string_new(NULL);
	for (int i = 0; i < 120; i++)
		g_string_append(text, i % 2 ? "ünïcödé😀 " : "plain-words ");
	g_string_append(text, "END");
	say(f, text->str);

	g_autoptr(GString) got = g_string_new(NULL);
	int lines = 0;
	while (!g_str_has_suffix(got->str, "END")) {
		g_autofree char *line = raw_expect(bob, "PRIVMSG #lobby");
		g_assert_cmpuint(strlen(line) + 2, <=, 512);
		g_assert_true(g_utf8_validate(line, -1, NULL));
		const char *body = strstr(line, "PRIVMSG #lobby ") + strlen("PRIVMSG #lobby ");
		if (*body == ':')
			body++;
		g_string_append_printf(got, "%s%s", lines > 0 ? " " : "", body);
		lines++;
	}
	g_assert_cmpint(lines, >=, 4);
	/* cut at spaces: joined with spaces it is the text again */
	g_assert_cmpstr(got->str, ==, text->str);
	raw_close(bob);
}

/* /join, /topic, /part, /nick, unknown commands. */
static void test_commands(Fixture *f, gconstpointer data)
{
	(void)data;
	connect_as(f, "alice");
	guint opened = f->opened;
	say(f, "/join #dev");
	TEST_WAIT(test_in_room(f->session, "#dev"));
	g_assert_cmpuint(f->opened, >, opened);
	NatterConversation *dev = natter_session_find_conversation(f->session, "#dev");
	g_assert_true(natter_session_get_active(f->session) == dev);
	/* First in a new room: operator. */
	TEST_WAIT(test_has_member(f->session, "#dev", "alice"));

	say(f, "/topic Release on Friday");
	TEST_WAIT(g_strcmp0(natter_conversation_get_topic(dev), "Release on Friday") == 0);

	say(f, "/frobnicate now");
	TEST_WAIT(test_has_text(f->session, "#dev", "does not know the command /FROBNICATE"));

	say(f, "/nick alicia");
	TEST_WAIT(g_strcmp0(natter_session_get_nick(f->session), "alicia") == 0);

	say(f, "/part");
	TEST_WAIT(natter_session_find_conversation(f->session, "#dev") == NULL);
	g_assert_cmpstr(natter_conversation_get_name(natter_session_get_active(f->session)), ==, "#lobby");

	say(f, "/quit bye");
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);
}

static void on_whois(NatterSession *s, NatterWhois *w, NatterWhois **out)
{
	(void)s;
	g_clear_pointer(out, natter_whois_free);
	*out = natter_whois_copy(w);
}

/* Against natterd: /away with spaces, our away state, WHOIS as one record,
 * the room list. */
static void test_away_whois_list(Fixture *f, gconstpointer data)
{
	(void)data;
	NatterWhois *got = NULL;
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	raw_send(bob, "JOIN #tea");
	g_free(raw_expect(bob, " 366 "));
	connect_as(f, "alice");
	g_signal_connect(f->session, "whois", G_CALLBACK(on_whois), &got);

	say(f, "/away gone for lunch, back at two");
	TEST_WAIT(natter_session_get_away(f->session));
	raw_send(bob, "WHOIS alice");
	g_autofree char *away = raw_expect(bob, " 301 ");
	g_assert_nonnull(strstr(away, ":gone for lunch, back at two"));
	say(f, "/away");
	TEST_WAIT(!natter_session_get_away(f->session));

	say(f, "/whois bob");
	TEST_WAIT(got != NULL);
	g_assert_true(got->found);
	g_assert_cmpstr(got->nick, ==, "bob");
	g_assert_nonnull(got->realname);
	g_assert_true(g_strv_contains((const char *const *)got->rooms, "#tea") ||
		      g_strv_contains((const char *const *)got->rooms, "@#tea"));
	natter_whois_free(got);

	g_assert_true(natter_session_request_room_list(f->session));
	TEST_WAIT(!natter_session_get_listing(f->session));
	GListModel *rooms = natter_session_get_room_list(f->session);
	gboolean tea = FALSE;
	for (guint i = 0; i < g_list_model_get_n_items(rooms); i++) {
		g_autoptr(NatterRoomInfo) r = g_list_model_get_item(rooms, i);
		if (strcmp(natter_room_info_get_name(r), "#tea") == 0) {
			tea = TRUE;
			g_assert_cmpuint(natter_room_info_get_members(r), ==, 1);
		}
	}
	g_assert_true(tea);
	raw_close(bob);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/session/connect", test_connect);
	ADD("/session/room-messages", test_room_messages);
	ADD("/session/private-messages", test_private_messages);
	ADD("/session/nick-in-use", test_nick_in_use);
	ADD("/session/refused", test_refused);
	ADD("/session/reconnect", test_reconnect);
	ADD("/session/injection", test_injection);
	ADD("/session/long-message", test_long_message);
	ADD("/session/commands", test_commands);
	ADD("/session/away-whois-list", test_away_whois_list);
	return g_test_run();
}
