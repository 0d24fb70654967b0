/* natter-conversation-list.c - the sidebar (see natter-conversation-list.h). */
#include "natter-conversation-list.h"

struct _NatterConversationList {
	GtkBox parent_instance;

	GtkListBox *list;
	NatterSession *session;
	gboolean syncing; /* selecting a row because the session said so */
};

G_DEFINE_FINAL_TYPE(NatterConversationList, natter_conversation_list, GTK_TYPE_BOX)

enum { SIGNAL_CONVERSATION_ACTIVATED, SIGNAL_CONVERSATION_MENU, N_SIGNALS };
static guint signals[N_SIGNALS];

static void update_unread(NatterConversation *conv, GParamSpec *pspec, GtkLabel *badge)
{
	guint unread = natter_conversation_get_unread(conv);
	g_autofree char *text = g_strdup_printf("%u", unread);
	g_autofree char *a11y = g_strdup_printf("%u unread", unread);

	(void)pspec;
	gtk_label_set_text(badge, text);
	gtk_accessible_update_property(GTK_ACCESSIBLE(badge), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
	gtk_widget_set_visible(GTK_WIDGET(badge), unread > 0);
}

/* What a screen reader says for a row: "bob, private chat, 2 unread". */
static void update_row_label(NatterConversation *conv, GParamSpec *pspec, GtkWidget *row)
{
	guint unread = natter_conversation_get_unread(conv);
	g_autoptr(GString) text = g_string_new(natter_conversation_get_name(conv));

	(void)pspec;
	if (natter_conversation_get_kind(conv) == NATTER_CONVERSATION_PRIVATE)
		g_string_append(text, ", private chat");
	else if (!natter_conversation_get_joined(conv))
		g_string_append(text, ", not joined");
	if (unread > 0)
		g_string_append_printf(text, ", %u unread", unread);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, text->str, -1);
}

static void update_joined(NatterConversation *conv, GParamSpec *pspec, GtkWidget *name)
{
	(void)pspec;
	gtk_widget_set_opacity(name, natter_conversation_get_joined(conv) ? 1.0 : 0.5);
}

static void on_row_pressed(GtkGestureClick *gesture, int n_press, double x, double y, gpointer data)
{
	GtkWidget *row = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));

	(void)n_press; (void)x; (void)y;
	g_signal_emit(data, signals[SIGNAL_CONVERSATION_MENU], 0,
		      g_object_get_data(G_OBJECT(row), "conversation"), row);
}

static gboolean on_list_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
			    GdkModifierType state, NatterConversationList *self)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	GtkWidget *focus = root != NULL ? gtk_root_get_focus(root) : NULL;

	(void)ctrl; (void)keycode;
	if (!(keyval == GDK_KEY_Menu || (keyval == GDK_KEY_F10 && (state & GDK_SHIFT_MASK) != 0)) ||
	    focus == NULL || !GTK_IS_LIST_BOX_ROW(focus))
		return FALSE;
	g_signal_emit(self, signals[SIGNAL_CONVERSATION_MENU], 0,
		      g_object_get_data(G_OBJECT(focus), "conversation"), focus);
	return TRUE;
}

static GtkWidget *create_row(gpointer item, gpointer user_data)
{
	NatterConversation *conv = item;
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *name = gtk_label_new(NULL);
	GtkWidget *badge = gtk_label_new(NULL);

	g_object_bind_property(conv, "name", name, "label", G_BINDING_SYNC_CREATE);
	gtk_label_set_xalign(GTK_LABEL(name), 0);
	gtk_label_set_ellipsize(GTK_LABEL(name), PANGO_ELLIPSIZE_END);
	gtk_widget_set_hexpand(name, TRUE);
	gtk_widget_add_css_class(badge, "unread-badge");
	gtk_widget_set_valign(badge, GTK_ALIGN_CENTER);
	gtk_box_append(GTK_BOX(box), name);
	gtk_box_append(GTK_BOX(box), badge);
	g_signal_connect_object(conv, "notify::unread", G_CALLBACK(update_unread), badge, 0);
	g_signal_connect_object(conv, "notify::joined", G_CALLBACK(update_joined), name, 0);
	update_unread(conv, NULL, GTK_LABEL(badge));
	update_joined(conv, NULL, name);

	GtkWidget *row = gtk_list_box_row_new();
	gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
	g_object_set_data_full(G_OBJECT(row), "conversation", g_object_ref(conv), g_object_unref);
	g_signal_connect_object(conv, "notify", G_CALLBACK(update_row_label), row, 0);
	update_row_label(conv, NULL, row);
	GtkGesture *click = gtk_gesture_click_new();
	gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
	g_signal_connect(click, "pressed", G_CALLBACK(on_row_pressed), user_data);
	gtk_widget_add_controller(row, GTK_EVENT_CONTROLLER(click));
	return row;
}

static void select_active(NatterConversationList *self)
{
	NatterConversation *active = natter_session_get_active(self->session);
	guint index;

	self->syncing = TRUE;
	if (active != NULL && g_list_store_find(G_LIST_STORE(natter_session_get_conversations(self->session)),
						active, &index))
		gtk_list_box_select_row(self->list, gtk_list_box_get_row_at_index(self->list, (int)index));
	else
		gtk_list_box_unselect_all(self->list);
	self->syncing = FALSE;
}

static void on_row_selected(NatterConversationList *self, GtkListBoxRow *row)
{
	if (self->syncing || self->session == NULL)
		return;
	if (row == NULL) {
		/* The model changed under the selection: show the active one again. */
		select_active(self);
		return;
	}
	natter_session_set_active(self->session, g_object_get_data(G_OBJECT(row), "conversation"));
}

static void on_row_activated(NatterConversationList *self, GtkListBoxRow *row)
{
	if (self->session == NULL)
		return;
	natter_session_set_active(self->session, g_object_get_data(G_OBJECT(row), "conversation"));
	g_signal_emit(self, signals[SIGNAL_CONVERSATION_ACTIVATED], 0);
}

void natter_conversation_list_focus(NatterConversationList *self)
{
	GtkListBoxRow *row = gtk_list_box_get_selected_row(self->list);

	if (row != NULL)
		gtk_widget_grab_focus(GTK_WIDGET(row));
	else
		gtk_widget_grab_focus(GTK_WIDGET(self->list));
}

static void on_items_changed(NatterConversationList *self)
{
	select_active(self);
}

void natter_conversation_list_set_session(NatterConversationList *self, NatterSession *session)
{
	g_return_if_fail(self->session == NULL);
	self->session = g_object_ref(session);
	GListModel *model = natter_session_get_conversations(session);
	gtk_list_box_bind_model(self->list, model, create_row, self, NULL);
	g_signal_connect_object(session, "notify::active", G_CALLBACK(select_active), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(model, "items-changed", G_CALLBACK(on_items_changed), self,
				G_CONNECT_SWAPPED | G_CONNECT_AFTER);
}

static void natter_conversation_list_dispose(GObject *object)
{
	NatterConversationList *self = NATTER_CONVERSATION_LIST(object);

	if (self->list != NULL)
		gtk_list_box_bind_model(self->list, NULL, NULL, NULL, NULL);
	g_clear_object(&self->session);
	G_OBJECT_CLASS(natter_conversation_list_parent_class)->dispose(object);
}

/* The list is one stop in the Tab order: Tab enters it on the selected
 * row and leaves it at once (arrows move between rows). GtkListBox alone
 * moves Tab from row to row and then keeps it on the last one. */
static gboolean natter_conversation_list_focus_vfunc(GtkWidget *widget, GtkDirectionType direction)
{
	NatterConversationList *self = NATTER_CONVERSATION_LIST(widget);
	GtkWidget *focus_child = gtk_widget_get_focus_child(GTK_WIDGET(self->list));

	if (direction != GTK_DIR_TAB_FORWARD && direction != GTK_DIR_TAB_BACKWARD)
		return GTK_WIDGET_CLASS(natter_conversation_list_parent_class)->focus(widget, direction);
	if (focus_child != NULL)
		return FALSE; /* inside: leave */
	GtkListBoxRow *row = gtk_list_box_get_selected_row(self->list);
	if (row == NULL)
		row = gtk_list_box_get_row_at_index(self->list, 0);
	return row != NULL && gtk_widget_grab_focus(GTK_WIDGET(row));
}

static void natter_conversation_list_class_init(NatterConversationListClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	widget_class->focus = natter_conversation_list_focus_vfunc;
	G_OBJECT_CLASS(klass)->dispose = natter_conversation_list_dispose;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-conversation-list.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterConversationList, list);
	gtk_widget_class_bind_template_callback(widget_class, on_row_selected);
	gtk_widget_class_bind_template_callback(widget_class, on_row_activated);
	/* A row was activated (Enter, click): the person wants to read it. */
	/* A row's menu was asked for (right click, Menu key): (conversation, row). */
	signals[SIGNAL_CONVERSATION_MENU] = g_signal_new("conversation-menu", G_TYPE_FROM_CLASS(klass),
							 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
							 2, NATTER_TYPE_CONVERSATION, GTK_TYPE_WIDGET);
	signals[SIGNAL_CONVERSATION_ACTIVATED] = g_signal_new("conversation-activated",
							      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
							      NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void natter_conversation_list_init(NatterConversationList *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	GtkEventController *keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_list_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self->list), keys);
}
