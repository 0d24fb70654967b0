/* Unit tests for src/server/throttle.c: failures per key, growing delays,
 * clearing, and a bounded table. */
#include <glib.h>

#include "throttle.h"

#define S(x) ((int64_t)(x) * 1000000)

static const struct throttle_policy policy = { .free_failures = 3, .delay = 2, .delay_max = 30 };

static void test_free_failures_then_doubling_delays(void)
{
	struct throttle *t = throttle_new(16);
	int64_t now = S(1000);

	for (int i = 0; i < 3; i++) {
		throttle_fail(t, "a", now, &policy);
		g_assert_cmpint(throttle_wait(t, "a", now), ==, 0);
	}
	throttle_fail(t, "a", now, &policy); /* 4th: wait 2 s */
	g_assert_cmpint(throttle_wait(t, "a", now), ==, 2);
	g_assert_cmpint(throttle_wait(t, "a", now + S(1)), ==, 1);
	g_assert_cmpint(throttle_wait(t, "a", now + S(2)), ==, 0);
	now += S(2);
	throttle_fail(t, "a", now, &policy); /* 5th: 4 s */
	g_assert_cmpint(throttle_wait(t, "a", now), ==, 4);
	now += S(4);
	throttle_fail(t, "a", now, &policy); /* 6th: 8 s */
	g_assert_cmpint(throttle_wait(t, "a", now), ==, 8);
	for (int i = 0; i < 10; i++)
		throttle_fail(t, "a", now, &policy);
	g_assert_cmpint(throttle_wait(t, "a", now), ==, 30); /* capped */
	/* A partial second is rounded up. */
	g_assert_cmpint(throttle_wait(t, "a", now + S(29) + 1), ==, 1);
	/* Other keys are not affected. */
	g_assert_cmpint(throttle_wait(t, "b", now), ==, 0);
	throttle_free(t);
}

static void test_clear_forgets(void)
{
	struct throttle *t = throttle_new(16);

	for (int i = 0; i < 5; i++)
		throttle_fail(t, "k", S(10), &policy);
	g_assert_cmpint(throttle_wait(t, "k", S(10)), >, 0);
	throttle_clear(t, "k");
	g_assert_cmpint(throttle_wait(t, "k", S(10)), ==, 0);
	g_assert_cmpuint(throttle_size(t), ==, 0);
	/* Counting starts again from zero. */
	throttle_fail(t, "k", S(10), &policy);
	g_assert_cmpint(throttle_wait(t, "k", S(10)), ==, 0);
	throttle_free(t);
}

static void test_table_is_bounded(void)
{
	struct throttle *t = throttle_new(4);
	char key[16];

	for (int i = 0; i < 100; i++) {
		g_snprintf(key, sizeof(key), "k%d", i);
		throttle_fail(t, key, S(0), &policy);
	}
	g_assert_cmpuint(throttle_size(t), ==, 4);
	/* Once the old keys are past their wait and quiet for 2 * delay_max,
	 * they make room. */
	throttle_fail(t, "late", S(61), &policy);
	g_assert_cmpuint(throttle_size(t), ==, 1);
	throttle_free(t);
}

static void test_waiting_keys_are_not_pruned(void)
{
	struct throttle *t = throttle_new(2);

	for (int i = 0; i < 10; i++) {
		throttle_fail(t, "x", S(0), &policy);
		throttle_fail(t, "y", S(0), &policy);
	}
	/* Full of keys still waiting: a new key is not tracked, the old stay. */
	throttle_fail(t, "z", S(29), &policy);
	g_assert_cmpuint(throttle_size(t), ==, 2);
	g_assert_cmpint(throttle_wait(t, "x", S(29)), ==, 1);
	throttle_free(t);
}

static void test_quiet_keys_start_over(void)
{
	struct throttle *t = throttle_new(16);
	int64_t now = S(1000);

	for (int i = 0; i < 4; i++)
		throttle_fail(t, "a", now, &policy);
	g_assert_cmpint(throttle_wait(t, "a", now), ==, 2);
	/* Quiet for just under 2 * delay_max: the count goes on (5th: 4 s). */
	now += S(59);
	throttle_fail(t, "a", now, &policy);
	g_assert_cmpint(throttle_wait(t, "a", now), ==, 4);
	/* Quiet for longer: an old mistake no longer counts (1st again). */
	now += S(61);
	throttle_fail(t, "a", now, &policy);
	g_assert_cmpint(throttle_wait(t, "a", now), ==, 0);
	throttle_free(t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/throttle/free-then-doubling", test_free_failures_then_doubling_delays);
	g_test_add_func("/throttle/clear", test_clear_forgets);
	g_test_add_func("/throttle/bounded", test_table_is_bounded);
	g_test_add_func("/throttle/waiting-kept", test_waiting_keys_are_not_pruned);
	g_test_add_func("/throttle/quiet-start-over", test_quiet_keys_start_over);
	return g_test_run();
}
