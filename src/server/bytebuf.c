/* bytebuf.c - see bytebuf.h. */
#include "bytebuf.h"

#include <glib.h>
#include <string.h>

#define BYTEBUF_MIN 2048
/* Emptied buffers up to this size are freed at once; bigger ones (a reader
 * that lagged) are kept until the tick, so they are not re-grown each turn. */
#define BYTEBUF_KEEP 16384

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
	if (need > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : BYTEBUF_MIN;
		while (cap < need)
			cap *= 2;
		b->data = g_realloc(b->data, cap);
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
