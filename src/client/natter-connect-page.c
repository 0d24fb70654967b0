/* natter-connect-page.c - the connect screen (see natter-connect-page.h). */
#include "natter-connect-page.h"

#include <stdlib.h>
#include <string.h>

#include <adwaita.h>

#include "irc_names.h"
#include "natter-input.h"
#include "natter-keyring.h"
#include "natter-settings.h"
#include "natter-tls.h"
#include "natter-window.h"

struct _NatterConnectPage {
	GtkBox parent_instance;

	NatterSession *session;
	GtkEntry *server_entry;
	GtkEntry *port_entry;
	GtkEntry *nick_entry;
	GtkLabel *nick_reason;
	GtkSpinner *spinner;
	GtkButton *cancel_button;
	GtkButton *connect_button;
	GtkLabel *status_label;
	GtkButton *suggest_button;

	/* TLS and accounts (issue 10) */
	GtkCheckButton *tls_check;
	GtkPasswordEntry *password_entry;
	GtkCheckButton *create_check;
	gboolean updating;      /* port and TLS follow each other: no loop */
	char *typed_password;   /* to save in the keyring once logged in */
	gboolean from_keyring;  /* this attempt uses the saved password */
};

G_DEFINE_FINAL_TYPE(NatterConnectPage, natter_connect_page, GTK_TYPE_BOX)

/* Why @nick is not a valid name, in plain words, or NULL when it is: the
 * session core names the character that is not allowed ("ä", "space") and
 * lists the ones that are (natter_input_check_nick()). */
static char *nick_problem(const char *nick)
{
	char *why = NULL;

	if (*nick == '\0')
		return g_strdup("Type the name others will see.");
	if (natter_input_check_nick(nick, &why))
		return NULL;
	return why;
}

static void show_status(NatterConnectPage *self, const char *text, gboolean error)
{
	gtk_label_set_text(self->status_label, text != NULL ? text : "");
	gtk_widget_set_visible(GTK_WIDGET(self->status_label), text != NULL && *text != '\0');
	if (error)
		gtk_widget_add_css_class(GTK_WIDGET(self->status_label), "error");
	else
		gtk_widget_remove_css_class(GTK_WIDGET(self->status_label), "error");
}

static void show_busy(NatterConnectPage *self, gboolean busy)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	GtkWidget *focus = root != NULL ? gtk_root_get_focus(root) : NULL;
	gboolean had_focus = focus != NULL && gtk_widget_is_ancestor(focus, GTK_WIDGET(self));

	gtk_widget_set_visible(GTK_WIDGET(self->spinner), busy);
	gtk_spinner_set_spinning(self->spinner, busy);
	gtk_widget_set_visible(GTK_WIDGET(self->cancel_button), busy);
	/* Move the keyboard focus before its widget goes insensitive (GTK
	 * warns otherwise): to Cancel while busy, so Enter cancels; back to
	 * the name afterwards. */
	if (busy && had_focus)
		gtk_widget_grab_focus(GTK_WIDGET(self->cancel_button));
	gtk_widget_set_sensitive(GTK_WIDGET(self->connect_button), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->server_entry), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->port_entry), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->nick_entry), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->tls_check), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->password_entry), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->create_check), !busy);
	if (!busy && had_focus && focus == GTK_WIDGET(self->cancel_button))
		gtk_widget_grab_focus(GTK_WIDGET(self->nick_entry));
}

static void on_nick_changed(NatterConnectPage *self)
{
	const char *nick = gtk_editable_get_text(GTK_EDITABLE(self->nick_entry));
	g_autofree char *problem = *nick != '\0' ? nick_problem(nick) : NULL;

	gtk_label_set_text(self->nick_reason, problem != NULL ? problem : "");
	gtk_widget_set_visible(GTK_WIDGET(self->nick_reason), problem != NULL);
	gtk_widget_set_visible(GTK_WIDGET(self->suggest_button), FALSE);
}

void natter_connect_page_connect(NatterConnectPage *self)
{
	const char *host = gtk_editable_get_text(GTK_EDITABLE(self->server_entry));
	const char *port_text = gtk_editable_get_text(GTK_EDITABLE(self->port_entry));
	const char *nick = gtk_editable_get_text(GTK_EDITABLE(self->nick_entry));
	g_autofree char *problem = nick_problem(nick);
	g_autoptr(GError) error = NULL;
	char *end = NULL;

	if (self->session == NULL)
		return;
	if (problem != NULL) {
		gtk_label_set_text(self->nick_reason, problem);
		gtk_widget_set_visible(GTK_WIDGET(self->nick_reason), TRUE);
		gtk_widget_grab_focus(GTK_WIDGET(self->nick_entry));
		return;
	}
	if (*host == '\0')
		host = "127.0.0.1";
	long port = *port_text == '\0' ? NATTER_DEFAULT_PORT : strtol(port_text, &end, 10);
	if ((end != NULL && *end != '\0') || port < 1 || port > 65535) {
		show_status(self, "The port is a number from 1 to 65535.", TRUE);
		gtk_widget_grab_focus(GTK_WIDGET(self->port_entry));
		return;
	}
	gtk_widget_set_visible(GTK_WIDGET(self->suggest_button), FALSE);

	/* The password: typed, or the one the keyring has for this name here. */
	const char *typed = gtk_editable_get_text(GTK_EDITABLE(self->password_entry));
	gboolean create = gtk_check_button_get_active(self->create_check);
	gboolean tls = gtk_check_button_get_active(self->tls_check);
	char *password = NULL;
	if (create && *typed == '\0') {
		show_status(self, "Choose a password for the new account.", TRUE);
		gtk_widget_grab_focus(GTK_WIDGET(self->password_entry));
		return;
	}
	self->from_keyring = FALSE;
	if (*typed != '\0') {
		password = g_strdup(typed);
	} else {
		g_autoptr(GError) kerr = NULL;
		char *saved = natter_keyring_lookup(host, (guint16)port, nick, &kerr);
		if (kerr != NULL)
			g_debug("no keyring: %s", kerr->message);
		if (saved != NULL) {
			password = g_strdup(saved);
			natter_keyring_free(saved);
			self->from_keyring = TRUE;
		}
	}
	g_free(self->typed_password);
	self->typed_password = *typed != '\0' ? g_strdup(typed) : NULL;
	natter_session_set_tls(self->session, tls);
	natter_session_set_password(self->session, password, create);
	if (password != NULL) {
		memset(password, 0, strlen(password));
		g_free(password);
	}
	if (!natter_session_connect(self->session, host, (guint16)port, nick, &error)) {
		show_status(self, error->message, TRUE);
		return;
	}
	g_autofree char *text = g_strdup_printf("Connecting to %s port %ld%s…", host, port,
						tls ? " securely (TLS)" : "");
	show_status(self, text, FALSE);
}

/* TLS follows the port: on for 6697 (and the default), off for others;
 * ticking it on the plain port 2048 moves to 6697 and back. */
static void on_port_changed(NatterConnectPage *self)
{
	const char *text = gtk_editable_get_text(GTK_EDITABLE(self->port_entry));

	if (self->updating)
		return;
	self->updating = TRUE;
	gtk_check_button_set_active(self->tls_check,
				    *text == '\0' || atoi(text) == NATTER_TLS_PORT);
	self->updating = FALSE;
}

static void on_tls_toggled(NatterConnectPage *self)
{
	const char *text = gtk_editable_get_text(GTK_EDITABLE(self->port_entry));
	gboolean tls = gtk_check_button_get_active(self->tls_check);

	if (self->updating)
		return;
	self->updating = TRUE;
	if (tls && atoi(text) == 2048)
		gtk_editable_set_text(GTK_EDITABLE(self->port_entry), "6697");
	else if (!tls && (*text == '\0' || atoi(text) == NATTER_TLS_PORT))
		gtk_editable_set_text(GTK_EDITABLE(self->port_entry), "2048");
	self->updating = FALSE;
}

static void on_create_toggled(NatterConnectPage *self)
{
	gboolean create = gtk_check_button_get_active(self->create_check);

	g_object_set(self->password_entry, "placeholder-text",
		     create ? "At least 8 characters" : "Only for an account", NULL);
	if (create)
		gtk_widget_grab_focus(GTK_WIDGET(self->password_entry));
}

void natter_connect_page_set_tls(NatterConnectPage *self, gboolean tls)
{
	self->updating = TRUE;
	gtk_check_button_set_active(self->tls_check, tls);
	self->updating = FALSE;
}

/* Logged in with a password typed here: the keyring keeps it (never natter.ini). */
static void save_password(NatterConnectPage *self)
{
	const char *account = natter_session_get_account(self->session);
	g_autoptr(GError) error = NULL;

	if (self->typed_password == NULL || account == NULL)
		return;
	if (!natter_keyring_store(natter_session_get_host(self->session),
				  natter_session_get_port(self->session), natter_session_get_nick(self->session),
				  self->typed_password, &error)) {
		g_autofree char *text = g_strdup_printf(
			"Logged in as %s, but the password could not be saved in the keyring (%s): natter will ask for it next time.",
			account, error->message);
		GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
		if (NATTER_IS_WINDOW(root))
			natter_window_add_toast(NATTER_WINDOW(root), text);
		else
			g_message("%s", text);
	}
	memset(self->typed_password, 0, strlen(self->typed_password));
	g_clear_pointer(&self->typed_password, g_free);
	gtk_editable_set_text(GTK_EDITABLE(self->password_entry), "");
	gtk_check_button_set_active(self->create_check, FALSE);
}

static void on_trust_response(AdwMessageDialog *dialog, const char *response, NatterConnectPage *self)
{
	const char *fp = g_object_get_data(G_OBJECT(dialog), "fingerprint");
	g_autoptr(GError) error = NULL;

	if (g_strcmp0(response, "trust") != 0) {
		show_status(self, "Not connected: the certificate was not trusted.", TRUE);
		return;
	}
	if (!natter_tls_remember(natter_session_get_host(self->session),
				 natter_session_get_port(self->session), fp, &error)) {
		g_autofree char *text = g_strdup_printf("Could not remember the certificate: %s", error->message);
		show_status(self, text, TRUE);
		return;
	}
	natter_connect_page_connect(self);
}

static void ask_trust(NatterConnectPage *self)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	const char *fp = natter_session_get_peer_fingerprint(self->session);
	g_autofree char *body = g_strdup_printf(
		"natter has not connected to %s port %u securely before. It shows a certificate "
		"with this SHA-256 fingerprint:\n\n%s\n\nTrust it if it matches what the server's "
		"owner gave you (natterd logs it when it starts). natter remembers it and refuses "
		"the server if it ever shows another one.",
		natter_session_get_host(self->session), natter_session_get_port(self->session), fp);
	GtkWidget *dialog = adw_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
						   "Trust This Server?", body);
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", "_Cancel", "trust",
					 "_Trust and Connect", NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "trust",
						   ADW_RESPONSE_SUGGESTED);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "trust");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
	g_object_set_data_full(G_OBJECT(dialog), "fingerprint", g_strdup(fp), g_free);
	g_signal_connect_object(dialog, "response", G_CALLBACK(on_trust_response), self, 0);
	gtk_window_present(GTK_WINDOW(dialog));
}

static void warn_changed(NatterConnectPage *self, const GError *error)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	GtkWidget *dialog = adw_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
						   "Certificate Changed: Not Connected", error->message);
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "close", "_Close", NULL);
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "close");
	gtk_window_present(GTK_WINDOW(dialog));
}

static void on_entry_activate(NatterConnectPage *self)
{
	if (gtk_widget_get_sensitive(GTK_WIDGET(self->connect_button)))
		natter_connect_page_connect(self);
}

static void on_connect_clicked(NatterConnectPage *self)
{
	natter_connect_page_connect(self);
}

static void on_cancel_clicked(NatterConnectPage *self)
{
	natter_session_disconnect(self->session, NULL);
	show_status(self, "Cancelled.", FALSE);
}

static void on_suggest_clicked(NatterConnectPage *self)
{
	const char *name = g_object_get_data(G_OBJECT(self->suggest_button), "nick");
	if (name == NULL)
		return;
	gtk_editable_set_text(GTK_EDITABLE(self->nick_entry), name);
	natter_connect_page_connect(self);
}

static void on_state(NatterConnectPage *self)
{
	NatterSessionState state = natter_session_get_state(self->session);

	show_busy(self, state == NATTER_SESSION_CONNECTING || state == NATTER_SESSION_REGISTERING);
	if (state == NATTER_SESSION_REGISTERING)
		show_status(self, "Connected; signing in…", FALSE);
	else if (state == NATTER_SESSION_CONNECTED) {
		show_status(self, NULL, FALSE);
		save_password(self);
	}
}

static void on_failed(NatterConnectPage *self, GError *error)
{
	if (self->from_keyring && g_error_matches(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_LOGIN_FAILED)) {
		g_autofree char *text = g_strdup_printf("The password saved in the keyring was refused. %s",
							error->message);
		show_status(self, text, TRUE);
	} else {
		show_status(self, error->message, TRUE);
	}
	if (g_error_matches(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_CERT_UNKNOWN)) {
		ask_trust(self);
		return;
	}
	if (g_error_matches(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_CERT_CHANGED)) {
		warn_changed(self, error);
		return;
	}
	if (g_error_matches(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_LOGIN_FAILED)) {
		gtk_widget_grab_focus(GTK_WIDGET(self->password_entry));
		return;
	}
	if (g_error_matches(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_NICK_IN_USE)) {
		/* Offer a free-looking alternative and let them edit the field. */
		const char *nick = gtk_editable_get_text(GTK_EDITABLE(self->nick_entry));
		g_autofree char *alt = g_strdup_printf("%.*s_", IRC_NICK_MAX - 1, nick);
		g_autofree char *label = g_strdup_printf("Try “%s”", alt);
		gtk_button_set_label(self->suggest_button, label);
		g_object_set_data_full(G_OBJECT(self->suggest_button), "nick", g_steal_pointer(&alt), g_free);
		gtk_widget_set_visible(GTK_WIDGET(self->suggest_button), TRUE);
		gtk_widget_grab_focus(GTK_WIDGET(self->nick_entry));
	} else if (g_error_matches(error, NATTER_SESSION_ERROR, NATTER_SESSION_ERROR_NICK_INVALID)) {
		gtk_widget_grab_focus(GTK_WIDGET(self->nick_entry));
	} else {
		gtk_widget_grab_focus(GTK_WIDGET(self->connect_button));
	}
}

void natter_connect_page_set_session(NatterConnectPage *self, NatterSession *session)
{
	g_return_if_fail(self->session == NULL);
	self->session = g_object_ref(session);
	g_signal_connect_object(session, "notify::state", G_CALLBACK(on_state), self, G_CONNECT_SWAPPED);
	g_signal_connect_object(session, "connect-failed", G_CALLBACK(on_failed), self, G_CONNECT_SWAPPED);
}

void natter_connect_page_fill(NatterConnectPage *self, const char *host, guint16 port,
			      const char *nick)
{
	if (host != NULL)
		gtk_editable_set_text(GTK_EDITABLE(self->server_entry), host);
	if (port != 0) {
		g_autofree char *text = g_strdup_printf("%u", port);
		gtk_editable_set_text(GTK_EDITABLE(self->port_entry), text);
	}
	if (nick != NULL)
		gtk_editable_set_text(GTK_EDITABLE(self->nick_entry), nick);
}

void natter_connect_page_focus(NatterConnectPage *self)
{
	gtk_widget_grab_focus(GTK_WIDGET(self->nick_entry));
}

static void natter_connect_page_dispose(GObject *object)
{
	NatterConnectPage *self = NATTER_CONNECT_PAGE(object);

	g_clear_object(&self->session);
	if (self->typed_password != NULL)
		memset(self->typed_password, 0, strlen(self->typed_password));
	g_clear_pointer(&self->typed_password, g_free);
	G_OBJECT_CLASS(natter_connect_page_parent_class)->dispose(object);
}

static void natter_connect_page_class_init(NatterConnectPageClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = natter_connect_page_dispose;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/natter/Natter/natter-connect-page.ui");
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, server_entry);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, port_entry);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, nick_entry);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, nick_reason);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, spinner);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, cancel_button);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, connect_button);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, status_label);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, suggest_button);
	gtk_widget_class_bind_template_callback(widget_class, on_entry_activate);
	gtk_widget_class_bind_template_callback(widget_class, on_nick_changed);
	gtk_widget_class_bind_template_callback(widget_class, on_connect_clicked);
	gtk_widget_class_bind_template_callback(widget_class, on_cancel_clicked);
	gtk_widget_class_bind_template_callback(widget_class, on_suggest_clicked);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, tls_check);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, password_entry);
	gtk_widget_class_bind_template_child(widget_class, NatterConnectPage, create_check);
	gtk_widget_class_bind_template_callback(widget_class, on_port_changed);
	gtk_widget_class_bind_template_callback(widget_class, on_tls_toggled);
	gtk_widget_class_bind_template_callback(widget_class, on_create_toggled);
}

static void natter_connect_page_init(NatterConnectPage *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	natter_connect_page_set_tls(self, TRUE); /* the default port is the TLS port */
}

NatterConnectPage *natter_connect_page_new(void)
{
	return g_object_new(NATTER_TYPE_CONNECT_PAGE, NULL);
}
