/* listener.h - listening sockets: accept at most [limits] accept_per_turn
 * connections per listener per loop turn (the rest wait in the kernel's
 * backlog), and pause while out of file descriptors instead of spinning on
 * EMFILE. */
#ifndef NATTERD_LISTENER_H
#define NATTERD_LISTENER_H

#include <glib.h>
#include <stdbool.h>

/* Starts listening on "host:port" ("[::1]:port" for IPv6; port 0 picks a
 * free one), with TLS when prefixed "tls:" (the certificate must be loaded,
 * tls_load). Logs the address it got. False with @error on failure. */
bool listener_open(const char *address, GError **error);

/* True when @address (a listen setting) asks for TLS. */
bool listener_is_tls(const char *address);

/* The port of the first secure (TLS) listener, or 0 when there is none. */
int listener_secure_port(void);
void listener_close_all(void);

/* Parses "1.2.3.4:port" or "[::1]:port" (port 0 = any free port), each
 * perhaps prefixed "tls:", into @ss.
 * Used by config.c too, so a bad address is refused at start and on reload
 * alike. */
struct sockaddr_storage;
bool listener_parse_address(const char *address, struct sockaddr_storage *ss, int *sslen);

#endif
