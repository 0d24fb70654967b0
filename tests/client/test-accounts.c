/* test-accounts.c - TLS with trust on first use, creating an account and
 * logging in (SCRAM-SHA-256, PLAIN) against the real natterd listening with
 * TLS on a free loopback port (issue 10). The known-hosts file is a
 * temporary one ($NATTER_KNOWN_HOSTS). */
#include <stdlib.h>
#include <string.h>

#include "natter-session.h"
#include "natter-tls.h"
#include "natterd-harness.h"
#include "session-helpers.h"

typedef struct {
	TestServer *server; /* TLS only */
	NatterSession *session;
	GError *failed;
	gboolean registered;
} Fixture;

static void on_registered(NatterSession *s, Fixture *f)
{
	(void)s;
	f->registered = TRUE;
}

static void new_session(Fixture *f)
{
	g_clear_object(&f->session);
	g_clear_error(&f->failed);
	f->registered = FALSE;
	f->session = natter_session_new();
	natter_session_set_tls(f->session, TRUE);
	test_track_failure(f->session, &f->failed);
	g_signal_connect(f->session, "registered", G_CALLBACK(on_registered), f);
}

static void setup(Fixture *f, gconstpointer data)
{
	(void)data;
	/* Loopback counts as remote, so PLAIN is allowed only because of TLS. */
	f->server = test_server_start_tls("[accounts]\nloopback_is_secure=false\nnick_grace=1\n");
	g_autofree char *known = g_build_filename(f->server->dir, "known-hosts", NULL);
	g_setenv("NATTER_KNOWN_HOSTS", known, TRUE);
	new_session(f);
}

static void teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	if (f->session != NULL)
		natter_session_disconnect(f->session, NULL);
	g_clear_object(&f->session);
	g_clear_error(&f->failed);
	test_server_free(f->server);
	test_pump(0);
}

/* Connects as @nick and waits for "registered" or "connect-failed". */
static void connect_as(Fixture *f, const char *nick)
{
	g_autoptr(GError) error = NULL;
	f->registered = FALSE;
	g_clear_error(&f->failed);
	g_assert_true(natter_session_connect(f->session, "127.0.0.1", f->server->port, nick, &error));
	g_assert_no_error(error);
	TEST_WAIT(f->registered || f->failed != NULL);
}

/* Trusts the server's certificate as the connect screen does. */
static void trust(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(natter_tls_remember("127.0.0.1", f->server->port, f->server->fingerprint, &error));
	g_assert_no_error(error);
}

static void test_tofu(Fixture *f, gconstpointer data)
{
	(void)data;
	/* First use: refused until the person trusts it, fingerprint shown. */
	connect_as(f, "alice");
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_CERT_UNKNOWN);
	g_assert_cmpstr(natter_session_get_peer_fingerprint(f->session), ==, f->server->fingerprint);
	g_assert_nonnull(strstr(f->failed->message, f->server->fingerprint));
	g_assert_null(natter_tls_lookup("127.0.0.1", f->server->port));
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);

	/* Trusted: stored, and the next connect goes through over TLS. */
	trust(f);
	g_autofree char *stored = natter_tls_lookup("127.0.0.1", f->server->port);
	g_assert_cmpstr(stored, ==, f->server->fingerprint);
	connect_as(f, "alice");
	g_assert_no_error(f->failed);
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_CONNECTED);
	natter_session_disconnect(f->session, NULL);

	/* Another certificate on the same host and port: refused, both named,
	 * the remembered one kept. */
	test_server_stop(f->server);
	g_autofree char *old = g_strdup(f->server->fingerprint);
	g_autofree char *gen = g_strdup_printf("'%s' --gen-cert --data-dir '%s/data' >/dev/null",
					       g_getenv("NATTERD"), f->server->dir);
	g_assert_cmpint(system(gen), ==, 0);
	test_server_restart(f->server);
	g_assert_cmpstr(f->server->fingerprint, !=, old);
	connect_as(f, "alice");
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_CERT_CHANGED);
	g_assert_nonnull(strstr(f->failed->message, old));
	g_assert_nonnull(strstr(f->failed->message, f->server->fingerprint));
	g_assert_cmpstr(natter_session_get_known_fingerprint(f->session), ==, old);
	g_autofree char *still = natter_tls_lookup("127.0.0.1", f->server->port);
	g_assert_cmpstr(still, ==, old);
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);
}

static void test_register_then_login(Fixture *f, gconstpointer data)
{
	(void)data;
	trust(f);
	/* Create the account: REGISTER logs in at once. */
	natter_session_set_password(f->session, "correct horse", TRUE);
	connect_as(f, "carol");
	g_assert_no_error(f->failed);
	g_assert_cmpstr(natter_session_get_account(f->session), ==, "carol");
	g_assert_cmpstr(natter_session_get_login_mechanism(f->session), ==, "REGISTER");
	g_assert_true(natter_session_has_cap(f->session, "account-notify"));
	g_assert_true(natter_session_has_cap(f->session, "extended-join"));
	natter_session_disconnect(f->session, NULL);

	/* Next time (a new natter): SCRAM-SHA-256. */
	new_session(f);
	natter_session_set_password(f->session, "correct horse", FALSE);
	connect_as(f, "carol");
	g_assert_no_error(f->failed);
	g_assert_cmpstr(natter_session_get_account(f->session), ==, "carol");
	g_assert_cmpstr(natter_session_get_login_mechanism(f->session), ==, "SCRAM-SHA-256");
	natter_session_disconnect(f->session, NULL);

	/* PLAIN, over TLS (the server treats loopback as remote here). */
	new_session(f);
	natter_session_set_mechanisms(f->session, "PLAIN");
	natter_session_set_password(f->session, "correct horse", FALSE);
	connect_as(f, "carol");
	g_assert_no_error(f->failed);
	g_assert_cmpstr(natter_session_get_account(f->session), ==, "carol");
	g_assert_cmpstr(natter_session_get_login_mechanism(f->session), ==, "PLAIN");
	natter_session_disconnect(f->session, NULL);

	/* A wrong password is said in words, and nothing is retried. */
	new_session(f);
	natter_session_set_password(f->session, "wrong horse", FALSE);
	connect_as(f, "carol");
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_LOGIN_FAILED);
	g_assert_nonnull(strstr(f->failed->message, "password for carol is not right"));
	g_assert_null(natter_session_get_account(f->session));
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);

	/* Creating it again: it exists. */
	new_session(f);
	natter_session_set_password(f->session, "another one", TRUE);
	connect_as(f, "carol");
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_ACCOUNT);
	g_assert_nonnull(strstr(f->failed->message, "already is an account called carol"));
}

static void test_weak_password(Fixture *f, gconstpointer data)
{
	(void)data;
	trust(f);
	natter_session_set_password(f->session, "short", TRUE);
	connect_as(f, "dave");
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_ACCOUNT);
	g_assert_nonnull(strstr(f->failed->message, "too short"));
}

static NatterMember *member(NatterSession *s, const char *nick)
{
	NatterConversation *c = natter_session_find_conversation(s, "#lobby");
	return c != NULL ? natter_conversation_find_member(c, nick) : NULL;
}

/* Who is logged in shows on members: WHOX %a after our join, extended-join
 * for those who come later, account-notify for a logout. */
static void test_member_accounts(Fixture *f, gconstpointer data)
{
	(void)data;
	trust(f);
	natter_session_set_password(f->session, "password one", TRUE);
	connect_as(f, "dave");
	g_assert_no_error(f->failed);
	TEST_WAIT(member(f->session, "dave") != NULL);

	/* erin, with an account too, joins: dave sees it from her JOIN. */
	Fixture other = { .server = f->server };
	new_session(&other);
	natter_session_set_password(other.session, "password two", TRUE);
	connect_as(&other, "erin");
	g_assert_no_error(other.failed);
	TEST_WAIT(member(f->session, "erin") != NULL &&
		  natter_member_get_account(member(f->session, "erin")) != NULL);
	g_assert_cmpstr(natter_member_get_account(member(f->session, "erin")), ==, "erin");
	/* erin learned dave's account from WHO %a, and her own. */
	TEST_WAIT(member(other.session, "dave") != NULL &&
		  natter_member_get_account(member(other.session, "dave")) != NULL);
	g_assert_cmpstr(natter_member_get_account(member(other.session, "dave")), ==, "dave");
	TEST_WAIT(natter_member_get_account(member(other.session, "erin")) != NULL);

	/* erin logs out: account-notify reaches dave. */
	g_autoptr(GError) error = NULL;
	g_assert_true(natter_session_send_input(other.session, "/ACCOUNT LOGOUT", &error));
	TEST_WAIT(natter_member_get_account(member(f->session, "erin")) == NULL);
	TEST_WAIT(natter_session_get_account(other.session) == NULL);
	natter_session_disconnect(other.session, NULL);
	g_clear_object(&other.session);
	g_clear_error(&other.failed);
}

static void test_throttled(Fixture *f, gconstpointer data)
{
	(void)data;
	trust(f);
	natter_session_set_password(f->session, "the right one", TRUE);
	connect_as(f, "frank");
	g_assert_no_error(f->failed);
	natter_session_disconnect(f->session, NULL);

	/* Wrong again and again: after a few, the server makes us wait, and
	 * natter says so rather than "wrong password". */
	gboolean throttled = FALSE;
	for (int i = 0; i < 8 && !throttled; i++) {
		new_session(f);
		natter_session_set_password(f->session, "a wrong one", FALSE);
		connect_as(f, "frank");
		g_assert_nonnull(f->failed);
		g_test_message("attempt %d: %s", i + 1, f->failed->message);
		throttled = g_error_matches(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_THROTTLED);
		if (!throttled)
			g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_LOGIN_FAILED);
	}
	g_assert_true(throttled);
	g_assert_nonnull(strstr(f->failed->message, "Too many failed logins as frank"));
}

/* Someone else's name without its password: the server's notice, then a guest name. */
static void test_name_owned(Fixture *f, gconstpointer data)
{
	(void)data;
	trust(f);
	natter_session_set_password(f->session, "gina's password", TRUE);
	connect_as(f, "gina");
	g_assert_no_error(f->failed);
	natter_session_disconnect(f->session, NULL);

	new_session(f);
	connect_as(f, "gina");
	g_assert_no_error(f->failed);
	TEST_WAIT(g_str_has_prefix(natter_session_get_nick(f->session), "Guest"));
	g_assert_true(test_has_text(f->session, NULL, "gina"));
	g_assert_true(test_has_text(f->session, NULL, natter_session_get_nick(f->session)));
	GListModel *convs = natter_session_get_conversations(f->session);
	for (guint i = 0; i < g_list_model_get_n_items(convs); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(convs, i);
		GListModel *msgs = natter_conversation_get_messages(c);
		for (guint j = 0; j < g_list_model_get_n_items(msgs); j++) {
			g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, j);
			g_test_message("%s: %s", natter_conversation_get_name(c), natter_message_get_text(m));
		}
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/accounts/tofu", Fixture, NULL, setup, test_tofu, teardown);
	g_test_add("/accounts/register-then-login", Fixture, NULL, setup, test_register_then_login, teardown);
	g_test_add("/accounts/weak-password", Fixture, NULL, setup, test_weak_password, teardown);
	g_test_add("/accounts/member-accounts", Fixture, NULL, setup, test_member_accounts, teardown);
	g_test_add("/accounts/throttled", Fixture, NULL, setup, test_throttled, teardown);
	g_test_add("/accounts/name-owned", Fixture, NULL, setup, test_name_owned, teardown);
	return g_test_run();
}
