/* fake-server.c - a scripted IRC-ish server for the client tests (see fake-server.h). */
#include "fake-server.h"

#include <string.h>

static void read_next(FakeServer *fs);

static void on_line(GObject *source, GAsyncResult *result, gpointer data)
{
	FakeServer *fs = data;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	char *line = g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(source), result,
							      &len, &error);

	if (line == NULL) /* closed, cancelled or garbage: stop reading this one */
		return;
	g_strchomp(line);
	g_ptr_array_add(fs->lines, line);
	if (fs->mode == FAKE_IRC) {
		if (g_str_has_prefix(line, "USER ")) {
			fake_server_send(fs, ":fake.example 001 alice :Welcome to the fake server");
		} else if (g_str_has_prefix(line, "PING ") && fs->answer_ping) {
			g_autofree char *pong = g_strdup_printf(":fake.example PONG fake.example %s",
								line + 5);
			fake_server_send(fs, pong);
		}
	}
	read_next(fs);
}

static void read_next(FakeServer *fs)
{
	g_data_input_stream_read_line_async(fs->in, G_PRIORITY_DEFAULT, fs->cancel, on_line, fs);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source,
			    gpointer data)
{
	FakeServer *fs = data;

	(void)service; (void)source;
	fs->accepted++;
	if (fs->cancel != NULL)
		g_cancellable_cancel(fs->cancel);
	g_clear_object(&fs->cancel);
	g_clear_object(&fs->in);
	g_clear_object(&fs->conn);
	fs->conn = g_object_ref(conn);
	fs->cancel = g_cancellable_new();
	fs->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	g_data_input_stream_set_newline_type(fs->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
	if (fs->mode == FAKE_GREETING && fs->greeting != NULL) {
		GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
		g_output_stream_write_all(out, fs->greeting, strlen(fs->greeting), NULL, NULL, NULL);
	}
	read_next(fs);
	return TRUE;
}

FakeServer *fake_server_new(FakeMode mode, const char *greeting)
{
	FakeServer *fs = g_new0(FakeServer, 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	fs->mode = mode;
	fs->greeting = g_strdup(greeting);
	fs->lines = g_ptr_array_new_with_free_func(g_free);
	fs->service = g_socket_service_new();
	g_socket_listener_add_address(G_SOCKET_LISTENER(fs->service), addr, G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
	g_assert_no_error(error);
	fs->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_signal_connect(fs->service, "incoming", G_CALLBACK(on_incoming), fs);
	g_socket_service_start(fs->service);
	return fs;
}

void fake_server_send(FakeServer *fs, const char *line)
{
	g_autofree char *wire = g_strconcat(line, "\r\n", NULL);

	g_assert_nonnull(fs->conn);
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(fs->conn));
	g_output_stream_write_all(out, wire, strlen(wire), NULL, NULL, NULL);
}

guint fake_server_count(FakeServer *fs, const char *prefix)
{
	guint n = 0;

	for (guint i = 0; i < fs->lines->len; i++)
		if (g_str_has_prefix(g_ptr_array_index(fs->lines, i), prefix))
			n++;
	return n;
}

void fake_server_free(FakeServer *fs)
{
	if (fs->cancel != NULL)
		g_cancellable_cancel(fs->cancel);
	g_clear_object(&fs->cancel);
	g_clear_object(&fs->in);
	if (fs->conn != NULL)
		g_io_stream_close(G_IO_STREAM(fs->conn), NULL, NULL);
	g_clear_object(&fs->conn);
	g_socket_service_stop(fs->service);
	g_socket_listener_close(G_SOCKET_LISTENER(fs->service));
	g_clear_object(&fs->service);
	g_ptr_array_unref(fs->lines);
	g_free(fs->greeting);
	g_free(fs);
}
