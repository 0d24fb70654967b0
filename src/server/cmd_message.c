/* cmd_message.c - PRIVMSG, NOTICE, TAGMSG and AWAY: moving text between users
 * and into rooms. A room message is formatted once (struct outmsg) and the
 * same bytes are queued to every member. */
#include <string.h>

#include "channel.h"
#include "client.h"
#include "commands.h"
#include "history.h"
#include "proto_limits.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"

#define MAX_TARGETS LIMIT_TARGMAX_PRIVMSG

enum relay_kind { RELAY_PRIVMSG, RELAY_NOTICE, RELAY_TAGMSG };

static const char *relay_command[] = { "PRIVMSG", "NOTICE", "TAGMSG" };

/* NOTICE never causes error replies (RFC 1459), so errors go through here. */
static bool may_answer(enum relay_kind kind)
{
	return kind != RELAY_NOTICE;
}

/* What history stores a relayed line as (a TAGMSG is an event: see
 * history.h). */
static enum history_kind history_kind_of(enum relay_kind kind)
{
	return kind == RELAY_PRIVMSG ? HIST_PRIVMSG : kind == RELAY_NOTICE ? HIST_NOTICE
									  : HIST_TAGMSG;
}

/* A CTCP request or reply other than ACTION (refused in +C rooms). */
static bool is_ctcp(const struct outmsg *m)
{
	const char *text = m->nparams > 1 ? m->params[1] : NULL;

	return text != NULL && text[0] == '\x01' && strncmp(text + 1, "ACTION ", 7) != 0;
}

/* STATUSMSG: "PRIVMSG @#room" goes to the room's operators, "+#room" to
 * its voiced members and operators. The member flags a prefix needs. */
static unsigned status_need(char prefix)
{
	return prefix == '@' ? MEMBER_OP : prefix == '+' ? (MEMBER_OP | MEMBER_VOICE) : 0;
}

static void relay_to_channel(struct client *c, const char *target, struct outmsg *m,
			     enum relay_kind kind)
{
	unsigned status = status_need(target[0]);
	const char *name = status != 0 ? target + 1 : target;
	struct channel *ch = registry_find_channel(name);
	unsigned need = kind == RELAY_TAGMSG ? CAP_MESSAGE_TAGS : 0;

	if (ch == NULL) {
		if (may_answer(kind))
			send_numeric(c, ERR_NOSUCHCHANNEL, reply_param(name));
		return;
	}
	if (!channel_can_send(ch, c)) {
		if (may_answer(kind))
			send_numeric(c, ERR_CANNOTSENDTOCHAN, ch->name);
		return;
	}
	if ((ch->modes & CMODE_NO_CTCP) && is_ctcp(m)) {
		if (may_answer(kind))
			send_numeric(c, ERR_CANNOTSENDCTCP, ch->name);
		return;
	}
	if (status != 0) {
		for (guint i = 0; i < channel_member_count(ch); i++) {
			struct client *member = channel_member_at(ch, i);
			if (member != c && (channel_member_flags(ch, member) & status) &&
			    (member->caps & need) == need)
				outmsg_send(m, member);
		}
	} else {
		/* A message to the room's operators only (@#room) stays out of
		 * the room's history, which every member may read. */
		history_log_room(ch, c, m, history_kind_of(kind));
		outmsg_to_channel(m, ch, c, need);
	}
	if ((c->caps & CAP_ECHO_MESSAGE) && (c->caps & need) == need)
		outmsg_send(m, c);
}

static void relay_to_user(struct client *c, const char *nick, struct outmsg *m,
			  enum relay_kind kind)
{
	struct client *to = registry_find_nick(nick);

	if (to == NULL || !to->registered) {
		/* To an account nobody is logged in to: kept for its next login. */
		if (kind == RELAY_PRIVMSG && history_log_offline(c, nick, m)) {
			if (c->caps & CAP_ECHO_MESSAGE)
				outmsg_send(m, c);
			return;
		}
		if (may_answer(kind))
			send_numeric(c, ERR_NOSUCHNICK, reply_param(nick));
		return;
	}
	history_log_private(c, to, m, history_kind_of(kind));
	if (kind != RELAY_TAGMSG || (to->caps & CAP_MESSAGE_TAGS)) {
		/* labeled-response: a message to oneself without echo-message is
		 * a side effect, not the response, so it carries no label (the
		 * sender gets ACK). */
		char *label = to == c && !(c->caps & CAP_ECHO_MESSAGE) ? send_label_take(c) : NULL;
		outmsg_send(m, to);
		if (label != NULL) {
			send_label_begin(c, label);
			g_free(label);
		}
	}
	/* A message to oneself is already the echo: send it once. */
	if (to != c && (c->caps & CAP_ECHO_MESSAGE) &&
	    (kind != RELAY_TAGMSG || (c->caps & CAP_MESSAGE_TAGS)))
		outmsg_send(m, c);
	if (kind == RELAY_PRIVMSG && to->away != NULL)
		send_numeric(c, RPL_AWAY, to->nick, to->away);
}

static void relay_one(struct client *c, const struct irc_message *msg, const char *target,
		      const char *text, enum relay_kind kind)
{
	struct outmsg m;

	outmsg_init(&m, msg);
	outmsg_from(&m, c);
	if (c->modes & UMODE_BOT)
		outmsg_add_tag(&m, "bot", NULL);
	outmsg_compose(&m, c->prefix, relay_command[kind], target, text);
	if (irc_is_channel(target) || (status_need(target[0]) != 0 && irc_is_channel(target + 1)))
		relay_to_channel(c, target, &m, kind);
	else
		relay_to_user(c, target, &m, kind);
	outmsg_clear(&m);
}

static void relay(struct client *c, struct irc_message *msg, enum relay_kind kind)
{
	const char *command = relay_command[kind];
	const char *text = NULL;

	if (msg->nparams < 1 || msg->params[0][0] == '\0') {
		if (may_answer(kind))
			send_numeric(c, ERR_NORECIPIENT, command);
		return;
	}
	if (kind != RELAY_TAGMSG && (msg->nparams < 2 || msg->params[1][0] == '\0')) {
		if (may_answer(kind))
			send_numeric(c, ERR_NOTEXTTOSEND);
		return;
	}
	if (kind != RELAY_TAGMSG)
		text = msg->params[1];
	/* The target list is split in place: no allocation per message. */
	char *target = msg->params[0];
	for (int n = 0; target != NULL; n++) {
		char *comma = strchr(target, ',');
		if (n == MAX_TARGETS) {
			/* Targets past TARGMAX are refused, not dropped unseen
			 * (RFC 2812 3.3.1 ERR_TOOMANYTARGETS). */
			if (may_answer(kind))
				send_numeric(c, ERR_TOOMANYTARGETS, reply_param(target));
			break;
		}
		if (comma != NULL)
			*comma = '\0';
		if (target[0] != '\0')
			relay_one(c, msg, target, text, kind);
		target = comma != NULL ? comma + 1 : NULL;
	}
	if (kind == RELAY_PRIVMSG)
		c->last_message = server_wall_us() / 1000000;
}

void cmd_privmsg(struct client *c, struct irc_message *msg)
{
	relay(c, msg, RELAY_PRIVMSG);
}

void cmd_notice(struct client *c, struct irc_message *msg)
{
	relay(c, msg, RELAY_NOTICE);
}

void cmd_tagmsg(struct client *c, struct irc_message *msg)
{
	relay(c, msg, RELAY_TAGMSG);
}

void cmd_away(struct client *c, struct irc_message *msg)
{
	struct outmsg m;
	const char *text = msg->nparams > 0 ? msg->params[0] : "";

	client_set_away(c, text);
	outmsg_init(&m, NULL);
	outmsg_from(&m, c);
	if (c->away == NULL) {
		send_numeric(c, RPL_UNAWAY);
		outmsg_printf(&m, ":%s AWAY", c->prefix);
	} else {
		send_numeric(c, RPL_NOWAWAY);
		outmsg_printf(&m, ":%s AWAY :%s", c->prefix, c->away);
	}
	outmsg_to_neighbours(&m, c, false, CAP_AWAY_NOTIFY);
	outmsg_to_watchers(&m, c, CAP_AWAY_NOTIFY);
	outmsg_clear(&m);
}
