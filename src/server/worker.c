/* worker.c - a small thread pool whose results are handed back to the
 * libevent loop through a thread-safe event (see worker.h). */
#include "worker.h"

#include <event2/event.h>

#include "server.h"

struct job {
	worker_fn work;
	worker_done_fn done;
	gpointer data;
};

static GThreadPool *pool;
static GAsyncQueue *finished;
static struct event *finished_ev;

static void run_job(gpointer job_ptr, gpointer unused)
{
	struct job *job = job_ptr;

	(void)unused;
	job->work(job->data);
	g_async_queue_push(finished, job);
	/* Thread-safe because main() called evthread_use_pthreads(). */
	event_active(finished_ev, EV_READ, 0);
}

static void drain_finished(evutil_socket_t fd, short events, void *arg)
{
	struct job *job;

	(void)fd;
	(void)events;
	(void)arg;
	while ((job = g_async_queue_try_pop(finished)) != NULL) {
		job->done(job->data);
		g_free(job);
	}
}

void worker_init(void)
{
	finished = g_async_queue_new();
	finished_ev = event_new(server.base, -1, 0, drain_finished, NULL);
	pool = g_thread_pool_new(run_job, NULL, 2, FALSE, NULL);
}

void worker_shutdown(void)
{
	g_thread_pool_free(pool, FALSE, TRUE);
	drain_finished(-1, 0, NULL);
	event_free(finished_ev);
	g_async_queue_unref(finished);
}

void worker_submit(worker_fn work, worker_done_fn done, gpointer data)
{
	struct job *job = g_new0(struct job, 1);

	job->work = work;
	job->done = done;
	job->data = data;
	g_thread_pool_push(pool, job, NULL);
}
