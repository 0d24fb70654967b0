/* test-widgets.c - the real natter window, in process (GTest + GTK test
 * utilities, GTK_A11Y=test), against the real natterd on a free loopback
 * port with raw socket clients as the other people: keyboard-only connect,
 * accessible names on every control, Tab completion, Up/Down history, text
 * kept on failure, no member pane in private chats, the desktop notification
 * for a private message while the window is not focused, and a screenshot
 * of #lobby (tests/artifacts/natter-lobby.png).
 *
 * Needs a display: meson runs it through with-xvfb.sh. */
#include <math.h>
#include <time.h>
#include <string.h>

#include <glib/gstdio.h>

#include "natter-application.h"
#include "natter-chat-page.h"
#include "natter-connect-page.h"
#include "natter-conversation-list.h"
#include "natter-history.h"
#include "natter-room-info.h"
#include "natter-whois-card.h"
#include "natter-server-info.h"
#include "natter-input-bar.h"
#include "natter-input.h"
#include "natter-member-list.h"
#include "natter-message-view.h"
#include "natter-settings.h"
#include "natter-window.h"
#include "natterd-harness.h"
#include "session-helpers.h"
#include "window-helpers.h"

typedef struct {
	char *id, *title, *body, *conversation;
} Notification;

typedef struct {
	TestServer *server;
	NatterWindow *win;
	NatterSession *session;
	GPtrArray *notes; /* Notification, from the window's notify seam */
} Fixture;

static void notification_free(gpointer data)
{
	Notification *n = data;

	g_free(n->id);
	g_free(n->title);
	g_free(n->body);
	g_free(n->conversation);
	g_free(n);
}

static void record_notification(NatterWindow *win, const char *id, const char *title,
				const char *body, const char *conversation, gpointer data)
{
	Fixture *f = data;
	Notification *n = g_new0(Notification, 1);

	g_assert_true(win == f->win);
	n->id = g_strdup(id);
	n->title = g_strdup(title);
	n->body = g_strdup(body);
	n->conversation = g_strdup(conversation);
	g_ptr_array_add(f->notes, n);
}

static void setup(Fixture *f, gconstpointer data)
{
	(void)data;
	/* Each test starts as a first run: natter.ini would otherwise carry the
	 * rooms an earlier test joined, and the window would rejoin them. */
	g_autofree char *ini = natter_settings_path();
	g_unlink(ini);
	f->server = test_server_start();
	f->win = g_object_ref_sink(natter_window_new(NULL));
	f->session = natter_window_get_session(f->win);
	f->notes = g_ptr_array_new_with_free_func(notification_free);
	natter_window_set_notify_func(f->win, record_notification, f);
	natter_session_set_reconnect_base(f->session, 1);
}

static void teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	gtk_window_destroy(GTK_WINDOW(f->win));
	g_clear_object(&f->win);
	test_pump(0);
	g_ptr_array_unref(f->notes);
	test_server_free(f->server);
	test_pump(0);
}

/* ---------------------------------------------------------------- helpers */

static void show_window(Fixture *f)
{
	gtk_window_present(GTK_WINDOW(f->win));
	gtk_test_widget_wait_for_draw(GTK_WIDGET(f->win));
}

/* The visible GtkButton or GtkLabel showing @text under @root, or NULL. */
static GtkWidget *find_text(GtkWidget *root, GType type, const char *text)
{
	if (!gtk_widget_get_visible(root))
		return NULL;
	if (type == GTK_TYPE_BUTTON && GTK_IS_BUTTON(root) &&
	    g_strcmp0(gtk_button_get_label(GTK_BUTTON(root)), text) == 0)
		return root;
	if (type == GTK_TYPE_LABEL && GTK_IS_LABEL(root) &&
	    g_strcmp0(gtk_label_get_text(GTK_LABEL(root)), text) == 0)
		return root;
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *hit = find_text(c, type, text);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

/* The GtkEntry whose accessible label is @label. */
static GtkEntry *find_entry(GtkWidget *root, const char *label)
{
	if (GTK_IS_ENTRY(root)) {
		g_autofree char *diff = gtk_test_accessible_check_property(
			GTK_ACCESSIBLE(root), GTK_ACCESSIBLE_PROPERTY_LABEL, label);
		if (diff == NULL)
			return GTK_ENTRY(root);
	}
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkEntry *hit = find_entry(c, label);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

static const char *entry_text(GtkEntry *e)
{
	return gtk_editable_get_text(GTK_EDITABLE(e));
}

static void set_entry(GtkEntry *e, const char *text)
{
	gtk_editable_set_text(GTK_EDITABLE(e), text);
	gtk_editable_set_position(GTK_EDITABLE(e), -1);
}

static NatterInputBar *input_bar(Fixture *f)
{
	return NATTER_INPUT_BAR(test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_INPUT_BAR));
}

static GtkEntry *message_entry(Fixture *f)
{
	return find_entry(GTK_WIDGET(input_bar(f)), "Message");
}

/* Connects as @nick through the connect screen's own code path. */
static void connect_as(Fixture *f, const char *nick)
{
	natter_window_fill(f->win, "127.0.0.1", f->server->port, nick);
	natter_window_connect(f->win);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_CONNECTED);
	TEST_WAIT(test_in_room(f->session, NATTER_LOBBY));
	TEST_WAIT(test_has_member(f->session, NATTER_LOBBY, nick));
}

/* Another person in #lobby, seen by the window. */
static RawClient *join_lobby(Fixture *f, const char *nick)
{
	RawClient *c = raw_connect(f->server->port, nick);
	raw_send(c, "JOIN #lobby");
	g_free(raw_expect(c, " 366 "));
	TEST_WAIT(test_has_member(f->session, NATTER_LOBBY, nick));
	return c;
}

/* Types @text in the message box and presses Enter. */
static void type_and_enter(Fixture *f, const char *text)
{
	GtkEntry *entry = message_entry(f);
	set_entry(entry, text);
	g_signal_emit_by_name(entry, "activate");
}

/* ---------------------------------------------------------------- accessibility */

/* Widgets a person can operate, which therefore need a name. */
static gboolean is_control(GtkWidget *w)
{
	if (GTK_IS_BUTTON(w) || GTK_IS_ENTRY(w) || GTK_IS_LIST_BOX(w) || GTK_IS_SPINNER(w) ||
	    GTK_IS_CHECK_BUTTON(w) || GTK_IS_SWITCH(w) || GTK_IS_DROP_DOWN(w) || GTK_IS_SCALE(w))
		return TRUE;
	if (GTK_IS_LIST_BOX_ROW(w))
		return gtk_list_box_row_get_activatable(GTK_LIST_BOX_ROW(w)) ||
		       gtk_list_box_row_get_selectable(GTK_LIST_BOX_ROW(w));
	return FALSE;
}

static gboolean has_accessible_name(GtkWidget *w)
{
	GtkAccessible *a = GTK_ACCESSIBLE(w);

	if (gtk_test_accessible_has_property(a, GTK_ACCESSIBLE_PROPERTY_LABEL)) {
		g_autofree char *diff = gtk_test_accessible_check_property(a, GTK_ACCESSIBLE_PROPERTY_LABEL, "");
		if (diff != NULL) /* set, and not "" */
			return TRUE;
	}
	if (gtk_test_accessible_has_relation(a, GTK_ACCESSIBLE_RELATION_LABELLED_BY))
		return TRUE;
	/* A button is named by its label (what the screen reader reads). */
	if (GTK_IS_BUTTON(w)) {
		const char *label = gtk_button_get_label(GTK_BUTTON(w));
		return label != NULL && *label != '\0';
	}
	return FALSE;
}

/* Walks the visible widget tree; returns how many controls were checked
 * and adds the unnamed ones to @unnamed. Entries count as one control
 * (their inner GtkText is part of them). */
static guint check_names(GtkWidget *w, GString *unnamed)
{
	guint n = 0;

	if (!gtk_widget_get_visible(w))
		return 0;
	if (is_control(w)) {
		n++;
		if (!has_accessible_name(w))
			g_string_append_printf(unnamed, " %s(%s)", G_OBJECT_TYPE_NAME(w),
					       GTK_IS_BUTTON(w) ? "no label" : "no accessible label");
		if (GTK_IS_ENTRY(w) || GTK_IS_BUTTON(w))
			return n;
	}
	for (GtkWidget *c = gtk_widget_get_first_child(w); c != NULL; c = gtk_widget_get_next_sibling(c))
		n += check_names(c, unnamed);
	return n;
}

static void assert_all_named(Fixture *f, guint at_least)
{
	g_autoptr(GString) unnamed = g_string_new(NULL);
	guint n = check_names(GTK_WIDGET(f->win), unnamed);

	g_test_message("%u controls checked", n);
	g_assert_cmpuint(n, >=, at_least);
	if (unnamed->len > 0)
		g_error("controls without an accessible name:%s", unnamed->str);
}

static void test_a11y_names(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	/* Connect screen: server, port, username, Connect (the chat page's
	 * widgets are in the tree too, hidden behind the stack). */
	assert_all_named(f, 4);
	gtk_test_accessible_assert_role(GTK_ACCESSIBLE(find_entry(GTK_WIDGET(f->win), "Username")),
					GTK_ACCESSIBLE_ROLE_TEXT_BOX);

	/* The chat screen with people, a private chat and unread counts. */
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	raw_send(bob, "PRIVMSG alice :psst");
	TEST_WAIT(natter_session_find_conversation(f->session, "bob") != NULL);
	raw_send(bob, "PRIVMSG #lobby :hello all");
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "hello all"));
	gtk_test_widget_wait_for_draw(GTK_WIDGET(f->win));
	/* Chats/People toggles, Message, Send, 3 lists, 2 conversation rows. */
	assert_all_named(f, 9);

	/* Rows say what they are. */
	GtkWidget *convs = test_find_widget(GTK_WIDGET(f->win), GTK_TYPE_LIST_BOX);
	g_assert_nonnull(convs);
	GtkListBoxRow *row = gtk_list_box_get_row_at_index(GTK_LIST_BOX(convs), 1);
	gtk_test_accessible_assert_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL,
					    "bob, private chat, 1 unread");
	raw_close(bob);
}

/* ---------------------------------------------------------------- keyboard */

/* Enter in the focused text field: GtkText binds Return to its "activate"
 * signal, which GtkEntry passes on as its own. */
static void press_enter(Fixture *f)
{
	GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(f->win));

	g_assert_true(GTK_IS_TEXT(focus));
	g_signal_emit_by_name(focus, "activate");
}

/* The widget that has the keyboard focus, seen as the control it belongs to. */
static GtkWidget *focused_control(Fixture *f)
{
	GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(f->win));
	GtkWidget *entry = focus != NULL ? gtk_widget_get_ancestor(focus, GTK_TYPE_ENTRY) : NULL;
	return entry != NULL ? entry : focus;
}

static void test_connect_keyboard(Fixture *f, gconstpointer data)
{
	(void)data;
	natter_window_fill(f->win, "127.0.0.1", f->server->port, "");
	show_window(f);
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *server = GTK_WIDGET(find_entry(win, "Server"));
	GtkWidget *port = GTK_WIDGET(find_entry(win, "Port"));
	GtkWidget *user = GTK_WIDGET(find_entry(win, "Username"));
	GtkWidget *connect = find_text(win, GTK_TYPE_BUTTON, "Connect");
	g_assert_nonnull(connect);

	/* The window opens with the cursor in Username. */
	g_assert_true(focused_control(f) == user);

	/* Tab goes round in reading order: the header's menu, the fields, Connect. */
	gtk_window_set_focus(GTK_WINDOW(win), NULL);
	g_assert_true(gtk_widget_child_focus(win, GTK_DIR_TAB_FORWARD));
	g_assert_true(gtk_widget_get_ancestor(focused_control(f), GTK_TYPE_MENU_BUTTON) != NULL);
	GtkWidget *want[] = { server, port, user };
	for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
		g_assert_true(gtk_widget_child_focus(win, GTK_DIR_TAB_FORWARD));
		g_assert_true(focused_control(f) == want[i]);
	}
	/* Then TLS, the password, "Create an account" (issue 10), Connect. */
	const char *checks[] = { "Use a secure connection (TLS)", NULL,
				 "Create an account with this name and password" };
	for (gsize i = 0; i < G_N_ELEMENTS(checks); i++) {
		g_assert_true(gtk_widget_child_focus(win, GTK_DIR_TAB_FORWARD));
		GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(f->win));
		if (checks[i] == NULL) {
			g_assert_nonnull(gtk_widget_get_ancestor(focus, GTK_TYPE_PASSWORD_ENTRY));
			continue;
		}
		GtkWidget *check = gtk_widget_get_ancestor(focus, GTK_TYPE_CHECK_BUTTON);
		g_assert_nonnull(check);
		g_assert_cmpstr(gtk_check_button_get_label(GTK_CHECK_BUTTON(check)), ==, checks[i]);
	}
	g_assert_true(gtk_widget_child_focus(win, GTK_DIR_TAB_FORWARD));
	g_assert_true(focused_control(f) == connect);
	/* Shift+Tab goes back. */
	g_assert_true(gtk_widget_child_focus(win, GTK_DIR_TAB_BACKWARD));
	g_assert_nonnull(gtk_widget_get_ancestor(gtk_root_get_focus(GTK_ROOT(f->win)), GTK_TYPE_CHECK_BUTTON));
	gtk_widget_grab_focus(user);

	/* An invalid name and Enter: the reason shows, nothing is sent. */
	gtk_editable_set_text(GTK_EDITABLE(user), "9lives");
	press_enter(f);
	g_autofree char *why_digit = NULL, *why_umlaut = NULL;
	g_assert_false(natter_input_check_nick("9lives", &why_digit));
	g_assert_true(g_str_has_prefix(why_digit, "Start with a letter"));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, why_digit));
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);
	/* A letter IRC names cannot hold: say which one, not "start with a letter". */
	gtk_editable_set_text(GTK_EDITABLE(user), "jürgen");
	press_enter(f);
	g_assert_false(natter_input_check_nick("jürgen", &why_umlaut));
	g_assert_nonnull(strstr(why_umlaut, "cannot contain “ü”"));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, why_umlaut));
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);
	g_assert_true(focused_control(f) == user);

	/* A good name and Enter connects; the cursor lands in the message box. */
	gtk_editable_set_text(GTK_EDITABLE(user), "alice");
	press_enter(f);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_CONNECTED);
	TEST_WAIT(test_in_room(f->session, NATTER_LOBBY));
	g_assert_true(focused_control(f) == GTK_WIDGET(message_entry(f)));

	/* And the message box sends with Enter too. */
	RawClient *bob = join_lobby(f, "bob");
	GtkEntry *msg = message_entry(f);
	set_entry(msg, "typed, not clicked");
	press_enter(f);
	g_autofree char *line = raw_expect(bob, "PRIVMSG #lobby");
	g_assert_true(g_str_has_suffix(line, "typed, not clicked"));
	g_assert_cmpstr(entry_text(msg), ==, "");
	raw_close(bob);
}

/* ---------------------------------------------------------------- input bar */

static void complete_and_check(Fixture *f, const char *want)
{
	natter_input_bar_complete(input_bar(f));
	g_assert_cmpstr(entry_text(message_entry(f)), ==, want);
	g_assert_cmpint(gtk_editable_get_position(GTK_EDITABLE(message_entry(f))), ==,
			(int)g_utf8_strlen(want, -1));
}

static void test_completion(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	RawClient *bobby = join_lobby(f, "Bobby");
	RawClient *carol = join_lobby(f, "carol");
	GtkEntry *msg = message_entry(f);

	/* At the start of the line: "name: "; Tab again cycles. */
	set_entry(msg, "bo");
	complete_and_check(f, "bob: ");
	complete_and_check(f, "Bobby: ");
	complete_and_check(f, "bob: ");
	/* Later in the line: "name ", case-insensitive. */
	set_entry(msg, "thanks CA");
	complete_and_check(f, "thanks carol ");
	/* After @: a private message to them. */
	set_entry(msg, "@car");
	complete_and_check(f, "@carol ");
	/* In the middle of a line: only the word before the cursor. */
	set_entry(msg, "hi ca, how are you");
	gtk_editable_set_position(GTK_EDITABLE(msg), 5);
	natter_input_bar_complete(input_bar(f));
	g_assert_cmpstr(entry_text(msg), ==, "hi carol , how are you");
	/* Not oneself, and nothing when nobody matches. */
	set_entry(msg, "ali");
	complete_and_check(f, "ali");
	set_entry(msg, "zed");
	complete_and_check(f, "zed");
	/* Typing after a completion starts afresh. */
	set_entry(msg, "bo");
	complete_and_check(f, "bob: ");
	set_entry(msg, "bob: and bo");
	complete_and_check(f, "bob: and bob ");

	/* In a private chat, the other person's name. */
	natter_session_open_private(f->session, "carol");
	TEST_WAIT(g_strcmp0(natter_conversation_get_name(natter_session_get_active(f->session)), "carol") == 0);
	set_entry(msg, "c");
	complete_and_check(f, "carol: ");
	raw_close(bob);
	raw_close(bobby);
	raw_close(carol);
}

static void test_history(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	NatterInputBar *bar = input_bar(f);
	GtkEntry *msg = message_entry(f);

	type_and_enter(f, "one");
	g_free(raw_expect(bob, ":one"));
	type_and_enter(f, "two");
	g_free(raw_expect(bob, ":two"));
	g_assert_cmpstr(entry_text(msg), ==, "");

	set_entry(msg, "draft");
	natter_input_bar_history_move(bar, -1);
	g_assert_cmpstr(entry_text(msg), ==, "two");
	natter_input_bar_history_move(bar, -1);
	g_assert_cmpstr(entry_text(msg), ==, "one");
	natter_input_bar_history_move(bar, -1); /* nothing older */
	g_assert_cmpstr(entry_text(msg), ==, "one");
	/* An edit to a recalled line survives walking away and back. */
	set_entry(msg, "one, edited");
	natter_input_bar_history_move(bar, 1);
	g_assert_cmpstr(entry_text(msg), ==, "two");
	natter_input_bar_history_move(bar, -1);
	g_assert_cmpstr(entry_text(msg), ==, "one, edited");
	natter_input_bar_history_move(bar, 1);
	natter_input_bar_history_move(bar, 1);
	g_assert_cmpstr(entry_text(msg), ==, "draft"); /* what was being typed */
	natter_input_bar_history_move(bar, 1);
	g_assert_cmpstr(entry_text(msg), ==, "draft");

	/* Sending a recalled line sends it and ends browsing. */
	natter_input_bar_history_move(bar, -1);
	g_signal_emit_by_name(msg, "activate");
	g_free(raw_expect(bob, ":two"));
	g_assert_cmpstr(entry_text(msg), ==, "");
	natter_input_bar_history_move(bar, -1);
	g_assert_cmpstr(entry_text(msg), ==, "two"); /* not repeated in the history */
	natter_input_bar_history_move(bar, -1);
	g_assert_cmpstr(entry_text(msg), ==, "one");
	raw_close(bob);
}

/* Whatever goes wrong, what was typed stays in the box, with a plain reason. */
static void test_text_kept(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	GtkEntry *msg = message_entry(f);
	GtkWidget *bar = GTK_WIDGET(input_bar(f));

	/* A command that cannot work: explained, text kept. */
	type_and_enter(f, "/join");
	g_assert_cmpstr(entry_text(msg), ==, "/join");
	g_assert_nonnull(find_text(bar, GTK_TYPE_LABEL, "Which room? Type /join #room"));

	/* The server goes away: text kept, and sent once back. */
	test_server_stop(f->server);
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_RECONNECT_WAIT);
	type_and_enter(f, "said while away");
	g_assert_cmpstr(entry_text(msg), ==, "said while away");
	g_assert_nonnull(find_text(bar, GTK_TYPE_LABEL,
				   "Not connected. Your text is kept and can be sent once reconnected."));
	g_assert_nonnull(find_text(GTK_WIDGET(f->win), GTK_TYPE_BUTTON, "Reconnect now"));
	test_server_restart(f->server);
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby");
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_CONNECTED);
	TEST_WAIT(test_in_room(f->session, NATTER_LOBBY) && test_has_member(f->session, NATTER_LOBBY, "bob"));
	g_signal_emit_by_name(msg, "activate");
	g_free(raw_expect(bob, "said while away"));
	g_assert_cmpstr(entry_text(msg), ==, "");
	/* The reason went with it. */
	g_assert_null(find_text(bar, GTK_TYPE_LABEL,
				"Not connected. Your text is kept and can be sent once reconnected."));
	raw_close(bob);
}

/* ---------------------------------------------------------------- private chats */

static void test_private_members(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *members = test_find_widget(win, NATTER_TYPE_MEMBER_LIST);
	GtkWidget *people = find_text(win, GTK_TYPE_BUTTON, "People");
	g_assert_nonnull(people);
	g_assert_true(gtk_widget_get_visible(members));

	type_and_enter(f, "@bob hi");
	g_free(raw_expect(bob, "PRIVMSG bob"));
	TEST_WAIT(g_strcmp0(natter_conversation_get_name(natter_session_get_active(f->session)), "bob") == 0);
	/* No member pane (and no button for it) in a private chat; the header
	 * says who it is with. */
	g_assert_false(gtk_widget_get_visible(members));
	g_assert_false(gtk_widget_get_visible(people));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "Private chat with bob"));

	/* Back in the room: the pane is back, as the person left it. */
	natter_window_show_conversation(f->win, NATTER_LOBBY);
	g_assert_true(gtk_widget_get_visible(members));
	g_assert_true(gtk_widget_get_visible(people));
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(people), FALSE);
	g_assert_false(gtk_widget_get_visible(members));
	natter_window_show_conversation(f->win, "bob");
	natter_window_show_conversation(f->win, NATTER_LOBBY);
	g_assert_false(gtk_widget_get_visible(members));
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(people), TRUE);
	g_assert_true(gtk_widget_get_visible(members));

	/* A nick change renames the private chat and its header. */
	raw_send(bob, "NICK robert");
	TEST_WAIT(natter_session_find_conversation(f->session, "robert") != NULL);
	natter_window_show_conversation(f->win, "robert");
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "robert"));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "Private chat with robert"));
	raw_close(bob);
}

/* ---------------------------------------------------------------- notifications */

static void test_notification(Fixture *f, gconstpointer data)
{
	(void)data;
	/* The window is never shown here, so it never has the focus. */
	connect_as(f, "alice");
	g_assert_false(gtk_window_is_active(GTK_WINDOW(f->win)));
	RawClient *bob = join_lobby(f, "bob");

	/* Room talk and one's own private messages do not notify. */
	raw_send(bob, "PRIVMSG #lobby :room talk");
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "room talk"));
	type_and_enter(f, "@bob are you there?");
	g_free(raw_expect(bob, "are you there?"));
	TEST_WAIT(test_has_text(f->session, "bob", "are you there?"));
	g_assert_cmpuint(f->notes->len, ==, 0);

	/* A private message does. */
	raw_send(bob, "PRIVMSG alice :psst, just between us");
	TEST_WAIT(f->notes->len == 1);
	Notification *n = g_ptr_array_index(f->notes, 0);
	g_assert_cmpstr(n->id, ==, "private-bob");
	g_assert_cmpstr(n->title, ==, "bob wrote to you");
	g_assert_cmpstr(n->body, ==, "psst, just between us");
	g_assert_cmpstr(n->conversation, ==, "bob");

	/* So does /me, written as an action; a NOTICE does not. */
	raw_send(bob, "NOTICE alice :automated");
	raw_send(bob, "PRIVMSG alice :\001ACTION waves\001");
	TEST_WAIT(f->notes->len == 2);
	n = g_ptr_array_index(f->notes, 1);
	g_assert_cmpstr(n->body, ==, "* bob waves");
	g_assert_true(test_has_text(f->session, "bob", "automated"));

	/* One's name said in a room does too, and the line is highlighted. */
	raw_send(bob, "PRIVMSG #lobby :alice: have a look at this");
	TEST_WAIT(f->notes->len == 3);
	n = g_ptr_array_index(f->notes, 2);
	g_assert_cmpstr(n->id, ==, "mention-#lobby");
	g_assert_cmpstr(n->title, ==, "bob mentioned you in #lobby");
	g_assert_cmpstr(n->body, ==, "alice: have a look at this");
	g_assert_cmpstr(n->conversation, ==, NATTER_LOBBY);
	raw_send(bob, "PRIVMSG #lobby :malice aforethought"); /* not a mention */
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "malice"));
	g_assert_cmpuint(f->notes->len, ==, 3);

	/* The rule itself, for a focused window. */
	NatterConversation *conv = natter_session_find_conversation(f->session, "bob");
	g_autoptr(NatterMessage) m = natter_message_new(NATTER_MESSAGE_TEXT, NULL, "bob", "hi", FALSE);
	g_assert_true(natter_window_wants_notification(conv, m, FALSE));
	g_assert_false(natter_window_wants_notification(conv, m, TRUE));
	raw_close(bob);
}

/* ---------------------------------------------------------------- scrolling */

static GtkAdjustment *message_adjustment(Fixture *f)
{
	return test_message_adjustment(GTK_WIDGET(f->win));
}

/* Lets the window lay out and draw what arrived (a few frames). */
static void settle(Fixture *f)
{
	test_settle(GTK_WIDGET(f->win));
}

/* How far the view is from showing its newest line, in pixels. */
static double distance_from_bottom(Fixture *f)
{
	GtkAdjustment *adj = message_adjustment(f);
	return gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj) -
	       gtk_adjustment_get_value(adj);
}

/* A row of the list (GtkListItemWidget is private: its parent is the list). */
static gboolean GTK_IS_LIST_ITEM_WIDGET_CHECK(GtkWidget *w)
{
	return GTK_IS_LIST_VIEW(gtk_widget_get_parent(w));
}

/* The text of the message line drawn at the bottom of the visible area. */
static char *bottom_line_text(Fixture *f)
{
	GtkWidget *view = test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MESSAGE_VIEW);
	GtkWidget *scroller = test_find_widget(view, GTK_TYPE_SCROLLED_WINDOW);
	double x = gtk_widget_get_width(scroller) / 3.0;

	for (int y = gtk_widget_get_height(scroller) - 2; y > gtk_widget_get_height(scroller) - 40; y -= 2) {
		GtkWidget *hit = gtk_widget_pick(scroller, x, y, GTK_PICK_DEFAULT);
		GtkWidget *label = hit != NULL && GTK_IS_LABEL(hit) ? hit
				   : hit != NULL ? gtk_widget_get_ancestor(hit, GTK_TYPE_LABEL) : NULL;
		if (label == NULL && hit != NULL && GTK_IS_LIST_ITEM_WIDGET_CHECK(hit))
			label = test_find_widget(hit, GTK_TYPE_LABEL);
		if (label != NULL)
			return g_strdup(gtk_label_get_text(GTK_LABEL(label)));
	}
	return g_strdup("");
}

/* The newest line shown (runs of joins and quits are one line). */
static const char *newest_text(Fixture *f)
{
	GListModel *lines = natter_message_view_get_shown(
		NATTER_MESSAGE_VIEW(test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MESSAGE_VIEW)));
	g_autoptr(NatterMessage) m = g_list_model_get_item(lines, g_list_model_get_n_items(lines) - 1);
	return natter_message_get_text(m); /* the view keeps it */
}

/* The view is at the bottom (by its adjustment) and the newest line is the
 * one drawn at the bottom edge (so no row hides below the scroll range). */
#define ASSERT_AT_BOTTOM(f, what) \
	G_STMT_START { \
		settle(f); \
		double d_ = distance_from_bottom(f); \
		if (d_ > 1.0) \
			g_error("%s: the newest line is %.0f px below the visible area", what, d_); \
		GtkAdjustment *adj_ = message_adjustment(f); \
		gboolean fits_ = gtk_adjustment_get_upper(adj_) <= gtk_adjustment_get_page_size(adj_) + 1; \
		g_autofree char *bottom_ = fits_ ? g_strdup(newest_text(f)) : bottom_line_text(f); \
		const char *newest_ = newest_text(f); \
		if (strstr(bottom_, newest_) == NULL) \
			g_error("%s: the line at the bottom is “%s”, not the newest “%s”", what, bottom_, newest_); \
	} G_STMT_END

static GtkWidget *jump_button(Fixture *f)
{
	GtkWidget *view = test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MESSAGE_VIEW);
	return find_text(view, GTK_TYPE_BUTTON, "New messages");
}

static gboolean jump_shown(Fixture *f)
{
	GtkWidget *jump = jump_button(f);
	return jump != NULL && gtk_widget_get_child_visible(jump) && gtk_widget_get_mapped(jump);
}

static guint message_count(Fixture *f, const char *conv)
{
	NatterConversation *c = natter_session_find_conversation(f->session, conv);
	return g_list_model_get_n_items(natter_conversation_get_messages(c));
}

/* @n lines in #lobby from @who (several people, so flood control never holds them). */
static void fill_lobby(Fixture *f, RawClient **who, guint n_who, guint n, const char *tag)
{
	guint before = message_count(f, NATTER_LOBBY);
	for (guint i = 0; i < n; i++)
		raw_send(who[i % n_who], "PRIVMSG #lobby :%s line %u of %u", tag, i + 1, n);
	TEST_WAIT(message_count(f, NATTER_LOBBY) >= before + n);
}

static void test_scroll_stays_at_bottom(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *who[4] = { join_lobby(f, "bob"), join_lobby(f, "carol"), join_lobby(f, "dave"),
			      join_lobby(f, "erin") };
	fill_lobby(f, who, 4, 40, "filler");
	ASSERT_AT_BOTTOM(f, "after 40 lines");
	g_assert_cmpfloat(gtk_adjustment_get_upper(message_adjustment(f)), >,
			  gtk_adjustment_get_page_size(message_adjustment(f)));

	/* One's own message. */
	type_and_enter(f, "my own words");
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "my own words"));
	ASSERT_AT_BOTTOM(f, "after one's own message");

	/* A long message that wraps over many lines. */
	g_autoptr(GString) longtext = g_string_new("long:");
	for (int i = 0; i < 28; i++)
		g_string_append(longtext, " wrapping words");
	raw_send(who[0], "PRIVMSG #lobby :%s", longtext->str);
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "long: wrapping"));
	ASSERT_AT_BOTTOM(f, "after a long message");

	/* A burst of 50 quits. */
	RawClient *many[50];
	for (guint i = 0; i < G_N_ELEMENTS(many); i++) {
		g_autofree char *nick = g_strdup_printf("q%02u", i);
		many[i] = raw_connect(f->server->port, nick);
		raw_send(many[i], "JOIN #lobby");
	}
	for (guint i = 0; i < G_N_ELEMENTS(many); i++) {
		g_autofree char *nick = g_strdup_printf("q%02u", i);
		TEST_WAIT(test_has_member(f->session, NATTER_LOBBY, nick));
	}
	ASSERT_AT_BOTTOM(f, "after 50 joins");
	for (guint i = 0; i < G_N_ELEMENTS(many); i++)
		raw_send(many[i], "QUIT :bye");
	for (guint i = 0; i < G_N_ELEMENTS(many); i++) {
		g_autofree char *nick = g_strdup_printf("q%02u", i);
		TEST_WAIT(!test_has_member(f->session, NATTER_LOBBY, nick));
		raw_close(many[i]);
	}
	ASSERT_AT_BOTTOM(f, "after a burst of 50 quits");
	/* ...which, with the 50 joins before them, are one line. */
	g_assert_cmpstr(newest_text(f), ==, "50 people joined, 50 left");
	g_assert_false(jump_shown(f));
	for (guint i = 0; i < G_N_ELEMENTS(who); i++)
		raw_close(who[i]);
}

static void test_scroll_kept_when_reading(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *who[4] = { join_lobby(f, "bob"), join_lobby(f, "carol"), join_lobby(f, "dave"),
			      join_lobby(f, "erin") };
	fill_lobby(f, who, 4, 40, "filler");
	ASSERT_AT_BOTTOM(f, "after 40 lines");

	/* Scrolled up to read: new lines do not move the view... */
	GtkAdjustment *adj = message_adjustment(f);
	gtk_adjustment_set_value(adj, 0);
	settle(f);
	fill_lobby(f, who, 4, 8, "while reading");
	settle(f);
	g_assert_cmpfloat(gtk_adjustment_get_value(adj), <, 1.0);
	g_assert_cmpfloat(distance_from_bottom(f), >, 100.0);
	/* ...and a button offers to jump to them. */
	g_assert_true(jump_shown(f));
	g_signal_emit_by_name(jump_button(f), "clicked");
	ASSERT_AT_BOTTOM(f, "after the jump button");
	g_assert_false(jump_shown(f));

	/* Back at the bottom it follows again. */
	fill_lobby(f, who, 4, 4, "following again");
	ASSERT_AT_BOTTOM(f, "following again");

	/* Switching away and back shows the latest lines. */
	natter_session_open_private(f->session, "bob");
	TEST_WAIT(g_strcmp0(natter_conversation_get_name(natter_session_get_active(f->session)), "bob") == 0);
	settle(f);
	fill_lobby(f, who, 4, 20, "while away");
	settle(f);
	natter_window_show_conversation(f->win, NATTER_LOBBY);
	ASSERT_AT_BOTTOM(f, "after switching back to #lobby");
	/* A separator marks where reading stopped: above the first new line. */
	GtkWidget *view = test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MESSAGE_VIEW);
	GtkAdjustment *adj2 = message_adjustment(f);
	gtk_adjustment_set_value(adj2, gtk_adjustment_get_value(adj2) - gtk_adjustment_get_page_size(adj2) / 2);
	settle(f);
	GtkWidget *sep = find_text(view, GTK_TYPE_LABEL, "Unread messages");
	g_assert_nonnull(sep);
	GtkWidget *first_new = gtk_widget_get_next_sibling(sep);
	g_assert_true(strstr(gtk_label_get_text(GTK_LABEL(first_new)), "while away line") != NULL);
	/* Only one, and not on the lines read before. */
	GtkWidget *prev_row = gtk_widget_get_prev_sibling(gtk_widget_get_parent(gtk_widget_get_parent(sep)));
	g_assert_true(prev_row == NULL || find_text(prev_row, GTK_TYPE_LABEL, "Unread messages") == NULL);
	g_autofree char *shot = test_artifact_path("natter-unread.png");
	test_save_png(GTK_WIDGET(f->win), shot);
	for (guint i = 0; i < G_N_ELEMENTS(who); i++)
		raw_close(who[i]);
}

/* The line just below the visible "Unread messages" separator, or NULL
 * when none is shown. */
static guint count_visible_labels(GtkWidget *root, const char *text)
{
	guint n = 0;
	if (!gtk_widget_get_visible(root))
		return 0;
	if (GTK_IS_LABEL(root) && g_strcmp0(gtk_label_get_text(GTK_LABEL(root)), text) == 0)
		n++;
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c))
		n += count_visible_labels(c, text);
	return n;
}

static const char *separator_above(Fixture *f)
{
	GtkWidget *view = test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MESSAGE_VIEW);
	GtkWidget *sep = find_text(view, GTK_TYPE_LABEL, "Unread messages");
	if (sep == NULL)
		return NULL;
	g_assert_cmpuint(count_visible_labels(view, "Unread messages"), ==, 1);
	return gtk_label_get_text(GTK_LABEL(gtk_widget_get_next_sibling(sep)));
}

#define ASSERT_SEPARATOR_ABOVE(f, text) \
	G_STMT_START { \
		const char *above_ = separator_above(f); \
		if (above_ == NULL || !g_str_has_suffix(above_, text)) \
			g_error("the separator is above “%s”, not “%s”", above_ != NULL ? above_ : "(none)", text); \
	} G_STMT_END

/* Milliseconds since the epoch of the read marker, 0 when none. */
static gint64 marker_ms(Fixture *f)
{
	GDateTime *t = natter_session_get_read_marker(f->session,
						      natter_session_find_conversation(f->session, NATTER_LOBBY));
	return t != NULL ? g_date_time_to_unix(t) * 1000 + g_date_time_get_microsecond(t) / 1000 : 0;
}

static gint64 newest_ms(Fixture *f)
{
	GListModel *msgs = natter_conversation_get_messages(natter_session_find_conversation(f->session, NATTER_LOBBY));
	for (guint i = g_list_model_get_n_items(msgs); i > 0; i--) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i - 1);
		if (natter_message_get_msgid(m) == NULL)
			continue;
		GDateTime *t = natter_message_get_time(m);
		return g_date_time_to_unix(t) * 1000 + g_date_time_get_microsecond(t) / 1000;
	}
	return 0;
}

/* Another window takes the focus (no window manager: presenting it does). */
static GtkWidget *take_focus(Fixture *f)
{
	GtkWidget *other = gtk_window_new();
	gtk_window_set_title(GTK_WINDOW(other), "elsewhere");
	gtk_window_set_default_size(GTK_WINDOW(other), 200, 100);
	gtk_window_present(GTK_WINDOW(other));
	TEST_WAIT(!gtk_window_is_active(GTK_WINDOW(f->win)));
	return other;
}

/* The "Unread messages" separator follows reading: lines that arrive while
 * the window is focused and at the bottom are read (no separator above
 * them, the read marker advances); lines that arrive while another window
 * has the focus, or while scrolled up, are not, and the separator moves
 * above the first of them. */
static void test_separator_follows_reading(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *who[2] = { join_lobby(f, "bob"), join_lobby(f, "carol") };
	g_assert_true(natter_session_has_cap(f->session, "draft/read-marker"));
	TEST_WAIT(gtk_window_is_active(GTK_WINDOW(f->win)));

	/* focused, at the bottom: read as they come */
	fill_lobby(f, who, 2, 3, "seen");
	settle(f);
	g_assert_null(separator_above(f));
	TEST_WAIT(marker_ms(f) == newest_ms(f));

	/* another window has the focus: unread, the separator above the first */
	GtkWidget *other = take_focus(f);
	gint64 read_before = marker_ms(f);
	fill_lobby(f, who, 2, 3, "unseen");
	settle(f);
	ASSERT_SEPARATOR_ABOVE(f, "unseen line 1 of 3");
	g_assert_cmpint(marker_ms(f), ==, read_before);

	/* back: now they are read; the separator stays to show where they began */
	gtk_window_destroy(GTK_WINDOW(other));
	gtk_window_present(GTK_WINDOW(f->win));
	TEST_WAIT(gtk_window_is_active(GTK_WINDOW(f->win)));
	TEST_WAIT(marker_ms(f) == newest_ms(f));
	fill_lobby(f, who, 2, 2, "read again");
	settle(f);
	ASSERT_SEPARATOR_ABOVE(f, "unseen line 1 of 3");
	TEST_WAIT(marker_ms(f) == newest_ms(f)); /* rate-limited: within 2 s */

	/* scrolled up: unread again, the separator moves down to them */
	fill_lobby(f, who, 2, 30, "filler");
	ASSERT_AT_BOTTOM(f, "after the filler");
	GtkAdjustment *adj = message_adjustment(f);
	gtk_adjustment_set_value(adj, gtk_adjustment_get_value(adj) - gtk_adjustment_get_page_size(adj) / 3);
	settle(f);
	gint64 read_upto = marker_ms(f);
	fill_lobby(f, who, 2, 2, "below");
	settle(f);
	g_assert_true(jump_shown(f));
	g_assert_cmpint(marker_ms(f), ==, read_upto);
	g_signal_emit_by_name(jump_button(f), "clicked");
	ASSERT_AT_BOTTOM(f, "after the jump");
	ASSERT_SEPARATOR_ABOVE(f, "below line 1 of 2");
	TEST_WAIT(marker_ms(f) == newest_ms(f));
	g_autofree char *shot = test_artifact_path("natter-separator-moved.png");
	test_save_png(GTK_WIDGET(f->win), shot);
	for (guint i = 0; i < G_N_ELEMENTS(who); i++)
		raw_close(who[i]);
}

/* A short conversation sits at the bottom, next to the message box (as
 * chat apps show it), not at the top with a gap below; it still follows
 * the bottom as it grows past the height of the view. */
static void test_short_at_bottom(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *who[2] = { join_lobby(f, "bob"), join_lobby(f, "carol") };
	fill_lobby(f, who, 2, 2, "short");
	settle(f);
	GtkWidget *view = test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MESSAGE_VIEW);
	GtkWidget *scroller = test_find_widget(view, GTK_TYPE_SCROLLED_WINDOW);
	GtkAdjustment *adj = message_adjustment(f);
	g_assert_cmpfloat(gtk_adjustment_get_upper(adj), <=, gtk_adjustment_get_page_size(adj) + 1);
	/* the newest line is drawn at the bottom edge... */
	g_autofree char *bottom = bottom_line_text(f);
	if (strstr(bottom, newest_text(f)) == NULL)
		g_error("the line at the bottom is “%s”, not the newest “%s”", bottom, newest_text(f));
	/* ...and the top of the view is empty */
	GtkWidget *top = gtk_widget_pick(scroller, gtk_widget_get_width(scroller) / 3.0, 8, GTK_PICK_DEFAULT);
	g_assert_true(top == NULL || !GTK_IS_LABEL(top));
	g_autofree char *shot = test_artifact_path("natter-short-at-bottom.png");
	test_save_png(GTK_WIDGET(f->win), shot);

	/* growing past the view: it scrolls and follows as before */
	fill_lobby(f, who, 2, 40, "long");
	ASSERT_AT_BOTTOM(f, "after 40 more lines");
	g_assert_cmpfloat(gtk_adjustment_get_upper(adj), >, gtk_adjustment_get_page_size(adj));
	/* and a conversation with one line starts at the bottom too */
	natter_session_open_private(f->session, "bob");
	raw_send(who[0], "PRIVMSG alice :just one line");
	TEST_WAIT(test_has_text(f->session, "bob", "just one line"));
	settle(f);
	g_autofree char *one = bottom_line_text(f);
	g_assert_nonnull(strstr(one, "just one line"));
	for (guint i = 0; i < G_N_ELEMENTS(who); i++)
		raw_close(who[i]);
}

/* ---------------------------------------------------------------- keyboard in the chat */

static const char *active_name(Fixture *f)
{
	return natter_conversation_get_name(natter_session_get_active(f->session));
}

/* Presses Tab (or Shift+Tab) until the focus has been on @via and is back
 * inside @home; fails if a press leaves the focus where it was. */
static void tab_round(Fixture *f, GtkDirectionType dir, GtkWidget *via, GtkWidget *home)
{
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *last = focused_control(f);
	gboolean seen_via = FALSE;
	g_autoptr(GString) path = g_string_new(NULL);

	for (int i = 0; i < 20; i++) {
		g_assert_true(gtk_widget_child_focus(win, dir));
		GtkWidget *now = focused_control(f);
		g_string_append_printf(path, " %s", G_OBJECT_TYPE_NAME(now));
		if (now == last)
			g_error("Tab stays on %s:%s", G_OBJECT_TYPE_NAME(now), path->str);
		last = now;
		seen_via |= now == via;
		if (seen_via && gtk_widget_is_ancestor(now, home)) {
			g_test_message("%s:%s", dir == GTK_DIR_TAB_FORWARD ? "Tab" : "Shift+Tab", path->str);
			return;
		}
	}
	g_error("Tab never went round through the message box:%s", path->str);
}

/* Tab from the conversation list goes on (no trap) and reaches the message box. */
static GtkWidget *find_label_containing(GtkWidget *root, const char *needle)
{
	if (GTK_IS_LABEL(root) && strstr(gtk_label_get_text(GTK_LABEL(root)), needle) != NULL)
		return root;
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *hit = find_label_containing(c, needle);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

/* Mentions are highlighted; one's own away state shows by one's name. */
static void test_mention_and_away(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *view = test_find_widget(win, NATTER_TYPE_MESSAGE_VIEW);

	raw_send(bob, "PRIVMSG #lobby :hey alice, lunch?");
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "lunch?"));
	settle(f);
	GtkWidget *label = find_label_containing(view, "lunch?");
	g_assert_nonnull(label);
	g_assert_true(gtk_widget_has_css_class(label, "mention"));

	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "You are alice"));
	type_and_enter(f, "/away gone for lunch, back at two");
	TEST_WAIT(natter_session_get_away(f->session));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "You are alice · away"));
	type_and_enter(f, "/away");
	TEST_WAIT(!natter_session_get_away(f->session));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "You are alice"));
	/* The menu's Away item does the same, and shows the state. */
	GActionGroup *actions = G_ACTION_GROUP(f->win);
	g_action_group_change_action_state(actions, "away", g_variant_new_boolean(TRUE));
	TEST_WAIT(natter_session_get_away(f->session));
	g_autoptr(GVariant) state = g_action_group_get_action_state(actions, "away");
	g_assert_true(g_variant_get_boolean(state));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "You are alice · away"));
	g_action_group_change_action_state(actions, "away", g_variant_new_boolean(FALSE));
	TEST_WAIT(!natter_session_get_away(f->session));
	raw_close(bob);
}

static void test_tab_no_trap(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	raw_send(bob, "PRIVMSG alice :hi");
	TEST_WAIT(natter_session_find_conversation(f->session, "bob") != NULL);
	settle(f);
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *convs = test_find_widget(win, GTK_TYPE_LIST_BOX);
	GtkWidget *entry = GTK_WIDGET(message_entry(f));

	/* From each conversation row, forward to the message box and on round
	 * to the conversation list again; then backward the same way. */
	for (int start = 0; start < 2; start++) {
		GtkListBoxRow *row = gtk_list_box_get_row_at_index(GTK_LIST_BOX(convs), start);
		gtk_widget_grab_focus(GTK_WIDGET(row));
		g_assert_true(gtk_root_get_focus(GTK_ROOT(win)) == GTK_WIDGET(row));
		tab_round(f, GTK_DIR_TAB_FORWARD, entry, convs);
		tab_round(f, GTK_DIR_TAB_BACKWARD, entry, convs);
	}
	raw_close(bob);
}

static void test_keyboard_switching(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *who[4] = { join_lobby(f, "bob"), join_lobby(f, "carol"), join_lobby(f, "dave"),
			      join_lobby(f, "erin") };
	fill_lobby(f, who, 4, 40, "filler");
	raw_send(who[0], "PRIVMSG alice :hi");
	raw_send(who[1], "PRIVMSG alice :hey");
	TEST_WAIT(natter_session_find_conversation(f->session, "bob") != NULL &&
		  natter_session_find_conversation(f->session, "carol") != NULL);
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *entry = GTK_WIDGET(message_entry(f));

	/* Alt+1..9: the n-th conversation; Ctrl+Page Down/Up: next/previous, round. */
	g_assert_true(gtk_widget_activate_action(win, "win.conversation-nth", "i", 2));
	g_assert_cmpstr(active_name(f), ==, "bob");
	g_assert_true(focused_control(f) == entry);
	g_assert_true(gtk_widget_activate_action(win, "win.conversation-next", NULL));
	g_assert_cmpstr(active_name(f), ==, "carol");
	g_assert_true(gtk_widget_activate_action(win, "win.conversation-next", NULL));
	g_assert_cmpstr(active_name(f), ==, NATTER_LOBBY);
	g_assert_true(gtk_widget_activate_action(win, "win.conversation-previous", NULL));
	g_assert_cmpstr(active_name(f), ==, "carol");
	g_assert_true(gtk_widget_activate_action(win, "win.conversation-nth", "i", 9)); /* none: stays */
	g_assert_cmpstr(active_name(f), ==, "carol");
	g_assert_true(gtk_widget_activate_action(win, "win.conversation-nth", "i", 1));
	g_assert_cmpstr(active_name(f), ==, NATTER_LOBBY);

	/* Page Up/Down scroll the history, from the message box. */
	ASSERT_AT_BOTTOM(f, "back in #lobby");
	GtkAdjustment *adj = message_adjustment(f);
	double bottom = gtk_adjustment_get_value(adj);
	g_assert_true(gtk_widget_activate_action(win, "win.scroll-page", "i", -1));
	settle(f);
	g_assert_cmpfloat(gtk_adjustment_get_value(adj), <, bottom - 100);
	g_assert_true(gtk_widget_activate_action(win, "win.scroll-page", "i", 1));
	ASSERT_AT_BOTTOM(f, "after Page Up and Page Down");

	/* Escape: back to the message box from anywhere. */
	GtkWidget *convs = test_find_widget(win, GTK_TYPE_LIST_BOX);
	gtk_widget_grab_focus(GTK_WIDGET(gtk_list_box_get_row_at_index(GTK_LIST_BOX(convs), 0)));
	g_assert_false(focused_control(f) == entry);
	g_assert_true(gtk_widget_activate_action(win, "win.focus-input", NULL));
	g_assert_true(focused_control(f) == entry);

	/* Ctrl+K: type part of a name, Enter. */
	NatterSwitcher *sw = natter_window_open_switcher(f->win);
	g_assert_nonnull(sw);
	g_object_add_weak_pointer(G_OBJECT(sw), (gpointer *)&sw);
	natter_switcher_set_query(sw, "AR"); /* carol, case-insensitive */
	natter_switcher_choose(sw);
	g_assert_cmpstr(active_name(f), ==, "carol");
	TEST_WAIT(sw == NULL); /* closed */
	g_assert_true(focused_control(f) == entry);
	for (guint i = 0; i < G_N_ELEMENTS(who); i++)
		raw_close(who[i]);
}

/* ---------------------------------------------------------------- rooms */

static void test_join_dialog(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = raw_connect(f->server->port, "bob");
	RawClient *carol = raw_connect(f->server->port, "carol");
	raw_send(bob, "JOIN #dev");
	raw_send(bob, "TOPIC #dev :Building natter in C");
	raw_send(carol, "JOIN #dev");
	raw_send(carol, "JOIN #random");
	raw_send(carol, "TOPIC #random :Cats, mostly");
	g_free(raw_expect(carol, "TOPIC #random"));
	g_free(raw_expect(bob, "JOIN #dev")); /* carol's join, seen by bob */

	/* The header's + button and Ctrl+N open it. */
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(f->win), "win.join-room", NULL));
	NatterJoinDialog *dialog = NULL;
	for (GList *l = gtk_window_list_toplevels(); l != NULL; l = g_list_delete_link(l, l))
		if (NATTER_IS_JOIN_DIALOG(l->data))
			dialog = l->data;
	g_assert_nonnull(dialog);
	g_object_add_weak_pointer(G_OBJECT(dialog), (gpointer *)&dialog);
	GListModel *shown = natter_join_dialog_get_shown(dialog);
	TEST_WAIT(!natter_session_get_listing(f->session) && g_list_model_get_n_items(shown) >= 3);
	gtk_test_widget_wait_for_draw(GTK_WIDGET(dialog));

	/* Busiest first, with member counts and topics on screen. */
	g_autoptr(NatterRoomInfo) first = g_list_model_get_item(shown, 0);
	g_assert_cmpstr(natter_room_info_get_name(first), ==, "#dev");
	g_assert_cmpuint(natter_room_info_get_members(first), ==, 2);
	g_assert_nonnull(find_text(GTK_WIDGET(dialog), GTK_TYPE_LABEL, "#dev"));
	g_assert_nonnull(find_text(GTK_WIDGET(dialog), GTK_TYPE_LABEL, "2 people"));
	g_assert_nonnull(find_text(GTK_WIDGET(dialog), GTK_TYPE_LABEL, "Building natter in C"));
	g_assert_nonnull(find_text(GTK_WIDGET(dialog), GTK_TYPE_LABEL, "Cats, mostly"));
	g_autofree char *path = test_artifact_path("natter-join-dialog.png");
	test_save_png(GTK_WIDGET(dialog), path);

	/* The search box filters by name or topic. */
	natter_join_dialog_set_query(dialog, "cats");
	g_assert_cmpuint(g_list_model_get_n_items(shown), ==, 1);
	natter_join_dialog_set_query(dialog, "zzz");
	g_assert_cmpuint(g_list_model_get_n_items(shown), ==, 0);
	g_assert_nonnull(find_text(GTK_WIDGET(dialog), GTK_TYPE_LABEL,
				   "No room matches. Type a #name to start one."));

	/* Enter joins the match; the dialog closes and the room is shown. */
	natter_join_dialog_set_query(dialog, "dev");
	natter_join_dialog_join(dialog);
	g_free(raw_expect(bob, "JOIN #dev"));
	TEST_WAIT(dialog == NULL);
	TEST_WAIT(natter_session_find_conversation(f->session, "#dev") != NULL &&
		  natter_conversation_get_joined(natter_session_find_conversation(f->session, "#dev")));
	TEST_WAIT(g_strcmp0(active_name(f), "#dev") == 0);
	g_assert_true(focused_control(f) == GTK_WIDGET(message_entry(f)));

	/* A new #name typed in the box starts that room. */
	dialog = natter_window_open_join_dialog(f->win);
	g_object_add_weak_pointer(G_OBJECT(dialog), (gpointer *)&dialog);
	natter_join_dialog_set_query(dialog, "#brand-new");
	natter_join_dialog_join(dialog);
	TEST_WAIT(dialog == NULL);
	TEST_WAIT(natter_session_find_conversation(f->session, "#brand-new") != NULL);
	raw_close(bob);
	raw_close(carol);
}

/* ---------------------------------------------------------------- people */

static guint section_items(GMenuModel *menu, int section)
{
	g_autoptr(GMenuModel) link = g_menu_model_get_item_link(menu, section, G_MENU_LINK_SECTION);
	return link != NULL ? (guint)g_menu_model_get_n_items(link) : 0;
}

static char *menu_label(GMenuModel *menu, int section, int item)
{
	g_autoptr(GMenuModel) link = g_menu_model_get_item_link(menu, section, G_MENU_LINK_SECTION);
	char *label = NULL;
	g_menu_model_get_item_attribute(link, item, G_MENU_ATTRIBUTE_LABEL, "s", &label);
	return label;
}

static NatterWhoisCard *find_card(void)
{
	NatterWhoisCard *card = NULL;
	for (GList *l = gtk_window_list_toplevels(); l != NULL; l = g_list_delete_link(l, l))
		if (NATTER_IS_WHOIS_CARD(l->data))
			card = l->data;
	return card;
}

static void test_member_actions(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice"); /* first in a fresh #lobby: an operator */
	RawClient *bob = join_lobby(f, "bob");
	GtkWidget *win = GTK_WIDGET(f->win);
	NatterChatPage *page = NATTER_CHAT_PAGE(test_find_widget(win, NATTER_TYPE_CHAT_PAGE));
	NatterConversation *lobby = natter_session_find_conversation(f->session, NATTER_LOBBY);
	TEST_WAIT(strchr(natter_member_get_prefixes(natter_conversation_find_member(lobby, "alice")), '@') != NULL);

	/* Bob's menu for an operator: people actions, then operator actions. */
	g_autoptr(GMenuModel) menu = natter_chat_page_member_menu(page, natter_conversation_find_member(lobby, "bob"));
	g_assert_cmpuint(section_items(menu, 0), ==, 3);
	g_assert_cmpuint(section_items(menu, 1), ==, 4);
	g_autofree char *op_label = menu_label(menu, 1, 0);
	g_assert_cmpstr(op_label, ==, "Make Operator");
	/* One's own row: no private chat with oneself, no kicking oneself. */
	g_autoptr(GMenuModel) mine = natter_chat_page_member_menu(page, natter_conversation_find_member(lobby, "alice"));
	g_assert_cmpint(g_menu_model_get_n_items(mine), ==, 1);
	g_assert_cmpuint(section_items(mine, 0), ==, 2);

	/* A right click on bob's row pops the menu up at the row; closed, it goes. */
	GtkWidget *members_w = test_find_widget(win, NATTER_TYPE_MEMBER_LIST);
	GtkWidget *bob_label = find_text(members_w, GTK_TYPE_LABEL, "bob");
	g_assert_nonnull(bob_label);
	g_signal_emit_by_name(members_w, "member-menu", natter_conversation_find_member(lobby, "bob"), bob_label);
	GtkWidget *pop = test_find_widget(bob_label, GTK_TYPE_POPOVER_MENU);
	g_assert_nonnull(pop);
	TEST_WAIT(gtk_widget_get_mapped(pop));
	gtk_popover_popdown(GTK_POPOVER(pop));
	TEST_WAIT(test_find_widget(bob_label, GTK_TYPE_POPOVER_MENU) == NULL);

	/* Op and voice go to the server as MODE and come back as prefixes. */
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "chat.op", "s", "bob"));
	g_free(raw_expect(bob, "MODE #lobby +o bob"));
	TEST_WAIT(strchr(natter_member_get_prefixes(natter_conversation_find_member(lobby, "bob")), '@') != NULL);
	g_autoptr(GMenuModel) again = natter_chat_page_member_menu(page, natter_conversation_find_member(lobby, "bob"));
	g_autofree char *take = menu_label(again, 1, 0);
	g_assert_cmpstr(take, ==, "Take Operator");
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "chat.voice", "s", "bob"));
	g_free(raw_expect(bob, "MODE #lobby +v bob"));

	/* Mention puts the name in the message box. */
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "chat.mention", "s", "bob"));
	g_assert_cmpstr(entry_text(message_entry(f)), ==, "bob: ");
	set_entry(message_entry(f), "");

	/* Who is this: a card with the answer in words. */
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "chat.whois", "s", "bob"));
	TEST_WAIT(find_card() != NULL);
	NatterWhoisCard *card = find_card();
	gtk_test_widget_wait_for_draw(GTK_WIDGET(card));
	g_assert_nonnull(find_text(GTK_WIDGET(card), GTK_TYPE_LABEL, "Real name"));
	g_assert_nonnull(find_text(GTK_WIDGET(card), GTK_TYPE_LABEL, "raw test client"));
	g_assert_nonnull(find_text(GTK_WIDGET(card), GTK_TYPE_LABEL, "Signed on"));
	g_assert_nonnull(find_text(GTK_WIDGET(card), GTK_TYPE_LABEL, "#lobby (operator, voice)"));
	g_assert_nonnull(find_text(GTK_WIDGET(card), GTK_TYPE_LABEL, "Idle"));
	g_autofree char *path = test_artifact_path("natter-whois.png");
	test_save_png(GTK_WIDGET(card), path);
	gtk_window_destroy(GTK_WINDOW(card));

	/* Activating bob's row (Enter, double click) opens a private chat. */
	NatterMemberList *members = NATTER_MEMBER_LIST(test_find_widget(win, NATTER_TYPE_MEMBER_LIST));
	GListModel *rows = natter_member_list_get_model(members);
	guint bob_pos = G_MAXUINT;
	for (guint i = 0; i < g_list_model_get_n_items(rows); i++) {
		g_autoptr(NatterMember) m = g_list_model_get_item(rows, i);
		if (g_strcmp0(natter_member_get_nick(m), "bob") == 0)
			bob_pos = i;
	}
	g_assert_cmpuint(bob_pos, !=, G_MAXUINT);
	g_signal_emit_by_name(test_find_widget(GTK_WIDGET(members), GTK_TYPE_LIST_VIEW), "activate", bob_pos);
	g_assert_cmpstr(active_name(f), ==, "bob");
	g_assert_true(focused_control(f) == GTK_WIDGET(message_entry(f)));

	/* Close the private chat from its menu; kick bob from the room's. */
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "chat.leave", "s", "bob"));
	TEST_WAIT(natter_session_find_conversation(f->session, "bob") == NULL);
	natter_window_show_conversation(f->win, NATTER_LOBBY);
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "chat.kick", "s", "bob"));
	g_free(raw_expect(bob, "KICK #lobby bob"));
	TEST_WAIT(!test_has_member(f->session, NATTER_LOBBY, "bob"));

	/* Leave a room from its menu. */
	g_autoptr(GMenuModel) room_menu = natter_chat_page_conversation_menu(page, lobby);
	g_assert_cmpint(g_menu_model_get_n_items(room_menu), ==, 1);
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "chat.leave", "s", NATTER_LOBBY));
	TEST_WAIT(natter_session_find_conversation(f->session, NATTER_LOBBY) == NULL ||
		  !natter_conversation_get_joined(natter_session_find_conversation(f->session, NATTER_LOBBY)));
	raw_close(bob);
}

/* Typed "/whois bob" opens the same card as the member menu's "Who Is
 * This?", and the answer is not also written as lines in the room. */
static void test_whois_typed(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	NatterConversation *lobby = natter_session_find_conversation(f->session, NATTER_LOBBY);
	GListModel *msgs = natter_conversation_get_messages(lobby);
	guint before = g_list_model_get_n_items(msgs);

	type_and_enter(f, "/whois bob");
	g_assert_cmpstr(entry_text(message_entry(f)), ==, "");
	TEST_WAIT(find_card() != NULL);
	NatterWhoisCard *card = find_card();
	gtk_test_widget_wait_for_draw(GTK_WIDGET(card));
	g_assert_cmpstr(gtk_window_get_title(GTK_WINDOW(card)), ==, "bob");
	g_assert_nonnull(find_text(GTK_WIDGET(card), GTK_TYPE_LABEL, "Real name"));
	g_assert_nonnull(find_text(GTK_WIDGET(card), GTK_TYPE_LABEL, "raw test client"));
	g_assert_nonnull(find_text(GTK_WIDGET(card), GTK_TYPE_LABEL, "#lobby"));
	g_autofree char *path = test_artifact_path("natter-whois-typed.png");
	test_save_png(GTK_WIDGET(card), path);
	for (guint i = before; i < g_list_model_get_n_items(msgs); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i);
		g_assert_cmpint(natter_message_get_event(m), !=, NATTER_EVENT_WHOIS);
	}
	gtk_window_destroy(GTK_WINDOW(card));
	TEST_WAIT(find_card() == NULL);

	/* someone who is not there: the card says so */
	type_and_enter(f, "/whois nobody");
	TEST_WAIT(find_card() != NULL);
	gtk_test_widget_wait_for_draw(GTK_WIDGET(find_card()));
	g_assert_nonnull(find_text(GTK_WIDGET(find_card()), GTK_TYPE_LABEL, "No one is using this name now."));
	gtk_window_destroy(GTK_WINDOW(find_card()));
	raw_close(bob);
}

static NatterServerInfo *find_server_info(void)
{
	NatterServerInfo *view = NULL;
	for (GList *l = gtk_window_list_toplevels(); l != NULL; l = g_list_delete_link(l, l))
		if (NATTER_IS_SERVER_INFO(l->data))
			view = l->data;
	return view;
}

static gboolean server_info_complete(NatterSession *s)
{
	GListModel *info = natter_session_get_server_info(s);
	guint n = g_list_model_get_n_items(info);
	g_autoptr(NatterMessage) last = n > 0 ? g_list_model_get_item(info, n - 1) : NULL;
	return last != NULL && g_str_has_prefix(natter_message_get_text(last), "Current global users");
}

/* The first screen after connecting is the room, not server statistics:
 * the LUSERS lines (251-255, 265, 266) are in the server view (Server
 * Information in the menu), in words; typed /lusers shows them here. */
static void test_server_info(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	TEST_WAIT(server_info_complete(f->session));
	test_settle(GTK_WIDGET(f->win));
	static const char *const stats[] = { "users and", "channels formed", "I have ", "Current local users",
					     "Current global users" };
	for (guint i = 0; i < G_N_ELEMENTS(stats); i++)
		if (test_has_text(f->session, NATTER_LOBBY, stats[i]))
			g_error("#lobby shows the server statistics line “%s…”", stats[i]);
	GtkWidget *view = test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MESSAGE_VIEW);
	g_assert_null(find_label_containing(view, "invisible"));
	g_autofree char *lobby_shot = test_artifact_path("natter-first-screen.png");
	test_save_png(GTK_WIDGET(f->win), lobby_shot);

	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(f->win), "win.server-info", NULL));
	TEST_WAIT(find_server_info() != NULL);
	NatterServerInfo *info = find_server_info();
	gtk_test_widget_wait_for_draw(GTK_WIDGET(info));
	g_assert_nonnull(find_text(GTK_WIDGET(info), GTK_TYPE_LABEL, "There are 1 users and 0 invisible on 1 server"));
	g_assert_nonnull(find_label_containing(GTK_WIDGET(info), "Current global users 1"));
	g_assert_nonnull(find_text(GTK_WIDGET(info), GTK_TYPE_LABEL, "Connected"));
	g_assert_nonnull(find_text(GTK_WIDGET(info), GTK_TYPE_LABEL, "alice"));
	g_autofree char *shot = test_artifact_path("natter-server-info.png");
	test_save_png(GTK_WIDGET(info), shot);
	gtk_window_destroy(GTK_WINDOW(info));

	/* asked for, the answer shows where it was asked */
	type_and_enter(f, "/lusers");
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "Current global users"));
	g_assert_true(test_has_text(f->session, NATTER_LOBBY, "There are 1 users and 0 invisible"));
}

static double thread_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A 10,000-member NAMES reply while the room is on screen: the model, the
 * member list (rows recycled) and the next frame together. Prints the
 * main-thread CPU time (a figure, asserted only loosely: the goal of
 * < 100 ms is for the model, see bench/README.md). */
static void test_big_names_shown(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	settle(f);
	GtkWidget *members = test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MEMBER_LIST);
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) line = g_string_new(NULL);
	for (guint i = 0; i < 10000; i++) {
		if (line->len == 0)
			g_string_append(line, ":irc.natter.local 353 alice = #lobby :");
		else
			g_string_append_c(line, ' ');
		guint x = (i * 2654435761u) % 1000003u;
		g_string_append_printf(line, "%su%06u_%u", i % 50 == 0 ? "+" : "", x, i);
		if (line->len > 440 || i == 9999) {
			g_ptr_array_add(lines, g_strdup(line->str));
			g_string_truncate(line, 0);
		}
	}
	double start = thread_cpu_ms();
	for (guint i = 0; i < lines->len; i++)
		natter_session_feed(f->session, g_ptr_array_index(lines, i));
	natter_session_feed(f->session, ":irc.natter.local 366 alice #lobby :End of /NAMES list.");
	double fed = thread_cpu_ms();
	gtk_widget_queue_draw(GTK_WIDGET(f->win));
	gtk_test_widget_wait_for_draw(GTK_WIDGET(f->win));
	double drawn = thread_cpu_ms();
	g_test_message("10,000-member NAMES (%u lines) with the room shown: %.1f ms main-thread CPU "
		       "to handle, %.1f ms more for the next frame", lines->len, fed - start, drawn - fed);
	g_assert_nonnull(find_text(members, GTK_TYPE_LABEL, "Members (10001)"));
	g_assert_cmpfloat(fed - start, <, 2000); /* loose: a busy CI machine */
	/* The list shows them all, in order, at the next frame. */
	GListModel *shown = natter_member_list_get_model(NATTER_MEMBER_LIST(members));
	g_assert_cmpuint(g_list_model_get_n_items(shown), ==, 10001);
	g_autoptr(NatterMember) first = g_list_model_get_item(shown, 0);
	g_assert_cmpstr(natter_member_get_nick(first), ==, "alice");
}

/* An error in a conversation not on screen passes by as a toast. */
static void test_toast(Fixture *f, gconstpointer data)
{
	(void)data;
	RawClient *bob = raw_connect(f->server->port, "bob");
	raw_send(bob, "JOIN #lobby"); /* first in: bob runs #lobby, not alice */
	g_free(raw_expect(bob, " 366 "));
	show_window(f);
	connect_as(f, "alice");
	natter_session_set_active(f->session, natter_session_open_private(f->session, "bob"));
	type_and_enter(f, "/kick #lobby bob");
	TEST_WAIT(find_label_containing(GTK_WIDGET(f->win), "#lobby: ") != NULL);
	GtkWidget *toast = find_label_containing(GTK_WIDGET(f->win), "#lobby: ");
	g_test_message("toast: %s", gtk_label_get_text(GTK_LABEL(toast)));
	g_assert_null(gtk_widget_get_ancestor(toast, NATTER_TYPE_CHAT_PAGE)); /* over it, not in it */
	g_assert_cmpstr(active_name(f), ==, "bob"); /* the view stays where it was */
	raw_close(bob);
}

/* ---------------------------------------------------------------- big rooms */

static guint count_children(GtkWidget *w)
{
	guint n = 0;
	for (GtkWidget *c = gtk_widget_get_first_child(w); c != NULL; c = gtk_widget_get_next_sibling(c))
		n++;
	return n;
}

static guint count_labels(GtkWidget *root)
{
	guint n = GTK_IS_LABEL(root);
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c))
		n += count_labels(c);
	return n;
}

/* Thousands of members and lines: the views keep a screenful of row
 * widgets (recycled), not one per member or line. */
static void test_big_room(Fixture *f, gconstpointer data)
{
	(void)data;
	show_window(f);
	connect_as(f, "alice");
	NatterConversation *lobby = natter_session_find_conversation(f->session, NATTER_LOBBY);
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *members = test_find_widget(win, NATTER_TYPE_MEMBER_LIST);
	GtkWidget *view = test_find_widget(win, NATTER_TYPE_MESSAGE_VIEW);

	for (guint i = 0; i < 3000; i++) {
		g_autofree char *nick = g_strdup_printf("user%04u", i);
		natter_conversation_add_member(lobby, nick, i % 100 == 0 ? "+" : "");
		g_autoptr(NatterMessage) m = natter_message_new(NATTER_MESSAGE_TEXT, NULL, nick,
								 "a line of chatter", FALSE);
		natter_conversation_add_message(lobby, m);
	}
	g_autoptr(NatterMessage) last = natter_message_new(NATTER_MESSAGE_TEXT, NULL, "user2999",
							    "the very last line", FALSE);
	natter_conversation_add_message(lobby, last);
	ASSERT_AT_BOTTOM(f, "after 3000 lines");
	g_assert_nonnull(find_text(members, GTK_TYPE_LABEL, "Members (3001)"));
	guint member_rows_made = count_children(test_find_widget(members, GTK_TYPE_LIST_VIEW));
	guint message_rows_made = count_children(test_find_widget(view, GTK_TYPE_LIST_VIEW));
	g_test_message("row widgets: %u members, %u messages (labels: %u, %u)", member_rows_made,
		       message_rows_made, count_labels(members), count_labels(view));
	g_assert_cmpuint(member_rows_made, <, 400); /* GTK keeps about 200 rows around */
	g_assert_cmpuint(message_rows_made, <, 400);

	/* Sorted: the operator first, then the voiced, then by name. */
	GListModel *shown = natter_member_list_get_model(NATTER_MEMBER_LIST(members));
	g_autoptr(NatterMember) first = g_list_model_get_item(shown, 0);
	g_autoptr(NatterMember) second = g_list_model_get_item(shown, 1);
	g_autoptr(NatterMember) after_voiced = g_list_model_get_item(shown, 31);
	g_assert_cmpstr(natter_member_get_nick(first), ==, "alice");
	g_assert_cmpstr(natter_member_get_nick(second), ==, "user0000");
	g_assert_cmpstr(natter_member_get_prefixes(second), ==, "+");
	g_assert_cmpstr(natter_member_get_nick(after_voiced), ==, "user0001");
}

/* ---------------------------------------------------------------- screenshot */

/* Relative luminance (WCAG) of an sRGB colour given as 0..255 channels. */
static double luminance(double r, double g, double b)
{
	double c[3] = { r / 255, g / 255, b / 255 };
	for (int i = 0; i < 3; i++)
		c[i] = c[i] <= 0.03928 ? c[i] / 12.92 : pow((c[i] + 0.055) / 1.055, 2.4);
	return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

static double contrast(double l1, double l2)
{
	return (MAX(l1, l2) + 0.05) / (MIN(l1, l2) + 0.05);
}

/* The luminance of the pixel at (@x, @y) of @texture. */
static double pixel_luminance(GdkTexture *texture, int x, int y)
{
	int w = gdk_texture_get_width(texture), h = gdk_texture_get_height(texture);
	g_autofree guchar *data = g_malloc((gsize)w * (gsize)h * 4);
	gdk_texture_download(texture, data, (gsize)w * 4);
	guchar *p = data + ((gsize)y * (gsize)w + (gsize)x) * 4; /* B G R A (cairo ARGB32) */
	return luminance(p[2], p[1], p[0]);
}

static double hex_luminance(const char *hex)
{
	guint r, g, b;
	g_assert_cmpint(sscanf(hex, "#%02x%02x%02x", &r, &g, &b), ==, 3);
	return luminance(r, g, b);
}

/* A point of @widget in window coordinates. */
static void widget_point(GtkWidget *widget, GtkWidget *win, double x, double y, int *wx, int *wy)
{
	graphene_point_t in = GRAPHENE_POINT_INIT((float)x, (float)y), out;
	g_assert_true(gtk_widget_compute_point(widget, win, &in, &out));
	*wx = (int)out.x;
	*wy = (int)out.y;
}

/* Whether a label under @root has @needle in its markup. */
static gboolean label_markup_contains(GtkWidget *root, const char *needle)
{
	if (GTK_IS_LABEL(root) && strstr(gtk_label_get_label(GTK_LABEL(root)), needle) != NULL)
		return TRUE;
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c))
		if (label_markup_contains(c, needle))
			return TRUE;
	return FALSE;
}

static guint count_mapped_labels(GtkWidget *root)
{
	guint n = GTK_IS_LABEL(root) && gtk_widget_get_mapped(root);
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c))
		n += count_mapped_labels(c);
	return n;
}

/* Member rows on screen (the list's labels, less its heading). */
static guint member_rows(Fixture *f)
{
	GtkWidget *members = test_find_widget(GTK_WIDGET(f->win), NATTER_TYPE_MEMBER_LIST);
	GtkWidget *list = test_find_widget(members, GTK_TYPE_LIST_VIEW);
	return count_mapped_labels(list);
}

static void test_lobby_screenshot(Fixture *f, gconstpointer data)
{
	(void)data;
	const char *dir = g_getenv("NATTER_ARTIFACTS");
	show_window(f);
	/* The first in a fresh server's #lobby runs it: alice is '@'. */
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	RawClient *carol = join_lobby(f, "carol");
	type_and_enter(f, "/topic Welcome to natter — be kind, stay curious");
	TEST_WAIT(g_strcmp0(natter_conversation_get_topic(natter_session_find_conversation(
				    f->session, NATTER_LOBBY)), "Welcome to natter — be kind, stay curious") == 0);
	type_and_enter(f, "Hi both! The meeting notes are up.");
	raw_send(bob, "PRIVMSG #lobby :Thanks! Found them at https://natter.example.org/notes/2024-05 :)");
	raw_send(carol, "PRIVMSG #lobby :\001ACTION is reading them now\001");
	raw_send(carol, "PRIVMSG #lobby :Looks good to me.");
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "Looks good to me."));
	TEST_WAIT(member_rows(f) == 3);

	GtkWidget *win = GTK_WIDGET(f->win);
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "@alice"));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "bob"));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "carol"));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "Members (3)"));
	g_assert_nonnull(find_text(win, GTK_TYPE_LABEL, "Welcome to natter — be kind, stay curious"));
	g_assert_true(gtk_widget_get_visible(find_text(win, GTK_TYPE_LABEL,
							  "Welcome to natter — be kind, stay curious")));

	/* The address is a link in the message view. */
	GtkWidget *view = test_find_widget(win, NATTER_TYPE_MESSAGE_VIEW);
	gboolean linked = label_markup_contains(view, "<a href=\"https://natter.example.org/notes/2024-05\">");
	g_assert_true(linked);

	gtk_widget_queue_draw(win);
	gtk_test_widget_wait_for_draw(win);
	if (dir != NULL) {
		g_mkdir_with_parents(dir, 0755);
		g_autofree char *path = g_build_filename(dir, "natter-lobby.png", NULL);
		test_save_png(win, path);
	}
	raw_close(bob);
	raw_close(carol);
}

/* ---------------------------------------------------------------- dark style, narrow window */

static void test_dark_style(Fixture *f, gconstpointer data)
{
	(void)data;
	AdwStyleManager *style = adw_style_manager_get_default();
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	raw_send(bob, "PRIVMSG #lobby :evening, everyone");
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "evening, everyone"));
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *view = test_find_widget(win, NATTER_TYPE_MESSAGE_VIEW);
	const char *light_bob = natter_message_view_nick_colour("bob");

	adw_style_manager_set_color_scheme(style, ADW_COLOR_SCHEME_FORCE_DARK);
	settle(f);
	g_assert_true(adw_style_manager_get_dark(style));
	g_autofree char *path = test_artifact_path("natter-dark.png");
	g_autoptr(GdkTexture) shot = test_render_widget(win, path);

	/* The message area is dark (an empty spot near its bottom right)... */
	int x, y;
	widget_point(view, win, gtk_widget_get_width(view) - 20, gtk_widget_get_height(view) - 40, &x, &y);
	double bg = pixel_luminance(shot, x, y);
	g_test_message("dark message background luminance %.3f", bg);
	g_assert_cmpfloat(bg, <, 0.05);
	/* ...so is the sidebar, and the text on them is light. */
	GtkWidget *convs = test_find_widget(win, GTK_TYPE_LIST_BOX);
	widget_point(convs, win, gtk_widget_get_width(convs) - 10, gtk_widget_get_height(convs) - 10, &x, &y);
	g_assert_cmpfloat(pixel_luminance(shot, x, y), <, 0.08);
	/* Nick colours switch to the dark palette and read at 4.5:1 on it. */
	const char *dark_bob = natter_message_view_nick_colour("bob");
	g_assert_cmpstr(dark_bob, !=, light_bob);
	g_autofree char *want = g_strdup_printf("foreground=\"%s\"", dark_bob);
	g_assert_true(label_markup_contains(view, want));
	for (guint i = 0; i < 10; i++) {
		g_autofree char *nick = g_strdup_printf("n%u", i);
		double c = contrast(hex_luminance(natter_message_view_nick_colour(nick)), bg);
		g_assert_cmpfloat(c, >=, 4.5);
	}

	/* Back to light: a light background and the light palette, also 4.5:1. */
	adw_style_manager_set_color_scheme(style, ADW_COLOR_SCHEME_FORCE_LIGHT);
	settle(f);
	g_autoptr(GdkTexture) light = test_render_widget(win, NULL);
	widget_point(view, win, gtk_widget_get_width(view) - 20, gtk_widget_get_height(view) - 40, &x, &y);
	double light_bg = pixel_luminance(light, x, y);
	g_assert_cmpfloat(light_bg, >, 0.8);
	g_assert_cmpstr(natter_message_view_nick_colour("bob"), ==, light_bob);
	for (guint i = 0; i < 10; i++) {
		g_autofree char *nick = g_strdup_printf("n%u", i);
		g_assert_cmpfloat(contrast(hex_luminance(natter_message_view_nick_colour(nick)), light_bg), >=, 4.5);
	}
	adw_style_manager_set_color_scheme(style, ADW_COLOR_SCHEME_DEFAULT);
	raw_close(bob);
}

/* At 360 px the sidebar folds away and the member list slides over the
 * messages: the message pane keeps (nearly) the whole width. */
static void test_narrow(Fixture *f, gconstpointer data)
{
	(void)data;
	gtk_window_set_default_size(GTK_WINDOW(f->win), 360, 640);
	show_window(f);
	connect_as(f, "alice");
	RawClient *bob = join_lobby(f, "bob");
	raw_send(bob, "PRIVMSG #lobby :a message that needs the room to be read in one go");
	TEST_WAIT(test_has_text(f->session, NATTER_LOBBY, "needs the room"));
	settle(f);
	GtkWidget *win = GTK_WIDGET(f->win);
	GtkWidget *view = test_find_widget(win, NATTER_TYPE_MESSAGE_VIEW);
	GtkWidget *members = test_find_widget(win, NATTER_TYPE_MEMBER_LIST);
	GtkWidget *people = find_text(win, GTK_TYPE_BUTTON, "People");
	GtkWidget *convs = test_find_widget(win, NATTER_TYPE_CONVERSATION_LIST);

	g_assert_cmpint(gtk_widget_get_width(win), <=, 380);
	/* The fold is animated: on a loaded machine the settle above may end
	 * in the middle of it; the settled layout is what is checked. */
	TEST_WAIT(!gtk_widget_get_mapped(convs)); /* folded behind the back button */
	TEST_WAIT(gtk_widget_get_width(view) >= gtk_widget_get_width(win) * 9 / 10);
	TEST_WAIT(!gtk_widget_get_mapped(members)); /* the member list has slid away */
	g_test_message("window %d px, messages %d px", gtk_widget_get_width(win), gtk_widget_get_width(view));
	ASSERT_AT_BOTTOM(f, "at 360 px");
	g_autofree char *path = test_artifact_path("natter-360.png");
	test_save_png(win, path);

	/* The member list, asked for, overlays: the messages stay as wide. */
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(people), TRUE);
	settle(f);
	TEST_WAIT(gtk_widget_get_mapped(members) && gtk_widget_get_width(members) > 100); /* slides in */
	settle(f);
	/* The slide is animated: a frame in the middle of it may still be laid
	 * out a few pixels narrower; the settled view must be as wide. */
	TEST_WAIT(gtk_widget_get_width(view) >= gtk_widget_get_width(win) * 9 / 10);
	g_autofree char *path2 = test_artifact_path("natter-360-members.png");
	test_save_png(win, path2);

	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(people), FALSE);
	raw_close(bob);
}

int main(int argc, char **argv)
{
	/* Keep the remembered connection out of the real config dir. */
	test_gui_init(&argc, &argv, "natter-widgets-XXXXXX");

#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/widgets/a11y-names", test_a11y_names);
	ADD("/widgets/connect-keyboard", test_connect_keyboard);
	ADD("/widgets/completion", test_completion);
	ADD("/widgets/history", test_history);
	ADD("/widgets/text-kept-on-failure", test_text_kept);
	ADD("/widgets/private-no-members-pane", test_private_members);
	ADD("/widgets/notification-unfocused", test_notification);
	ADD("/widgets/scroll-stays-at-bottom", test_scroll_stays_at_bottom);
	ADD("/widgets/scroll-kept-when-reading", test_scroll_kept_when_reading);
	ADD("/widgets/separator-follows-reading", test_separator_follows_reading);
	ADD("/widgets/short-at-bottom", test_short_at_bottom);
	ADD("/widgets/mention-and-away", test_mention_and_away);
	ADD("/widgets/tab-no-trap", test_tab_no_trap);
	ADD("/widgets/keyboard-switching", test_keyboard_switching);
	ADD("/widgets/join-dialog", test_join_dialog);
	ADD("/widgets/member-actions", test_member_actions);
	ADD("/widgets/whois-typed", test_whois_typed);
	ADD("/widgets/server-info", test_server_info);
	ADD("/widgets/toast", test_toast);
	ADD("/widgets/big-names-shown", test_big_names_shown);
	ADD("/widgets/big-room", test_big_room);
	ADD("/widgets/lobby-screenshot", test_lobby_screenshot);
	ADD("/widgets/dark-style", test_dark_style);
	ADD("/widgets/narrow-360", test_narrow);
	return test_gui_run();
}
