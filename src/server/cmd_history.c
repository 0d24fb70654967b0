/* cmd_history.c - CHATHISTORY (draft/chathistory), MARKREAD
 * (draft/read-marker) and REDACT (draft/message-redaction): reading and
 * changing the stored history (history.c). */
#include <stdlib.h>
#include <string.h>

#include "async.h"
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

static GPtrArray *around(struct history_view *v, const struct history_ref *ref, int limit,
			 int max_kind, int64_t since)
{
	struct history_ref lo = just_before(ref);
	GPtrArray *before = history_view_query(v, NULL, ref, true, limit / 2, max_kind, since);
	GPtrArray *after = history_view_query(v, &lo, NULL, false, limit - (int)before->len,
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

/* A CHATHISTORY read (not TARGETS), run in a worker: the file is read
 * off the loop, and the answer still comes in order (async.h). */
struct read_job {
	char *sub;    /* LATEST, BEFORE, AFTER, AROUND or BETWEEN */
	char *name;   /* the target as the client named it */
	char *ref1, *ref2;
	int limit, max_kind;
	int64_t since_ms;
	struct history_view *view;
	bool bad_ref;
	GPtrArray *rows;
};

static void read_job_free(void *data)
{
	struct read_job *job = data;

	history_view_free(job->view);
	if (job->rows != NULL)
		g_ptr_array_free(job->rows, TRUE);
	g_free(job->sub);
	g_free(job->name);
	g_free(job->ref1);
	g_free(job->ref2);
	g_free(job);
}

/* In the worker. */
static void read_work(void *data)
{
	struct read_job *job = data;
	struct history_view *v = job->view;
	struct history_ref r1, r2;
	bool found1 = true, found2 = true;
	int limit = job->limit, max_kind = job->max_kind;
	int64_t since = job->since_ms;

	if (!history_view_parse_ref(v, job->ref1, strcmp(job->sub, "LATEST") == 0, &r1,
				    &found1) ||
	    (job->ref2 != NULL && !history_view_parse_ref(v, job->ref2, false, &r2, &found2))) {
		job->bad_ref = true;
		return;
	}
	if (!found1 || !found2)
		job->rows = g_ptr_array_new(); /* an unknown msgid: nothing around it */
	else if (strcmp(job->sub, "LATEST") == 0)
		job->rows = history_view_query(v, r1.all ? NULL : &r1, NULL, true, limit,
					       max_kind, since);
	else if (strcmp(job->sub, "BEFORE") == 0)
		job->rows = history_view_query(v, NULL, &r1, true, limit, max_kind, since);
	else if (strcmp(job->sub, "AFTER") == 0)
		job->rows = history_view_query(v, &r1, NULL, false, limit, max_kind, since);
	else if (strcmp(job->sub, "AROUND") == 0)
		job->rows = around(v, &r1, limit, max_kind, since);
	else if (ref_cmp(&r1, &r2) <= 0) /* BETWEEN, forwards */
		job->rows = history_view_query(v, &r1, &r2, false, limit, max_kind, since);
	else /* BETWEEN, backwards from the first reference */
		job->rows = history_view_query(v, &r2, &r1, true, limit, max_kind, since);
}

/* Back in the loop, for a client still there. */
static void read_done(struct client *c, void *data)
{
	struct read_job *job = data;

	if (job->bad_ref) {
		fail(c, "INVALID_PARAMS", reply_param(job->sub),
		     "A reference must be msgid=... or timestamp=... (or * for LATEST)");
		return;
	}
	send_batch_begin(c, "chathistory", job->name);
	history_send_rows(c, job->rows, true);
	send_batch_end(c);
}

void cmd_chathistory(struct client *c, struct irc_message *msg)
{
	const char *sub = msg->params[0];
	int nrefs, limit;
	char *end;
	struct target t;
	struct read_job *job;

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
	job = g_new0(struct read_job, 1);
	job->sub = g_ascii_strup(sub, -1);
	job->name = g_strdup(msg->params[1]);
	job->ref1 = g_strdup(msg->params[2]);
	job->ref2 = nrefs == 2 ? g_strdup(msg->params[3]) : NULL;
	job->limit = limit;
	job->max_kind = (c->caps & CAP_EVENT_PLAYBACK) ? EVENT_KINDS : HIST_LAST_MESSAGE_KIND;
	job->since_ms = t.since_ms;
	job->view = history_view_new(t.key);
	target_clear(&t);
	if (!async_submit(c, ASYNC_LOOKUP, read_work, read_done, read_job_free, job)) {
		async_refuse(c, "CHATHISTORY", ASYNC_LOOKUP);
		read_job_free(job);
	}
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
