/* lg_hist.c - the latency histogram: fixed memory, O(1) insert, so recording
 * every delivery costs next to nothing next to the read() that brought it. */
#include "lg.h"

static unsigned hist_index(uint64_t v)
{
	if (v < HIST_SUB)
		return (unsigned)v;
	if (v >> 40)
		return HIST_BUCKETS - 1; /* clamp: far beyond any timeout */
	unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
	/* (v >> shift) lies in [SUB, 2*SUB): the linear step within its power. */
	return shift * HIST_SUB + (unsigned)(v >> shift);
}

/* Largest value that lands in bucket @i. */
static uint64_t hist_upper(unsigned i)
{
	if (i < 2 * HIST_SUB)
		return i;
	unsigned shift = i / HIST_SUB - 1;
	uint64_t m = i % HIST_SUB + HIST_SUB;
	return ((m + 1) << shift) - 1;
}

void hist_add(struct hist *h, uint64_t value)
{
	h->bucket[hist_index(value)]++;
	h->count++;
	if (value > h->max)
		h->max = value;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen > rank) {
			uint64_t up = hist_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}
