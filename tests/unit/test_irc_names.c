/* test_irc_names.c - unit tests for src/common/irc_names.c beyond the
 * ircdocs vectors: rfc1459 case mapping, nickname and channel rules,
 * userhost splitting into small buffers, masks and hostnames. */
#include <string.h>

#include <glib.h>

#include "irc_names.h"

static void test_tolower_ascii(void)
{
	for (char c = 'A'; c <= 'Z'; c++)
		g_assert_cmpint(irc_tolower(c), ==, c - 'A' + 'a');
	for (char c = 'a'; c <= 'z'; c++)
		g_assert_cmpint(irc_tolower(c), ==, c);
	for (char c = '0'; c <= '9'; c++)
		g_assert_cmpint(irc_tolower(c), ==, c);
}

/* rfc1459: []\ and ^ are the upper-case forms of {}| and ~ (the ISUPPORT
 * definition: bytes 65..94 fold to 97..126). */
static void test_tolower_rfc1459(void)
{
	g_assert_cmpint(irc_tolower('['), ==, '{');
	g_assert_cmpint(irc_tolower(']'), ==, '}');
	g_assert_cmpint(irc_tolower('\\'), ==, '|');
	g_assert_cmpint(irc_tolower('^'), ==, '~');
	g_assert_cmpint(irc_tolower('{'), ==, '{');
	g_assert_cmpint(irc_tolower('}'), ==, '}');
	g_assert_cmpint(irc_tolower('|'), ==, '|');
	g_assert_cmpint(irc_tolower('~'), ==, '~');
	g_assert_cmpstr(IRC_CASEMAPPING, ==, "rfc1459");
}

/* Every byte: only 65..94 change, and by exactly 32. */
static void test_tolower_all_bytes(void)
{
	for (int i = 0; i < 256; i++) {
		char c = (char)i;
		char want = (i >= 'A' && i <= '^') ? (char)(i + 32) : c;
		g_assert_cmpint(irc_tolower(c), ==, want);
		/* Folding twice changes nothing more. */
		g_assert_cmpint(irc_tolower(irc_tolower(c)), ==, irc_tolower(c));
	}
}

static void test_casefold(void)
{
	char out[64];

	irc_casefold(out, sizeof(out), "NiCk[]\\^_`-9");
	g_assert_cmpstr(out, ==, "nick{}|~_`-9");
	irc_casefold(out, sizeof(out), "#LoBBy");
	g_assert_cmpstr(out, ==, "#lobby");
	irc_casefold(out, sizeof(out), "");
	g_assert_cmpstr(out, ==, "");

	/* Truncation keeps the terminator inside the buffer. */
	memset(out, 'X', sizeof(out));
	irc_casefold(out, 4, "ABCDEF");
	g_assert_cmpstr(out, ==, "abc");
	g_assert_cmpint(out[4], ==, 'X');
	irc_casefold(out, 1, "ABC");
	g_assert_cmpstr(out, ==, "");
	memset(out, 'X', sizeof(out));
	irc_casefold(out, 0, "ABC");
	g_assert_cmpint(out[0], ==, 'X');
}

static void test_casecmp(void)
{
	g_assert_cmpint(irc_casecmp("nick", "NICK"), ==, 0);
	g_assert_cmpint(irc_casecmp("Nick[away]", "nick{AWAY}"), ==, 0);
	g_assert_cmpint(irc_casecmp("a\\b", "A|B"), ==, 0);
	g_assert_cmpint(irc_casecmp("x^", "X~"), ==, 0);
	g_assert_cmpint(irc_casecmp("", ""), ==, 0);
	g_assert_cmpint(irc_casecmp("abc", "abd"), <, 0);
	g_assert_cmpint(irc_casecmp("ABD", "abc"), >, 0);
	g_assert_cmpint(irc_casecmp("ab", "abc"), <, 0);
	g_assert_cmpint(irc_casecmp("abc", "AB"), >, 0);
	/* Not folded: '_' and '`' are distinct from everything else. */
	g_assert_cmpint(irc_casecmp("a_", "a`"), !=, 0);
	g_assert_cmpint(irc_casecmp("a@", "a`"), !=, 0);
	/* High bytes compare as unsigned. */
	g_assert_cmpint(irc_casecmp("\xe9", "a"), >, 0);
}

static void test_nick_valid(void)
{
	static const char *good[] = {
		"a", "Z", "nick", "Nick123", "n-1", "[bot]", "\\o", "`tick",
		"_under", "^hat", "{brace}", "|pipe", "a-b-c-", "abcdefghijabcdefghijabcdefghij",
	};
	static const char *bad[] = {
		"", "1nick", "-nick", "ni ck", "ni,ck", "nick!", "ni@ck", "#chan",
		"ni*ck", "ni?ck", "ni:ck", ":nick", "ni.ck", "caf\xc3\xa9", "ni\tck",
		"ni~ck", "abcdefghijabcdefghijabcdefghijk",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		g_test_message("good nick %s", good[i]);
		g_assert_true(irc_nick_is_valid(good[i]));
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("bad nick %s", bad[i]);
		g_assert_false(irc_nick_is_valid(bad[i]));
	}
	g_assert_cmpint(strlen(good[G_N_ELEMENTS(good) - 1]), ==, IRC_NICK_MAX);
}

static void test_channel_valid(void)
{
	g_autofree char *longest = g_strnfill(IRC_CHANNEL_MAX, 'c');
	g_autofree char *too_long = g_strnfill(IRC_CHANNEL_MAX + 1, 'c');
	static const char *good[] = {
		"#a", "#lobby", "##", "#Caf\xc3\xa9", "#a.b-c_d", "#:colon", "#!",
	};
	static const char *bad[] = {
		"", "#", "lobby", "&local", "+modeless", "!id", "#a b", "#a,b",
		"#bell\a", "#cr\r", "#lf\n", " #lead",
	};

	longest[0] = '#';
	too_long[0] = '#';
	g_assert_true(irc_channel_is_valid(longest));
	g_assert_false(irc_channel_is_valid(too_long));
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		g_test_message("good channel %s", good[i]);
		g_assert_true(irc_channel_is_valid(good[i]));
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("bad channel %s", bad[i]);
		g_assert_false(irc_channel_is_valid(bad[i]));
	}
}

static void test_is_channel(void)
{
	g_assert_true(irc_is_channel("#lobby"));
	g_assert_true(irc_is_channel("#"));
	g_assert_false(irc_is_channel("nick"));
	g_assert_false(irc_is_channel("&local"));
	g_assert_false(irc_is_channel(""));
}

static void test_split_userhost(void)
{
	char nick[32], user[32], host[32];

	irc_split_userhost("!user@host", nick, user, host, sizeof(nick));
	g_assert_cmpstr(nick, ==, "");
	g_assert_cmpstr(user, ==, "user");
	g_assert_cmpstr(host, ==, "host");

	irc_split_userhost("nick!", nick, user, host, sizeof(nick));
	g_assert_cmpstr(nick, ==, "nick");
	g_assert_cmpstr(user, ==, "");
	g_assert_cmpstr(host, ==, "");

	irc_split_userhost("nick!@", nick, user, host, sizeof(nick));
	g_assert_cmpstr(nick, ==, "nick");
	g_assert_cmpstr(user, ==, "");
	g_assert_cmpstr(host, ==, "");

	irc_split_userhost("", nick, user, host, sizeof(nick));
	g_assert_cmpstr(nick, ==, "");
	g_assert_cmpstr(user, ==, "");
	g_assert_cmpstr(host, ==, "");

	/* The host is everything after the first '@' past the '!'. */
	irc_split_userhost("n!u@h@x", nick, user, host, sizeof(nick));
	g_assert_cmpstr(nick, ==, "n");
	g_assert_cmpstr(user, ==, "u");
	g_assert_cmpstr(host, ==, "h@x");
}

static void test_split_userhost_truncates(void)
{
	char buf[3][8];

	memset(buf, 'X', sizeof(buf));
	irc_split_userhost("longnickname!longusername@long.host.name",
			   buf[0], buf[1], buf[2], 5);
	g_assert_cmpstr(buf[0], ==, "long");
	g_assert_cmpstr(buf[1], ==, "long");
	g_assert_cmpstr(buf[2], ==, "long");
	for (int i = 0; i < 3; i++)
		for (int j = 5; j < 8; j++)
			g_assert_cmpint(buf[i][j], ==, 'X');
}

static void test_mask_match(void)
{
	static const struct {
		const char *mask, *text;
		bool match;
	} cases[] = {
		{ "*", "", true },
		{ "*", "anything at all", true },
		{ "**", "x", true },
		{ "", "", true },
		{ "", "x", false },
		{ "x", "", false },
		{ "?", "", false },
		{ "?", "x", true },
		{ "?", "xy", false },
		{ "??", "xy", true },
		{ "a*", "", false },
		{ "*a", "bbba", true },
		{ "*a", "bbbab", false },
		{ "*a*b", "xaxxb", true },
		{ "*a*b", "xaxxbx", false },
		{ "a*b*c", "abbbcbbc", true },
		{ "*!*@*.example.com", "n!u@irc.example.com", true },
		{ "*!*@*.example.com", "n!u@example.com", false },
		{ "NICK!*@*", "nick!u@h", true },
		{ "nick!*@*", "NICK!u@h", true },
		/* rfc1459 case mapping */
		{ "[a]\\\\^!*@*", "{A}|~!u@h", true },
		{ "{a}|~!*@*", "[A]\\^!u@h", true },
		{ "[a]\\^!*@*", "{A}|~!u@h", false }, /* \^ is a plain ^ */
		{ "[a]\\^!*@*", "{A}~!u@h", true },
		/* a backslash escapes the next character */
		{ "a\\*b", "a*b", true },
		{ "a\\*b", "axb", false },
		{ "a\\?b", "a?b", true },
		{ "a\\?b", "axb", false },
		{ "a\\\\b", "a\\b", true },
		{ "\\", "\\", true },
		{ "*\\*", "lots of stars*", true },
		{ "*\\*", "no star", false },
		/* many stars do not blow up */
		{ "*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("mask \"%s\" text \"%s\"", cases[i].mask, cases[i].text);
		g_assert_cmpint(irc_mask_match(cases[i].mask, cases[i].text), ==,
				cases[i].match);
	}
}

static void test_hostname(void)
{
	g_autofree char *label63 = g_strnfill(63, 'a');
	g_autofree char *label64 = g_strnfill(64, 'a');
	g_autofree char *ok63 = g_strconcat(label63, ".net", NULL);
	g_autofree char *bad64 = g_strconcat(label64, ".net", NULL);
	GString *long_host = g_string_new(NULL);

	g_assert_true(irc_hostname_is_valid("irc.example.com."));
	g_assert_true(irc_hostname_is_valid("127.0.0.1"));
	g_assert_true(irc_hostname_is_valid("a-b.c"));
	g_assert_true(irc_hostname_is_valid(ok63));
	g_assert_false(irc_hostname_is_valid(bad64));
	g_assert_false(irc_hostname_is_valid(".example.com"));
	g_assert_false(irc_hostname_is_valid("a..b"));
	g_assert_false(irc_hostname_is_valid("."));
	g_assert_false(irc_hostname_is_valid("a.b-"));
	g_assert_false(irc_hostname_is_valid("a.-b"));
	g_assert_false(irc_hostname_is_valid("a_b.c"));
	g_assert_false(irc_hostname_is_valid("a.b/c"));
	g_assert_false(irc_hostname_is_valid("::1"));

	/* 253 characters at most in all. */
	while (long_host->len < 250)
		g_string_append(long_host, "abcdefghi.");
	g_string_append(long_host, "com");
	g_assert_cmpuint(long_host->len, ==, 253);
	g_assert_true(irc_hostname_is_valid(long_host->str));
	g_string_append(long_host, "x");
	g_assert_false(irc_hostname_is_valid(long_host->str));
	g_string_free(long_host, TRUE);
}

/* Issue 8 item 8: names that deceive. Every C0 control, DEL, every C1
 * control and the bidi embeddings/overrides/isolates are refused in room
 * names, wherever they stand; the neighbours of those ranges are allowed. */
static void test_channel_no_deceptive(void)
{
	static const char *bad[] = {
		"#a\x1b[31m", "#\x01" "ctcp", "#bo\x02ld", "#del\x7f", "#tab\there",
		"#c1\xc2\x80", "#c1\xc2\x9f", "#rtl\xe2\x80\xae" "gnp.exe", "#lre\xe2\x80\xaa",
		"#pdf\xe2\x80\xac", "#lri\xe2\x81\xa6", "#pdi\xe2\x81\xa9", "#\xe2\x81\xa7x",
		"#bad\xff", "#trunc\xe2\x80",
	};
	static const char *good[] = {
		"#caf\xc3\xa9", "#nbsp\xc2\xa0ok", "#dash\xe2\x80\x93", "#zwj\xe2\x80\x8d",
		"#wj\xe2\x81\xa0", ("#\xe2\x81\xaa" "deprecated-ok"), "#\xf0\x9f\x98\x80",
		"#lobby", "#a.b-c_d",
	};
	size_t n;

	for (int c = 0; c < 0x20; c++) {
		char name[8] = { '#', 'x', (char)c, 'y', 0 };
		if (c == 0)
			continue;
		g_assert_false(irc_channel_is_valid(name));
		g_assert_true(irc_char_is_deceptive(name + 2, &n));
		g_assert_cmpuint(n, ==, 1);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (irc_channel_is_valid(bad[i]))
			g_error("accepted a deceptive room name: %s", bad[i]);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		if (!irc_channel_is_valid(good[i]))
			g_error("refused a fine room name: %s", good[i]);
	}
	g_assert_true(irc_char_is_deceptive("\xe2\x80\xae", &n));
	g_assert_cmpuint(n, ==, 3);
	g_assert_true(irc_char_is_deceptive("\xc2\x85", &n));
	g_assert_cmpuint(n, ==, 2);
	g_assert_false(irc_char_is_deceptive("\xe2\x80\xa9", &n)); /* U+2029: not bidi override */
	g_assert_false(irc_char_is_deceptive("a", &n));
}

/* Nicks are ASCII only; no control character or bidi override gets in. */
static void test_nick_no_control(void)
{
	static const char *bad[] = {
		"a\x1b", "a\x01", "a\x7f", "a\tb", "a\xc2\x85", "a\xe2\x80\xae", "\xe2\x81\xa6x",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(irc_nick_is_valid(bad[i]));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();

	g_test_add_func("/irc_names/casemap/tolower-ascii", test_tolower_ascii);
	g_test_add_func("/irc_names/casemap/tolower-rfc1459", test_tolower_rfc1459);
	g_test_add_func("/irc_names/casemap/tolower-all-bytes", test_tolower_all_bytes);
	g_test_add_func("/irc_names/casemap/casefold", test_casefold);
	g_test_add_func("/irc_names/casemap/casecmp", test_casecmp);
	g_test_add_func("/irc_names/nick/valid", test_nick_valid);
	g_test_add_func("/irc_names/channel/valid", test_channel_valid);
	g_test_add_func("/irc_names/channel/is-channel", test_is_channel);
	g_test_add_func("/irc_names/userhost/split", test_split_userhost);
	g_test_add_func("/irc_names/userhost/truncates", test_split_userhost_truncates);
	g_test_add_func("/irc_names/mask/match", test_mask_match);
	g_test_add_func("/irc_names/hostname/valid", test_hostname);
	g_test_add_func("/irc_names/channel/no-deceptive-chars", test_channel_no_deceptive);
	g_test_add_func("/irc_names/nick/no-control-chars", test_nick_no_control);
	return g_test_run();
}
