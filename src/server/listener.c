/* listener.c - listening sockets and the accept loop (see listener.h).
 *
 * Accepting is bounded per loop turn: each listener takes at most
 * [limits] accept_per_turn connections from the kernel's backlog each time
 * its socket is reported readable, then returns to the loop. The socket's
 * event is level-triggered, so connections left in the backlog wake the
 * next turn; in between, every established client that has something to
 * say is served. Without the bound a reconnect storm kept one turn in
 * accept() for as long as connections kept arriving (9,443 accepts and
 * 255 ms of CPU in one turn under bench/attack.py slots), and every
 * registered client waited for it. */
#define _GNU_SOURCE /* accept4 */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/util.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "server.h"
#include "tls.h"

/* Connections waiting to be accepted; the kernel caps it at
 * net.core.somaxconn (4096 on current kernels). A SYN that finds it full is
 * dropped, and the client's kernel retries only after a second. */
#define BACKLOG 4096
#define ACCEPT_RETRY_MS 250

struct listener {
	int fd;
	struct event *accept_ev; /* EV_READ | EV_PERSIST, level-triggered */
	struct event *retry_ev;
	char *address;
	const struct transport_ops *tp; /* what its connections speak */
	int port;                       /* as bound */
};

static void retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)events;
	log_info("accepting again on %s", l->address);
	event_add(l->accept_ev, NULL);
}

/* Out of descriptors (or kernel memory): stop accepting for a moment rather
 * than spin, since the pending connection stays in the backlog and would
 * wake us at once. */
static void pause_accepting(struct listener *l, int err)
{
	struct timeval tv = { 0, ACCEPT_RETRY_MS * 1000 };

	log_warn("accept on %s failed: %s; pausing %d ms", l->address, strerror(err),
		 ACCEPT_RETRY_MS);
	event_del(l->accept_ev);
	evtimer_add(l->retry_ev, &tv);
}

/* Takes at most accept_per_turn connections off the backlog; the rest
 * wait there for the next turn. */
static void accept_cb(evutil_socket_t lfd, short events, void *arg)
{
	struct listener *l = arg;
	int budget = server.cfg->accept_per_turn;

	(void)events;
	while (budget-- > 0) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_accepting(l, errno);
			/* EAGAIN: the backlog is empty. Anything else (ECONNABORTED,
			 * EPROTO, EINTR...) concerns one connection: the next turn
			 * goes on with the others. */
			return;
		}
		if (sslen == 0) { /* seen on old kernels, answering nmap */
			close(fd);
			continue;
		}
		conn_accept(fd, (struct sockaddr *)&ss, sslen, l->tp);
	}
}

static int describe_bound(evutil_socket_t fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
			snprintf(out, len, "[%s]:%d", host, port);
			return port;
		}
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	}
	snprintf(out, len, "%s:%d", host, port);
	return port;
}

/* Parses "1.2.3.4:port" or "[::1]:port" (port 0 = any free port), with or
 * without a "tls:" in front. libevent's own parser refuses port 0, which
 * tests need. */
bool listener_parse_address(const char *address, struct sockaddr_storage *ss, int *sslen)
{
	const char *colon;
	g_autofree char *host = NULL;
	char *end;
	long port;

	if (listener_is_tls(address))
		address += strlen("tls:");
	colon = strrchr(address, ':');

	if (colon == NULL)
		return false;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
		return false;
	if (address[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		if (colon < address + 2 || colon[-1] != ']')
			return false;
		host = g_strndup(address + 1, (gsize)(colon - address - 2));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*s6);
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	host = g_strndup(address, (gsize)(colon - address));
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*sslen = sizeof(*s4);
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1;
}

bool listener_is_tls(const char *address)
{
	return g_str_has_prefix(address, "tls:");
}

/* A non-blocking listening socket bound to @ss, or -1 with @error. */
static int open_socket(const struct sockaddr_storage *ss, int sslen, GError **error)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    bind(fd, (const struct sockaddr *)ss, (socklen_t)sslen) == 0 &&
	    listen(fd, BACKLOG) == 0)
		return fd;
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

bool listener_open(const char *address, GError **error)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	struct listener *l;
	char bound[80];
	const struct transport_ops *tp = &transport_plain;

	if (listener_is_tls(address)) {
		tp = &transport_tls;
		address += strlen("tls:");
		if (!tls_ready()) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
				    "cannot listen with TLS on %s: no certificate loaded", address);
			return false;
		}
	}
	memset(&ss, 0, sizeof(ss));
	if (!listener_parse_address(address, &ss, &sslen)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "cannot parse listen address '%s' (want host:port, [v6]:port, "
			    "tls:host:port or tls:[v6]:port)", address);
		return false;
	}
	l = g_new0(struct listener, 1);
	l->tp = tp;
	l->fd = open_socket(&ss, sslen, error);
	if (l->fd < 0) {
		g_prefix_error(error, "cannot listen on %s: ", address);
		g_free(l);
		return false;
	}
	l->accept_ev = event_new(server.base, l->fd, EV_READ | EV_PERSIST, accept_cb, l);
	event_add(l->accept_ev, NULL);
	l->retry_ev = evtimer_new(server.base, retry_cb, l);
	l->port = describe_bound(l->fd, bound, sizeof(bound));
	l->address = g_strdup(bound);
	g_ptr_array_add(server.listeners, l);
	if (tp == &transport_plain)
		log_info("listening on %s", bound);
	else
		log_info("listening with %s on %s", tp == &transport_tls ? "TLS" : tp->name, bound);
	return true;
}

int listener_secure_port(void)
{
	for (guint i = 0; i < server.listeners->len; i++) {
		struct listener *l = g_ptr_array_index(server.listeners, i);
		if (l->tp->secure)
			return l->port;
	}
	return 0;
}

void listener_close_all(void)
{
	for (guint i = 0; i < server.listeners->len; i++) {
		struct listener *l = g_ptr_array_index(server.listeners, i);
		event_free(l->accept_ev);
		event_free(l->retry_ev);
		close(l->fd);
		g_free(l->address);
		g_free(l);
	}
	g_ptr_array_set_size(server.listeners, 0);
}
