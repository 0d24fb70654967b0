/* natter-whois-card.c - a WHOIS answer as a card (see natter-whois-card.h).
 * Built in code: it is a list of rows that depends on what the server said. */
#include "natter-whois-card.h"

#include <string.h>

struct _NatterWhoisCard {
	AdwWindow parent_instance;
};

G_DEFINE_FINAL_TYPE(NatterWhoisCard, natter_whois_card, ADW_TYPE_WINDOW)

char *natter_whois_card_format_idle(gint64 s)
{
	if (s < 60)
		return g_strdup_printf("%" G_GINT64_FORMAT " s", s);
	if (s < 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " min", s / 60);
	if (s < 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min", s / 3600, s % 3600 / 60);
	return g_strdup_printf(s < 2 * 86400 ? "%" G_GINT64_FORMAT " day" : "%" G_GINT64_FORMAT " days", s / 86400);
}

/* "@+#dev" -> "#dev (operator, voice)". */
static char *rooms_in_words(char **rooms)
{
	GString *out = g_string_new(NULL);

	for (char **r = rooms; r != NULL && *r != NULL; r++) {
		const char *p = *r;
		g_autoptr(GString) roles = g_string_new(NULL);
		for (; *p != '\0' && strchr("~&@%+", *p) != NULL; p++) {
			const char *word = *p == '~' ? "founder" : *p == '&' ? "admin" : *p == '@' ? "operator"
					  : *p == '%' ? "half-operator" : "voice";
			g_string_append_printf(roles, "%s%s", roles->len > 0 ? ", " : "", word);
		}
		g_string_append_printf(out, "%s%s", out->len > 0 ? ", " : "", p);
		if (roles->len > 0)
			g_string_append_printf(out, " (%s)", roles->str);
	}
	return g_string_free(out, out->len == 0);
}

static void add_row(AdwPreferencesGroup *group, const char *title, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	GtkWidget *row = adw_action_row_new();
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_action_row_set_subtitle(ADW_ACTION_ROW(row), value);
	gtk_widget_add_css_class(row, "property");
	adw_preferences_group_add(group, row);
}

NatterWhoisCard *natter_whois_card_new(GtkWindow *parent, const NatterWhois *w)
{
	NatterWhoisCard *self = g_object_new(NATTER_TYPE_WHOIS_CARD, "transient-for", parent,
					     "modal", TRUE, "destroy-with-parent", TRUE,
					     "default-width", 360, "title", w->nick, NULL);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	GtkWidget *header = adw_header_bar_new();
	adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), adw_window_title_new(w->nick, "About this person"));
	gtk_box_append(GTK_BOX(box), header);

	GtkWidget *group = adw_preferences_group_new();
	gtk_widget_set_margin_start(group, 12);
	gtk_widget_set_margin_end(group, 12);
	gtk_widget_set_margin_top(group, 12);
	gtk_widget_set_margin_bottom(group, 12);
	AdwPreferencesGroup *g = ADW_PREFERENCES_GROUP(group);
	if (!w->found) {
		add_row(g, "Not here", "No one is using this name now.");
	} else {
		add_row(g, "Real name", w->realname);
		g_autofree char *rooms = rooms_in_words(w->rooms);
		add_row(g, "Rooms", rooms);
		g_autofree char *idle = w->idle >= 0 ? natter_whois_card_format_idle(w->idle) : NULL;
		add_row(g, "Idle", idle);
		g_autofree char *signon = NULL;
		if (w->signon > 0) {
			g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(w->signon);
			g_autoptr(GDateTime) local = g_date_time_to_local(utc);
			signon = g_date_time_format(local, "%-d %B %Y, %H:%M");
		}
		add_row(g, "Signed on", signon);
		add_row(g, "Away", w->away);
		add_row(g, "Account", w->account);
		g_autofree char *addr = w->user != NULL && w->host != NULL ? g_strdup_printf("%s@%s", w->user, w->host) : NULL;
		add_row(g, "Address", addr);
		add_row(g, "Server", w->server);
		if (w->operator)
			add_row(g, "Role", "Server operator");
	}
	gtk_box_append(GTK_BOX(box), group);
	adw_window_set_content(ADW_WINDOW(self), box);
	return self;
}

static gboolean on_key(GtkEventControllerKey *ctrl, guint keyval, guint keycode,
		       GdkModifierType state, NatterWhoisCard *self)
{
	(void)ctrl; (void)keycode; (void)state;
	if (keyval != GDK_KEY_Escape)
		return FALSE;
	gtk_window_close(GTK_WINDOW(self));
	return TRUE;
}

static void natter_whois_card_class_init(NatterWhoisCardClass *klass)
{
	(void)klass;
}

static void natter_whois_card_init(NatterWhoisCard *self)
{
	GtkEventController *keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), self);
	gtk_widget_add_controller(GTK_WIDGET(self), keys);
}
