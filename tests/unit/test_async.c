/* Unit tests for src/server/async.c on the in-process server harness: a
 * job's answer comes before the client's next lines, a departed client's
 * queued job never runs and its done is skipped, free always runs, and the
 * queue's limit refuses. */
#include <glib.h>
#include <string.h>

#include "async.h"
#include "client.h"
#include "config.h"
#include "registry.h"
#include "send.h"
#include "server.h"
#include "server_harness.h"

/* A gate the test opens to let blocked work finish. */
static GMutex gate_lock;
static GCond gate_cond;
static bool gate_open;

struct job {
	bool block;          /* wait at the gate */
	int *ran, *done, *freed;
	uint64_t done_for;   /* id of the client done was called with */
};

static void set_gate(bool open)
{
	g_mutex_lock(&gate_lock);
	gate_open = open;
	g_cond_broadcast(&gate_cond);
	g_mutex_unlock(&gate_lock);
}

static void job_work(void *data)
{
	struct job *job = data;

	if (job->block) {
		g_mutex_lock(&gate_lock);
		while (!gate_open)
			g_cond_wait(&gate_cond, &gate_lock);
		g_mutex_unlock(&gate_lock);
	}
	g_atomic_int_inc(job->ran);
}

static void job_done(struct client *c, void *data)
{
	struct job *job = data;

	(*job->done)++;
	job->done_for = c->id;
	send_line(c, "NOTICE %s :job done", c->nick);
}

static void job_free(void *data)
{
	struct job *job = data;

	(*job->freed)++;
	g_free(job);
}

static struct job *new_job(bool block, int *ran, int *done, int *freed)
{
	struct job *job = g_new0(struct job, 1);

	job->block = block;
	job->ran = ran;
	job->done = done;
	job->freed = freed;
	return job;
}

/* Runs loop turns until @flag reaches @want (the worker answers through
 * the loop), for at most 10 s. */
static void turn_until(int *flag, int want)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	while (*flag < want && g_get_monotonic_time() < deadline) {
		harness_turn();
		g_usleep(1000);
	}
	g_assert_cmpint(*flag, ==, want);
}

static void test_answer_comes_before_held_lines(void)
{
	int ran = 0, done = 0, freed = 0;
	struct hclient *a;
	g_autofree char *out = NULL;
	struct job *job;

	harness_start();
	a = harness_client("alice");
	set_gate(false);
	job = new_job(true, &ran, &done, &freed);
	g_assert_true(async_submit(a->client, ASYNC_LOOKUP, job_work, job_done, job_free, job));
	g_assert_cmpuint(a->client->async_pending, ==, 1);
	/* Lines sent meanwhile wait: no PONG before the answer. */
	harness_send(a, "PING first");
	harness_turn();
	out = harness_read(a);
	g_assert_null(strstr(out, "PONG"));
	g_clear_pointer(&out, g_free);
	set_gate(true);
	turn_until(&freed, 1);
	harness_turn();
	out = harness_read(a);
	g_assert_cmpint(done, ==, 1);
	g_assert_nonnull(strstr(out, "job done"));
	g_assert_nonnull(strstr(out, "PONG"));
	g_assert_true(strstr(out, "job done") < strstr(out, "PONG"));
	g_assert_cmpuint(a->client->async_pending, ==, 0);
	harness_stop();
}

static void test_departed_client_job_dropped(void)
{
	int ran = 0, done = 0, freed = 0;
	struct hclient *a, *b;
	struct async_stats st, before;

	harness_start();
	async_get_stats(ASYNC_LOOKUP, &before); /* counters run for the process */
	a = harness_client("alice");
	b = harness_client("bob");
	set_gate(false);
	/* Two blocked jobs fill the lookup pool's two threads ... */
	g_assert_true(async_submit(a->client, ASYNC_LOOKUP, job_work, job_done, job_free,
				   new_job(true, &ran, &done, &freed)));
	g_assert_true(async_submit(a->client, ASYNC_LOOKUP, job_work, job_done, job_free,
				   new_job(true, &ran, &done, &freed)));
	/* ... so bob's waits in the queue; then bob leaves. */
	g_assert_true(async_submit(b->client, ASYNC_LOOKUP, job_work, job_done, job_free,
				   new_job(false, &ran, &done, &freed)));
	harness_close(b);
	harness_turn();
	g_assert_true(harness_closed(b));
	async_get_stats(ASYNC_LOOKUP, &st);
	g_assert_cmpuint(st.pending, ==, 2); /* bob's no longer counts */
	set_gate(true);
	turn_until(&freed, 3);
	g_assert_cmpint(g_atomic_int_get(&ran), ==, 2); /* bob's work never ran */
	g_assert_cmpint(done, ==, 2);                   /* alice's two answers only */
	async_get_stats(ASYNC_LOOKUP, &st);
	g_assert_cmpuint(st.dropped - before.dropped, ==, 1);
	g_assert_cmpuint(st.completed - before.completed, ==, 2);
	g_assert_cmpuint(st.pending, ==, 0);
	harness_stop();
}

static void test_client_gone_while_work_runs(void)
{
	int ran = 0, done = 0, freed = 0;
	struct hclient *a;
	struct async_stats st, before;

	harness_start();
	async_get_stats(ASYNC_LOOKUP, &before);
	a = harness_client("alice");
	set_gate(false);
	g_assert_true(async_submit(a->client, ASYNC_LOOKUP, job_work, job_done, job_free,
				   new_job(true, &ran, &done, &freed)));
	g_usleep(50 * 1000); /* let a worker pick it up */
	harness_close(a);
	harness_turn();
	g_assert_true(harness_closed(a));
	set_gate(true);
	turn_until(&freed, 1);
	g_assert_cmpint(done, ==, 0);
	async_get_stats(ASYNC_LOOKUP, &st);
	g_assert_cmpuint(st.orphaned + st.dropped - before.orphaned - before.dropped, ==, 1);
	harness_stop();
}

static void test_full_queue_refuses(void)
{
	int ran = 0, done = 0, freed = 0;
	struct hclient *a;
	struct async_stats st, before;
	struct job *extra;

	harness_start();
	async_get_stats(ASYNC_PASSWORD, &before);
	server.cfg->password_queue = 2;
	a = harness_client("alice");
	set_gate(false);
	for (int i = 0; i < 2; i++)
		g_assert_true(async_submit(a->client, ASYNC_PASSWORD, job_work, job_done,
					   job_free, new_job(true, &ran, &done, &freed)));
	extra = new_job(false, &ran, &done, &freed);
	g_assert_false(async_submit(a->client, ASYNC_PASSWORD, job_work, job_done, job_free,
				    extra));
	job_free(extra); /* not taken: still the caller's */
	async_get_stats(ASYNC_PASSWORD, &st);
	g_assert_cmpuint(st.refused - before.refused, ==, 1);
	g_assert_cmpuint(st.limit, ==, 2);
	set_gate(true);
	turn_until(&freed, 3);
	g_assert_cmpint(done, ==, 2);
	harness_stop();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/async/answer-before-held-lines", test_answer_comes_before_held_lines);
	g_test_add_func("/async/departed-dropped", test_departed_client_job_dropped);
	g_test_add_func("/async/gone-while-running", test_client_gone_while_work_runs);
	g_test_add_func("/async/full-queue", test_full_queue_refuses);
	return g_test_run();
}
