/* natter-session-private.h - what the parts of a session share. Not for widgets.
 *
 * A session is split the way HexChat splits server.c / inbound.c / outbound.c:
 *   natter-connection.c  the transport: GIO stream, lines, keep-alive, timeouts
 *   natter-session.c     the GObject, the model helpers, connecting and
 *                        reconnecting with backoff
 *   natter-inbound.c     server lines -> model, through a handler table
 *   natter-outbound.c    typed input -> IRC lines
 * Inbound and outbound can be driven without a server: natter_session_feed()
 * hands in a canned server line, a line sink catches what would be sent. */
#ifndef NATTER_SESSION_PRIVATE_H
#define NATTER_SESSION_PRIVATE_H

#include "irc_message.h"
#include "natter-connection.h"
#include "natter-session.h"

G_BEGIN_DECLS

typedef struct _NatterHistory NatterHistory;

struct _NatterSession {
	GObject parent_instance;

	char *host;
	guint16 port;
	char *nick;        /* our nick as the server knows it */
	char *wanted_nick; /* what the person chose */
	guint nick_retry;  /* alternatives tried while re-registering */
	NatterSessionState state;

	NatterConnection *conn; /* the current attempt, or NULL */
	NatterSessionLineSink sink; /* tests: sent lines go here instead */
	gpointer sink_data;

	gboolean ever_registered; /* this session reached 001: reconnect on loss */
	gboolean user_quit;
	char *disconnect_reason;

	GHashTable *caps; /* acknowledged capabilities */
	GString *cap_ls;  /* offered ones, collected over multi-line LS */
	char prefix_modes[16];
	char prefix_chars[16];

	GListStore *conversations;
	NatterConversation *active;
	char *pending_focus; /* a room we asked to join: show it once joined */
	char **autojoin;     /* rooms to join at the first 001 (last run's rooms) */

	gboolean away;       /* 306 / 305 */
	char *away_text;     /* what we sent with AWAY */
	NatterWhois *whois;  /* collecting 311..318 */
	char *whois_wanted;  /* the nick of our last WHOIS, for 401 */
	gint64 last_ctcp;    /* when we last answered a CTCP request */
	GListStore *rooms;   /* LIST results (NatterRoomInfo) */
	gboolean listing;    /* between LIST and 323 */
	GString *motd;       /* collecting 375..376 */
	GListStore *server_info; /* the server's statistics (LUSERS), NatterMessage */
	gboolean lusers_asked;   /* typed /lusers: its answer goes to the conversation too */

	guint connect_timeout;
	guint keepalive;
	NatterBackoff backoff; /* reconnecting */

	/* TLS (natter-session.c, natter-tls.h): on for this server; what the
	 * certificate check of the current attempt saw. */
	gboolean tls;
	gboolean tls_refused; /* the certificate was not accepted */
	char *tls_seen;       /* the fingerprint the server showed */
	char *tls_known;      /* the remembered one, when it differs */

	/* Accounts (natter-sasl.c): log in as wanted_nick with this password. */
	char *password;
	gboolean create_account; /* REGISTER first (once; then SASL) */
	char *sasl_mechs;        /* sasl=... from CAP LS, NULL = not offered */
	gboolean reg_offered;    /* draft/account-registration offered */
	char *sasl_mech;         /* the exchange under way, or NULL */
	struct NatterScram *scram;
	char *account;           /* logged in as (900), NULL = not */
	char *login_mech;        /* how we logged in last (REGISTER, SCRAM-SHA-256, PLAIN) */
	char **mech_allowed;     /* tests: only these mechanisms, NULL = any */

	NatterHistory *history; /* natter-history.c */
	guint whox_pending;      /* our WHO %a queries not yet ended (315) */
};

enum {
	NATTER_SIG_CONNECT_FAILED,
	NATTER_SIG_REGISTERED,
	NATTER_SIG_MESSAGE_ADDED,
	NATTER_SIG_CONVERSATION_OPENED,
	NATTER_SIG_WHOIS,
	NATTER_SIG_SHOW_WHOIS,
	NATTER_SIG_ROOM_LIST,
	NATTER_SIG_AWAY_CHANGED,
	NATTER_N_SIGNALS
};
extern guint natter_session_signals[NATTER_N_SIGNALS];

/* natter-session.c */
void natter_session_set_state_(NatterSession *self, NatterSessionState state);
void natter_session_set_nick_(NatterSession *self, const char *nick);
gboolean natter_session_is_me_(NatterSession *self, const char *nick);
void natter_session_send_line_(NatterSession *self, const char *line);
/* Sends COMMAND with parameters; the last may hold spaces. */
void natter_session_send_command_(NatterSession *self, const char *command, int nparams, ...);
NatterConversation *natter_session_ensure_conversation_(NatterSession *self,
							NatterConversationKind kind,
							const char *name, gboolean focus);
void natter_session_remove_conversation_(NatterSession *self, NatterConversation *conv);
void natter_session_add_message_(NatterSession *self, NatterConversation *conv,
				 NatterMessage *msg);
void natter_session_add_event_(NatterSession *self, NatterConversation *conv,
			       NatterMessageKind kind, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* An event line with its kind and (for join, part, ...) who did it. */
void natter_session_add_event_full_(NatterSession *self, NatterConversation *conv,
				    NatterMessageKind kind, NatterEventKind event,
				    const char *nick, const char *fmt, ...) G_GNUC_PRINTF(6, 7);
/* Where server replies without a better place go. */
NatterConversation *natter_session_fallback_conversation_(NatterSession *self);
void natter_session_fail_registration_(NatterSession *self, NatterSessionError code,
				       const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The connection ended without the person asking: reconnect (or fail). */
void natter_session_connection_lost_(NatterSession *self, const char *reason);
/* 001 arrived. */
void natter_session_registered_(NatterSession *self);
void natter_session_set_away_(NatterSession *self, gboolean away);
void natter_session_set_listing_(NatterSession *self, gboolean listing);

/* natter-sasl.c: accounts while registering (REGISTER, AUTHENTICATE,
 * 900-908), and CAP END once that is done. */
gboolean natter_sasl_wants_cap_(NatterSession *self, const char *cap, const char *value);
void natter_sasl_cap_done_(NatterSession *self);
void natter_sasl_reset_(NatterSession *self);
gboolean natter_sasl_dispatch_(NatterSession *self, struct irc_message *msg);
/* Members' accounts: after our JOIN (WHOX), and on someone's extended JOIN. */
void natter_sasl_joined_(NatterSession *self, const char *room);
void natter_sasl_joined_member_(NatterSession *self, const char *nick, struct irc_message *msg);

/* natter-inbound.c: one line from the server (modified in place). */
void natter_inbound_dispatch(NatterSession *self, char *line);
/* TRUE when @text mentions @nick as a word (case-insensitive, IRC rules). */
gboolean natter_inbound_mentions(const char *text, const char *nick);

/* natter-history.c: CHATHISTORY, batches, read markers, redaction. */
NatterHistory *natter_history_new(void);
void natter_history_free(NatterHistory *history);
void natter_history_reset_(NatterSession *self);    /* a new connection */
void natter_history_isupport_(NatterSession *self, const char *token);
void natter_history_registered_(NatterSession *self); /* 001: TARGETS */
void natter_history_joined_(NatterSession *self, NatterConversation *conv); /* LATEST/AFTER */
/* A live message about to be added: FALSE when @conv already shows it. */
gboolean natter_history_note_live_(NatterSession *self, NatterConversation *conv,
				   NatterMessage *msg);
/* BATCH, lines in our batches, CHATHISTORY, MARKREAD, REDACT, their FAILs:
 * TRUE when the line was handled here. */
gboolean natter_history_dispatch_(NatterSession *self, struct irc_message *msg, const char *nick);

G_END_DECLS

#endif
