/* natter-join-dialog.c - the room browser (see natter-join-dialog.h). */
#include "natter-join-dialog.h"

#include "natter-room-info.h"

struct _NatterJoinDialog {
	AdwWindow parent_instance;

	GtkSearchEntry *search;
	GtkLabel *status;
	GtkListView *list;
	GtkSignalListItemFactory *factory;
	GtkButton *join_button;
	NatterSession *session;
	GtkFilterListModel *filtered;
	GtkSortListModel *sorted;
	GtkSingleSelection *selection;
	GtkStringFilter *by_name;
	GtkStringFilter *by_topic;
};

G_DEFINE_FINAL_TYPE(NatterJoinDialog, natter_join_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- rows */

static void setup_row(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	GtkWidget *top = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	GtkWidget *name = gtk_label_new(NULL);
	GtkWidget *count = gtk_label_new(NULL);
	GtkWidget *topic = gtk_label_new(NULL);

	(void)factory; (void)data;
	gtk_label_set_xalign(GTK_LABEL(name), 0);
	gtk_widget_set_hexpand(name, TRUE);
	gtk_label_set_ellipsize(GTK_LABEL(name), PANGO_ELLIPSIZE_END);
	gtk_widget_add_css_class(name, "heading");
	gtk_widget_add_css_class(count, "dim-label");
	gtk_label_set_xalign(GTK_LABEL(topic), 0);
	gtk_label_set_ellipsize(GTK_LABEL(topic), PANGO_ELLIPSIZE_END);
	gtk_widget_add_css_class(topic, "dim-label");
	gtk_widget_add_css_class(topic, "caption");
	gtk_box_append(GTK_BOX(top), name);
	gtk_box_append(GTK_BOX(top), count);
	gtk_box_append(GTK_BOX(box), top);
	gtk_box_append(GTK_BOX(box), topic);
	gtk_widget_set_margin_top(box, 4);
	gtk_widget_set_margin_bottom(box, 4);
	gtk_list_item_set_child(item, box);
}

static void bind_row(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
	NatterRoomInfo *room = gtk_list_item_get_item(item);
	GtkWidget *box = gtk_list_item_get_child(item);
	GtkWidget *top = gtk_widget_get_first_child(box);
	GtkWidget *name = gtk_widget_get_first_child(top);
	GtkWidget *count = gtk_widget_get_next_sibling(name);
	GtkWidget *topic = gtk_widget_get_next_sibling(top);
	guint n = natter_room_info_get_members(room);
	g_autofree char *people = g_strdup_printf(n == 1 ? "%u person" : "%u people", n);
	const char *t = natter_room_info_get_topic(room);
	g_autofree char *a11y = g_strdup_printf("%s, %s%s%s", natter_room_info_get_name(room), people,
						t != NULL && *t != '\0' ? ", " : "", t != NULL ? t : "");

	(void)factory; (void)data;
	gtk_label_set_text(GTK_LABEL(name), natter_room_info_get_name(room));
	gtk_label_set_text(GTK_LABEL(count), people);
	gtk_label_set_text(GTK_LABEL(topic), t != NULL && *t != '\0' ? t : "No topic");
	gtk_widget_set_tooltip_text(topic, t != NULL && *t != '\0' ? t : NULL);
	gtk_accessible_update_property(GTK_ACCESSIBLE(box), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
}

/* ---------------------------------------------------------------- state */

static void update_status(NatterJoinDialog *self)
{
	guint total = g_list_model_get_n_items(natter_session_get_room_list(self->session));
	guint shown = g_list_model_get_n_items(G_LIST_MODEL(self->sorted));
	const char *query = gtk_editable_get_text(GTK_EDITABLE(self->search));
	g_autofree char *text = NULL;

	if (natter_session_get_listing(self->session))
		text = g_strdup_printf("Asking the server for its rooms… (%u so far)", total);
	else if (total == 0)
		text = g_strdup("No rooms yet. Type a #name to start one.");
	else if (shown == 0 && *query == '#')
		text = g_strdup_printf("No room called %s yet: Join starts it.", query);
	else if (shown == 0)
		text = g_strdup("No room matches. Type a #name to start one.");
	else
		text = g_strdup_printf(total == 1 ? "%u room" : "%u of %u rooms", shown, total);
	gtk_label_set_text(self->status, text);
	gtk_widget_set_sensitive(GTK_WIDGET(self->join_button), shown > 0 || *query == '#');
}

GListModel *natter_join_dialog_get_shown(NatterJoinDialog *self)
{
	return G_LIST_MODEL(self->sorted);
}

void natter_join_dialog_set_query(NatterJoinDialog *self, const char *text)
{
	gtk_editable_set_text(GTK_EDITABLE(self->search), text);
	gtk_string_filter_set_search(self->by_name, text);
	gtk_string_filter_set_search(self->by_topic, text);
	update_status(self);
}

static void on_search_changed(NatterJoinDialog *self)
{
	const char *text = gtk_editable_get_text(GTK_EDITABLE(self->search));

	gtk_string_filter_set_search(self->by_name, text);
	gtk_string_filter_set_search(self->by_topic, text);
	update_status(self);
}

static void join_room(NatterJoinDialog *self, const char *name)
{
	g_autofree char *line = g_strdup_printf("/join %s", name);
	g_autoptr(GError) error = NULL;

	if (!natter_session_send_input(self->session, line, &error)) {
		gtk_label_set_text(self->status, error->message);
		return;
	}
	g_signal_emit(self, signals[SIGNAL_DONE], 0, name);
	gtk_window_close(GTK_WINDOW(self));
}

void natter_join_dialog_join(NatterJoinDialog *self)
{
	const char *query = gtk_editable_get_text(GTK_EDITABLE(self->search));
	NatterRoomInfo *room = gtk_single_selection_get_selected_item(self->selection);

	/* A typed #name that is not exactly a listed room: start it. */
	if (*query == '#' && (room == NULL || g_ascii_strcasecmp(natter_room_info_get_name(room), query) != 0)) {
		gboolean listed = FALSE;
		for (guint i = 0; i < g_list_model_get_n_items(G_LIST_MODEL(self->sorted)); i++) {
			g_autoptr(NatterRoomInfo) r = g_list_model_get_item(G_LIST_MODEL(self->sorted), i);
			if (g_ascii_strcasecmp(natter_room_info_get_name(r), query) == 0) {
				gtk_single_selection_set_selected(self->selection, i);
				listed = TRUE;
			}
		}
		if (!listed) {
			join_room(self, query);
			return;
		}
		room = gtk_single_selection_get_selected_item(self->selection);
	}
	if (room == NULL) {
		gtk_widget_error_bell(GTK_WIDGET(self));
		return;
	}
	join_room(self, natter_room_info_get_name(room));
}

static void on_join_clicked(NatterJoinDialog *self) { natter_join_dialog_join(self); }
static void on_stop_search(NatterJoinDialog *self) { gtk_window_close(GTK_WINDOW(self)); }

static void on_row_activated(NatterJoinDialog *self, guint position)
{
	gtk_single_selection_set_selected(self->selection, position);
	g_autoptr(NatterRoomInfo) room = g_list_model_get_item(G_LIST_MODEL(self->sorted), position);
	if (room != NULL)
		join_room(self, natter_room_info_get_name(room));
}

/* Down/Up in the search box move the selection; Escape closes. */
static gboolean on_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
		       GdkModifierType state, NatterJoinDialog *self)
{
	guint n = g_list_model_get_n_items(G_LIST_MODEL(self->sorted));
	guint pos = gtk_single_selection_get_selected(self->selection);

	(void)ctrl; (void)keycode; (void)state;
	if (keyval == GDK_KEY_Escape) {
		gtk_window_close(GTK_WINDOW(self));
		return TRUE;
	}
	if (gtk_root_get_focus(GTK_ROOT(self)) == NULL ||
	    !gtk_widget_is_ancestor(gtk_root_get_focus(GTK_ROOT(self)), GTK_WIDGET(self->search)))
		return FALSE;
	if (keyval == GDK_KEY_Down && n > 0) {
		gtk_single_selection_set_selected(self->selection, pos == GTK_INVALID_LIST_POSITION ? 0 : MIN(pos + 1, n - 1));
		return TRUE;
	}
	if (keyval == GDK_KEY_Up && n > 0 && pos != GTK_INVALID_LIST_POSITION) {
		gtk_single_selection_set_selected(self->selection, pos > 0 ? pos - 1 : 0);
		return TRUE;
	}
	return FALSE;
}

/* Busiest rooms first, then by name. */
static int compare_rooms(gconstpointer a, gconstpointer b, gpointer data)
{
	NatterRoomInfo *ra = (NatterRoomInfo *)a, *rb = (NatterRoomInfo *)b;
	guint na = natter_room_info_get_members(ra), nb = natter_room_info_get_members(rb);

	(void)data;
	if (na != nb)
		return na > nb ? GTK_ORDERING_SMALLER : GTK_ORDERING_LARGER;
	return gtk_ordering_from_cmpfunc(g_ascii_strcasecmp(natter_room_info_get_name(ra),
							    natter_room_info_get_name(rb)));
}

NatterJoinDialog *natter_join_dialog_new(GtkWindow *parent, NatterSession *session)
{
	NatterJoinDialog *self = g_object_new(NATTER_TYPE_JOIN_DIALOG, "transient-for", parent, NULL);

	self->session = g_object_ref(session);
	self->by_name = gtk_string_filter_new(gtk_property_expression_new(NATTER_TYPE_ROOM_INFO, NULL, "name"));
	self->by_topic = gtk_string_filter_new(gtk_property_expression_new(NATTER_TYPE_ROOM_INFO, NULL, "topic"));
	GtkAnyFilter *any = gtk_any_filter_new();
	gtk_multi_filter_append(GTK_MULTI_FILTER(any), g_object_ref(GTK_FILTER(self->by_name)));
	gtk_multi_filter_append(GTK_MULTI_FILTER(any), g_object_ref(GTK_FILTER(self->by_topic)));
	self->filtered = gtk_filter_list_model_new(g_object_ref(natter_session_get_room_list(session)),
						   GTK_FILTER(any));
	self->sorted = gtk_sort_list_model_new(g_object_ref(G_LIST_MODEL(self->filtered)),
					       GTK_SORTER(gtk_custom_sorter_new(compare_rooms, NULL, NULL)));
	self->selection = gtk_single_selection_new(g_object_ref(G_LIST_MODEL(self->sorted)));
	gtk_single_selection_set_autoselect(self->selection, TRUE);
	gtk_list_view_set_model(self->list, GTK_SELECTION_MODEL(self->selection));
	g_signal_connect_object(self->sorted, "items-changed", G_CALLBACK(update_status), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "notify::listing", G_CALLBACK(update_status), self, G_CONNECT_SWAPPED);
	natter_session_request_room_list(session);
	update_status(self);
	gtk_widget_grab_focus(GTK_WIDGET(self->search));
	return self;
}

static void natter_join_dialog_dispose(GObject *object)
{
	NatterJoinDialog *self = NATTER_JOIN_DIALOG(object);

	if (self->list != NULL)
		gtk_list_view_set_model(self->list, NULL);
	g_clear_object(&self->selection);
	g_clear_object(&self->sorted);
	g_clear_object(&self->filtered);
	g_clear_object(&self->by_name);
	g_clear_object(&self->by_topic);
	g_clear_object(&self->session);
	G_OBJECT_CLASS(natter_join_dialog_parent_class)->dispose(object);
}

static void natter_join_dialog_class_init(NatterJoinDialogClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_join_dialog_dispose;
	signals[SIGNAL_DONE] = g_signal_new("done", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-join-dialog.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterJoinDialog, search);
	gtk_widget_class_bind_template_child(widget_class, NatterJoinDialog, status);
	gtk_widget_class_bind_template_child(widget_class, NatterJoinDialog, list);
	gtk_widget_class_bind_template_child(widget_class, NatterJoinDialog, factory);
	gtk_widget_class_bind_template_child(widget_class, NatterJoinDialog, join_button);
	gtk_widget_class_bind_template_callback(widget_class, on_search_changed);
	gtk_widget_class_bind_template_callback(widget_class, on_join_clicked);
	gtk_widget_class_bind_template_callback(widget_class, on_stop_search);
	gtk_widget_class_bind_template_callback(widget_class, on_row_activated);
}

static void natter_join_dialog_init(NatterJoinDialog *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect(self->factory, "setup", G_CALLBACK(setup_row), self);
	g_signal_connect(self->factory, "bind", G_CALLBACK(bind_row), self);
	GtkEventController *keys = gtk_event_controller_key_new();
	gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self), keys);
}
