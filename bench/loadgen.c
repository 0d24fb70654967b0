/* loadgen.c - natter's IRC load generator: options, limits, dispatch.
 *
 *   loadgen fanout|all-talk|pm|idle [--port N] [--clients C] [--senders S]
 *           [--messages M] [--pairs P] [--window W] [--pid PID] ...
 *
 * Speaks plain IRC (no capabilities), so it measures any server alike. */
#include "lg.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Past ~28k connections one source address runs out of ephemeral ports. */
#define CONNS_PER_SRC_ADDR 25000

static void usage(FILE *out)
{
	fputs("usage: loadgen SCENARIO [options]\n"
	      "scenarios: fanout, all-talk, pm, idle\n"
	      "  --host ADDR       server address, loopback only (127.0.0.1)\n"
	      "  --port N          server port (6667)\n"
	      "  --label NAME      server name for the RESULT line\n"
	      "  --pid PID         server process: report its CPU and resident memory\n"
	      "  --clients C       clients (fanout 1000, all-talk 100, idle 1000)\n"
	      "  --senders S       fanout senders (10; all-talk: every client)\n"
	      "  --messages M      messages per sender, or round trips per pair\n"
	      "                    (fanout 1000, all-talk 200, pm 1000)\n"
	      "  --pairs P         pm pairs (200)\n"
	      "  --window W        unacknowledged messages per sender (fanout 32, all-talk 8)\n"
	      "  --size BYTES      message text length (64)\n"
	      "  --room-size N     idle: clients per room (100)\n"
	      "  --hold SECS       idle: seconds to hold the clients idle (5)\n"
	      "  --rate N          new connections per second at most (5000)\n"
	      "  --pending N       connections registering at once, at most (8)\n"
	      "  --src-addrs N     bind round-robin to 127.0.0.1..127.0.0.N (auto)\n"
	      "  --timeout SECS    each phase gives up after this long (60)\n"
	      "  --tls             speak TLS (the certificate is not checked)\n"
	      "  --verbose\n",
	      out);
}

struct defaults {
	const char *name;
	int clients, senders, messages, window;
};

static const struct defaults scenario_defaults[] = {
	{ "fanout", 1000, 10, 1000, 32 },
	{ "all-talk", 100, 0, 200, 8 }, /* senders 0: every client sends */
	{ "pm", 0, 0, 1000, 1 },
	{ "idle", 1000, 0, 0, 0 },
};

static const struct defaults *find_scenario(const char *name)
{
	for (size_t i = 0; i < sizeof scenario_defaults / sizeof *scenario_defaults; i++)
		if (strcmp(scenario_defaults[i].name, name) == 0)
			return &scenario_defaults[i];
	return NULL;
}

static bool parse_host(const char *s, uint32_t *addr)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*addr = ntohl(a.s_addr);
	return (*addr >> 24) == 127; /* benchmarks stay on this machine */
}

static int parse_int(const char *s, int lo, int hi, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "loadgen: %s must be a number from %d to %d, not '%s'\n", what,
			lo, hi, s);
		exit(2);
	}
	return (int)v;
}

enum { O_HOST = 256, O_PORT, O_LABEL, O_PID, O_CLIENTS, O_SENDERS, O_MESSAGES, O_PAIRS,
       O_WINDOW, O_SIZE, O_ROOM, O_HOLD, O_RATE, O_PENDING, O_SRC, O_TIMEOUT, O_VERBOSE,
       O_HELP, O_TLS };

static const struct option long_opts[] = {
	{ "host", 1, 0, O_HOST },	  { "port", 1, 0, O_PORT },
	{ "label", 1, 0, O_LABEL },	  { "pid", 1, 0, O_PID },
	{ "clients", 1, 0, O_CLIENTS },	  { "senders", 1, 0, O_SENDERS },
	{ "messages", 1, 0, O_MESSAGES }, { "pairs", 1, 0, O_PAIRS },
	{ "window", 1, 0, O_WINDOW },	  { "size", 1, 0, O_SIZE },
	{ "room-size", 1, 0, O_ROOM },	  { "hold", 1, 0, O_HOLD },
	{ "rate", 1, 0, O_RATE },	  { "pending", 1, 0, O_PENDING },
	{ "src-addrs", 1, 0, O_SRC },	  { "timeout", 1, 0, O_TIMEOUT },
	{ "verbose", 0, 0, O_VERBOSE },	  { "help", 0, 0, O_HELP },
	{ "tls", 0, 0, O_TLS },
	{ 0, 0, 0, 0 },
};

static void parse_opt(struct lg_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case O_HOST:
		if (!parse_host(arg, &o->pool.addr)) {
			fprintf(stderr, "loadgen: --host must be a 127.x.x.x address\n");
			exit(2);
		}
		break;
	case O_PORT: o->pool.port = (uint16_t)parse_int(arg, 1, 65535, "--port"); break;
	case O_LABEL: o->label = arg; break;
	case O_PID: o->pid = parse_int(arg, 1, 1 << 30, "--pid"); break;
	case O_CLIENTS: o->clients = parse_int(arg, 2, 10000000, "--clients"); break;
	case O_SENDERS: o->senders = parse_int(arg, 1, 1000000, "--senders"); break;
	case O_MESSAGES: o->messages = parse_int(arg, 1, 1 << 30, "--messages"); break;
	case O_PAIRS: o->pairs = parse_int(arg, 1, 5000000, "--pairs"); break;
	case O_WINDOW: o->window = parse_int(arg, 1, 1 << 20, "--window"); break;
	case O_SIZE: o->size = parse_int(arg, 40, 400, "--size"); break;
	case O_ROOM: o->room_size = parse_int(arg, 1, 1000000, "--room-size"); break;
	case O_HOLD: o->hold_s = parse_int(arg, 0, 3600, "--hold"); break;
	case O_RATE: o->pool.rate = parse_int(arg, 1, 10000000, "--rate"); break;
	case O_PENDING: o->pool.max_pending = parse_int(arg, 1, 1000000, "--pending"); break;
	case O_SRC: o->pool.src_addrs = parse_int(arg, 1, 254, "--src-addrs"); break;
	case O_TIMEOUT: o->timeout_s = parse_int(arg, 1, 86400, "--timeout"); break;
	case O_VERBOSE: o->pool.verbose = true; break;
	case O_TLS: o->pool.tls = true; break;
	case O_HELP: usage(stdout); exit(0);
	default: usage(stderr); exit(2);
	}
}

/* Fills what the command line left unset from the scenario's defaults. */
static void apply_defaults(struct lg_opts *o, const struct defaults *d)
{
	bool all_talk = strcmp(d->name, "all-talk") == 0;
	if (!o->clients)
		o->clients = d->clients;
	if (!o->senders)
		o->senders = all_talk ? o->clients : d->senders;
	if (!o->messages)
		o->messages = d->messages;
	if (!o->window)
		o->window = d->window;
	if (!o->pairs)
		o->pairs = 200;
}

/* The open-file limit caps the connections: say so and measure what fits. */
static void clamp_to_fd_limit(struct lg_opts *o)
{
	int budget = fd_budget();
	bool pm = strcmp(o->scenario, "pm") == 0;
	int want = pm ? 2 * o->pairs : o->clients;
	if (want <= budget)
		return;
	fprintf(stderr,
		"loadgen: warning: %d connections asked for, but the open-file limit allows "
		"%d here; measuring %d\n",
		want, budget, pm ? budget / 2 * 2 : budget);
	if (pm)
		o->pairs = budget / 2;
	else
		o->clients = budget;
	if (o->senders > o->clients)
		o->senders = o->clients;
}

static void finish_pool_opts(struct lg_opts *o)
{
	int conns = strcmp(o->scenario, "pm") == 0 ? 2 * o->pairs : o->clients;
	if (!o->pool.src_addrs)
		o->pool.src_addrs = (conns + CONNS_PER_SRC_ADDR - 1) / CONNS_PER_SRC_ADDR;
	if (o->pool.src_addrs > 1)
		fprintf(stderr, "loadgen: binding to 127.0.0.1..127.0.0.%d\n", o->pool.src_addrs);
}

int main(int argc, char **argv)
{
	struct lg_opts o = {
		.label = "unknown",
		.pool = { .addr = 0x7f000001u, .port = 6667, .rate = 5000, .max_pending = 8 },
		.size = 64, .room_size = 100, .hold_s = 5, .timeout_s = 60,
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1)
		parse_opt(&o, opt == 'h' ? O_HELP : opt, optarg);
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	o.scenario = argv[optind];
	const struct defaults *d = find_scenario(o.scenario);
	if (!d) {
		fprintf(stderr, "loadgen: unknown scenario '%s'\n", o.scenario);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	apply_defaults(&o, d);
	clamp_to_fd_limit(&o);
	finish_pool_opts(&o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(o.scenario, "pm") == 0)
		return scen_pm(&o);
	if (strcmp(o.scenario, "idle") == 0)
		return scen_idle(&o);
	return scen_fanout(&o);
}
