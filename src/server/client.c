/* client.c - creating, renaming and destroying IRC users (see client.h). */
#include "client.h"

#include <string.h>

#include "accounts.h"
#include "async.h"
#include "channel.h"
#include "conn.h"
#include "history.h"
#include "hooks.h"
#include "modes.h"
#include "multiline.h"
#include "login.h"
#include "registry.h"
#include "send.h"
#include "server.h"

/* Ids start at 1, so 0 never names a client. */
static uint64_t next_id = 1;

struct client *client_new(struct conn *conn)
{
	struct client *c = g_new0(struct client, 1);

	c->conn = conn;
	c->id = next_id++;
	strcpy(c->nick, "*");
	/* A host starting with ':' (IPv6 "::1") would break the line syntax. */
	c->host_owned = conn->addr[0] == ':';
	c->host = c->host_owned ? g_strconcat("0", conn->addr, NULL) : (char *)conn->addr;
	c->signon = c->last_message = server_wall_us() / 1000000;
	registry_add_client(c);
	return c;
}

/* The array's size is a function of the count: the next power of two,
 * at least 2. It grows when an add finds the count at such a size and is
 * freed when the last room goes, so it needs no field of its own. */
void client_channels_add(struct client *c, struct channel *ch)
{
	unsigned n = c->nchannels;

	if (n == 0)
		c->channels = g_new(struct channel *, 2);
	else if (n >= 2 && (n & (n - 1)) == 0)
		c->channels = g_renew(struct channel *, c->channels, (gsize)n * 2);
	c->channels[n] = ch;
	c->nchannels = (uint16_t)(n + 1);
}

void client_channels_remove(struct client *c, struct channel *ch)
{
	for (unsigned i = 0; i < c->nchannels; i++) {
		if (c->channels[i] != ch)
			continue;
		c->channels[i] = c->channels[--c->nchannels];
		if (c->nchannels == 0)
			g_clear_pointer(&c->channels, g_free);
		return;
	}
}

/* nick!user@host, the user name and the real name share one allocation,
 * "prefix\0user\0realname\0", which c->prefix owns: one string per client
 * instead of three (see "Idle memory" in bench/README.md). @user and
 * @realname (NULL until USER) may point into the old one. */
static void rebuild_names(struct client *c, const char *user, const char *realname)
{
	char *old = c->prefix, *block;
	int plen = snprintf(NULL, 0, "%s!%s@%s", c->nick, user != NULL ? user : "*", c->host);
	size_t ulen = user != NULL ? strlen(user) : 0;
	size_t rlen = realname != NULL ? strlen(realname) : 0;

	block = g_malloc((size_t)plen + 1 + ulen + 1 + rlen + 1);
	snprintf(block, (size_t)plen + 1, "%s!%s@%s", c->nick, user != NULL ? user : "*", c->host);
	memcpy(block + plen + 1, user != NULL ? user : "", ulen + 1);
	memcpy(block + plen + 1 + ulen + 1, realname != NULL ? realname : "", rlen + 1);
	c->prefix = block;
	c->user = user != NULL ? block + plen + 1 : NULL;
	c->realname = realname != NULL ? block + plen + 1 + ulen + 1 : NULL;
	g_free(old);
}

static void rebuild_prefix(struct client *c)
{
	rebuild_names(c, c->user, c->realname);
}

void client_set_user(struct client *c, const char *user, const char *realname)
{
	rebuild_names(c, user, realname);
}

void client_set_nick(struct client *c, const char *nick)
{
	char old[IRC_NICK_MAX + 1];

	g_strlcpy(old, c->nick, sizeof(old));
	registry_rename(c, nick);
	g_strlcpy(c->nick, nick, sizeof(c->nick));
	rebuild_prefix(c);
	hook_run(&(struct hook_args){ .event = HOOK_CLIENT_NICK, .client = c, .text = old });
}

void client_set_away(struct client *c, const char *text)
{
	g_clear_pointer(&c->away, g_free);
	if (text != NULL && text[0] != '\0')
		c->away = irc_utf8_dup_truncated(text, LIMIT_AWAYLEN);
	hook_run(&(struct hook_args){ .event = HOOK_CLIENT_AWAY, .client = c, .text = c->away });
}

bool client_set_mode(struct client *c, unsigned bit, bool on)
{
	if (((c->modes & bit) != 0) == on)
		return false;
	unsigned old = c->modes;
	c->modes = on ? c->modes | bit : c->modes & ~bit;
	registry_note_modes(c, old);
	hook_run(&(struct hook_args){ .event = HOOK_CLIENT_MODE, .client = c, .bit = bit,
				      .on = on });
	return true;
}

void client_set_host(struct client *c, const char *user, const char *host)
{
	struct outmsg m;

	outmsg_init(&m, NULL);
	outmsg_printf(&m, ":%s CHGHOST %s %s", c->prefix, user, host);
	outmsg_to_neighbours(&m, c, true, CAP_CHGHOST);
	outmsg_to_watchers(&m, c, CAP_CHGHOST);
	outmsg_clear(&m);
	if (c->host_owned)
		g_free(c->host);
	c->host = g_strdup(host);
	c->host_owned = true;
	client_set_user(c, user, c->realname);
}

void client_set_realname(struct client *c, const char *realname)
{
	g_autofree char *cut = irc_utf8_dup_truncated(realname, LIMIT_REALNAME);

	rebuild_names(c, c->user, cut);
	hook_run(&(struct hook_args){ .event = HOOK_CLIENT_REALNAME, .client = c,
				      .text = c->realname });
}

void client_destroy(struct client *c, const char *reason)
{
	/* At shutdown everyone gets ERROR anyway: QUITs would cost O(n^2). */
	if (c->registered && !server.shutting_down) {
		struct outmsg m;
		outmsg_init(&m, NULL);
		outmsg_from(&m, c);
		outmsg_printf(&m, ":%s QUIT :%s", c->prefix, reason);
		history_log_rooms_of(c, &m, HIST_QUIT);
		outmsg_to_neighbours(&m, c, false, 0);
		outmsg_clear(&m);
		registry_whowas_add(c);
	}
	while (c->nchannels > 0)
		channel_remove_member(c->channels[c->nchannels - 1], c);
	if (c->async_pending > 0)
		async_client_gone(c);
	registry_remove_client(c);
	login_client_gone(c);
	send_state_free(c);
	multiline_free(c);
	g_free(c->channels);
	if (c->monitoring != NULL)
		g_ptr_array_free(c->monitoring, TRUE);
	if (c->host_owned)
		g_free(c->host);
	g_free(c->prefix);
	g_free(c->away);
	g_free(c);
}

const char *client_nick(const struct client *c)
{
	return c->nick;
}

bool client_is_registered(const struct client *c)
{
	return c->registered;
}

const char *client_ip(const struct client *c)
{
	return c->conn != NULL ? c->conn->addr : "255.255.255.255";
}

const char *client_account_name(const struct client *c)
{
	return c->account != NULL ? c->account->name : "0";
}

void client_mode_string(const struct client *c, char *out, size_t len)
{
	g_autoptr(GString) s = g_string_new("+");

	for (size_t i = 0; i < usermode_count; i++)
		if (c->modes & usermode_table[i].bit)
			g_string_append_c(s, usermode_table[i].letter);
	g_strlcpy(out, s->str, len);
}

bool client_is_secure(const struct client *c)
{
	return c->conn != NULL && conn_is_secure(c->conn);
}

void client_disconnect(struct client *c, enum close_reason why, const char *detail)
{
	if (c->conn != NULL)
		conn_close(c->conn, why, detail);
}
