/* Unit tests for src/server/accounts.c (the account store, written through
 * to SQLite) and the login throttle of login.c, on an in-process natterd
 * (server_harness.c). */
#include <glib.h>
#include <sqlite3.h>
#include <string.h>

#include "accounts.h"
#include "client.h"
#include "db.h"
#include "login.h"
#include "server.h"
#include "server_harness.h"

static void cheap_secrets(const char *password, struct account_secrets *out)
{
	struct account_cost cost = { .ops = 1, .mem_bytes = 8192, .scram_iterations = 4096 };

	account_derive_secrets(password, &cost, out);
	g_assert_true(out->ok);
}

static int count_rows(const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int n = -1;

	db_sync();
	g_assert_cmpint(sqlite3_prepare_v2(db_handle(), sql, -1, &stmt, NULL), ==, SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

static void test_create_find_check_drop(void)
{
	struct account_secrets s;
	struct account_cost cost = { .ops = 1, .mem_bytes = 8192, .scram_iterations = 4096 };
	struct account *a;

	harness_start();
	cheap_secrets("hunter2hunter2", &s);
	g_assert_true(g_str_has_prefix(s.hash, "$argon2id$"));
	g_assert_cmpint(s.scram.iterations, ==, 4096);
	a = account_create("Foo[bar", &s);
	/* rfc1459: [ and { are the same letter */
	g_assert_true(account_find("foo{BAR") == a);
	g_assert_cmpstr(a->name, ==, "Foo[bar");
	g_assert_null(account_find("foobar"));
	g_assert_cmpuint(account_count(), ==, 1);
	g_assert_true(account_check_password(a->password_hash, "hunter2hunter2", &cost));
	g_assert_false(account_check_password(a->password_hash, "hunter2hunter3", &cost));
	g_assert_false(account_check_password(NULL, "hunter2hunter2", &cost));
	g_assert_cmpint(count_rows("SELECT count(*) FROM accounts WHERE name = 'Foo[bar'"), ==, 1);

	cheap_secrets("another one", &s);
	account_set_secrets(a, &s);
	g_assert_true(account_check_password(a->password_hash, "another one", &cost));
	g_assert_cmpint(count_rows("SELECT count(*) FROM accounts WHERE password_hash LIKE "
				   "'$argon2id$%'"), ==, 1);

	account_drop(a);
	g_assert_null(account_find("foo[bar"));
	g_assert_cmpint(count_rows("SELECT count(*) FROM accounts"), ==, 0);
	harness_stop();
}

static void test_certfps(void)
{
	struct account_secrets s;
	struct account *a, *b;
	char fp[65];
	g_autofree char *colons = NULL;
	GString *g = g_string_new(NULL);

	for (int i = 0; i < 32; i++)
		g_string_append_printf(g, "%s%02X", i > 0 ? ":" : "", i * 7 % 256);
	colons = g_string_free(g, FALSE);
	g_assert_true(account_normalise_certfp(colons, fp));
	g_assert_cmpuint(strlen(fp), ==, 64);
	g_assert_true(g_ascii_islower(fp[3]) || g_ascii_isdigit(fp[3]));
	{
		char kept[65];
		memcpy(kept, fp, sizeof(kept));
		g_assert_false(account_normalise_certfp("abcd", fp));
		g_assert_false(account_normalise_certfp(
			"zz00000000000000000000000000000000000000000000000000000000000000", fp));
		g_assert_false(account_normalise_certfp(
			"000000000000000000000000000000000000000000000000000000000000000000", fp));
		g_assert_cmpstr(fp, ==, kept); /* untouched by the failures */
	}

	harness_start();
	cheap_secrets("password one", &s);
	a = account_create("alice", &s);
	b = account_create("bob", &s);
	g_assert_true(account_add_certfp(a, colons));
	g_assert_true(account_find_certfp(fp) == a);
	g_assert_true(account_find_certfp(colons) == a);
	g_assert_false(account_add_certfp(b, fp));       /* one account per certificate */
	g_assert_false(account_add_certfp(a, fp));       /* and only once */
	g_assert_false(account_remove_certfp(b, fp));
	g_assert_cmpint(count_rows("SELECT count(*) FROM account_certfps"), ==, 1);
	g_assert_true(account_remove_certfp(a, fp));
	g_assert_null(account_find_certfp(fp));
	g_assert_cmpint(count_rows("SELECT count(*) FROM account_certfps"), ==, 0);
	/* dropping an account takes its fingerprints along (ON DELETE CASCADE) */
	g_assert_true(account_add_certfp(b, fp));
	account_drop(b);
	g_assert_null(account_find_certfp(fp));
	g_assert_cmpint(count_rows("SELECT count(*) FROM account_certfps"), ==, 0);
	harness_stop();
}

static void test_fake_scram(void)
{
	struct scram_credentials x, y, z;

	harness_start();
	account_fake_scram("nobody", &x);
	account_fake_scram("NOBODY", &y);
	account_fake_scram("someone", &z);
	/* the same salt each time for one name, so asking twice tells nothing */
	g_assert_cmpmem(x.salt, x.salt_len, y.salt, y.salt_len);
	g_assert_true(memcmp(x.salt, z.salt, SCRAM_SALT_LEN) != 0);
	g_assert_cmpint(x.iterations, ==, server.cfg->scram_iterations);
	harness_stop();
}

static void test_throttle_grows_and_clears(void)
{
	struct hclient *h;
	int wait = 0;
	const char *what = NULL;

	harness_start();
	server.cfg->login_free_failures = 2;
	server.cfg->login_delay = 3;
	server.cfg->login_delay_max = 10;
	h = harness_client("guesser");
	for (int i = 0; i < 2; i++) {
		login_failed(h->client, "victim");
		g_assert_false(login_throttled(h->client, "victim", &wait, &what));
	}
	login_failed(h->client, "victim");
	g_assert_true(login_throttled(h->client, "victim", &wait, &what));
	g_assert_cmpstr(what, ==, "account");
	g_assert_cmpint(wait, ==, 3);
	login_failed(h->client, "victim");
	g_assert_true(login_throttled(h->client, "victim", &wait, &what));
	g_assert_cmpint(wait, ==, 6);
	login_failed(h->client, "victim");
	g_assert_true(login_throttled(h->client, "victim", &wait, &what));
	g_assert_cmpint(wait, ==, 10); /* capped */
	/* another account from the same address: the address waits too */
	g_assert_true(login_throttled(h->client, "other", &wait, &what));
	g_assert_cmpstr(what, ==, "address");
	/* a success clears the account, not the address */
	login_succeeded(h->client, "victim");
	g_assert_true(login_throttled(h->client, "victim", &wait, &what));
	g_assert_cmpstr(what, ==, "address");
	harness_stop();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/accounts/create-find-check-drop", test_create_find_check_drop);
	g_test_add_func("/accounts/certfps", test_certfps);
	g_test_add_func("/accounts/fake-scram", test_fake_scram);
	g_test_add_func("/accounts/throttle", test_throttle_grows_and_clears);
	return g_test_run();
}
