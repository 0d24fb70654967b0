/* isupport.c - RPL_MYINFO (004) and RPL_ISUPPORT (005), built from the
 * constants that enforce each limit (proto_limits.h) and from the mode tables
 * (modes.h): a limit cannot be advertised as one number and enforced as
 * another. */
#include <glib.h>

#include "commands.h"
#include "config.h"
#include "proto_limits.h"
#include "modes.h"
#include "numerics.h"
#include "send.h"
#include "server.h"
#include "version.h"

/* Tokens per 005 line: a line stays well under 512 bytes. */
#define TOKENS_PER_LINE 12

void send_myinfo(struct client *c)
{
	g_autoptr(GString) umodes = g_string_new(NULL);
	g_autoptr(GString) cmodes = g_string_new(NULL);
	g_autoptr(GString) cparam = g_string_new(NULL);

	usermodes_letters(umodes);
	chanmodes_letters(cmodes, false);
	chanmodes_letters(cparam, true);
	send_numeric(c, RPL_MYINFO, server.cfg->name, NATTER_VERSION, umodes->str, cmodes->str,
		     cparam->str);
}

/* "KEY:n" for a TARGMAX entry; 0 is "no fixed limit", an empty value. */
static void targmax_add(GString *out, const char *command, int max)
{
	if (out->len > strlen("TARGMAX="))
		g_string_append_c(out, ',');
	if (max > 0)
		g_string_append_printf(out, "%s:%d", command, max);
	else
		g_string_append_printf(out, "%s:", command);
}

/* Every token, in alphabetical order. */
static GPtrArray *isupport_tokens(void)
{
	const struct config *cfg = server.cfg;
	GPtrArray *t = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) chanmodes = g_string_new("CHANMODES=");
	g_autoptr(GString) prefix = g_string_new("PREFIX=");
	g_autoptr(GString) targmax = g_string_new("TARGMAX=");

	chanmodes_isupport(chanmodes);
	chanmodes_prefix(prefix);
	targmax_add(targmax, "JOIN", LIMIT_TARGMAX_JOIN);
	targmax_add(targmax, "KICK", LIMIT_TARGMAX_KICK);
	targmax_add(targmax, "NAMES", LIMIT_TARGMAX_NAMES);
	targmax_add(targmax, "NOTICE", LIMIT_TARGMAX_NOTICE);
	targmax_add(targmax, "PART", LIMIT_TARGMAX_PART);
	targmax_add(targmax, "PRIVMSG", LIMIT_TARGMAX_PRIVMSG);
	targmax_add(targmax, "TAGMSG", LIMIT_TARGMAX_TAGMSG);
	targmax_add(targmax, "WHOIS", LIMIT_TARGMAX_WHOIS);

	g_ptr_array_add(t, g_strdup_printf("AWAYLEN=%d", LIMIT_AWAYLEN));
	g_ptr_array_add(t, g_strdup("BOT=B"));
	g_ptr_array_add(t, g_strdup("CASEMAPPING=" IRC_CASEMAPPING));
	g_ptr_array_add(t, g_strdup_printf("CHANLIMIT=#:%d", cfg->max_channels_per_user));
	if (cfg->history.enabled)
		g_ptr_array_add(t, g_strdup_printf("CHATHISTORY=%d", cfg->history.query_limit));
	g_ptr_array_add(t, g_strdup(chanmodes->str));
	g_ptr_array_add(t, g_strdup_printf("CHANNELLEN=%d", LIMIT_CHANNELLEN));
	g_ptr_array_add(t, g_strdup("CHANTYPES=#"));
	g_ptr_array_add(t, g_strdup("ELIST=CMNTU"));
	g_ptr_array_add(t, g_strdup("EXCEPTS=e"));
	g_ptr_array_add(t, g_strdup("EXTBAN=,m"));
	g_ptr_array_add(t, g_strdup_printf("HOSTLEN=%d", LIMIT_HOSTLEN));
	g_ptr_array_add(t, g_strdup("INVEX=I"));
	g_ptr_array_add(t, g_strdup_printf("KEYLEN=%d", LIMIT_KEYLEN));
	g_ptr_array_add(t, g_strdup_printf("KICKLEN=%d", LIMIT_KICKLEN));
	g_ptr_array_add(t, g_strdup_printf("MAXLIST=beI:%d", LIMIT_MAXLIST));
	g_ptr_array_add(t, g_strdup_printf("MODES=%d", LIMIT_MODES));
	g_ptr_array_add(t, g_strdup_printf("MONITOR=%d", LIMIT_MONITOR));
	if (cfg->history.enabled)
		g_ptr_array_add(t, g_strdup("MSGREFTYPES=msgid,timestamp"));
	g_ptr_array_add(t, g_strdup_printf("NETWORK=%s", cfg->network));
	g_ptr_array_add(t, g_strdup_printf("NICKLEN=%d", LIMIT_NICKLEN));
	g_ptr_array_add(t, g_strdup(prefix->str));
	g_ptr_array_add(t, g_strdup("SAFELIST"));
	g_ptr_array_add(t, g_strdup("STATUSMSG=@+"));
	g_ptr_array_add(t, g_strdup(targmax->str));
	g_ptr_array_add(t, g_strdup_printf("TOPICLEN=%d", LIMIT_TOPICLEN));
	g_ptr_array_add(t, g_strdup_printf("USERLEN=%d", LIMIT_USERLEN));
	g_ptr_array_add(t, g_strdup("UTF8ONLY"));
	g_ptr_array_add(t, g_strdup("WHOX"));
	return t;
}

void send_isupport(struct client *c)
{
	g_autoptr(GPtrArray) tokens = isupport_tokens();
	g_autoptr(GString) line = g_string_new(NULL);

	for (guint i = 0; i < tokens->len; i++) {
		g_string_append_printf(line, "%s%s", line->len > 0 ? " " : "",
				       (const char *)g_ptr_array_index(tokens, i));
		if ((i + 1) % TOKENS_PER_LINE == 0 || i + 1 == tokens->len) {
			send_numeric(c, RPL_ISUPPORT, line->str);
			g_string_truncate(line, 0);
		}
	}
}
