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

#endif
