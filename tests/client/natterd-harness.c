/* natterd-harness.c - real natterd and raw clients for tests (see natterd-harness.h). */
#include "natterd-harness.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

static GPtrArray *raw_clients;

static const char *natterd_path(void)
{
	const char *path = g_getenv("NATTERD");
	if (path == NULL || *path == '\0')
		g_error("set NATTERD to the natterd binary (meson test does)");
	return path;
}

/* natterd goes when the test process goes, even when a test aborts. */
static void die_with_parent(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void spawn(TestServer *s)
{
	/* Its stdout is not ours: that is the TAP stream. */
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autofree char *log = g_strdup_printf("%s/natterd-%d.log", s->dir, ++s->starts);
	g_autofree char *listen = g_strdup_printf("%s127.0.0.1:%u", s->tls ? "tls:" : "", s->port);
	const char *listening = s->tls ? "listening with TLS on 127.0.0.1:" : "listening on 127.0.0.1:";
	g_autofree char *data = g_build_filename(s->dir, "data", NULL);
	g_autoptr(GError) error = NULL;

	g_mkdir_with_parents(data, 0700);
	g_subprocess_launcher_set_stderr_file_path(launcher, log);
	g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
	if (s->config != NULL)
		s->proc = g_subprocess_launcher_spawn(launcher, &error, natterd_path(), "--config",
						      s->config, "--listen", listen, "--data-dir",
						      data, NULL);
	else
		s->proc = g_subprocess_launcher_spawn(launcher, &error, natterd_path(), "--listen",
						      listen, "--data-dir", data, NULL);
	g_assert_no_error(error);

	/* Wait for "listening [with TLS] on 127.0.0.1:PORT" in its log (a
	 * first TLS start makes a certificate: allow for it). */
	gint64 end = g_get_monotonic_time() + (s->tls ? 20 : 10) * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		g_autofree char *text = NULL;
		if (g_file_get_contents(log, &text, NULL, NULL)) {
			const char *at = strstr(text, listening);
			if (at != NULL && strchr(at, '\n') != NULL) {
				s->port = (guint16)atoi(at + strlen(listening));
				g_assert_cmpuint(s->port, >, 0);
				if (s->tls) {
					const char *fp = strstr(text, "SHA-256 fingerprint ");
					g_assert_nonnull(fp);
					g_free(s->fingerprint);
					s->fingerprint = g_strndup(fp + strlen("SHA-256 fingerprint "), 95);
				}
				return;
			}
		}
		if (g_subprocess_get_identifier(s->proc) == NULL)
			g_error("natterd exited early; see %s", log);
		g_usleep(10 * 1000);
	}
	g_error("natterd did not say it is listening; see %s", log);
}

static TestServer *start(const char *config_text, gboolean tls)
{
	TestServer *s = g_new0(TestServer, 1);
	g_autoptr(GError) error = NULL;

	s->tls = tls;
	s->dir = g_dir_make_tmp("natter-test-XXXXXX", &error);
	g_assert_no_error(error);
	if (config_text != NULL) {
		s->config = g_build_filename(s->dir, "natterd.conf", NULL);
		g_file_set_contents(s->config, config_text, -1, &error);
		g_assert_no_error(error);
	}
	spawn(s);
	return s;
}

TestServer *test_server_start_with_config(const char *config_text)
{
	return start(config_text, FALSE);
}

TestServer *test_server_start_tls(const char *config_text)
{
	return start(config_text, TRUE);
}

TestServer *test_server_start(void)
{
	return start(NULL, FALSE);
}

void test_server_restart(TestServer *s)
{
	g_assert_null(s->proc);
	spawn(s);
}

void test_server_stop(TestServer *s)
{
	g_autoptr(GError) error = NULL;

	if (s->proc == NULL)
		return;
	g_subprocess_send_signal(s->proc, SIGTERM);
	g_subprocess_wait(s->proc, NULL, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_if_exited(s->proc) || g_subprocess_get_exit_status(s->proc) != 0)
		g_test_message("natterd did not exit 0 on SIGTERM");
	g_clear_object(&s->proc);
}

void test_server_free(TestServer *s)
{
	test_server_stop(s);
	if (g_getenv("NATTER_KEEP_TEST_DIR") == NULL) {
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", s->dir);
		g_assert_cmpint(system(cmd), ==, 0);
	}
	g_free(s->dir);
	g_free(s->config);
	g_free(s->fingerprint);
	g_free(s);
}

/* ---------------------------------------------------------------- raw clients */

static void raw_read(RawClient *c)
{
	GSocket *sock = g_socket_connection_get_socket(c->conn);
	char buf[4096];

	while (g_socket_condition_check(sock, G_IO_IN) != 0) {
		gssize n = g_socket_receive(sock, buf, sizeof(buf), NULL, NULL);
		if (n <= 0)
			return;
		g_string_append_len(c->buf, buf, n);
	}
}

void test_pump(guint ms)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
	for (guint i = 0; raw_clients != NULL && i < raw_clients->len; i++)
		raw_read(g_ptr_array_index(raw_clients, i));
	g_usleep(ms * 1000);
}

gboolean test_wait_until(gboolean (*cond)(gpointer data), gpointer data, guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (!cond(data)) {
		if (g_get_monotonic_time() > end)
			return FALSE;
		test_pump(5);
	}
	return TRUE;
}

void raw_send(RawClient *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autofree char *wire = g_strconcat(line, "\r\n", NULL);
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c->conn));
	g_autoptr(GError) error = NULL;
	g_output_stream_write_all(out, wire, strlen(wire), NULL, NULL, &error);
	g_assert_no_error(error);
}

char *raw_expect_within(RawClient *c, const char *needle, guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		char *nl;
		while ((nl = strchr(c->buf->str, '\n')) != NULL) {
			gsize len = (gsize)(nl - c->buf->str);
			char *line = g_strndup(c->buf->str, len);
			g_string_erase(c->buf, 0, (gssize)len + 1);
			g_strchomp(line);
			if (g_str_has_prefix(line, "PING ")) {
				raw_send(c, "PONG %s", line + 5);
			} else if (strstr(line, needle) != NULL) {
				return line;
			}
			g_free(line);
		}
		if (g_get_monotonic_time() > end)
			return NULL;
		test_pump(2);
	}
}

char *raw_expect(RawClient *c, const char *needle)
{
	char *line = raw_expect_within(c, needle, 10000);
	if (line == NULL)
		g_error("raw client %s: timed out waiting for “%s”", c->nick, needle);
	return line;
}

RawClient *raw_connect(guint16 port, const char *nick)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	RawClient *c = g_new0(RawClient, 1);

	c->conn = g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL, &error);
	g_assert_no_error(error);
	c->buf = g_string_new(NULL);
	c->nick = g_strdup(nick);
	if (raw_clients == NULL)
		raw_clients = g_ptr_array_new();
	g_ptr_array_add(raw_clients, c);
	raw_send(c, "NICK %s", nick);
	raw_send(c, "USER %s 0 * :raw test client", nick);
	g_free(raw_expect(c, " 001 "));
	return c;
}

void raw_close(RawClient *c)
{
	g_ptr_array_remove(raw_clients, c);
	g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
	g_object_unref(c->conn);
	g_string_free(c->buf, TRUE);
	g_free(c->nick);
	g_free(c);
}
