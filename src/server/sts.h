/* sts.h - the IRCv3 sts (strict transport security) capability: plain
 * clients are told the TLS port to move to, TLS clients how long to insist
 * on TLS from now on. Offered only when [tls] sts_duration is set. */
#ifndef NATTERD_STS_H
#define NATTERD_STS_H

#include <stdbool.h>
#include <stddef.h>

struct client;

/* The sts value for @c ("port=6697" on a plain connection, "duration=N" or
 * "duration=N,preload" over TLS) in @out; false when sts is not offered to
 * it (not configured, or a plain connection and no TLS port to send it to). */
bool sts_value(const struct client *c, char *out, size_t len);

#endif
