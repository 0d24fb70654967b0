/* irc_names.c - case mapping, name rules and masks (see irc_names.h). */
#include "irc_names.h"

#include <string.h>

#include <glib.h>

char irc_tolower(char c)
{
	if (c >= 'A' && c <= '^')
		return (char)(c + ('a' - 'A'));
	return c;
}

void irc_casefold(char *out, size_t outlen, const char *name)
{
	size_t i = 0;

	if (outlen == 0)
		return;
	for (; name[i] != '\0' && i + 1 < outlen; i++)
		out[i] = irc_tolower(name[i]);
	out[i] = '\0';
}

int irc_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		char ca = irc_tolower(*a), cb = irc_tolower(*b);
		if (ca != cb || ca == '\0')
			return (unsigned char)ca - (unsigned char)cb;
	}
}

static bool is_nick_special(char c)
{
	return c != '\0' && strchr("[]\\`_^{|}", c) != NULL;
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool irc_nick_is_valid(const char *nick)
{
	size_t len = strlen(nick);

	if (len == 0 || len > IRC_NICK_MAX)
		return false;
	if (!is_letter(nick[0]) && !is_nick_special(nick[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_letter(nick[i]) && !is_digit(nick[i]) &&
		    !is_nick_special(nick[i]) && nick[i] != '-')
			return false;
	return true;
}

bool irc_is_channel(const char *name)
{
	return name[0] == '#';
}

bool irc_char_is_deceptive(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;

	*len = 1;
	if (p[0] < 0x20 || p[0] == 0x7f)
		return true;                       /* C0 controls and DEL */
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*len = 2;
		return true;                       /* C1 controls U+0080-U+009F */
	}
	if (p[0] == 0xe2 && p[1] != '\0' && p[2] != '\0') {
		*len = 3;
		if (p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
			return true;               /* U+202A-U+202E embeddings, overrides */
		if (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return true;               /* U+2066-U+2069 isolates */
	}
	*len = 1;
	return false;
}

bool irc_channel_is_valid(const char *name)
{
	size_t len = strlen(name), n;

	if (!irc_is_channel(name) || len < 2 || len > IRC_CHANNEL_MAX)
		return false;
	if (!g_utf8_validate(name, (gssize)len, NULL))
		return false;
	for (const char *p = name; *p != '\0'; p += n) {
		if (*p == ' ' || *p == ',' || irc_char_is_deceptive(p, &n))
			return false;
	}
	return true;
}

static void copy_part(char *out, size_t len, const char *start, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(out, start, n);
	out[n] = '\0';
}

void irc_split_userhost(const char *source, char *nick, char *user, char *host,
			size_t len)
{
	const char *bang = strchr(source, '!');
	const char *at = strchr(bang != NULL ? bang : source, '@');
	const char *nick_end = bang != NULL ? bang : at != NULL ? at : source + strlen(source);

	copy_part(nick, len, source, (size_t)(nick_end - source));
	if (bang != NULL) {
		const char *user_end = at != NULL ? at : bang + strlen(bang);
		copy_part(user, len, bang + 1, (size_t)(user_end - bang - 1));
	} else {
		user[0] = '\0';
	}
	if (at != NULL)
		copy_part(host, len, at + 1, strlen(at + 1));
	else
		host[0] = '\0';
}

bool irc_mask_match(const char *mask, const char *text)
{
	const char *star_mask = NULL, *star_text = NULL;

	while (*text != '\0') {
		if (*mask == '*') {
			star_mask = ++mask;
			star_text = text;
			continue;
		}
		const char *m = mask;
		if (*m == '\\' && m[1] != '\0')
			m++;
		if (*mask == '?' || (*m != '\0' && irc_tolower(*m) == irc_tolower(*text))) {
			mask = m + 1;
			text++;
			continue;
		}
		if (star_mask == NULL)
			return false;
		mask = star_mask;
		text = ++star_text;
	}
	while (*mask == '*')
		mask++;
	return *mask == '\0';
}

static bool label_is_valid(const char *label, size_t len)
{
	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_letter(label[i]) && !is_digit(label[i]) && label[i] != '-')
			return false;
	return true;
}

bool irc_hostname_is_valid(const char *host)
{
	size_t total = strlen(host);
	const char *p = host;
	int labels = 0;

	if (total == 0 || total > 253 || strchr(host, '.') == NULL)
		return false;
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (!label_is_valid(p, len))
			return false;
		labels++;
		if (dot == NULL)
			break;
		p = dot + 1; /* a final dot ("services.") is allowed */
	}
	return labels > 0;
}
