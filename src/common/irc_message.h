/* irc_message.h - the IRC line parser and formatter shared by natterd and natter.
 *
 * A message is `[@tags ][:source ]COMMAND [params...] [:trailing]` (Modern IRC).
 * Parsing works in place: the line buffer is split with NULs and tag values are
 * unescaped where they lie, so a parse allocates nothing. */
#ifndef NATTER_IRC_MESSAGE_H
#define NATTER_IRC_MESSAGE_H

#include <glib.h>
#include <stdbool.h>

#define IRC_MAX_PARAMS 15
#define IRC_MAX_TAGS 64
/* Without tags, a line is at most 512 bytes including CRLF. */
#define IRC_LINE_MAX 512
/* The tag section (with '@' and the space after it) may add this many. */
#define IRC_TAGS_MAX 8191

struct irc_tag {
	char *key;
	char *value; /* unescaped; "" when the tag has no value */
};

struct irc_message {
	struct irc_tag tags[IRC_MAX_TAGS];
	int ntags;
	char *source;  /* NULL when the line has no :source */
	char *command; /* as sent; compare case-insensitively */
	char *params[IRC_MAX_PARAMS];
	int nparams;
};

enum irc_parse_result {
	IRC_PARSE_OK = 0,
	IRC_PARSE_EMPTY,           /* blank line: ignore it */
	IRC_PARSE_NO_COMMAND,      /* tags or source but no command */
	IRC_PARSE_TOO_MANY_PARAMS, /* more than IRC_MAX_PARAMS */
	IRC_PARSE_TOO_MANY_TAGS,
};

/* Splits @line (NUL-terminated, without CR/LF) into @msg. The pointers in
 * @msg point into @line, which is modified. */
enum irc_parse_result irc_message_parse(struct irc_message *msg, char *line);

/* Human-readable text for a parse result, for error replies and logs. */
const char *irc_parse_result_str(enum irc_parse_result result);

/* The value of tag @key, or NULL when absent. A repeated key yields the last. */
const char *irc_message_tag(const struct irc_message *msg, const char *key);

/* Appends @msg to @out in wire form, without CRLF. The last parameter gets a
 * ':' only when it needs one (empty, has a space or starts with ':'). */
void irc_message_format(GString *out, const struct irc_message *msg);

/* Appends a tag value with IRCv3 escaping (\: \s \\ \r \n). */
void irc_tag_escape(GString *out, const char *value);

/* True when @key is a valid IRCv3 tag key: an optional '+' (client-only),
 * an optional vendor (a host name) and '/', then one or more ASCII letters,
 * digits or '-'. Nothing else (no control or non-ASCII characters). */
bool irc_tag_key_is_valid(const char *key);

/* True when @len bytes at @s are valid UTF-8 (fast for plain ASCII). */
bool irc_utf8_valid(const char *s, size_t len);

/* A copy of UTF-8 text @text cut to at most @max_chars characters. */
char *irc_utf8_dup_truncated(const char *text, long max_chars);

/* True when @param can be sent as a middle (non-final) parameter. */
bool irc_param_is_middle(const char *param);

#endif
