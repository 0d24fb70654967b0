/* commands.h - the command table and the handlers of each command family.
 *
 * Every command is declared once in commands.c with its arity, its flood
 * cost and whether it is allowed before registration; command_dispatch()
 * applies those, so a handler only does its own job. Handlers live one family per file:
 * cmd_registration.c, cmd_message.c, cmd_channel.c, cmd_mode.c,
 * cmd_query.c and cmd_oper.c. */
#ifndef NATTERD_COMMANDS_H
#define NATTERD_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "irc_message.h"

struct client;
struct channel;

typedef void (*command_handler)(struct client *c, struct irc_message *msg);

struct command {
	const char *name;
	command_handler handler;
	int min_params;
	int max_params;           /* more are ignored */
	int flood_cost;           /* flood tokens used; an ordinary line uses 1 */
	bool before_registration; /* may be used before 001 */
};

void commands_init(void);
void commands_shutdown(void);

/* Parses @line (@len bytes, NUL-terminated, modified in place) and runs its
 * command for @c. */
void command_dispatch(struct client *c, char *line, size_t len);

/* @s when it can be echoed as one middle parameter of a reply (not empty,
 * no space, no leading ':'), else "*". A client's last parameter may be
 * any text, and echoing it raw would change the reply's parameters. */
const char *reply_param(const char *s);

/* Splits the comma-separated target list @list. Past @max targets (0: no
 * fixed limit), answers ERR_TOOMANYTARGETS (naming the first one left out) and
 * returns only the first @max: TARGMAX is enforced, not just advertised. */
char **split_targets(struct client *c, const char *list, int max);

/* cmd_registration.c */
void cmd_cap(struct client *c, struct irc_message *msg);
void cmd_pass(struct client *c, struct irc_message *msg);
void cmd_nick(struct client *c, struct irc_message *msg);
void cmd_user(struct client *c, struct irc_message *msg);
void cmd_ping(struct client *c, struct irc_message *msg);
void cmd_pong(struct client *c, struct irc_message *msg);
void cmd_quit(struct client *c, struct irc_message *msg);
/* Renames registered @c to @nick, telling its neighbours (and MONITOR). */
void nick_change_announce(struct client *c, const char *nick);
/* Sends 001-005 and the MOTD once NICK, USER and CAP END have arrived
 * (and no login is being checked). */
void registration_try_complete(struct client *c);
void send_motd(struct client *c);
/* isupport.c: 004 and 005, built from limits.h and modes.h. */
void send_myinfo(struct client *c);
void send_isupport(struct client *c);
void send_lusers(struct client *c);

/* cmd_message.c */
void cmd_privmsg(struct client *c, struct irc_message *msg);
void cmd_notice(struct client *c, struct irc_message *msg);
void cmd_tagmsg(struct client *c, struct irc_message *msg);
void cmd_away(struct client *c, struct irc_message *msg);

/* cmd_channel.c */
void cmd_join(struct client *c, struct irc_message *msg);
void cmd_part(struct client *c, struct irc_message *msg);
void cmd_topic(struct client *c, struct irc_message *msg);
void cmd_names(struct client *c, struct irc_message *msg);
void cmd_list(struct client *c, struct irc_message *msg);
void cmd_kick(struct client *c, struct irc_message *msg);
void cmd_invite(struct client *c, struct irc_message *msg);
void cmd_rename(struct client *c, struct irc_message *msg);
/* Joins @c to @name (creating it) as an existing member would see it. */
void channel_join_client(struct client *c, const char *name, const char *key);
void send_names(struct client *c, struct channel *ch);

/* cmd_mode.c */
void cmd_mode(struct client *c, struct irc_message *msg);

/* cmd_query.c */
void cmd_who(struct client *c, struct irc_message *msg);
void cmd_whois(struct client *c, struct irc_message *msg);
void cmd_whowas(struct client *c, struct irc_message *msg);
void cmd_ison(struct client *c, struct irc_message *msg);
void cmd_userhost(struct client *c, struct irc_message *msg);
void cmd_lusers(struct client *c, struct irc_message *msg);
void cmd_motd(struct client *c, struct irc_message *msg);
void cmd_version(struct client *c, struct irc_message *msg);
void cmd_time(struct client *c, struct irc_message *msg);
void cmd_info(struct client *c, struct irc_message *msg);
void cmd_admin(struct client *c, struct irc_message *msg);
void cmd_links(struct client *c, struct irc_message *msg);
void cmd_help(struct client *c, struct irc_message *msg);
void cmd_monitor(struct client *c, struct irc_message *msg);

/* cmd_oper.c */
void cmd_oper(struct client *c, struct irc_message *msg);
void cmd_kill(struct client *c, struct irc_message *msg);
void cmd_wallops(struct client *c, struct irc_message *msg);
void cmd_setname(struct client *c, struct irc_message *msg);
/* OPER's failure counters and its log of operator status (commands_init). */
void oper_init(void);
void oper_shutdown(void);
/* True for an operator; otherwise logs the attempt at @command and answers
 * 481. Every operator-only command starts with it. */
bool oper_required(struct client *c, const char *command);

/* cmd_account.c (AUTHENTICATE is in sasl.c) */
void cmd_register(struct client *c, struct irc_message *msg);
void cmd_verify(struct client *c, struct irc_message *msg);
void cmd_account(struct client *c, struct irc_message *msg);
/* PASS account:password before registration logs in (anything else is ignored). */
void account_pass(struct client *c, const char *arg);
/* cmd_stats.c */
void cmd_stats(struct client *c, struct irc_message *msg);

/* cmd_history.c */
void cmd_chathistory(struct client *c, struct irc_message *msg);
void cmd_markread(struct client *c, struct irc_message *msg);
void cmd_redact(struct client *c, struct irc_message *msg);
/* MARKREAD <room> to @c after it joins, when it has draft/read-marker. */
void history_send_read_marker(struct client *c, const char *name);

#endif
