/* Unit tests for src/server/bytebuf.c: the growable byte queue of every
 * connection's input and output. */
#include <glib.h>
#include <string.h>

#include "bytebuf.h"

static void test_empty_holds_no_memory(void)
{
	struct bytebuf b = { 0 };

	g_assert_null(b.data);
	bytebuf_append(&b, "abc", 3);
	g_assert_nonnull(b.data);
	g_assert_cmpuint(b.len, ==, 3);
	bytebuf_consume(&b, 3);
	g_assert_cmpuint(b.len, ==, 0);
	bytebuf_release_if_empty(&b);
	g_assert_null(b.data);
	bytebuf_clear(&b);
}

static void test_fifo_order_across_growth(void)
{
	struct bytebuf b = { 0 };
	GString *expect = g_string_new(NULL);

	for (int i = 0; i < 5000; i++) {
		char item[16];
		int n = g_snprintf(item, sizeof(item), "%d,", i);
		bytebuf_append(&b, item, (size_t)n);
		g_string_append_len(expect, item, n);
		if (i % 7 == 0) {
			/* consume from the front as a socket write would */
			size_t take = MIN(b.len, 5u);
			g_assert_cmpmem(bytebuf_head(&b), take, expect->str, take);
			bytebuf_consume(&b, take);
			g_string_erase(expect, 0, (gssize)take);
		}
	}
	g_assert_cmpmem(bytebuf_head(&b), b.len, expect->str, expect->len);
	g_assert_cmpuint(b.cap, >=, b.len);
	bytebuf_clear(&b);
	g_assert_null(b.data);
	g_assert_cmpuint(b.len, ==, 0);
	g_string_free(expect, TRUE);
}

static void test_partial_consume_keeps_rest(void)
{
	struct bytebuf b = { 0 };

	bytebuf_append(&b, "PING a\r\nPING b", 14);
	bytebuf_consume(&b, 8);
	g_assert_cmpmem(bytebuf_head(&b), b.len, "PING b", 6);
	g_assert_false(bytebuf_release_if_empty(&b));
	g_assert_nonnull(b.data);
	bytebuf_append(&b, "\r\n", 2);
	g_assert_cmpmem(bytebuf_head(&b), b.len, "PING b\r\n", 8);
	bytebuf_clear(&b);
}

static void test_big_buffer_and_pool(void)
{
	struct bytebuf b = { 0 };
	char *big = g_malloc(1 << 20);

	memset(big, 'x', 1 << 20);
	bytebuf_append(&b, big, 1 << 20);
	g_assert_cmpuint(b.len, ==, 1u << 20);
	bytebuf_consume(&b, 1 << 20);
	g_assert_cmpuint(b.len, ==, 0);
	bytebuf_clear(&b);
	bytebuf_pool_drain();
	g_free(big);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bytebuf/empty-holds-no-memory", test_empty_holds_no_memory);
	g_test_add_func("/bytebuf/fifo-across-growth", test_fifo_order_across_growth);
	g_test_add_func("/bytebuf/partial-consume", test_partial_consume_keeps_rest);
	g_test_add_func("/bytebuf/big-and-pool", test_big_buffer_and_pool);
	return g_test_run();
}
