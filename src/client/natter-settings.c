/* natter-settings.c - remembered connect-screen values (see natter-settings.h). */
#include "natter-settings.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "irc_names.h"

#define GROUP "connect"
#define ROOMS_GROUP "rooms" /* case-folded name = the rooms it was in */
#define MAX_RECENT 10

static char *in_use_dir(void)
{
	return g_build_filename(g_get_user_runtime_dir(), "natter", NULL);
}

GPtrArray *natter_settings_names_in_use(void)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *dir = in_use_dir();
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *entry;

	while (d != NULL && (entry = g_dir_read_name(d)) != NULL) {
		if (!g_str_has_prefix(entry, "in-use-"))
			continue;
		char *end = NULL;
		long pid = strtol(entry + 7, &end, 10);
		if (end == NULL || *end != '\0' || pid <= 0)
			continue;
		if (pid == (long)getpid())
			continue;
		g_autofree char *path = g_build_filename(dir, entry, NULL);
		if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
			g_unlink(path); /* that natter is gone */
			continue;
		}
		char *nick = NULL;
		if (g_file_get_contents(path, &nick, NULL, NULL)) {
			g_strstrip(nick);
			if (*nick != '\0')
				g_ptr_array_add(names, nick);
			else
				g_free(nick);
		}
	}
	return names;
}

static gboolean in_use(GPtrArray *names, const char *nick)
{
	for (guint i = 0; i < names->len; i++)
		if (irc_casecmp(g_ptr_array_index(names, i), nick) == 0)
			return TRUE;
	return FALSE;
}

/* Notes @nick as the name this process uses. */
static void claim(const char *nick)
{
	g_autofree char *dir = in_use_dir();
	g_autofree char *name = g_strdup_printf("in-use-%ld", (long)getpid());
	g_autofree char *path = g_build_filename(dir, name, NULL);

	if (g_mkdir_with_parents(dir, 0700) != 0)
		return; /* best effort: only the pre-filled name suffers */
	g_file_set_contents(path, nick, -1, NULL);
}

char *natter_settings_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "natter", "natter.ini", NULL);
}

NatterSettings *natter_settings_load(void)
{
	NatterSettings *s = g_new0(NatterSettings, 1);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = natter_settings_path();

	s->port = NATTER_DEFAULT_PORT;
	if (g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL)) {
		s->host = g_key_file_get_string(kf, GROUP, "server", NULL);
		g_auto(GStrv) recent = g_key_file_get_string_list(kf, GROUP, "recent-nicks", NULL, NULL);
		g_autofree char *last = g_key_file_get_string(kf, GROUP, "nick", NULL);
		g_autoptr(GPtrArray) taken = natter_settings_names_in_use();
		/* the newest name no other running natter uses */
		if (last != NULL && *last != '\0' && !in_use(taken, last))
			s->nick = g_strdup(last);
		for (int i = 0; s->nick == NULL && recent != NULL && recent[i] != NULL; i++)
			if (*recent[i] != '\0' && !in_use(taken, recent[i]))
				s->nick = g_strdup(recent[i]);
		gint port = g_key_file_get_integer(kf, GROUP, "port", NULL);
		if (port > 0 && port <= 65535)
			s->port = (guint16)port;
		g_autoptr(GError) no_tls = NULL;
		s->tls = g_key_file_get_boolean(kf, GROUP, "tls", &no_tls);
		if (no_tls != NULL)
			s->tls = s->port == NATTER_DEFAULT_PORT;
	} else {
		s->tls = TRUE;
	}
	if (s->host == NULL || *s->host == '\0') {
		g_free(s->host);
		s->host = g_strdup(NATTER_DEFAULT_HOST);
	}
	if (s->nick == NULL)
		s->nick = g_strdup("");
	return s;
}

gboolean natter_settings_save(const NatterSettings *s, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = natter_settings_path();
	g_autofree char *dir = g_path_get_dirname(path);

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Cannot create %s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	g_key_file_set_string(kf, GROUP, "server", s->host != NULL ? s->host : NATTER_DEFAULT_HOST);
	g_key_file_set_integer(kf, GROUP, "port", s->port);
	g_key_file_set_boolean(kf, GROUP, "tls", s->tls);
	g_key_file_set_string(kf, GROUP, "nick", s->nick != NULL ? s->nick : "");
	/* recent names, newest first, from the file as it is now (another
	 * window may have added one since we loaded) */
	g_autoptr(GKeyFile) old = g_key_file_new();
	g_auto(GStrv) before = NULL;
	if (g_key_file_load_from_file(old, path, G_KEY_FILE_NONE, NULL))
		before = g_key_file_get_string_list(old, GROUP, "recent-nicks", NULL, NULL);
	g_autoptr(GPtrArray) recent = g_ptr_array_new();
	if (s->nick != NULL && *s->nick != '\0')
		g_ptr_array_add(recent, s->nick);
	for (int i = 0; before != NULL && before[i] != NULL && recent->len < MAX_RECENT; i++)
		if (*before[i] != '\0' && (s->nick == NULL || irc_casecmp(before[i], s->nick) != 0))
			g_ptr_array_add(recent, before[i]);
	g_key_file_set_string_list(kf, GROUP, "recent-nicks", (const char *const *)recent->pdata,
				   recent->len);
	/* keep every name's rooms (natter_settings_save_rooms() writes them) */
	g_auto(GStrv) names = g_key_file_get_keys(old, ROOMS_GROUP, NULL, NULL);
	for (int i = 0; names != NULL && names[i] != NULL; i++) {
		g_auto(GStrv) rooms = g_key_file_get_string_list(old, ROOMS_GROUP, names[i], NULL, NULL);
		if (rooms != NULL)
			g_key_file_set_string_list(kf, ROOMS_GROUP, names[i], (const char *const *)rooms,
						   g_strv_length(rooms));
	}
	if (s->nick != NULL && *s->nick != '\0')
		claim(s->nick);
	return g_key_file_save_to_file(kf, path, error);
}

static char *rooms_key(const char *nick)
{
	char folded[256];

	irc_casefold(folded, sizeof(folded), nick);
	return g_strdup(folded);
}

char **natter_settings_load_rooms(const char *nick)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = natter_settings_path();
	g_autofree char *key = rooms_key(nick);
	char **rooms = NULL;

	if (g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		rooms = g_key_file_get_string_list(kf, ROOMS_GROUP, key, NULL, NULL);
	return rooms != NULL ? rooms : g_new0(char *, 1);
}

gboolean natter_settings_save_rooms(const char *nick, const char *const *rooms, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = natter_settings_path();
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *key = rooms_key(nick);

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "Cannot create %s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	/* a missing file is fine: this starts it */
	g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
	g_key_file_set_string_list(kf, ROOMS_GROUP, key, rooms, rooms != NULL ? g_strv_length((char **)rooms) : 0);
	return g_key_file_save_to_file(kf, path, error);
}

void natter_settings_free(NatterSettings *s)
{
	if (s == NULL)
		return;
	g_free(s->host);
	g_free(s->nick);
	g_free(s);
}
