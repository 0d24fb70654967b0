/* natter-connection.h - one transport connection to an IRC server: connect,
 * read lines, queue lines out, and judge liveness. No IRC state, no GTK.
 *
 * One object per attempt: after "lost" (or natter_connection_close()) it
 * never calls back again, so a late callback can never touch a newer
 * connection. The session (natter-session.c) makes a new one to reconnect.
 *
 * Timeouts: @connect_timeout bounds the TCP connect and the wait for the
 * server's first line; registration must finish within three times it.
 * Established connections have NO read or write timeout. After
 * natter_connection_set_registered() a keep-alive runs: after @keepalive
 * seconds without a byte from the server it sends "PING natter-keepalive",
 * and after a second @keepalive seconds without one it reports the
 * connection lost.
 *
 * TLS seam: a wrap function set with natter_connection_set_wrap() gets the
 * connected plain GIOStream and returns the stream to talk over (e.g. a
 * GTlsClientConnection); reading and writing only ever use that stream. */
#ifndef NATTER_CONNECTION_H
#define NATTER_CONNECTION_H

#include <gio/gio.h>

G_BEGIN_DECLS

#define NATTER_TYPE_CONNECTION (natter_connection_get_type())
G_DECLARE_FINAL_TYPE(NatterConnection, natter_connection, NATTER, CONNECTION, GObject)

typedef struct {
	/* TCP (and wrap) done; the session sends CAP/NICK/USER now. */
	void (*connected)(gpointer data);
	/* One line from the server: no CR/LF/NUL, valid UTF-8. The callee may
	 * close the connection; no further line is delivered then. */
	void (*line)(char *line, gpointer data);
	/* The connection failed or ended; @error is in NATTER_SESSION_ERROR
	 * (REFUSED, TIMEOUT, RESOLVE, NOT_IRC, CLOSED, FAILED) with a message a
	 * person can read. Nothing is called after this. */
	void (*lost)(const GError *error, gpointer data);
} NatterConnectionCallbacks;

/* Wraps the connected stream (TLS later); returns a new reference or NULL
 * with @error. */
typedef GIOStream *(*NatterConnectionWrapFunc)(GIOStream *plain, const char *host,
						GError **error, gpointer data);

NatterConnection *natter_connection_new(const char *host, guint16 port, guint connect_timeout,
					guint keepalive, const NatterConnectionCallbacks *callbacks,
					gpointer data);
void natter_connection_set_wrap(NatterConnection *self, NatterConnectionWrapFunc wrap,
				gpointer data);
/* Starts connecting (asynchronously, in the thread-default main context). */
void natter_connection_start(NatterConnection *self);
/* Registration finished: the registration timeout ends, the keep-alive starts. */
void natter_connection_set_registered(NatterConnection *self);
/* Queues one line (CRLF is added). It must hold no CR, LF or NUL and fit
 * 512 bytes with CRLF; FALSE (and nothing sent) otherwise. */
gboolean natter_connection_send(NatterConnection *self, const char *line);
/* Best effort, now, without waiting for the queue (QUIT when leaving). */
void natter_connection_send_now(NatterConnection *self, const char *line);
/* Closes; no callback runs afterwards. */
void natter_connection_close(NatterConnection *self);
gboolean natter_connection_is_open(NatterConnection *self);

/* Whether a first line looks like IRC: [@tags] [:source] COMMAND, where the
 * command is letters, or three digits after a source. "HTTP/1.1 400 ...",
 * "SSH-2.0-..." or SMTP's "220 ..." is not. */
gboolean natter_connection_line_is_irc(const char *line);

/* Reconnecting with exponential backoff: base, 2 base, 4 base, ... capped
 * at @max seconds, counted down a second at a time (for a banner). The
 * session keeps one; natter_backoff_reset() after a successful sign-in. */
typedef struct {
	guint base;      /* the first delay, s */
	guint max;       /* the longest delay, s */
	guint attempt;   /* delays handed out since the last reset */
	guint remaining; /* s until the next try while waiting; 0 otherwise */
	guint timer_id;
	void (*tick)(gpointer data); /* each second while waiting ("remaining" changed) */
	void (*due)(gpointer data);  /* time to try again */
	gpointer data;
} NatterBackoff;

/* The delay before try @attempt (0 = the first retry). */
guint natter_backoff_delay(guint base, guint max, guint attempt);
/* Starts waiting for the next try; returns the delay in seconds. */
guint natter_backoff_start(NatterBackoff *backoff);
/* Stops waiting (remaining becomes 0); the attempt count stays. */
void natter_backoff_cancel(NatterBackoff *backoff);
/* Cancels and starts the count again from @base. */
void natter_backoff_reset(NatterBackoff *backoff);

G_END_DECLS

#endif
