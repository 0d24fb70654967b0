/* conn.c - connections: accept, reads split into lines, flood control,
 * batched writes once per loop turn, and closing.
 *
 * Memory: an idle connection holds no buffer memory at all. Input is read
 * into one shared buffer and handled in place; only a partial line (or lines
 * held back by flood control) is copied into the connection's own buffer.
 * Output is queued in a buffer that is freed once written; only a buffer
 * that grew big for a lagging reader waits for the once-a-second tick.
 *
 * Bytes move through the connection's transport (transport.h): plain TCP or
 * TLS. Only this file calls it; io_events is what the connection wants
 * (read, write), sock_events what the transport needs the socket to do. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "async.h"
#include "client.h"
#include "commands.h"
#include "connrate.h"
#include "irc_message.h"
#include "history.h"
#include "log.h"
#include "proto_limits.h"
#include "numerics.h"
#include "send.h"
#include "server.h"

/* A line without tags is at most 510 bytes before CRLF; tags add 8191. */
#define BODY_MAX (IRC_LINE_MAX - 2)
#define LINE_MAX_TOTAL (IRC_TAGS_MAX + BODY_MAX)
/* A client's own tags may use 4094 bytes (plus '@' and ' '); the rest of
 * the 8191 is kept for tags the server adds (IRCv3 message-tags). */
#define CLIENT_TAGS_MAX (4094 + 2)
#define READ_CHUNK 16384
/* Output queued within one turn past this is written at once. */
#define EARLY_WRITE 16384
/* How long a closed connection may take to receive its last lines, and
 * how often a lingering one is checked. */
#define LINGER_SECONDS 5
#define LINGER_POLL_MS 100

/* Flood cost of output: a command is charged one more flood token for each
 * this many bytes of reply it queues to its own sender, so NAMES of a
 * 5,000-member room costs in proportion to the lines it produces. */
#define COST_REPLY_BYTES 4096
/* The most work one client gets in one loop turn: lines handled, and bytes
 * of replies queued to it. Past either, its remaining input waits for the
 * next turn, so every other client is served in between. */
#define TURN_MAX_LINES 64
#define TURN_MAX_REPLY_BYTES (64 * 1024)

static uint64_t queued_total;  /* sum of every conn's out.len */
static int nclosing;           /* marked closing, not yet freed */
static int nunregistered;
static struct conn *unreg_head, *unreg_tail; /* oldest first */
static unsigned turn = 1;      /* loop turns, counted by the flush pass */

static void conn_io_cb(evutil_socket_t fd, short events, void *arg);

/* --- close reasons ------------------------------------------------------------ */

static const struct {
	const char *name;
	const char *format; /* one %s for the detail, or none */
} close_reasons[CLOSE_REASON_COUNT] = {
	[CLOSE_QUIT] = { "quit", "Quit: %s" },
	[CLOSE_EOF] = { "eof", "Connection closed" },
	[CLOSE_READ_ERROR] = { "read_error", "Read error: %s" },
	[CLOSE_WRITE_ERROR] = { "write_error", "Write error: %s" },
	[CLOSE_PING_TIMEOUT] = { "ping_timeout", "Ping timeout: %s" },
	[CLOSE_REG_TIMEOUT] = { "registration_timeout", "Registration timed out" },
	[CLOSE_HANDSHAKE_TIMEOUT] = { "handshake_timeout", "Handshake timed out" },
	[CLOSE_SENDQ] = { "sendq", "SendQ exceeded" },
	[CLOSE_KILLED] = { "killed", "Killed (%s)" },
	[CLOSE_EXCESS_FLOOD] = { "excess_flood", "Excess Flood" },
	[CLOSE_SHUTDOWN] = { "shutdown", "Server shutting down" },
	[CLOSE_EVICTED] = { "evicted", "%s" },
	[CLOSE_ERROR] = { "error", "%s" },
};

static uint64_t close_counts[CLOSE_REASON_COUNT];

const char *close_reason_name(enum close_reason why)
{
	return why < CLOSE_REASON_COUNT ? close_reasons[why].name : "?";
}

void close_reason_text(enum close_reason why, const char *detail, char *out, size_t len)
{
	const char *format = close_reasons[why].format;

	if (why == CLOSE_QUIT && (detail == NULL || detail[0] == '\0')) {
		g_strlcpy(out, "Quit", len);
		return;
	}
	if (strstr(format, "%s") == NULL) {
		g_strlcpy(out, format, len);
		return;
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(out, len, format, detail != NULL ? detail : "");
#pragma GCC diagnostic pop
}

uint64_t conn_close_count(enum close_reason why)
{
	return close_counts[why];
}
static void conn_free(struct conn *conn);
static void conn_free_gracefully(struct conn *conn);
static void flush_one(struct conn *conn);
static void process_input(struct conn *conn);
static void handle_read(struct conn *conn);

/* --- accepting --------------------------------------------------------------- */

static void format_address(const struct sockaddr *sa, char *out, size_t len)
{
	const void *raw = sa->sa_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, raw, out, (socklen_t)len) == NULL)
		g_strlcpy(out, "unknown", len);
}

/* Refuses a socket before any state exists for it. Only a plain socket is
 * told why: other transports would first need a handshake. Under a
 * reconnect storm this runs thousands of times a second, so it is kept to
 * one packet: the line is held (MSG_MORE) and leaves with the FIN that
 * shutdown() sends (8 segments per refusal on loopback, both sides, became
 * 6, and natterd's CPU per refusal fell by a sixth). shutdown() before
 * close() also sends the line when the peer's own lines are still unread,
 * where close() alone would reset the connection and drop it. */
static void refuse(int fd, const char *addr, const struct transport_ops *tp, const char *reason)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "ERROR :%s\r\n", reason);

	if (tp == &transport_plain) {
		if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE) < 0)
			log_debug("could not tell %s why it was refused: %s", addr, strerror(errno));
		shutdown(fd, SHUT_WR);
	}
	close(fd);
	log_info("refused %s: %s", addr, reason);
}

/* server.per_address counts connections per exact address and per network
 * block in one table (a block key ends in "/len", which no numeric address
 * does). The key is the text inside the value, and every connection from
 * there points at that text: no string per connection. */
struct addr_count {
	int n;
	char text[];
};

static int address_count(const char *addr)
{
	const struct addr_count *a = g_hash_table_lookup(server.per_address, addr);

	return a != NULL ? a->n : 0;
}

/* Counts one more connection from @addr; returns the table's copy of it,
 * which lives as long as one is counted. */
static const char *address_hold(const char *addr)
{
	struct addr_count *a = g_hash_table_lookup(server.per_address, addr);

	if (a == NULL) {
		size_t len = strlen(addr) + 1;
		a = g_malloc(sizeof(*a) + len);
		a->n = 0;
		memcpy(a->text, addr, len);
		g_hash_table_insert(server.per_address, a->text, a);
	}
	a->n++;
	return a->text;
}

/* Counts a connection from @addr (a string address_hold() returned) less;
 * the string is freed with the last one. */
static void address_release(const char *addr)
{
	struct addr_count *a = g_hash_table_lookup(server.per_address, addr);

	if (--a->n == 0)
		g_hash_table_remove(server.per_address, addr);
}

/* The network block of @sa as "addr/len": the /ipv4_block of an IPv4
 * address, the /ipv6_block of an IPv6 one. One person usually holds a whole
 * block (an IPv6 /64 above all), so limits per exact address are not enough. */
static void format_block(const struct sockaddr *sa, char *out, size_t len)
{
	unsigned char raw[16] = { 0 };
	char text[INET6_ADDRSTRLEN];
	int bits, nbytes, family = sa->sa_family;

	if (family == AF_INET6) {
		memcpy(raw, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		bits = server.cfg->ipv6_block;
		nbytes = 16;
	} else {
		memcpy(raw, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		bits = server.cfg->ipv4_block;
		nbytes = 4;
	}
	for (int i = 0; i < nbytes; i++) {
		int keep = CLAMP(bits - i * 8, 0, 8);
		raw[i] &= (unsigned char)(0xff00u >> keep);
	}
	if (inet_ntop(family, raw, text, sizeof(text)) == NULL)
		g_strlcpy(text, "unknown", sizeof(text));
	snprintf(out, len, "%s/%d", text, bits);
}

/* The unregistered connections of one network block, oldest first. */
struct block_unreg {
	int n;
	struct conn *head, *tail;
};

/* A connection's links in the two lists of unregistered connections: in
 * use only until it registers, so it is not part of struct conn. */
struct conn_unreg {
	struct conn *prev, *next;             /* all of them, oldest first */
	struct conn *block_prev, *block_next; /* those of its block */
};

static GHashTable *unreg_blocks; /* block -> struct block_unreg */

static void unreg_unlink(struct conn *conn)
{
	struct conn_unreg *u = conn->unreg;
	struct block_unreg *b;

	if (u == NULL)
		return;
	if (u->prev != NULL)
		u->prev->unreg->next = u->next;
	else
		unreg_head = u->next;
	if (u->next != NULL)
		u->next->unreg->prev = u->prev;
	else
		unreg_tail = u->prev;
	b = g_hash_table_lookup(unreg_blocks, conn->block);
	if (u->block_prev != NULL)
		u->block_prev->unreg->block_next = u->block_next;
	else
		b->head = u->block_next;
	if (u->block_next != NULL)
		u->block_next->unreg->block_prev = u->block_prev;
	else
		b->tail = u->block_prev;
	if (--b->n == 0)
		g_hash_table_remove(unreg_blocks, conn->block);
	g_clear_pointer(&conn->unreg, g_free);
	nunregistered--;
}

static void unreg_append(struct conn *conn)
{
	struct conn_unreg *u = g_new0(struct conn_unreg, 1);
	struct block_unreg *b;

	if (unreg_blocks == NULL)
		unreg_blocks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	b = g_hash_table_lookup(unreg_blocks, conn->block);
	if (b == NULL) {
		b = g_new0(struct block_unreg, 1);
		g_hash_table_insert(unreg_blocks, g_strdup(conn->block), b);
	}
	conn->unreg = u;
	u->prev = unreg_tail;
	if (unreg_tail != NULL)
		unreg_tail->unreg->next = conn;
	else
		unreg_head = conn;
	unreg_tail = conn;
	u->block_prev = b->tail;
	if (b->tail != NULL)
		b->tail->unreg->block_next = conn;
	else
		b->head = conn;
	b->tail = conn;
	b->n++;
	nunregistered++;
}

void conn_registered(struct conn *conn)
{
	unreg_unlink(conn);
}

int conn_unregistered_count(void)
{
	return nunregistered;
}

uint64_t conn_queued_total(void)
{
	return queued_total;
}

/* Makes room for a newcomer from @block by closing an unregistered
 * connection: idle half-open connections must not keep anyone out. The
 * oldest one goes, unless the newcomer's own block already holds a quarter
 * of the unregistered slots: then its own oldest goes, so a network that
 * churns connections evicts itself, not newcomers from elsewhere who are
 * still registering. */
static bool evict_unregistered(const char *block, const char *why)
{
	struct block_unreg *b = unreg_blocks != NULL ? g_hash_table_lookup(unreg_blocks, block)
						     : NULL;
	struct conn *victim = unreg_head;

	if (b != NULL && b->n >= MAX(1, server.cfg->max_unregistered / 4))
		victim = b->head;
	if (victim == NULL)
		return false;
	log_info("evicting unregistered %s: %s", victim->addr, why);
	conn_close(victim, CLOSE_EVICTED, why);
	return true;
}

/* Points the connection's one event at the socket events the transport
 * needs for the directions in @want. */
static void arm(struct conn *conn, short want)
{
	short events = conn->tp->events(conn, want);

	conn->io_events = want;
	if (events == conn->sock_events)
		return;
	if (conn->sock_events != 0)
		event_del(&conn->io_ev);
	conn->sock_events = events;
	if (events == 0)
		return;
	event_assign(&conn->io_ev, server.base, conn->fd, events | EV_PERSIST, conn_io_cb, conn);
	event_add(&conn->io_ev, NULL);
}

/* True while the client waits for async work: its lines are held. */
static bool held(const struct conn *conn)
{
	return conn->client != NULL && conn->client->async_pending > 0;
}

/* Reading unless closed, held by flood control, or holding all the input it
 * may while waiting for async work. */
static bool may_read(const struct conn *conn)
{
	return !conn->closing && !conn->throttled &&
	       !(held(conn) && conn->in.len >= CONN_HOLD_MAX);
}

/* Reading when may_read(); writing while output is left over after a write
 * (or while a closed connection lingers). */
static void update_events(struct conn *conn)
{
	short want = 0;

	if (may_read(conn))
		want |= EV_READ;
	if (conn->out.len > 0 && (conn->io_events & EV_WRITE || conn->lingering))
		want |= EV_WRITE;
	arm(conn, want);
}

/* Adds EV_WRITE: the kernel buffer was full and output is left over. */
static void want_write(struct conn *conn)
{
	arm(conn, (short)(conn->io_events | EV_WRITE));
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
static bool address_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

void conn_accept(int fd, const struct sockaddr *sa, socklen_t salen,
		 const struct transport_ops *tp)
{
	char addr[INET6_ADDRSTRLEN];
	int one = 1;
	struct conn *conn;

	(void)salen;
	char block[INET6_ADDRSTRLEN + 8];
	const struct config *cfg = server.cfg;
	unsigned char rate_key[17];

	/* First, before any per-connection work: a network that reconnects as
	 * fast as it is closed must cost an accept and a close, no more. */
	connrate_block_key(sa, cfg->ipv4_block, cfg->ipv6_block, rate_key);
	if (!connrate_allow(rate_key, cfg->connect_rate, cfg->connect_burst, server_now_us())) {
		format_address(sa, addr, sizeof(addr));
		return refuse(fd, addr, tp, "Too many connections from your network, slow down");
	}
	format_address(sa, addr, sizeof(addr));
	format_block(sa, block, sizeof(block));
	if (server.shutting_down)
		return refuse(fd, addr, tp, "Server shutting down");
	if (address_count(addr) >= cfg->max_per_address)
		return refuse(fd, addr, tp, "Too many connections from your address");
	if (address_count(block) >= cfg->max_per_block)
		return refuse(fd, addr, tp, "Too many connections from your network");
	/* Slots held by connections that never registered are given to
	 * newcomers, oldest first; registered users keep theirs. */
	if (server.nconns - nclosing >= cfg->max_clients &&
	    !evict_unregistered(block, "Server full; unregistered connection evicted"))
		return refuse(fd, addr, tp, "Too many connections to this server");
	if (nunregistered >= cfg->max_unregistered)
		evict_unregistered(block, "Too many unregistered connections; evicted");
	/* natterd batches its own writes, so Nagle would only add delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A fixed kernel send buffer: with autotuning, thousands of slow
	 * readers can pin gigabytes of kernel memory host-wide. */
	if (cfg->sndbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cfg->sndbuf, sizeof(cfg->sndbuf));
	evutil_make_socket_nonblocking(fd);

	conn = g_new0(struct conn, 1);
	conn->fd = fd;
	conn->tp = tp;
	conn->loopback = address_is_loopback(sa);
	if (tp->open != NULL && !tp->open(conn)) {
		g_free(conn);
		return refuse(fd, addr, tp, "Cannot set up the connection");
	}
	conn->addr = address_hold(addr);
	conn->block = address_hold(block);
	conn->connected_at = conn->last_input = conn->flood_stamp = server_now_us();
	conn->flood_tokens = (float)server.cfg->flood_burst;
	update_events(conn);
	conn->next = server.conns;
	if (server.conns != NULL)
		server.conns->prev = conn;
	server.conns = conn;
	server.nconns++;
	unreg_append(conn);
	conn->client = client_new(conn);
	log_info("connect from %s (fd %d, %s, %d open)", addr, fd, tp->name, server.nconns);
}

/* --- output ---------------------------------------------------------------- */

static void mark_dirty(struct conn *conn)
{
	if (conn->dirty)
		return;
	conn->dirty = true;
	conn->dirty_next = server.dirty;
	server.dirty = conn;
}

static void out_append(struct conn *conn, const char *data, size_t len)
{
	bytebuf_append(&conn->out, data, len);
	queued_total += len;
	conn->out_queued += len;
}

static void out_consume(struct conn *conn, size_t len)
{
	bytebuf_consume(&conn->out, len);
	queued_total -= len;
}

static void out_clear(struct conn *conn)
{
	queued_total -= conn->out.len;
	bytebuf_clear(&conn->out);
}

/* Drops what a slow reader could not read, so that the ERROR line is
 * what comes next. The transport may have taken part of the head already
 * (TLS: a record half written); that much stays, or its retry fails. */
static void close_for_sendq(struct conn *conn)
{
	size_t keep = MIN((size_t)conn->out.len, conn->tp->write_claim);

	queued_total -= conn->out.len - keep;
	if (keep == 0) {
		bytebuf_clear(&conn->out);
	} else {
		g_autofree char *head = g_memdup2(bytebuf_head(&conn->out), keep);
		bytebuf_clear(&conn->out);
		bytebuf_append(&conn->out, head, keep);
	}
	conn_close(conn, CLOSE_SENDQ, NULL);
}

static gint compare_queue_desc(gconstpointer a, gconstpointer b)
{
	const struct conn *x = *(struct conn *const *)a, *y = *(struct conn *const *)b;

	return x->out.len < y->out.len ? 1 : x->out.len > y->out.len ? -1 : 0;
}

/* Every send queue together passed [limits] sendq_total: close the largest
 * offenders first until the total is back under three quarters of it. Rare
 * (it takes many slow readers), so one sorted scan is fine. */
static void shed_largest_queues(void)
{
	uint64_t goal = (uint64_t)server.cfg->sendq_total / 4 * 3;
	g_autoptr(GPtrArray) queues = g_ptr_array_new();

	for (struct conn *c = server.conns; c != NULL; c = c->next)
		if (!c->closing && c->out.len > 0)
			g_ptr_array_add(queues, c);
	g_ptr_array_sort(queues, compare_queue_desc);
	for (guint i = 0; i < queues->len && queued_total > goal; i++) {
		struct conn *c = g_ptr_array_index(queues, i);
		log_info("closing %s: all send queues hold %llu bytes, its own %u",
			 c->addr, (unsigned long long)queued_total, (unsigned)c->out.len);
		close_for_sendq(c);
	}
}

void conn_send(struct conn *conn, const char *data, size_t len)
{
	if (conn->closing)
		return;
	if ((size_t)conn->out.len + len > (size_t)server.cfg->sendq) {
		/* Judge the limit on what the client failed to read, not on what
		 * this turn queued: write first (a small sendq would otherwise drop
		 * a client that reads promptly). */
		flush_one(conn);
		if (conn->closing)
			return;
		if ((size_t)conn->out.len + len > (size_t)server.cfg->sendq) {
			close_for_sendq(conn);
			return;
		}
	}
	out_append(conn, data, len);
	mark_dirty(conn);
	if (queued_total > (uint64_t)server.cfg->sendq_total)
		shed_largest_queues();
	if (conn->closing)
		return;
	/* A big turn (a burst into a large room) would otherwise pile up every
	 * member's share until the flush; writing once a share is this big keeps
	 * the buffers, and so the heap, small, with each write still large. */
	if (conn->out.len >= EARLY_WRITE && !(conn->io_events & EV_WRITE))
		flush_one(conn);
}

void conn_close(struct conn *conn, enum close_reason why, const char *detail)
{
	char text[1024]; /* a QUIT or KILL text fits a line: never cut here */

	if (conn->closing)
		return;
	close_reason_text(why, detail, text, sizeof(text));
	conn->closing = true;
	nclosing++;
	unreg_unlink(conn);
	conn->close_why = why;
	conn->close_reason = g_strdup(text);
	close_counts[why]++;
	/* Nobody will read its answers: drop its queued async work now, not at
	 * the end of the turn, so the queue has room for the next client. */
	if (conn->client != NULL && conn->client->async_pending > 0)
		async_client_gone(conn->client);
	if (conn->timer_ev != NULL)
		event_del(conn->timer_ev);
	update_events(conn);
	conn->dying_next = server.dying;
	server.dying = conn;
}

/* Writes what the kernel takes now. Returns false on a socket error. */
static bool write_some(struct conn *conn)
{
	while (conn->out.len > 0) {
		ssize_t n = conn->tp->write(conn, bytebuf_head(&conn->out), conn->out.len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			return false;
		}
		out_consume(conn, (size_t)n);
	}
	return true;
}

/* Output that shows a logged message waits until the history writer has
 * committed it ("acknowledged means stored", see history.h); everything
 * queued after it waits too, so the order is kept. */
static bool hold(struct conn *conn)
{
	if (conn->hold_seq == 0 || history_committed(conn->hold_seq)) {
		conn->hold_seq = 0;
		return false;
	}
	if (!conn->held) {
		conn->held = true;
		conn->held_next = server.held;
		server.held = conn;
	}
	return true;
}

void conn_release_held(void)
{
	struct conn **link = &server.held;

	while (*link != NULL) {
		struct conn *conn = *link;
		if (conn->closing || history_committed(conn->hold_seq)) {
			*link = conn->held_next;
			conn->held = false;
			conn->hold_seq = 0;
			if (!conn->closing)
				mark_dirty(conn);
		} else {
			link = &conn->held_next;
		}
	}
}

static void unlink_held(struct conn *conn)
{
	for (struct conn **link = &server.held; *link != NULL; link = &(*link)->held_next)
		if (*link == conn) {
			*link = conn->held_next;
			conn->held = false;
			return;
		}
}

static void flush_one(struct conn *conn)
{
	if (hold(conn))
		return;
	if (!write_some(conn)) {
		out_clear(conn);
		conn_close(conn, CLOSE_WRITE_ERROR, conn->tp->strerror(conn, errno));
		return;
	}
	if (conn->out.len > 0 && !(conn->io_events & EV_WRITE))
		want_write(conn);
	else if (conn->out.len == 0 && (conn->io_events & EV_WRITE))
		update_events(conn);
	else if (conn->out.len > 0)
		arm(conn, conn->io_events); /* the transport may wait on another event now */
}

/* Bytes the kernel still holds for a peer that can still take them: 0
 * once the connection is reset or gone (SIOCOUTQ then still counts what
 * was never acknowledged), or when it cannot be told. */
static int kernel_queued(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	int n = 0;

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
	    (info.tcpi_state != TCP_ESTABLISHED && info.tcpi_state != TCP_CLOSE_WAIT))
		return 0;
	if (ioctl(fd, SIOCOUTQ, &n) != 0)
		return 0;
	return n;
}

static void conn_free(struct conn *conn)
{
	if (conn->held)
		unlink_held(conn);
	if (conn->sock_events != 0)
		event_del(&conn->io_ev);
	if (conn->timer_ev != NULL)
		event_free(conn->timer_ev);
	/* Whatever the peer did not take by now it never will: reset rather
	 * than leave an orphaned socket holding kernel memory for minutes. */
	if (conn->out.len > 0 || kernel_queued(conn->fd) > 0) {
		struct linger abort_close = { 1, 0 };
		setsockopt(conn->fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	}
	if (conn->tp->free != NULL)
		conn->tp->free(conn);
	close(conn->fd);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		server.conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	server.nconns--;
	if (conn->closing)
		nclosing--;
	unreg_unlink(conn);
	bytebuf_clear(&conn->in);
	out_clear(conn);
	address_release(conn->addr);
	address_release(conn->block);
	g_free(conn->close_reason);
	g_free(conn);
}

/* Checks a lingering connection: freed once the peer has everything, or
 * (reset) once its time is up. */
static void linger_check_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *conn = arg;
	struct timeval tv = { 0, LINGER_POLL_MS * 1000 };

	(void)fd;
	(void)events;
	if (conn->out.len > 0 && !write_some(conn))
		out_clear(conn);
	if (conn->out.len == 0 && kernel_queued(conn->fd) == 0) {
		conn_free_gracefully(conn);
		return;
	}
	if (server_now_us() >= conn->linger_until) {
		conn_free(conn);
		return;
	}
	evtimer_add(conn->timer_ev, &tv);
}

/* A slow reader (above all one closed for SendQ) cannot take its ERROR line
 * at once: keep only the socket and that line, and wait a few seconds for
 * the peer to read it. The kernel's copy counts too, so nothing is left
 * orphaned after close(); see conn_free(). */
static void linger(struct conn *conn)
{
	struct timeval tv = { 0, LINGER_POLL_MS * 1000 };

	conn->lingering = true;
	conn->linger_until = server_now_us() + (int64_t)LINGER_SECONDS * 1000000;
	if (conn->timer_ev != NULL)
		event_free(conn->timer_ev);
	conn->timer_ev = evtimer_new(server.base, linger_check_cb, conn);
	evtimer_add(conn->timer_ev, &tv);
	update_events(conn);
}

/* Frees a connection whose last lines are written, saying goodbye at the
 * transport level first (TLS close_notify). */
static void conn_free_gracefully(struct conn *conn)
{
	if (conn->tp->shutdown != NULL)
		conn->tp->shutdown(conn);
	conn_free(conn);
}

/* Says goodbye to a dying connection: its client leaves (others see QUIT),
 * it gets the ERROR line, and it is freed once that is written. One that
 * never finished its transport handshake gets no line: it could not read it. */
static void finish_close(struct conn *conn)
{
	char line[600];

	log_info("disconnect %s (%s): [%s] %s", conn->addr,
		 conn->client != NULL ? client_nick(conn->client) : "*",
		 close_reason_name(conn->close_why), conn->close_reason);
	if (conn->client != NULL) {
		client_destroy(conn->client, conn->close_reason);
		conn->client = NULL;
	}
	if (!conn->tp->established(conn)) {
		conn_free(conn);
		return;
	}
	snprintf(line, sizeof(line), "ERROR :%s\r\n", conn->close_reason);
	out_append(conn, line, strlen(line));
	if (!write_some(conn)) {
		log_debug("last write to %s failed: %s", conn->addr,
			  conn->tp->strerror(conn, errno));
		out_clear(conn);
		conn_free(conn);
		return;
	}
	if (conn->out.len == 0 && kernel_queued(conn->fd) == 0) {
		conn_free_gracefully(conn);
		return;
	}
	linger(conn);
}

void conn_flush_pass(void)
{
	turn++;
	while (server.dying != NULL || server.dirty != NULL) {
		struct conn *later = NULL;

		while (server.dirty != NULL) {
			struct conn *conn = server.dirty;
			server.dirty = conn->dirty_next;
			conn->dirty = false;
			if (!conn->closing)
				flush_one(conn);
		}
		/* Every dying connection leaves before anyone is written to again:
		 * each QUIT only queues a line to the others, so K clients closing
		 * in one turn cost each member one write, not K (hundreds of slow
		 * readers shed at once from a 2,000-member room made one turn
		 * 2 s of CPU). A connection closed while it was on the dirty list
		 * (it had output queued this turn) waits until the next drain has
		 * unlinked it. A closing connection is never made dirty again, so
		 * the loop ends once both lists are empty. */
		while (server.dying != NULL) {
			struct conn *conn = server.dying;
			server.dying = conn->dying_next;
			if (conn->dirty) {
				conn->dying_next = later;
				later = conn;
				continue;
			}
			finish_close(conn);
		}
		server.dying = later;
	}
}

void conn_close_all(enum close_reason why)
{
	for (struct conn *conn = server.conns; conn != NULL; conn = conn->next)
		conn_close(conn, why, NULL);
	conn_flush_pass();
}

void conn_free_all(void)
{
	while (server.conns != NULL) {
		struct conn *conn = server.conns;
		if (!conn->lingering)
			conn_close(conn, CLOSE_SHUTDOWN, NULL);
		conn_flush_pass();
		if (server.conns == conn) /* still lingering: no more waiting */
			conn_free(conn);
	}
}

/* --- input ----------------------------------------------------------------- */

static void refill_tokens(struct conn *conn, int64_t now)
{
	double tokens = conn->flood_tokens +
			(double)(now - conn->flood_stamp) / 1e6 * server.cfg->flood_rate;

	conn->flood_tokens = (float)MIN(tokens, (double)server.cfg->flood_burst);
	conn->flood_stamp = now;
}

void conn_charge(struct conn *conn, double tokens)
{
	conn->flood_tokens -= (float)tokens;
}

static void release_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)events;
	if (conn->closing)
		return;
	conn->throttled = false;
	update_events(conn);
	process_input(conn);
	/* Bytes the transport already holds raise no socket event. */
	if (may_read(conn) && conn->tp->pending(conn))
		handle_read(conn);
}

/* Out of this turn's budget: hold the rest of the input until the next
 * turn (a zero timer fires only after the loop has served everyone else). */
static void yield_turn(struct conn *conn)
{
	struct timeval now = { 0, 0 };

	if (conn->timer_ev == NULL)
		conn->timer_ev = evtimer_new(server.base, release_cb, conn);
	conn->throttled = true;
	update_events(conn);
	evtimer_add(conn->timer_ev, &now);
}

/* True when @conn has had its share of this loop turn. */
static bool turn_used_up(struct conn *conn)
{
	if (conn->turn != turn) {
		conn->turn = turn;
		conn->turn_lines = 0;
		conn->turn_bytes = 0;
	}
	return conn->turn_lines >= TURN_MAX_LINES || conn->turn_bytes >= TURN_MAX_REPLY_BYTES;
}

/* Out of tokens: stop reading and come back when one line is allowed.
 * The client is slowed, not dropped, and its lines are kept in order. */
static void throttle(struct conn *conn)
{
	double wait_s = (1.0 - conn->flood_tokens) / server.cfg->flood_rate;
	struct timeval tv = { .tv_sec = (time_t)wait_s,
			      .tv_usec = (suseconds_t)((wait_s - (double)(time_t)wait_s) * 1e6) + 1000 };

	if (conn->timer_ev == NULL)
		conn->timer_ev = evtimer_new(server.base, release_cb, conn);
	conn->throttled = true;
	update_events(conn);
	evtimer_add(conn->timer_ev, &tv);
}

/* Checks a complete line for bytes IRC forbids; answers and returns false. */
static bool line_is_clean(struct conn *conn, const char *line, size_t len)
{
	if (memchr(line, '\0', len) != NULL) {
		send_numeric(conn->client, ERR_UNKNOWNERROR, "*", "Line contains a NUL byte; dropped");
		return false;
	}
	if (memchr(line, '\r', len) != NULL) {
		send_numeric(conn->client, ERR_UNKNOWNERROR, "*", "Line contains a bare CR; dropped");
		return false;
	}
	return true;
}

/* True when the tag section and the rest each fit their own limit. */
static bool line_fits(const char *line, size_t len)
{
	if (line[0] == '@') {
		const char *space = memchr(line, ' ', len);
		size_t tags = space != NULL ? (size_t)(space - line) + 1 : len;
		return tags <= CLIENT_TAGS_MAX && len - tags <= BODY_MAX;
	}
	return len <= BODY_MAX;
}

/* Handles one line (without its LF), NUL-terminating it in place. */
static void take_line(struct conn *conn, char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (len == 0)
		return;
	if (!line_fits(line, len)) {
		send_numeric(conn->client, ERR_INPUTTOOLONG);
		return;
	}
	if (!line_is_clean(conn, line, len))
		return;
	uint32_t before = conn->out_queued;
	conn->last_input = server_now_us();
	conn->ping_sent = false;
	command_dispatch(conn->client, line, len);
	/* A reply costs in proportion to its size: one more flood token per
	 * COST_REPLY_BYTES queued to the sender (fan-out to others is free). */
	uint32_t produced = conn->out_queued - before; /* modulo 2^32 */
	conn->turn_bytes += produced;
	conn_charge(conn, (double)produced / COST_REPLY_BYTES);
}

/* Handles the complete lines in @data, as flood control allows. Returns how
 * many bytes were used; the rest must be kept for later. */
static size_t take_lines(struct conn *conn, char *data, size_t len)
{
	size_t used = 0;

	/* A client waiting for async work gets no further line handled until
	 * the answer is back (async.h): replies stay in command order. */
	while (used < len && !conn->closing && !held(conn)) {
		char *line = data + used;
		char *eol = memchr(line, '\n', len - used);
		if (eol == NULL) {
			if (len - used <= LINE_MAX_TOTAL + 2)
				break;
			/* No newline in sight: say so once, then skip to the next one. */
			if (!conn->discarding)
				send_numeric(conn->client, ERR_INPUTTOOLONG);
			conn->discarding = true;
			return len;
		}
		if (conn->discarding) {
			conn->discarding = false;
			used = (size_t)(eol - data) + 1;
			continue;
		}
		if (turn_used_up(conn)) {
			yield_turn(conn);
			break;
		}
		refill_tokens(conn, server_now_us());
		if (conn->flood_tokens < 1.0f) {
			throttle(conn);
			break;
		}
		conn->flood_tokens -= 1.0f;
		conn->turn_lines++;
		used = (size_t)(eol - data) + 1;
		take_line(conn, line, (size_t)(eol - line));
	}
	return used;
}

/* Handles lines held in the connection's own buffer (after a flood hold). */
static void process_input(struct conn *conn)
{
	size_t used;

	if (conn->in.len == 0)
		return;
	used = take_lines(conn, bytebuf_head(&conn->in), conn->in.len);
	bytebuf_consume(&conn->in, used);
}

/* One read: lines straight from the shared chunk where possible. True
 * when bytes came. */
static bool read_once(struct conn *conn)
{
	static char chunk[READ_CHUNK];
	/* While held, read on only to notice a hang-up, within CONN_HOLD_MAX. */
	size_t room = held(conn) ? CONN_HOLD_MAX - MIN(conn->in.len, CONN_HOLD_MAX) : sizeof(chunk);
	ssize_t n;

	if (room == 0) {
		update_events(conn);
		return false;
	}
	n = conn->tp->read(conn, chunk, MIN(room, sizeof(chunk)));

	if (n == 0) {
		conn_close(conn, CLOSE_EOF, NULL);
		return false;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(conn, CLOSE_READ_ERROR, conn->tp->strerror(conn, errno));
		else
			arm(conn, conn->io_events); /* the transport may wait on another event now */
		return false;
	}
	if (conn->in.len > 0) {
		bytebuf_append(&conn->in, chunk, (size_t)n);
		process_input(conn);
	} else {
		/* The usual case: whole lines, handled straight from the chunk. */
		size_t used = take_lines(conn, chunk, (size_t)n);
		if (used < (size_t)n && !conn->closing)
			bytebuf_append(&conn->in, chunk + used, (size_t)n - used);
	}
	if (held(conn) && !conn->closing)
		update_events(conn); /* stops reading once CONN_HOLD_MAX is held */
	return true;
}

void conn_resume(struct conn *conn)
{
	/* A flood hold resumes on its own timer, in order too. */
	if (conn->closing || conn->throttled)
		return;
	process_input(conn);
	update_events(conn);
	/* Bytes the transport already holds raise no socket event. */
	if (may_read(conn) && conn->tp->pending(conn))
		handle_read(conn);
}

/* Reads once, and again while the transport holds bytes that will raise no
 * socket event (TLS records already read from the socket), or while a client
 * that now waits for async work has more to read: a client that sent a
 * password and hung up at once is then seen gone in the same turn, and its
 * queued check dropped before anyone else's command is taken. A read that
 * brings nothing ends it: what is held may be half a record. */
static void handle_read(struct conn *conn)
{
	while (read_once(conn) && may_read(conn) && (conn->tp->pending(conn) || held(conn)))
		;
}

static void conn_io_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	events = conn->tp->ready(conn, events);
	if (conn->lingering) {
		/* The linger timer decides when it is done; here keep writing. */
		if (!write_some(conn))
			out_clear(conn);
		arm(conn, conn->out.len > 0 ? conn->io_events : 0);
		return;
	}
	if ((events & EV_WRITE) && !conn->closing)
		flush_one(conn);
	if ((events & EV_READ) && !conn->closing && !conn->throttled)
		handle_read(conn);
}

const char *conn_certfp(struct conn *conn)
{
	return conn->tp->peer_fingerprint != NULL ? conn->tp->peer_fingerprint(conn) : NULL;
}

/* --- liveness -------------------------------------------------------------- */

void conn_tick(void)
{
	int64_t now = server_now_us();
	const struct config *cfg = server.cfg;
	int released = 0;

	for (struct conn *conn = server.conns; conn != NULL; conn = conn->next) {
		int64_t idle = (now - conn->last_input) / 1000000;
		if (conn->closing)
			continue;
		released += bytebuf_release_if_empty(&conn->out);
		released += bytebuf_release_if_empty(&conn->in);
		if (!client_is_registered(conn->client)) {
			if ((now - conn->connected_at) / 1000000 >= cfg->registration_timeout)
				conn_close(conn, conn->tp->established(conn)
						 ? CLOSE_REG_TIMEOUT : CLOSE_HANDSHAKE_TIMEOUT, NULL);
			continue;
		}
		if (conn->ping_sent && idle >= cfg->ping_interval + cfg->ping_timeout) {
			char detail[32];
			snprintf(detail, sizeof(detail), "%lld seconds", (long long)idle);
			conn_close(conn, CLOSE_PING_TIMEOUT, detail);
		} else if (!conn->ping_sent && idle >= cfg->ping_interval) {
			send_line(conn->client, "PING :%s", cfg->name);
			conn->ping_sent = true;
		}
	}
	/* Buffers freed mid-heap stay resident until the allocator is told;
	 * the reuse pool is emptied too, so a quiet server holds nothing. */
	bytebuf_pool_drain();
	if (released > 0)
		malloc_trim(0);
}
