/* lg.h - the load generator's shared types: the connection pool, the latency
 * histogram and the process meters. The generator speaks plain IRC (over TLS
 * with --tls) so that it measures any server the same way; it is
 * single-threaded (one epoll loop) so that on a 2-core machine the server
 * under test keeps the other core. */
#ifndef NATTER_BENCH_LG_H
#define NATTER_BENCH_LG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- histogram (lg_hist.c) ------------------------------------------- */

/* Log-linear buckets: 64 linear steps per power of two, so every recorded
 * value is kept to within 1.6 %, up to 2^40 ns (18 minutes). */
#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((40 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t max;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_add(struct hist *h, uint64_t value);
/* The value at quantile @q (0..1): the upper edge of its bucket. */
uint64_t hist_quantile(const struct hist *h, double q);

/* ---- process meters (lg_proc.c) -------------------------------------- */

uint64_t mono_ns(void);
/* CPU seconds (user + system) used so far by @pid, or -1 when unreadable. */
double proc_cpu_s(pid_t pid);
/* VmRSS of @pid in KiB, or -1 when unreadable. */
long proc_rss_kib(pid_t pid);
/* CPU seconds used so far by this process. */
double self_cpu_s(void);
/* Raises the soft open-file limit to the hard one; returns how many sockets
 * the generator may open, keeping a margin for stdio, epoll and /proc. */
int fd_budget(void);

/* ---- connection pool (lg_net.c) -------------------------------------- */

enum conn_state {
	CS_IDLE = 0,    /* not started */
	CS_CONNECTING,  /* connect() in progress */
	CS_REGISTERING, /* NICK/USER sent, waiting for 001 */
	CS_JOINING,     /* JOIN sent, waiting for 366 */
	CS_READY,       /* registered (and joined, when the scenario joins) */
	CS_CLOSED,      /* failed or closed by the server */
};

struct ssl_st;

struct conn {
	int fd;
	struct ssl_st *ssl; /* with --tls: OpenSSL's client state, else NULL */
	uint32_t id;    /* index in pool.conns */
	uint8_t state;  /* enum conn_state */
	bool out_armed; /* EPOLLOUT is registered */
	bool dirty;     /* on the pool's flush list */
	bool wr_needs_rd; /* TLS: the last write waits for the socket to be readable */
	uint16_t plen;  /* bytes of an incomplete line kept in partial */
	char *partial;  /* allocated on first need only: idle clients stay small */
	char *obuf;     /* unsent output; allocated on first need */
	uint32_t olen, ocap;
	char nick[12];
};

struct pool;

/* What a scenario does with the traffic: the pool handles registration,
 * PING and errors itself and hands over the rest. */
struct pool_ops {
	/* After 001: send JOIN (and return true) or return false to be READY. */
	bool (*registered)(struct pool *p, struct conn *c);
	/* A PRIVMSG reached @c; @text is the trailing parameter. */
	void (*privmsg)(struct pool *p, struct conn *c, const char *text, size_t len);
};

struct pool_opts {
	uint32_t addr;        /* server IPv4 address, host order (loopback) */
	uint16_t port;
	int src_addrs;        /* bind round-robin to 127.0.0.1 .. 127.0.0.N */
	int rate;             /* new connections per second */
	int max_pending;      /* connections not yet registered, at most */
	bool tls;             /* speak TLS (certificate not checked: loopback bench) */
	bool verbose;
};

struct pool {
	struct pool_opts o;
	const struct pool_ops *ops;
	void *scen;            /* the scenario's state */
	int ep;                /* epoll descriptor */
	struct conn *conns;
	int n;                 /* connections wanted */
	int started, registered, ready, failed, dropped;
	int pending;           /* started but not yet registered or failed */
	uint64_t errors;       /* error numerics and ERROR lines seen */
	uint64_t t_connect0;   /* first connect() */
	uint64_t t_registered; /* last 001 */
	uint64_t now;          /* CLOCK_MONOTONIC at the last read() */
	char tag;              /* run letter, keeps nicks unique across runs */
	char *rbuf;            /* one shared read buffer */
	uint32_t *dirty;       /* connections with output to flush */
	int ndirty;
};

int pool_init(struct pool *p, const struct pool_opts *o, int n, const struct pool_ops *ops,
	      void *scen);
void pool_free(struct pool *p);
/* Opens and registers all n connections; returns when every one is READY or
 * CLOSED, when none made progress for @stall_ns, or at @deadline
 * (CLOCK_MONOTONIC ns). */
void pool_connect_all(struct pool *p, uint64_t stall_ns, uint64_t deadline);
/* One loop turn: waits up to @timeout_ms, reads, dispatches, flushes. */
void pool_poll(struct pool *p, int timeout_ms);
/* Appends raw bytes to @c's output; flushed at the end of the loop turn. */
void conn_put(struct pool *p, struct conn *c, const char *s, size_t len);
/* Writes every pending output buffer now. */
void pool_flush(struct pool *p);
/* Closes every socket. */
void pool_close_all(struct pool *p);

/* ---- small helpers --------------------------------------------------- */

/* Writes @v in decimal at @out; returns the number of characters. */
size_t u64_to_dec(char *out, uint64_t v);
/* Reads a decimal at *@s (stopping at @end or a non-digit), advances *@s. */
bool dec_to_u64(const char **s, const char *end, uint64_t *v);

/* ---- scenarios (lg_scen.c) ------------------------------------------ */

struct lg_opts {
	const char *scenario;
	const char *label;     /* server name printed in the result line */
	struct pool_opts pool;
	int clients;           /* C */
	int senders;           /* S */
	int messages;          /* M: per sender, or round trips per pair */
	int pairs;             /* P */
	int window;            /* unacknowledged messages per sender */
	int size;              /* bytes of message text */
	int room_size;         /* idle: clients per room */
	double hold_s;         /* idle: seconds held idle */
	double timeout_s;      /* each phase ends after this many seconds */
	pid_t pid;             /* server to meter, 0 for none */
};

/* Each returns 0 when the run completed cleanly, 1 otherwise; each prints
 * one RESULT line and a human summary. */
int scen_fanout(const struct lg_opts *o);
int scen_pm(const struct lg_opts *o);
int scen_idle(const struct lg_opts *o);

#endif
