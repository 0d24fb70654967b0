/* modes.c - the mode tables (see modes.h). */
#include "modes.h"

#include <stdlib.h>

#include "channel.h"
#include "client.h"

const struct chanmode_info chanmode_table[] = {
	{ 'b', CHANMODE_LIST, CHANLIST_BAN, 0, "ban mask (m:mask mutes)" },
	{ 'e', CHANMODE_LIST, CHANLIST_EXCEPT, 0, "ban exception mask" },
	{ 'I', CHANMODE_LIST, CHANLIST_INVEX, 0, "invite exception mask" },
	{ 'k', CHANMODE_PARAM, 0, 0, "key to join" },
	{ 'l', CHANMODE_PARAM_SET, 0, 0, "member limit" },
	{ 'C', CHANMODE_FLAG, CMODE_NO_CTCP, 0, "no CTCP but ACTION" },
	{ 'i', CHANMODE_FLAG, CMODE_INVITE_ONLY, 0, "invite only" },
	{ 'm', CHANMODE_FLAG, CMODE_MODERATED, 0, "moderated" },
	{ 'M', CHANMODE_FLAG, CMODE_REGMODERATED, 0, "only logged-in people speak" },
	{ 'n', CHANMODE_FLAG, CMODE_NO_EXTERNAL, 0, "no messages from outside" },
	{ 'R', CHANMODE_FLAG, CMODE_REGONLY, 0, "only logged-in people join" },
	{ 's', CHANMODE_FLAG, CMODE_SECRET, 0, "secret" },
	{ 't', CHANMODE_FLAG, CMODE_TOPIC_LOCK, 0, "only operators set the topic" },
	{ 'Z', CHANMODE_FLAG, CMODE_TLS_ONLY, 0, "only TLS connections may join" },
	{ 'o', CHANMODE_PREFIX, MEMBER_OP, '@', "channel operator" },
	{ 'v', CHANMODE_PREFIX, MEMBER_VOICE, '+', "voice" },
};
const size_t chanmode_count = G_N_ELEMENTS(chanmode_table);

const struct usermode_info usermode_table[] = {
	{ 'B', UMODE_BOT, true, true, "bot" },
	{ 'i', UMODE_INVISIBLE, true, true, "invisible" },
	{ 'o', UMODE_OPER, false, true, "IRC operator" },
	{ 'r', UMODE_REGISTERED, false, false, "logged in to an account (login.c)" },
	{ 'w', UMODE_WALLOPS, true, true, "receives WALLOPS" },
};
const size_t usermode_count = G_N_ELEMENTS(usermode_table);

const struct chanmode_info *chanmode_find(char letter)
{
	for (size_t i = 0; i < chanmode_count; i++)
		if (chanmode_table[i].letter == letter)
			return &chanmode_table[i];
	return NULL;
}

const struct usermode_info *usermode_find(char letter)
{
	for (size_t i = 0; i < usermode_count; i++)
		if (usermode_table[i].letter == letter)
			return &usermode_table[i];
	return NULL;
}

bool chanmode_takes_arg(const struct chanmode_info *info, char sign)
{
	switch (info->kind) {
	case CHANMODE_LIST:
	case CHANMODE_PARAM:
	case CHANMODE_PREFIX:
		return true;
	case CHANMODE_PARAM_SET:
		return sign == '+';
	case CHANMODE_FLAG:
		break;
	}
	return false;
}

void chanmodes_isupport(GString *out)
{
	static const enum chanmode_kind order[] = {
		CHANMODE_LIST, CHANMODE_PARAM, CHANMODE_PARAM_SET, CHANMODE_FLAG,
	};

	for (size_t k = 0; k < G_N_ELEMENTS(order); k++) {
		if (k > 0)
			g_string_append_c(out, ',');
		for (size_t i = 0; i < chanmode_count; i++)
			if (chanmode_table[i].kind == order[k])
				g_string_append_c(out, chanmode_table[i].letter);
	}
}

void chanmodes_prefix(GString *out)
{
	g_string_append_c(out, '(');
	for (size_t i = 0; i < chanmode_count; i++)
		if (chanmode_table[i].kind == CHANMODE_PREFIX)
			g_string_append_c(out, chanmode_table[i].letter);
	g_string_append_c(out, ')');
	for (size_t i = 0; i < chanmode_count; i++)
		if (chanmode_table[i].kind == CHANMODE_PREFIX)
			g_string_append_c(out, chanmode_table[i].prefix);
}

static int compare_chars(const void *a, const void *b)
{
	return *(const char *)a - *(const char *)b;
}

void chanmodes_letters(GString *out, bool with_param_only)
{
	gsize start = out->len;

	for (size_t i = 0; i < chanmode_count; i++)
		if (!with_param_only || chanmode_table[i].kind != CHANMODE_FLAG)
			g_string_append_c(out, chanmode_table[i].letter);
	qsort(out->str + start, out->len - start, 1, compare_chars);
}

void usermodes_letters(GString *out)
{
	for (size_t i = 0; i < usermode_count; i++)
		g_string_append_c(out, usermode_table[i].letter);
}

char *chanmode_flag_letters(unsigned modes)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < chanmode_count; i++)
		if (chanmode_table[i].kind == CHANMODE_FLAG && (modes & chanmode_table[i].bit))
			g_string_append_c(s, chanmode_table[i].letter);
	return g_string_free(s, FALSE);
}

unsigned chanmode_flag_bits(const char *letters)
{
	unsigned bits = 0;

	for (const char *p = letters; *p != '\0'; p++) {
		const struct chanmode_info *info = chanmode_find(*p);
		if (info != NULL && info->kind == CHANMODE_FLAG)
			bits |= info->bit;
	}
	return bits;
}

char chanmode_list_letter(unsigned list)
{
	for (size_t i = 0; i < chanmode_count; i++)
		if (chanmode_table[i].kind == CHANMODE_LIST && chanmode_table[i].bit == list)
			return chanmode_table[i].letter;
	return '?';
}
