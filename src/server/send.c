/* send.c - formatting and queueing outgoing lines (see send.h). */
#include "send.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "accounts.h"
#include "channel.h"
#include "client.h"
#include "conn.h"
#include "registry.h"
#include "server.h"

/* Longest line we send without tags, before CRLF. */
#define BODY_MAX 510

static void state_queue(struct client *to, const char *data, size_t len);

static void raw_queue(struct client *to, const char *data, size_t len)
{
	if (to->conn != NULL)
		conn_send(to->conn, data, len);
}

/* Every line to a client passes here: without open batches or a pending
 * label (the common case) it goes straight to the output queue. */
static void queue(struct client *to, const char *data, size_t len)
{
	if (to->send_state == NULL)
		raw_queue(to, data, len);
	else
		state_queue(to, data, len);
}

/* Returns how many bytes of @s (length @len) fit in @max without
 * splitting a UTF-8 character. */
static size_t utf8_fit(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* Cuts @s to at most BODY_MAX bytes without splitting a UTF-8 character. */
static void truncate_body(GString *s)
{
	g_string_truncate(s, utf8_fit(s->str, s->len, BODY_MAX));
}

void send_line(struct client *to, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = (int)utf8_fit(buf, MIN((size_t)n, sizeof(buf) - 3), BODY_MAX);
	buf[n++] = '\r';
	buf[n++] = '\n';
	queue(to, buf, (size_t)n);
}

void send_numeric(struct client *to, const char *fmt, ...)
{
	GString *line = g_string_sized_new(128);
	va_list ap;

	g_string_printf(line, ":%s %.3s %s ", server.cfg->name, fmt, client_nick(to));
	va_start(ap, fmt);
	g_string_append_vprintf(line, fmt + 4, ap);
	va_end(ap);
	truncate_body(line);
	g_string_append(line, "\r\n");
	queue(to, line->str, line->len);
	g_string_free(line, TRUE);
}

void send_numeric_list(struct client *to, const char *fmt, const char *arg, GPtrArray *items,
		       char sep)
{
	g_autoptr(GString) list = g_string_new(NULL);
	g_autofree char *empty = NULL;
	size_t room;

	if (items->len == 0)
		return;
	/* The line with an empty list shows what the rest of it takes. */
	empty = arg != NULL ? g_strdup_printf(fmt + 4, arg, "") : g_strdup_printf(fmt + 4, "");
	room = strlen(server.cfg->name) + strlen(client_nick(to)) + strlen(empty) + 7;
	room = room < BODY_MAX ? BODY_MAX - room : 0;
	for (guint i = 0; i < items->len; i++) {
		const char *item = g_ptr_array_index(items, i);
		size_t need = strlen(item) + (list->len > 0 ? 1 : 0);
		if (list->len > 0 && list->len + need > room) {
			if (arg != NULL)
				send_numeric(to, fmt, arg, list->str);
			else
				send_numeric(to, fmt, list->str);
			g_string_truncate(list, 0);
		}
		if (list->len > 0)
			g_string_append_c(list, sep);
		g_string_append(list, item);
	}
	if (arg != NULL)
		send_numeric(to, fmt, arg, list->str);
	else
		send_numeric(to, fmt, list->str);
}

void send_fail(struct client *to, const char *command, const char *code, const char *text)
{
	send_line(to, ":%s FAIL %s %s :%s", server.cfg->name, command, code, text);
}

void send_format_time(int64_t ms, char *out, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char base[24];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03dZ", base, (int)(ms % 1000));
}

void send_raw(struct client *to, const char *data, size_t len)
{
	queue(to, data, len);
}

void outmsg_init(struct outmsg *m, const struct irc_message *origin)
{
	m->msgid_seq = ++server.msgid_seq;
	m->time_us = server_wall_us();
	m->source = m->command = NULL;
	m->nparams = 0;
	m->client_tags = NULL;
	m->account = NULL;
	m->msgid[0] = m->time[0] = '\0';
	m->body_len = 0;
	m->hist_seq = 0;
	for (int i = 0; i < OUTMSG_VARIANTS; i++)
		m->wire[i] = NULL;
	if (origin == NULL)
		return;
	for (int i = 0; i < origin->ntags; i++) {
		const struct irc_tag *tag = &origin->tags[i];
		if (tag->key[0] != '+')
			continue;
		if (m->client_tags == NULL)
			m->client_tags = g_string_new(NULL);
		else
			g_string_append_c(m->client_tags, ';');
		g_string_append(m->client_tags, tag->key);
		if (tag->value[0] != '\0') {
			g_string_append_c(m->client_tags, '=');
			irc_tag_escape(m->client_tags, tag->value);
		}
	}
}

void outmsg_add_tag(struct outmsg *m, const char *key, const char *value)
{
	if (m->client_tags == NULL)
		m->client_tags = g_string_new(NULL);
	else
		g_string_append_c(m->client_tags, ';');
	g_string_append(m->client_tags, key);
	if (value != NULL && value[0] != '\0') {
		g_string_append_c(m->client_tags, '=');
		irc_tag_escape(m->client_tags, value);
	}
}

const char *outmsg_msgid(struct outmsg *m)
{
	if (m->msgid[0] == '\0')
		snprintf(m->msgid, sizeof(m->msgid), "%s%llx", server.msgid_prefix,
			 (unsigned long long)m->msgid_seq);
	return m->msgid;
}

const char *outmsg_time(struct outmsg *m)
{
	if (m->time[0] == '\0') {
		time_t secs = (time_t)(m->time_us / 1000000);
		struct tm tm;
		char base[24];
		gmtime_r(&secs, &tm);
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(m->time, sizeof(m->time), "%s.%03dZ", base,
			 (int)(m->time_us % 1000000 / 1000));
	}
	return m->time;
}

void outmsg_printf(struct outmsg *m, const char *fmt, ...)
{
	char text[2048];
	struct irc_message parsed;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	m->body_len = utf8_fit(text, MIN((size_t)n, sizeof(text) - 1), BODY_MAX);
	memcpy(m->body, text, m->body_len);
	/* The structured view: a split copy of the body. */
	memcpy(m->parsed, text, m->body_len);
	m->parsed[m->body_len] = '\0';
	if (irc_message_parse(&parsed, m->parsed) == IRC_PARSE_OK) {
		m->source = parsed.source;
		m->command = parsed.command;
		m->nparams = parsed.nparams;
		for (int i = 0; i < parsed.nparams; i++)
			m->params[i] = parsed.params[i];
	}
	m->body[m->body_len++] = '\r';
	m->body[m->body_len++] = '\n';
}

/* Appends @s to the body, keeping room for CRLF; false when full. */
static bool body_add(struct outmsg *m, const char *s)
{
	size_t len = strlen(s), room = BODY_MAX - m->body_len;

	if (len > room) {
		len = utf8_fit(s, len, room);
		memcpy(m->body + m->body_len, s, len);
		m->body_len += len;
		return false;
	}
	memcpy(m->body + m->body_len, s, len);
	m->body_len += len;
	return true;
}

void outmsg_compose(struct outmsg *m, const char *source, const char *command,
		    const char *target, const char *text)
{
	m->source = source;
	m->command = command;
	m->params[0] = target;
	m->params[1] = text;
	m->nparams = text != NULL ? 2 : 1;
	m->body_len = 0;
	(void)(body_add(m, ":") && body_add(m, source) && body_add(m, " ") &&
	       body_add(m, command) && body_add(m, " ") && body_add(m, target) &&
	       (text == NULL || (body_add(m, " :") && body_add(m, text))));
	m->body[m->body_len++] = '\r';
	m->body[m->body_len++] = '\n';
}

void outmsg_clear(struct outmsg *m)
{
	if (m->client_tags != NULL)
		g_string_free(m->client_tags, TRUE);
	for (int i = 0; i < OUTMSG_VARIANTS; i++)
		if (m->wire[i] != NULL)
			g_string_free(m->wire[i], TRUE);
}

void outmsg_from(struct outmsg *m, const struct client *c)
{
	m->account = c->account != NULL ? c->account->name : NULL;
}

static int variant_of(const struct outmsg *m, const struct client *to)
{
	return ((to->caps & CAP_SERVER_TIME) ? 1 : 0) | ((to->caps & CAP_MESSAGE_TAGS) ? 2 : 0) |
	       ((to->caps & CAP_ACCOUNT_TAG) && m->account != NULL ? 4 : 0);
}

static GString *build_variant(struct outmsg *m, int variant)
{
	GString *w = g_string_sized_new(m->body_len + 64);
	bool first = true;

	if (variant & 1) {
		g_string_append_printf(w, "@time=%s", outmsg_time(m));
		first = false;
	}
	if ((variant & 2) && m->msgid_seq != 0) { /* 0: a line without a msgid */
		g_string_append_printf(w, "%smsgid=%s", first ? "@" : ";", outmsg_msgid(m));
		first = false;
	}
	if ((variant & 2) && m->client_tags != NULL) {
		g_string_append_printf(w, "%s%s", first ? "@" : ";", m->client_tags->str);
		first = false;
	}
	if (variant & 4) {
		g_string_append_printf(w, "%saccount=%s", first ? "@" : ";", m->account);
		first = false;
	}
	if (!first)
		g_string_append_c(w, ' ');
	g_string_append_len(w, m->body, (gssize)m->body_len);
	return w;
}

void outmsg_send(struct outmsg *m, struct client *to)
{
	int variant = variant_of(m, to);

	if (m->hist_seq != 0 && to->conn != NULL)
		to->conn->hold_seq = m->hist_seq;
	if (variant == 0) {
		queue(to, m->body, m->body_len);
		return;
	}
	if (m->wire[variant] == NULL)
		m->wire[variant] = build_variant(m, variant);
	queue(to, m->wire[variant]->str, m->wire[variant]->len);
}

void outmsg_to_channel(struct outmsg *m, struct channel *ch, struct client *skip,
		       unsigned need_caps)
{
	guint n = channel_member_count(ch);

	for (guint i = 0; i < n; i++) {
		struct client *member = channel_member_at(ch, i);
		if (member != skip && (member->caps & need_caps) == need_caps)
			outmsg_send(m, member);
	}
}

/* Marks clients already sent one outmsg_to_neighbours() message. */
static uint32_t generation;

void outmsg_to_neighbours(struct outmsg *m, struct client *c, bool self, unsigned need_caps)
{
	generation++;
	c->mark = generation;
	if (self && (c->caps & need_caps) == need_caps)
		outmsg_send(m, c);
	for (unsigned i = 0; i < client_channel_count(c); i++) {
		struct channel *ch = client_channel_at(c, i);
		guint n = channel_member_count(ch);
		for (guint j = 0; j < n; j++) {
			struct client *member = channel_member_at(ch, j);
			if (member->mark == generation)
				continue;
			member->mark = generation;
			if ((member->caps & need_caps) == need_caps)
				outmsg_send(m, member);
		}
	}
}

void outmsg_to_watchers(struct outmsg *m, struct client *c, unsigned need_caps)
{
	GPtrArray *list = registry_monitor_watchers(c);

	need_caps |= CAP_EXTENDED_MONITOR;
	for (guint i = 0; list != NULL && i < list->len; i++) {
		struct client *w = g_ptr_array_index(list, i);
		if (w->mark == generation || (w->caps & need_caps) != need_caps)
			continue;
		w->mark = generation;
		outmsg_send(m, w);
	}
}

/* --- batches and labeled responses --------------------------------------- */

/* The longest label we honour (IRCv3 labeled-response: at most 64 bytes). */
#define LABEL_MAX 64

struct send_state {
	GPtrArray *batches;  /* ids of open batches, innermost last; "" when not sent */
	char *label;         /* label of the command being answered, or NULL */
	GString *held;       /* its first reply line, until we know if more follow */
	bool label_sent;     /* the label went out (on a line or a batch) */
};

static struct send_state *state_of(struct client *c)
{
	if (c->send_state == NULL) {
		c->send_state = g_new0(struct send_state, 1);
		c->send_state->batches = g_ptr_array_new_with_free_func(g_free);
	}
	return c->send_state;
}

static void state_release_if_idle(struct client *c)
{
	struct send_state *st = c->send_state;

	if (st != NULL && st->batches->len == 0 && st->label == NULL)
		send_state_free(c);
}

void send_state_free(struct client *c)
{
	struct send_state *st = c->send_state;

	if (st == NULL)
		return;
	g_ptr_array_free(st->batches, TRUE);
	g_free(st->label);
	if (st->held != NULL)
		g_string_free(st->held, TRUE);
	g_free(st);
	c->send_state = NULL;
}

/* Queues @data with one more tag "@key=value" in front of its own. */
static void queue_tagged(struct client *to, const char *key, const char *value,
			 const char *data, size_t len)
{
	GString *line = g_string_sized_new(len + 80);

	g_string_append_printf(line, "@%s=", key);
	irc_tag_escape(line, value);
	if (data[0] == '@')
		g_string_append_c(line, ';'), g_string_append_len(line, data + 1, (gssize)len - 1);
	else
		g_string_append_c(line, ' '), g_string_append_len(line, data, (gssize)len);
	raw_queue(to, line->str, line->len);
	g_string_free(line, TRUE);
}

static char *new_batch_id(void)
{
	static uint64_t seq;

	return g_strdup_printf("%llx", (unsigned long long)++seq);
}

/* Opens the labeled-response batch and moves the held line into it. */
static void open_label_batch(struct client *c, struct send_state *st)
{
	char *id = new_batch_id();
	char line[128];
	int n = snprintf(line, sizeof(line), ":%s BATCH +%s labeled-response\r\n",
			 server.cfg->name, id);

	queue_tagged(c, "label", st->label, line, (size_t)n);
	st->label_sent = true;
	g_ptr_array_add(st->batches, id);
	if (st->held != NULL) {
		queue_tagged(c, "batch", id, st->held->str, st->held->len);
		g_string_free(st->held, TRUE);
		st->held = NULL;
	}
}

/* Sends the held line with the label (a response of one line so far). */
static void release_held(struct client *c, struct send_state *st)
{
	if (st->held == NULL)
		return;
	queue_tagged(c, "label", st->label, st->held->str, st->held->len);
	st->label_sent = true;
	g_string_free(st->held, TRUE);
	st->held = NULL;
}

static void state_queue(struct client *to, const char *data, size_t len)
{
	struct send_state *st = to->send_state;

	if (st->batches->len > 0) {
		const char *id = g_ptr_array_index(st->batches, st->batches->len - 1);
		if (id[0] != '\0') {
			queue_tagged(to, "batch", id, data, len);
			return;
		}
		/* A batch not sent (no batch capability): plain lines. */
	}
	if (st->label == NULL || st->label_sent) {
		raw_queue(to, data, len);
		return;
	}
	if (st->held == NULL) {
		st->held = g_string_new_len(data, (gssize)len);
		return;
	}
	/* A second line: the response is several lines. */
	if (to->caps & CAP_BATCH) {
		open_label_batch(to, st);
		state_queue(to, data, len);
	} else {
		/* Without batch only one line of the response is labeled. */
		release_held(to, st);
		raw_queue(to, data, len);
	}
}

void send_batch_begin(struct client *to, const char *type, const char *params)
{
	send_batch_begin_from(to, "", server.cfg->name, type, params);
}

void send_batch_begin_from(struct client *to, const char *tags, const char *source,
			   const char *type, const char *params)
{
	struct send_state *st = state_of(to);
	char *id;

	if (!(to->caps & CAP_BATCH)) {
		g_ptr_array_add(st->batches, g_strdup(""));
		return;
	}
	/* A labeled command that opens a batch answers with several lines:
	 * its labeled-response batch must open first, around this one. */
	if (st->label != NULL && !st->label_sent && st->batches->len == 0)
		open_label_batch(to, st);
	id = new_batch_id();
	send_line(to, "%s:%s BATCH +%s %s%s%s", tags, source, id, type,
		  params != NULL ? " " : "", params != NULL ? params : "");
	g_ptr_array_add(st->batches, id);
}

void send_batch_end(struct client *to)
{
	struct send_state *st = to->send_state;
	char *id;

	if (st == NULL || st->batches->len == 0)
		return;
	id = g_ptr_array_steal_index(st->batches, st->batches->len - 1);
	if (id[0] != '\0')
		send_line(to, ":%s BATCH -%s", server.cfg->name, id);
	g_free(id);
	state_release_if_idle(to);
}

void send_label_begin(struct client *c, const char *label)
{
	struct send_state *st;

	if (!(c->caps & CAP_LABELED_RESPONSE) || label == NULL || label[0] == '\0' ||
	    strlen(label) > LABEL_MAX)
		return;
	st = state_of(c);
	g_free(st->label);
	st->label = g_strdup(label);
	st->label_sent = false;
}

void send_label_end(struct client *c)
{
	struct send_state *st = c->send_state;

	if (st == NULL || st->label == NULL)
		return;
	if (st->label_sent && st->batches->len > 0) {
		/* The labeled-response batch is the outermost: close any batch a
		 * handler left open, then it. */
		while (st->batches->len > 1)
			send_batch_end(c);
		char *id = g_ptr_array_steal_index(st->batches, 0);
		send_line(c, ":%s BATCH -%s", server.cfg->name, id);
		g_free(id);
	} else if (st->held != NULL) {
		release_held(c, st);
	} else if (!st->label_sent) {
		char line[128];
		int n = snprintf(line, sizeof(line), ":%s ACK\r\n", server.cfg->name);
		queue_tagged(c, "label", st->label, line, (size_t)n);
	}
	g_clear_pointer(&st->label, g_free);
	st->label_sent = false;
	state_release_if_idle(c);
}

char *send_label_take(struct client *c)
{
	struct send_state *st = c->send_state;
	char *label;

	if (st == NULL || st->label == NULL)
		return NULL;
	if (st->held != NULL || st->label_sent) {
		send_label_end(c);
		return NULL;
	}
	label = st->label;
	st->label = NULL;
	state_release_if_idle(c);
	return label;
}
