/* natter-event-groups.c - runs of joins/parts/quits as one line (see
 * natter-event-groups.h). */
#include "natter-event-groups.h"

typedef struct {
	guint start, count;  /* source range */
	NatterMessage *shown; /* the source message, or a summary for a group */
} Line;

struct _NatterEventGroups {
	GObject parent_instance;
	GListModel *source;
	GArray *lines; /* Line */
};

static void list_model_iface_init(GListModelInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE(NatterEventGroups, natter_event_groups, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

static gboolean is_churn(NatterMessage *m)
{
	NatterEventKind e = natter_message_get_event(m);

	/* our own ("You joined #lobby") stays a line of its own */
	return natter_message_get_kind(m) == NATTER_MESSAGE_EVENT && natter_message_get_nick(m) != NULL &&
	       !natter_message_is_own(m) && (e == NATTER_EVENT_JOIN || e == NATTER_EVENT_PART || e == NATTER_EVENT_QUIT);
}

/* "bob", "bob and carol", "bob, carol and dave", "12 people". */
static void append_people(GString *out, GPtrArray *names)
{
	if (names->len > 3) {
		g_string_append_printf(out, "%u people", names->len);
		return;
	}
	for (guint i = 0; i < names->len; i++) {
		if (i > 0)
			g_string_append(out, i + 1 == names->len ? " and " : ", ");
		g_string_append(out, g_ptr_array_index(names, i));
	}
}

/* Each person once: "bob left" for bob's PART and then his QUIT (history
 * replays both), not "bob and bob left". */
static void add_person(GPtrArray *names, const char *nick)
{
	for (guint i = 0; i < names->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(names, i), nick) == 0)
			return;
	g_ptr_array_add(names, (gpointer)nick);
}

char *natter_event_groups_summary(NatterMessage **run, guint n)
{
	g_autoptr(GPtrArray) joined = g_ptr_array_new();
	g_autoptr(GPtrArray) left = g_ptr_array_new();
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < n; i++)
		add_person(natter_message_get_event(run[i]) == NATTER_EVENT_JOIN ? joined : left,
			   natter_message_get_nick(run[i]));
	if (joined->len > 0) {
		append_people(out, joined);
		g_string_append(out, " joined");
	}
	if (left->len > 0) {
		if (out->len > 0)
			g_string_append(out, ", ");
		/* "12 people joined, 3 left"; "bob joined, carol left" */
		if (joined->len > 3 && left->len > 3)
			g_string_append_printf(out, "%u", left->len);
		else
			append_people(out, left);
		g_string_append(out, " left");
	}
	return g_string_free(out, FALSE);
}

static NatterMessage *item(NatterEventGroups *self, guint i)
{
	return g_list_model_get_item(self->source, i); /* full ref */
}

/* What line @l shows, for its source range. */
static void make_shown(NatterEventGroups *self, Line *l)
{
	g_clear_object(&l->shown);
	if (l->count == 1) {
		l->shown = item(self, l->start);
		return;
	}
	g_autoptr(GPtrArray) run = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < l->count; i++)
		g_ptr_array_add(run, item(self, l->start + i));
	g_autofree char *text = natter_event_groups_summary((NatterMessage **)run->pdata, run->len);
	NatterMessage *last = g_ptr_array_index(run, run->len - 1);
	l->shown = natter_message_new(NATTER_MESSAGE_EVENT, natter_message_get_time(last), NULL, text, FALSE);
	natter_message_set_event(l->shown, NATTER_EVENT_JOIN);
}

static gboolean line_is_churn(NatterEventGroups *self, Line *l)
{
	g_autoptr(NatterMessage) first = item(self, l->start);
	return is_churn(first);
}

static void clear_line(gpointer data)
{
	g_clear_object(&((Line *)data)->shown);
}

/* Adds source message @i at the end; returns TRUE when it joined the last line. */
static gboolean add_source(NatterEventGroups *self, guint i)
{
	g_autoptr(NatterMessage) m = item(self, i);
	Line *last = self->lines->len > 0 ? &g_array_index(self->lines, Line, self->lines->len - 1) : NULL;

	if (last != NULL && is_churn(m) && line_is_churn(self, last) && last->start + last->count == i) {
		last->count++;
		make_shown(self, last);
		return TRUE;
	}
	Line l = { i, 1, NULL };
	make_shown(self, &l);
	g_array_append_val(self->lines, l);
	return FALSE;
}

static void rebuild(NatterEventGroups *self)
{
	guint old = self->lines->len;

	g_array_set_size(self->lines, 0);
	for (guint i = 0; i < g_list_model_get_n_items(self->source); i++)
		add_source(self, i);
	g_list_model_items_changed(G_LIST_MODEL(self), 0, old, self->lines->len);
}

/* @removed source messages went from the front. */
static void drop_front(NatterEventGroups *self, guint removed)
{
	guint gone = 0, left = removed;
	gboolean partial = FALSE;

	while (gone < self->lines->len && left > 0) {
		Line *l = &g_array_index(self->lines, Line, gone);
		if (l->count <= left) {
			left -= l->count;
			gone++;
			continue;
		}
		l->count -= left;
		l->start += left;
		left = 0;
		partial = TRUE;
	}
	g_array_remove_range(self->lines, 0, gone);
	for (guint i = 0; i < self->lines->len; i++)
		g_array_index(self->lines, Line, i).start -= removed;
	if (partial)
		make_shown(self, &g_array_index(self->lines, Line, 0));
	g_list_model_items_changed(G_LIST_MODEL(self), 0, gone + partial, partial);
}

static void on_source_changed(GListModel *source, guint pos, guint removed, guint added,
			      NatterEventGroups *self)
{
	guint n = g_list_model_get_n_items(source);

	if (removed == 0 && pos + added == n) { /* appended */
		for (guint i = pos; i < n; i++) {
			guint before = self->lines->len;
			if (add_source(self, i))
				g_list_model_items_changed(G_LIST_MODEL(self), before - 1, 1, 1);
			else
				g_list_model_items_changed(G_LIST_MODEL(self), before, 0, 1);
		}
		return;
	}
	if (pos == 0 && added == 0) {
		drop_front(self, removed);
		return;
	}
	rebuild(self);
}

gboolean natter_event_groups_find_source(NatterEventGroups *self, NatterMessage *message, guint *line)
{
	for (guint i = self->lines->len; i-- > 0;) {
		Line *l = &g_array_index(self->lines, Line, i);
		for (guint k = 0; k < l->count; k++) {
			g_autoptr(NatterMessage) m = item(self, l->start + k);
			if (m == message) {
				*line = i;
				return TRUE;
			}
		}
	}
	return FALSE;
}

guint natter_event_groups_get_span(NatterEventGroups *self, guint position)
{
	return position < self->lines->len ? g_array_index(self->lines, Line, position).count : 0;
}

static GType get_item_type(GListModel *model) { (void)model; return NATTER_TYPE_MESSAGE; }
static guint get_n_items(GListModel *model) { return NATTER_EVENT_GROUPS(model)->lines->len; }

static gpointer get_item(GListModel *model, guint position)
{
	NatterEventGroups *self = NATTER_EVENT_GROUPS(model);
	return position < self->lines->len ? g_object_ref(g_array_index(self->lines, Line, position).shown) : NULL;
}

static void list_model_iface_init(GListModelInterface *iface)
{
	iface->get_item_type = get_item_type;
	iface->get_n_items = get_n_items;
	iface->get_item = get_item;
}

static void natter_event_groups_dispose(GObject *object)
{
	NatterEventGroups *self = NATTER_EVENT_GROUPS(object);

	if (self->source != NULL)
		g_signal_handlers_disconnect_by_data(self->source, self);
	g_clear_object(&self->source);
	g_clear_pointer(&self->lines, g_array_unref);
	G_OBJECT_CLASS(natter_event_groups_parent_class)->dispose(object);
}

static void natter_event_groups_class_init(NatterEventGroupsClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = natter_event_groups_dispose;
}

static void natter_event_groups_init(NatterEventGroups *self)
{
	self->lines = g_array_new(FALSE, TRUE, sizeof(Line));
	g_array_set_clear_func(self->lines, clear_line);
}

NatterEventGroups *natter_event_groups_new(GListModel *messages)
{
	NatterEventGroups *self = g_object_new(NATTER_TYPE_EVENT_GROUPS, NULL);

	self->source = g_object_ref(messages);
	for (guint i = 0; i < g_list_model_get_n_items(messages); i++)
		add_source(self, i);
	g_signal_connect(messages, "items-changed", G_CALLBACK(on_source_changed), self);
	return self;
}
