/* transport.h - how a connection moves its bytes: one small table of
 * functions per kind of socket (Redis's ConnectionType). transport_plain.c
 * is plain TCP ("socket"), tls.c is TLS; a WebSocket transport fits beside
 * them. conn.c calls only these functions, so nothing above it (commands,
 * channels, send.c) knows or cares which transport a client uses.
 *
 * Conventions: read and write return the byte count, 0 from read when the
 * peer closed, or -1 with errno set (EAGAIN: nothing can move now; wait for
 * the socket events that events() asks for). conn.c owns the socket (it
 * closes the fd) and the libevent event; a transport owns only its state in
 * conn->tp_state. */
#ifndef NATTERD_TRANSPORT_H
#define NATTERD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct conn;

struct transport_ops {
	const char *name; /* "socket", "tls": for logs */
	bool secure;      /* encrypted on the wire (WHOIS 671, +Z) */
	/* How many of the bytes offered to a write that stopped part-way the
	 * transport may have taken: the retry must offer them again (TLS: one
	 * record's plaintext). 0 when a write takes only what it reports. */
	size_t write_claim;
	/* Sets up the transport's state for a newly accepted socket. False
	 * when it cannot (the connection is then refused). May be NULL. */
	bool (*open)(struct conn *conn);
	ssize_t (*read)(struct conn *conn, char *buf, size_t len);
	ssize_t (*write)(struct conn *conn, const char *buf, size_t len);
	/* True when bytes are buffered inside the transport (decrypted, say)
	 * that a read returns although the socket will not become readable. */
	bool (*pending)(struct conn *conn);
	/* The socket events (EV_READ/EV_WRITE) to wait for so that what the
	 * connection wants to do (@want, the same flags) can go on: TLS may
	 * need the socket readable before a write can finish, and the reverse. */
	short (*events)(struct conn *conn, short want);
	/* The reverse mapping: given the socket events that fired, what the
	 * connection may now try (EV_READ: read; EV_WRITE: write). */
	short (*ready)(struct conn *conn, short fired);
	/* True once lines can flow (after a TLS handshake or a WebSocket
	 * upgrade); a connection that never got there is closed without an
	 * ERROR line, and its timeout says what stalled. */
	bool (*established)(struct conn *conn);
	/* A text for errno @err after a failed read or write (TLS keeps its own
	 * reason for EPROTO). */
	const char *(*strerror)(struct conn *conn, int err);
	/* The peer's certificate SHA-256 fingerprint as 64 lowercase hex
	 * digits, or NULL. May be NULL. */
	const char *(*peer_fingerprint)(struct conn *conn);
	/* Says goodbye without blocking (TLS close_notify), before close. May be NULL. */
	void (*shutdown)(struct conn *conn);
	/* Frees the transport's state (not the socket). May be NULL. */
	void (*free)(struct conn *conn);
};

/* Plain TCP: the default transport (transport_plain.c). */
extern const struct transport_ops transport_plain;

#endif
