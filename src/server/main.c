/* main.c - natterd: options, start-up, signals and the event loop.
 *
 * The loop runs one turn at a time (event_base_loop EVLOOP_ONCE) and, after
 * each turn, the flush pass writes every socket that has output: a client
 * gets one write per turn however many messages were queued to it (and an
 * early one only when a single turn queues 16 KiB to it; see conn.c). */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "async.h"
#include "bytebuf.h"
#include "channel.h"
#include "chanreg.h"
#include "commands.h"
#include "config.h"
#include "conn.h"
#include "irc_names.h"
#include "history.h"
#include "listener.h"
#include "login.h"
#include "log.h"
#include "registry.h"
#include "server.h"
#include "storage.h"
#include "tls.h"
#include "version.h"
#include "worker.h"

static void on_tick(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	conn_tick();
	log_tick();
}

static void on_shutdown_signal(evutil_socket_t sig, short events, void *arg)
{
	(void)events;
	(void)arg;
	log_info("got signal %d, shutting down", (int)sig);
	server.shutting_down = true;
	conn_close_all(CLOSE_SHUTDOWN);
	server.quit = true;
}

static void on_reload_signal(evutil_socket_t sig, short events, void *arg)
{
	GError *error = NULL;
	struct config *cfg;

	(void)sig;
	(void)events;
	(void)arg;
	cfg = config_load(&server.overrides, &error);
	if (cfg == NULL) {
		log_error("reload failed, keeping the running config: %s", error->message);
		g_error_free(error);
		return;
	}
	{
		struct config *old = server.cfg;
		server.cfg = cfg;
		login_config_reloaded(old); /* CAP NEW/DEL for account capabilities */
		config_free(old);
	}
	log_info("config reloaded (listen addresses change only on restart)");
	/* New connections get the certificate on disk now; open ones keep theirs. */
	if (tls_ready() && !tls_load(server.cfg, &error)) {
		log_error("TLS certificate reload failed, keeping the old one: %s", error->message);
		g_error_free(error);
	}
}

static void create_default_channels(void)
{
	for (int i = 0; server.cfg->default_channels[i] != NULL; i++) {
		const char *name = server.cfg->default_channels[i];
		if (!irc_channel_is_valid(name)) {
			log_warn("ignoring invalid default channel '%s'", name);
			continue;
		}
		if (registry_find_channel(name) == NULL)
			storage_restore_channel(channel_create(name, true));
	}
}

/* Loads the TLS certificate when a listener needs it (generating one in the
 * data directory on first start). */
static bool start_tls(void)
{
	GError *error = NULL;
	bool wanted = false;

	for (int i = 0; server.cfg->listen[i] != NULL; i++)
		wanted |= listener_is_tls(g_strstrip(server.cfg->listen[i]));
	if (!wanted || tls_load(server.cfg, &error))
		return true;
	log_error("%s", error->message);
	g_error_free(error);
	return false;
}

/* Only the built-in TLS listener (no listen setting given) may fail without
 * stopping the server: another program may hold port 6697, and the plain
 * port still works. Every listener asked for must open. */
static bool open_listeners(void)
{
	for (int i = 0; server.cfg->listen[i] != NULL; i++) {
		GError *error = NULL;
		const char *address = g_strstrip(server.cfg->listen[i]);
		if (server.cfg->listen_default && listener_is_tls(address) && !tls_ready())
			continue; /* start_tls said why */
		if (listener_open(address, &error))
			continue;
		if (server.cfg->listen_default && listener_is_tls(address)) {
			log_warn("%s; going on without the default TLS listener", error->message);
			g_error_free(error);
			continue;
		}
		log_error("%s", error->message);
		g_error_free(error);
		return false;
	}
	return true;
}

/* --hash-password: reads a password from stdin, prints its argon2id hash. */
static int hash_password(void)
{
	char password[256];
	char hash[crypto_pwhash_STRBYTES];
	size_t len;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "Password: ");
	if (fgets(password, sizeof(password), stdin) == NULL) {
		fprintf(stderr, "natterd: no password given on standard input\n");
		return 1;
	}
	len = strcspn(password, "\r\n");
	password[len] = '\0';
	if (len == 0) {
		fprintf(stderr, "natterd: the password is empty\n");
		return 1;
	}
	if (crypto_pwhash_str(hash, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		fprintf(stderr, "natterd: out of memory while hashing\n");
		return 1;
	}
	sodium_memzero(password, sizeof(password));
	printf("%s\n", hash);
	return 0;
}

struct options {
	char **listen;
	char *config_file;
	char *data_dir;
	char *motd_file;
	char *log_level;
	gboolean hash_password;
	gboolean gen_cert;
	gboolean version;
};

static bool parse_options(int *argc, char ***argv, struct options *opts)
{
	GOptionEntry entries[] = {
		{ "listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &opts->listen,
		  "Listen on HOST:PORT or [V6]:PORT, tls:HOST:PORT for TLS (repeatable; "
		  "default 127.0.0.1:2048 and tls:127.0.0.1:6697)", "ADDR" },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &opts->config_file,
		  "Read settings from this key file", "FILE" },
		{ "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &opts->data_dir,
		  "Keep data here (default ~/.local/share/natter)", "DIR" },
		{ "motd", 'm', 0, G_OPTION_ARG_FILENAME, &opts->motd_file,
		  "Message of the day file", "FILE" },
		{ "log-level", 0, 0, G_OPTION_ARG_STRING, &opts->log_level,
		  "debug, info, warn or error (default info)", "LEVEL" },
		{ "hash-password", 0, 0, G_OPTION_ARG_NONE, &opts->hash_password,
		  "Read a password on stdin and print its argon2id hash for [opers]", NULL },
		{ "gen-cert", 0, 0, G_OPTION_ARG_NONE, &opts->gen_cert,
		  "Write a new self-signed TLS certificate (where [tls] or the data directory "
		  "says), print its fingerprint and exit", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &opts->version, "Print the version", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- the natter chat server (IRC)");
	GError *error = NULL;
	enum log_level level;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, "Signals: SIGHUP reloads the config, "
					 "SIGINT/SIGTERM shut down. See natterd(8).");
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		fprintf(stderr, "natterd: %s (try --help)\n", error->message);
		g_error_free(error);
		return false;
	}
	if (opts->log_level != NULL) {
		if (!log_parse_level(opts->log_level, &level)) {
			fprintf(stderr, "natterd: unknown log level '%s'\n", opts->log_level);
			return false;
		}
		log_set_level(level);
	}
	return true;
}

/* --gen-cert: a new self-signed certificate where the config says. A
 * running natterd takes it on SIGHUP. */
static int gen_cert(void)
{
	GError *error = NULL;
	g_autofree char *cert = NULL;
	g_autofree char *key = NULL;
	g_autofree char *fingerprint = NULL;
	struct config *cfg = config_load(&server.overrides, &error);

	if (cfg == NULL) {
		fprintf(stderr, "natterd: %s\n", error->message);
		g_error_free(error);
		return 1;
	}
	tls_cert_paths(cfg, &cert, &key);
	if (cfg->tls_cert_file == NULL && g_mkdir_with_parents(cfg->data_dir, 0700) != 0) {
		fprintf(stderr, "natterd: cannot create data directory %s: %s\n", cfg->data_dir,
			strerror(errno));
		config_free(cfg);
		return 1;
	}
	if (!tls_generate_cert(cfg->name, cert, key, &fingerprint, &error)) {
		fprintf(stderr, "natterd: %s\n", error->message);
		g_error_free(error);
		config_free(cfg);
		return 1;
	}
	printf("certificate: %s\nkey: %s\nSHA-256 fingerprint: %s\n", cert, key, fingerprint);
	config_free(cfg);
	return 0;
}

/* Raises the soft open-file limit to the hard one, and says so when the
 * configured max_clients cannot fit (accepting then pauses at the limit). */
static void check_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)server.cfg->max_clients + 32 > rl.rlim_cur)
		log_warn("max_clients=%d does not fit the open-file limit %llu: "
			 "about %llu clients fit", server.cfg->max_clients,
			 (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_cur - 32);
}

static bool start(void)
{
	GError *error = NULL;

	server.cfg = config_load(&server.overrides, &error);
	if (server.cfg == NULL) {
		log_error("%s", error->message);
		g_error_free(error);
		return false;
	}
	check_fd_limit();
	if (g_mkdir_with_parents(server.cfg->data_dir, 0700) != 0) {
		log_error("cannot create data directory %s: %s", server.cfg->data_dir,
			  strerror(errno));
		return false;
	}
	if (!storage_open(server.cfg->data_dir, &error)) {
		log_error("%s", error->message);
		g_error_free(error);
		return false;
	}
	server.base = event_base_new();
	if (server.base == NULL) {
		log_error("cannot create the event loop");
		return false;
	}
	server.listeners = g_ptr_array_new();
	server.per_address = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	server.started = server_wall_us() / 1000000;
	snprintf(server.msgid_prefix, sizeof(server.msgid_prefix), "%08x-",
		 (unsigned)randombytes_random());
	registry_init();
	commands_init();
	worker_init();
	accounts_init();
	login_init();
	async_init();
	if (!history_open(server.cfg->data_dir, &error)) {
		log_error("%s", error->message);
		g_error_free(error);
		return false;
	}
	create_default_channels();
	storage_follow_changes();
	chanreg_init();
	log_info("natterd %s starting, data in %s", NATTER_VERSION, server.cfg->data_dir);
	if (!start_tls()) {
		if (!server.cfg->listen_default)
			return false;
		log_warn("going on without the default TLS listener");
	}
	return open_listeners();
}

static void run(void)
{
	struct event *sigint = evsignal_new(server.base, SIGINT, on_shutdown_signal, NULL);
	struct event *sigterm = evsignal_new(server.base, SIGTERM, on_shutdown_signal, NULL);
	struct event *sighup = evsignal_new(server.base, SIGHUP, on_reload_signal, NULL);
	struct timeval second = { 1, 0 };

	server.tick_ev = event_new(server.base, -1, EV_PERSIST, on_tick, NULL);
	event_add(server.tick_ev, &second);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_add(sighup, NULL);
	while (!server.quit) {
		if (event_base_loop(server.base, EVLOOP_ONCE) < 0) {
			log_error("event loop failed");
			break;
		}
		history_submit();
		conn_flush_pass();
	}
	event_free(sigint);
	event_free(sigterm);
	event_free(sighup);
	event_free(server.tick_ev);
}

static void stop(void)
{
	conn_free_all();
	bytebuf_pool_drain();
	if (server.listeners != NULL)
		listener_close_all();
	if (server.base != NULL) {
		history_close();
		worker_shutdown();
		chanreg_shutdown();
		login_shutdown();
		accounts_shutdown();
		commands_shutdown();
		registry_shutdown();
		g_ptr_array_free(server.listeners, TRUE);
		g_hash_table_destroy(server.per_address);
		event_base_free(server.base);
	}
	storage_close();
	tls_shutdown();
	config_free(server.cfg);
	libevent_global_shutdown();
}

int main(int argc, char **argv)
{
	struct options opts = { 0 };
	int status = 1;

	if (!parse_options(&argc, &argv, &opts))
		return 2;
	if (opts.version) {
		printf("natterd %s\n", NATTER_VERSION);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "natterd: libsodium failed to initialise\n");
		return 1;
	}
	if (opts.hash_password)
		return hash_password();
	server.overrides.listen = opts.listen;
	server.overrides.config_file = opts.config_file;
	server.overrides.data_dir = opts.data_dir;
	server.overrides.motd_file = opts.motd_file;
	if (opts.gen_cert) {
		status = gen_cert();
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Output buffers come and go every loop turn; without this, free()
	 * shrinks the heap and the next turn grows it again (brk each time).
	 * The once-a-second tick hands idle memory back with malloc_trim(). */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	evthread_use_pthreads();
	if (start()) {
		run();
		status = 0;
	}
	stop();
	log_flush();
	log_info("natterd stopped");
out:
	g_strfreev(opts.listen);
	g_free(opts.config_file);
	g_free(opts.data_dir);
	g_free(opts.motd_file);
	g_free(opts.log_level);
	return status;
}
