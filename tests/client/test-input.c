/* test-input.c - typed input: commands, @name, CR/LF/NUL removal, splitting. */
#include <string.h>

#include "irc_message.h"
#include "natter-input.h"

static void check(const char *line, NatterInputKind kind, const char *target, const char *text)
{
	g_autoptr(NatterInput) in = natter_input_parse(line);

	g_assert_cmpint(in->kind, ==, kind);
	g_assert_cmpstr(in->target, ==, target);
	g_assert_cmpstr(in->text, ==, text);
}

static void test_parse(void)
{
	check("hello", NATTER_INPUT_SAY, NULL, "hello");
	check("  ", NATTER_INPUT_EMPTY, NULL, NULL);
	check("@bob hi there", NATTER_INPUT_MSG, "bob", "hi there");
	check("@bob", NATTER_INPUT_MSG, "bob", NULL);
	check("@ noon?", NATTER_INPUT_SAY, NULL, "@ noon?");
	check("@9lives hi", NATTER_INPUT_SAY, NULL, "@9lives hi");
	check("/msg carol see you", NATTER_INPUT_MSG, "carol", "see you");
	check("/MSG #lobby hi", NATTER_INPUT_MSG, "#lobby", "hi");
	check("/join #dev", NATTER_INPUT_JOIN, "#dev", NULL);
	check("/join dev", NATTER_INPUT_JOIN, "#dev", NULL);
	check("/part", NATTER_INPUT_PART, NULL, NULL);
	check("/part #dev bye all", NATTER_INPUT_PART, "#dev", "bye all");
	check("/part gone home", NATTER_INPUT_PART, NULL, "gone home");
	check("/me waves", NATTER_INPUT_ME, NULL, "waves");
	check("/nick alice2", NATTER_INPUT_NICK, "alice2", NULL);
	check("/topic New topic", NATTER_INPUT_TOPIC, NULL, "New topic");
	check("/topic", NATTER_INPUT_TOPIC, NULL, NULL);
	check("/quit bye", NATTER_INPUT_QUIT, NULL, "bye");
	check("/whois bob", NATTER_INPUT_WHOIS, "bob", NULL);
	check("/away gone for lunch, back at 2", NATTER_INPUT_AWAY, NULL, "gone for lunch, back at 2");
	check("/away", NATTER_INPUT_AWAY, NULL, NULL);
	check("/list", NATTER_INPUT_LIST, NULL, NULL);
	check("/nick ä", NATTER_INPUT_INVALID, NULL, NULL);
	check("//not a command", NATTER_INPUT_SAY, NULL, "/not a command");
	check("/nick 1bad", NATTER_INPUT_INVALID, NULL, NULL);
	check("/join", NATTER_INPUT_INVALID, NULL, NULL);
	check("/me", NATTER_INPUT_INVALID, NULL, NULL);
	check("/msg", NATTER_INPUT_INVALID, NULL, NULL);
	check("/wh!o x", NATTER_INPUT_INVALID, NULL, NULL);
}

static void test_injection(void)
{
	/* CR/LF become spaces: the rest stays text, never a new command. */
	check("hi\r\nQUIT :bye", NATTER_INPUT_SAY, NULL, "hi  QUIT :bye");
	check("@bob x\nNICK evil", NATTER_INPUT_MSG, "bob", "x NICK evil");
	check("/join #a\r\nPRIVMSG #b :x", NATTER_INPUT_JOIN, "#a", NULL);
	check("/whois bob\r\nQUIT", NATTER_INPUT_WHOIS, "bob", NULL);
	check("/mode #x\r\nQUIT", NATTER_INPUT_RAW, "MODE", "#x  QUIT");
	check("/nick a\nb", NATTER_INPUT_NICK, "a", NULL);

	g_autofree char *s = natter_input_sanitize("a\0b\rc\nd\x01" "e", 9);
	g_assert_cmpstr(s, ==, "ab c de");
	g_autofree char *bad = natter_input_sanitize("caf\xe9", -1); /* Latin-1 */
	g_assert_true(g_utf8_validate(bad, -1, NULL));
	g_autofree char *fmt = natter_input_sanitize("\x02" "bold\x02", -1);
	g_assert_cmpstr(fmt, ==, "\x02" "bold\x02");
}

static void test_split(void)
{
	GString *text = g_string_new(NULL);
	for (int i = 0; i < 300; i++)
		g_string_append(text, i % 3 == 0 ? "žluťoučký " : i % 3 == 1 ? "кот😀" : "ab");
	gsize budget = natter_input_text_budget("PRIVMSG", "#lobby", "alice");
	g_assert_cmpuint(budget, >, 300);
	g_assert_cmpuint(budget, <, IRC_LINE_MAX);

	g_auto(GStrv) parts = natter_input_split(text->str, budget);
	g_autoptr(GString) joined = g_string_new(NULL);
	g_assert_cmpuint(g_strv_length(parts), >, 2);
	for (int i = 0; parts[i] != NULL; i++) {
		g_assert_cmpuint(strlen(parts[i]), <=, budget);
		g_assert_cmpuint(strlen(parts[i]), >, 0);
		g_assert_true(g_utf8_validate(parts[i], -1, NULL));
		g_string_append(joined, parts[i]);
	}
	/* Only spaces at the cut points are dropped. */
	g_autoptr(GString) want_nospace = g_string_new(NULL);
	for (const char *c = text->str; *c; c++)
		if (*c != ' ')
			g_string_append_c(want_nospace, *c);
	g_autoptr(GString) got_nospace = g_string_new(NULL);
	for (const char *c = joined->str; *c; c++)
		if (*c != ' ')
			g_string_append_c(got_nospace, *c);
	g_assert_cmpstr(got_nospace->str, ==, want_nospace->str);
	g_assert_cmpuint(strlen(joined->str) + g_strv_length(parts) - 1, ==, strlen(text->str));
	g_string_free(text, TRUE);

	/* One long word of 4-byte characters, and a tiny budget. */
	g_auto(GStrv) emoji = natter_input_split("😀😀😀😀😀", 6);
	g_assert_cmpuint(g_strv_length(emoji), ==, 5);
	g_auto(GStrv) none = natter_input_split("", 100);
	g_assert_cmpuint(g_strv_length(none), ==, 0);
	g_auto(GStrv) one = natter_input_split("short", 100);
	g_assert_cmpuint(g_strv_length(one), ==, 1);
}

/* A refused name says which character is wrong and which are allowed. */
static void test_check_nick(void)
{
	struct { const char *nick; const char *says; } bad[] = {
		{ "jürgen", "cannot contain “ü”" },
		{ "ä", "cannot contain “ä”" },
		{ "bob smith", "cannot contain “space”" },
		{ "al!ce", "cannot contain “!”" },
		{ "9lives", "cannot start with “9”" },
		{ "-dash", "cannot start with “-”" },
		{ "", "Type a name" },
		{ "abcdefghijabcdefghijabcdefghijX", "at most 30 characters" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *why = NULL;
		g_assert_false(natter_input_check_nick(bad[i].nick, &why));
		g_assert_nonnull(why);
		if (strstr(why, bad[i].says) == NULL)
			g_error("“%s”: expected “%s” in “%s”", bad[i].nick, bad[i].says, why);
	}
	g_autofree char *why = NULL;
	g_assert_true(natter_input_check_nick("alice", &why));
	g_assert_true(natter_input_check_nick("[away]_bob-2", &why));
	g_assert_null(why);
	g_assert_false(natter_input_check_nick("ä", NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/input/parse", test_parse);
	g_test_add_func("/input/injection", test_injection);
	g_test_add_func("/input/split", test_split);
	g_test_add_func("/input/check-nick", test_check_nick);
	return g_test_run();
}
