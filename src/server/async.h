/* async.h - blocking work done for a client off the loop (password checks
 * today; account and history look-ups next), answered in order.
 *
 * A job belongs to a client by id (struct client.id), never by pointer:
 * when its work is done, the loop finds the client again with
 * registry_find_id(). What a caller can rely on:
 *
 * - In order. While a client has a job pending its input is paused: the
 *   lines it sends next stay queued in its bounded input buffer (the socket
 *   is still read, up to CONN_HOLD_MAX bytes, so that a client that hangs
 *   up is noticed) and are handled, in order, right after the job's done
 *   callback. So `OPER u p` + `PING x` answers 381/464 before `PONG x`,
 *   and a second OPER waits for the first one's answer.
 * - Only for a client that is still there. done(c, data) runs in the loop
 *   thread with the client found again, and only if it still exists and is
 *   not closing. If the client leaves first (as soon as its connection is
 *   marked closing), its jobs still queued are dropped before they run
 *   (work is never called, and they stop counting against the queue's
 *   limit), and a job already running finishes but its done is skipped.
 * - Always cleaned up. free_data(data) (when not NULL) is called exactly
 *   once, in the loop thread, after done or instead of it: free secrets
 *   there (sodium_memzero), whatever happened.
 * - Bounded. Each queue has a limit on its live jobs (jobs of clients that
 *   left do not count); async_submit() returns false when it is full and
 *   the job is not taken: the caller still owns @data, answers the client
 *   with a clear error (see async_refuse()) and frees it.
 *
 * Typical use (cmd_oper.c is the example):
 *
 *	struct check *chk = ...;
 *	if (!async_submit(c, ASYNC_PASSWORD, verify, verify_done, check_free, chk)) {
 *		async_refuse(c, "OPER", ASYNC_PASSWORD);
 *		check_free(chk);
 *	}
 *
 * The work function runs in a worker thread: it may only read and write
 * its own @data (no chat state, no send_*; log_* is safe).
 */
#ifndef NATTERD_ASYNC_H
#define NATTERD_ASYNC_H

#include <stdbool.h>
#include <stdint.h>

struct client;

enum async_queue {
	/* Password hashing (argon2id: ~80 ms and 64 MiB each): OPER, and
	 * SASL PLAIN / PASS for accounts. Two threads; at most
	 * [limits] password_queue live jobs (default 64). */
	ASYNC_PASSWORD,
	/* Blocking reads for one client (account and history look-ups).
	 * Two threads; at most ASYNC_LOOKUP_MAX live jobs. */
	ASYNC_LOOKUP,
	ASYNC_QUEUE_COUNT
};

#define ASYNC_LOOKUP_MAX 1024

/* Runs in a worker thread. */
typedef void (*async_work_fn)(void *data);
/* Runs in the loop thread for a client that is still connected. */
typedef void (*async_done_fn)(struct client *c, void *data);
/* Runs in the loop thread, once, last. */
typedef void (*async_free_fn)(void *data);

/* What a queue has done since start (STATS a). */
struct async_stats {
	const char *name;
	unsigned pending;   /* live jobs queued or running now */
	unsigned limit;
	uint64_t submitted; /* jobs taken */
	uint64_t completed; /* done callbacks run */
	uint64_t dropped;   /* client left before the work ran: never run */
	uint64_t orphaned;  /* client left while the work ran: done skipped */
	uint64_t refused;   /* queue full: not taken */
};

/* Creates the queues' pools (after worker_init()); worker_shutdown() waits
 * for them at exit, after every client has gone. */
void async_init(void);

/* Queues @work for @c. Returns false, taking nothing, when @q is full. */
bool async_submit(struct client *c, enum async_queue q, async_work_fn work,
		  async_done_fn done, async_free_fn free_data, void *data);

/* Tells @c that @command was refused because @q is full (FAIL @command
 * TEMPORARILY_UNAVAILABLE), and logs it (rate-limited like every line). */
void async_refuse(struct client *c, const char *command, enum async_queue q);

/* Called when @c's connection closes (and by client_destroy()): drops its
 * queued jobs, forgets the rest. */
void async_client_gone(struct client *c);

void async_get_stats(enum async_queue q, struct async_stats *out);

/* While c->async_pending > 0, conn.c holds @c's input (see above). */

#endif
