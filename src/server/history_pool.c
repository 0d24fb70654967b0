/* history_pool.c - where the loop keeps the rows it holds until the writer
 * has moved them (history_internal.h): blocks of 256 KiB of their own
 * (mmap), each given back whole when its last row is freed.
 *
 * Why not malloc: those rows live from a burst (2,000 people joining) until
 * the burst is over, so one by one they would sit between the clients' own
 * allocations of that burst and leave holes that glibc cannot give back
 * (measured: 1,460 instead of 1,030 bytes per idle client after 2,000
 * joins). Loop thread only. */
#include "history_internal.h"

#include <string.h>
#include <sys/mman.h>

#define BLOCK_SIZE (256 * 1024)
#define ALIGN(n) (((n) + 15) & ~(size_t)15)

struct pool_block {
	unsigned rows; /* rows in it not yet freed */
	size_t used;
};

static struct pool_block *current; /* where new rows go */

static void block_unmap(struct pool_block *b)
{
	munmap(b, BLOCK_SIZE);
}

static void *block_alloc(size_t size, struct pool_block **out)
{
	size = ALIGN(size);
	if (current == NULL || current->used + size > BLOCK_SIZE) {
		struct pool_block *b = mmap(NULL, BLOCK_SIZE, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b == MAP_FAILED)
			return NULL;
		if (current != NULL && current->rows == 0)
			block_unmap(current);
		current = b;
		current->rows = 0;
		current->used = ALIGN(sizeof(*current));
	}
	*out = current;
	current->used += size;
	return (char *)current + current->used - size;
}

static size_t str_size(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static char *str_copy(char **p, const char *s)
{
	char *at = *p;

	if (s == NULL)
		return NULL;
	memcpy(at, s, strlen(s) + 1);
	*p += strlen(s) + 1;
	return at;
}

struct record *pool_adopt(struct record *r)
{
	size_t n = sizeof(*r) + str_size(r->target) + str_size(r->sender) + str_size(r->line) +
		   str_size(r->tags) + str_size(r->peer_a) + str_size(r->peer_b) +
		   str_size(r->offline_for);
	struct pool_block *b;
	struct record *c;
	char *p;

	if (n > BLOCK_SIZE / 4 || (p = block_alloc(n, &b)) == NULL)
		return r; /* a huge one stays where it is */
	c = (struct record *)p;
	*c = *r;
	p += sizeof(*c);
	c->target = str_copy(&p, r->target);
	c->sender = str_copy(&p, r->sender);
	c->line = str_copy(&p, r->line);
	c->tags = str_copy(&p, r->tags);
	c->peer_a = str_copy(&p, r->peer_a);
	c->peer_b = str_copy(&p, r->peer_b);
	c->offline_for = str_copy(&p, r->offline_for);
	c->block = b;
	b->rows++;
	record_free(r);
	return c;
}

void pool_release(struct record *r)
{
	struct pool_block *b = r->block;

	if (--b->rows > 0)
		return;
	if (b == current)
		current = NULL; /* an idle server keeps no block */
	block_unmap(b);
}

void pool_clear(void)
{
	if (current != NULL && current->rows == 0)
		block_unmap(current);
	current = NULL;
}
