/* cmd_registration.c - CAP, PASS, NICK, USER, PING, PONG, QUIT and the
 * welcome burst (001-005, LUSERS, MOTD) that ends registration. */
#include <string.h>

#include "channel.h"
#include "client.h"
#include "commands.h"
#include "config.h"
#include "history.h"
#include "conn.h"
#include "proto_limits.h"
#include "multiline.h"
#include "login.h"
#include "nickguard.h"
#include "sasl.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"
#include "sts.h"
#include "version.h"

#define USER_MAX LIMIT_USERLEN

struct cap_info {
	const char *name;
	unsigned bit;
};

static const struct cap_info caps[] = {
	{ "account-notify", CAP_ACCOUNT_NOTIFY },
	{ "account-tag", CAP_ACCOUNT_TAG },
	{ "away-notify", CAP_AWAY_NOTIFY },
	{ "batch", CAP_BATCH },
	{ "cap-notify", CAP_CAP_NOTIFY },
	{ "chghost", CAP_CHGHOST },
	{ "draft/channel-rename", CAP_CHANNEL_RENAME },
	{ "draft/account-registration", CAP_ACCOUNT_REGISTRATION },
	{ "draft/chathistory", CAP_CHATHISTORY },
	{ "draft/event-playback", CAP_EVENT_PLAYBACK },
	{ "draft/message-redaction", CAP_REDACTION },
	{ "draft/read-marker", CAP_READ_MARKER },
	{ "draft/multiline", CAP_MULTILINE },
	{ "echo-message", CAP_ECHO_MESSAGE },
	{ "extended-join", CAP_EXTENDED_JOIN },
	{ "extended-monitor", CAP_EXTENDED_MONITOR },
	{ "invite-notify", CAP_INVITE_NOTIFY },
	{ "labeled-response", CAP_LABELED_RESPONSE },
	{ "message-tags", CAP_MESSAGE_TAGS },
	{ "multi-prefix", CAP_MULTI_PREFIX },
	{ "sasl", CAP_SASL },
	{ "server-time", CAP_SERVER_TIME },
	{ "setname", CAP_SETNAME },
	{ "standard-replies", CAP_STANDARD_REPLIES },
	{ "userhost-in-names", CAP_USERHOST_IN_NAMES },
};

static const struct cap_info *find_cap(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(caps); i++)
		if (strcmp(caps[i].name, name) == 0)
			return &caps[i];
	return NULL;
}

static void cap_ls(struct client *c, const char *version)
{
	g_autoptr(GString) list = g_string_new(NULL);

	if (!c->registered)
		c->cap_negotiating = true;
	if (version != NULL && atoi(version) >= 302) {
		c->cap_version = 302;
		c->caps |= CAP_CAP_NOTIFY; /* implied by LS 302 */
	}
	for (size_t i = 0; i < G_N_ELEMENTS(caps); i++) {
		const char *value = c->cap_version < 302        ? NULL
				    : caps[i].bit == CAP_MULTILINE ? multiline_cap_value()
								   : login_cap_value(caps[i].bit);
		if (!login_cap_offered(caps[i].bit))
			continue;
		g_string_append_printf(list, "%s%s%s%s", list->len > 0 ? " " : "", caps[i].name,
				       value != NULL ? "=" : "", value != NULL ? value : "");
	}
	/* sts has a value, and so is shown only to 302 clients; it cannot be
	 * requested (a REQ for it gets NAK, as it is not in caps[]). */
	char sts[64];
	if (c->cap_version >= 302 && sts_value(c, sts, sizeof(sts)))
		g_string_append_printf(list, " sts=%s", sts);
	send_line(c, ":%s CAP %s LS :%s", server.cfg->name, client_nick(c), list->str);
}

static void cap_list(struct client *c)
{
	g_autoptr(GString) list = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(caps); i++)
		if (c->caps & caps[i].bit)
			g_string_append_printf(list, "%s%s", list->len > 0 ? " " : "", caps[i].name);
	send_line(c, ":%s CAP %s LIST :%s", server.cfg->name, client_nick(c), list->str);
}

/* A REQ is applied whole or not at all. */
static void cap_req(struct client *c, const char *request)
{
	g_auto(GStrv) names = g_strsplit(request, " ", -1);
	unsigned add = 0, remove = 0;

	if (!c->registered)
		c->cap_negotiating = true;
	for (int i = 0; names[i] != NULL; i++) {
		const char *name = names[i];
		bool minus = name[0] == '-';
		const struct cap_info *cap;
		if (name[0] == '\0')
			continue;
		cap = find_cap(minus ? name + 1 : name);
		/* After CAP LS 302, cap-notify is implied and cannot be turned off. */
		if (cap == NULL || (minus && cap->bit == CAP_CAP_NOTIFY && c->cap_version >= 302) ||
		    (!minus && !login_cap_offered(cap->bit))) {
			send_line(c, ":%s CAP %s NAK :%s", server.cfg->name, client_nick(c), request);
			return;
		}
		if (minus)
			remove |= cap->bit;
		else
			add |= cap->bit;
	}
	c->caps = (c->caps | add) & ~remove;
	send_line(c, ":%s CAP %s ACK :%s", server.cfg->name, client_nick(c), request);
}

void cmd_cap(struct client *c, struct irc_message *msg)
{
	const char *sub = msg->params[0];

	if (g_ascii_strcasecmp(sub, "LS") == 0) {
		cap_ls(c, msg->nparams > 1 ? msg->params[1] : NULL);
	} else if (g_ascii_strcasecmp(sub, "LIST") == 0) {
		cap_list(c);
	} else if (g_ascii_strcasecmp(sub, "REQ") == 0) {
		if (msg->nparams < 2)
			send_numeric(c, ERR_NEEDMOREPARAMS, "CAP");
		else
			cap_req(c, msg->params[1]);
	} else if (g_ascii_strcasecmp(sub, "END") == 0) {
		if (!c->registered) {
			sasl_registration_ends(c);
			c->cap_negotiating = false;
			registration_try_complete(c);
		}
	} else {
		send_line(c, ":%s 410 %s %s :Invalid CAP command", server.cfg->name,
			  client_nick(c), reply_param(sub));
	}
}

void cmd_pass(struct client *c, struct irc_message *msg)
{
	/* natterd has no server password: PASS account:password logs in
	 * (cmd_account.c), anything else is accepted and ignored. */
	if (c->registered)
		send_numeric(c, ERR_ALREADYREGISTERED);
	else
		account_pass(c, msg->params[0]);
}

void nick_change_announce(struct client *c, const char *nick)
{
	/* A change of case only keeps the same (case-folded) nick, so MONITOR
	 * watchers hear nothing (IRCv3 monitor: notices are for a nick going
	 * online or offline). */
	bool renamed = irc_casecmp(c->nick, nick) != 0;
	struct outmsg m;

	outmsg_init(&m, NULL);
	outmsg_from(&m, c);
	outmsg_printf(&m, ":%s NICK :%s", c->prefix, nick);
	history_log_rooms_of(c, &m, HIST_NICK);
	outmsg_to_neighbours(&m, c, true, 0);
	outmsg_clear(&m);
	if (renamed)
		registry_monitor_notify(c, false);
	registry_whowas_add(c);
	client_set_nick(c, nick);
	if (renamed)
		registry_monitor_notify(c, true);
}

void cmd_nick(struct client *c, struct irc_message *msg)
{
	const char *nick = msg->nparams > 0 ? msg->params[0] : "";
	struct client *holder;

	if (nick[0] == '\0') {
		send_numeric(c, ERR_NONICKNAMEGIVEN);
		return;
	}
	if (!irc_nick_is_valid(nick)) {
		send_numeric(c, ERR_ERRONEUSNICKNAME, reply_param(nick));
		return;
	}
	holder = registry_find_nick(nick);
	if (holder != NULL && holder != c) {
		send_numeric(c, ERR_NICKNAMEINUSE, nick);
		return;
	}
	if (strcmp(nick, c->nick) == 0)
		return;
	if (c->registered) {
		nick_change_announce(c, nick);
		nickguard_check(c);
		return;
	}
	client_set_nick(c, nick);
	registration_try_complete(c);
}

/* Keeps characters that cannot break a nick!user@host prefix. */
static void clean_username(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < len && n < USER_MAX; in++)
		if ((unsigned char)*in > ' ' && *in != '@' && *in != '!' && *in != ':')
			out[n++] = *in;
	if (n == 0)
		out[n++] = 'u';
	out[n] = '\0';
}

void cmd_user(struct client *c, struct irc_message *msg)
{
	char user[USER_MAX + 2];
	g_autofree char *realname = NULL;

	if (c->registered || c->user != NULL) {
		send_numeric(c, ERR_ALREADYREGISTERED);
		return;
	}
	if (msg->params[0][0] == '\0' || msg->params[3][0] == '\0') {
		send_numeric(c, ERR_NEEDMOREPARAMS, "USER");
		return;
	}
	clean_username(msg->params[0], user, sizeof(user));
	realname = irc_utf8_dup_truncated(msg->params[3], CLIENT_REALNAME_MAX);
	client_set_user(c, user, realname);
	registration_try_complete(c);
}

void cmd_ping(struct client *c, struct irc_message *msg)
{
	send_line(c, ":%s PONG %s :%s", server.cfg->name, server.cfg->name, msg->params[0]);
}

void cmd_pong(struct client *c, struct irc_message *msg)
{
	/* Any line already counts as activity (conn.c); nothing else to do. */
	(void)c;
	(void)msg;
}

void cmd_quit(struct client *c, struct irc_message *msg)
{
	client_disconnect(c, CLOSE_QUIT, msg->nparams > 0 ? msg->params[0] : NULL);
}

/* --- the welcome burst ----------------------------------------------------- */

void send_motd(struct client *c)
{
	char **lines = server.cfg->motd_lines;

	if (lines == NULL) {
		send_numeric(c, ERR_NOMOTD);
		return;
	}
	send_numeric(c, RPL_MOTDSTART, server.cfg->name);
	for (int i = 0; lines[i] != NULL; i++)
		send_numeric(c, RPL_MOTD, lines[i]);
	send_numeric(c, RPL_ENDOFMOTD);
}

void send_lusers(struct client *c)
{
	unsigned users = registry_user_count();
	unsigned invisible = registry_invisible_count();
	unsigned opers = registry_oper_count();
	unsigned unknown = (unsigned)conn_unregistered_count();
	unsigned max = registry_max_users();

	send_numeric(c, RPL_LUSERCLIENT, users - invisible, invisible);
	if (opers > 0)
		send_numeric(c, RPL_LUSEROP, opers);
	if (unknown > 0)
		send_numeric(c, RPL_LUSERUNKNOWN, unknown);
	send_numeric(c, RPL_LUSERCHANNELS, g_hash_table_size(registry_channels()));
	send_numeric(c, RPL_LUSERME, users);
	send_numeric(c, RPL_LOCALUSERS, users, max, users, max);
	send_numeric(c, RPL_GLOBALUSERS, users, max, users, max);
}

void registration_try_complete(struct client *c)
{
	const struct config *cfg = server.cfg;
	char created[64];
	time_t started = (time_t)server.started;

	if (c->registered || c->cap_negotiating || c->user == NULL || strcmp(c->nick, "*") == 0 ||
	    login_pending(c))
		return;
	c->registered = true;
	if (c->conn != NULL)
		conn_registered(c->conn);
	client_set_user(c, c->user, c->realname); /* the prefix now has the nick */
	registry_note_registered();
	registry_note_modes(c, 0);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S UTC", gmtime(&started));
	send_numeric(c, RPL_WELCOME, cfg->network, c->prefix);
	send_numeric(c, RPL_YOURHOST, cfg->name, NATTER_VERSION);
	send_numeric(c, RPL_CREATED, created);
	send_myinfo(c);
	send_isupport(c);
	send_lusers(c);
	send_motd(c);
	registry_monitor_notify(c, true);
	nickguard_check(c);
	history_deliver_offline(c);
}
