/* login.h - a client logging in to an account and out again: the state
 * change and its announcements (900/901, +r, account-notify), password
 * checks on the worker pool, throttling of failed logins, and whether a
 * connection is safe for a plain-text password.
 *
 * Throttling: failures are counted per account and per address. After
 * [accounts] login_free_failures failures, each further one makes that
 * account (or address) wait login_delay seconds, doubling each time up to
 * login_delay_max; an attempt while waiting fails at once, without a
 * password check, and says how long to wait. A success clears the
 * account's count (the address's count decays with time). */
#ifndef NATTERD_LOGIN_H
#define NATTERD_LOGIN_H

#include <event2/event.h>
#include <stdbool.h>

struct client;
struct account;
struct sasl_session;

/* Per-client account state, allocated on first use (idle clients pay for
 * one pointer only). */
struct client_auth {
	struct sasl_session *sasl;  /* an AUTHENTICATE exchange (sasl.c) */
	struct event *guard_ev;     /* grace timer on an owned nick (nickguard.c) */
	bool check_pending;         /* a password check is on a worker thread */
};

struct client_auth *client_auth(struct client *c);
/* The client is going away: forget its session and timers, silently. */
void login_client_gone(struct client *c);

/* True while a login's password check runs: registration waits for it, so
 * 001 comes after the login's result. */
bool login_pending(const struct client *c);

/* TLS, or loopback unless [accounts] loopback_is_secure = false. */
bool login_transport_secure(const struct client *c);

/* @c is now logged in to @a (900, +r, ACCOUNT to account-notify
 * neighbours; someone else on @a's nick is renamed at once). */
void login_set_account(struct client *c, struct account *a);
/* @c is logged out (901, -r, ACCOUNT *). */
void login_clear_account(struct client *c);

/* Throttling. When @account (may be NULL) or @c's address must wait,
 * returns true with the seconds left in *@wait and what is throttled
 * ("account" or "address") in *@what. */
bool login_throttled(const struct client *c, const char *account, int *wait, const char **what);
void login_failed(const struct client *c, const char *account);
void login_succeeded(const struct client *c, const char *account);
/* The reason text for a throttled attempt. Caller frees. */
char *login_throttle_text(int wait, const char *what);

/* Checks @password for @account on a worker thread (async.h: @c's next
 * lines wait for the answer), then calls @done on the loop with the account
 * (NULL if unknown or dropped meanwhile) and the result; not called when @c
 * left meanwhile. Counts the failure or success for throttling. The caller
 * checked login_throttled() first. Returns false, having sent nothing, when
 * the password queue is full: the caller refuses (async_refuse()). */
typedef void (*login_check_done)(struct client *c, struct account *a, bool ok);
bool login_check_password(struct client *c, const char *account, const char *password,
			  login_check_done done);

/* The value of an account capability in CAP LS 302 (e.g. the SASL
 * mechanisms), or NULL. */
const char *login_cap_value(unsigned cap_bit);
/* False for a capability switched off by the config (account registration
 * with [accounts] registration=false): not listed, and REQ gets NAK. */
bool login_cap_offered(unsigned cap_bit);
/* After SIGHUP: tells cap-notify clients about account capabilities that
 * came or went (CAP NEW / CAP DEL), comparing @old with server.cfg. */
struct config;
void login_config_reloaded(const struct config *old);

void login_init(void);
void login_shutdown(void);

#endif
