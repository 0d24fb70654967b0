/* server_harness.c - see server_harness.h. */
#include "server_harness.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accounts.h"
#include "async.h"
#include "bytebuf.h"
#include "client.h"
#include "commands.h"
#include "config.h"
#include "conn.h"
#include "hooks.h"
#include "login.h"
#include "log.h"
#include "registry.h"
#include "server.h"
#include "storage.h"
#include "transport.h"
#include "worker.h"

static char *data_dir;
static GPtrArray *clients; /* struct hclient * */

void harness_start(void)
{
	struct config_overrides ov = { 0 };
	GError *error = NULL;

	if (sodium_init() < 0)
		g_error("libsodium failed to initialise");
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	log_set_level(LOG_ERROR);
	data_dir = g_dir_make_tmp("natterd-unit-XXXXXX", &error);
	g_assert_no_error(error);
	ov.data_dir = data_dir;
	memset(&server, 0, sizeof(server));
	server.cfg = config_load(&ov, &error);
	g_assert_no_error(error);
	/* Tests and the fuzzer send fast: flood control would only delay. */
	server.cfg->flood_burst = 1000000;
	server.cfg->flood_rate = 1000000;
	server.cfg->argon2_ops = 1;
	server.cfg->argon2_mem_kib = 8;
	/* Every harness client comes from 127.0.0.1. */
	server.cfg->max_clients = 100000;
	server.cfg->max_per_address = 100000;
	server.cfg->max_per_block = 100000;
	server.cfg->max_unregistered = 100000;
	/* The fuzzer connects thousands of clients a second from one block. */
	server.cfg->connect_burst = 1000000;
	server.cfg->connect_rate = 1000000;
	g_assert_true(storage_open(data_dir, &error));
	g_assert_no_error(error);
	server.base = event_base_new();
	server.listeners = g_ptr_array_new();
	server.per_address = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	server.started = server_wall_us() / 1000000;
	g_strlcpy(server.msgid_prefix, "unit-", sizeof(server.msgid_prefix));
	registry_init();
	commands_init();
	worker_init();
	accounts_init();
	login_init();
	async_init();
	clients = g_ptr_array_new();
}

static void remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			remove_tree(child);
		else
			g_unlink(child);
	}
	if (dir != NULL)
		g_dir_close(dir);
	g_rmdir(path);
}

void harness_stop(void)
{
	for (guint i = 0; i < clients->len; i++) {
		struct hclient *h = g_ptr_array_index(clients, i);
		if (h->peer >= 0)
			close(h->peer);
		g_free(h);
	}
	g_ptr_array_free(clients, TRUE);
	server.shutting_down = true;
	conn_free_all();
	bytebuf_pool_drain();
	worker_shutdown();
	login_shutdown();
	accounts_shutdown();
	commands_shutdown();
	registry_shutdown();
	hook_clear_all();
	g_ptr_array_free(server.listeners, TRUE);
	g_hash_table_destroy(server.per_address);
	event_base_free(server.base);
	storage_close();
	config_free(server.cfg);
	libevent_global_shutdown();
	remove_tree(data_dir);
	g_free(data_dir);
}

void harness_turn(void)
{
	/* A few turns: a line read in one turn may cause output that is
	 * flushed in the same turn; async answers arrive on later turns. */
	for (int i = 0; i < 4; i++) {
		/* One pass over what is ready, as natterd's loop does
		 * (EVLOOP_ONCE), then the flush pass that starts the next
		 * turn. EVLOOP_NONBLOCK alone runs on while callbacks keep
		 * activating: a client that used up its per-turn budget
		 * re-arms a zero timer, waiting for a turn that never came
		 * (fuzz_dispatch timed out so). */
		event_base_loop(server.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		conn_flush_pass();
	}
}

struct hclient *harness_client(const char *nick)
{
	struct hclient *h = g_new0(struct hclient, 1);
	struct sockaddr_in sin = { 0 };
	int sv[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	h->peer = sv[0];
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conn_accept(sv[1], (struct sockaddr *)&sin, sizeof(sin), &transport_plain);
	/* The newest connection is the head of server.conns. */
	g_assert_nonnull(server.conns);
	h->client = server.conns->client;
	h->id = (unsigned long long)h->client->id;
	g_ptr_array_add(clients, h);
	if (nick != NULL) {
		g_autofree char *line = g_strdup_printf("NICK %s\r\nUSER u 0 * :Unit Test\r\n", nick);
		g_autofree char *welcome = NULL;
		harness_send_raw(h, line, strlen(line));
		harness_turn();
		welcome = harness_read(h);
		g_assert_nonnull(strstr(welcome, " 001 "));
	}
	return h;
}

void harness_close(struct hclient *h)
{
	if (h->peer >= 0)
		close(h->peer);
	h->peer = -1;
	harness_turn();
}

void harness_release(struct hclient *h)
{
	if (h->peer >= 0)
		close(h->peer);
	g_ptr_array_remove_fast(clients, h);
	g_free(h);
}

void harness_send_raw(struct hclient *h, const char *data, size_t len)
{
	while (len > 0 && h->peer >= 0) {
		ssize_t n = write(h->peer, data, len);
		if (n < 0 && errno == EAGAIN) {
			/* The server must read before we can write more. */
			harness_turn();
			g_free(harness_read(h));
			continue;
		}
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

void harness_send(struct hclient *h, const char *line)
{
	harness_send_raw(h, line, strlen(line));
	harness_send_raw(h, "\r\n", 2);
}

char *harness_read(struct hclient *h)
{
	GString *out = g_string_new(NULL);
	char buf[16384];
	ssize_t n;

	while (h->peer >= 0 && (n = read(h->peer, buf, sizeof(buf))) > 0)
		g_string_append_len(out, buf, n);
	return g_string_free(out, FALSE);
}

bool harness_closed(struct hclient *h)
{
	return registry_find_id(h->id) == NULL;
}
