/* bytebuf.h - a growable byte queue that holds no memory while empty, so an
 * idle connection costs nothing for its buffers. */
#ifndef NATTERD_BYTEBUF_H
#define NATTERD_BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bytebuf {
	char *data;     /* NULL while empty */
	uint32_t start; /* offset of the first unconsumed byte */
	uint32_t len;   /* bytes queued after start */
	uint32_t cap;
};

void bytebuf_append(struct bytebuf *b, const char *data, size_t len);
/* Drops @n bytes from the front. An emptied small buffer is freed; a big one
 * is kept for the next turn (see bytebuf_release_if_empty). */
void bytebuf_consume(struct bytebuf *b, size_t n);
/* Drops everything and frees the memory. */
void bytebuf_clear(struct bytebuf *b);
/* Frees the memory of an empty buffer; true when there was some. */
bool bytebuf_release_if_empty(struct bytebuf *b);


/* Frees the blocks kept for reuse (at exit, and by the idle tick). */
void bytebuf_pool_drain(void);

static inline char *bytebuf_head(const struct bytebuf *b)
{
	return b->data + b->start;
}

#endif
