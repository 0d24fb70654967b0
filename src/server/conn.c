/* conn.c - connections: accept, bounded buffered reads split into lines,
 * flood control, batched writes once per loop turn, and closing. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "irc_message.h"
#include "log.h"
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
/* How long a closed connection may take to receive its last lines. */
#define LINGER_SECONDS 5

static void conn_read_cb(evutil_socket_t fd, short events, void *arg);
static void conn_write_cb(evutil_socket_t fd, short events, void *arg);
static void process_input(struct conn *conn);
static void conn_free(struct conn *conn);

static void format_address(const struct sockaddr *sa, char *out, size_t len)
{
	const void *raw = sa->sa_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, raw, out, (socklen_t)len) == NULL)
		g_strlcpy(out, "unknown", len);
}

/* Refuses a socket before any state exists for it. */
static void refuse(int fd, const char *addr, const char *reason)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "ERROR :%s\r\n", reason);

	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("could not tell %s why it was refused: %s", addr, strerror(errno));
	close(fd);
	log_info("refused %s: %s", addr, reason);
}

static int address_count(const char *addr)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(server.per_address, addr));
}

static void address_adjust(const char *addr, int delta)
{
	int count = address_count(addr) + delta;

	if (count <= 0)
		g_hash_table_remove(server.per_address, addr);
	else
		g_hash_table_replace(server.per_address, g_strdup(addr), GINT_TO_POINTER(count));
}

void conn_accept(int fd, const struct sockaddr *sa, socklen_t salen)
{
	char addr[INET6_ADDRSTRLEN];
	int one = 1;
	struct conn *conn;

	(void)salen;
	format_address(sa, addr, sizeof(addr));
	if (server.shutting_down)
		return refuse(fd, addr, "Server shutting down");
	if (server.nconns >= server.cfg->max_clients)
		return refuse(fd, addr, "Too many connections to this server");
	if (address_count(addr) >= server.cfg->max_per_address)
		return refuse(fd, addr, "Too many connections from your address");
	/* natterd batches its own writes, so Nagle would only add delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evutil_make_socket_nonblocking(fd);

	conn = g_new0(struct conn, 1);
	conn->fd = fd;
	conn->addr = g_strdup(addr);
	conn->in = evbuffer_new();
	conn->out = evbuffer_new();
	conn->connected_at = conn->last_input = conn->flood_stamp = server_now_us();
	conn->flood_tokens = server.cfg->flood_burst;
	event_assign(&conn->read_ev, server.base, fd, EV_READ | EV_PERSIST, conn_read_cb, conn);
	event_assign(&conn->write_ev, server.base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, conn);
	event_priority_set(&conn->read_ev, 0);
	event_priority_set(&conn->write_ev, 0);
	event_add(&conn->read_ev, NULL);
	conn->next = server.conns;
	if (server.conns != NULL)
		server.conns->prev = conn;
	server.conns = conn;
	server.nconns++;
	address_adjust(addr, +1);
	conn->client = client_new(conn);
	log_info("connect from %s (fd %d, %d open)", addr, fd, server.nconns);
}

static void mark_dirty(struct conn *conn)
{
	if (conn->dirty)
		return;
	conn->dirty = true;
	conn->dirty_next = server.dirty;
	server.dirty = conn;
}

void conn_send(struct conn *conn, const char *data, size_t len)
{
	if (conn->closing)
		return;
	evbuffer_add(conn->out, data, len);
	if (evbuffer_get_length(conn->out) > (size_t)server.cfg->sendq) {
		/* Drop what it could not read so only the ERROR line is left. */
		evbuffer_drain(conn->out, evbuffer_get_length(conn->out));
		conn_close(conn, "SendQ exceeded");
		return;
	}
	mark_dirty(conn);
}

void conn_close(struct conn *conn, const char *reason)
{
	if (conn->closing)
		return;
	conn->closing = true;
	conn->close_reason = g_strdup(reason);
	event_del(&conn->read_ev);
	if (conn->throttle_ev != NULL)
		event_del(conn->throttle_ev);
	conn->dying_next = server.dying;
	server.dying = conn;
}

/* Writes what the kernel will take now; the rest waits for EV_WRITE. */
static void write_out(struct conn *conn)
{
	if (evbuffer_get_length(conn->out) == 0)
		return;
	if (evbuffer_write(conn->out, conn->fd) < 0 && errno != EAGAIN && errno != EINTR) {
		char reason[128];
		snprintf(reason, sizeof(reason), "Write error: %s", strerror(errno));
		evbuffer_drain(conn->out, evbuffer_get_length(conn->out));
		conn_close(conn, reason);
		return;
	}
	if (evbuffer_get_length(conn->out) > 0 && !conn->write_waiting) {
		conn->write_waiting = true;
		event_add(&conn->write_ev, NULL);
	} else if (evbuffer_get_length(conn->out) == 0 && conn->write_waiting) {
		conn->write_waiting = false;
		event_del(&conn->write_ev);
	}
}

static void conn_write_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)events;
	if (conn->lingering) {
		if (evbuffer_write(conn->out, conn->fd) < 0 && errno != EAGAIN)
			conn_free(conn);
		else if (evbuffer_get_length(conn->out) == 0)
			conn_free(conn);
		return;
	}
	if (!conn->closing)
		write_out(conn);
}

static void conn_free(struct conn *conn)
{
	event_del(&conn->read_ev);
	event_del(&conn->write_ev);
	if (conn->throttle_ev != NULL)
		event_free(conn->throttle_ev);
	close(conn->fd);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		server.conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	server.nconns--;
	address_adjust(conn->addr, -1);
	evbuffer_free(conn->in);
	evbuffer_free(conn->out);
	g_free(conn->addr);
	g_free(conn->close_reason);
	g_free(conn);
}

static void linger_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	conn_free(arg);
}

/* A slow reader (above all one closed for SendQ) cannot take its ERROR line
 * at once: keep only the socket and that line, and wait for it to drain. */
static void linger(struct conn *conn)
{
	struct timeval tv = { LINGER_SECONDS, 0 };

	conn->lingering = true;
	if (conn->throttle_ev != NULL)
		event_free(conn->throttle_ev);
	conn->throttle_ev = evtimer_new(server.base, linger_timeout_cb, conn);
	evtimer_add(conn->throttle_ev, &tv);
	if (!conn->write_waiting) {
		conn->write_waiting = true;
		event_add(&conn->write_ev, NULL);
	}
}

/* Says goodbye to a dying connection: its client leaves (others see QUIT),
 * it gets the ERROR line, one last write is tried, and it is freed. */
static void finish_close(struct conn *conn)
{
	log_info("disconnect %s (%s): %s", conn->addr,
		 conn->client != NULL ? client_nick(conn->client) : "*", conn->close_reason);
	if (conn->client != NULL) {
		client_destroy(conn->client, conn->close_reason);
		conn->client = NULL;
	}
	evbuffer_add_printf(conn->out, "ERROR :%s\r\n", conn->close_reason);
	if (evbuffer_write(conn->out, conn->fd) < 0 && errno != EAGAIN) {
		log_debug("last write to %s failed: %s", conn->addr, strerror(errno));
		evbuffer_drain(conn->out, evbuffer_get_length(conn->out));
	}
	if (evbuffer_get_length(conn->out) == 0) {
		conn_free(conn);
		return;
	}
	linger(conn);
}

void conn_flush_pass(void)
{
	while (server.dying != NULL || server.dirty != NULL) {
		while (server.dirty != NULL) {
			struct conn *conn = server.dirty;
			server.dirty = conn->dirty_next;
			conn->dirty = false;
			if (!conn->closing)
				write_out(conn);
		}
		/* A dying client's QUIT makes others dirty: loop until both are
		 * empty. A closing connection is never made dirty again, so once
		 * the dirty list is drained no dying one is linked in it. */
		if (server.dying != NULL) {
			struct conn *conn = server.dying;
			server.dying = conn->dying_next;
			finish_close(conn);
		}
	}
}

void conn_close_all(const char *reason)
{
	for (struct conn *conn = server.conns; conn != NULL; conn = conn->next)
		conn_close(conn, reason);
	conn_flush_pass();
}

void conn_free_all(void)
{
	while (server.conns != NULL) {
		struct conn *conn = server.conns;
		if (!conn->lingering)
			conn_close(conn, "Server shutting down");
		conn_flush_pass();
		if (server.conns == conn) /* still lingering: no more waiting */
			conn_free(conn);
	}
}

/* --- input --------------------------------------------------------------- */

static void refill_tokens(struct conn *conn, int64_t now)
{
	double burst = server.cfg->flood_burst;

	conn->flood_tokens += (double)(now - conn->flood_stamp) / 1e6 * server.cfg->flood_rate;
	if (conn->flood_tokens > burst)
		conn->flood_tokens = burst;
	conn->flood_stamp = now;
}

static void throttle_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)events;
	if (conn->closing)
		return;
	event_add(&conn->read_ev, NULL);
	process_input(conn);
}

/* Out of tokens: stop reading and come back when one line is allowed.
 * The client is slowed, not dropped, and its lines are kept in order. */
static void throttle(struct conn *conn)
{
	double wait_s = (1.0 - conn->flood_tokens) / server.cfg->flood_rate;
	struct timeval tv = { .tv_sec = (time_t)wait_s,
			      .tv_usec = (suseconds_t)((wait_s - (double)(time_t)wait_s) * 1e6) + 1000 };

	if (conn->throttle_ev == NULL)
		conn->throttle_ev = evtimer_new(server.base, throttle_cb, conn);
	event_del(&conn->read_ev);
	evtimer_add(conn->throttle_ev, &tv);
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

static void input_too_long(struct conn *conn)
{
	send_numeric(conn->client, ERR_INPUTTOOLONG);
}

/* Takes the line that ends at offset @eol out of the input and handles it. */
static void take_line(struct conn *conn, size_t eol)
{
	char line[LINE_MAX_TOTAL + 2];
	size_t len = eol;

	if (len > LINE_MAX_TOTAL + 1) {
		evbuffer_drain(conn->in, eol + 1);
		input_too_long(conn);
		return;
	}
	evbuffer_remove(conn->in, line, len);
	evbuffer_drain(conn->in, 1);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (len == 0)
		return;
	if (!line_fits(line, len)) {
		input_too_long(conn);
		return;
	}
	if (!line_is_clean(conn, line, len))
		return;
	conn->last_input = server_now_us();
	conn->ping_sent = false;
	command_dispatch(conn->client, line);
}

static void process_input(struct conn *conn)
{
	while (!conn->closing) {
		size_t eol_len;
		struct evbuffer_ptr eol = evbuffer_search_eol(conn->in, NULL, &eol_len, EVBUFFER_EOL_LF);

		if (eol.pos < 0) {
			if (evbuffer_get_length(conn->in) > LINE_MAX_TOTAL + 2) {
				/* No newline in sight: say so once, then skip to the next one. */
				if (!conn->discarding)
					input_too_long(conn);
				conn->discarding = true;
				evbuffer_drain(conn->in, evbuffer_get_length(conn->in));
			}
			return;
		}
		if (conn->discarding) {
			evbuffer_drain(conn->in, (size_t)eol.pos + 1);
			conn->discarding = false;
			continue;
		}
		refill_tokens(conn, server_now_us());
		if (conn->flood_tokens < 1.0) {
			throttle(conn);
			return;
		}
		conn->flood_tokens -= 1.0;
		take_line(conn, (size_t)eol.pos);
	}
}

static void conn_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *conn = arg;
	int n;

	(void)events;
	n = evbuffer_read(conn->in, fd, READ_CHUNK);
	if (n == 0) {
		conn_close(conn, "Connection closed");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			char reason[128];
			snprintf(reason, sizeof(reason), "Read error: %s", strerror(errno));
			conn_close(conn, reason);
		}
		return;
	}
	process_input(conn);
}

/* --- liveness -------------------------------------------------------------- */

void conn_tick(void)
{
	int64_t now = server_now_us();
	const struct config *cfg = server.cfg;

	for (struct conn *conn = server.conns; conn != NULL; conn = conn->next) {
		int64_t idle = (now - conn->last_input) / 1000000;
		if (conn->closing)
			continue;
		if (!client_is_registered(conn->client)) {
			if ((now - conn->connected_at) / 1000000 >= cfg->registration_timeout)
				conn_close(conn, "Registration timed out");
			continue;
		}
		if (conn->ping_sent && idle >= cfg->ping_interval + cfg->ping_timeout) {
			char reason[64];
			snprintf(reason, sizeof(reason), "Ping timeout: %lld seconds", (long long)idle);
			conn_close(conn, reason);
		} else if (!conn->ping_sent && idle >= cfg->ping_interval) {
			send_line(conn->client, "PING :%s", cfg->name);
			conn->ping_sent = true;
		}
	}
}
