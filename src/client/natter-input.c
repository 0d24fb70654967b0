/* natter-input.c - parsing and cleaning what a person typed (see natter-input.h). */
#include "natter-input.h"

#include <string.h>

#include "irc_message.h"
#include "irc_names.h"

/* Room left for the ":nick!user@host " the server puts in front when it
 * relays: ':' + nick + '!' + user (<= 10) + '@' + host (<= 63) + ' '. */
#define SOURCE_USER_HOST_RESERVE (1 + 1 + 10 + 1 + 63 + 1)

char *natter_input_sanitize(const char *text, gssize len)
{
	if (text == NULL)
		return g_strdup("");
	if (len < 0)
		len = (gssize)strlen(text);

	GString *out = g_string_sized_new((gsize)len);
	for (gssize i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\r' || c == '\n' || c == '\t')
			g_string_append_c(out, ' ');
		else if (c == '\0' || c == 0x01 || c == 0x7f)
			continue;
		else if (c < 0x20 && c != 0x02 && c != 0x03 && c != 0x0f &&
			 c != 0x11 && c != 0x16 && c != 0x1d && c != 0x1e &&
			 c != 0x1f)
			continue; /* keep only the IRC formatting codes */
		else
			g_string_append_c(out, (char)c);
	}
	char *valid = g_utf8_make_valid(out->str, (gssize)out->len);
	g_string_free(out, TRUE);
	return valid;
}

char **natter_input_split(const char *text, gsize max_bytes)
{
	GPtrArray *parts = g_ptr_array_new();
	const char *p = text;

	if (max_bytes < 4)
		max_bytes = 4; /* room for one character of any size */
	while (*p != '\0') {
		gsize rest = strlen(p);
		if (rest <= max_bytes) {
			g_ptr_array_add(parts, g_strdup(p));
			break;
		}
		/* The last character boundary at or before max_bytes. */
		const char *end = p;
		const char *space = NULL;
		while (*end != '\0') {
			const char *next = g_utf8_next_char(end);
			if ((gsize)(next - p) > max_bytes)
				break;
			if (*end == ' ')
				space = end;
			end = next;
		}
		if (end == p) /* cannot happen with max_bytes >= 4 */
			end = g_utf8_next_char(p);
		/* Prefer a word boundary in the last third of the piece; the
		 * space there is dropped (servers trim trailing spaces). */
		if (space != NULL && (gsize)(space - p) > max_bytes * 2 / 3) {
			g_ptr_array_add(parts, g_strndup(p, (gsize)(space - p)));
			p = space + 1;
			continue;
		}
		g_ptr_array_add(parts, g_strndup(p, (gsize)(end - p)));
		p = end;
	}
	g_ptr_array_add(parts, NULL);
	return (char **)g_ptr_array_free(parts, FALSE);
}

gsize natter_input_text_budget(const char *command, const char *target,
			       const char *nick)
{
	gsize used = 2 /* CRLF */ + strlen(command) + 1 + strlen(target) + 2 /* " :" */ +
		     SOURCE_USER_HOST_RESERVE +
		     (nick != NULL ? strlen(nick) : IRC_NICK_MAX);
	if (used + 16 > IRC_LINE_MAX)
		return 16;
	return IRC_LINE_MAX - used;
}

void natter_input_free(NatterInput *input)
{
	if (input == NULL)
		return;
	g_free(input->target);
	g_free(input->text);
	g_free(input->error);
	g_free(input);
}

static NatterInput *input_new(NatterInputKind kind, const char *target, const char *text)
{
	NatterInput *in = g_new0(NatterInput, 1);
	in->kind = kind;
	in->target = g_strdup(target);
	in->text = (text != NULL && *text != '\0') ? g_strdup(text) : NULL;
	return in;
}

static NatterInput *input_invalid(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static NatterInput *input_invalid(const char *fmt, ...)
{
	NatterInput *in = g_new0(NatterInput, 1);
	va_list ap;

	in->kind = NATTER_INPUT_INVALID;
	va_start(ap, fmt);
	in->error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return in;
}

/* Cuts the first space-separated word off *@rest; returns it (g_free). */
static char *next_word(const char **rest)
{
	const char *p = *rest;
	while (*p == ' ')
		p++;
	const char *end = p;
	while (*end != '\0' && *end != ' ')
		end++;
	char *word = g_strndup(p, (gsize)(end - p));
	while (*end == ' ')
		end++;
	*rest = end;
	return word;
}

static NatterInput *parse_message_to(const char *target, const char *text, const char *how)
{
	if (*target == '\0')
		return input_invalid("Say who the message is for: %s name text", how);
	if (!irc_nick_is_valid(target) && !irc_channel_is_valid(target))
		return input_invalid("“%s” is not a valid name.", target);
	return input_new(NATTER_INPUT_MSG, target, text);
}

gboolean natter_input_check_nick(const char *nick, char **why)
{
	static const char specials[] = "-[]\\`_^{|}";
	static const char allowed[] =
		"Use the letters a–z and A–Z (no accents), digits, and - [ ] \\ ` _ ^ { | }.";
	gsize len = nick != NULL ? strlen(nick) : 0;

	if (why != NULL)
		*why = NULL;
	if (len == 0) {
		if (why != NULL)
			*why = g_strdup("Type a name.");
		return FALSE;
	}
	if (!g_utf8_validate(nick, -1, NULL)) {
		if (why != NULL)
			*why = g_strdup_printf("It is not valid text. %s", allowed);
		return FALSE;
	}
	/* Name the first character a nickname cannot hold, as it was typed. */
	for (const char *p = nick; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 128 && (g_ascii_isalnum((char)c) || strchr(specials, (int)c) != NULL))
			continue;
		if (why != NULL) {
			char shown[8] = { 0 };
			if (c == ' ')
				g_strlcpy(shown, "space", sizeof(shown));
			else if (g_unichar_isprint(c))
				g_unichar_to_utf8(c, shown);
			else
				g_snprintf(shown, sizeof(shown), "U+%04X", c);
			*why = g_strdup_printf("A name cannot contain “%s”. %s", shown, allowed);
		}
		return FALSE;
	}
	if (g_ascii_isdigit(nick[0]) || nick[0] == '-') {
		if (why != NULL)
			*why = g_strdup_printf("Start with a letter a–z or A–Z, or one of [ ] \\ ` _ ^ { | }: a name cannot start with “%c”.",
					       nick[0]);
		return FALSE;
	}
	if (len > IRC_NICK_MAX) {
		if (why != NULL)
			*why = g_strdup_printf("A name can be at most %d characters long (this one has %zu).",
					       IRC_NICK_MAX, len);
		return FALSE;
	}
	if (!irc_nick_is_valid(nick)) { /* a rule not covered above */
		if (why != NULL)
			*why = g_strdup_printf("A name is 1–%d characters. %s", IRC_NICK_MAX, allowed);
		return FALSE;
	}
	return TRUE;
}

static NatterInput *parse_command(const char *cmdline)
{
	const char *rest = cmdline;
	g_autofree char *word = next_word(&rest);
	g_autofree char *cmd = g_ascii_strdown(word, -1);

	if (*cmd == '\0')
		return input_invalid("Type a command after the “/”.");
	if (strcmp(cmd, "join") == 0 || strcmp(cmd, "j") == 0) {
		g_autofree char *chan = next_word(&rest);
		if (*chan == '\0')
			return input_invalid("Which room? Type /join #room");
		if (!irc_is_channel(chan)) {
			char *with_hash = g_strconcat("#", chan, NULL);
			g_free(chan);
			chan = with_hash;
		}
		if (!irc_channel_is_valid(chan))
			return input_invalid("“%s” is not a valid room name.", chan);
		return input_new(NATTER_INPUT_JOIN, chan, NULL);
	}
	if (strcmp(cmd, "part") == 0 || strcmp(cmd, "leave") == 0) {
		const char *after = rest;
		g_autofree char *chan = next_word(&after);
		if (irc_is_channel(chan)) {
			if (!irc_channel_is_valid(chan))
				return input_invalid("“%s” is not a valid room name.", chan);
			return input_new(NATTER_INPUT_PART, chan, after);
		}
		return input_new(NATTER_INPUT_PART, NULL, rest);
	}
	if (strcmp(cmd, "msg") == 0 || strcmp(cmd, "query") == 0) {
		g_autofree char *target = next_word(&rest);
		return parse_message_to(target, rest, "/msg");
	}
	if (strcmp(cmd, "me") == 0) {
		if (*rest == '\0')
			return input_invalid("Type what you do after /me");
		return input_new(NATTER_INPUT_ME, NULL, rest);
	}
	if (strcmp(cmd, "nick") == 0) {
		g_autofree char *nick = next_word(&rest);
		if (*nick == '\0')
			return input_invalid("Type the new name after /nick");
		g_autofree char *why = NULL;
		if (!natter_input_check_nick(nick, &why))
			return input_invalid("“%s” cannot be a name. %s", nick, why);
		return input_new(NATTER_INPUT_NICK, nick, NULL);
	}
	if (strcmp(cmd, "away") == 0)
		return input_new(NATTER_INPUT_AWAY, NULL, *rest != '\0' ? rest : NULL);
	if (strcmp(cmd, "back") == 0)
		return input_new(NATTER_INPUT_AWAY, NULL, NULL);
	if (strcmp(cmd, "whois") == 0 || strcmp(cmd, "wi") == 0) {
		g_autofree char *nick = next_word(&rest);
		if (*nick == '\0')
			return input_invalid("Whom? Type /whois name");
		return input_new(NATTER_INPUT_WHOIS, nick, NULL);
	}
	if (strcmp(cmd, "list") == 0)
		return input_new(NATTER_INPUT_LIST, NULL, *rest != '\0' ? rest : NULL);
	if (strcmp(cmd, "topic") == 0)
		return input_new(NATTER_INPUT_TOPIC, NULL, rest);
	if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "exit") == 0)
		return input_new(NATTER_INPUT_QUIT, NULL, rest);

	/* Anything else goes to the server, which answers unknown ones. */
	g_autofree char *upper = g_ascii_strup(word, -1);
	for (const char *c = upper; *c != '\0'; c++)
		if (!g_ascii_isalnum(*c))
			return input_invalid("“/%s” is not a command.", word);
	NatterInput *in = input_new(NATTER_INPUT_RAW, upper, NULL);
	in->text = g_strdup(rest);
	return in;
}

NatterInput *natter_input_parse(const char *line)
{
	g_autofree char *clean = natter_input_sanitize(line, -1);
	const char *p = clean;

	if (g_strstrip(clean)[0] == '\0')
		return input_new(NATTER_INPUT_EMPTY, NULL, NULL);
	p = clean;
	if (p[0] == '/' && p[1] == '/')
		return input_new(NATTER_INPUT_SAY, NULL, p + 1);
	if (p[0] == '/')
		return parse_command(p + 1);
	if (p[0] == '@' && p[1] != '\0' && p[1] != ' ') {
		const char *rest = p + 1;
		g_autofree char *name = next_word(&rest);
		if (irc_nick_is_valid(name))
			return input_new(NATTER_INPUT_MSG, name, rest);
		/* "@ 5pm?" and the like are ordinary text. */
	}
	return input_new(NATTER_INPUT_SAY, NULL, p);
}
