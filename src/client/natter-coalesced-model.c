/* natter-coalesced-model.c - changes passed on once per turn (see
 * natter-coalesced-model.h). */
#include "natter-coalesced-model.h"

struct _NatterCoalescedModel {
	GObject parent_instance;
	GType item_type;
	GListModel *source;
	GPtrArray *shown; /* refs: what get_item answers until the next flush */
	guint idle_id;
};

static void list_model_iface_init(GListModelInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE(NatterCoalescedModel, natter_coalesced_model, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_model_iface_init))

void natter_coalesced_model_flush(NatterCoalescedModel *self)
{
	guint n = self->source != NULL ? g_list_model_get_n_items(self->source) : 0;
	GPtrArray *next = g_ptr_array_new_full(n, g_object_unref);
	GPtrArray *old = self->shown;
	guint head = 0, tail = 0;

	g_clear_handle_id(&self->idle_id, g_source_remove);
	for (guint i = 0; i < n; i++)
		g_ptr_array_add(next, g_list_model_get_item(self->source, i));
	while (head < old->len && head < next->len && old->pdata[head] == next->pdata[head])
		head++;
	while (tail < old->len - head && tail < next->len - head &&
	       old->pdata[old->len - 1 - tail] == next->pdata[next->len - 1 - tail])
		tail++;
	self->shown = next;
	guint removed = old->len - head - tail, added = next->len - head - tail;
	g_ptr_array_unref(old);
	if (removed > 0 || added > 0)
		g_list_model_items_changed(G_LIST_MODEL(self), head, removed, added);
}

static gboolean flush_idle(gpointer data)
{
	NatterCoalescedModel *self = data;

	self->idle_id = 0;
	natter_coalesced_model_flush(self);
	return G_SOURCE_REMOVE;
}

static void on_source_changed(NatterCoalescedModel *self)
{
	/* Before GTK lays out the next frame (G_PRIORITY_HIGH_IDLE + 20), after
	 * the socket reads that are already waiting. */
	if (self->idle_id == 0)
		self->idle_id = g_idle_add_full(G_PRIORITY_HIGH_IDLE + 10, flush_idle, self, NULL);
}

void natter_coalesced_model_set_source(NatterCoalescedModel *self, GListModel *source)
{
	if (self->source != NULL)
		g_signal_handlers_disconnect_by_data(self->source, self);
	g_set_object(&self->source, source);
	if (source != NULL)
		g_signal_connect_swapped(source, "items-changed", G_CALLBACK(on_source_changed), self);
	natter_coalesced_model_flush(self);
}

static GType get_item_type(GListModel *model) { return NATTER_COALESCED_MODEL(model)->item_type; }
static guint get_n_items(GListModel *model) { return NATTER_COALESCED_MODEL(model)->shown->len; }

static gpointer get_item(GListModel *model, guint position)
{
	NatterCoalescedModel *self = NATTER_COALESCED_MODEL(model);
	return position < self->shown->len ? g_object_ref(self->shown->pdata[position]) : NULL;
}

static void list_model_iface_init(GListModelInterface *iface)
{
	iface->get_item_type = get_item_type;
	iface->get_n_items = get_n_items;
	iface->get_item = get_item;
}

static void natter_coalesced_model_dispose(GObject *object)
{
	NatterCoalescedModel *self = NATTER_COALESCED_MODEL(object);

	g_clear_handle_id(&self->idle_id, g_source_remove);
	if (self->source != NULL)
		g_signal_handlers_disconnect_by_data(self->source, self);
	g_clear_object(&self->source);
	G_OBJECT_CLASS(natter_coalesced_model_parent_class)->dispose(object);
}

static void natter_coalesced_model_finalize(GObject *object)
{
	g_ptr_array_unref(NATTER_COALESCED_MODEL(object)->shown);
	G_OBJECT_CLASS(natter_coalesced_model_parent_class)->finalize(object);
}

static void natter_coalesced_model_class_init(NatterCoalescedModelClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = natter_coalesced_model_dispose;
	G_OBJECT_CLASS(klass)->finalize = natter_coalesced_model_finalize;
}

static void natter_coalesced_model_init(NatterCoalescedModel *self)
{
	self->shown = g_ptr_array_new_with_free_func(g_object_unref);
}

NatterCoalescedModel *natter_coalesced_model_new(GType item_type)
{
	NatterCoalescedModel *self = g_object_new(NATTER_TYPE_COALESCED_MODEL, NULL);

	self->item_type = item_type;
	return self;
}
