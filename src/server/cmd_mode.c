/* cmd_mode.c - MODE for users (+i +w, -o) and channels (+imnst, +k, +l,
 * +b, +o, +v). Applied changes are announced to the room in one line. */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "commands.h"
#include "proto_limits.h"
#include "modes.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"


/* The changes that took effect, as "+o-v" plus their arguments. */
struct mode_change {
	GString *modes;
	GString *args;
	char sign;
};

static void change_add(struct mode_change *mc, char sign, char mode, const char *arg)
{
	if (mc->sign != sign) {
		g_string_append_c(mc->modes, sign);
		mc->sign = sign;
	}
	g_string_append_c(mc->modes, mode);
	if (arg != NULL)
		g_string_append_printf(mc->args, " %s", arg);
}

/* ERR_INVALIDMODEPARAM (Modern: "invalid mode parameters"). */
static void invalid_param(struct client *c, const struct channel *ch, char mode, const char *arg,
			  const char *why)
{
	send_numeric(c, ERR_INVALIDMODEPARAM, ch->name, mode, arg != NULL ? reply_param(arg) : "*",
		     why);
}

/* True when every byte of @s is printable ASCII other than space and ','
 * and it does not start with ':', so it travels as one middle parameter and
 * as one item of a comma list (RFC 2812 2.3.1 "key" is a subset of this). */
static bool is_plain_token(const char *s)
{
	if (s[0] == '\0' || s[0] == ':')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ',')
			return false;
	return true;
}

/* --- user modes ------------------------------------------------------------ */

static void user_mode(struct client *c, struct irc_message *msg)
{
	struct client *target = registry_find_nick(msg->params[0]);
	struct mode_change mc = { g_string_new(NULL), g_string_new(NULL), 0 };
	char sign = '+';
	bool unknown = false;

	if (target == NULL) {
		send_numeric(c, ERR_NOSUCHNICK, reply_param(msg->params[0]));
		goto out;
	}
	if (target != c) {
		send_numeric(c, ERR_USERSDONTMATCH);
		goto out;
	}
	if (msg->nparams < 2) {
		char modes[8];
		client_mode_string(c, modes, sizeof(modes));
		send_numeric(c, RPL_UMODEIS, modes);
		goto out;
	}
	for (const char *p = msg->params[1]; *p != '\0'; p++) {
		const struct usermode_info *info;
		if (*p == '+' || *p == '-') {
			sign = *p;
			continue;
		}
		info = usermode_find(*p);
		if (info == NULL) {
			unknown = true;
			continue;
		}
		/* +o only via OPER */
		if (!(sign == '+' ? info->user_settable : info->user_clearable))
			continue;
		if (client_set_mode(c, info->bit, sign == '+'))
			change_add(&mc, sign, *p, NULL);
	}
	if (unknown)
		send_numeric(c, ERR_UMODEUNKNOWNFLAG);
	if (mc.modes->len > 0)
		send_line(c, ":%s MODE %s :%s", c->prefix, c->nick, mc.modes->str);
out:
	g_string_free(mc.modes, TRUE);
	g_string_free(mc.args, TRUE);
}

/* --- channel modes --------------------------------------------------------- */

/* "nick" -> "nick!*@*", "user@host" -> "*!user@host". */
static char *normalize_mask(const char *mask)
{
	bool bang = strchr(mask, '!') != NULL, at = strchr(mask, '@') != NULL;

	if (bang && at)
		return g_strdup(mask);
	if (bang)
		return g_strdup_printf("%s@*", mask);
	if (at)
		return g_strdup_printf("*!%s", mask);
	return g_strdup_printf("%s!*@*", mask);
}

/* The numerics that list each list mode and end the listing. */
static const struct {
	const char *entry, *end;
} list_numerics[CHANLIST_COUNT] = {
	[CHANLIST_BAN] = { RPL_BANLIST, RPL_ENDOFBANLIST },
	[CHANLIST_EXCEPT] = { RPL_EXCEPTLIST, RPL_ENDOFEXCEPTLIST },
	[CHANLIST_INVEX] = { RPL_INVEXLIST, RPL_ENDOFINVEXLIST },
};

static void send_mode_list(struct client *c, struct channel *ch, enum channel_list list)
{
	const GPtrArray *entries = ch->lists[list];

	for (guint i = 0; i < entries->len; i++) {
		const struct ban *b = g_ptr_array_index(entries, i);
		send_numeric(c, list_numerics[list].entry, ch->name, b->mask, b->setter,
			     (long long)b->when);
	}
	send_numeric(c, list_numerics[list].end, ch->name);
}

static void list_change(struct client *c, struct channel *ch, char sign, char mode,
			enum channel_list list, const char *arg, struct mode_change *mc)
{
	g_autofree char *mask = NULL;
	g_autofree char *removed = NULL;

	/* The mask is echoed in MODE and 367 lines, so it must be one plain
	 * parameter (Modern, "Ban Channel Mode"; RFC 2812 3.2.3). */
	if (!is_plain_token(arg) || strlen(arg) > LIMIT_MASKLEN) {
		invalid_param(c, ch, mode, arg, "Invalid mask");
		return;
	}
	if (list == CHANLIST_BAN && g_str_has_prefix(arg, EXTBAN_MUTE_PREFIX)) {
		g_autofree char *inner = normalize_mask(arg + strlen(EXTBAN_MUTE_PREFIX));
		mask = g_strconcat(EXTBAN_MUTE_PREFIX, inner, NULL);
	} else if (arg[0] != '\0' && arg[1] == ':') {
		/* An extban we do not know (EXTBAN lists only m). */
		invalid_param(c, ch, mode, arg, "Unknown extended ban type");
		return;
	} else {
		mask = normalize_mask(arg);
	}
	if (sign == '-') {
		if (channel_list_remove(ch, list, mask, &removed) == LIST_CHANGED)
			change_add(mc, '-', mode, removed);
		return;
	}
	switch (channel_list_add(ch, list, mask, c->prefix)) {
	case LIST_CHANGED:
		change_add(mc, '+', mode, mask);
		break;
	case LIST_FULL:
		send_numeric(c, ERR_BANLISTFULL, ch->name, mode);
		break;
	case LIST_UNCHANGED:
		break;
	}
}

static void member_change(struct client *c, struct channel *ch, char sign,
			  const struct chanmode_info *info, const char *nick,
			  struct mode_change *mc)
{
	struct client *target = registry_find_nick(nick);
	unsigned bit = info->bit;
	unsigned flags;

	if (target == NULL) {
		send_numeric(c, ERR_NOSUCHNICK, reply_param(nick));
		return;
	}
	flags = channel_member_flags(ch, target);
	if (flags == 0) {
		send_numeric(c, ERR_USERNOTINCHANNEL, target->nick, ch->name);
		return;
	}
	if (((flags & bit) != 0) == (sign == '+'))
		return;
	channel_set_member_flags(ch, target, sign == '+' ? flags | bit : flags & ~bit);
	change_add(mc, sign, info->letter, target->nick);
}

static void key_change(struct client *c, struct channel *ch, char sign, const char *arg,
		       struct mode_change *mc)
{
	if (sign == '-') {
		if (ch->key == NULL)
			return;
		channel_set_key(ch, NULL);
		change_add(mc, '-', 'k', "*");
		return;
	}
	/* RFC 2812 2.3.1: a key has no spaces or control characters; Modern
	 * ("Key Channel Mode") answers an invalid one with 696. The key itself
	 * is not echoed: it is meant to stay secret. */
	if (!is_plain_token(arg)) {
		send_numeric(c, ERR_INVALIDMODEPARAM, ch->name, 'k', "*", "Invalid channel key");
		return;
	}
	channel_set_key(ch, arg);
	change_add(mc, '+', 'k', ch->key);
}

/* The +l argument as a number in 1..LIMIT_MAX, or 0 when it is not one. */
static int parse_limit(const char *arg)
{
	char *end;
	long n;

	if (!g_ascii_isdigit(arg[0]))
		return 0;
	n = strtol(arg, &end, 10);
	return *end == '\0' && n >= 1 && n <= LIMIT_CHAN_LIMIT ? (int)n : 0;
}

static void limit_change(struct client *c, struct channel *ch, char sign, const char *arg,
			 struct mode_change *mc)
{
	char num[16];
	int limit;

	if (sign == '-') {
		if (ch->limit == 0)
			return;
		channel_set_limit(ch, 0);
		change_add(mc, '-', 'l', NULL);
		return;
	}
	limit = parse_limit(arg);
	if (limit == 0) {
		invalid_param(c, ch, 'l', arg, "Invalid limit, must be a positive number");
		return;
	}
	channel_set_limit(ch, limit);
	snprintf(num, sizeof(num), "%d", ch->limit);
	change_add(mc, '+', 'l', num);
}

/* Answers 472 for the unknown mode character at @p and returns its length
 * in bytes. A multi-byte UTF-8 character is named whole (the line was
 * checked to be UTF-8); one that cannot stand as a middle parameter
 * (space, ':', a control character) is named "*". */
static size_t unknown_mode(struct client *c, const char *p)
{
	unsigned char b = (unsigned char)*p;
	size_t len = b < 0x80 ? 1 : (size_t)(g_utf8_next_char(p) - p);
	char name[8];

	if (b <= ' ' || b == ':' || b == 0x7f || len >= sizeof(name)) {
		send_numeric(c, ERR_UNKNOWNMODE, "*");
		return len;
	}
	memcpy(name, p, len);
	name[len] = '\0';
	send_numeric(c, ERR_UNKNOWNMODE, name);
	return len;
}

static void apply_channel_modes(struct client *c, struct channel *ch, struct irc_message *msg,
				struct mode_change *mc)
{
	bool is_op = (channel_member_flags(ch, c) & MEMBER_OP) != 0;
	bool denied = false;
	int argi = 2;
	char sign = '+';

	for (const char *p = msg->params[1]; *p != '\0'; p++) {
		const struct chanmode_info *info;
		const char *arg = NULL;
		if (*p == '+' || *p == '-') {
			sign = *p;
			continue;
		}
		if ((unsigned char)*p >= 0x80 || *p == ' ' || *p == ':') {
			p += unknown_mode(c, p) - 1;
			continue;
		}
		info = chanmode_find(*p);
		if (info == NULL) {
			unknown_mode(c, p);
			continue;
		}
		if (chanmode_takes_arg(info, sign) && argi < msg->nparams)
			arg = msg->params[argi++];
		if (info->kind == CHANMODE_LIST && arg == NULL) {
			send_mode_list(c, ch, (enum channel_list)info->bit);
			continue;
		}
		if (!is_op) {
			denied = true;
			continue;
		}
		if (info->kind == CHANMODE_FLAG) {
			if (channel_set_mode(ch, info->bit, sign == '+'))
				change_add(mc, sign, *p, NULL);
		} else if (arg == NULL && (sign == '+' || info->kind == CHANMODE_PREFIX)) {
			/* +k, +l, +o, +v (and -o, -v) need an argument. */
			send_numeric(c, ERR_NEEDMOREPARAMS, "MODE");
		} else if (info->kind == CHANMODE_PARAM) {
			key_change(c, ch, sign, arg, mc);
		} else if (info->kind == CHANMODE_PARAM_SET) {
			limit_change(c, ch, sign, arg, mc);
		} else if (info->kind == CHANMODE_LIST) {
			list_change(c, ch, sign, *p, (enum channel_list)info->bit, arg, mc);
		} else {
			member_change(c, ch, sign, info, arg, mc);
		}
	}
	if (denied)
		send_numeric(c, ERR_CHANOPRIVSNEEDED, ch->name);
}

static void channel_mode(struct client *c, struct irc_message *msg)
{
	struct channel *ch = registry_find_channel(msg->params[0]);
	struct mode_change mc = { g_string_new(NULL), g_string_new(NULL), 0 };

	if (ch == NULL) {
		send_numeric(c, ERR_NOSUCHCHANNEL, reply_param(msg->params[0]));
	} else if (msg->nparams < 2) {
		g_autoptr(GString) modes = g_string_new(NULL);
		channel_mode_string(ch, channel_member_flags(ch, c) != 0, modes);
		send_numeric(c, RPL_CHANNELMODEIS, ch->name, modes->str);
		send_numeric(c, RPL_CREATIONTIME, ch->name, (long long)ch->created);
	} else {
		apply_channel_modes(c, ch, msg, &mc);
		if (mc.modes->len > 0) {
			struct outmsg m;
			outmsg_init(&m, NULL);
			outmsg_printf(&m, ":%s MODE %s %s%s", c->prefix, ch->name, mc.modes->str,
				      mc.args->str);
			outmsg_to_channel(&m, ch, NULL, 0);
			outmsg_clear(&m);
		}
	}
	g_string_free(mc.modes, TRUE);
	g_string_free(mc.args, TRUE);
}

void cmd_mode(struct client *c, struct irc_message *msg)
{
	if (irc_is_channel(msg->params[0]))
		channel_mode(c, msg);
	else
		user_mode(c, msg);
}
