/* test-history-gui.c - history in the real natter window (issue 11), in
 * process under Xvfb, against the real natterd with raw socket clients as
 * the other people: a window that joins late sees what was said before, a
 * reconnect fills the gap with no duplicate, scrolling up loads older
 * messages without the view jumping, and your own line can be deleted from
 * its menu. Screenshots go to $NATTER_ARTIFACTS (natter-history-*.png). */
#include <string.h>

#include "natter-application.h"
#include "natter-history.h"
#include "natter-message-view.h"
#include "natter-settings.h"
#include "natter-window.h"
#include "natterd-harness.h"
#include "session-helpers.h"
#include "window-helpers.h"

typedef struct {
	TestServer *server;
	NatterWindow *win;
	NatterSession *session;
} Fixture;

static void start_window(Fixture *f)
{
	f->win = g_object_ref_sink(natter_window_new(NULL));
	f->session = natter_window_get_session(f->win);
	natter_session_set_reconnect_base(f->session, 1);
	gtk_window_set_default_size(GTK_WINDOW(f->win), 800, 500);
	gtk_window_present(GTK_WINDOW(f->win));
	gtk_test_widget_wait_for_draw(GTK_WIDGET(f->win));
}

static void setup(Fixture *f, gconstpointer data)
{
	(void)data;
	f->server = test_server_start_with_config("[limits]\nflood_burst=1000\nflood_rate=1000\n"
						  "[history]\nquery_limit=20\n");
}

static void teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	if (f->win != NULL)
		gtk_window_destroy(GTK_WINDOW(f->win));
	g_clear_object(&f->win);
	test_pump(0);
	test_server_free(f->server);
	test_pump(0);
}

static NatterMessageView *message_view(Fixture *f)
{
	return NATTER_MESSAGE_VIEW(test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MESSAGE_VIEW));
}

static GtkAdjustment *message_adjustment(Fixture *f)
{
	return test_message_adjustment(GTK_WIDGET(f->win));
}

static void settle(Fixture *f)
{
	test_settle(GTK_WIDGET(f->win));
}

static void connect_as(Fixture *f, const char *nick)
{
	natter_window_fill(f->win, "127.0.0.1", f->server->port, nick);
	natter_window_connect(f->win);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_CONNECTED);
	TEST_WAIT(test_in_room(f->session, NATTER_LOBBY));
}

/* How many lines the window shows (in the view's model) with text @text. */
static guint shown_count(Fixture *f, const char *text)
{
	GListModel *lines = natter_message_view_get_shown(message_view(f));
	guint n = 0;
	for (guint i = 0; lines != NULL && i < g_list_model_get_n_items(lines); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(lines, i);
		if (strcmp(natter_message_get_text(m), text) == 0)
			n++;
	}
	return n;
}

static RawClient *bob_in_lobby(Fixture *f)
{
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	return bob;
}

/* bob says "said first".."said first+count-1", each stored before the next. */
static void bob_says(RawClient *bob, int first, int count)
{
	for (int i = first; i < first + count; i++)
		raw_send(bob, "PRIVMSG #lobby :said %d", i);
	raw_send(bob, "PING :done%d", first);
	g_autofree char *pong = g_strdup_printf("done%d", first);
	g_free(raw_expect(bob, pong));
}

static void screenshot(Fixture *f, const char *name)
{
	g_autofree char *path = test_artifact_path(name);

	if (path != NULL)
		test_save_png(GTK_WIDGET(f->win), path);
}

/* The text of the message row drawn at @y (view coordinates), or "". */
static char *line_at(Fixture *f, double y)
{
	GtkWidget *scroller = test_find_widget(GTK_WIDGET(message_view(f)), GTK_TYPE_SCROLLED_WINDOW);
	double x = gtk_widget_get_width(scroller) / 3.0;
	for (double yy = y; yy < y + 40; yy += 2) {
		GtkWidget *hit = gtk_widget_pick(scroller, x, yy, GTK_PICK_DEFAULT);
		GtkWidget *label = hit != NULL && GTK_IS_LABEL(hit) ? hit
				   : hit != NULL ? gtk_widget_get_ancestor(hit, GTK_TYPE_LABEL) : NULL;
		if (label != NULL && gtk_widget_has_css_class(label, "message"))
			return g_strdup(gtk_label_get_text(GTK_LABEL(label)));
	}
	return g_strdup("");
}

/* A window that joins late sees what was said before, in order. */
static void test_late_joiner(Fixture *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = bob_in_lobby(f);
	bob_says(bob, 0, 5);
	start_window(f);
	connect_as(f, "alice");
	TEST_WAIT(shown_count(f, "said 4") == 1);
	GListModel *lines = natter_message_view_get_shown(message_view(f));
	int next = 0;
	for (guint i = 0; i < g_list_model_get_n_items(lines); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(lines, i);
		if (g_str_has_prefix(natter_message_get_text(m), "said ")) {
			g_autofree char *want = g_strdup_printf("said %d", next++);
			g_assert_cmpstr(natter_message_get_text(m), ==, want);
		}
	}
	g_assert_cmpint(next, ==, 5);
	settle(f);
	screenshot(f, "natter-history-late-joiner.png");
	raw_close(bob);
}

/* A reconnect fills the gap, each line once. */
static void test_reconnect_gap(Fixture *f, gconstpointer data)
{
	(void)data;
	start_window(f);
	connect_as(f, "alice");
	RawClient *bob = bob_in_lobby(f);
	bob_says(bob, 0, 2);
	TEST_WAIT(shown_count(f, "said 1") == 1);
	raw_close(bob);

	test_server_stop(f->server);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_RECONNECT_WAIT);
	test_server_restart(f->server);
	bob = bob_in_lobby(f);
	bob_says(bob, 2, 3); /* while alice is still away, or just back */
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_CONNECTED);
	TEST_WAIT(shown_count(f, "said 4") == 1);
	TEST_WAIT(!natter_session_history_loading(f->session,
						  natter_session_find_conversation(f->session, NATTER_LOBBY)));
	settle(f);
	for (int i = 0; i < 5; i++) {
		g_autofree char *t = g_strdup_printf("said %d", i);
		g_assert_cmpuint(shown_count(f, t), ==, 1);
	}
	screenshot(f, "natter-history-reconnect.png");
	raw_close(bob);
}

/* Scrolling to the top loads the page before; the lines in view stay put. */
static void test_scroll_loads_older(Fixture *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = bob_in_lobby(f);
	bob_says(bob, 0, 60);
	start_window(f);
	connect_as(f, "alice");
	NatterConversation *lobby = natter_session_find_conversation(f->session, NATTER_LOBBY);
	TEST_WAIT(shown_count(f, "said 59") == 1);
	TEST_WAIT(!natter_session_history_loading(f->session, lobby));
	settle(f);
	g_assert_cmpuint(shown_count(f, "said 39"), ==, 0); /* one page of 20 */

	GtkAdjustment *adj = message_adjustment(f);
	int pages = 0;
	while (!natter_session_history_complete(f->session, lobby) && pages < 10) {
		/* the oldest line shown; the person drags the scroll bar to the top */
		GListModel *lines = natter_message_view_get_shown(message_view(f));
		g_autoptr(NatterMessage) first = g_list_model_get_item(lines, 0);
		g_autofree char *top_before = g_strdup(natter_message_get_text(first));
		gtk_adjustment_set_value(adj, 0);
		g_assert_true(natter_session_history_loading(f->session, lobby));
		TEST_WAIT(!natter_session_history_loading(f->session, lobby));
		settle(f);
		pages++;
		g_test_message("page %d: value %.0f upper %.0f page %.0f", pages,
			       gtk_adjustment_get_value(adj), gtk_adjustment_get_upper(adj),
			       gtk_adjustment_get_page_size(adj));
		/* the older page went above, out of view: the line that was at
		 * the top is still on screen */
		g_assert_cmpfloat(gtk_adjustment_get_value(adj), >, 0.0);
		gboolean still = FALSE;
		for (double y = 0; y < gtk_adjustment_get_page_size(adj) && !still; y += 10) {
			g_autofree char *t = line_at(f, y);
			still = strstr(t, top_before) != NULL;
		}
		if (!still)
			g_error("after loading page %d the line “%s” left the view", pages, top_before);
		if (pages == 1)
			screenshot(f, "natter-history-scrolled-up.png");
	}
	g_assert_cmpint(pages, >=, 2);
	g_assert_true(natter_session_history_complete(f->session, lobby));
	for (int i = 0; i < 60; i++) {
		g_autofree char *t = g_strdup_printf("said %d", i);
		g_assert_cmpuint(shown_count(f, t), ==, 1);
	}
	raw_close(bob);
}

/* Delete your own line from its menu; it disappears here and for others
 * with message-redaction. */
static void test_delete_own(Fixture *f, gconstpointer data)
{
	(void)data;
	start_window(f);
	connect_as(f, "alice");
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "CAP REQ :draft/message-redaction");
	g_free(raw_expect(bob, "ACK"));
	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	GError *error = NULL;
	g_assert_true(natter_session_send_input(f->session, "a typo", &error));
	g_assert_no_error(error);
	g_free(raw_expect(bob, "a typo"));
	TEST_WAIT(shown_count(f, "a typo") == 1);
	settle(f);

	GListModel *lines = natter_message_view_get_shown(message_view(f));
	g_autoptr(NatterMessage) mine = NULL;
	for (guint i = 0; i < g_list_model_get_n_items(lines) && mine == NULL; i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(lines, i);
		if (strcmp(natter_message_get_text(m), "a typo") == 0)
			mine = g_object_ref(m);
	}
	g_assert_nonnull(mine);
	/* the menu of someone else's line has nothing to offer */
	g_assert_true(natter_message_view_popup_menu(message_view(f), mine, 100, 100));
	settle(f);
	screenshot(f, "natter-history-delete-menu.png");
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(message_view(f)), "message.delete", NULL));
	g_autofree char *redact = raw_expect(bob, "REDACT #lobby");
	g_assert_nonnull(strstr(redact, natter_message_get_msgid(mine)));
	TEST_WAIT(shown_count(f, "a typo") == 0);
	raw_close(bob);
}

static GtkWidget *find_label(GtkWidget *root, const char *text)
{
	if (!gtk_widget_get_mapped(root))
		return NULL;
	if (GTK_IS_LABEL(root) && strcmp(gtk_label_get_text(GTK_LABEL(root)), text) == 0)
		return root;
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *hit = find_label(c, text);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

static guint unread_of(NatterSession *s, const char *conv)
{
	NatterConversation *c = natter_session_find_conversation(s, conv);
	return c != NULL ? natter_conversation_get_unread(c) : G_MAXUINT;
}

/* Read in one window, closed, then two more lines: the next window shows
 * 2 unread for the chat and the separator above the first of them. */
static void test_read_marker_after_restart(Fixture *f, gconstpointer data)
{
	(void)data;
	start_window(f);
	connect_as(f, "alice");
	RawClient *bob = bob_in_lobby(f);
	raw_send(bob, "PRIVMSG alice :hello 1");
	TEST_WAIT(natter_session_find_conversation(f->session, "bob") != NULL &&
		  unread_of(f->session, "bob") == 1);
	/* alice reads it: the chat on screen, at its newest line */
	NatterConversation *chat = natter_session_find_conversation(f->session, "bob");
	natter_session_set_active(f->session, chat);
	settle(f);
	if (!gtk_window_is_active(GTK_WINDOW(f->win))) {
		/* no window manager gives the window focus under Xvfb */
		g_test_message("window not active under Xvfb: marking read directly");
		natter_message_view_mark_read(message_view(f));
		g_assert_true(natter_session_mark_read(f->session, chat));
	}
	TEST_WAIT(natter_session_get_read_marker(f->session, chat) != NULL);
	natter_session_set_active(f->session, natter_session_find_conversation(f->session, NATTER_LOBBY));
	raw_send(bob, "PRIVMSG alice :hello 2");
	raw_send(bob, "PRIVMSG alice :hello 3");
	TEST_WAIT(unread_of(f->session, "bob") == 2);
	natter_session_disconnect(f->session, "see you tomorrow");
	g_free(raw_expect(bob, "QUIT"));
	gtk_window_destroy(GTK_WINDOW(f->win));
	g_clear_object(&f->win);
	test_pump(0);

	/* the next morning */
	start_window(f);
	connect_as(f, "alice");
	TEST_WAIT(natter_session_find_conversation(f->session, "bob") != NULL);
	TEST_WAIT(unread_of(f->session, "bob") == 2);
	settle(f);
	screenshot(f, "natter-history-unread-after-restart.png");
	chat = natter_session_find_conversation(f->session, "bob");
	natter_session_set_active(f->session, chat);
	settle(f);
	GtkWidget *sep = find_label(GTK_WIDGET(message_view(f)), "Unread messages");
	g_assert_nonnull(sep);
	/* right above "hello 2" */
	GtkWidget *row_label = gtk_widget_get_next_sibling(sep);
	g_assert_nonnull(strstr(gtk_label_get_text(GTK_LABEL(row_label)), "hello 2"));
	screenshot(f, "natter-history-read-marker.png");
	raw_close(bob);
}

static gboolean conversation_has(NatterSession *s, const char *conv, const char *text)
{
	NatterConversation *c = natter_session_find_conversation(s, conv);
	GListModel *msgs = c != NULL ? natter_conversation_get_messages(c) : NULL;
	for (guint i = 0; msgs != NULL && i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		if (g_strcmp0(natter_message_get_text(m), text) == 0)
			return TRUE;
	}
	return FALSE;
}

/* In #dev yesterday, natter closed, something said in #dev overnight: the
 * next start rejoins #dev by itself and shows what was said. */
static void test_rooms_come_back_after_restart(Fixture *f, gconstpointer data)
{
	(void)data;
	g_autoptr(GError) error = NULL;
	start_window(f);
	connect_as(f, "dora");
	g_assert_true(natter_session_send_input(f->session, "/join #dev", &error));
	TEST_WAIT(natter_session_find_conversation(f->session, "#dev") != NULL);
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #dev");
	g_free(raw_expect(bob, " 366 "));
	natter_session_disconnect(f->session, "good night");
	g_free(raw_expect(bob, "QUIT"));
	gtk_window_destroy(GTK_WINDOW(f->win));
	g_clear_object(&f->win);
	test_pump(0);
	raw_send(bob, "PRIVMSG #dev :said overnight");
	raw_send(bob, "PING :sent");
	g_free(raw_expect(bob, "PONG"));

	/* the next morning */
	{
		g_auto(GStrv) kept = natter_settings_load_rooms("dora");
		g_test_message("rooms remembered for dora: %u", g_strv_length(kept));
	}
	start_window(f);
	connect_as(f, "dora");
	TEST_WAIT(natter_session_find_conversation(f->session, "#dev") != NULL);
	TEST_WAIT(conversation_has(f->session, "#dev", "said overnight"));
	raw_close(bob);
}

int main(int argc, char **argv)
{
	/* Keep the remembered connection out of the real config dir. */
	test_gui_init(&argc, &argv, "natter-history-gui-XXXXXX");
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/history-gui/late-joiner", test_late_joiner);
	ADD("/history-gui/reconnect-fills-gap", test_reconnect_gap);
	ADD("/history-gui/scroll-loads-older", test_scroll_loads_older);
	ADD("/history-gui/delete-own", test_delete_own);
	ADD("/history-gui/read-marker-after-restart", test_read_marker_after_restart);
	ADD("/history-gui/rooms-come-back-after-restart", test_rooms_come_back_after_restart);
	return test_gui_run();
}
