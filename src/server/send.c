/* send.c - formatting and queueing outgoing lines (see send.h). */
#include "send.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "channel.h"
#include "client.h"
#include "conn.h"
#include "server.h"

/* Longest line we send without tags, before CRLF. */
#define BODY_MAX 510

static void queue(struct client *to, const char *data, size_t len)
{
	if (to->conn != NULL)
		conn_send(to->conn, data, len);
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

void send_fail(struct client *to, const char *command, const char *code, const char *text)
{
	send_line(to, ":%s FAIL %s %s :%s", server.cfg->name, command, code, text);
}

static void make_time_tag(char *out, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char base[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

void outmsg_init(struct outmsg *m, const struct irc_message *origin)
{
	m->client_tags = NULL;
	m->msgid[0] = m->time[0] = '\0';
	m->body_len = 0;
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

void outmsg_printf(struct outmsg *m, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	m->body_len = utf8_fit(text, MIN((size_t)n, sizeof(text) - 1), BODY_MAX);
	memcpy(m->body, text, m->body_len);
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

static int variant_of(const struct client *to)
{
	return ((to->caps & CAP_SERVER_TIME) ? 1 : 0) | ((to->caps & CAP_MESSAGE_TAGS) ? 2 : 0);
}

static GString *build_variant(struct outmsg *m, int variant)
{
	GString *w = g_string_sized_new(m->body_len + 64);
	bool first = true;

	if (variant & 1) {
		if (m->time[0] == '\0')
			make_time_tag(m->time, sizeof(m->time));
		g_string_append_printf(w, "@time=%s", m->time);
		first = false;
	}
	if (variant & 2) {
		if (m->msgid[0] == '\0')
			snprintf(m->msgid, sizeof(m->msgid), "%s%llx", server.msgid_prefix,
				 (unsigned long long)++server.msgid_seq);
		g_string_append_printf(w, "%smsgid=%s", first ? "@" : ";", m->msgid);
		if (m->client_tags != NULL)
			g_string_append_printf(w, ";%s", m->client_tags->str);
		first = false;
	}
	if (!first)
		g_string_append_c(w, ' ');
	g_string_append_len(w, m->body, (gssize)m->body_len);
	return w;
}

void outmsg_send(struct outmsg *m, struct client *to)
{
	int variant = variant_of(to);

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

void outmsg_to_neighbours(struct outmsg *m, struct client *c, bool self, unsigned need_caps)
{
	static uint32_t generation;

	generation++;
	c->mark = generation;
	if (self && (c->caps & need_caps) == need_caps)
		outmsg_send(m, c);
	for (guint i = 0; i < c->channels->len; i++) {
		struct channel *ch = g_ptr_array_index(c->channels, i);
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
