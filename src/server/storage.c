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

bool storage_open(const char *data_dir, GError **error)
{
	return db_open(data_dir, error);
}

void storage_close(void)
{
	db_close();
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
			/* replaces the defaults of a new room */
			ch->modes = chanmode_flag_bits(modes);
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

static void save_settings(const struct channel *ch)
{
	struct db_stmt *w = db_stmt_new(
		"INSERT INTO rooms(name, modes, key, user_limit) VALUES(?1, ?2, ?3, ?4)"
		" ON CONFLICT(name) DO UPDATE SET modes = ?2, key = ?3, user_limit = ?4");

	db_stmt_text(w, ch->name);
	db_stmt_text_take(w, chanmode_flag_letters(ch->modes));
	db_stmt_text(w, ch->key);
	db_stmt_int(w, ch->limit);
	db_write_stmt(w, "a permanent room's settings");
}

static void save_list_entry(const struct hook_args *args)
{
	const struct channel *ch = args->channel;
	char letter[2] = { chanmode_list_letter(args->bit), '\0' };
	struct db_stmt *w = db_stmt_new(
		args->on ? "INSERT OR REPLACE INTO permanent_room_lists(room, list, mask, setter,"
			   " set_at) VALUES(?1, ?2, ?3, ?4, ?5)"
			 : "DELETE FROM permanent_room_lists WHERE room = ?1 AND list = ?2"
			   " AND mask = ?3 COLLATE NOCASE");

	db_stmt_text(w, ch->name);
	db_stmt_text(w, letter);
	db_stmt_text(w, args->text);
	if (args->on) {
		GPtrArray *entries = ch->lists[args->bit];
		const struct ban *b = entries->len > 0
			? g_ptr_array_index(entries, entries->len - 1) : NULL;
		db_stmt_text(w, b != NULL ? b->setter : NULL);
		db_stmt_int(w, b != NULL ? b->when : server_wall_us() / 1000000);
	}
	db_write_stmt(w, "a permanent room's settings");
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
	struct db_stmt *w;

	if (!ch->permanent)
		return;
	w = db_stmt_new("INSERT INTO rooms(name, topic, topic_setter, topic_time) "
			"VALUES(?1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE SET "
			"topic = ?2, topic_setter = ?3, topic_time = ?4");
	db_stmt_text(w, ch->name);
	db_stmt_text(w, ch->topic);
	db_stmt_text(w, ch->topic_setter);
	db_stmt_int(w, ch->topic_time);
	db_write_stmt(w, "the topic of %s", ch->name);
}
