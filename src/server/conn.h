/* conn.h - one client connection: its socket, bounded input and output
 * buffers, flood state and liveness timers. The IRC identity (nick, modes)
 * lives apart in struct client, so a client need not have a local socket. */
#ifndef NATTERD_CONN_H
#define NATTERD_CONN_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bytebuf.h"
#include "close_reason.h"
#include "transport.h"

struct client;

/* While its client waits for async work (async.h), a connection's input is
 * held, and read only until this many bytes wait in its input buffer. */
#define CONN_HOLD_MAX 16384

/* Idle clients are most of a server's connections: keep this small (see
 * "Idle memory" in bench/README.md). Pointers first, then 64-bit, then the
 * small fields, so there are no holes; what only some connections need
 * lives behind a pointer that is NULL otherwise. */
struct conn {
	int fd;
	short io_events;             /* EV_READ/EV_WRITE the connection wants */
	short sock_events;           /* what the event waits for (tp->events) */
	const struct transport_ops *tp; /* plain socket, TLS, ... (transport.h) */
	void *tp_state;              /* the transport's own state; NULL for plain */
	struct event io_ev;          /* one event for both directions */
	struct event *timer_ev;      /* flood hold or linger; only when needed */
	struct bytebuf in;           /* unprocessed input (partial or held lines) */
	struct bytebuf out;          /* queued output, written once per turn */
	struct client *client;
	/* Both strings are the keys of server.per_address, which counts
	 * connections per address and per block: shared by every connection
	 * from there, alive while one is (conn.c). */
	const char *addr;            /* numeric peer address */
	const char *block;           /* its network block ("10.1.2.0/24"), for limits */
	struct conn *prev, *next;    /* server.conns */
	struct conn *dirty_next;     /* server.dirty */
	struct conn *dying_next;     /* server.dying */
	struct conn_unreg *unreg;    /* while unregistered: its list links (conn.c) */
	struct conn *held_next;      /* server.held */
	char *close_reason;          /* the text, from close_why and a detail */
	uint64_t hold_seq;           /* output waits until history commits this */
	int64_t flood_stamp;         /* when tokens were last refilled (us) */
	union {
		int64_t last_input;  /* monotonic us of last complete line */
		int64_t linger_until; /* once lingering (no more input): last
				       * chance for the ERROR line */
	};
	int64_t connected_at;
	uint32_t out_queued;         /* bytes ever queued (wraps), to charge replies */
	unsigned turn;               /* the loop turn the two below count */
	unsigned turn_lines;         /* lines handled in that turn */
	uint32_t turn_bytes;         /* reply bytes queued to it in that turn */
	float flood_tokens;          /* lines that may be processed now */
	uint8_t close_why;           /* enum close_reason */
	bool dirty : 1, closing : 1, discarding : 1, ping_sent : 1;
	bool throttled : 1;          /* flood control holds input */
	bool lingering : 1;          /* closed; waiting to write its last lines */
	bool loopback : 1;           /* the peer is 127.0.0.0/8 or ::1 */
	bool held : 1;               /* on server.held, output waiting for a commit */
};

/* Takes ownership of an accepted socket, spoken to through transport @tp;
 * refuses it (with an ERROR line on a plain socket) when the server or the
 * address is at its connection limit. */
void conn_accept(int fd, const struct sockaddr *sa, socklen_t salen,
		 const struct transport_ops *tp);

/* True when the connection is encrypted (TLS). */
static inline bool conn_is_secure(const struct conn *conn)
{
	return conn->tp->secure;
}

/* True when the peer is on this machine (127.0.0.0/8, ::1). */
static inline bool conn_is_loopback(const struct conn *conn)
{
	return conn->loopback;
}

/* The SHA-256 fingerprint of the client's TLS certificate, 64 lowercase hex
 * digits, or NULL when it sent none (or the transport has none). */
const char *conn_certfp(struct conn *conn);

/* Queues bytes for the socket; they are written at the end of the loop turn.
 * A connection whose queue passes the send-queue limit is closed. */
void conn_send(struct conn *conn, const char *data, size_t len);

/* Uses @tokens more of the flood allowance (for costly commands such as
 * JOIN or LIST); the client's next lines wait until it is paid back. */
void conn_charge(struct conn *conn, double tokens);

/* Registration finished: the connection leaves the unregistered list
 * (whose oldest entry is evicted when unregistered slots run out). */
void conn_registered(struct conn *conn);

/* Bytes queued to all connections and not yet written (the total that
 * [limits] sendq_total caps). */
uint64_t conn_queued_total(void);

/* Connections that have not registered yet (for LUSERS 253). */
int conn_unregistered_count(void);

/* Takes the lines held while the client waited for async work (async.c
 * calls this when the client's last job is answered). */
void conn_resume(struct conn *conn);

/* Marks @conn for closing at the end of this turn for @why, with `ERROR
 * :text` (text from @why and @detail, see enum close_reason). Safe to call
 * from any handler: nothing is freed until the turn ends. */
void conn_close(struct conn *conn, enum close_reason why, const char *detail);

/* The end-of-turn pass: closes dying connections, writes pending output. */
void conn_flush_pass(void);

/* The history writer committed more: writes connections held for it. */
void conn_release_held(void);

/* Once a second: registration and PING timeouts, PINGs to quiet clients. */
void conn_tick(void);

/* Closes every connection for @why; slow ones linger a few seconds. */
void conn_close_all(enum close_reason why);

/* Frees every connection, lingering ones included (at exit). */
void conn_free_all(void);

#endif
