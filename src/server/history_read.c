/* history_read.c - the loop's readers of the history: indexed look-ups in
 * `history` on a read-only connection, merged with the rows the loop keeps
 * in memory until the writer has moved them there (see
 * history_internal.h). A look-up is one indexed query of at most
 * [history] query_limit rows (bench/README.md has its p99). */
#include "history_internal.h"

#include <string.h>

#include "log.h"

/* q_latest_time counts message kinds. */
#define HIST_LAST_MESSAGE_KIND_N 3
G_STATIC_ASSERT(HIST_LAST_MESSAGE_KIND == HIST_LAST_MESSAGE_KIND_N);

/* A list of rows, oldest first, linked through the rows themselves (no
 * allocation per row: see history_pool.c for why that matters). Rows are
 * only ever added at the tail and taken from the head. */
struct rows {
	struct record *head, *tail;
};

/* The look-ups both the loop's connection and the workers' prepare. (time,
 * id) bounds, exclusive; kinds up to ?6; not before ?7. */
#define SQL_REF "SELECT time, id FROM history WHERE msgid = ?1 AND target = ?2"
#define SQL_RANGE(order)                                                                   \
	"SELECT id, time, kind, msgid, sender, line, tags FROM history "                   \
	"WHERE target = ?1 AND (time > ?2 OR (time = ?2 AND id > ?3)) AND "                \
	"(time < ?4 OR (time = ?4 AND id < ?5)) AND kind <= ?6 AND time >= ?7 "            \
	"ORDER BY " order " LIMIT ?8"
#define SQL_RANGE_ASC SQL_RANGE("time, id")
#define SQL_RANGE_DESC SQL_RANGE("time DESC, id DESC")

static char reader_path[4096]; /* for the workers' connections */

static struct {
	sqlite3 *rdb;
	sqlite3_stmt *q_ref, *q_msgid, *q_latest_time, *q_range[2]; /* [newest] */
	sqlite3_stmt *q_marker, *q_convs, *q_offline;
	struct rows recent;     /* rows not yet moved, oldest first (->next_recent) */
	GHashTable *by_target;  /* target -> struct rows of the same rows (->next_in_target) */
	GHashTable *by_msgid;   /* msgid -> row */
} rd;

/* --- the rows in memory -------------------------------------------------- */

void recent_add(struct record *r)
{
	struct rows *q = g_hash_table_lookup(rd.by_target, r->target);

	if (q == NULL) {
		q = g_new0(struct rows, 1);
		g_hash_table_insert(rd.by_target, g_strdup(r->target), q);
	}
	r->next_recent = r->next_in_target = NULL;
	if (q->tail != NULL)
		q->tail->next_in_target = r;
	else
		q->head = r;
	q->tail = r;
	if (rd.recent.tail != NULL)
		rd.recent.tail->next_recent = r;
	else
		rd.recent.head = r;
	rd.recent.tail = r;
	g_hash_table_replace(rd.by_msgid, r->msgid, r);
}

/* Takes the oldest row, which is also the oldest of its target's. */
static struct record *recent_pop(void)
{
	struct record *r = rd.recent.head;
	struct rows *q;

	if (r == NULL)
		return NULL;
	rd.recent.head = r->next_recent;
	if (rd.recent.head == NULL)
		rd.recent.tail = NULL;
	q = g_hash_table_lookup(rd.by_target, r->target);
	if (q != NULL && q->head == r) {
		q->head = r->next_in_target;
		if (q->head == NULL)
			g_hash_table_remove(rd.by_target, r->target);
	}
	if (g_hash_table_lookup(rd.by_msgid, r->msgid) == r)
		g_hash_table_remove(rd.by_msgid, r->msgid);
	return r;
}

/* Frees @r, or leaves that to the last view holding it. */
static void recent_release(struct record *r)
{
	if (r->refs > 0)
		r->dropped = true;
	else
		record_free(r);
}

void recent_forget_moved(int64_t moved_upto)
{
	while (rd.recent.head != NULL && rd.recent.head->id <= moved_upto)
		recent_release(recent_pop());
}

/* The first row of @target in memory, or NULL. */
static const struct record *recent_of(const char *target)
{
	struct rows *q = g_hash_table_lookup(rd.by_target, target);

	return q != NULL ? q->head : NULL;
}

bool recent_visible(const struct record *r)
{
	return !r->redacted && r->seq <= store_committed();
}

struct record *recent_find(const char *msgid)
{
	struct record *r = g_hash_table_lookup(rd.by_msgid, msgid);

	return r != NULL && recent_visible(r) ? r : NULL;
}

/* The row in memory with @msgid in @target: a QUIT or NICK has one msgid
 * in every room it was seen in. */
static struct record *recent_find_in(const char *target, const char *msgid)
{
	struct record *r = recent_find(msgid);
	const struct record *t;

	if (r == NULL || strcmp(r->target, target) == 0)
		return r;
	for (t = recent_of(target); t != NULL; t = t->next_in_target)
		if (strcmp(t->msgid, msgid) == 0 && recent_visible(t))
			return (struct record *)t;
	return NULL;
}

void recent_redact(const char *msgid)
{
	struct record *r = g_hash_table_lookup(rd.by_msgid, msgid);

	if (r != NULL)
		r->redacted = true;
}

static struct history_row *row_from(const struct record *r)
{
	struct history_row *row = g_new0(struct history_row, 1);

	row->id = r->id;
	row->time_ms = r->time_ms;
	row->kind = r->kind;
	g_strlcpy(row->msgid, r->msgid, sizeof(row->msgid));
	row->sender = g_strdup(r->sender);
	row->line = g_strdup(r->line);
	row->tags = g_strdup(r->tags);
	return row;
}

/* --- opening ------------------------------------------------------------- */

static bool prepare(const char *sql, sqlite3_stmt **st, GError **error)
{
	if (sqlite3_prepare_v3(rd.rdb, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
		return true;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "history: %s",
		    sqlite3_errmsg(rd.rdb));
	return false;
}

bool reader_open(const char *path, GError **error)
{
	rd.by_target = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	rd.by_msgid = g_hash_table_new(g_str_hash, g_str_equal);
	if (sqlite3_open_v2(path, &rd.rdb, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot open %s: %s", path,
			    rd.rdb != NULL ? sqlite3_errmsg(rd.rdb) : "out of memory");
		return false;
	}
	sqlite3_busy_timeout(rd.rdb, 5000);
	/* The reader maps the file instead of read()ing. */
	if (sqlite3_exec(rd.rdb, "PRAGMA cache_size=-16384; PRAGMA mmap_size=268435456;", NULL,
			 NULL, NULL) != SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot set up %s", path);
		return false;
	}
	g_strlcpy(reader_path, path, sizeof(reader_path));
	return prepare(SQL_REF, &rd.q_ref, error) &&
	       prepare("SELECT id, time, kind, msgid, sender, line, tags, target FROM history "
		       "WHERE msgid = ?1", &rd.q_msgid, error) &&
	       prepare("SELECT max(time) FROM history WHERE target = ?1 AND time > ?2 AND "
		       "time < ?3 AND kind <= " G_STRINGIFY(HIST_LAST_MESSAGE_KIND_N),
		       &rd.q_latest_time, error) &&
	       prepare("SELECT time FROM read_markers WHERE owner = ?1 AND target = ?2",
		       &rd.q_marker, error) &&
	       prepare("SELECT a, b, last_time FROM conversations WHERE (a = ?1 OR b = ?1) AND "
		       "last_time > ?2 AND last_time < ?3 ORDER BY last_time LIMIT ?4",
		       &rd.q_convs, error) &&
	       prepare("SELECT id, msgid FROM offline WHERE account = ?1 ORDER BY id LIMIT 1000",
		       &rd.q_offline, error) &&
	       prepare(SQL_RANGE_ASC, &rd.q_range[0], error) &&
	       prepare(SQL_RANGE_DESC, &rd.q_range[1], error);
}

void reader_close(void)
{
	sqlite3_stmt *all[] = { rd.q_ref, rd.q_msgid, rd.q_latest_time, rd.q_range[0],
				rd.q_range[1], rd.q_marker, rd.q_convs, rd.q_offline };
	struct record *r;

	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		sqlite3_finalize(all[i]);
	sqlite3_close(rd.rdb);
	while ((r = recent_pop()) != NULL)
		recent_release(r); /* a view still queued keeps its rows */
	if (rd.by_target != NULL)
		g_hash_table_destroy(rd.by_target);
	if (rd.by_msgid != NULL)
		g_hash_table_destroy(rd.by_msgid);
	memset(&rd, 0, sizeof(rd));
}

/* --- reading ------------------------------------------------------------- */

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

/* The syntax of a reference; *@msgid is set for "msgid=...", which the
 * caller then looks up. */
static bool parse_ref_syntax(const char *s, bool star_ok, struct history_ref *ref,
			     const char **msgid)
{
	memset(ref, 0, sizeof(*ref));
	*msgid = NULL;
	if (strcmp(s, "*") == 0) {
		ref->all = true;
		return star_ok;
	}
	if (g_str_has_prefix(s, "timestamp=")) {
		ref->id = -1;
		return history_parse_time(s + 10, &ref->time_ms);
	}
	if (!g_str_has_prefix(s, "msgid=") || s[6] == '\0')
		return false;
	*msgid = s + 6;
	return true;
}

/* A msgid of @target in the table, on @st (q_ref of some connection). */
static bool table_ref(sqlite3_stmt *st, const char *target, const char *msgid,
		      struct history_ref *ref)
{
	bool found = false;

	if (st == NULL)
		return false;
	sqlite3_bind_text(st, 1, msgid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		ref->time_ms = sqlite3_column_int64(st, 0);
		ref->id = sqlite3_column_int64(st, 1);
		found = true;
	}
	sqlite3_reset(st);
	return found;
}

bool history_parse_ref(const char *target, const char *s, bool star_ok,
		       struct history_ref *ref, bool *found)
{
	const struct record *r;
	const char *msgid;

	*found = true;
	if (!parse_ref_syntax(s, star_ok, ref, &msgid))
		return false;
	if (msgid == NULL)
		return true;
	r = recent_find_in(target, msgid);
	if (r != NULL) {
		ref->time_ms = r->time_ms;
		ref->id = r->id;
		return true;
	}
	*found = table_ref(rd.q_ref, target, msgid, ref);
	return true;
}

/* -1, 0, 1 as (@t1, @id1) is before, at or after (@t2, @id2). */
static int time_id_order(int64_t t1, int64_t id1, int64_t t2, int64_t id2)
{
	if (t1 != t2)
		return t1 < t2 ? -1 : 1;
	return id1 < id2 ? -1 : id1 > id2;
}

static int row_order(gconstpointer a, gconstpointer b)
{
	const struct history_row *x = *(struct history_row *const *)a;
	const struct history_row *y = *(struct history_row *const *)b;

	return time_id_order(x->time_ms, x->id, y->time_ms, y->id);
}

static int record_order(gconstpointer a, gconstpointer b)
{
	const struct record *x = *(struct record *const *)a;
	const struct record *y = *(struct record *const *)b;

	return time_id_order(x->time_ms, x->id, y->time_ms, y->id);
}

/* One range of a target's history: (time, id) bounds, exclusive, as in
 * history_query(). */
struct range {
	int64_t b[4]; /* lo time, lo id, hi time, hi id */
	bool newest;
	int limit, max_kind;
	int64_t since_ms;
};

static struct range range_of(const struct history_ref *lo, const struct history_ref *hi,
			     bool newest, int limit, int max_kind, int64_t since_ms)
{
	struct range q = { { INT64_MIN, INT64_MIN, INT64_MAX, INT64_MAX }, newest, limit,
			   max_kind, since_ms };

	if (lo != NULL && !lo->all) {
		/* A timestamp bound excludes that whole millisecond's rows
		 * only when it came from a msgid; from a timestamp, rows at
		 * exactly that time are after it when id > -1. */
		q.b[0] = lo->time_ms;
		q.b[1] = lo->id < 0 ? INT64_MAX : lo->id;
	}
	if (hi != NULL && !hi->all) {
		q.b[2] = hi->time_ms;
		q.b[3] = hi->id < 0 ? INT64_MIN : hi->id;
	}
	return q;
}

/* Whether the row in memory @r is in range @q. */
static bool in_range(const struct record *r, const struct range *q)
{
	bool after = r->time_ms > q->b[0] || (r->time_ms == q->b[0] && r->id > q->b[1]);
	bool before = r->time_ms < q->b[2] || (r->time_ms == q->b[2] && r->id < q->b[3]);

	return after && before && r->kind <= q->max_kind && r->time_ms >= q->since_ms;
}

static void query_table(sqlite3_stmt *st, const char *target, const struct range *q,
			GPtrArray *rows)
{
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int64(st, 2 + i, q->b[i]);
	sqlite3_bind_int(st, 6, q->max_kind);
	sqlite3_bind_int64(st, 7, q->since_ms);
	sqlite3_bind_int(st, 8, q->limit);
	while (sqlite3_step(st) == SQLITE_ROW)
		g_ptr_array_add(rows, read_row(st));
	sqlite3_reset(st);
}

/* The answer to @q: the table's rows (@rows) and the rows in memory that
 * match (@mem, struct record *, which it sorts) merged; a row just moved
 * may be in both and is taken once. Only the @q->limit of @mem that can be
 * in the answer are copied. */
static GPtrArray *merge(GPtrArray *rows, GPtrArray *mem, const struct range *q)
{
	guint from = 0, to = mem->len;

	g_ptr_array_sort(mem, record_order);
	if ((int)mem->len > q->limit) {
		if (q->newest)
			from = mem->len - (guint)q->limit;
		else
			to = (guint)q->limit;
	}
	for (guint i = from; i < to; i++)
		g_ptr_array_add(rows, row_from(g_ptr_array_index(mem, i)));
	g_ptr_array_sort(rows, row_order);
	for (guint i = 1; i < rows->len;) {
		const struct history_row *prev = g_ptr_array_index(rows, i - 1);
		if (((const struct history_row *)g_ptr_array_index(rows, i))->id == prev->id)
			g_ptr_array_remove_index(rows, i);
		else
			i++;
	}
	if ((int)rows->len > q->limit) {
		if (q->newest)
			g_ptr_array_remove_range(rows, 0, rows->len - (guint)q->limit);
		else
			g_ptr_array_remove_range(rows, (guint)q->limit, rows->len - (guint)q->limit);
	}
	return rows;
}

GPtrArray *history_query(const char *target, const struct history_ref *lo,
			 const struct history_ref *hi, bool newest, int limit,
			 int max_kind, int64_t since_ms)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)history_row_free);
	g_autoptr(GPtrArray) mem = g_ptr_array_new();
	struct range q = range_of(lo, hi, newest, limit, max_kind, since_ms);

	if (rd.rdb == NULL || limit <= 0)
		return rows;
	query_table(rd.q_range[newest], target, &q, rows);
	for (const struct record *r = recent_of(target); r != NULL; r = r->next_in_target)
		if (recent_visible(r) && in_range(r, &q))
			g_ptr_array_add(mem, (gpointer)r);
	return merge(rows, mem, &q);
}

/* --- reads from a worker ------------------------------------------------ */

/* A worker thread's own read-only connection, opened at its first read
 * and closed when the thread ends. */
struct wreader {
	sqlite3 *db;
	sqlite3_stmt *q_ref, *q_range[2];
};

static void wreader_free(gpointer p)
{
	struct wreader *w = p;

	sqlite3_finalize(w->q_ref);
	sqlite3_finalize(w->q_range[0]);
	sqlite3_finalize(w->q_range[1]);
	sqlite3_close(w->db);
	g_free(w);
}

static GPrivate wreader_key = G_PRIVATE_INIT(wreader_free);

static bool wprepare(struct wreader *w, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) ==
	       SQLITE_OK;
}

static struct wreader *wreader_get(void)
{
	struct wreader *w = g_private_get(&wreader_key);

	if (w != NULL)
		return w;
	w = g_new0(struct wreader, 1);
	g_private_set(&wreader_key, w);
	if (reader_path[0] == '\0' ||
	    sqlite3_open_v2(reader_path, &w->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, "PRAGMA cache_size=-4096; PRAGMA mmap_size=268435456;", NULL,
			 NULL, NULL) != SQLITE_OK ||
	    !wprepare(w, SQL_REF, &w->q_ref) || !wprepare(w, SQL_RANGE_ASC, &w->q_range[0]) ||
	    !wprepare(w, SQL_RANGE_DESC, &w->q_range[1])) {
		log_error("history: a worker cannot read %s: %s", reader_path,
			  w->db != NULL ? sqlite3_errmsg(w->db) : "no store");
		sqlite3_finalize(w->q_ref);
		sqlite3_finalize(w->q_range[0]);
		w->q_ref = w->q_range[0] = w->q_range[1] = NULL;
	}
	sqlite3_busy_timeout(w->db, 5000);
	return w;
}

struct history_view {
	char *target;
	GPtrArray *rows; /* struct record *, held (refs): the target's visible rows then */
};

struct history_view *history_view_new(const char *target)
{
	struct history_view *v = g_new0(struct history_view, 1);

	v->target = g_strdup(target);
	v->rows = g_ptr_array_new();
	for (struct record *r = (struct record *)recent_of(target); r != NULL;
	     r = r->next_in_target) {
		if (recent_visible(r)) {
			r->refs++;
			g_ptr_array_add(v->rows, r);
		}
	}
	return v;
}

void history_view_free(struct history_view *v)
{
	if (v == NULL)
		return;
	for (guint i = 0; i < v->rows->len; i++) {
		struct record *r = g_ptr_array_index(v->rows, i);
		if (--r->refs == 0 && r->dropped)
			record_free(r);
	}
	g_ptr_array_free(v->rows, TRUE);
	g_free(v->target);
	g_free(v);
}

bool history_view_parse_ref(struct history_view *v, const char *s, bool star_ok,
			    struct history_ref *ref, bool *found)
{
	const char *msgid;

	*found = true;
	if (!parse_ref_syntax(s, star_ok, ref, &msgid))
		return false;
	if (msgid == NULL)
		return true;
	for (guint i = 0; i < v->rows->len; i++) {
		const struct record *r = g_ptr_array_index(v->rows, i);
		if (strcmp(r->msgid, msgid) == 0) {
			ref->time_ms = r->time_ms;
			ref->id = r->id;
			return true;
		}
	}
	*found = table_ref(wreader_get()->q_ref, v->target, msgid, ref);
	return true;
}

GPtrArray *history_view_query(struct history_view *v, const struct history_ref *lo,
			      const struct history_ref *hi, bool newest, int limit, int max_kind,
			      int64_t since_ms)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)history_row_free);
	g_autoptr(GPtrArray) mem = g_ptr_array_new();
	struct range q = range_of(lo, hi, newest, limit, max_kind, since_ms);

	if (limit <= 0)
		return rows;
	query_table(wreader_get()->q_range[newest], v->target, &q, rows);
	for (guint i = 0; i < v->rows->len; i++) {
		const struct record *r = g_ptr_array_index(v->rows, i);
		if (in_range(r, &q))
			g_ptr_array_add(mem, (gpointer)r);
	}
	return merge(rows, mem, &q);
}

int64_t history_latest_time(const char *target, int64_t lo_ms, int64_t hi_ms)
{
	sqlite3_stmt *st = rd.q_latest_time;
	int64_t t = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, lo_ms);
	sqlite3_bind_int64(st, 3, hi_ms);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (const struct record *r = recent_of(target); r != NULL; r = r->next_in_target) {
		if (recent_visible(r) && r->kind <= HIST_LAST_MESSAGE_KIND && r->time_ms > lo_ms &&
		    r->time_ms < hi_ms)
			t = MAX(t, r->time_ms);
	}
	return t;
}

struct conv_time {
	char *other;
	int64_t time_ms;
};

static void conv_time_free(gpointer p)
{
	struct conv_time *c = p;

	g_free(c->other);
	g_free(c);
}

static int conv_time_order(gconstpointer a, gconstpointer b)
{
	const struct conv_time *x = *(struct conv_time *const *)a;
	const struct conv_time *y = *(struct conv_time *const *)b;

	return x->time_ms < y->time_ms ? -1 : x->time_ms > y->time_ms;
}

/* The newest time of each private conversation of @identity among the
 * rows in memory: other identity -> time (boxed in the pointer). */
static GHashTable *recent_conversations(const char *identity)
{
	GHashTable *times = g_hash_table_new(g_str_hash, g_str_equal);

	for (const struct record *r = rd.recent.head; r != NULL; r = r->next_recent) {
		const char *other;
		if (r->peer_a == NULL || !recent_visible(r))
			continue;
		if (strcmp(r->peer_a, identity) == 0)
			other = r->peer_b;
		else if (strcmp(r->peer_b, identity) == 0)
			other = r->peer_a;
		else
			continue;
		if ((int64_t)(gintptr)g_hash_table_lookup(times, other) < r->time_ms)
			g_hash_table_insert(times, (gpointer)other, (gpointer)(gintptr)r->time_ms);
	}
	return times;
}

GPtrArray *history_conversations(const char *identity, int64_t lo_ms, int64_t hi_ms, int limit)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(conv_time_free);
	g_autoptr(GHashTable) recent = NULL;
	sqlite3_stmt *st = rd.q_convs;
	GHashTableIter iter;
	gpointer key, value;

	if (st == NULL)
		return out;
	/* A conversation's time is its newest row, stored or in memory. */
	recent = recent_conversations(identity);
	sqlite3_bind_text(st, 1, identity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, lo_ms);
	sqlite3_bind_int64(st, 3, hi_ms);
	sqlite3_bind_int(st, 4, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *b = (const char *)sqlite3_column_text(st, 1);
		const char *other = strcmp(a, identity) == 0 ? b : a;
		struct conv_time *c = g_new0(struct conv_time, 1);
		c->time_ms = MAX(sqlite3_column_int64(st, 2),
				 (int64_t)(gintptr)g_hash_table_lookup(recent, other));
		g_hash_table_remove(recent, other);
		c->other = g_strdup(other);
		g_ptr_array_add(found, c);
	}
	sqlite3_reset(st);
	g_hash_table_iter_init(&iter, recent);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		struct conv_time *c = g_new0(struct conv_time, 1);
		c->other = g_strdup(key);
		c->time_ms = (int64_t)(gintptr)value;
		g_ptr_array_add(found, c);
	}
	g_ptr_array_sort(found, conv_time_order);
	for (guint i = 0; i < found->len && (int)out->len < limit; i++) {
		const struct conv_time *c = g_ptr_array_index(found, i);
		if (c->time_ms > lo_ms && c->time_ms < hi_ms)
			g_ptr_array_add(out, g_strdup_printf("%s %lld", c->other,
							     (long long)c->time_ms));
	}
	return out;
}

struct history_row *history_find_msgid(const char *msgid, char **target_out)
{
	sqlite3_stmt *st = rd.q_msgid;
	const struct record *r = recent_find(msgid);
	struct history_row *row = NULL;

	if (r != NULL) {
		if (target_out != NULL)
			*target_out = g_strdup(r->target);
		return row_from(r);
	}
	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, msgid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		row = read_row(st);
		if (target_out != NULL)
			*target_out = g_strdup((const char *)sqlite3_column_text(st, 7));
	}
	sqlite3_reset(st);
	return row;
}

int64_t reader_marker(const char *owner, const char *target)
{
	sqlite3_stmt *st = rd.q_marker;
	int64_t t = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return t;
}

GPtrArray *reader_offline(const char *account, int64_t *upto)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)history_row_free);
	g_autoptr(GPtrArray) msgids = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *st = rd.q_offline;

	*upto = 0;
	if (st == NULL)
		return rows;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		*upto = sqlite3_column_int64(st, 0);
		g_ptr_array_add(msgids, g_strdup((const char *)sqlite3_column_text(st, 1)));
	}
	sqlite3_reset(st);
	/* Each by its msgid (a redacted one is gone, and skipped). */
	for (guint i = 0; i < msgids->len; i++) {
		struct history_row *row = history_find_msgid(g_ptr_array_index(msgids, i), NULL);
		if (row != NULL)
			g_ptr_array_add(rows, row);
	}
	return rows;
}
