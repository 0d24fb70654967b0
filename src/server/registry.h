/* registry.h - who and what exists: clients by id and by nick, channels by
 * name, recently departed nicks (WHOWAS) and MONITOR watch lists. Names are
 * keyed case-folded under rfc1459, so every look-up is one hash probe. This
 * is the interface a Redis-backed, multi-node registry would replace. */
#ifndef NATTERD_REGISTRY_H
#define NATTERD_REGISTRY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct client;
struct channel;

struct whowas {
	char *nick;
	char *user;
	char *host;
	char *realname;
	int64_t when;
};

void registry_init(void);
void registry_shutdown(void);

/* Knows @c by its id from its creation (client_new() calls this). */
void registry_add_client(struct client *c);
/* Forgets @c: its id, its nick and its MONITOR entries (watchers are told). */
void registry_remove_client(struct client *c);

/* The client with @id (struct client.id), registered or not, or NULL once it
 * has gone. Work that outlives a loop turn keeps the id, not the pointer. */
struct client *registry_find_id(uint64_t id);

/* The registered or registering client holding @nick, or NULL. */
struct client *registry_find_nick(const char *nick);
/* Moves @c's entry to @nick (adding it when @c had no nick yet). */
void registry_rename(struct client *c, const char *nick);

struct channel *registry_find_channel(const char *name);
void registry_add_channel(struct channel *ch);
void registry_remove_channel(struct channel *ch);
GHashTable *registry_channels(void);
GHashTable *registry_nicks(void);

/* Counts for LUSERS. */
unsigned registry_user_count(void);
unsigned registry_invisible_count(void);
unsigned registry_oper_count(void);
unsigned registry_max_users(void);
void registry_note_registered(void);
/* Keeps the LUSERS counters in step: call after the modes of a registered
 * client changed from @old_modes (and with 0 right after registering).
 * LUSERS then costs the same with 15 users or 15,000. */
void registry_note_modes(const struct client *c, unsigned old_modes);

void registry_whowas_add(const struct client *c);
/* Entries for @nick (which may be a wildcard mask), newest first, at most
 * @max (0: all). */
GPtrArray *registry_whowas_find(const char *nick, int max);

/* MONITOR: @watcher wants to know when @nick comes and goes. */
void registry_monitor_add(struct client *watcher, const char *nick);
void registry_monitor_remove(struct client *watcher, const char *nick);
void registry_monitor_clear(struct client *watcher);
/* Tells everyone watching @c's nick that it came online / went offline. */
void registry_monitor_notify(struct client *c, bool online);
/* The clients MONITORing @c's nick (borrowed), or NULL when none. */
GPtrArray *registry_monitor_watchers(const struct client *c);

#endif
