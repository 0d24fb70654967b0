/* natter-member-store.c - sorted members with a nick index (see natter-member-store.h). */
#include "natter-member-store.h"

#include <string.h>

#include "irc_names.h"

#define FOLD_MAX (IRC_NICK_MAX * 4 + 1)

struct _NatterMemberStore {
	GObject parent_instance;
	GPtrArray *items;   /* NatterMember (owned), sorted by compare_members() */
	GHashTable *index;  /* case-folded nick (owned) -> NatterMember (borrowed) */
};

static void natter_member_store_model_init(GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(NatterMemberStore, natter_member_store, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL,
						    natter_member_store_model_init))

static GType model_get_item_type(GListModel *model)
{
	(void)model;
	return NATTER_TYPE_MEMBER;
}

static guint model_get_n_items(GListModel *model)
{
	return NATTER_MEMBER_STORE(model)->items->len;
}

static gpointer model_get_item(GListModel *model, guint position)
{
	NatterMemberStore *self = NATTER_MEMBER_STORE(model);

	if (position >= self->items->len)
		return NULL;
	return g_object_ref(g_ptr_array_index(self->items, position));
}

static void natter_member_store_model_init(GListModelInterface *iface)
{
	iface->get_item_type = model_get_item_type;
	iface->get_n_items = model_get_n_items;
	iface->get_item = model_get_item;
}

static void natter_member_store_finalize(GObject *object)
{
	NatterMemberStore *self = NATTER_MEMBER_STORE(object);

	g_hash_table_unref(self->index);
	g_ptr_array_unref(self->items);
	G_OBJECT_CLASS(natter_member_store_parent_class)->finalize(object);
}

static void natter_member_store_class_init(NatterMemberStoreClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = natter_member_store_finalize;
}

static void natter_member_store_init(NatterMemberStore *self)
{
	self->items = g_ptr_array_new_with_free_func(g_object_unref);
	self->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

NatterMemberStore *natter_member_store_new(void)
{
	return g_object_new(NATTER_TYPE_MEMBER_STORE, NULL);
}

/* ---------------------------------------------------------------- order */

static int prefix_rank(NatterMember *m)
{
	static const char order[] = "~&@%+";
	const char *p = natter_member_get_prefixes(m);
	const char *at = *p != '\0' ? strchr(order, *p) : NULL;

	return at != NULL ? (int)(at - order) : (int)sizeof(order);
}

static int compare_members(NatterMember *a, NatterMember *b)
{
	int ra = prefix_rank(a), rb = prefix_rank(b);

	if (ra != rb)
		return ra - rb;
	return irc_casecmp(natter_member_get_nick(a), natter_member_get_nick(b));
}

static int compare_ptrs(gconstpointer a, gconstpointer b)
{
	return compare_members(*(NatterMember *const *)a, *(NatterMember *const *)b);
}

/* The first position whose member sorts at or after @m. */
static guint lower_bound(NatterMemberStore *self, NatterMember *m)
{
	guint lo = 0, hi = self->items->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (compare_members(g_ptr_array_index(self->items, mid), m) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Where @m is; a binary search, or a scan if someone changed its prefixes
 * behind our back (natter_member_set_prefix on a member in the store). */
static gboolean position_of(NatterMemberStore *self, NatterMember *m, guint *pos)
{
	guint at = lower_bound(self, m);

	if (at < self->items->len && g_ptr_array_index(self->items, at) == m) {
		*pos = at;
		return TRUE;
	}
	return g_ptr_array_find(self->items, m, pos);
}

static char *fold(const char *nick)
{
	char buf[FOLD_MAX];
	irc_casefold(buf, sizeof(buf), nick);
	return g_strdup(buf);
}

/* ---------------------------------------------------------------- changes */

static void insert_sorted(NatterMemberStore *self, NatterMember *m /* owned */)
{
	guint at = lower_bound(self, m);
	g_ptr_array_insert(self->items, (gint)at, m);
	g_list_model_items_changed(G_LIST_MODEL(self), at, 0, 1);
}

/* Takes @m out of the array (not the index); returns the array's reference. */
static NatterMember *take(NatterMemberStore *self, NatterMember *m)
{
	guint pos;

	if (!position_of(self, m, &pos))
		return NULL;
	NatterMember *taken = g_ptr_array_steal_index(self->items, pos);
	g_list_model_items_changed(G_LIST_MODEL(self), pos, 1, 0);
	return taken;
}

NatterMember *natter_member_store_find(NatterMemberStore *self, const char *nick)
{
	char buf[FOLD_MAX];

	irc_casefold(buf, sizeof(buf), nick);
	return g_hash_table_lookup(self->index, buf);
}

NatterMember *natter_member_store_add(NatterMemberStore *self, const char *nick,
				      const char *prefixes)
{
	NatterMember *m = natter_member_store_find(self, nick);

	if (m != NULL) {
		if (prefixes != NULL && strcmp(prefixes, natter_member_get_prefixes(m)) != 0) {
			NatterMember *taken = take(self, m); /* NULL: not placed yet */
			natter_member_set_prefixes(m, prefixes);
			if (taken != NULL)
				insert_sorted(self, taken);
		}
		return m;
	}
	m = natter_member_new(nick, prefixes);
	g_hash_table_insert(self->index, fold(nick), m);
	insert_sorted(self, m);
	return m;
}

void natter_member_store_add_many(NatterMemberStore *self, GPtrArray *members)
{
	g_autoptr(GPtrArray) fresh = g_ptr_array_new();

	for (guint i = 0; i < members->len; i++) {
		NatterMember *m = g_ptr_array_index(members, i);
		NatterMember *old = natter_member_store_find(self, natter_member_get_nick(m));
		if (old != NULL) {
			natter_member_store_add(self, natter_member_get_nick(old),
						natter_member_get_prefixes(m));
			continue;
		}
		g_hash_table_insert(self->index, fold(natter_member_get_nick(m)), m);
		g_ptr_array_add(fresh, g_object_ref(m));
	}
	if (fresh->len == 0)
		return;
	if (fresh->len < 8) { /* a few: insert each where it belongs */
		for (guint i = 0; i < fresh->len; i++)
			insert_sorted(self, g_ptr_array_index(fresh, i));
		return;
	}
	/* Many: sort them and merge with what is there, in one pass: for each
	 * new one a binary search in the rest of the old ones, whose run up to
	 * it is copied as a block (a NAMES line is small, the room big). */
	g_ptr_array_sort(fresh, compare_ptrs);
	guint old_len = self->items->len;
	GPtrArray *merged = g_ptr_array_new_full(old_len + fresh->len, g_object_unref);
	NatterMember **old = (NatterMember **)self->items->pdata;
	guint i = 0;
	for (guint j = 0; j < fresh->len; j++) {
		NatterMember *m = g_ptr_array_index(fresh, j);
		guint lo = i, hi = old_len;
		while (lo < hi) {
			guint mid = lo + (hi - lo) / 2;
			if (compare_members(old[mid], m) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; i < lo; i++)
			g_ptr_array_add(merged, old[i]);
		g_ptr_array_add(merged, m);
	}
	for (; i < old_len; i++)
		g_ptr_array_add(merged, old[i]);
	/* The old array's references moved to @merged. */
	g_ptr_array_set_free_func(self->items, NULL);
	g_ptr_array_unref(self->items);
	self->items = merged;
	g_list_model_items_changed(G_LIST_MODEL(self), 0, old_len, merged->len);
}

gboolean natter_member_store_remove(NatterMemberStore *self, const char *nick)
{
	char buf[FOLD_MAX];

	irc_casefold(buf, sizeof(buf), nick);
	NatterMember *m = g_hash_table_lookup(self->index, buf);
	if (m == NULL)
		return FALSE;
	NatterMember *taken = take(self, m);
	g_hash_table_remove(self->index, buf);
	if (taken != NULL)
		g_object_unref(taken);
	return TRUE;
}

gboolean natter_member_store_rename(NatterMemberStore *self, const char *old_nick,
				    const char *new_nick)
{
	char buf[FOLD_MAX];

	irc_casefold(buf, sizeof(buf), old_nick);
	NatterMember *m = g_hash_table_lookup(self->index, buf);
	if (m == NULL)
		return FALSE;
	NatterMember *taken = take(self, m);
	g_hash_table_remove(self->index, buf);
	/* someone already called that (should not happen): keep one */
	natter_member_store_remove(self, new_nick);
	natter_member_set_nick(m, new_nick);
	g_hash_table_insert(self->index, fold(new_nick), m);
	if (taken != NULL)
		insert_sorted(self, taken);
	return TRUE;
}

gboolean natter_member_store_set_prefix(NatterMemberStore *self, const char *nick, char prefix,
					gboolean on, const char *order)
{
	NatterMember *m = natter_member_store_find(self, nick);

	if (m == NULL)
		return FALSE;
	NatterMember *taken = take(self, m);
	natter_member_set_prefix(m, prefix, on, order);
	if (taken != NULL)
		insert_sorted(self, taken);
	return TRUE;
}

void natter_member_store_resort(NatterMemberStore *self)
{
	g_ptr_array_sort(self->items, compare_ptrs);
	g_list_model_items_changed(G_LIST_MODEL(self), 0, self->items->len, self->items->len);
}

void natter_member_store_clear(NatterMemberStore *self)
{
	guint n = self->items->len;

	if (n == 0)
		return;
	g_hash_table_remove_all(self->index);
	g_ptr_array_set_size(self->items, 0);
	g_list_model_items_changed(G_LIST_MODEL(self), 0, n, 0);
}
