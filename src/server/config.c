/* config.c - defaults, key-file parsing and MOTD loading (see config.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "listener.h"
#include "log.h"

/* Plain, and TLS with a certificate generated on first start. */
#define DEFAULT_LISTEN "127.0.0.1:2048;tls:127.0.0.1:6697"

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
	cfg->listen_default = true;
	cfg->data_dir = config_default_data_dir();
	cfg->default_channels = g_strsplit("#lobby", ";", -1);
	cfg->max_clients = 19000;
	cfg->max_per_address = 1000;
	cfg->max_per_block = 2000;
	cfg->ipv4_block = 24;
	cfg->ipv6_block = 64;
	cfg->max_unregistered = 1000;
	cfg->connect_burst = 100;
	cfg->connect_rate = 20.0;
	cfg->accept_per_turn = 64;
	cfg->sendq = 1024 * 1024;
	cfg->sendq_total = 96 * 1024 * 1024;
	cfg->sndbuf = 64 * 1024;
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
	cfg->password_queue = 64;
	cfg->sts_duration = -1;
	cfg->tls_own_records = true;
	cfg->oper_free_failures = 3;
	cfg->oper_delay = 2;
	cfg->oper_delay_max = 300;
	cfg->opers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	cfg->history = (struct history_config){
		.enabled = true, .store_joins = true, .durable_ack = HIST_ACK_ALL,
		.before_join = true, .batch_max = 4096, .commit_window_ms = 0,
		.retention_interval = 60, .replay_on_join = 10, .query_limit = 100,
	};
}

/* A value may end in a comment: whitespace, then '#' followed by
 * whitespace or the end. GLib keeps such text as part of the value, so a
 * copied example would otherwise name the server "irc.example.org  # ...".
 * A '#' inside a value ("#lobby", "a#b") stays. */
static void strip_comment(char *value)
{
	for (char *p = value; *p != '\0'; p++) {
		if ((*p == ' ' || *p == '\t') && p[1] == '#' &&
		    (p[2] == '\0' || p[2] == ' ' || p[2] == '\t')) {
			*p = '\0';
			break;
		}
	}
	g_strchomp(value);
}

/* Replaces *@field with the file's string value when the key is present. */
static void read_string(GKeyFile *kf, const char *group, const char *key, char **field)
{
	char *value = g_key_file_get_string(kf, group, key, NULL);

	if (value != NULL) {
		strip_comment(value);
		g_free(*field);
		*field = value;
	}
}

static void read_list(GKeyFile *kf, const char *group, const char *key, char ***field)
{
	char *raw = g_key_file_get_string(kf, group, key, NULL);
	char **value;
	int n = 0;

	if (raw == NULL)
		return;
	strip_comment(raw);
	value = g_strsplit(raw, ";", -1);
	g_free(raw);
	for (int i = 0; value[i] != NULL; i++) {
		g_strstrip(value[i]);
		if (value[i][0] != '\0')
			value[n++] = value[i];
		else
			g_free(value[i]);
	}
	value[n] = NULL;
	g_strfreev(*field);
	*field = value;
}

/* Checks one integer key of @group: absent leaves *@field as it is; a value
 * that is not a whole number from @min to @max is an error naming both. */
static bool read_group_int(GKeyFile *kf, const char *group, const char *key, int *field,
			   int min, int max, GError **error)
{
	g_autofree char *value = g_key_file_get_value(kf, group, key, NULL);
	char *end;
	long n;

	if (value == NULL)
		return true;
	strip_comment(value);
	errno = 0;
	n = strtol(value, &end, 10);
	if (value[0] == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] %s must be an integer from %d to %d, not '%s'", group, key, min,
			    max, value);
		return false;
	}
	*field = (int)n;
	return true;
}

static bool read_group_bool(GKeyFile *kf, const char *group, const char *key, bool *field,
			    GError **error)
{
	g_autofree char *value = g_key_file_get_value(kf, group, key, NULL);

	if (value == NULL)
		return true;
	strip_comment(value);
	if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
		*field = true;
	} else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
		*field = false;
	} else {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] %s must be true or false, not '%s'", group, key, value);
		return false;
	}
	return true;
}

/* Every integer and true/false key of the fixed groups: where it goes in
 * struct config and, for integers, the range allowed. A key listed here is
 * also known to warn_unknown(); add a new one here only. */
struct typed_key {
	const char *group;
	const char *key;
	size_t offset;
	bool is_bool;
	int min, max;
};

#define INT_KEY(group, key, field, lo, hi) \
	{ group, key, G_STRUCT_OFFSET(struct config, field), false, lo, hi }
#define LIMIT(name, lo, hi) INT_KEY("limits", #name, name, lo, hi)
#define ACCOUNT(name, lo, hi) INT_KEY("accounts", #name, name, lo, hi)
#define HISTORY(name, lo, hi) INT_KEY("history", #name, history.name, lo, hi)
#define BOOL_KEY(group, key, field) \
	{ group, key, G_STRUCT_OFFSET(struct config, field), true, 0, 0 }

/* Argon2id's own floor, and at least 8 KiB. */
#define ARGON2_MEM_KIB_MIN \
	(crypto_pwhash_MEMLIMIT_MIN / 1024 > 8 ? (int)(crypto_pwhash_MEMLIMIT_MIN / 1024) : 8)

static const struct typed_key typed_keys[] = {
	LIMIT(max_clients, 1, 1000000),
	LIMIT(max_per_address, 1, 1000000),
	LIMIT(max_per_block, 1, 1000000),
	LIMIT(ipv4_block, 8, 32),
	LIMIT(ipv6_block, 16, 128),
	LIMIT(max_unregistered, 1, 1000000),
	LIMIT(connect_burst, 1, 1000000),
	LIMIT(accept_per_turn, 1, 100000),
	LIMIT(sendq, 1024, 1 << 30),
	LIMIT(sendq_total, 1 << 20, G_MAXINT),
	LIMIT(sndbuf, 0, 64 << 20),
	LIMIT(flood_burst, 1, 1000000),
	LIMIT(registration_timeout, 1, 86400),
	LIMIT(ping_interval, 1, 86400),
	LIMIT(ping_timeout, 1, 86400),
	LIMIT(max_channels_per_user, 1, 10000),
	LIMIT(whowas_size, 0, 1000000),
	LIMIT(password_queue, 1, 100000),
	LIMIT(oper_free_failures, 0, 1000000),
	LIMIT(oper_delay, 1, 86400),
	LIMIT(oper_delay_max, 1, 86400),

	BOOL_KEY("accounts", "registration", registration),
	BOOL_KEY("accounts", "loopback_is_secure", loopback_is_secure),
	ACCOUNT(nick_grace, 0, 86400),
	ACCOUNT(password_min, 1, 256),
	ACCOUNT(argon2_ops, crypto_pwhash_OPSLIMIT_MIN, 32),
	ACCOUNT(argon2_mem_kib, ARGON2_MEM_KIB_MIN, 4 * 1024 * 1024),
	ACCOUNT(scram_iterations, 4096, 1000000),
	ACCOUNT(login_free_failures, 0, 1000),
	ACCOUNT(login_delay, 1, 3600),
	ACCOUNT(login_delay_max, 1, 86400),

	BOOL_KEY("history", "enabled", history.enabled),
	BOOL_KEY("history", "store_joins", history.store_joins),
	BOOL_KEY("history", "before_join", history.before_join),
	HISTORY(batch_max, 1, 1000000),
	HISTORY(commit_window_ms, 0, 1000),
	HISTORY(max_age, 0, G_MAXINT),
	HISTORY(max_lines_per_target, 0, G_MAXINT),
	HISTORY(max_lines, 0, G_MAXINT),
	HISTORY(retention_interval, 1, 86400),
	HISTORY(replay_on_join, 0, 1000),
	HISTORY(query_limit, 1, 10000),

	INT_KEY("tls", "sts_duration", sts_duration, 0, G_MAXINT),
	INT_KEY("tls", "sts_port", sts_port, 0, 65535),
	BOOL_KEY("tls", "sts_preload", sts_preload),
	BOOL_KEY("tls", "own_records", tls_own_records),
};

/* Reads and checks the typed keys of @group, in the table's order. */
static bool read_typed_keys(GKeyFile *kf, const char *group, struct config *cfg,
			    GError **error)
{
	for (size_t i = 0; i < G_N_ELEMENTS(typed_keys); i++) {
		const struct typed_key *k = &typed_keys[i];
		bool ok;
		if (strcmp(k->group, group) != 0)
			continue;
		if (k->is_bool)
			ok = read_group_bool(kf, group, k->key,
					     &G_STRUCT_MEMBER(bool, cfg, k->offset), error);
		else
			ok = read_group_int(kf, group, k->key, &G_STRUCT_MEMBER(int, cfg, k->offset),
					    k->min, k->max, error);
		if (!ok)
			return false;
	}
	return true;
}

/* Flood rates below this would hold a client for hours per line; above the
 * maximum flood control is off in all but name. NaN and inf are refused. */
#define FLOOD_RATE_MIN 0.01
#define FLOOD_RATE_MAX 1000000.0

/* A [limits] rate (per second): finite, from FLOOD_RATE_MIN to _MAX. */
static bool read_rate(GKeyFile *kf, const char *key, double *field, GError **error)
{
	g_autofree char *rate = g_key_file_get_value(kf, "limits", key, NULL);
	char *end;
	double value;

	if (rate == NULL)
		return true;
	strip_comment(rate);
	value = g_ascii_strtod(rate, &end);
	if (rate[0] == '\0' || *end != '\0' || !isfinite(value) || value < FLOOD_RATE_MIN ||
	    value > FLOOD_RATE_MAX) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[limits] %s must be a number from %g to %g, not '%s'", key,
			    FLOOD_RATE_MIN, FLOOD_RATE_MAX, rate);
		return false;
	}
	*field = value;
	return true;
}

static bool read_limits(GKeyFile *kf, struct config *cfg, GError **error)
{
	return read_typed_keys(kf, "limits", cfg, error) &&
	       read_rate(kf, "flood_rate", &cfg->flood_rate, error) &&
	       read_rate(kf, "connect_rate", &cfg->connect_rate, error);
}

static void history_room_free(gpointer data)
{
	struct history_room_config *rc = data;

	g_free(rc->name);
	g_free(rc);
}

/* [history] and the [room #name] sections' history keys. */
static bool read_history(GKeyFile *kf, struct config *cfg, GError **error)
{
	struct history_config *hc = &cfg->history;
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	g_autofree char *sync = g_key_file_get_string(kf, "history", "synchronous", NULL);
	g_autofree char *ack = g_key_file_get_string(kf, "history", "durable_ack", NULL);

	if (!read_typed_keys(kf, "history", cfg, error))
		return false;
	if (ack != NULL) {
		strip_comment(ack);
		if (strcmp(ack, "all") == 0 || strcmp(ack, "true") == 0)
			hc->durable_ack = HIST_ACK_ALL;
		else if (strcmp(ack, "echo") == 0)
			hc->durable_ack = HIST_ACK_ECHO;
		else if (strcmp(ack, "off") == 0 || strcmp(ack, "false") == 0)
			hc->durable_ack = HIST_ACK_OFF;
		else {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[history] durable_ack must be all, echo or off, not '%s'", ack);
			return false;
		}
	}
	if (sync != NULL) {
		strip_comment(sync);
		if (g_ascii_strcasecmp(sync, "full") != 0 && g_ascii_strcasecmp(sync, "normal") != 0) {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[history] synchronous must be normal or full");
			return false;
		}
		hc->synchronous_full = g_ascii_strcasecmp(sync, "full") == 0;
	}
	for (int i = 0; groups[i] != NULL; i++) {
		struct history_room_config *rc;
		bool before = false;
		if (!g_str_has_prefix(groups[i], "room "))
			continue;
		rc = g_new0(struct history_room_config, 1);
		rc->name = g_strstrip(g_strdup(groups[i] + 5));
		rc->max_age = rc->max_lines = rc->before_join = -1;
		if (hc->rooms == NULL)
			hc->rooms = g_ptr_array_new_with_free_func(history_room_free);
		g_ptr_array_add(hc->rooms, rc);
		if (!read_group_int(kf, groups[i], "history_max_age", &rc->max_age, 0, G_MAXINT,
				    error) ||
		    !read_group_int(kf, groups[i], "history_max_lines", &rc->max_lines, 0,
				    G_MAXINT, error))
			return false;
		if (g_key_file_has_key(kf, groups[i], "history_before_join", NULL)) {
			if (!read_group_bool(kf, groups[i], "history_before_join", &before, error))
				return false;
			rc->before_join = before;
		}
	}
	return true;
}

static void read_opers(GKeyFile *kf, struct config *cfg)
{
	g_auto(GStrv) names = g_key_file_get_keys(kf, "opers", NULL, NULL);

	for (int i = 0; names != NULL && names[i] != NULL; i++) {
		char *hash = g_key_file_get_string(kf, "opers", names[i], NULL);
		if (hash != NULL) {
			strip_comment(hash);
			g_hash_table_replace(cfg->opers, g_strdup(names[i]), hash);
		}
	}
}

/* Every group and key natterd reads; anything else is a typo or a setting
 * of another version, and is reported (not fatal). A group listed with a
 * NULL key list takes any key ([opers]: one key per operator name). Add
 * new settings here as well as where they are read. */
struct known_group {
	const char *group;
	const char *const *keys;
};

static const char *const server_keys[] = {
	"name", "network", "description", "motd_file", "data_dir", "listen",
	"admin_location", "admin_email", NULL,
};
static const char *const channel_keys[] = { "default", NULL };
/* The typed keys of these groups are known from typed_keys[]. */
static const char *const limit_keys[] = { "flood_rate", "connect_rate", NULL };
static const char *const account_keys[] = { NULL };

static const char *const tls_keys[] = { "cert_file", "key_file", NULL };

static const char *const history_keys[] = { "durable_ack", "synchronous", NULL };
static const char *const room_keys[] = {
	"history_max_age", "history_max_lines", "history_before_join", NULL,
};

static const struct known_group known_groups[] = {
	{ "server", server_keys },
	{ "channels", channel_keys },
	{ "limits", limit_keys },
	{ "accounts", account_keys },
	{ "tls", tls_keys },
	{ "opers", NULL },
	{ "history", history_keys },
};

/* "[room #name]": one room's settings. */
static const struct known_group room_group = { "room", room_keys };

static bool key_is_known(const struct known_group *g, const char *key)
{
	if (g->keys == NULL)
		return true;
	for (int i = 0; g->keys[i] != NULL; i++)
		if (strcmp(g->keys[i], key) == 0)
			return true;
	for (size_t i = 0; i < G_N_ELEMENTS(typed_keys); i++)
		if (strcmp(typed_keys[i].group, g->group) == 0 &&
		    strcmp(typed_keys[i].key, key) == 0)
			return true;
	return false;
}

static void warn_unknown(GKeyFile *kf, const char *path)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (int i = 0; groups[i] != NULL; i++) {
		const struct known_group *g = NULL;
		for (size_t j = 0; j < G_N_ELEMENTS(known_groups); j++)
			if (strcmp(known_groups[j].group, groups[i]) == 0)
				g = &known_groups[j];
		if (g_str_has_prefix(groups[i], "room "))
			g = &room_group;
		if (g == NULL) {
			log_warn("%s: unknown group [%s] ignored", path, groups[i]);
			continue;
		}
		g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (int k = 0; keys != NULL && keys[k] != NULL; k++)
			if (!key_is_known(g, keys[k]))
				log_warn("%s: unknown key %s in [%s] ignored", path, keys[k],
					 groups[i]);
	}
}

static bool validate_listen(char **listen, GError **error)
{
	if (listen == NULL || listen[0] == NULL) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[server] listen names no address");
		return false;
	}
	for (int i = 0; listen[i] != NULL; i++) {
		struct sockaddr_storage ss;
		int sslen = sizeof(ss);
		g_autofree char *addr = g_strstrip(g_strdup(listen[i]));
		memset(&ss, 0, sizeof(ss));
		if (!listener_parse_address(addr, &ss, &sslen)) {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
				    "invalid listen address '%s' (want IPv4:port or [IPv6]:port, "
				    "port 0-65535, with tls: in front for TLS)", addr);
			return false;
		}
	}
	return true;
}

static bool read_tls(GKeyFile *kf, struct config *cfg, GError **error)
{
	read_string(kf, "tls", "cert_file", &cfg->tls_cert_file);
	read_string(kf, "tls", "key_file", &cfg->tls_key_file);
	if (!read_typed_keys(kf, "tls", cfg, error))
		return false;
	if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL)) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[tls] cert_file and key_file go together: give both or neither");
		return false;
	}
	return true;
}

static bool read_file(struct config *cfg, const char *path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
		g_prefix_error(error, "cannot read config %s: ", path);
		return false;
	}
	warn_unknown(kf, path);
	read_string(kf, "server", "name", &cfg->name);
	read_string(kf, "server", "network", &cfg->network);
	read_string(kf, "server", "description", &cfg->description);
	read_string(kf, "server", "motd_file", &cfg->motd_file);
	read_string(kf, "server", "data_dir", &cfg->data_dir);
	read_string(kf, "server", "admin_location", &cfg->admin_location);
	read_string(kf, "server", "admin_email", &cfg->admin_email);
	if (g_key_file_has_key(kf, "server", "listen", NULL))
		cfg->listen_default = false;
	read_list(kf, "server", "listen", &cfg->listen);
	/* Checked here too: --listen replaces it, but a file that names a bad
	 * address is a bad file, on reload as at start. */
	if (!validate_listen(cfg->listen, error) || !read_tls(kf, cfg, error)) {
		g_prefix_error(error, "%s: ", path);
		return false;
	}
	read_list(kf, "channels", "default", &cfg->default_channels);
	read_opers(kf, cfg);
	if (!read_limits(kf, cfg, error) || !read_typed_keys(kf, "accounts", cfg, error) ||
	    !read_history(kf, cfg, error)) {
		g_prefix_error(error, "%s: ", path);
		return false;
	}
	return true;
}

/* Checks what is not a plain number: the same at start and on reload, so
 * a reload can never accept what a start would refuse. */
static bool validate(const struct config *cfg, GError **error)
{
	if (!validate_listen(cfg->listen, error))
		return false;
	if (cfg->name[0] == '\0' || strchr(cfg->name, ' ') != NULL) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[server] name must be one word, not '%s'", cfg->name);
		return false;
	}
	if (cfg->network[0] == '\0' || strchr(cfg->network, ' ') != NULL) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[server] network must be one word, not '%s'", cfg->network);
		return false;
	}
	if (cfg->sendq_total < cfg->sendq) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[limits] sendq_total (%d) must be at least sendq (%d)",
			    cfg->sendq_total, cfg->sendq);
		return false;
	}
	return true;
}

static void apply_overrides(struct config *cfg, const struct config_overrides *ov)
{
	if (ov->listen != NULL && ov->listen[0] != NULL) {
		g_strfreev(cfg->listen);
		cfg->listen = g_strdupv(ov->listen);
		cfg->listen_default = false;
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
	if (!validate(cfg, error)) {
		if (ov->config_file != NULL)
			g_prefix_error(error, "%s: ", ov->config_file);
		config_free(cfg);
		return NULL;
	}
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
	g_free(cfg->tls_cert_file);
	g_free(cfg->tls_key_file);
	g_strfreev(cfg->default_channels);
	g_strfreev(cfg->motd_lines);
	g_hash_table_destroy(cfg->opers);
	if (cfg->history.rooms != NULL)
		g_ptr_array_free(cfg->history.rooms, TRUE);
	g_free(cfg);
}
