/* storage.c - SQLite persistence on a single writer thread (see storage.h). */
#include "storage.h"

#include <sqlite3.h>

#include "channel.h"
#include "log.h"

static sqlite3 *db;
static GThreadPool *writer; /* one thread: writes land in the order made */

struct topic_write {
	char *name;
	char *topic;
	char *setter;
	gint64 when;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS rooms ("
	" name TEXT PRIMARY KEY COLLATE NOCASE,"
	" topic TEXT, topic_setter TEXT, topic_time INTEGER);";

static void write_topic(gpointer data, gpointer unused)
{
	struct topic_write *w = data;
	sqlite3_stmt *stmt = NULL;

	(void)unused;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO rooms(name, topic, topic_setter, topic_time) "
			       "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE SET "
			       "topic = ?2, topic_setter = ?3, topic_time = ?4",
			       -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, w->name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 2, w->topic, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 3, w->setter, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 4, w->when) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		log_error("could not save the topic of %s: %s", w->name, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	g_free(w->name);
	g_free(w->topic);
	g_free(w->setter);
	g_free(w);
}

bool storage_open(const char *data_dir, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, "natterd.db", NULL);
	char *err = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot open %s: %s", path,
			    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		db = NULL;
		return false;
	}
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot set up %s: %s", path,
			    err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		sqlite3_close(db);
		db = NULL;
		return false;
	}
	writer = g_thread_pool_new(write_topic, NULL, 1, FALSE, NULL);
	return true;
}

void storage_close(void)
{
	if (writer != NULL)
		g_thread_pool_free(writer, FALSE, TRUE);
	writer = NULL;
	if (db != NULL)
		sqlite3_close(db);
	db = NULL;
}

void storage_restore_channel(struct channel *ch)
{
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

	if (writer == NULL || !ch->permanent)
		return;
	w = g_new0(struct topic_write, 1);
	w->name = g_strdup(ch->name);
	w->topic = g_strdup(ch->topic);
	w->setter = g_strdup(ch->topic_setter);
	w->when = ch->topic_time;
	g_thread_pool_push(writer, w, NULL);
}
