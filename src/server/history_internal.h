/* history_internal.h - what the three parts of the history share:
 * history.c (the loop's side: logging, hand-off, opening), history_store.c
 * (the writer thread that owns every write to the store) and
 * history_read.c (the loop's readers).
 *
 * A stored row travels like this. The loop gives it an id and a sequence
 * number and keeps it in memory ("recent"); the writer commits the rows of
 * a batch as ONE blob in history_log, which writes a few pages however
 * many rooms and conversations the batch touched: that commit is what
 * "acknowledged" waits for. Later, when no batch has come for a moment (or
 * too many rows wait), the writer moves the rows into the indexed
 * `history` table and deletes their blobs in one transaction; only then
 * does the loop forget its copies. Readers merge `history` with the rows
 * in memory, so everything acknowledged is readable at once; after a crash,
 * history_log is moved into `history` before anyone reads. */
#ifndef NATTERD_HISTORY_INTERNAL_H
#define NATTERD_HISTORY_INTERNAL_H

#include <event2/event.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "history.h"

enum op { OP_INSERT, OP_REDACT, OP_MARKER, OP_DELIVERED, OP_STOP };

/* One queued write; owns its strings. OP_INSERT records belong to the loop
 * (which frees them once they are moved); the writer frees the others. */
struct record {
	enum op op;
	uint64_t seq;
	int64_t id;            /* OP_INSERT: the row's id in history */
	int64_t time_ms;
	int kind;
	char msgid[24];
	char *target;
	char *sender;
	char *line;
	char *tags;
	char *peer_a, *peer_b; /* private messages: the two identities */
	char *offline_for;     /* an account to deliver it to at login */
	int64_t upto_id;       /* OP_DELIVERED: offline rows up to this id */
	int64_t log_id;        /* writer only: its blob's row in history_log */
	bool redacted;         /* loop only: redacted before it was moved */
	struct pool_block *block; /* the block it lives in (history_pool.c), or NULL */
	struct record *next_recent, *next_in_target; /* loop only (history_read.c) */
	unsigned refs;         /* loop only: views (history_view_new()) holding it */
	bool dropped;          /* loop only: moved, freed when the last view lets go */
	struct record *next;   /* the next of the same hand-off */
};

void record_free(struct record *r);

/* Retention limits of one room, for the writer. */
struct retention {
	int64_t max_age_ms;    /* 0: keep forever */
	int max_lines;         /* per target; 0: no limit */
};

/* Rows are moved into `history` when no batch has come for MOVE_IDLE_MS,
 * MOVE_CHUNK at a time (whole batches), so that a move holds a new batch up
 * for about a millisecond; at MOVE_FORCE rows waiting they move even while
 * batches come, which bounds the loop's memory (~400 bytes a row). */
enum { MOVE_IDLE_MS = 200, MOVE_CHUNK = 1024, MOVE_FORCE = 32768 };

/* --- history_pool.c: where the loop keeps rows (loop thread only) ------- */

/* A copy of @r (an OP_INSERT record) in a block of the pool; @r is freed.
 * record_free() gives it back. */
struct record *pool_adopt(struct record *r);
void pool_release(struct record *r);
/* At close, after every row is freed. */
void pool_clear(void);

/* --- history_store.c: the writer thread (the loop calls these) ---------- */

/* Opens the writer's connection to @path, moves rows a crash left in
 * history_log into history, and starts the writer and the checkpointer;
 * @wake is made active (from the writer thread) after each commit and
 * move. *@next_id is the id of the next row. */
bool store_open(const char *path, const struct history_config *cfg,
		GHashTable *room_retention, struct event *wake, int64_t *next_id,
		GError **error);
/* Hands a chain of records to the writer. */
void store_hand_over(struct record *chain);
/* Moves what is left, commits, and stops the threads. */
void store_close(void);
/* The last sequence number committed, and the last row id moved. */
uint64_t store_committed(void);
int64_t store_moved(void);

/* --- history_read.c: the loop's readers ---------------------------------- */

bool reader_open(const char *path, GError **error);
void reader_close(void);
/* The rows in memory: kept from push until moved. */
void recent_add(struct record *r);
void recent_forget_moved(int64_t moved_upto);
/* A row in memory with @msgid that readers may see (committed, not
 * redacted), or NULL. */
struct record *recent_find(const char *msgid);
bool recent_visible(const struct record *r);
/* Hides the row in memory with @msgid from readers (it is being redacted). */
void recent_redact(const char *msgid);
/* The stored read marker of @owner for @target (0 when none). */
int64_t reader_marker(const char *owner, const char *target);
/* The messages kept for @account while it was away, oldest first; *@upto
 * is the last offline row read (for removal). */
GPtrArray *reader_offline(const char *account, int64_t *upto);

#endif
