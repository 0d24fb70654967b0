/* client.h - an IRC user as the chat sees it: nick, user, host, modes,
 * capabilities and channels. Its socket, if it has one here, is in conn. */
#ifndef NATTERD_CLIENT_H
#define NATTERD_CLIENT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "close_reason.h"
#include "irc_names.h"

struct conn;
struct send_state;
struct multiline;
struct account;
struct client_auth;

#include "proto_limits.h"

/* Real names (USER, SETNAME) are cut to this many characters. */
#define CLIENT_REALNAME_MAX LIMIT_REALNAME

/* IRCv3 capabilities a client may negotiate. */
enum client_cap {
	CAP_CAP_NOTIFY = 1 << 0,
	CAP_MESSAGE_TAGS = 1 << 1,
	CAP_SERVER_TIME = 1 << 2,
	CAP_ECHO_MESSAGE = 1 << 3,
	CAP_MULTI_PREFIX = 1 << 4,
	CAP_AWAY_NOTIFY = 1 << 5,
	CAP_SETNAME = 1 << 6,
	CAP_BATCH = 1 << 7,
	CAP_LABELED_RESPONSE = 1 << 8,
	/* accounts (login.c, sasl.c, cmd_account.c) */
	CAP_SASL = 1 << 20,
	CAP_ACCOUNT_NOTIFY = 1 << 21,
	CAP_ACCOUNT_TAG = 1 << 22,
	CAP_EXTENDED_JOIN = 1 << 23,
	CAP_ACCOUNT_REGISTRATION = 1 << 24,
	CAP_USERHOST_IN_NAMES = 1 << 9,
	CAP_EXTENDED_MONITOR = 1 << 10,
	CAP_INVITE_NOTIFY = 1 << 11,
	CAP_CHGHOST = 1 << 12,
	CAP_CHATHISTORY = 1 << 13,     /* draft/chathistory */
	CAP_EVENT_PLAYBACK = 1 << 14,  /* draft/event-playback */
	CAP_READ_MARKER = 1 << 15,     /* draft/read-marker */
	CAP_REDACTION = 1 << 16,       /* draft/message-redaction */
	CAP_CHANNEL_RENAME = 1 << 17,  /* draft/channel-rename */
	CAP_STANDARD_REPLIES = 1 << 18,
	CAP_MULTILINE = 1 << 19,       /* draft/multiline */
	/* Next free: 1 << 25 (20-24 are the accounts'). Every bit once:
	 * test_caps_are_independent in tests/system/test_labeled_response.py. */
};

/* User modes. */
enum client_mode {
	UMODE_INVISIBLE = 1 << 0, /* +i */
	UMODE_OPER = 1 << 1,      /* +o */
	UMODE_WALLOPS = 1 << 2,   /* +w */
	UMODE_REGISTERED = 1 << 7, /* +r: logged in to an account (set by login.c only) */
	UMODE_BOT = 1 << 3,       /* +B (IRCv3 bot mode) */
};

/* One per user, most of them idle: keep it small and without holes (see
 * "Idle memory" in bench/README.md); state only some clients need (SASL,
 * batches, labels, MONITOR) hangs off a pointer that is NULL until used. */
struct client {
	struct conn *conn;      /* NULL for a user held on another node */
	struct account *account;   /* logged in to (login.h), or NULL */
	struct client_auth *auth;  /* SASL and nick-guard state; NULL until needed */
	struct send_state *send_state; /* open batches, pending label (send.c); NULL when none */
	struct multiline *multiline;   /* an incoming draft/multiline batch, or NULL */
	uint64_t id;            /* unique for the server's life, never reused; async
				 * work refers to this, see registry_find_id() */
	char nick[IRC_NICK_MAX + 1]; /* "*" until NICK */
	bool host_owned : 1;    /* host is our own copy, not the conn's address */
	bool cap_negotiating : 1; /* registration waits for CAP END */
	bool registered : 1;
	char *user;             /* NULL until USER; this and realname point into */
	char *realname;         /* the prefix's allocation (client.c): never free them */
	char *host;             /* the conn's address unless host_owned */
	char *prefix;           /* nick!user@host, rebuilt on nick change; owns user and realname */
	char *away;             /* NULL when not away */
	struct channel **channels; /* the rooms it is in: client_channel_at() */
	GPtrArray *monitoring;  /* case-folded nicks this client MONITORs; NULL until MONITOR + */
	uint32_t signon;        /* wall-clock seconds (unsigned: good until 2106) */
	uint32_t last_message;  /* wall-clock seconds of last PRIVMSG, for idle */
	unsigned caps;          /* enum client_cap */
	uint16_t modes;         /* enum client_mode */
	uint16_t nchannels;     /* how many: max_channels_per_user <= 10000 */
	uint32_t mark;          /* fan-out de-duplication, see send.c */
	uint16_t cap_version;   /* 302 after CAP LS 302 */
	uint16_t async_pending; /* jobs in async.c (a few at most); input waits while > 0 */
};

struct client *client_new(struct conn *conn);

/* The rooms a client is in, in no particular order: an array of its own
 * rather than a GPtrArray, which would cost an idle client another 48
 * bytes. channel.c keeps it in step with the rooms' member lists. */
static inline unsigned client_channel_count(const struct client *c)
{
	return c->nchannels;
}

static inline struct channel *client_channel_at(const struct client *c, unsigned i)
{
	return c->channels[i];
}

/* For channel.c only: adds @ch / removes it (the last one moves into its
 * place, so a loop taking the last one each time empties it). */
void client_channels_add(struct client *c, struct channel *ch);
void client_channels_remove(struct client *c, struct channel *ch);

/* The client leaves: neighbours see QUIT :@reason, it leaves its channels,
 * it is remembered for WHOWAS and its nick is released. Frees @c. */
void client_destroy(struct client *c, const char *reason);

const char *client_nick(const struct client *c);
bool client_is_registered(const struct client *c);

/* Sets user name and real name (at registration), rebuilding the prefix. */
void client_set_user(struct client *c, const char *user, const char *realname);

/* State changes. Handlers never write struct client fields themselves: each
 * change goes through one of these, which runs its hook (hooks.h). */

/* Sets the nick, keeping the registry and the cached prefix in step. */
void client_set_nick(struct client *c, const char *nick);

/* Marks @c away with @text (cut to LIMIT_AWAYLEN), or back when @text is
 * NULL or empty. */
void client_set_away(struct client *c, const char *text);

/* Sets or clears user mode @bit (enum client_mode); false when unchanged. */
bool client_set_mode(struct client *c, unsigned bit, bool on);

/* Changes the user name and host shown in @c's prefix: neighbours with
 * chghost (and extended-monitor watchers) get CHGHOST. Nothing calls it
 * yet (hosts never change); cloaks and vhosts will. */
void client_set_host(struct client *c, const char *user, const char *host);

/* Changes the real name (SETNAME), cut to LIMIT_REALNAME. */
void client_set_realname(struct client *c, const char *realname);

/* The numeric address @c connects from ("255.255.255.255" when remote). */
const char *client_ip(const struct client *c);

/* The account @c is logged in to, or "0" when none (WHOX %a). */
const char *client_account_name(const struct client *c);

/* The mode string, e.g. "+iw". */
void client_mode_string(const struct client *c, char *out, size_t len);

/* True when the client is connected here over TLS. */
bool client_is_secure(const struct client *c);

/* Closes the client's connection (if local) for @why (enum close_reason in
 * conn.h; @detail completes its text, may be NULL). */
void client_disconnect(struct client *c, enum close_reason why, const char *detail);

#endif
