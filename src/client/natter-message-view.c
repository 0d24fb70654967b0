/* natter-message-view.c - a conversation's lines (see natter-message-view.h). */
#include "natter-message-view.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>

#include "natter-event-groups.h"
#include "natter-history.h"
#include "natter-linkify.h"

struct _NatterMessageView {
	GtkBox parent_instance;

	GtkScrolledWindow *scroller;
	GtkListView *list;
	GtkSignalListItemFactory *factory;
	GtkButton *jump_button;
	NatterConversation *conv;
	GtkNoSelection *model;
	gboolean follow;      /* keep the newest line in view */
	gboolean need_scroll; /* follow_tick: go to the end on the next frame */
	gboolean scrolling;   /* our own adjustment changes, not the person's */
	guint stable;         /* frames the end has stayed in view */
	guint tick_id;
	double last_value;
	guint unread_line; /* the first line after where you stopped reading, or G_MAXUINT */
	gboolean all_read;  /* every line so far was seen (focused, at the bottom) */
	NatterMessage *first_unread; /* the line the separator moved to as it came unread */
	GPtrArray *items;   /* the GtkListItems alive (rows), to move the separator */
	NatterSession *session; /* weak: history, read marker, redaction */
	double keep_from_end; /* an older page went in above: hold this distance from the end */
	guint keep_tick;
	guint keep_stable;
	gint64 rows_changed_in; /* the frame whose layout will see the last change of rows */
	guint pad_tick;     /* sizing the space above a short conversation */
	guint pad_stable;
	int pad;            /* that space: a top margin of the first row */
	NatterMessage *newest; /* the last row, to tell new lines from an older page */
	NatterMessage *menu_msg; /* the row whose context menu is open */
	GtkWidget *menu;
};

G_DEFINE_FINAL_TYPE(NatterMessageView, natter_message_view, GTK_TYPE_BOX)

/* At least 4.5:1 against the light style's view background (#ffffff/#fafafa)
 * and, in the same order, against the dark style's (#1e1e1e/#242424). */
static const char *const nick_colours_light[] = {
	"#1c71d8", "#c01c28", "#1f7f52", "#a347ba", "#b54d00", "#1a7a8c",
	"#865d3b", "#c64600", "#613583", "#3d7e23",
};
static const char *const nick_colours_dark[] = {
	"#78aeed", "#ff7b63", "#57e389", "#dc8add", "#ffa348", "#5bc8d8",
	"#cdab8f", "#ff9f5a", "#c3a5f0", "#8fd16f",
};
#define ERROR_LIGHT "#c01c28"
#define ERROR_DARK "#ff7b63"

static gboolean dark_style(void)
{
	return adw_is_initialized() && adw_style_manager_get_dark(adw_style_manager_get_default());
}

const char *natter_message_view_nick_colour(const char *nick)
{
	guint h = 5381;
	for (const char *p = nick; *p != '\0'; p++)
		h = h * 33 + (guchar)g_ascii_tolower(*p);
	return (dark_style() ? nick_colours_dark : nick_colours_light)[h % G_N_ELEMENTS(nick_colours_light)];
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
	const char *colour = natter_message_view_nick_colour(nick != NULL ? nick : "");
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
		g_string_append_printf(out, "<span foreground=\"%s\">⚠ ", dark_style() ? ERROR_DARK : ERROR_LIGHT);
		natter_linkify_append(out, natter_message_get_text(msg));
		g_string_append(out, "</span>");
		break;
	}
	return g_string_free(out, FALSE);
}

/* ---------------------------------------------------------------- rows */

static void on_row_pressed(GtkGestureClick *gesture, int n, double x, double y, GtkListItem *item)
{
	GtkWidget *box = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(gesture));
	GtkWidget *view = gtk_widget_get_ancestor(box, NATTER_TYPE_MESSAGE_VIEW);
	NatterMessage *msg = gtk_list_item_get_item(item);
	graphene_point_t at;

	(void)n;
	if (view == NULL || msg == NULL ||
	    !gtk_widget_compute_point(box, view, &GRAPHENE_POINT_INIT((float)x, (float)y), &at))
		return;
	if (natter_message_view_popup_menu(NATTER_MESSAGE_VIEW(view), msg, at.x, at.y))
		gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* The separator above @item's row: shown on the first unread line only.
 * The first row also carries the space above a short conversation. */
static void update_separator(NatterMessageView *self, GtkListItem *item)
{
	GtkWidget *box = gtk_list_item_get_child(item);
	gboolean bound = gtk_list_item_get_item(item) != NULL;
	guint pos = gtk_list_item_get_position(item);

	if (box == NULL)
		return;
	gtk_widget_set_visible(gtk_widget_get_first_child(box), bound && pos == self->unread_line);
	gtk_widget_set_margin_top(box, bound && pos == 0 ? self->pad : 0);
}

static void on_item_position(GtkListItem *item, GParamSpec *pspec, NatterMessageView *self)
{
	(void)pspec;
	update_separator(self, item);
}

/* The separator moved (or rows moved under it): every row on screen
 * checks whether it is the one. */
static void set_unread_line(NatterMessageView *self, guint line)
{
	self->unread_line = line;
	for (guint i = 0; self->items != NULL && i < self->items->len; i++)
		update_separator(self, self->items->pdata[i]);
}

static void teardown_row(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
	NatterMessageView *self = data;

	(void)factory;
	if (self->items != NULL)
		g_ptr_array_remove_fast(self->items, item);
	g_signal_handlers_disconnect_by_func(item, on_item_position, self);
}

static void setup_row(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
	NatterMessageView *self = data;
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	GtkWidget *separator = gtk_label_new("Unread messages");
	GtkWidget *label = gtk_label_new(NULL);

	(void)factory;
	if (self->items != NULL)
		g_ptr_array_add(self->items, item);
	g_signal_connect(item, "notify::position", G_CALLBACK(on_item_position), self);
	/* Where you stopped reading: shown above the first line that is new. */
	gtk_widget_add_css_class(separator, "unread-separator");
	gtk_label_set_xalign(GTK_LABEL(separator), 0.5);
	gtk_widget_set_visible(separator, FALSE);
	gtk_box_append(GTK_BOX(box), separator);
	gtk_box_append(GTK_BOX(box), label);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_wrap(GTK_LABEL(label), TRUE);
	gtk_label_set_wrap_mode(GTK_LABEL(label), PANGO_WRAP_WORD_CHAR);
	gtk_label_set_selectable(GTK_LABEL(label), TRUE);
	gtk_widget_set_focusable(label, FALSE);
	gtk_widget_add_css_class(label, "message");
	gtk_list_item_set_child(item, box);
	/* Right click: the row's menu (Delete Message for your own lines). */
	GtkGesture *click = gtk_gesture_click_new();
	gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
	g_signal_connect(click, "pressed", G_CALLBACK(on_row_pressed), item);
	gtk_widget_add_controller(box, GTK_EVENT_CONTROLLER(click));
	gtk_list_item_set_activatable(item, FALSE);
	gtk_list_item_set_selectable(item, FALSE);
}

static void bind_row(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
	NatterMessageView *self = data;
	NatterMessage *msg = gtk_list_item_get_item(item);
	GtkWidget *box = gtk_list_item_get_child(item);
	GtkWidget *label = gtk_widget_get_last_child(box);
	g_autofree char *markup = natter_message_view_markup(msg);

	update_separator(self, item);
	/* Screen readers get the line as plain words, not as markup. */
	g_autofree char *plain = natter_message_view_plain_text(msg);

	(void)factory;
	gtk_label_set_markup(GTK_LABEL(label), markup);
	gtk_accessible_update_property(GTK_ACCESSIBLE(label), GTK_ACCESSIBLE_PROPERTY_LABEL, plain, -1);
	if (natter_message_is_own(msg) && natter_message_get_kind(msg) != NATTER_MESSAGE_EVENT)
		gtk_widget_add_css_class(label, "own");
	else
		gtk_widget_remove_css_class(label, "own");
	if (natter_message_get_kind(msg) == NATTER_MESSAGE_EVENT)
		gtk_widget_add_css_class(label, "event");
	else
		gtk_widget_remove_css_class(label, "event");
	/* Someone said your name: the line stands out. */
	if (natter_message_get_mention(msg))
		gtk_widget_add_css_class(label, "mention");
	else
		gtk_widget_remove_css_class(label, "mention");
}

/* ---------------------------------------------------------------- following the newest line */

static guint n_rows(NatterMessageView *self)
{
	return self->model != NULL ? g_list_model_get_n_items(G_LIST_MODEL(self->model)) : 0;
}

static double bottom_of(GtkAdjustment *adj)
{
	return MAX(0.0, gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj));
}

static void show_jump(NatterMessageView *self, gboolean show)
{
	gtk_widget_set_visible(GTK_WIDGET(self->jump_button), show);
}

/* Rows came or went since the list last laid out (it does so in this
 * frame, after the tick callbacks): until then its own row sizes and the
 * scroll range disagree, and a value set now may point past its rows
 * (GTK warns "GtkListView failed to scroll to given position"). */
static gboolean rows_changed(NatterMessageView *self, GdkFrameClock *clock)
{
	return gdk_frame_clock_get_frame_counter(clock) <= self->rows_changed_in;
}

/* Row heights are only known once rows are laid out, so the scroll range
 * grows as the list measures them: keep going to the end, frame after
 * frame, until the end stays put. */
static gboolean follow_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
	NatterMessageView *self = data;
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
	guint n = n_rows(self);

	(void)widget;
	if (!self->follow || n == 0) {
		self->tick_id = 0;
		return G_SOURCE_REMOVE;
	}
	if (self->need_scroll || gtk_adjustment_get_value(adj) < bottom_of(adj) - 0.5) {
		self->need_scroll = FALSE;
		self->stable = 0;
		self->scrolling = TRUE;
		gtk_widget_activate_action(GTK_WIDGET(self->list), "list.scroll-to-item", "u", n - 1);
		/* Rows came or went since the last layout: the list's own
		 * row sizes and the scroll range disagree until it lays out
		 * again (in this frame), and a value set now may point past
		 * its rows ("GtkListView failed to scroll to given position").
		 * The next frame sets it. */
		if (!rows_changed(self, clock))
			gtk_adjustment_set_value(adj, bottom_of(adj));
		self->scrolling = FALSE;
		return G_SOURCE_CONTINUE;
	}
	if (++self->stable < 3)
		return G_SOURCE_CONTINUE;
	self->tick_id = 0;
	/* at the bottom (e.g. after "New messages"): what is there is read */
	natter_message_view_mark_read(self);
	return G_SOURCE_REMOVE;
}

/* Holds the view's distance from the end while an older page is measured. */
static gboolean keep_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
	NatterMessageView *self = data;
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
	double want = MAX(0.0, gtk_adjustment_get_upper(adj) - self->keep_from_end);

	(void)widget;
	if (self->follow) {
		self->keep_tick = 0;
		return G_SOURCE_REMOVE;
	}
	if (fabs(gtk_adjustment_get_value(adj) - want) > 0.5) {
		self->keep_stable = 0;
		if (rows_changed(self, clock))
			return G_SOURCE_CONTINUE; /* after this frame's layout */
		self->scrolling = TRUE;
		gtk_adjustment_set_value(adj, want);
		self->scrolling = FALSE;
		return G_SOURCE_CONTINUE;
	}
	if (++self->keep_stable < 3)
		return G_SOURCE_CONTINUE;
	self->keep_tick = 0;
	return G_SOURCE_REMOVE;
}

/* Pixels, rounded up (no libm: ceil() is a call in a debug build). */
static int round_up(double v)
{
	int i = (int)v;
	return v > i ? i + 1 : i;
}

/* How tall the rows are together, when they all fit (then every row has
 * its widget, and the view is at the top of them). */
static int rows_bottom(NatterMessageView *self)
{
	GtkWidget *list = GTK_WIDGET(self->list);
	int bottom = 0;

	for (GtkWidget *r = gtk_widget_get_first_child(list); r != NULL; r = gtk_widget_get_next_sibling(r)) {
		graphene_rect_t b;
		if (gtk_widget_get_child_visible(r) && gtk_widget_get_visible(r) &&
		    gtk_widget_compute_bounds(r, list, &b))
			bottom = MAX(bottom, round_up(b.origin.y + b.size.height));
	}
	return bottom;
}

/* A conversation shorter than the view sits at its bottom, next to the
 * message box (as in chat apps), not at the top with a gap below: the
 * first row gets a top margin of the space the rows leave free. The list
 * itself keeps the whole view (its size and scroll range change only as
 * rows do); GtkListView must stay the scrolled window's own child (rows
 * are recycled) and its natural height is an estimate, so the rows are
 * measured after layout, frame by frame until the space stays put. */
static gboolean pad_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
	NatterMessageView *self = data;
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
	double page = gtk_adjustment_get_page_size(adj);
	double upper = gtk_adjustment_get_upper(adj);
	/* taller than the view: the scroll range says how tall */
	int content = (upper > page + 0.5 ? round_up(upper) : rows_bottom(self)) - self->pad;
	/* no row laid out yet: no space either */
	int want = n_rows(self) > 0 && page > 0 && content > 0 ? MAX(0, (int)page - content) : 0;

	(void)widget; (void)clock;
	if (want != self->pad) {
		self->pad_stable = 0;
		self->pad = want;
		for (guint i = 0; self->items != NULL && i < self->items->len; i++)
			update_separator(self, self->items->pdata[i]);
		return G_SOURCE_CONTINUE;
	}
	if (++self->pad_stable < 3)
		return G_SOURCE_CONTINUE;
	self->pad_tick = 0;
	return G_SOURCE_REMOVE;
}

static void update_padding(NatterMessageView *self)
{
	self->pad_stable = 0;
	if (self->pad_tick == 0)
		self->pad_tick = gtk_widget_add_tick_callback(GTK_WIDGET(self->scroller), pad_tick, self, NULL);
}

static void follow_end(NatterMessageView *self)
{
	update_padding(self);
	self->need_scroll = TRUE;
	self->stable = 0;
	if (self->tick_id == 0)
		self->tick_id = gtk_widget_add_tick_callback(GTK_WIDGET(self->list), follow_tick, self, NULL);
}

void natter_message_view_scroll_to_end(NatterMessageView *self)
{
	self->follow = TRUE;
	show_jump(self, FALSE);
	follow_end(self);
}

static gboolean counts_as_unread(NatterMessage *m)
{
	NatterMessageKind k = natter_message_get_kind(m);
	return !natter_message_is_own(m) &&
	       (k == NATTER_MESSAGE_TEXT || k == NATTER_MESSAGE_ACTION || k == NATTER_MESSAGE_NOTICE);
}

/* Rows @pos.. (@added) came while nobody read them. */
static void note_unread(NatterMessageView *self, guint pos, guint added)
{
	if (!self->all_read)
		return; /* the separator already marks an earlier unread line */
	for (guint i = pos; i < pos + added && i < n_rows(self); i++) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(G_LIST_MODEL(self->model), i);
		if (!counts_as_unread(m))
			continue;
		self->all_read = FALSE;
		g_set_object(&self->first_unread, m);
		set_unread_line(self, i);
		return;
	}
}

static void on_items_changed(GListModel *model, guint pos, guint removed, guint added,
			     NatterMessageView *self)
{
	(void)model;
	GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(self->list));
	if (clock != NULL)
		self->rows_changed_in = gdk_frame_clock_get_frame_counter(clock) + 1;
	update_padding(self);
	/* Lines dropped at the front (the history cap) move the separator up. */
	if (pos == 0 && removed > added && self->unread_line != G_MAXUINT)
		set_unread_line(self, self->unread_line >= removed - added
					      ? self->unread_line - (removed - added) : G_MAXUINT);
	/* Older lines from history above it move it down. */
	if (added > removed && self->unread_line != G_MAXUINT && pos < self->unread_line)
		set_unread_line(self, self->unread_line + (added - removed));
	if (added == 0)
		return;
	/* An older page inserted above while reading back: keep the rows in
	 * view where they are (same distance from the end, as the new rows get
	 * measured); nothing new below. */
	guint rows = n_rows(self);
	g_autoptr(NatterMessage) last = rows > 0 ? g_list_model_get_item(G_LIST_MODEL(self->model), rows - 1) : NULL;
	gboolean same_end = last != NULL && last == self->newest;
	g_set_object(&self->newest, last);
	if (!self->follow && same_end) {
		GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
		if (self->keep_tick == 0)
			self->keep_from_end = gtk_adjustment_get_upper(adj) - gtk_adjustment_get_value(adj);
		self->keep_stable = 0;
		if (self->keep_tick == 0)
			self->keep_tick = gtk_widget_add_tick_callback(GTK_WIDGET(self->list), keep_tick, self, NULL);
		return;
	}
	if (self->follow)
		follow_end(self);
	else
		show_jump(self, TRUE);
	/* New lines: read when the window is focused and at the bottom;
	 * otherwise they are unread, and the separator goes above the first
	 * of them if everything before was read. */
	if (!natter_message_view_mark_read(self))
		note_unread(self, pos, added);
}

/* The range or the page changed (rows measured, window resized). */
static void on_range_changed(NatterMessageView *self)
{
	update_padding(self);
	if (self->follow)
		follow_end(self);
}

/* Only the person scrolling up stops the following; the list growing under
 * a still value does not, and reaching the bottom starts it again. */
static void on_value_changed(GtkAdjustment *adj, NatterMessageView *self)
{
	double value = gtk_adjustment_get_value(adj);

	if (!self->scrolling) {
		if (value >= bottom_of(adj) - 2) {
			self->follow = TRUE;
			show_jump(self, FALSE);
			natter_message_view_mark_read(self);
		} else if (value < self->last_value - 0.5 && self->tick_id == 0) {
			self->follow = FALSE;
		}
		/* Near the top while reading back: the page before (history). */
		if (!self->follow && value < gtk_adjustment_get_page_size(adj) &&
		    self->session != NULL && self->conv != NULL)
			natter_session_load_older(self->session, self->conv);
	}
	self->last_value = value;
}

static void on_jump_clicked(NatterMessageView *self)
{
	natter_message_view_scroll_to_end(self);
}

GListModel *natter_message_view_get_shown(NatterMessageView *self)
{
	return self->model != NULL ? G_LIST_MODEL(self->model) : NULL;
}

void natter_message_view_scroll_page(NatterMessageView *self, int pages)
{
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
	double page = gtk_adjustment_get_page_size(adj) * 0.9;
	double value = CLAMP(gtk_adjustment_get_value(adj) + pages * page, 0.0, bottom_of(adj));

	gtk_adjustment_set_value(adj, value);
}

/* The style changed between light and dark: draw the rows again with the
 * other nick colours. */
static void on_dark_changed(NatterMessageView *self)
{
	gtk_list_view_set_model(self->list, NULL);
	gtk_list_view_set_model(self->list, GTK_SELECTION_MODEL(self->model));
	if (self->follow)
		follow_end(self);
}

/* Remembers where reading stopped in @conv (for the separator when it is
 * shown again): the line before @first_unread, or else its newest line. */
static void mark_read(NatterConversation *conv, NatterMessage *first_unread)
{
	GListModel *msgs = natter_conversation_get_messages(conv);
	guint n = g_list_model_get_n_items(msgs);
	guint upto = n;

	for (guint i = n; first_unread != NULL && i > 0; i--) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, i - 1);
		if (m == first_unread) {
			upto = i - 1;
			break;
		}
	}
	if (upto > 0)
		g_object_set_data_full(G_OBJECT(conv), "natter-last-read", g_list_model_get_item(msgs, upto - 1),
				       g_object_unref);
	else if (first_unread != NULL) /* nothing read before it */
		g_object_set_data(G_OBJECT(conv), "natter-last-read", NULL);
}

/* Never looked at here (e.g. after a restart): the separator goes above
 * the first line someone else said after the account's read marker. */
static guint find_marker_line(NatterMessageView *self, GListModel *lines)
{
	GDateTime *marker = natter_session_get_read_marker(self->session, self->conv);
	guint n = g_list_model_get_n_items(lines);
	guint found = G_MAXUINT;

	if (marker == NULL)
		return G_MAXUINT;
	for (guint i = n; i > 0; i--) {
		g_autoptr(NatterMessage) m = g_list_model_get_item(lines, i - 1);
		if (g_date_time_compare(natter_message_get_time(m), marker) <= 0)
			break;
		NatterMessageKind k = natter_message_get_kind(m);
		if (!natter_message_is_own(m) && (k == NATTER_MESSAGE_TEXT || k == NATTER_MESSAGE_ACTION ||
						   k == NATTER_MESSAGE_NOTICE))
			found = i - 1;
	}
	return found;
}

/* Coming back: the separator goes above the first line after that mark. */
static guint find_unread_line(NatterMessageView *self)
{
	NatterMessage *mark = g_object_get_data(G_OBJECT(self->conv), "natter-last-read");
	GListModel *lines = gtk_no_selection_get_model(self->model);
	guint line;

	if (mark == NULL && self->session != NULL)
		return find_marker_line(self, lines);
	if (mark == NULL || !natter_event_groups_find_source(NATTER_EVENT_GROUPS(lines), mark, &line) ||
	    line + 1 >= g_list_model_get_n_items(lines))
		return G_MAXUINT;
	return line + 1;
}

void natter_message_view_set_conversation(NatterMessageView *self, NatterConversation *conv)
{
	if (self->conv == conv)
		return;
	if (self->conv != NULL)
		mark_read(self->conv, self->all_read ? NULL : self->first_unread);
	g_set_object(&self->conv, conv);
	g_clear_object(&self->first_unread);
	if (self->model != NULL)
		g_signal_handlers_disconnect_by_data(self->model, self);
	g_clear_object(&self->model);
	if (conv != NULL) {
		/* Runs of joins/parts/quits show as one line. */
		GListModel *lines = G_LIST_MODEL(natter_event_groups_new(natter_conversation_get_messages(conv)));
		self->model = gtk_no_selection_new(lines);
		g_signal_connect_object(self->model, "items-changed", G_CALLBACK(on_items_changed), self,
					G_CONNECT_AFTER);
	}
	g_clear_object(&self->newest);
	if (n_rows(self) > 0)
		self->newest = g_list_model_get_item(G_LIST_MODEL(self->model), n_rows(self) - 1);
	set_unread_line(self, self->model != NULL ? find_unread_line(self) : G_MAXUINT);
	/* nothing unread yet: the next line that comes unread gets the separator */
	self->all_read = self->unread_line == G_MAXUINT;
	gtk_list_view_set_model(self->list, GTK_SELECTION_MODEL(self->model));
	/* A conversation opens at its newest lines. */
	natter_message_view_scroll_to_end(self);
	natter_message_view_mark_read(self);
}

static void on_root_active(NatterMessageView *self)
{
	natter_message_view_mark_read(self);
}

/* The window coming to the front counts as reading what is in view. */
static void on_realize(NatterMessageView *self)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	if (!GTK_IS_WINDOW(root))
		return;
	/* Realized again (moved, or the window re-created its surface): one handler. */
	g_signal_handlers_disconnect_by_func(root, on_root_active, self);
	g_signal_connect_object(root, "notify::is-active", G_CALLBACK(on_root_active), self,
				G_CONNECT_SWAPPED);
}

void natter_message_view_set_session(NatterMessageView *self, NatterSession *session)
{
	g_set_weak_pointer(&self->session, session);
}

gboolean natter_message_view_mark_read(NatterMessageView *self)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));

	if (self->conv == NULL || !self->follow || !gtk_widget_get_mapped(GTK_WIDGET(self)) ||
	    !GTK_IS_WINDOW(root) || !gtk_window_is_active(GTK_WINDOW(root)))
		return FALSE;
	/* Everything is read; the separator stays where it is (above what
	 * was new when you came), and moves to the next line that comes
	 * while you are away or scrolled up. */
	self->all_read = TRUE;
	g_clear_object(&self->first_unread);
	mark_read(self->conv, NULL);
	if (self->session != NULL)
		natter_session_mark_read(self->session, self->conv); /* rate-limited */
	return TRUE;
}

static void delete_message(GtkWidget *widget, const char *action, GVariant *param)
{
	NatterMessageView *self = NATTER_MESSAGE_VIEW(widget);

	(void)action; (void)param;
	if (self->menu != NULL)
		gtk_popover_popdown(GTK_POPOVER(self->menu));
	if (self->menu_msg != NULL && self->session != NULL && self->conv != NULL)
		natter_session_redact(self->session, self->conv, self->menu_msg);
	g_clear_object(&self->menu_msg);
}

gboolean natter_message_view_popup_menu(NatterMessageView *self, NatterMessage *msg, double x, double y)
{
	if (self->session == NULL || !natter_session_can_redact(self->session, msg))
		return FALSE;
	g_set_object(&self->menu_msg, msg);
	if (self->menu == NULL) {
		GtkWidget *button = gtk_button_new_with_mnemonic("_Delete Message");
		gtk_widget_add_css_class(button, "flat");
		gtk_actionable_set_action_name(GTK_ACTIONABLE(button), "message.delete");
		self->menu = gtk_popover_new();
		gtk_popover_set_child(GTK_POPOVER(self->menu), button);
		gtk_popover_set_has_arrow(GTK_POPOVER(self->menu), FALSE);
		gtk_widget_set_halign(self->menu, GTK_ALIGN_START);
		gtk_widget_set_parent(self->menu, GTK_WIDGET(self));
	}
	gtk_popover_set_pointing_to(GTK_POPOVER(self->menu),
				    &(GdkRectangle){ (int)x, (int)y, 1, 1 });
	gtk_popover_popup(GTK_POPOVER(self->menu));
	return TRUE;
}

static void natter_message_view_dispose(GObject *object)
{
	NatterMessageView *self = NATTER_MESSAGE_VIEW(object);

	g_clear_pointer(&self->menu, gtk_widget_unparent);
	g_clear_object(&self->menu_msg);
	g_clear_object(&self->newest);
	g_clear_object(&self->first_unread);
	/* rows may outlive the view a little: they stop calling back now */
	for (guint i = 0; self->items != NULL && i < self->items->len; i++)
		g_signal_handlers_disconnect_by_func(self->items->pdata[i], on_item_position, self);
	g_clear_pointer(&self->items, g_ptr_array_unref);
	g_clear_weak_pointer(&self->session);
	if (self->tick_id != 0 && self->list != NULL)
		gtk_widget_remove_tick_callback(GTK_WIDGET(self->list), self->tick_id);
	if (self->keep_tick != 0 && self->list != NULL)
		gtk_widget_remove_tick_callback(GTK_WIDGET(self->list), self->keep_tick);
	if (self->pad_tick != 0 && self->scroller != NULL)
		gtk_widget_remove_tick_callback(GTK_WIDGET(self->scroller), self->pad_tick);
	self->pad_tick = 0;
	self->keep_tick = 0;
	self->tick_id = 0;
	if (self->list != NULL)
		gtk_list_view_set_model(self->list, NULL);
	if (self->model != NULL)
		g_signal_handlers_disconnect_by_data(self->model, self);
	g_clear_object(&self->model);
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
	gtk_widget_class_bind_template_child(widget_class, NatterMessageView, factory);
	gtk_widget_class_bind_template_child(widget_class, NatterMessageView, jump_button);
	gtk_widget_class_bind_template_callback(widget_class, on_jump_clicked);
	gtk_widget_class_install_action(widget_class, "message.delete", NULL, delete_message);
}

static void natter_message_view_init(NatterMessageView *self)
{
	self->items = g_ptr_array_new();
	gtk_widget_init_template(GTK_WIDGET(self));
	gtk_widget_set_focusable(GTK_WIDGET(self->list), FALSE);
	self->follow = TRUE;
	self->unread_line = G_MAXUINT;
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
	if (adw_is_initialized())
		g_signal_connect_object(adw_style_manager_get_default(), "notify::dark",
					G_CALLBACK(on_dark_changed), self, G_CONNECT_SWAPPED);
	g_signal_connect(self, "realize", G_CALLBACK(on_realize), NULL);
	g_signal_connect(self->factory, "setup", G_CALLBACK(setup_row), self);
	g_signal_connect(self->factory, "bind", G_CALLBACK(bind_row), self);
	g_signal_connect(self->factory, "teardown", G_CALLBACK(teardown_row), self);
	g_signal_connect_object(adj, "notify::upper", G_CALLBACK(on_range_changed), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(adj, "notify::page-size", G_CALLBACK(on_range_changed), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(adj, "value-changed", G_CALLBACK(on_value_changed), self, 0);
}
