/* natter-connect-page.c - the connect screen (see natter-connect-page.h). */
#include "natter-connect-page.h"

#include <stdlib.h>
#include <string.h>

#include "irc_names.h"
#include "natter-input.h"

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
	long port = *port_text == '\0' ? 2048 : strtol(port_text, &end, 10);
	if ((end != NULL && *end != '\0') || port < 1 || port > 65535) {
		show_status(self, "The port is a number from 1 to 65535.", TRUE);
		gtk_widget_grab_focus(GTK_WIDGET(self->port_entry));
		return;
	}
	gtk_widget_set_visible(GTK_WIDGET(self->suggest_button), FALSE);
	if (!natter_session_connect(self->session, host, (guint16)port, nick, &error)) {
		show_status(self, error->message, TRUE);
		return;
	}
	g_autofree char *text = g_strdup_printf("Connecting to %s port %ld…", host, port);
	show_status(self, text, FALSE);
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
	else if (state == NATTER_SESSION_CONNECTED)
		show_status(self, NULL, FALSE);
}

static void on_failed(NatterConnectPage *self, GError *error)
{
	show_status(self, error->message, TRUE);
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
}

static void natter_connect_page_init(NatterConnectPage *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

NatterConnectPage *natter_connect_page_new(void)
{
	return g_object_new(NATTER_TYPE_CONNECT_PAGE, NULL);
}
