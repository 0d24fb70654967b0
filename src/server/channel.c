/* channel.c - channel state and membership (see channel.h). */
#include "channel.h"

#include <string.h>

#include "client.h"
#include "hooks.h"
#include "irc_message.h"
#include "proto_limits.h"
#include "modes.h"
#include "registry.h"
#include "server.h"

static void ban_free(gpointer data)
{
	struct ban *b = data;

	g_free(b->mask);
	g_free(b->setter);
	g_free(b);
}

struct channel *channel_create(const char *name, bool permanent)
{
	struct channel *ch = g_new0(struct channel, 1);

	ch->name = g_strdup(name);
	ch->created = server_wall_us() / 1000000;
	ch->modes = CMODE_NO_EXTERNAL | CMODE_TOPIC_LOCK;
	ch->permanent = permanent;
	ch->members = g_hash_table_new(g_direct_hash, g_direct_equal);
	ch->member_list = g_ptr_array_new();
	for (int i = 0; i < CHANLIST_COUNT; i++)
		ch->lists[i] = g_ptr_array_new_with_free_func(ban_free);
	ch->invited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ch->joined_at = g_array_new(FALSE, FALSE, sizeof(int64_t));
	registry_add_channel(ch);
	return ch;
}

void channel_free(struct channel *ch)
{
	g_free(ch->name);
	g_free(ch->topic);
	g_free(ch->topic_setter);
	g_free(ch->key);
	g_hash_table_destroy(ch->members);
	g_ptr_array_free(ch->member_list, TRUE);
	for (int i = 0; i < CHANLIST_COUNT; i++)
		g_ptr_array_free(ch->lists[i], TRUE);
	g_hash_table_destroy(ch->invited);
	g_array_free(ch->joined_at, TRUE);
	g_free(ch);
}

/* The hash value keeps the member's place in member_list beside its flags,
 * so removal is O(1): the last member moves into the hole. */
#define FLAG_BITS 4
#define FLAG_MASK ((1u << FLAG_BITS) - 1)

static void set_entry(struct channel *ch, struct client *c, guint index, unsigned flags)
{
	g_hash_table_insert(ch->members, c,
			    GUINT_TO_POINTER(index << FLAG_BITS | (flags & FLAG_MASK) | MEMBER_IN));
}

void channel_add_member(struct channel *ch, struct client *c, unsigned flags)
{
	char folded[IRC_NICK_MAX + 1];
	int64_t now_ms = server_wall_us() / 1000;

	set_entry(ch, c, ch->member_list->len, flags);
	g_array_append_val(ch->joined_at, now_ms);
	g_ptr_array_add(ch->member_list, c);
	client_channels_add(c, ch);
	irc_casefold(folded, sizeof(folded), c->nick);
	g_hash_table_remove(ch->invited, folded);
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_JOIN, .client = c, .channel = ch,
				      .bit = flags | MEMBER_IN });
}

void channel_remove_member(struct channel *ch, struct client *c)
{
	guint value = GPOINTER_TO_UINT(g_hash_table_lookup(ch->members, c));
	guint index = value >> FLAG_BITS;
	guint last = ch->member_list->len - 1;

	if (value == 0)
		return;
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_PART, .client = c, .channel = ch });
	if (index != last) {
		struct client *moved = g_ptr_array_index(ch->member_list, last);
		ch->member_list->pdata[index] = moved;
		g_array_index(ch->joined_at, int64_t, index) = g_array_index(ch->joined_at, int64_t, last);
		set_entry(ch, moved, index, channel_member_flags(ch, moved));
	}
	g_ptr_array_set_size(ch->member_list, last);
	g_array_set_size(ch->joined_at, last);
	g_hash_table_remove(ch->members, c);
	client_channels_remove(c, ch);
	if (ch->member_list->len == 0 && !ch->permanent) {
		registry_remove_channel(ch);
		channel_free(ch);
	}
}

unsigned channel_member_flags(const struct channel *ch, const struct client *c)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(ch->members, c)) & FLAG_MASK;
}

int64_t channel_member_joined_ms(const struct channel *ch, const struct client *c)
{
	guint value = GPOINTER_TO_UINT(g_hash_table_lookup(ch->members, c));

	return value != 0 ? g_array_index(ch->joined_at, int64_t, value >> FLAG_BITS) : 0;
}

void channel_set_member_flags(struct channel *ch, struct client *c, unsigned flags)
{
	guint value = GPOINTER_TO_UINT(g_hash_table_lookup(ch->members, c));

	if (value == 0)
		return;
	set_entry(ch, c, value >> FLAG_BITS, flags);
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_MEMBER, .client = c, .channel = ch,
				      .bit = flags | MEMBER_IN });
}

void channel_set_topic(struct channel *ch, struct client *setter, const char *topic)
{
	g_clear_pointer(&ch->topic, g_free);
	g_free(ch->topic_setter);
	ch->topic_setter = g_strdup(setter != NULL ? setter->prefix : "*");
	ch->topic_time = server_wall_us() / 1000000;
	if (topic != NULL && topic[0] != '\0')
		ch->topic = irc_utf8_dup_truncated(topic, LIMIT_TOPICLEN);
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_TOPIC, .client = setter, .channel = ch,
				      .text = ch->topic });
}

void channel_rename(struct channel *ch, const char *name)
{
	g_autofree char *old = ch->name;

	registry_remove_channel(ch);
	ch->name = g_strdup(name);
	registry_add_channel(ch);
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_RENAME, .channel = ch, .text = old });
}

bool channel_set_mode(struct channel *ch, unsigned bit, bool on)
{
	if (((ch->modes & bit) != 0) == on)
		return false;
	ch->modes = on ? ch->modes | bit : ch->modes & ~bit;
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_MODE, .channel = ch, .bit = bit,
				      .on = on });
	return true;
}

void channel_set_key(struct channel *ch, const char *key)
{
	g_clear_pointer(&ch->key, g_free);
	if (key != NULL)
		ch->key = g_strndup(key, LIMIT_KEYLEN);
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_MODE, .channel = ch, .text = "k",
				      .on = key != NULL });
}

void channel_set_limit(struct channel *ch, int limit)
{
	ch->limit = limit;
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_MODE, .channel = ch, .text = "l",
				      .on = limit > 0 });
}

enum list_result channel_list_add(struct channel *ch, enum channel_list list, const char *mask,
				  const char *setter)
{
	GPtrArray *entries = ch->lists[list];
	struct ban *b;

	for (guint i = 0; i < entries->len; i++)
		if (irc_casecmp(((struct ban *)g_ptr_array_index(entries, i))->mask, mask) == 0)
			return LIST_UNCHANGED;
	if (entries->len >= LIMIT_MAXLIST)
		return LIST_FULL;
	b = g_new0(struct ban, 1);
	b->mask = g_strdup(mask);
	b->setter = g_strdup(setter);
	b->when = server_wall_us() / 1000000;
	g_ptr_array_add(entries, b);
	hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_LIST, .channel = ch, .bit = list,
				      .text = mask, .on = true });
	return LIST_CHANGED;
}

enum list_result channel_list_remove(struct channel *ch, enum channel_list list,
				     const char *mask, char **removed)
{
	GPtrArray *entries = ch->lists[list];

	for (guint i = 0; i < entries->len; i++) {
		struct ban *b = g_ptr_array_index(entries, i);
		if (irc_casecmp(b->mask, mask) != 0)
			continue;
		hook_run(&(struct hook_args){ .event = HOOK_CHANNEL_LIST, .channel = ch,
					      .bit = list, .text = b->mask, .on = false });
		if (removed != NULL)
			*removed = g_strdup(b->mask);
		g_ptr_array_remove_index(entries, i);
		return LIST_CHANGED;
	}
	return LIST_UNCHANGED;
}

/* True when an entry of @list with extban @prefix ("" for plain masks)
 * matches @c. */
static bool list_matches(const struct channel *ch, enum channel_list list, const char *prefix,
			 const struct client *c)
{
	const GPtrArray *entries = ch->lists[list];
	size_t plen = strlen(prefix);

	for (guint i = 0; i < entries->len; i++) {
		const struct ban *b = g_ptr_array_index(entries, i);
		bool extban = b->mask[0] != '\0' && b->mask[1] == ':';
		if (plen == 0 ? extban : strncmp(b->mask, prefix, plen) != 0)
			continue;
		if (irc_mask_match(b->mask + plen, c->prefix))
			return true;
	}
	return false;
}

bool channel_list_matches(const struct channel *ch, enum channel_list list,
			  const struct client *c)
{
	return list_matches(ch, list, "", c);
}

bool channel_is_banned(const struct channel *ch, const struct client *c)
{
	return channel_list_matches(ch, CHANLIST_BAN, c) &&
	       !channel_list_matches(ch, CHANLIST_EXCEPT, c);
}

static bool is_muted(const struct channel *ch, const struct client *c)
{
	return list_matches(ch, CHANLIST_BAN, EXTBAN_MUTE_PREFIX, c) &&
	       !channel_list_matches(ch, CHANLIST_EXCEPT, c);
}

bool channel_is_invited(const struct channel *ch, const struct client *c)
{
	char folded[IRC_NICK_MAX + 1];

	irc_casefold(folded, sizeof(folded), c->nick);
	return g_hash_table_contains(ch->invited, folded);
}

void channel_invite(struct channel *ch, const char *nick)
{
	char folded[IRC_NICK_MAX + 1];

	irc_casefold(folded, sizeof(folded), nick);
	g_hash_table_add(ch->invited, g_strdup(folded));
}

void channel_prefix(unsigned flags, bool multi, char out[3])
{
	int n = 0;

	if (flags & MEMBER_OP)
		out[n++] = '@';
	if ((flags & MEMBER_VOICE) && (multi || n == 0))
		out[n++] = '+';
	out[n] = '\0';
}

void channel_mode_string(const struct channel *ch, bool show_key, GString *out)
{
	g_string_append_c(out, '+');
	for (size_t i = 0; i < chanmode_count; i++)
		if (chanmode_table[i].kind == CHANMODE_FLAG && (ch->modes & chanmode_table[i].bit))
			g_string_append_c(out, chanmode_table[i].letter);
	if (ch->key != NULL)
		g_string_append_c(out, 'k');
	if (ch->limit > 0)
		g_string_append_c(out, 'l');
	if (ch->key != NULL)
		g_string_append_printf(out, " %s", show_key ? ch->key : "*");
	if (ch->limit > 0)
		g_string_append_printf(out, " %d", ch->limit);
}

bool channel_can_send(const struct channel *ch, const struct client *c)
{
	unsigned flags = channel_member_flags(ch, c);

	if (flags == 0)
		return !(ch->modes & CMODE_NO_EXTERNAL) && !(ch->modes & CMODE_MODERATED) &&
		       !((ch->modes & CMODE_REGMODERATED) && c->account == NULL) &&
		       !channel_is_banned(ch, c) && !is_muted(ch, c);
	if (flags & (MEMBER_OP | MEMBER_VOICE))
		return true;
	if (ch->modes & CMODE_MODERATED)
		return false;
	if ((ch->modes & CMODE_REGMODERATED) && c->account == NULL)
		return false;
	return !channel_is_banned(ch, c) && !is_muted(ch, c);
}
