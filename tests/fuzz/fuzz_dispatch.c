/* fuzz_dispatch.c - libFuzzer target: arbitrary lines through the real
 * command dispatch of an in-process natterd (tests/unit/server_harness.c:
 * the real modules, loop and connections; clients on socketpairs).
 *
 * Input: a sequence of records. Each starts with one control byte; its low
 * bits pick one of NCLIENTS clients, and the bytes up to the next '\n' are
 * that client's line. So one input interleaves several clients' commands
 * at random. Control byte 0xFF hangs that client up instead; a client that
 * was closed (QUIT, KILL, a limit) is replaced by a new registered one.
 * Every few records the loop runs a turn and every client's output is read
 * and dropped, so replies, fan-out and closing all happen as in natterd.
 * Crashes, sanitizer reports and leaks are the findings. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "server_harness.h"

#define NCLIENTS 6
#define RECORDS_PER_TURN 4

static struct hclient *clients[NCLIENTS];
static unsigned next_nick;

static struct hclient *fresh_client(void)
{
	char nick[16];

	g_snprintf(nick, sizeof(nick), "fz%u", next_nick++ % 100000);
	return harness_client(nick);
}

static void drain_all(void)
{
	harness_turn();
	for (int i = 0; i < NCLIENTS; i++) {
		g_free(harness_read(clients[i]));
		if (harness_closed(clients[i])) {
			harness_release(clients[i]);
			clients[i] = fresh_client();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool started;
	size_t i = 0;
	int records = 0;

	if (!started) {
		harness_start();
		for (int c = 0; c < NCLIENTS; c++)
			clients[c] = fresh_client();
		started = true;
	}
	while (i < size) {
		uint8_t control = data[i++];
		struct hclient *h = clients[control % NCLIENTS];
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl != NULL ? (size_t)(nl - (data + i)) : size - i;

		if (control == 0xFF) {
			harness_release(h);
			harness_turn();
			clients[control % NCLIENTS] = fresh_client();
		} else {
			harness_send_raw(h, (const char *)data + i, len);
			harness_send_raw(h, "\r\n", 2);
		}
		i += len + (nl != NULL ? 1 : 0);
		if (++records % RECORDS_PER_TURN == 0)
			drain_all();
	}
	drain_all();
	return 0;
}
