/* storage.c - rooms' saved state, written on the db.c writer thread. */
#include "storage.h"

#include <sqlite3.h>

#include "channel.h"
#include "db.h"
#include "log.h"

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

void storage_restore_channel(struct channel *ch)
{
	sqlite3 *db = db_handle();
	sqlite3_stmt *stmt = NULL;

	if (db == NULL)
		return;
	if (sqlite3_prepare_v2(db, "SELECT topic, topic_setter, topic_time FROM rooms WHERE name = ?1",
			       -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(stmt, 1, ch->name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL) {
		ch->topic = g_strdup((const char *)sqlite3_column_text(stmt, 0));
		ch->topic_setter = g_strdup((const char *)sqlite3_column_text(stmt, 1));
		ch->topic_time = sqlite3_column_int64(stmt, 2);
	}
	sqlite3_finalize(stmt);
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
