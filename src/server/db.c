/* db.c - the SQLite file, its schema migrations and the writer thread
 * (see db.h). */
#include "db.h"

#include "log.h"

static sqlite3 *db;
static GThreadPool *writer; /* one thread: writes land in the order made */
static int schema_version;

/* The schema, one step per entry, applied in order inside a transaction
 * each. Append only: a file at version N has run entries 1..N. */
static const char *const migrations[] = {
	/* 1: permanent rooms' topics (storage.c). IF NOT EXISTS because files
	 * from before schema versions already have this table. */
	"CREATE TABLE IF NOT EXISTS rooms ("
	" name TEXT PRIMARY KEY COLLATE NOCASE,"
	" topic TEXT, topic_setter TEXT, topic_time INTEGER);",
	/* 2: accounts and their certificate fingerprints (accounts.c). */
	"CREATE TABLE accounts ("
	" folded TEXT PRIMARY KEY,"        /* rfc1459 case-folded name */
	" name TEXT NOT NULL,"
	" password_hash TEXT NOT NULL,"    /* argon2id */
	" scram_salt BLOB NOT NULL, scram_iterations INTEGER NOT NULL,"
	" scram_stored_key BLOB NOT NULL, scram_server_key BLOB NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE account_certfps ("
	" fingerprint TEXT PRIMARY KEY,"   /* SHA-256, 64 lower-case hex digits */
	" account TEXT NOT NULL REFERENCES accounts(folded) ON DELETE CASCADE);",
	/* 3: registered rooms, their access lists and list modes (chanreg.c).
	 * Modes are kept as letters ("ntR"), lists by their letter ('b'). */
	"CREATE TABLE registered_rooms ("
	" folded TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" founder TEXT NOT NULL REFERENCES accounts(folded) ON DELETE CASCADE,"
	" created INTEGER NOT NULL, topic TEXT, topic_setter TEXT, topic_time INTEGER,"
	" modes TEXT, key TEXT, user_limit INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE room_access ("
	" room TEXT NOT NULL REFERENCES registered_rooms(folded) ON DELETE CASCADE,"
	" account TEXT NOT NULL REFERENCES accounts(folded) ON DELETE CASCADE,"
	" level TEXT NOT NULL, PRIMARY KEY(room, account));"
	"CREATE TABLE room_lists ("
	" room TEXT NOT NULL REFERENCES registered_rooms(folded) ON DELETE CASCADE,"
	" list TEXT NOT NULL, mask TEXT NOT NULL, set_at INTEGER,"
	" PRIMARY KEY(room, list, mask));",
	/* 4: message history (history.c). target is a case-folded room name
	 * or "a b", the two parties' identities in order; time is ms. */
	"CREATE TABLE history ("
	" id INTEGER PRIMARY KEY, target TEXT NOT NULL, time INTEGER NOT NULL,"
	" msgid TEXT NOT NULL, kind INTEGER NOT NULL, sender TEXT NOT NULL,"
	" line TEXT NOT NULL, tags TEXT);"
	"CREATE INDEX history_target_time ON history(target, time);"
	"CREATE UNIQUE INDEX history_msgid ON history(msgid);"
	"CREATE TABLE conversations ("
	" key TEXT PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL, last_time INTEGER NOT NULL);"
	"CREATE INDEX conversations_a ON conversations(a, last_time);"
	"CREATE INDEX conversations_b ON conversations(b, last_time);"
	"CREATE TABLE read_markers ("
	" owner TEXT NOT NULL, target TEXT NOT NULL, time INTEGER NOT NULL,"
	" PRIMARY KEY(owner, target));",
	/* 5: permanent rooms' settings beside their topics (storage.c): flag
	 * modes as letters, key, limit, and the b/e/I lists. */
	"ALTER TABLE rooms ADD COLUMN modes TEXT;"
	"ALTER TABLE rooms ADD COLUMN key TEXT;"
	"ALTER TABLE rooms ADD COLUMN user_limit INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE permanent_room_lists ("
	" room TEXT NOT NULL COLLATE NOCASE, list TEXT NOT NULL, mask TEXT NOT NULL,"
	" setter TEXT, set_at INTEGER, PRIMARY KEY(room, list, mask));",
	/* 6: private messages kept for an account that was not connected,
	 * delivered (and removed) at its next login (history.c). */
	"CREATE TABLE offline ("
	" id INTEGER PRIMARY KEY, account TEXT NOT NULL, msgid TEXT NOT NULL);"
	"CREATE INDEX offline_account ON offline(account, id);",
	/* 7: conversations found by party alone, so that moving last_time
	 * rewrites no index page (history.c). */
	"DROP INDEX conversations_a; DROP INDEX conversations_b;"
	"CREATE INDEX conversations_a ON conversations(a);"
	"CREATE INDEX conversations_b ON conversations(b);",
	/* 8: who set each list entry of a registered room (chanreg.c). */
	"ALTER TABLE room_lists ADD COLUMN setter TEXT;",
	/* 9: the newest history rows, committed without index upkeep so that
	 * acknowledging a message writes a few pages, not one per target;
	 * history.c moves them into `history` (same ids) in bulk. */
	"CREATE TABLE history_recent ("
	" id INTEGER PRIMARY KEY, target TEXT NOT NULL, time INTEGER NOT NULL,"
	" msgid TEXT NOT NULL, kind INTEGER NOT NULL, sender TEXT NOT NULL,"
	" line TEXT NOT NULL, tags TEXT);",
	/* 10: a msgid is unique per history target, not overall: a QUIT or a
	 * NICK is one line with one msgid, stored in every room it was seen
	 * in (history.h). */
	"DROP INDEX history_msgid;"
	"CREATE UNIQUE INDEX history_msgid ON history(msgid, target);",
	/* 11: the newest rows as one blob per committed batch instead
	 * (history_internal.h): even fewer pages per acknowledgement, and the
	 * loop keeps them in memory for readers until they are moved. */
	"INSERT OR IGNORE INTO history(id, target, time, msgid, kind, sender, line, tags)"
	" SELECT id, target, time, msgid, kind, sender, line, tags FROM history_recent;"
	"DROP TABLE history_recent;"
	"CREATE TABLE history_log (id INTEGER PRIMARY KEY, batch BLOB NOT NULL);",
};

struct write_job {
	db_write_fn fn;
	gpointer data;
	GMutex *done_lock; /* db_sync() only */
	GCond *done_cond;
	bool *done;
};

static void run_write(gpointer job_ptr, gpointer unused)
{
	struct write_job *job = job_ptr;

	(void)unused;
	if (job->fn != NULL)
		job->fn(db, job->data);
	if (job->done != NULL) {
		g_mutex_lock(job->done_lock);
		*job->done = true;
		g_cond_signal(job->done_cond);
		g_mutex_unlock(job->done_lock);
	}
	g_free(job);
}

static bool exec_sql(const char *sql, GError **error)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
		return true;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s",
		    err != NULL ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	return false;
}

static int read_version(void)
{
	sqlite3_stmt *stmt = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &stmt, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return version;
}

/* Brings the file up to the last migration; each step commits with the
 * version it reached, so an interrupted upgrade resumes where it stopped. */
static bool migrate(GError **error)
{
	int latest = (int)G_N_ELEMENTS(migrations);

	if (!exec_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
		      "INSERT INTO schema_version SELECT 0 "
		      "WHERE NOT EXISTS (SELECT 1 FROM schema_version);", error))
		return false;
	schema_version = read_version();
	if (schema_version < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "unreadable schema version");
		return false;
	}
	if (schema_version > latest) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "the file is at schema version %d, newer than this natterd (%d)",
			    schema_version, latest);
		return false;
	}
	while (schema_version < latest) {
		g_autofree char *bump = g_strdup_printf("UPDATE schema_version SET version = %d;",
							schema_version + 1);
		if (!exec_sql("BEGIN IMMEDIATE;", error))
			return false;
		if (!exec_sql(migrations[schema_version], error) || !exec_sql(bump, error)) {
			g_prefix_error(error, "schema migration %d: ", schema_version + 1);
			exec_sql("ROLLBACK;", NULL);
			return false;
		}
		if (!exec_sql("COMMIT;", error))
			return false;
		schema_version++;
		log_info("data file upgraded to schema version %d", schema_version);
	}
	return true;
}

bool db_open(const char *data_dir, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, "natterd.db", NULL);
	GError *local = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot open %s: %s", path,
			    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		db = NULL;
		return false;
	}
	sqlite3_busy_timeout(db, 2000);
	if (!exec_sql("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", &local) ||
	    !migrate(&local)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot set up %s: %s", path,
			    local->message);
		g_error_free(local);
		sqlite3_close(db);
		db = NULL;
		return false;
	}
	writer = g_thread_pool_new(run_write, NULL, 1, FALSE, NULL);
	return true;
}

void db_close(void)
{
	if (writer != NULL)
		g_thread_pool_free(writer, FALSE, TRUE);
	writer = NULL;
	if (db != NULL)
		sqlite3_close(db);
	db = NULL;
}

sqlite3 *db_handle(void)
{
	return db;
}

int db_schema_version(void)
{
	return schema_version;
}

void db_write(db_write_fn fn, gpointer data)
{
	struct write_job *job;

	if (writer == NULL) {
		fn(NULL, data);
		return;
	}
	job = g_new0(struct write_job, 1);
	job->fn = fn;
	job->data = data;
	g_thread_pool_push(writer, job, NULL);
}

void db_sync(void)
{
	struct write_job *job;
	GMutex lock;
	GCond cond;
	bool done = false;

	if (writer == NULL)
		return;
	g_mutex_init(&lock);
	g_cond_init(&cond);
	job = g_new0(struct write_job, 1);
	job->done_lock = &lock;
	job->done_cond = &cond;
	job->done = &done;
	g_mutex_lock(&lock);
	g_thread_pool_push(writer, job, NULL);
	while (!done)
		g_cond_wait(&cond, &lock);
	g_mutex_unlock(&lock);
	g_mutex_clear(&lock);
	g_cond_clear(&cond);
}

/* --- one statement, written through --------------------------------------- */

struct db_stmt {
	const char *sql;
	char *what;   /* for the log line if the write fails */
	struct {
		bool is_text;
		char *text;
		gint64 num;
	} param[DB_STMT_MAX_PARAMS];
	int nparam;
};

struct db_stmt *db_stmt_new(const char *sql)
{
	struct db_stmt *s = g_new0(struct db_stmt, 1);

	s->sql = sql;
	return s;
}

/* The index of the next parameter; too many is a bug in the caller. */
static int next_param(struct db_stmt *s)
{
	if (s->nparam >= DB_STMT_MAX_PARAMS)
		g_error("db_stmt: more than %d parameters for %s", DB_STMT_MAX_PARAMS, s->sql);
	return s->nparam++;
}

void db_stmt_text_take(struct db_stmt *s, char *text)
{
	int i = next_param(s);

	s->param[i].is_text = true;
	s->param[i].text = text;
}

void db_stmt_text(struct db_stmt *s, const char *text)
{
	db_stmt_text_take(s, g_strdup(text));
}

void db_stmt_int(struct db_stmt *s, gint64 n)
{
	s->param[next_param(s)].num = n;
}

static void db_stmt_free(struct db_stmt *s)
{
	for (int i = 0; i < s->nparam; i++)
		g_free(s->param[i].text);
	g_free(s->what);
	g_free(s);
}

static void run_stmt(sqlite3 *handle, gpointer data)
{
	struct db_stmt *s = data;
	sqlite3_stmt *stmt = NULL;
	bool ok = handle != NULL &&
		  sqlite3_prepare_v2(handle, s->sql, -1, &stmt, NULL) == SQLITE_OK;

	for (int i = 0; ok && i < s->nparam; i++)
		ok = (s->param[i].is_text
			      ? sqlite3_bind_text(stmt, i + 1, s->param[i].text, -1, SQLITE_STATIC)
			      : sqlite3_bind_int64(stmt, i + 1, s->param[i].num)) == SQLITE_OK;
	if (ok)
		ok = sqlite3_step(stmt) == SQLITE_DONE;
	if (!ok && handle != NULL)
		log_error("could not save %s: %s", s->what, sqlite3_errmsg(handle));
	sqlite3_finalize(stmt);
	db_stmt_free(s);
}

void db_write_stmt(struct db_stmt *s, const char *what_fmt, ...)
{
	va_list ap;

	va_start(ap, what_fmt);
	s->what = g_strdup_vprintf(what_fmt, ap);
	va_end(ap);
	db_write(run_stmt, s);
}
