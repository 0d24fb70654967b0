/* cmd_stats.c - STATS: uptime for everyone; for operators, the counters
 * tests and (later) metrics read: connections closed per reason and the
 * async work queues.
 *
 *   STATS u   242 uptime
 *   STATS c   249 c :<reason> <count>         one line per close reason
 *   STATS a   249 a :<queue> pending=... ...   one line per async queue
 *
 * Every reply ends with 219. An unknown letter gets only 219. */
#include <inttypes.h>
#include <stdio.h>

#include "async.h"
#include "client.h"
#include "commands.h"
#include "log.h"
#include "numerics.h"
#include "send.h"
#include "server.h"

static void stats_uptime(struct client *c)
{
	long long up = (long long)(server_wall_us() / 1000000 - server.started);

	send_numeric(c, RPL_STATSUPTIME, up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
}

static void stats_close_reasons(struct client *c)
{
	for (int why = 0; why < CLOSE_REASON_COUNT; why++) {
		char text[64];
		snprintf(text, sizeof(text), "%s %" PRIu64, close_reason_name(why),
			 conn_close_count(why));
		send_numeric(c, RPL_STATSDEBUG, 'c', text);
	}
}

static void stats_async(struct client *c)
{
	for (int q = 0; q < ASYNC_QUEUE_COUNT; q++) {
		struct async_stats st;
		char text[256];
		async_get_stats(q, &st);
		snprintf(text, sizeof(text),
			 "%s pending=%u limit=%u submitted=%" PRIu64 " completed=%" PRIu64
			 " dropped=%" PRIu64 " orphaned=%" PRIu64 " refused=%" PRIu64,
			 st.name, st.pending, st.limit, st.submitted, st.completed,
			 st.dropped, st.orphaned, st.refused);
		send_numeric(c, RPL_STATSDEBUG, 'a', text);
	}
}

void cmd_stats(struct client *c, struct irc_message *msg)
{
	char letter = msg->params[0][0];
	/* Echoed in 219 only when it is a plain letter or digit (one byte of a
	 * UTF-8 character would make the reply invalid). */
	char query[2] = { g_ascii_isalnum(letter) ? letter : '*', '\0' };

	switch (letter) {
	case 'u':
		stats_uptime(c);
		break;
	case 'c':
	case 'a':
		if (!oper_required(c, "STATS"))
			return;
		log_info("STATS %c by %s", letter, c->prefix);
		if (letter == 'c')
			stats_close_reasons(c);
		else
			stats_async(c);
		break;
	default:
		break;
	}
	send_numeric(c, RPL_ENDOFSTATS, query);
}
