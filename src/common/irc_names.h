/* irc_names.h - names in IRC: case mapping, nickname and channel rules,
 * nick!user@host sources and wildcard masks (used for bans). */
#ifndef NATTER_IRC_NAMES_H
#define NATTER_IRC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define IRC_NICK_MAX 30
#define IRC_CHANNEL_MAX 50

/* The CASEMAPPING natterd advertises: ASCII letters plus []\~ <-> {}|^. */
#define IRC_CASEMAPPING "rfc1459"

/* Lower-cases @c under rfc1459 case mapping. */
char irc_tolower(char c);

/* Writes the case-folded form of @name into @out (size @outlen, truncating). */
void irc_casefold(char *out, size_t outlen, const char *name);

/* Compares two names under rfc1459 case mapping (like strcmp). */
int irc_casecmp(const char *a, const char *b);

/* 1..IRC_NICK_MAX chars; first a letter or []\`_^{|}, then also digits and '-'. */
bool irc_nick_is_valid(const char *nick);

/* '#' then 1..IRC_CHANNEL_MAX-1 bytes of UTF-8 with no space or comma, no
 * control character (C0, DEL, C1) and no bidirectional override or isolate
 * (U+202A-U+202E, U+2066-U+2069), which could make a name look like another. */
bool irc_channel_is_valid(const char *name);

/* True when the UTF-8 character at @s is a control character (C0, DEL, C1)
 * or a bidirectional override/isolate; sets *@len to its length in bytes. */
bool irc_char_is_deceptive(const char *s, size_t *len);

/* True when @name starts with a channel prefix (CHANTYPES=#). */
bool irc_is_channel(const char *name);

/* Splits "nick!user@host" into its parts, each written as a NUL-terminated
 * string (empty when absent). Each output buffer has size @len. */
void irc_split_userhost(const char *source, char *nick, char *user, char *host,
			size_t len);

/* Glob match of @mask (with * and ?) against @text, case-insensitive under
 * rfc1459. A backslash escapes the next character. */
bool irc_mask_match(const char *mask, const char *text);

/* A hostname fit to be shown as a server or user host: dot-separated labels of
 * letters, digits and inner '-', at least one dot. */
bool irc_hostname_is_valid(const char *host);

#endif
