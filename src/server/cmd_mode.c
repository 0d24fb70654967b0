/* cmd_mode.c - MODE for users (+i +w, -o) and channels (+imnst, +k, +l,
 * +b, +o, +v). Applied changes are announced to the room in one line. */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "commands.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"

#define MAX_BANS 100
#define KEY_MAX 23
#define MASK_MAX 150
#define LIMIT_MAX 1000000

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
		unsigned bit = 0;
		if (*p == '+' || *p == '-') {
			sign = *p;
			continue;
		}
		switch (*p) {
		case 'i': bit = UMODE_INVISIBLE; break;
		case 'w': bit = UMODE_WALLOPS; break;
		case 'o': bit = sign == '-' ? UMODE_OPER : 0; break; /* +o only via OPER */
		default: unknown = true; continue;
		}
		if (bit == 0 || ((c->modes & bit) != 0) == (sign == '+'))
			continue;
		c->modes = sign == '+' ? c->modes | bit : c->modes & ~bit;
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

static void send_ban_list(struct client *c, struct channel *ch)
{
	for (guint i = 0; i < ch->bans->len; i++) {
		const struct ban *b = g_ptr_array_index(ch->bans, i);
		send_numeric(c, RPL_BANLIST, ch->name, b->mask, b->setter, (long long)b->when);
	}
	send_numeric(c, RPL_ENDOFBANLIST, ch->name);
}

static void ban_change(struct client *c, struct channel *ch, char sign, const char *arg,
		       struct mode_change *mc)
{
	g_autofree char *mask = NULL;

	/* The mask is echoed in MODE and 367 lines, so it must be one plain
	 * parameter (Modern, "Ban Channel Mode"; RFC 2812 3.2.3). */
	if (!is_plain_token(arg) || strlen(arg) > MASK_MAX) {
		invalid_param(c, ch, 'b', arg, "Invalid ban mask");
		return;
	}
	mask = normalize_mask(arg);

	for (guint i = 0; i < ch->bans->len; i++) {
		struct ban *b = g_ptr_array_index(ch->bans, i);
		if (irc_casecmp(b->mask, mask) != 0)
			continue;
		if (sign == '-') {
			change_add(mc, '-', 'b', b->mask);
			g_ptr_array_remove_index(ch->bans, i);
			g_free(b->mask);
			g_free(b->setter);
			g_free(b);
		}
		return;
	}
	if (sign == '-' || ch->bans->len >= MAX_BANS)
		return;
	struct ban *b = g_new0(struct ban, 1);
	b->mask = g_strdup(mask);
	b->setter = g_strdup(c->prefix);
	b->when = server_wall_us() / 1000000;
	g_ptr_array_add(ch->bans, b);
	change_add(mc, '+', 'b', mask);
}

static void member_change(struct client *c, struct channel *ch, char sign, char mode,
			  const char *nick, struct mode_change *mc)
{
	struct client *target = registry_find_nick(nick);
	unsigned bit = mode == 'o' ? MEMBER_OP : MEMBER_VOICE;
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
	change_add(mc, sign, mode, target->nick);
}

static unsigned simple_mode_bit(char mode)
{
	switch (mode) {
	case 'i': return CMODE_INVITE_ONLY;
	case 'm': return CMODE_MODERATED;
	case 'n': return CMODE_NO_EXTERNAL;
	case 's': return CMODE_SECRET;
	case 't': return CMODE_TOPIC_LOCK;
	default: return 0;
	}
}

static void key_change(struct client *c, struct channel *ch, char sign, const char *arg,
		       struct mode_change *mc)
{
	if (sign == '-') {
		if (ch->key == NULL)
			return;
		g_clear_pointer(&ch->key, g_free);
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
	g_free(ch->key);
	ch->key = g_strndup(arg, KEY_MAX);
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
	return *end == '\0' && n >= 1 && n <= LIMIT_MAX ? (int)n : 0;
}

static void limit_change(struct client *c, struct channel *ch, char sign, const char *arg,
			 struct mode_change *mc)
{
	char num[16];
	int limit;

	if (sign == '-') {
		if (ch->limit == 0)
			return;
		ch->limit = 0;
		change_add(mc, '-', 'l', NULL);
		return;
	}
	limit = parse_limit(arg);
	if (limit == 0) {
		invalid_param(c, ch, 'l', arg, "Invalid limit, must be a positive number");
		return;
	}
	ch->limit = limit;
	snprintf(num, sizeof(num), "%d", ch->limit);
	change_add(mc, '+', 'l', num);
}

/* True when @mode with @sign takes an argument. */
static bool takes_arg(char mode, char sign)
{
	return mode == 'o' || mode == 'v' || mode == 'b' || mode == 'k' ||
	       (mode == 'l' && sign == '+');
}

static void apply_channel_modes(struct client *c, struct channel *ch, struct irc_message *msg,
				struct mode_change *mc)
{
	bool is_op = (channel_member_flags(ch, c) & MEMBER_OP) != 0;
	bool denied = false;
	int argi = 2;
	char sign = '+';

	for (const char *p = msg->params[1]; *p != '\0'; p++) {
		const char *arg = NULL;
		if (*p == '+' || *p == '-') {
			sign = *p;
			continue;
		}
		if (takes_arg(*p, sign) && argi < msg->nparams)
			arg = msg->params[argi++];
		if (*p == 'b' && arg == NULL) {
			send_ban_list(c, ch);
			continue;
		}
		if (simple_mode_bit(*p) == 0 && strchr("kblov", *p) == NULL) {
			send_numeric(c, ERR_UNKNOWNMODE, *p);
			continue;
		}
		if (!is_op) {
			denied = true;
			continue;
		}
		if (simple_mode_bit(*p) != 0) {
			unsigned bit = simple_mode_bit(*p);
			if (((ch->modes & bit) != 0) == (sign == '+'))
				continue;
			ch->modes = sign == '+' ? ch->modes | bit : ch->modes & ~bit;
			change_add(mc, sign, *p, NULL);
		} else if (arg == NULL && (sign == '+' || *p == 'o' || *p == 'v')) {
			/* +k, +l, +o, +v (and -o, -v) need an argument. */
			send_numeric(c, ERR_NEEDMOREPARAMS, "MODE");
		} else if (*p == 'k') {
			key_change(c, ch, sign, arg, mc);
		} else if (*p == 'l') {
			limit_change(c, ch, sign, arg, mc);
		} else if (*p == 'b') {
			ban_change(c, ch, sign, arg, mc);
		} else {
			member_change(c, ch, sign, *p, arg, mc);
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
