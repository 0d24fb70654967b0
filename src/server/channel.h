/* channel.h - a room: members with their prefixes, topic, modes, bans and
 * invitations. */
#ifndef NATTERD_CHANNEL_H
#define NATTERD_CHANNEL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct client;

enum channel_mode {
	CMODE_INVITE_ONLY = 1 << 0, /* +i */
	CMODE_MODERATED = 1 << 1,   /* +m */
	CMODE_NO_EXTERNAL = 1 << 2, /* +n */
	CMODE_TOPIC_LOCK = 1 << 3,  /* +t */
	CMODE_SECRET = 1 << 4,      /* +s */
};

/* Member flags; MEMBER_IN is set for every member so the value is never 0. */
enum member_flag {
	MEMBER_IN = 1 << 0,
	MEMBER_OP = 1 << 1,    /* @ */
	MEMBER_VOICE = 1 << 2, /* + */
};

struct ban {
	char *mask;
	char *setter;
	int64_t when;
};

struct channel {
	char *name;
	char *topic;          /* NULL when unset */
	char *topic_setter;
	int64_t topic_time;
	int64_t created;
	unsigned modes;       /* enum channel_mode */
	char *key;            /* +k, NULL when unset */
	int limit;            /* +l, 0 when unset */
	bool permanent;       /* stays when empty (#lobby) */
	GHashTable *members;  /* struct client * -> GUINT_TO_POINTER(index << 4 | flags) */
	GPtrArray *member_list; /* the same clients, for fast fan-out iteration */
	GPtrArray *bans;      /* struct ban * */
	GHashTable *invited;  /* folded nick set */
};

/* Creates a channel and adds it to the registry. */
struct channel *channel_create(const char *name, bool permanent);
void channel_free(struct channel *ch);

void channel_add_member(struct channel *ch, struct client *c, unsigned flags);
/* Removes @c; an empty non-permanent channel is destroyed. */
void channel_remove_member(struct channel *ch, struct client *c);

static inline guint channel_member_count(const struct channel *ch)
{
	return ch->member_list->len;
}

static inline struct client *channel_member_at(const struct channel *ch, guint i)
{
	return g_ptr_array_index(ch->member_list, i);
}

/* The member flags of @c, or 0 when not a member. */
unsigned channel_member_flags(const struct channel *ch, const struct client *c);
void channel_set_member_flags(struct channel *ch, struct client *c, unsigned flags);

bool channel_is_banned(const struct channel *ch, const struct client *c);
bool channel_is_invited(const struct channel *ch, const struct client *c);
void channel_invite(struct channel *ch, const char *nick);

/* "@", "+", "@+" (with multi-prefix) or "" for member flags @flags. */
void channel_prefix(unsigned flags, bool multi, char out[3]);

/* Appends "+ntk key" style mode string; the key is shown only to members. */
void channel_mode_string(const struct channel *ch, bool show_key, GString *out);

/* May @c speak here? (+n, +m, bans) */
bool channel_can_send(const struct channel *ch, const struct client *c);

#endif
