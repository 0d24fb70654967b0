/* fake-server.h - for the client tests: a scripted "server" on a free
 * loopback port, in the test's own GLib main loop, for behaviour the real
 * natterd does not show on purpose: a port that says nothing, one that speaks
 * HTTP, a server that stops answering PING, or one that sends ERROR. */
#ifndef NATTER_TEST_FAKE_SERVER_H
#define NATTER_TEST_FAKE_SERVER_H

#include <gio/gio.h>

typedef enum {
	FAKE_SILENT,   /* accepts, reads, never writes */
	FAKE_GREETING, /* writes @greeting on accept, then reads and says nothing */
	FAKE_IRC,      /* answers USER with 001 (and PING with PONG when @answer_ping) */
} FakeMode;

typedef struct {
	GSocketService *service;
	guint16 port;
	FakeMode mode;
	char *greeting;
	gboolean answer_ping;
	guint accepted;            /* connections accepted so far */
	GPtrArray *lines;          /* every line received, in order (char *) */
	GSocketConnection *conn;   /* the latest connection */
	GDataInputStream *in;
	GCancellable *cancel;
} FakeServer;

FakeServer *fake_server_new(FakeMode mode, const char *greeting);
/* Writes one line (CRLF added) to the latest connection. */
void fake_server_send(FakeServer *fs, const char *line);
/* Counts received lines starting with @prefix. */
guint fake_server_count(FakeServer *fs, const char *prefix);
void fake_server_free(FakeServer *fs);

#endif
