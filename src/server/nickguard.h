/* nickguard.h - names are owned: a nickname equal to an account's name
 * may be worn only by a client logged in to that account.
 *
 * Anyone else who takes it (at registration or with NICK) gets a NOTICE
 * saying so and is renamed to a guest name (Guest + digits) when the grace
 * period ([accounts] nick_grace seconds) ends, unless they log in to the
 * account first; they are renamed at once when the owner logs in anywhere.
 *
 * Several connections of one account: nicks stay unique, so one of them
 * wears the account's name and the others wear other (free) names; none of
 * the owner's connections is ever renamed by the guard. */
#ifndef NATTERD_NICKGUARD_H
#define NATTERD_NICKGUARD_H

struct client;
struct account;

/* Call when @c (registered) got a new nick or logged in or out: starts or
 * stops the grace timer. */
void nickguard_check(struct client *c);
/* @a gained a session: whoever else wears its name is renamed now. */
void nickguard_owner_arrived(struct account *a);
/* Stops @c's grace timer (it left). */
void nickguard_cancel(struct client *c);

#endif
