/* throttle.h - failures per key (an address, a name) with growing delays.
 *
 * After @free_failures failures of a key, each further failure makes the
 * key wait @delay seconds, doubling per failure up to @delay_max. An attempt
 * while the key waits should be refused at once, saying how long is left.
 * A table holds at most @max_keys keys: when full, keys that are past their
 * wait and quiet for 2 * delay_max are forgotten first; if none are, the new
 * key is not tracked (the other keys of the same attempt still are). A key
 * past its wait and quiet that long starts counting from zero again.
 *
 * No chat state and no clock of its own (times are passed in, monotonic
 * microseconds), so it is unit-tested directly (tests/unit/test_throttle.c).
 * Used by OPER (cmd_oper.c) and logins (login.c). */
#ifndef NATTERD_THROTTLE_H
#define NATTERD_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

struct throttle_policy {
	int free_failures;
	int delay;      /* seconds, first delay */
	int delay_max;  /* seconds */
};

struct throttle;

struct throttle *throttle_new(unsigned max_keys);
void throttle_free(struct throttle *t);

/* Seconds @key must still wait at @now (rounded up), or 0. */
int throttle_wait(struct throttle *t, const char *key, int64_t now);
/* Counts a failure of @key at @now. */
void throttle_fail(struct throttle *t, const char *key, int64_t now,
		   const struct throttle_policy *p);
/* Forgets @key (a success). */
void throttle_clear(struct throttle *t, const char *key);
/* Keys tracked now. */
unsigned throttle_size(const struct throttle *t);

#endif
