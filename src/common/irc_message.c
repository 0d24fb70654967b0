/* irc_message.c - parse and format IRC lines (see irc_message.h). */
#include "irc_message.h"

#include <string.h>

static char *skip_spaces(char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Splits off the token at @p: NUL-terminates it and returns the rest. */
static char *cut_token(char *p)
{
	char *space = strchr(p, ' ');

	if (space == NULL)
		return p + strlen(p);
	*space = '\0';
	return skip_spaces(space + 1);
}

/* Unescapes an IRCv3 tag value in place. A trailing lone backslash is dropped
 * and an unknown escape stands for the character itself. */
static void unescape_tag_value(char *value)
{
	char *in = value, *out = value;

	while (*in != '\0') {
		if (*in != '\\') {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case ':': *out++ = ';'; break;
		case 's': *out++ = ' '; break;
		case 'r': *out++ = '\r'; break;
		case 'n': *out++ = '\n'; break;
		case '\0': continue;
		default: *out++ = *in; break;
		}
		in++;
	}
	*out = '\0';
}

static enum irc_parse_result parse_tags(struct irc_message *msg, char *tags)
{
	char *next;

	for (char *tag = tags; tag != NULL; tag = next) {
		next = strchr(tag, ';');
		if (next != NULL)
			*next++ = '\0';
		/* Skip empty tags and values without a key (format could not
		 * write the latter back). */
		if (*tag == '\0' || *tag == '=')
			continue;
		if (msg->ntags == IRC_MAX_TAGS)
			return IRC_PARSE_TOO_MANY_TAGS;
		char *eq = strchr(tag, '=');
		if (eq != NULL) {
			*eq = '\0';
			unescape_tag_value(eq + 1);
		}
		msg->tags[msg->ntags].key = tag;
		msg->tags[msg->ntags].value = eq != NULL ? eq + 1 : tag + strlen(tag);
		msg->ntags++;
	}
	return IRC_PARSE_OK;
}

enum irc_parse_result irc_message_parse(struct irc_message *msg, char *line)
{
	char *p = skip_spaces(line);
	enum irc_parse_result result;

	msg->ntags = 0;
	msg->nparams = 0;
	msg->source = NULL;
	msg->command = NULL;
	if (*p == '\0')
		return IRC_PARSE_EMPTY;
	if (*p == '@') {
		char *tags = p + 1;
		p = cut_token(p);
		result = parse_tags(msg, tags);
		if (result != IRC_PARSE_OK)
			return result;
	}
	if (*p == ':') {
		msg->source = p + 1;
		p = cut_token(p);
	}
	/* A command cannot start with '@': written out again, it would read as
	 * a tag section ("@ @x" would become "@x"). */
	if (*p == '\0' || *p == '@')
		return IRC_PARSE_NO_COMMAND;
	msg->command = p;
	p = cut_token(p);
	while (*p != '\0') {
		if (msg->nparams == IRC_MAX_PARAMS)
			return IRC_PARSE_TOO_MANY_PARAMS;
		if (*p == ':') {
			msg->params[msg->nparams++] = p + 1;
			break;
		}
		msg->params[msg->nparams++] = p;
		p = cut_token(p);
	}
	return IRC_PARSE_OK;
}

const char *irc_parse_result_str(enum irc_parse_result result)
{
	switch (result) {
	case IRC_PARSE_OK: return "OK";
	case IRC_PARSE_EMPTY: return "Empty line";
	case IRC_PARSE_NO_COMMAND: return "No command given";
	case IRC_PARSE_TOO_MANY_PARAMS: return "Too many parameters";
	case IRC_PARSE_TOO_MANY_TAGS: return "Too many message tags";
	}
	return "Unknown parse error";
}

const char *irc_message_tag(const struct irc_message *msg, const char *key)
{
	for (int i = msg->ntags - 1; i >= 0; i--)
		if (strcmp(msg->tags[i].key, key) == 0)
			return msg->tags[i].value;
	return NULL;
}

void irc_tag_escape(GString *out, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		switch (*p) {
		case ';': g_string_append(out, "\\:"); break;
		case ' ': g_string_append(out, "\\s"); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\n': g_string_append(out, "\\n"); break;
		default: g_string_append_c(out, *p); break;
		}
	}
}

bool irc_param_is_middle(const char *param)
{
	return param[0] != '\0' && param[0] != ':' && strchr(param, ' ') == NULL;
}

void irc_message_format(GString *out, const struct irc_message *msg)
{
	if (msg->ntags > 0) {
		g_string_append_c(out, '@');
		for (int i = 0; i < msg->ntags; i++) {
			if (i > 0)
				g_string_append_c(out, ';');
			g_string_append(out, msg->tags[i].key);
			if (msg->tags[i].value != NULL && msg->tags[i].value[0] != '\0') {
				g_string_append_c(out, '=');
				irc_tag_escape(out, msg->tags[i].value);
			}
		}
		g_string_append_c(out, ' ');
	}
	if (msg->source != NULL)
		g_string_append_printf(out, ":%s ", msg->source);
	g_string_append(out, msg->command);
	for (int i = 0; i < msg->nparams; i++) {
		bool last = i == msg->nparams - 1;
		g_string_append_c(out, ' ');
		if (last && !irc_param_is_middle(msg->params[i]))
			g_string_append_c(out, ':');
		g_string_append(out, msg->params[i]);
	}
}

char *irc_utf8_dup_truncated(const char *text, long max_chars)
{
	/* g_utf8_substring() needs an end within the string, so measure first. */
	if (g_utf8_strlen(text, -1) <= max_chars)
		return g_strdup(text);
	return g_utf8_substring(text, 0, max_chars);
}

static bool tag_name_char(char c)
{
	return g_ascii_isalnum(c) || c == '-';
}

bool irc_tag_key_is_valid(const char *key)
{
	const char *slash, *name;

	if (*key == '+')
		key++;
	slash = strchr(key, '/');
	name = slash != NULL ? slash + 1 : key;
	if (slash != NULL) {
		/* The vendor is a host name: letters, digits, '-' and '.'. */
		if (slash == key)
			return false;
		for (const char *p = key; p < slash; p++)
			if (!tag_name_char(*p) && *p != '.')
				return false;
	}
	if (*name == '\0')
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!tag_name_char(*p))
			return false;
	return true;
}

bool irc_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;

	/* Most chat is ASCII: check eight bytes at a time for a high bit and
	 * hand GLib only the rest, from the first non-ASCII byte on. */
	while (i + 8 <= len) {
		guint64 word;
		memcpy(&word, s + i, sizeof(word));
		if (word & G_GUINT64_CONSTANT(0x8080808080808080))
			break;
		i += 8;
	}
	while (i < len && !((unsigned char)s[i] & 0x80))
		i++;
	return i == len || g_utf8_validate_len(s + i, len - i, NULL);
}
