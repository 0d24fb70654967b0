/* cmd_history.c - CHATHISTORY (draft/chathistory), MARKREAD
 * (draft/read-marker) and REDACT (draft/message-redaction): reading and
 * changing the stored history (history.c). */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "commands.h"
#include "conn.h"
#include "history.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"

#define EVENT_KINDS 100

/* Where a CHATHISTORY/REDACT/MARKREAD target's history lives for @c. */
struct target {
	char *key;            /* history key */
	struct channel *ch;   /* NULL for a private conversation */
	int64_t since_ms;     /* what @c may not see before this */
};

static void target_clear(struct target *t)
{
	g_free(t->key);
}

/* May @c read @ch's history? Members may; others only in a room that is
 * not secret, invite-only or keyed, that does not ban them, and that shows
 * what was said before one joined. */
static bool may_read_room(struct client *c, struct channel *ch, int64_t *since_ms)
{
	bool before = history_room_before_join(ch);

	*since_ms = 0;
	if (channel_member_flags(ch, c) != 0) {
		if (!before)
			*since_ms = history_joined_at(ch, c);
		return true;
	}
	if (!before || (ch->modes & (CMODE_SECRET | CMODE_INVITE_ONLY)) || ch->key != NULL ||
	    channel_is_banned(ch, c))
		return false;
	return true;
}

/* Resolves @name for @c; false (and nothing set) when @c may not read it. */
static bool resolve_target(struct client *c, const char *name, struct target *t)
{
	g_autofree char *me = NULL;
	g_autofree char *peer = NULL;

	memset(t, 0, sizeof(*t));
	if (irc_is_channel(name)) {
		struct channel *ch = registry_find_channel(name);
		char key[IRC_CHANNEL_MAX + 1];
		if (ch == NULL || !may_read_room(c, ch, &t->since_ms))
			return false;
		irc_casefold(key, sizeof(key), ch->name);
		t->key = g_strdup(key);
		t->ch = ch;
		return true;
	}
	if (!irc_nick_is_valid(name))
		return false;
	me = history_identity(c);
	peer = history_peer_identity(name);
	t->key = history_private_key(me, peer);
	return true;
}

static void fail(struct client *c, const char *code, const char *params, const char *text)
{
	send_line(c, ":%s FAIL CHATHISTORY %s %s :%s", server.cfg->name, code, params, text);
}

/* -1, 0, 1 as @a is before, at or after @b. */
static int ref_cmp(const struct history_ref *a, const struct history_ref *b)
{
	if (a->time_ms != b->time_ms)
		return a->time_ms < b->time_ms ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

/* The point just before @r, so that "after it" includes @r itself. */
static struct history_ref just_before(const struct history_ref *r)
{
	struct history_ref b = *r;

	if (r->id >= 0) {
		b.id = r->id - 1;
	} else {
		b.time_ms = r->time_ms - 1; /* with id -1: after the whole previous ms */
	}
	return b;
}

static GPtrArray *around(const char *key, const struct history_ref *ref, int limit,
			 int max_kind, int64_t since)
{
	struct history_ref lo = just_before(ref);
	GPtrArray *before = history_query(key, NULL, ref, true, limit / 2, max_kind, since);
	GPtrArray *after = history_query(key, &lo, NULL, false, limit - (int)before->len,
					 max_kind, since);

	g_ptr_array_extend_and_steal(before, after);
	return before;
}

static gint compare_entries(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void chathistory_targets(struct client *c, struct irc_message *msg, int limit)
{
	struct history_ref a, b;
	bool found;
	g_autofree char *me = history_identity(c);
	g_autoptr(GPtrArray) found_targets = g_ptr_array_new_with_free_func(g_free);
	char when[32];
	int64_t lo, hi;

	if (!history_parse_ref("", msg->params[1], false, &a, &found) ||
	    !history_parse_ref("", msg->params[2], false, &b, &found) || a.id >= 0 || b.id >= 0) {
		fail(c, "INVALID_PARAMS", "TARGETS", "TARGETS takes two timestamps");
		return;
	}
	lo = MIN(a.time_ms, b.time_ms);
	hi = MAX(a.time_ms, b.time_ms);
	/* Rooms @c is in, then private conversations; "time name" to sort. */
	for (unsigned i = 0; i < client_channel_count(c); i++) {
		struct channel *ch = client_channel_at(c, i);
		char key[IRC_CHANNEL_MAX + 1];
		int64_t t;
		irc_casefold(key, sizeof(key), ch->name);
		t = history_latest_time(key, lo, hi);
		if (t > 0)
			g_ptr_array_add(found_targets, g_strdup_printf("%020lld %s", (long long)t,
								       ch->name));
	}
	{
		g_autoptr(GPtrArray) convs = history_conversations(me, lo, hi, limit);
		for (guint i = 0; i < convs->len; i++) {
			char *line = g_ptr_array_index(convs, i);
			char *space = strrchr(line, ' ');
			*space = '\0';
			/* Identities of people without an account are "~nick". */
			g_ptr_array_add(found_targets,
					g_strdup_printf("%020lld %s", atoll(space + 1),
							line[0] == '~' ? line + 1 : line));
		}
	}
	g_ptr_array_sort(found_targets, compare_entries);
	send_batch_begin(c, "draft/chathistory-targets", NULL);
	for (guint i = 0; i < found_targets->len && (int)i < limit; i++) {
		const char *entry = g_ptr_array_index(found_targets, i);
		history_format_time(atoll(entry), when, sizeof(when));
		send_line(c, ":%s CHATHISTORY TARGETS %s %s", server.cfg->name, entry + 21, when);
	}
	send_batch_end(c);
}

void cmd_chathistory(struct client *c, struct irc_message *msg)
{
	const char *sub = msg->params[0];
	int nrefs, limit, max_kind;
	char *end;
	struct target t;
	struct history_ref r1, r2;
	bool found1 = true, found2 = true;
	GPtrArray *rows = NULL;

	if (!history_enabled()) {
		fail(c, "UNKNOWN_COMMAND", reply_param(sub), "History is not kept on this server");
		return;
	}
	if (g_ascii_strcasecmp(sub, "BETWEEN") == 0 || g_ascii_strcasecmp(sub, "TARGETS") == 0)
		nrefs = 2;
	else if (g_ascii_strcasecmp(sub, "LATEST") == 0 || g_ascii_strcasecmp(sub, "BEFORE") == 0 ||
		 g_ascii_strcasecmp(sub, "AFTER") == 0 || g_ascii_strcasecmp(sub, "AROUND") == 0)
		nrefs = 1;
	else {
		fail(c, "INVALID_PARAMS", reply_param(sub), "Unknown CHATHISTORY subcommand");
		return;
	}
	if (msg->nparams < 3 + nrefs - (nrefs == 2 && g_ascii_strcasecmp(sub, "TARGETS") == 0)) {
		fail(c, "NEED_MORE_PARAMS", reply_param(sub), "Missing parameters");
		return;
	}
	{
		const char *lim = msg->params[msg->nparams - 1];
		long v = strtol(lim, &end, 10);
		if (lim[0] == '\0' || *end != '\0' || v < 1) {
			fail(c, "INVALID_PARAMS", reply_param(sub), "The limit must be a number >= 1");
			return;
		}
		limit = (int)MIN(v, (long)server.cfg->history.query_limit);
	}
	if (g_ascii_strcasecmp(sub, "TARGETS") == 0) {
		chathistory_targets(c, msg, limit);
		return;
	}
	if (!resolve_target(c, msg->params[1], &t)) {
		send_line(c, ":%s FAIL CHATHISTORY INVALID_TARGET %s %s :Messages could not be "
			  "retrieved", server.cfg->name, reply_param(sub), reply_param(msg->params[1]));
		return;
	}
	if (!history_parse_ref(t.key, msg->params[2], g_ascii_strcasecmp(sub, "LATEST") == 0,
			       &r1, &found1) ||
	    (nrefs == 2 &&
	     !history_parse_ref(t.key, msg->params[3], false, &r2, &found2))) {
		fail(c, "INVALID_PARAMS", reply_param(sub),
		     "A reference must be msgid=... or timestamp=... (or * for LATEST)");
		target_clear(&t);
		return;
	}
	max_kind = (c->caps & CAP_EVENT_PLAYBACK) ? EVENT_KINDS : HIST_LAST_MESSAGE_KIND;
	if (!found1 || !found2) {
		rows = g_ptr_array_new(); /* an unknown msgid: nothing around it */
	} else if (g_ascii_strcasecmp(sub, "LATEST") == 0) {
		rows = history_query(t.key, r1.all ? NULL : &r1, NULL, true, limit, max_kind,
				     t.since_ms);
	} else if (g_ascii_strcasecmp(sub, "BEFORE") == 0) {
		rows = history_query(t.key, NULL, &r1, true, limit, max_kind, t.since_ms);
	} else if (g_ascii_strcasecmp(sub, "AFTER") == 0) {
		rows = history_query(t.key, &r1, NULL, false, limit, max_kind, t.since_ms);
	} else if (g_ascii_strcasecmp(sub, "AROUND") == 0) {
		rows = around(t.key, &r1, limit, max_kind, t.since_ms);
	} else if (ref_cmp(&r1, &r2) <= 0) { /* BETWEEN, forwards */
		rows = history_query(t.key, &r1, &r2, false, limit, max_kind, t.since_ms);
	} else { /* BETWEEN, backwards from the first reference */
		rows = history_query(t.key, &r2, &r1, true, limit, max_kind, t.since_ms);
	}
	send_batch_begin(c, "chathistory", msg->params[1]);
	history_send_rows(c, rows, true);
	send_batch_end(c);
	g_ptr_array_free(rows, TRUE);
	target_clear(&t);
}

/* --- read markers ----------------------------------------------------- */

static void send_marker(struct client *c, const char *name, int64_t ms)
{
	char when[32];

	if (ms <= 0) {
		send_line(c, ":%s MARKREAD %s *", server.cfg->name, name);
		return;
	}
	history_format_time(ms, when, sizeof(when));
	send_line(c, ":%s MARKREAD %s timestamp=%s", server.cfg->name, name, when);
}

static char *marker_key(const char *name)
{
	char folded[IRC_CHANNEL_MAX + 1];

	irc_casefold(folded, sizeof(folded), name);
	return g_strdup(folded);
}

void history_send_read_marker(struct client *c, const char *name)
{
	g_autofree char *owner = NULL;
	g_autofree char *key = NULL;

	if (!(c->caps & CAP_READ_MARKER) || !history_enabled())
		return;
	owner = history_identity(c);
	key = marker_key(name);
	send_marker(c, name, history_read_marker(owner, key));
}

void cmd_markread(struct client *c, struct irc_message *msg)
{
	const char *name = msg->params[0];
	g_autofree char *owner = history_identity(c);
	g_autofree char *key = NULL;
	int64_t current, ms;

	if (!history_enabled()) {
		send_line(c, ":%s FAIL MARKREAD INTERNAL_ERROR %s :History is not kept here",
			  server.cfg->name, reply_param(name));
		return;
	}
	if (!(irc_is_channel(name) ? irc_channel_is_valid(name) : irc_nick_is_valid(name))) {
		send_line(c, ":%s FAIL MARKREAD INVALID_PARAMS %s :Not a valid target",
			  server.cfg->name, reply_param(name));
		return;
	}
	key = marker_key(name);
	current = history_read_marker(owner, key);
	if (msg->nparams < 2) {
		send_marker(c, name, current);
		return;
	}
	if (!g_str_has_prefix(msg->params[1], "timestamp=") ||
	    !history_parse_time(msg->params[1] + 10, &ms)) {
		send_line(c, ":%s FAIL MARKREAD INVALID_PARAMS %s :The second parameter must be "
			  "timestamp=YYYY-MM-DDThh:mm:ss.sssZ", server.cfg->name, reply_param(name));
		return;
	}
	/* A marker only moves forwards; an older one is answered with the
	 * current one. */
	if (ms > current) {
		history_set_read_marker(owner, key, ms);
		current = ms;
	}
	/* Every connection of this identity hears the new marker. */
	for (struct conn *conn = server.conns; conn != NULL; conn = conn->next) {
		struct client *other = conn->client;
		g_autofree char *id = NULL;
		if (other == NULL || !other->registered || !(other->caps & CAP_READ_MARKER))
			continue;
		if (other == c) {
			send_marker(c, name, current);
			continue;
		}
		id = history_identity(other);
		if (strcmp(id, owner) == 0)
			send_marker(other, name, current);
	}
}

/* --- redaction -------------------------------------------------------- */

static void redact_fail(struct client *c, const char *code, const char *target,
			const char *msgid, const char *text)
{
	send_line(c, ":%s FAIL REDACT %s %s%s%s :%s", server.cfg->name, code, reply_param(target),
		  msgid != NULL ? " " : "", msgid != NULL ? reply_param(msgid) : "", text);
}

void cmd_redact(struct client *c, struct irc_message *msg)
{
	const char *name = msg->params[0];
	const char *msgid = msg->params[1];
	const char *reason = msg->nparams > 2 ? msg->params[2] : NULL;
	g_autofree char *me = history_identity(c);
	g_autofree char *row_target = NULL;
	struct history_row *row;
	struct target t;
	bool allowed;
	struct outmsg m;

	if (!history_enabled()) {
		redact_fail(c, "INVALID_TARGET", name, NULL, "History is not kept here");
		return;
	}
	if (!resolve_target(c, name, &t) || (t.ch != NULL && channel_member_flags(t.ch, c) == 0)) {
		redact_fail(c, "INVALID_TARGET", name, NULL, "You cannot redact messages there");
		if (t.key != NULL)
			target_clear(&t);
		return;
	}
	row = history_find_msgid(msgid, &row_target);
	if (row == NULL || strcmp(row_target, t.key) != 0 || row->kind > HIST_LAST_MESSAGE_KIND) {
		redact_fail(c, "UNKNOWN_MSGID", name, msgid, "This message does not exist");
		if (row != NULL)
			history_row_free(row);
		target_clear(&t);
		return;
	}
	allowed = strcmp(row->sender, me) == 0 ||
		  (t.ch != NULL && (channel_member_flags(t.ch, c) & MEMBER_OP));
	history_row_free(row);
	if (!allowed) {
		redact_fail(c, "REDACT_FORBIDDEN", name, msgid,
			    "You may only redact your own messages, or any as a room operator");
		target_clear(&t);
		return;
	}
	outmsg_init(&m, msg);
	if (reason != NULL && reason[0] != '\0')
		outmsg_printf(&m, ":%s REDACT %s %s :%s", c->prefix, name, msgid, reason);
	else
		outmsg_printf(&m, ":%s REDACT %s %s", c->prefix, name, msgid);
	history_redact(msgid, &m);
	if (t.ch != NULL) {
		outmsg_to_channel(&m, t.ch, NULL, CAP_REDACTION);
	} else {
		struct client *to = registry_find_nick(name);
		if (to != NULL && to != c && (to->caps & CAP_REDACTION))
			outmsg_send(&m, to);
		if (c->caps & CAP_REDACTION)
			outmsg_send(&m, c);
	}
	outmsg_clear(&m);
	target_clear(&t);
}
