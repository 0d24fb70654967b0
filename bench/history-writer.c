/* history-writer.c - the history store's own figures, measured on the real
 * history.c (linked from natterd_core), without sockets:
 *
 *   1. writer throughput: messages logged as the relay path logs them
 *      (outmsg_compose + history_log_room), spread over --rooms rooms,
 *      until the writer thread has committed the last one;
 *   2. a room filled to --messages stored lines (1,000,000 by default);
 *   3. the in-loop cost of CHATHISTORY LATEST 100 on that room: the query
 *      on the read-only connection plus formatting the 100 lines, --queries
 *      times, with p50/p99/max.
 *
 *   history-writer --dir EMPTY_DIR [--messages N] [--rooms R] [--queries Q]
 *
 * Prints RESULT lines. The directory is left with the filled natterd.db so
 * bench/history-bench can also time CHATHISTORY over a socket. */
#include <event2/event.h>
#include <event2/thread.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "channel.h"
#include "client.h"
#include "config.h"
#include "db.h"
#include "history.h"
#include "send.h"
#include "server.h"

/* CPU time of the whole process (both threads), and of this thread, in us. */
static int64_t process_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Lets the loop's side see commits and moves (it frees moved rows). */
static void wait_a_little(void)
{
	event_base_loop(server.base, EVLOOP_NONBLOCK);
	g_usleep(100);
}

/* Logs @n messages to the rooms in @rooms (round robin) and waits for the
 * last commit; returns the seconds it took. Keeps at most 200,000 records
 * queued, as a server under that load would have. */
static double log_messages(struct client *c, struct channel *rooms, int nrooms, long n)
{
	int64_t t0 = server_now_us();
	uint64_t last = 0;
	char text[80];

	for (long i = 0; i < n; i++) {
		struct channel *ch = &rooms[i % nrooms];
		struct outmsg m;

		snprintf(text, sizeof(text), "message %ld with some ordinary chat text in it", i);
		outmsg_init(&m, NULL);
		outmsg_compose(&m, c->prefix, "PRIVMSG", ch->name, text);
		history_log_room(ch, c, &m, HIST_PRIVMSG);
		last = m.hist_seq;
		outmsg_clear(&m);
		if (last > 200000)
			while (!history_committed(last - 200000))
				wait_a_little();
	}
	while (!history_committed(last))
		wait_a_little();
	return (double)(server_now_us() - t0) / 1e6;
}

/* Waits until every row is in the indexed table (the writer moves them
 * once no batch has come for a moment); returns the seconds it took. */
static double wait_moved(void)
{
	int64_t t0 = server_now_us();

	while (!history_all_moved())
		wait_a_little();
	return (double)(server_now_us() - t0) / 1e6;
}

int main(int argc, char **argv)
{
	char *dir = NULL;
	gint64 messages = 1000000, queries = 1000, rooms_n = 20;
	GOptionEntry entries[] = {
		{ "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "An empty data directory", "DIR" },
		{ "messages", 0, 0, G_OPTION_ARG_INT64, &messages, "Lines in the big room", "N" },
		{ "rooms", 0, 0, G_OPTION_ARG_INT64, &rooms_n, "Rooms for the throughput run", "R" },
		{ "queries", 0, 0, G_OPTION_ARG_INT64, &queries, "LATEST 100 queries", "Q" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- history store figures");
	struct config_overrides ov = { 0 };
	GError *error = NULL;
	struct channel *rooms, big = { 0 };
	struct client c = { 0 };
	int64_t *lat, *cpu, cpu0;
	double secs, moved;
	long through = 200000;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || dir == NULL) {
		fprintf(stderr, "history-writer: %s\n", error != NULL ? error->message : "--dir needed");
		return 2;
	}
	evthread_use_pthreads();
	server.base = event_base_new();
	ov.data_dir = dir;
	server.cfg = config_load(&ov, &error);
	if (server.cfg == NULL || g_mkdir_with_parents(dir, 0700) != 0 ||
	    !db_open(dir, &error) || !history_open(dir, &error)) {
		fprintf(stderr, "history-writer: %s\n", error != NULL ? error->message : dir);
		return 1;
	}
	snprintf(server.msgid_prefix, sizeof(server.msgid_prefix), "bench-");
	g_strlcpy(c.nick, "bencher", sizeof(c.nick));
	c.prefix = "bencher!bench@127.0.0.1";

	/* 1: throughput over several rooms. */
	rooms = g_new0(struct channel, rooms_n);
	for (int i = 0; i < rooms_n; i++)
		rooms[i].name = g_strdup_printf("#room%d", i);
	cpu0 = process_cpu_us();
	secs = log_messages(&c, rooms, (int)rooms_n, through);
	moved = wait_moved();
	/* stored: committed (acknowledged); indexed: also moved into the
	 * indexed table, which the writer does once the burst is over. */
	printf("RESULT scenario=history-writer messages=%ld rooms=%d seconds=%.3f "
	       "stored_per_s=%.0f indexed_per_s=%.0f cpu_us_per_msg=%.2f batch_max=%d\n",
	       through, (int)rooms_n, secs, through / secs, through / (secs + moved),
	       (double)(process_cpu_us() - cpu0) / through, server.cfg->history.batch_max);

	/* 2: one room with @messages lines. */
	big.name = "#bench";
	cpu0 = process_cpu_us();
	secs = log_messages(&c, &big, 1, messages);
	moved = wait_moved();
	printf("RESULT scenario=history-fill room=#bench messages=%lld seconds=%.3f "
	       "stored_per_s=%.0f indexed_per_s=%.0f cpu_us_per_msg=%.2f\n",
	       (long long)messages, secs, messages / secs, messages / (secs + moved),
	       (double)(process_cpu_us() - cpu0) / messages);

	/* 3: LATEST 100 on it, as the loop runs it. */
	lat = g_new(int64_t, queries);
	cpu = g_new(int64_t, queries);
	for (gint64 i = 0; i < queries; i++) {
		int64_t t0 = server_now_us(), c0 = thread_cpu_us();
		GPtrArray *rows = history_query("#bench", NULL, NULL, true, 100,
						HIST_LAST_MESSAGE_KIND, 0);
		history_send_rows(&c, rows, true); /* formats; c has no socket */
		if (rows->len != 100) {
			fprintf(stderr, "history-writer: LATEST gave %u rows\n", rows->len);
			return 1;
		}
		g_ptr_array_free(rows, TRUE);
		lat[i] = server_now_us() - t0;
		cpu[i] = thread_cpu_us() - c0;
	}
	qsort(lat, (size_t)queries, sizeof(*lat), cmp_i64);
	qsort(cpu, (size_t)queries, sizeof(*cpu), cmp_i64);
	/* Wall time includes being descheduled on a busy machine; CPU time is
	 * what the loop itself spends. */
	printf("RESULT scenario=history-latest100 rows_in_room=%lld queries=%lld p50_us=%lld "
	       "p99_us=%lld max_us=%lld cpu_p50_us=%lld cpu_p99_us=%lld\n", (long long)messages,
	       (long long)queries, (long long)lat[queries / 2], (long long)lat[queries * 99 / 100],
	       (long long)lat[queries - 1], (long long)cpu[queries / 2],
	       (long long)cpu[queries * 99 / 100]);
	history_close();
	db_close();
	return 0;
}
