/* cmd_account.c - REGISTER and VERIFY (IRCv3 draft/account-registration),
 * natter's ACCOUNT command (change password, drop the account, manage
 * certificate fingerprints) and PASS account:password. Password work runs
 * on the password queue (async.h); registration waits for it (login_pending()). */
#include <sodium.h>
#include <string.h>

#include "accounts.h"
#include "async.h"
#include "chanreg.h"
#include "client.h"
#include "commands.h"
#include "conn.h"
#include "login.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"

/* NOTE <command> <code> [<context>] :<text> (IRCv3 standard replies). */
static void send_note(struct client *c, const char *command, const char *code,
		      const char *context, const char *text)
{
	send_line(c, ":%s NOTE %s %s %s :%s", server.cfg->name, command, code, context, text);
}

static void send_fail_ctx(struct client *c, const char *command, const char *code,
			  const char *context, const char *text)
{
	send_line(c, ":%s FAIL %s %s %s :%s", server.cfg->name, command, code,
		  reply_param(context), text);
}

/* One worker job for REGISTER, ACCOUNT PASSWORD and ACCOUNT DROP: check the
 * current password (if @check), then derive secrets for a new one (if any). */
enum account_op { OP_REGISTER, OP_PASSWORD, OP_DROP };

struct account_job {
	enum account_op op;
	char *name;
	char *hash;               /* current hash, when checking */
	char *password;           /* current password, when checking */
	char *new_password;       /* REGISTER and PASSWORD */
	struct account_cost cost;
	bool checked_ok;
	struct account_secrets secrets;
};

static void job_work(gpointer data)
{
	struct account_job *job = data;

	if (job->op != OP_REGISTER) {
		job->checked_ok = account_check_password(job->hash, job->password, &job->cost);
		if (!job->checked_ok)
			return;
	}
	if (job->new_password != NULL)
		account_derive_secrets(job->new_password, &job->cost, &job->secrets);
}

static void wipe(char *s)
{
	if (s != NULL) {
		sodium_memzero(s, strlen(s));
		g_free(s);
	}
}

static void register_finish(struct client *c, struct account_job *job)
{
	struct account *a;

	if (!job->secrets.ok) {
		send_fail_ctx(c, "REGISTER", "TEMPORARILY_UNAVAILABLE", job->name,
			      "The server could not hash the password; try again later");
		return;
	}
	if (account_find(job->name) != NULL) { /* someone was quicker */
		send_fail_ctx(c, "REGISTER", "ACCOUNT_EXISTS", job->name,
			      "Account already exists");
		return;
	}
	if (c->account != NULL) {
		send_fail_ctx(c, "REGISTER", "ALREADY_AUTHENTICATED", c->account->name,
			      "You are already logged in");
		return;
	}
	a = account_create(job->name, &job->secrets);
	send_line(c, ":%s REGISTER SUCCESS %s :Account registered; you are logged in",
		  server.cfg->name, a->name);
	login_set_account(c, a);
}

static void password_finish(struct client *c, struct account_job *job, struct account *a)
{
	if (!job->secrets.ok) {
		send_fail_ctx(c, "ACCOUNT", "TEMPORARILY_UNAVAILABLE", job->name,
			      "The server could not hash the password; try again later");
		return;
	}
	account_set_secrets(a, &job->secrets);
	send_note(c, "ACCOUNT", "PASSWORD_CHANGED", a->name, "Your password has been changed");
}

static void drop_finish(struct client *c, struct account *a)
{
	g_autofree char *name = g_strdup(a->name);

	while (a->sessions->len > 0) {
		struct client *s = g_ptr_array_index(a->sessions, a->sessions->len - 1);
		if (s != c)
			send_line(s, ":%s NOTICE %s :The account %s was dropped", server.cfg->name,
				  s->nick, name);
		login_clear_account(s);
	}
	chanreg_account_dropped(a);
	account_drop(a);
	send_note(c, "ACCOUNT", "DROPPED", name, "The account is gone; its name is free");
}

/* In the loop, for a client still here (async.h); its next lines waited. */
static void job_done(struct client *c, void *data)
{
	struct account_job *job = data;
	struct account *a = account_find(job->name);

	c->auth->check_pending = false;
	if (job->op == OP_REGISTER) {
		register_finish(c, job);
	} else if (!job->checked_ok || a == NULL || a->password_hash == NULL ||
		   job->hash == NULL ||
		   strcmp(a->password_hash, job->hash) != 0) {
		login_failed(c, job->name);
		send_fail_ctx(c, "ACCOUNT", "WRONG_PASSWORD", job->name,
			      "The current password is wrong");
	} else {
		login_succeeded(c, job->name);
		if (job->op == OP_PASSWORD)
			password_finish(c, job, a);
		else
			drop_finish(c, a);
	}
	registration_try_complete(c);
}

static void job_free(void *data)
{
	struct account_job *job = data;

	wipe(job->password);
	wipe(job->new_password);
	wipe(job->hash);
	sodium_memzero(&job->secrets, sizeof(job->secrets));
	g_free(job->name);
	g_free(job);
}

/* Queues @job's password work, or refuses with a clear error when the
 * password queue is full. */
static void submit(struct client *c, struct account_job *job, const char *command)
{
	account_cost_current(&job->cost);
	if (!async_submit(c, ASYNC_PASSWORD, job_work, job_done, job_free, job)) {
		async_refuse(c, command, ASYNC_PASSWORD);
		job_free(job);
		return;
	}
	client_auth(c)->check_pending = true;
}

/* True (after answering) when @c cannot start password work now. */
static bool busy(struct client *c, const char *command)
{
	if (c->async_pending == 0 && !login_pending(c))
		return false;
	send_fail_ctx(c, command, "TEMPORARILY_UNAVAILABLE", "*",
		      "Another request of yours is still being checked; try again");
	return true;
}

/* True (after answering @command's WEAK_PASSWORD FAIL about @context) when
 * @password is shorter than the configured minimum. */
static bool too_short(struct client *c, const char *command, const char *context,
		      const char *password)
{
	g_autofree char *text = NULL;

	if ((int)strlen(password) >= server.cfg->password_min)
		return false;
	text = g_strdup_printf("The password must be at least %d characters long",
			       server.cfg->password_min);
	send_fail_ctx(c, command, "WEAK_PASSWORD", context, text);
	return true;
}

/* REGISTER <account> {<email> | "*"} <password> */
void cmd_register(struct client *c, struct irc_message *msg)
{
	const char *name = msg->params[0], *password = msg->params[2];
	struct client *holder;
	struct account_job *job;

	if (strcmp(name, "*") == 0)
		name = c->nick;
	if (strcmp(name, "*") == 0) {
		send_fail_ctx(c, "REGISTER", "NEED_NICK", "*", "Choose a nickname first");
		return;
	}
	if (!server.cfg->registration) {
		send_fail_ctx(c, "REGISTER", "TEMPORARILY_UNAVAILABLE", name,
			      "Account registration is disabled on this server");
		return;
	}
	if (c->account != NULL) {
		send_fail_ctx(c, "REGISTER", "ALREADY_AUTHENTICATED", c->account->name,
			      "You are already logged in");
		return;
	}
	if (!irc_nick_is_valid(name)) {
		send_fail_ctx(c, "REGISTER", "BAD_ACCOUNT_NAME", name,
			      "An account name must be a valid nickname");
		return;
	}
	if (account_find(name) != NULL) {
		send_fail_ctx(c, "REGISTER", "ACCOUNT_EXISTS", name, "Account already exists");
		return;
	}
	holder = registry_find_nick(name);
	if (holder != NULL && holder != c) {
		send_fail_ctx(c, "REGISTER", "BAD_ACCOUNT_NAME", name,
			      "Someone online is using that name");
		return;
	}
	if (too_short(c, "REGISTER", name, password))
		return;
	if (busy(c, "REGISTER"))
		return;
	job = g_new0(struct account_job, 1);
	job->op = OP_REGISTER;
	job->name = g_strdup(name);
	job->new_password = g_strdup(password);
	submit(c, job, "REGISTER");
}

/* VERIFY <account> <code>: accounts are active at once, so nothing waits. */
void cmd_verify(struct client *c, struct irc_message *msg)
{
	send_fail_ctx(c, "VERIFY", "INVALID_CODE", msg->params[0],
		      "No verification is pending: accounts on this server are active at once");
}

/* ACCOUNT PASSWORD and DROP: unless throttled or busy, checks the current
 * @password on the password queue; job_done() then does @op (with
 * @new_password for OP_PASSWORD) or answers WRONG_PASSWORD. */
static void check_password_then(struct client *c, enum account_op op, const char *password,
				const char *new_password)
{
	struct account_job *job;
	int wait;
	const char *what;

	if (login_throttled(c, c->account->name, &wait, &what)) {
		g_autofree char *text = login_throttle_text(wait, what);
		send_fail_ctx(c, "ACCOUNT", "RATE_LIMITED", c->account->name, text);
		return;
	}
	if (busy(c, "ACCOUNT"))
		return;
	job = g_new0(struct account_job, 1);
	job->op = op;
	job->name = g_strdup(c->account->name);
	job->hash = g_strdup(c->account->password_hash);
	job->password = g_strdup(password);
	job->new_password = g_strdup(new_password);
	submit(c, job, "ACCOUNT");
}

/* ACCOUNT PASSWORD <current> <new> */
static void account_password(struct client *c, struct irc_message *msg)
{
	if (msg->nparams < 3) {
		send_numeric(c, ERR_NEEDMOREPARAMS, "ACCOUNT");
		return;
	}
	if (too_short(c, "ACCOUNT", c->account->name, msg->params[2]))
		return;
	check_password_then(c, OP_PASSWORD, msg->params[1], msg->params[2]);
}

/* ACCOUNT DROP <password> */
static void account_dropcmd(struct client *c, struct irc_message *msg)
{
	if (msg->nparams < 2) {
		send_numeric(c, ERR_NEEDMOREPARAMS, "ACCOUNT");
		return;
	}
	check_password_then(c, OP_DROP, msg->params[1], NULL);
}

/* ACCOUNT CERT LIST | ADD <fingerprint> | DEL <fingerprint> */
static void account_cert(struct client *c, struct irc_message *msg)
{
	struct account *a = c->account;
	const char *sub = msg->nparams > 1 ? msg->params[1] : "LIST";
	char fp[65];

	if (g_ascii_strcasecmp(sub, "LIST") == 0) {
		for (guint i = 0; i < a->certfps->len; i++)
			send_note(c, "ACCOUNT", "CERTFP", a->name,
				  (const char *)g_ptr_array_index(a->certfps, i));
		send_note(c, "ACCOUNT", "CERTFP_END", a->name, "End of certificate fingerprints");
		return;
	}
	if (g_ascii_strcasecmp(sub, "ADD") != 0 && g_ascii_strcasecmp(sub, "DEL") != 0) {
		send_fail_ctx(c, "ACCOUNT", "UNKNOWN_SUBCOMMAND", sub,
			      "Use ACCOUNT CERT LIST, ADD <fingerprint> or DEL <fingerprint>");
		return;
	}
	/* ADD with no fingerprint: the certificate of this very connection. */
	if (msg->nparams < 3 && g_ascii_strcasecmp(sub, "ADD") == 0) {
		const char *own = c->conn != NULL ? conn_certfp(c->conn) : NULL;
		if (own == NULL) {
			send_fail_ctx(c, "ACCOUNT", "INVALID_CERTFP", "*",
				      "This connection has no TLS client certificate; give a "
				      "fingerprint");
			return;
		}
		g_strlcpy(fp, own, sizeof(fp));
	} else if (msg->nparams < 3 || !account_normalise_certfp(msg->params[2], fp)) {
		send_fail_ctx(c, "ACCOUNT", "INVALID_CERTFP", msg->nparams > 2 ? msg->params[2] : "*",
			      "Give the certificate's SHA-256 fingerprint in hex (64 digits, colons "
			      "allowed)");
		return;
	}
	if (g_ascii_strcasecmp(sub, "ADD") == 0) {
		if (!account_add_certfp(a, fp)) {
			send_fail_ctx(c, "ACCOUNT", "CERTFP_IN_USE", fp,
				      "That certificate is already linked to an account");
			return;
		}
		send_note(c, "ACCOUNT", "CERTFP_ADDED", fp,
			  "You can now log in with this certificate (SASL EXTERNAL)");
	} else {
		if (!account_remove_certfp(a, fp)) {
			send_fail_ctx(c, "ACCOUNT", "NO_SUCH_CERTFP", fp,
				      "That certificate is not linked to your account");
			return;
		}
		send_note(c, "ACCOUNT", "CERTFP_REMOVED", fp, "Certificate removed");
	}
}

/* ACCOUNT PASSWORD <current> <new> | DROP <password> | CERT ... | LOGOUT */
void cmd_account(struct client *c, struct irc_message *msg)
{
	const char *sub = msg->params[0];

	if (c->account == NULL) {
		send_fail_ctx(c, "ACCOUNT", "NOT_LOGGED_IN", "*",
			      "Log in first (SASL, or PASS account:password)");
		return;
	}
	if (g_ascii_strcasecmp(sub, "PASSWORD") == 0)
		account_password(c, msg);
	else if (g_ascii_strcasecmp(sub, "DROP") == 0)
		account_dropcmd(c, msg);
	else if (g_ascii_strcasecmp(sub, "CERT") == 0)
		account_cert(c, msg);
	else if (g_ascii_strcasecmp(sub, "LOGOUT") == 0)
		login_clear_account(c);
	else
		send_fail_ctx(c, "ACCOUNT", "UNKNOWN_SUBCOMMAND", sub,
			      "Use ACCOUNT PASSWORD, DROP, CERT or LOGOUT");
}

/* --- PASS account:password --------------------------------------------------- */

static void pass_done(struct client *c, struct account *a, bool ok)
{
	if (!ok) {
		send_numeric(c, ERR_PASSWDMISMATCH);
		return;
	}
	login_set_account(c, a);
}

void account_pass(struct client *c, const char *arg)
{
	const char *colon = strchr(arg, ':');
	g_autofree char *name = NULL;
	int wait;
	const char *what;

	if (colon == NULL || colon == arg || colon[1] == '\0')
		return; /* no server password: a bare PASS is ignored */
	if (c->account != NULL || login_pending(c) || c->async_pending > 0)
		return;
	name = g_strndup(arg, (gsize)(colon - arg));
	if (!login_transport_secure(c)) {
		send_fail_ctx(c, "PASS", "INSECURE_CONNECTION", name,
			      "PASS would send the password as it is: use TLS, or SASL SCRAM-SHA-256");
		return;
	}
	if (login_throttled(c, name, &wait, &what)) {
		g_autofree char *text = login_throttle_text(wait, what);
		send_fail_ctx(c, "PASS", "RATE_LIMITED", name, text);
		send_numeric(c, ERR_PASSWDMISMATCH);
		return;
	}
	if (!login_check_password(c, name, colon + 1, pass_done))
		async_refuse(c, "PASS", ASYNC_PASSWORD);
}
