/* bytebuf.c - see bytebuf.h. */
#include "bytebuf.h"

#include <glib.h>
#include <string.h>

/* Small enough for glibc's per-thread cache, so the malloc/free of a
 * buffer that lives for one turn stays cheap. */
#define BYTEBUF_MIN 1000
/* Emptied buffers up to this size are freed at once; bigger ones (a reader
 * that lagged) are kept until the tick, so they are not re-grown each turn. */
#define BYTEBUF_KEEP 16384

/* Emptied minimum-size buffers wait here for the next connection that has
 * something to send: most are reused within the same loop turn, so the
 * write path does not go through malloc. Only the loop thread uses it. */
#define POOL_MAX 512
static char *pool[POOL_MAX];
static int pooled;

static char *take_block(void)
{
	return pooled > 0 ? pool[--pooled] : g_malloc(BYTEBUF_MIN);
}

static void give_block(char *block)
{
	if (pooled < POOL_MAX)
		pool[pooled++] = block;
	else
		g_free(block);
}

void bytebuf_pool_drain(void)
{
	while (pooled > 0)
		g_free(pool[--pooled]);
}

void bytebuf_append(struct bytebuf *b, const char *data, size_t len)
{
	size_t need = (size_t)b->len + len;

	/* Slide the bytes to the front only when the consumed part is at least
	 * as big as what is left, so each byte is moved O(1) times on average. */
	if (b->start > 0 && (size_t)b->start + need > b->cap && b->start >= b->len) {
		memmove(b->data, b->data + b->start, b->len);
		b->start = 0;
	}
	need += b->start;
	if (b->data == NULL && need <= BYTEBUF_MIN) {
		b->data = take_block();
		b->cap = BYTEBUF_MIN;
	} else if (need > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : BYTEBUF_MIN;
		while (cap < need)
			cap *= 2;
		if (b->cap == BYTEBUF_MIN) {
			/* Leaving the pool's size: move to a block of our own. */
			char *bigger = g_malloc(cap);
			memcpy(bigger, b->data, (size_t)b->start + b->len);
			give_block(b->data);
			b->data = bigger;
		} else {
			b->data = g_realloc(b->data, cap);
		}
		b->cap = (uint32_t)cap;
	}
	memcpy(b->data + b->start + b->len, data, len);
	b->len += (uint32_t)len;
}

void bytebuf_consume(struct bytebuf *b, size_t n)
{
	if (n >= b->len) {
		if (b->cap <= BYTEBUF_KEEP)
			bytebuf_clear(b);
		else
			b->start = b->len = 0;
		return;
	}
	b->start += (uint32_t)n;
	b->len -= (uint32_t)n;
}

void bytebuf_clear(struct bytebuf *b)
{
	if (b->data != NULL && b->cap == BYTEBUF_MIN)
		give_block(b->data);
	else
		g_free(b->data);
	b->data = NULL;
	b->start = b->len = b->cap = 0;
}


bool bytebuf_release_if_empty(struct bytebuf *b)
{
	if (b->len > 0 || b->data == NULL)
		return false;
	bytebuf_clear(b);
	return true;
}
