/* worker.c - small thread pools whose results are handed back to the
 * libevent loop through one thread-safe event (see worker.h). */
#include "worker.h"

#include <event2/event.h>
#include <openssl/crypto.h>

#include "server.h"

struct worker_pool {
	GThreadPool *threads;
	char *name;
};

struct job {
	worker_fn work;
	worker_done_fn done;
	gpointer data;
};

static struct worker_pool *default_pool;
static GPtrArray *pools;        /* every struct worker_pool */
static GAsyncQueue *finished;   /* jobs whose work is done, for the loop */
static struct event *finished_ev;

static void run_job(gpointer job_ptr, gpointer unused)
{
	struct job *job = job_ptr;

	(void)unused;
	job->work(job->data);
	/* GLib keeps idle pool threads alive past exit, so OpenSSL's per-thread
	 * state (from SCRAM's PBKDF2/HMAC) would never be freed: release it
	 * after each job. It is rebuilt cheaply on the next use. */
	OPENSSL_thread_stop();
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

struct worker_pool *worker_pool_new(const char *name, int threads)
{
	struct worker_pool *pool = g_new0(struct worker_pool, 1);
	GError *error = NULL;

	pool->name = g_strdup(name);
	pool->threads = g_thread_pool_new(run_job, NULL, threads, FALSE, &error);
	if (pool->threads == NULL)
		g_error("cannot create the %s worker pool: %s", name, error->message);
	g_ptr_array_add(pools, pool);
	return pool;
}

void worker_init(void)
{
	finished = g_async_queue_new();
	finished_ev = event_new(server.base, -1, 0, drain_finished, NULL);
	pools = g_ptr_array_new();
	default_pool = worker_pool_new("default", 2);
}

void worker_shutdown(void)
{
	for (guint i = 0; i < pools->len; i++) {
		struct worker_pool *pool = g_ptr_array_index(pools, i);
		g_thread_pool_free(pool->threads, FALSE, TRUE);
		g_free(pool->name);
		g_free(pool);
	}
	g_ptr_array_free(pools, TRUE);
	drain_finished(-1, 0, NULL);
	event_free(finished_ev);
	g_async_queue_unref(finished);
}

void worker_pool_submit(struct worker_pool *pool, worker_fn work, worker_done_fn done,
			gpointer data)
{
	struct job *job = g_new0(struct job, 1);
	GError *error = NULL;

	job->work = work;
	job->done = done;
	job->data = data;
	if (!g_thread_pool_push(pool->threads, job, &error))
		g_error("cannot queue work in the %s pool: %s", pool->name, error->message);
}

void worker_submit(worker_fn work, worker_done_fn done, gpointer data)
{
	worker_pool_submit(default_pool, work, done, data);
}
