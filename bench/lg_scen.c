/* lg_scen.c - the scenarios: fanout (and all-talk, which is fanout with every
 * member sending), pm ping-pong, and idle. Each checks every delivery (lost,
 * duplicated, reordered), records latency from the CLOCK_MONOTONIC stamp in
 * the payload, and ends by itself at its timeout. */
#include "lg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- meters shared by the scenarios ------------------------------------ */

struct meter {
	uint64_t t0;
	double srv0, gen0;
	double srv_pct, gen_pct; /* % of one core over the window; -1 unknown */
};

static void meter_start(struct meter *m, pid_t pid)
{
	m->t0 = mono_ns();
	m->srv0 = pid ? proc_cpu_s(pid) : -1;
	m->gen0 = self_cpu_s();
}

static void meter_stop(struct meter *m, pid_t pid, uint64_t t1)
{
	double secs = (double)(t1 - m->t0) / 1e9;
	double srv1 = pid ? proc_cpu_s(pid) : -1;
	if (secs <= 0)
		secs = 1e-9;
	m->srv_pct = (m->srv0 >= 0 && srv1 >= 0) ? 100 * (srv1 - m->srv0) / secs : -1;
	m->gen_pct = 100 * (self_cpu_s() - m->gen0) / secs;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fprintf(stderr, "loadgen: out of memory\n");
		abort();
	}
	return p;
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static void print_latency(const char *prefix, const struct hist *h)
{
	printf("%sp50_us=%.1f %sp99_us=%.1f %sp999_us=%.1f %smax_us=%.1f", prefix,
	       us(hist_quantile(h, 0.5)), prefix, us(hist_quantile(h, 0.99)), prefix,
	       us(hist_quantile(h, 0.999)), prefix, us(h->max));
}

static void print_meters(const struct lg_opts *o, const struct meter *m)
{
	printf(" server_cpu=%.0f gen_cpu=%.0f server_rss_kib=%ld", m->srv_pct, m->gen_pct,
	       o->pid ? proc_rss_kib(o->pid) : -1L);
}

/* Connecting ends when the server stops making progress for the timeout, and
 * in any case after ten timeouts: slow servers still finish, none hangs. */
static void connect_all(struct pool *p, const struct lg_opts *o)
{
	uint64_t stall = (uint64_t)(o->timeout_s * 1e9);
	pool_connect_all(p, stall, mono_ns() + 10 * stall);
}

/* Registers everyone; false (with a RESULT line saying so) if some failed. */
static bool setup(struct pool *p, const struct lg_opts *o, const char *scen)
{
	connect_all(p, o);
	if (p->ready == p->n)
		return true;
	printf("RESULT scenario=%s server=%s clients=%d ready=%d failed=%d status=setup_failed\n",
	       scen, o->label, p->n, p->ready, p->failed + p->dropped);
	fprintf(stderr, "loadgen: %s: only %d of %d clients registered and joined\n", scen,
		p->ready, p->n);
	return false;
}

/* Pads a message text up to @size bytes (the line adds CRLF). */
static size_t put_pad(char *line, size_t len, size_t size)
{
	line[len++] = ' ';
	while (len < size)
		line[len++] = 'x';
	return len;
}

/* Reads "<a> <b> <c>" (the rest of the text is padding). */
static bool parse_nums(const char *t, const char *e, uint64_t *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (i > 0) {
			if (t >= e || *t != ' ')
				return false;
			t++;
		}
		if (!dec_to_u64(&t, e, &v[i]))
			return false;
	}
	return true;
}

/* ---- fanout / all-talk ------------------------------------------------- */

struct fan {
	uint32_t c, s, m, w;
	uint32_t nrecv;        /* receivers of each message: every member but its sender */
	uint32_t *sent, *acked; /* per sender */
	uint32_t *cnt;         /* per sender, a ring of w: receivers that got seq */
	uint32_t *next;        /* per (receiver, sender): next seq expected */
	uint64_t deliveries, dup, reorder, garbled;
	uint64_t t_last;       /* last acknowledgement */
	uint32_t done;         /* senders whose every message was acknowledged */
	struct hist h;
	char prefix[48];       /* "PRIVMSG #room :" */
	size_t plen, size;
};

static bool fan_registered(struct pool *p, struct conn *c)
{
	struct fan *f = p->scen;
	char line[64];
	int n = snprintf(line, sizeof line, "JOIN %.*s\r\n", (int)(f->plen - 10), f->prefix + 8);
	conn_put(p, c, line, (size_t)n);
	return true;
}

/* Message seq @q of sender @s reached one more receiver: slide the window
 * once every receiver has it, so no queue anywhere can grow without bound. */
static void fan_count(struct pool *p, struct fan *f, uint32_t s, uint32_t q)
{
	if (q < f->acked[s] || q >= f->acked[s] + f->w)
		return;
	uint32_t *ring = f->cnt + (size_t)s * f->w;
	if (++ring[q % f->w] < f->nrecv || q != f->acked[s])
		return;
	while (f->acked[s] < f->sent[s] && ring[f->acked[s] % f->w] >= f->nrecv)
		ring[f->acked[s]++ % f->w] = 0;
	f->t_last = p->now;
	if (f->acked[s] == f->m)
		f->done++;
}

static void fan_privmsg(struct pool *p, struct conn *c, const char *t, size_t len)
{
	struct fan *f = p->scen;
	uint64_t v[3];
	if (!parse_nums(t, t + len, v, 3) || v[0] >= f->s || v[1] >= f->m) {
		f->garbled++;
		return;
	}
	uint32_t s = (uint32_t)v[0], q = (uint32_t)v[1];
	f->deliveries++;
	hist_add(&f->h, p->now > v[2] ? p->now - v[2] : 0);
	uint32_t *next = &f->next[(size_t)c->id * f->s + s];
	if (q < *next) {
		f->dup++;
		return;
	}
	if (q > *next)
		f->reorder++; /* a gap: counted once here, and as lost if it never comes */
	*next = q + 1;
	fan_count(p, f, s, q);
}

/* Every sender fills its window; one stamp per turn, taken just before the
 * write, is the send time of all of them. */
static void fan_send(struct pool *p, struct fan *f)
{
	char line[600];
	uint64_t now = mono_ns();
	for (uint32_t s = 0; s < f->s; s++) {
		struct conn *c = &p->conns[s];
		while (f->sent[s] < f->m && f->sent[s] - f->acked[s] < f->w) {
			size_t n = f->plen;
			memcpy(line, f->prefix, n);
			n += u64_to_dec(line + n, s);
			line[n++] = ' ';
			n += u64_to_dec(line + n, f->sent[s]++);
			line[n++] = ' ';
			n += u64_to_dec(line + n, now);
			n = put_pad(line, n, f->plen + f->size);
			line[n++] = '\r';
			line[n++] = '\n';
			conn_put(p, c, line, n);
		}
	}
}

static void fan_init(struct fan *f, const struct lg_opts *o, int clients, int senders, char tag)
{
	memset(f, 0, sizeof *f);
	f->c = (uint32_t)clients;
	f->s = (uint32_t)senders;
	f->m = (uint32_t)o->messages;
	f->w = (uint32_t)o->window;
	f->nrecv = f->c - 1;
	f->size = (size_t)o->size;
	f->sent = xcalloc(f->s, sizeof *f->sent);
	f->acked = xcalloc(f->s, sizeof *f->acked);
	f->cnt = xcalloc((size_t)f->s * f->w, sizeof *f->cnt);
	f->next = xcalloc((size_t)f->c * f->s, sizeof *f->next);
	f->plen = (size_t)snprintf(f->prefix, sizeof f->prefix, "PRIVMSG #f%c-%d :", tag,
				   (int)(mono_ns() % 100000));
}

static void fan_free(struct fan *f)
{
	free(f->sent);
	free(f->acked);
	free(f->cnt);
	free(f->next);
}

static int fan_report(const struct lg_opts *o, struct fan *f, struct pool *p, struct meter *m,
		      bool done)
{
	double secs = (double)(f->t_last > m->t0 ? f->t_last - m->t0 : 1) / 1e9;
	uint64_t expect = (uint64_t)f->s * f->m * f->nrecv;
	uint64_t got = f->deliveries - f->dup;
	uint64_t lost = expect > got ? expect - got : 0;
	bool clean = done && !lost && !f->dup && !f->reorder && !f->garbled && !p->dropped;
	printf("RESULT scenario=%s server=%s clients=%u senders=%u messages=%u window=%u size=%zu "
	       "deliveries=%llu elapsed_s=%.3f deliveries_per_s=%.0f messages_per_s=%.0f ",
	       o->scenario, o->label, f->c, f->s, f->m, f->w, f->size,
	       (unsigned long long)f->deliveries, secs, (double)got / secs,
	       (double)got / f->nrecv / secs);
	print_latency("", &f->h);
	printf(" lost=%llu dup=%llu reorder=%llu garbled=%llu dropped=%d",
	       (unsigned long long)lost, (unsigned long long)f->dup,
	       (unsigned long long)f->reorder, (unsigned long long)f->garbled, p->dropped);
	print_meters(o, m);
	printf(" status=%s\n", clean ? "ok" : done ? "errors" : "timeout");
	printf("%s on %s: %u clients, %u senders x %u messages: %.0f deliveries/s, "
	       "latency p50 %.0f us, p99 %.0f us, max %.0f us; server CPU %.0f%%, generator "
	       "CPU %.0f%%%s\n",
	       o->scenario, o->label, f->c, f->s, f->m, (double)got / secs,
	       us(hist_quantile(&f->h, 0.5)), us(hist_quantile(&f->h, 0.99)), us(f->h.max),
	       m->srv_pct, m->gen_pct, clean ? "" : " -- NOT CLEAN");
	return clean ? 0 : 1;
}

int scen_fanout(const struct lg_opts *o)
{
	static const struct pool_ops ops = { fan_registered, fan_privmsg };
	struct pool p;
	struct fan *f = xcalloc(1, sizeof *f);
	int senders = o->senders < o->clients ? o->senders : o->clients;
	if (pool_init(&p, &o->pool, o->clients, &ops, f) != 0)
		return 1;
	fan_init(f, o, o->clients, senders, p.tag);
	int rc = 1;
	if (setup(&p, o, o->scenario)) {
		struct meter m;
		meter_start(&m, o->pid);
		uint64_t deadline = m.t0 + (uint64_t)(o->timeout_s * 1e9);
		while (f->done < f->s && mono_ns() < deadline && p.dropped == 0) {
			fan_send(&p, f);
			pool_poll(&p, 10);
		}
		bool done = f->done == f->s;
		if (!done)
			f->t_last = mono_ns();
		meter_stop(&m, o->pid, f->t_last);
		rc = fan_report(o, f, &p, &m, done);
	}
	pool_free(&p);
	fan_free(f);
	free(f);
	return rc;
}

/* ---- pm: private ping-pong between pairs --------------------------------- */

/* Client 2k starts each exchange with client 2k+1, which echoes the text back. */
struct pm {
	uint32_t pairs, m;
	uint32_t *count;       /* per pair: round trips completed */
	uint64_t total, bad;
	size_t size;
	struct hist h;
};

static void pm_send(struct pool *p, struct pm *x, uint32_t pair, uint64_t now)
{
	char line[600];
	struct conn *c = &p->conns[2 * pair];
	size_t n = (size_t)snprintf(line, 64, "PRIVMSG %s :", p->conns[2 * pair + 1].nick);
	size_t start = n;
	n += u64_to_dec(line + n, x->count[pair]);
	line[n++] = ' ';
	n += u64_to_dec(line + n, now);
	n = put_pad(line, n, start + x->size);
	line[n++] = '\r';
	line[n++] = '\n';
	conn_put(p, c, line, n);
}

static void pm_echo(struct pool *p, struct conn *c, const char *t, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof head, "PRIVMSG %s :", p->conns[c->id - 1].nick);
	conn_put(p, c, head, (size_t)n);
	conn_put(p, c, t, len);
	conn_put(p, c, "\r\n", 2);
}

static void pm_privmsg(struct pool *p, struct conn *c, const char *t, size_t len)
{
	struct pm *x = p->scen;
	if (c->id & 1) {
		pm_echo(p, c, t, len);
		return;
	}
	uint32_t pair = c->id / 2;
	uint64_t v[2];
	if (!parse_nums(t, t + len, v, 2) || v[0] != x->count[pair]) {
		x->bad++; /* lost, duplicated or reordered: the exchange cannot go on */
		return;
	}
	hist_add(&x->h, p->now > v[1] ? p->now - v[1] : 0);
	x->total++;
	if (++x->count[pair] < x->m)
		pm_send(p, x, pair, mono_ns());
}

static int pm_report(const struct lg_opts *o, struct pm *x, struct pool *p, struct meter *m,
		     uint64_t t1)
{
	double secs = (double)(t1 - m->t0) / 1e9;
	uint64_t expect = (uint64_t)x->pairs * x->m;
	uint64_t lost = expect - x->total;
	bool clean = !lost && !x->bad && !p->dropped;
	printf("RESULT scenario=pm server=%s pairs=%u messages=%u size=%zu round_trips=%llu "
	       "elapsed_s=%.3f round_trips_per_s=%.0f ",
	       o->label, x->pairs, x->m, x->size, (unsigned long long)x->total, secs,
	       (double)x->total / secs);
	print_latency("rtt_", &x->h);
	printf(" lost=%llu bad=%llu dropped=%d", (unsigned long long)lost,
	       (unsigned long long)x->bad, p->dropped);
	print_meters(o, m);
	printf(" status=%s\n", clean ? "ok" : "errors");
	printf("pm on %s: %u pairs: %.0f round trips/s, RTT p50 %.0f us, p99 %.0f us, max %.0f "
	       "us; server CPU %.0f%%, generator CPU %.0f%%%s\n",
	       o->label, x->pairs, (double)x->total / secs, us(hist_quantile(&x->h, 0.5)),
	       us(hist_quantile(&x->h, 0.99)), us(x->h.max), m->srv_pct, m->gen_pct,
	       clean ? "" : " -- NOT CLEAN");
	return clean ? 0 : 1;
}

int scen_pm(const struct lg_opts *o)
{
	static const struct pool_ops ops = { NULL, pm_privmsg };
	struct pool p;
	struct pm *x = xcalloc(1, sizeof *x);
	x->pairs = (uint32_t)o->pairs;
	x->m = (uint32_t)o->messages;
	x->size = (size_t)o->size;
	x->count = xcalloc(x->pairs, sizeof *x->count);
	if (pool_init(&p, &o->pool, 2 * o->pairs, &ops, x) != 0)
		return 1;
	int rc = 1;
	if (setup(&p, o, "pm")) {
		struct meter m;
		meter_start(&m, o->pid);
		for (uint32_t i = 0; i < x->pairs; i++)
			pm_send(&p, x, i, mono_ns());
		uint64_t deadline = m.t0 + (uint64_t)(o->timeout_s * 1e9);
		uint64_t expect = (uint64_t)x->pairs * x->m;
		while (x->total < expect && mono_ns() < deadline && p.dropped == 0)
			pool_poll(&p, 10);
		uint64_t t1 = mono_ns();
		meter_stop(&m, o->pid, t1);
		rc = pm_report(o, x, &p, &m, t1);
	}
	pool_free(&p);
	free(x->count);
	free(x);
	return rc;
}

/* ---- idle: many registered clients in rooms, answering PING ------------- */

struct idle {
	int room_size;
	int nonce;
};

static bool idle_registered(struct pool *p, struct conn *c)
{
	struct idle *d = p->scen;
	char line[64];
	int n = snprintf(line, sizeof line, "JOIN #i%c%d-%u\r\n", p->tag, d->nonce,
			 c->id / (uint32_t)d->room_size);
	conn_put(p, c, line, (size_t)n);
	return true;
}

static void idle_privmsg(struct pool *p, struct conn *c, const char *t, size_t len)
{
	(void)p, (void)c, (void)t, (void)len; /* nobody talks */
}

static int idle_report(const struct lg_opts *o, struct pool *p, long rss0, long rss1,
		       struct meter *m)
{
	double reg_s = (double)(p->t_registered - p->t_connect0) / 1e9;
	double per_client = (rss0 >= 0 && rss1 >= 0 && p->ready) ?
				    (double)(rss1 - rss0) * 1024 / p->ready : -1;
	bool clean = p->ready == p->n && !p->dropped;
	printf("RESULT scenario=idle server=%s clients=%d room_size=%d registered=%d ready=%d "
	       "refused=%d dropped=%d register_per_s=%.0f rss_before_kib=%ld rss_after_kib=%ld "
	       "rss_per_client_b=%.0f",
	       o->label, p->n, o->room_size, p->registered, p->ready, p->failed, p->dropped,
	       reg_s > 0 ? p->registered / reg_s : 0, rss0, rss1, per_client);
	print_meters(o, m);
	printf(" status=%s\n", clean ? "ok" : "errors");
	printf("idle on %s: %d of %d clients registered and joined (%d refused, %d dropped "
	       "while idle), %.0f registrations/s, server RSS %ld -> %ld KiB = %.0f bytes per "
	       "client%s\n",
	       o->label, p->ready, p->n, p->failed, p->dropped,
	       reg_s > 0 ? p->registered / reg_s : 0, rss0, rss1, per_client,
	       clean ? "" : " -- NOT CLEAN");
	return clean ? 0 : 1;
}

int scen_idle(const struct lg_opts *o)
{
	static const struct pool_ops ops = { idle_registered, idle_privmsg };
	struct idle d = { .room_size = o->room_size, .nonce = (int)(mono_ns() % 10000) };
	struct pool p;
	if (pool_init(&p, &o->pool, o->clients, &ops, &d) != 0)
		return 1;
	long rss0 = o->pid ? proc_rss_kib(o->pid) : -1;
	struct meter m;
	meter_start(&m, o->pid);
	connect_all(&p, o);
	uint64_t hold_end = mono_ns() + (uint64_t)(o->hold_s * 1e9);
	while (mono_ns() < hold_end)
		pool_poll(&p, 100);
	long rss1 = o->pid ? proc_rss_kib(o->pid) : -1;
	meter_stop(&m, o->pid, mono_ns());
	int rc = idle_report(o, &p, rss0, rss1, &m);
	pool_free(&p);
	return rc;
}
