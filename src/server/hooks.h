/* hooks.h - the one place where other modules learn about state changes.
 *
 * Every change of user or room state goes through one function in client.c
 * or channel.c (client_set_nick, client_set_away, channel_set_topic,
 * channel_set_mode, channel_add_member...). Each of those calls hook_run()
 * after the change is made, so history, metrics and (later) other nodes of a
 * cluster can follow the state without touching the command handlers.
 * Listeners run on the event loop, synchronously, in the order they were
 * added; they must not change the state they are told about. */
#ifndef NATTERD_HOOKS_H
#define NATTERD_HOOKS_H

#include <stdbool.h>

struct client;
struct channel;

enum hook_event {
	HOOK_CLIENT_NICK,     /* client changed nick; text = the old nick */
	HOOK_CLIENT_AWAY,     /* text = away message, NULL when back */
	HOOK_CLIENT_MODE,     /* bit = enum client_mode, on */
	HOOK_CLIENT_REALNAME, /* text = new real name */
	HOOK_CHANNEL_JOIN,    /* client joined channel; bit = member flags */
	HOOK_CHANNEL_PART,    /* client left channel (part, kick, quit) */
	HOOK_CHANNEL_TOPIC,   /* text = topic or NULL; client = setter (may be NULL) */
	HOOK_CHANNEL_MODE,    /* bit = enum channel_mode, on; +k/+l: bit 0, text = letter */
	HOOK_CHANNEL_MEMBER,  /* a member's flags changed; bit = new flags */
	HOOK_CHANNEL_LIST,    /* +b/+e/+I entry; bit = enum channel_list, text = mask, on */
	HOOK_CHANNEL_RENAME,  /* channel renamed (RENAME); text = the old name */
	HOOK_COUNT
};

struct hook_args {
	enum hook_event event;
	struct client *client;
	struct channel *channel;
	const char *text;
	unsigned bit;
	bool on;
};

typedef void (*hook_fn)(const struct hook_args *args, void *data);

/* Adds a listener for @event (at most HOOK_MAX_LISTENERS per event). */
#define HOOK_MAX_LISTENERS 8
void hook_add(enum hook_event event, hook_fn fn, void *data);
/* Removes every listener (at exit and in tests). */
void hook_clear_all(void);
/* Tells every listener of @args->event. */
void hook_run(const struct hook_args *args);

#endif
