/* natter-server-info.c - the server view (see natter-server-info.h).
 * Built in code, like the WHOIS card: a list of rows that depends on what
 * the server said. */
#include "natter-server-info.h"

struct _NatterServerInfo {
	AdwWindow parent_instance;
};

G_DEFINE_FINAL_TYPE(NatterServerInfo, natter_server_info, ADW_TYPE_WINDOW)

static void add_row(AdwPreferencesGroup *group, const char *title, const char *value)
{
	GtkWidget *row = adw_action_row_new();
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	if (value != NULL) {
		adw_action_row_set_subtitle(ADW_ACTION_ROW(row), value);
		gtk_widget_add_css_class(row, "property");
	}
	adw_preferences_group_add(group, row);
}

static GtkWidget *new_group(const char *title)
{
	GtkWidget *group = adw_preferences_group_new();
	adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), title);
	gtk_widget_set_margin_start(group, 12);
	gtk_widget_set_margin_end(group, 12);
	gtk_widget_set_margin_top(group, 12);
	gtk_widget_set_margin_bottom(group, 6);
	return group;
}

NatterServerInfo *natter_server_info_new(GtkWindow *parent, NatterSession *session)
{
	const char *host = natter_session_get_host(session);
	g_autofree char *address = host != NULL ? g_strdup_printf("%s:%u", host, natter_session_get_port(session))
						: g_strdup("Not connected");
	NatterServerInfo *self = g_object_new(NATTER_TYPE_SERVER_INFO, "transient-for", parent,
					      "modal", TRUE, "destroy-with-parent", TRUE,
					      "default-width", 400, "title", address, NULL);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	GtkWidget *header = adw_header_bar_new();
	adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), adw_window_title_new(address, "About this server"));
	gtk_box_append(GTK_BOX(box), header);
	/* the header stays; the groups scroll */
	GtkWidget *content = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	gtk_widget_set_margin_bottom(content, 12);
	GtkWidget *scroller = gtk_scrolled_window_new();
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
	gtk_scrolled_window_set_propagate_natural_height(GTK_SCROLLED_WINDOW(scroller), TRUE);
	gtk_scrolled_window_set_max_content_height(GTK_SCROLLED_WINDOW(scroller), 560);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroller), content);
	gtk_box_append(GTK_BOX(box), scroller);

	GtkWidget *conn = new_group("Connection");
	gboolean connected = natter_session_get_state(session) == NATTER_SESSION_CONNECTED;
	add_row(ADW_PREFERENCES_GROUP(conn), "Status", connected ? "Connected" : "Not connected");
	if (connected) {
		add_row(ADW_PREFERENCES_GROUP(conn), "Your name", natter_session_get_nick(session));
		add_row(ADW_PREFERENCES_GROUP(conn), "Encryption",
			natter_session_get_tls(session) ? "TLS" : "None (plain text)");
		const char *account = natter_session_get_account(session);
		add_row(ADW_PREFERENCES_GROUP(conn), "Account", account != NULL ? account : "Not logged in");
	}
	gtk_box_append(GTK_BOX(content), conn);

	/* what it said about itself when we connected (or at /lusers) */
	GListModel *info = natter_session_get_server_info(session);
	guint n = g_list_model_get_n_items(info);
	if (n > 0) {
		GtkWidget *stats = new_group("Statistics");
		for (guint i = 0; i < n; i++) {
			g_autoptr(NatterMessage) m = g_list_model_get_item(info, i);
			add_row(ADW_PREFERENCES_GROUP(stats), natter_message_get_text(m), NULL);
		}
		gtk_box_append(GTK_BOX(content), stats);
	}
	adw_window_set_content(ADW_WINDOW(self), box);
	return self;
}

static gboolean on_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
		       GdkModifierType state, NatterServerInfo *self)
{
	(void)ctrl; (void)keycode; (void)state;
	if (keyval != GDK_KEY_Escape)
		return FALSE;
	gtk_window_close(GTK_WINDOW(self));
	return TRUE;
}

static void natter_server_info_class_init(NatterServerInfoClass *klass)
{
	(void)klass;
}

static void natter_server_info_init(NatterServerInfo *self)
{
	GtkEventController *keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self), keys);
}
