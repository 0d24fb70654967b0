/* worker.h - worker threads for work that would block the event loop
 * (password hashing, disk reads). Results come back to the loop thread.
 *
 * Work done on behalf of a client goes through async.h instead, which keeps
 * the client's replies in order and forgets the job if the client leaves. */
#ifndef NATTERD_WORKER_H
#define NATTERD_WORKER_H

#include <glib.h>

/* Runs in a worker thread: must not touch chat state. */
typedef void (*worker_fn)(gpointer data);
/* Runs later in the loop thread, after @work finished. */
typedef void (*worker_done_fn)(gpointer data);

/* A set of threads with its own queue, so that slow work of one kind
 * (argon2 takes ~80 ms and 64 MiB) never delays work of another kind. */
struct worker_pool;

void worker_init(void);
/* Waits for queued work in every pool to finish and runs the remaining done
 * callbacks. Pools are freed here. */
void worker_shutdown(void);
/* Work in the default pool (two threads). */
void worker_submit(worker_fn work, worker_done_fn done, gpointer data);

/* A pool of @threads threads; lives until worker_shutdown(). */
struct worker_pool *worker_pool_new(const char *name, int threads);
void worker_pool_submit(struct worker_pool *pool, worker_fn work, worker_done_fn done,
			gpointer data);

#endif
