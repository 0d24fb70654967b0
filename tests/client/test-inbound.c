/* test-inbound.c - the session's inbound and outbound halves without a
 * server: canned server lines go in through natter_session_feed(), the lines
 * the session would send are caught with natter_session_set_line_sink(). */
#include <string.h>

#include "irc_names.h"
#include "natter-connection.h"
#include "natter-session.h"
#include "session-helpers.h"

typedef CannedSession Fixture; /* .s, and .sent: the lines the session sent */

/* The last line sent, and forget everything sent so far. */
static char *last_sent(Fixture *f)
{
	g_assert_cmpuint(f->sent->len, >, 0);
	char *line = g_strdup(g_ptr_array_index(f->sent, f->sent->len - 1));
	g_ptr_array_set_size(f->sent, 0);
	return line;
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
	canned_feed(f, ":irc.test 001 me :Welcome to the test network");
	g_assert_cmpint(natter_session_get_state(f->s), ==, NATTER_SESSION_CONNECTED);
	g_assert_true(canned_was_sent(f, "JOIN #lobby"));
	canned_feed(f, ":irc.test 005 me PREFIX=(ov)@+ CHANTYPES=# :are supported by this server");
	canned_feed(f, ":me!u@h JOIN #lobby");
	canned_feed(f, ":irc.test 353 me = #lobby :me @alice +bob carol");
	canned_feed(f, ":irc.test 366 me #lobby :End of /NAMES list.");
	g_ptr_array_set_size(f->sent, 0);
}

/* The rooms of the last run are joined after #lobby at the first 001. */
static void test_autojoin(Fixture *f, gconstpointer data)
{
	(void)data;
	const char *const rooms[] = { "#dev", "#LOBBY", "#music", NULL };
	natter_session_set_autojoin(f->s, rooms);
	canned_feed(f, ":irc.test 001 me :Welcome to the test network");
	g_assert_cmpuint(f->sent->len, >=, 3);
	guint lobby = 0, dev = 0, music = 0;
	for (guint i = 0; i < f->sent->len; i++) {
		const char *line = g_ptr_array_index(f->sent, i);
		if (strcmp(line, "JOIN #lobby") == 0 || strcmp(line, "JOIN #LOBBY") == 0)
			lobby = i + 1;
		else if (strcmp(line, "JOIN #dev") == 0)
			dev = i + 1;
		else if (strcmp(line, "JOIN #music") == 0)
			music = i + 1;
	}
	g_assert_cmpuint(lobby, >, 0);
	g_assert_cmpuint(dev, >, lobby); /* after #lobby, and #lobby only once */
	g_assert_cmpuint(music, >, dev);
	g_assert_false(canned_was_sent(f, "JOIN #LOBBY"));
}

static char *server_info_text(Fixture *f)
{
	GListModel *info = natter_session_get_server_info(f->s);
	g_autoptr(GString) out = g_string_new(NULL);
	for (guint i = 0; i < g_list_model_get_n_items(info); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(info, i);
		g_string_append_printf(out, "%s%s", i > 0 ? "|" : "", natter_message_get_text(m));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* LUSERS counts keep their number: "channels formed" alone said nothing.
 * After connecting they go to the server view, not into the room (a
 * newcomer's first screen); typed /lusers shows them where it was typed. */
static void test_lusers_counts(Fixture *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	guint before = g_list_model_get_n_items(natter_conversation_get_messages(lobby));
	canned_feed(f, ":irc.test 251 me :There are 3 users and 0 invisible on 1 server");
	canned_feed(f, ":irc.test 252 me 1 :operator(s) online");
	canned_feed(f, ":irc.test 254 me 3 :channels formed");
	canned_feed(f, ":irc.test 255 me :I have 3 clients and 0 servers");
	canned_feed(f, ":irc.test 265 me 3 4 :Current local users 3, max 4");
	canned_feed(f, ":irc.test 266 me 3 4 :Current global users 3, max 4");
	g_assert_cmpuint(g_list_model_get_n_items(natter_conversation_get_messages(lobby)), ==, before);
	g_autofree char *info = server_info_text(f);
	g_assert_cmpstr(info, ==, "There are 3 users and 0 invisible on 1 server|1 operator(s) online|"
				  "3 channels formed|I have 3 clients and 0 servers|"
				  "Current local users 3, max 4|Current global users 3, max 4");

	/* asked for: the answer shows in the conversation too, and replaces
	 * the server view's */
	input(f, "/lusers");
	g_autofree char *l = last_sent(f);
	g_assert_cmpstr(l, ==, "LUSERS");
	canned_feed(f, ":irc.test 251 me :There are 4 users and 0 invisible on 1 server");
	g_assert_cmpstr(natter_message_get_text(last_message(f, "#lobby")), ==,
			"There are 4 users and 0 invisible on 1 server");
	canned_feed(f, ":irc.test 254 me 5 :channels formed");
	g_assert_cmpstr(natter_message_get_text(last_message(f, "#lobby")), ==, "5 channels formed");
	canned_feed(f, ":irc.test 266 me 4 4 :Current global users 4, max 4");
	g_assert_cmpstr(natter_message_get_text(last_message(f, "#lobby")), ==, "Current global users 4, max 4");
	g_autofree char *again = server_info_text(f);
	g_assert_cmpstr(again, ==, "There are 4 users and 0 invisible on 1 server|5 channels formed|"
				   "Current global users 4, max 4");
	/* the answer is over: the next unasked one stays out of the room */
	guint now = g_list_model_get_n_items(natter_conversation_get_messages(lobby));
	canned_feed(f, ":irc.test 251 me :There are 5 users and 0 invisible on 1 server");
	g_assert_cmpuint(g_list_model_get_n_items(natter_conversation_get_messages(lobby)), ==, now);
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
	canned_feed(f, ":dave[x]!u@h JOIN #lobby");
	g_assert_nonnull(natter_conversation_find_member(lobby, "DAVE{X}"));

	/* MODE moves people to their place */
	canned_feed(f, ":alice!u@h MODE #lobby +o carol");
	g_assert_cmpstr(member_at(lobby, 0), ==, "alice");
	g_assert_cmpstr(member_at(lobby, 1), ==, "carol");
	g_assert_cmpstr(natter_member_get_prefixes(natter_conversation_find_member(lobby, "carol")), ==, "@");
	canned_feed(f, ":alice!u@h MODE #lobby -o+v alice alice");
	g_assert_cmpstr(member_at(lobby, 0), ==, "carol");
	g_assert_cmpstr(member_at(lobby, 1), ==, "alice");
	g_assert_cmpstr(member_at(lobby, 2), ==, "bob");
	g_assert_true(strstr(natter_message_get_text(last_message(f, "#lobby")), "alice sets mode -o+v") != NULL);

	/* NICK renames and keeps the order; QUIT removes, with an event that says who */
	canned_feed(f, ":bob!u@h NICK :aaron");
	g_assert_null(natter_conversation_find_member(lobby, "bob"));
	g_assert_cmpstr(member_at(lobby, 1), ==, "aaron");
	g_assert_cmpint(natter_message_get_event(last_message(f, "#lobby")), ==, NATTER_EVENT_NICK);
	canned_feed(f, ":aaron!u@h QUIT :Quit: gone");
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
	canned_feed(f, ":me!u@h JOIN #big");
	NatterConversation *big = natter_session_find_conversation(f->s, "#big");
	GListModel *members = natter_conversation_get_members(big);
	guint changes = 0;
	g_signal_connect(members, "items-changed", G_CALLBACK(count_changes), &changes);
	guint lines = 0;
	for (guint i = 0; i < 3000;) {
		g_autoptr(GString) line = g_string_new(":irc.test 353 me = #big :");
		for (guint k = 0; k < 40 && i < 3000; k++, i++)
			g_string_append_printf(line, "%sn%u ", i % 97 == 0 ? "@" : "", (i * 7919u) % 3000u);
		canned_feed(f, line->str);
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
	canned_feed(f, ":irc.test 353 me = #big :@n1 n0 n2");
	g_assert_cmpuint(g_list_model_get_n_items(members), ==, 3000);
	g_assert_cmpstr(natter_member_get_prefixes(natter_conversation_find_member(big, "n1")), ==, "@");
	for (guint q = 0; q < 3000; q += 3) {
		g_autofree char *line = g_strdup_printf(":n%u!u@h QUIT :bye", q);
		canned_feed(f, line);
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
	canned_feed(f, "PING :irc.test");
	g_assert_cmpstr((l = last_sent(f)), ==, "PONG irc.test");
	canned_feed(f, "ERROR :Closing Link: me (Ping timeout)");
	g_assert_cmpint(natter_session_get_state(f->s), ==, NATTER_SESSION_RECONNECT_WAIT);
	g_assert_nonnull(strstr(natter_session_get_disconnect_reason(f->s), "Ping timeout"));
	NatterMessage *m = last_message(f, "#lobby");
	g_assert_cmpint(natter_message_get_event(m), ==, NATTER_EVENT_CONNECTION);
}

static void on_whois(NatterSession *s, NatterWhois *w, NatterWhois **out)
{
	(void)s;
	g_clear_pointer(out, natter_whois_free);
	*out = natter_whois_copy(w);
}

/* WHOIS arrives as one record at 318, and as readable lines. */
static void test_whois(Fixture *f, gconstpointer data)
{
	(void)data;
	NatterWhois *got = NULL;
	welcome(f);
	g_signal_connect(f->s, "whois", G_CALLBACK(on_whois), &got);
	input(f, "/whois alice");
	canned_feed(f, ":irc.test 311 me alice ali host.example * :Alice Liddell");
	canned_feed(f, ":irc.test 319 me alice :@#lobby #tea");
	canned_feed(f, ":irc.test 312 me alice irc.test :the test server");
	canned_feed(f, ":irc.test 301 me alice :down the rabbit hole");
	canned_feed(f, ":irc.test 330 me alice alice_acct :is logged in as");
	canned_feed(f, ":irc.test 317 me alice 300 1764560000 :seconds idle, signon time");
	g_assert_null(got); /* not before the end */
	canned_feed(f, ":irc.test 318 me alice :End of /WHOIS list.");
	g_assert_nonnull(got);
	g_assert_true(got->found);
	g_assert_cmpstr(got->nick, ==, "alice");
	g_assert_cmpstr(got->user, ==, "ali");
	g_assert_cmpstr(got->host, ==, "host.example");
	g_assert_cmpstr(got->realname, ==, "Alice Liddell");
	g_assert_cmpstr(got->server, ==, "irc.test");
	g_assert_cmpstr(got->rooms[0], ==, "@#lobby");
	g_assert_cmpstr(got->rooms[1], ==, "#tea");
	g_assert_null(got->rooms[2]);
	g_assert_cmpstr(got->away, ==, "down the rabbit hole");
	g_assert_cmpstr(got->account, ==, "alice_acct");
	g_assert_cmpint(got->idle, ==, 300);
	g_assert_cmpint(got->signon, ==, 1764560000);
	g_assert_true(test_has_text(f->s, "#lobby", "alice (Alice Liddell) — ali@host.example"));
	g_assert_true(test_has_text(f->s, "#lobby", "alice is in @#lobby, #tea"));
	g_assert_true(test_has_text(f->s, "#lobby", "Idle for 5 minutes; signed on "));
	g_assert_false(test_has_text(f->s, "#lobby", "1764560000")); /* a date, not a number */
	g_assert_cmpint(natter_message_get_event(last_message(f, "#lobby")), ==, NATTER_EVENT_WHOIS);

	/* nobody by that name: a record with found = FALSE */
	g_clear_pointer(&got, natter_whois_free);
	natter_session_request_whois(f->s, "ghost");
	canned_feed(f, ":irc.test 401 me ghost :No such nick/channel");
	canned_feed(f, ":irc.test 318 me ghost :End of /WHOIS list.");
	g_assert_nonnull(got);
	g_assert_false(got->found);
	g_assert_cmpstr(got->nick, ==, "ghost");
	g_assert_true(test_has_text(f->s, "#lobby", "There is no one called ghost here."));
	natter_whois_free(got);
}

static gboolean show_as_card(NatterSession *s, NatterWhois *w, guint *cards)
{
	(void)s;
	(void)w;
	(*cards)++;
	return TRUE;
}

/* A window that shows the answer as a card ("show-whois" handled): the
 * 3xx lines are not also written into the conversation. */
static void test_whois_card_no_lines(Fixture *f, gconstpointer data)
{
	(void)data;
	guint cards = 0;
	welcome(f);
	g_signal_connect(f->s, "show-whois", G_CALLBACK(show_as_card), &cards);
	GListModel *msgs = natter_conversation_get_messages(natter_session_find_conversation(f->s, "#lobby"));
	guint before = g_list_model_get_n_items(msgs);
	input(f, "/whois alice");
	canned_feed(f, ":irc.test 311 me alice ali host.example * :Alice Liddell");
	canned_feed(f, ":irc.test 319 me alice :@#lobby #tea");
	canned_feed(f, ":irc.test 317 me alice 300 1764560000 :seconds idle, signon time");
	canned_feed(f, ":irc.test 318 me alice :End of /WHOIS list.");
	g_assert_cmpuint(cards, ==, 1);
	g_assert_cmpuint(g_list_model_get_n_items(msgs), ==, before);
	g_assert_false(test_has_text(f->s, "#lobby", "alice (Alice Liddell)"));
	/* no one by that name: the card says so (the error line stays) */
	input(f, "/whois ghost");
	canned_feed(f, ":irc.test 401 me ghost :No such nick/channel");
	canned_feed(f, ":irc.test 318 me ghost :End of /WHOIS list.");
	g_assert_cmpuint(cards, ==, 2);
}

/* LIST fills the room list model; our own away state follows 305/306. */
static void test_list_away(Fixture *f, gconstpointer data)
{
	(void)data;
	guint done = 0;
	welcome(f);
	g_signal_connect_swapped(f->s, "room-list-done", G_CALLBACK(g_atomic_int_inc), &done);
	g_assert_true(natter_session_request_room_list(f->s));
	g_assert_true(natter_session_get_listing(f->s));
	canned_feed(f, ":irc.test 321 me Channel :Users  Name");
	canned_feed(f, ":irc.test 322 me #lobby 4 :Welcome, everyone");
	canned_feed(f, ":irc.test 322 me #tea 2 :");
	canned_feed(f, ":irc.test 323 me :End of /LIST");
	g_assert_false(natter_session_get_listing(f->s));
	g_assert_cmpuint(done, ==, 1);
	GListModel *rooms = natter_session_get_room_list(f->s);
	g_assert_cmpuint(g_list_model_get_n_items(rooms), ==, 2);
	g_autoptr(NatterRoomInfo) r0 = g_list_model_get_item(rooms, 0);
	g_assert_cmpstr(natter_room_info_get_name(r0), ==, "#lobby");
	g_assert_cmpuint(natter_room_info_get_members(r0), ==, 4);
	g_assert_cmpstr(natter_room_info_get_topic(r0), ==, "Welcome, everyone");
	g_assert_true(test_has_text(f->s, "#lobby", "The server has 2 rooms"));

	g_assert_false(natter_session_get_away(f->s));
	g_assert_true(natter_session_set_away(f->s, "in a meeting until 3"));
	g_autofree char *l = last_sent(f);
	g_assert_cmpstr(l, ==, "AWAY :in a meeting until 3");
	canned_feed(f, ":irc.test 306 me :You have been marked as being away");
	g_assert_true(natter_session_get_away(f->s));
	g_assert_true(test_has_text(f->s, "#lobby", "You are marked as away: in a meeting until 3"));
	canned_feed(f, ":irc.test 305 me :You are no longer marked as being away");
	g_assert_false(natter_session_get_away(f->s));

	/* away when the connection is lost: away again after the reconnect */
	natter_session_set_away(f->s, "brb");
	canned_feed(f, ":irc.test 306 me :You have been marked as being away");
	canned_feed(f, "ERROR :Closing Link: me (Ping timeout)");
	g_assert_false(natter_session_get_away(f->s));
	g_ptr_array_set_size(f->sent, 0);
	canned_feed(f, ":irc.test 001 me :Welcome back");
	g_assert_true(canned_was_sent(f, "AWAY brb"));
	canned_feed(f, ":irc.test 306 me :You have been marked as being away");
	g_assert_true(natter_session_get_away(f->s));
}

/* MOTD and NAMES become readable lines; numerics are words, not dumps. */
static void test_words(Fixture *f, gconstpointer data)
{
	(void)data;
	canned_feed(f, ":irc.test 001 me :Welcome");
	canned_feed(f, ":irc.test 375 me :- irc.test Message of the day -");
	canned_feed(f, ":irc.test 372 me :- Be nice.");
	canned_feed(f, ":irc.test 372 me :- No spam.");
	canned_feed(f, ":irc.test 376 me :End of /MOTD command.");
	canned_feed(f, ":me!u@h JOIN #lobby");
	NatterMessage *motd = NULL;
	GListModel *msgs = natter_conversation_get_messages(natter_session_find_conversation(f->s, "#lobby"));
	for (guint i = 0; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		if (natter_message_get_event(m) == NATTER_EVENT_MOTD)
			motd = m;
	}
	g_assert_nonnull(motd);
	g_assert_cmpstr(natter_message_get_text(motd), ==, "Message of the day:\nBe nice.\nNo spam.");
	canned_feed(f, ":irc.test 353 me = #lobby :me @alice +bob");
	canned_feed(f, ":irc.test 366 me #lobby :End of /NAMES list.");
	g_assert_true(test_has_text(f->s, "#lobby", "3 people are in #lobby: @alice, +bob, me"));
	g_assert_cmpint(natter_message_get_event(last_message(f, "#lobby")), ==, NATTER_EVENT_NAMES);

	canned_feed(f, ":irc.test 329 me #lobby 1764560000");
	g_assert_true(test_has_text(f->s, "#lobby", "#lobby was created on "));
	g_assert_false(test_has_text(f->s, "#lobby", "1764560000"));
	canned_feed(f, ":irc.test 324 me #lobby +nt");
	g_assert_true(test_has_text(f->s, "#lobby", "Modes of #lobby: +nt"));
	/* 251 in words (its human text, no parameter dump), in the server view */
	canned_feed(f, ":irc.test 251 me :There are 3 users and 0 invisible on 1 servers");
	g_autofree char *info = server_info_text(f);
	g_assert_cmpstr(info, ==, "There are 3 users and 0 invisible on 1 servers");
	canned_feed(f, ":irc.test 399 me some thing :A reply natter does not know");
	g_assert_cmpstr(natter_message_get_text(last_message(f, "#lobby")), ==, "A reply natter does not know");
	canned_feed(f, ":irc.test 482 me #lobby :You're not channel operator");
	g_assert_cmpstr(natter_message_get_text(last_message(f, "#lobby")), ==,
			"You need to be a room operator in #lobby to do that. (You're not channel operator)");
}

/* CTCP PING/VERSION/TIME are answered by NOTICE (once a second at most);
 * ACTION is shown; a mention of our nick as a word is flagged. */
static void test_ctcp_mention(Fixture *f, gconstpointer data)
{
	(void)data;
	g_autofree char *l = NULL;
	welcome(f);
	canned_feed(f, ":bob!u@h PRIVMSG me :\001PING 12345\001");
	g_assert_cmpstr((l = last_sent(f)), ==, "NOTICE bob :\001PING 12345\001");
	g_free(l);
	g_assert_true(test_has_text(f->s, "#lobby", "bob asked for your PING; answered"));
	g_assert_null(natter_session_find_conversation(f->s, "bob")); /* no chat opened for it */
	canned_feed(f, ":carol!u@h PRIVMSG me :\001VERSION\001");
	g_assert_cmpuint(f->sent->len, ==, 0); /* within a second of the last answer */
	g_usleep(1100 * 1000);
	canned_feed(f, ":carol!u@h PRIVMSG me :\001VERSION\001");
	l = last_sent(f);
	g_assert_true(g_str_has_prefix(l, "NOTICE carol :\001VERSION natter "));
	g_free(l);
	g_usleep(1100 * 1000);
	canned_feed(f, ":carol!u@h PRIVMSG #lobby :\001TIME\001");
	l = last_sent(f);
	g_assert_true(g_str_has_prefix(l, "NOTICE carol :\001TIME "));

	canned_feed(f, ":bob!u@h PRIVMSG #lobby :\001ACTION waves at me\001");
	NatterMessage *m = last_message(f, "#lobby");
	g_assert_cmpint(natter_message_get_kind(m), ==, NATTER_MESSAGE_ACTION);
	g_assert_cmpstr(natter_message_get_text(m), ==, "waves at me");
	g_assert_true(natter_message_get_mention(m));
	struct { const char *text; gboolean mention; } cases[] = {
		{ "hi me, how are you", TRUE }, { "ME: look", TRUE }, { "@me!", TRUE },
		{ "meet me", TRUE }, { "meeting at noon", FALSE }, { "some_me", FALSE },
		{ "name", FALSE }, { "me", TRUE },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *line = g_strdup_printf(":bob!u@h PRIVMSG #lobby :%s", cases[i].text);
		canned_feed(f, line);
		m = last_message(f, "#lobby");
		if (natter_message_get_mention(m) != cases[i].mention)
			g_error("“%s”: mention should be %d", cases[i].text, cases[i].mention);
	}
	/* a flood of CTCP requests: one answer or line a second, no more */
	g_usleep(1100 * 1000);
	g_ptr_array_set_size(f->sent, 0);
	GListModel *lobby_msgs = natter_conversation_get_messages(natter_session_find_conversation(f->s, "#lobby"));
	guint before = g_list_model_get_n_items(lobby_msgs);
	for (int i = 0; i < 50; i++) {
		canned_feed(f, ":eve!u@h PRIVMSG me :\001FOO\001");
		canned_feed(f, ":eve!u@h PRIVMSG me :\001VERSION\001");
	}
	g_assert_cmpuint(f->sent->len, ==, 0);
	g_assert_cmpuint(g_list_model_get_n_items(lobby_msgs), ==, before + 1);
	g_assert_true(test_has_text(f->s, "#lobby", "eve sent a CTCP FOO request, which natter does not answer"));
	/* our own words never mention us */
	canned_feed(f, ":me!u@h PRIVMSG #lobby :me again");
	g_assert_false(natter_message_get_mention(last_message(f, "#lobby")));
}

/* The connection's first-line check: what looks like IRC and what does not. */
static void test_line_is_irc(void)
{
	const char *irc[] = {
		":irc.test NOTICE * :*** Looking up your hostname",
		":irc.test 001 me :Welcome", "PING :x", "ERROR :Closing link",
		"@time=2026-12-01T00:00:00.000Z :irc.test CAP * LS :sasl", "NOTICE AUTH :hello",
	};
	const char *not_irc[] = {
		"HTTP/1.1 400 Bad Request", "SSH-2.0-OpenSSH_9.2p1 Debian-2", "220 mail.example ESMTP",
		"", ":onlysource", "<html>", "+OK POP3 ready", "* OK IMAP4rev1",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(irc); i++)
		if (!natter_connection_line_is_irc(irc[i]))
			g_error("“%s” should look like IRC", irc[i]);
	for (gsize i = 0; i < G_N_ELEMENTS(not_irc); i++)
		if (natter_connection_line_is_irc(not_irc[i]))
			g_error("“%s” should not look like IRC", not_irc[i]);
}

/* Reconnect delays: base, doubling, capped. */
static void test_backoff(void)
{
	guint want[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };
	for (guint i = 0; i < G_N_ELEMENTS(want); i++)
		g_assert_cmpuint(natter_backoff_delay(1, 60, i), ==, want[i]);
	g_assert_cmpuint(natter_backoff_delay(5, 60, 0), ==, 5);
	g_assert_cmpuint(natter_backoff_delay(5, 60, 3), ==, 40);
	g_assert_cmpuint(natter_backoff_delay(0, 60, 0), ==, 1);
	g_assert_cmpuint(natter_backoff_delay(1, 60, 1000), ==, 60); /* no overflow */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, canned_setup, fn, canned_teardown)
	g_test_add_func("/connection/line-is-irc", test_line_is_irc);
	g_test_add_func("/connection/backoff", test_backoff);
	ADD("/inbound/autojoin", test_autojoin);
	ADD("/inbound/lusers-counts", test_lusers_counts);
	ADD("/inbound/names-order", test_names_order);
	ADD("/inbound/names-big", test_names_big);
	ADD("/inbound/ping-error", test_ping_error);
	ADD("/outbound/commands", test_outbound);
	ADD("/inbound/whois", test_whois);
	ADD("/inbound/whois-card-no-lines", test_whois_card_no_lines);
	ADD("/inbound/list-away", test_list_away);
	ADD("/inbound/words", test_words);
	ADD("/inbound/ctcp-mention", test_ctcp_mention);
	return g_test_run();
}
