/* Unit tests for src/server/registry.c: nicks (case-folded, renamed),
 * channels, ids, WHOWAS and MONITOR watch lists. */
#include <glib.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "registry.h"
#include "server_harness.h"

static void test_nicks_are_case_folded(void)
{
	struct hclient *h = harness_client("Alice[1]");

	g_assert_true(registry_find_nick("alice{1}") == h->client);
	g_assert_true(registry_find_nick("ALICE[1]") == h->client);
	g_assert_true(registry_find_id(h->id) == h->client);
	client_set_nick(h->client, "Bob");
	g_assert_null(registry_find_nick("alice[1]"));
	g_assert_true(registry_find_nick("bob") == h->client);
	g_assert_cmpstr(h->client->prefix, ==, "Bob!u@127.0.0.1");
}

static void test_channels(void)
{
	struct channel *ch = channel_create("#Unit-Reg", true);
	guint before = g_hash_table_size(registry_channels());

	g_assert_true(registry_find_channel("#unit-reg") == ch);
	g_assert_null(registry_find_channel("#unit-other"));
	registry_remove_channel(ch);
	g_assert_null(registry_find_channel("#unit-reg"));
	g_assert_cmpuint(g_hash_table_size(registry_channels()), ==, before - 1);
	channel_free(ch);
}

static void test_whowas_after_quit(void)
{
	struct hclient *h = harness_client("leaver");
	g_autoptr(GPtrArray) found = NULL;

	harness_send(h, "QUIT :bye");
	harness_turn();
	g_assert_true(harness_closed(h));
	g_assert_null(registry_find_nick("leaver"));
	found = registry_whowas_find("LEAVER", 0);
	g_assert_cmpuint(found->len, >=, 1);
	g_assert_cmpstr(((struct whowas *)g_ptr_array_index(found, 0))->nick, ==, "leaver");
	g_ptr_array_unref(g_steal_pointer(&found));
	found = registry_whowas_find("lea*", 0);
	g_assert_cmpuint(found->len, >=, 1);
}

static void test_monitor(void)
{
	struct hclient *w = harness_client("watcher");
	struct hclient *t = NULL;
	g_autofree char *out = NULL;
	GPtrArray *list;

	registry_monitor_add(w->client, "Target");
	g_assert_cmpuint(w->client->monitoring->len, ==, 1);
	t = harness_client("target");
	list = registry_monitor_watchers(t->client);
	g_assert_nonnull(list);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_true(g_ptr_array_index(list, 0) == w->client);
	out = harness_read(w);
	g_assert_nonnull(strstr(out, " 730 watcher :target!u@127.0.0.1"));
	registry_monitor_remove(w->client, "TARGET");
	g_assert_null(registry_monitor_watchers(t->client));
}

int main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	harness_start();
	g_test_add_func("/registry/nicks-case-folded", test_nicks_are_case_folded);
	g_test_add_func("/registry/channels", test_channels);
	g_test_add_func("/registry/whowas", test_whowas_after_quit);
	g_test_add_func("/registry/monitor", test_monitor);
	status = g_test_run();
	harness_stop();
	return status;
}
