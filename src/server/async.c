/* async.c - client work on worker threads, answered in order, forgotten
 * when the client leaves (see async.h).
 *
 * Every live job is on one list owned by the loop thread. A job refers to
 * its client by id; when a client leaves, its jobs are marked cancelled (an
 * atomic flag the worker reads before it starts), so a queue that a crowd
 * of departed clients filled empties at once instead of hashing for
 * nobody. */
#include "async.h"

#include "client.h"
#include "conn.h"
#include "log.h"
#include "registry.h"
#include "send.h"
#include "server.h"
#include "worker.h"

struct async_job {
	struct async_job *prev, *next; /* the live list (loop thread only) */
	uint64_t client_id;
	enum async_queue queue;
	int cancelled;                 /* atomic: the client left */
	bool ran;                      /* work ran (written by the worker) */
	async_work_fn work;
	async_done_fn done;
	async_free_fn free_data;
	void *data;
	char *label;                   /* labeled-response label to answer with */
};

struct queue {
	struct worker_pool *pool;
	struct async_stats stats;
};

static struct queue queues[ASYNC_QUEUE_COUNT];
static struct async_job *live; /* queued or running, done not yet run */

static const char *const queue_names[ASYNC_QUEUE_COUNT] = {
	[ASYNC_PASSWORD] = "password",
	[ASYNC_LOOKUP] = "lookup",
};

static unsigned queue_limit(enum async_queue q)
{
	return q == ASYNC_PASSWORD ? (unsigned)server.cfg->password_queue : ASYNC_LOOKUP_MAX;
}

void async_init(void)
{
	for (int q = 0; q < ASYNC_QUEUE_COUNT; q++) {
		queues[q].pool = worker_pool_new(queue_names[q], 2);
		queues[q].stats.name = queue_names[q];
	}
}

/* In a worker thread. The GAsyncQueue that hands the job back to the loop
 * orders the write of @ran before the loop reads it. */
static void job_work(void *arg)
{
	struct async_job *job = arg;

	if (g_atomic_int_get(&job->cancelled))
		return;
	job->work(job->data);
	job->ran = true;
}

static void unlink_job(struct async_job *job)
{
	if (job->prev != NULL)
		job->prev->next = job->next;
	else
		live = job->next;
	if (job->next != NULL)
		job->next->prev = job->prev;
}

/* In the loop thread, once the work ran (or was skipped). */
static void job_done(void *arg)
{
	struct async_job *job = arg;
	struct async_stats *st = &queues[job->queue].stats;
	struct client *c = NULL;

	unlink_job(job);
	if (g_atomic_int_get(&job->cancelled)) {
		/* async_client_gone() already took it off the pending count. */
		if (job->ran)
			st->orphaned++;
		else
			st->dropped++;
	} else {
		st->pending--;
		c = registry_find_id(job->client_id);
		if (c != NULL)
			c->async_pending--;
		if (c != NULL && c->conn != NULL && c->conn->closing)
			c = NULL; /* leaving this turn: nobody to answer */
		if (c != NULL) {
			st->completed++;
			/* The answer carries the label of the command that
			 * submitted the job (send.h, labeled responses). */
			send_label_begin(c, job->label);
			job->done(c, job->data);
			send_label_end(c);
		} else {
			st->orphaned++;
		}
	}
	if (job->free_data != NULL)
		job->free_data(job->data);
	g_free(job->label);
	/* Its lines waited for this answer: take them now, in order. */
	if (c != NULL && c->async_pending == 0 && c->conn != NULL)
		conn_resume(c->conn);
	g_free(job);
}

bool async_submit(struct client *c, enum async_queue q, async_work_fn work,
		  async_done_fn done, async_free_fn free_data, void *data)
{
	struct queue *queue = &queues[q];
	struct async_job *job;

	if (queue->stats.pending >= queue_limit(q)) {
		queue->stats.refused++;
		return false;
	}
	job = g_new0(struct async_job, 1);
	job->client_id = c->id;
	job->queue = q;
	job->work = work;
	job->done = done;
	job->free_data = free_data;
	job->data = data;
	job->label = send_label_take(c);
	job->next = live;
	if (live != NULL)
		live->prev = job;
	live = job;
	queue->stats.pending++;
	queue->stats.submitted++;
	c->async_pending++;
	worker_pool_submit(queue->pool, job_work, job_done, job);
	return true;
}

void async_refuse(struct client *c, const char *command, enum async_queue q)
{
	char text[160];

	log_warn("%s from %s refused: the %s queue is full (%u jobs)", command,
		 c->prefix != NULL ? c->prefix : c->host, queue_names[q], queue_limit(q));
	snprintf(text, sizeof(text),
		 "Too many requests are waiting (%u); try again in a few seconds",
		 queue_limit(q));
	send_fail(c, command, "TEMPORARILY_UNAVAILABLE", text);
}

void async_client_gone(struct client *c)
{
	for (struct async_job *job = live; job != NULL; job = job->next) {
		if (job->client_id != c->id || g_atomic_int_get(&job->cancelled))
			continue;
		g_atomic_int_set(&job->cancelled, 1);
		queues[job->queue].stats.pending--;
	}
	c->async_pending = 0;
}

void async_get_stats(enum async_queue q, struct async_stats *out)
{
	*out = queues[q].stats;
	out->limit = queue_limit(q);
}
