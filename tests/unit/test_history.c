/* Unit tests for src/server/history.c: server-time parsing, conversation
 * keys, the [history] config, and the store itself (writer thread, commit
 * numbers, range queries with (time, id) bounds, retention-free reads) on
 * a fresh data directory, without sockets. */
#include <event2/event.h>
#include <event2/thread.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "client.h"
#include "config.h"
#include "db.h"
#include "history.h"
#include "log.h"
#include "send.h"
#include "server.h"

static void test_time_round_trip(void)
{
	int64_t ms;
	char out[32];

	g_assert_true(history_parse_time("2026-01-02T03:04:05.678Z", &ms));
	history_format_time(ms, out, sizeof(out));
	g_assert_cmpstr(out, ==, "2026-01-02T03:04:05.678Z");
	g_assert_true(history_parse_time("1970-01-01T00:00:01Z", &ms));
	g_assert_cmpint(ms, ==, 1000);
	g_assert_true(history_parse_time("1970-01-01T00:00:00.5Z", &ms));
	g_assert_cmpint(ms, ==, 500);
	g_assert_true(history_parse_time("1970-01-01T00:00:00.123456Z", &ms));
	g_assert_cmpint(ms, ==, 123);
	g_assert_false(history_parse_time("yesterday", &ms));
	g_assert_false(history_parse_time("2026-01-02T03:04:05.678", &ms)); /* no Z */
	g_assert_false(history_parse_time("2026-13-02T03:04:05Z", &ms));
	g_assert_false(history_parse_time("2026-01-02T03:04:05Zjunk", &ms));
	g_assert_false(history_parse_time("", &ms));
}

static void test_private_key_is_symmetric(void)
{
	g_autofree char *ab = history_private_key("alice", "~bob");
	g_autofree char *ba = history_private_key("~bob", "alice");

	g_assert_cmpstr(ab, ==, ba);
	g_assert_cmpstr(ab, ==, "alice ~bob");
}

static struct config *load_text(const char *text, GError **error)
{
	g_autofree char *path = NULL;
	struct config_overrides ov = { 0 };
	int fd = g_file_open_tmp("natterd-hist-XXXXXX.conf", &path, NULL);
	struct config *cfg;

	g_assert_true(fd >= 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	ov.config_file = path;
	ov.data_dir = "/tmp/natterd-unit-none";
	cfg = config_load(&ov, error);
	g_unlink(path);
	return cfg;
}

static void test_config(void)
{
	GError *error = NULL;
	struct config *cfg = load_text("[history]\ndurable_ack=echo\nmax_age=60\n"
				       "replay_on_join=0  # off\n"
				       "[room #Ops]\nhistory_max_lines=5\nhistory_before_join=false\n",
				       &error);
	const struct history_room_config *rc;

	g_assert_no_error(error);
	g_assert_cmpint(cfg->history.durable_ack, ==, HIST_ACK_ECHO);
	g_assert_cmpint(cfg->history.max_age, ==, 60);
	g_assert_cmpint(cfg->history.replay_on_join, ==, 0);
	g_assert_cmpint(cfg->history.query_limit, ==, 100);
	g_assert_nonnull(cfg->history.rooms);
	g_assert_cmpuint(cfg->history.rooms->len, ==, 1);
	rc = g_ptr_array_index(cfg->history.rooms, 0);
	g_assert_cmpstr(rc->name, ==, "#Ops");
	g_assert_cmpint(rc->max_lines, ==, 5);
	g_assert_cmpint(rc->max_age, ==, -1);
	g_assert_cmpint(rc->before_join, ==, 0);
	config_free(cfg);

	for (const char *bad = "[history]\ndurable_ack=maybe\n"; bad != NULL; bad = NULL) {
		cfg = load_text(bad, &error);
		g_assert_null(cfg);
		g_assert_nonnull(strstr(error->message, "durable_ack"));
		g_clear_error(&error);
	}
	cfg = load_text("[history]\nsynchronous=sometimes\n", &error);
	g_assert_null(cfg);
	g_assert_nonnull(strstr(error->message, "synchronous"));
	g_clear_error(&error);
	cfg = load_text("[history]\nquery_limit=0\n", &error);
	g_assert_null(cfg);
	g_clear_error(&error);
}

/* --- the store ---------------------------------------------------------- */

static char *data_dir;
static struct client sender;
static struct channel room;

static void store_open(void)
{
	struct config_overrides ov = { 0 };
	GError *error = NULL;

	evthread_use_pthreads();
	log_set_level(LOG_ERROR);
	data_dir = g_dir_make_tmp("natterd-hist-XXXXXX", &error);
	g_assert_no_error(error);
	memset(&server, 0, sizeof(server));
	ov.data_dir = data_dir;
	server.cfg = config_load(&ov, &error);
	g_assert_no_error(error);
	server.base = event_base_new();
	g_strlcpy(server.msgid_prefix, "u-", sizeof(server.msgid_prefix));
	g_assert_true(db_open(data_dir, &error));
	g_assert_true(history_open(data_dir, &error));
	g_assert_no_error(error);
	g_assert_true(history_enabled());
	g_strlcpy(sender.nick, "Alice", sizeof(sender.nick));
	sender.prefix = "Alice!a@127.0.0.1";
	room.name = "#Room";
}

static void store_close(void)
{
	g_autofree char *db = g_build_filename(data_dir, "natterd.db", NULL);
	g_autofree char *wal = g_strconcat(db, "-wal", NULL);
	g_autofree char *shm = g_strconcat(db, "-shm", NULL);

	history_close();
	db_close();
	event_base_free(server.base);
	config_free(server.cfg);
	g_unlink(db);
	g_unlink(wal);
	g_unlink(shm);
	g_rmdir(data_dir);
	g_free(data_dir);
}

/* Logs "@text" to #Room at time @ms; returns its msgid. */
static char *say(const char *text, int64_t ms)
{
	struct outmsg m;
	char *msgid;

	outmsg_init(&m, NULL);
	m.time_us = ms * 1000;
	outmsg_compose(&m, sender.prefix, "PRIVMSG", room.name, text);
	history_log_room(&room, &sender, &m, HIST_PRIVMSG);
	g_assert_cmpuint(m.hist_seq, >, 0);
	while (!history_committed(m.hist_seq))
		g_usleep(1000);
	msgid = g_strdup(outmsg_msgid(&m));
	outmsg_clear(&m);
	return msgid;
}

static char *texts(GPtrArray *rows)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < rows->len; i++) {
		const struct history_row *r = g_ptr_array_index(rows, i);
		const char *t = strstr(r->line, " :");
		g_string_append_printf(s, "%s%s", i > 0 ? "," : "", t != NULL ? t + 2 : "?");
	}
	g_ptr_array_free(rows, TRUE);
	return g_string_free(s, FALSE);
}

static void test_store_and_ranges(void)
{
	g_autofree char *id_b = NULL, *id_c = NULL;
	struct history_ref ref, lo;
	bool found;
	char *got;

	store_open();
	/* Three lines in the same millisecond, one later: order is by id. */
	g_free(say("a", 1000));
	id_b = say("b", 1000);
	id_c = say("c", 1000);
	g_free(say("d", 2000));

	got = texts(history_query("#room", NULL, NULL, true, 100, HIST_LAST_MESSAGE_KIND, 0));
	g_assert_cmpstr(got, ==, "a,b,c,d");
	g_free(got);
	got = texts(history_query("#room", NULL, NULL, true, 2, HIST_LAST_MESSAGE_KIND, 0));
	g_assert_cmpstr(got, ==, "c,d");
	g_free(got);
	got = texts(history_query("#room", NULL, NULL, false, 2, HIST_LAST_MESSAGE_KIND, 0));
	g_assert_cmpstr(got, ==, "a,b");
	g_free(got);

	/* By msgid, a tie in time is split by id. */
	g_autofree char *refb = g_strconcat("msgid=", id_b, NULL);
	g_assert_true(history_parse_ref("#room", refb, false, &ref, &found));
	g_assert_true(found);
	got = texts(history_query("#room", &ref, NULL, false, 100, HIST_LAST_MESSAGE_KIND, 0));
	g_assert_cmpstr(got, ==, "c,d");
	g_free(got);
	got = texts(history_query("#room", NULL, &ref, true, 100, HIST_LAST_MESSAGE_KIND, 0));
	g_assert_cmpstr(got, ==, "a");
	g_free(got);

	/* By timestamp, bounds are exclusive of that whole millisecond. */
	g_assert_true(history_parse_ref("#room", "timestamp=1970-01-01T00:00:01.000Z", false,
					&lo, &found));
	got = texts(history_query("#room", &lo, NULL, false, 100, HIST_LAST_MESSAGE_KIND, 0));
	g_assert_cmpstr(got, ==, "d");
	g_free(got);
	got = texts(history_query("#room", NULL, &lo, true, 100, HIST_LAST_MESSAGE_KIND, 0));
	g_assert_cmpstr(got, ==, "");
	g_free(got);

	/* The "not before" cut (rooms that hide what came before a join). */
	got = texts(history_query("#room", NULL, NULL, true, 100, HIST_LAST_MESSAGE_KIND, 1500));
	g_assert_cmpstr(got, ==, "d");
	g_free(got);

	/* A msgid of another target is unknown here. */
	g_assert_true(history_parse_ref("#other", refb, false, &ref, &found));
	g_assert_false(found);
	g_assert_false(history_parse_ref("#room", "*", false, &ref, &found));
	g_assert_true(history_parse_ref("#room", "*", true, &ref, &found));
	g_assert_true(ref.all);

	/* Events are kept apart from messages by kind. */
	g_assert_cmpint(history_latest_time("#room", 0, 5000), ==, 2000);
	g_assert_cmpint(history_latest_time("#room", 0, 2000), ==, 1000);
	g_assert_cmpint(history_latest_time("#nothing", 0, 5000), ==, 0);

	/* Redaction removes the line. */
	{
		struct outmsg m;
		uint64_t seq;
		outmsg_init(&m, NULL);
		outmsg_printf(&m, ":%s REDACT #Room %s", sender.prefix, id_c);
		history_redact(id_c, &m);
		seq = m.hist_seq;
		outmsg_clear(&m);
		while (!history_committed(seq))
			g_usleep(1000);
	}
	g_assert_null(history_find_msgid(id_c, NULL));
	got = texts(history_query("#room", NULL, NULL, true, 100, HIST_LAST_MESSAGE_KIND, 0));
	g_assert_cmpstr(got, ==, "a,b,d");
	g_free(got);
	store_close();
}

/* Rows of @target of every kind, as "kind:line|tags" joined by ",". */
static char *rows_of(const char *target)
{
	GPtrArray *rows = history_query(target, NULL, NULL, false, 100, 100, 0);
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < rows->len; i++) {
		const struct history_row *r = g_ptr_array_index(rows, i);
		g_string_append_printf(s, "%s%d:%s|%s", i > 0 ? "," : "", r->kind, r->line,
				       r->tags != NULL ? r->tags : "");
	}
	g_ptr_array_free(rows, TRUE);
	return g_string_free(s, FALSE);
}

/* Logs one event line of @kind with client-only @tags (may be NULL). */
static void event(enum history_kind kind, const char *line, const char *tags, bool rooms_of)
{
	struct outmsg m;

	outmsg_init(&m, NULL);
	if (tags != NULL)
		outmsg_add_tag(&m, tags, NULL);
	outmsg_printf(&m, "%s", line);
	if (rooms_of)
		history_log_rooms_of(&sender, &m, kind);
	else
		history_log_room(&room, &sender, &m, kind);
	g_assert_cmpuint(m.hist_seq, ==, 0); /* events hold nobody back */
	outmsg_clear(&m);
}

static void test_events_tagmsg_multiline(void)
{
	struct channel other = { .name = "#Other" };
	struct channel *chans[2] = { &room, &other };
	g_autoptr(GPtrArray) texts_ = g_ptr_array_new();
	g_autoptr(GArray) concat = g_array_new(FALSE, FALSE, sizeof(gboolean));
	gboolean no = FALSE, yes = TRUE;
	struct outmsg m;
	char *got;

	store_open();
	sender.channels = chans;
	sender.nchannels = 2;
	/* A typing notification is not kept; a reaction is, with its tag. */
	event(HIST_TAGMSG, ":Alice!a@127.0.0.1 TAGMSG #Room", "+typing=active", false);
	event(HIST_TAGMSG, ":Alice!a@127.0.0.1 TAGMSG #Room", NULL, false);
	event(HIST_TAGMSG, ":Alice!a@127.0.0.1 TAGMSG #Room", "+draft/react=ok", false);
	/* A QUIT in each of the sender's rooms. */
	event(HIST_QUIT, ":Alice!a@127.0.0.1 QUIT :bye", NULL, true);
	/* A multiline message: one row, held like any message. */
	g_ptr_array_add(texts_, "one");
	g_ptr_array_add(texts_, "two");
	g_ptr_array_add(texts_, "");
	g_array_append_val(concat, no);
	g_array_append_val(concat, yes);
	g_array_append_val(concat, no);
	outmsg_init(&m, NULL);
	history_log_multiline(&sender, &room, NULL, &m, "PRIVMSG", texts_, concat);
	g_assert_cmpuint(m.hist_seq, >, 0);
	while (!history_committed(m.hist_seq))
		g_usleep(1000);
	outmsg_clear(&m);

	got = rows_of("#room");
	g_assert_cmpstr(got, ==, "16::Alice!a@127.0.0.1 TAGMSG #Room|+draft/react=ok,"
				 "14::Alice!a@127.0.0.1 QUIT :bye|,"
				 "3::Alice!a@127.0.0.1 PRIVMSG #Room\n one\n+two\n |");
	g_free(got);
	got = rows_of("#other");
	g_assert_cmpstr(got, ==, "14::Alice!a@127.0.0.1 QUIT :bye|");
	g_free(got);
	/* Only messages (the multiline one) count for TARGETS. */
	g_assert_cmpint(history_latest_time("#room", 0, INT64_MAX), >, 0);
	g_assert_cmpint(history_latest_time("#other", 0, INT64_MAX), ==, 0);
	sender.channels = NULL;
	sender.nchannels = 0;
	store_close();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/history/time_round_trip", test_time_round_trip);
	g_test_add_func("/history/private_key_is_symmetric", test_private_key_is_symmetric);
	g_test_add_func("/history/config", test_config);
	g_test_add_func("/history/store_and_ranges", test_store_and_ranges);
	g_test_add_func("/history/events_tagmsg_multiline", test_events_tagmsg_multiline);
	return g_test_run();
}
