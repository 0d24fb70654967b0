/* natterd-harness.h - for the client tests: start the real natterd on a free
 * loopback port, stop and restart it, and talk to it as a raw IRC client
 * while the GLib main loop keeps running (so a NatterSession in the same
 * process makes progress). */
#ifndef NATTER_TEST_HARNESS_H
#define NATTER_TEST_HARNESS_H

#include <gio/gio.h>

typedef struct {
	GSubprocess *proc;
	guint16 port;
	char *dir;  /* data dir and logs */
	int starts; /* how many times it was started */
	char *config; /* its --config file, or NULL */
	gboolean tls; /* listens with TLS only (test_server_start_tls) */
	char *fingerprint; /* TLS: its certificate's SHA-256, as natterd logs it */
} TestServer;

/* Starts $NATTERD (port 0 = a free one) and waits for "listening on". */
TestServer *test_server_start(void);
/* The same with a config file holding @config_text (e.g. "[limits]\nping_interval=2\n"). */
TestServer *test_server_start_with_config(const char *config_text);
/* The same listening with TLS only (its certificate made on first start,
 * in the data dir @dir/data); @config_text may be NULL. */
TestServer *test_server_start_tls(const char *config_text);
/* Starts it again on the same port after test_server_stop(). */
void test_server_restart(TestServer *server);
/* SIGTERM and wait; asserts a clean exit. */
void test_server_stop(TestServer *server);
void test_server_free(TestServer *server);

typedef struct {
	GSocketConnection *conn;
	GString *buf;  /* received, not yet consumed */
	char *nick;
} RawClient;

/* Connects and registers @nick (waits for 001). */
RawClient *raw_connect(guint16 port, const char *nick);
void raw_send(RawClient *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Waits up to 10 s for a line containing @needle; returns it (g_free),
 * consuming every line up to it. Fails the test on timeout. */
char *raw_expect(RawClient *c, const char *needle);
/* Like raw_expect but returns NULL after @ms without failing. */
char *raw_expect_within(RawClient *c, const char *needle, guint ms);
void raw_close(RawClient *c);

/* Runs the main loop (and the raw clients) until @cond(@data) or 10 s. */
gboolean test_wait_until(gboolean (*cond)(gpointer data), gpointer data, guint ms);
#define TEST_WAIT(expr) \
	G_STMT_START { \
		gint64 end_ = g_get_monotonic_time() + 10 * G_USEC_PER_SEC; \
		while (!(expr)) { \
			if (g_get_monotonic_time() > end_) \
				g_error("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #expr); \
			test_pump(5); \
		} \
	} G_STMT_END

/* One turn: main-loop iterations and raw-client reads, sleeping up to @ms. */
void test_pump(guint ms);

#endif
