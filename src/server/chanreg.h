/* chanreg.h - registered rooms: a logged-in operator of a room registers
 * it (ROOM REGISTER); from then on its founder, operator and voice accounts,
 * topic, flag modes, key, limit and ban/exception lists are kept in the data
 * file, written through as they change (hooks.h), and restored at start.
 *
 * A registered room stays when empty. Members whose account has access get
 * their status (@ or +) when they join, or when they log in while inside;
 * nobody gets @ merely for being the first to join it. */
#ifndef NATTERD_CHANREG_H
#define NATTERD_CHANREG_H

#include <stdbool.h>

struct channel;
struct client;
struct irc_message;
struct account;

/* Loads the registered rooms, creating and restoring each (start-up, after
 * accounts_init()), and starts following changes. */
void chanreg_init(void);
void chanreg_shutdown(void);

bool chanreg_is_registered(const struct channel *ch);
/* The member flags (MEMBER_OP / MEMBER_VOICE) @c's account has in @ch, 0
 * when none or when @ch is not registered. */
unsigned chanreg_access_flags(const struct channel *ch, const struct client *c);
/* @c just logged in: give it its status in the registered rooms it is in. */
void chanreg_logged_in(struct client *c);
/* The account is gone: its rooms and access entries go too. */
void chanreg_account_dropped(const struct account *a);

/* ROOM REGISTER|DROP|ACCESS|INFO #room ... */
void cmd_room(struct client *c, struct irc_message *msg);

#endif
