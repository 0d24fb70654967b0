/* db.h - natterd's SQLite file (DATA_DIR/natterd.db): opening it in WAL
 * mode, the schema version and its migrations, and the one writer thread.
 *
 * Every table of every module is created by one list of migrations in
 * db.c; the file's schema_version row says how many have run. To change the
 * schema, append a migration there (never edit one that has shipped).
 *
 * The loop thread may read with db_handle() at start-up only (restoring
 * state before clients connect). After that, all writes go through
 * db_write(): jobs run in order on one thread, so the loop never waits for
 * the disk and writes land in the order they were made. */
#ifndef NATTERD_DB_H
#define NATTERD_DB_H

#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>

/* Opens (creating) the file, sets WAL, runs pending migrations and starts
 * the writer thread. On failure returns false with @error set. */
bool db_open(const char *data_dir, GError **error);
/* Finishes queued writes and closes the file. */
void db_close(void);

/* The connection, for start-up reads on the loop thread; NULL when closed. */
sqlite3 *db_handle(void);

/* The schema version the file is at (the number of migrations run). */
int db_schema_version(void);

/* Runs on the writer thread with the open database; frees @data itself. */
typedef void (*db_write_fn)(sqlite3 *db, gpointer data);
/* Queues @fn(db, @data) for the writer thread. With no database open,
 * @fn is called with db == NULL at once, so it can free @data. */
void db_write(db_write_fn fn, gpointer data);

/* Waits until every write queued so far has landed (tests, shutdown). */
void db_sync(void);

/* One SQL statement and its parameters, built on the loop thread and run on
 * the writer thread: the common write that needs no code of its own.
 * Parameters bind to ?1, ?2, ... in the order they are added (at most
 * DB_STMT_MAX_PARAMS); texts are copied, NULL binds SQL NULL. */
#define DB_STMT_MAX_PARAMS 8
struct db_stmt;
/* @sql must outlive the write (a string literal). */
struct db_stmt *db_stmt_new(const char *sql);
void db_stmt_text(struct db_stmt *s, const char *text);
/* Like db_stmt_text() but takes @text (g_malloc'd) instead of copying it. */
void db_stmt_text_take(struct db_stmt *s, char *text);
void db_stmt_int(struct db_stmt *s, gint64 n);
/* Queues @s with db_write() and frees it after it has run. If it fails, the
 * log says "could not save <what>: <SQLite's error>", @what being made from
 * @what_fmt here, on the loop thread. */
void db_write_stmt(struct db_stmt *s, const char *what_fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
