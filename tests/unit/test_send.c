/* Unit tests for src/server/send.c: the composed message (msgid and time
 * fixed at compose, one wire form per tag variant), batches to one client
 * (nested, and nothing for a client without the capability) and labeled
 * responses (ACK, one labeled line, a labeled-response batch). */
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "send.h"
#include "server.h"
#include "server_harness.h"

/* Output read by a test, freed at exit (so assertions can nest calls). */
static GPtrArray *garbage;

static const char *keep(char *s)
{
	g_ptr_array_add(garbage, s);
	return s;
}

static const char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *format, ...)
{
	va_list ap;
	char *s;

	va_start(ap, format);
	s = g_strdup_vprintf(format, ap);
	va_end(ap);
	return keep(s);
}

static char *read_after_turn(struct hclient *h)
{
	harness_turn();
	return harness_read(h);
}

static const char *read_kept(struct hclient *h)
{
	return keep(read_after_turn(h));
}

static void test_outmsg_fixed_at_compose(void)
{
	struct hclient *plain = harness_client("plain");
	struct hclient *tagged = harness_client("tagged");
	struct outmsg m;
	g_autofree char *a = NULL, *b = NULL, *want_tags = NULL;
	int64_t before = server_wall_us();

	tagged->client->caps |= CAP_MESSAGE_TAGS | CAP_SERVER_TIME;
	outmsg_init(&m, NULL);
	g_assert_cmpint(m.time_us, >=, before);
	g_assert_cmpuint(m.msgid_seq, >, 0);
	outmsg_compose(&m, "src!u@h", "PRIVMSG", "#room", "hello there");
	g_assert_cmpstr(m.source, ==, "src!u@h");
	g_assert_cmpstr(m.command, ==, "PRIVMSG");
	g_assert_cmpint(m.nparams, ==, 2);
	g_assert_cmpstr(m.params[1], ==, "hello there");
	outmsg_send(&m, plain->client);
	outmsg_send(&m, tagged->client);
	want_tags = g_strdup_printf("@time=%s;msgid=%s :src!u@h PRIVMSG #room :hello there\r\n",
				    outmsg_time(&m), outmsg_msgid(&m));
	outmsg_clear(&m);
	a = read_after_turn(plain);
	b = read_after_turn(tagged);
	g_assert_cmpstr(a, ==, ":src!u@h PRIVMSG #room :hello there\r\n");
	g_assert_cmpstr(b, ==, want_tags);
	g_assert_true(g_str_has_suffix(outmsg_time(&m), "Z"));
}

static void test_outmsg_printf_structured(void)
{
	struct outmsg m, n;

	outmsg_init(&m, NULL);
	outmsg_printf(&m, ":a!b@c KICK #room victim :a reason");
	g_assert_cmpstr(m.source, ==, "a!b@c");
	g_assert_cmpstr(m.command, ==, "KICK");
	g_assert_cmpint(m.nparams, ==, 3);
	g_assert_cmpstr(m.params[2], ==, "a reason");
	outmsg_init(&n, NULL);
	g_assert_cmpuint(n.msgid_seq, ==, m.msgid_seq + 1);
	g_assert_cmpstr(outmsg_msgid(&m), !=, outmsg_msgid(&n));
	outmsg_clear(&m);
	outmsg_clear(&n);
}

static void test_batch_nesting(void)
{
	struct hclient *h = harness_client("batcher");
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;
	char outer[16], inner[16];

	h->client->caps |= CAP_BATCH;
	send_batch_begin(h->client, "chathistory", "#room");
	send_line(h->client, ":x PRIVMSG #room :one");
	send_batch_begin(h->client, "draft/multiline", "#room");
	send_line(h->client, ":x PRIVMSG #room :two");
	send_batch_end(h->client);
	send_batch_end(h->client);
	send_line(h->client, ":x PRIVMSG #room :after");
	g_assert_null(h->client->send_state);
	out = read_after_turn(h);
	lines = g_strsplit(out, "\r\n", -1);
	g_assert_cmpint(sscanf(lines[0], ":%*s BATCH +%15s chathistory #room", outer), ==, 1);
	g_assert_cmpstr(lines[1], ==, fmt("@batch=%s :x PRIVMSG #room :one", outer));
	g_assert_cmpint(sscanf(lines[2], "@batch=%*[^ ] :%*s BATCH +%15s", inner), ==, 1);
	g_assert_true(g_str_has_prefix(lines[2], fmt("@batch=%s ", outer)));
	g_assert_cmpstr(lines[3], ==, fmt("@batch=%s :x PRIVMSG #room :two", inner));
	g_assert_true(g_str_has_suffix(lines[4], fmt("BATCH -%s", inner)));
	g_assert_true(g_str_has_prefix(lines[4], fmt("@batch=%s ", outer)));
	g_assert_true(g_str_has_suffix(lines[5], fmt("BATCH -%s", outer)));
	g_assert_cmpstr(lines[6], ==, ":x PRIVMSG #room :after");
}

static void test_batch_without_cap_sends_plain_lines(void)
{
	struct hclient *h = harness_client("nobatch");
	g_autofree char *out = NULL;

	send_batch_begin(h->client, "chathistory", "#room");
	send_line(h->client, ":x PRIVMSG #room :one");
	send_batch_end(h->client);
	out = read_after_turn(h);
	g_assert_cmpstr(out, ==, ":x PRIVMSG #room :one\r\n");
	g_assert_null(h->client->send_state);
}

static void test_labels(void)
{
	struct hclient *h = harness_client("labeler");
	g_autofree char *ack = NULL, *one = NULL, *many = NULL, *nested = NULL;
	char *taken;

	h->client->caps |= CAP_LABELED_RESPONSE | CAP_BATCH;
	send_label_begin(h->client, "a1");
	send_label_end(h->client);
	ack = read_after_turn(h);
	g_assert_true(g_str_has_prefix(ack, "@label=a1 :"));
	g_assert_true(g_str_has_suffix(ack, " ACK\r\n"));

	send_label_begin(h->client, "semi;colon");
	send_line(h->client, ":srv PONG srv :x");
	send_label_end(h->client);
	one = read_after_turn(h);
	g_assert_cmpstr(one, ==, "@label=semi\\:colon :srv PONG srv :x\r\n");

	send_label_begin(h->client, "m");
	send_line(h->client, "@time=t :srv 353 a = #r :a");
	send_line(h->client, ":srv 366 a #r :End");
	send_label_end(h->client);
	many = read_after_turn(h);
	g_assert_true(g_str_has_prefix(many, "@label=m :"));
	g_assert_nonnull(strstr(many, " BATCH +"));
	g_assert_nonnull(strstr(many, ";time=t :srv 353"));
	g_assert_nonnull(strstr(many, " :srv 366 a #r :End\r\n"));
	g_assert_nonnull(strstr(many, " BATCH -"));

	/* A labeled command that opens its own batch nests it inside the
	 * labeled-response batch. */
	send_label_begin(h->client, "n");
	send_batch_begin(h->client, "chathistory", "#r");
	send_line(h->client, ":x PRIVMSG #r :old");
	send_batch_end(h->client);
	send_label_end(h->client);
	nested = read_after_turn(h);
	g_assert_true(g_str_has_prefix(nested, "@label=n :"));
	g_assert_nonnull(strstr(nested, "labeled-response\r\n@batch="));
	g_assert_nonnull(strstr(nested, " chathistory #r\r\n"));
	g_assert_null(h->client->send_state);

	/* Async work takes the label and answers later. */
	send_label_begin(h->client, "later");
	taken = send_label_take(h->client);
	g_assert_cmpstr(taken, ==, "later");
	send_label_end(h->client); /* nothing: the label was taken */
	g_assert_cmpstr(read_kept(h), ==, "");
	g_free(taken);

	/* Without the capability labels are ignored. */
	h->client->caps &= ~CAP_LABELED_RESPONSE;
	send_label_begin(h->client, "x");
	send_label_end(h->client);
	g_assert_cmpstr(read_kept(h), ==, "");
}

static void test_to_channel_and_neighbours(void)
{
	struct hclient *a = harness_client("fan-a");
	struct hclient *b = harness_client("fan-b");
	struct hclient *c = harness_client("fan-c");
	struct channel *r1 = channel_create("#unit-fan1", true);
	struct channel *r2 = channel_create("#unit-fan2", true);
	struct outmsg m;
	g_autofree char *got_b = NULL, *got_c = NULL, *got_a = NULL;

	channel_add_member(r1, a->client, 0);
	channel_add_member(r1, b->client, 0);
	channel_add_member(r2, a->client, 0);
	channel_add_member(r2, b->client, 0);
	channel_add_member(r2, c->client, 0);
	c->client->caps |= CAP_AWAY_NOTIFY;
	/* b shares two rooms with a but hears once; need_caps filters. */
	outmsg_init(&m, NULL);
	outmsg_printf(&m, ":fan-a!u@h AWAY :gone");
	outmsg_to_neighbours(&m, a->client, false, 0);
	outmsg_clear(&m);
	got_b = read_after_turn(b);
	g_assert_cmpstr(got_b, ==, ":fan-a!u@h AWAY :gone\r\n");
	outmsg_init(&m, NULL);
	outmsg_printf(&m, ":fan-a!u@h AWAY");
	outmsg_to_neighbours(&m, a->client, true, CAP_AWAY_NOTIFY);
	outmsg_clear(&m);
	got_c = read_after_turn(c);
	g_assert_cmpstr(got_c, ==, ":fan-a!u@h AWAY :gone\r\n:fan-a!u@h AWAY\r\n");
	got_a = read_after_turn(a);
	g_assert_cmpstr(got_a, ==, "");
}

int main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	garbage = g_ptr_array_new_with_free_func(g_free);
	harness_start();
	g_test_add_func("/send/outmsg-fixed-at-compose", test_outmsg_fixed_at_compose);
	g_test_add_func("/send/outmsg-printf-structured", test_outmsg_printf_structured);
	g_test_add_func("/send/batch-nesting", test_batch_nesting);
	g_test_add_func("/send/batch-without-cap", test_batch_without_cap_sends_plain_lines);
	g_test_add_func("/send/labels", test_labels);
	g_test_add_func("/send/channel-and-neighbours", test_to_channel_and_neighbours);
	status = g_test_run();
	harness_stop();
	g_ptr_array_free(garbage, TRUE);
	return status;
}
