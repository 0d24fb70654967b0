/* Unit tests for src/server/connrate.c: a token bucket per network block,
 * blocks apart, and a bounded table that forgets without refusing. */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "connrate.h"

#define S(x) ((int64_t)(x) * 1000000)

static void key4(const char *a, unsigned char key[17])
{
	struct sockaddr_in s4;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	g_assert_cmpint(inet_pton(AF_INET, a, &s4.sin_addr), ==, 1);
	connrate_block_key((struct sockaddr *)&s4, 24, 64, key);
}

static void key6(const char *a, unsigned char key[17])
{
	struct sockaddr_in6 s6;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	g_assert_cmpint(inet_pton(AF_INET6, a, &s6.sin6_addr), ==, 1);
	connrate_block_key((struct sockaddr *)&s6, 24, 64, key);
}

static void test_burst_then_rate(void)
{
	unsigned char k[17];
	int64_t now = S(1000);

	connrate_reset();
	key4("10.1.2.3", k);
	for (int i = 0; i < 5; i++)
		g_assert_true(connrate_allow(k, 2.0, 5, now));
	g_assert_false(connrate_allow(k, 2.0, 5, now));
	/* Refused attempts cost nothing: 0.5 s later one more is allowed. */
	g_assert_false(connrate_allow(k, 2.0, 5, now + S(1) / 4));
	g_assert_true(connrate_allow(k, 2.0, 5, now + S(1) / 2));
	g_assert_false(connrate_allow(k, 2.0, 5, now + S(1) / 2));
	/* Never more than the burst after a long pause. */
	now += S(3600);
	for (int i = 0; i < 5; i++)
		g_assert_true(connrate_allow(k, 2.0, 5, now));
	g_assert_false(connrate_allow(k, 2.0, 5, now));
}

static void test_blocks(void)
{
	unsigned char a[17], b[17], c[17], v6a[17], v6b[17];
	int64_t now = S(5);

	connrate_reset();
	key4("10.1.2.3", a);
	key4("10.1.2.200", b); /* same /24 */
	key4("10.1.3.3", c);   /* another /24 */
	g_assert_cmpmem(a, 17, b, 17);
	g_assert_true(connrate_allow(a, 1.0, 1, now));
	g_assert_false(connrate_allow(b, 1.0, 1, now));
	g_assert_true(connrate_allow(c, 1.0, 1, now));
	key6("2001:db8:1:2::1", v6a);
	key6("2001:db8:1:2:ffff::9", v6b); /* same /64 */
	g_assert_cmpmem(v6a, 17, v6b, 17);
	g_assert_true(connrate_allow(v6a, 1.0, 1, now));
	g_assert_false(connrate_allow(v6b, 1.0, 1, now));
}

/* More blocks than the table holds: memory stays bounded, and a block that
 * keeps within its rate is never refused, whoever else arrives. */
static void test_bounded_table(void)
{
	unsigned char k[17], mine[17];
	int64_t now = S(10);
	int refused = 0;

	connrate_reset();
	key4("192.0.2.1", mine);
	for (int i = 0; i < 4 * CONNRATE_SETS * CONNRATE_WAYS; i++) {
		char a[32];
		g_snprintf(a, sizeof(a), "10.%d.%d.1", (i >> 8) & 255, i & 255);
		key4(a, k);
		if (i % 1000 == 0) {
			now += S(1);
			refused += !connrate_allow(mine, 1.0, 2, now);
		}
		connrate_allow(k, 1.0, 2, now);
	}
	g_assert_cmpint(refused, ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/connrate/burst-then-rate", test_burst_then_rate);
	g_test_add_func("/connrate/blocks", test_blocks);
	g_test_add_func("/connrate/bounded-table", test_bounded_table);
	return g_test_run();
}
