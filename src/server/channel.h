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
	CMODE_NO_CTCP = 1 << 5,     /* +C */
	CMODE_REGONLY = 1 << 12,    /* +R: only people logged in to an account join */
	CMODE_REGMODERATED = 1 << 13, /* +M: only people logged in (or voiced) speak */
	CMODE_TLS_ONLY = 1 << 8,    /* +Z: only TLS connections may join */
};

/* Member flags; MEMBER_IN is set for every member so the value is never 0. */
enum member_flag {
	MEMBER_IN = 1 << 0,
	MEMBER_OP = 1 << 1,    /* @ */
	MEMBER_VOICE = 1 << 2, /* + */
};

/* The list modes: bans (+b), ban exceptions (+e), invite exceptions (+I). */
enum channel_list {
	CHANLIST_BAN,
	CHANLIST_EXCEPT,
	CHANLIST_INVEX,
	CHANLIST_COUNT
};

/* One entry of a list mode. */
struct ban {
	char *mask;
	char *setter;   /* nick!user@host of who set it */
	int64_t when;
};

struct channel {
	char *name;
	char *topic;          /* NULL when unset */
	char *topic_setter;   /* nick!user@host of who set it (333) */
	int64_t topic_time;
	int64_t created;
	unsigned modes;       /* enum channel_mode */
	char *key;            /* +k, NULL when unset */
	int limit;            /* +l, 0 when unset */
	bool permanent;       /* stays when empty (#lobby) */
	bool settled;         /* permanent, with saved settings: nobody gets @
	                       * for arriving first (storage.c) */
	GHashTable *members;  /* struct client * -> GUINT_TO_POINTER(index << 4 | flags) */
	GPtrArray *member_list; /* the same clients, for fast fan-out iteration */
	GPtrArray *lists[CHANLIST_COUNT]; /* struct ban *, per list mode */
	GHashTable *invited;  /* folded nick set */
	GArray *joined_at;    /* int64_t wall-clock ms each member joined (history),
	                       * in member_list's order: 8 bytes a member */
};

/* Creates a channel and adds it to the registry. */
struct channel *channel_create(const char *name, bool permanent);
void channel_free(struct channel *ch);

/* State changes. Handlers never write struct channel fields themselves:
 * each change goes through one of these, which runs its hook (hooks.h). */

void channel_add_member(struct channel *ch, struct client *c, unsigned flags);
/* Removes @c; an empty non-permanent channel is destroyed. */
void channel_remove_member(struct channel *ch, struct client *c);

/* Sets the topic (NULL or "" clears it), cut to LIMIT_TOPICLEN, recording
 * @setter's nick!user@host and the time. @setter may be NULL (restored). */
void channel_set_topic(struct channel *ch, struct client *setter, const char *topic);

/* Renames @ch to @name (draft/channel-rename); the registry follows.
 * The caller checked that @name is valid and free. */
void channel_rename(struct channel *ch, const char *name);

/* Sets or clears a flag mode (enum channel_mode); false when unchanged. */
bool channel_set_mode(struct channel *ch, unsigned bit, bool on);
/* Sets the key (NULL clears it), cut to LIMIT_KEYLEN. */
void channel_set_key(struct channel *ch, const char *key);
/* Sets the member limit (0 clears it). */
void channel_set_limit(struct channel *ch, int limit);

enum list_result { LIST_CHANGED, LIST_UNCHANGED, LIST_FULL };
/* Adds @mask (already normalised) to list @list; LIST_FULL past MAXLIST. */
enum list_result channel_list_add(struct channel *ch, enum channel_list list, const char *mask,
				  const char *setter);
/* Removes @mask (case-insensitively); the removed entry's own spelling is
 * copied to @removed (may be NULL) when it was there. */
enum list_result channel_list_remove(struct channel *ch, enum channel_list list,
				     const char *mask, char **removed);
/* True when @c's nick!user@host matches an entry of @list. */
bool channel_list_matches(const struct channel *ch, enum channel_list list,
			  const struct client *c);

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
/* When @c joined @ch (wall-clock ms), or 0 when it is not a member. */
int64_t channel_member_joined_ms(const struct channel *ch, const struct client *c);
void channel_set_member_flags(struct channel *ch, struct client *c, unsigned flags);

/* Banned (+b) and not excepted (+e). */
bool channel_is_banned(const struct channel *ch, const struct client *c);
bool channel_is_invited(const struct channel *ch, const struct client *c);
void channel_invite(struct channel *ch, const char *nick);

/* "@", "+", "@+" (with multi-prefix) or "" for member flags @flags. */
void channel_prefix(unsigned flags, bool multi, char out[3]);

/* Appends "+ntk key" style mode string; the key is shown only to members. */
void channel_mode_string(const struct channel *ch, bool show_key, GString *out);

/* The mute extban: a +b entry "m:<mask>" lets a matching user join and
 * read but not speak (ISUPPORT EXTBAN=,m). */
#define EXTBAN_MUTE_PREFIX "m:"

/* May @c speak here? (+n, +m, bans, mute extbans) */
bool channel_can_send(const struct channel *ch, const struct client *c);

#endif
