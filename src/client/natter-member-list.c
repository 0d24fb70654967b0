/* natter-member-list.c - a room's people (see natter-member-list.h). */
#include "natter-member-list.h"

struct _NatterMemberList {
	GtkBox parent_instance;

	GtkLabel *heading;
	GtkListBox *list;
	NatterConversation *conv;
};

G_DEFINE_FINAL_TYPE(NatterMemberList, natter_member_list, GTK_TYPE_BOX)

static void update_member(NatterMember *m, GParamSpec *pspec, GtkLabel *label)
{
	GtkWidget *row = gtk_widget_get_parent(GTK_WIDGET(label));
	const char *prefixes = natter_member_get_prefixes(m);
	g_autofree char *text = g_strdup_printf("%.1s%s", prefixes, natter_member_get_nick(m));
	g_autofree char *a11y = g_strdup_printf("%s%s%s", natter_member_get_nick(m),
						*prefixes == '@' ? ", operator" : *prefixes == '+' ? ", voice" : "",
						natter_member_get_away(m) ? ", away" : "");

	(void)pspec;
	gtk_label_set_text(label, text);
	gtk_accessible_update_property(GTK_ACCESSIBLE(label), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
	if (row != NULL)
		gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
	gtk_widget_set_opacity(GTK_WIDGET(label), natter_member_get_away(m) ? 0.55 : 1.0);
}

static GtkWidget *create_row(gpointer item, gpointer user_data)
{
	NatterMember *m = item;
	GtkWidget *label = gtk_label_new(NULL);

	(void)user_data;
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
	GtkWidget *row = gtk_list_box_row_new();
	gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), label);
	gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), FALSE);
	g_signal_connect_object(m, "notify", G_CALLBACK(update_member), label, 0);
	update_member(m, NULL, GTK_LABEL(label));
	return row;
}

static void update_heading(NatterMemberList *self)
{
	guint n = self->conv != NULL ? g_list_model_get_n_items(natter_conversation_get_members(self->conv)) : 0;
	g_autofree char *text = n > 0 ? g_strdup_printf("Members (%u)", n) : g_strdup("Members");
	gtk_label_set_text(self->heading, text);
}

void natter_member_list_set_conversation(NatterMemberList *self, NatterConversation *conv)
{
	if (self->conv != NULL)
		g_signal_handlers_disconnect_by_data(natter_conversation_get_members(self->conv), self);
	if (!g_set_object(&self->conv, conv))
		return;
	GListModel *members = conv != NULL ? natter_conversation_get_members(conv) : NULL;
	gtk_list_box_bind_model(self->list, members, create_row, self, NULL);
	if (members != NULL)
		g_signal_connect_swapped(members, "items-changed", G_CALLBACK(update_heading), self);
	update_heading(self);
}

static void natter_member_list_dispose(GObject *object)
{
	NatterMemberList *self = NATTER_MEMBER_LIST(object);

	natter_member_list_set_conversation(self, NULL);
	if (self->list != NULL)
		gtk_list_box_bind_model(self->list, NULL, NULL, NULL, NULL);
	G_OBJECT_CLASS(natter_member_list_parent_class)->dispose(object);
}

static void natter_member_list_class_init(NatterMemberListClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_member_list_dispose;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-member-list.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterMemberList, heading);
	gtk_widget_class_bind_template_child(widget_class, NatterMemberList, list);
}

static void natter_member_list_init(NatterMemberList *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}
