/* accounts.c - the account store and model (see accounts.h). */
#include "accounts.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "server.h"

static GHashTable *by_name;   /* folded name -> struct account * (owned) */
static GHashTable *by_certfp; /* fingerprint -> struct account * */
/* Keys fake SCRAM salts, so they are stable within a run but not guessable. */
static unsigned char fake_key[32];

static struct account *account_new(const char *name)
{
	struct account *a = g_new0(struct account, 1);

	a->name = g_strdup(name);
	irc_casefold(a->folded, sizeof(a->folded), name);
	a->certfps = g_ptr_array_new_with_free_func(g_free);
	a->sessions = g_ptr_array_new();
	return a;
}

static void account_free(gpointer data)
{
	struct account *a = data;

	g_free(a->name);
	if (a->password_hash != NULL)
		sodium_memzero(a->password_hash, strlen(a->password_hash));
	g_free(a->password_hash);
	g_ptr_array_free(a->certfps, TRUE);
	g_ptr_array_free(a->sessions, TRUE);
	sodium_memzero(&a->scram, sizeof(a->scram));
	g_free(a);
}

static bool blob_to(sqlite3_stmt *stmt, int col, unsigned char *out, size_t max, size_t *len)
{
	const void *blob = sqlite3_column_blob(stmt, col);
	int n = sqlite3_column_bytes(stmt, col);

	if (blob == NULL || n <= 0 || (size_t)n > max)
		return false;
	memcpy(out, blob, (size_t)n);
	if (len != NULL)
		*len = (size_t)n;
	return true;
}

static void load_accounts(sqlite3 *db)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db, "SELECT name, password_hash, scram_salt, scram_iterations,"
			       " scram_stored_key, scram_server_key, created FROM accounts",
			       -1, &stmt, NULL) != SQLITE_OK) {
		log_error("cannot read accounts: %s", sqlite3_errmsg(db));
		return;
	}
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct account *a = account_new((const char *)sqlite3_column_text(stmt, 0));
		size_t key_len = 0;
		a->password_hash = g_strdup((const char *)sqlite3_column_text(stmt, 1));
		a->scram.iterations = sqlite3_column_int(stmt, 3);
		a->created = sqlite3_column_int64(stmt, 6);
		if (a->password_hash == NULL ||
		    !blob_to(stmt, 2, a->scram.salt, SCRAM_SALT_MAX, &a->scram.salt_len) ||
		    !blob_to(stmt, 4, a->scram.stored_key, SCRAM_KEY_LEN, &key_len) ||
		    key_len != SCRAM_KEY_LEN ||
		    !blob_to(stmt, 5, a->scram.server_key, SCRAM_KEY_LEN, &key_len) ||
		    key_len != SCRAM_KEY_LEN) {
			log_warn("account %s has damaged secrets; it cannot log in", a->name);
			g_free(a->password_hash);
			a->password_hash = NULL;
		}
		g_hash_table_replace(by_name, a->folded, a);
	}
	sqlite3_finalize(stmt);
	if (sqlite3_prepare_v2(db, "SELECT fingerprint, account FROM account_certfps", -1, &stmt,
			       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *fp = (const char *)sqlite3_column_text(stmt, 0);
		struct account *a = g_hash_table_lookup(by_name, sqlite3_column_text(stmt, 1));
		if (a == NULL || fp == NULL)
			continue;
		g_ptr_array_add(a->certfps, g_strdup(fp));
		g_hash_table_replace(by_certfp, g_ptr_array_index(a->certfps, a->certfps->len - 1),
				     a);
	}
	sqlite3_finalize(stmt);
}

void accounts_init(void)
{
	sqlite3 *db = db_handle();

	by_name = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, account_free);
	by_certfp = g_hash_table_new(g_str_hash, g_str_equal);
	randombytes_buf(fake_key, sizeof(fake_key));
	if (db != NULL)
		load_accounts(db);
	log_info("%u account(s) loaded", g_hash_table_size(by_name));
}

void accounts_shutdown(void)
{
	if (by_certfp != NULL)
		g_hash_table_destroy(by_certfp);
	if (by_name != NULL)
		g_hash_table_destroy(by_name);
	by_certfp = by_name = NULL;
}

struct account *account_find(const char *name)
{
	char folded[IRC_NICK_MAX + 1];

	if (by_name == NULL || strlen(name) > IRC_NICK_MAX)
		return NULL;
	irc_casefold(folded, sizeof(folded), name);
	return g_hash_table_lookup(by_name, folded);
}

struct account *account_find_certfp(const char *fingerprint)
{
	char fp[65];

	if (by_certfp == NULL || !account_normalise_certfp(fingerprint, fp))
		return NULL;
	return g_hash_table_lookup(by_certfp, fp);
}

unsigned account_count(void)
{
	return by_name != NULL ? g_hash_table_size(by_name) : 0;
}

void account_cost_current(struct account_cost *cost)
{
	cost->ops = (unsigned long long)server.cfg->argon2_ops;
	cost->mem_bytes = (size_t)server.cfg->argon2_mem_kib * 1024;
	cost->scram_iterations = server.cfg->scram_iterations;
}

/* --- worker-thread password work ------------------------------------------- */

void account_derive_secrets(const char *password, const struct account_cost *cost,
			    struct account_secrets *out)
{
	unsigned char salt[SCRAM_SALT_LEN];

	memset(out, 0, sizeof(*out));
	randombytes_buf(salt, sizeof(salt));
	out->ok = crypto_pwhash_str_alg(out->hash, password, strlen(password), cost->ops,
					cost->mem_bytes, crypto_pwhash_ALG_ARGON2ID13) == 0 &&
		  scram_derive(password, strlen(password), salt, sizeof(salt),
			       cost->scram_iterations, &out->scram);
}

bool account_check_password(const char *hash, const char *password,
			    const struct account_cost *cost)
{
	if (hash == NULL) {
		unsigned char out[32], salt[crypto_pwhash_SALTBYTES];
		/* The same work as a real check; the result is thrown away. */
		randombytes_buf(salt, sizeof(salt));
		if (crypto_pwhash(out, sizeof(out), password, strlen(password), salt, cost->ops,
				  cost->mem_bytes, crypto_pwhash_ALG_ARGON2ID13) == 0)
			sodium_memzero(out, sizeof(out));
		return false;
	}
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* --- written-through changes ------------------------------------------------ */

struct account_row {
	char folded[IRC_NICK_MAX + 1];
	char *name;
	char *hash;
	struct scram_credentials scram;
	int64_t created;
};

static void row_free(struct account_row *row)
{
	g_free(row->name);
	if (row->hash != NULL)
		sodium_memzero(row->hash, strlen(row->hash));
	g_free(row->hash);
	sodium_memzero(&row->scram, sizeof(row->scram));
	g_free(row);
}

static void write_row(sqlite3 *db, gpointer data)
{
	struct account_row *row = data;
	sqlite3_stmt *stmt = NULL;
	/* One upsert for both a new account and a new password. */
	const char *sql =
		"INSERT INTO accounts(folded, name, password_hash, scram_salt, scram_iterations,"
		" scram_stored_key, scram_server_key, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT(folded) DO UPDATE SET password_hash = ?3, scram_salt = ?4,"
		" scram_iterations = ?5, scram_stored_key = ?6, scram_server_key = ?7";

	if (db != NULL &&
	    (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK ||
	     sqlite3_bind_text(stmt, 1, row->folded, -1, SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_text(stmt, 2, row->name, -1, SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_text(stmt, 3, row->hash, -1, SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_blob(stmt, 4, row->scram.salt, (int)row->scram.salt_len,
			       SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_int(stmt, 5, row->scram.iterations) != SQLITE_OK ||
	     sqlite3_bind_blob(stmt, 6, row->scram.stored_key, SCRAM_KEY_LEN, SQLITE_STATIC) !=
		     SQLITE_OK ||
	     sqlite3_bind_blob(stmt, 7, row->scram.server_key, SCRAM_KEY_LEN, SQLITE_STATIC) !=
		     SQLITE_OK ||
	     sqlite3_bind_int64(stmt, 8, row->created) != SQLITE_OK ||
	     sqlite3_step(stmt) != SQLITE_DONE))
		log_error("could not save account %s: %s", row->name, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	row_free(row);
}

static void save(const struct account *a)
{
	struct account_row *row = g_new0(struct account_row, 1);

	g_strlcpy(row->folded, a->folded, sizeof(row->folded));
	row->name = g_strdup(a->name);
	row->hash = g_strdup(a->password_hash);
	row->scram = a->scram;
	row->created = a->created;
	db_write(write_row, row);
}

struct account *account_create(const char *name, const struct account_secrets *secrets)
{
	struct account *a = account_new(name);

	a->password_hash = g_strdup(secrets->hash);
	a->scram = secrets->scram;
	a->created = server_wall_us() / 1000000;
	g_hash_table_replace(by_name, a->folded, a);
	save(a);
	log_info("account %s registered", a->name);
	return a;
}

void account_set_secrets(struct account *a, const struct account_secrets *secrets)
{
	if (a->password_hash != NULL)
		sodium_memzero(a->password_hash, strlen(a->password_hash));
	g_free(a->password_hash);
	a->password_hash = g_strdup(secrets->hash);
	a->scram = secrets->scram;
	save(a);
	log_info("account %s changed its password", a->name);
}

/* A statement with one or two text parameters (@p2 may be NULL: none), for
 * the small writes. */
static void queue_sql(const char *sql, const char *p1, const char *p2)
{
	struct db_stmt *w = db_stmt_new(sql);

	db_stmt_text(w, p1);
	if (p2 != NULL)
		db_stmt_text(w, p2);
	db_write_stmt(w, "an account change");
}

void account_drop(struct account *a)
{
	for (guint i = 0; i < a->certfps->len; i++)
		g_hash_table_remove(by_certfp, g_ptr_array_index(a->certfps, i));
	queue_sql("DELETE FROM accounts WHERE folded = ?1", a->folded, NULL);
	log_info("account %s dropped", a->name);
	g_hash_table_remove(by_name, a->folded);
}

bool account_add_certfp(struct account *a, const char *fingerprint)
{
	char fp[65];

	if (!account_normalise_certfp(fingerprint, fp) || g_hash_table_contains(by_certfp, fp))
		return false;
	g_ptr_array_add(a->certfps, g_strdup(fp));
	g_hash_table_replace(by_certfp, g_ptr_array_index(a->certfps, a->certfps->len - 1), a);
	queue_sql("INSERT INTO account_certfps(fingerprint, account) VALUES(?1, ?2)", fp,
		  a->folded);
	return true;
}

bool account_remove_certfp(struct account *a, const char *fingerprint)
{
	char fp[65];

	if (!account_normalise_certfp(fingerprint, fp) ||
	    g_hash_table_lookup(by_certfp, fp) != a)
		return false;
	g_hash_table_remove(by_certfp, fp);
	queue_sql("DELETE FROM account_certfps WHERE fingerprint = ?1", fp, NULL);
	for (guint i = 0; i < a->certfps->len; i++)
		if (strcmp(g_ptr_array_index(a->certfps, i), fp) == 0) {
			g_ptr_array_remove_index(a->certfps, i);
			break;
		}
	return true;
}

void account_fake_scram(const char *name, struct scram_credentials *out)
{
	char folded[IRC_NICK_MAX + 1];
	unsigned char mac[32];
	unsigned int mac_len = sizeof(mac);

	irc_casefold(folded, sizeof(folded), name);
	memset(out, 0, sizeof(*out));
	HMAC(EVP_sha256(), fake_key, sizeof(fake_key), (const unsigned char *)folded,
	     strlen(folded), mac, &mac_len);
	memcpy(out->salt, mac, SCRAM_SALT_LEN);
	out->salt_len = SCRAM_SALT_LEN;
	out->iterations = server.cfg->scram_iterations;
	/* Keys nobody can match: random each time. */
	randombytes_buf(out->stored_key, SCRAM_KEY_LEN);
	randombytes_buf(out->server_key, SCRAM_KEY_LEN);
}

bool account_normalise_certfp(const char *in, char out[65])
{
	char fp[65];
	size_t n = 0;

	for (const char *p = in; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (!g_ascii_isxdigit(*p) || n >= 64)
			return false;
		fp[n++] = g_ascii_tolower(*p);
	}
	if (n != 64)
		return false;
	fp[n] = '\0';
	memcpy(out, fp, sizeof(fp)); /* @out is untouched on failure */
	return true;
}
