/* natter-member-list.c - a room's people (see natter-member-list.h). */
#include "natter-member-list.h"

#include <string.h>

#include "natter-coalesced-model.h"

struct _NatterMemberList {
	GtkBox parent_instance;

	GtkLabel *heading;
	GtkListView *list;
	GtkSignalListItemFactory *factory;
	NatterConversation *conv;
	NatterCoalescedModel *shown; /* the members, changes passed on once per turn */
	GtkSingleSelection *selection;
};

G_DEFINE_FINAL_TYPE(NatterMemberList, natter_member_list, GTK_TYPE_BOX)

enum { SIGNAL_MEMBER_ACTIVATED, SIGNAL_MEMBER_MENU, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- rows */

static void update_member(NatterMember *m, GParamSpec *pspec, GtkLabel *label)
{
	const char *prefixes = natter_member_get_prefixes(m);
	const char *account = natter_member_get_account(m);
	const char *nick = natter_member_get_nick(m);
	/* Logged in: a check mark, and the account when it is not the nick. */
	g_autofree char *logged = account == NULL ? g_strdup("")
				  : g_ascii_strcasecmp(account, nick) == 0 ? g_strdup(" ✓")
				  : g_strdup_printf(" ✓ %s", account);
	g_autofree char *text = g_strdup_printf("%.1s%s%s", prefixes, nick, logged);
	g_autofree char *a11y_account = account != NULL ? g_strdup_printf(", logged in as %s", account) : NULL;
	g_autofree char *a11y = g_strdup_printf("%s%s%s%s", nick,
						*prefixes == '@' ? ", operator" : *prefixes == '+' ? ", voice" : "",
						natter_member_get_away(m) ? ", away" : "",
						a11y_account != NULL ? a11y_account : "");
	g_autofree char *tip = account != NULL ? g_strdup_printf("%s is logged in to the account %s", nick, account)
				: NULL;

	(void)pspec;
	gtk_label_set_text(label, text);
	gtk_widget_set_tooltip_text(GTK_WIDGET(label), tip);
	gtk_accessible_update_property(GTK_ACCESSIBLE(label), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
	if (natter_member_get_away(m))
		gtk_widget_add_css_class(GTK_WIDGET(label), "away");
	else
		gtk_widget_remove_css_class(GTK_WIDGET(label), "away");
}

/* A right click on a row: its menu. */
static void on_row_pressed(GtkGestureClick *gesture, int n_press, double x, double y, gpointer data)
{
	GtkWidget *label = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));
	NatterMember *m = g_object_get_data(G_OBJECT(label), "member");

	(void)n_press; (void)x; (void)y;
	if (m != NULL)
		g_signal_emit(data, signals[SIGNAL_MEMBER_MENU], 0, m, label);
}

/* Menu or Shift+F10 on the focused row: its menu. */
static gboolean on_list_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
			    GdkModifierType state, NatterMemberList *self)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	GtkWidget *focus = root != NULL ? gtk_root_get_focus(root) : NULL;
	GtkWidget *label = focus != NULL ? gtk_widget_get_first_child(focus) : NULL;
	NatterMember *m = label != NULL ? g_object_get_data(G_OBJECT(label), "member") : NULL;

	(void)ctrl; (void)keycode;
	if (!(keyval == GDK_KEY_Menu || (keyval == GDK_KEY_F10 && (state & GDK_SHIFT_MASK) != 0)) || m == NULL)
		return FALSE;
	g_signal_emit(self, signals[SIGNAL_MEMBER_MENU], 0, m, label);
	return TRUE;
}

static void setup_row(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
	GtkWidget *label = gtk_label_new(NULL);

	(void)factory;
	GtkGesture *click = gtk_gesture_click_new();
	gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
	g_signal_connect(click, "pressed", G_CALLBACK(on_row_pressed), data);
	gtk_widget_add_controller(label, GTK_EVENT_CONTROLLER(click));
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
	gtk_list_item_set_child(item, label);
}

static void bind_row(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
	NatterMember *m = gtk_list_item_get_item(item);
	GtkWidget *label = gtk_list_item_get_child(item);

	(void)factory; (void)data;
	g_object_set_data_full(G_OBJECT(label), "member", g_object_ref(m), g_object_unref);
	update_member(m, NULL, GTK_LABEL(label));
	g_signal_connect_object(m, "notify", G_CALLBACK(update_member), label, 0);
}

static void unbind_row(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
	NatterMember *m = gtk_list_item_get_item(item);

	(void)factory; (void)data;
	if (m != NULL)
		g_signal_handlers_disconnect_by_func(m, update_member, gtk_list_item_get_child(item));
	g_object_set_data(G_OBJECT(gtk_list_item_get_child(item)), "member", NULL);
}

/* ---------------------------------------------------------------- the list */

static void update_heading(NatterMemberList *self)
{
	guint n = self->conv != NULL ? g_list_model_get_n_items(natter_conversation_get_members(self->conv)) : 0;
	g_autofree char *text = n > 0 ? g_strdup_printf("Members (%u)", n) : g_strdup("Members");
	gtk_label_set_text(self->heading, text);
}

static void on_activate(NatterMemberList *self, guint position)
{
	g_autoptr(NatterMember) m = g_list_model_get_item(G_LIST_MODEL(self->shown), position);

	if (m != NULL)
		g_signal_emit(self, signals[SIGNAL_MEMBER_ACTIVATED], 0, m);
}

NatterMember *natter_member_list_get_selected(NatterMemberList *self)
{
	return gtk_single_selection_get_selected_item(self->selection);
}

GListModel *natter_member_list_get_model(NatterMemberList *self)
{
	return G_LIST_MODEL(self->shown);
}

void natter_member_list_set_conversation(NatterMemberList *self, NatterConversation *conv)
{
	if (self->conv != NULL)
		g_signal_handlers_disconnect_by_data(natter_conversation_get_members(self->conv), self);
	if (!g_set_object(&self->conv, conv))
		return;
	GListModel *members = conv != NULL ? natter_conversation_get_members(conv) : NULL;
	natter_coalesced_model_set_source(self->shown, members);
	if (members != NULL)
		g_signal_connect_swapped(members, "items-changed", G_CALLBACK(update_heading), self);
	update_heading(self);
}

static void natter_member_list_dispose(GObject *object)
{
	NatterMemberList *self = NATTER_MEMBER_LIST(object);

	natter_member_list_set_conversation(self, NULL);
	if (self->list != NULL)
		gtk_list_view_set_model(self->list, NULL);
	g_clear_object(&self->selection);
	G_OBJECT_CLASS(natter_member_list_parent_class)->dispose(object);
}

static void natter_member_list_class_init(NatterMemberListClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_member_list_dispose;
	/* A member was activated (Enter, double click): open a private chat. */
	signals[SIGNAL_MEMBER_ACTIVATED] = g_signal_new("member-activated", G_TYPE_FROM_CLASS(klass),
							G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
							G_TYPE_NONE, 1, NATTER_TYPE_MEMBER);
	/* A member's menu was asked for (right click, Menu key): (member, row widget). */
	signals[SIGNAL_MEMBER_MENU] = g_signal_new("member-menu", G_TYPE_FROM_CLASS(klass),
						   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
						   G_TYPE_NONE, 2, NATTER_TYPE_MEMBER, GTK_TYPE_WIDGET);
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-member-list.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterMemberList, heading);
	gtk_widget_class_bind_template_child(widget_class, NatterMemberList, list);
	gtk_widget_class_bind_template_child(widget_class, NatterMemberList, factory);
	gtk_widget_class_bind_template_callback(widget_class, on_activate);
}

static void natter_member_list_init(NatterMemberList *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect(self->factory, "setup", G_CALLBACK(setup_row), self);
	g_signal_connect(self->factory, "bind", G_CALLBACK(bind_row), self);
	g_signal_connect(self->factory, "unbind", G_CALLBACK(unbind_row), self);
	/* The member store is kept sorted (status, then name) by the model. */
	self->shown = natter_coalesced_model_new(NATTER_TYPE_MEMBER);
	self->selection = gtk_single_selection_new(G_LIST_MODEL(self->shown));
	gtk_single_selection_set_autoselect(self->selection, FALSE);
	gtk_single_selection_set_can_unselect(self->selection, TRUE);
	gtk_list_view_set_model(self->list, GTK_SELECTION_MODEL(self->selection));
	GtkEventController *keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_list_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self->list), keys);
}
