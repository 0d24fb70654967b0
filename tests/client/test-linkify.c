/* test-linkify.c - web addresses in message text become links (headless). */
#include "natter-linkify.h"

static void check(const char *text, const char *markup)
{
	g_autofree char *got = natter_linkify_markup(text);

	g_assert_cmpstr(got, ==, markup);
	/* Whatever the input, the result is valid Pango markup. */
	g_autoptr(GError) error = NULL;
	g_autofree char *wrapped = g_strdup_printf("<markup>%s</markup>", got);
	g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new(
		&(GMarkupParser){ NULL, NULL, NULL, NULL, NULL }, 0, NULL, NULL);
	g_assert_true(g_markup_parse_context_parse(ctx, wrapped, -1, &error));
	g_assert_no_error(error);
}

static void test_plain(void)
{
	check("", "");
	check("no links here", "no links here");
	check("a < b & c > d \"q\"", "a &lt; b &amp; c &gt; d &quot;q&quot;");
	check("http:// alone", "http:// alone");
	check("www. alone", "www. alone");
	check("notwww.example.org", "notwww.example.org");
}

static void test_links(void)
{
	check("see https://example.org/a?b=1&c=2 now",
	      "see <a href=\"https://example.org/a?b=1&amp;c=2\">https://example.org/a?b=1&amp;c=2</a> now");
	check("http://a.org", "<a href=\"http://a.org\">http://a.org</a>");
	check("HTTPS://A.ORG/X", "<a href=\"HTTPS://A.ORG/X\">HTTPS://A.ORG/X</a>");
	check("go to www.natter.chat.", "go to <a href=\"http://www.natter.chat\">www.natter.chat</a>.");
	check("two: http://a.org, http://b.org!",
	      "two: <a href=\"http://a.org\">http://a.org</a>, <a href=\"http://b.org\">http://b.org</a>!");
	check("ünï http://ex.org/ü ✓", "ünï <a href=\"http://ex.org/ü\">http://ex.org/ü</a> ✓");
}

static void test_punctuation(void)
{
	/* Brackets: an unpaired closing one belongs to the sentence. */
	check("(see http://a.org/x)", "(see <a href=\"http://a.org/x\">http://a.org/x</a>)");
	check("http://w.org/Foo_(bar)", "<a href=\"http://w.org/Foo_(bar)\">http://w.org/Foo_(bar)</a>");
	check("[http://a.org/y]", "[<a href=\"http://a.org/y\">http://a.org/y</a>]");
	check("'http://a.org/q'", "&apos;<a href=\"http://a.org/q\">http://a.org/q</a>&apos;");
	check("\"http://a.org/q\"", "&quot;<a href=\"http://a.org/q\">http://a.org/q</a>&quot;");
	check("<http://a.org/z>", "&lt;<a href=\"http://a.org/z\">http://a.org/z</a>&gt;");
	check("is it http://a.org/?", "is it <a href=\"http://a.org/\">http://a.org/</a>?");
	/* Markup in the address itself cannot break out of the attribute. */
	check("http://a.org/'x'&y", "<a href=\"http://a.org/&apos;x&apos;&amp;y\">http://a.org/&apos;x&apos;&amp;y</a>");
}

static void test_positions(void)
{
	g_autoptr(GArray) links = natter_linkify_find("x www.a.org y https://b.org/");

	g_assert_cmpuint(links->len, ==, 2);
	NatterLink *a = &g_array_index(links, NatterLink, 0);
	NatterLink *b = &g_array_index(links, NatterLink, 1);
	g_assert_cmpuint(a->start, ==, 2);
	g_assert_cmpuint(a->end, ==, 11);
	g_assert_cmpstr(a->href, ==, "http://www.a.org");
	g_assert_cmpuint(b->start, ==, 14);
	g_assert_cmpstr(b->href, ==, "https://b.org/");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/linkify/plain", test_plain);
	g_test_add_func("/linkify/links", test_links);
	g_test_add_func("/linkify/punctuation", test_punctuation);
	g_test_add_func("/linkify/positions", test_positions);
	return g_test_run();
}
