/* login.c - logging in and out, password checks off the loop, and the
 * throttle on failed logins (see login.h). */
#include "login.h"

#include <sodium.h>
#include <string.h>

#include "accounts.h"
#include "async.h"
#include "chanreg.h"
#include "client.h"
#include "commands.h"
#include "conn.h"
#include "history.h"
#include "log.h"
#include "nickguard.h"
#include "numerics.h"
#include "sasl.h"
#include "send.h"
#include "server.h"
#include "throttle.h"

/* At most this many throttle keys; past it, quiet ones are forgotten and
 * new ones not recorded (the address key of the attacker still is). */
#define THROTTLE_MAX 65536

static struct throttle *throttles; /* "a:<folded>" and "ip:<addr>" keys */

void login_init(void)
{
	throttles = throttle_new(THROTTLE_MAX);
}

void login_shutdown(void)
{
	throttle_free(throttles);
	throttles = NULL;
}

struct client_auth *client_auth(struct client *c)
{
	if (c->auth == NULL)
		c->auth = g_new0(struct client_auth, 1);
	return c->auth;
}

void login_client_gone(struct client *c)
{
	if (c->account != NULL)
		g_ptr_array_remove_fast(c->account->sessions, c);
	c->account = NULL;
	if (c->auth == NULL)
		return;
	sasl_session_free(c);
	nickguard_cancel(c);
	g_free(c->auth);
	c->auth = NULL;
}

bool login_pending(const struct client *c)
{
	return c->auth != NULL && c->auth->check_pending;
}

bool login_transport_secure(const struct client *c)
{
	if (c->conn == NULL)
		return false;
	return conn_is_secure(c->conn) ||
	       (server.cfg->loopback_is_secure && conn_is_loopback(c->conn));
}

/* --- the state change ------------------------------------------------------- */

static void announce_account(struct client *c, const char *name)
{
	struct outmsg m;

	if (!c->registered)
		return;
	outmsg_init(&m, NULL);
	outmsg_from(&m, c);
	outmsg_printf(&m, ":%s ACCOUNT %s", c->prefix, name);
	outmsg_to_neighbours(&m, c, true, CAP_ACCOUNT_NOTIFY);
	outmsg_to_watchers(&m, c, CAP_ACCOUNT_NOTIFY); /* extended-monitor */
	outmsg_clear(&m);
}

void login_set_account(struct client *c, struct account *a)
{
	if (c->account == a)
		return;
	if (c->account != NULL)
		g_ptr_array_remove_fast(c->account->sessions, c);
	c->account = a;
	g_ptr_array_add(a->sessions, c);
	send_numeric(c, RPL_LOGGEDIN, c->prefix != NULL ? c->prefix : "*", a->name, a->name);
	if (client_set_mode(c, UMODE_REGISTERED, true) && c->registered)
		send_line(c, ":%s MODE %s :+r", server.cfg->name, c->nick);
	announce_account(c, a->name);
	log_info("%s logged in to account %s", c->conn != NULL ? c->conn->addr : "?", a->name);
	nickguard_owner_arrived(a);
	nickguard_check(c);
	chanreg_logged_in(c);
	if (c->registered)
		history_deliver_offline(c);
}

void login_clear_account(struct client *c)
{
	if (c->account == NULL)
		return;
	g_ptr_array_remove_fast(c->account->sessions, c);
	c->account = NULL;
	send_numeric(c, RPL_LOGGEDOUT, c->prefix != NULL ? c->prefix : "*");
	if (client_set_mode(c, UMODE_REGISTERED, false) && c->registered)
		send_line(c, ":%s MODE %s :-r", server.cfg->name, c->nick);
	announce_account(c, "*");
	nickguard_check(c);
}

/* --- throttling (throttle.c) ------------------------------------------------ */

static char *account_key(const char *account)
{
	char folded[IRC_NICK_MAX + 1];

	irc_casefold(folded, sizeof(folded), account);
	return g_strconcat("a:", folded, NULL);
}

static char *address_key(const struct client *c)
{
	return g_strconcat("ip:", c->conn != NULL ? c->conn->addr : "?", NULL);
}

static void policy(struct throttle_policy *p)
{
	p->free_failures = server.cfg->login_free_failures;
	p->delay = server.cfg->login_delay;
	p->delay_max = server.cfg->login_delay_max;
}

bool login_throttled(const struct client *c, const char *account, int *wait, const char **what)
{
	int64_t now = server_now_us();
	g_autofree char *akey = account != NULL ? account_key(account) : NULL;
	g_autofree char *ikey = address_key(c);

	if (akey != NULL && (*wait = throttle_wait(throttles, akey, now)) > 0) {
		*what = "account";
		return true;
	}
	if ((*wait = throttle_wait(throttles, ikey, now)) > 0) {
		*what = "address";
		return true;
	}
	return false;
}

void login_failed(const struct client *c, const char *account)
{
	int64_t now = server_now_us();
	g_autofree char *ikey = address_key(c);
	struct throttle_policy p;

	policy(&p);
	if (account != NULL) {
		g_autofree char *akey = account_key(account);
		throttle_fail(throttles, akey, now, &p);
	}
	throttle_fail(throttles, ikey, now, &p);
	log_info("failed login from %s for account %s", c->conn != NULL ? c->conn->addr : "?",
		 account != NULL ? account : "*");
}

void login_succeeded(const struct client *c, const char *account)
{
	g_autofree char *akey = account_key(account);

	(void)c;
	throttle_clear(throttles, akey);
}

char *login_throttle_text(int wait, const char *what)
{
	return g_strdup_printf("Too many failed logins for this %s; try again in %d second%s",
			       what, wait, wait == 1 ? "" : "s");
}

/* --- password checks on the worker pool --------------------------------------- */

struct password_check {
	char *account;
	char *hash;             /* NULL: unknown account, checked against a dummy */
	char *password;
	struct account_cost cost; /* for the dummy work on an unknown account */
	bool ok;
	login_check_done done;
};

static void check_work(void *data)
{
	struct password_check *check = data;

	check->ok = account_check_password(check->hash, check->password, &check->cost);
}

/* In the loop, for a client still here (async.h); its next lines waited. */
static void check_done(struct client *c, void *data)
{
	struct password_check *check = data;
	struct account *a = account_find(check->account);
	/* The account may have been dropped, or its password changed,
	 * while we hashed: the old hash no longer counts. */
	bool ok = check->ok && a != NULL && a->password_hash != NULL &&
		  strcmp(a->password_hash, check->hash) == 0;

	c->auth->check_pending = false;
	if (ok)
		login_succeeded(c, check->account);
	else
		login_failed(c, check->account);
	check->done(c, ok ? a : NULL, ok);
	registration_try_complete(c); /* it waited for this result */
}

static void check_free(void *data)
{
	struct password_check *check = data;

	sodium_memzero(check->password, strlen(check->password));
	g_free(check->password);
	g_free(check->account);
	g_free(check->hash);
	g_free(check);
}

bool login_check_password(struct client *c, const char *account, const char *password,
			  login_check_done done)
{
	struct password_check *check = g_new0(struct password_check, 1);
	struct account *a = account_find(account);

	check->account = g_strdup(account);
	check->hash = a != NULL ? g_strdup(a->password_hash) : NULL;
	check->password = g_strdup(password);
	account_cost_current(&check->cost);
	check->done = done;
	if (!async_submit(c, ASYNC_PASSWORD, check_work, check_done, check_free, check)) {
		check_free(check);
		return false;
	}
	client_auth(c)->check_pending = true;
	return true;
}

bool login_cap_offered(unsigned cap_bit)
{
	return cap_bit != CAP_ACCOUNT_REGISTRATION || server.cfg->registration;
}

void login_config_reloaded(const struct config *old)
{
	bool on = server.cfg->registration;

	if (old->registration == on)
		return;
	log_info("account registration is now %s", on ? "on" : "off");
	for (struct conn *conn = server.conns; conn != NULL; conn = conn->next) {
		struct client *c = conn->client;
		const char *value = login_cap_value(CAP_ACCOUNT_REGISTRATION);
		if (c == NULL || conn->closing || !(c->caps & CAP_CAP_NOTIFY))
			continue;
		if (on) {
			send_line(c, ":%s CAP %s NEW :draft/account-registration%s%s",
				  server.cfg->name, client_nick(c),
				  c->cap_version >= 302 && value != NULL ? "=" : "",
				  c->cap_version >= 302 && value != NULL ? value : "");
		} else {
			c->caps &= ~(unsigned)CAP_ACCOUNT_REGISTRATION;
			send_line(c, ":%s CAP %s DEL :draft/account-registration", server.cfg->name,
				  client_nick(c));
		}
	}
}

const char *login_cap_value(unsigned cap_bit)
{
	if (cap_bit == CAP_SASL)
		return sasl_mechanisms();
	if (cap_bit == CAP_ACCOUNT_REGISTRATION)
		return server.cfg->registration ? "before-connect,custom-account-name" : NULL;
	return NULL;
}
