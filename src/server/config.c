/* config.c - defaults, key-file parsing and MOTD loading (see config.h). */
#include "config.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#define DEFAULT_LISTEN "127.0.0.1:2048"

char *config_default_data_dir(void)
{
	return g_build_filename(g_get_user_data_dir(), "natter", NULL);
}

static void set_defaults(struct config *cfg)
{
	cfg->name = g_strdup("irc.natter.local");
	cfg->network = g_strdup("natter");
	cfg->description = g_strdup("natter chat server");
	cfg->admin_location = g_strdup("natter");
	cfg->admin_email = g_strdup("admin@natter.local");
	cfg->listen = g_strsplit(DEFAULT_LISTEN, ";", -1);
	cfg->data_dir = config_default_data_dir();
	cfg->default_channels = g_strsplit("#lobby", ";", -1);
	cfg->max_clients = 19000;
	cfg->max_per_address = 1000;
	cfg->sendq = 1024 * 1024;
	cfg->flood_burst = 20;
	cfg->flood_rate = 5.0;
	cfg->registration_timeout = 30;
	cfg->ping_interval = 90;
	cfg->ping_timeout = 60;
	cfg->max_channels_per_user = 50;
	cfg->whowas_size = 200;
	cfg->registration = true;
	cfg->loopback_is_secure = true;
	cfg->nick_grace = 30;
	cfg->password_min = 8;
	cfg->argon2_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	cfg->argon2_mem_kib = crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024;
	cfg->scram_iterations = 4096;
	cfg->login_free_failures = 3;
	cfg->login_delay = 2;
	cfg->login_delay_max = 300;
	cfg->opers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/* Replaces *@field with the file's string value when the key is present. */
static void read_string(GKeyFile *kf, const char *group, const char *key, char **field)
{
	char *value = g_key_file_get_string(kf, group, key, NULL);

	if (value != NULL) {
		g_free(*field);
		*field = value;
	}
}

static void read_list(GKeyFile *kf, const char *group, const char *key, char ***field)
{
	char **value = g_key_file_get_string_list(kf, group, key, NULL, NULL);

	if (value != NULL) {
		g_strfreev(*field);
		*field = value;
	}
}

static bool read_int(GKeyFile *kf, const char *key, int *field, int min, GError **error)
{
	GError *local = NULL;
	int value;

	if (!g_key_file_has_key(kf, "limits", key, NULL))
		return true;
	value = g_key_file_get_integer(kf, "limits", key, &local);
	if (local != NULL || value < min) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[limits] %s must be an integer >= %d", key, min);
		g_clear_error(&local);
		return false;
	}
	*field = value;
	return true;
}

static bool read_limits(GKeyFile *kf, struct config *cfg, GError **error)
{
	GError *local = NULL;

	if (!read_int(kf, "max_clients", &cfg->max_clients, 1, error) ||
	    !read_int(kf, "max_per_address", &cfg->max_per_address, 1, error) ||
	    !read_int(kf, "sendq", &cfg->sendq, 1024, error) ||
	    !read_int(kf, "flood_burst", &cfg->flood_burst, 1, error) ||
	    !read_int(kf, "registration_timeout", &cfg->registration_timeout, 1, error) ||
	    !read_int(kf, "ping_interval", &cfg->ping_interval, 1, error) ||
	    !read_int(kf, "ping_timeout", &cfg->ping_timeout, 1, error) ||
	    !read_int(kf, "max_channels_per_user", &cfg->max_channels_per_user, 1, error) ||
	    !read_int(kf, "whowas_size", &cfg->whowas_size, 0, error))
		return false;
	if (g_key_file_has_key(kf, "limits", "flood_rate", NULL)) {
		double rate = g_key_file_get_double(kf, "limits", "flood_rate", &local);
		if (local != NULL || rate <= 0) {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[limits] flood_rate must be a number > 0");
			g_clear_error(&local);
			return false;
		}
		cfg->flood_rate = rate;
	}
	return true;
}

static bool read_group_int(GKeyFile *kf, const char *group, const char *key, int *field,
			   int min, int max, GError **error)
{
	GError *local = NULL;
	int value;

	if (!g_key_file_has_key(kf, group, key, NULL))
		return true;
	value = g_key_file_get_integer(kf, group, key, &local);
	if (local != NULL || value < min || value > max) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] %s must be an integer from %d to %d", group, key, min, max);
		g_clear_error(&local);
		return false;
	}
	*field = value;
	return true;
}

static bool read_group_bool(GKeyFile *kf, const char *group, const char *key, bool *field,
			    GError **error)
{
	GError *local = NULL;
	gboolean value;

	if (!g_key_file_has_key(kf, group, key, NULL))
		return true;
	value = g_key_file_get_boolean(kf, group, key, &local);
	if (local != NULL) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] %s must be true or false", group, key);
		g_clear_error(&local);
		return false;
	}
	*field = value;
	return true;
}

static bool read_accounts(GKeyFile *kf, struct config *cfg, GError **error)
{
	const int min_mem = crypto_pwhash_MEMLIMIT_MIN / 1024;

	return read_group_bool(kf, "accounts", "registration", &cfg->registration, error) &&
	       read_group_bool(kf, "accounts", "loopback_is_secure", &cfg->loopback_is_secure,
			       error) &&
	       read_group_int(kf, "accounts", "nick_grace", &cfg->nick_grace, 0, 86400, error) &&
	       read_group_int(kf, "accounts", "password_min", &cfg->password_min, 1, 256, error) &&
	       read_group_int(kf, "accounts", "argon2_ops", &cfg->argon2_ops,
			      crypto_pwhash_OPSLIMIT_MIN, 32, error) &&
	       read_group_int(kf, "accounts", "argon2_mem_kib", &cfg->argon2_mem_kib,
			      min_mem > 8 ? min_mem : 8, 4 * 1024 * 1024, error) &&
	       read_group_int(kf, "accounts", "scram_iterations", &cfg->scram_iterations, 4096,
			      1000000, error) &&
	       read_group_int(kf, "accounts", "login_free_failures", &cfg->login_free_failures,
			      0, 1000, error) &&
	       read_group_int(kf, "accounts", "login_delay", &cfg->login_delay, 1, 3600, error) &&
	       read_group_int(kf, "accounts", "login_delay_max", &cfg->login_delay_max, 1,
			      86400, error);
}

static void read_opers(GKeyFile *kf, struct config *cfg)
{
	g_auto(GStrv) names = g_key_file_get_keys(kf, "opers", NULL, NULL);

	for (int i = 0; names != NULL && names[i] != NULL; i++) {
		char *hash = g_key_file_get_string(kf, "opers", names[i], NULL);
		if (hash != NULL)
			g_hash_table_replace(cfg->opers, g_strdup(names[i]), hash);
	}
}

static bool read_file(struct config *cfg, const char *path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
		g_prefix_error(error, "cannot read config %s: ", path);
		return false;
	}
	read_string(kf, "server", "name", &cfg->name);
	read_string(kf, "server", "network", &cfg->network);
	read_string(kf, "server", "description", &cfg->description);
	read_string(kf, "server", "motd_file", &cfg->motd_file);
	read_string(kf, "server", "data_dir", &cfg->data_dir);
	read_string(kf, "server", "admin_location", &cfg->admin_location);
	read_string(kf, "server", "admin_email", &cfg->admin_email);
	read_list(kf, "server", "listen", &cfg->listen);
	read_list(kf, "channels", "default", &cfg->default_channels);
	read_opers(kf, cfg);
	if (!read_limits(kf, cfg, error) || !read_accounts(kf, cfg, error)) {
		g_prefix_error(error, "%s: ", path);
		return false;
	}
	return true;
}

static void apply_overrides(struct config *cfg, const struct config_overrides *ov)
{
	if (ov->listen != NULL && ov->listen[0] != NULL) {
		g_strfreev(cfg->listen);
		cfg->listen = g_strdupv(ov->listen);
	}
	if (ov->data_dir != NULL) {
		g_free(cfg->data_dir);
		cfg->data_dir = g_strdup(ov->data_dir);
	}
	if (ov->motd_file != NULL) {
		g_free(cfg->motd_file);
		cfg->motd_file = g_strdup(ov->motd_file);
	}
}

/* A missing MOTD file is not an error (the server answers 422), an unreadable
 * one is, so that a typo in the path is seen at start or reload. */
static bool load_motd(struct config *cfg, GError **error)
{
	g_autofree char *text = NULL;

	if (cfg->motd_file == NULL)
		return true;
	if (!g_file_get_contents(cfg->motd_file, &text, NULL, error)) {
		if (g_error_matches(*error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_clear_error(error);
			return true;
		}
		return false;
	}
	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "MOTD %s is not valid UTF-8", cfg->motd_file);
		return false;
	}
	g_strchomp(text);
	cfg->motd_lines = g_strsplit(text, "\n", -1);
	for (int i = 0; cfg->motd_lines[i] != NULL; i++) {
		g_strchomp(cfg->motd_lines[i]);
		if (strlen(cfg->motd_lines[i]) > 400)
			cfg->motd_lines[i][400] = '\0';
	}
	return true;
}

struct config *config_load(const struct config_overrides *ov, GError **error)
{
	struct config *cfg = g_new0(struct config, 1);

	set_defaults(cfg);
	if ((ov->config_file != NULL && !read_file(cfg, ov->config_file, error))) {
		config_free(cfg);
		return NULL;
	}
	apply_overrides(cfg, ov);
	if (!load_motd(cfg, error)) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	g_free(cfg->name);
	g_free(cfg->network);
	g_free(cfg->description);
	g_free(cfg->motd_file);
	g_free(cfg->data_dir);
	g_free(cfg->admin_location);
	g_free(cfg->admin_email);
	g_strfreev(cfg->listen);
	g_strfreev(cfg->default_channels);
	g_strfreev(cfg->motd_lines);
	g_hash_table_destroy(cfg->opers);
	g_free(cfg);
}
