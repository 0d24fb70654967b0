/* natter-application.c - the application object (see natter-application.h). */
#include "natter-application.h"

#include "version.h"
#include "natter-window.h"

struct _NatterApplication {
	AdwApplication parent_instance;

	char *host;
	int port;
	char *nick;
	gboolean connect;
	gboolean tls;
};

G_DEFINE_FINAL_TYPE(NatterApplication, natter_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
	{ "server", 's', 0, G_OPTION_ARG_STRING, NULL, "Server host name or address (default 127.0.0.1)", "HOST" },
	{ "port", 'p', 0, G_OPTION_ARG_INT, NULL, "Server port (default 6697, with TLS)", "N" },
	{ "tls", 0, 0, G_OPTION_ARG_NONE, NULL, "Use a secure connection (TLS); on by itself for port 6697", NULL },
	{ "nick", 'n', 0, G_OPTION_ARG_STRING, NULL, "Your name in the chat", "NAME" },
	{ "connect", 'c', 0, G_OPTION_ARG_NONE, NULL, "Connect at once", NULL },
	{ "version", 0, 0, G_OPTION_ARG_NONE, NULL, "Show the version and exit", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};

static int natter_application_handle_local_options(GApplication *app, GVariantDict *opts)
{
	NatterApplication *self = NATTER_APPLICATION(app);

	if (g_variant_dict_contains(opts, "version")) {
		g_print("natter %s\n", NATTER_VERSION);
		return 0;
	}
	g_variant_dict_lookup(opts, "server", "s", &self->host);
	g_variant_dict_lookup(opts, "nick", "s", &self->nick);
	if (g_variant_dict_lookup(opts, "port", "i", &self->port) &&
	    (self->port < 1 || self->port > 65535)) {
		g_printerr("natter: --port must be a number from 1 to 65535\n");
		return 2;
	}
	self->connect = g_variant_dict_contains(opts, "connect");
	self->tls = g_variant_dict_contains(opts, "tls");
	return -1;
}

static void natter_application_activate(GApplication *app)
{
	NatterApplication *self = NATTER_APPLICATION(app);
	GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(app));

	if (window == NULL) {
		NatterWindow *win = natter_window_new(GTK_APPLICATION(app));
		natter_window_fill(win, self->host, (guint16)self->port, self->nick);
		if (self->tls)
			natter_window_set_tls(win, TRUE);
		window = GTK_WINDOW(win);
		gtk_window_present(window);
		if (self->connect)
			natter_window_connect(win);
		return;
	}
	gtk_window_present(window);
}

static void on_show_conversation(GSimpleAction *action, GVariant *param, gpointer data)
{
	GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(data));

	(void)action;
	if (window != NULL)
		natter_window_show_conversation(NATTER_WINDOW(window), g_variant_get_string(param, NULL));
}

void natter_application_load_style(void)
{
	g_autoptr(GtkCssProvider) css = gtk_css_provider_new();

	adw_init();
	gtk_css_provider_load_from_resource(css, "/org/natter/Natter/style.css");
	gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
						   GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void on_about(GSimpleAction *action, GVariant *param, gpointer data)
{
	GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(data));
	static const char *developers[] = { "The natter developers", NULL };

	(void)action; (void)param;
	adw_show_about_window(window,
			      "application-name", "Natter",
			      "application-icon", NATTER_APP_ID,
			      "version", NATTER_VERSION,
			      "comments", "Chat with people on a natter (IRC) server.",
			      "developers", developers,
			      "license-type", GTK_LICENSE_CUSTOM,
			      "license", "See the LICENSE file that came with natter.",
			      NULL);
}

static void on_quit(GSimpleAction *action, GVariant *param, gpointer data)
{
	GList *windows = gtk_application_get_windows(GTK_APPLICATION(data));

	(void)action; (void)param;
	/* Closing each window says goodbye to its server (QUIT). */
	while (windows != NULL) {
		GList *next = windows->next;
		gtk_window_destroy(GTK_WINDOW(windows->data));
		windows = next;
	}
}

/* Dark Style: follow the desktop (off) or always dark (on). */
static void on_dark_style(GSimpleAction *action, GVariant *state, gpointer data)
{
	(void)data;
	g_simple_action_set_state(action, state);
	adw_style_manager_set_color_scheme(adw_style_manager_get_default(),
					   g_variant_get_boolean(state) ? ADW_COLOR_SCHEME_FORCE_DARK
									: ADW_COLOR_SCHEME_DEFAULT);
}

static void natter_application_startup(GApplication *app)
{
	static const GActionEntry actions[] = {
		{ "show-conversation", on_show_conversation, "s", NULL, NULL, { 0 } },
		{ "about", on_about, NULL, NULL, NULL, { 0 } },
		{ "quit", on_quit, NULL, NULL, NULL, { 0 } },
		{ "dark-style", NULL, NULL, "false", on_dark_style, { 0 } },
	};
	static const char *quit_accels[] = { "<Control>q", NULL };

	G_APPLICATION_CLASS(natter_application_parent_class)->startup(app);
	g_action_map_add_action_entries(G_ACTION_MAP(app), actions, G_N_ELEMENTS(actions), app);
	gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.quit", quit_accels);
	gtk_window_set_default_icon_name(NATTER_APP_ID);
	if (g_strcmp0(g_getenv("NATTER_COLOR_SCHEME"), "dark") == 0)
		g_action_group_change_action_state(G_ACTION_GROUP(app), "dark-style", g_variant_new_boolean(TRUE));
}

static void natter_application_finalize(GObject *object)
{
	NatterApplication *self = NATTER_APPLICATION(object);

	g_free(self->host);
	g_free(self->nick);
	G_OBJECT_CLASS(natter_application_parent_class)->finalize(object);
}

static void natter_application_class_init(NatterApplicationClass *klass)
{
	GApplicationClass *app_class = G_APPLICATION_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = natter_application_finalize;
	app_class->handle_local_options = natter_application_handle_local_options;
	app_class->activate = natter_application_activate;
	app_class->startup = natter_application_startup;
}

static void natter_application_init(NatterApplication *self)
{
	g_application_add_main_option_entries(G_APPLICATION(self), options);
	g_application_set_option_context_summary(G_APPLICATION(self),
						 "Chat with people on a natter (IRC) server.");
}

NatterApplication *natter_application_new(void)
{
	return g_object_new(NATTER_TYPE_APPLICATION, "application-id", NATTER_APP_ID,
			    "flags", G_APPLICATION_NON_UNIQUE, NULL);
}
