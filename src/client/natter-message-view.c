/* natter-message-view.c - a conversation's lines (see natter-message-view.h). */
#include "natter-message-view.h"

#include <string.h>

#include "natter-linkify.h"

struct _NatterMessageView {
	GtkBox parent_instance;

	GtkScrolledWindow *scroller;
	GtkListBox *list;
	NatterConversation *conv;
	gboolean follow; /* keep the newest line in view */
};

G_DEFINE_FINAL_TYPE(NatterMessageView, natter_message_view, GTK_TYPE_BOX)

/* At least 4.5:1 against the light theme's background (WCAG AA). */
static const char *const nick_colours[] = {
	"#1c71d8", "#c01c28", "#1f7f52", "#a347ba", "#b54d00", "#1a7a8c",
	"#986a44", "#c64600", "#613583", "#3d7e23",
};

static const char *nick_colour(const char *nick)
{
	guint h = 5381;
	for (const char *p = nick; *p != '\0'; p++)
		h = h * 33 + (guchar)g_ascii_tolower(*p);
	return nick_colours[h % G_N_ELEMENTS(nick_colours)];
}

char *natter_message_view_plain_text(NatterMessage *msg)
{
	g_autofree char *time = g_date_time_format(natter_message_get_time(msg), "%H:%M");
	const char *nick = natter_message_get_nick(msg);
	const char *text = natter_message_get_text(msg);

	switch (natter_message_get_kind(msg)) {
	case NATTER_MESSAGE_TEXT:
		return g_strdup_printf("%s %s: %s", time, nick, text);
	case NATTER_MESSAGE_ACTION:
		return g_strdup_printf("%s * %s %s", time, nick, text);
	case NATTER_MESSAGE_NOTICE:
		return g_strdup_printf("%s -%s- %s", time, nick != NULL ? nick : "server", text);
	case NATTER_MESSAGE_EVENT:
		return g_strdup_printf("%s — %s", time, text);
	case NATTER_MESSAGE_ERROR:
		return g_strdup_printf("%s ⚠ %s", time, text);
	}
	return g_strdup(text);
}

char *natter_message_view_markup(NatterMessage *msg)
{
	GString *out = g_string_new(NULL);
	g_autofree char *time = g_date_time_format(natter_message_get_time(msg), "%H:%M");
	const char *nick = natter_message_get_nick(msg);
	g_autofree char *nick_esc = g_markup_escape_text(nick != NULL ? nick : "server", -1);
	const char *colour = nick_colour(nick != NULL ? nick : "");
	const char *weight = natter_message_is_own(msg) ? "bold" : "normal";

	g_string_append_printf(out, "<span alpha=\"70%%\" font_features=\"tnum\">%s</span> ", time);
	switch (natter_message_get_kind(msg)) {
	case NATTER_MESSAGE_TEXT:
		g_string_append_printf(out, "<span foreground=\"%s\" weight=\"%s\">%s</span>: ",
				       colour, weight, nick_esc);
		natter_linkify_append(out, natter_message_get_text(msg));
		break;
	case NATTER_MESSAGE_ACTION:
		g_string_append_printf(out, "<i>* <span foreground=\"%s\" weight=\"%s\">%s</span> ",
				       colour, weight, nick_esc);
		natter_linkify_append(out, natter_message_get_text(msg));
		g_string_append(out, "</i>");
		break;
	case NATTER_MESSAGE_NOTICE:
		g_string_append_printf(out, "-<span foreground=\"%s\">%s</span>- ", colour, nick_esc);
		natter_linkify_append(out, natter_message_get_text(msg));
		break;
	case NATTER_MESSAGE_EVENT:
		g_string_append(out, "<span alpha=\"75%\" size=\"small\">— ");
		natter_linkify_append(out, natter_message_get_text(msg));
		g_string_append(out, "</span>");
		break;
	case NATTER_MESSAGE_ERROR:
		g_string_append(out, "<span foreground=\"#c01c28\">⚠ ");
		natter_linkify_append(out, natter_message_get_text(msg));
		g_string_append(out, "</span>");
		break;
	}
	return g_string_free(out, FALSE);
}

static GtkWidget *create_row(gpointer item, gpointer user_data)
{
	NatterMessage *msg = item;
	g_autofree char *markup = natter_message_view_markup(msg);
	GtkWidget *label = gtk_label_new(NULL);

	(void)user_data;
	gtk_label_set_markup(GTK_LABEL(label), markup);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_wrap(GTK_LABEL(label), TRUE);
	gtk_label_set_wrap_mode(GTK_LABEL(label), PANGO_WRAP_WORD_CHAR);
	gtk_label_set_selectable(GTK_LABEL(label), TRUE);
	gtk_widget_set_focusable(label, FALSE);
	gtk_widget_set_margin_start(label, 8);
	gtk_widget_set_margin_end(label, 8);
	gtk_widget_set_margin_top(label, 2);
	gtk_widget_set_margin_bottom(label, 2);

	GtkWidget *row = gtk_list_box_row_new();
	gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), label);
	gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), FALSE);
	gtk_widget_set_focusable(row, FALSE);
	/* Screen readers get the line as plain words, not as markup. */
	g_autofree char *plain = natter_message_view_plain_text(msg);
	gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, plain, -1);
	if (natter_message_is_own(msg))
		gtk_widget_add_css_class(row, "own");
	if (natter_message_get_kind(msg) == NATTER_MESSAGE_EVENT)
		gtk_widget_add_css_class(row, "event");
	return row;
}

static void scroll_to_end(NatterMessageView *self)
{
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
	gtk_adjustment_set_value(adj, gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj));
}

static void on_upper_changed(NatterMessageView *self)
{
	if (self->follow)
		scroll_to_end(self);
}

static void on_value_changed(GtkAdjustment *adj, NatterMessageView *self)
{
	double bottom = gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj);
	self->follow = gtk_adjustment_get_value(adj) >= bottom - 8;
}

void natter_message_view_set_conversation(NatterMessageView *self, NatterConversation *conv)
{
	if (!g_set_object(&self->conv, conv))
		return;
	gtk_list_box_bind_model(self->list, conv != NULL ? natter_conversation_get_messages(conv) : NULL,
				create_row, self, NULL);
	self->follow = TRUE;
	scroll_to_end(self);
}

static void natter_message_view_dispose(GObject *object)
{
	NatterMessageView *self = NATTER_MESSAGE_VIEW(object);

	if (self->list != NULL)
		gtk_list_box_bind_model(self->list, NULL, NULL, NULL, NULL);
	g_clear_object(&self->conv);
	G_OBJECT_CLASS(natter_message_view_parent_class)->dispose(object);
}

static void natter_message_view_class_init(NatterMessageViewClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_message_view_dispose;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-message-view.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterMessageView, scroller);
	gtk_widget_class_bind_template_child(widget_class, NatterMessageView, list);
}

static void natter_message_view_init(NatterMessageView *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->follow = TRUE;
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
	g_signal_connect_object(adj, "notify::upper", G_CALLBACK(on_upper_changed), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(adj, "value-changed", G_CALLBACK(on_value_changed), self, 0);
}
