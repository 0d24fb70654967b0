/* multiline.c - IRCv3 draft/multiline (see multiline.h). */
#include "multiline.h"

#include <string.h>

#include "channel.h"
#include "client.h"
#include "commands.h"
#include "conn.h"
#include "history.h"
#include "numerics.h"
#include "proto_limits.h"
#include "registry.h"
#include "send.h"
#include "server.h"

#define STR(x) #x
#define XSTR(x) STR(x)

struct multiline {
	char *ref;           /* the client's batch reference */
	char *target;
	char *command;       /* PRIVMSG or NOTICE, from the first line */
	GPtrArray *lines;    /* char * texts */
	GArray *concat;      /* gboolean per line: draft/multiline-concat */
	size_t bytes;
	char *label;         /* labeled-response label of the BATCH + line */
	const char *error;   /* a FAIL code once the batch broke a rule */
};

const char *multiline_cap_value(void)
{
	return "max-bytes=" XSTR(LIMIT_MULTILINE_BYTES) ",max-lines=" XSTR(LIMIT_MULTILINE_LINES);
}

void multiline_free(struct client *c)
{
	struct multiline *ml = c->multiline;

	if (ml == NULL)
		return;
	g_free(ml->ref);
	g_free(ml->target);
	g_free(ml->command);
	g_ptr_array_free(ml->lines, TRUE);
	g_array_free(ml->concat, TRUE);
	g_free(ml->label);
	g_free(ml);
	c->multiline = NULL;
}

static void batch_fail(struct client *c, const char *code, const char *context, const char *text)
{
	send_line(c, ":%s FAIL BATCH %s%s%s :%s", server.cfg->name, code,
		  context != NULL ? " " : "", context != NULL ? context : "", text);
}

bool multiline_take_line(struct client *c, const struct irc_message *msg)
{
	struct multiline *ml = c->multiline;
	const char *ref = irc_message_tag(msg, "batch");
	const char *text;
	gboolean concat; /* the array holds gboolean */

	if (ref == NULL || strcmp(ref, ml->ref) != 0)
		return false;
	if (ml->error != NULL)
		return true; /* already refused: the rest is dropped */
	if ((g_ascii_strcasecmp(msg->command, "PRIVMSG") != 0 &&
	     g_ascii_strcasecmp(msg->command, "NOTICE") != 0) || msg->nparams < 2) {
		ml->error = "MULTILINE_INVALID";
		return true;
	}
	if (ml->command == NULL)
		ml->command = g_ascii_strup(msg->command, -1);
	if (g_ascii_strcasecmp(msg->command, ml->command) != 0) {
		ml->error = "MULTILINE_INVALID";
		return true;
	}
	if (irc_casecmp(msg->params[0], ml->target) != 0) {
		ml->error = "MULTILINE_INVALID_TARGET";
		return true;
	}
	text = msg->params[1];
	concat = irc_message_tag(msg, "draft/multiline-concat") != NULL;
	if (concat && text[0] == '\0') {
		ml->error = "MULTILINE_INVALID"; /* concat on a blank line */
		return true;
	}
	ml->bytes += strlen(text) + (ml->lines->len > 0 && !concat ? 1 : 0);
	if (ml->lines->len + 1 > LIMIT_MULTILINE_LINES) {
		ml->error = "MULTILINE_MAX_LINES";
		return true;
	}
	if (ml->bytes > LIMIT_MULTILINE_BYTES) {
		ml->error = "MULTILINE_MAX_BYTES";
		return true;
	}
	g_ptr_array_add(ml->lines, g_strdup(text));
	g_array_append_val(ml->concat, concat);
	return true;
}

/* The recipients: the room's members (the sender only with echo-message),
 * or the one user (and the sender's echo). */
static GPtrArray *recipients(struct client *c, struct channel *ch, struct client *to)
{
	GPtrArray *out = g_ptr_array_new();

	if (ch != NULL) {
		for (guint i = 0; i < channel_member_count(ch); i++) {
			struct client *m = channel_member_at(ch, i);
			if (m != c || (c->caps & CAP_ECHO_MESSAGE))
				g_ptr_array_add(out, m);
		}
		if (channel_member_flags(ch, c) == 0 && (c->caps & CAP_ECHO_MESSAGE))
			g_ptr_array_add(out, c);
	} else {
		g_ptr_array_add(out, to);
		if (to != c && (c->caps & CAP_ECHO_MESSAGE))
			g_ptr_array_add(out, c);
	}
	return out;
}

/* One batch to a recipient with draft/multiline, from the sender, with the
 * msgid and time of the whole message on the opening line; nested in
 * whatever batch is open to @to (the sender's labeled-response), as
 * CHATHISTORY sends it back (history.c). */
static void send_as_batch(struct client *to, struct client *c, struct multiline *ml,
			  struct outmsg *whole, const char *target)
{
	g_autoptr(GString) line = g_string_new(NULL);

	if (to->caps & (CAP_MESSAGE_TAGS | CAP_SERVER_TIME)) {
		g_string_append_c(line, '@');
		if (to->caps & CAP_SERVER_TIME)
			g_string_append_printf(line, "time=%s", outmsg_time(whole));
		if (to->caps & CAP_MESSAGE_TAGS)
			g_string_append_printf(line, "%smsgid=%s", line->len > 1 ? ";" : "",
					       outmsg_msgid(whole));
		g_string_append_c(line, ' ');
	}
	send_batch_begin_from(to, line->str, c->prefix, "draft/multiline", target);
	for (guint i = 0; i < ml->lines->len; i++) {
		const char *text = g_ptr_array_index(ml->lines, i);
		size_t tags;
		g_string_assign(line, g_array_index(ml->concat, gboolean, i)
					      ? "@draft/multiline-concat " : "");
		tags = line->len;
		g_string_append_printf(line, ":%s %s %s :%s", c->prefix, ml->command, target, text);
		/* The body within 510 bytes, cut at a character. */
		if (line->len - tags > IRC_LINE_MAX - 2) {
			size_t len = tags + IRC_LINE_MAX - 2;
			while (len > tags && ((unsigned char)line->str[len] & 0xC0) == 0x80)
				len--;
			g_string_truncate(line, len);
		}
		g_string_append(line, "\r\n");
		send_raw(to, line->str, line->len);
	}
	send_batch_end(to);
}

/* The message @whole of @c to one recipient @m. */
static void send_to(struct client *m, struct client *c, struct multiline *ml,
		    struct outmsg *whole, const char *target)
{
	bool first = true;

	/* Shown only once stored, like any message ([history] durable_ack). */
	if (whole->hist_seq != 0 && m->conn != NULL)
		m->conn->hold_seq = whole->hist_seq;
	if ((m->caps & (CAP_MULTILINE | CAP_BATCH)) == (CAP_MULTILINE | CAP_BATCH)) {
		send_as_batch(m, c, ml, whole, target);
		return;
	}
	/* Without the cap: each line as its own message, at the message's
	 * time; the first with its msgid, the others with none, as
	 * CHATHISTORY sends them back. */
	for (guint i = 0; i < ml->lines->len; i++) {
		const char *text = g_ptr_array_index(ml->lines, i);
		struct outmsg one;
		if (text[0] == '\0')
			continue;
		outmsg_init(&one, NULL);
		one.msgid_seq = first ? whole->msgid_seq : 0;
		one.time_us = whole->time_us;
		first = false;
		outmsg_compose(&one, c->prefix, ml->command, target, text);
		outmsg_send(&one, m);
		outmsg_clear(&one);
	}
}

/* A PRIVMSG to an account nobody is logged in to: kept for its next login
 * (like a one-line one, cmd_message.c); false when @ml->target is none. */
static bool keep_offline(struct client *c, struct multiline *ml)
{
	struct outmsg whole;
	bool kept;

	outmsg_init(&whole, NULL);
	kept = history_log_offline_multiline(c, ml->target, &whole, ml->command, ml->lines,
					     ml->concat);
	if (kept && (c->caps & CAP_ECHO_MESSAGE))
		send_to(c, c, ml, &whole, ml->target);
	outmsg_clear(&whole);
	return kept;
}

static void deliver(struct client *c, struct multiline *ml)
{
	bool notice = strcmp(ml->command, "NOTICE") == 0;
	struct channel *ch = NULL;
	struct client *to = NULL;
	g_autoptr(GPtrArray) rcpt = NULL;
	struct outmsg whole;
	bool blank = true;

	for (guint i = 0; i < ml->lines->len; i++)
		if (((const char *)g_ptr_array_index(ml->lines, i))[0] != '\0')
			blank = false;
	if (blank) {
		batch_fail(c, "MULTILINE_INVALID", NULL, "A multiline message cannot be blank");
		return;
	}
	if (irc_is_channel(ml->target)) {
		ch = registry_find_channel(ml->target);
		if (ch == NULL) {
			if (!notice)
				send_numeric(c, ERR_NOSUCHCHANNEL, reply_param(ml->target));
			return;
		}
		if (!channel_can_send(ch, c)) {
			if (!notice)
				send_numeric(c, ERR_CANNOTSENDTOCHAN, ch->name);
			return;
		}
	} else {
		to = registry_find_nick(ml->target);
		if (to == NULL || !to->registered) {
			if (!notice && !keep_offline(c, ml))
				send_numeric(c, ERR_NOSUCHNICK, reply_param(ml->target));
			return;
		}
	}
	rcpt = recipients(c, ch, to);
	/* The whole message's id and time, stored as one history row (see
	 * history.h). */
	outmsg_init(&whole, NULL);
	history_log_multiline(c, ch, to, &whole, ml->command, ml->lines, ml->concat);
	for (guint r = 0; r < rcpt->len; r++)
		send_to(g_ptr_array_index(rcpt, r), c, ml, &whole, ch != NULL ? ch->name : to->nick);
	outmsg_clear(&whole);
	if (to != NULL && !notice && to->away != NULL)
		send_numeric(c, RPL_AWAY, to->nick, to->away);
}

void cmd_batch(struct client *c, struct irc_message *msg)
{
	const char *ref = msg->params[0];

	if (ref[0] == '+') {
		if (msg->nparams < 3 || strcmp(msg->params[1], "draft/multiline") != 0 ||
		    !(c->caps & CAP_MULTILINE)) {
			batch_fail(c, "MULTILINE_INVALID", NULL,
				   "Only draft/multiline batches (with the cap) are accepted");
			return;
		}
		if (c->multiline != NULL) {
			batch_fail(c, "MULTILINE_INVALID", NULL, "A multiline batch is already open");
			return;
		}
		if (ref[1] == '\0' || strlen(ref) > 64) {
			batch_fail(c, "MULTILINE_INVALID", NULL, "Invalid batch reference");
			return;
		}
		c->multiline = g_new0(struct multiline, 1);
		c->multiline->ref = g_strdup(ref + 1);
		c->multiline->target = g_strdup(msg->params[2]);
		c->multiline->lines = g_ptr_array_new_with_free_func(g_free);
		c->multiline->concat = g_array_new(FALSE, FALSE, sizeof(gboolean));
		/* The answer (the echo, or an error) comes at BATCH -. */
		c->multiline->label = send_label_take(c);
		return;
	}
	if (ref[0] != '-' || c->multiline == NULL || strcmp(ref + 1, c->multiline->ref) != 0) {
		batch_fail(c, "MULTILINE_INVALID", NULL, "No such open batch");
		return;
	}
	struct multiline *ml = c->multiline;
	send_label_begin(c, ml->label);
	if (ml->error != NULL) {
		const char *context = NULL;
		if (strcmp(ml->error, "MULTILINE_MAX_BYTES") == 0)
			context = XSTR(LIMIT_MULTILINE_BYTES);
		else if (strcmp(ml->error, "MULTILINE_MAX_LINES") == 0)
			context = XSTR(LIMIT_MULTILINE_LINES);
		else if (strcmp(ml->error, "MULTILINE_INVALID_TARGET") == 0)
			context = ml->target;
		batch_fail(c, ml->error, context != NULL ? reply_param(context) : NULL,
			   "Multiline message refused");
	} else if (ml->lines->len == 0 || ml->command == NULL) {
		batch_fail(c, "MULTILINE_INVALID", NULL, "Empty multiline batch");
	} else {
		deliver(c, ml);
	}
	send_label_end(c);
	multiline_free(c);
}
