/* cmd_oper.c - OPER (password checked off the loop, in a worker thread),
 * KILL, WALLOPS and SETNAME.
 *
 * OPER resists guessing: an unknown name is checked against a stand-in hash
 * with the same cost, so timing does not tell which names exist; failures
 * are counted per name and per address (IPv6: per /64; throttle.h) and, past
 * [limits] oper_free_failures, each makes the next attempt wait longer
 * (oper_delay seconds, doubling up to oper_delay_max); every operator
 * action is logged, never the password. */
#include <sodium.h>
#include <string.h>

#include "accounts.h"
#include "async.h"
#include "client.h"
#include "commands.h"
#include "conn.h"
#include "hooks.h"
#include "log.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"
#include "throttle.h"

/* Names and addresses tracked for OPER failures, at most, each. */
#define OPER_THROTTLE_KEYS 4096
/* Longer names share a throttle entry (and are cut in the log). */
#define OPER_NAME_KEY_MAX 64

static struct throttle *fails_by_name, *fails_by_address;

struct oper_check {
	char *name;
	char *hash;     /* the name's hash, or a stand-in for an unknown name */
	char *password;
	char *address;
	char *address_key;        /* address_key() when queued */
	struct account_cost cost; /* of the dummy hash, when there are no operators */
	bool known;
	bool ok;
};

static const char *client_address(const struct client *c)
{
	return c->conn != NULL ? c->conn->addr : c->host;
}

/* What failures are counted against besides the name: the address for
 * IPv4, the network block (/64 by default) for IPv6, where one host
 * easily has a whole block of addresses. */
static const char *address_key(const struct client *c)
{
	if (c->conn != NULL && c->conn->block != NULL && strchr(c->conn->addr, ':') != NULL)
		return c->conn->block;
	return client_address(c);
}

/* The hash an unknown name is checked against: a configured operator's
 * (the first by name), so that it costs exactly what a known name costs;
 * NULL when there are no operators (accounts.c's dummy hash is used). */
static const char *stand_in_hash(void)
{
	GHashTableIter iter;
	gpointer key, value;
	const char *first = NULL, *hash = NULL;

	g_hash_table_iter_init(&iter, server.cfg->opers);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (first == NULL || strcmp(key, first) < 0) {
			first = key;
			hash = value;
		}
	}
	return hash;
}

static void oper_verify(void *data)
{
	struct oper_check *check = data;
	/* Both paths run one full argon2id verification. */
	bool match = check->hash != NULL
		? crypto_pwhash_str_verify(check->hash, check->password,
					   strlen(check->password)) == 0
		: account_check_password(NULL, check->password, &check->cost);

	check->ok = check->known && match;
}

/* In the loop, for a client that is still here (async.h). */
static void oper_done(struct client *c, void *data)
{
	struct oper_check *check = data;

	if (check->ok) {
		throttle_clear(fails_by_name, check->name);
		throttle_clear(fails_by_address, check->address_key);
		log_info("OPER %.*s: %s (%s) is now an operator", OPER_NAME_KEY_MAX, check->name,
			 c->prefix, check->address);
		client_set_mode(c, UMODE_OPER, true);
		client_set_mode(c, UMODE_WALLOPS, true);
		send_numeric(c, RPL_YOUREOPER);
		send_line(c, ":%s MODE %s :+ow", c->prefix, c->nick);
	} else {
		log_warn("OPER %.*s: failed for %s (%s): wrong name or password",
			 OPER_NAME_KEY_MAX, check->name, c->prefix, check->address);
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
	g_free(check->address);
	g_free(check->address_key);
	g_free(check);
}

/* Refuses at once, without a password check, while the name or the
 * address waits after failures. */
static bool oper_throttled(struct client *c, const char *name, int64_t now)
{
	int by_name = throttle_wait(fails_by_name, name, now);
	int by_address = throttle_wait(fails_by_address, address_key(c), now);
	int wait = MAX(by_name, by_address);
	char text[160];

	if (wait == 0)
		return false;
	log_warn("OPER %.*s by %s (%s) refused: too many failures from this %s (%.*s), %d s left",
		 OPER_NAME_KEY_MAX, name, c->prefix, client_address(c),
		 by_name >= by_address ? "name" : "address", OPER_NAME_KEY_MAX,
		 by_name >= by_address ? name : address_key(c), wait);
	snprintf(text, sizeof(text), "Too many failed OPER attempts for this %s; "
		 "try again in %d second%s", by_name >= by_address ? "name" : "address",
		 wait, wait == 1 ? "" : "s");
	send_fail(c, "OPER", "RATE_LIMITED", text);
	return true;
}

void cmd_oper(struct client *c, struct irc_message *msg)
{
	struct throttle_policy policy = {
		.free_failures = server.cfg->oper_free_failures,
		.delay = server.cfg->oper_delay,
		.delay_max = server.cfg->oper_delay_max,
	};
	const char *hash = g_hash_table_lookup(server.cfg->opers, msg->params[0]);
	char name[OPER_NAME_KEY_MAX + 1];
	int64_t now = server_now_us();
	struct oper_check *check;

	g_strlcpy(name, msg->params[0], sizeof(name));
	if (oper_throttled(c, name, now))
		return;
	check = g_new0(struct oper_check, 1);
	check->name = g_strdup(name);
	check->known = hash != NULL;
	check->hash = g_strdup(hash != NULL ? hash : stand_in_hash());
	check->password = g_strdup(msg->params[1]);
	check->address = g_strdup(client_address(c));
	check->address_key = g_strdup(address_key(c));
	account_cost_current(&check->cost);
	/* While the check runs, the client's next lines wait (async.h), so a
	 * second OPER is answered after the first. */
	if (!async_submit(c, ASYNC_PASSWORD, oper_verify, oper_done, oper_check_free, check)) {
		async_refuse(c, "OPER", ASYNC_PASSWORD);
		oper_check_free(check);
		return;
	}
	/* Counted now, not when the answer comes: parallel attempts from many
	 * connections, or one that hangs up at once, count all the same. A
	 * success clears the name and the address. */
	throttle_fail(fails_by_name, name, now, &policy);
	throttle_fail(fails_by_address, address_key(c), now, &policy);
}

static void log_oper_mode(const struct hook_args *args, void *data)
{
	(void)data;
	if (args->bit == UMODE_OPER && !args->on)
		log_info("%s (%s) is no longer an operator", args->client->prefix,
			 client_address(args->client));
}

void oper_init(void)
{
	fails_by_name = throttle_new(OPER_THROTTLE_KEYS);
	fails_by_address = throttle_new(OPER_THROTTLE_KEYS);
	hook_add(HOOK_CLIENT_MODE, log_oper_mode, NULL);
}

void oper_shutdown(void)
{
	throttle_free(fails_by_name);
	throttle_free(fails_by_address);
	fails_by_name = fails_by_address = NULL;
}

bool oper_required(struct client *c, const char *command)
{
	if (c->modes & UMODE_OPER)
		return true;
	log_info("%s by %s (%s) refused: not an operator", command, c->prefix, client_address(c));
	send_numeric(c, ERR_NOPRIVILEGES);
	return false;
}

void cmd_kill(struct client *c, struct irc_message *msg)
{
	struct client *target;
	g_autofree char *reason = NULL;

	if (!oper_required(c, "KILL"))
		return;
	target = registry_find_nick(msg->params[0]);
	if (target == NULL) {
		send_numeric(c, ERR_NOSUCHNICK, reply_param(msg->params[0]));
		return;
	}
	log_info("KILL %s by %s (%s): %s", target->prefix, c->prefix, client_address(c),
		 msg->params[1]);
	reason = g_strdup_printf("%s (%s)", c->nick, msg->params[1]);
	send_line(target, ":%s KILL %s :%s", c->prefix, target->nick, msg->params[1]);
	client_disconnect(target, CLOSE_KILLED, reason);
}

void cmd_wallops(struct client *c, struct irc_message *msg)
{
	GHashTableIter iter;
	gpointer value;
	struct outmsg m;

	if (!oper_required(c, "WALLOPS"))
		return;
	log_info("WALLOPS by %s (%s): %s", c->prefix, client_address(c), msg->params[0]);
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
