/* cmd_oper.c - OPER (password checked off the loop, in a worker thread),
 * KILL, WALLOPS and SETNAME. */
#include <sodium.h>
#include <string.h>

#include "client.h"
#include "commands.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"
#include "worker.h"


struct oper_check {
	struct client *client; /* NULL if the client left while we checked */
	char *name;
	char *hash;
	char *password;
	bool ok;
};

static void oper_verify(gpointer data)
{
	struct oper_check *check = data;

	check->ok = check->hash != NULL &&
		    crypto_pwhash_str_verify(check->hash, check->password,
					     strlen(check->password)) == 0;
}

static void oper_done(gpointer data)
{
	struct oper_check *check = data;
	struct client *c = check->client;

	if (c != NULL)
		c->async_ref = NULL;
	if (c != NULL && check->ok) {
		client_set_mode(c, UMODE_OPER, true);
		client_set_mode(c, UMODE_WALLOPS, true);
		send_numeric(c, RPL_YOUREOPER);
		send_line(c, ":%s MODE %s :+ow", c->prefix, c->nick);
	} else if (c != NULL) {
		send_numeric(c, ERR_PASSWDMISMATCH);
	}
	sodium_memzero(check->password, strlen(check->password));
	g_free(check->password);
	g_free(check->name);
	g_free(check->hash);
	g_free(check);
}

void cmd_oper(struct client *c, struct irc_message *msg)
{
	struct oper_check *check;

	if (c->async_ref != NULL)
		return; /* one OPER at a time; the first one's answer is coming */
	check = g_new0(struct oper_check, 1);
	/* An unknown name is checked against nothing but still answered through
	 * the worker, so timing does not tell which names exist. */
	check->client = c;
	c->async_ref = &check->client;
	check->name = g_strdup(msg->params[0]);
	check->hash = g_strdup(g_hash_table_lookup(server.cfg->opers, msg->params[0]));
	check->password = g_strdup(msg->params[1]);
	worker_submit(oper_verify, oper_done, check);
}

void cmd_kill(struct client *c, struct irc_message *msg)
{
	struct client *target;
	g_autofree char *reason = NULL;

	if (!(c->modes & UMODE_OPER)) {
		send_numeric(c, ERR_NOPRIVILEGES);
		return;
	}
	target = registry_find_nick(msg->params[0]);
	if (target == NULL) {
		send_numeric(c, ERR_NOSUCHNICK, reply_param(msg->params[0]));
		return;
	}
	reason = g_strdup_printf("Killed (%s (%s))", c->nick, msg->params[1]);
	send_line(target, ":%s KILL %s :%s", c->prefix, target->nick, msg->params[1]);
	client_disconnect(target, reason);
}

void cmd_wallops(struct client *c, struct irc_message *msg)
{
	GHashTableIter iter;
	gpointer value;
	struct outmsg m;

	if (!(c->modes & UMODE_OPER)) {
		send_numeric(c, ERR_NOPRIVILEGES);
		return;
	}
	outmsg_init(&m, NULL);
	outmsg_printf(&m, ":%s WALLOPS :%s", c->prefix, msg->params[0]);
	g_hash_table_iter_init(&iter, registry_nicks());
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		struct client *to = value;
		if (to->registered && (to->modes & UMODE_WALLOPS))
			outmsg_send(&m, to);
	}
	outmsg_clear(&m);
}

void cmd_setname(struct client *c, struct irc_message *msg)
{
	struct outmsg m;

	if (msg->params[0][0] == '\0') {
		send_fail(c, "SETNAME", "INVALID_REALNAME", "Real name cannot be empty");
		return;
	}
	client_set_realname(c, msg->params[0]);
	outmsg_init(&m, NULL);
	outmsg_printf(&m, ":%s SETNAME :%s", c->prefix, c->realname);
	outmsg_to_neighbours(&m, c, true, CAP_SETNAME);
	outmsg_to_watchers(&m, c, CAP_SETNAME);
	outmsg_clear(&m);
}
