/* server.c - the one process-wide server state and the clocks (see
 * server.h). Apart from main.c so that unit tests and the dispatch fuzzer
 * can link every server module without main(). */
#include "server.h"

#include <sys/time.h>
#include <time.h>

struct server server;

int64_t server_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t server_wall_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}
