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
	/* Unsent text per history position (index len: what was typed before
	 * browsing), so Up/Down never lose an edit; NULL = unchanged. */
	GPtrArray *edits;

	/* Tab again right after a completion cycles through the other matches. */
	GPtrArray *matches;     /* of the last Tab, or NULL */
	guint match_index;
	int match_start;        /* character offset of the completed name */
	char *match_suffix;     /* ": " at the start of the line, else " " */
	char *completed_text;   /* the entry's text right after that Tab */
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
	g_ptr_array_set_size(self->edits, 0);
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

static const char *history_text(NatterInputBar *self, guint pos)
{
	const char *edit = pos < self->edits->len ? g_ptr_array_index(self->edits, pos) : NULL;

	if (edit != NULL)
		return edit;
	return pos < self->history->len ? g_ptr_array_index(self->history, pos) : "";
}

void natter_input_bar_history_move(NatterInputBar *self, int delta)
{
	int pos = (int)self->history_pos + delta;
	const char *text = gtk_editable_get_text(GTK_EDITABLE(self->entry));

	if (pos < 0 || pos > (int)self->history->len)
		return;
	/* Keep what is in the entry if it differs from what was shown there. */
	if (self->edits->len <= self->history->len)
		g_ptr_array_set_size(self->edits, (int)self->history->len + 1);
	if (strcmp(text, history_text(self, self->history_pos)) != 0) {
		g_free(self->edits->pdata[self->history_pos]);
		self->edits->pdata[self->history_pos] = g_strdup(text);
	}
	self->history_pos = (guint)pos;
	gtk_editable_set_text(GTK_EDITABLE(self->entry), history_text(self, self->history_pos));
	gtk_editable_set_position(GTK_EDITABLE(self->entry), -1);
}

static void forget_matches(NatterInputBar *self)
{
	g_clear_pointer(&self->matches, g_ptr_array_unref);
	g_clear_pointer(&self->match_suffix, g_free);
	g_clear_pointer(&self->completed_text, g_free);
}

/* Replaces the characters [start, cursor) with the nick + suffix. */
static void insert_match(NatterInputBar *self, int start, int cursor)
{
	GtkEditable *editable = GTK_EDITABLE(self->entry);
	const char *nick = g_ptr_array_index(self->matches, self->match_index);
	g_autofree char *insert = g_strconcat(nick, self->match_suffix, NULL);
	int pos = start;

	gtk_editable_delete_text(editable, start, cursor);
	gtk_editable_insert_text(editable, insert, -1, &pos);
	gtk_editable_set_position(editable, pos);
	g_free(self->completed_text);
	self->completed_text = g_strdup(gtk_editable_get_text(editable));
}

void natter_input_bar_complete(NatterInputBar *self)
{
	GtkEditable *editable = GTK_EDITABLE(self->entry);
	const char *text = gtk_editable_get_text(editable);
	int cursor = gtk_editable_get_position(editable);

	if (self->matches != NULL && g_strcmp0(text, self->completed_text) == 0) {
		/* Tab again: the next match in place of the last one. */
		self->match_index = (self->match_index + 1) % self->matches->len;
		insert_match(self, self->match_start, cursor);
		return;
	}
	forget_matches(self);
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
	gboolean line_start = word - (at ? 1 : 0) == before;
	self->matches = g_steal_pointer(&matches);
	self->match_index = 0;
	self->match_suffix = g_strdup(line_start && !at ? ": " : " ");
	self->match_start = cursor - (int)g_utf8_strlen(word, -1);
	insert_match(self, self->match_start, cursor);
}

static gboolean on_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
		       GdkModifierType state, NatterInputBar *self)
{
	(void)ctrl; (void)keycode;
	if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0)
		return FALSE;
	switch (keyval) {
	case GDK_KEY_Up:
		natter_input_bar_history_move(self, -1);
		return TRUE;
	case GDK_KEY_Down:
		natter_input_bar_history_move(self, 1);
		return TRUE;
	case GDK_KEY_Tab:
		if (*gtk_editable_get_text(GTK_EDITABLE(self->entry)) == '\0')
			return FALSE; /* let Tab move the focus */
		natter_input_bar_complete(self);
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

void natter_input_bar_type(NatterInputBar *self, const char *text)
{
	int pos = -1;

	gtk_widget_grab_focus(GTK_WIDGET(self->entry));
	gtk_editable_set_position(GTK_EDITABLE(self->entry), -1);
	pos = gtk_editable_get_position(GTK_EDITABLE(self->entry));
	gtk_editable_insert_text(GTK_EDITABLE(self->entry), text, -1, &pos);
	gtk_editable_set_position(GTK_EDITABLE(self->entry), pos);
}

void natter_input_bar_show_error(NatterInputBar *self, const char *text)
{
	show_error(self, text);
}

void natter_input_bar_mention(NatterInputBar *self, const char *nick)
{
	const char *text = gtk_editable_get_text(GTK_EDITABLE(self->entry));
	g_autofree char *insert = *text == '\0' ? g_strdup_printf("%s: ", nick)
			: g_str_has_suffix(text, " ") ? g_strdup_printf("%s ", nick) : g_strdup_printf(" %s ", nick);

	natter_input_bar_type(self, insert);
}

void natter_input_bar_set_text(NatterInputBar *self, const char *text)
{
	gtk_editable_set_text(GTK_EDITABLE(self->entry), text);
	gtk_widget_grab_focus(GTK_WIDGET(self->entry));
	gtk_editable_set_position(GTK_EDITABLE(self->entry), -1);
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
	g_ptr_array_unref(self->edits);
	forget_matches(self);
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
	self->edits = g_ptr_array_new_with_free_func(g_free);

	GtkEventController *keys = gtk_event_controller_key_new();
	gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self->entry), keys);
}
