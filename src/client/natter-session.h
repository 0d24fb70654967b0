/* natter-session.h - one connection to an IRC server and everything it
 * knows: GTK-free, runs in the GLib main loop (GIO sockets, no threads).
 *
 * It registers (CAP LS 302 / REQ / END, NICK, USER), joins #lobby, keeps the
 * conversations model up to date from what the server sends, turns typed input
 * into IRC lines (see natter-input.h), and after a lost connection reconnects
 * with exponential backoff, same nick, rooms rejoined. */
#ifndef NATTER_SESSION_H
#define NATTER_SESSION_H

#include <gio/gio.h>

#include "natter-conversation.h"
#include "natter-room-info.h"

G_BEGIN_DECLS

#define NATTER_LOBBY "#lobby"

typedef enum {
	NATTER_SESSION_DISCONNECTED,   /* idle; the connect screen */
	NATTER_SESSION_CONNECTING,     /* TCP connect in progress */
	NATTER_SESSION_REGISTERING,    /* connected, waiting for 001 */
	NATTER_SESSION_CONNECTED,      /* registered: chatting */
	NATTER_SESSION_RECONNECT_WAIT, /* lost; retrying after "reconnect-remaining" s */
} NatterSessionState;

#define NATTER_SESSION_ERROR (natter_session_error_quark())
GQuark natter_session_error_quark(void);

typedef enum {
	NATTER_SESSION_ERROR_REFUSED,      /* nothing listens there */
	NATTER_SESSION_ERROR_TIMEOUT,      /* no answer in time */
	NATTER_SESSION_ERROR_RESOLVE,      /* the host name is unknown */
	NATTER_SESSION_ERROR_NICK_IN_USE,  /* 433 while registering */
	NATTER_SESSION_ERROR_NICK_INVALID, /* 432, or refused before sending */
	NATTER_SESSION_ERROR_CLOSED,       /* the server closed the connection */
	NATTER_SESSION_ERROR_NOT_CONNECTED,/* input while not connected */
	NATTER_SESSION_ERROR_FAILED,       /* anything else */
	NATTER_SESSION_ERROR_NOT_IRC,      /* the port speaks something else (HTTP, SSH, ...) */
	NATTER_SESSION_ERROR_CERT_UNKNOWN, /* TLS: a certificate not seen before (ask, then trust) */
	NATTER_SESSION_ERROR_CERT_CHANGED, /* TLS: not the certificate remembered: refused */
	NATTER_SESSION_ERROR_LOGIN_FAILED, /* wrong password, no such account (904) */
	NATTER_SESSION_ERROR_THROTTLED,    /* too many failed logins: wait */
	NATTER_SESSION_ERROR_ACCOUNT,      /* REGISTER refused (exists, weak password, ...) */
} NatterSessionError;

#define NATTER_TYPE_SESSION (natter_session_get_type())
G_DECLARE_FINAL_TYPE(NatterSession, natter_session, NATTER, SESSION, GObject)

NatterSession *natter_session_new(void);

/* TRUE when @nick can be a nickname; otherwise FALSE with a NICK_INVALID
 * @error that names the first character it cannot hold ("ä", "space") and
 * lists the allowed ones. natter_session_connect() checks with this. */
gboolean natter_session_check_nick(const char *nick, GError **error);

/* Starts connecting. Progress shows in "state"; failure before registration
 * emits "connect-failed" (GError in NATTER_SESSION_ERROR) and goes back to
 * DISCONNECTED; success emits "registered". Returns FALSE with @error when
 * the nickname is not valid (nothing is sent then). */
gboolean natter_session_connect(NatterSession *self, const char *host, guint16 port,
				const char *nick, GError **error);
/* Stops connecting, or leaves with QUIT; no reconnect. */
void natter_session_disconnect(NatterSession *self, const char *reason);
/* In RECONNECT_WAIT: tries at once. */
void natter_session_reconnect_now(NatterSession *self);

/* Acts on a line the person typed. FALSE with @error when it could not be
 * sent (e.g. NATTER_SESSION_ERROR_NOT_CONNECTED): the caller keeps the text.
 * Invalid commands are explained in the active conversation and return TRUE. */
gboolean natter_session_send_input(NatterSession *self, const char *text, GError **error);

NatterSessionState natter_session_get_state(NatterSession *self);
const char *natter_session_get_nick(NatterSession *self);
const char *natter_session_get_host(NatterSession *self);
guint16 natter_session_get_port(NatterSession *self);
/* Seconds until the next reconnect attempt (RECONNECT_WAIT only). */
guint natter_session_get_reconnect_remaining(NatterSession *self);
/* Why the connection was lost, for the banner; NULL when not known. */
const char *natter_session_get_disconnect_reason(NatterSession *self);
/* TRUE when the server acknowledged IRCv3 capability @cap. */
gboolean natter_session_has_cap(NatterSession *self, const char *cap);

/* A GListModel of NatterConversation in the order they were opened. */
GListModel *natter_session_get_conversations(NatterSession *self);
NatterConversation *natter_session_find_conversation(NatterSession *self, const char *name);
/* The conversation on screen: plain text goes there and its unread count stays 0. */
NatterConversation *natter_session_get_active(NatterSession *self);
void natter_session_set_active(NatterSession *self, NatterConversation *conversation);
/* Opens (or finds) the private conversation with @nick. */
NatterConversation *natter_session_open_private(NatterSession *self, const char *nick);
/* Nicknames in @conversation starting with @prefix (case-insensitive), for Tab. */
GPtrArray *natter_session_complete_nick(NatterSession *self, NatterConversation *conversation,
					const char *prefix);

/* Reconnect backoff: the first delay in seconds (default 1), doubling to 60. */
void natter_session_set_reconnect_base(NatterSession *self, guint seconds);

/* Default timeouts (seconds); see natter_session_set_timeouts(). */
#define NATTER_SESSION_CONNECT_TIMEOUT_S 10
#define NATTER_SESSION_KEEPALIVE_S 20

/* @connect_seconds bounds the TCP connect and the wait for the server's first
 * line; registration must finish within three times it. It never applies to
 * an established connection. Once registered, the connection is judged only
 * by the server (PING is answered, ERROR closes) and by a keep-alive: after
 * @keepalive_seconds without a byte from the server the session sends a
 * PING, and after a second @keepalive_seconds without one it gives up and
 * reconnects. Takes effect at the next connect. 0 keeps the current value. */
void natter_session_set_timeouts(NatterSession *self, guint connect_seconds,
				 guint keepalive_seconds);

/* Rooms to join, after #lobby, when the session first registers (the rooms
 * the user was in when natter last ran; a reconnect rejoins the rooms open
 * at that moment instead). Set it before connecting or from a "registered"
 * handler: the JOINs are sent right after that signal. */
void natter_session_set_autojoin(NatterSession *self, const char *const *rooms);

/* ---- TLS and accounts (natter-tls.h, natter-sasl.c) ---- */

/* Speak TLS from the next connect on (trust on first use, see natter-tls.h).
 * After CERT_UNKNOWN, natter_session_get_peer_fingerprint() is what the
 * server showed: natter_tls_remember() it and connect again to trust it. */
void natter_session_set_tls(NatterSession *self, gboolean tls);
gboolean natter_session_get_tls(NatterSession *self);
/* The fingerprint the server showed in the last attempt, or NULL. */
const char *natter_session_get_peer_fingerprint(NatterSession *self);
/* The fingerprint remembered for this server when it differed, or NULL. */
const char *natter_session_get_known_fingerprint(NatterSession *self);
/* Log in as the nickname with @password from the next connect on (NULL or
 * "": no account). With @create the account is made first (REGISTER, which
 * also logs in); later reconnects log in with SASL (SCRAM-SHA-256 where
 * offered, else PLAIN over TLS or loopback). A refusal fails the connect
 * with LOGIN_FAILED, THROTTLED or ACCOUNT and the server's reason in words. */
void natter_session_set_password(NatterSession *self, const char *password, gboolean create);
/* The account we are logged in to, or NULL. Property "account". */
const char *natter_session_get_account(NatterSession *self);
/* How the last login happened: "REGISTER", "SCRAM-SHA-256" or "PLAIN", or NULL. */
const char *natter_session_get_login_mechanism(NatterSession *self);
/* Tests: use only the SASL mechanisms in @mechs ("PLAIN,SCRAM-SHA-256"; NULL = any). */
void natter_session_set_mechanisms(NatterSession *self, const char *mechs);

/* ---- what the widgets show beyond conversations (all additive) ---- */

/* Our own away state: TRUE after the server's 306, FALSE after 305 (and
 * after a reconnect). Property "away"; signal "away-changed". */
gboolean natter_session_get_away(NatterSession *self);
/* Sends AWAY with the whole @text (spaces and all), or AWAY without text
 * (back) when @text is NULL or "". FALSE when not connected. Typed
 * "/away text with spaces" does the same. */
gboolean natter_session_set_away(NatterSession *self, const char *text);

/* The server's room list for a room browser: a GListModel of NatterRoomInfo
 * in the order the server sent them. natter_session_request_room_list()
 * empties it and sends LIST; property "listing" is TRUE until the end of the
 * list (323), then "room-list-done" is emitted. Typed "/list" fills it too. */
GListModel *natter_session_get_room_list(NatterSession *self);

/* What the server says about itself after connecting (its LUSERS
 * statistics: people, rooms, connections), as NatterMessage lines, for a
 * server view; refilled at each connection. These lines are not written
 * into the rooms (a newcomer's first screen is for the room); typed
 * "/lusers" shows its answer in the conversation as well. */
GListModel *natter_session_get_server_info(NatterSession *self);
gboolean natter_session_request_room_list(NatterSession *self);
gboolean natter_session_get_listing(NatterSession *self);

/* A WHOIS answer as one record, delivered by the "whois" signal when the
 * server's 318 (end of WHOIS) arrives, or with found = FALSE after 401. The
 * same answer is also added to the active conversation as readable event
 * lines (NATTER_EVENT_WHOIS). */
typedef struct {
	char *nick;
	char *user;     /* NULL when unknown */
	char *host;
	char *realname;
	char *server;
	char **rooms;   /* NULL-terminated; status prefix kept ("@#dev"); never NULL */
	gint64 idle;    /* seconds idle, -1 when unknown */
	gint64 signon;  /* Unix time signed on, 0 when unknown */
	char *account;  /* logged-in account (330), NULL when none or unknown */
	char *away;     /* away message (301), NULL when not away */
	gboolean operator; /* 313 */
	gboolean found; /* FALSE: no one by that name (401) */
} NatterWhois;

#define NATTER_TYPE_WHOIS (natter_whois_get_type())
GType natter_whois_get_type(void);
NatterWhois *natter_whois_new(const char *nick);
NatterWhois *natter_whois_copy(const NatterWhois *whois);
void natter_whois_free(NatterWhois *whois);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NatterWhois, natter_whois_free)
/* Sends WHOIS @nick (typed "/whois nick" does the same). */
void natter_session_request_whois(NatterSession *self, const char *nick);

/* ---- test seams: inbound and outbound without a server ---- */

/* Every line the session would send goes to @sink instead (no CR/LF). */
typedef void (*NatterSessionLineSink)(const char *line, gpointer data);
void natter_session_set_line_sink(NatterSession *self, NatterSessionLineSink sink, gpointer data);
/* Handles @line as if the server had sent it (e.g. ":srv 001 alice :Hi"). */
void natter_session_feed(NatterSession *self, const char *line);

G_END_DECLS

#endif
