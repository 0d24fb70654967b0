/* throttle.c - failures per key with growing delays (see throttle.h). */
#include "throttle.h"

#include <glib.h>

struct entry {
	int fails;
	int64_t last;  /* last failure */
	int64_t until; /* no attempt before this */
	int64_t forget_after; /* quiet this long: forgotten when room is needed */
};

struct throttle {
	GHashTable *keys; /* key -> struct entry */
	unsigned max_keys;
};

struct throttle *throttle_new(unsigned max_keys)
{
	struct throttle *t = g_new0(struct throttle, 1);

	t->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	t->max_keys = max_keys;
	return t;
}

void throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	g_hash_table_destroy(t->keys);
	g_free(t);
}

int throttle_wait(struct throttle *t, const char *key, int64_t now)
{
	struct entry *e = g_hash_table_lookup(t->keys, key);

	if (e == NULL || now >= e->until)
		return 0;
	return (int)((e->until - now + 999999) / 1000000);
}

static void prune(struct throttle *t, int64_t now)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, t->keys);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		struct entry *e = value;
		if (now >= e->until && now - e->last > e->forget_after)
			g_hash_table_iter_remove(&iter);
	}
}

void throttle_fail(struct throttle *t, const char *key, int64_t now,
		   const struct throttle_policy *p)
{
	struct entry *e = g_hash_table_lookup(t->keys, key);

	if (e == NULL) {
		if (g_hash_table_size(t->keys) >= t->max_keys)
			prune(t, now);
		if (g_hash_table_size(t->keys) >= t->max_keys)
			return;
		e = g_new0(struct entry, 1);
		g_hash_table_insert(t->keys, g_strdup(key), e);
	} else if (now >= e->until && now - e->last > e->forget_after) {
		e->fails = 0; /* quiet long enough: an old mistake counts no more */
	}
	e->fails++;
	e->last = now;
	e->forget_after = (int64_t)p->delay_max * 2 * 1000000;
	if (e->fails > p->free_failures) {
		int steps = MIN(e->fails - p->free_failures - 1, 30);
		int64_t delay = MIN((int64_t)p->delay << steps, (int64_t)p->delay_max);
		e->until = now + delay * 1000000;
	}
}

void throttle_clear(struct throttle *t, const char *key)
{
	g_hash_table_remove(t->keys, key);
}

unsigned throttle_size(const struct throttle *t)
{
	return g_hash_table_size(t->keys);
}
