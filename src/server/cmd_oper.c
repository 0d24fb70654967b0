/* cmd_oper.c - OPER (password checked off the loop, in a worker thread),
 * KILL, WALLOPS and SETNAME. */
#include <sodium.h>
#include <string.h>

#include "async.h"
#include "client.h"
#include "commands.h"
#include "conn.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"


struct oper_check {
	char *name;
	char *hash;     /* NULL for an unknown name */
	char *password;
	bool ok;
};

static void oper_verify(void *data)
{
	struct oper_check *check = data;

	check->ok = check->hash != NULL &&
		    crypto_pwhash_str_verify(check->hash, check->password,
					     strlen(check->password)) == 0;
}

/* In the loop, for a client that is still here (async.h). */
static void oper_done(struct client *c, void *data)
{
	struct oper_check *check = data;

	if (check->ok) {
		client_set_mode(c, UMODE_OPER, true);
		client_set_mode(c, UMODE_WALLOPS, true);
		send_numeric(c, RPL_YOUREOPER);
		send_line(c, ":%s MODE %s :+ow", c->prefix, c->nick);
	} else {
		send_numeric(c, ERR_PASSWDMISMATCH);
	}
}

static void oper_check_free(void *data)
{
	struct oper_check *check = data;

	sodium_memzero(check->password, strlen(check->password));
	g_free(check->password);
	g_free(check->name);
	g_free(check->hash);
	g_free(check);
}

void cmd_oper(struct client *c, struct irc_message *msg)
{
	struct oper_check *check = g_new0(struct oper_check, 1);

	/* An unknown name is checked against nothing but still answered through
	 * the worker, so timing does not tell which names exist. While the check
	 * runs, the client's next lines wait (async.h), so a second OPER is
	 * answered after the first. */
	check->name = g_strdup(msg->params[0]);
	check->hash = g_strdup(g_hash_table_lookup(server.cfg->opers, msg->params[0]));
	check->password = g_strdup(msg->params[1]);
	if (!async_submit(c, ASYNC_PASSWORD, oper_verify, oper_done, oper_check_free, check)) {
		async_refuse(c, "OPER", ASYNC_PASSWORD);
		oper_check_free(check);
	}
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
	reason = g_strdup_printf("%s (%s)", c->nick, msg->params[1]);
	send_line(target, ":%s KILL %s :%s", c->prefix, target->nick, msg->params[1]);
	client_disconnect(target, CLOSE_KILLED, reason);
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
