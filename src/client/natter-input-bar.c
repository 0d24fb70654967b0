/* natter-input-bar.c - message entry, Send, history, completion (see natter-input-bar.h). */
#include "natter-input-bar.h"

#include <string.h>

#define HISTORY_MAX 100

struct _NatterInputBar {
	GtkBox parent_instance;

	GtkLabel *error_label;
	GtkEntry *entry;
	GtkButton *send_button;
	NatterSession *session;

	GPtrArray *history; /* oldest first */
	guint history_pos;  /* == len: not browsing */
	char *draft;        /* what was typed before browsing */
};

G_DEFINE_FINAL_TYPE(NatterInputBar, natter_input_bar, GTK_TYPE_BOX)

static void show_error(NatterInputBar *self, const char *text)
{
	gtk_label_set_text(self->error_label, text != NULL ? text : "");
	gtk_widget_set_visible(GTK_WIDGET(self->error_label), text != NULL);
}

void natter_input_bar_send(NatterInputBar *self)
{
	g_autofree char *text = g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->entry)));
	g_autofree char *trimmed = g_strstrip(g_strdup(text));
	g_autoptr(GError) error = NULL;

	if (self->session == NULL || *trimmed == '\0')
		return; /* nothing to send */
	if (!natter_session_send_input(self->session, text, &error)) {
		show_error(self, error->message); /* the text stays in the entry */
		return;
	}
	show_error(self, NULL);
	if (self->history->len == 0 ||
	    strcmp(g_ptr_array_index(self->history, self->history->len - 1), text) != 0)
		g_ptr_array_add(self->history, g_strdup(text));
	if (self->history->len > HISTORY_MAX)
		g_ptr_array_remove_index(self->history, 0);
	self->history_pos = self->history->len;
	g_clear_pointer(&self->draft, g_free);
	gtk_editable_set_text(GTK_EDITABLE(self->entry), "");
}

static void on_activate(NatterInputBar *self) { natter_input_bar_send(self); }
static void on_send_clicked(NatterInputBar *self)
{
	natter_input_bar_send(self);
	gtk_widget_grab_focus(GTK_WIDGET(self->entry));
}

static void on_changed(NatterInputBar *self)
{
	if (gtk_widget_get_visible(GTK_WIDGET(self->error_label)) &&
	    *gtk_editable_get_text(GTK_EDITABLE(self->entry)) == '\0')
		show_error(self, NULL);
}

static void history_move(NatterInputBar *self, int delta)
{
	int pos = (int)self->history_pos + delta;

	if (pos < 0 || pos > (int)self->history->len)
		return;
	if (self->history_pos == self->history->len) {
		g_free(self->draft);
		self->draft = g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->entry)));
	}
	self->history_pos = (guint)pos;
	const char *text = self->history_pos == self->history->len
				   ? (self->draft != NULL ? self->draft : "")
				   : g_ptr_array_index(self->history, self->history_pos);
	gtk_editable_set_text(GTK_EDITABLE(self->entry), text);
	gtk_editable_set_position(GTK_EDITABLE(self->entry), -1);
}

/* Tab: completes the word before the cursor to a member's nickname. */
static void complete(NatterInputBar *self)
{
	GtkEditable *editable = GTK_EDITABLE(self->entry);
	const char *text = gtk_editable_get_text(editable);
	int cursor = gtk_editable_get_position(editable);
	g_autofree char *before = g_utf8_substring(text, 0, cursor);
	const char *word = strrchr(before, ' ');
	word = word != NULL ? word + 1 : before;
	gboolean at = *word == '@';
	if (at)
		word++;
	if (*word == '\0' || self->session == NULL)
		return;
	g_autoptr(GPtrArray) matches = natter_session_complete_nick(
		self->session, natter_session_get_active(self->session), word);
	if (matches->len == 0) {
		gtk_widget_error_bell(GTK_WIDGET(self));
		return;
	}
	const char *nick = g_ptr_array_index(matches, 0);
	gboolean line_start = word - (at ? 1 : 0) == before;
	g_autofree char *insert = g_strconcat(nick, line_start && !at ? ": " : " ", NULL);
	int word_chars = (int)g_utf8_strlen(word, -1);
	gtk_editable_delete_text(editable, cursor - word_chars, cursor);
	int pos = cursor - word_chars;
	gtk_editable_insert_text(editable, insert, -1, &pos);
	gtk_editable_set_position(editable, pos);
}

static gboolean on_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
		       GdkModifierType state, NatterInputBar *self)
{
	(void)ctrl; (void)keycode;
	if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0)
		return FALSE;
	switch (keyval) {
	case GDK_KEY_Up:
		history_move(self, -1);
		return TRUE;
	case GDK_KEY_Down:
		history_move(self, 1);
		return TRUE;
	case GDK_KEY_Tab:
		if (*gtk_editable_get_text(GTK_EDITABLE(self->entry)) == '\0')
			return FALSE; /* let Tab move the focus */
		complete(self);
		return TRUE;
	default:
		return FALSE;
	}
}

void natter_input_bar_set_session(NatterInputBar *self, NatterSession *session)
{
	g_set_object(&self->session, session);
}

void natter_input_bar_focus(NatterInputBar *self)
{
	gtk_widget_grab_focus(GTK_WIDGET(self->entry));
}

static void natter_input_bar_dispose(GObject *object)
{
	NatterInputBar *self = NATTER_INPUT_BAR(object);

	g_clear_object(&self->session);
	G_OBJECT_CLASS(natter_input_bar_parent_class)->dispose(object);
}

static void natter_input_bar_finalize(GObject *object)
{
	NatterInputBar *self = NATTER_INPUT_BAR(object);

	g_ptr_array_unref(self->history);
	g_free(self->draft);
	G_OBJECT_CLASS(natter_input_bar_parent_class)->finalize(object);
}

static void natter_input_bar_class_init(NatterInputBarClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_input_bar_dispose;
	G_OBJECT_CLASS(klass)->finalize = natter_input_bar_finalize;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-input-bar.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterInputBar, error_label);
	gtk_widget_class_bind_template_child(widget_class, NatterInputBar, entry);
	gtk_widget_class_bind_template_child(widget_class, NatterInputBar, send_button);
	gtk_widget_class_bind_template_callback(widget_class, on_activate);
	gtk_widget_class_bind_template_callback(widget_class, on_send_clicked);
	gtk_widget_class_bind_template_callback(widget_class, on_changed);
}

static void natter_input_bar_init(NatterInputBar *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->history = g_ptr_array_new_with_free_func(g_free);

	GtkEventController *keys = gtk_event_controller_key_new();
	gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self->entry), keys);
}
