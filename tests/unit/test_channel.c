/* Unit tests for src/server/channel.c: membership (the O(1) removal that
 * moves the last member into the hole), member flags, list modes with
 * exceptions and the mute extban, topics and the state-change hooks. */
#include <glib.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "hooks.h"
#include "registry.h"
#include "server_harness.h"

static int hook_counts[HOOK_COUNT];
static char last_topic[512];

static void count_hook(const struct hook_args *args, void *data)
{
	(void)data;
	hook_counts[args->event]++;
	if (args->event == HOOK_CHANNEL_TOPIC)
		g_strlcpy(last_topic, args->text != NULL ? args->text : "(none)", sizeof(last_topic));
}

static bool client_in(const struct client *c, const struct channel *ch)
{
	for (unsigned i = 0; i < client_channel_count(c); i++)
		if (client_channel_at(c, i) == ch)
			return true;
	return false;
}

static void check_consistent(const struct channel *ch)
{
	g_assert_cmpuint(g_hash_table_size(ch->members), ==, channel_member_count(ch));
	for (guint i = 0; i < channel_member_count(ch); i++) {
		struct client *m = channel_member_at(ch, i);
		g_assert_cmpuint(channel_member_flags(ch, m) & MEMBER_IN, ==, MEMBER_IN);
		g_assert_true(client_in(m, ch));
	}
}

static void test_membership(void)
{
	struct hclient *h[5];
	struct channel *ch = channel_create("#unit-members", false);

	for (int i = 0; i < 5; i++) {
		char nick[16];
		g_snprintf(nick, sizeof(nick), "mem%d", i);
		h[i] = harness_client(nick);
		channel_add_member(ch, h[i]->client, i == 0 ? MEMBER_OP : 0);
	}
	check_consistent(ch);
	g_assert_cmpuint(channel_member_count(ch), ==, 5);
	g_assert_cmpuint(channel_member_flags(ch, h[0]->client), ==, MEMBER_IN | MEMBER_OP);
	/* Removing from the middle moves the last member into the hole and
	 * keeps its flags. */
	channel_set_member_flags(ch, h[4]->client, MEMBER_VOICE);
	channel_remove_member(ch, h[1]->client);
	check_consistent(ch);
	g_assert_cmpuint(channel_member_flags(ch, h[1]->client), ==, 0);
	g_assert_cmpuint(channel_member_flags(ch, h[4]->client), ==, MEMBER_IN | MEMBER_VOICE);
	g_assert_true(channel_member_at(ch, 1) == h[4]->client);
	/* Removing a non-member changes nothing. */
	channel_remove_member(ch, h[1]->client);
	g_assert_cmpuint(channel_member_count(ch), ==, 4);
	g_assert_cmpint(hook_counts[HOOK_CHANNEL_JOIN], ==, 5);
	g_assert_cmpint(hook_counts[HOOK_CHANNEL_PART], ==, 1);
	g_assert_cmpint(hook_counts[HOOK_CHANNEL_MEMBER], ==, 1);
	/* The last member out destroys a non-permanent room. */
	for (int i = 0; i < 5; i++)
		if (i != 1)
			channel_remove_member(ch, h[i]->client);
	g_assert_null(registry_find_channel("#unit-members"));
}

/* A client's own room array (grown by powers of two, freed when empty)
 * and each room's join times (an array beside the member list) stay in
 * step through joins and leaves in any order. */
static void test_client_rooms_and_join_times(void)
{
	struct hclient *h = harness_client("roamer"), *other = harness_client("stayer");
	struct channel *ch[40];

	for (int i = 0; i < 40; i++) {
		char name[32];
		g_snprintf(name, sizeof(name), "#unit-roam%d", i);
		ch[i] = channel_create(name, true);
		channel_add_member(ch[i], other->client, 0);
		channel_add_member(ch[i], h->client, 0);
		g_assert_cmpuint(client_channel_count(h->client), ==, (unsigned)i + 1);
		g_assert_cmpint(channel_member_joined_ms(ch[i], h->client), >, 0);
	}
	for (int i = 0; i < 40; i++) {
		g_assert_true(client_in(h->client, ch[i]));
		check_consistent(ch[i]);
	}
	/* The first member leaves: the last one (h) moves into its place and
	 * keeps its own join time. */
	int64_t joined = channel_member_joined_ms(ch[7], h->client);
	channel_remove_member(ch[7], other->client);
	g_assert_cmpint(channel_member_joined_ms(ch[7], h->client), ==, joined);
	g_assert_cmpint(channel_member_joined_ms(ch[7], other->client), ==, 0);
	check_consistent(ch[7]);
	/* Leave every odd room, then every even one from the top. */
	for (int i = 1; i < 40; i += 2)
		channel_remove_member(ch[i], h->client);
	g_assert_cmpuint(client_channel_count(h->client), ==, 20);
	for (int i = 0; i < 40; i++)
		g_assert_true(client_in(h->client, ch[i]) == (i % 2 == 0));
	for (int i = 38; i >= 0; i -= 2) {
		channel_remove_member(ch[i], h->client);
		g_assert_false(client_in(h->client, ch[i]));
		check_consistent(ch[i]);
	}
	g_assert_cmpuint(client_channel_count(h->client), ==, 0);
	g_assert_null(h->client->channels);
	/* And back in: the array comes back. */
	channel_add_member(ch[3], h->client, 0);
	g_assert_true(client_in(h->client, ch[3]));
	channel_remove_member(ch[3], h->client);
}

static void test_permanent_room_stays(void)
{
	struct hclient *h = harness_client("perm1");
	struct channel *ch = channel_create("#unit-perm", true);

	channel_add_member(ch, h->client, 0);
	channel_remove_member(ch, h->client);
	g_assert_true(registry_find_channel("#UNIT-PERM") == ch);
	g_assert_cmpuint(channel_member_count(ch), ==, 0);
}

static void test_modes_and_topic(void)
{
	struct hclient *h = harness_client("topicer");
	struct channel *ch = channel_create("#unit-modes", true);
	g_autofree char *long_topic = g_strnfill(1000, 'x');

	g_assert_true(channel_set_mode(ch, CMODE_MODERATED, true));
	g_assert_false(channel_set_mode(ch, CMODE_MODERATED, true));
	g_assert_true(channel_set_mode(ch, CMODE_MODERATED, false));
	channel_set_key(ch, "k3y");
	g_assert_cmpstr(ch->key, ==, "k3y");
	channel_set_key(ch, NULL);
	g_assert_null(ch->key);
	channel_set_limit(ch, 7);
	g_assert_cmpint(ch->limit, ==, 7);

	channel_set_topic(ch, h->client, "hello");
	g_assert_cmpstr(ch->topic, ==, "hello");
	g_assert_cmpstr(ch->topic_setter, ==, h->client->prefix);
	g_assert_nonnull(strchr(ch->topic_setter, '!'));
	g_assert_cmpstr(last_topic, ==, "hello");
	channel_set_topic(ch, h->client, long_topic);
	g_assert_cmpuint(strlen(ch->topic), ==, 390);
	channel_set_topic(ch, h->client, "");
	g_assert_null(ch->topic);
	g_assert_cmpstr(last_topic, ==, "(none)");
}

static void test_lists_exceptions_and_mute(void)
{
	struct hclient *h = harness_client("lister");
	struct channel *ch = channel_create("#unit-lists", true);
	g_autofree char *removed = NULL;

	channel_add_member(ch, h->client, 0);
	g_assert_true(channel_can_send(ch, h->client));
	g_assert_cmpint(channel_list_add(ch, CHANLIST_BAN, "lister!*@*", "op!u@h"), ==,
			LIST_CHANGED);
	g_assert_cmpint(channel_list_add(ch, CHANLIST_BAN, "LISTER!*@*", "op!u@h"), ==,
			LIST_UNCHANGED);
	g_assert_true(channel_is_banned(ch, h->client));
	g_assert_false(channel_can_send(ch, h->client));
	g_assert_cmpint(channel_list_add(ch, CHANLIST_EXCEPT, "*!*@127.0.0.1", "op!u@h"), ==,
			LIST_CHANGED);
	g_assert_false(channel_is_banned(ch, h->client));
	g_assert_true(channel_can_send(ch, h->client));
	g_assert_cmpint(channel_list_remove(ch, CHANLIST_EXCEPT, "*!*@127.0.0.1", &removed), ==,
			LIST_CHANGED);
	g_assert_cmpstr(removed, ==, "*!*@127.0.0.1");
	g_assert_cmpint(channel_list_remove(ch, CHANLIST_BAN, "lister!*@*", NULL), ==,
			LIST_CHANGED);
	g_assert_cmpint(channel_list_remove(ch, CHANLIST_BAN, "lister!*@*", NULL), ==,
			LIST_UNCHANGED);

	/* The mute extban stops speech, not joining. */
	channel_list_add(ch, CHANLIST_BAN, EXTBAN_MUTE_PREFIX "lister!*@*", "op!u@h");
	g_assert_false(channel_is_banned(ch, h->client));
	g_assert_false(channel_can_send(ch, h->client));
	channel_set_member_flags(ch, h->client, MEMBER_VOICE);
	g_assert_true(channel_can_send(ch, h->client));

	/* MAXLIST */
	for (int i = 0; i < 200; i++) {
		char mask[32];
		g_snprintf(mask, sizeof(mask), "n%d!*@*", i);
		if (channel_list_add(ch, CHANLIST_INVEX, mask, "op!u@h") == LIST_FULL) {
			g_assert_cmpint(i, ==, 100);
			break;
		}
	}
	g_assert_cmpuint(ch->lists[CHANLIST_INVEX]->len, ==, 100);
}

int main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	harness_start();
	for (int e = 0; e < HOOK_COUNT; e++)
		hook_add((enum hook_event)e, count_hook, NULL);
	g_test_add_func("/channel/membership", test_membership);
	g_test_add_func("/channel/permanent-room-stays", test_permanent_room_stays);
	g_test_add_func("/channel/client-rooms-and-join-times", test_client_rooms_and_join_times);
	g_test_add_func("/channel/modes-and-topic", test_modes_and_topic);
	g_test_add_func("/channel/lists-exceptions-mute", test_lists_exceptions_and_mute);
	status = g_test_run();
	harness_stop();
	return status;
}
