/* worker.h - worker threads for work that would block the event loop
 * (password hashing, disk writes). Results come back to the loop thread. */
#ifndef NATTERD_WORKER_H
#define NATTERD_WORKER_H

#include <glib.h>

/* Runs in a worker thread: must not touch chat state. */
typedef void (*worker_fn)(gpointer data);
/* Runs later in the loop thread, after @work finished. */
typedef void (*worker_done_fn)(gpointer data);

void worker_init(void);
/* Waits for queued work to finish and runs the remaining done callbacks. */
void worker_shutdown(void);
void worker_submit(worker_fn work, worker_done_fn done, gpointer data);

#endif
