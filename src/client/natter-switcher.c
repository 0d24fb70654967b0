/* natter-switcher.c - jump to a conversation by name (see natter-switcher.h). */
#include "natter-switcher.h"

struct _NatterSwitcher {
	AdwWindow parent_instance;

	GtkSearchEntry *search;
	GtkListBox *list;
	NatterSession *session;
	GtkStringFilter *filter;
	GtkFilterListModel *matches;
};

G_DEFINE_FINAL_TYPE(NatterSwitcher, natter_switcher, ADW_TYPE_WINDOW)

enum { SIGNAL_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

static GtkWidget *create_row(gpointer item, gpointer data)
{
	NatterConversation *conv = item;
	GtkWidget *label = gtk_label_new(natter_conversation_get_name(conv));
	guint unread = natter_conversation_get_unread(conv);
	g_autofree char *a11y = g_strdup_printf("%s%s", natter_conversation_get_name(conv),
						natter_conversation_get_kind(conv) == NATTER_CONVERSATION_PRIVATE
							? ", private chat" : "");

	(void)data;
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
	GtkWidget *row = gtk_list_box_row_new();
	gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), label);
	if (unread > 0)
		gtk_widget_add_css_class(label, "heading");
	gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
	g_object_set_data_full(G_OBJECT(row), "conversation", g_object_ref(conv), g_object_unref);
	return row;
}

static void select_first(NatterSwitcher *self)
{
	GtkListBoxRow *row = gtk_list_box_get_row_at_index(self->list, 0);

	if (row != NULL)
		gtk_list_box_select_row(self->list, row);
}

static void open_row(NatterSwitcher *self, GtkListBoxRow *row)
{
	if (row == NULL) {
		gtk_widget_error_bell(GTK_WIDGET(self));
		return;
	}
	natter_session_set_active(self->session, g_object_get_data(G_OBJECT(row), "conversation"));
	g_signal_emit(self, signals[SIGNAL_DONE], 0);
	gtk_window_close(GTK_WINDOW(self));
}

void natter_switcher_choose(NatterSwitcher *self)
{
	GtkListBoxRow *row = gtk_list_box_get_selected_row(self->list);

	open_row(self, row != NULL ? row : gtk_list_box_get_row_at_index(self->list, 0));
}

void natter_switcher_set_query(NatterSwitcher *self, const char *text)
{
	gtk_editable_set_text(GTK_EDITABLE(self->search), text);
	gtk_string_filter_set_search(self->filter, text);
	select_first(self);
}

static void on_search_changed(NatterSwitcher *self)
{
	gtk_string_filter_set_search(self->filter, gtk_editable_get_text(GTK_EDITABLE(self->search)));
	select_first(self);
}

static void on_search_activate(NatterSwitcher *self) { natter_switcher_choose(self); }
static void on_stop_search(NatterSwitcher *self) { gtk_window_close(GTK_WINDOW(self)); }
static void on_row_activated(NatterSwitcher *self, GtkListBoxRow *row) { open_row(self, row); }

/* Down/Up in the search field move the selection in the list. */
static gboolean on_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
		       GdkModifierType state, NatterSwitcher *self)
{
	GtkListBoxRow *row = gtk_list_box_get_selected_row(self->list);
	int index = row != NULL ? gtk_list_box_row_get_index(row) : -1;

	(void)ctrl; (void)keycode; (void)state;
	if (keyval == GDK_KEY_Down || keyval == GDK_KEY_Up) {
		GtkListBoxRow *next = gtk_list_box_get_row_at_index(self->list,
								    index + (keyval == GDK_KEY_Down ? 1 : -1));
		if (next != NULL)
			gtk_list_box_select_row(self->list, next);
		return TRUE;
	}
	if (keyval == GDK_KEY_Escape) {
		gtk_window_close(GTK_WINDOW(self));
		return TRUE;
	}
	return FALSE;
}

NatterSwitcher *natter_switcher_new(GtkWindow *parent, NatterSession *session)
{
	NatterSwitcher *self = g_object_new(NATTER_TYPE_SWITCHER, "transient-for", parent, NULL);

	self->session = g_object_ref(session);
	GtkExpression *name = gtk_property_expression_new(NATTER_TYPE_CONVERSATION, NULL, "name");
	self->filter = gtk_string_filter_new(name);
	gtk_string_filter_set_ignore_case(self->filter, TRUE);
	gtk_string_filter_set_match_mode(self->filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
	self->matches = gtk_filter_list_model_new(g_object_ref(natter_session_get_conversations(session)),
						  GTK_FILTER(g_object_ref(self->filter)));
	gtk_list_box_bind_model(self->list, G_LIST_MODEL(self->matches), create_row, self, NULL);
	select_first(self);
	gtk_widget_grab_focus(GTK_WIDGET(self->search));
	return self;
}

static void natter_switcher_dispose(GObject *object)
{
	NatterSwitcher *self = NATTER_SWITCHER(object);

	if (self->list != NULL)
		gtk_list_box_bind_model(self->list, NULL, NULL, NULL, NULL);
	g_clear_object(&self->matches);
	g_clear_object(&self->filter);
	g_clear_object(&self->session);
	G_OBJECT_CLASS(natter_switcher_parent_class)->dispose(object);
}

static void natter_switcher_class_init(NatterSwitcherClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_switcher_dispose;
	signals[SIGNAL_DONE] = g_signal_new("done", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					    NULL, NULL, NULL, G_TYPE_NONE, 0);
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-switcher.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterSwitcher, search);
	gtk_widget_class_bind_template_child(widget_class, NatterSwitcher, list);
	gtk_widget_class_bind_template_callback(widget_class, on_search_changed);
	gtk_widget_class_bind_template_callback(widget_class, on_search_activate);
	gtk_widget_class_bind_template_callback(widget_class, on_stop_search);
	gtk_widget_class_bind_template_callback(widget_class, on_row_activated);
}

static void natter_switcher_init(NatterSwitcher *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	GtkEventController *keys = gtk_event_controller_key_new();
	gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self), keys);
}
