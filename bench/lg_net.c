/* lg_net.c - the generator's connection pool: bounded-rate connects, IRC
 * registration, line splitting and batched, non-blocking output on one epoll
 * loop. Scenarios see only registered clients and the PRIVMSGs they get. */
#include "lg.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* The longest line we keep whole: 512 bytes plus the IRCv3 tag section. */
#define PARTIAL_MAX 8704
#define RBUF_SIZE (256 * 1024)
#define MAX_EVENTS 1024
/* Diagnostics printed per kind before going quiet, so a broken run stays readable. */
#define NOTE_MAX 5

static void note(int *count, const char *fmt, const char *a, size_t alen)
{
	if ((*count)++ < NOTE_MAX)
		fprintf(stderr, fmt, (int)alen, a);
}

/* With --tls every connection comes from this one client context. */
static SSL_CTX *tls_ctx;

static bool tls_init(void)
{
	if (tls_ctx != NULL)
		return true;
	tls_ctx = SSL_CTX_new(TLS_client_method());
	if (tls_ctx == NULL)
		return false;
	/* The servers' certificates are self-signed, on loopback: not checked. */
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
	/* Like a lean client: no record buffers kept while idle, output that
	 * may move between a blocked write and its retry, every record the
	 * kernel has in one read. */
	SSL_CTX_set_mode(tls_ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(tls_ctx, 1);
	return true;
}

/* send()/read() over TLS, with their conventions: -1 and errno EAGAIN when
 * it must wait, 0 at a clean end, -1 and EPROTO on a TLS failure. */
static ssize_t tls_io(struct conn *c, char *buf, size_t len, bool writing)
{
	ERR_clear_error();
	int n = writing ? SSL_write(c->ssl, buf, (int)len) : SSL_read(c->ssl, buf, (int)len);
	if (n > 0) {
		if (writing)
			c->wr_needs_rd = false;
		return n;
	}
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		if (writing)
			c->wr_needs_rd = true;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		if (writing)
			c->wr_needs_rd = false;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			return 0;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

static void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size);
	if (!p) {
		fprintf(stderr, "loadgen: out of memory\n");
		abort();
	}
	return p;
}

size_t u64_to_dec(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

bool dec_to_u64(const char **s, const char *end, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	while (p < end && *p >= '0' && *p <= '9')
		x = x * 10 + (uint64_t)(*p++ - '0');
	if (p == *s)
		return false;
	*s = p;
	*v = x;
	return true;
}

int pool_init(struct pool *p, const struct pool_opts *o, int n, const struct pool_ops *ops,
	      void *scen)
{
	memset(p, 0, sizeof *p);
	p->o = *o;
	p->ops = ops;
	p->scen = scen;
	p->n = n;
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	if (p->ep < 0)
		return -1;
	p->conns = xrealloc(NULL, sizeof *p->conns * (size_t)n);
	memset(p->conns, 0, sizeof *p->conns * (size_t)n);
	p->dirty = xrealloc(NULL, sizeof *p->dirty * (size_t)n);
	p->rbuf = xrealloc(NULL, PARTIAL_MAX + RBUF_SIZE);
	if (o->tls && !tls_init()) {
		fprintf(stderr, "loadgen: cannot set up TLS\n");
		return -1;
	}
	/* A different letter per run keeps nicks apart on a server reused between runs. */
	p->tag = (char)('a' + (unsigned)(mono_ns() / 1000 + (uint64_t)getpid()) % 26);
	for (int i = 0; i < n; i++) {
		struct conn *c = &p->conns[i];
		c->fd = -1;
		c->id = (uint32_t)i;
		snprintf(c->nick, sizeof c->nick, "b%c%u", p->tag, (unsigned)i % 10000000u);
	}
	return 0;
}

static void conn_release(struct conn *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->partial);
	free(c->obuf);
	c->partial = c->obuf = NULL;
	c->plen = 0;
	c->olen = c->ocap = 0;
}

void pool_close_all(struct pool *p)
{
	for (int i = 0; i < p->n; i++)
		conn_release(&p->conns[i]);
}

void pool_free(struct pool *p)
{
	pool_close_all(p);
	free(p->conns);
	free(p->dirty);
	free(p->rbuf);
	if (p->ep >= 0)
		close(p->ep);
}

/* The connection is gone: count it as refused (never got ready) or dropped. */
static void conn_lost(struct pool *p, struct conn *c, const char *why)
{
	static int notes;
	if (c->state == CS_CLOSED)
		return;
	if (c->state == CS_READY)
		p->dropped++;
	else
		p->failed++;
	if (c->state == CS_CONNECTING || c->state == CS_REGISTERING)
		p->pending--;
	note(&notes, "loadgen: connection lost: %.*s\n", why, strlen(why));
	c->state = CS_CLOSED;
	conn_release(c);
}

void conn_put(struct pool *p, struct conn *c, const char *s, size_t len)
{
	if (c->state == CS_CLOSED)
		return;
	if (c->olen + len > c->ocap) {
		uint32_t cap = c->ocap ? c->ocap : 512;
		while (cap < c->olen + len)
			cap *= 2;
		c->obuf = xrealloc(c->obuf, cap);
		c->ocap = cap;
	}
	memcpy(c->obuf + c->olen, s, len);
	c->olen += (uint32_t)len;
	if (!c->dirty) {
		c->dirty = true;
		p->dirty[p->ndirty++] = c->id;
	}
}

static void conn_arm(struct pool *p, struct conn *c, bool out)
{
	if (c->out_armed == out)
		return;
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u32 = c->id };
	epoll_ctl(p->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->out_armed = out;
}

static void conn_read(struct pool *p, struct conn *c);

static void conn_flush(struct pool *p, struct conn *c)
{
	if (c->olen == 0 || c->fd < 0 || c->state == CS_CONNECTING)
		return;
	ssize_t w = c->ssl != NULL ? tls_io(c, c->obuf, c->olen, true)
				   : send(c->fd, c->obuf, c->olen, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w == 0)
		errno = EPIPE;
	if (w <= 0) {
		if (errno == EAGAIN || errno == EINTR)
			conn_arm(p, c, !c->wr_needs_rd); /* readable is always armed */
		else
			conn_lost(p, c, strerror(errno));
		return;
	}
	c->olen -= (uint32_t)w;
	if (c->olen)
		memmove(c->obuf, c->obuf + w, c->olen);
	/* The server is not reading fast enough: wait for room instead of spinning. */
	conn_arm(p, c, c->olen > 0);
	/* A write that finished the TLS handshake may have read the server's
	 * first lines into OpenSSL, where no socket event will announce them. */
	if (c->ssl != NULL && SSL_has_pending(c->ssl))
		conn_read(p, c);
}

void pool_flush(struct pool *p)
{
	for (int i = 0; i < p->ndirty; i++) {
		struct conn *c = &p->conns[p->dirty[i]];
		c->dirty = false;
		conn_flush(p, c);
	}
	p->ndirty = 0;
}

static void conn_send_registration(struct pool *p, struct conn *c)
{
	char line[96];
	if (p->o.tls) {
		/* The first write runs the handshake; registration follows it. */
		c->ssl = SSL_new(tls_ctx);
		if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
			conn_lost(p, c, "cannot set up TLS");
			return;
		}
		SSL_set_connect_state(c->ssl);
	}
	int n = snprintf(line, sizeof line, "NICK %s\r\nUSER %s 0 * :bench\r\n", c->nick, c->nick);
	c->state = CS_REGISTERING;
	conn_put(p, c, line, (size_t)n);
}

static void conn_start(struct pool *p, struct conn *c)
{
	p->started++;
	p->pending++;
	c->state = CS_CONNECTING;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		conn_lost(p, c, strerror(errno));
		return;
	}
	int one = 1;
	/* Small lines must leave at once, or Nagle turns ping-pong into 40 ms steps. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (p->o.src_addrs > 1) {
		/* Each source address brings its own ~28k ephemeral ports; the port is
		 * picked at connect() time so the 4-tuple, not the port, must be unique. */
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		struct sockaddr_in src = { .sin_family = AF_INET };
		src.sin_addr.s_addr = htonl(0x7f000001u + c->id % (uint32_t)p->o.src_addrs);
		if (bind(c->fd, (struct sockaddr *)&src, sizeof src) != 0) {
			conn_lost(p, c, strerror(errno));
			return;
		}
	}
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(p->o.port) };
	dst.sin_addr.s_addr = htonl(p->o.addr);
	int rc = connect(c->fd, (struct sockaddr *)&dst, sizeof dst);
	if (rc != 0 && errno != EINPROGRESS) {
		conn_lost(p, c, strerror(errno));
		return;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = c->id };
	c->out_armed = true;
	epoll_ctl(p->ep, EPOLL_CTL_ADD, c->fd, &ev);
	if (rc == 0)
		conn_send_registration(p, c);
}

static void conn_connected(struct pool *p, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		conn_lost(p, c, strerror(err));
		return;
	}
	conn_send_registration(p, c);
}

/* 001 arrived: the server accepted the client. */
static void on_welcome(struct pool *p, struct conn *c)
{
	if (c->state != CS_REGISTERING)
		return;
	p->registered++;
	p->pending--;
	p->t_registered = p->now;
	if (p->ops->registered && p->ops->registered(p, c)) {
		c->state = CS_JOINING;
		return;
	}
	c->state = CS_READY;
	p->ready++;
}

static void on_numeric(struct pool *p, struct conn *c, const char *cmd, const char *line,
		       size_t len)
{
	static int notes;
	if (memcmp(cmd, "001", 3) == 0) {
		on_welcome(p, c);
	} else if (memcmp(cmd, "366", 3) == 0) {
		if (c->state == CS_JOINING) {
			c->state = CS_READY;
			p->ready++;
		}
	} else if ((cmd[0] == '4' || cmd[0] == '5') && memcmp(cmd, "422", 3) != 0) {
		/* (422 only says there is no MOTD) */
		p->errors++;
		note(&notes, "loadgen: server error: %.*s\n", line, len);
		/* A refused nick leaves the client unregistered for good. */
		if (c->state == CS_REGISTERING && memcmp(cmd, "43", 2) == 0)
			conn_lost(p, c, "nickname refused");
	}
}

/* PRIVMSG <target> [:]<text>: hand the text over to the scenario. */
static void on_privmsg(struct pool *p, struct conn *c, const char *args, const char *end)
{
	const char *sp = memchr(args, ' ', (size_t)(end - args));
	if (!sp)
		return;
	const char *text = sp + 1;
	if (text < end && *text == ':')
		text++;
	p->ops->privmsg(p, c, text, (size_t)(end - text));
}

static void on_line(struct pool *p, struct conn *c, const char *s, const char *end)
{
	static int notes;
	const char *line = s;
	if (s < end && *s == '@') { /* tags: we ask for none, but skip them anyway */
		s = memchr(s, ' ', (size_t)(end - s));
		if (!s)
			return;
		s++;
	}
	if (s < end && *s == ':') {
		s = memchr(s, ' ', (size_t)(end - s));
		if (!s)
			return;
		s++;
	}
	const char *sp = memchr(s, ' ', (size_t)(end - s));
	size_t clen = (size_t)((sp ? sp : end) - s);
	const char *args = sp ? sp + 1 : end;
	if (clen == 7 && memcmp(s, "PRIVMSG", 7) == 0) {
		on_privmsg(p, c, args, end);
	} else if (clen == 3 && s[0] >= '0' && s[0] <= '9') {
		on_numeric(p, c, s, line, (size_t)(end - line));
	} else if (clen == 4 && memcmp(s, "PING", 4) == 0) {
		conn_put(p, c, "PONG ", 5);
		conn_put(p, c, args, (size_t)(end - args));
		conn_put(p, c, "\r\n", 2);
	} else if (clen == 5 && memcmp(s, "ERROR", 5) == 0) {
		p->errors++;
		note(&notes, "loadgen: server said: %.*s\n", line, (size_t)(end - line));
	}
}

/* Splits buf[0..len) into lines; returns the offset of an incomplete tail. */
static size_t split_lines(struct pool *p, struct conn *c, char *buf, size_t len)
{
	size_t off = 0;
	while (off < len && c->state != CS_CLOSED) {
		char *nl = memchr(buf + off, '\n', len - off);
		if (!nl)
			break;
		char *end = nl;
		if (end > buf + off && end[-1] == '\r')
			end--;
		if (end > buf + off)
			on_line(p, c, buf + off, end);
		off = (size_t)(nl - buf) + 1;
	}
	return off;
}

static void keep_partial(struct pool *p, struct conn *c, const char *tail, size_t len)
{
	if (len > PARTIAL_MAX) { /* a line longer than IRC allows: drop it */
		p->errors++;
		len = 0;
	}
	if (len && !c->partial)
		c->partial = xrealloc(NULL, PARTIAL_MAX);
	memcpy(c->partial, tail, len);
	c->plen = (uint16_t)len;
}

static void conn_read(struct pool *p, struct conn *c)
{
	char *buf = p->rbuf;
	size_t have = c->plen;
	if (have)
		memcpy(buf, c->partial, have);
	ssize_t n = c->ssl != NULL ? tls_io(c, buf + have, RBUF_SIZE, false)
				   : read(c->fd, buf + have, RBUF_SIZE);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_lost(p, c, n == 0 ? "closed by the server" : strerror(errno));
		return;
	}
	/* One clock read per read(): every line in it arrived by now. */
	p->now = mono_ns();
	size_t len = have + (size_t)n;
	size_t off = split_lines(p, c, buf, len);
	if (c->state != CS_CLOSED)
		keep_partial(p, c, buf + off, len - off);
	/* Records OpenSSL already took from the socket raise no event. */
	if (c->ssl != NULL && c->state != CS_CLOSED && SSL_has_pending(c->ssl))
		conn_read(p, c);
}

static void conn_event(struct pool *p, struct conn *c, uint32_t events)
{
	if (c->state == CS_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_connected(p, c);
		if (c->state == CS_CLOSED)
			return;
	}
	if ((events & EPOLLOUT) || (c->wr_needs_rd && (events & EPOLLIN)))
		conn_flush(p, c);
	if (c->state != CS_CLOSED && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		conn_read(p, c);
}

void pool_poll(struct pool *p, int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	pool_flush(p);
	int n = epoll_wait(p->ep, ev, MAX_EVENTS, timeout_ms);
	p->now = mono_ns();
	for (int i = 0; i < n; i++) {
		struct conn *c = &p->conns[ev[i].data.u32];
		if (c->state != CS_CLOSED)
			conn_event(p, c, ev[i].events);
	}
	pool_flush(p);
}

/* Starts as many connections as the rate and the pending bound allow. */
static void start_some(struct pool *p)
{
	uint64_t now = mono_ns();
	if (p->started == 0)
		p->t_connect0 = now;
	int64_t by_rate = (int64_t)((double)(now - p->t_connect0) * p->o.rate / 1e9) + 1 -
			  p->started;
	int64_t by_pending = p->o.max_pending - p->pending;
	int64_t k = by_rate < by_pending ? by_rate : by_pending;
	while (k-- > 0 && p->started < p->n)
		conn_start(p, &p->conns[p->started]);
}

void pool_connect_all(struct pool *p, uint64_t stall_ns, uint64_t deadline)
{
	uint64_t last_change = mono_ns();
	int last_done = 0;
	while (1) {
		uint64_t now = mono_ns();
		int done = p->registered + p->ready + p->failed + p->dropped;
		if (done != last_done) {
			last_done = done;
			last_change = now;
		}
		/* A slow server may take long, but one that stops answering ends it. */
		if (now >= deadline || now - last_change > stall_ns)
			break;
		if (p->started < p->n)
			start_some(p);
		if (p->started == p->n && p->ready + p->failed + p->dropped >= p->n)
			break;
		pool_poll(p, p->started < p->n ? 1 : 20);
	}
}
