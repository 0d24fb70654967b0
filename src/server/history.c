/* history.c - the message history store: a batching writer thread, the
 * in-loop readers, retention, read markers and redaction (see history.h). */
#include "history.h"

#include <event2/event.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "channel.h"
#include "client.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "registry.h"
#include "send.h"
#include "server.h"

/* q_latest_time counts message kinds: "kind <= 3". */
G_STATIC_ASSERT(HIST_LAST_MESSAGE_KIND == 3);

enum op { OP_INSERT, OP_REDACT, OP_MARKER, OP_DELIVERED, OP_STOP };

/* One queued write; owns its strings. */
struct record {
	enum op op;
	uint64_t seq;
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
	struct record *next;   /* the next of the same hand-off (see push()) */
};

/* Retention limits, copied for the writer thread at start. */
struct retention {
	int64_t max_age_ms;    /* 0: keep forever */
	int max_lines;         /* per target; 0: no limit */
};

static struct {
	bool enabled;
	struct history_config cfg;
	GHashTable *room_retention;   /* folded room -> struct retention */
	GHashTable *markers;          /* "owner target" -> struct marker, until stored */
	GThread *thread;
	GAsyncQueue *queue;
	sqlite3 *wdb;                 /* the writer's connection */
	sqlite3 *rdb;                 /* the loop's read-only connection */
	struct event *commit_ev;
	uint64_t next_seq;            /* loop thread */
	struct record *pending, *pending_tail; /* loop thread: not yet handed over */
	int npending;
	/* writer thread's counters, logged at close */
	uint64_t n_records, n_commits;
	int64_t commit_us;
	gpointer committed;           /* last seq on disk: written by the writer, read atomically */
	/* The checkpointer: its thread, connection, and the writer's call. */
	GThread *ckpt_thread;
	sqlite3 *cdb;
	GMutex ckpt_lock;
	GCond ckpt_cond;
	bool ckpt_wanted, ckpt_stop;
	gint ckpt_copied;             /* frames its last checkpoint copied */
	/* the loop's prepared statements; [t] is the table: 0 history,
	 * 1 history_recent (the newest rows, not yet moved) */
	sqlite3_stmt *q_ref[2], *q_msgid[2], *q_latest_time[2], *q_range[2][2]; /* [t][newest] */
	sqlite3_stmt *q_marker, *q_convs, *q_offline, *q_begin, *q_end;
	int read_depth;               /* nested read transactions */
} h;

/* Rows are committed to history_recent, which has no index but its ids,
 * so acknowledging a batch writes a few pages however many rooms and
 * conversations it touches. The writer moves them into `history` (whose
 * indexes are then written once per move, not once per batch) when
 * MOVE_AT rows wait and no batch does, MOVE_CHUNK at a time so that a
 * move holds the next batch up for about a millisecond; at MOVE_FORCE it
 * moves even while batches wait, which bounds what readers scan. */
enum { MOVE_AT = 1024, MOVE_CHUNK = 512, MOVE_FORCE = 8192 };

/* The WAL is copied back into the file by the checkpointer thread once it
 * holds CHECKPOINT_PAGES pages (a PASSIVE checkpoint does not block the
 * writer, so no acknowledgement waits for its copying); when no more than
 * FINISH_PAGES are left, the writer copies those itself so that the WAL
 * starts over. Should it reach WAL_HARD_PAGES anyway, the writer
 * checkpoints all of it. */
enum { CHECKPOINT_PAGES = 4096, FINISH_PAGES = 512, WAL_HARD_PAGES = 65536 };

/* A read marker set but maybe not yet committed. */
struct marker {
	int64_t time_ms;
	uint64_t seq;
};

static struct history_row *read_row(sqlite3_stmt *st);

/* --- identities and keys ------------------------------------------------- */

char *history_identity(const struct client *c)
{
	char folded[IRC_NICK_MAX + 1];

	if (c->account != NULL)
		return g_strdup(c->account->folded);
	irc_casefold(folded, sizeof(folded), c->nick);
	return g_strconcat("~", folded, NULL);
}

char *history_peer_identity(const char *nick)
{
	struct client *c = registry_find_nick(nick);
	struct account *a;
	char folded[IRC_NICK_MAX + 1];

	if (c != NULL && c->registered)
		return history_identity(c);
	a = account_find(nick);
	if (a != NULL)
		return g_strdup(a->folded);
	irc_casefold(folded, sizeof(folded), nick);
	return g_strconcat("~", folded, NULL);
}

char *history_private_key(const char *a, const char *b)
{
	return strcmp(a, b) <= 0 ? g_strconcat(a, " ", b, NULL) : g_strconcat(b, " ", a, NULL);
}

static char *room_key(const char *name)
{
	char folded[IRC_CHANNEL_MAX + 1];

	irc_casefold(folded, sizeof(folded), name);
	return g_strdup(folded);
}

/* --- time ---------------------------------------------------------------- */

void history_format_time(int64_t ms, char *out, size_t len)
{
	send_format_time(ms, out, len);
}

bool history_parse_time(const char *s, int64_t *ms)
{
	int y, mo, d, hh, mi, ss, frac = 0, n = 0, fn = 0;
	struct tm tm = { 0 };
	const char *p;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &hh, &mi, &ss, &n) != 6)
		return false;
	p = s + n;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (fn < 3) {
				frac = frac * 10 + (*p - '0');
				fn++;
			}
			p++;
		}
		while (fn < 3) {
			frac *= 10;
			fn++;
		}
	}
	if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 ||
	    mi > 59 || ss > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mi;
	tm.tm_sec = ss;
	*ms = (int64_t)timegm(&tm) * 1000 + frac;
	return true;
}

/* --- the writer thread ------------------------------------------------- */

static void record_free(struct record *r)
{
	g_free(r->target);
	g_free(r->sender);
	g_free(r->line);
	g_free(r->tags);
	g_free(r->peer_a);
	g_free(r->peer_b);
	g_free(r->offline_for);
	g_free(r);
}

struct writer_stmts {
	sqlite3_stmt *insert, *conv, *redact[2], *marker, *offline, *delivered;
	sqlite3_stmt *move, *moved;
	GHashTable *convs; /* this batch's conversations: key -> struct conv_touch */
	int64_t next_id;   /* the id of the next stored row */
	int64_t move_from; /* rows of history_recent below this id are moved */
	int recent_rows;   /* rows in history_recent (redactions may make it fewer) */
};

/* A conversation's newest time in this batch, written once at commit. */
struct conv_touch {
	char *a, *b;
	int64_t time_ms;
};

static void conv_touch_free(gpointer p)
{
	struct conv_touch *t = p;

	g_free(t->a);
	g_free(t->b);
	g_free(t);
}

static bool wexec(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(h.wdb, sql, NULL, NULL, &err) == SQLITE_OK)
		return true;
	log_error("history: %s: %s", sql, err != NULL ? err : sqlite3_errmsg(h.wdb));
	sqlite3_free(err);
	return false;
}

static void step_reset(sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		log_error("history: could not %s: %s", what, sqlite3_errmsg(h.wdb));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void apply(struct writer_stmts *w, const struct record *r)
{
	switch (r->op) {
	case OP_INSERT:
		sqlite3_bind_text(w->insert, 1, r->target, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w->insert, 2, r->time_ms);
		sqlite3_bind_text(w->insert, 3, r->msgid, -1, SQLITE_STATIC);
		sqlite3_bind_int(w->insert, 4, r->kind);
		sqlite3_bind_text(w->insert, 5, r->sender, -1, SQLITE_STATIC);
		sqlite3_bind_text(w->insert, 6, r->line, -1, SQLITE_STATIC);
		if (r->tags != NULL)
			sqlite3_bind_text(w->insert, 7, r->tags, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w->insert, 8, w->next_id++);
		step_reset(w->insert, "store a message");
		w->recent_rows++;
		if (r->peer_a != NULL) {
			struct conv_touch *t = g_hash_table_lookup(w->convs, r->target);
			if (t == NULL) {
				t = g_new0(struct conv_touch, 1);
				t->a = g_strdup(r->peer_a);
				t->b = g_strdup(r->peer_b);
				g_hash_table_insert(w->convs, g_strdup(r->target), t);
			}
			t->time_ms = MAX(t->time_ms, r->time_ms);
		}
		if (r->offline_for != NULL) {
			sqlite3_bind_text(w->offline, 1, r->offline_for, -1, SQLITE_STATIC);
			sqlite3_bind_text(w->offline, 2, r->msgid, -1, SQLITE_STATIC);
			step_reset(w->offline, "keep an offline message");
		}
		break;
	case OP_DELIVERED:
		sqlite3_bind_text(w->delivered, 1, r->offline_for, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w->delivered, 2, r->upto_id);
		step_reset(w->delivered, "forget delivered offline messages");
		break;
	case OP_REDACT:
		for (int t = 0; t < 2; t++) {
			sqlite3_bind_text(w->redact[t], 1, r->msgid, -1, SQLITE_STATIC);
			step_reset(w->redact[t], "redact a message");
		}
		break;
	case OP_MARKER:
		sqlite3_bind_text(w->marker, 1, r->sender, -1, SQLITE_STATIC);
		sqlite3_bind_text(w->marker, 2, r->target, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w->marker, 3, r->time_ms);
		step_reset(w->marker, "save a read marker");
		break;
	case OP_STOP:
		break;
	}
}

/* One upsert per conversation of the batch, however many messages. */
static void write_conversations(struct writer_stmts *w)
{
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, w->convs);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		struct conv_touch *t = value;
		sqlite3_bind_text(w->conv, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(w->conv, 2, t->a, -1, SQLITE_STATIC);
		sqlite3_bind_text(w->conv, 3, t->b, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w->conv, 4, t->time_ms);
		step_reset(w->conv, "note a conversation");
	}
	g_hash_table_remove_all(w->convs);
}

static int64_t wall_ms(void)
{
	return server_wall_us() / 1000;
}

static int64_t query_int(const char *sql, const char *text, int64_t a, int64_t b, bool *got)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;

	*got = false;
	if (sqlite3_prepare_v2(h.wdb, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("history: %s", sqlite3_errmsg(h.wdb));
		return 0;
	}
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		v = sqlite3_column_int64(st, 0);
		*got = true;
	}
	sqlite3_finalize(st);
	return v;
}

static int exec_delete(const char *sql, const char *text, int64_t a, int64_t b)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	if (sqlite3_prepare_v2(h.wdb, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("history: %s", sqlite3_errmsg(h.wdb));
		return 0;
	}
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	if (sqlite3_step(st) == SQLITE_DONE)
		n = sqlite3_changes(h.wdb);
	sqlite3_finalize(st);
	return n;
}

/* Trims one target to @r: by age, then by count. */
static int trim_target(const char *target, const struct retention *r)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	if (r->max_age_ms > 0)
		n += exec_delete("DELETE FROM history WHERE target = ?1 AND time < ?2 AND ?3 = ?3",
				 target, wall_ms() - r->max_age_ms, 0);
	if (r->max_lines <= 0)
		return n;
	/* The oldest row to keep; every row before it goes. */
	if (sqlite3_prepare_v2(h.wdb, "SELECT time, id FROM history WHERE target = ?1 "
			       "ORDER BY time DESC, id DESC LIMIT 1 OFFSET ?2", -1, &st,
			       NULL) != SQLITE_OK)
		return n;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->max_lines - 1);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 0), id = sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
		return n + exec_delete("DELETE FROM history WHERE target = ?1 AND "
				       "(time < ?2 OR (time = ?2 AND id < ?3))", target, t, id);
	}
	sqlite3_finalize(st);
	return n;
}

/* The background retention pass: per room, per target, then overall. Runs
 * on the writer thread between batches, one transaction per step. */
static void enforce_retention(void)
{
	const struct history_config *cfg = &h.cfg;
	struct retention def = { (int64_t)cfg->max_age * 1000, cfg->max_lines_per_target };
	g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *st = NULL;
	int removed = 0;
	bool got;

	if (def.max_age_ms > 0 || def.max_lines > 0 || g_hash_table_size(h.room_retention) > 0) {
		if (sqlite3_prepare_v2(h.wdb, "SELECT DISTINCT target FROM history", -1, &st,
				       NULL) == SQLITE_OK)
			while (sqlite3_step(st) == SQLITE_ROW)
				g_ptr_array_add(targets,
						g_strdup((const char *)sqlite3_column_text(st, 0)));
		sqlite3_finalize(st);
	}
	for (guint i = 0; i < targets->len; i++) {
		const char *t = g_ptr_array_index(targets, i);
		const struct retention *r = g_hash_table_lookup(h.room_retention, t);
		if (r == NULL)
			r = &def;
		if (r->max_age_ms == 0 && r->max_lines == 0)
			continue;
		wexec("BEGIN");
		removed += trim_target(t, r);
		wexec("COMMIT");
	}
	if (cfg->max_lines > 0) {
		int64_t keep = query_int("SELECT id FROM history WHERE ?1 IS NULL AND ?2 = ?2 "
					 "ORDER BY id DESC LIMIT 1 OFFSET ?3",
					 NULL, 0, cfg->max_lines - 1, &got);
		if (got) {
			wexec("BEGIN");
			removed += exec_delete("DELETE FROM history WHERE ?1 IS NULL AND id < ?2 "
					       "AND ?3 = ?3", NULL, keep, 0);
			wexec("COMMIT");
		}
	}
	if (removed > 0)
		log_info("history: retention removed %d lines", removed);
}

/* Moves the oldest (up to MOVE_CHUNK) rows of history_recent into
 * history, ids kept, in one transaction. */
static void move_chunk(struct writer_stmts *w)
{
	int64_t upto = MIN(w->move_from + MOVE_CHUNK, w->next_id);
	int moved;

	if (!wexec("BEGIN"))
		return;
	sqlite3_bind_int64(w->move, 1, upto);
	step_reset(w->move, "move recent history");
	sqlite3_bind_int64(w->moved, 1, upto);
	step_reset(w->moved, "forget moved history");
	moved = sqlite3_changes(h.wdb);
	if (!wexec("COMMIT")) {
		wexec("ROLLBACK");
		return;
	}
	w->move_from = upto;
	w->recent_rows = MAX(0, w->recent_rows - moved);
	if (w->move_from >= w->next_id)
		w->recent_rows = 0;
}

static void move_all(struct writer_stmts *w)
{
	while (w->move_from < w->next_id)
		move_chunk(w);
}

/* After a batch: a chunk moves when enough rows wait and nothing else
 * does (@busy: records are waiting), or when too many rows wait. */
static void maybe_move(struct writer_stmts *w, bool busy)
{
	if (w->recent_rows >= MOVE_FORCE ||
	    (w->recent_rows >= MOVE_AT && !busy && g_async_queue_length(h.queue) <= 0))
		move_chunk(w);
}

/* The writer's WAL hook, after each commit: wakes the checkpointer, or
 * checkpoints here when the WAL has grown past what it should. */
static int on_wal_commit(void *unused, sqlite3 *db, const char *name, int pages)
{
	int copied = g_atomic_int_get(&h.ckpt_copied);

	(void)unused;
	/* The WAL starts over only when a write begins with every frame
	 * copied, which the checkpointer, racing the writer, never sees: the
	 * writer copies the last few frames itself, right after a commit. */
	if (pages >= WAL_HARD_PAGES || (pages >= CHECKPOINT_PAGES && copied > 0 &&
					pages - copied <= FINISH_PAGES)) {
		if (pages >= WAL_HARD_PAGES)
			log_warn("history: the WAL holds %d pages; checkpointing on the writer",
				 pages);
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		g_atomic_int_set(&h.ckpt_copied, 0);
	} else if (pages >= CHECKPOINT_PAGES) {
		g_mutex_lock(&h.ckpt_lock);
		h.ckpt_wanted = true;
		g_cond_signal(&h.ckpt_cond);
		g_mutex_unlock(&h.ckpt_lock);
	}
	return SQLITE_OK;
}

static gpointer checkpointer_main(gpointer unused)
{
	int copied = 0;

	(void)unused;
	g_mutex_lock(&h.ckpt_lock);
	while (!h.ckpt_stop) {
		if (!h.ckpt_wanted) {
			g_cond_wait(&h.ckpt_cond, &h.ckpt_lock);
			continue;
		}
		h.ckpt_wanted = false;
		g_mutex_unlock(&h.ckpt_lock);
		int rc = sqlite3_wal_checkpoint_v2(h.cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
						   &copied);
		if (rc == SQLITE_OK)
			g_atomic_int_set(&h.ckpt_copied, copied);
		else if (rc != SQLITE_BUSY) /* busy: another checkpoint is running */
			log_warn("history: checkpoint: %s", sqlite3_errmsg(h.cdb));
		g_mutex_lock(&h.ckpt_lock);
	}
	g_mutex_unlock(&h.ckpt_lock);
	return NULL;
}

static void notify_committed(uint64_t seq)
{
	g_atomic_pointer_set(&h.committed, (gpointer)(guintptr)seq);
	event_active(h.commit_ev, EV_READ, 0);
}

/* Where the ids stand: the next row's id, and the oldest row not moved
 * (rows left in history_recent by a crash are moved like any other). */
static void recent_bounds(struct writer_stmts *w)
{
	bool got;
	int64_t hi = query_int("SELECT max(m) FROM (SELECT max(id) AS m FROM history UNION ALL "
			       "SELECT max(id) FROM history_recent) WHERE ?2 = ?2 AND ?3 = ?3",
			       NULL, 0, 0, &got);

	w->next_id = got ? hi + 1 : 1;
	w->move_from = query_int("SELECT min(id) FROM history_recent WHERE ?2 = ?2 AND ?3 = ?3",
				 NULL, 0, 0, &got);
	if (!got)
		w->move_from = w->next_id;
	w->recent_rows = (int)query_int("SELECT count(*) FROM history_recent WHERE ?2 = ?2 AND "
					"?3 = ?3", NULL, 0, 0, &got);
}

static gpointer writer_main(gpointer unused)
{
	struct writer_stmts w = { 0 };
	int64_t next_retention = g_get_monotonic_time() +
				 (int64_t)h.cfg.retention_interval * G_USEC_PER_SEC;
	bool stop = false;
	bool cached = false; /* pages read or written since the cache was emptied */

	(void)unused;
	w.convs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, conv_touch_free);
	if (sqlite3_prepare_v3(h.wdb, "INSERT INTO history_recent(target, time, msgid, kind, "
			       "sender, line, tags, id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1,
			       SQLITE_PREPARE_PERSISTENT, &w.insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h.wdb, "INSERT OR IGNORE INTO history(id, target, time, msgid, "
			       "kind, sender, line, tags) SELECT id, target, time, msgid, kind, "
			       "sender, line, tags FROM history_recent WHERE id < ?1 ORDER BY id",
			       -1, SQLITE_PREPARE_PERSISTENT, &w.move, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h.wdb, "DELETE FROM history_recent WHERE id < ?1", -1,
			       SQLITE_PREPARE_PERSISTENT, &w.moved, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h.wdb, "DELETE FROM history_recent WHERE msgid = ?1", -1,
			       SQLITE_PREPARE_PERSISTENT, &w.redact[1], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h.wdb, "INSERT INTO conversations(key, a, b, last_time) "
			       "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(key) DO UPDATE SET "
			       "last_time = max(last_time, ?4)", -1, SQLITE_PREPARE_PERSISTENT,
			       &w.conv, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h.wdb, "DELETE FROM history WHERE msgid = ?1", -1,
			       SQLITE_PREPARE_PERSISTENT, &w.redact[0], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h.wdb, "INSERT INTO read_markers(owner, target, time) "
			       "VALUES(?1, ?2, ?3) ON CONFLICT(owner, target) DO UPDATE SET "
			       "time = max(time, ?3)", -1, SQLITE_PREPARE_PERSISTENT,
			       &w.marker, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h.wdb, "INSERT INTO offline(account, msgid) VALUES(?1, ?2)", -1,
			       SQLITE_PREPARE_PERSISTENT, &w.offline, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h.wdb, "DELETE FROM offline WHERE account = ?1 AND id <= ?2", -1,
			       SQLITE_PREPARE_PERSISTENT, &w.delivered, NULL) != SQLITE_OK)
		g_error("history: cannot prepare the writer's statements: %s",
			sqlite3_errmsg(h.wdb));
	recent_bounds(&w);
	struct record *chain = NULL; /* handed over, not yet applied */

	while (!stop) {
		uint64_t last = 0;
		int n = 0;
		int64_t deadline;

		/* Retention between batches, when due (busy or idle). */
		if (h.cfg.retention_interval > 0 && g_get_monotonic_time() >= next_retention) {
			enforce_retention();
			next_retention = g_get_monotonic_time() +
					 (int64_t)h.cfg.retention_interval * G_USEC_PER_SEC;
		}
		if (chain == NULL)
			chain = g_async_queue_timeout_pop(h.queue, G_USEC_PER_SEC);
		if (chain == NULL) {
			/* A quiet second: the newest rows go to their indexes,
			 * and the page cache is handed back. It grows with
			 * the file (up to cache_size), and the file grows with
			 * every stored join, so an idle server would otherwise
			 * keep about 150 bytes per joined client resident (see
			 * "Idle memory" in bench/README.md). A batch re-reads the
			 * few pages it needs from the OS's cache. */
			move_all(&w);
			if (cached) {
				sqlite3_db_release_memory(h.wdb);
				malloc_trim(0);
				cached = false;
			}
			continue;
		}
		cached = true;
		deadline = g_get_monotonic_time() + (int64_t)h.cfg.commit_window_ms * 1000;
		wexec("BEGIN");
		/* A batch: every record handed over so far (a loop turn's worth
		 * each), and what comes within the commit window, up to batch_max
		 * records. It is committed as soon as the previous commit is done:
		 * nothing waits for a timer unless commit_window_ms says so. */
		while (chain != NULL) {
			struct record *r = chain;
			chain = r->next;
			if (r->op == OP_STOP) {
				stop = true;
				record_free(r);
				break;
			}
			apply(&w, r);
			if (r->seq > last)
				last = r->seq;
			record_free(r);
			if (++n >= h.cfg.batch_max)
				break;
			if (chain == NULL)
				chain = g_async_queue_try_pop(h.queue);
			if (chain == NULL && h.cfg.commit_window_ms > 0) {
				int64_t left = deadline - g_get_monotonic_time();
				if (left > 0)
					chain = g_async_queue_timeout_pop(h.queue, (guint64)left);
			}
		}
		write_conversations(&w);
		{
			int64_t c0 = g_get_monotonic_time();
			if (!wexec("COMMIT"))
				wexec("ROLLBACK");
			h.commit_us += g_get_monotonic_time() - c0;
			h.n_commits++;
			h.n_records += (uint64_t)n;
		}
		if (last != 0)
			notify_committed(last);
		maybe_move(&w, chain != NULL);
	}
	move_all(&w);
	sqlite3_finalize(w.move);
	sqlite3_finalize(w.moved);
	sqlite3_finalize(w.insert);
	sqlite3_finalize(w.conv);
	g_hash_table_destroy(w.convs);
	sqlite3_finalize(w.redact[0]);
	sqlite3_finalize(w.redact[1]);
	sqlite3_finalize(w.marker);
	sqlite3_finalize(w.offline);
	sqlite3_finalize(w.delivered);
	return NULL;
}

static void on_commit(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	conn_release_held();
	/* Stored markers are read from the file again: forget our copies. */
	if (h.markers != NULL && g_hash_table_size(h.markers) > 0) {
		GHashTableIter iter;
		gpointer value;
		g_hash_table_iter_init(&iter, h.markers);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			if (history_committed(((struct marker *)value)->seq))
				g_hash_table_iter_remove(&iter);
	}
}

bool history_committed(uint64_t seq)
{
	/* Whoever waits for a record makes sure it was handed over. */
	if (h.pending != NULL && seq > (uint64_t)(guintptr)g_atomic_pointer_get(&h.committed))
		history_submit();
	return (uint64_t)(guintptr)g_atomic_pointer_get(&h.committed) >= seq;
}

void history_submit(void)
{
	struct record *chain = h.pending;

	if (chain == NULL)
		return;
	h.pending = h.pending_tail = NULL;
	h.npending = 0;
	g_async_queue_push(h.queue, chain);
}

/* Gives @r its sequence number and queues it for the writer (which frees
 * it). Records are handed over in one piece per loop turn (history_submit(),
 * called at the end of the turn, or by whoever waits for a commit): one
 * wake-up of the writer and one transaction per turn instead of a wake-up
 * per message and a first commit holding only the turn's first message. */
static uint64_t push(struct record *r)
{
	uint64_t seq = ++h.next_seq;

	r->seq = seq;
	r->next = NULL;
	if (h.pending_tail != NULL)
		h.pending_tail->next = r;
	else
		h.pending = r;
	h.pending_tail = r;
	if (++h.npending >= h.cfg.batch_max)
		history_submit();
	return seq;
}

/* --- opening and closing ------------------------------------------------- */

static bool open_conn(const char *path, int flags, sqlite3 **out, GError **error)
{
	if (sqlite3_open_v2(path, out, flags, NULL) != SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot open %s: %s", path,
			    *out != NULL ? sqlite3_errmsg(*out) : "out of memory");
		sqlite3_close(*out);
		*out = NULL;
		return false;
	}
	sqlite3_busy_timeout(*out, 5000);
	return true;
}

static bool prepare(const char *sql, sqlite3_stmt **st, GError **error)
{
	if (sqlite3_prepare_v3(h.rdb, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
		return true;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "history: %s",
		    sqlite3_errmsg(h.rdb));
	return false;
}

/* prepare() for @sql with its "%s" replaced by @table. */
static bool prepare_on(const char *table, const char *sql, sqlite3_stmt **st, GError **error)
{
	g_autofree char *text = g_strdup_printf(sql, table);

	return prepare(text, st, error);
}

static bool start_checkpointer(const char *path, GError **error)
{
	/* Reading the schema first tells the connection the file is in WAL
	 * mode; until then its checkpoints do nothing. */
	if (!open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, &h.cdb, error) ||
	    sqlite3_exec(h.cdb, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
		    SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "history: cannot open the checkpointer's connection");
		return false;
	}
	g_mutex_init(&h.ckpt_lock);
	g_cond_init(&h.ckpt_cond);
	sqlite3_wal_hook(h.wdb, on_wal_commit, NULL);
	h.ckpt_thread = g_thread_new("history-ckpt", checkpointer_main, NULL);
	return true;
}

static void stop_checkpointer(void)
{
	if (h.ckpt_thread == NULL)
		return;
	g_mutex_lock(&h.ckpt_lock);
	h.ckpt_stop = true;
	g_cond_signal(&h.ckpt_cond);
	g_mutex_unlock(&h.ckpt_lock);
	g_thread_join(h.ckpt_thread);
	h.ckpt_thread = NULL;
	g_mutex_clear(&h.ckpt_lock);
	g_cond_clear(&h.ckpt_cond);
}

static void load_room_retention(void)
{
	h.room_retention = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; h.cfg.rooms != NULL && i < h.cfg.rooms->len; i++) {
		const struct history_room_config *rc = g_ptr_array_index(h.cfg.rooms, i);
		struct retention *r = g_new0(struct retention, 1);
		r->max_age_ms = rc->max_age >= 0 ? (int64_t)rc->max_age * 1000
						 : (int64_t)h.cfg.max_age * 1000;
		r->max_lines = rc->max_lines >= 0 ? rc->max_lines : h.cfg.max_lines_per_target;
		g_hash_table_replace(h.room_retention, room_key(rc->name), r);
	}
}

bool history_open(const char *data_dir, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, "natterd.db", NULL);
	g_autofree char *sync = NULL;

	h.cfg = server.cfg->history;
	h.enabled = h.cfg.enabled;
	if (!h.enabled)
		return true;
	load_room_retention();
	h.cfg.rooms = NULL; /* owned by the config, which a reload frees */
	if (!open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, &h.wdb, error) ||
	    !open_conn(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, &h.rdb, error))
		return false;
	/* A larger page cache keeps the writer's inserts in memory (its WAL is
	 * checkpointed by another thread, see on_wal_commit()); a WAL grown by
	 * a burst is cut back when it starts over; the reader maps the file
	 * instead of read()ing. */
	sync = g_strdup_printf("PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
			       "PRAGMA cache_size=-32768; PRAGMA journal_size_limit=67108864;",
			       h.cfg.synchronous_full ? "FULL" : "NORMAL");
	if (!wexec(sync) ||
	    sqlite3_exec(h.rdb, "PRAGMA cache_size=-16384; PRAGMA mmap_size=268435456;", NULL,
			 NULL, NULL) != SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot set up %s", path);
		return false;
	}
	for (int t = 0; t < 2; t++) {
		const char *table = t == 0 ? "history" : "history_recent";
		if (!prepare_on(table, "SELECT time, id FROM %s WHERE msgid = ?1 AND target = ?2",
				&h.q_ref[t], error) ||
		    !prepare_on(table, "SELECT id, time, kind, msgid, sender, line, tags, target "
				"FROM %s WHERE msgid = ?1", &h.q_msgid[t], error) ||
		    !prepare_on(table, "SELECT max(time) FROM %s WHERE target = ?1 AND time > ?2 "
				"AND time < ?3 AND kind <= 3", &h.q_latest_time[t], error) ||
		    /* (time, id) bounds, exclusive; kinds up to ?6; not before ?7. */
		    !prepare_on(table, "SELECT id, time, kind, msgid, sender, line, tags FROM %s "
				"WHERE target = ?1 AND (time > ?2 OR (time = ?2 AND id > ?3)) AND "
				"(time < ?4 OR (time = ?4 AND id < ?5)) AND kind <= ?6 AND "
				"time >= ?7 ORDER BY time, id LIMIT ?8", &h.q_range[t][0], error) ||
		    !prepare_on(table, "SELECT id, time, kind, msgid, sender, line, tags FROM %s "
				"WHERE target = ?1 AND (time > ?2 OR (time = ?2 AND id > ?3)) AND "
				"(time < ?4 OR (time = ?4 AND id < ?5)) AND kind <= ?6 AND "
				"time >= ?7 ORDER BY time DESC, id DESC LIMIT ?8",
				&h.q_range[t][1], error))
			return false;
	}
	if (!prepare("SELECT time FROM read_markers WHERE owner = ?1 AND target = ?2",
		     &h.q_marker, error) ||
	    !prepare("SELECT a, b, last_time FROM conversations WHERE (a = ?1 OR b = ?1) AND "
		     "last_time > ?2 AND last_time < ?3 ORDER BY last_time LIMIT ?4",
		     &h.q_convs, error) ||
	    !prepare("SELECT o.id, h.time, h.kind, h.msgid, h.sender, h.line, h.tags FROM offline o "
		     "JOIN history h ON h.msgid = o.msgid WHERE o.account = ?1 UNION ALL "
		     "SELECT o.id, r.time, r.kind, r.msgid, r.sender, r.line, r.tags FROM offline o "
		     "JOIN history_recent r ON r.msgid = o.msgid WHERE o.account = ?1 "
		     "ORDER BY 1 LIMIT 1000", &h.q_offline, error) ||
	    !prepare("BEGIN", &h.q_begin, error) || !prepare("COMMIT", &h.q_end, error))
		return false;
	if (!start_checkpointer(path, error))
		return false;
	h.queue = g_async_queue_new();
	h.markers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	h.commit_ev = event_new(server.base, -1, 0, on_commit, NULL);
	/* Everything already on disk counts as committed. */
	h.next_seq = 0;
	h.thread = g_thread_new("history", writer_main, NULL);
	return true;
}

void history_close(void)
{
	if (h.thread != NULL) {
		struct record *stop = g_new0(struct record, 1);
		stop->op = OP_STOP;
		history_submit();
		g_async_queue_push(h.queue, stop);
		g_thread_join(h.thread);
		h.thread = NULL;
		if (h.n_commits > 0)
			log_info("history: %llu records in %llu commits, a commit took %lld us on "
				 "average", (unsigned long long)h.n_records,
				 (unsigned long long)h.n_commits,
				 (long long)(h.commit_us / (int64_t)h.n_commits));
	}
	stop_checkpointer();
	for (int t = 0; t < 2; t++) {
		sqlite3_finalize(h.q_range[t][0]);
		sqlite3_finalize(h.q_range[t][1]);
		sqlite3_finalize(h.q_ref[t]);
		sqlite3_finalize(h.q_msgid[t]);
		sqlite3_finalize(h.q_latest_time[t]);
	}
	sqlite3_finalize(h.q_marker);
	sqlite3_finalize(h.q_convs);
	sqlite3_finalize(h.q_offline);
	sqlite3_finalize(h.q_begin);
	sqlite3_finalize(h.q_end);
	sqlite3_close(h.cdb);
	sqlite3_close(h.rdb);
	sqlite3_close(h.wdb);
	if (h.commit_ev != NULL)
		event_free(h.commit_ev);
	if (h.queue != NULL)
		g_async_queue_unref(h.queue);
	if (h.room_retention != NULL)
		g_hash_table_destroy(h.room_retention);
	if (h.markers != NULL)
		g_hash_table_destroy(h.markers);
	memset(&h, 0, sizeof(h));
}

bool history_enabled(void)
{
	return h.enabled;
}

/* --- logging ------------------------------------------------------------- */

/* The line as relayed, without its CRLF. */
static char *body_line(const struct outmsg *m)
{
	size_t len = m->body_len >= 2 ? m->body_len - 2 : 0;

	return g_strndup(m->body, len);
}

static struct record *make_record(struct client *from, struct outmsg *m, enum history_kind kind)
{
	struct record *r = g_new0(struct record, 1);

	r->op = OP_INSERT;
	r->time_ms = m->time_us / 1000;
	g_strlcpy(r->msgid, outmsg_msgid(m), sizeof(r->msgid));
	r->kind = kind;
	r->sender = history_identity(from);
	r->line = body_line(m);
	if (m->client_tags != NULL)
		r->tags = g_strdup(m->client_tags->str);
	return r;
}

/* Queues @r (from @from). A message (not an event such as JOIN) makes
 * everyone it is shown to wait for its commit ([history] durable_ack=all),
 * or only its sender's echo (echo). Events are stored in the same order
 * but not waited for: a burst of JOINs would otherwise pile up output. */
static void logged(struct outmsg *m, struct record *r, struct client *from)
{
	bool message = r->op != OP_INSERT || r->kind <= HIST_LAST_MESSAGE_KIND;
	uint64_t seq = push(r);

	if (!message)
		return;
	if (h.cfg.durable_ack == HIST_ACK_ALL)
		m->hist_seq = seq;
	else if (h.cfg.durable_ack == HIST_ACK_ECHO && from != NULL && from->conn != NULL &&
		 (from->caps & CAP_ECHO_MESSAGE))
		from->conn->hold_seq = seq; /* what is queued to it from now on waits */
}

/* Is a line of @kind (with @m's client-only tags) kept? JOIN, PART, KICK,
 * QUIT and NICK only with [history] store_joins; a TAGMSG only when it
 * carries a client-only tag other than a typing notification, which is
 * over once shown. */
static bool wanted(enum history_kind kind, const struct outmsg *m)
{
	if (!h.enabled)
		return false;
	if (kind >= HIST_JOIN && kind <= HIST_NICK)
		return h.cfg.store_joins;
	if (kind == HIST_TAGMSG) {
		g_auto(GStrv) tags = NULL;
		if (m->client_tags == NULL)
			return false;
		tags = g_strsplit(m->client_tags->str, ";", -1);
		for (int i = 0; tags[i] != NULL; i++) {
			size_t klen = strcspn(tags[i], "=");
			if (tags[i][0] == '+' &&
			    !(klen == 7 && strncmp(tags[i], "+typing", 7) == 0) &&
			    !(klen == 13 && strncmp(tags[i], "+draft/typing", 13) == 0))
				return true;
		}
		return false;
	}
	return true;
}

void history_log_room(struct channel *ch, struct client *from, struct outmsg *m,
		      enum history_kind kind)
{
	struct record *r;

	if (!wanted(kind, m))
		return;
	r = make_record(from, m, kind);
	r->target = room_key(ch->name);
	logged(m, r, from);
}

void history_log_rooms_of(struct client *from, struct outmsg *m, enum history_kind kind)
{
	if (!wanted(kind, m))
		return;
	/* One row per room, each under the live line's one msgid. */
	for (unsigned i = 0; i < client_channel_count(from); i++) {
		struct record *r = make_record(from, m, kind);
		r->target = room_key(client_channel_at(from, i)->name);
		logged(m, r, from);
	}
}

/* The line of a HIST_MULTILINE row (see history.h). */
static char *multiline_line(struct client *from, const char *command, const char *target,
			    GPtrArray *texts, GArray *concat)
{
	GString *s = g_string_new(NULL);

	g_string_printf(s, ":%s %s %s", from->prefix, command, target);
	for (guint i = 0; i < texts->len; i++) {
		g_string_append_c(s, '\n');
		g_string_append_c(s, g_array_index(concat, gboolean, i) ? '+' : ' ');
		g_string_append(s, g_ptr_array_index(texts, i));
	}
	return g_string_free(s, FALSE);
}

void history_log_multiline(struct client *from, struct channel *ch, struct client *to,
			   struct outmsg *m, const char *command, GPtrArray *texts,
			   GArray *concat)
{
	struct record *r;

	if (!wanted(HIST_MULTILINE, m))
		return;
	r = make_record(from, m, HIST_MULTILINE);
	g_free(r->line);
	r->line = multiline_line(from, command, ch != NULL ? ch->name : to->nick, texts, concat);
	if (ch != NULL) {
		r->target = room_key(ch->name);
	} else {
		r->peer_a = g_strdup(r->sender);
		r->peer_b = history_identity(to);
		r->target = history_private_key(r->peer_a, r->peer_b);
	}
	logged(m, r, from);
}

void history_log_private(struct client *from, struct client *to, struct outmsg *m,
			 enum history_kind kind)
{
	struct record *r;

	if (!wanted(kind, m))
		return;
	r = make_record(from, m, kind);
	r->peer_a = g_strdup(r->sender);
	r->peer_b = history_identity(to);
	r->target = history_private_key(r->peer_a, r->peer_b);
	logged(m, r, from);
}

/* Keeps @m (as @kind, with @line instead of its body when not NULL; taken)
 * for account @nick when nobody is logged in to it. */
static bool log_offline(struct client *from, const char *nick, struct outmsg *m,
			enum history_kind kind, char *line)
{
	struct account *a;
	struct record *r;

	if (!h.enabled || (a = account_find(nick)) == NULL || a->sessions->len > 0) {
		g_free(line);
		return false;
	}
	r = make_record(from, m, kind);
	if (line != NULL) {
		g_free(r->line);
		r->line = line;
	}
	r->peer_a = g_strdup(r->sender);
	r->peer_b = g_strdup(a->folded);
	r->target = history_private_key(r->peer_a, r->peer_b);
	r->offline_for = g_strdup(a->folded);
	logged(m, r, from);
	return true;
}

bool history_log_offline(struct client *from, const char *nick, struct outmsg *m)
{
	return log_offline(from, nick, m, HIST_PRIVMSG, NULL);
}

bool history_log_offline_multiline(struct client *from, const char *nick, struct outmsg *m,
				   const char *command, GPtrArray *texts, GArray *concat)
{
	return log_offline(from, nick, m, HIST_MULTILINE,
			   multiline_line(from, command, nick, texts, concat));
}

void history_deliver_offline(struct client *c)
{
	sqlite3_stmt *st = h.q_offline;
	g_autoptr(GPtrArray) rows = NULL;
	struct record *r;
	int64_t upto = 0;

	if (!h.enabled || c->account == NULL || st == NULL)
		return;
	rows = g_ptr_array_new_with_free_func((GDestroyNotify)history_row_free);
	sqlite3_bind_text(st, 1, c->account->folded, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct history_row *row = read_row(st);
		upto = row->id; /* the offline row's id, for removal */
		g_ptr_array_add(rows, row);
	}
	sqlite3_reset(st);
	if (rows->len == 0)
		return;
	/* With their original time (server-time) where the client has it. */
	history_send_rows(c, rows, false);
	r = g_new0(struct record, 1);
	r->op = OP_DELIVERED;
	r->offline_for = g_strdup(c->account->folded);
	r->upto_id = upto;
	push(r);
}

void history_redact(const char *msgid, struct outmsg *m)
{
	struct record *r;

	if (!h.enabled)
		return;
	r = g_new0(struct record, 1);
	r->op = OP_REDACT;
	g_strlcpy(r->msgid, msgid, sizeof(r->msgid));
	logged(m, r, NULL);
}

void history_set_read_marker(const char *owner, const char *target, int64_t time_ms)
{
	struct record *r;
	struct marker *mk;

	if (!h.enabled)
		return;
	r = g_new0(struct record, 1);
	r->op = OP_MARKER;
	r->sender = g_strdup(owner);
	r->target = g_strdup(target);
	r->time_ms = time_ms;
	/* Until the writer has it, readers look here. */
	mk = g_new0(struct marker, 1);
	mk->time_ms = time_ms;
	mk->seq = push(r);
	g_hash_table_replace(h.markers, g_strconcat(owner, " ", target, NULL), mk);
}

/* --- reading (loop thread) ------------------------------------------------ */

void history_row_free(struct history_row *row)
{
	g_free(row->sender);
	g_free(row->line);
	g_free(row->tags);
	g_free(row);
}

static struct history_row *read_row(sqlite3_stmt *st)
{
	struct history_row *row = g_new0(struct history_row, 1);
	const char *tags = (const char *)sqlite3_column_text(st, 6);

	row->id = sqlite3_column_int64(st, 0);
	row->time_ms = sqlite3_column_int64(st, 1);
	row->kind = sqlite3_column_int(st, 2);
	g_strlcpy(row->msgid, (const char *)sqlite3_column_text(st, 3), sizeof(row->msgid));
	row->sender = g_strdup((const char *)sqlite3_column_text(st, 4));
	row->line = g_strdup((const char *)sqlite3_column_text(st, 5));
	row->tags = tags != NULL ? g_strdup(tags) : NULL;
	return row;
}

/* The two tables are read in one snapshot, so that a row moved between
 * them in the meantime is seen once. Nests. */
static void read_begin(void)
{
	if (h.read_depth++ == 0) {
		sqlite3_step(h.q_begin);
		sqlite3_reset(h.q_begin);
	}
}

static void read_end(void)
{
	if (--h.read_depth == 0) {
		sqlite3_step(h.q_end);
		sqlite3_reset(h.q_end);
	}
}

bool history_parse_ref(const char *target, const char *s, bool star_ok,
		       struct history_ref *ref, bool *found)
{
	*found = true;
	memset(ref, 0, sizeof(*ref));
	if (strcmp(s, "*") == 0) {
		ref->all = true;
		return star_ok;
	}
	if (g_str_has_prefix(s, "timestamp=")) {
		ref->id = -1;
		return history_parse_time(s + 10, &ref->time_ms);
	}
	if (g_str_has_prefix(s, "msgid=") && s[6] != '\0') {
		*found = false;
		if (h.q_ref[0] == NULL)
			return true;
		read_begin();
		for (int t = 0; t < 2 && !*found; t++) {
			sqlite3_stmt *st = h.q_ref[t];
			sqlite3_bind_text(st, 1, s + 6, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, target, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) == SQLITE_ROW) {
				ref->time_ms = sqlite3_column_int64(st, 0);
				ref->id = sqlite3_column_int64(st, 1);
				*found = true;
			}
			sqlite3_reset(st);
		}
		read_end();
		return true;
	}
	return false;
}

/* Up to @limit rows of one table, oldest first (see history_query()). */
static void query_table(sqlite3_stmt *st, const char *target, const int64_t b[4],
			int max_kind, int64_t since_ms, int limit, GPtrArray *rows)
{

	sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int64(st, 2 + i, b[i]);
	sqlite3_bind_int(st, 6, max_kind);
	sqlite3_bind_int64(st, 7, since_ms);
	sqlite3_bind_int(st, 8, limit);
	while (sqlite3_step(st) == SQLITE_ROW)
		g_ptr_array_add(rows, read_row(st));
	sqlite3_reset(st);
}

static int row_order(gconstpointer a, gconstpointer b)
{
	const struct history_row *x = *(struct history_row *const *)a;
	const struct history_row *y = *(struct history_row *const *)b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

GPtrArray *history_query(const char *target, const struct history_ref *lo,
			 const struct history_ref *hi, bool newest, int limit,
			 int max_kind, int64_t since_ms)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)history_row_free);
	int64_t b[4] = { INT64_MIN, INT64_MIN, INT64_MAX, INT64_MAX }; /* lo t, id; hi t, id */

	if (!h.enabled || limit <= 0)
		return rows;
	if (lo != NULL && !lo->all) {
		/* A timestamp bound excludes that whole millisecond's rows
		 * only when it came from a msgid; from a timestamp, rows at
		 * exactly that time are after it when id > -1. */
		b[0] = lo->time_ms;
		b[1] = lo->id < 0 ? INT64_MAX : lo->id;
	}
	if (hi != NULL && !hi->all) {
		b[2] = hi->time_ms;
		b[3] = hi->id < 0 ? INT64_MIN : hi->id;
	}
	/* Each table gives its @limit rows; the merged first or last
	 * @limit are the answer. */
	read_begin();
	query_table(h.q_range[0][newest], target, b, max_kind, since_ms, limit, rows);
	query_table(h.q_range[1][newest], target, b, max_kind, since_ms, limit, rows);
	read_end();
	g_ptr_array_sort(rows, row_order);
	if ((int)rows->len > limit) {
		if (newest)
			g_ptr_array_remove_range(rows, 0, rows->len - (guint)limit);
		else
			g_ptr_array_remove_range(rows, (guint)limit, rows->len - (guint)limit);
	}
	return rows;
}

int64_t history_latest_time(const char *target, int64_t lo_ms, int64_t hi_ms)
{
	int64_t t = 0;

	if (h.q_latest_time[0] == NULL)
		return 0;
	read_begin();
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = h.q_latest_time[i];
		sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, lo_ms);
		sqlite3_bind_int64(st, 3, hi_ms);
		if (sqlite3_step(st) == SQLITE_ROW)
			t = MAX(t, sqlite3_column_int64(st, 0));
		sqlite3_reset(st);
	}
	read_end();
	return t;
}

GPtrArray *history_conversations(const char *identity, int64_t lo_ms, int64_t hi_ms, int limit)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *st = h.q_convs;

	if (st == NULL)
		return out;
	sqlite3_bind_text(st, 1, identity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, lo_ms);
	sqlite3_bind_int64(st, 3, hi_ms);
	sqlite3_bind_int(st, 4, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *b = (const char *)sqlite3_column_text(st, 1);
		g_ptr_array_add(out, g_strdup_printf("%s %lld", strcmp(a, identity) == 0 ? b : a,
						     (long long)sqlite3_column_int64(st, 2)));
	}
	sqlite3_reset(st);
	return out;
}

struct history_row *history_find_msgid(const char *msgid, char **target_out)
{
	struct history_row *row = NULL;

	if (h.q_msgid[0] == NULL)
		return NULL;
	read_begin();
	for (int t = 0; t < 2 && row == NULL; t++) {
		sqlite3_stmt *st = h.q_msgid[t];
		sqlite3_bind_text(st, 1, msgid, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			row = read_row(st);
			if (target_out != NULL)
				*target_out = g_strdup((const char *)sqlite3_column_text(st, 7));
		}
		sqlite3_reset(st);
	}
	read_end();
	return row;
}

int64_t history_read_marker(const char *owner, const char *target)
{
	sqlite3_stmt *st = h.q_marker;
	g_autofree char *key = NULL;
	struct marker *mk;
	int64_t t = 0;

	if (st == NULL)
		return 0;
	key = g_strconcat(owner, " ", target, NULL);
	mk = g_hash_table_lookup(h.markers, key);
	if (mk != NULL) {
		if (!history_committed(mk->seq))
			return mk->time_ms; /* markers only move forwards */
		g_hash_table_remove(h.markers, key);
	}
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return t;
}

/* --- sending rows ------------------------------------------------------- */

/* Appends "@time=...;msgid=...;+tags " to @line as @to's capabilities
 * (or @force_tags) ask; no msgid when @msgid is NULL. */
static void row_tags(GString *line, struct client *to, const struct history_row *row,
		     const char *msgid, bool force_tags)
{
	char when[32];
	bool first = true;

	if (force_tags || (to->caps & CAP_SERVER_TIME)) {
		history_format_time(row->time_ms, when, sizeof(when));
		g_string_append_printf(line, "@time=%s", when);
		first = false;
	}
	if (force_tags || (to->caps & CAP_MESSAGE_TAGS)) {
		if (msgid != NULL) {
			g_string_append_printf(line, "%smsgid=%s", first ? "@" : ";", msgid);
			first = false;
		}
		if (row->tags != NULL && (to->caps & CAP_MESSAGE_TAGS)) {
			g_string_append_printf(line, "%s%s", first ? "@" : ";", row->tags);
			first = false;
		}
	}
	if (!first)
		g_string_append_c(line, ' ');
}

/* Appends @text and CRLF to @line, cut (at a UTF-8 character) so that
 * the body, @used bytes before @text, stays within 510 bytes: a sender's
 * line fitted without its nick!user@host in front. */
static void append_cut(GString *line, const char *text, size_t used)
{
	size_t room = used < IRC_LINE_MAX - 2 ? IRC_LINE_MAX - 2 - used : 0;
	size_t len = strlen(text);

	if (len > room) {
		len = room;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	g_string_append_len(line, text, (gssize)len);
	g_string_append(line, "\r\n");
}

/* A HIST_MULTILINE row (see history.h): one draft/multiline batch from its
 * sender to a client with draft/multiline and batch, else its non-blank
 * lines, only the first with the message's msgid. */
static void send_multiline_row(struct client *to, const struct history_row *row,
			       bool force_tags, GString *line)
{
	g_auto(GStrv) parts = g_strsplit(row->line, "\n", -1);
	g_auto(GStrv) head = g_strsplit(parts[0], " ", 3); /* :source COMMAND target */
	bool whole = (to->caps & (CAP_MULTILINE | CAP_BATCH)) == (CAP_MULTILINE | CAP_BATCH);
	bool first = true;

	if (g_strv_length(head) != 3)
		return;
	if (whole) {
		g_string_truncate(line, 0);
		row_tags(line, to, row, row->msgid, force_tags);
		send_batch_begin_from(to, line->str, head[0] + 1, "draft/multiline", head[2]);
	}
	for (int i = 1; parts[i] != NULL; i++) {
		const char *text = parts[i][0] != '\0' ? parts[i] + 1 : "";
		bool concat = parts[i][0] == '+';
		g_string_truncate(line, 0);
		if (whole) {
			if (concat)
				g_string_append(line, "@draft/multiline-concat ");
		} else {
			if (text[0] == '\0')
				continue;
			row_tags(line, to, row, first ? row->msgid : NULL, force_tags);
			first = false;
		}
		g_string_append_printf(line, "%s :", parts[0]);
		append_cut(line, text, strlen(parts[0]) + 2);
		send_raw(to, line->str, line->len);
	}
	if (whole)
		send_batch_end(to);
}

void history_send_rows(struct client *to, GPtrArray *rows, bool force_tags)
{
	GString *line = g_string_sized_new(600);

	for (guint i = 0; i < rows->len; i++) {
		const struct history_row *row = g_ptr_array_index(rows, i);

		/* TAGMSG is only ever sent to clients with message-tags. */
		if (row->kind == HIST_TAGMSG && !(to->caps & CAP_MESSAGE_TAGS))
			continue;
		if (row->kind == HIST_MULTILINE) {
			send_multiline_row(to, row, force_tags, line);
			continue;
		}
		g_string_truncate(line, 0);
		row_tags(line, to, row, row->msgid, force_tags);
		g_string_append(line, row->line);
		g_string_append(line, "\r\n");
		send_raw(to, line->str, line->len);
	}
	g_string_free(line, TRUE);
}

/* --- join times and replay on join ------------------------------------- */

int64_t history_joined_at(struct channel *ch, struct client *c)
{
	return channel_member_joined_ms(ch, c);
}

void history_replay_on_join(struct client *c, struct channel *ch)
{
	g_autofree char *key = NULL;
	GPtrArray *rows;
	int n = h.cfg.replay_on_join;

	if (!h.enabled || n <= 0 || (c->caps & CAP_CHATHISTORY) ||
	    !history_room_before_join(ch))
		return;
	key = room_key(ch->name);
	rows = history_query(key, NULL, NULL, true, n, HIST_LAST_MESSAGE_KIND, 0);
	history_send_rows(c, rows, false);
	g_ptr_array_free(rows, TRUE);
}

bool history_room_before_join(const struct channel *ch)
{
	const struct history_config *cfg = &server.cfg->history;

	for (guint i = 0; cfg->rooms != NULL && i < cfg->rooms->len; i++) {
		const struct history_room_config *rc = g_ptr_array_index(cfg->rooms, i);
		if (irc_casecmp(rc->name, ch->name) == 0 && rc->before_join >= 0)
			return rc->before_join != 0;
	}
	return cfg->before_join;
}
