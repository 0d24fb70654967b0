/* storage.c - rooms' saved state, written on the db.c writer thread. */
#include "storage.h"

#include <sqlite3.h>

#include "channel.h"
#include "chanreg.h"
#include "db.h"
#include "hooks.h"
#include "log.h"
#include "modes.h"
#include "server.h"

struct topic_write {
	char *name;
	char *topic;
	char *setter;
	gint64 when;
};

static void write_topic(sqlite3 *db, gpointer data)
{
	struct topic_write *w = data;
	sqlite3_stmt *stmt = NULL;

	if (db != NULL &&
	    (sqlite3_prepare_v2(db,
				"INSERT INTO rooms(name, topic, topic_setter, topic_time) "
				"VALUES(?1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE SET "
				"topic = ?2, topic_setter = ?3, topic_time = ?4",
				-1, &stmt, NULL) != SQLITE_OK ||
	     sqlite3_bind_text(stmt, 1, w->name, -1, SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_text(stmt, 2, w->topic, -1, SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_text(stmt, 3, w->setter, -1, SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_int64(stmt, 4, w->when) != SQLITE_OK ||
	     sqlite3_step(stmt) != SQLITE_DONE))
		log_error("could not save the topic of %s: %s", w->name, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	g_free(w->name);
	g_free(w->topic);
	g_free(w->setter);
	g_free(w);
}

bool storage_open(const char *data_dir, GError **error)
{
	return db_open(data_dir, error);
}

void storage_close(void)
{
	db_close();
}

static char list_letter(enum channel_list list)
{
	for (size_t i = 0; i < chanmode_count; i++)
		if (chanmode_table[i].kind == CHANMODE_LIST && chanmode_table[i].bit == (unsigned)list)
			return chanmode_table[i].letter;
	return '?';
}

static void restore_lists(sqlite3 *db, struct channel *ch)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db, "SELECT list, mask, setter, set_at FROM permanent_room_lists"
			       " WHERE room = ?1 ORDER BY set_at, rowid", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, ch->name, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(stmt);
		return;
	}
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *letter = (const char *)sqlite3_column_text(stmt, 0);
		const char *mask = (const char *)sqlite3_column_text(stmt, 1);
		const char *setter = (const char *)sqlite3_column_text(stmt, 2);
		const struct chanmode_info *info = letter != NULL ? chanmode_find(letter[0]) : NULL;
		enum channel_list list;
		GPtrArray *entries;
		if (info == NULL || info->kind != CHANMODE_LIST || mask == NULL)
			continue;
		list = (enum channel_list)info->bit;
		if (channel_list_add(ch, list, mask, setter != NULL ? setter : server.cfg->name) !=
		    LIST_CHANGED)
			continue;
		/* Keep when it was set, not when it was restored. */
		entries = ch->lists[list];
		((struct ban *)g_ptr_array_index(entries, entries->len - 1))->when =
			sqlite3_column_int64(stmt, 3);
	}
	sqlite3_finalize(stmt);
}

bool storage_restore_channel(struct channel *ch)
{
	sqlite3 *db = db_handle();
	sqlite3_stmt *stmt = NULL;
	bool settings = false;

	if (db == NULL)
		return false;
	if (sqlite3_prepare_v2(db, "SELECT topic, topic_setter, topic_time, modes, key, user_limit"
			       " FROM rooms WHERE name = ?1", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(stmt, 1, ch->name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW) {
		const char *modes = (const char *)sqlite3_column_text(stmt, 3);
		const char *key = (const char *)sqlite3_column_text(stmt, 4);
		if (sqlite3_column_text(stmt, 0) != NULL) {
			ch->topic = g_strdup((const char *)sqlite3_column_text(stmt, 0));
			ch->topic_setter = g_strdup((const char *)sqlite3_column_text(stmt, 1));
			ch->topic_time = sqlite3_column_int64(stmt, 2);
		}
		/* Restored straight into the fields: no hooks run yet, so
		 * nothing is written back while loading. */
		if (modes != NULL) {
			unsigned bits = 0;
			for (const char *p = modes; *p != '\0'; p++) {
				const struct chanmode_info *info = chanmode_find(*p);
				if (info != NULL && info->kind == CHANMODE_FLAG)
					bits |= info->bit;
			}
			ch->modes = bits; /* replaces the defaults of a new room */
		}
		if (key != NULL && key[0] != '\0')
			ch->key = g_strdup(key);
		if (sqlite3_column_int(stmt, 5) > 0)
			ch->limit = sqlite3_column_int(stmt, 5);
		settings = modes != NULL;
	}
	sqlite3_finalize(stmt);
	if (settings) {
		restore_lists(db, ch);
		ch->settled = true;
	}
	return settings;
}

/* --- writing permanent rooms' settings through ------------------------------ */

/* One statement with text then integer parameters, on the writer thread. */
struct settings_write {
	const char *sql;
	char *text[4];
	int64_t num[2];
	int ntext, nnum;
};

static void run_settings_write(sqlite3 *db, gpointer data)
{
	struct settings_write *w = data;
	sqlite3_stmt *stmt = NULL;
	bool ok = db != NULL && sqlite3_prepare_v2(db, w->sql, -1, &stmt, NULL) == SQLITE_OK;

	for (int i = 0; ok && i < w->ntext; i++)
		ok = sqlite3_bind_text(stmt, i + 1, w->text[i], -1, SQLITE_STATIC) == SQLITE_OK;
	for (int i = 0; ok && i < w->nnum; i++)
		ok = sqlite3_bind_int64(stmt, w->ntext + i + 1, w->num[i]) == SQLITE_OK;
	if (ok)
		ok = sqlite3_step(stmt) == SQLITE_DONE;
	if (!ok && db != NULL)
		log_error("could not save a permanent room's settings: %s", sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	for (int i = 0; i < w->ntext; i++)
		g_free(w->text[i]);
	g_free(w);
}

static void save_settings(const struct channel *ch)
{
	struct settings_write *w = g_new0(struct settings_write, 1);
	GString *modes = g_string_new(NULL);

	for (size_t i = 0; i < chanmode_count; i++)
		if (chanmode_table[i].kind == CHANMODE_FLAG && (ch->modes & chanmode_table[i].bit))
			g_string_append_c(modes, chanmode_table[i].letter);
	w->sql = "INSERT INTO rooms(name, modes, key, user_limit) VALUES(?1, ?2, ?3, ?4)"
		 " ON CONFLICT(name) DO UPDATE SET modes = ?2, key = ?3, user_limit = ?4";
	w->text[w->ntext++] = g_strdup(ch->name);
	w->text[w->ntext++] = g_string_free(modes, FALSE);
	w->text[w->ntext++] = g_strdup(ch->key);
	w->num[w->nnum++] = ch->limit;
	db_write(run_settings_write, w);
}

static void save_list_entry(const struct hook_args *args)
{
	struct settings_write *w = g_new0(struct settings_write, 1);
	const struct channel *ch = args->channel;
	char letter[2] = { list_letter((enum channel_list)args->bit), '\0' };

	w->text[w->ntext++] = g_strdup(ch->name);
	w->text[w->ntext++] = g_strdup(letter);
	w->text[w->ntext++] = g_strdup(args->text);
	if (args->on) {
		GPtrArray *entries = ch->lists[args->bit];
		const struct ban *b = entries->len > 0
			? g_ptr_array_index(entries, entries->len - 1) : NULL;
		w->sql = "INSERT OR REPLACE INTO permanent_room_lists(room, list, mask, setter,"
			 " set_at) VALUES(?1, ?2, ?3, ?4, ?5)";
		w->text[w->ntext++] = g_strdup(b != NULL ? b->setter : NULL);
		w->num[w->nnum++] = b != NULL ? b->when : server_wall_us() / 1000000;
	} else {
		w->sql = "DELETE FROM permanent_room_lists WHERE room = ?1 AND list = ?2"
			 " AND mask = ?3 COLLATE NOCASE";
	}
	db_write(run_settings_write, w);
	/* The row in rooms marks the room as run by someone (see restore). */
	save_settings(ch);
}

static void on_room_change(const struct hook_args *args, void *data)
{
	(void)data;
	if (args->channel == NULL || !args->channel->permanent ||
	    chanreg_is_registered(args->channel))
		return;
	args->channel->settled = true;
	if (args->event == HOOK_CHANNEL_LIST)
		save_list_entry(args);
	else
		save_settings(args->channel);
}

void storage_follow_changes(void)
{
	hook_add(HOOK_CHANNEL_MODE, on_room_change, NULL);
	hook_add(HOOK_CHANNEL_LIST, on_room_change, NULL);
}

void storage_save_topic(const struct channel *ch)
{
	struct topic_write *w;

	if (!ch->permanent)
		return;
	w = g_new0(struct topic_write, 1);
	w->name = g_strdup(ch->name);
	w->topic = g_strdup(ch->topic);
	w->setter = g_strdup(ch->topic_setter);
	w->when = ch->topic_time;
	db_write(write_topic, w);
}
