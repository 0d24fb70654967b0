/* fuzz_irc_message.c - libFuzzer harness for the shared IRC line code:
 * irc_message_parse, irc_message_format, irc_mask_match and the name rules
 * in irc_names.c.
 *
 * Input: `LINE [\n MASK [\n TEXT]]`. LINE is parsed; a parsed message is
 * formatted, parsed again and must come back the same (and format to the
 * same bytes). MASK is matched against TEXT (or the message's source, or
 * LINE), with invariants that hold for any mask and text. Any broken
 * invariant aborts, which libFuzzer reports as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "irc_message.h"
#include "irc_names.h"

/* Longest line natterd accepts: tags plus a 512-byte line. */
#define FUZZ_MAX_INPUT (IRC_TAGS_MAX + IRC_LINE_MAX + 1024)

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,    \
				__LINE__, #cond);                             \
			abort();                                              \
		}                                                             \
	} while (0)

static bool str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool messages_equal(const struct irc_message *a, const struct irc_message *b)
{
	if (a->ntags != b->ntags || a->nparams != b->nparams)
		return false;
	for (int i = 0; i < a->ntags; i++)
		if (!str_eq(a->tags[i].key, b->tags[i].key) ||
		    !str_eq(a->tags[i].value, b->tags[i].value))
			return false;
	for (int i = 0; i < a->nparams; i++)
		if (!str_eq(a->params[i], b->params[i]))
			return false;
	return str_eq(a->source, b->source) && str_eq(a->command, b->command);
}

/* Checks that the parsed message is well formed and survives a format and
 * parse round trip. */
static void check_message(const struct irc_message *msg)
{
	GString *wire = g_string_new(NULL), *again = g_string_new(NULL);
	struct irc_message msg2;
	char *copy;

	CHECK(msg->command != NULL && msg->command[0] != '\0');
	CHECK(msg->nparams >= 0 && msg->nparams <= IRC_MAX_PARAMS);
	CHECK(msg->ntags >= 0 && msg->ntags <= IRC_MAX_TAGS);
	for (int i = 0; i < msg->nparams - 1; i++)
		CHECK(irc_param_is_middle(msg->params[i]));
	for (int i = 0; i < msg->ntags; i++) {
		CHECK(msg->tags[i].key != NULL && msg->tags[i].value != NULL);
		CHECK(irc_message_tag(msg, msg->tags[i].key) != NULL);
	}

	irc_message_format(wire, msg);
	copy = g_strdup(wire->str);
	CHECK(irc_message_parse(&msg2, copy) == IRC_PARSE_OK);
	if (!messages_equal(msg, &msg2)) {
		fprintf(stderr, "round trip changed the message: \"%s\"\n", wire->str);
		abort();
	}
	irc_message_format(again, &msg2);
	CHECK(strcmp(wire->str, again->str) == 0);

	g_free(copy);
	g_string_free(wire, TRUE);
	g_string_free(again, TRUE);
}

/* @text with *, ? and \ escaped, so that it matches only itself. */
static char *mask_escape(const char *text)
{
	GString *out = g_string_new(NULL);

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '*' || *p == '?' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static void check_mask(const char *mask, const char *text)
{
	char *escaped = mask_escape(text);
	char *folded = g_malloc(strlen(text) + 1);
	bool match = irc_mask_match(mask, text);

	irc_casefold(folded, strlen(text) + 1, text);
	CHECK(irc_mask_match(escaped, text));
	CHECK(irc_mask_match(escaped, folded));
	CHECK(irc_mask_match("*", text));
	CHECK(irc_mask_match(mask, folded) == match);
	if (match && strchr(mask, '*') == NULL && strchr(mask, '\\') == NULL)
		CHECK(strlen(mask) == strlen(text));
	g_free(escaped);
	g_free(folded);
}

static void check_names(const char *s)
{
	size_t len = strlen(s);
	char *folded = g_malloc(len + 1);
	char nick[64], user[64], host[64];

	irc_casefold(folded, len + 1, s);
	CHECK(strlen(folded) == len);
	CHECK(irc_casecmp(s, folded) == 0);
	/* Not for nicks: '^' is allowed but folds to '~', which is not. */
	CHECK(irc_channel_is_valid(s) == irc_channel_is_valid(folded));
	if (irc_nick_is_valid(s))
		CHECK(len >= 1 && len <= IRC_NICK_MAX && !irc_is_channel(s));
	if (irc_channel_is_valid(s))
		CHECK(len >= 2 && len <= IRC_CHANNEL_MAX && irc_is_channel(s));
	if (irc_hostname_is_valid(s))
		CHECK(strchr(s, '.') != NULL && strchr(s, ' ') == NULL);

	irc_split_userhost(s, nick, user, host, sizeof(nick));
	CHECK(strlen(nick) + strlen(user) + strlen(host) <= len);
	g_free(folded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *end = in + size;
	const char *nl1, *nl2 = NULL;
	char *line, *parsed, *mask = NULL, *text = NULL;
	struct irc_message msg;
	enum irc_parse_result result;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	nl1 = memchr(in, '\n', size);
	line = g_strndup(in, nl1 != NULL ? (size_t)(nl1 - in) : size);
	if (nl1 != NULL) {
		nl2 = memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1));
		mask = g_strndup(nl1 + 1, (size_t)((nl2 != NULL ? nl2 : end) - nl1 - 1));
		if (nl2 != NULL)
			text = g_strndup(nl2 + 1, (size_t)(end - nl2 - 1));
	}

	parsed = g_strdup(line);
	result = irc_message_parse(&msg, parsed);
	CHECK(irc_parse_result_str(result) != NULL);
	if (result == IRC_PARSE_OK) {
		check_message(&msg);
		if (msg.source != NULL)
			check_names(msg.source);
		for (int i = 0; i < msg.nparams; i++)
			check_names(msg.params[i]);
	} else {
		check_names(line);
	}

	if (mask != NULL) {
		const char *target = text != NULL ? text
				   : result == IRC_PARSE_OK && msg.source != NULL ? msg.source
				   : line;
		check_mask(mask, target);
	}

	g_free(parsed);
	g_free(line);
	g_free(mask);
	g_free(text);
	return 0;
}
