/* test-event-groups.c - the views' models, no server: runs of
 * joins/parts/quits as one line in the message view (summaries, appends
 * that grow the last line, other lines passing through, lines dropped at
 * the front) and the member list's coalescing feed. */
#include "natter-coalesced-model.h"
#include "natter-event-groups.h"

static NatterMessage *event(NatterEventKind kind, const char *nick)
{
	const char *verb = kind == NATTER_EVENT_JOIN ? "joined" : kind == NATTER_EVENT_PART ? "left" : "quit";
	g_autofree char *text = g_strdup_printf("%s %s", nick, verb);
	NatterMessage *m = natter_message_new(NATTER_MESSAGE_EVENT, NULL, nick, text, FALSE);
	natter_message_set_event(m, kind);
	return m;
}

static void add(GListStore *store, NatterMessage *m)
{
	g_list_store_append(store, m);
	g_object_unref(m);
}

static char *line(GListModel *model, guint i)
{
	g_autoptr(NatterMessage) m = g_list_model_get_item(model, i);
	return g_strdup(natter_message_get_text(m));
}

typedef struct { guint calls, last_pos, last_removed, last_added; } Changes;

static void on_changed(GListModel *m, guint pos, guint removed, guint added, Changes *c)
{
	(void)m;
	c->calls++;
	c->last_pos = pos;
	c->last_removed = removed;
	c->last_added = added;
}

/* "You joined #lobby" (our own) is never folded into others' joins: with
 * bob's join from history just before it, both lines stay. */
static void test_own_join_alone(void)
{
	g_autoptr(GListStore) store = g_list_store_new(NATTER_TYPE_MESSAGE);
	g_autoptr(NatterEventGroups) groups = natter_event_groups_new(G_LIST_MODEL(store));
	GListModel *model = G_LIST_MODEL(groups);
	add(store, event(NATTER_EVENT_JOIN, "bob"));
	NatterMessage *me = natter_message_new(NATTER_MESSAGE_EVENT, NULL, "alice", "You joined #lobby", TRUE);
	natter_message_set_event(me, NATTER_EVENT_JOIN);
	add(store, me);
	add(store, event(NATTER_EVENT_JOIN, "carol"));
	add(store, event(NATTER_EVENT_JOIN, "dave"));
	g_assert_cmpuint(g_list_model_get_n_items(model), ==, 3);
	g_autofree char *a = line(model, 0);
	g_autofree char *b = line(model, 1);
	g_autofree char *c = line(model, 2);
	g_assert_cmpstr(a, ==, "bob joined");
	g_assert_cmpstr(b, ==, "You joined #lobby");
	g_assert_cmpstr(c, ==, "carol and dave joined");
}

static void test_summaries(void)
{
	NatterMessage *run[6];
	const char *nicks[] = { "bob", "carol", "dave", "erin", "finn", "gus" };
	for (int i = 0; i < 6; i++)
		run[i] = event(i < 4 ? NATTER_EVENT_JOIN : NATTER_EVENT_QUIT, nicks[i]);
	g_autofree char *a = natter_event_groups_summary(run, 2);
	g_assert_cmpstr(a, ==, "bob and carol joined");
	g_autofree char *b = natter_event_groups_summary(run, 3);
	g_assert_cmpstr(b, ==, "bob, carol and dave joined");
	g_autofree char *c = natter_event_groups_summary(run, 6);
	g_assert_cmpstr(c, ==, "4 people joined, finn and gus left");
	g_autofree char *d = natter_event_groups_summary(run + 4, 2);
	g_assert_cmpstr(d, ==, "finn and gus left");
	/* one person once: bob's PART and then his QUIT */
	NatterMessage *twice[3] = { event(NATTER_EVENT_PART, "bob"), event(NATTER_EVENT_QUIT, "Bob"),
				    event(NATTER_EVENT_JOIN, "bob") };
	g_autofree char *tw = natter_event_groups_summary(twice, 3);
	g_assert_cmpstr(tw, ==, "bob joined, bob left");
	g_autofree char *e2 = natter_event_groups_summary(twice, 2);
	g_assert_cmpstr(e2, ==, "bob left");
	for (int i = 0; i < 3; i++)
		g_object_unref(twice[i]);
	for (int i = 0; i < 6; i++)
		g_object_unref(run[i]);

	NatterMessage *many[20];
	for (int i = 0; i < 20; i++) {
		g_autofree char *nick = g_strdup_printf("u%d", i);
		many[i] = event(i < 12 ? NATTER_EVENT_JOIN : i < 15 ? NATTER_EVENT_PART : NATTER_EVENT_JOIN, nick);
	}
	g_autofree char *e = natter_event_groups_summary(many, 16);
	g_assert_cmpstr(e, ==, "13 people joined, u12, u13 and u14 left");
	for (int i = 0; i < 20; i++)
		g_object_unref(many[i]);
}

static void test_model(void)
{
	g_autoptr(GListStore) store = g_list_store_new(NATTER_TYPE_MESSAGE);
	add(store, natter_message_new(NATTER_MESSAGE_TEXT, NULL, "bob", "hello", FALSE));
	add(store, event(NATTER_EVENT_JOIN, "carol"));
	g_autoptr(NatterEventGroups) groups = natter_event_groups_new(G_LIST_MODEL(store));
	GListModel *model = G_LIST_MODEL(groups);
	Changes ch = { 0 };
	g_signal_connect(model, "items-changed", G_CALLBACK(on_changed), &ch);
	g_assert_cmpuint(g_list_model_get_n_items(model), ==, 2);

	/* A second join grows the last line in place: one line changed. */
	add(store, event(NATTER_EVENT_JOIN, "dave"));
	g_assert_cmpuint(g_list_model_get_n_items(model), ==, 2);
	g_assert_cmpuint(ch.calls, ==, 1);
	g_assert_cmpuint(ch.last_pos, ==, 1);
	g_assert_cmpuint(ch.last_removed, ==, 1);
	g_assert_cmpuint(ch.last_added, ==, 1);
	g_autofree char *l1 = line(model, 1);
	g_assert_cmpstr(l1, ==, "carol and dave joined");
	g_assert_cmpuint(natter_event_groups_get_span(groups, 1), ==, 2);

	/* Words break the run; a later join is a line of its own. */
	add(store, natter_message_new(NATTER_MESSAGE_TEXT, NULL, "carol", "hi", FALSE));
	add(store, event(NATTER_EVENT_QUIT, "dave"));
	g_assert_cmpuint(g_list_model_get_n_items(model), ==, 4);
	g_assert_cmpuint(ch.last_pos, ==, 3);
	g_assert_cmpuint(ch.last_added, ==, 1);
	g_autofree char *l3 = line(model, 3);
	g_assert_cmpstr(l3, ==, "dave quit"); /* alone: the original line */

	/* Dropping from the front (the history cap) drops lines there; a
	 * group cut in two shows what is left of it. */
	g_list_store_remove(store, 0); /* "hello" */
	g_assert_cmpuint(g_list_model_get_n_items(model), ==, 3);
	g_assert_cmpuint(ch.last_pos, ==, 0);
	g_assert_cmpuint(ch.last_removed, ==, 1);
	g_assert_cmpuint(ch.last_added, ==, 0);
	g_list_store_remove(store, 0); /* carol's join, half of the group */
	g_assert_cmpuint(g_list_model_get_n_items(model), ==, 3);
	g_autofree char *l0 = line(model, 0);
	g_assert_cmpstr(l0, ==, "dave joined");
	g_assert_cmpuint(ch.last_removed, ==, 1);
	g_assert_cmpuint(ch.last_added, ==, 1);

	/* Anything else: rebuilt, still right. */
	add(store, event(NATTER_EVENT_PART, "erin"));
	g_list_store_insert(store, 1, natter_message_new(NATTER_MESSAGE_TEXT, NULL, "x", "y", FALSE));
	g_assert_cmpuint(g_list_model_get_n_items(model), ==, 4);
	g_autofree char *last = line(model, 3);
	g_assert_cmpstr(last, ==, "dave and erin left"); /* quits and parts are both "left" */
}

/* The member list's feed: a burst of changes is one items-changed, the
 * smallest that covers them, and only when flushed (or idle). */
static void test_coalesced(void)
{
	g_autoptr(GListStore) store = g_list_store_new(NATTER_TYPE_MESSAGE);
	g_autoptr(NatterCoalescedModel) model = natter_coalesced_model_new(NATTER_TYPE_MESSAGE);
	Changes ch = { 0 };
	g_signal_connect(model, "items-changed", G_CALLBACK(on_changed), &ch);

	for (int i = 0; i < 5; i++)
		add(store, event(NATTER_EVENT_JOIN, "x"));
	natter_coalesced_model_set_source(model, G_LIST_MODEL(store)); /* shown at once */
	g_assert_cmpuint(ch.calls, ==, 1);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 5);

	/* 100 appends: nothing until the flush, then one change at the end. */
	for (int i = 0; i < 100; i++)
		add(store, event(NATTER_EVENT_JOIN, "y"));
	g_assert_cmpuint(ch.calls, ==, 1);
	g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 5); /* still consistent */
	natter_coalesced_model_flush(model);
	g_assert_cmpuint(ch.calls, ==, 2);
	g_assert_cmpuint(ch.last_pos, ==, 5);
	g_assert_cmpuint(ch.last_removed, ==, 0);
	g_assert_cmpuint(ch.last_added, ==, 100);

	/* One removed in the middle: exactly that one. */
	g_list_store_remove(store, 40);
	g_main_context_iteration(NULL, FALSE); /* the idle flush */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(ch.calls, ==, 3);
	g_assert_cmpuint(ch.last_pos, ==, 40);
	g_assert_cmpuint(ch.last_removed, ==, 1);
	g_assert_cmpuint(ch.last_added, ==, 0);
	for (guint i = 0; i < 104; i++) {
		g_autoptr(GObject) a = g_list_model_get_item(G_LIST_MODEL(model), i);
		g_autoptr(GObject) b = g_list_model_get_item(G_LIST_MODEL(store), i);
		g_assert_true(a == b);
	}
	/* No change, no signal. */
	natter_coalesced_model_flush(model);
	g_assert_cmpuint(ch.calls, ==, 3);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/event-groups/summaries", test_summaries);
	g_test_add_func("/event-groups/own-join-alone", test_own_join_alone);
	g_test_add_func("/event-groups/model", test_model);
	g_test_add_func("/coalesced-model/bursts", test_coalesced);
	return g_test_run();
}
