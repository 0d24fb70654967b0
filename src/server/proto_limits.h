/* proto_limits.h - every protocol limit natterd enforces, in one place.
 *
 * ISUPPORT (005) is built from these same constants (see isupport.c), so a
 * limit can never be advertised as one number and enforced as another. A
 * handler that enforces a limit includes this header and uses the constant;
 * it never types the number itself. */
#ifndef NATTERD_PROTO_LIMITS_H
#define NATTERD_PROTO_LIMITS_H

#include "irc_names.h"

/* Lengths, in bytes (texts are cut without splitting a UTF-8 character). */
#define LIMIT_NICKLEN IRC_NICK_MAX       /* NICKLEN */
#define LIMIT_CHANNELLEN IRC_CHANNEL_MAX /* CHANNELLEN */
#define LIMIT_TOPICLEN 390               /* TOPICLEN: TOPIC text is cut to this */
#define LIMIT_AWAYLEN 200                /* AWAYLEN: AWAY text is cut to this */
#define LIMIT_KICKLEN 300                /* KICKLEN: KICK reasons are cut to this */
#define LIMIT_USERLEN 10                 /* USERLEN: USER names are cut to this */
#define LIMIT_HOSTLEN 64                 /* HOSTLEN */
#define LIMIT_REALNAME 100               /* real names (USER, SETNAME) */
#define LIMIT_KEYLEN 23                  /* KEYLEN: +k keys are cut to this */
#define LIMIT_MASKLEN 150                /* longest +b/+e/+I mask accepted */

/* draft/multiline: one message of several lines (advertised in the cap
 * value). Bytes count the text of every line plus a newline between lines
 * that are not concatenated. */
#define LIMIT_MULTILINE_BYTES 4096
#define LIMIT_MULTILINE_LINES 24

/* Counts. */
#define LIMIT_MODES 4          /* MODES: modes with a parameter per MODE line */
#define LIMIT_MAXLIST 100      /* MAXLIST: entries of each list mode (b, e, I) */
#define LIMIT_MONITOR 100      /* MONITOR: nicks one client may watch */
#define LIMIT_CHAN_LIMIT 1000000 /* largest +l value */

/* TARGMAX: targets per command. 0 means "no fixed limit" (advertised as
 * an empty value: "JOIN:"). */
#define LIMIT_TARGMAX_PRIVMSG 4
#define LIMIT_TARGMAX_NOTICE 4
#define LIMIT_TARGMAX_TAGMSG 4
#define LIMIT_TARGMAX_JOIN 0
#define LIMIT_TARGMAX_PART 0
#define LIMIT_TARGMAX_WHOIS 1
#define LIMIT_TARGMAX_KICK 4
#define LIMIT_TARGMAX_NAMES 4

#endif
