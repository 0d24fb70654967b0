/* registry.c - hash tables of clients, nicks and channels (see registry.h). */
#include "registry.h"

#include <stddef.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "numerics.h"
#include "send.h"
#include "server.h"

static GHashTable *ids;           /* set of &client->id, every client */
static GHashTable *nicks;         /* folded nick -> client */
static GHashTable *channels;      /* folded name -> channel */
static GHashTable *watchers;      /* folded nick -> GPtrArray of clients */
static GQueue whowas = G_QUEUE_INIT;
static unsigned max_users;
static unsigned registered_users;
static unsigned invisible_users;  /* registered and +i */
static unsigned oper_users;       /* registered and +o */

static char *fold(const char *name)
{
	char buf[256];

	irc_casefold(buf, sizeof(buf), name);
	return g_strdup(buf);
}

static void whowas_free(gpointer data)
{
	struct whowas *w = data;

	g_free(w->nick);
	g_free(w->user);
	g_free(w->host);
	g_free(w->realname);
	g_free(w);
}

void registry_init(void)
{
	ids = g_hash_table_new(g_int64_hash, g_int64_equal);
	nicks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	channels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	watchers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref);
}

void registry_shutdown(void)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, channels);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		g_hash_table_iter_remove(&iter);
		channel_free(value);
	}
	g_hash_table_destroy(channels);
	g_hash_table_destroy(nicks);
	g_hash_table_destroy(ids);
	g_hash_table_destroy(watchers);
	g_queue_clear_full(&whowas, whowas_free);
}

void registry_add_client(struct client *c)
{
	/* A set of pointers into the clients themselves: nothing to allocate,
	 * and no values array (8 bytes a slot less, for every idle client). */
	g_hash_table_add(ids, &c->id);
}

struct client *registry_find_id(uint64_t id)
{
	uint64_t *found = g_hash_table_lookup(ids, &id);

	return found != NULL ? (struct client *)((char *)found - offsetof(struct client, id)) : NULL;
}

/* @name's entry in @table (keyed by case-folded name), or NULL; a name
 * longer than @max cannot be in it. */
static gpointer find_folded(GHashTable *table, const char *name, size_t max)
{
	char folded[MAX(IRC_NICK_MAX, IRC_CHANNEL_MAX) + 1];

	if (strlen(name) > max)
		return NULL;
	irc_casefold(folded, sizeof(folded), name);
	return g_hash_table_lookup(table, folded);
}

/* Drops @c's nick from the nick table, if the entry there is @c's. */
static void unmap_nick(const struct client *c)
{
	char folded[IRC_NICK_MAX + 1];

	irc_casefold(folded, sizeof(folded), c->nick);
	if (g_hash_table_lookup(nicks, folded) == c)
		g_hash_table_remove(nicks, folded);
}

void registry_remove_client(struct client *c)
{
	g_hash_table_remove(ids, &c->id);

	if (c->registered) {
		registry_monitor_notify(c, false);
		registered_users--;
		invisible_users -= (c->modes & UMODE_INVISIBLE) ? 1 : 0;
		oper_users -= (c->modes & UMODE_OPER) ? 1 : 0;
	}
	registry_monitor_clear(c);
	unmap_nick(c);
}

struct client *registry_find_nick(const char *nick)
{
	return find_folded(nicks, nick, IRC_NICK_MAX);
}

void registry_rename(struct client *c, const char *nick)
{
	unmap_nick(c);
	g_hash_table_insert(nicks, fold(nick), c);
}

struct channel *registry_find_channel(const char *name)
{
	return find_folded(channels, name, IRC_CHANNEL_MAX);
}

void registry_add_channel(struct channel *ch)
{
	g_hash_table_insert(channels, fold(ch->name), ch);
}

void registry_remove_channel(struct channel *ch)
{
	char folded[IRC_CHANNEL_MAX + 1];

	irc_casefold(folded, sizeof(folded), ch->name);
	g_hash_table_remove(channels, folded);
}

GHashTable *registry_channels(void)
{
	return channels;
}

GHashTable *registry_nicks(void)
{
	return nicks;
}

unsigned registry_user_count(void)
{
	return registered_users;
}

unsigned registry_invisible_count(void)
{
	return invisible_users;
}

unsigned registry_oper_count(void)
{
	return oper_users;
}

void registry_note_registered(void)
{
	registered_users++;
	if (registered_users > max_users)
		max_users = registered_users;
}

void registry_note_modes(const struct client *c, unsigned old_modes)
{
	unsigned changed = c->modes ^ old_modes;

	if (!c->registered)
		return;
	if (changed & UMODE_INVISIBLE)
		invisible_users += (c->modes & UMODE_INVISIBLE) ? 1u : (unsigned)-1;
	if (changed & UMODE_OPER)
		oper_users += (c->modes & UMODE_OPER) ? 1u : (unsigned)-1;
}

unsigned registry_max_users(void)
{
	return max_users;
}

void registry_whowas_add(const struct client *c)
{
	struct whowas *w;

	if (server.cfg->whowas_size == 0)
		return;
	w = g_new0(struct whowas, 1);
	w->nick = g_strdup(c->nick);
	w->user = g_strdup(c->user);
	w->host = g_strdup(c->host);
	w->realname = g_strdup(c->realname);
	w->when = server_wall_us() / 1000000;
	g_queue_push_head(&whowas, w);
	while (g_queue_get_length(&whowas) > (guint)server.cfg->whowas_size)
		whowas_free(g_queue_pop_tail(&whowas));
}

GPtrArray *registry_whowas_find(const char *nick, int max)
{
	GPtrArray *found = g_ptr_array_new();
	/* RFC 2812 3.6.3 allows wildcards; a plain nick is compared exactly
	 * (a nick may hold a backslash, which a mask reads as an escape). */
	bool wild = strpbrk(nick, "*?") != NULL;

	for (GList *l = whowas.head; l != NULL; l = l->next) {
		struct whowas *w = l->data;
		if (wild ? irc_mask_match(nick, w->nick) : irc_casecmp(w->nick, nick) == 0)
			g_ptr_array_add(found, w);
		if (max > 0 && found->len >= (guint)max)
			break;
	}
	return found;
}

void registry_monitor_add(struct client *watcher, const char *nick)
{
	char *key = fold(nick);
	GPtrArray *list = g_hash_table_lookup(watchers, key);

	if (list == NULL) {
		list = g_ptr_array_new();
		g_hash_table_insert(watchers, g_strdup(key), list);
	}
	if (!g_ptr_array_find(list, watcher, NULL)) {
		g_ptr_array_add(list, watcher);
		if (watcher->monitoring == NULL)
			watcher->monitoring = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(watcher->monitoring, g_strdup(key));
	}
	g_free(key);
}

void registry_monitor_remove(struct client *watcher, const char *nick)
{
	g_autofree char *key = fold(nick);
	GPtrArray *list = g_hash_table_lookup(watchers, key);

	if (list != NULL) {
		g_ptr_array_remove_fast(list, watcher);
		if (list->len == 0)
			g_hash_table_remove(watchers, key);
	}
	if (watcher->monitoring == NULL)
		return;
	for (guint i = 0; i < watcher->monitoring->len; i++) {
		if (strcmp(g_ptr_array_index(watcher->monitoring, i), key) == 0) {
			g_ptr_array_remove_index_fast(watcher->monitoring, i);
			break;
		}
	}
}

void registry_monitor_clear(struct client *watcher)
{
	while (watcher->monitoring != NULL && watcher->monitoring->len > 0) {
		g_autofree char *key = g_strdup(g_ptr_array_index(watcher->monitoring, 0));
		registry_monitor_remove(watcher, key);
	}
}

GPtrArray *registry_monitor_watchers(const struct client *c)
{
	char folded[IRC_NICK_MAX + 1];

	irc_casefold(folded, sizeof(folded), c->nick);
	return g_hash_table_lookup(watchers, folded);
}

void registry_monitor_notify(struct client *c, bool online)
{
	char folded[IRC_NICK_MAX + 1];
	GPtrArray *list;

	irc_casefold(folded, sizeof(folded), c->nick);
	list = g_hash_table_lookup(watchers, folded);
	for (guint i = 0; list != NULL && i < list->len; i++) {
		struct client *watcher = g_ptr_array_index(list, i);
		if (online)
			send_numeric(watcher, RPL_MONONLINE, c->prefix);
		else
			send_numeric(watcher, RPL_MONOFFLINE, c->nick);
	}
}
