/* test-accounts.c - TLS with trust on first use, creating an account and
 * logging in (SCRAM-SHA-256, PLAIN) against the real natterd listening with
 * TLS on a free loopback port (issue 10). The known-hosts file is a
 * temporary one ($NATTER_KNOWN_HOSTS). */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "natter-session.h"
#include "natter-tls.h"
#include "natterd-harness.h"

typedef struct {
	char *dir;
	GSubprocess *proc;
	guint16 port;
	int starts;
	char *fingerprint; /* what natterd logged */
} TlsServer;

static void die_with_parent(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts natterd with TLS only, on a free port (the same one again on a restart). */
static void tls_spawn(TlsServer *s)
{
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autofree char *log = g_strdup_printf("%s/natterd-%d.log", s->dir, ++s->starts);
	g_autofree char *listen = g_strdup_printf("tls:127.0.0.1:%u", s->port);
	g_autofree char *conf = g_build_filename(s->dir, "natterd.conf", NULL);
	g_autoptr(GError) error = NULL;

	g_subprocess_launcher_set_stderr_file_path(l, log);
	g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
	s->proc = g_subprocess_launcher_spawn(l, &error, g_getenv("NATTERD"), "--config", conf,
					      "--listen", listen, "--data-dir", s->dir, NULL);
	g_assert_no_error(error);
	gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		g_autofree char *text = NULL;
		const char *at;
		if (g_file_get_contents(log, &text, NULL, NULL) &&
		    (at = strstr(text, "listening with TLS on 127.0.0.1:")) != NULL &&
		    strchr(at, '\n') != NULL) {
			s->port = (guint16)atoi(at + strlen("listening with TLS on 127.0.0.1:"));
			const char *fp = strstr(text, "SHA-256 fingerprint ");
			g_assert_nonnull(fp);
			g_free(s->fingerprint);
			s->fingerprint = g_strndup(fp + strlen("SHA-256 fingerprint "), 95);
			return;
		}
		g_assert_nonnull(g_subprocess_get_identifier(s->proc));
		g_usleep(10 * 1000);
	}
	g_error("natterd did not start listening with TLS; see %s", log);
}

static TlsServer *tls_server_start(void)
{
	TlsServer *s = g_new0(TlsServer, 1);
	g_autoptr(GError) error = NULL;

	s->dir = g_dir_make_tmp("natter-accounts-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree char *conf = g_build_filename(s->dir, "natterd.conf", NULL);
	/* Loopback counts as remote, so PLAIN is allowed only because of TLS. */
	g_file_set_contents(conf, "[accounts]\nloopback_is_secure=false\nnick_grace=1\n", -1, &error);
	g_assert_no_error(error);
	g_autofree char *known = g_build_filename(s->dir, "known-hosts", NULL);
	g_setenv("NATTER_KNOWN_HOSTS", known, TRUE);
	tls_spawn(s);
	return s;
}

static void tls_server_stop(TlsServer *s)
{
	if (s->proc == NULL)
		return;
	g_subprocess_send_signal(s->proc, SIGTERM);
	g_subprocess_wait(s->proc, NULL, NULL);
	g_clear_object(&s->proc);
}

static void tls_server_free(TlsServer *s)
{
	tls_server_stop(s);
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", s->dir);
	if (g_getenv("NATTER_KEEP_TEST_DIR") == NULL && system(cmd) != 0)
		g_test_message("could not remove %s", s->dir);
	g_free(s->fingerprint);
	g_free(s->dir);
	g_free(s);
}

typedef struct {
	TlsServer *server;
	NatterSession *session;
	GError *failed;
	gboolean registered;
} Fixture;

static void on_failed(NatterSession *s, GError *error, Fixture *f)
{
	(void)s;
	g_clear_error(&f->failed);
	f->failed = g_error_copy(error);
}

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
	g_signal_connect(f->session, "connect-failed", G_CALLBACK(on_failed), f);
	g_signal_connect(f->session, "registered", G_CALLBACK(on_registered), f);
}

static void setup(Fixture *f, gconstpointer data)
{
	(void)data;
	f->server = tls_server_start();
	new_session(f);
}

static void teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	if (f->session != NULL)
		natter_session_disconnect(f->session, NULL);
	g_clear_object(&f->session);
	g_clear_error(&f->failed);
	tls_server_free(f->server);
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
	tls_server_stop(f->server);
	g_autofree char *old = g_strdup(f->server->fingerprint);
	g_autofree char *gen = g_strdup_printf("'%s' --gen-cert --data-dir '%s' >/dev/null", g_getenv("NATTERD"),
					       f->server->dir);
	g_assert_cmpint(system(gen), ==, 0);
	tls_spawn(f->server);
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

static gboolean has_text(NatterSession *s, const char *needle)
{
	GListModel *convs = natter_session_get_conversations(s);
	for (guint i = 0; i < g_list_model_get_n_items(convs); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(convs, i);
		GListModel *msgs = natter_conversation_get_messages(c);
		for (guint j = 0; j < g_list_model_get_n_items(msgs); j++) {
			g_autoptr(NatterMessage) m = g_list_model_get_item(msgs, j);
			if (strstr(natter_message_get_text(m), needle) != NULL)
				return TRUE;
		}
	}
	return FALSE;
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
	g_assert_true(has_text(f->session, "gina"));
	g_assert_true(has_text(f->session, natter_session_get_nick(f->session)));
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
