/* libFuzzer target for natterd's TLS transport (src/server/tls.c and, after
 * a TLS 1.3 handshake, src/server/tls13_record.c), server side.
 *
 * The input is what a client sends on a TLS connection: its handshake
 * records, then (once the handshake is done) encrypted application records.
 * The connection is made exactly as natterd makes it: tls_load() builds the
 * SSL_CTX (same protocol floor, options, modes, read-ahead, verify callback,
 * session cache, tickets, key log) from a fixed certificate in
 * tests/fuzz/tls/, and the transport's own functions (open, read, write,
 * pending, events, shutdown, free) run it on one end of a socketpair; the
 * harness writes the input into the other end and drains what the server
 * sends. (tls.c is included, not linked, so that the recorder below can see
 * struct tls_conn.)
 *
 * Input layout: byte 0 is how many bytes reach the server per step (0: all
 * at once), byte 1 the size of each read (0: conn.c's 4096), the rest the
 * client's bytes. After each step the server reads until it would wait, as
 * conn.c does, answers every read that brought bytes with one line through
 * tls_write(), and at the end sees the end of the stream.
 *
 * Checked on every input: bytes are never handed up before the handshake is
 * complete; a read never returns more than asked; a read that must wait asks
 * for a socket event; a TLS failure has a reason for the log; a client
 * certificate fingerprint is 64 lowercase hex digits.
 *
 * Handshakes past the ClientHello. The server's random numbers come from a
 * fixed generator (a small OpenSSL provider below, as OpenSSL's own fuzz
 * targets do), so its ServerHello, key share and signature are the same on
 * every run, and a client's records recorded once against it keep
 * decrypting: the seeds reach the established state and application data.
 * Record them again (after an OpenSSL upgrade changes what it draws) with
 *     FUZZ_TLS_RECORD=tests/fuzz/corpus/tls build-fuzz/tests/fuzz/fuzz_tls
 * which plays real OpenSSL clients (own library context, real randomness)
 * against this server and writes their side. With FUZZ_TLS_EXPECT_ESTABLISHED=1
 * an input of 64 bytes or more that does not complete the handshake aborts:
 * the seed replay test (meson test --suite fuzz) uses it to notice stale seeds.
 *
 * Coverage: Debian's libssl is not instrumented, so libFuzzer sees edges in
 * tls.c, tls13_record.c and this file only; it still finds crashes, leaks
 * and sanitizer errors anywhere in the path. */
#include "../../src/server/tls.c"

#include <openssl/core_names.h>
#include <openssl/provider.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#ifndef FUZZ_TLS_DIR
#error "FUZZ_TLS_DIR must name the directory with cert.pem and key.pem"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- a fixed random generator for the default library context ------------ */

/* Every request gets the same bytes: 0x5a, 0x5b, ... The server never
 * depends on how many requests came before, so each input sees the same
 * "random" ServerHello. */
static int fixed_state = EVP_RAND_STATE_UNINITIALISED;

static void *fixed_newctx(void *provctx, void *parent, const OSSL_DISPATCH *parent_calls)
{
	(void)provctx;
	(void)parent;
	(void)parent_calls;
	return &fixed_state;
}

static void fixed_freectx(void *ctx)
{
	(void)ctx;
}

static int fixed_instantiate(void *ctx, unsigned int strength, int prediction_resistance,
			     const unsigned char *pstr, size_t pstr_len, const OSSL_PARAM params[])
{
	(void)strength;
	(void)prediction_resistance;
	(void)pstr;
	(void)pstr_len;
	(void)params;
	*(int *)ctx = EVP_RAND_STATE_READY;
	return 1;
}

static int fixed_uninstantiate(void *ctx)
{
	*(int *)ctx = EVP_RAND_STATE_UNINITIALISED;
	return 1;
}

static int fixed_generate(void *ctx, unsigned char *out, size_t outlen, unsigned int strength,
			  int prediction_resistance, const unsigned char *addin, size_t addin_len)
{
	(void)ctx;
	(void)strength;
	(void)prediction_resistance;
	(void)addin;
	(void)addin_len;
	for (size_t i = 0; i < outlen; i++)
		out[i] = (unsigned char)(0x5a + i);
	return 1;
}

static int fixed_enable_locking(void *ctx)
{
	(void)ctx;
	return 1;
}

static int fixed_get_ctx_params(void *ctx, OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE)) != NULL &&
	    !OSSL_PARAM_set_int(p, *(int *)ctx))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH)) != NULL &&
	    !OSSL_PARAM_set_uint(p, 256))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST)) != NULL &&
	    !OSSL_PARAM_set_size_t(p, 1 << 16))
		return 0;
	return 1;
}

static const OSSL_PARAM *fixed_gettable_ctx_params(void *ctx, void *provctx)
{
	static const OSSL_PARAM known[] = {
		OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
		OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
		OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
		OSSL_PARAM_END,
	};
	(void)ctx;
	(void)provctx;
	return known;
}

static const OSSL_DISPATCH fixed_rand_functions[] = {
	{ OSSL_FUNC_RAND_NEWCTX, (void (*)(void))fixed_newctx },
	{ OSSL_FUNC_RAND_FREECTX, (void (*)(void))fixed_freectx },
	{ OSSL_FUNC_RAND_INSTANTIATE, (void (*)(void))fixed_instantiate },
	{ OSSL_FUNC_RAND_UNINSTANTIATE, (void (*)(void))fixed_uninstantiate },
	{ OSSL_FUNC_RAND_GENERATE, (void (*)(void))fixed_generate },
	{ OSSL_FUNC_RAND_ENABLE_LOCKING, (void (*)(void))fixed_enable_locking },
	{ OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, (void (*)(void))fixed_gettable_ctx_params },
	{ OSSL_FUNC_RAND_GET_CTX_PARAMS, (void (*)(void))fixed_get_ctx_params },
	{ 0, NULL },
};

static const OSSL_ALGORITHM fixed_rand_algorithms[] = {
	{ "natter-fuzz-fixed", "provider=natter-fuzz-rand", fixed_rand_functions, NULL },
	{ NULL, NULL, NULL, NULL },
};

static const OSSL_ALGORITHM *fixed_query(void *provctx, int operation_id, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return operation_id == OSSL_OP_RAND ? fixed_rand_algorithms : NULL;
}

static const OSSL_DISPATCH fixed_provider_functions[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))fixed_query },
	{ 0, NULL },
};

static int fixed_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
			       const OSSL_DISPATCH **out, void **provctx)
{
	(void)handle;
	(void)in;
	*out = fixed_provider_functions;
	*provctx = NULL;
	return 1;
}

/* Loaded for the whole run (kept here so that it stays reachable). */
static OSSL_PROVIDER *fixed_provider;

static void use_fixed_random(void)
{
	if (OSSL_PROVIDER_add_builtin(NULL, "natter-fuzz-rand", fixed_provider_init) != 1 ||
	    RAND_set_DRBG_type(NULL, "natter-fuzz-fixed", NULL, NULL, NULL) != 1 ||
	    (fixed_provider = OSSL_PROVIDER_try_load(NULL, "natter-fuzz-rand", 1)) == NULL) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, "fuzz_tls: cannot install the fixed random generator\n");
		exit(1);
	}
}

/* --- one connection ------------------------------------------------------ */

struct session {
	struct conn conn;
	int fds[2]; /* [0] the server's socket, [1] the client's end */
};

static unsigned long established_count;
static bool expect_established; /* FUZZ_TLS_EXPECT_ESTABLISHED=1 */

static void session_open(struct session *s)
{
	memset(s, 0, sizeof(*s));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s->fds) != 0) {
		perror("fuzz_tls: socketpair");
		abort();
	}
	s->conn.fd = s->fds[0];
	s->conn.addr = "fuzz";
	s->conn.tp = &transport_tls;
	if (!transport_tls.open(&s->conn)) {
		fprintf(stderr, "fuzz_tls: tls_open failed\n");
		abort();
	}
}

/* The client's end: sends all of @data (the socket buffer holds an input). */
static void client_send(struct session *s, const void *data, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = send(s->fds[1], (const char *)data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0) {
			perror("fuzz_tls: send");
			abort();
		}
		off += (size_t)n;
	}
}

/* What the server sent; appended to @to when given, else dropped. */
static void client_receive(struct session *s, GString *to)
{
	char buf[16384];
	ssize_t n;

	while ((n = recv(s->fds[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (to != NULL)
			g_string_append_len(to, buf, n);
}

static void session_close(struct session *s)
{
	const char *fp;

	if (transport_tls.established(&s->conn))
		established_count++;
	fp = transport_tls.peer_fingerprint(&s->conn);
	if (fp != NULL) {
		if (strlen(fp) != 64 || strspn(fp, "0123456789abcdef") != 64) {
			fprintf(stderr, "fuzz_tls: bad fingerprint '%s'\n", fp);
			abort();
		}
	}
	transport_tls.shutdown(&s->conn);
	transport_tls.free(&s->conn);
	close(s->fds[0]);
	close(s->fds[1]);
}

/* Reads until the server would wait, as conn.c's handle_read does; *@app
 * collects the application bytes (may be NULL). False once the connection
 * is over (end of stream or an error). */
static bool server_turn(struct session *s, size_t read_len, GString *app)
{
	static char buf[4096];
	static const char reply[] = ":irc.natter.local NOTICE * :fuzzing\r\n";

	for (int guard = 0; guard < 100000; guard++) {
		ssize_t n = transport_tls.read(&s->conn, buf, read_len);
		if (n > 0) {
			if ((size_t)n > read_len || !transport_tls.established(&s->conn)) {
				fprintf(stderr, "fuzz_tls: read gave %zd bytes (asked %zu, %s)\n", n,
					read_len, transport_tls.established(&s->conn)
							  ? "established"
							  : "before the handshake completed");
				abort();
			}
			if (app != NULL)
				g_string_append_len(app, buf, n);
			(void)transport_tls.pending(&s->conn); /* conn.c asks; any answer is fine */
			if (transport_tls.write(&s->conn, reply, sizeof(reply) - 1) < 0 &&
			    errno != EAGAIN)
				return false;
			continue;
		}
		if (n == 0)
			return false;
		if (errno == EAGAIN) {
			if (transport_tls.events(&s->conn, EV_READ) == 0) {
				fprintf(stderr, "fuzz_tls: read must wait but asks for no event\n");
				abort();
			}
			return true;
		}
		if (transport_tls.strerror(&s->conn, errno)[0] == '\0')
			abort();
		return false;
	}
	fprintf(stderr, "fuzz_tls: the read loop does not end\n");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s;
	size_t step, read_len, pos;

	if (size < 2)
		return 0;
	step = data[0] == 0 ? size : data[0];
	read_len = data[1] == 0 ? 4096 : data[1];
	data += 2;
	size -= 2;

	session_open(&s);
	for (pos = 0; pos < size;) {
		size_t n = MIN(step, size - pos);
		client_send(&s, data + pos, n);
		pos += n;
		bool more = server_turn(&s, read_len, NULL);
		client_receive(&s, NULL); /* what the server sent goes nowhere */
		if (!more)
			break;
	}
	if (pos >= size) {
		shutdown(s.fds[1], SHUT_WR); /* the client hung up */
		server_turn(&s, read_len, NULL);
	}
	if (expect_established && size >= 64 && !transport_tls.established(&s.conn)) {
		fprintf(stderr, "fuzz_tls: this input did not complete the TLS handshake: the "
				"recorded seeds no longer match this OpenSSL; record them again "
				"(see the comment at the top of tests/fuzz/fuzz_tls.c)\n");
		abort();
	}
	session_close(&s);
	return 0;
}

/* --- recording seeds (FUZZ_TLS_RECORD=DIR) ------------------------------- */

struct recording {
	const char *name;
	int max_version;     /* 0: the client's highest */
	bool client_cert;    /* present a certificate (SASL EXTERNAL) */
	bool key_update;     /* a KeyUpdate (update_requested) before the payload */
	const char *payload; /* application data, then close_notify */
};

static const struct recording recordings[] = {
	{ "tls13-register", 0, false, false,
	  "CAP LS 302\r\nNICK fuzzer\r\nUSER fuzzer 0 * :TLS fuzzing\r\nCAP END\r\n"
	  "JOIN #lobby\r\nPRIVMSG #lobby :hello over TLS 1.3\r\nQUIT :bye\r\n" },
	{ "tls12-register", TLS1_2_VERSION, false, false,
	  "NICK fuzzer\r\nUSER fuzzer 0 * :TLS fuzzing\r\nPING :x\r\nQUIT\r\n" },
	{ "tls13-client-cert", 0, true, false,
	  "CAP REQ :sasl\r\nAUTHENTICATE EXTERNAL\r\nAUTHENTICATE +\r\n" },
	{ "tls12-client-cert", TLS1_2_VERSION, true, false, "NICK certified\r\n" },
	{ "tls13-key-update", 0, false, true, "PING :after a KeyUpdate\r\n" },
};

/* Moves the client's bytes to the server's socket (and to @log), and the
 * server's to the client. */
static void pump(struct session *s, BIO *c_in, BIO *c_out, GString *log)
{
	g_autoptr(GString) back = g_string_new(NULL);
	char buf[4096];
	int n;

	while ((n = BIO_read(c_out, buf, sizeof(buf))) > 0) {
		client_send(s, buf, (size_t)n);
		g_string_append_len(log, buf, n);
	}
	client_receive(s, back);
	if (back->len > 0 && BIO_write(c_in, back->str, (int)back->len) != (int)back->len)
		abort();
}

static bool record_one(const struct recording *r, OSSL_LIB_CTX *libctx, const char *cert_dir,
		       const char *out_dir)
{
	SSL_CTX *cctx = SSL_CTX_new_ex(libctx, NULL, TLS_client_method());
	SSL *client;
	BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
	struct session s;
	g_autoptr(GString) sent = g_string_new(NULL);
	g_autoptr(GString) app = g_string_new(NULL);
	g_autofree char *path = g_build_filename(out_dir, r->name, NULL);
	g_autoptr(GError) error = NULL;
	bool ok = false;

	if (cctx == NULL || c_in == NULL || c_out == NULL)
		abort();
	if (r->max_version != 0)
		SSL_CTX_set_max_proto_version(cctx, r->max_version);
	if (r->client_cert) {
		g_autofree char *cc = g_build_filename(cert_dir, "client-cert.pem", NULL);
		g_autofree char *ck = g_build_filename(cert_dir, "client-key.pem", NULL);
		g_autofree char *fp = NULL;
		if (!tls_generate_cert("fuzz-client", cc, ck, &fp, &error) ||
		    SSL_CTX_use_certificate_file(cctx, cc, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(cctx, ck, SSL_FILETYPE_PEM) != 1) {
			fprintf(stderr, "fuzz_tls: client certificate: %s\n",
				error != NULL ? error->message : "OpenSSL refused it");
			abort();
		}
	}
	client = SSL_new(cctx);
	SSL_set_bio(client, c_in, c_out);
	SSL_set_connect_state(client);
	BIO_set_mem_eof_return(c_in, -1);

	session_open(&s);
	g_string_append_c(sent, '\0'); /* whole input at once */
	g_string_append_c(sent, '\0'); /* 4096-byte reads */
	for (int i = 0; i < 20 && (SSL_is_init_finished(client) != 1 ||
				   !transport_tls.established(&s.conn)); i++) {
		ERR_clear_error();
		(void)SSL_do_handshake(client);
		pump(&s, c_in, c_out, sent);
		if (!server_turn(&s, 4096, app))
			break;
		pump(&s, c_in, c_out, sent);
	}
	if (SSL_is_init_finished(client) == 1 && transport_tls.established(&s.conn)) {
		size_t len = strlen(r->payload);
		if (r->key_update && SSL_key_update(client, SSL_KEY_UPDATE_REQUESTED) != 1)
			abort();
		if (SSL_write(client, r->payload, (int)len) != (int)len)
			abort();
		(void)SSL_shutdown(client);
		pump(&s, c_in, c_out, sent);
		server_turn(&s, 4096, app);
		ok = strcmp(app->str, r->payload) == 0;
	}
	if (r->client_cert && transport_tls.peer_fingerprint(&s.conn) == NULL)
		ok = false;
	session_close(&s);
	SSL_free(client);
	SSL_CTX_free(cctx);
	if (!ok) {
		fprintf(stderr, "fuzz_tls: %s: the recorded session did not complete\n", r->name);
		ERR_print_errors_fp(stderr);
		return false;
	}
	if (!g_file_set_contents(path, sent->str, (gssize)sent->len, &error)) {
		fprintf(stderr, "fuzz_tls: %s\n", error->message);
		return false;
	}
	/* Replays it as the fuzzer will, without the client. */
	{
		unsigned long before = established_count;
		LLVMFuzzerTestOneInput((const uint8_t *)sent->str, sent->len);
		if (established_count != before + 1) {
			fprintf(stderr, "fuzz_tls: %s: the replay did not complete the handshake "
					"(the server's randomness is not fixed?)\n", r->name);
			return false;
		}
	}
	printf("fuzz_tls: wrote %s (%zu bytes)\n", path, sent->len);
	return true;
}

static int record_seeds(const char *out_dir)
{
	OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new(); /* real randomness for the clients */
	g_autofree char *tmp = g_dir_make_tmp("fuzz-tls-XXXXXX", NULL);
	bool ok = libctx != NULL && tmp != NULL;

	for (size_t i = 0; ok && i < G_N_ELEMENTS(recordings); i++)
		ok = record_one(&recordings[i], libctx, tmp, out_dir);
	if (tmp != NULL) {
		g_autofree char *cc = g_build_filename(tmp, "client-cert.pem", NULL);
		g_autofree char *ck = g_build_filename(tmp, "client-key.pem", NULL);
		g_unlink(cc);
		g_unlink(ck);
		g_rmdir(tmp);
	}
	OSSL_LIB_CTX_free(libctx);
	tls_shutdown();
	return ok ? 0 : 1;
}

/* --- set-up --------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config cfg;
	GError *error = NULL;
	const char *record = getenv("FUZZ_TLS_RECORD");

	(void)argc;
	(void)argv;
	use_fixed_random();
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = (char *)"irc.natter.local";
	cfg.data_dir = (char *)FUZZ_TLS_DIR;
	cfg.tls_cert_file = (char *)FUZZ_TLS_DIR "/cert.pem";
	cfg.tls_key_file = (char *)FUZZ_TLS_DIR "/key.pem";
	cfg.tls_own_records = true; /* the default (config.c) */
	log_set_level(LOG_WARN);
	if (!tls_load(&cfg, &error)) {
		fprintf(stderr, "fuzz_tls: %s\n", error->message);
		exit(1);
	}
	if (record != NULL)
		exit(record_seeds(record));
	expect_established = g_strcmp0(getenv("FUZZ_TLS_EXPECT_ESTABLISHED"), "1") == 0;
	return 0;
}
