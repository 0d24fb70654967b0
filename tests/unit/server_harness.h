/* server_harness.h - an in-process natterd for unit tests and the dispatch
 * fuzzer: the real modules (natterd_core), the real event loop and
 * connections, but clients on socketpairs instead of TCP, and no listener.
 *
 *	harness_start();
 *	struct hclient *a = harness_client("alice");   // registered
 *	harness_send(a, "JOIN #room");
 *	harness_turn();                                 // one loop turn + flush
 *	char *out = harness_read(a);                    // what alice got
 *	harness_stop();
 */
#ifndef NATTER_SERVER_HARNESS_H
#define NATTER_SERVER_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

struct client;

struct hclient {
	int peer;              /* our end of the socketpair */
	struct client *client; /* the server's client (NULL once it is gone) */
	unsigned long long id; /* its client id */
};

/* Starts the server state in a fresh temporary data directory. */
void harness_start(void);
/* Closes every client and frees everything (ASan checks for leaks). */
void harness_stop(void);

/* A new connection; registered as @nick (NICK, USER, up to 001..376) when
 * @nick is not NULL. */
struct hclient *harness_client(const char *nick);
/* Closes our end; the server notices on the next turns. */
void harness_close(struct hclient *h);

/* Closes our end (if open) and forgets @h (frees it). */
void harness_release(struct hclient *h);

/* Writes @line plus CRLF to the server. */
void harness_send(struct hclient *h, const char *line);
/* Writes raw bytes. */
void harness_send_raw(struct hclient *h, const char *data, size_t len);
/* Runs loop turns until no input is pending (at most a few dozen). */
void harness_turn(void);
/* Everything received so far (caller frees), "" when nothing. */
char *harness_read(struct hclient *h);
/* True when @h's connection was closed by the server. */
bool harness_closed(struct hclient *h);

#endif
