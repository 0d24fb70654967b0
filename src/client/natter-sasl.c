/* natter-sasl.c - accounts while registering: REGISTER (draft/account-
 * registration) when creating one, otherwise SASL SCRAM-SHA-256 where the
 * server offers it, else PLAIN over TLS or loopback only; then CAP END.
 * Refusals end the attempt with an error in words (see natter-session.h). */
#define G_LOG_DOMAIN "natter"

#include "natter-session-private.h"
#include "natter-scram.h"

#include <string.h>

#define AUTH_CHUNK 400 /* AUTHENTICATE carries base64 in 400-byte pieces */

void natter_sasl_reset_(NatterSession *self)
{
	g_clear_pointer(&self->sasl_mechs, g_free);
	g_clear_pointer(&self->sasl_mech, g_free);
	g_clear_pointer(&self->scram, natter_scram_free);
	g_clear_pointer(&self->account, g_free);
	self->reg_offered = FALSE;
	self->whox_pending = 0;
}

/* Called for every capability in CAP LS: TRUE when we ask for it. */
gboolean natter_sasl_wants_cap_(NatterSession *self, const char *cap, const char *value)
{
	if (strcmp(cap, "sasl") == 0) {
		g_free(self->sasl_mechs);
		self->sasl_mechs = g_strdup(value != NULL ? value : "");
		return self->password != NULL;
	}
	if (strcmp(cap, "draft/account-registration") == 0) {
		self->reg_offered = TRUE;
		return self->password != NULL && self->create_account;
	}
	return strcmp(cap, "account-notify") == 0 || strcmp(cap, "extended-join") == 0 ||
	       strcmp(cap, "account-tag") == 0;
}

const char *natter_session_get_login_mechanism(NatterSession *self)
{
	return self->login_mech;
}

void natter_session_set_mechanisms(NatterSession *self, const char *mechs)
{
	g_clear_pointer(&self->mech_allowed, g_strfreev);
	if (mechs != NULL)
		self->mech_allowed = g_strsplit(mechs, ",", -1);
}

static gboolean offers(NatterSession *self, const char *mech)
{
	if (self->sasl_mechs == NULL)
		return FALSE;
	if (self->mech_allowed != NULL && !g_strv_contains((const char *const *)self->mech_allowed, mech))
		return FALSE;
	if (*self->sasl_mechs == '\0')
		return TRUE; /* "sasl" without a list: try */
	g_auto(GStrv) list = g_strsplit(self->sasl_mechs, ",", -1);
	return g_strv_contains((const char *const *)list, mech);
}

static gboolean is_loopback(const char *host)
{
	GInetAddress *a = g_inet_address_new_from_string(host);
	gboolean lo = a != NULL && g_inet_address_get_is_loopback(a);

	g_clear_object(&a);
	return lo || g_ascii_strcasecmp(host, "localhost") == 0;
}

static void send_authenticate(NatterSession *self, const char *data, gsize len)
{
	if (len == 0) {
		natter_session_send_command_(self, "AUTHENTICATE", 1, "+");
		return;
	}
	g_autofree char *b64 = g_base64_encode((const guchar *)data, len);
	gsize total = strlen(b64);
	for (gsize off = 0; off < total; off += AUTH_CHUNK) {
		g_autofree char *piece = g_strndup(b64 + off, AUTH_CHUNK);
		natter_session_send_command_(self, "AUTHENTICATE", 1, piece);
	}
	if (total % AUTH_CHUNK == 0)
		natter_session_send_command_(self, "AUTHENTICATE", 1, "+");
}

void natter_sasl_cap_done_(NatterSession *self)
{
	if (self->state != NATTER_SESSION_REGISTERING || self->sasl_mech != NULL)
		return;
	if (self->password != NULL && self->account == NULL) {
		if (self->create_account) {
			if (!self->reg_offered) {
				natter_session_fail_registration_(self, NATTER_SESSION_ERROR_ACCOUNT,
					"The server at %s does not let people create accounts.", self->host);
				return;
			}
			self->sasl_mech = g_strdup("REGISTER");
			natter_session_send_command_(self, "REGISTER", 3, self->wanted_nick, "*",
						     self->password);
			return;
		}
		const char *mech = NULL;
		if (offers(self, "SCRAM-SHA-256"))
			mech = "SCRAM-SHA-256";
		else if (offers(self, "PLAIN") && (self->tls || is_loopback(self->host)))
			mech = "PLAIN";
		if (mech == NULL) {
			natter_session_fail_registration_(self, NATTER_SESSION_ERROR_LOGIN_FAILED,
				self->sasl_mechs == NULL
					? "The server at %s does not offer logging in to an account (SASL)."
					: "The server at %s offers no way to log in that keeps the password safe here "
					  "(no SCRAM-SHA-256, and PLAIN only over a secure connection).",
				self->host);
			return;
		}
		self->sasl_mech = g_strdup(mech);
		natter_session_send_command_(self, "AUTHENTICATE", 1, mech);
		return;
	}
	natter_session_send_line_(self, "CAP END");
}

static void finish(NatterSession *self)
{
	g_free(self->login_mech);
	self->login_mech = g_steal_pointer(&self->sasl_mech);
	g_clear_pointer(&self->scram, natter_scram_free);
	natter_session_send_line_(self, "CAP END");
}

static void on_authenticate(NatterSession *self, const char *arg)
{
	if (self->sasl_mech == NULL || self->password == NULL)
		return;
	if (strcmp(self->sasl_mech, "PLAIN") == 0) {
		if (strcmp(arg, "+") != 0)
			return;
		g_autoptr(GString) msg = g_string_new(NULL);
		g_string_append(msg, self->wanted_nick);
		g_string_append_c(msg, '\0');
		g_string_append(msg, self->wanted_nick);
		g_string_append_c(msg, '\0');
		g_string_append(msg, self->password);
		send_authenticate(self, msg->str, msg->len);
		memset(msg->str, 0, msg->len);
		return;
	}
	if (strcmp(self->sasl_mech, "SCRAM-SHA-256") != 0)
		return;
	if (self->scram == NULL) {
		self->scram = natter_scram_new(self->wanted_nick, self->password, NULL);
		const char *first = natter_scram_client_first(self->scram);
		send_authenticate(self, first, strlen(first));
		return;
	}
	gsize len = 0;
	g_autofree guchar *raw = g_base64_decode(arg, &len);
	g_autofree char *text = g_strndup((const char *)raw, len);
	g_autoptr(GError) error = NULL;
	if (g_str_has_prefix(text, "v=") || g_str_has_prefix(text, "e=")) {
		if (!natter_scram_check_server_final(self->scram, text, &error)) {
			natter_session_fail_registration_(self, NATTER_SESSION_ERROR_LOGIN_FAILED,
				"Logging in to %s failed: %s.", self->host, error->message);
			return;
		}
		send_authenticate(self, NULL, 0);
		return;
	}
	g_autofree char *final = natter_scram_client_final(self->scram, text, &error);
	if (final == NULL) {
		natter_session_send_command_(self, "AUTHENTICATE", 1, "*");
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_LOGIN_FAILED,
			"Logging in to %s failed: %s.", self->host, error->message);
		return;
	}
	send_authenticate(self, final, strlen(final));
}

static void login_failed(NatterSession *self, const char *reason)
{
	g_autofree char *lower = g_ascii_strdown(reason, -1);

	if (strstr(lower, "too many") != NULL || strstr(lower, "wait") != NULL ||
	    strstr(lower, "throttl") != NULL)
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_THROTTLED,
			"Too many failed logins as %s: the server makes you wait before the next try (it says: %s).",
			self->wanted_nick, reason);
	else if (strstr(lower, "tls") != NULL || strstr(lower, "secure") != NULL)
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_LOGIN_FAILED,
			"The server only takes this password over a secure connection: turn on “Use a secure connection (TLS)” (it says: %s).",
			reason);
	else
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_LOGIN_FAILED,
			"The password for %s is not right, or there is no account called %s (the server says: %s).",
			self->wanted_nick, self->wanted_nick, reason);
}

static void register_failed(NatterSession *self, const char *code, const char *reason)
{
	if (strcmp(code, "ACCOUNT_EXISTS") == 0)
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_ACCOUNT,
			"There already is an account called %s. If it is yours, untick “Create an account” and log in with its password; otherwise choose another name.",
			self->wanted_nick);
	else if (strcmp(code, "WEAK_PASSWORD") == 0)
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_ACCOUNT,
			"That password is too short for the server: %s", reason);
	else if (strcmp(code, "BAD_ACCOUNT_NAME") == 0)
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_ACCOUNT,
			"The server does not take %s as an account name: %s", self->wanted_nick, reason);
	else
		natter_session_fail_registration_(self, NATTER_SESSION_ERROR_ACCOUNT,
			"The server did not create the account %s: %s", self->wanted_nick, reason);
}

#define PARAM(m, i) ((m)->nparams > (i) ? (m)->params[(i)] : "")

/* The WHOX token of our own "WHO #room %tna,152" after joining. */
#define WHOX_TOKEN "152"

/* @nick's account in every room we share with them. */
static void set_member_account(NatterSession *self, const char *nick, const char *account)
{
	GListModel *model = G_LIST_MODEL(self->conversations);

	for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
		g_autoptr(NatterConversation) c = g_list_model_get_item(model, i);
		NatterMember *m = natter_conversation_get_kind(c) == NATTER_CONVERSATION_ROOM
					  ? natter_conversation_find_member(c, nick) : NULL;
		if (m != NULL)
			natter_member_set_account(m, account);
	}
}

/* We joined @room: ask who there is logged in (WHOX %a), when the server
 * tells accounts at all (account-notify). */
void natter_sasl_joined_(NatterSession *self, const char *room)
{
	if (!g_hash_table_contains(self->caps, "account-notify"))
		return;
	self->whox_pending++;
	natter_session_send_command_(self, "WHO", 2, room, "%tna," WHOX_TOKEN);
}

/* extended-join: JOIN #room account :realname; "*" = not logged in. */
void natter_sasl_joined_member_(NatterSession *self, const char *nick, struct irc_message *msg)
{
	if (msg->nparams >= 2 && g_hash_table_contains(self->caps, "extended-join"))
		set_member_account(self, nick, msg->params[1]);
}

/* TRUE when @msg was about accounts and is handled. */
gboolean natter_sasl_dispatch_(NatterSession *self, struct irc_message *msg)
{
	const char *cmd = msg->command;

	if (g_ascii_strcasecmp(cmd, "ACCOUNT") == 0 && msg->source != NULL) { /* account-notify */
		g_autofree char *nick = g_strndup(msg->source, strcspn(msg->source, "!@"));
		set_member_account(self, nick, PARAM(msg, 0));
		return TRUE;
	}
	if (strcmp(cmd, "354") == 0 && strcmp(PARAM(msg, 1), WHOX_TOKEN) == 0) { /* me token nick account */
		const char *account = PARAM(msg, 3);
		set_member_account(self, PARAM(msg, 2), strcmp(account, "0") == 0 ? NULL : account);
		return TRUE;
	}
	if (strcmp(cmd, "315") == 0 && self->whox_pending > 0) { /* the end of our WHO */
		self->whox_pending--;
		return TRUE;
	}
	if (g_ascii_strcasecmp(cmd, "AUTHENTICATE") == 0) {
		on_authenticate(self, PARAM(msg, 0));
		return TRUE;
	}
	if (strcmp(cmd, "900") == 0) { /* RPL_LOGGEDIN me nick!u@h account :text */
		g_free(self->account);
		self->account = g_strdup(PARAM(msg, 2));
		g_object_notify(G_OBJECT(self), "account");
		natter_session_add_event_full_(self, natter_session_fallback_conversation_(self),
					       NATTER_MESSAGE_EVENT, NATTER_EVENT_CONNECTION, NULL,
					       "You are logged in to the account %s", self->account);
		return TRUE;
	}
	if (strcmp(cmd, "901") == 0) { /* logged out */
		g_clear_pointer(&self->account, g_free);
		g_object_notify(G_OBJECT(self), "account");
		return FALSE; /* and say so, as a numeric in words */
	}
	if (strcmp(cmd, "903") == 0 || strcmp(cmd, "907") == 0) {
		if (self->sasl_mech != NULL && self->state == NATTER_SESSION_REGISTERING)
			finish(self);
		return TRUE;
	}
	if (strcmp(cmd, "908") == 0) {
		g_free(self->sasl_mechs);
		self->sasl_mechs = g_strdup(PARAM(msg, 1));
		return TRUE;
	}
	if (strcmp(cmd, "904") == 0 || strcmp(cmd, "905") == 0 || strcmp(cmd, "906") == 0) {
		if (self->state == NATTER_SESSION_REGISTERING && self->password != NULL)
			login_failed(self, msg->nparams > 1 ? msg->params[msg->nparams - 1] : "refused");
		return TRUE;
	}
	if (g_ascii_strcasecmp(cmd, "REGISTER") == 0 && strcmp(PARAM(msg, 0), "SUCCESS") == 0) {
		self->create_account = FALSE; /* from now on: log in */
		if (self->sasl_mech != NULL && strcmp(self->sasl_mech, "REGISTER") == 0 &&
		    self->state == NATTER_SESSION_REGISTERING)
			finish(self);
		return TRUE;
	}
	if (g_ascii_strcasecmp(cmd, "FAIL") == 0 && g_ascii_strcasecmp(PARAM(msg, 0), "REGISTER") == 0) {
		if (self->state == NATTER_SESSION_REGISTERING)
			register_failed(self, PARAM(msg, 1), msg->params[msg->nparams - 1]);
		return TRUE;
	}
	return FALSE;
}
