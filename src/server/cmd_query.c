/* cmd_query.c - questions about users and the server: WHO, WHOIS, WHOWAS,
 * ISON, USERHOST, LUSERS, MOTD, VERSION, TIME, INFO, ADMIN, LINKS, HELP and
 * MONITOR. */
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "channel.h"
#include "client.h"
#include "commands.h"
#include "proto_limits.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"
#include "version.h"

#define MONITOR_MAX LIMIT_MONITOR

/* True when the optional server <target> at @index of @msg is absent or
 * names this server: a mask matching its name, or a user on it (RFC 2812
 * 3.4). natterd is the only server, so anything else gets ERR_NOSUCHSERVER
 * rather than an answer that pretends to come from elsewhere. */
static bool target_is_here(struct client *c, const struct irc_message *msg, int index)
{
	const char *target;
	struct client *t;

	if (msg->nparams <= index || msg->params[index][0] == '\0')
		return true;
	target = msg->params[index];
	if (irc_mask_match(target, server.cfg->name))
		return true;
	t = registry_find_nick(target);
	if (t != NULL && t->registered)
		return true;
	send_numeric(c, ERR_NOSUCHSERVER, reply_param(target));
	return false;
}

static bool shares_channel(const struct client *a, const struct client *b)
{
	for (unsigned i = 0; i < client_channel_count(a); i++)
		if (channel_member_flags(client_channel_at(a, i), b) != 0)
			return true;
	return false;
}

/* May @asker see @target in a WHO listing that is not a channel's? */
static bool visible_to(const struct client *asker, const struct client *target)
{
	return !(target->modes & UMODE_INVISIBLE) || asker == target || shares_channel(asker, target);
}

/* What a WHO asked for: the plain 352 reply, or WHOX fields (IRCv3 WHOX,
 * "WHO <mask> [<filter>]%<fields>[,<token>]") answered with 354. */
struct who_query {
	bool opers_only;       /* filter 'o': IRC operators only (RFC 2812 3.6.1) */
	bool whox;
	char fields[16];       /* the requested WHOX field letters */
	char token[4];         /* up to three digits, for the 't' field */
};

static void who_parse(const char *arg, struct who_query *q)
{
	const char *pct = strchr(arg, '%');
	size_t filter_len = pct != NULL ? (size_t)(pct - arg) : strlen(arg);

	memset(q, 0, sizeof(*q));
	q->opers_only = memchr(arg, 'o', filter_len) != NULL;
	if (pct == NULL)
		return;
	q->whox = true;
	for (const char *p = pct + 1; *p != '\0' && *p != ','; p++)
		if (strchr("tcuihsnfdlaor", *p) != NULL && strchr(q->fields, *p) == NULL &&
		    strlen(q->fields) + 1 < sizeof(q->fields))
			strncat(q->fields, p, 1);
	const char *comma = strchr(pct, ',');
	if (comma != NULL) {
		size_t n = 0;
		for (const char *p = comma + 1; *p != '\0' && g_ascii_isdigit(*p) && n < 3; p++)
			q->token[n++] = *p;
		q->token[n] = '\0';
	}
}

/* The WHO flags: H here or G gone, * IRC operator, B bot, then the
 * member prefix in @chan when there is one. */
static void who_flags(struct client *c, struct client *t, unsigned member_flags, char *out,
		      size_t len)
{
	char prefix[3];

	channel_prefix(member_flags, (c->caps & CAP_MULTI_PREFIX) != 0, prefix);
	snprintf(out, len, "%c%s%s%s", t->away != NULL ? 'G' : 'H',
		 (t->modes & UMODE_OPER) ? "*" : "", (t->modes & UMODE_BOT) ? "B" : "", prefix);
}

static void who_reply(struct client *c, const struct who_query *q, const char *chan,
		      struct client *t, unsigned member_flags)
{
	char status[12];
	g_autoptr(GString) line = NULL;

	who_flags(c, t, member_flags, status, sizeof(status));
	if (!q->whox) {
		send_numeric(c, RPL_WHOREPLY, chan, t->user, t->host, server.cfg->name, t->nick,
			     status, t->realname);
		return;
	}
	/* The fields go out in this fixed order, whatever order they were
	 * asked in (WHOX spec); the real name is last, as a trailing. */
	line = g_string_new(NULL);
	for (const char *f = "tcuihsnfdlaor"; *f != '\0'; f++) {
		const char *v = NULL;
		char num[24];
		if (strchr(q->fields, *f) == NULL)
			continue;
		switch (*f) {
		case 't': v = q->token[0] != '\0' ? q->token : "0"; break;
		case 'c': v = chan; break;
		case 'u': v = t->user; break;
		case 'i': v = client_ip(t); break;
		case 'h': v = t->host; break;
		case 's': v = server.cfg->name; break;
		case 'n': v = t->nick; break;
		case 'f': v = status; break;
		case 'd': v = "0"; break;
		case 'l':
			snprintf(num, sizeof(num), "%lld",
				 (long long)(server_wall_us() / 1000000 - t->last_message));
			v = num;
			break;
		case 'a': v = client_account_name(t); break; /* "0": not logged in */
		case 'o': v = "n/a"; break;
		case 'r': v = NULL; break;
		}
		if (*f == 'r') {
			g_string_append_printf(line, "%s:%s", line->len > 0 ? " " : "", t->realname);
			break;
		}
		g_string_append_printf(line, "%s%s", line->len > 0 ? " " : "", v);
	}
	send_numeric(c, RPL_WHOSPCRPL, line->str);
}

/* Does @t match the WHO @mask? RFC 2812 3.6.1: the mask is matched
 * against host, server, real name and nickname (and we add the full
 * nick!user@host); "0" or no mask matches everyone. */
static bool who_matches(const char *mask, const struct client *t)
{
	if (strcmp(mask, "0") == 0 || strcmp(mask, "*") == 0)
		return true;
	return irc_mask_match(mask, t->nick) || irc_mask_match(mask, t->prefix) ||
	       irc_mask_match(mask, t->host) || irc_mask_match(mask, server.cfg->name) ||
	       irc_mask_match(mask, t->realname);
}

void cmd_who(struct client *c, struct irc_message *msg)
{
	const char *mask = msg->nparams > 0 && msg->params[0][0] != '\0' ? msg->params[0] : "*";
	struct who_query q;
	struct client *exact;

	who_parse(msg->nparams > 1 ? msg->params[1] : "", &q);
	exact = strpbrk(mask, "*?") == NULL ? registry_find_nick(mask) : NULL;
	if (irc_is_channel(mask)) {
		struct channel *ch = registry_find_channel(mask);
		bool member = ch != NULL && channel_member_flags(ch, c) != 0;
		if (ch != NULL && (member || !(ch->modes & CMODE_SECRET))) {
			for (guint i = 0; i < channel_member_count(ch); i++) {
				struct client *t = channel_member_at(ch, i);
				if ((member || !(t->modes & UMODE_INVISIBLE)) &&
				    (!q.opers_only || (t->modes & UMODE_OPER)))
					who_reply(c, &q, ch->name, t, channel_member_flags(ch, t));
			}
		}
	} else if (exact != NULL && exact->registered) {
		/* An exact nickname always finds its user: invisibility (+i)
		 * hides users from masks only (Modern IRC, WHO; issue 9). */
		if (!q.opers_only || (exact->modes & UMODE_OPER))
			who_reply(c, &q, "*", exact, 0);
	} else {
		GHashTableIter iter;
		gpointer value;
		g_hash_table_iter_init(&iter, registry_nicks());
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			struct client *t = value;
			if (t->registered && visible_to(c, t) && who_matches(mask, t) &&
			    (!q.opers_only || (t->modes & UMODE_OPER)))
				who_reply(c, &q, "*", t, 0);
		}
	}
	send_numeric(c, RPL_ENDOFWHO, reply_param(mask));
}

static void whois_channels(struct client *c, struct client *t)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
	bool multi = (c->caps & CAP_MULTI_PREFIX) != 0;

	for (unsigned i = 0; i < client_channel_count(t); i++) {
		struct channel *ch = client_channel_at(t, i);
		char prefix[3];
		if ((ch->modes & CMODE_SECRET) && channel_member_flags(ch, c) == 0 && c != t)
			continue;
		channel_prefix(channel_member_flags(ch, t), multi, prefix);
		g_ptr_array_add(list, g_strconcat(prefix, ch->name, NULL));
	}
	send_numeric_list(c, RPL_WHOISCHANNELS, t->nick, list, ' ');
}

static void whois_one(struct client *c, const char *nick);

void cmd_whois(struct client *c, struct irc_message *msg)
{
	const char *nick;

	if (msg->nparams == 0) {
		send_numeric(c, ERR_NONICKNAMEGIVEN);
		return;
	}
	if (msg->nparams > 1 && !target_is_here(c, msg, 0))
		return;
	nick = msg->params[msg->nparams > 1 ? 1 : 0];
	if (strchr(nick, ',') != NULL) {
		g_auto(GStrv) nicks = split_targets(c, nick, LIMIT_TARGMAX_WHOIS);
		whois_one(c, nicks[0] != NULL ? nicks[0] : "");
		return;
	}
	whois_one(c, nick);
}

static void whois_one(struct client *c, const char *nick)
{
	struct client *t = registry_find_nick(nick);

	if (t == NULL || !t->registered) {
		send_numeric(c, ERR_NOSUCHNICK, reply_param(nick));
		send_numeric(c, RPL_ENDOFWHOIS, reply_param(nick));
		return;
	}
	send_numeric(c, RPL_WHOISUSER, t->nick, t->user, t->host, t->realname);
	whois_channels(c, t);
	send_numeric(c, RPL_WHOISSERVER, t->nick, server.cfg->name, server.cfg->description);
	if (t->modes & UMODE_OPER)
		send_numeric(c, RPL_WHOISOPERATOR, t->nick);
	if (t->modes & UMODE_BOT)
		send_numeric(c, RPL_WHOISBOT, t->nick);
	if (t->account != NULL)
		send_numeric(c, RPL_WHOISACCOUNT, t->nick, t->account->name);
	if (client_is_secure(t))
		send_numeric(c, RPL_WHOISSECURE, t->nick);
	if (t->away != NULL)
		send_numeric(c, RPL_AWAY, t->nick, t->away);
	send_numeric(c, RPL_WHOISIDLE, t->nick,
		     (long long)(server_wall_us() / 1000000 - t->last_message), (long long)t->signon);
	send_numeric(c, RPL_ENDOFWHOIS, t->nick);
}

void cmd_whowas(struct client *c, struct irc_message *msg)
{
	g_autoptr(GPtrArray) found = NULL;
	int max = msg->nparams > 1 ? atoi(msg->params[1]) : 0;

	if (msg->nparams == 0 || msg->params[0][0] == '\0') {
		/* RFC 2812 3.6.3: RPL_ENDOFWHOWAS ends every reply, errors too. */
		send_numeric(c, ERR_NONICKNAMEGIVEN);
		send_numeric(c, RPL_ENDOFWHOWAS, "*");
		return;
	}
	found = registry_whowas_find(msg->params[0], max > 0 ? max : 0);
	if (found->len == 0)
		send_numeric(c, ERR_WASNOSUCHNICK, reply_param(msg->params[0]));
	for (guint i = 0; i < found->len; i++) {
		const struct whowas *w = g_ptr_array_index(found, i);
		char when[64];
		time_t t = (time_t)w->when;
		strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Y", gmtime(&t));
		send_numeric(c, RPL_WHOWASUSER, w->nick, w->user, w->host, w->realname);
		send_numeric(c, RPL_WHOISSERVER, w->nick, server.cfg->name, when);
	}
	send_numeric(c, RPL_ENDOFWHOWAS, reply_param(msg->params[0]));
}

void cmd_ison(struct client *c, struct irc_message *msg)
{
	g_autoptr(GPtrArray) online = g_ptr_array_new();

	for (int i = 0; i < msg->nparams; i++) {
		g_auto(GStrv) nicks = g_strsplit(msg->params[i], " ", -1);
		for (int j = 0; nicks[j] != NULL; j++) {
			struct client *t = nicks[j][0] != '\0' ? registry_find_nick(nicks[j]) : NULL;
			if (t != NULL && t->registered)
				g_ptr_array_add(online, t->nick);
		}
	}
	/* RPL_ISON is sent even when nobody is online. */
	if (online->len == 0)
		send_numeric(c, RPL_ISON, "");
	send_numeric_list(c, RPL_ISON, NULL, online, ' ');
}

void cmd_userhost(struct client *c, struct irc_message *msg)
{
	g_autoptr(GString) reply = g_string_new(NULL);

	for (int i = 0; i < msg->nparams && i < 5; i++) {
		struct client *t = registry_find_nick(msg->params[i]);
		if (t == NULL || !t->registered)
			continue;
		g_string_append_printf(reply, "%s%s%s=%c%s@%s", reply->len > 0 ? " " : "", t->nick,
				       (t->modes & UMODE_OPER) ? "*" : "", t->away ? '-' : '+',
				       t->user, t->host);
	}
	send_numeric(c, RPL_USERHOST, reply->str);
}

void cmd_lusers(struct client *c, struct irc_message *msg)
{
	if (!target_is_here(c, msg, 1))
		return;
	send_lusers(c);
}

void cmd_motd(struct client *c, struct irc_message *msg)
{
	if (!target_is_here(c, msg, 0))
		return;
	send_motd(c);
}

void cmd_version(struct client *c, struct irc_message *msg)
{
	if (!target_is_here(c, msg, 0))
		return;
	send_numeric(c, RPL_VERSION, NATTER_VERSION, server.cfg->name, "natter chat server");
	send_isupport(c);
}

void cmd_time(struct client *c, struct irc_message *msg)
{
	char text[64];
	time_t now = time(NULL);
	struct tm tm;

	if (!target_is_here(c, msg, 0))
		return;
	gmtime_r(&now, &tm);
	strftime(text, sizeof(text), "%A %B %d %Y -- %H:%M:%S +00:00", &tm);
	send_numeric(c, RPL_TIME, server.cfg->name, text);
}

void cmd_info(struct client *c, struct irc_message *msg)
{
	static const char *lines[] = {
		"natterd " NATTER_VERSION " - a small IRC server for the natter chat system",
		"One libevent loop, worker threads for blocking work, bounded buffers.",
		"Licensed under the ISC license.",
	};

	if (!target_is_here(c, msg, 0))
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(lines); i++)
		send_numeric(c, RPL_INFO, lines[i]);
	send_numeric(c, RPL_ENDOFINFO);
}

void cmd_admin(struct client *c, struct irc_message *msg)
{
	if (!target_is_here(c, msg, 0))
		return;
	send_numeric(c, RPL_ADMINME, server.cfg->name);
	send_numeric(c, RPL_ADMINLOC1, server.cfg->description);
	send_numeric(c, RPL_ADMINLOC2, server.cfg->admin_location);
	send_numeric(c, RPL_ADMINEMAIL, server.cfg->admin_email);
}

/* LINKS [[<remote server>] <server mask>] (RFC 2812 3.4.5): the only server
 * is this one, listed when it matches the mask. */
void cmd_links(struct client *c, struct irc_message *msg)
{
	const char *mask = msg->nparams > 0 ? msg->params[msg->nparams > 1 ? 1 : 0] : "*";

	if (msg->nparams > 1 && !target_is_here(c, msg, 0))
		return;
	if (mask[0] == '\0')
		mask = "*";
	if (irc_mask_match(mask, server.cfg->name))
		send_numeric(c, RPL_LINKS, server.cfg->name, server.cfg->name,
			     server.cfg->description);
	send_numeric(c, RPL_ENDOFLINKS, reply_param(mask));
}

struct help_topic {
	const char *name;
	const char *text[3];
};

static const struct help_topic help_topics[] = {
	{ "INDEX", { "Commands: PRIVMSG NOTICE JOIN PART TOPIC NAMES LIST KICK INVITE MODE",
		     "WHO WHOIS WHOWAS ISON USERHOST AWAY MONITOR SETNAME NICK QUIT "
		     "REGISTER AUTHENTICATE ACCOUNT ROOM",
		     "LUSERS MOTD VERSION TIME INFO ADMIN LINKS OPER KILL WALLOPS HELP <command>" } },
	{ "PRIVMSG", { "PRIVMSG <target>{,<target>} :<text>", "Sends text to a channel or nick.", NULL } },
	{ "JOIN", { "JOIN <channel>{,<channel>} [<key>{,<key>}]", "Joins channels; JOIN 0 leaves all.", NULL } },
	{ "PART", { "PART <channel>{,<channel>} [:<reason>]", "Leaves channels.", NULL } },
	{ "MODE", { "MODE <target> [<modes> [<args>]]", "Channel modes: b k l i m n s t o v; user modes: i w o.", NULL } },
	{ "NICK", { "NICK <nickname>", "Changes your nickname.", NULL } },
	{ "MONITOR", { "MONITOR +|- <nick>{,<nick>} | C | L | S", "Tells you when nicks come and go.", NULL } },
	{ "REGISTER", { "REGISTER <account>|* * :<password>",
			"Creates an account named for your nick (*) or <account> and logs you in; "
			"the account owns that nickname.", NULL } },
	{ "AUTHENTICATE", { "AUTHENTICATE EXTERNAL|PLAIN|SCRAM-SHA-256",
			    "Logs in with SASL (after CAP REQ sasl). Without SASL: "
			    "PASS :<account>:<password> before NICK/USER.", NULL } },
	{ "ACCOUNT", { "ACCOUNT PASSWORD <current> :<new> | DROP <password> | LOGOUT",
		       "ACCOUNT CERT LIST | ADD [<fingerprint>] | DEL <fingerprint>",
		       "Manages the account you are logged in to." } },
	{ "ROOM", { "ROOM REGISTER|DROP <#room> | ACCESS <#room> [LIST | ADD <account> op|voice | "
		    "DEL <account>]",
		    "Registered rooms keep their access list, topic, modes and bans.", NULL } },
};

void cmd_help(struct client *c, struct irc_message *msg)
{
	const char *subject = msg->nparams > 0 ? msg->params[0] : "INDEX";
	g_autofree char *upper = g_ascii_strup(subject, -1);

	for (size_t i = 0; i < G_N_ELEMENTS(help_topics); i++) {
		const struct help_topic *t = &help_topics[i];
		if (strcmp(t->name, upper) != 0)
			continue;
		send_numeric(c, RPL_HELPSTART, upper, t->text[0]);
		for (int j = 1; j < 3 && t->text[j] != NULL; j++)
			send_numeric(c, RPL_HELPTXT, upper, t->text[j]);
		send_numeric(c, RPL_ENDOFHELP, upper, "End of /HELP");
		return;
	}
	send_numeric(c, ERR_HELPNOTFOUND, reply_param(subject));
}

static void monitor_add(struct client *c, const char *list)
{
	g_auto(GStrv) nicks = g_strsplit(list, ",", -1);
	g_autoptr(GPtrArray) on = g_ptr_array_new();
	g_autoptr(GPtrArray) off = g_ptr_array_new();

	for (int i = 0; nicks[i] != NULL; i++) {
		struct client *t;
		if (!irc_nick_is_valid(nicks[i]))
			continue;
		if (c->monitoring != NULL && c->monitoring->len >= MONITOR_MAX) {
			send_numeric(c, ERR_MONLISTFULL, MONITOR_MAX, nicks[i]);
			break;
		}
		registry_monitor_add(c, nicks[i]);
		t = registry_find_nick(nicks[i]);
		if (t != NULL && t->registered)
			g_ptr_array_add(on, t->prefix);
		else
			g_ptr_array_add(off, nicks[i]);
	}
	send_numeric_list(c, RPL_MONONLINE, NULL, on, ',');
	send_numeric_list(c, RPL_MONOFFLINE, NULL, off, ',');
}

static void monitor_status(struct client *c, bool list_only)
{
	g_autoptr(GPtrArray) on = g_ptr_array_new();
	g_autoptr(GPtrArray) off = g_ptr_array_new();

	for (guint i = 0; c->monitoring != NULL && i < c->monitoring->len; i++) {
		char *nick = g_ptr_array_index(c->monitoring, i);
		struct client *t = registry_find_nick(nick);
		if (list_only)
			g_ptr_array_add(on, nick);
		else if (t != NULL && t->registered)
			g_ptr_array_add(on, t->prefix);
		else
			g_ptr_array_add(off, nick);
	}
	if (list_only) {
		send_numeric_list(c, RPL_MONLIST, NULL, on, ',');
		send_numeric(c, RPL_ENDOFMONLIST);
		return;
	}
	send_numeric_list(c, RPL_MONONLINE, NULL, on, ',');
	send_numeric_list(c, RPL_MONOFFLINE, NULL, off, ',');
}

void cmd_monitor(struct client *c, struct irc_message *msg)
{
	const char *op = msg->params[0];

	if ((op[0] == '+' || op[0] == '-') && msg->nparams < 2) {
		send_numeric(c, ERR_NEEDMOREPARAMS, "MONITOR");
	} else if (op[0] == '+') {
		monitor_add(c, msg->params[1]);
	} else if (op[0] == '-') {
		g_auto(GStrv) nicks = g_strsplit(msg->params[1], ",", -1);
		for (int i = 0; nicks[i] != NULL; i++)
			registry_monitor_remove(c, nicks[i]);
	} else if (g_ascii_toupper(op[0]) == 'C') {
		registry_monitor_clear(c);
	} else if (g_ascii_toupper(op[0]) == 'L') {
		monitor_status(c, true);
	} else if (g_ascii_toupper(op[0]) == 'S') {
		monitor_status(c, false);
	}
}
