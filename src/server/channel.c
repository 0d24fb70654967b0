/* channel.c - channel state and membership (see channel.h). */
#include "channel.h"

#include <string.h>

#include "client.h"
#include "registry.h"
#include "server.h"

struct channel *channel_create(const char *name, bool permanent)
{
	struct channel *ch = g_new0(struct channel, 1);

	ch->name = g_strdup(name);
	ch->created = server_wall_us() / 1000000;
	ch->modes = CMODE_NO_EXTERNAL | CMODE_TOPIC_LOCK;
	ch->permanent = permanent;
	ch->members = g_hash_table_new(g_direct_hash, g_direct_equal);
	ch->member_list = g_ptr_array_new();
	ch->bans = g_ptr_array_new();
	ch->invited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	registry_add_channel(ch);
	return ch;
}

static void ban_free(gpointer data)
{
	struct ban *b = data;

	g_free(b->mask);
	g_free(b->setter);
	g_free(b);
}

void channel_free(struct channel *ch)
{
	g_free(ch->name);
	g_free(ch->topic);
	g_free(ch->topic_setter);
	g_free(ch->key);
	g_hash_table_destroy(ch->members);
	g_ptr_array_free(ch->member_list, TRUE);
	g_ptr_array_set_free_func(ch->bans, ban_free);
	g_ptr_array_free(ch->bans, TRUE);
	g_hash_table_destroy(ch->invited);
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

	set_entry(ch, c, ch->member_list->len, flags);
	g_ptr_array_add(ch->member_list, c);
	g_ptr_array_add(c->channels, ch);
	irc_casefold(folded, sizeof(folded), c->nick);
	g_hash_table_remove(ch->invited, folded);
}

void channel_remove_member(struct channel *ch, struct client *c)
{
	guint value = GPOINTER_TO_UINT(g_hash_table_lookup(ch->members, c));
	guint index = value >> FLAG_BITS;
	guint last = ch->member_list->len - 1;

	if (value == 0)
		return;
	if (index != last) {
		struct client *moved = g_ptr_array_index(ch->member_list, last);
		ch->member_list->pdata[index] = moved;
		set_entry(ch, moved, index, channel_member_flags(ch, moved));
	}
	g_ptr_array_set_size(ch->member_list, last);
	g_hash_table_remove(ch->members, c);
	g_ptr_array_remove_fast(c->channels, ch);
	if (ch->member_list->len == 0 && !ch->permanent) {
		registry_remove_channel(ch);
		channel_free(ch);
	}
}

unsigned channel_member_flags(const struct channel *ch, const struct client *c)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(ch->members, c)) & FLAG_MASK;
}

void channel_set_member_flags(struct channel *ch, struct client *c, unsigned flags)
{
	guint value = GPOINTER_TO_UINT(g_hash_table_lookup(ch->members, c));

	if (value != 0)
		set_entry(ch, c, value >> FLAG_BITS, flags);
}

bool channel_is_banned(const struct channel *ch, const struct client *c)
{
	for (guint i = 0; i < ch->bans->len; i++) {
		const struct ban *b = g_ptr_array_index(ch->bans, i);
		if (irc_mask_match(b->mask, c->prefix))
			return true;
	}
	return false;
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
	if (ch->modes & CMODE_INVITE_ONLY)
		g_string_append_c(out, 'i');
	if (ch->modes & CMODE_MODERATED)
		g_string_append_c(out, 'm');
	if (ch->modes & CMODE_NO_EXTERNAL)
		g_string_append_c(out, 'n');
	if (ch->modes & CMODE_SECRET)
		g_string_append_c(out, 's');
	if (ch->modes & CMODE_TOPIC_LOCK)
		g_string_append_c(out, 't');
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
		       !channel_is_banned(ch, c);
	if (flags & (MEMBER_OP | MEMBER_VOICE))
		return true;
	if (ch->modes & CMODE_MODERATED)
		return false;
	return !channel_is_banned(ch, c);
}
