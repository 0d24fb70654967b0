/* test-keepalive.c - a quiet connection stays up (issue 7, blocker 1).
 *
 * A session is only judged dead by the server (PING it does not answer,
 * ERROR) or by its own keep-alive (PING after silence, give up after a second
 * silence), never by a read timeout. Against the real natterd: idle for more
 * than three times every timeout of both sides, then check from a raw
 * observer in #lobby that the session joined once and never quit. Against a
 * scripted fake server: a server that stops answering is detected, ERROR
 * closes at once. */
#include <string.h>

#include "fake-server.h"
#include "natter-session.h"
#include "natterd-harness.h"
#include "session-helpers.h"

typedef struct {
	NatterSession *session;
	GError *failed;       /* from "connect-failed" */
	guint state_changes;  /* notify::state since connect_as() returned */
} Fixture;

static void on_state(GObject *o, GParamSpec *p, Fixture *f)
{
	(void)o; (void)p;
	f->state_changes++;
}

static void setup(Fixture *f, gconstpointer data)
{
	(void)data;
	f->session = natter_session_new();
	natter_session_set_reconnect_base(f->session, 30); /* a drop must stay visible */
	test_track_failure(f->session, &f->failed);
	g_signal_connect(f->session, "notify::state", G_CALLBACK(on_state), f);
}

static void teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	g_clear_object(&f->session);
	g_clear_error(&f->failed);
	test_pump(0);
}

static void connect_to(Fixture *f, guint16 port, const char *nick, gboolean wait_lobby)
{
	test_session_connect(f->session, port, nick, &f->failed, wait_lobby);
	f->state_changes = 0;
}

/* Runs the loop for @seconds while @observer answers PINGs and records every
 * line it gets; fails as soon as the session leaves CONNECTED. */
static void idle_for(Fixture *f, guint seconds, RawClient *observer, GPtrArray *seen)
{
	gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;

	while (g_get_monotonic_time() < end) {
		char *line = raw_expect_within(observer, "", 50);
		if (line != NULL)
			g_ptr_array_add(seen, line);
		if (natter_session_get_state(f->session) != NATTER_SESSION_CONNECTED)
			g_error("the idle session dropped after %.1f s: %s",
				(double)(seconds * G_USEC_PER_SEC - (end - g_get_monotonic_time())) / G_USEC_PER_SEC,
				natter_session_get_disconnect_reason(f->session));
	}
}

static guint count_lines(GPtrArray *lines, const char *a, const char *b)
{
	guint n = 0;
	for (guint i = 0; i < lines->len; i++) {
		const char *l = g_ptr_array_index(lines, i);
		if (strstr(l, a) != NULL && strstr(l, b) != NULL)
			n++;
	}
	return n;
}

/* The whole check against natterd: an observer in #lobby, the session idle for
 * @idle_s, exactly one JOIN and no QUIT of it, then both ways talk. */
static void idle_against(Fixture *f, const char *config, guint idle_s)
{
	TestServer *server = test_server_start_with_config(config);
	RawClient *bob = raw_connect(server->port, "bob");
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);

	raw_send(bob, "JOIN #lobby");
	g_free(raw_expect(bob, " 366 "));
	connect_to(f, server->port, "alice", TRUE);
	idle_for(f, idle_s, bob, seen);
	/* A barrier: everything the server relayed before this is in @seen. */
	raw_send(bob, "PING :barrier");
	for (;;) {
		char *line = raw_expect(bob, "");
		g_ptr_array_add(seen, line);
		if (strstr(line, "barrier") != NULL)
			break;
	}
	g_assert_cmpuint(count_lines(seen, ":alice!", " QUIT"), ==, 0);
	/* bob joined first, so alice's JOIN is in @seen: exactly once. */
	g_assert_cmpuint(count_lines(seen, ":alice!", " JOIN"), ==, 1);
	g_assert_cmpuint(f->state_changes, ==, 0);
	g_assert_false(test_has_text(f->session, "#lobby", "Disconnected"));

	raw_send(bob, "PRIVMSG #lobby :still there?");
	TEST_WAIT(test_has_text(f->session, "#lobby", "still there?"));
	g_assert_true(natter_session_send_input(f->session, "yes, all along", NULL));
	g_free(raw_expect(bob, "yes, all along"));
	raw_close(bob);
	test_server_free(server);
}

/* Short timeouts on both sides: the server pings every 2 s of silence and
 * drops after 2 s more; the client's connect timeout is 1 s and its
 * keep-alive 2 s. 15 s is more than three times every one of them. */
static void test_idle_short(Fixture *f, gconstpointer data)
{
	(void)data;
	natter_session_set_timeouts(f->session, 1, 2);
	idle_against(f, "[limits]\nping_interval=2\nping_timeout=2\n", 15);
}

/* The real defaults of both sides (client: connect 10 s, keep-alive 20 s;
 * natterd: ping_interval 90, ping_timeout 60): 65 s quiet is past three
 * times the client's and past the old 10 s drop. */
static void test_idle_defaults(Fixture *f, gconstpointer data)
{
	(void)data;
	g_assert_cmpuint(NATTER_SESSION_CONNECT_TIMEOUT_S * 3, <, 65);
	g_assert_cmpuint(NATTER_SESSION_KEEPALIVE_S * 3, <, 65);
	idle_against(f, NULL, 65);
}

/* The client pings a quiet server; a server that answers keeps it. */
static void test_ping_answered(Fixture *f, gconstpointer data)
{
	(void)data;
	FakeServer *fs = fake_server_new(FAKE_IRC, NULL);
	fs->answer_ping = TRUE;
	natter_session_set_timeouts(f->session, 1, 1);
	connect_to(f, fs->port, "alice", FALSE);
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end)
		test_pump(20);
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_CONNECTED);
	g_assert_cmpuint(f->state_changes, ==, 0);
	g_assert_cmpuint(fake_server_count(fs, "PING "), >=, 2);
	g_assert_cmpuint(fs->accepted, ==, 1);
	fake_server_free(fs);
}

/* A server that goes quiet and does not answer PING is given up after the
 * second silence, and the session goes to reconnecting with a clear reason. */
static void test_ping_unanswered(Fixture *f, gconstpointer data)
{
	(void)data;
	FakeServer *fs = fake_server_new(FAKE_IRC, NULL);
	natter_session_set_timeouts(f->session, 1, 1);
	connect_to(f, fs->port, "alice", FALSE);
	gint64 start = g_get_monotonic_time();
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_RECONNECT_WAIT);
	gint64 took = g_get_monotonic_time() - start;
	g_assert_cmpint(took, >=, 2 * G_USEC_PER_SEC - 200000); /* a PING, then a second silence */
	g_assert_cmpuint(fake_server_count(fs, "PING "), ==, 1);
	g_assert_nonnull(strstr(natter_session_get_disconnect_reason(f->session), "did not answer"));
	fake_server_free(fs);
}

/* ERROR from the server closes the connection at once. */
static void test_error_closes(Fixture *f, gconstpointer data)
{
	(void)data;
	FakeServer *fs = fake_server_new(FAKE_IRC, NULL);
	connect_to(f, fs->port, "alice", FALSE);
	fake_server_send(fs, "ERROR :Closing Link: alice (Killed by an operator)");
	TEST_WAIT(natter_session_get_state(f->session) == NATTER_SESSION_RECONNECT_WAIT);
	g_assert_nonnull(strstr(natter_session_get_disconnect_reason(f->session), "Killed by an operator"));
	fake_server_free(fs);
}

/* A port that speaks HTTP is "not a chat server", at once. */
static void test_not_irc(Fixture *f, gconstpointer data)
{
	(void)data;
	FakeServer *fs = fake_server_new(FAKE_GREETING,
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>nope</html>\r\n");
	g_assert_true(natter_session_connect(f->session, "127.0.0.1", fs->port, "alice", NULL));
	TEST_WAIT(f->failed != NULL);
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_NOT_IRC);
	g_assert_nonnull(strstr(f->failed->message, "not a chat server"));
	g_assert_nonnull(strstr(f->failed->message, "HTTP/1.1 400"));
	g_assert_cmpint(natter_session_get_state(f->session), ==, NATTER_SESSION_DISCONNECTED);
	fake_server_free(fs);
}

/* A port that accepts and says nothing: "no answer within N s". */
static void test_silent_port(Fixture *f, gconstpointer data)
{
	(void)data;
	FakeServer *fs = fake_server_new(FAKE_SILENT, NULL);
	natter_session_set_timeouts(f->session, 1, 0);
	gint64 start = g_get_monotonic_time();
	g_assert_true(natter_session_connect(f->session, "127.0.0.1", fs->port, "alice", NULL));
	TEST_WAIT(f->failed != NULL);
	g_assert_cmpint(g_get_monotonic_time() - start, >=, G_USEC_PER_SEC - 100000);
	g_assert_error(f->failed, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_TIMEOUT);
	g_assert_nonnull(strstr(f->failed->message, "sent nothing within 1 second."));
	/* it did try: the registration lines reached the port */
	g_assert_cmpuint(fake_server_count(fs, "NICK alice"), ==, 1);
	fake_server_free(fs);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/keepalive/ping-answered", test_ping_answered);
	ADD("/keepalive/ping-unanswered", test_ping_unanswered);
	ADD("/keepalive/error-closes", test_error_closes);
	ADD("/keepalive/idle-short", test_idle_short);
	ADD("/connect/not-irc", test_not_irc);
	ADD("/connect/silent-port", test_silent_port);
	/* 65 s: meson runs it as its own test (client-idle-defaults), in parallel. */
	ADD("/keepalive/idle-defaults", test_idle_defaults);
	return g_test_run();
}
