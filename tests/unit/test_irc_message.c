/* test_irc_message.c - unit tests for src/common/irc_message.c beyond the
 * ircdocs vectors: blank and incomplete lines, the parameter and tag limits,
 * tag escaping and parse/format round trips. */
#include <string.h>

#include <glib.h>

#include "irc_message.h"

/* Parses a copy of @line into @msg; the copy is kept in @buf for the
 * pointers in @msg. */
static enum irc_parse_result parse(struct irc_message *msg, char **buf,
				   const char *line)
{
	g_free(*buf);
	*buf = g_strdup(line);
	return irc_message_parse(msg, *buf);
}

static char *format(const struct irc_message *msg)
{
	GString *out = g_string_new(NULL);

	irc_message_format(out, msg);
	return g_string_free(out, FALSE);
}

static void test_empty_line(void)
{
	g_autofree char *buf = NULL;
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, ""), ==, IRC_PARSE_EMPTY);
	g_assert_cmpint(parse(&msg, &buf, " "), ==, IRC_PARSE_EMPTY);
	g_assert_cmpint(parse(&msg, &buf, "      "), ==, IRC_PARSE_EMPTY);
	g_assert_null(msg.command);
	g_assert_null(msg.source);
	g_assert_cmpint(msg.nparams, ==, 0);
	g_assert_cmpint(msg.ntags, ==, 0);
}

static void test_source_only(void)
{
	g_autofree char *buf = NULL;
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, ":irc.example.com"), ==,
			IRC_PARSE_NO_COMMAND);
	g_assert_null(msg.command);
	g_assert_cmpint(parse(&msg, &buf, ":nick!user@host   "), ==,
			IRC_PARSE_NO_COMMAND);
	g_assert_null(msg.command);
	g_assert_cmpint(parse(&msg, &buf, ":"), ==, IRC_PARSE_NO_COMMAND);
}

static void test_tags_only(void)
{
	g_autofree char *buf = NULL;
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, "@a=b"), ==, IRC_PARSE_NO_COMMAND);
	g_assert_cmpint(parse(&msg, &buf, "@a=b "), ==, IRC_PARSE_NO_COMMAND);
	g_assert_cmpint(parse(&msg, &buf, "@a=b :src"), ==,
			IRC_PARSE_NO_COMMAND);
	g_assert_cmpint(parse(&msg, &buf, "@"), ==, IRC_PARSE_NO_COMMAND);
}

/* A command cannot start with '@': "@ @x" would otherwise format as the
 * tag section "@x" (found by fuzz_irc_message). */
static void test_at_command(void)
{
	g_autofree char *buf = NULL;
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, "@ @n"), ==, IRC_PARSE_NO_COMMAND);
	g_assert_cmpint(parse(&msg, &buf, "@;; @n x"), ==, IRC_PARSE_NO_COMMAND);
	g_assert_cmpint(parse(&msg, &buf, "@a=1 @n"), ==, IRC_PARSE_NO_COMMAND);
	g_assert_cmpint(parse(&msg, &buf, ":src @n"), ==, IRC_PARSE_NO_COMMAND);
	g_assert_cmpint(parse(&msg, &buf, "CMD @n"), ==, IRC_PARSE_OK);
	g_assert_cmpstr(msg.params[0], ==, "@n");
}

/* A tag without a key is dropped: format could not write it back
 * (found by fuzz_irc_message). */
static void test_tag_without_key(void)
{
	g_autofree char *buf = NULL;
	g_autofree char *wire = NULL;
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, "@=;=x;a=1;=y CMD"), ==, IRC_PARSE_OK);
	g_assert_cmpint(msg.ntags, ==, 1);
	g_assert_cmpstr(irc_message_tag(&msg, "a"), ==, "1");
	g_assert_null(irc_message_tag(&msg, ""));
	wire = format(&msg);
	g_assert_cmpstr(wire, ==, "@a=1 CMD");
}

static void test_leading_spaces(void)
{
	g_autofree char *buf = NULL;
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, "   PING  x"), ==, IRC_PARSE_OK);
	g_assert_cmpstr(msg.command, ==, "PING");
	g_assert_cmpint(msg.nparams, ==, 1);
	g_assert_cmpstr(msg.params[0], ==, "x");
}

/* "CMD p1 p2 ... pN", plus @trailing as a last ":" parameter if not NULL. */
static char *line_with_params(int n, const char *trailing)
{
	GString *line = g_string_new("CMD");

	for (int i = 1; i <= n; i++)
		g_string_append_printf(line, " p%d", i);
	if (trailing != NULL)
		g_string_append_printf(line, " :%s", trailing);
	return g_string_free(line, FALSE);
}

static void test_max_params(void)
{
	g_autofree char *buf = NULL;
	g_autofree char *fifteen = line_with_params(IRC_MAX_PARAMS, NULL);
	g_autofree char *trailing = line_with_params(IRC_MAX_PARAMS - 1, "last one");
	g_autofree char *spaces = g_strconcat(fifteen, "    ", NULL);
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, fifteen), ==, IRC_PARSE_OK);
	g_assert_cmpint(msg.nparams, ==, IRC_MAX_PARAMS);
	g_assert_cmpstr(msg.params[IRC_MAX_PARAMS - 1], ==, "p15");

	g_assert_cmpint(parse(&msg, &buf, trailing), ==, IRC_PARSE_OK);
	g_assert_cmpint(msg.nparams, ==, IRC_MAX_PARAMS);
	g_assert_cmpstr(msg.params[IRC_MAX_PARAMS - 1], ==, "last one");

	g_assert_cmpint(parse(&msg, &buf, spaces), ==, IRC_PARSE_OK);
	g_assert_cmpint(msg.nparams, ==, IRC_MAX_PARAMS);
}

static void test_too_many_params(void)
{
	g_autofree char *buf = NULL;
	g_autofree char *sixteen = line_with_params(IRC_MAX_PARAMS + 1, NULL);
	g_autofree char *trailing = line_with_params(IRC_MAX_PARAMS, "x y");
	g_autofree char *many = line_with_params(100, NULL);
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, sixteen), ==,
			IRC_PARSE_TOO_MANY_PARAMS);
	g_assert_cmpint(parse(&msg, &buf, trailing), ==,
			IRC_PARSE_TOO_MANY_PARAMS);
	g_assert_cmpint(parse(&msg, &buf, many), ==,
			IRC_PARSE_TOO_MANY_PARAMS);
	g_assert_cmpint(msg.nparams, <=, IRC_MAX_PARAMS);
}

/* "@t0;t1;...;t{n-1} CMD" */
static char *line_with_tags(int n)
{
	GString *line = g_string_new("@");

	for (int i = 0; i < n; i++)
		g_string_append_printf(line, "%st%d=%d", i > 0 ? ";" : "", i, i);
	g_string_append(line, " CMD");
	return g_string_free(line, FALSE);
}

static void test_tag_limit(void)
{
	g_autofree char *buf = NULL;
	g_autofree char *max = line_with_tags(IRC_MAX_TAGS);
	g_autofree char *over = line_with_tags(IRC_MAX_TAGS + 1);
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, max), ==, IRC_PARSE_OK);
	g_assert_cmpint(msg.ntags, ==, IRC_MAX_TAGS);
	g_assert_cmpstr(irc_message_tag(&msg, "t63"), ==, "63");
	g_assert_cmpint(parse(&msg, &buf, over), ==, IRC_PARSE_TOO_MANY_TAGS);
	g_assert_cmpint(msg.ntags, <=, IRC_MAX_TAGS);
}

static void test_tag_lookup(void)
{
	g_autofree char *buf = NULL;
	struct irc_message msg;

	g_assert_cmpint(parse(&msg, &buf, "@a=1;b;c=;a=2;;+vendor/x=y PING"),
			==, IRC_PARSE_OK);
	g_assert_cmpstr(irc_message_tag(&msg, "a"), ==, "2");
	g_assert_cmpstr(irc_message_tag(&msg, "b"), ==, "");
	g_assert_cmpstr(irc_message_tag(&msg, "c"), ==, "");
	g_assert_cmpstr(irc_message_tag(&msg, "+vendor/x"), ==, "y");
	g_assert_null(irc_message_tag(&msg, "d"));
	g_assert_null(irc_message_tag(&msg, "A"));
	g_assert_null(irc_message_tag(&msg, ""));
}

static void test_tag_escape(void)
{
	static const struct {
		const char *raw, *escaped;
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ ";", "\\:" },
		{ " ", "\\s" },
		{ "\\", "\\\\" },
		{ "\r", "\\r" },
		{ "\n", "\\n" },
		{ "a; b\\c\r\nd", "a\\:\\sb\\\\c\\r\\nd" },
		{ "\\s", "\\\\s" },
		{ "=:,@", "=:,@" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) out = g_string_new(NULL);
		irc_tag_escape(out, cases[i].raw);
		g_assert_cmpstr(out->str, ==, cases[i].escaped);
	}
}

static void test_tag_unescape(void)
{
	g_autofree char *buf = NULL;
	struct irc_message msg;

	/* An unknown escape stands for the character; a final lone
	 * backslash is dropped. */
	g_assert_cmpint(parse(&msg, &buf, "@a=\\x\\b;b=end\\;c=\\\\\\ CMD"), ==,
			IRC_PARSE_OK);
	g_assert_cmpstr(irc_message_tag(&msg, "a"), ==, "xb");
	g_assert_cmpstr(irc_message_tag(&msg, "b"), ==, "end");
	g_assert_cmpstr(irc_message_tag(&msg, "c"), ==, "\\");
}

/* Escape, parse back: every value must survive, byte for byte. */
static void test_tag_round_trip(void)
{
	static const char *values[] = {
		"", "x", ";", " ", "\\", "\r", "\n", "\\\\", ";;  ;",
		"\\s\\:\\r\\n", "a=b=c", "trailing\\", " lead and trail ",
		"\x01\x02\x7f", "caf\xc3\xa9", ":colon", "@at",
	};
	g_autofree char *buf = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
		g_autoptr(GString) line = g_string_new("@k=");
		g_autofree char *again = NULL;
		struct irc_message msg;

		irc_tag_escape(line, values[i]);
		g_string_append(line, ";other=1 :src CMD :a b");
		g_assert_cmpint(parse(&msg, &buf, line->str), ==, IRC_PARSE_OK);
		g_assert_cmpstr(irc_message_tag(&msg, "k"), ==, values[i]);
		g_assert_cmpstr(irc_message_tag(&msg, "other"), ==, "1");
		g_assert_cmpstr(msg.source, ==, "src");
		g_assert_cmpstr(msg.params[0], ==, "a b");

		/* And format writes the same line again, except that an
		 * empty value loses its '='. */
		again = format(&msg);
		if (values[i][0] != '\0')
			g_assert_cmpstr(again, ==, line->str);
		else
			g_assert_cmpstr(again, ==, "@k;other=1 :src CMD :a b");
	}
}

static void test_format_last_param(void)
{
	struct irc_message msg = { .command = (char *)"PRIVMSG", .nparams = 2 };
	static const struct {
		const char *param, *wire;
	} cases[] = {
		{ "word", "PRIVMSG #c word" },
		{ "two words", "PRIVMSG #c :two words" },
		{ "", "PRIVMSG #c :" },
		{ ":smile", "PRIVMSG #c ::smile" },
		{ "a:b", "PRIVMSG #c a:b" },
		{ " ", "PRIVMSG #c : " },
		{ "tab\there", "PRIVMSG #c tab\there" },
	};

	msg.params[0] = (char *)"#c";
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *wire = NULL;
		msg.params[1] = (char *)cases[i].param;
		wire = format(&msg);
		g_assert_cmpstr(wire, ==, cases[i].wire);
	}
}

static void test_format_no_params(void)
{
	struct irc_message msg = { .source = (char *)"srv", .command = (char *)"PING" };
	g_autofree char *wire = format(&msg);

	g_assert_cmpstr(wire, ==, ":srv PING");
}

static void test_format_appends(void)
{
	struct irc_message msg = { .command = (char *)"PONG", .nparams = 1 };
	g_autoptr(GString) out = g_string_new("prefix|");

	msg.params[0] = (char *)"x";
	irc_message_format(out, &msg);
	g_assert_cmpstr(out->str, ==, "prefix|PONG x");
}

static void test_param_is_middle(void)
{
	g_assert_true(irc_param_is_middle("a"));
	g_assert_true(irc_param_is_middle("a:b"));
	g_assert_true(irc_param_is_middle("#chan"));
	g_assert_false(irc_param_is_middle(""));
	g_assert_false(irc_param_is_middle(":a"));
	g_assert_false(irc_param_is_middle("a b"));
	g_assert_false(irc_param_is_middle(" "));
}

/* Lines already in the form irc_message_format writes come back unchanged. */
static void test_round_trip(void)
{
	static const char *lines[] = {
		"PING",
		"PING x",
		":nick!user@host PRIVMSG #chan :hello there",
		":nick!user@host PRIVMSG #chan ::)",
		":srv 001 nick :Welcome to natter",
		":srv 353 nick = #lobby :@op +voice plain",
		"@time=2024-01-01T00:00:00.000Z;msgid=abc :n!u@h PRIVMSG #c hi",
		"@+draft/reply=1;label PRIVMSG #c :",
		"@a=\\:\\s\\\\\\r\\n CMD",
		"CMD p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13 p14 :p15 with space",
	};
	g_autofree char *buf = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
		struct irc_message msg;
		g_autofree char *wire = NULL;

		g_assert_cmpint(parse(&msg, &buf, lines[i]), ==, IRC_PARSE_OK);
		wire = format(&msg);
		g_assert_cmpstr(wire, ==, lines[i]);
	}
}

/* Extra spaces and needless colons are normalised away. */
static void test_normalise(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "  :src   CMD   a   b  ", ":src CMD a b" },
		{ "CMD :word", "CMD word" },
		{ "@a= CMD", "@a CMD" },
		{ "@;;a;; CMD", "@a CMD" },
		{ "@a=\\x CMD", "@a=x CMD" },
	};
	g_autofree char *buf = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct irc_message msg;
		g_autofree char *wire = NULL;

		g_assert_cmpint(parse(&msg, &buf, cases[i].in), ==, IRC_PARSE_OK);
		wire = format(&msg);
		g_assert_cmpstr(wire, ==, cases[i].out);
	}
}

static void test_result_str(void)
{
	const enum irc_parse_result results[] = {
		IRC_PARSE_OK, IRC_PARSE_EMPTY, IRC_PARSE_NO_COMMAND,
		IRC_PARSE_TOO_MANY_PARAMS, IRC_PARSE_TOO_MANY_TAGS,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(results); i++) {
		const char *s = irc_parse_result_str(results[i]);
		g_assert_nonnull(s);
		g_assert_cmpuint(strlen(s), >, 0);
		for (size_t j = 0; j < i; j++)
			g_assert_cmpstr(s, !=, irc_parse_result_str(results[j]));
	}
	g_assert_nonnull(irc_parse_result_str((enum irc_parse_result)99));
}

/* The ASCII fast path must agree with GLib wherever the first bad byte is. */
static void test_utf8_valid(void)
{
	static const char *bad[] = { "\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82" };
	char buf[64];

	g_assert_true(irc_utf8_valid("", 0));
	g_assert_true(irc_utf8_valid("plain ascii text, longer than eight", 35));
	g_assert_true(irc_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	for (size_t b = 0; b < G_N_ELEMENTS(bad); b++) {
		for (size_t at = 0; at < 20; at++) {
			size_t blen = strlen(bad[b]);
			memset(buf, 'a', at);
			memcpy(buf + at, bad[b], blen);
			memcpy(buf + at + blen, "tail", 4);
			g_assert_false(irc_utf8_valid(buf, at + blen + 4));
			g_assert_false(irc_utf8_valid(buf, at + blen)); /* bad at the very end */
		}
	}
}

/* Client tag keys are relayed to others, so only IRCv3's grammar passes:
 * ['+'] [vendor '/'] name, name = letters, digits, '-'. */
static void test_tag_key_valid(void)
{
	static const char *good[] = {
		"label", "+typing", "+draft/reply", "example.com/foo", "+example.com/a-b-1", "msgid",
	};
	static const char *bad[] = {
		"", "+", "/x", "+/x", "a/", "vendor/", "a b", "a\x1b", "a\x01", ("\xe2\x80\xae" "x"),
		"a_b", "a=b", "+a;b", "a\\b", "ex ample.com/x", "caf\xc3\xa9", "a//b", "a\x7f",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
		if (!irc_tag_key_is_valid(good[i]))
			g_error("refused a valid tag key: %s", good[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		if (irc_tag_key_is_valid(bad[i]))
			g_error("accepted a bad tag key: %s", bad[i]);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();

	g_test_add_func("/irc_message/parse/empty-line", test_empty_line);
	g_test_add_func("/irc_message/parse/source-only", test_source_only);
	g_test_add_func("/irc_message/parse/tags-only", test_tags_only);
	g_test_add_func("/irc_message/parse/at-command", test_at_command);
	g_test_add_func("/irc_message/parse/leading-spaces", test_leading_spaces);
	g_test_add_func("/irc_message/parse/max-params", test_max_params);
	g_test_add_func("/irc_message/parse/too-many-params", test_too_many_params);
	g_test_add_func("/irc_message/parse/tag-limit", test_tag_limit);
	g_test_add_func("/irc_message/tags/lookup", test_tag_lookup);
	g_test_add_func("/irc_message/tags/without-key", test_tag_without_key);
	g_test_add_func("/irc_message/tags/escape", test_tag_escape);
	g_test_add_func("/irc_message/tags/unescape", test_tag_unescape);
	g_test_add_func("/irc_message/tags/round-trip", test_tag_round_trip);
	g_test_add_func("/irc_message/format/last-param", test_format_last_param);
	g_test_add_func("/irc_message/format/no-params", test_format_no_params);
	g_test_add_func("/irc_message/format/appends", test_format_appends);
	g_test_add_func("/irc_message/format/param-is-middle", test_param_is_middle);
	g_test_add_func("/irc_message/round-trip", test_round_trip);
	g_test_add_func("/irc_message/normalise", test_normalise);
	g_test_add_func("/irc_message/result-str", test_result_str);
	g_test_add_func("/irc_message/utf8-valid", test_utf8_valid);
	g_test_add_func("/irc_message/tag-key-valid", test_tag_key_valid);
	return g_test_run();
}
