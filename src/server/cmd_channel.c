/* cmd_channel.c - JOIN, PART, TOPIC, NAMES, LIST, KICK and INVITE. */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "channel.h"
#include "chanreg.h"
#include "client.h"
#include "commands.h"
#include "history.h"
#include "proto_limits.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"
#include "storage.h"


/* Queues ":prefix <rest>" to every member of @ch, the sender included, and
 * logs it to the history as @kind. */
static void tell_channel(struct channel *ch, struct client *from, enum history_kind kind,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void tell_channel(struct channel *ch, struct client *from, enum history_kind kind,
			 const char *fmt, ...)
{
	struct outmsg m;
	g_autofree char *rest = NULL;
	va_list ap;

	va_start(ap, fmt);
	rest = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	outmsg_init(&m, NULL);
	outmsg_from(&m, from);
	outmsg_printf(&m, ":%s %s", from->prefix, rest);
	history_log_room(ch, from, &m, kind);
	outmsg_to_channel(&m, ch, NULL, 0);
	outmsg_clear(&m);
}

/* JOIN to every member; those with extended-join also get the account
 * ("*" when not logged in) and the real name (IRCv3 extended-join). */
static void announce_join(struct channel *ch, struct client *c)
{
	struct outmsg plain, extended;
	guint n = channel_member_count(ch);

	outmsg_init(&plain, NULL);
	outmsg_from(&plain, c);
	outmsg_printf(&plain, ":%s JOIN %s", c->prefix, ch->name);
	outmsg_init(&extended, NULL);
	outmsg_from(&extended, c);
	outmsg_printf(&extended, ":%s JOIN %s %s :%s", c->prefix, ch->name,
		      c->account != NULL ? c->account->name : "*", c->realname);
	/* One event: both forms carry the msgid and time history stores. */
	extended.msgid_seq = plain.msgid_seq;
	extended.time_us = plain.time_us;
	history_log_room(ch, c, &plain, HIST_JOIN);
	extended.hist_seq = plain.hist_seq;
	for (guint i = 0; i < n; i++) {
		struct client *member = channel_member_at(ch, i);
		outmsg_send((member->caps & CAP_EXTENDED_JOIN) ? &extended : &plain, member);
	}
	outmsg_clear(&plain);
	outmsg_clear(&extended);
}

static const char *channel_symbol(const struct channel *ch)
{
	return (ch->modes & CMODE_SECRET) ? "@" : "=";
}

/* The 353 lines of @ch that @c may see (none for a secret room it is not
 * in, nor for an empty one). With userhost-in-names each entry is the full
 * nick!user@host. Lines are filled up to the 512-byte limit. */
static void send_name_lines(struct client *c, struct channel *ch)
{
	bool member = channel_member_flags(ch, c) != 0;
	bool multi = (c->caps & CAP_MULTI_PREFIX) != 0;
	bool full = (c->caps & CAP_USERHOST_IN_NAMES) != 0;
	g_autoptr(GString) line = g_string_new(NULL);
	/* ":server 353 nick = #room :" comes before the names, CRLF after. */
	size_t room = IRC_LINE_MAX - 2 -
		      (strlen(server.cfg->name) + strlen(c->nick) + strlen(ch->name) + 12);

	if (!member && (ch->modes & CMODE_SECRET))
		return;
	for (guint i = 0; i < channel_member_count(ch); i++) {
		struct client *m = channel_member_at(ch, i);
		const char *name = full ? m->prefix : m->nick;
		char prefix[3];
		if (!member && (m->modes & UMODE_INVISIBLE))
			continue;
		channel_prefix(channel_member_flags(ch, m), multi, prefix);
		if (line->len > 0 && line->len + 1 + strlen(prefix) + strlen(name) > room) {
			send_numeric(c, RPL_NAMREPLY, channel_symbol(ch), ch->name, line->str);
			g_string_truncate(line, 0);
		}
		if (line->len > 0)
			g_string_append_c(line, ' ');
		g_string_append(line, prefix);
		g_string_append(line, name);
	}
	if (line->len > 0)
		send_numeric(c, RPL_NAMREPLY, channel_symbol(ch), ch->name, line->str);
}

void send_names(struct client *c, struct channel *ch)
{
	send_name_lines(c, ch);
	send_numeric(c, RPL_ENDOFNAMES, ch->name);
}

static void send_topic(struct client *c, struct channel *ch, bool say_none)
{
	if (ch->topic == NULL) {
		if (say_none)
			send_numeric(c, RPL_NOTOPIC, ch->name);
		return;
	}
	send_numeric(c, RPL_TOPIC, ch->name, ch->topic);
	send_numeric(c, RPL_TOPICWHOTIME, ch->name, ch->topic_setter, (long long)ch->topic_time);
}

/* Why @c may not join @ch, as a numeric format, or NULL when it may. */
static const char *join_refusal(struct client *c, struct channel *ch, const char *key)
{
	/* An invitation or an invite exception (+I) lets a user past +i; an
	 * invitation also past bans and the limit. */
	bool invited = channel_is_invited(ch, c);
	bool invex = invited || channel_list_matches(ch, CHANLIST_INVEX, c);

	if (channel_is_banned(ch, c) && !invited)
		return ERR_BANNEDFROMCHAN;
	if ((ch->modes & CMODE_TLS_ONLY) && !client_is_secure(c))
		return ERR_SECUREONLYCHAN; /* an invitation does not encrypt */
	if ((ch->modes & CMODE_INVITE_ONLY) && !invex)
		return ERR_INVITEONLYCHAN;
	if ((ch->modes & CMODE_REGONLY) && c->account == NULL && !invited)
		return ERR_NEEDREGGEDNICK;
	if (ch->key != NULL && (key == NULL || strcmp(key, ch->key) != 0))
		return ERR_BADCHANNELKEY;
	if (ch->limit > 0 && channel_member_count(ch) >= (guint)ch->limit && !invited)
		return ERR_CHANNELISFULL;
	return NULL;
}

void channel_join_client(struct client *c, const char *name, const char *key)
{
	struct channel *ch = registry_find_channel(name);
	unsigned flags = 0;

	if (!irc_channel_is_valid(name)) {
		send_numeric(c, ERR_NOSUCHCHANNEL, reply_param(name));
		return;
	}
	if (ch != NULL && channel_member_flags(ch, c) != 0)
		return;
	if (client_channel_count(c) >= (unsigned)server.cfg->max_channels_per_user) {
		send_numeric(c, ERR_TOOMANYCHANNELS, reply_param(name));
		return;
	}
	if (ch == NULL) {
		ch = channel_create(name, false);
	} else {
		const char *refusal = join_refusal(c, ch, key);
		if (refusal != NULL) {
			send_numeric(c, refusal, ch->name);
			return;
		}
	}
	if (chanreg_is_registered(ch))
		flags = chanreg_access_flags(ch, c); /* by account, never by arriving first */
	else if (channel_member_count(ch) == 0 && !ch->settled)
		flags = MEMBER_OP; /* the first in an empty room runs it */
	channel_add_member(ch, c, flags);
	announce_join(ch, c);
	if (c->away != NULL) {
		struct outmsg m;
		outmsg_init(&m, NULL);
		outmsg_printf(&m, ":%s AWAY :%s", c->prefix, c->away);
		outmsg_to_channel(&m, ch, c, CAP_AWAY_NOTIFY);
		outmsg_clear(&m);
	}
	send_topic(c, ch, false);
	history_send_read_marker(c, ch->name);
	send_names(c, ch);
	history_replay_on_join(c, ch);
}

static void part_all(struct client *c)
{
	while (client_channel_count(c) > 0) {
		struct channel *ch = client_channel_at(c, client_channel_count(c) - 1);
		tell_channel(ch, c, HIST_PART, "PART %s", ch->name);
		channel_remove_member(ch, c);
	}
}

void cmd_join(struct client *c, struct irc_message *msg)
{
	g_auto(GStrv) names = NULL;
	g_auto(GStrv) keys = NULL;
	int nkeys;

	if (strcmp(msg->params[0], "0") == 0) {
		part_all(c);
		return;
	}
	names = split_targets(c, msg->params[0], LIMIT_TARGMAX_JOIN);
	keys = g_strsplit(msg->nparams > 1 ? msg->params[1] : "", ",", -1);
	nkeys = (int)g_strv_length(keys);
	for (int i = 0; names[i] != NULL; i++) {
		if (names[i][0] == '\0')
			continue;
		channel_join_client(c, names[i], i < nkeys && keys[i][0] != '\0' ? keys[i] : NULL);
	}
}

/* Finds @name as a channel @c is in, or answers 403/442 and returns NULL. */
static struct channel *find_joined(struct client *c, const char *name)
{
	struct channel *ch = registry_find_channel(name);

	if (ch == NULL) {
		send_numeric(c, ERR_NOSUCHCHANNEL, reply_param(name));
		return NULL;
	}
	if (channel_member_flags(ch, c) == 0) {
		send_numeric(c, ERR_NOTONCHANNEL, ch->name);
		return NULL;
	}
	return ch;
}

void cmd_part(struct client *c, struct irc_message *msg)
{
	g_auto(GStrv) names = split_targets(c, msg->params[0], LIMIT_TARGMAX_PART);
	const char *reason = msg->nparams > 1 ? msg->params[1] : NULL;

	for (int i = 0; names[i] != NULL; i++) {
		struct channel *ch = find_joined(c, names[i]);
		if (ch == NULL)
			continue;
		if (reason != NULL && reason[0] != '\0')
			tell_channel(ch, c, HIST_PART, "PART %s :%s", ch->name, reason);
		else
			tell_channel(ch, c, HIST_PART, "PART %s", ch->name);
		channel_remove_member(ch, c);
	}
}

void cmd_topic(struct client *c, struct irc_message *msg)
{
	struct channel *ch = registry_find_channel(msg->params[0]);
	unsigned flags;

	if (ch == NULL) {
		send_numeric(c, ERR_NOSUCHCHANNEL, reply_param(msg->params[0]));
		return;
	}
	flags = channel_member_flags(ch, c);
	if (msg->nparams < 2) {
		if (flags == 0 && (ch->modes & CMODE_SECRET))
			send_numeric(c, ERR_NOTONCHANNEL, ch->name);
		else
			send_topic(c, ch, true);
		return;
	}
	if (flags == 0) {
		send_numeric(c, ERR_NOTONCHANNEL, ch->name);
		return;
	}
	if ((ch->modes & CMODE_TOPIC_LOCK) && !(flags & MEMBER_OP)) {
		send_numeric(c, ERR_CHANOPRIVSNEEDED, ch->name);
		return;
	}
	channel_set_topic(ch, c, msg->params[1]);
	storage_save_topic(ch);
	tell_channel(ch, c, HIST_TOPIC, "TOPIC %s :%s", ch->name, ch->topic != NULL ? ch->topic : "");
}

static gint compare_channel_names(gconstpointer a, gconstpointer b)
{
	const struct channel *x = *(struct channel *const *)a;
	const struct channel *y = *(struct channel *const *)b;

	return irc_casecmp(x->name, y->name);
}

/* NAMES with no argument lists every room @c may see, in name order, under
 * one RPL_ENDOFNAMES (RFC 1459 4.2.5, RFC 2812 3.2.5). */
static void names_all(struct client *c)
{
	g_autoptr(GPtrArray) rooms = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, registry_channels());
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(rooms, value);
	g_ptr_array_sort(rooms, compare_channel_names);
	for (guint i = 0; i < rooms->len; i++)
		send_name_lines(c, g_ptr_array_index(rooms, i));
	send_numeric(c, RPL_ENDOFNAMES, "*");
}

void cmd_names(struct client *c, struct irc_message *msg)
{
	g_auto(GStrv) names = NULL;

	if (msg->nparams == 0 || msg->params[0][0] == '\0') {
		names_all(c);
		return;
	}
	names = g_strsplit(msg->params[0], ",", -1);
	for (int i = 0; names[i] != NULL; i++) {
		struct channel *ch;
		if (i == LIMIT_TARGMAX_NAMES) {
			send_numeric(c, ERR_TOOMANYTARGETS, reply_param(names[i]));
			break;
		}
		ch = registry_find_channel(names[i]);
		if (ch != NULL)
			send_names(c, ch);
		else
			send_numeric(c, RPL_ENDOFNAMES, reply_param(names[i]));
	}
}

static void list_one(struct client *c, struct channel *ch)
{
	if ((ch->modes & CMODE_SECRET) && channel_member_flags(ch, c) == 0)
		return;
	send_numeric(c, RPL_LIST, ch->name, channel_member_count(ch),
		     ch->topic != NULL ? ch->topic : "");
}

/* LIST conditions (ISUPPORT ELIST=CMNTU, Modern IRC "ELIST"): every one
 * given must hold for a room to be listed. */
struct list_filter {
	GPtrArray *masks;      /* M: the name matches one of these (if any) */
	GPtrArray *not_masks;  /* N: "!mask", the name matches none of these */
	long min_users, max_users;       /* U: ">n", "<n" */
	int64_t created_before, created_after; /* C: "C>m", "C<m" (minutes ago) */
	int64_t topic_before, topic_after;     /* T: "T>m", "T<m" */
};

/* Parses one comma-separated LIST item into @f; false when malformed. */
static bool list_condition(struct list_filter *f, const char *item, int64_t now)
{
	char *end;
	long n;

	if (item[0] == '<' || item[0] == '>') {
		n = strtol(item + 1, &end, 10);
		if (end == item + 1 || *end != '\0' || n < 0)
			return false;
		/* No room holds a billion members: clamping keeps n + 1 in range. */
		n = MIN(n, 1000000000L);
		if (item[0] == '<')
			f->max_users = MIN(f->max_users, n - 1);
		else
			f->min_users = MAX(f->min_users, n + 1);
		return true;
	}
	if ((item[0] == 'C' || item[0] == 'T') && (item[1] == '<' || item[1] == '>')) {
		n = strtol(item + 2, &end, 10);
		if (end == item + 2 || *end != '\0' || n < 0)
			return false;
		/* Minutes past any room's age mean "since ever": clamp so the
		 * product cannot overflow. */
		int64_t when = now - (int64_t)MIN(n, 1000000000L) * 60;
		/* "C<m": created less than m minutes ago, i.e. after now - m. */
		if (item[0] == 'C' && item[1] == '<')
			f->created_after = MAX(f->created_after, when);
		else if (item[0] == 'C')
			f->created_before = MIN(f->created_before, when);
		else if (item[1] == '<')
			f->topic_after = MAX(f->topic_after, when);
		else
			f->topic_before = MIN(f->topic_before, when);
		return true;
	}
	if (item[0] == '!' && item[1] != '\0') {
		g_ptr_array_add(f->not_masks, (gpointer)(item + 1));
		return true;
	}
	g_ptr_array_add(f->masks, (gpointer)item);
	return true;
}

static bool list_filter_match(const struct list_filter *f, const struct channel *ch)
{
	guint users = channel_member_count(ch);
	bool any = f->masks->len == 0;

	if ((long)users < f->min_users || (long)users > f->max_users)
		return false;
	if (ch->created < f->created_after || ch->created > f->created_before)
		return false;
	if (f->topic_after > 0 || f->topic_before < G_MAXINT64) {
		if (ch->topic == NULL || ch->topic_time < f->topic_after ||
		    ch->topic_time > f->topic_before)
			return false;
	}
	for (guint i = 0; !any && i < f->masks->len; i++)
		any = irc_mask_match(g_ptr_array_index(f->masks, i), ch->name);
	for (guint i = 0; any && i < f->not_masks->len; i++)
		any = !irc_mask_match(g_ptr_array_index(f->not_masks, i), ch->name);
	return any;
}

void cmd_list(struct client *c, struct irc_message *msg)
{
	struct list_filter f = {
		g_ptr_array_new(), g_ptr_array_new(), 0, G_MAXLONG, G_MAXINT64, 0, G_MAXINT64, 0,
	};
	g_auto(GStrv) items = g_strsplit(msg->nparams > 0 ? msg->params[0] : "", ",", -1);
	bool names_only = items[0] != NULL;
	int64_t now = server_wall_us() / 1000000;
	GHashTableIter iter;
	gpointer value;

	for (int i = 0; items[i] != NULL; i++) {
		if (items[i][0] == '\0')
			continue;
		if (!list_condition(&f, items[i], now)) {
			send_fail(c, "LIST", "INVALID_PARAMS", "Invalid LIST condition");
			goto out;
		}
		if (!irc_is_channel(items[i]) || strpbrk(items[i], "*?") != NULL)
			names_only = false;
	}
	send_numeric(c, RPL_LISTSTART);
	if (names_only) {
		/* Plain names: one look-up each, in the order given. */
		for (guint i = 0; i < f.masks->len; i++) {
			struct channel *ch = registry_find_channel(g_ptr_array_index(f.masks, i));
			if (ch != NULL)
				list_one(c, ch);
		}
	} else {
		g_hash_table_iter_init(&iter, registry_channels());
		while (g_hash_table_iter_next(&iter, NULL, &value))
			if (list_filter_match(&f, value))
				list_one(c, value);
	}
	send_numeric(c, RPL_LISTEND);
out:
	g_ptr_array_free(f.masks, TRUE);
	g_ptr_array_free(f.not_masks, TRUE);
}

void cmd_kick(struct client *c, struct irc_message *msg)
{
	struct channel *ch = find_joined(c, msg->params[0]);
	g_auto(GStrv) nicks = NULL;
	g_autofree char *reason = NULL;

	if (ch == NULL)
		return;
	if (!(channel_member_flags(ch, c) & MEMBER_OP)) {
		send_numeric(c, ERR_CHANOPRIVSNEEDED, ch->name);
		return;
	}
	reason = irc_utf8_dup_truncated(msg->nparams > 2 && msg->params[2][0] != '\0'
				  ? msg->params[2] : c->nick, LIMIT_KICKLEN);
	nicks = g_strsplit(msg->params[1], ",", -1);
	for (int i = 0; nicks[i] != NULL; i++) {
		struct client *target;
		if (i == LIMIT_TARGMAX_KICK) {
			send_numeric(c, ERR_TOOMANYTARGETS, reply_param(nicks[i]));
			break;
		}
		target = registry_find_nick(nicks[i]);
		if (target == NULL || channel_member_flags(ch, target) == 0) {
			send_numeric(c, ERR_USERNOTINCHANNEL, reply_param(nicks[i]), ch->name);
			continue;
		}
		bool self = target == c;
		tell_channel(ch, c, HIST_KICK, "KICK %s %s :%s", ch->name, target->nick, reason);
		channel_remove_member(ch, target);
		if (self)
			break; /* the room may be gone with its last member */
	}
}

/* IRCv3 invite-notify: the room's members with the capability hear of the
 * invitation (only its operators when the room is +i). */
static void invite_notify(struct client *c, struct client *target, struct channel *ch)
{
	struct outmsg m;

	outmsg_init(&m, NULL);
	outmsg_printf(&m, ":%s INVITE %s %s", c->prefix, target->nick, ch->name);
	for (guint i = 0; i < channel_member_count(ch); i++) {
		struct client *member = channel_member_at(ch, i);
		if (member == c || !(member->caps & CAP_INVITE_NOTIFY))
			continue;
		if ((ch->modes & CMODE_INVITE_ONLY) && !(channel_member_flags(ch, member) & MEMBER_OP))
			continue;
		outmsg_send(&m, member);
	}
	outmsg_clear(&m);
}

/* Bare INVITE: the rooms @c is invited to (Modern IRC, INVITE). */
static void list_invitations(struct client *c)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, registry_channels());
	while (g_hash_table_iter_next(&iter, NULL, &value))
		if (channel_is_invited(value, c))
			send_numeric(c, RPL_INVITELIST, ((struct channel *)value)->name);
	send_numeric(c, RPL_ENDOFINVITELIST);
}

void cmd_invite(struct client *c, struct irc_message *msg)
{
	struct client *target;
	struct channel *ch;
	unsigned flags;

	if (msg->nparams == 0) {
		list_invitations(c);
		return;
	}
	if (msg->nparams < 2) {
		send_numeric(c, ERR_NEEDMOREPARAMS, "INVITE");
		return;
	}
	target = registry_find_nick(msg->params[0]);
	ch = registry_find_channel(msg->params[1]);

	if (target == NULL || !target->registered) {
		send_numeric(c, ERR_NOSUCHNICK, reply_param(msg->params[0]));
		return;
	}
	if (ch == NULL) {
		send_numeric(c, ERR_NOSUCHCHANNEL, reply_param(msg->params[1]));
		return;
	}
	flags = channel_member_flags(ch, c);
	if (flags == 0) {
		send_numeric(c, ERR_NOTONCHANNEL, ch->name);
		return;
	}
	if ((ch->modes & CMODE_INVITE_ONLY) && !(flags & MEMBER_OP)) {
		send_numeric(c, ERR_CHANOPRIVSNEEDED, ch->name);
		return;
	}
	if (channel_member_flags(ch, target) != 0) {
		send_numeric(c, ERR_USERONCHANNEL, target->nick, ch->name);
		return;
	}
	channel_invite(ch, target->nick);
	send_numeric(c, RPL_INVITING, target->nick, ch->name);
	send_line(target, ":%s INVITE %s %s", c->prefix, target->nick, ch->name);
	invite_notify(c, target, ch);
	if (target->away != NULL)
		send_numeric(c, RPL_AWAY, target->nick, target->away);
}

/* RENAME <old> <new> [:reason] (IRCv3 draft/channel-rename): a room's
 * operator renames it. Members with the capability see RENAME; the others
 * see themselves PART the old name and JOIN the new one, with its topic and
 * names. Permanent and registered rooms keep their names: their settings
 * and history are stored by name. */
static void rename_fail(struct client *c, const char *code, const char *old, const char *new,
			const char *text)
{
	send_line(c, ":%s FAIL RENAME %s %s %s :%s", server.cfg->name, code, reply_param(old),
		  reply_param(new), text);
}

void cmd_rename(struct client *c, struct irc_message *msg)
{
	struct channel *ch = find_joined(c, msg->params[0]);
	const char *new = msg->params[1];
	const char *reason = msg->nparams > 2 ? msg->params[2] : "";
	struct channel *holder;
	g_autofree char *old = NULL;
	struct outmsg m;

	if (ch == NULL)
		return;
	if (!(channel_member_flags(ch, c) & MEMBER_OP)) {
		send_numeric(c, ERR_CHANOPRIVSNEEDED, ch->name);
		return;
	}
	if (!irc_channel_is_valid(new)) {
		rename_fail(c, "CANNOT_RENAME", ch->name, new, "Invalid channel name");
		return;
	}
	holder = registry_find_channel(new);
	if (holder != NULL && holder != ch) {
		rename_fail(c, "CHANNEL_NAME_IN_USE", ch->name, new, "Channel name is already taken");
		return;
	}
	if (ch->permanent || chanreg_is_registered(ch)) {
		rename_fail(c, "CANNOT_RENAME", ch->name, new,
			    "Permanent and registered rooms cannot be renamed");
		return;
	}
	old = g_strdup(ch->name);
	channel_rename(ch, new);
	outmsg_init(&m, NULL);
	if (reason[0] != '\0')
		outmsg_printf(&m, ":%s RENAME %s %s :%s", c->prefix, old, ch->name, reason);
	else
		outmsg_printf(&m, ":%s RENAME %s %s :", c->prefix, old, ch->name);
	for (guint i = 0; i < channel_member_count(ch); i++) {
		struct client *member = channel_member_at(ch, i);
		if (member->caps & CAP_CHANNEL_RENAME) {
			outmsg_send(&m, member);
			continue;
		}
		send_line(member, ":%s PART %s :Renamed to %s%s%s", member->prefix, old, ch->name,
			  reason[0] != '\0' ? ": " : "", reason);
		send_line(member, ":%s JOIN %s", member->prefix, ch->name);
		send_topic(member, ch, false);
		send_names(member, ch);
	}
	outmsg_clear(&m);
}
