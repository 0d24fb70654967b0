/* storage.h - what natterd keeps about rooms in its SQLite file (db.h owns
 * the file, its schema migrations and the writer thread). Writes run on the
 * writer thread so the event loop never waits for the disk. */
#ifndef NATTERD_STORAGE_H
#define NATTERD_STORAGE_H

#include <glib.h>
#include <stdbool.h>

struct channel;

/* Opens the data file (db_open()). */
bool storage_open(const char *data_dir, GError **error);
/* Finishes pending writes and closes the database. */
void storage_close(void);

/* Loads the saved topic and settings (flag modes, key, limit, b/e/I lists)
 * of a permanent room, if any (start-up only). True when settings were
 * saved: such a room has been run by someone, so the first to join it
 * after a restart does not become its operator. */
bool storage_restore_channel(struct channel *ch);

/* Starts writing permanent rooms' settings through as they change (after
 * the default rooms are restored). Registered rooms are chanreg.c's. */
void storage_follow_changes(void);
/* Saves the topic of a permanent room in the background. */
void storage_save_topic(const struct channel *ch);

#endif
