/* storage.h - natterd's SQLite file (DATA_DIR/natterd.db). Today it keeps the
 * permanent rooms' topics; accounts and history will live here too. Writes
 * run on a storage thread so the event loop never waits for the disk. */
#ifndef NATTERD_STORAGE_H
#define NATTERD_STORAGE_H

#include <glib.h>
#include <stdbool.h>

struct channel;

bool storage_open(const char *data_dir, GError **error);
/* Finishes pending writes and closes the database. */
void storage_close(void);

/* Loads the saved topic of a permanent room, if any (start-up only). */
void storage_restore_channel(struct channel *ch);
/* Saves the topic of a permanent room in the background. */
void storage_save_topic(const struct channel *ch);

#endif
