/* nickguard.c - renaming people off nicknames that others own
 * (see nickguard.h). */
#include "nickguard.h"

#include <sodium.h>
#include <stdio.h>

#include "accounts.h"
#include "client.h"
#include "commands.h"
#include "log.h"
#include "login.h"
#include "registry.h"
#include "send.h"
#include "server.h"

static struct account *owner_of(const struct client *c)
{
	return account_find(c->nick);
}

/* Guest + five digits, tried until one is free. */
static void rename_to_guest(struct client *c)
{
	char guest[IRC_NICK_MAX + 1];
	struct account *owner = owner_of(c);

	for (int tries = 0; tries < 100; tries++) {
		snprintf(guest, sizeof(guest), "Guest%05u", randombytes_uniform(100000));
		if (registry_find_nick(guest) == NULL && account_find(guest) == NULL)
			break;
	}
	send_line(c, ":%s NOTICE %s :The nickname %s belongs to the account %s; "
		  "you are now %s", server.cfg->name, c->nick, c->nick,
		  owner != NULL ? owner->name : c->nick, guest);
	log_info("renamed %s to %s: the nick is owned by an account", c->nick, guest);
	nick_change_announce(c, guest);
}

static void grace_over(evutil_socket_t fd, short events, void *arg)
{
	struct client *c = arg;
	struct account *owner = owner_of(c);

	(void)fd;
	(void)events;
	nickguard_cancel(c);
	if (owner != NULL && c->account != owner && c->registered)
		rename_to_guest(c);
}

void nickguard_cancel(struct client *c)
{
	if (c->auth == NULL || c->auth->guard_ev == NULL)
		return;
	event_free(c->auth->guard_ev);
	c->auth->guard_ev = NULL;
}

void nickguard_check(struct client *c)
{
	struct account *owner;
	struct client_auth *auth;
	struct timeval grace = { server.cfg->nick_grace, 0 };

	if (!c->registered)
		return;
	owner = owner_of(c);
	if (owner == NULL || c->account == owner) {
		nickguard_cancel(c);
		return;
	}
	/* Owned by someone else. Renamed at once if the owner is online or
	 * there is no grace; else warned and given the grace period. */
	if (owner->sessions->len > 0 || server.cfg->nick_grace == 0) {
		nickguard_cancel(c);
		rename_to_guest(c);
		return;
	}
	auth = client_auth(c);
	if (auth->guard_ev != NULL)
		return; /* already counting down for this nick */
	send_line(c, ":%s NOTICE %s :The nickname %s is registered to an account. Log in to it "
		  "(SASL, or PASS %s:password) within %d seconds, or choose another nick; "
		  "otherwise you will be renamed.", server.cfg->name, c->nick, c->nick,
		  owner->name, server.cfg->nick_grace);
	auth->guard_ev = evtimer_new(server.base, grace_over, c);
	evtimer_add(auth->guard_ev, &grace);
}

void nickguard_owner_arrived(struct account *a)
{
	struct client *holder = registry_find_nick(a->name);

	if (holder != NULL && holder->account != a && holder->registered) {
		nickguard_cancel(holder);
		rename_to_guest(holder);
	}
}
