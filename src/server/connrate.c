/* connrate.c - new connections per second per network block (see connrate.h). */
#include "connrate.h"

#include <glib.h>
#include <netinet/in.h>
#include <string.h>

struct entry {
	unsigned char key[17]; /* key[0] == 0: unused */
	float tokens;
	int64_t stamp;         /* when the block was last seen (tokens refilled), us */
};

static struct entry table[CONNRATE_SETS][CONNRATE_WAYS];
static uint32_t seed;

void connrate_block_key(const struct sockaddr *sa, int ipv4_bits, int ipv6_bits,
			unsigned char key[17])
{
	int bits, nbytes;

	memset(key, 0, 17);
	if (sa->sa_family == AF_INET6) {
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		bits = ipv6_bits;
		nbytes = 16;
		key[0] = 6;
	} else {
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		bits = ipv4_bits;
		nbytes = 4;
		key[0] = 4;
	}
	for (int i = 0; i < nbytes; i++) {
		int keep = CLAMP(bits - i * 8, 0, 8);
		key[1 + i] &= (unsigned char)(0xff00u >> keep);
	}
}

/* FNV-1a over the key, started from a random seed. */
static unsigned set_of(const unsigned char key[17])
{
	uint32_t h = 2166136261u ^ seed;

	for (int i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 16777619u;
	}
	h ^= h >> 15;
	return h % CONNRATE_SETS;
}

static void refill(struct entry *e, double rate, int burst, int64_t now_us)
{
	double t = e->tokens + (double)(now_us - e->stamp) * rate / 1e6;

	e->tokens = (float)MIN(t, (double)burst);
	e->stamp = now_us;
}

bool connrate_allow(const unsigned char key[17], double rate, int burst, int64_t now_us)
{
	struct entry *set, *e = NULL, *victim = NULL;

	if (seed == 0)
		seed = g_random_int() | 1u;
	set = table[set_of(key)];
	for (int i = 0; i < CONNRATE_WAYS && e == NULL; i++)
		if (memcmp(set[i].key, key, 17) == 0)
			e = &set[i];
	if (e == NULL) {
		/* An unused way, else one whose bucket is full again (forgetting it
		 * changes nothing), else the one seen longest ago. */
		for (int i = 0; i < CONNRATE_WAYS; i++) {
			struct entry *w = &set[i];
			if (w->key[0] == 0) {
				victim = w;
				break;
			}
			if ((double)w->tokens + (double)(now_us - w->stamp) * rate / 1e6 >=
			    (double)burst) {
				victim = w;
				break;
			}
			if (victim == NULL || w->stamp < victim->stamp)
				victim = w;
		}
		e = victim;
		memcpy(e->key, key, 17);
		e->tokens = (float)burst;
		e->stamp = now_us;
	} else {
		refill(e, rate, burst, now_us);
	}
	if (e->tokens < 1.0f)
		return false;
	e->tokens -= 1.0f;
	return true;
}

void connrate_reset(void)
{
	memset(table, 0, sizeof(table));
}
