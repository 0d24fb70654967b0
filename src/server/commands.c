/* commands.c - the command table and dispatch (see commands.h). */
#include "commands.h"

#include <string.h>

#include "chanreg.h"
#include "client.h"
#include "conn.h"
#include "multiline.h"
#include "numerics.h"
#include "sasl.h"
#include "send.h"

static const struct command command_table[] = {
	/* name       handler        min max cost before registration */
	{ "CAP",      cmd_cap,        1,  2, 1,  true },
	{ "PASS",     cmd_pass,       1,  1, 1,  true },
	{ "NICK",     cmd_nick,       0,  1, 2,  true },
	{ "USER",     cmd_user,       4,  4, 1,  true },
	{ "PING",     cmd_ping,       1,  2, 1,  true },
	{ "PONG",     cmd_pong,       0,  2, 1,  true },
	{ "QUIT",     cmd_quit,       0,  1, 1,  true },
	{ "PRIVMSG",  cmd_privmsg,    0,  2, 1,  false },
	{ "NOTICE",   cmd_notice,     0,  2, 1,  false },
	{ "TAGMSG",   cmd_tagmsg,     1,  1, 1,  false },
	{ "AWAY",     cmd_away,       0,  1, 1,  false },
	{ "JOIN",     cmd_join,       1,  2, 2,  false },
	{ "PART",     cmd_part,       1,  2, 1,  false },
	{ "TOPIC",    cmd_topic,      1,  2, 1,  false },
	{ "NAMES",    cmd_names,      0,  2, 2,  false },
	{ "LIST",     cmd_list,       0,  2, 3,  false },
	{ "KICK",     cmd_kick,       2,  3, 1,  false },
	{ "INVITE",   cmd_invite,     0,  2, 2,  false },
	{ "RENAME",   cmd_rename,     2,  3, 3,  false },
	{ "BATCH",    cmd_batch,      1,  3, 1,  false },
	{ "MODE",     cmd_mode,       1, 15, 1,  false },
	{ "WHO",      cmd_who,        0,  2, 2,  false },
	{ "WHOIS",    cmd_whois,      0,  2, 1,  false },
	{ "WHOWAS",   cmd_whowas,     0,  3, 2,  false },
	{ "ISON",     cmd_ison,       1, 15, 1,  false },
	{ "USERHOST", cmd_userhost,   1, 15, 1,  false },
	{ "LUSERS",   cmd_lusers,     0,  2, 2,  false },
	{ "MOTD",     cmd_motd,       0,  1, 2,  false },
	{ "VERSION",  cmd_version,    0,  1, 2,  false },
	{ "TIME",     cmd_time,       0,  1, 1,  false },
	{ "INFO",     cmd_info,       0,  1, 2,  false },
	{ "ADMIN",    cmd_admin,      0,  1, 1,  false },
	{ "LINKS",    cmd_links,      0,  2, 2,  false },
	{ "HELP",     cmd_help,       0,  1, 1,  false },
	{ "HELPOP",   cmd_help,       0,  1, 1,  false },
	{ "MONITOR",  cmd_monitor,    1,  2, 1,  false },
	{ "OPER",     cmd_oper,       2,  2, 3,  false },
	{ "KILL",     cmd_kill,       2,  2, 1,  false },
	{ "WALLOPS",  cmd_wallops,    1,  1, 2,  false },
	{ "SETNAME",  cmd_setname,    1,  1, 1,  false },
	{ "AUTHENTICATE", cmd_authenticate, 1, 1, 1, true },
	{ "REGISTER", cmd_register,   3,  3, 3,  true },
	{ "VERIFY",   cmd_verify,     2,  2, 1,  true },
	{ "ACCOUNT",  cmd_account,    1,  3, 2,  false },
	{ "STATS",    cmd_stats,      1,  2, 2,  false },
	{ "ROOM",     cmd_room,       2,  5, 2,  false },
	{ "CHATHISTORY", cmd_chathistory, 1, 5, 2, false },
	{ "MARKREAD", cmd_markread,   1,  2, 1,  false },
	{ "REDACT",   cmd_redact,     2,  3, 1,  false },
};

static GHashTable *commands; /* upper-case name -> struct command */

void commands_init(void)
{
	oper_init();
	commands = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t i = 0; i < G_N_ELEMENTS(command_table); i++)
		g_hash_table_insert(commands, (gpointer)command_table[i].name,
				    (gpointer)&command_table[i]);
}

void commands_shutdown(void)
{
	oper_shutdown();
	g_hash_table_destroy(commands);
}

static const struct command *find_command(char *name)
{
	for (char *p = name; *p != '\0'; p++)
		*p = g_ascii_toupper(*p);
	return g_hash_table_lookup(commands, name);
}

const char *reply_param(const char *s)
{
	size_t n;

	if (s[0] == '\0' || s[0] == ':')
		return "*";
	for (const char *p = s; *p != '\0'; p += n)
		if (*p == ' ' || irc_char_is_deceptive(p, &n))
			return "*";
	return s;
}

/* The first client tag key that is not valid, or NULL. */
static const char *bad_tag_key(const struct irc_message *msg)
{
	for (int i = 0; i < msg->ntags; i++)
		if (!irc_tag_key_is_valid(msg->tags[i].key))
			return msg->tags[i].key;
	return NULL;
}

char **split_targets(struct client *c, const char *list, int max)
{
	char **targets = g_strsplit(list, ",", -1);
	guint n = g_strv_length(targets);

	if (max > 0 && n > (guint)max) {
		send_numeric(c, ERR_TOOMANYTARGETS, reply_param(targets[max]));
		for (guint i = (guint)max; i < n; i++)
			g_clear_pointer(&targets[i], g_free);
	}
	return targets;
}

static void dispatch_parsed(struct client *c, struct irc_message *msg, enum irc_parse_result result,
			    bool utf8);

void command_dispatch(struct client *c, char *line, size_t len)
{
	struct irc_message msg;
	/* Text must be UTF-8; checked on the whole line before it is split. */
	bool utf8 = irc_utf8_valid(line, len);
	enum irc_parse_result result = irc_message_parse(&msg, line);
	const char *label;

	if (result == IRC_PARSE_EMPTY)
		return;
	/* IRCv3 labeled-response: every reply to this line is tied to its
	 * label (an ACK when there is none). */
	label = (c->caps & CAP_LABELED_RESPONSE) && msg.ntags > 0 && result == IRC_PARSE_OK
			? irc_message_tag(&msg, "label") : NULL;
	if (label == NULL) {
		dispatch_parsed(c, &msg, result, utf8);
		return;
	}
	send_label_begin(c, label);
	dispatch_parsed(c, &msg, result, utf8);
	send_label_end(c);
}

static void dispatch_parsed(struct client *c, struct irc_message *msg, enum irc_parse_result result,
			    bool utf8)
{
	const struct command *cmd;

	if (result != IRC_PARSE_OK) {
		bool named = msg->command != NULL && g_utf8_validate(msg->command, -1, NULL);
		send_numeric(c, ERR_UNKNOWNERROR, named ? reply_param(msg->command) : "*",
			     irc_parse_result_str(result));
		return;
	}
	/* Tag keys are relayed to others (message-tags), so they must be
	 * plain names: no control, space-like or non-ASCII characters. */
	if (bad_tag_key(msg) != NULL) {
		send_fail(c, utf8 && g_utf8_validate(msg->command, -1, NULL)
			     ? reply_param(msg->command) : "*",
			  "INVALID_TAG", "Message rejected: a tag key may hold only letters, "
			  "digits and '-', after an optional '+' and vendor/");
		return;
	}
	/* A line that is not UTF-8 is never forwarded, and its command is not
	 * echoed back in a reply unless the command itself is valid. */
	if (!utf8) {
		send_fail(c, g_utf8_validate(msg->command, -1, NULL) ? msg->command : "*",
			  "INVALID_UTF8", "Message rejected: it is not valid UTF-8");
		return;
	}
	if (c->multiline != NULL && multiline_take_line(c, msg))
		return;
	cmd = find_command(msg->command);
	if (cmd == NULL) {
		if (c->registered)
			send_numeric(c, ERR_UNKNOWNCOMMAND, reply_param(msg->command));
		else
			send_numeric(c, ERR_NOTREGISTERED);
		return;
	}
	if (!c->registered && !cmd->before_registration) {
		send_numeric(c, ERR_NOTREGISTERED);
		return;
	}
	if (msg->nparams < cmd->min_params) {
		send_numeric(c, ERR_NEEDMOREPARAMS, cmd->name);
		return;
	}
	if (msg->nparams > cmd->max_params)
		msg->nparams = cmd->max_params; /* extra parameters are ignored */
	if (cmd->flood_cost > 1 && c->conn != NULL)
		conn_charge(c->conn, cmd->flood_cost - 1);
	cmd->handler(c, msg);
}
