/* sasl.c - AUTHENTICATE: the SASL state machine (see sasl.h). */
#include "sasl.h"

#include <sodium.h>
#include <string.h>

#include "accounts.h"
#include "async.h"
#include "client.h"
#include "commands.h"
#include "conn.h"
#include "login.h"
#include "numerics.h"
#include "scram.h"
#include "send.h"
#include "server.h"

#define CHUNK 400

enum sasl_mech { MECH_PLAIN, MECH_SCRAM, MECH_EXTERNAL };

struct sasl_session {
	enum sasl_mech mech;
	GString *buf;               /* base64 chunks so far */
	struct scram_session scram;
	bool scram_proved;          /* proof checked; waiting for the client's "+" */
	bool scram_known;           /* the name is a real account */
};

static const char mechanisms[] = "EXTERNAL,PLAIN,SCRAM-SHA-256";

const char *sasl_mechanisms(void)
{
	return mechanisms;
}

void sasl_session_free(struct client *c)
{
	struct sasl_session *s = c->auth != NULL ? c->auth->sasl : NULL;

	if (s == NULL)
		return;
	if (s->buf != NULL) {
		sodium_memzero(s->buf->str, s->buf->len);
		g_string_free(s->buf, TRUE);
	}
	scram_clear(&s->scram);
	g_free(s);
	c->auth->sasl = NULL;
}

static void fail(struct client *c, const char *why)
{
	sasl_session_free(c);
	send_numeric(c, ERR_SASLFAIL, why);
}

void sasl_registration_ends(struct client *c)
{
	if (c->auth != NULL && c->auth->sasl != NULL) {
		sasl_session_free(c);
		send_numeric(c, ERR_SASLABORTED);
	}
}

/* Sends @data base64-encoded as AUTHENTICATE lines of at most 400 bytes,
 * with a "+" after a last chunk of exactly 400. */
static void send_challenge(struct client *c, const char *data, size_t len)
{
	g_autofree char *b64 = g_base64_encode((const guchar *)data, len);
	size_t total = strlen(b64), off = 0;

	do {
		size_t n = MIN(total - off, CHUNK);
		send_line(c, "AUTHENTICATE %.*s", (int)n, b64 + off);
		off += n;
		if (n == CHUNK && off == total)
			send_line(c, "AUTHENTICATE +");
	} while (off < total);
}

static bool refused_for_throttle(struct client *c, const char *account)
{
	int wait;
	const char *what;
	g_autofree char *text = NULL;

	if (!login_throttled(c, account, &wait, &what))
		return false;
	text = login_throttle_text(wait, what);
	fail(c, text);
	return true;
}

static void plain_done(struct client *c, struct account *a, bool ok)
{
	if (!ok) {
		send_numeric(c, ERR_SASLFAIL, "wrong account name or password");
		return;
	}
	login_set_account(c, a);
	send_numeric(c, RPL_SASLSUCCESS);
}

/* PLAIN: authzid NUL authcid NUL password (RFC 4616). */
static void plain_step(struct client *c, const char *msg, size_t len)
{
	const char *authzid = msg, *authcid, *password, *end = msg + len;
	const char *nul1 = memchr(msg, '\0', len), *nul2;

	if (nul1 == NULL || (nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1))) == NULL ||
	    memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)) != NULL) {
		fail(c, "malformed PLAIN message");
		return;
	}
	authcid = nul1 + 1;
	password = nul2 + 1;
	if (authcid[0] == '\0' || password[0] == '\0') {
		fail(c, "malformed PLAIN message");
		return;
	}
	if (authzid[0] != '\0' && irc_casecmp(authzid, authcid) != 0) {
		fail(c, "you may only log in as yourself (authzid must be empty or the account)");
		return;
	}
	if (refused_for_throttle(c, authcid))
		return;
	sasl_session_free(c);
	if (!login_check_password(c, authcid, password, plain_done)) {
		async_refuse(c, "AUTHENTICATE", ASYNC_PASSWORD);
		send_numeric(c, ERR_SASLFAIL, "the server is busy; try again in a few seconds");
	}
}

static void scram_step(struct client *c, struct sasl_session *s, const char *msg)
{
	const char *error = NULL;

	if (s->scram.state == SCRAM_START) {
		struct scram_credentials cred;
		struct account *a;
		unsigned char raw[18];
		g_autofree char *nonce = NULL, *first = NULL;

		if (!scram_client_first(&s->scram, msg, &error)) {
			fail(c, error);
			return;
		}
		if (refused_for_throttle(c, s->scram.username))
			return;
		a = account_find(s->scram.username);
		s->scram_known = a != NULL && a->password_hash != NULL;
		if (s->scram_known)
			cred = a->scram;
		else
			account_fake_scram(s->scram.username, &cred);
		randombytes_buf(raw, sizeof(raw));
		nonce = g_base64_encode(raw, sizeof(raw));
		first = scram_server_first(&s->scram, &cred, nonce);
		sodium_memzero(&cred, sizeof(cred));
		send_challenge(c, first, strlen(first));
	} else if (s->scram.state == SCRAM_SENT_FIRST) {
		g_autofree char *final = NULL;
		bool ok = scram_client_final(&s->scram, msg, &final, &error) && s->scram_known;
		if (!ok) {
			login_failed(c, s->scram.username);
			fail(c, error != NULL && strcmp(error, "wrong password") != 0
				     ? error : "wrong account name or password");
			return;
		}
		login_succeeded(c, s->scram.username);
		s->scram_proved = true;
		send_challenge(c, final, strlen(final));
	} else {
		fail(c, "unexpected SCRAM message");
	}
}

/* EXTERNAL: the TLS client certificate's fingerprint, added to the account
 * with ACCOUNT CERT ADD, logs in; the message is empty or the account name
 * (authzid), which must then be the certificate's account. */
static void external_step(struct client *c, const char *authzid, size_t len)
{
	const char *fp = c->conn != NULL ? conn_certfp(c->conn) : NULL;
	struct account *a = fp != NULL ? account_find_certfp(fp) : NULL;

	if (fp == NULL) {
		fail(c, "EXTERNAL needs a TLS client certificate");
		return;
	}
	if (a == NULL) {
		fail(c, "this certificate is not linked to an account (ACCOUNT CERT ADD)");
		return;
	}
	if (len > 0 && irc_casecmp(authzid, a->name) != 0) {
		fail(c, "this certificate belongs to another account");
		return;
	}
	sasl_session_free(c);
	login_set_account(c, a);
	send_numeric(c, RPL_SASLSUCCESS);
}

/* The client's "+" after the server-final message ends a SCRAM login. */
static void scram_finish(struct client *c, struct sasl_session *s)
{
	struct account *a = account_find(s->scram.username);

	sasl_session_free(c);
	if (a == NULL) {
		send_numeric(c, ERR_SASLFAIL, "the account no longer exists");
		return;
	}
	login_set_account(c, a);
	send_numeric(c, RPL_SASLSUCCESS);
}

static bool is_base64(const char *s)
{
	for (; *s != '\0'; s++)
		if (!g_ascii_isalnum(*s) && *s != '+' && *s != '/' && *s != '=')
			return false;
	return true;
}

/* A whole client message has arrived (base64 in s->buf). */
static void message_complete(struct client *c, struct sasl_session *s)
{
	g_autofree guchar *decoded = NULL;
	gsize len = 0;

	if (s->mech == MECH_SCRAM && s->scram_proved) {
		if (s->buf->len != 0) {
			fail(c, "expected an empty response after the server's final message");
			return;
		}
		scram_finish(c, s);
		return;
	}
	if (s->buf->len % 4 != 0 || !is_base64(s->buf->str)) {
		fail(c, "the message is not valid base64");
		return;
	}
	/* One byte more, NUL, so a decoded SCRAM message is a C string. */
	decoded = g_malloc(s->buf->len / 4 * 3 + 1);
	if (s->buf->len > 0) {
		int state = 0;
		guint save = 0;
		len = g_base64_decode_step(s->buf->str, s->buf->len, decoded, &state, &save);
	}
	decoded[len] = '\0';
	sodium_memzero(s->buf->str, s->buf->len);
	g_string_truncate(s->buf, 0);
	if (s->mech == MECH_PLAIN) {
		plain_step(c, (const char *)decoded, len);
	} else if (s->mech == MECH_EXTERNAL) {
		if (memchr(decoded, '\0', len) != NULL)
			fail(c, "malformed EXTERNAL message");
		else
			external_step(c, (const char *)decoded, len);
	} else if (memchr(decoded, '\0', len) != NULL) {
		fail(c, "malformed SCRAM message");
	} else {
		scram_step(c, s, (const char *)decoded);
	}
	sodium_memzero(decoded, len);
}

static void start(struct client *c, const char *mech)
{
	struct sasl_session *s;

	if (g_ascii_strcasecmp(mech, "PLAIN") != 0 &&
	    g_ascii_strcasecmp(mech, "SCRAM-SHA-256") != 0 &&
	    g_ascii_strcasecmp(mech, "EXTERNAL") != 0) {
		send_numeric(c, RPL_SASLMECHS, mechanisms);
		send_numeric(c, ERR_SASLFAIL, "unknown mechanism");
		return;
	}
	if (g_ascii_strcasecmp(mech, "PLAIN") == 0 && !login_transport_secure(c)) {
		send_numeric(c, ERR_SASLFAIL,
			     "PLAIN sends the password as it is: use TLS, or SCRAM-SHA-256");
		return;
	}
	s = g_new0(struct sasl_session, 1);
	s->mech = g_ascii_strcasecmp(mech, "PLAIN") == 0	? MECH_PLAIN
		  : g_ascii_strcasecmp(mech, "EXTERNAL") == 0 ? MECH_EXTERNAL
							      : MECH_SCRAM;
	s->buf = g_string_new(NULL);
	client_auth(c)->sasl = s;
	send_line(c, "AUTHENTICATE +");
}

void cmd_authenticate(struct client *c, struct irc_message *msg)
{
	const char *arg = msg->params[0];
	struct sasl_session *s = c->auth != NULL ? c->auth->sasl : NULL;
	size_t len = strlen(arg);

	if (login_pending(c)) {
		send_numeric(c, ERR_SASLFAIL, "a login is already being checked");
		return;
	}
	if (strcmp(arg, "*") == 0) {
		sasl_session_free(c);
		send_numeric(c, ERR_SASLABORTED);
		return;
	}
	if (s == NULL) {
		if (c->account != NULL) {
			send_numeric(c, ERR_SASLALREADY);
			return;
		}
		start(c, arg);
		return;
	}
	if (len > CHUNK) {
		sasl_session_free(c);
		send_numeric(c, ERR_SASLTOOLONG);
		return;
	}
	if (strcmp(arg, "+") != 0)
		g_string_append_len(s->buf, arg, (gssize)len);
	if (s->buf->len > SASL_MESSAGE_MAX * 4 / 3 + 4) {
		sasl_session_free(c);
		send_numeric(c, ERR_SASLTOOLONG);
		return;
	}
	if (len == CHUNK)
		return; /* more follows */
	message_complete(c, s);
}
