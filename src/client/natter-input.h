/* natter-input.h - what a person typed, turned into something safe to send.
 *
 * GTK-free. The parser never produces a CR, LF or NUL: every piece of text it
 * returns went through natter_input_sanitize(), so typed text can never become
 * a second IRC command. natter_input_split() cuts long text at UTF-8 character
 * boundaries so that each piece fits in one IRC line. */
#ifndef NATTER_INPUT_H
#define NATTER_INPUT_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	NATTER_INPUT_EMPTY,   /* nothing to send */
	NATTER_INPUT_SAY,     /* text to the current conversation */
	NATTER_INPUT_MSG,     /* @name text, /msg name text; text NULL = only open */
	NATTER_INPUT_ME,      /* /me text: an action in the current conversation */
	NATTER_INPUT_JOIN,    /* /join #room */
	NATTER_INPUT_PART,    /* /part [#room] [reason]; target NULL = current */
	NATTER_INPUT_NICK,    /* /nick name */
	NATTER_INPUT_TOPIC,   /* /topic [text]; text NULL = ask for the topic */
	NATTER_INPUT_QUIT,    /* /quit [reason] */
	NATTER_INPUT_RAW,     /* another /command: target = COMMAND, text = rest */
	NATTER_INPUT_INVALID, /* error says why, in plain words */
	NATTER_INPUT_AWAY,    /* /away [text]: text = the whole rest; NULL = back */
	NATTER_INPUT_WHOIS,   /* /whois name */
	NATTER_INPUT_LIST,    /* /list [arguments]: the room list */
} NatterInputKind;

typedef struct {
	NatterInputKind kind;
	char *target; /* nick, channel or command word, or NULL */
	char *text;   /* message text, reason or arguments, or NULL */
	char *error;  /* for NATTER_INPUT_INVALID */
} NatterInput;

/* Parses one line the person typed (any length, may hold CR/LF). */
NatterInput *natter_input_parse(const char *line);
void natter_input_free(NatterInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NatterInput, natter_input_free)

/* TRUE when @nick can be an IRC nickname. Otherwise FALSE and *@why (when
 * not NULL; g_free) says in plain words which character is not allowed,
 * as typed ("ä", "space"), and which are. */
gboolean natter_input_check_nick(const char *nick, char **why);

/* Returns valid UTF-8 with CR and LF turned into spaces and NUL and other
 * C0 controls except IRC formatting codes (bold, colour, ...) removed.
 * @len may be -1 for a NUL-terminated string. */
char *natter_input_sanitize(const char *text, gssize len);

/* Splits @text into pieces of at most @max_bytes bytes, each ending at a
 * UTF-8 character boundary. When a space is near the end the piece ends
 * there and that one space is dropped, so the pieces joined with " " at
 * those points give @text back. Returns a NULL-terminated
 * array (g_strfreev); an empty @text gives an empty array. */
char **natter_input_split(const char *text, gsize max_bytes);

/* How many bytes of text fit in one "COMMAND target :text" line so that it
 * stays under IRC_LINE_MAX even after the server adds ":nick!user@host ". */
gsize natter_input_text_budget(const char *command, const char *target,
			       const char *nick);

G_END_DECLS

#endif
