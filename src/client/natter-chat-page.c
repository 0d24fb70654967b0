/* natter-chat-page.c - the chat screen (see natter-chat-page.h). */
#include "natter-chat-page.h"

#include <adwaita.h>
#include <string.h>

#include "natter-conversation-list.h"
#include "natter-input-bar.h"
#include "natter-member-list.h"
#include "natter-message-view.h"
#include "natter-whois-card.h"
#include "irc_names.h"

struct _NatterChatPage {
	GtkBox parent_instance;

	GtkRevealer *banner;
	GtkLabel *banner_label;
	GtkButton *reconnect_button;
	GtkToggleButton *members_toggle;
	AdwLeaflet *leaflet;
	AdwFlap *flap;
	AdwWindowTitle *title;
	AdwWindowTitle *sidebar_title;
	GtkMenuButton *menu_button;
	GtkButton *join_button;
	GtkButton *back_button;
	NatterConversationList *sidebar;
	NatterMessageView *message_view;
	NatterInputBar *input_bar;
	NatterMemberList *member_list;

	NatterSession *session;
	NatterConversation *shown;
	gulong topic_handler;
};

G_DEFINE_FINAL_TYPE(NatterChatPage, natter_chat_page, GTK_TYPE_BOX)

static gboolean on_show_whois(NatterChatPage *self, NatterWhois *whois);

enum { SIGNAL_TITLE_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void update_banner(NatterChatPage *self)
{
	NatterSessionState state = natter_session_get_state(self->session);
	const char *reason = natter_session_get_disconnect_reason(self->session);
	g_autofree char *text = NULL;

	switch (state) {
	case NATTER_SESSION_RECONNECT_WAIT:
		text = g_strdup_printf("Disconnected — reconnecting in %u s%s%s",
				       natter_session_get_reconnect_remaining(self->session),
				       reason != NULL ? " · " : "", reason != NULL ? reason : "");
		break;
	case NATTER_SESSION_CONNECTING:
	case NATTER_SESSION_REGISTERING:
		text = g_strdup("Disconnected — reconnecting now…");
		break;
	default:
		break;
	}
	gtk_widget_set_visible(GTK_WIDGET(self->reconnect_button), state == NATTER_SESSION_RECONNECT_WAIT);
	gtk_label_set_text(self->banner_label, text != NULL ? text : "Connected");
	gtk_revealer_set_reveal_child(self->banner, text != NULL);
}

/* Header: the conversation's name, and its topic (or who a private chat is with). */
static void update_header(NatterChatPage *self)
{
	const char *topic = self->shown != NULL ? natter_conversation_get_topic(self->shown) : "";
	g_autofree char *private_line = NULL;

	if (*topic == '\0' && self->shown != NULL &&
	    natter_conversation_get_kind(self->shown) == NATTER_CONVERSATION_PRIVATE)
		topic = private_line = g_strdup_printf("Private chat with %s",
							natter_conversation_get_name(self->shown));

	adw_window_title_set_title(self->title, self->shown != NULL ? natter_conversation_get_name(self->shown) : "");
	adw_window_title_set_subtitle(self->title, topic);
	gtk_widget_set_tooltip_text(GTK_WIDGET(self->title), *topic != '\0' ? topic : NULL);
	g_signal_emit(self, signals[SIGNAL_TITLE_CHANGED], 0);
}

/* The member list belongs to rooms: in a private chat both people are
 * already in the header, so the pane and its button go away. */
static void update_members_visible(NatterChatPage *self)
{
	gboolean room = self->shown == NULL ||
			natter_conversation_get_kind(self->shown) == NATTER_CONVERSATION_ROOM;

	gtk_widget_set_visible(GTK_WIDGET(self->members_toggle), room);
	gtk_widget_set_visible(GTK_WIDGET(self->member_list),
			       room && gtk_toggle_button_get_active(self->members_toggle));
}

static void show_conversation(NatterChatPage *self)
{
	NatterConversation *conv = natter_session_get_active(self->session);

	if (self->shown != NULL && self->topic_handler != 0)
		g_signal_handler_disconnect(self->shown, self->topic_handler);
	self->topic_handler = 0;
	g_set_object(&self->shown, conv);
	natter_message_view_set_conversation(self->message_view, conv);
	natter_member_list_set_conversation(self->member_list, conv);
	if (conv != NULL) /* name (a nick change) and topic */
		self->topic_handler = g_signal_connect_swapped(conv, "notify",
							       G_CALLBACK(update_header), self);
	update_header(self);
	update_members_visible(self);
	/* Folded, picking a conversation shows it. */
	if (conv != NULL)
		natter_chat_page_show_content(self);
}

void natter_chat_page_show_content(NatterChatPage *self)
{
	adw_leaflet_set_visible_child_name(self->leaflet, "content");
}

void natter_chat_page_show_sidebar(NatterChatPage *self)
{
	adw_leaflet_set_visible_child_name(self->leaflet, "sidebar");
}

static void on_back_clicked(NatterChatPage *self)
{
	natter_chat_page_show_sidebar(self);
	natter_conversation_list_focus(self->sidebar);
}

/* A member activated (Enter, double click): a private chat with them. */
static void on_member_activated(NatterChatPage *self, NatterMember *member)
{
	const char *nick = natter_member_get_nick(member);

	if (self->session == NULL || g_strcmp0(nick, natter_session_get_nick(self->session)) == 0)
		return; /* not with oneself */
	NatterConversation *conv = natter_session_open_private(self->session, nick);
	natter_session_set_active(self->session, conv);
	natter_chat_page_focus_input(self);
}

static void on_conversation_activated(NatterChatPage *self)
{
	natter_chat_page_show_content(self);
	natter_chat_page_focus_input(self);
}

void natter_chat_page_set_primary_menu(NatterChatPage *self, GMenuModel *menu)
{
	gtk_menu_button_set_menu_model(self->menu_button, menu);
}

char *natter_chat_page_dup_title(NatterChatPage *self)
{
	const char *nick = self->session != NULL ? natter_session_get_nick(self->session) : NULL;

	if (self->shown == NULL || nick == NULL)
		return g_strdup("Natter");
	return g_strdup_printf("%s — %s", natter_conversation_get_name(self->shown), nick);
}

static void on_conversation_opened(NatterChatPage *self, NatterConversation *conv, gboolean focus)
{
	if (focus)
		natter_session_set_active(self->session, conv);
}

static void on_nick(NatterChatPage *self)
{
	const char *nick = natter_session_get_nick(self->session);
	gboolean away = natter_session_get_away(self->session);
	g_autofree char *text = g_strdup_printf("You are %s%s", nick != NULL ? nick : "", away ? " · away" : "");
	adw_window_title_set_subtitle(self->sidebar_title, text);
	g_signal_emit(self, signals[SIGNAL_TITLE_CHANGED], 0);
}

static void on_reconnect_clicked(NatterChatPage *self)
{
	natter_session_reconnect_now(self->session);
}

void natter_chat_page_set_session(NatterChatPage *self, NatterSession *session)
{
	g_return_if_fail(self->session == NULL);
	self->session = g_object_ref(session);
	natter_conversation_list_set_session(self->sidebar, session);
	natter_input_bar_set_session(self->input_bar, session);
	natter_message_view_set_session(self->message_view, session);
	g_signal_connect_object(session, "notify::state", G_CALLBACK(update_banner), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "notify::reconnect-remaining", G_CALLBACK(update_banner), self,
				G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "notify::active", G_CALLBACK(show_conversation), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "notify::nick", G_CALLBACK(on_nick), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "notify::away", G_CALLBACK(on_nick), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "show-whois", G_CALLBACK(on_show_whois), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "conversation-opened", G_CALLBACK(on_conversation_opened), self,
				G_CONNECT_SWAPPED);
	update_banner(self);
	show_conversation(self);
	on_nick(self);
}

void natter_chat_page_focus_input(NatterChatPage *self)
{
	natter_chat_page_show_content(self);
	natter_input_bar_focus(self->input_bar);
}

NatterInputBar *natter_chat_page_get_input_bar(NatterChatPage *self) { return self->input_bar; }
NatterMessageView *natter_chat_page_get_message_view(NatterChatPage *self) { return self->message_view; }
NatterMemberList *natter_chat_page_get_member_list(NatterChatPage *self) { return self->member_list; }

/* A letter typed while the focus is on a list or a button goes to the
 * message box instead of being lost. */
static gboolean on_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
		       GdkModifierType state, NatterChatPage *self)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	GtkWidget *focus = root != NULL ? gtk_root_get_focus(root) : NULL;
	gunichar c = gdk_keyval_to_unicode(keyval);
	char utf8[8];

	(void)ctrl; (void)keycode;
	if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0 || c == 0 ||
	    !g_unichar_isprint(c) || (focus != NULL && GTK_IS_EDITABLE(focus)))
		return FALSE;
	if (keyval == GDK_KEY_space && focus != NULL && (GTK_IS_BUTTON(focus) || GTK_IS_LIST_BOX_ROW(focus)))
		return FALSE; /* Space presses buttons */
	utf8[g_unichar_to_utf8(c, utf8)] = '\0';
	natter_chat_page_show_content(self);
	natter_input_bar_type(self->input_bar, utf8);
	return TRUE;
}

/* ---------------------------------------------------------------- menus */

/* Sends a line as if typed; a failure shows under the message box. */
static void send_line(NatterChatPage *self, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void send_line(NatterChatPage *self, const char *fmt, ...)
{
	va_list ap;
	g_autoptr(GError) error = NULL;

	va_start(ap, fmt);
	g_autofree char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (self->session != NULL && !natter_session_send_input(self->session, line, &error))
		natter_input_bar_show_error(self->input_bar, error->message);
}

static const char *shown_room(NatterChatPage *self)
{
	if (self->shown == NULL || natter_conversation_get_kind(self->shown) != NATTER_CONVERSATION_ROOM)
		return NULL;
	return natter_conversation_get_name(self->shown);
}

/* TRUE when we may kick, ban, op and voice in the room shown. */
static gboolean am_operator(NatterChatPage *self)
{
	const char *nick = self->session != NULL ? natter_session_get_nick(self->session) : NULL;
	NatterMember *me = shown_room(self) != NULL && nick != NULL
				   ? natter_conversation_find_member(self->shown, nick) : NULL;
	const char *p = me != NULL ? natter_member_get_prefixes(me) : "";

	return strchr(p, '@') != NULL || strchr(p, '~') != NULL || strchr(p, '&') != NULL;
}

static void add_item(GMenu *menu, const char *label, const char *action, const char *target)
{
	g_autoptr(GMenuItem) item = g_menu_item_new(label, NULL);
	g_menu_item_set_action_and_target_value(item, action, g_variant_new_string(target));
	g_menu_append_item(menu, item);
}

GMenuModel *natter_chat_page_member_menu(NatterChatPage *self, NatterMember *member)
{
	const char *nick = natter_member_get_nick(member);
	const char *prefixes = natter_member_get_prefixes(member);
	gboolean me = self->session != NULL && irc_casecmp(nick, natter_session_get_nick(self->session)) == 0;
	GMenu *menu = g_menu_new();
	g_autoptr(GMenu) people = g_menu_new();

	if (!me)
		add_item(people, "Open Private Chat", "chat.private", nick);
	add_item(people, "Mention", "chat.mention", nick);
	add_item(people, "Who Is This?", "chat.whois", nick);
	g_menu_append_section(menu, NULL, G_MENU_MODEL(people));
	if (!me && am_operator(self)) {
		g_autoptr(GMenu) ops = g_menu_new();
		add_item(ops, strchr(prefixes, '@') != NULL ? "Take Operator" : "Make Operator", "chat.op", nick);
		add_item(ops, strchr(prefixes, '+') != NULL ? "Take Voice" : "Give Voice", "chat.voice", nick);
		add_item(ops, "Kick from Room", "chat.kick", nick);
		add_item(ops, "Ban from Room", "chat.ban", nick);
		g_menu_append_section(menu, NULL, G_MENU_MODEL(ops));
	}
	return G_MENU_MODEL(menu);
}

GMenuModel *natter_chat_page_conversation_menu(NatterChatPage *self, NatterConversation *conv)
{
	GMenu *menu = g_menu_new();
	const char *name = natter_conversation_get_name(conv);

	(void)self;
	if (natter_conversation_get_kind(conv) == NATTER_CONVERSATION_ROOM)
		add_item(menu, "Leave Room", "chat.leave", name);
	else
		add_item(menu, "Close Chat", "chat.leave", name);
	return G_MENU_MODEL(menu);
}

static gboolean unparent_popover(gpointer popover)
{
	gtk_widget_unparent(popover);
	return G_SOURCE_REMOVE;
}

static void on_popover_closed(GtkPopover *popover)
{
	/* After the chosen item's action has run. */
	g_idle_add(unparent_popover, popover);
}

static void popup_menu(GMenuModel *menu, GtkWidget *anchor)
{
	GtkWidget *popover = gtk_popover_menu_new_from_model(menu);

	gtk_widget_set_parent(popover, anchor);
	gtk_popover_set_has_arrow(GTK_POPOVER(popover), TRUE);
	g_signal_connect(popover, "closed", G_CALLBACK(on_popover_closed), NULL);
	gtk_popover_popup(GTK_POPOVER(popover));
}

static void on_member_menu(NatterChatPage *self, NatterMember *member, GtkWidget *anchor)
{
	g_autoptr(GMenuModel) menu = natter_chat_page_member_menu(self, member);
	popup_menu(menu, anchor);
}

static void on_conversation_menu(NatterChatPage *self, NatterConversation *conv, GtkWidget *anchor)
{
	g_autoptr(GMenuModel) menu = natter_chat_page_conversation_menu(self, conv);
	popup_menu(menu, anchor);
}

static void action_private(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterChatPage *self = NATTER_CHAT_PAGE(widget);
	(void)name;
	natter_session_set_active(self->session,
				  natter_session_open_private(self->session, g_variant_get_string(param, NULL)));
	natter_chat_page_focus_input(self);
}

static void action_mention(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterChatPage *self = NATTER_CHAT_PAGE(widget);
	const char *nick = g_variant_get_string(param, NULL);
	(void)name;
	natter_input_bar_mention(self->input_bar, nick);
	natter_chat_page_show_content(self);
}

static void action_whois(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterChatPage *self = NATTER_CHAT_PAGE(widget);
	(void)name;
	natter_session_request_whois(self->session, g_variant_get_string(param, NULL));
}

/* A WHOIS answer, asked from a member's menu or typed (/whois nick): a
 * card over the window. Not on screen (no window to put it over): FALSE,
 * and the session writes the answer as lines instead. */
static gboolean on_show_whois(NatterChatPage *self, NatterWhois *whois)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));

	if (!GTK_IS_WINDOW(root) || !gtk_widget_get_mapped(GTK_WIDGET(self)))
		return FALSE;
	NatterWhoisCard *card = natter_whois_card_new(GTK_WINDOW(root), whois);
	gtk_window_present(GTK_WINDOW(card));
	return TRUE;
}

/* Operator actions: toggles follow the member's present status. */
static void action_op(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterChatPage *self = NATTER_CHAT_PAGE(widget);
	const char *nick = g_variant_get_string(param, NULL);
	gboolean voice = g_str_equal(name, "chat.voice");
	NatterMember *m = shown_room(self) != NULL ? natter_conversation_find_member(self->shown, nick) : NULL;

	if (m == NULL)
		return;
	gboolean has = strchr(natter_member_get_prefixes(m), voice ? '+' : '@') != NULL;
	send_line(self, "/mode %s %c%c %s", shown_room(self), has ? '-' : '+', voice ? 'v' : 'o', nick);
}

static void action_kick(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterChatPage *self = NATTER_CHAT_PAGE(widget);
	const char *nick = g_variant_get_string(param, NULL);

	if (shown_room(self) == NULL)
		return;
	if (g_str_equal(name, "chat.ban"))
		send_line(self, "/mode %s +b %s!*@*", shown_room(self), nick);
	send_line(self, "/kick %s %s", shown_room(self), nick);
}

static void action_leave(GtkWidget *widget, const char *name, GVariant *param)
{
	NatterChatPage *self = NATTER_CHAT_PAGE(widget);
	NatterConversation *conv = natter_session_find_conversation(self->session, g_variant_get_string(param, NULL));

	(void)name;
	if (conv == NULL)
		return;
	if (natter_conversation_get_kind(conv) == NATTER_CONVERSATION_ROOM) {
		send_line(self, "/part %s", natter_conversation_get_name(conv));
		return;
	}
	natter_session_set_active(self->session, conv); /* /part closes the private chat shown */
	send_line(self, "/part");
}

/* ---------------------------------------------------------------- Tab order */

/* The chat screen's Tab stops, in reading order. Each list is one stop
 * (arrows move inside it); hidden or folded-away stops are skipped. The
 * message history is not a stop: GTK 4.8's GtkListView takes Tab without
 * moving the focus (a trap); Page Up/Down scroll it from the message box. */
static guint tab_stops(NatterChatPage *self, GtkWidget **stops)
{
	GtkWidget *all[] = {
		GTK_WIDGET(self->join_button), GTK_WIDGET(self->menu_button), GTK_WIDGET(self->sidebar),
		GTK_WIDGET(self->back_button), GTK_WIDGET(self->members_toggle),
		GTK_WIDGET(self->reconnect_button), GTK_WIDGET(self->input_bar),
		GTK_WIDGET(self->member_list),
	};
	guint n = 0;

	for (guint i = 0; i < G_N_ELEMENTS(all); i++)
		if (gtk_widget_is_drawable(all[i]) && gtk_widget_is_sensitive(all[i]))
			stops[n++] = all[i];
	return n;
}

static gboolean natter_chat_page_focus_vfunc(GtkWidget *widget, GtkDirectionType direction)
{
	NatterChatPage *self = NATTER_CHAT_PAGE(widget);
	GtkWidget *stops[16];
	GtkRoot *root = gtk_widget_get_root(widget);
	GtkWidget *focus = root != NULL ? gtk_root_get_focus(root) : NULL;
	int n, current = -1, step = direction == GTK_DIR_TAB_BACKWARD ? -1 : 1;

	if (direction != GTK_DIR_TAB_FORWARD && direction != GTK_DIR_TAB_BACKWARD)
		return GTK_WIDGET_CLASS(natter_chat_page_parent_class)->focus(widget, direction);
	n = (int)tab_stops(self, stops);
	for (int i = 0; focus != NULL && i < n; i++)
		if (focus == stops[i] || gtk_widget_is_ancestor(focus, stops[i]))
			current = i;
	/* Inside a stop with several controls (message box, Send), move among them first. */
	if (current >= 0 && (stops[current] == GTK_WIDGET(self->input_bar)) &&
	    gtk_widget_child_focus(stops[current], direction))
		return TRUE;
	int i = current >= 0 ? current + step : (step > 0 ? 0 : n - 1);
	for (; i >= 0 && i < n; i += step) {
		/* Enter a stop afresh (not where its focus was left). */
		gtk_widget_set_focus_child(stops[i], NULL);
		if (gtk_widget_child_focus(stops[i], direction))
			return TRUE;
	}
	return FALSE; /* the window goes round */
}

static void natter_chat_page_dispose(GObject *object)
{
	NatterChatPage *self = NATTER_CHAT_PAGE(object);

	if (self->shown != NULL && self->topic_handler != 0)
		g_signal_handler_disconnect(self->shown, self->topic_handler);
	self->topic_handler = 0;
	g_clear_object(&self->shown);
	g_clear_object(&self->session);
	G_OBJECT_CLASS(natter_chat_page_parent_class)->dispose(object);
}

static void natter_chat_page_class_init(NatterChatPageClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_chat_page_dispose;
	widget_class->focus = natter_chat_page_focus_vfunc;
	gtk_widget_class_install_action(widget_class, "chat.private", "s", action_private);
	gtk_widget_class_install_action(widget_class, "chat.mention", "s", action_mention);
	gtk_widget_class_install_action(widget_class, "chat.whois", "s", action_whois);
	gtk_widget_class_install_action(widget_class, "chat.op", "s", action_op);
	gtk_widget_class_install_action(widget_class, "chat.voice", "s", action_op);
	gtk_widget_class_install_action(widget_class, "chat.kick", "s", action_kick);
	gtk_widget_class_install_action(widget_class, "chat.ban", "s", action_kick);
	gtk_widget_class_install_action(widget_class, "chat.leave", "s", action_leave);
	g_type_ensure(NATTER_TYPE_CONVERSATION_LIST);
	g_type_ensure(NATTER_TYPE_MESSAGE_VIEW);
	g_type_ensure(NATTER_TYPE_INPUT_BAR);
	g_type_ensure(NATTER_TYPE_MEMBER_LIST);
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-chat-page.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, banner);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, banner_label);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, reconnect_button);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, members_toggle);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, leaflet);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, flap);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, title);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, sidebar_title);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, menu_button);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, join_button);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, back_button);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, sidebar);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, message_view);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, input_bar);
	gtk_widget_class_bind_template_child(widget_class, NatterChatPage, member_list);
	gtk_widget_class_bind_template_callback(widget_class, on_reconnect_clicked);
	gtk_widget_class_bind_template_callback(widget_class, on_back_clicked);
	/* The conversation or one's name changed: natter_chat_page_dup_title(). */
	signals[SIGNAL_TITLE_CHANGED] = g_signal_new("title-changed", G_TYPE_FROM_CLASS(klass),
						     G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void natter_chat_page_init(NatterChatPage *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	natter_chat_page_show_content(self);
	GtkEventController *keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self), keys);
	g_signal_connect_swapped(self->member_list, "member-activated", G_CALLBACK(on_member_activated), self);
	g_signal_connect_swapped(self->member_list, "member-menu", G_CALLBACK(on_member_menu), self);
	g_signal_connect_swapped(self->sidebar, "conversation-menu", G_CALLBACK(on_conversation_menu), self);
	g_signal_connect_swapped(self->sidebar, "conversation-activated",
				 G_CALLBACK(on_conversation_activated), self);
	g_signal_connect_swapped(self->members_toggle, "notify::active",
				 G_CALLBACK(update_members_visible), self);
	update_members_visible(self);
}
