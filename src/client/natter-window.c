/* natter-window.c - the main window (see natter-window.h). */
#include "natter-window.h"

#include <adwaita.h>

#include "irc_names.h"
#include "natter-chat-page.h"
#include "natter-connect-page.h"
#include "natter-session.h"
#include "natter-settings.h"
#include "natter-join-dialog.h"
#include "natter-server-info.h"
#include "natter-switcher.h"

struct _NatterWindow {
	AdwApplicationWindow parent_instance;

	AdwToastOverlay *toasts;
	GtkMenuButton *connect_menu_button;
	GtkStack *stack;
	NatterConnectPage *connect_page;
	NatterChatPage *chat_page;
	NatterSession *session;
	NatterNotifyFunc notify_func;
	gpointer notify_data;
	GPtrArray *pending_toasts; /* errors elsewhere, shown when idle */
	guint toast_idle;
};

G_DEFINE_FINAL_TYPE(NatterWindow, natter_window, ADW_TYPE_APPLICATION_WINDOW)

/* The title names the conversation and oneself, so two windows differ. */
static void update_title(NatterWindow *self)
{
	gboolean chatting = g_strcmp0(gtk_stack_get_visible_child_name(self->stack), "chat") == 0;
	g_autofree char *title = chatting ? natter_chat_page_dup_title(self->chat_page) : g_strdup("Natter");

	gtk_window_set_title(GTK_WINDOW(self), title);
}

void natter_window_add_toast(NatterWindow *self, const char *text)
{
	AdwToast *toast = adw_toast_new(text);

	adw_toast_set_timeout(toast, 5);
	adw_toast_overlay_add_toast(self->toasts, toast);
}

/* Remembers the rooms open now, for the next start (natter-settings.h). Only
 * while connected: a reconnect or /quit must not forget them. */
static void save_rooms(NatterWindow *self)
{
	GListModel *convs = natter_session_get_conversations(self->session);
	g_autoptr(GPtrArray) rooms = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	const char *nick = natter_session_get_nick(self->session);

	if (natter_session_get_state(self->session) != NATTER_SESSION_CONNECTED || nick == NULL)
		return;
	for (guint i = 0; i < g_list_model_get_n_items(convs); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(convs, i);
		const char *name = natter_conversation_get_name(c);
		if (natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM &&
		    irc_casecmp(name, NATTER_LOBBY) != 0)
			g_ptr_array_add(rooms, (gpointer)name);
	}
	g_ptr_array_add(rooms, NULL);
	if (!natter_settings_save_rooms(nick, (const char *const *)rooms->pdata, &error))
		g_warning("could not remember the open rooms: %s", error->message);
}

static void on_registered(NatterWindow *self)
{
	g_autoptr(NatterSettings) settings = natter_settings_load();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) last_rooms = natter_settings_load_rooms(natter_session_get_nick(self->session));

	/* The JOINs go out right after this signal (natter_session_set_autojoin). */
	natter_session_set_autojoin(self->session, (const char *const *)last_rooms);

	if (g_strcmp0(gtk_stack_get_visible_child_name(self->stack), "chat") != 0) {
		gtk_stack_set_visible_child_name(self->stack, "chat");
		natter_chat_page_focus_input(self->chat_page);
		update_title(self);
	}
	/* Remember what worked. */
	g_free(settings->host);
	settings->host = g_strdup(natter_session_get_host(self->session));
	settings->port = natter_session_get_port(self->session);
	settings->tls = natter_session_get_tls(self->session);
	g_free(settings->nick);
	settings->nick = g_strdup(natter_session_get_nick(self->session));
	if (!natter_settings_save(settings, &error)) {
		g_autofree char *text = g_strdup_printf("Could not remember the connection: %s", error->message);
		natter_window_add_toast(self, text);
	}
}

static void on_state(NatterWindow *self)
{
	if (natter_session_get_state(self->session) == NATTER_SESSION_DISCONNECTED &&
	    g_strcmp0(gtk_stack_get_visible_child_name(self->stack), "connect") != 0) {
		/* /quit: back to the connect screen */
		gtk_stack_set_visible_child_name(self->stack, "connect");
		natter_connect_page_focus(self->connect_page);
		update_title(self);
	}
}

gboolean natter_window_wants_notification(NatterConversation *conv, NatterMessage *msg,
					  gboolean window_focused)
{
	NatterMessageKind kind = natter_message_get_kind(msg);

	if (window_focused || natter_message_is_own(msg) ||
	    (kind != NATTER_MESSAGE_TEXT && kind != NATTER_MESSAGE_ACTION))
		return FALSE;
	/* Private words, or one's name said in a room. */
	return natter_conversation_get_kind(conv) == NATTER_CONVERSATION_PRIVATE ||
	       natter_message_get_mention(msg);
}

static void send_notification(NatterWindow *self, const char *id, const char *title,
			      const char *body, const char *conversation, gpointer data)
{
	GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));

	(void)data;
	if (app == NULL || !g_application_get_is_registered(app))
		return;
	g_autoptr(GNotification) n = g_notification_new(title);
	g_notification_set_body(n, body);
	g_notification_set_priority(n, G_NOTIFICATION_PRIORITY_HIGH);
	g_notification_set_default_action_and_target(n, "app.show-conversation", "s", conversation);
	g_application_send_notification(app, id, n);
}

void natter_window_set_notify_func(NatterWindow *self, NatterNotifyFunc func, gpointer data)
{
	self->notify_func = func != NULL ? func : send_notification;
	self->notify_data = func != NULL ? data : NULL;
}

/* Once the line's handling is over: a lost connection has its banner. */
static gboolean show_pending_toasts(gpointer data)
{
	NatterWindow *self = data;

	self->toast_idle = 0;
	if (natter_session_get_state(self->session) == NATTER_SESSION_CONNECTED)
		for (guint i = 0; i < self->pending_toasts->len; i++)
			natter_window_add_toast(self, g_ptr_array_index(self->pending_toasts, i));
	g_ptr_array_set_size(self->pending_toasts, 0);
	return G_SOURCE_REMOVE;
}

static void on_message_added(NatterWindow *self, NatterConversation *conv, NatterMessage *msg)
{
	/* An error where the person is not looking passes by as a toast (a lost
	 * connection has its banner instead). */
	if (natter_message_get_kind(msg) == NATTER_MESSAGE_ERROR &&
	    conv != natter_session_get_active(self->session)) {
		g_ptr_array_add(self->pending_toasts, g_strdup_printf("%s: %s", natter_conversation_get_name(conv),
								       natter_message_get_text(msg)));
		if (self->toast_idle == 0)
			self->toast_idle = g_idle_add(show_pending_toasts, self);
	}
	if (!natter_window_wants_notification(conv, msg, gtk_window_is_active(GTK_WINDOW(self))))
		return;
	const char *name = natter_conversation_get_name(conv);
	gboolean room = natter_conversation_get_kind(conv) == NATTER_CONVERSATION_ROOM;
	g_autofree char *title = room ? g_strdup_printf("%s mentioned you in %s", natter_message_get_nick(msg), name)
				      : g_strdup_printf("%s wrote to you", natter_message_get_nick(msg));
	g_autofree char *body = natter_message_get_kind(msg) == NATTER_MESSAGE_ACTION
					? g_strdup_printf("* %s %s", natter_message_get_nick(msg),
							  natter_message_get_text(msg))
					: g_strdup(natter_message_get_text(msg));
	g_autofree char *id = g_strdup_printf("%s-%s", room ? "mention" : "private", name);
	self->notify_func(self, id, title, body, name, self->notify_data);
}

void natter_window_show_conversation(NatterWindow *self, const char *name)
{
	NatterConversation *conv = natter_session_find_conversation(self->session, name);

	if (conv != NULL)
		natter_session_set_active(self->session, conv);
	gtk_window_present(GTK_WINDOW(self));
}

void natter_window_fill(NatterWindow *self, const char *host, guint16 port, const char *nick)
{
	natter_connect_page_fill(self->connect_page, host, port, nick);
}

void natter_window_set_tls(NatterWindow *self, gboolean tls)
{
	natter_connect_page_set_tls(self->connect_page, tls);
}

void natter_window_connect(NatterWindow *self)
{
	natter_connect_page_connect(self->connect_page);
}

NatterSession *natter_window_get_session(NatterWindow *self)
{
	return self->session;
}

/* ---------------------------------------------------------------- keyboard */

static gboolean chatting(NatterWindow *self)
{
	return g_strcmp0(gtk_stack_get_visible_child_name(self->stack), "chat") == 0;
}

/* Shows conversation @index (wrapping), the message box focused. */
static void show_index(NatterWindow *self, int index, gboolean wrap)
{
	GListModel *convs = natter_session_get_conversations(self->session);
	int n = (int)g_list_model_get_n_items(convs);

	if (!chatting(self) || n == 0)
		return;
	if (wrap)
		index = ((index % n) + n) % n;
	if (index < 0 || index >= n) {
		gtk_widget_error_bell(GTK_WIDGET(self));
		return;
	}
	g_autoptr(NatterConversation) conv = g_list_model_get_item(convs, (guint)index);
	natter_session_set_active(self->session, conv);
	natter_chat_page_focus_input(self->chat_page);
}

static int active_index(NatterWindow *self)
{
	NatterConversation *active = natter_session_get_active(self->session);
	guint index;

	if (active == NULL || !g_list_store_find(G_LIST_STORE(natter_session_get_conversations(self->session)),
						  active, &index))
		return 0;
	return (int)index;
}

static void action_next(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterWindow *self = NATTER_WINDOW(widget);
	(void)name; (void)param;
	show_index(self, active_index(self) + 1, TRUE);
}

static void action_previous(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterWindow *self = NATTER_WINDOW(widget);
	(void)name; (void)param;
	show_index(self, active_index(self) - 1, TRUE);
}

static void action_nth(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)name;
	show_index(NATTER_WINDOW(widget), g_variant_get_int32(param) - 1, FALSE);
}

static void action_focus_input(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterWindow *self = NATTER_WINDOW(widget);
	(void)name; (void)param;
	if (chatting(self))
		natter_chat_page_focus_input(self->chat_page);
}

static void action_scroll_page(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterWindow *self = NATTER_WINDOW(widget);
	(void)name;
	if (chatting(self))
		natter_message_view_scroll_page(natter_chat_page_get_message_view(self->chat_page),
						g_variant_get_int32(param));
}

static void on_switcher_done(NatterWindow *self)
{
	natter_chat_page_focus_input(self->chat_page);
}

NatterSwitcher *natter_window_open_switcher(NatterWindow *self)
{
	if (!chatting(self))
		return NULL;
	NatterSwitcher *switcher = natter_switcher_new(GTK_WINDOW(self), self->session);
	g_signal_connect_object(switcher, "done", G_CALLBACK(on_switcher_done), self, G_CONNECT_SWAPPED);
	gtk_window_present(GTK_WINDOW(switcher));
	return switcher;
}

static void action_switcher(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)name; (void)param;
	natter_window_open_switcher(NATTER_WINDOW(widget));
}

static void on_join_done(NatterWindow *self)
{
	natter_chat_page_focus_input(self->chat_page);
}

NatterJoinDialog *natter_window_open_join_dialog(NatterWindow *self)
{
	if (!chatting(self) || natter_session_get_state(self->session) != NATTER_SESSION_CONNECTED)
		return NULL;
	NatterJoinDialog *dialog = natter_join_dialog_new(GTK_WINDOW(self), self->session);
	g_signal_connect_object(dialog, "done", G_CALLBACK(on_join_done), self, G_CONNECT_SWAPPED);
	gtk_window_present(GTK_WINDOW(dialog));
	return dialog;
}

static void action_join_room(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)name; (void)param;
	natter_window_open_join_dialog(NATTER_WINDOW(widget));
}

/* Server Information (the menu): the server view, where the statistics
 * the server sends after connecting are shown (not in the rooms). */
static void action_server_info(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterWindow *self = NATTER_WINDOW(widget);
	(void)name; (void)param;
	gtk_window_present(GTK_WINDOW(natter_server_info_new(GTK_WINDOW(self), self->session)));
}

/* Away (the menu): a stateful window action that follows the server's word. */
static void on_away_toggled(GSimpleAction *action, GVariant *state, gpointer data)
{
	NatterWindow *self = data;
	gboolean away = g_variant_get_boolean(state);

	if (natter_session_set_away(self->session, away ? "Away from the keyboard" : NULL))
		return; /* the state follows when the server confirms (305/306) */
	g_simple_action_set_state(action, g_variant_new_boolean(natter_session_get_away(self->session)));
	natter_window_add_toast(self, "Not connected: your away state cannot change now.");
}

static void sync_away(NatterWindow *self)
{
	GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), "away");

	if (action != NULL)
		g_simple_action_set_state(G_SIMPLE_ACTION(action),
					  g_variant_new_boolean(natter_session_get_away(self->session)));
}

static void add_keys(GtkWidgetClass *widget_class)
{
	gtk_widget_class_install_action(widget_class, "win.join-room", NULL, action_join_room);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.join-room", NULL);
	gtk_widget_class_install_action(widget_class, "win.switcher", NULL, action_switcher);
	gtk_widget_class_install_action(widget_class, "win.server-info", NULL, action_server_info);
	gtk_widget_class_install_action(widget_class, "win.conversation-next", NULL, action_next);
	gtk_widget_class_install_action(widget_class, "win.conversation-previous", NULL, action_previous);
	gtk_widget_class_install_action(widget_class, "win.conversation-nth", "i", action_nth);
	gtk_widget_class_install_action(widget_class, "win.focus-input", NULL, action_focus_input);
	gtk_widget_class_install_action(widget_class, "win.scroll-page", "i", action_scroll_page);

	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "win.switcher", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_question, GDK_CONTROL_MASK,
					    "win.show-help-overlay", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Page_Down, GDK_CONTROL_MASK,
					    "win.conversation-next", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Page_Up, GDK_CONTROL_MASK,
					    "win.conversation-previous", NULL);
	for (int i = 1; i <= 9; i++)
		gtk_widget_class_add_binding_action(widget_class, GDK_KEY_0 + i, GDK_ALT_MASK,
						    "win.conversation-nth", "i", i);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "win.focus-input", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Page_Up, 0, "win.scroll-page", "i", -1);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Page_Down, 0, "win.scroll-page", "i", 1);
}

static void natter_window_dispose(GObject *object)
{
	NatterWindow *self = NATTER_WINDOW(object);

	if (self->session != NULL) {
		g_signal_handlers_disconnect_by_data(self->session, self);
		natter_session_disconnect(self->session, "Closed the window");
	}
	g_clear_object(&self->session);
	g_clear_handle_id(&self->toast_idle, g_source_remove);
	g_clear_pointer(&self->pending_toasts, g_ptr_array_unref);
	G_OBJECT_CLASS(natter_window_parent_class)->dispose(object);
}

static void natter_window_class_init(NatterWindowClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_window_dispose;
	g_type_ensure(NATTER_TYPE_CONNECT_PAGE);
	g_type_ensure(NATTER_TYPE_CHAT_PAGE);
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-window.ui");
	add_keys(widget_class);
	gtk_widget_class_bind_template_child(widget_class, NatterWindow, toasts);
	gtk_widget_class_bind_template_child(widget_class, NatterWindow, connect_menu_button);
	gtk_widget_class_bind_template_child(widget_class, NatterWindow, stack);
	gtk_widget_class_bind_template_child(widget_class, NatterWindow, connect_page);
	gtk_widget_class_bind_template_child(widget_class, NatterWindow, chat_page);
}

static void natter_window_init(NatterWindow *self)
{
	g_autoptr(NatterSettings) settings = natter_settings_load();

	gtk_widget_init_template(GTK_WIDGET(self));
	self->notify_func = send_notification;
	self->pending_toasts = g_ptr_array_new_with_free_func(g_free);
	self->session = natter_session_new();
	natter_connect_page_set_session(self->connect_page, self->session);
	natter_chat_page_set_session(self->chat_page, self->session);
	g_signal_connect_swapped(self->session, "registered", G_CALLBACK(on_registered), self);
	/* The list is an object of its own: connected to the window's life,
	 * as dispose disconnects only the session's own handlers. */
	g_signal_connect_object(natter_session_get_conversations(self->session), "items-changed",
				G_CALLBACK(save_rooms), self, G_CONNECT_SWAPPED);
	g_signal_connect_swapped(self->session, "notify::state", G_CALLBACK(on_state), self);
	g_signal_connect_swapped(self->session, "message-added", G_CALLBACK(on_message_added), self);
	g_signal_connect_swapped(self->chat_page, "title-changed", G_CALLBACK(update_title), self);
	static const GActionEntry win_actions[] = {
		{ "away", NULL, NULL, "false", on_away_toggled, { 0 } },
	};
	g_action_map_add_action_entries(G_ACTION_MAP(self), win_actions, G_N_ELEMENTS(win_actions), self);
	g_signal_connect_swapped(self->session, "notify::away", G_CALLBACK(sync_away), self);

	/* Keyboard Shortcuts (Ctrl+?, the menu): set here, not left to
	 * GtkApplication, so windows made without one have it too. */
	g_autoptr(GtkBuilder) help = gtk_builder_new_from_resource("/org/natter/Natter/gtk/help-overlay.ui");
	gtk_application_window_set_help_overlay(GTK_APPLICATION_WINDOW(self),
						GTK_SHORTCUTS_WINDOW(gtk_builder_get_object(help, "help_overlay")));

	g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource("/org/natter/Natter/natter-menu.ui");
	GMenuModel *menu = G_MENU_MODEL(gtk_builder_get_object(builder, "primary_menu"));
	gtk_menu_button_set_menu_model(self->connect_menu_button, menu);
	natter_chat_page_set_primary_menu(self->chat_page, menu);
	natter_connect_page_fill(self->connect_page, settings->host, settings->port, settings->nick);
	natter_connect_page_set_tls(self->connect_page, settings->tls);
	natter_connect_page_focus(self->connect_page);
}

NatterWindow *natter_window_new(GtkApplication *app)
{
	return g_object_new(NATTER_TYPE_WINDOW, "application", app, NULL);
}
