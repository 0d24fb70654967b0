/* history.c - the loop's side of the message history: identities and
 * keys, logging rows and handing them to the writer, waiting for commits,
 * opening and closing (history_store.c is the writer, history_read.c the
 * readers; history_internal.h says how a row travels). */
#include "history.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "channel.h"
#include "client.h"
#include "config.h"
#include "conn.h"
#include "history_internal.h"
#include "log.h"
#include "registry.h"
#include "send.h"
#include "server.h"

static struct {
	bool enabled;
	struct history_config cfg;
	GHashTable *room_retention;   /* folded room -> struct retention */
	GHashTable *markers;          /* "owner target" -> struct marker, until stored */
	struct event *commit_ev;      /* made active by the writer */
	uint64_t next_seq;
	int64_t next_id;              /* the id of the next stored row */
	struct record *pending, *pending_tail; /* not yet handed over */
	int npending;
} h;

/* A read marker set but maybe not yet committed. */
struct marker {
	int64_t time_ms;
	uint64_t seq;
};

/* --- identities and keys ------------------------------------------------- */

char *history_identity(const struct client *c)
{
	char folded[IRC_NICK_MAX + 1];

	if (c->account != NULL)
		return g_strdup(c->account->folded);
	irc_casefold(folded, sizeof(folded), c->nick);
	return g_strconcat("~", folded, NULL);
}

char *history_peer_identity(const char *nick)
{
	struct client *c = registry_find_nick(nick);
	struct account *a;
	char folded[IRC_NICK_MAX + 1];

	if (c != NULL && c->registered)
		return history_identity(c);
	a = account_find(nick);
	if (a != NULL)
		return g_strdup(a->folded);
	irc_casefold(folded, sizeof(folded), nick);
	return g_strconcat("~", folded, NULL);
}

char *history_private_key(const char *a, const char *b)
{
	return strcmp(a, b) <= 0 ? g_strconcat(a, " ", b, NULL) : g_strconcat(b, " ", a, NULL);
}

static char *room_key(const char *name)
{
	char folded[IRC_CHANNEL_MAX + 1];

	irc_casefold(folded, sizeof(folded), name);
	return g_strdup(folded);
}

/* --- time ---------------------------------------------------------------- */

void history_format_time(int64_t ms, char *out, size_t len)
{
	send_format_time(ms, out, len);
}

bool history_parse_time(const char *s, int64_t *ms)
{
	int y, mo, d, hh, mi, ss, frac = 0, n = 0, fn = 0;
	struct tm tm = { 0 };
	const char *p;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &hh, &mi, &ss, &n) != 6)
		return false;
	p = s + n;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (fn < 3) {
				frac = frac * 10 + (*p - '0');
				fn++;
			}
			p++;
		}
		while (fn < 3) {
			frac *= 10;
			fn++;
		}
	}
	if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 ||
	    mi > 59 || ss > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mi;
	tm.tm_sec = ss;
	*ms = (int64_t)timegm(&tm) * 1000 + frac;
	return true;
}

/* --- handing over ------------------------------------------------------ */

void record_free(struct record *r)
{
	if (r->block != NULL) {
		pool_release(r);
		return;
	}
	g_free(r->target);
	g_free(r->sender);
	g_free(r->line);
	g_free(r->tags);
	g_free(r->peer_a);
	g_free(r->peer_b);
	g_free(r->offline_for);
	g_free(r);
}

static void on_commit(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	conn_release_held();
	recent_forget_moved(store_moved());
	/* Stored markers are read from the file again: forget our copies. */
	if (h.markers != NULL && g_hash_table_size(h.markers) > 0) {
		GHashTableIter iter;
		gpointer value;
		g_hash_table_iter_init(&iter, h.markers);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			if (history_committed(((struct marker *)value)->seq))
				g_hash_table_iter_remove(&iter);
	}
}

bool history_committed(uint64_t seq)
{
	/* Whoever waits for a record makes sure it was handed over. */
	if (h.pending != NULL && seq > store_committed())
		history_submit();
	return store_committed() >= seq;
}

bool history_all_moved(void)
{
	history_submit();
	return !h.enabled || store_moved() >= h.next_id - 1;
}

void history_submit(void)
{
	struct record *chain = h.pending;

	if (chain == NULL)
		return;
	h.pending = h.pending_tail = NULL;
	h.npending = 0;
	store_hand_over(chain);
}

/* Gives @r its sequence number (and a row its id, and a place among the
 * rows in memory) and queues it for the writer. Records are handed over
 * in one piece per loop turn (history_submit(), called at the end of the
 * turn, or by whoever waits for a commit): one wake-up of the writer and
 * one transaction per turn instead of a wake-up per message and a first
 * commit holding only the turn's first message. */
static uint64_t push(struct record *r)
{
	uint64_t seq = ++h.next_seq;

	r->seq = seq;
	r->next = NULL;
	if (r->op == OP_INSERT) {
		r = pool_adopt(r);
		r->id = h.next_id++;
		recent_add(r);
	}
	if (h.pending_tail != NULL)
		h.pending_tail->next = r;
	else
		h.pending = r;
	h.pending_tail = r;
	if (++h.npending >= h.cfg.batch_max)
		history_submit();
	return seq;
}

/* --- opening and closing ------------------------------------------------- */

static void load_room_retention(void)
{
	h.room_retention = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; h.cfg.rooms != NULL && i < h.cfg.rooms->len; i++) {
		const struct history_room_config *rc = g_ptr_array_index(h.cfg.rooms, i);
		struct retention *r = g_new0(struct retention, 1);
		r->max_age_ms = rc->max_age >= 0 ? (int64_t)rc->max_age * 1000
						 : (int64_t)h.cfg.max_age * 1000;
		r->max_lines = rc->max_lines >= 0 ? rc->max_lines : h.cfg.max_lines_per_target;
		g_hash_table_replace(h.room_retention, room_key(rc->name), r);
	}
}

bool history_open(const char *data_dir, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, "natterd.db", NULL);

	h.cfg = server.cfg->history;
	h.enabled = h.cfg.enabled;
	if (!h.enabled)
		return true;
	load_room_retention();
	h.cfg.rooms = NULL; /* owned by the config, which a reload frees */
	h.markers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	h.commit_ev = event_new(server.base, -1, 0, on_commit, NULL);
	/* Everything already on disk counts as committed. */
	h.next_seq = 0;
	/* The writer first, which moves what a crash left behind. */
	return store_open(path, &h.cfg, h.room_retention, h.commit_ev, &h.next_id, error) &&
	       reader_open(path, error);
}

void history_close(void)
{
	history_submit();
	store_close();
	reader_close();
	pool_clear();
	if (h.commit_ev != NULL)
		event_free(h.commit_ev);
	if (h.room_retention != NULL)
		g_hash_table_destroy(h.room_retention);
	if (h.markers != NULL)
		g_hash_table_destroy(h.markers);
	memset(&h, 0, sizeof(h));
}

bool history_enabled(void)
{
	return h.enabled;
}

/* --- logging ------------------------------------------------------------- */

/* The line as relayed, without its CRLF. */
static char *body_line(const struct outmsg *m)
{
	size_t len = m->body_len >= 2 ? m->body_len - 2 : 0;

	return g_strndup(m->body, len);
}

static struct record *make_record(struct client *from, struct outmsg *m, enum history_kind kind)
{
	struct record *r = g_new0(struct record, 1);

	r->op = OP_INSERT;
	r->time_ms = m->time_us / 1000;
	g_strlcpy(r->msgid, outmsg_msgid(m), sizeof(r->msgid));
	r->kind = kind;
	r->sender = history_identity(from);
	r->line = body_line(m);
	if (m->client_tags != NULL)
		r->tags = g_strdup(m->client_tags->str);
	return r;
}

/* Queues @r (from @from). A message (not an event such as JOIN) makes
 * everyone it is shown to wait for its commit ([history] durable_ack=all),
 * or only its sender's echo (echo). Events are stored in the same order
 * but not waited for: a burst of JOINs would otherwise pile up output. */
static void logged(struct outmsg *m, struct record *r, struct client *from)
{
	bool message = r->op != OP_INSERT || r->kind <= HIST_LAST_MESSAGE_KIND;
	uint64_t seq = push(r);

	if (!message)
		return;
	if (h.cfg.durable_ack == HIST_ACK_ALL)
		m->hist_seq = seq;
	else if (h.cfg.durable_ack == HIST_ACK_ECHO && from != NULL && from->conn != NULL &&
		 (from->caps & CAP_ECHO_MESSAGE))
		from->conn->hold_seq = seq; /* what is queued to it from now on waits */
}

/* Is a line of @kind (with @m's client-only tags) kept? JOIN, PART, KICK,
 * QUIT and NICK only with [history] store_joins; a TAGMSG only when it
 * carries a client-only tag other than a typing notification, which is
 * over once shown. */
static bool wanted(enum history_kind kind, const struct outmsg *m)
{
	if (!h.enabled)
		return false;
	if (kind >= HIST_JOIN && kind <= HIST_NICK)
		return h.cfg.store_joins;
	if (kind == HIST_TAGMSG) {
		g_auto(GStrv) tags = NULL;
		if (m->client_tags == NULL)
			return false;
		tags = g_strsplit(m->client_tags->str, ";", -1);
		for (int i = 0; tags[i] != NULL; i++) {
			size_t klen = strcspn(tags[i], "=");
			if (tags[i][0] == '+' &&
			    !(klen == 7 && strncmp(tags[i], "+typing", 7) == 0) &&
			    !(klen == 13 && strncmp(tags[i], "+draft/typing", 13) == 0))
				return true;
		}
		return false;
	}
	return true;
}

void history_log_room(struct channel *ch, struct client *from, struct outmsg *m,
		      enum history_kind kind)
{
	struct record *r;

	if (!wanted(kind, m))
		return;
	r = make_record(from, m, kind);
	r->target = room_key(ch->name);
	logged(m, r, from);
}

void history_log_rooms_of(struct client *from, struct outmsg *m, enum history_kind kind)
{
	if (!wanted(kind, m))
		return;
	/* One row per room, each under the live line's one msgid. */
	for (unsigned i = 0; i < client_channel_count(from); i++) {
		struct record *r = make_record(from, m, kind);
		r->target = room_key(client_channel_at(from, i)->name);
		logged(m, r, from);
	}
}

/* The line of a HIST_MULTILINE row (see history.h). */
static char *multiline_line(struct client *from, const char *command, const char *target,
			    GPtrArray *texts, GArray *concat)
{
	GString *s = g_string_new(NULL);

	g_string_printf(s, ":%s %s %s", from->prefix, command, target);
	for (guint i = 0; i < texts->len; i++) {
		g_string_append_c(s, '\n');
		g_string_append_c(s, g_array_index(concat, gboolean, i) ? '+' : ' ');
		g_string_append(s, g_ptr_array_index(texts, i));
	}
	return g_string_free(s, FALSE);
}

void history_log_multiline(struct client *from, struct channel *ch, struct client *to,
			   struct outmsg *m, const char *command, GPtrArray *texts,
			   GArray *concat)
{
	struct record *r;

	if (!wanted(HIST_MULTILINE, m))
		return;
	r = make_record(from, m, HIST_MULTILINE);
	g_free(r->line);
	r->line = multiline_line(from, command, ch != NULL ? ch->name : to->nick, texts, concat);
	if (ch != NULL) {
		r->target = room_key(ch->name);
	} else {
		r->peer_a = g_strdup(r->sender);
		r->peer_b = history_identity(to);
		r->target = history_private_key(r->peer_a, r->peer_b);
	}
	logged(m, r, from);
}

void history_log_private(struct client *from, struct client *to, struct outmsg *m,
			 enum history_kind kind)
{
	struct record *r;

	if (!wanted(kind, m))
		return;
	r = make_record(from, m, kind);
	r->peer_a = g_strdup(r->sender);
	r->peer_b = history_identity(to);
	r->target = history_private_key(r->peer_a, r->peer_b);
	if (kind > HIST_LAST_MESSAGE_KIND) {
		/* A reaction is no news for TARGETS (as in a room). */
		g_clear_pointer(&r->peer_a, g_free);
		g_clear_pointer(&r->peer_b, g_free);
	}
	logged(m, r, from);
}

/* Keeps @m (as @kind, with @line instead of its body when not NULL; taken)
 * for account @nick when nobody is logged in to it. */
static bool log_offline(struct client *from, const char *nick, struct outmsg *m,
			enum history_kind kind, char *line)
{
	struct account *a;
	struct record *r;

	if (!h.enabled || (a = account_find(nick)) == NULL || a->sessions->len > 0) {
		g_free(line);
		return false;
	}
	r = make_record(from, m, kind);
	if (line != NULL) {
		g_free(r->line);
		r->line = line;
	}
	r->peer_a = g_strdup(r->sender);
	r->peer_b = g_strdup(a->folded);
	r->target = history_private_key(r->peer_a, r->peer_b);
	r->offline_for = g_strdup(a->folded);
	logged(m, r, from);
	return true;
}

bool history_log_offline(struct client *from, const char *nick, struct outmsg *m)
{
	return log_offline(from, nick, m, HIST_PRIVMSG, NULL);
}

bool history_log_offline_multiline(struct client *from, const char *nick, struct outmsg *m,
				   const char *command, GPtrArray *texts, GArray *concat)
{
	return log_offline(from, nick, m, HIST_MULTILINE,
			   multiline_line(from, command, nick, texts, concat));
}

void history_deliver_offline(struct client *c)
{
	g_autoptr(GPtrArray) rows = NULL;
	struct record *r;
	int64_t upto = 0;

	if (!h.enabled || c->account == NULL)
		return;
	rows = reader_offline(c->account->folded, &upto);
	if (upto == 0)
		return;
	/* With their original time (server-time) where the client has it. */
	history_send_rows(c, rows, false);
	r = g_new0(struct record, 1);
	r->op = OP_DELIVERED;
	r->offline_for = g_strdup(c->account->folded);
	r->upto_id = upto;
	push(r);
}

void history_redact(const char *msgid, struct outmsg *m)
{
	struct record *r;

	if (!h.enabled)
		return;
	recent_redact(msgid);
	r = g_new0(struct record, 1);
	r->op = OP_REDACT;
	g_strlcpy(r->msgid, msgid, sizeof(r->msgid));
	logged(m, r, NULL);
}

void history_set_read_marker(const char *owner, const char *target, int64_t time_ms)
{
	struct record *r;
	struct marker *mk;

	if (!h.enabled)
		return;
	r = g_new0(struct record, 1);
	r->op = OP_MARKER;
	r->sender = g_strdup(owner);
	r->target = g_strdup(target);
	r->time_ms = time_ms;
	/* Until the writer has it, readers look here. */
	mk = g_new0(struct marker, 1);
	mk->time_ms = time_ms;
	mk->seq = push(r);
	g_hash_table_replace(h.markers, g_strconcat(owner, " ", target, NULL), mk);
}

/* --- read markers -------------------------------------------------------- */

int64_t history_read_marker(const char *owner, const char *target)
{
	g_autofree char *key = NULL;
	struct marker *mk;

	if (!h.enabled)
		return 0;
	key = g_strconcat(owner, " ", target, NULL);
	mk = g_hash_table_lookup(h.markers, key);
	if (mk != NULL) {
		if (!history_committed(mk->seq))
			return mk->time_ms; /* markers only move forwards */
		g_hash_table_remove(h.markers, key);
	}
	return reader_marker(owner, target);
}

/* --- sending rows ------------------------------------------------------- */

/* Appends "@time=...;msgid=...;+tags " to @line as @to's capabilities
 * (or @force_tags) ask; no msgid when @msgid is NULL. */
static void row_tags(GString *line, struct client *to, const struct history_row *row,
		     const char *msgid, bool force_tags)
{
	char when[32];
	bool first = true;

	if (force_tags || (to->caps & CAP_SERVER_TIME)) {
		history_format_time(row->time_ms, when, sizeof(when));
		g_string_append_printf(line, "@time=%s", when);
		first = false;
	}
	if (force_tags || (to->caps & CAP_MESSAGE_TAGS)) {
		if (msgid != NULL) {
			g_string_append_printf(line, "%smsgid=%s", first ? "@" : ";", msgid);
			first = false;
		}
		if (row->tags != NULL && (to->caps & CAP_MESSAGE_TAGS)) {
			g_string_append_printf(line, "%s%s", first ? "@" : ";", row->tags);
			first = false;
		}
	}
	if (!first)
		g_string_append_c(line, ' ');
}

/* Appends @text and CRLF to @line, cut (at a UTF-8 character) so that
 * the body, @used bytes before @text, stays within 510 bytes: a sender's
 * line fitted without its nick!user@host in front. */
static void append_cut(GString *line, const char *text, size_t used)
{
	size_t room = used < IRC_LINE_MAX - 2 ? IRC_LINE_MAX - 2 - used : 0;
	size_t len = strlen(text);

	if (len > room) {
		len = room;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	g_string_append_len(line, text, (gssize)len);
	g_string_append(line, "\r\n");
}

/* A HIST_MULTILINE row (see history.h): one draft/multiline batch from its
 * sender to a client with draft/multiline and batch, else its non-blank
 * lines, only the first with the message's msgid. */
static void send_multiline_row(struct client *to, const struct history_row *row,
			       bool force_tags, GString *line)
{
	g_auto(GStrv) parts = g_strsplit(row->line, "\n", -1);
	g_auto(GStrv) head = g_strsplit(parts[0], " ", 3); /* :source COMMAND target */
	bool whole = (to->caps & (CAP_MULTILINE | CAP_BATCH)) == (CAP_MULTILINE | CAP_BATCH);
	bool first = true;

	if (g_strv_length(head) != 3)
		return;
	if (whole) {
		g_string_truncate(line, 0);
		row_tags(line, to, row, row->msgid, force_tags);
		send_batch_begin_from(to, line->str, head[0] + 1, "draft/multiline", head[2]);
	}
	for (int i = 1; parts[i] != NULL; i++) {
		const char *text = parts[i][0] != '\0' ? parts[i] + 1 : "";
		bool concat = parts[i][0] == '+';
		g_string_truncate(line, 0);
		if (whole) {
			if (concat)
				g_string_append(line, "@draft/multiline-concat ");
		} else {
			if (text[0] == '\0')
				continue;
			row_tags(line, to, row, first ? row->msgid : NULL, force_tags);
			first = false;
		}
		g_string_append_printf(line, "%s :", parts[0]);
		append_cut(line, text, strlen(parts[0]) + 2);
		send_raw(to, line->str, line->len);
	}
	if (whole)
		send_batch_end(to);
}

void history_send_rows(struct client *to, GPtrArray *rows, bool force_tags)
{
	GString *line = g_string_sized_new(600);

	for (guint i = 0; i < rows->len; i++) {
		const struct history_row *row = g_ptr_array_index(rows, i);

		/* TAGMSG is only ever sent to clients with message-tags. */
		if (row->kind == HIST_TAGMSG && !(to->caps & CAP_MESSAGE_TAGS))
			continue;
		if (row->kind == HIST_MULTILINE) {
			send_multiline_row(to, row, force_tags, line);
			continue;
		}
		g_string_truncate(line, 0);
		row_tags(line, to, row, row->msgid, force_tags);
		g_string_append(line, row->line);
		g_string_append(line, "\r\n");
		send_raw(to, line->str, line->len);
	}
	g_string_free(line, TRUE);
}

/* --- join times and replay on join ------------------------------------- */

int64_t history_joined_at(struct channel *ch, struct client *c)
{
	return channel_member_joined_ms(ch, c);
}

void history_replay_on_join(struct client *c, struct channel *ch)
{
	g_autofree char *key = NULL;
	GPtrArray *rows;
	int n = h.cfg.replay_on_join;

	if (!h.enabled || n <= 0 || (c->caps & CAP_CHATHISTORY) ||
	    !history_room_before_join(ch))
		return;
	key = room_key(ch->name);
	rows = history_query(key, NULL, NULL, true, n, HIST_LAST_MESSAGE_KIND, 0);
	history_send_rows(c, rows, false);
	g_ptr_array_free(rows, TRUE);
}

bool history_room_before_join(const struct channel *ch)
{
	const struct history_config *cfg = &server.cfg->history;

	for (guint i = 0; cfg->rooms != NULL && i < cfg->rooms->len; i++) {
		const struct history_room_config *rc = g_ptr_array_index(cfg->rooms, i);
		if (irc_casecmp(rc->name, ch->name) == 0 && rc->before_join >= 0)
			return rc->before_join != 0;
	}
	return cfg->before_join;
}
