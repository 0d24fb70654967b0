/* natter-connection.c - the transport under a session (see natter-connection.h).
 *
 * Reading: g_input_stream_read_async() into @inbuf, split into lines. Writing:
 * lines queue in @outq and go out with one write_all_async at a time. Every
 * async operation holds a reference and checks @closed when it finishes. */
#define G_LOG_DOMAIN "natter"

#include "natter-connection.h"

#include <string.h>

#include "irc_message.h"
#include "natter-session.h" /* the error domain */

/* A line longer than this (tags included) is dropped as garbage. */
#define MAX_INPUT_LINE (IRC_LINE_MAX + IRC_TAGS_MAX + 2)
#define READ_CHUNK 4096

struct _NatterConnection {
	GObject parent_instance;

	char *host;
	guint16 port;
	guint connect_timeout;
	guint keepalive;
	NatterConnectionCallbacks cb;
	gpointer cb_data;
	NatterConnectionWrapFunc wrap;
	gpointer wrap_data;

	GSocketClient *client;
	GSocketConnection *socket_conn;
	GIOStream *stream; /* what we talk over: the socket, or its wrapper */
	GCancellable *cancel;
	gboolean started;
	gboolean closed;
	gboolean registered;
	gboolean seen_line; /* the first line was checked */

	GByteArray *inbuf;
	gboolean discarding; /* inside an over-long line */
	guint8 readbuf[READ_CHUNK];
	GString *outq;
	GBytes *writing; /* the copy being written, or NULL */

	gint64 connected_at; /* monotonic µs */
	gint64 last_rx;      /* the last byte from the server; 0: none yet */
	gint64 ping_sent_at; /* our keep-alive PING is unanswered since; 0: none */
	guint timer_id;
};

G_DEFINE_FINAL_TYPE(NatterConnection, natter_connection, G_TYPE_OBJECT)

static void start_read(NatterConnection *self);

static const char *plural(guint n)
{
	return n == 1 ? "" : "s";
}

static void lose(NatterConnection *self, NatterSessionError code, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

/* Ends the connection and reports it, once. */
static void lose(NatterConnection *self, NatterSessionError code, const char *fmt, ...)
{
	va_list ap;

	if (self->closed)
		return;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_debug("connection lost: %s", text);
	g_autoptr(NatterConnection) keep = g_object_ref(self);
	natter_connection_close(self);
	g_autoptr(GError) error = g_error_new_literal(NATTER_SESSION_ERROR, (gint)code, text);
	if (self->cb.lost != NULL)
		self->cb.lost(error, self->cb_data);
}

/* ---------------------------------------------------------------- liveness */

/* Runs at the next moment something could be due and decides from the
 * timestamps, so traffic costs no timer work at all. */
static gboolean on_timer(gpointer data)
{
	NatterConnection *self = data;
	gint64 now = g_get_monotonic_time();
	gint64 period = (gint64)self->keepalive * G_USEC_PER_SEC;
	gint64 first = self->connected_at + (gint64)self->connect_timeout * G_USEC_PER_SEC;
	gint64 due;

	self->timer_id = 0;
	if (!self->registered) {
		if (self->last_rx == 0 && now >= first) {
			lose(self, NATTER_SESSION_ERROR_TIMEOUT,
			     "The server at %s port %u accepted the connection but sent nothing within %u second%s. Is it a chat server?",
			     self->host, self->port, self->connect_timeout, plural(self->connect_timeout));
			return G_SOURCE_REMOVE;
		}
		gint64 deadline = self->connected_at + 3 * (gint64)self->connect_timeout * G_USEC_PER_SEC;
		if (now >= deadline) {
			lose(self, NATTER_SESSION_ERROR_TIMEOUT,
			     "The server at %s port %u did not finish signing in within %u seconds.",
			     self->host, self->port, 3 * self->connect_timeout);
			return G_SOURCE_REMOVE;
		}
		due = self->last_rx == 0 ? first : deadline;
	} else if (self->ping_sent_at == 0) {
		due = self->last_rx + period;
		if (now >= due) {
			natter_connection_send(self, "PING natter-keepalive");
			self->ping_sent_at = now;
			due = now + period;
		}
	} else {
		due = self->ping_sent_at + period;
		if (now >= due) {
			lose(self, NATTER_SESSION_ERROR_TIMEOUT,
			     "The server did not answer for %u seconds", 2 * self->keepalive);
			return G_SOURCE_REMOVE;
		}
	}
	self->timer_id = g_timeout_add((guint)MAX((due - now + 999) / 1000, 1), on_timer, self);
	return G_SOURCE_REMOVE;
}

static void rearm_timer(NatterConnection *self)
{
	g_clear_handle_id(&self->timer_id, g_source_remove);
	self->timer_id = g_idle_add(on_timer, self);
}

void natter_connection_set_registered(NatterConnection *self)
{
	if (self->closed || self->registered)
		return;
	self->registered = TRUE;
	rearm_timer(self);
}

/* ---------------------------------------------------------------- writing */

static void kick_write(NatterConnection *self);

static void on_written(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(NatterConnection) self = data;
	gsize written = 0;
	g_autoptr(GError) error = NULL;
	gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result,
						       &written, &error);

	g_clear_pointer(&self->writing, g_bytes_unref);
	if (self->closed)
		return;
	if (!ok) {
		lose(self, NATTER_SESSION_ERROR_CLOSED, "%s", error->message);
		return;
	}
	g_string_erase(self->outq, 0, (gssize)written);
	kick_write(self); /* more may have been queued meanwhile */
}

static void kick_write(NatterConnection *self)
{
	if (self->writing != NULL || self->stream == NULL || self->closed || self->outq->len == 0)
		return;
	/* The queue may grow while this write is in flight: write a copy. */
	self->writing = g_bytes_new(self->outq->str, self->outq->len);
	gsize len = 0;
	gconstpointer bytes = g_bytes_get_data(self->writing, &len);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(self->stream), bytes, len,
					G_PRIORITY_DEFAULT, self->cancel, on_written,
					g_object_ref(self));
}

gboolean natter_connection_send(NatterConnection *self, const char *line)
{
	gsize len = strlen(line);

	g_return_val_if_fail(strpbrk(line, "\r\n") == NULL, FALSE);
	if (len + 2 > IRC_LINE_MAX) {
		g_warning("dropping an over-long line (%zu bytes)", len);
		return FALSE;
	}
	if (self->closed || self->stream == NULL)
		return FALSE;
	/* Secrets never reach the debug log. */
	if (g_str_has_prefix(line, "AUTHENTICATE ") || g_str_has_prefix(line, "REGISTER ") ||
	    g_str_has_prefix(line, "PASS "))
		g_debug(">> %.*s <hidden>", (int)strcspn(line, " "), line);
	else
		g_debug(">> %s", line);
	g_string_append_len(self->outq, line, (gssize)len);
	g_string_append(self->outq, "\r\n");
	kick_write(self);
	return TRUE;
}

void natter_connection_send_now(NatterConnection *self, const char *line)
{
	if (self->closed || self->socket_conn == NULL || self->writing != NULL)
		return;
	if (self->stream != G_IO_STREAM(self->socket_conn))
		return; /* a wrapped stream cannot be bypassed */
	g_autofree char *wire = g_strconcat(line, "\r\n", NULL);
	GSocket *sock = g_socket_connection_get_socket(self->socket_conn);
	g_socket_set_blocking(sock, FALSE);
	g_socket_send(sock, wire, strlen(wire), NULL, NULL);
}

/* ---------------------------------------------------------------- reading */

gboolean natter_connection_line_is_irc(const char *line)
{
	const char *p = line;

	if (*p == '@') { /* tags */
		p = strchr(p, ' ');
		if (p == NULL)
			return FALSE;
		while (*p == ' ')
			p++;
	}
	gboolean sourced = *p == ':';
	if (sourced) {
		p = strchr(p, ' ');
		if (p == NULL)
			return FALSE;
		while (*p == ' ')
			p++;
	}
	gsize n = strcspn(p, " ");
	if (n == 0)
		return FALSE;
	/* numerics only come from a server that names itself ("220 ..." is SMTP) */
	if (n == 3 && g_ascii_isdigit(p[0]) && g_ascii_isdigit(p[1]) && g_ascii_isdigit(p[2]))
		return sourced;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalpha(p[i]))
			return FALSE;
	return TRUE;
}

static void deliver(NatterConnection *self, char *line)
{
	if (!self->seen_line) {
		self->seen_line = TRUE;
		if (!natter_connection_line_is_irc(line)) {
			g_autofree char *shown = g_utf8_substring(line, 0, MIN(g_utf8_strlen(line, -1), 60));
			lose(self, NATTER_SESSION_ERROR_NOT_IRC,
			     "%s port %u is not a chat server: it answered “%s”.", self->host,
			     self->port, shown);
			return;
		}
	}
	g_debug("<< %s", line);
	if (self->cb.line != NULL)
		self->cb.line(line, self->cb_data);
}

static void process_input(NatterConnection *self)
{
	gsize start = 0;

	for (;;) {
		guint8 *data = self->inbuf->data + start;
		gsize avail = self->inbuf->len - start;
		guint8 *nl = memchr(data, '\n', avail);
		if (nl == NULL)
			break;
		gsize len = (gsize)(nl - data);
		start += len + 1;
		if (self->discarding) {
			self->discarding = FALSE;
			continue;
		}
		if (len > 0 && data[len - 1] == '\r')
			len--;
		/* NUL cannot be part of a line; make the text valid UTF-8. */
		g_autofree char *line = g_utf8_make_valid((const char *)data,
							  (gssize)strnlen((const char *)data, len));
		deliver(self, line);
		if (self->closed)
			return; /* a handler closed the connection */
	}
	g_byte_array_remove_range(self->inbuf, 0, (guint)start);
	if (self->inbuf->len > MAX_INPUT_LINE) {
		if (!self->seen_line) {
			lose(self, NATTER_SESSION_ERROR_NOT_IRC,
			     "%s port %u is not a chat server: it sent %u bytes without a line break.",
			     self->host, self->port, self->inbuf->len);
			return;
		}
		g_warning("dropping an over-long line from the server");
		g_byte_array_set_size(self->inbuf, 0);
		self->discarding = TRUE;
	}
}

static void on_read(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(NatterConnection) self = data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);

	if (self->closed)
		return;
	if (n < 0) {
		lose(self, NATTER_SESSION_ERROR_CLOSED, "%s", error->message);
	} else if (n == 0) {
		lose(self, NATTER_SESSION_ERROR_CLOSED, "The server closed the connection");
	} else {
		/* Any byte shows the server is alive: the keep-alive starts over. */
		self->last_rx = g_get_monotonic_time();
		self->ping_sent_at = 0;
		g_byte_array_append(self->inbuf, self->readbuf, (guint)n);
		process_input(self);
		if (!self->closed)
			start_read(self);
	}
}

static void start_read(NatterConnection *self)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(self->stream), self->readbuf,
				  sizeof(self->readbuf), G_PRIORITY_DEFAULT, self->cancel, on_read,
				  g_object_ref(self));
}

/* ---------------------------------------------------------------- connecting */

static void on_connected(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(NatterConnection) self = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn =
		g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, &error);

	if (self->closed)
		return;
	if (conn == NULL) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
			lose(self, NATTER_SESSION_ERROR_REFUSED,
			     "Could not connect to %s port %u: no chat server is running there (connection refused).",
			     self->host, self->port);
		else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
			lose(self, NATTER_SESSION_ERROR_TIMEOUT,
			     "Could not connect to %s port %u: no answer within %u second%s.",
			     self->host, self->port, self->connect_timeout, plural(self->connect_timeout));
		else if (error->domain == G_RESOLVER_ERROR)
			lose(self, NATTER_SESSION_ERROR_RESOLVE,
			     "The server name “%s” could not be found.", self->host);
		else
			lose(self, NATTER_SESSION_ERROR_FAILED, "Could not connect to %s port %u: %s",
			     self->host, self->port, error->message);
		return;
	}

	GSocket *sock = g_socket_connection_get_socket(conn);
	/* GSocketClient gives the socket its connect timeout, and a GSocket
	 * applies its timeout to every later read and write: a quiet room then
	 * "timed out" every 10 s (issue 7). Liveness is the keep-alive's job. */
	g_socket_set_timeout(sock, 0);
	g_socket_set_keepalive(sock, TRUE);
	self->socket_conn = g_steal_pointer(&conn);
	if (self->wrap != NULL) {
		self->stream = self->wrap(G_IO_STREAM(self->socket_conn), self->host, &error,
					  self->wrap_data);
		if (self->stream == NULL) {
			lose(self, NATTER_SESSION_ERROR_FAILED, "Could not set up the connection to %s: %s",
			     self->host, error->message);
			return;
		}
	} else {
		self->stream = g_object_ref(G_IO_STREAM(self->socket_conn));
	}
	self->connected_at = g_get_monotonic_time();
	rearm_timer(self);
	start_read(self);
	if (self->cb.connected != NULL)
		self->cb.connected(self->cb_data);
}

void natter_connection_start(NatterConnection *self)
{
	g_return_if_fail(!self->started);
	self->started = TRUE;
	g_socket_client_connect_to_host_async(self->client, self->host, self->port, self->cancel,
					      on_connected, g_object_ref(self));
}

void natter_connection_close(NatterConnection *self)
{
	if (self->closed)
		return;
	self->closed = TRUE;
	g_cancellable_cancel(self->cancel);
	g_clear_handle_id(&self->timer_id, g_source_remove);
	if (self->socket_conn != NULL)
		g_socket_close(g_socket_connection_get_socket(self->socket_conn), NULL);
}

gboolean natter_connection_is_open(NatterConnection *self)
{
	return self->stream != NULL && !self->closed;
}

void natter_connection_set_wrap(NatterConnection *self, NatterConnectionWrapFunc wrap,
				gpointer data)
{
	self->wrap = wrap;
	self->wrap_data = data;
}

/* ---------------------------------------------------------------- backoff */

guint natter_backoff_delay(guint base, guint max, guint attempt)
{
	guint delay = MAX(base, 1u);

	for (guint i = 0; i < attempt && delay < max; i++)
		delay *= 2;
	return MIN(delay, max);
}

static gboolean on_backoff_tick(gpointer data)
{
	NatterBackoff *b = data;

	if (b->remaining > 0)
		b->remaining--;
	if (b->remaining > 0) {
		if (b->tick != NULL)
			b->tick(b->data);
		return G_SOURCE_CONTINUE;
	}
	b->timer_id = 0;
	if (b->tick != NULL)
		b->tick(b->data);
	if (b->due != NULL)
		b->due(b->data);
	return G_SOURCE_REMOVE;
}

guint natter_backoff_start(NatterBackoff *b)
{
	guint delay = natter_backoff_delay(b->base, b->max, b->attempt);

	b->attempt++;
	b->remaining = delay;
	g_clear_handle_id(&b->timer_id, g_source_remove);
	b->timer_id = g_timeout_add_seconds(1, on_backoff_tick, b);
	return delay;
}

void natter_backoff_cancel(NatterBackoff *b)
{
	g_clear_handle_id(&b->timer_id, g_source_remove);
	b->remaining = 0;
}

void natter_backoff_reset(NatterBackoff *b)
{
	natter_backoff_cancel(b);
	b->attempt = 0;
}

/* ---------------------------------------------------------------- GObject */

static void natter_connection_dispose(GObject *object)
{
	NatterConnection *self = NATTER_CONNECTION(object);

	natter_connection_close(self);
	g_clear_object(&self->stream);
	g_clear_object(&self->socket_conn);
	g_clear_object(&self->client);
	g_clear_object(&self->cancel);
	G_OBJECT_CLASS(natter_connection_parent_class)->dispose(object);
}

static void natter_connection_finalize(GObject *object)
{
	NatterConnection *self = NATTER_CONNECTION(object);

	g_byte_array_unref(self->inbuf);
	g_string_free(self->outq, TRUE);
	g_clear_pointer(&self->writing, g_bytes_unref);
	g_free(self->host);
	G_OBJECT_CLASS(natter_connection_parent_class)->finalize(object);
}

static void natter_connection_class_init(NatterConnectionClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = natter_connection_dispose;
	G_OBJECT_CLASS(klass)->finalize = natter_connection_finalize;
}

static void natter_connection_init(NatterConnection *self)
{
	self->inbuf = g_byte_array_new();
	self->outq = g_string_new(NULL);
	self->cancel = g_cancellable_new();
}

NatterConnection *natter_connection_new(const char *host, guint16 port, guint connect_timeout,
					guint keepalive, const NatterConnectionCallbacks *callbacks,
					gpointer data)
{
	NatterConnection *self = g_object_new(NATTER_TYPE_CONNECTION, NULL);

	self->host = g_strdup(host);
	self->port = port;
	self->connect_timeout = MAX(connect_timeout, 1u);
	self->keepalive = MAX(keepalive, 1u);
	self->cb = *callbacks;
	self->cb_data = data;
	self->client = g_socket_client_new();
	g_socket_client_set_timeout(self->client, self->connect_timeout);
	return self;
}
