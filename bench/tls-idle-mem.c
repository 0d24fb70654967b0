/* tls-idle-mem - what OpenSSL keeps for one idle TLS client of natterd.
 *
 * Opens N TLS connections to an in-process natterd transport (src/server/
 * tls.c, included so that its SSL_CTX is exactly the one natterd makes, on
 * real socketpairs), each doing a handshake, one IRC line each way, then
 * idling; counts the bytes that OpenSSL allocated on the server side and
 * still holds, through OpenSSL's allocation hooks, and prints them per
 * connection, by allocation site. The clients run in their own OpenSSL
 * library context; only calls into the server's transport are counted.
 *
 *   build/bench/tls-idle-mem [--clients N] [--tls12] [--cipher NAME]
 *                            [--no-ticket] [--no-read-ahead] [--free-buffers]
 *                            [--client-cert] [--sites K]
 *
 * --cipher sets the server's TLS 1.3 suites (e.g. TLS_CHACHA20_POLY1305_SHA256)
 * to see what each costs; --no-ticket sends no session tickets;
 * --no-read-ahead turns natterd's read-ahead off; --free-buffers calls
 * SSL_free_buffers() on each idle connection before counting. */
#include "../src/server/tls.c"

#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

/* --- counting allocations ---------------------------------------------- */

struct block {
	size_t size;
	const char *file;
	int line;
};

static GHashTable *live; /* pointer -> struct block*, only the counted ones */
static bool counting;
static bool inside; /* our own bookkeeping allocates too: do not count it */

static size_t chunk_of(size_t n)
{
	/* glibc: request + 8, rounded up to 16, at least 32 */
	size_t c = (n + 8 + 15) & ~(size_t)15;
	return c < 32 ? 32 : c;
}

static void note_alloc(void *p, size_t n, const char *file, int line)
{
	struct block *b;

	if (p == NULL || !counting || inside)
		return;
	inside = true;
	b = g_new(struct block, 1);
	b->size = n;
	b->file = file;
	b->line = line;
	g_hash_table_replace(live, p, b);
	inside = false;
}

static void note_free(void *p)
{
	if (p == NULL || inside || live == NULL)
		return;
	inside = true;
	g_hash_table_remove(live, p);
	inside = false;
}

static void *hook_malloc(size_t n, const char *file, int line)
{
	void *p = malloc(n);
	note_alloc(p, n, file, line);
	return p;
}

static void *hook_realloc(void *old, size_t n, const char *file, int line)
{
	bool was_counted;
	void *p;

	inside = true;
	was_counted = old != NULL && live != NULL && g_hash_table_contains(live, old);
	inside = false;
	if (old != NULL)
		note_free(old); /* before realloc: after it, old may be gone */
	p = realloc(old, n);
	if (p == NULL && n != 0) {
		if (was_counted)
			note_alloc(old, n, file, line); /* still there, still ours */
		return NULL;
	}
	if (p != NULL && (counting || was_counted))
		note_alloc(p, n, file, line);
	return p;
}

static void hook_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	note_free(p);
	free(p);
}

/* --- one connection ---------------------------------------------------- */

struct pair {
	struct conn conn;
	SSL *client;
	int fds[2];
};

static SSL_CTX *client_ctx;

static ssize_t server_read(struct pair *p, char *buf, size_t len)
{
	ssize_t n;

	counting = true;
	n = transport_tls.read(&p->conn, buf, len);
	counting = false;
	return n;
}

static void server_write(struct pair *p, const char *line)
{
	counting = true;
	(void)transport_tls.write(&p->conn, line, strlen(line));
	counting = false;
}

static bool open_pair(struct pair *p)
{
	char buf[4096];
	const char *hello = "NICK idle\r\nUSER idle 0 * :idle\r\n";

	memset(p, 0, sizeof(*p));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fds) != 0)
		return false;
	p->conn.fd = p->fds[0];
	p->conn.addr = "bench";
	p->conn.tp = &transport_tls;
	counting = true;
	bool opened = transport_tls.open(&p->conn);
	counting = false;
	if (!opened)
		return false;
	p->client = SSL_new(client_ctx);
	SSL_set_fd(p->client, p->fds[1]);
	SSL_set_connect_state(p->client);
	for (int i = 0; i < 50 && !(SSL_is_init_finished(p->client) &&
				    transport_tls.established(&p->conn)); i++) {
		(void)SSL_do_handshake(p->client);
		(void)server_read(p, buf, sizeof(buf));
	}
	if (!transport_tls.established(&p->conn))
		return false;
	/* One line each way, as a registration does, then nothing. */
	SSL_write(p->client, hello, (int)strlen(hello));
	for (int i = 0; i < 10 && server_read(p, buf, sizeof(buf)) <= 0; i++)
		(void)SSL_read(p->client, buf, sizeof(buf)); /* session tickets */
	server_write(p, ":bench 001 idle :Welcome\r\n");
	for (int i = 0; i < 10 && SSL_read(p->client, buf, sizeof(buf)) <= 0; i++)
		;
	(void)server_read(p, buf, sizeof(buf)); /* EAGAIN: nothing more */
	return true;
}

/* --- report ------------------------------------------------------------ */

struct site {
	char name[96];
	size_t bytes, chunks, count;
};

static gint by_chunks(gconstpointer a, gconstpointer b)
{
	const struct site *x = *(struct site *const *)a, *y = *(struct site *const *)b;
	return x->chunks < y->chunks ? 1 : x->chunks > y->chunks ? -1 : 0;
}

static void report(int clients, int nsites)
{
	GHashTable *sites = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	GHashTableIter it;
	gpointer key, value;
	size_t bytes = 0, chunks = 0, count = 0;
	GPtrArray *list = g_ptr_array_new();

	inside = true;
	g_hash_table_iter_init(&it, live);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		struct block *b = value;
		char name[96];
		const char *f = b->file != NULL ? strrchr(b->file, '/') : NULL;
		snprintf(name, sizeof(name), "%s:%d", f != NULL ? f + 1 : b->file ? b->file : "?",
			 b->line);
		struct site *s = g_hash_table_lookup(sites, name);
		if (s == NULL) {
			s = g_new0(struct site, 1);
			g_strlcpy(s->name, name, sizeof(s->name));
			g_hash_table_insert(sites, s->name, s);
			g_ptr_array_add(list, s);
		}
		s->bytes += b->size;
		s->chunks += chunk_of(b->size);
		s->count++;
		bytes += b->size;
		chunks += chunk_of(b->size);
		count++;
	}
	g_ptr_array_sort(list, by_chunks);
	printf("%d idle TLS connections; OpenSSL holds per connection (server side) %.0f B requested, "
	       "%.0f B in malloc chunks, %.1f allocations\n", clients,
	       (double)bytes / clients, (double)chunks / clients, (double)count / clients);
	for (guint i = 0; i < list->len && (int)i < nsites; i++) {
		struct site *s = list->pdata[i];
		printf("  %-40s %7.0f B  %5.1f allocations\n", s->name,
		       (double)s->chunks / clients, (double)s->count / clients);
	}
	g_ptr_array_free(list, TRUE);
	g_hash_table_destroy(sites);
	inside = false;
}

int main(int argc, char **argv)
{
	int clients = 200, nsites = 25;
	bool tls12 = false, no_ticket = false, client_cert = false, no_read_ahead = false;
	bool free_buffers = false;
	const char *cipher = NULL;
	static const struct option longopts[] = {
		{ "clients", required_argument, NULL, 'n' },
		{ "tls12", no_argument, NULL, '2' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "no-ticket", no_argument, NULL, 't' },
		{ "client-cert", no_argument, NULL, 'C' },
		{ "no-read-ahead", no_argument, NULL, 'r' },
		{ "free-buffers", no_argument, NULL, 'f' },
		{ "sites", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	struct config cfg;
	GError *error = NULL;
	g_autofree char *dir = NULL;
	struct pair *pairs;
	OSSL_LIB_CTX *client_lib;

	if (CRYPTO_set_mem_functions(hook_malloc, hook_realloc, hook_free) != 1) {
		fprintf(stderr, "tls-idle-mem: cannot hook OpenSSL's allocations\n");
		return 1;
	}
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': clients = atoi(optarg); break;
		case '2': tls12 = true; break;
		case 'c': cipher = optarg; break;
		case 't': no_ticket = true; break;
		case 'C': client_cert = true; break;
		case 's': nsites = atoi(optarg); break;
		case 'r': no_read_ahead = true; break;
		case 'f': free_buffers = true; break;
		default:
			fprintf(stderr, "usage: %s [--clients N] [--tls12] [--cipher NAME] "
					"[--no-ticket] [--client-cert] [--sites K]\n", argv[0]);
			return 2;
		}
	}
	if (clients < 1)
		clients = 1;
	live = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	log_set_level(LOG_WARN);
	dir = g_dir_make_tmp("tls-idle-mem-XXXXXX", NULL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = (char *)"irc.natter.local";
	cfg.data_dir = dir;
	cfg.tls_own_records = true; /* the default (config.c) */
	if (dir == NULL || !tls_load(&cfg, &error)) {
		fprintf(stderr, "tls-idle-mem: %s\n", error != NULL ? error->message : "no temp dir");
		return 1;
	}
	if (cipher != NULL && SSL_CTX_set_ciphersuites(current_ctx, cipher) != 1) {
		fprintf(stderr, "tls-idle-mem: unknown TLS 1.3 suite %s\n", cipher);
		return 1;
	}
	if (no_ticket)
		SSL_CTX_set_options(current_ctx, SSL_OP_NO_TICKET);
	if (no_read_ahead)
		SSL_CTX_set_read_ahead(current_ctx, 0);

	client_lib = OSSL_LIB_CTX_new();
	client_ctx = SSL_CTX_new_ex(client_lib, NULL, TLS_client_method());
	SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, NULL);
	if (tls12)
		SSL_CTX_set_max_proto_version(client_ctx, TLS1_2_VERSION);
	if (client_cert) {
		g_autofree char *cc = g_build_filename(dir, "client-cert.pem", NULL);
		g_autofree char *ck = g_build_filename(dir, "client-key.pem", NULL);
		g_autofree char *fp = NULL;
		if (!tls_generate_cert("client", cc, ck, &fp, &error) ||
		    SSL_CTX_use_certificate_file(client_ctx, cc, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(client_ctx, ck, SSL_FILETYPE_PEM) != 1) {
			fprintf(stderr, "tls-idle-mem: client certificate failed\n");
			return 1;
		}
	}

	pairs = g_new0(struct pair, clients);
	for (int i = 0; i < clients; i++) {
		if (!open_pair(&pairs[i])) {
			fprintf(stderr, "tls-idle-mem: connection %d did not complete its handshake\n",
				i);
			ERR_print_errors_fp(stderr);
			return 1;
		}
	}
	if (free_buffers) {
		counting = true;
		for (int i = 0; i < clients; i++)
			if (((struct tls_conn *)pairs[i].conn.tp_state)->ssl != NULL &&
			    SSL_free_buffers(((struct tls_conn *)pairs[i].conn.tp_state)->ssl) != 1)
				fprintf(stderr, "tls-idle-mem: SSL_free_buffers refused (data pending)\n");
		counting = false;
	}
	printf("protocol %s, cipher %s, records carried by %s\n", SSL_get_version(pairs[0].client),
	       SSL_get_cipher_name(pairs[0].client),
	       ((struct tls_conn *)pairs[0].conn.tp_state)->rec != NULL ? "tls13_record.c"
									 : "OpenSSL");
	report(clients, nsites);
	return 0;
}
