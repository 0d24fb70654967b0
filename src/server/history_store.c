/* history_store.c - the history writer: one thread that owns every write
 * to the history tables (see history_internal.h for a row's way), moves
 * rows into the indexed table in bulk, enforces retention, and a second
 * thread that checkpoints the WAL. */
#include "history_internal.h"

#include <event2/event.h>
#include <malloc.h>
#include <string.h>

#include "log.h"
#include "server.h"

/* The WAL is copied back into the file by the checkpointer thread once it
 * holds CHECKPOINT_PAGES pages (a PASSIVE checkpoint does not block the
 * writer, so no acknowledgement waits for its copying); when no more than
 * FINISH_PAGES are left, the writer copies those itself so that the WAL
 * starts over. Should it reach WAL_HARD_PAGES anyway, the writer
 * checkpoints all of it. */
enum { CHECKPOINT_PAGES = 4096, FINISH_PAGES = 512, WAL_HARD_PAGES = 65536 };

static struct {
	const struct history_config *cfg;
	GHashTable *room_retention;   /* folded room -> struct retention */
	struct event *wake;           /* the loop's: made active after commits and moves */
	GThread *thread;
	GAsyncQueue *queue;
	sqlite3 *wdb;
	gpointer committed;           /* last seq on disk (atomic) */
	gpointer moved;               /* last row id in history (atomic) */
	/* counters, logged at close */
	uint64_t n_records, n_commits, n_moved;
	int64_t commit_us, move_us;
	/* the checkpointer */
	GThread *ckpt_thread;
	sqlite3 *cdb;
	GMutex ckpt_lock;
	GCond ckpt_cond;
	bool ckpt_wanted, ckpt_stop;
	gint ckpt_copied;             /* frames its last checkpoint copied */
} s;

struct writer {
	sqlite3_stmt *insert, *log, *unlog, *unlog_all, *conv, *redact, *marker, *offline,
		*delivered, *begin, *commit, *rollback;
	GHashTable *convs;  /* this batch's conversations: key -> struct conv_touch */
	GByteArray *batch;  /* this batch's rows, serialized for history_log */
	GPtrArray *unmoved; /* rows in history_log only, oldest first (the loop's) */
	int64_t moved_upto; /* to publish after the next commit */
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

	if (sqlite3_exec(s.wdb, sql, NULL, NULL, &err) == SQLITE_OK)
		return true;
	log_error("history: %s: %s", sql, err != NULL ? err : sqlite3_errmsg(s.wdb));
	sqlite3_free(err);
	return false;
}

static void step_reset(sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		log_error("history: could not %s: %s", what, sqlite3_errmsg(s.wdb));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* One upsert per conversation moved, however many messages. */
static void write_conversations(struct writer *w)
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

/* BEGIN, COMMIT or ROLLBACK, prepared once (a batch's hot path). */
static bool wtx(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return true;
	log_error("history: %s: %s", sqlite3_sql(st), sqlite3_errmsg(s.wdb));
	return false;
}

/* Commits, or rolls back what cannot be committed. */
static bool wcommit(struct writer *w)
{
	if (wtx(w->commit))
		return true;
	wtx(w->rollback);
	return false;
}

/* --- the blob of a batch ------------------------------------------------ */

static void put_i64(GByteArray *b, int64_t v)
{
	guint64 le = GUINT64_TO_LE((guint64)v);

	g_byte_array_append(b, (const guint8 *)&le, sizeof(le));
}

static void put_str(GByteArray *b, const char *str)
{
	guint32 len = str != NULL ? (guint32)strlen(str) : G_MAXUINT32;
	guint32 le = GUINT32_TO_LE(len);

	g_byte_array_append(b, (const guint8 *)&le, sizeof(le));
	if (str != NULL)
		g_byte_array_append(b, (const guint8 *)str, len);
}

static void serialize(GByteArray *b, const struct record *r)
{
	put_i64(b, r->id);
	put_i64(b, r->time_ms);
	put_i64(b, r->kind);
	put_str(b, r->msgid);
	put_str(b, r->target);
	put_str(b, r->sender);
	put_str(b, r->line);
	put_str(b, r->tags);
	put_str(b, r->peer_a);
	put_str(b, r->peer_b);
}

struct cursor {
	const guint8 *p;
	size_t left;
	bool bad;
};

static int64_t get_i64(struct cursor *c)
{
	guint64 le;

	if (c->left < sizeof(le)) {
		c->bad = true;
		return 0;
	}
	memcpy(&le, c->p, sizeof(le));
	c->p += sizeof(le);
	c->left -= sizeof(le);
	return (int64_t)GUINT64_FROM_LE(le);
}

static char *get_str(struct cursor *c)
{
	guint32 le, len;
	char *str;

	if (c->left < sizeof(le)) {
		c->bad = true;
		return NULL;
	}
	memcpy(&le, c->p, sizeof(le));
	c->p += sizeof(le);
	c->left -= sizeof(le);
	len = GUINT32_FROM_LE(le);
	if (len == G_MAXUINT32)
		return NULL;
	if (len > c->left) {
		c->bad = true;
		return NULL;
	}
	str = g_strndup((const char *)c->p, len);
	c->p += len;
	c->left -= len;
	return str;
}

/* The next row of a blob, or NULL at its end (or where it is damaged). */
static struct record *deserialize(struct cursor *c)
{
	struct record *r;
	g_autofree char *msgid = NULL;

	if (c->left == 0 || c->bad)
		return NULL;
	r = g_new0(struct record, 1);
	r->op = OP_INSERT;
	r->id = get_i64(c);
	r->time_ms = get_i64(c);
	r->kind = (int)get_i64(c);
	msgid = get_str(c);
	r->target = get_str(c);
	r->sender = get_str(c);
	r->line = get_str(c);
	r->tags = get_str(c);
	r->peer_a = get_str(c);
	r->peer_b = get_str(c);
	if (c->bad || (r->peer_a == NULL) != (r->peer_b == NULL) || msgid == NULL || r->target == NULL || r->sender == NULL ||
	    r->line == NULL) {
		c->bad = true;
		record_free(r);
		return NULL;
	}
	g_strlcpy(r->msgid, msgid, sizeof(r->msgid));
	return r;
}

/* --- applying a batch ---------------------------------------------------- */

/* A row into history, and its conversation's time noted (written once
 * per move by write_conversations()). */
static void insert_row(struct writer *w, const struct record *r)
{
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
	sqlite3_bind_int64(w->insert, 1, r->id);
	sqlite3_bind_text(w->insert, 2, r->target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->insert, 3, r->time_ms);
	sqlite3_bind_text(w->insert, 4, r->msgid, -1, SQLITE_STATIC);
	sqlite3_bind_int(w->insert, 5, r->kind);
	sqlite3_bind_text(w->insert, 6, r->sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->insert, 7, r->line, -1, SQLITE_STATIC);
	if (r->tags != NULL)
		sqlite3_bind_text(w->insert, 8, r->tags, -1, SQLITE_STATIC);
	step_reset(w->insert, "store a message");
}

/* Inserts the oldest @n unmoved rows into history and deletes the blobs
 * that held them (all blobs when @all), inside the caller's transaction. */
static void move_rows(struct writer *w, guint n, bool all)
{
	int64_t t0 = g_get_monotonic_time();
	int64_t log_id = 0;

	if (n == 0)
		return;
	for (guint i = 0; i < n; i++) {
		const struct record *r = g_ptr_array_index(w->unmoved, i);
		insert_row(w, r);
		log_id = r->log_id;
	}
	write_conversations(w);
	if (all) {
		step_reset(w->unlog_all, "forget moved rows");
		g_byte_array_set_size(w->batch, 0); /* this batch's rows are moved too */
	} else {
		sqlite3_bind_int64(w->unlog, 1, log_id);
		step_reset(w->unlog, "forget moved rows");
	}
	w->moved_upto = ((const struct record *)g_ptr_array_index(w->unmoved, n - 1))->id;
	s.move_us += g_get_monotonic_time() - t0;
}

/* After the transaction holding move_rows(w, @n) committed: the writer
 * forgets those rows (the loop does once publish_moved() says so). */
static void forget_moved(struct writer *w, guint n)
{
	g_ptr_array_remove_range(w->unmoved, 0, n);
	s.n_moved += n;
}

static void publish_moved(struct writer *w)
{
	if (w->moved_upto == 0)
		return;
	g_atomic_pointer_set(&s.moved, (gpointer)(guintptr)w->moved_upto);
	w->moved_upto = 0;
	event_active(s.wake, EV_READ, 0);
}

/* One transaction moving the oldest rows: about MOVE_CHUNK, whole blobs.
 * False when it could not commit (disk full...): the rows stay unmoved,
 * in memory and in history_log, and the caller stops trying for now. */
static bool move_chunk(struct writer *w)
{
	guint n = MIN(w->unmoved->len, (guint)MOVE_CHUNK);

	while (n < w->unmoved->len &&
	       ((const struct record *)g_ptr_array_index(w->unmoved, n))->log_id ==
		       ((const struct record *)g_ptr_array_index(w->unmoved, n - 1))->log_id)
		n++;
	if (n == 0 || !wtx(w->begin))
		return false;
	move_rows(w, n, false);
	if (!wcommit(w)) {
		w->moved_upto = 0;
		return false;
	}
	forget_moved(w, n);
	publish_moved(w);
	return true;
}

static void apply(struct writer *w, struct record *r)
{
	guint n;

	switch (r->op) {
	case OP_INSERT:
		serialize(w->batch, r);
		g_ptr_array_add(w->unmoved, r);
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
		/* The row may still be in a blob, which a restart would move
		 * back: everything is moved first, in this transaction. */
		n = w->unmoved->len;
		move_rows(w, n, true);
		forget_moved(w, n); /* in this batch's transaction */
		sqlite3_bind_text(w->redact, 1, r->msgid, -1, SQLITE_STATIC);
		step_reset(w->redact, "redact a message");
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

/* The batch's blob, as one row of history_log. */
static void write_log(struct writer *w)
{
	int64_t log_id;

	if (w->batch->len == 0)
		return;
	sqlite3_bind_blob(w->log, 1, w->batch->data, (int)w->batch->len, SQLITE_STATIC);
	step_reset(w->log, "store a batch");
	log_id = sqlite3_last_insert_rowid(s.wdb);
	for (guint i = w->unmoved->len; i > 0; i--) {
		struct record *r = g_ptr_array_index(w->unmoved, i - 1);
		if (r->log_id != 0)
			break;
		r->log_id = log_id;
	}
	/* A burst's blob (2,000 joins: 300 KB) is not kept for the next. */
	if (w->batch->len > 65536) {
		g_byte_array_free(w->batch, TRUE);
		w->batch = g_byte_array_new();
	}
	g_byte_array_set_size(w->batch, 0);
}

static int64_t wall_ms(void)
{
	return server_wall_us() / 1000;
}

/* @sql prepared on the writer's connection with ?1 = @text (when given),
 * ?2 = @a, ?3 = @b; NULL (logged) when it does not prepare. */
static sqlite3_stmt *prepare_bound(const char *sql, const char *text, int64_t a, int64_t b)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s.wdb, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("history: %s", sqlite3_errmsg(s.wdb));
		return NULL;
	}
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	return st;
}

static int64_t query_int(const char *sql, const char *text, int64_t a, int64_t b, bool *got)
{
	sqlite3_stmt *st = prepare_bound(sql, text, a, b);
	int64_t v = 0;

	*got = false;
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		v = sqlite3_column_int64(st, 0);
		*got = true;
	}
	sqlite3_finalize(st);
	return v;
}

static int exec_delete(const char *sql, const char *text, int64_t a, int64_t b)
{
	sqlite3_stmt *st = prepare_bound(sql, text, a, b);
	int n = 0;

	if (st != NULL && sqlite3_step(st) == SQLITE_DONE)
		n = sqlite3_changes(s.wdb);
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
	if (sqlite3_prepare_v2(s.wdb, "SELECT time, id FROM history WHERE target = ?1 "
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
	const struct history_config *cfg = s.cfg;
	struct retention def = { (int64_t)cfg->max_age * 1000, cfg->max_lines_per_target };
	g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *st = NULL;
	int removed = 0;
	bool got;

	if (def.max_age_ms > 0 || def.max_lines > 0 || g_hash_table_size(s.room_retention) > 0) {
		if (sqlite3_prepare_v2(s.wdb, "SELECT DISTINCT target FROM history", -1, &st,
				       NULL) == SQLITE_OK)
			while (sqlite3_step(st) == SQLITE_ROW)
				g_ptr_array_add(targets,
						g_strdup((const char *)sqlite3_column_text(st, 0)));
		sqlite3_finalize(st);
	}
	for (guint i = 0; i < targets->len; i++) {
		const char *t = g_ptr_array_index(targets, i);
		const struct retention *r = g_hash_table_lookup(s.room_retention, t);
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

/* The writer's WAL hook, after each commit: wakes the checkpointer, or
 * checkpoints here when the WAL has grown past what it should. */
static int on_wal_commit(void *unused, sqlite3 *db, const char *name, int pages)
{
	int copied = g_atomic_int_get(&s.ckpt_copied);

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
		g_atomic_int_set(&s.ckpt_copied, 0);
	} else if (pages >= CHECKPOINT_PAGES) {
		g_mutex_lock(&s.ckpt_lock);
		s.ckpt_wanted = true;
		g_cond_signal(&s.ckpt_cond);
		g_mutex_unlock(&s.ckpt_lock);
	}
	return SQLITE_OK;
}

static gpointer checkpointer_main(gpointer unused)
{
	int copied = 0;

	(void)unused;
	g_mutex_lock(&s.ckpt_lock);
	while (!s.ckpt_stop) {
		if (!s.ckpt_wanted) {
			g_cond_wait(&s.ckpt_cond, &s.ckpt_lock);
			continue;
		}
		s.ckpt_wanted = false;
		g_mutex_unlock(&s.ckpt_lock);
		int rc = sqlite3_wal_checkpoint_v2(s.cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
						   &copied);
		sqlite3_db_release_memory(s.cdb);
		if (rc == SQLITE_OK)
			g_atomic_int_set(&s.ckpt_copied, copied);
		else if (rc != SQLITE_BUSY) /* busy: another checkpoint is running */
			log_warn("history: checkpoint: %s", sqlite3_errmsg(s.cdb));
		g_mutex_lock(&s.ckpt_lock);
	}
	g_mutex_unlock(&s.ckpt_lock);
	return NULL;
}

/* --- the writer thread ------------------------------------------------ */

static void notify_committed(uint64_t seq)
{
	g_atomic_pointer_set(&s.committed, (gpointer)(guintptr)seq);
	event_active(s.wake, EV_READ, 0);
}

static bool prepare_w(const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(s.wdb, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) ==
	       SQLITE_OK;
}

static bool writer_prepare(struct writer *w)
{
	return prepare_w("INSERT OR IGNORE INTO history(id, target, time, msgid, kind, sender, "
			 "line, tags) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &w->insert) &&
	       prepare_w("INSERT INTO history_log(batch) VALUES(?1)", &w->log) &&
	       prepare_w("DELETE FROM history_log WHERE id <= ?1", &w->unlog) &&
	       prepare_w("DELETE FROM history_log", &w->unlog_all) &&
	       prepare_w("INSERT INTO conversations(key, a, b, last_time) VALUES(?1, ?2, ?3, ?4) "
			 "ON CONFLICT(key) DO UPDATE SET last_time = max(last_time, ?4)",
			 &w->conv) &&
	       prepare_w("DELETE FROM history WHERE msgid = ?1", &w->redact) &&
	       prepare_w("INSERT INTO read_markers(owner, target, time) VALUES(?1, ?2, ?3) "
			 "ON CONFLICT(owner, target) DO UPDATE SET time = max(time, ?3)",
			 &w->marker) &&
	       prepare_w("INSERT INTO offline(account, msgid) VALUES(?1, ?2)", &w->offline) &&
	       prepare_w("DELETE FROM offline WHERE account = ?1 AND id <= ?2", &w->delivered) &&
	       prepare_w("BEGIN", &w->begin) && prepare_w("COMMIT", &w->commit) &&
	       prepare_w("ROLLBACK", &w->rollback);
}

static void writer_finalize(struct writer *w)
{
	sqlite3_stmt *all[] = { w->insert, w->log, w->unlog, w->unlog_all, w->conv,
				w->redact, w->marker, w->offline, w->delivered, w->begin,
				w->commit, w->rollback };

	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		sqlite3_finalize(all[i]);
}

/* Applies @chain and what follows within the commit window (up to
 * batch_max records) in one transaction. Returns what is left over, and
 * sets *@stop at OP_STOP. */
static struct record *write_batch(struct writer *w, struct record *chain, bool *stop)
{
	int64_t deadline = g_get_monotonic_time() + (int64_t)s.cfg->commit_window_ms * 1000;
	uint64_t last = 0;
	int n = 0;
	int64_t c0;

	wtx(w->begin);
	while (chain != NULL) {
		struct record *r = chain;
		chain = r->next;
		if (r->op == OP_STOP) {
			*stop = true;
			record_free(r);
			break;
		}
		apply(w, r);
		last = MAX(last, r->seq);
		if (r->op != OP_INSERT)
			record_free(r);
		if (++n >= s.cfg->batch_max)
			break;
		if (chain == NULL)
			chain = g_async_queue_try_pop(s.queue);
		if (chain == NULL && s.cfg->commit_window_ms > 0) {
			int64_t left = deadline - g_get_monotonic_time();
			if (left > 0)
				chain = g_async_queue_timeout_pop(s.queue, (guint64)left);
		}
	}
	write_log(w);
	c0 = g_get_monotonic_time();
	wcommit(w);
	s.commit_us += g_get_monotonic_time() - c0;
	s.n_commits++;
	s.n_records += (uint64_t)n;
	publish_moved(w);
	if (last != 0)
		notify_committed(last);
	return chain;
}

static gpointer writer_main(gpointer unused)
{
	struct writer w = { 0 };
	int64_t next_retention = g_get_monotonic_time() +
				 (int64_t)s.cfg->retention_interval * G_USEC_PER_SEC;
	struct record *chain = NULL; /* handed over, not yet applied */
	bool stop = false;
	bool cached = false; /* pages read or written since the cache was emptied */

	(void)unused;
	if (!writer_prepare(&w))
		g_error("history: cannot prepare the writer's statements: %s",
			sqlite3_errmsg(s.wdb));
	w.convs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, conv_touch_free);
	w.batch = g_byte_array_new();
	w.unmoved = g_ptr_array_new();
	while (!stop) {
		/* Retention between batches, when due (busy or idle). */
		if (s.cfg->retention_interval > 0 && g_get_monotonic_time() >= next_retention) {
			enforce_retention();
			next_retention = g_get_monotonic_time() +
					 (int64_t)s.cfg->retention_interval * G_USEC_PER_SEC;
		}
		if (chain == NULL)
			chain = g_async_queue_timeout_pop(s.queue, w.unmoved->len > 0 ?
						MOVE_IDLE_MS * 1000 : G_USEC_PER_SEC);
		if (chain == NULL && w.unmoved->len > 0) {
			/* A quiet moment: rows go to their indexes, a chunk at
			 * a time while no batch comes. */
			while (w.unmoved->len > 0 && g_async_queue_length(s.queue) <= 0 &&
			       move_chunk(&w))
				;
			continue;
		}
		if (chain == NULL) {
			/* A quiet second: hand the page cache back. It grows with
			 * the file (up to cache_size), and the file grows with
			 * every stored join, so an idle server would otherwise
			 * keep about 150 bytes per joined client resident (see
			 * "Idle memory" in bench/README.md). A batch re-reads the
			 * few pages it needs from the OS's cache. */
			if (cached) {
				g_ptr_array_free(w.unmoved, TRUE); /* it grew with the burst */
				w.unmoved = g_ptr_array_new();
				sqlite3_db_release_memory(s.wdb);
				malloc_trim(0);
				cached = false;
			}
			continue;
		}
		cached = true;
		chain = write_batch(&w, chain, &stop);
		while (w.unmoved->len >= MOVE_FORCE && move_chunk(&w))
			;
	}
	/* What cannot be moved now stays in history_log, for the next start. */
	while (w.unmoved->len > 0 && move_chunk(&w))
		;
	writer_finalize(&w);
	g_hash_table_destroy(w.convs);
	g_byte_array_free(w.batch, TRUE);
	g_ptr_array_free(w.unmoved, TRUE);
	return NULL;
}

/* --- opening and closing ------------------------------------------------- */

/* Rows a crash left in history_log go into history before anyone reads. */
static bool recover_log(void)
{
	struct writer w = { 0 };
	sqlite3_stmt *st = NULL;
	int rows = 0, damaged = 0;

	if (!writer_prepare(&w) || !prepare_w("SELECT batch FROM history_log ORDER BY id", &st)) {
		writer_finalize(&w);
		return false;
	}
	w.convs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, conv_touch_free);
	wexec("BEGIN");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct cursor c = { sqlite3_column_blob(st, 0),
				    (size_t)sqlite3_column_bytes(st, 0), false };
		struct record *r;
		while ((r = deserialize(&c)) != NULL) {
			insert_row(&w, r);
			record_free(r);
			rows++;
		}
		damaged += c.bad;
	}
	sqlite3_finalize(st);
	write_conversations(&w);
	writer_finalize(&w);
	g_hash_table_destroy(w.convs);
	wexec("DELETE FROM history_log");
	if (!wexec("COMMIT")) {
		wexec("ROLLBACK");
		return false;
	}
	if (rows > 0)
		log_info("history: %d stored lines moved into history after an unclean stop", rows);
	if (damaged > 0)
		log_error("history: %d damaged batch(es) in history_log were skipped", damaged);
	return true;
}

static int64_t max_id(void)
{
	bool got;
	int64_t id = query_int("SELECT max(id) FROM history WHERE ?2 = ?2 AND ?3 = ?3", NULL, 0,
			       0, &got);

	return got ? id : 0;
}

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

static bool start_checkpointer(const char *path, GError **error)
{
	/* Reading the schema first tells the connection the file is in WAL
	 * mode; until then its checkpoints do nothing. */
	if (!open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, &s.cdb, error) ||
	    sqlite3_exec(s.cdb, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
		    SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "history: cannot open the checkpointer's connection");
		return false;
	}
	sqlite3_db_release_memory(s.cdb); /* it needs no cache between checkpoints */
	g_mutex_init(&s.ckpt_lock);
	g_cond_init(&s.ckpt_cond);
	sqlite3_wal_hook(s.wdb, on_wal_commit, NULL);
	s.ckpt_thread = g_thread_new("history-ckpt", checkpointer_main, NULL);
	return true;
}

static void stop_checkpointer(void)
{
	if (s.ckpt_thread == NULL)
		return;
	g_mutex_lock(&s.ckpt_lock);
	s.ckpt_stop = true;
	g_cond_signal(&s.ckpt_cond);
	g_mutex_unlock(&s.ckpt_lock);
	g_thread_join(s.ckpt_thread);
	s.ckpt_thread = NULL;
	g_mutex_clear(&s.ckpt_lock);
	g_cond_clear(&s.ckpt_cond);
}

bool store_open(const char *path, const struct history_config *cfg,
		GHashTable *room_retention, struct event *wake, int64_t *next_id,
		GError **error)
{
	g_autofree char *sync = NULL;

	s.cfg = cfg;
	s.room_retention = room_retention;
	s.wake = wake;
	if (!open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, &s.wdb, error))
		return false;
	/* A larger page cache keeps the writer's pages in memory (its WAL is
	 * checkpointed by another thread, see on_wal_commit()); a WAL grown by
	 * a burst is cut back when it starts over. */
	sync = g_strdup_printf("PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
			       "PRAGMA cache_size=-32768; PRAGMA journal_size_limit=67108864;",
			       cfg->synchronous_full ? "FULL" : "NORMAL");
	if (!wexec(sync) || !recover_log()) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot set up %s: %s", path,
			    sqlite3_errmsg(s.wdb));
		return false;
	}
	*next_id = max_id() + 1;
	s.moved = (gpointer)(guintptr)(*next_id - 1); /* all of it is in history */
	if (!start_checkpointer(path, error))
		return false;
	s.queue = g_async_queue_new();
	s.thread = g_thread_new("history", writer_main, NULL);
	return true;
}

void store_hand_over(struct record *chain)
{
	g_async_queue_push(s.queue, chain);
}

uint64_t store_committed(void)
{
	return (uint64_t)(guintptr)g_atomic_pointer_get(&s.committed);
}

int64_t store_moved(void)
{
	return (int64_t)(guintptr)g_atomic_pointer_get(&s.moved);
}

void store_close(void)
{
	if (s.thread != NULL) {
		struct record *stop = g_new0(struct record, 1);
		stop->op = OP_STOP;
		g_async_queue_push(s.queue, stop);
		g_thread_join(s.thread);
		s.thread = NULL;
		if (s.n_commits > 0)
			log_info("history: %llu records in %llu commits, a commit took %lld us on "
				 "average; %llu rows moved in %lld ms", (unsigned long long)s.n_records,
				 (unsigned long long)s.n_commits,
				 (long long)(s.commit_us / (int64_t)s.n_commits),
				 (unsigned long long)s.n_moved, (long long)(s.move_us / 1000));
	}
	stop_checkpointer();
	sqlite3_close(s.cdb);
	sqlite3_close(s.wdb);
	if (s.queue != NULL)
		g_async_queue_unref(s.queue);
	memset(&s, 0, sizeof(s));
}
