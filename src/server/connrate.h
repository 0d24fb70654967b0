/* connrate.h - new connections per second per network block.
 *
 * A token bucket per block (the /ipv4_block of an IPv4 address, the
 * /ipv6_block of an IPv6 one): @burst connections at once, then @rate per
 * second. Checked first thing on accept, before any per-connection state
 * exists, so a network that reconnects as fast as it is closed costs an
 * accept and a close, not a connection's set-up and eviction.
 *
 * The table is bounded (CONNRATE_SETS x CONNRATE_WAYS entries, a few hundred
 * KiB at most, touched only as blocks arrive): a block that finds its set
 * full takes the place of a block whose bucket has refilled, else of the
 * one seen longest ago. A block pushed out starts again with a full bucket,
 * so under a flood from more blocks than the table holds the limit weakens;
 * it never refuses a block that is within its rate. The set is picked by a
 * hash keyed at random at start, so a sender cannot aim at one set.
 *
 * No clock of its own (times are passed in, monotonic microseconds), so it
 * is unit-tested directly (tests/unit/test_connrate.c). */
#ifndef NATTERD_CONNRATE_H
#define NATTERD_CONNRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONNRATE_SETS 1024
#define CONNRATE_WAYS 4

/* The block of @sa (an AF_INET or AF_INET6 address) with the given prefix
 * lengths, as 17 bytes: family, then the masked address. */
void connrate_block_key(const struct sockaddr *sa, int ipv4_bits, int ipv6_bits,
			unsigned char key[17]);

/* True (and one token taken) when the block of @key may open a connection
 * at @now_us; false when it is over @burst at once or @rate per second. */
bool connrate_allow(const unsigned char key[17], double rate, int burst, int64_t now_us);

/* Forgets every block (tests). */
void connrate_reset(void);

#endif
