/* client-members.c - main-thread CPU time of the client's member model for
 * a big room (issue 7): a 10,000-member NAMES reply and then 1,000 QUITs.
 * Not a test: it prints figures (see bench/README.md).
 *
 * Two paths are timed:
 *   model   what the NAMES/QUIT handlers do to the conversation (the API
 *           that exists both before and after the nick index, so the same
 *           source builds against the old code to measure "before")
 *   session the whole inbound path: canned server lines through
 *           natter_session_feed() (parse, handler table, model, events),
 *           only when built against a session that has it (NATTER_HAVE_FEED)
 * Run: build/bench/client-members [members] [quits] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "natter-conversation.h"
#ifdef NATTER_HAVE_FEED
#include "natter-session.h"
#endif

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Nicks in no particular order (as servers send them), some with prefixes. */
static char *nick_of(guint i)
{
	guint x = (i * 2654435761u) % 1000003u;
	return g_strdup_printf("user%06u_%u", x, i);
}

/* What the NAMES handler does to the model for each 353 line (about 35
 * nicks of 12 characters): before, add each nick and re-sort; after, one
 * batch merge. */
static void model_names(NatterConversation *conv, guint members)
{
	guint i = 0;
	while (i < members) {
#ifdef NATTER_HAVE_FEED
		g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func(g_object_unref);
		for (guint k = 0; k < 35 && i < members; k++, i++) {
			g_autofree char *nick = nick_of(i);
			const char *prefix = i % 50 == 0 ? "@" : i % 20 == 0 ? "+" : "";
			g_ptr_array_add(batch, natter_member_new(nick, prefix));
		}
		natter_conversation_add_members(conv, batch);
#else
		for (guint k = 0; k < 35 && i < members; k++, i++) {
			g_autofree char *nick = nick_of(i);
			const char *prefix = i % 50 == 0 ? "@" : i % 20 == 0 ? "+" : "";
			natter_conversation_add_member(conv, nick, prefix);
		}
		natter_conversation_resort_members(conv);
#endif
	}
}

int main(int argc, char **argv)
{
	guint members = argc > 1 ? (guint)atoi(argv[1]) : 10000;
	guint quits = argc > 2 ? (guint)atoi(argv[2]) : 1000;

	/* model path */
	g_autoptr(NatterConversation) conv = natter_conversation_new(NATTER_CONVERSATION_ROOM, "#big");
	double t0 = cpu_ms();
	model_names(conv, members);
	double t1 = cpu_ms();
	guint n = g_list_model_get_n_items(natter_conversation_get_members(conv));
	if (n != members) {
		fprintf(stderr, "expected %u members, got %u\n", members, n);
		return 1;
	}
	double t2 = cpu_ms();
	for (guint q = 0; q < quits; q++) {
		g_autofree char *nick = nick_of(q * (members / quits));
		if (!natter_conversation_remove_member(conv, nick)) {
			fprintf(stderr, "%s was not there\n", nick);
			return 1;
		}
	}
	double t3 = cpu_ms();
	printf("RESULT client-members path=model members=%u names_ms=%.1f quits=%u quits_ms=%.1f per_quit_us=%.1f\n",
	       members, t1 - t0, quits, t3 - t2, (t3 - t2) * 1e3 / quits);

#ifdef NATTER_HAVE_FEED
	/* session path: real lines through the inbound handler table */
	g_autoptr(NatterSession) s = natter_session_new();
	natter_session_set_line_sink(s, NULL, NULL);
	natter_session_feed(s, ":irc.test 001 me :Welcome");
	natter_session_feed(s, ":irc.test 005 me PREFIX=(ov)@+ :are supported");
	natter_session_feed(s, ":me!u@h JOIN #big");
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < members;) {
		GString *line = g_string_new(":irc.test 353 me = #big :");
		for (guint k = 0; k < 35 && i < members; k++, i++) {
			g_autofree char *nick = nick_of(i);
			g_string_append_printf(line, "%s%s ", i % 50 == 0 ? "@" : i % 20 == 0 ? "+" : "", nick);
		}
		g_ptr_array_add(lines, g_string_free(line, FALSE));
	}
	double s0 = cpu_ms();
	for (guint i = 0; i < lines->len; i++)
		natter_session_feed(s, g_ptr_array_index(lines, i));
	natter_session_feed(s, ":irc.test 366 me #big :End of /NAMES list.");
	double s1 = cpu_ms();
	NatterConversation *big = natter_session_find_conversation(s, "#big");
	n = g_list_model_get_n_items(natter_conversation_get_members(big));
	if (n != members) {
		fprintf(stderr, "session: expected %u members, got %u\n", members, n);
		return 1;
	}
	double s2 = cpu_ms();
	for (guint q = 0; q < quits; q++) {
		g_autofree char *nick = nick_of(q * (members / quits));
		g_autofree char *line = g_strdup_printf(":%s!u@h QUIT :Quit: bye", nick);
		natter_session_feed(s, line);
	}
	double s3 = cpu_ms();
	n = g_list_model_get_n_items(natter_conversation_get_members(big));
	if (n != members - quits) {
		fprintf(stderr, "session: expected %u members after quits, got %u\n", members - quits, n);
		return 1;
	}
	printf("RESULT client-members path=session members=%u names_ms=%.1f quits=%u quits_ms=%.1f per_quit_us=%.1f\n",
	       members, s1 - s0, quits, s3 - s2, (s3 - s2) * 1e3 / quits);
	g_ptr_array_unref(lines);
#endif
	return 0;
}
