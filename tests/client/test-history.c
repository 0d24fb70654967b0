/* test-history.c - chat history in the session core (issue 11).
 *
 * /history/canned/...: canned server lines through natter_session_feed(),
 * what the session sends caught by a line sink: batch parsing, order by
 * server time, de-duplication by msgid, paging, read markers, redaction.
 * /history/natterd/...: the same session against the real natterd: a late
 * joiner sees what was said before, a reconnect fills the gap once, BEFORE
 * pages back, private chats come back after a restart of the client. */
#include <string.h>

#include "natter-history.h"
#include "natter-session.h"
#include "natterd-harness.h"
#include "session-helpers.h"

/* ---------------------------------------------------------------- canned */

typedef CannedSession Canned;

static guint count_prefix(Canned *f, const char *prefix)
{
	guint n = 0;
	for (guint i = 0; i < f->sent->len; i++)
		if (g_str_has_prefix(g_ptr_array_index(f->sent, i), prefix))
			n++;
	return n;
}

/* The texts of @conv's PRIVMSG lines (not events), in order, joined by "|". */
static char *texts(NatterSession *s, const char *conv)
{
	NatterConversation *c = natter_session_find_conversation(s, conv);
	g_assert_nonnull(c);
	GListModel *msgs = natter_conversation_get_messages(c);
	g_autoptr(GString) out = g_string_new(NULL);
	for (guint i = 0; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		NatterMessageKind k = natter_message_get_kind(m);
		if (k != NATTER_MESSAGE_TEXT && k != NATTER_MESSAGE_ACTION && k != NATTER_MESSAGE_NOTICE)
			continue;
		g_string_append_printf(out, "%s%s", out->len > 0 ? "|" : "", natter_message_get_text(m));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Registered with the history capabilities and in #lobby. */
static void welcome(Canned *f)
{
	canned_feed(f, ":irc.test CAP * ACK :server-time echo-message message-tags batch draft/chathistory "
		"draft/event-playback draft/read-marker draft/message-redaction");
	canned_feed(f, ":irc.test 001 me :Welcome");
	canned_feed(f, ":irc.test 005 me CHATHISTORY=50 :are supported by this server");
	g_assert_cmpuint(count_prefix(f, "CHATHISTORY TARGETS timestamp=1970-01-01T00:00:00.000Z timestamp="), ==, 1);
	canned_feed(f, ":me!u@h JOIN #lobby");
	g_assert_true(canned_was_sent(f, "CHATHISTORY LATEST #lobby * 50"));
	g_ptr_array_set_size(f->sent, 0);
}

/* A LATEST batch lands before "You joined", in server-time order, once. */
static void test_latest_batch(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	/* a live line arrives while the batch is still coming */
	canned_feed(f, "@time=2026-01-01T10:00:00.000Z;msgid=m3 :bob!u@h PRIVMSG #lobby :three");
	canned_feed(f, ":irc.test BATCH +b1 chathistory #lobby");
	canned_feed(f, "@batch=b1;time=2026-01-01T09:00:00.000Z;msgid=m1 :alice!u@h PRIVMSG #lobby :one");
	canned_feed(f, "@batch=b1;time=2026-01-01T09:30:00.000Z;msgid=m2 :bob!u@h PRIVMSG #lobby :\001ACTION two\001");
	canned_feed(f, "@batch=b1;time=2026-01-01T09:45:00.000Z;msgid=j1 :carol!u@h JOIN #lobby");
	canned_feed(f, "@batch=b1;time=2026-01-01T10:00:00.000Z;msgid=m3 :bob!u@h PRIVMSG #lobby :three");
	/* nothing shows before the batch ends */
	g_autofree char *before = texts(f->s, "#lobby");
	g_assert_cmpstr(before, ==, "three");
	canned_feed(f, ":irc.test BATCH -b1");
	g_autofree char *after = texts(f->s, "#lobby");
	g_assert_cmpstr(after, ==, "one|two|three");

	/* the JOIN from event-playback is an event line, not a member */
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	g_assert_null(natter_conversation_find_member(lobby, "carol"));
	GListModel *msgs = natter_conversation_get_messages(lobby);
	g_autoptr(NatterMessage) first = g_list_model_get_item(msgs, 0);
	g_assert_cmpstr(natter_message_get_text(first), ==, "one");
	g_assert_cmpstr(natter_message_get_msgid(first), ==, "m1");
	g_assert_cmpint(g_date_time_to_unix(natter_message_get_time(first)), ==, 1767258000);
	g_autoptr(NatterMessage) two = g_list_model_get_item(msgs, 1);
	g_assert_cmpint(natter_message_get_kind(two), ==, NATTER_MESSAGE_ACTION);
	g_autoptr(NatterMessage) join = g_list_model_get_item(msgs, 2);
	g_assert_cmpint(natter_message_get_event(join), ==, NATTER_EVENT_JOIN);
	/* the history went above "You joined" (now): it is older; the live
	 * line stays where it arrived */
	g_autoptr(NatterMessage) joined = g_list_model_get_item(msgs, 3);
	g_assert_cmpstr(natter_message_get_text(joined), ==, "You joined #lobby");
	g_assert_cmpuint(g_list_model_get_n_items(msgs), ==, 5);

	/* the same line live again is dropped; a batch tag of no batch of ours is dispatched */
	canned_feed(f, "@time=2026-01-01T10:00:00.000Z;msgid=m2 :bob!u@h PRIVMSG #lobby :\001ACTION two\001");
	canned_feed(f, "@batch=zz;time=2026-01-01T11:00:00.000Z;msgid=m4 :bob!u@h PRIVMSG #lobby :four");
	g_autofree char *again = texts(f->s, "#lobby");
	g_assert_cmpstr(again, ==, "one|two|three|four");
	/* fewer than a page: nothing older */
	g_assert_true(natter_session_history_complete(f->s, lobby));
	g_assert_false(natter_session_load_older(f->s, lobby));
}

static void fill_page(Canned *f, const char *ref, const char *target, int first, int count)
{
	g_autofree char *open = g_strdup_printf(":irc.test BATCH +%s chathistory %s", ref, target);
	canned_feed(f, open);
	for (int i = first; i < first + count; i++) {
		g_autofree char *line = g_strdup_printf(
			"@batch=%s;time=2026-01-01T09:%02d:%02d.000Z;msgid=p%d :bob!u@h PRIVMSG %s :line %d",
			ref, i / 60, i % 60, i, target, i);
		canned_feed(f, line);
	}
	g_autofree char *close = g_strdup_printf(":irc.test BATCH -%s", ref);
	canned_feed(f, close);
}

typedef struct {
	guint position, removed, added, changes;
} Change;

static void on_items_changed(GListModel *model, guint position, guint removed, guint added, Change *c)
{
	(void)model;
	c->position = position;
	c->removed = removed;
	c->added = added;
	c->changes++;
}

/* BEFORE pages back from the oldest msgid, inserted at the top in one change. */
static void test_before_paging(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	fill_page(f, "b1", "#lobby", 100, 50); /* a full page: there may be more */
	g_assert_false(natter_session_history_complete(f->s, lobby));
	g_assert_false(natter_session_history_loading(f->s, lobby));

	g_assert_true(natter_session_load_older(f->s, lobby));
	g_assert_true(canned_was_sent(f, "CHATHISTORY BEFORE #lobby msgid=p100 50"));
	g_assert_true(natter_session_history_loading(f->s, lobby));
	g_assert_false(natter_session_load_older(f->s, lobby)); /* one at a time */

	Change c = { 0 };
	GListModel *msgs = natter_conversation_get_messages(lobby);
	gulong id = g_signal_connect(msgs, "items-changed", G_CALLBACK(on_items_changed), &c);
	fill_page(f, "b2", "#lobby", 70, 30);
	g_signal_handler_disconnect(msgs, id);
	g_assert_cmpuint(c.changes, ==, 1);
	g_assert_cmpuint(c.position, ==, 0);
	g_assert_cmpuint(c.added, ==, 30);
	g_assert_true(natter_session_history_complete(f->s, lobby));
	g_autoptr(NatterMessage) top = g_list_model_get_item(msgs, 0);
	g_assert_cmpstr(natter_message_get_text(top), ==, "line 70");
	g_autoptr(NatterMessage) next = g_list_model_get_item(msgs, 30);
	g_assert_cmpstr(natter_message_get_text(next), ==, "line 100");
}

/* Lines of the same millisecond (a burst): the server's order decides;
 * an older page goes above them and the next BEFORE starts at its first. */
static void test_same_millisecond(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	canned_feed(f, ":irc.test BATCH +b1 chathistory #lobby");
	for (int i = 50; i < 100; i++) {
		g_autofree char *line = g_strdup_printf(
			"@batch=b1;time=2026-01-01T09:00:00.000Z;msgid=s%d :bob!u@h PRIVMSG #lobby :burst %d", i, i);
		canned_feed(f, line);
	}
	canned_feed(f, ":irc.test BATCH -b1");
	g_assert_true(natter_session_load_older(f->s, lobby));
	g_assert_true(canned_was_sent(f, "CHATHISTORY BEFORE #lobby msgid=s50 50"));
	canned_feed(f, ":irc.test BATCH +b2 chathistory #lobby");
	for (int i = 0; i < 50; i++) {
		g_autofree char *line = g_strdup_printf(
			"@batch=b2;time=2026-01-01T09:00:00.000Z;msgid=s%d :bob!u@h PRIVMSG #lobby :burst %d", i, i);
		canned_feed(f, line);
	}
	canned_feed(f, ":irc.test BATCH -b2");
	GListModel *msgs = natter_conversation_get_messages(lobby);
	for (guint i = 0; i < 100; i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		g_autofree char *want = g_strdup_printf("burst %u", i);
		g_assert_cmpstr(natter_message_get_text(m), ==, want);
	}
	g_assert_true(natter_session_load_older(f->s, lobby));
	g_assert_true(canned_was_sent(f, "CHATHISTORY BEFORE #lobby msgid=s0 50"));
	/* a live line of that same millisecond goes at the end */
	canned_feed(f, "@time=2026-01-01T09:00:00.000Z;msgid=s100 :bob!u@h PRIVMSG #lobby :burst 100");
	g_autoptr(NatterMessage) last = g_list_model_get_item(msgs, g_list_model_get_n_items(msgs) - 1);
	g_assert_cmpstr(natter_message_get_text(last), ==, "burst 100");
}

/* After a reconnect: AFTER the newest msgid, page after page, no duplicate. */
static void test_reconnect_gap(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	fill_page(f, "b1", "#lobby", 0, 10);
	g_ptr_array_set_size(f->sent, 0);
	/* the connection came back (001 again, then our JOIN) */
	canned_feed(f, ":irc.test 001 me :Welcome back");
	canned_feed(f, ":me!u@h JOIN #lobby");
	g_assert_true(canned_was_sent(f, "CHATHISTORY AFTER #lobby msgid=p9 50"));
	g_ptr_array_set_size(f->sent, 0);
	/* a full page (overlapping the last line we had) asks for the next */
	fill_page(f, "b2", "#lobby", 9, 50);
	g_assert_true(canned_was_sent(f, "CHATHISTORY AFTER #lobby msgid=p58 50"));
	fill_page(f, "b3", "#lobby", 59, 5);
	g_assert_cmpuint(count_prefix(f, "CHATHISTORY AFTER"), ==, 1); /* a short page ends it */
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	GListModel *msgs = natter_conversation_get_messages(lobby);
	guint seen = 0;
	for (guint i = 0; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		if (natter_message_get_msgid(m) == NULL)
			continue;
		g_autofree char *want = g_strdup_printf("p%u", seen);
		g_assert_cmpstr(natter_message_get_msgid(m), ==, want);
		seen++;
	}
	g_assert_cmpuint(seen, ==, 64);
}

/* The last line seen was removed from the server's history (retention or
 * redaction) while we were away: AFTER msgid=... finds nothing, so the gap
 * is asked for by that line's time, and filled once. */
static void test_reconnect_gap_unknown_msgid(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	fill_page(f, "b1", "#lobby", 0, 10);
	g_ptr_array_set_size(f->sent, 0);
	canned_feed(f, ":irc.test 001 me :Welcome back");
	canned_feed(f, ":me!u@h JOIN #lobby");
	g_assert_true(canned_was_sent(f, "CHATHISTORY AFTER #lobby msgid=p9 50"));
	/* natterd answers an unknown msgid with an empty batch */
	canned_feed(f, ":irc.test BATCH +e1 chathistory #lobby");
	canned_feed(f, ":irc.test BATCH -e1");
	/* a millisecond before p9: lines of p9's millisecond are not skipped */
	g_assert_true(canned_was_sent(f, "CHATHISTORY AFTER #lobby timestamp=2026-01-01T09:00:08.999Z 50"));
	/* a live line arrives before the answer; the page has it too */
	canned_feed(f, "@time=2026-01-01T09:00:14.000Z;msgid=p14 :bob!u@h PRIVMSG #lobby :line 14");
	g_ptr_array_set_size(f->sent, 0);
	fill_page(f, "b2", "#lobby", 10, 5);
	/* a short page: the gap is closed, nothing more is asked */
	g_assert_cmpuint(count_prefix(f, "CHATHISTORY"), ==, 0);
	g_autofree char *got = texts(f->s, "#lobby");
	g_assert_cmpstr(got, ==, "line 0|line 1|line 2|line 3|line 4|line 5|line 6|line 7|line 8|"
				 "line 9|line 10|line 11|line 12|line 13|line 14");

	/* next time nothing was said: the time fallback is empty too, and
	 * that is the end of it */
	canned_feed(f, ":irc.test 001 me :Welcome back");
	canned_feed(f, ":me!u@h JOIN #lobby");
	g_assert_true(canned_was_sent(f, "CHATHISTORY AFTER #lobby msgid=p14 50"));
	canned_feed(f, ":irc.test BATCH +e2 chathistory #lobby");
	canned_feed(f, ":irc.test BATCH -e2");
	g_assert_true(canned_was_sent(f, "CHATHISTORY AFTER #lobby timestamp=2026-01-01T09:00:13.999Z 50"));
	g_ptr_array_set_size(f->sent, 0);
	canned_feed(f, ":irc.test BATCH +e3 chathistory #lobby");
	canned_feed(f, ":irc.test BATCH -e3");
	g_assert_cmpuint(count_prefix(f, "CHATHISTORY"), ==, 0);

	/* a server that says FAIL for an unknown msgid gets the same fallback */
	canned_feed(f, ":irc.test 001 me :Welcome back");
	canned_feed(f, ":me!u@h JOIN #lobby");
	g_assert_true(canned_was_sent(f, "CHATHISTORY AFTER #lobby msgid=p14 50"));
	g_ptr_array_set_size(f->sent, 0);
	canned_feed(f, ":irc.test FAIL CHATHISTORY INVALID_MSGID AFTER #lobby :Unknown msgid");
	g_assert_true(canned_was_sent(f, "CHATHISTORY AFTER #lobby timestamp=2026-01-01T09:00:13.999Z 50"));
	fill_page(f, "b4", "#lobby", 14, 2);
	g_autofree char *last = texts(f->s, "#lobby");
	g_assert_true(g_str_has_suffix(last, "|line 13|line 14|line 15"));
}

/* A FAIL for one conversation's request leaves the others' alone: #lobby
 * can still load older pages after dave's LATEST was refused. */
static void test_fail_is_for_one_conversation(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	fill_page(f, "b1", "#lobby", 100, 50); /* a full page: there is more before */
	canned_feed(f, ":irc.test BATCH +t draft/chathistory-targets");
	canned_feed(f, "@batch=t :irc.test CHATHISTORY TARGETS dave 2026-01-01T09:00:00.000Z");
	canned_feed(f, ":irc.test BATCH -t");
	g_assert_true(canned_was_sent(f, "CHATHISTORY LATEST dave * 50"));
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	g_assert_true(natter_session_load_older(f->s, lobby)); /* BEFORE #lobby pending too */
	canned_feed(f, ":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST dave :Messages could not be "
		"retrieved");
	fill_page(f, "b2", "#lobby", 50, 50);
	g_ptr_array_set_size(f->sent, 0);
	g_assert_true(natter_session_load_older(f->s, lobby));
	g_assert_cmpuint(count_prefix(f, "CHATHISTORY BEFORE #lobby"), ==, 1);
}

/* TARGETS opens the private conversations the server remembers. */
static void test_targets(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	canned_feed(f, ":irc.test BATCH +t draft/chathistory-targets");
	canned_feed(f, "@batch=t :irc.test CHATHISTORY TARGETS #lobby 2026-01-01T10:00:00.000Z");
	canned_feed(f, "@batch=t :irc.test CHATHISTORY TARGETS dave 2026-01-01T09:00:00.000Z");
	canned_feed(f, ":irc.test BATCH -t");
	NatterConversation *dave = natter_session_find_conversation(f->s, "dave");
	g_assert_nonnull(dave);
	g_assert_cmpint(natter_conversation_get_kind(dave), ==, NATTER_CONVERSATION_PRIVATE);
	g_assert_true(canned_was_sent(f, "CHATHISTORY LATEST dave * 50"));
	g_assert_cmpuint(count_prefix(f, "CHATHISTORY LATEST #lobby"), ==, 0);
	canned_feed(f, ":irc.test BATCH +p chathistory dave");
	canned_feed(f, "@batch=p;time=2026-01-01T09:00:00.000Z;msgid=d1 :dave!u@h PRIVMSG me :are you there?");
	canned_feed(f, "@batch=p;time=2026-01-01T09:01:00.000Z;msgid=d2 :me!u@h PRIVMSG dave :yes");
	canned_feed(f, ":irc.test BATCH -p");
	g_autofree char *t = texts(f->s, "dave");
	g_assert_cmpstr(t, ==, "are you there?|yes");
	GListModel *msgs = natter_conversation_get_messages(dave);
	g_autoptr(NatterMessage) own = g_list_model_get_item(msgs, 1);
	g_assert_true(natter_message_is_own(own));
}

/* REDACT removes the line it names; only our own lines can be redacted. */
static void test_redaction(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	canned_feed(f, "@time=2026-01-01T10:00:00.000Z;msgid=a :bob!u@h PRIVMSG #lobby :oops");
	canned_feed(f, "@time=2026-01-01T10:00:01.000Z;msgid=b :me!u@h PRIVMSG #lobby :mine");
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	GListModel *msgs = natter_conversation_get_messages(lobby);
	guint n = g_list_model_get_n_items(msgs);
	g_autoptr(NatterMessage) bobs = g_list_model_get_item(msgs, n - 2);
	g_autoptr(NatterMessage) mine = g_list_model_get_item(msgs, n - 1);
	g_assert_false(natter_session_can_redact(f->s, bobs));
	g_assert_true(natter_session_can_redact(f->s, mine));
	g_assert_true(natter_session_redact(f->s, lobby, mine));
	g_assert_true(canned_was_sent(f, "REDACT #lobby b"));
	canned_feed(f, ":me!u@h REDACT #lobby b");
	canned_feed(f, ":alice!u@h REDACT #lobby a :spam");
	g_autofree char *t = texts(f->s, "#lobby");
	g_assert_cmpstr(t, ==, "");
	/* a refusal is explained */
	canned_feed(f, ":irc.test FAIL REDACT REDACT_FORBIDDEN #lobby x :no");
	g_autoptr(NatterMessage) err = g_list_model_get_item(msgs, g_list_model_get_n_items(msgs) - 1);
	g_assert_cmpint(natter_message_get_kind(err), ==, NATTER_MESSAGE_ERROR);
}

/* MARKREAD sets the unread count of a conversation not on screen; marking
 * read sends the newest line's time. */
static void test_read_marker(Canned *f, gconstpointer data)
{
	(void)data;
	welcome(f);
	canned_feed(f, ":me!u@h JOIN #side");
	NatterConversation *side = natter_session_find_conversation(f->s, "#side");
	NatterConversation *lobby = natter_session_find_conversation(f->s, "#lobby");
	natter_session_set_active(f->s, lobby);
	canned_feed(f, ":irc.test BATCH +s chathistory #side");
	canned_feed(f, "@batch=s;time=2026-01-01T09:00:00.000Z;msgid=s1 :bob!u@h PRIVMSG #side :a");
	canned_feed(f, "@batch=s;time=2026-01-01T09:01:00.000Z;msgid=s2 :bob!u@h PRIVMSG #side :b");
	canned_feed(f, "@batch=s;time=2026-01-01T09:02:00.000Z;msgid=s3 :bob!u@h PRIVMSG #side :c");
	canned_feed(f, ":irc.test BATCH -s");
	g_assert_cmpuint(natter_conversation_get_unread(side), ==, 0); /* no marker yet */
	canned_feed(f, ":irc.test MARKREAD #side timestamp=2026-01-01T09:00:30.000Z");
	g_assert_cmpuint(natter_conversation_get_unread(side), ==, 2);
	GDateTime *marker = natter_session_get_read_marker(f->s, side);
	g_assert_nonnull(marker);
	g_assert_cmpint(g_date_time_to_unix(marker), ==, 1767258030);
	/* read on another connection of the account */
	canned_feed(f, ":irc.test MARKREAD #side timestamp=2026-01-01T09:02:00.000Z");
	g_assert_cmpuint(natter_conversation_get_unread(side), ==, 0);
	/* an older marker never moves it back */
	canned_feed(f, ":irc.test MARKREAD #side timestamp=2026-01-01T09:00:00.000Z");
	g_assert_cmpint(g_date_time_to_unix(natter_session_get_read_marker(f->s, side)), ==, 1767258120);
	/* reading here: MARKREAD up to the newest line, once */
	g_ptr_array_set_size(f->sent, 0);
	canned_feed(f, "@time=2026-01-01T09:03:00.500Z;msgid=s4 :bob!u@h PRIVMSG #side :d");
	g_assert_true(natter_session_mark_read(f->s, side));
	g_assert_true(canned_was_sent(f, "MARKREAD #side timestamp=2026-01-01T09:03:00.500Z"));
	g_assert_false(natter_session_mark_read(f->s, side));
	/* a busy room: the next ones wait, and only the last goes, once */
	g_ptr_array_set_size(f->sent, 0);
	canned_feed(f, "@time=2026-01-01T09:04:00.000Z;msgid=s5 :bob!u@h PRIVMSG #side :e");
	g_assert_true(natter_session_mark_read(f->s, side));
	canned_feed(f, "@time=2026-01-01T09:05:00.000Z;msgid=s6 :bob!u@h PRIVMSG #side :f");
	g_assert_true(natter_session_mark_read(f->s, side));
	g_assert_cmpuint(count_prefix(f, "MARKREAD"), ==, 0);
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (count_prefix(f, "MARKREAD") == 0 && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(count_prefix(f, "MARKREAD"), ==, 1);
	g_assert_true(canned_was_sent(f, "MARKREAD #side timestamp=2026-01-01T09:05:00.000Z"));
}

/* ---------------------------------------------------------------- real natterd */

typedef struct {
	TestServer *server;
	NatterSession *session;
	GError *failed;
} Live;

static void on_opened(NatterSession *s, NatterConversation *c, gboolean focus, Live *f)
{
	(void)f;
	if (focus)
		natter_session_set_active(s, c);
}

static NatterSession *new_session(Live *f)
{
	NatterSession *s = natter_session_new();
	test_track_failure(s, &f->failed);
	g_signal_connect(s, "conversation-opened", G_CALLBACK(on_opened), f);
	return s;
}

static void live_setup(Live *f, gconstpointer data)
{
	(void)data;
	f->server = test_server_start();
	f->session = new_session(f);
}

static void live_teardown(Live *f, gconstpointer data)
{
	(void)data;
	g_clear_object(&f->session);
	g_clear_error(&f->failed);
	test_server_free(f->server);
	test_pump(0);
}

static void connect_as(Live *f, NatterSession *s, const char *nick)
{
	test_session_connect(s, f->server->port, nick, &f->failed, TRUE);
	g_assert_true(natter_session_has_cap(s, "draft/chathistory"));
}

static gboolean idle_history(NatterSession *s, const char *conv)
{
	NatterConversation *c = natter_session_find_conversation(s, conv);
	return c != NULL && !natter_session_history_loading(s, c);
}

/* Counts lines of @conv whose text is @text. */
static guint count_text(NatterSession *s, const char *conv, const char *text)
{
	NatterConversation *c = natter_session_find_conversation(s, conv);
	guint n = 0;
	if (c == NULL)
		return 0;
	GListModel *msgs = natter_conversation_get_messages(c);
	for (guint i = 0; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		if (strcmp(natter_message_get_text(m), text) == 0)
			n++;
	}
	return n;
}

/* bob says things in #lobby, waiting for each echo (so each is stored). */
static void bob_says(RawClient *bob, const char *target, int first, int count)
{
	for (int i = first; i < first + count; i++) {
		raw_send(bob, "PRIVMSG %s :said %d", target, i);
		raw_send(bob, "PING :said%d", i);
		g_autofree char *pong = g_strdup_printf("said%d", i);
		g_free(raw_expect(bob, pong));
	}
}

/* A late joiner sees what was said before, in order, with its time. */
static void test_late_joiner(Live *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	bob_says(bob, "#lobby", 0, 5);

	connect_as(f, f->session, "alice");
	TEST_WAIT(count_text(f->session, "#lobby", "said 4") == 1);
	TEST_WAIT(idle_history(f->session, "#lobby"));
	NatterConversation *lobby = natter_session_find_conversation(f->session, "#lobby");
	g_assert_true(natter_session_history_complete(f->session, lobby));
	GListModel *msgs = natter_conversation_get_messages(lobby);
	int next = 0;
	for (guint i = 0; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		if (!g_str_has_prefix(natter_message_get_text(m), "said "))
			continue;
		g_autofree char *want = g_strdup_printf("said %d", next++);
		g_assert_cmpstr(natter_message_get_text(m), ==, want);
		g_assert_cmpstr(natter_message_get_nick(m), ==, "bob");
		g_assert_nonnull(natter_message_get_msgid(m));
	}
	g_assert_cmpint(next, ==, 5);
	raw_close(bob);
}

/* A reconnect fills the gap: what was said while away shows once. */
static void test_reconnect_fills_gap(Live *f, gconstpointer data)
{
	(void)data;
	natter_session_set_reconnect_base(f->session, 1);
	connect_as(f, f->session, "alice");
	TEST_WAIT(idle_history(f->session, "#lobby"));
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	bob_says(bob, "#lobby", 0, 3);
	TEST_WAIT(count_text(f->session, "#lobby", "said 2") == 1);

	/* alice's connection drops (killed by an operator-less trick: the
	 * server restarts); bob keeps talking on the new server meanwhile */
	raw_close(bob);
	test_server_stop(f->server);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_RECONNECT_WAIT);
	test_server_restart(f->server);
	bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	bob_says(bob, "#lobby", 3, 4);

	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_CONNECTED);
	TEST_WAIT(test_in_room(f->session, "#lobby"));
	TEST_WAIT(count_text(f->session, "#lobby", "said 6") == 1);
	TEST_WAIT(idle_history(f->session, "#lobby"));
	for (int i = 0; i < 7; i++) {
		g_autofree char *t = g_strdup_printf("said %d", i);
		g_assert_cmpuint(count_text(f->session, "#lobby", t), ==, 1);
	}
	raw_close(bob);
}

/* The msgid of @conv's line whose text is @text. */
static char *msgid_of(NatterSession *s, const char *conv, const char *text)
{
	NatterConversation *c = natter_session_find_conversation(s, conv);
	GListModel *msgs = natter_conversation_get_messages(c);
	for (guint i = 0; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		if (strcmp(natter_message_get_text(m), text) == 0)
			return g_strdup(natter_message_get_msgid(m));
	}
	return NULL;
}

/* The last line alice saw is deleted while she is away (bob redacts it):
 * natterd answers AFTER msgid=<it> with an empty batch, and the client
 * still fills the gap (by time), once. */
static void test_reconnect_gap_after_redaction(Live *f, gconstpointer data)
{
	(void)data;
	natter_session_set_reconnect_base(f->session, 1);
	connect_as(f, f->session, "alice");
	TEST_WAIT(idle_history(f->session, "#lobby"));
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	bob_says(bob, "#lobby", 0, 3);
	TEST_WAIT(count_text(f->session, "#lobby", "said 2") == 1);
	g_autofree char *last_seen = msgid_of(f->session, "#lobby", "said 2");
	g_assert_nonnull(last_seen);

	/* alice drops and waits (a long backoff: she comes back only when
	 * told, after bob is done) */
	raw_close(bob);
	natter_session_set_reconnect_base(f->session, 300);
	test_server_stop(f->server);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_RECONNECT_WAIT);
	test_server_restart(f->server);
	bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	raw_send(bob, "REDACT #lobby %s", last_seen);
	bob_says(bob, "#lobby", 3, 4);
	g_assert_null(raw_expect_within(bob, "FAIL REDACT", 200));

	natter_session_reconnect_now(f->session);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_CONNECTED);
	TEST_WAIT(test_in_room(f->session, "#lobby"));
	TEST_WAIT(count_text(f->session, "#lobby", "said 6") == 1);
	TEST_WAIT(idle_history(f->session, "#lobby"));
	for (int i = 0; i < 7; i++) {
		g_autofree char *t = g_strdup_printf("said %d", i);
		g_assert_cmpuint(count_text(f->session, "#lobby", t), ==, 1);
	}
	raw_close(bob);
}

/* Scrolling back: BEFORE pages until the start, in order, no duplicate. */
static void test_before_pages(Live *f, gconstpointer data)
{
	(void)data;
	/* pages of 20; bob may talk fast */
	test_server_free(f->server);
	f->server = test_server_start_with_config("[limits]\nflood_burst=1000\nflood_rate=1000\n"
						  "[history]\nquery_limit=20\n");
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	bob_says(bob, "#lobby", 0, 50);

	connect_as(f, f->session, "alice");
	TEST_WAIT(count_text(f->session, "#lobby", "said 49") == 1);
	TEST_WAIT(idle_history(f->session, "#lobby"));
	NatterConversation *lobby = natter_session_find_conversation(f->session, "#lobby");
	/* one page: the last 20 lines (alice's own JOIN may be the newest of
	 * them, with event-playback, when it was stored in time) */
	g_assert_cmpuint(count_text(f->session, "#lobby", "said 29"), ==, 0);
	g_assert_cmpuint(count_text(f->session, "#lobby", "said 31"), ==, 1);
	int pages = 0;
	while (natter_session_load_older(f->session, lobby)) {
		pages++;
		TEST_WAIT(idle_history(f->session, "#lobby"));
	}
	/* 20 + 20 + the rest (11 lines and bob's JOIN) */
	g_assert_cmpint(pages, ==, 2);
	g_assert_true(natter_session_history_complete(f->session, lobby));
	GListModel *msgs = natter_conversation_get_messages(lobby);
	int next = 0;
	for (guint i = 0; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		if (!g_str_has_prefix(natter_message_get_text(m), "said "))
			continue;
		g_autofree char *want = g_strdup_printf("said %d", next++);
		g_assert_cmpstr(natter_message_get_text(m), ==, want);
	}
	g_assert_cmpint(next, ==, 50);
	raw_close(bob);
}

/* A private chat comes back in a new client (a restart): TARGETS + LATEST. */
static void test_private_after_restart(Live *f, gconstpointer data)
{
	(void)data;
	connect_as(f, f->session, "alice");
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	raw_send(bob, "PRIVMSG alice :psst, alice");
	raw_send(bob, "PING :sent");
	g_free(raw_expect(bob, "sent"));
	TEST_WAIT(count_text(f->session, "bob", "psst, alice") == 1);
	natter_session_disconnect(f->session, "bye");
	g_clear_object(&f->session);
	g_free(raw_expect(bob, "QUIT")); /* the name is free again */

	f->session = new_session(f);
	connect_as(f, f->session, "alice");
	TEST_WAIT(count_text(f->session, "bob", "psst, alice") == 1);
	TEST_WAIT(idle_history(f->session, "bob"));
	g_assert_cmpuint(count_text(f->session, "bob", "psst, alice"), ==, 1);
	raw_close(bob);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/history/canned/latest-batch", Canned, NULL, canned_setup, test_latest_batch, canned_teardown);
	g_test_add("/history/canned/before-paging", Canned, NULL, canned_setup, test_before_paging, canned_teardown);
	g_test_add("/history/canned/same-millisecond", Canned, NULL, canned_setup, test_same_millisecond, canned_teardown);
	g_test_add("/history/canned/reconnect-gap", Canned, NULL, canned_setup, test_reconnect_gap, canned_teardown);
	g_test_add("/history/canned/fail-is-for-one-conversation", Canned, NULL, canned_setup,
		   test_fail_is_for_one_conversation, canned_teardown);
	g_test_add("/history/canned/reconnect-gap-unknown-msgid", Canned, NULL, canned_setup,
		   test_reconnect_gap_unknown_msgid, canned_teardown);
	g_test_add("/history/canned/targets", Canned, NULL, canned_setup, test_targets, canned_teardown);
	g_test_add("/history/canned/redaction", Canned, NULL, canned_setup, test_redaction, canned_teardown);
	g_test_add("/history/canned/read-marker", Canned, NULL, canned_setup, test_read_marker, canned_teardown);
	g_test_add("/history/natterd/late-joiner", Live, NULL, live_setup, test_late_joiner, live_teardown);
	g_test_add("/history/natterd/reconnect-fills-gap", Live, NULL, live_setup, test_reconnect_fills_gap, live_teardown);
	g_test_add("/history/natterd/reconnect-gap-after-redaction", Live, NULL, live_setup,
		   test_reconnect_gap_after_redaction, live_teardown);
	g_test_add("/history/natterd/before-pages", Live, NULL, live_setup, test_before_pages, live_teardown);
	g_test_add("/history/natterd/private-after-restart", Live, NULL, live_setup, test_private_after_restart, live_teardown);
	return g_test_run();
}
