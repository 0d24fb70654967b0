/* hooks.c - state-change listeners (see hooks.h). */
#include "hooks.h"

#include <stddef.h>

#include <glib.h>

struct listener {
	hook_fn fn;
	void *data;
};

static struct listener listeners[HOOK_COUNT][HOOK_MAX_LISTENERS];
static int nlisteners[HOOK_COUNT];

void hook_add(enum hook_event event, hook_fn fn, void *data)
{
	if (event >= HOOK_COUNT || nlisteners[event] == HOOK_MAX_LISTENERS)
		g_error("hook_add: no room for another listener of event %d", (int)event);
	listeners[event][nlisteners[event]++] = (struct listener){ fn, data };
}

void hook_clear_all(void)
{
	for (int i = 0; i < HOOK_COUNT; i++)
		nlisteners[i] = 0;
}

void hook_run(const struct hook_args *args)
{
	for (int i = 0; i < nlisteners[args->event]; i++)
		listeners[args->event][i].fn(args, listeners[args->event][i].data);
}
