/* server.h - the one process-wide server state, owned by the event loop. */
#ifndef NATTERD_SERVER_H
#define NATTERD_SERVER_H

#include <event2/event.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct conn;

struct server {
	struct event_base *base;
	struct config *cfg;
	struct config_overrides overrides;
	struct event *tick_ev;   /* once a second: timeouts and PINGs */
	struct conn *conns;      /* every open connection */
	struct conn *dirty;      /* connections with output to write this turn */
	struct conn *dying;      /* connections to close this turn */
	struct conn *held;       /* output waiting for a history commit */
	int nconns;
	GHashTable *per_address; /* address or block -> its connection count (conn.c) */
	GPtrArray *listeners;
	int64_t started;         /* wall-clock seconds */
	uint64_t msgid_seq;
	char msgid_prefix[16];
	bool shutting_down;
	bool quit;               /* leave the loop after this turn */
};

extern struct server server;

/* Monotonic and wall-clock time in microseconds. */
int64_t server_now_us(void);
int64_t server_wall_us(void);

#endif
