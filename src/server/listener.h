/* listener.h - listening sockets: accept, and pause while out of file
 * descriptors instead of spinning on EMFILE. */
#ifndef NATTERD_LISTENER_H
#define NATTERD_LISTENER_H

#include <glib.h>
#include <stdbool.h>

/* Starts listening on "host:port" ("[::1]:port" for IPv6; port 0 picks a
 * free one). Logs the address it got. False with @error on failure. */
bool listener_open(const char *address, GError **error);
void listener_close_all(void);

#endif
